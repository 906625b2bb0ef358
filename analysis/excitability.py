"""Excitability experiments: threshold, strength–duration, rheobase, refractoriness, F–I, anode break.

Every experiment works on any model of the protocol (:mod:`hhdyn.protocol`) whose applied
current enters through ``I_ext``; currents are in µA/cm², times in ms, voltages in mV. A *spike*
in the pulse experiments is an upward crossing of a voltage threshold (default 0 mV, see
:class:`SpikeDetector`); the F–I curve counts oscillation peaks by their prominence instead,
because above about 60 µA/cm² the HH oscillation no longer overshoots 0 mV.

Each experiment returns a frozen dataclass with its numbers, the protocol that produced them,
and ``.plot(ax=None)``. Trials are short integrations from rest that stop at the first spike,
so bisections cost a fraction of a second.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from hhdyn.batch import simulate_batch
from hhdyn.engine import UnsupportedModelError
from hhdyn.results import Record, Result, new_axes
from hhdyn.simulation import SimulationError, simulate
from hhdyn.spikes import SpikeDetector, detection_values
from hhdyn.stimuli import Ramp, Step
from hhdyn.validation import check_number

__all__ = [
    "SpikeDetector",
    "ThresholdResult",
    "threshold",
    "rheobase",
    "StrengthDurationResult",
    "strength_duration",
    "RefractoryProtocol",
    "RefractoryResult",
    "refractory_periods",
    "FIPoint",
    "FICurve",
    "fi_curve",
    "AnodeBreakResult",
    "anode_break",
    "ActionPotential",
    "action_potential",
]

_DEFAULT_DETECTOR = SpikeDetector()


# ---------------------------------------------------------------------------------- validation
def _rest(model, y0):
    if y0 is None:
        return np.asarray(model.resting_state(), dtype=float)
    y0 = np.asarray(y0, dtype=float)
    if y0.shape != (model.n_states,):
        raise ValueError(f"y0 must have shape ({model.n_states},), got {y0.shape}")
    return y0


# ---------------------------------------------------------------------------------- threshold
@dataclass(frozen=True)
class ThresholdResult(Result):
    """Smallest amplitude (µA/cm²) of a rectangular current pulse that elicits a spike.

    ``amplitude`` is the upper end of the final bisection ``bracket`` (``bracket[0]`` failed,
    ``bracket[1]`` spiked), so it is the threshold to within ``bracket[1] − bracket[0]`` ≤ the
    stated tolerance. ``protocol`` describes the pulse and the observation window. Table
    (:meth:`columns`): ``t_ms``, ``V_below_mV`` and ``V_above_mV`` (the traces at both ends of
    the bracket).
    """

    model_name: str
    duration_ms: float
    amplitude: float
    bracket: tuple
    tolerance: float
    latency_ms: float
    trials: int
    protocol: str
    t: np.ndarray = field(repr=False)
    V_below: np.ndarray = field(repr=False)
    V_above: np.ndarray = field(repr=False)

    def columns(self) -> dict:
        return {"t_ms": self.t, "V_below_mV": self.V_below, "V_above_mV": self.V_above}

    def plot(self, ax=None):
        """Voltage just below and just above threshold; returns the Axes."""
        ax = new_axes(ax)
        ax.plot(self.t, self.V_below, color="0.5", label=f"{self.bracket[0]:.4g} µA/cm² (no spike)")
        ax.plot(self.t, self.V_above, color="C3", label=f"{self.bracket[1]:.4g} µA/cm² (spike)")
        ax.axvspan(0.0, self.duration_ms, color="C0", alpha=0.1, lw=0)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("V (mV)")
        ax.set_title(f"{self.model_name}: threshold {self.amplitude:.4g} µA/cm² ({self.duration_ms:g} ms)")
        ax.legend(frameon=False, fontsize="small")
        return ax


def _pulse_spikes(model, y0, amplitude, duration, observe, detector, rtol, atol, t0=0.0, y_start=None):
    stim = Step(t0, duration, amplitude)
    start = y0 if y_start is None else y_start
    trial = simulate(model, t0 + duration + observe, stim, start, t0=t0, events=replace(detector, terminal=True),
                     t_eval=(), rtol=rtol, atol=atol)
    return _first_event(trial)


def _first_event(trajectory) -> float | None:
    """Time (ms) of the first crossing of the run's (only) event, or None."""
    hits = trajectory.t_events[0]
    return float(hits[0]) if hits.size else None


def _bisect_amplitude(spikes: Callable[[float], float | None], tol, rel_tol, max_amplitude, start=1.0):
    """Bisection of a monotone 'spikes at amplitude A' predicate; returns (lo, hi, latency, trials)."""
    lo, hi, trials = 0.0, min(start, max_amplitude), 0
    latency = spikes(hi)
    trials += 1
    while latency is None:
        lo = hi
        if hi >= max_amplitude:
            return lo, math.inf, math.nan, trials
        hi = min(2.0 * hi, max_amplitude)
        latency = spikes(hi)
        trials += 1
    while hi - lo > max(tol, rel_tol * hi):
        mid = 0.5 * (lo + hi)
        result = spikes(mid)
        trials += 1
        if result is None:
            lo = mid
        else:
            hi, latency = mid, result
    return lo, hi, latency, trials


def threshold(model, duration_ms: float = 1.0, *, tol: float = 1e-3, rel_tol: float = 0.0,
              observe_ms: float = 20.0, max_amplitude: float = 1e4, detector: SpikeDetector = _DEFAULT_DETECTOR,
              y0=None, rtol: float = 1e-7, atol: float = 1e-8, _kind: str = "pulse") -> ThresholdResult:
    """Threshold of a depolarizing current pulse of ``duration_ms`` applied from rest.

    A trial applies I_stim(t) = A for 0 ≤ t < duration_ms on top of the model's I_ext, starting
    from ``y0`` (default: rest), and watches for a spike (``detector``: upward crossing of 0 mV
    by V) until ``observe_ms`` after the pulse. The predicate "A elicits a spike" is bracketed
    by doubling from 1 µA/cm² and bisected until the bracket is narrower than
    max(``tol``, ``rel_tol``·A) µA/cm². Raises ValueError if even ``max_amplitude`` does not
    elicit a spike.
    """
    duration_ms = check_number("duration_ms", duration_ms, positive=True)
    observe_ms = check_number("observe_ms", observe_ms, nonnegative=True)
    tol = check_number("tol", tol, positive=True)
    rel_tol = check_number("rel_tol", rel_tol, nonnegative=True)
    max_amplitude = check_number("max_amplitude", max_amplitude, positive=True)
    rest = _rest(model, y0)

    def spikes(amplitude):
        return _pulse_spikes(model, rest, amplitude, duration_ms, observe_ms, detector, rtol, atol)

    lo, hi, latency, trials = _bisect_amplitude(spikes, tol, rel_tol, max_amplitude)
    if not math.isfinite(hi):
        raise ValueError(
            f"max_amplitude: no spike of {model.name} for a {duration_ms:g} ms pulse up to "
            f"{max_amplitude:g} µA/cm²"
        )
    t = np.arange(0.0, duration_ms + observe_ms + 1e-9, 0.02) if observe_ms > 0 else \
        np.linspace(0.0, duration_ms, 2001)
    t_end = duration_ms + max(observe_ms, 0.0)
    traces = []
    for amplitude in (lo, hi):
        r = simulate(model, t_end, Step(0.0, duration_ms, amplitude), rest, t_eval=t, rtol=rtol, atol=atol)
        traces.append(r.y[detector.index(model)])
    where = "during the step" if observe_ms == 0 else f"until {observe_ms:g} ms after the pulse"
    protocol = (f"{_kind}: rectangular pulse of {duration_ms:g} ms from rest (I_ext = {model.params['I_ext']:g}); "
                f"spike = upward crossing of {detector.threshold:g} by {detector.variable} {where}; "
                f"bisection to {max(tol, rel_tol * hi):.3g} µA/cm²; integration rtol {rtol:g}")
    return ThresholdResult(model.name, duration_ms, hi, (lo, hi), max(tol, rel_tol * hi), latency, trials,
                           protocol, t, traces[0], traces[1])


def rheobase(model, duration_ms: float = 100.0, *, tol: float = 1e-3, **options) -> ThresholdResult:
    """Rheobase: threshold of a long current step (``duration_ms``, default 100 ms) from rest.

    A spike counts only while the step is on. For HH from rest it is 2.24 µA/cm² and gives a
    single spike (repetitive firing needs I_ext ≳ 6.26 µA/cm²). The value no longer changes
    with ``duration_ms`` once the step outlasts the first damped oscillation (≈ 30 ms for HH).
    """
    options.setdefault("observe_ms", 0.0)
    return threshold(model, duration_ms, tol=tol, _kind="long step", **options)


# ---------------------------------------------------------------------------------- strength–duration
@dataclass(frozen=True)
class StrengthDurationResult(Result):
    """Threshold amplitude (µA/cm²) against pulse duration (ms), with rheobase and chronaxie.

    ``rheobase`` is the long-step threshold (:func:`rheobase`); ``chronaxie_ms`` is the
    duration at which the threshold is twice the rheobase, interpolated linearly in
    log(duration)–log(threshold) between the two measured durations that bracket it (NaN when
    the measured range does not bracket it). ``charge`` = amplitude·duration (nC/cm²).
    """

    model_name: str
    durations_ms: np.ndarray
    thresholds: np.ndarray
    rheobase: float
    rheobase_duration_ms: float
    chronaxie_ms: float
    tolerance_rel: float

    @property
    def charge(self) -> np.ndarray:
        return self.thresholds * self.durations_ms

    def columns(self) -> dict:
        return {"duration_ms": self.durations_ms, "threshold_uA_per_cm2": self.thresholds,
                "charge_nC_per_cm2": self.charge}

    def plot(self, ax=None):
        """Threshold against duration (log–log) with rheobase and chronaxie; returns the Axes."""
        ax = new_axes(ax)
        ax.loglog(self.durations_ms, self.thresholds, "o-", color="C0", label="threshold")
        ax.axhline(self.rheobase, color="0.4", ls="--", lw=1, label=f"rheobase {self.rheobase:.3f} µA/cm²")
        if math.isfinite(self.chronaxie_ms):
            ax.axhline(2 * self.rheobase, color="0.7", ls=":", lw=1)
            ax.axvline(self.chronaxie_ms, color="C3", ls=":", lw=1, label=f"chronaxie {self.chronaxie_ms:.3f} ms")
        ax.set_xlabel("pulse duration (ms)")
        ax.set_ylabel("threshold (µA/cm²)")
        ax.set_title(f"{self.model_name}: strength–duration")
        ax.legend(frameon=False, fontsize="small")
        return ax


def strength_duration(model, durations_ms=(0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0), *,
                      rheobase_duration_ms: float = 100.0, rel_tol: float = 1e-3,
                      progress: Callable[[str], None] | None = None, **options) -> StrengthDurationResult:
    """Thresholds for each pulse duration (relative tolerance ``rel_tol``) and the rheobase.

    ``options`` go to :func:`threshold` (e.g. ``observe_ms``, ``detector``, ``rtol``); the
    rheobase is the threshold of a ``rheobase_duration_ms`` step counted while the step is on.
    """
    durations = np.asarray(durations_ms, dtype=float)
    if durations.ndim != 1 or durations.size < 2 or not np.all(np.isfinite(durations)) or np.any(durations <= 0):
        raise ValueError(f"durations_ms must be at least two positive durations, got {durations_ms!r}")
    durations = np.sort(durations)
    rel_tol = check_number("rel_tol", rel_tol, positive=True)
    thresholds = []
    for d in durations:
        thresholds.append(threshold(model, d, tol=1e-9, rel_tol=rel_tol, **options).amplitude)
        if progress:
            progress(f"threshold at {d:g} ms: {thresholds[-1]:.4g} µA/cm²")
    thresholds = np.array(thresholds)
    step_options = {k: v for k, v in options.items() if k != "observe_ms"}  # a step counts while it is on
    rheo = rheobase(model, rheobase_duration_ms, tol=1e-9, rel_tol=rel_tol, **step_options).amplitude
    chronaxie = math.nan
    above = thresholds >= 2 * rheo
    for i in range(durations.size - 1):
        if above[i] and not above[i + 1]:
            x0, x1 = np.log(durations[i : i + 2])
            y0, y1 = np.log(thresholds[i : i + 2])
            chronaxie = float(np.exp(x0 + (np.log(2 * rheo) - y0) * (x1 - x0) / (y1 - y0)))
    return StrengthDurationResult(model.name, durations, thresholds, rheo, float(rheobase_duration_ms),
                                  chronaxie, rel_tol)


# ---------------------------------------------------------------------------------- refractoriness
@dataclass(frozen=True)
class RefractoryProtocol:
    """Paired-pulse protocol for refractory periods.

    A conditioning pulse (``conditioning_duration_ms`` long, ``conditioning_factor`` × the
    control threshold) is applied from rest at t = 0 and elicits a spike at time t_s (the
    upward threshold crossing). A test pulse of ``test_duration_ms`` starts at t_s + Δ: the
    interval Δ is measured **from the conditioning spike** (threshold crossing), not from the
    pulse onset. The *control threshold* is the threshold of the test pulse alone from rest.

    - absolute refractory period: the smallest Δ at which a test pulse of
      ``ceiling_factor`` × control threshold (the amplitude ceiling) elicits a second spike;
    - relative refractory period ends at the smallest Δ from which on a test pulse of
      (1 + ``recovery_tolerance``) × control threshold elicits a spike.

    Both are located on a scan of Δ with spacing ``scan_step_ms`` up to ``max_interval_ms``
    and refined by bisection to ``interval_tol_ms``.
    """

    conditioning_duration_ms: float = 1.0
    conditioning_factor: float = 2.0
    test_duration_ms: float = 1.0
    ceiling_factor: float = 10.0
    recovery_tolerance: float = 0.05
    max_interval_ms: float = 40.0
    scan_step_ms: float = 2.0
    interval_tol_ms: float = 0.01
    observe_ms: float = 20.0

    def __post_init__(self):
        for name in ("conditioning_duration_ms", "test_duration_ms", "max_interval_ms", "scan_step_ms",
                     "interval_tol_ms", "observe_ms"):
            check_number(name, getattr(self, name), positive=True)
        if check_number("conditioning_factor", self.conditioning_factor, positive=True) <= 1:
            raise ValueError(f"conditioning_factor must be > 1 (suprathreshold), got {self.conditioning_factor!r}")
        if check_number("ceiling_factor", self.ceiling_factor, positive=True) <= 1:
            raise ValueError(f"ceiling_factor must be > 1, got {self.ceiling_factor!r}")
        check_number("recovery_tolerance", self.recovery_tolerance, positive=True)

    def describe(self, control: float) -> str:
        return (f"conditioning pulse {self.conditioning_duration_ms:g} ms at {self.conditioning_factor:g} × "
                f"control ({self.conditioning_factor * control:.4g} µA/cm²); test pulse {self.test_duration_ms:g} ms; "
                f"interval measured from the conditioning spike's threshold crossing to the test-pulse onset; "
                f"absolute = no spike up to the ceiling {self.ceiling_factor:g} × control "
                f"({self.ceiling_factor * control:.4g} µA/cm²); relative ends when (1 + {self.recovery_tolerance:g}) "
                f"× control ({(1 + self.recovery_tolerance) * control:.4g} µA/cm²) elicits a spike")


@dataclass(frozen=True)
class RefractoryResult(Result):
    """Absolute and relative refractory periods (ms) under the stated :class:`RefractoryProtocol`.

    Table (:meth:`columns`): the recovery curve, ``interval_ms`` and ``test_threshold_uA_per_cm2``
    (empty unless ``refractory_periods(..., recovery_curve=True)``).
    """

    model_name: str
    absolute_ms: float
    relative_end_ms: float
    control_threshold: float
    conditioning_spike_ms: float
    protocol: RefractoryProtocol
    description: str
    recovery_intervals_ms: np.ndarray = field(repr=False)
    recovery_thresholds: np.ndarray = field(repr=False)

    def columns(self) -> dict:
        return {"interval_ms": self.recovery_intervals_ms, "test_threshold_uA_per_cm2": self.recovery_thresholds}

    def plot(self, ax=None):
        """Test-pulse threshold against interval (if recorded) with both periods marked; returns the Axes."""
        ax = new_axes(ax)
        if self.recovery_intervals_ms.size:
            finite = np.isfinite(self.recovery_thresholds)
            ax.semilogy(self.recovery_intervals_ms[finite], self.recovery_thresholds[finite], "o-", color="C0",
                        label="test threshold")
            ax.set_yscale("log")
        ax.axhline(self.control_threshold, color="0.5", ls="--", lw=1, label="control threshold")
        ax.axhline(self.protocol.ceiling_factor * self.control_threshold, color="0.7", ls=":", lw=1,
                   label="amplitude ceiling")
        ax.axvspan(0, self.absolute_ms, color="C3", alpha=0.15, lw=0, label=f"absolute {self.absolute_ms:.2f} ms")
        ax.axvspan(self.absolute_ms, self.relative_end_ms, color="C1", alpha=0.12, lw=0,
                   label=f"relative until {self.relative_end_ms:.2f} ms")
        ax.set_xlabel("interval after conditioning spike (ms)")
        ax.set_ylabel("test-pulse threshold (µA/cm²)")
        ax.set_title(f"{self.model_name}: refractoriness")
        ax.legend(frameon=False, fontsize="small")
        return ax


def refractory_periods(model, protocol: RefractoryProtocol | None = None, *, recovery_curve: bool = False,
                       detector: SpikeDetector = _DEFAULT_DETECTOR, y0=None, rtol: float = 1e-7,
                       atol: float = 1e-8) -> RefractoryResult:
    """Absolute and relative refractory periods from paired pulses (see :class:`RefractoryProtocol`).

    The conditioning run is integrated once with dense output; each test trial starts from its
    state at the test onset, so a trial costs only the test pulse and the observation window.
    With ``recovery_curve`` the test threshold is also bisected (1 % tolerance) at each scan
    interval, for the plot.
    """
    protocol = protocol or RefractoryProtocol()
    if not isinstance(protocol, RefractoryProtocol):
        raise ValueError(f"protocol must be a RefractoryProtocol, got {protocol!r}")
    rest = _rest(model, y0)
    control = threshold(model, protocol.test_duration_ms, tol=1e-9, rel_tol=1e-4, observe_ms=protocol.observe_ms,
                        detector=detector, y0=rest, rtol=rtol, atol=atol).amplitude
    horizon = protocol.max_interval_ms + protocol.conditioning_duration_ms + 20.0
    cond = simulate(model, horizon, Step(0.0, protocol.conditioning_duration_ms, protocol.conditioning_factor * control),
                    rest, events=replace(detector, terminal=False), dense_output=True, t_eval=(), rtol=rtol, atol=atol)
    t_s = _first_event(cond)
    if t_s is None:
        raise ValueError(f"protocol: the conditioning pulse did not elicit a spike in {model.name}")
    ceiling = protocol.ceiling_factor * control
    recovered = (1.0 + protocol.recovery_tolerance) * control

    def spikes_at(delta, amplitude):
        onset = t_s + delta
        return _pulse_spikes(model, None, amplitude, protocol.test_duration_ms, protocol.observe_ms, detector,
                             rtol, atol, t0=onset, y_start=cond.sol(onset))

    grid = np.arange(protocol.scan_step_ms, protocol.max_interval_ms + 1e-9, protocol.scan_step_ms)
    grid = grid[grid + t_s <= horizon]  # the conditioning run provides the state at each test onset
    at_ceiling = np.array([spikes_at(d, ceiling) is not None for d in grid])
    at_recovered = np.array([spikes_at(d, recovered) is not None for d in grid])

    def refine(flags, amplitude, what):
        # the first grid point from which the predicate holds to the end of the scan
        if not flags[-1]:
            raise ValueError(
                f"protocol: {what} of {model.name} not reached within max_interval_ms = {protocol.max_interval_ms:g} ms"
            )
        false = np.flatnonzero(~flags)
        k = 0 if false.size == 0 else false[-1] + 1
        hi = grid[k]
        lo = grid[k - 1] if k > 0 else 0.0
        while hi - lo > protocol.interval_tol_ms:
            mid = 0.5 * (lo + hi)
            if spikes_at(mid, amplitude) is not None:
                hi = mid
            else:
                lo = mid
        return float(hi)

    absolute = refine(at_ceiling, ceiling, "recovery up to the amplitude ceiling")
    relative = refine(at_recovered, recovered, "recovery to the control threshold")
    intervals = np.empty(0)
    thresholds = np.empty(0)
    if recovery_curve:
        intervals = grid
        values = []
        for d in grid:
            lo, hi, _, _ = _bisect_amplitude(lambda a: spikes_at(d, a), 1e-9, 0.01, ceiling * 10, start=control)
            values.append(hi)
        thresholds = np.array(values)
    return RefractoryResult(model.name, absolute, relative, control, t_s, protocol, protocol.describe(control),
                            intervals, thresholds)


# ---------------------------------------------------------------------------------- F–I curve
@dataclass(frozen=True)
class FIPoint(Record):
    """Steady firing at one current: rate (Hz), number of peaks counted, peak-to-trough
    amplitude (mV) in the measurement window, and whether an unstable equilibrium was nudged."""

    I_ext: float
    rate_hz: float
    n_peaks: int
    amplitude_mV: float
    y_end: np.ndarray = field(repr=False)
    kicked: bool = False


@dataclass(frozen=True)
class FICurve(Result):
    """Steady firing rate (Hz) against constant current I_ext (µA/cm²), swept up and down.

    The up sweep starts at rest at the lowest current; the down sweep starts from the up
    sweep's final state at the highest current. Each step ramps I_ext from the previous value
    at ``ramp_rate`` µA/cm²/ms (slowly enough not to trigger a spike by itself; an abrupt step
    of more than the rheobase would), waits ``settle_ms`` after the ramp and counts oscillation
    peaks of prominence ≥ ``min_prominence_mV`` during ``measure_ms``; rate = 1000·(k − 1)/(t_k − t_1)
    with at least ``min_peaks`` peaks, else 0. A quiet state near an *unstable* equilibrium is nudged by
    ``kick_mV`` (``kicked_up``/``kicked_down`` record where). ``bistable_band`` is the interval
    [lowest, highest] of the currents at which the two sweeps disagree (down sweep firing, up
    sweep at rest), or None. Table (:meth:`columns`): ``I_ext_uA_per_cm2``, the rates (Hz) and
    amplitudes (mV) of both sweeps and whether each point was nudged (``kicked_up``/``kicked_down``).
    """

    model_name: str
    currents: np.ndarray
    rate_up: np.ndarray
    rate_down: np.ndarray
    amplitude_up: np.ndarray
    amplitude_down: np.ndarray
    onset_current: float
    onset_rate: float
    offset_current: float
    bistable_band: tuple | None
    settle_ms: float
    measure_ms: float
    ramp_rate: float
    min_prominence_mV: float
    min_peaks: int
    kick_mV: float = 1.0
    kicked_up: np.ndarray = field(default=None, repr=False)
    kicked_down: np.ndarray = field(default=None, repr=False)

    @property
    def lowest_rate(self) -> float:
        """The lowest non-zero steady rate of either sweep (Hz); > 0 Hz jump means class 2."""
        rates = np.concatenate([self.rate_up, self.rate_down])
        rates = rates[np.isfinite(rates) & (rates > 0)]
        return float(rates.min()) if rates.size else math.nan

    def onset_class(self, **options):
        """Hodgkin's excitability class read from this curve's up sweep near the onset, with the
        fitted power law f = a·(I − I_c)^β (:func:`analysis.onset_class.excitability_class`,
        ``options`` go to it): an :class:`~analysis.onset_class.OnsetClass`."""
        from .onset_class import excitability_class

        return excitability_class(self, **options)

    def columns(self) -> dict:
        cols = {"I_ext_uA_per_cm2": self.currents, "rate_up_Hz": self.rate_up, "rate_down_Hz": self.rate_down,
                "amplitude_up_mV": self.amplitude_up, "amplitude_down_mV": self.amplitude_down}
        for name in ("kicked_up", "kicked_down"):
            if getattr(self, name) is not None:
                cols[name] = np.asarray(getattr(self, name), dtype=bool)
        return cols

    def plot(self, ax=None):
        """Rate against current for both sweeps, the bistable band shaded; returns the Axes."""
        ax = new_axes(ax)
        ax.plot(self.currents, self.rate_up, "o-", color="C0", ms=4, label="sweep up (from rest)")
        if np.any(np.isfinite(self.rate_down)):
            ax.plot(self.currents, self.rate_down, "s--", color="C3", ms=3, mfc="none",
                    label="sweep down (from firing)")
        if self.bistable_band is not None:
            lo, hi = self.bistable_band
            ax.axvspan(lo, hi, color="C1", alpha=0.15, lw=0, label=f"bistable {lo:g}–{hi:g} µA/cm²")
        ax.set_xlabel("I_ext (µA/cm²)")
        ax.set_ylabel("firing rate (Hz)")
        ax.set_title(f"{self.model_name}: F–I curve")
        ax.legend(frameon=False, fontsize="small")
        return ax


def _fi_point(model, I_from: float, I_to: float, y0, *, settle_ms, measure_ms, ramp_rate, min_prominence, min_peaks,
              index, kick_mV=1.0, escape_ms=400.0, dt=0.02, rtol=1e-6, atol=1e-7) -> FIPoint:
    """The single per-current simulation of the F–I experiment.

    Ramps I_ext from ``I_from`` to ``I_to`` at ``ramp_rate`` (µA/cm²/ms; None: abrupt step)
    starting from state ``y0``, integrates for a further ``settle_ms`` + ``measure_ms`` and
    counts peaks in the measurement window.
    If the model is then still quiet but sitting at an *unstable* equilibrium, it is nudged by
    ``kick_mV`` in V, integrated until its oscillation has grown by 2 × ``min_prominence`` (at
    most ``escape_ms``; near a Hopf point the instability grows too slowly to leave the exact
    equilibrium otherwise), and measured again after ``settle_ms``. (A batch engine can replace
    this function; everything else in :func:`fi_curve` is bookkeeping.)
    """
    base = model.with_params(I_ext=I_from)
    ramp_ms = 0.0 if ramp_rate is None else abs(I_to - I_from) / ramp_rate
    stim = Ramp(0.0, ramp_ms, 0.0, I_to - I_from, hold=True) if ramp_ms > 0 else None
    if stim is None:
        base = model.with_params(I_ext=I_to)
    t_end = ramp_ms + settle_ms + measure_ms
    samples = np.arange(ramp_ms + settle_ms, t_end + 0.5 * dt, dt)
    y, y_end = _sampled_run(base, y0, t_end, stim, samples, dt, rtol, atol)
    rate, n_peaks, amplitude = _count_peaks(samples, y[index], min_prominence, min_peaks, dt)
    unstable = False
    if rate == 0.0 and kick_mV > 0:
        target = model.with_params(I_ext=I_to)
        eq = _near_unstable_equilibrium(target, y_end, max_distance_mV=2.0 * min_prominence)
        if eq is not None:
            # an unstable equilibrium is left in any real system; nudge it, as noise would, and
            # wait (at most escape_ms) until the oscillation has grown by 2 × min_prominence
            unstable = True
            y_kick = y_end.copy()
            y_kick[index] += kick_mV
            variable = model.state_names[index]
            level = float(detection_values(target, variable, eq[index])) + 2.0 * min_prominence
            escape = simulate(target, escape_ms, None, y_kick, events=SpikeDetector(level, variable), t_eval=(),
                              rtol=rtol, atol=atol)
            t_end = settle_ms + measure_ms
            samples = np.arange(settle_ms, t_end + 0.5 * dt, dt)
            y, y_end = _sampled_run(target, escape.y_final, t_end, None, samples, dt, rtol, atol)
            rate, n_peaks, amplitude = _count_peaks(samples, y[index], min_prominence, min_peaks, dt)
    return FIPoint(float(I_to), float(rate), int(n_peaks), amplitude, y_end, unstable)


def _sampled_run(model, y0, t_end, stimulus, samples, dt, rtol, atol):
    """States at ``samples`` (shape (n, len(samples))) and the final state of a run from t = 0.

    Uses the compiled Dormand–Prince engine (:func:`hhdyn.batch.simulate_batch`, about 100×
    faster than scipy here) when it supports the model, and scipy otherwise.
    """
    try:
        result = simulate_batch(model, t_end, stimulus=stimulus, y0=y0, rtol=rtol, atol=atol, record=dt)
    except UnsupportedModelError:
        r = simulate(model, t_end, stimulus, y0, t_eval=samples, rtol=rtol, atol=atol)
        return r.y, r.y_final
    if result.failed[0]:
        raise SimulationError(f"{model.name}: {result.messages[0]}")
    trace = result.traces[0]
    y = np.vstack([np.interp(samples, result.t, row) for row in trace])
    return y, result.final_state[:, 0].copy()


def _near_unstable_equilibrium(model, y, max_distance_mV: float = 2.0):
    """The equilibrium near ``y`` (Newton's method) if it has an eigenvalue with Re λ > 0, else None."""
    x = np.asarray(y, dtype=float).copy()
    for _ in range(20):
        f = model.rhs(x)
        try:
            dx = np.linalg.solve(model.jacobian(x), -f)
        except np.linalg.LinAlgError:
            return None
        x = x + dx
        if not np.all(np.isfinite(x)):
            return None
        if np.max(np.abs(dx)) < 1e-10 * max(1.0, np.max(np.abs(x))):
            break
    else:
        return None
    if abs(x[0] - y[0]) > max_distance_mV:
        return None
    return x if np.max(np.linalg.eigvals(model.jacobian(x)).real) > 0 else None


def _count_peaks(samples, v, min_prominence, min_peaks, dt):
    """(rate Hz, number of peaks, peak-to-trough amplitude mV) of a sampled trace."""
    from scipy.signal import find_peaks

    peaks, _ = find_peaks(v, prominence=min_prominence)
    # a peak is only counted if the trace falls again before the window ends
    if peaks.size and peaks[-1] >= v.size - 2:
        peaks = peaks[:-1]
    if peaks.size >= min_peaks:
        # parabolic refinement of the peak times
        a, b, c = v[peaks - 1], v[peaks], v[peaks + 1]
        denom = a - 2 * b + c
        shift = np.where(denom != 0, 0.5 * (a - c) / np.where(denom != 0, denom, 1.0), 0.0)
        times = samples[peaks] + shift * dt
        rate = 1000.0 * (times.size - 1) / (times[-1] - times[0])
        amplitude = float(np.max(v) - np.min(v))
    else:
        rate, amplitude = 0.0, float(np.max(v) - np.min(v))
    return rate, int(peaks.size), amplitude


def fi_curve(model, start: float = 0.0, stop: float = 50.0, step: float = 1.0, *, currents=None,
             sweep: str = "both", settle_ms: float = 60.0, measure_ms: float = 120.0, ramp_rate: float | None = 0.02,
             min_prominence_mV: float = 5.0, min_peaks: int = 3, kick_mV: float = 1.0, escape_ms: float = 400.0,
             stop_after: int | None = None, variable: str = "V", y0=None,
             rtol: float = 1e-6, atol: float = 1e-7, progress: Callable[[str], None] | None = None) -> FICurve:
    """F–I curve of ``model``: steady firing rate at each I_ext in [start, stop] (step ``step``).

    ``currents`` (an increasing sequence) overrides start/stop/step. ``sweep`` is "both" (up
    from rest, then down from the state reached at the top) or "up". The state at the end of
    each current is the start of the next, which is what reveals hysteresis: for HH the up
    sweep stays at rest until the subcritical Hopf point (I ≈ 9.78) while the down sweep keeps
    firing down to the fold of limit cycles (I ≈ 6.26). Spikes are counted as peaks of
    ``variable`` with prominence ≥ ``min_prominence_mV`` (so the small oscillations of HH above
    ≈ 60 µA/cm², which do not overshoot 0 mV, are counted). Just above the Hopf point rest is
    unstable but the instability grows over seconds, so a quiet state that is an unstable
    equilibrium (Newton + eigenvalues) is nudged by ``kick_mV`` in V and given up to ``escape_ms``
    to leave; a *stable* rest is never kicked, so the bistable band is not shrunk. With
    ``stop_after`` = k (up sweep only) the sweep ends after k firing currents (cheap onset
    measurement; the curve then covers only the currents visited). ``progress`` gets one line per point.
    """
    if currents is None:
        start = check_number("start", start)
        stop = check_number("stop", stop)
        step = check_number("step", step, positive=True)
        if start >= stop:
            raise ValueError(f"start must be < stop, got start={start:g}, stop={stop:g}")
        currents = np.arange(start, stop + 0.5 * step, step)
        currents = currents[currents <= stop + 1e-9 * max(1.0, abs(stop))]
    else:
        currents = np.asarray(currents, dtype=float)
        if currents.ndim != 1 or currents.size == 0 or not np.all(np.isfinite(currents)):
            raise ValueError(f"currents must be a non-empty sequence of finite numbers, got {currents!r}")
        if np.any(np.diff(currents) <= 0):
            raise ValueError("currents must be strictly increasing (start < stop)")
    if sweep not in ("both", "up"):
        raise ValueError(f"sweep must be 'both' or 'up', got {sweep!r}")
    if stop_after is not None:
        if int(stop_after) != stop_after or stop_after < 1:
            raise ValueError(f"stop_after must be a positive integer, got {stop_after!r}")
        if sweep != "up":
            raise ValueError("stop_after needs sweep='up'")
    settle_ms = check_number("settle_ms", settle_ms, nonnegative=True)
    measure_ms = check_number("measure_ms", measure_ms, positive=True)
    if ramp_rate is not None:
        ramp_rate = check_number("ramp_rate", ramp_rate, positive=True)
    min_prominence_mV = check_number("min_prominence_mV", min_prominence_mV, positive=True)
    if int(min_peaks) != min_peaks or min_peaks < 2:
        raise ValueError(f"min_peaks must be an integer >= 2, got {min_peaks!r}")
    index = model.state_index(variable)
    options = dict(settle_ms=settle_ms, measure_ms=measure_ms, ramp_rate=ramp_rate, min_prominence=min_prominence_mV,
                   min_peaks=int(min_peaks), index=index, kick_mV=check_number("kick_mV", kick_mV, nonnegative=True),
                   escape_ms=check_number("escape_ms", escape_ms, positive=True), rtol=rtol, atol=atol)

    y = _rest(model.with_params(I_ext=float(currents[0])), None) if y0 is None else _rest(model, y0)
    up, previous = [], float(currents[0])
    for I in currents:
        point = _fi_point(model, previous, float(I), y, **options)
        up.append(point)
        y, previous = point.y_end, float(I)
        if progress:
            progress(f"up   I = {I:g} µA/cm²: {point.rate_hz:.2f} Hz")
        if stop_after is not None and sum(p.rate_hz > 0 for p in up) >= stop_after:
            currents = currents[: len(up)]
            break
    down = []
    if sweep == "both":
        for I in currents[::-1]:
            point = _fi_point(model, previous, float(I), y, **options)
            down.append(point)
            y, previous = point.y_end, float(I)
            if progress:
                progress(f"down I = {I:g} µA/cm²: {point.rate_hz:.2f} Hz")
        down = down[::-1]
    rate_up = np.array([p.rate_hz for p in up])
    amp_up = np.array([p.amplitude_mV for p in up])
    if down:
        rate_down = np.array([p.rate_hz for p in down])
        amp_down = np.array([p.amplitude_mV for p in down])
    else:
        rate_down = np.full(currents.size, np.nan)
        amp_down = np.full(currents.size, np.nan)
    firing_up = np.flatnonzero(rate_up > 0)
    onset = float(currents[firing_up[0]]) if firing_up.size else math.nan
    onset_rate = float(rate_up[firing_up[0]]) if firing_up.size else math.nan
    firing_down = np.flatnonzero(rate_down > 0)
    offset = float(currents[firing_down[0]]) if firing_down.size else math.nan
    disagree = np.flatnonzero((rate_down > 0) & (rate_up == 0))
    band = (float(currents[disagree[0]]), float(currents[disagree[-1]])) if disagree.size else None
    return FICurve(model.name, currents, rate_up, rate_down, amp_up, amp_down, onset, onset_rate, offset, band,
                   settle_ms, measure_ms, ramp_rate, min_prominence_mV, int(min_peaks), float(kick_mV),
                   np.array([p.kicked for p in up]), np.array([p.kicked for p in down], dtype=bool))


# ---------------------------------------------------------------------------------- anode break
@dataclass(frozen=True)
class AnodeBreakResult(Result):
    """Response to release from a hyperpolarizing step (anode-break excitation).

    ``spiked`` tells whether a spike followed the release within ``observe_ms``; ``latency_ms``
    is measured from the release. ``threshold_amplitude`` (if searched) is the smallest
    hyperpolarizing amplitude (negative, µA/cm²) of a step of this duration that gives a
    rebound spike, to within ``threshold_tol``. Table (:meth:`columns`): ``t_ms``, ``V_mV``.
    """

    model_name: str
    amplitude: float
    duration_ms: float
    spiked: bool
    latency_ms: float
    threshold_amplitude: float
    threshold_tol: float
    t: np.ndarray = field(repr=False)
    V: np.ndarray = field(repr=False)

    def columns(self) -> dict:
        return {"t_ms": self.t, "V_mV": self.V}

    def plot(self, ax=None):
        """The voltage through the hyperpolarization and after release; returns the Axes."""
        ax = new_axes(ax)
        ax.plot(self.t, self.V, color="C0")
        ax.axvspan(0.0, self.duration_ms, color="C0", alpha=0.1, lw=0,
                   label=f"{self.amplitude:g} µA/cm² for {self.duration_ms:g} ms")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("V (mV)")
        extra = f", threshold {self.threshold_amplitude:.3g} µA/cm²" if math.isfinite(self.threshold_amplitude) else ""
        ax.set_title(f"{self.model_name}: anode break{extra}")
        ax.legend(frameon=False, fontsize="small")
        return ax


def anode_break(model, amplitude: float = -10.0, duration_ms: float = 20.0, *, observe_ms: float = 30.0,
                find_threshold: bool = True, threshold_tol: float = 0.01, max_amplitude: float = 200.0,
                detector: SpikeDetector = _DEFAULT_DETECTOR, y0=None, rtol: float = 1e-7,
                atol: float = 1e-8) -> AnodeBreakResult:
    """Hyperpolarizing step of ``amplitude`` (< 0) for ``duration_ms`` from rest, then release.

    A spike after release (within ``observe_ms``) is anode-break excitation: during the
    hyperpolarization h recovers (de-inactivates) and n closes, so on release the Na current
    wins. With ``find_threshold`` the smallest |amplitude| that gives a rebound spike is
    bisected (up to ``max_amplitude``; NaN if none).
    """
    amplitude = check_number("amplitude", amplitude)
    if amplitude >= 0:
        raise ValueError(f"amplitude must be negative (hyperpolarizing), got {amplitude!r}")
    duration_ms = check_number("duration_ms", duration_ms, positive=True)
    observe_ms = check_number("observe_ms", observe_ms, positive=True)
    rest = _rest(model, y0)

    def rebound(a):
        r = simulate(model, duration_ms + observe_ms, Step(0.0, duration_ms, -a), rest,
                     events=replace(detector, terminal=True), t_eval=(), rtol=rtol, atol=atol)
        spike = _first_event(r)
        return None if spike is None or spike < duration_ms else spike - duration_ms

    latency = rebound(-amplitude)
    t = np.arange(0.0, duration_ms + observe_ms + 1e-9, 0.02)
    trace = simulate(model, duration_ms + observe_ms, Step(0.0, duration_ms, amplitude), rest, t_eval=t,
                     rtol=rtol, atol=atol).y[detector.index(model)]
    thr = math.nan
    if find_threshold:
        lo, hi, _, _ = _bisect_amplitude(rebound, threshold_tol, 0.0, max_amplitude, start=1.0)
        thr = -hi if math.isfinite(hi) else math.nan
    return AnodeBreakResult(model.name, amplitude, duration_ms, latency is not None,
                            math.nan if latency is None else latency, thr, threshold_tol, t, trace)


# ---------------------------------------------------------------------------------- spike shape
@dataclass(frozen=True)
class ActionPotential(Result):
    """One action potential evoked from rest: peak (mV), half-width (ms), rest (mV).

    The half-width is the time V spends above (V_rest + V_peak)/2, with linear interpolation
    between samples (dt = 0.005 ms). Table (:meth:`columns`): ``t_ms``, ``V_mV``.
    """

    model_name: str
    rest_mV: float
    peak_mV: float
    half_width_ms: float
    stimulus: str
    t: np.ndarray = field(repr=False)
    V: np.ndarray = field(repr=False)

    def columns(self) -> dict:
        return {"t_ms": self.t, "V_mV": self.V}

    def plot(self, ax=None, **kwargs):
        """The spike's voltage trace; returns the Axes."""
        ax = new_axes(ax)
        ax.plot(self.t, self.V, label=self.model_name, **kwargs)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("V (mV)")
        return ax


def action_potential(model, amplitude: float | None = None, duration_ms: float = 1.0, *, window_ms: float = 20.0,
                     variable: str = "V", y0=None, rtol: float = 1e-8, atol: float = 1e-9) -> ActionPotential:
    """Evoke one spike with a ``duration_ms`` pulse (default amplitude: 2 × its threshold)."""
    duration_ms = check_number("duration_ms", duration_ms, positive=True)
    window_ms = check_number("window_ms", window_ms, positive=True)
    rest = _rest(model, y0)
    if amplitude is None:
        amplitude = 2.0 * threshold(model, duration_ms, rel_tol=1e-3, y0=rest).amplitude
    amplitude = check_number("amplitude", amplitude)
    dt = 0.005
    t = np.arange(0.0, window_ms + 0.5 * dt, dt)
    v = simulate(model, window_ms, Step(0.0, duration_ms, amplitude), rest, t_eval=t, rtol=rtol,
                 atol=atol).y[model.state_index(variable)]
    k = int(np.argmax(v))
    v_rest = float(rest[model.state_index(variable)])
    half = 0.5 * (v_rest + v[k])
    above = v >= half
    i0 = k
    while i0 > 0 and above[i0 - 1]:
        i0 -= 1
    i1 = k
    while i1 < v.size - 1 and above[i1 + 1]:
        i1 += 1
    width = math.nan
    if i0 > 0 and i1 < v.size - 1:
        t_up = t[i0 - 1] + (half - v[i0 - 1]) * dt / (v[i0] - v[i0 - 1])
        t_down = t[i1] + (v[i1] - half) * dt / (v[i1] - v[i1 + 1])
        width = float(t_down - t_up)
    return ActionPotential(model.name, v_rest, float(v[k]), width,
                           f"{duration_ms:g} ms pulse of {amplitude:.4g} µA/cm² from rest", t, v)
