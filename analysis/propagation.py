"""Passive cable theory and action-potential propagation on multi-compartment models.

Passive cable (Rall; Koch, *Biophysics of Computation*, ch. 2). For a cylinder of diameter d
with membrane resistance R_m = 1/g_m (Ω·cm², g_m in S/cm²) and axial resistivity R_a (Ω·cm):

    λ = √(d·R_m / (4·R_a))                         length constant
    R_∞ = 4·R_a·λ / (π·d²)                         input resistance of a semi-infinite cable
    R_in = R_∞·coth(L/λ)                           finite cable of length L, sealed far end
    V(x)/V(0) = cosh((L − x)/λ) / cosh(L/λ)        steady attenuation, current injected at x = 0

Propagation: an HH axon (:func:`hh_axon`) is stimulated at one end; the conduction velocity is
the distance between two compartments away from the ends (at ¼ and ¾ of the length by default)
divided by the difference of the times at which the spike's upstroke crosses 0 mV there.
For the squid giant axon (d = 476 µm, R_a = 35.4 Ω·cm, HH at 18.5 °C) the exact travelling wave
moves at 18.73 m/s (Hodgkin & Huxley 1952 computed 18.8 m/s by hand). Because the cable
equation rescales with x/√d, velocity grows as √d.

Every function returns a frozen dataclass with the numbers and a ``.plot(ax=None)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from hhdyn.cable import CableModel, CableResult, passive_membrane
from hhdyn.morphology import cable
from hhdyn.results import Result, new_axes
from hhdyn.squid import HodgkinHuxley
from hhdyn.stimuli import Step
from hhdyn.validation import check_number

__all__ = [
    "length_constant_um",
    "input_resistance_sealed_MOhm",
    "attenuation_sealed",
    "PassiveCableCheck",
    "passive_cable_check",
    "hh_axon",
    "end_stimulus",
    "conduction_velocity",
    "VelocityResult",
    "measure_conduction_velocity",
    "VelocityDiameterResult",
    "velocity_vs_diameter",
    "CollisionResult",
    "collision",
    "AxonRefractoryResult",
    "refractoriness",
]


# ---------------------------------------------------------------------- passive theory
def length_constant_um(diameter_um: float, Ra_ohm_cm: float, g_m_mS_per_cm2: float) -> float:
    """λ = √(d·R_m/(4·R_a)) in µm, with R_m = 1000/g_m Ω·cm² (g_m in mS/cm²)."""
    d = check_number("diameter_um", diameter_um, positive=True) * 1e-4
    Rm = 1e3 / check_number("g_m_mS_per_cm2", g_m_mS_per_cm2, positive=True)
    return math.sqrt(d * Rm / (4.0 * check_number("Ra_ohm_cm", Ra_ohm_cm, positive=True))) * 1e4


def input_resistance_sealed_MOhm(length_um: float, diameter_um: float, Ra_ohm_cm: float, g_m_mS_per_cm2: float) -> float:
    """R_in = R_∞·coth(L/λ) (MΩ) of a finite cable with a sealed far end, R_∞ = 4·R_a·λ/(π d²)."""
    lam_um = length_constant_um(diameter_um, Ra_ohm_cm, g_m_mS_per_cm2)
    d = diameter_um * 1e-4
    R_inf = 4.0 * Ra_ohm_cm * lam_um * 1e-4 / (math.pi * d * d)
    return R_inf / math.tanh(check_number("length_um", length_um, positive=True) / lam_um) * 1e-6


def attenuation_sealed(x_um, length_um: float, lambda_um: float):
    """V(x)/V(0) = cosh((L − x)/λ)/cosh(L/λ) for current injected at x = 0, sealed end at L."""
    x = np.asarray(x_um, dtype=float)
    return np.cosh((length_um - x) / lambda_um) / np.cosh(length_um / lambda_um)


@dataclass(frozen=True)
class PassiveCableCheck(Result):
    """Simulated vs analytic steady state of a passive sealed-end cable with current into
    compartment 0 (centre at h/2 from the end x = 0).

    ``ratio`` = V_i/V_0 (measured at compartment centres ``x_um``), ``ratio_analytic`` =
    cosh((L − x)/λ)/cosh(L/λ); ``R_in_MOhm`` = V_0/I vs ``R_in_analytic_MOhm``. Table
    (:meth:`columns`): ``x_um``, ``dV_mV``, ``ratio``, ``ratio_analytic``.
    """

    x_um: np.ndarray
    dV_mV: np.ndarray
    ratio: np.ndarray
    ratio_analytic: np.ndarray
    lambda_um: float
    length_um: float
    n_segments: int
    R_in_MOhm: float
    R_in_analytic_MOhm: float
    how: str

    @property
    def max_attenuation_error(self) -> float:
        """max |ratio/ratio_analytic − 1| over the compartments."""
        return float(np.max(np.abs(self.ratio / self.ratio_analytic - 1.0)))

    @property
    def input_resistance_error(self) -> float:
        """|R_in/R_in_analytic − 1|."""
        return abs(self.R_in_MOhm / self.R_in_analytic_MOhm - 1.0)

    def columns(self) -> dict:
        """x (µm), ΔV (mV), simulated and analytic V(x)/V(0)."""
        return {"x_um": self.x_um, "dV_mV": self.dV_mV, "ratio": self.ratio, "ratio_analytic": self.ratio_analytic}

    def plot(self, ax=None):
        """Simulated against analytic attenuation along the cable; returns the Axes."""
        ax = new_axes(ax, figsize=(6, 3.5))
        ax.plot(self.x_um / self.lambda_um, self.ratio_analytic, "k-", lw=2, label="cosh((L−x)/λ)/cosh(L/λ)")
        ax.plot(self.x_um / self.lambda_um, self.ratio, "C1--", label=f"{self.n_segments} compartments ({self.how})")
        ax.set_xlabel("x / λ")
        ax.set_ylabel("V(x) / V(0)")
        ax.set_title(f"passive sealed cable, L = {self.length_um / self.lambda_um:.3g} λ; "
                     f"R_in = {self.R_in_MOhm:.4g} MΩ (theory {self.R_in_analytic_MOhm:.4g})", fontsize="small")
        ax.legend(frameon=False)
        return ax


def passive_cable_check(
    length_um: float = 1000.0,
    diameter_um: float = 2.0,
    Ra_ohm_cm: float = 100.0,
    g_m_mS_per_cm2: float = 0.1,
    n_segments: int = 200,
    current_nA: float = 0.1,
    how: str = "run",
    t_end_ms: float = 200.0,
    dt: float = 0.1,
) -> PassiveCableCheck:
    """Inject a constant current into the end compartment of a passive cable and compare the
    steady state with cable theory.

    ``how="run"`` integrates the compartmental model (backward Euler) for ``t_end_ms`` (many
    membrane time constants C/g_m); ``how="linear"`` solves the steady linear system directly.
    With 200 compartments over one length constant the compartmental error is ~0.2 %
    (the electrode sits at the first compartment's centre, h/2 from the end).
    """
    membrane = passive_membrane(C=1.0, g=g_m_mS_per_cm2, E=-65.0)
    morph = cable(length_um, diameter_um, n_segments, Ra_ohm_cm, region="cable")
    model = CableModel(morph, membrane)
    if how == "run":
        res = model.run(t_end_ms, dt, injections={0: current_nA}, method="be", record="all")
        dV = res.V[:, -1] - res.V[:, 0]
    elif how == "linear":
        dV = model.steady_state_response({0: current_nA})
    else:
        raise ValueError(f"how must be 'run' or 'linear', got {how!r}")
    lam = length_constant_um(diameter_um, Ra_ohm_cm, g_m_mS_per_cm2)
    x = morph.distance_um + 0.5 * morph.length_um[0]
    return PassiveCableCheck(
        x_um=x,
        dV_mV=dV,
        ratio=dV / dV[0],
        ratio_analytic=attenuation_sealed(x, length_um, lam),
        lambda_um=lam,
        length_um=float(length_um),
        n_segments=int(n_segments),
        R_in_MOhm=float(dV[0] / current_nA),  # mV/nA = MΩ
        R_in_analytic_MOhm=input_resistance_sealed_MOhm(length_um, diameter_um, Ra_ohm_cm, g_m_mS_per_cm2),
        how=how,
    )


# ---------------------------------------------------------------------- active propagation
def hh_axon(
    length_cm: float = 5.0,
    diameter_um: float = 476.0,
    Ra_ohm_cm: float = 35.4,
    celsius: float = 18.5,
    segment_um: float | None = None,
    membrane=None,
) -> CableModel:
    """An unbranched axon with HH membrane (the squid giant axon by default).

    ``segment_um`` defaults to λ/40 with λ the length constant of the resting membrane's
    slope conductance (≈ 175 µm for the squid axon), which keeps the velocity within ~0.3 %
    of its converged value. ``membrane`` (default HH at ``celsius``) may be any
    ConductanceModel; its temperature is set to ``celsius``.
    """
    length_um = check_number("length_cm", length_cm, positive=True) * 1e4
    diameter_um = check_number("diameter_um", diameter_um, positive=True)
    membrane = HodgkinHuxley() if membrane is None else membrane
    membrane = membrane.with_params(T=float(celsius))
    if segment_um is None:
        segment_um = _slope_length_constant_um(membrane, diameter_um, Ra_ohm_cm) / 40.0
    n = max(3, int(math.ceil(length_um / check_number("segment_um", segment_um, positive=True))))
    return CableModel(cable(length_um, diameter_um, n, Ra_ohm_cm), membrane)


def _slope_length_constant_um(membrane, diameter_um, Ra_ohm_cm) -> float:
    rest = membrane.resting_state()
    g = float(membrane.steady_state_current_deriv(rest[0]))
    return length_constant_um(diameter_um, Ra_ohm_cm, max(g, 1e-6))


def end_stimulus(model: CableModel, duration_ms: float = 0.5) -> Step:
    """A current pulse (nA) for the end of an axon, ≈ 3× threshold for HH: the charge that
    lifts one length constant of membrane (λ of the resting slope conductance) by 30 mV in
    half the pulse."""
    morph = model.morphology
    d_um = float(morph.diameter_um[0])
    lam_cm = _slope_length_constant_um(model.membrane_of(morph.nodes[0]), d_um, morph.Ra_ohm_cm) * 1e-4
    C = float(model.C[0])
    amplitude_nA = C * math.pi * d_um * 1e-4 * lam_cm * 30.0 / (duration_ms / 2) * 1e3
    return Step(0.0, duration_ms, amplitude_nA)


def conduction_velocity(result: CableResult, node_a, node_b, threshold: float = 0.0) -> float:
    """Velocity (m/s) of the first spike from ``node_a`` to ``node_b``: path distance over the
    difference of the upward ``threshold`` (mV) crossing times. NaN if either never spikes."""
    morph = result.morphology
    dx_um = morph.distance_um_of(node_b) - morph.distance_um_of(node_a)
    first = result.first_spike_times(threshold)
    dt_ms = first[result.row(node_b)] - first[result.row(node_a)]
    if not np.isfinite(dt_ms) or dt_ms == 0:
        return float("nan")
    return float(dx_um / dt_ms * 1e-3)  # µm/ms = 1e-3 m/s


@dataclass(frozen=True)
class VelocityResult(Result):
    """Conduction velocity of an axon: arrival times of the spike along it and the velocity
    between the compartments at ``x_a_um`` and ``x_b_um``.

    For a converged measurement (``converged_by="richardson"``) ``velocity_m_per_s`` is the
    Richardson extrapolation to dx, dt → 0, ``error_m_per_s`` its estimated error, and
    ``refinements`` the runs it came from, ``(segment_um, dt, velocity)`` each; ``segment_um``,
    ``dt``, ``result`` and the arrival times belong to the finest run. A single run has
    ``converged_by="single run"``, ``error_m_per_s`` NaN and one refinement. ``message`` says
    how the number was obtained.
    Table (:meth:`columns`): ``x_um``, ``arrival_ms``.
    """

    velocity_m_per_s: float
    x_a_um: float
    x_b_um: float
    x_um: np.ndarray
    arrival_ms: np.ndarray
    diameter_um: float
    celsius: float
    segment_um: float
    dt: float
    result: CableResult = field(repr=False)
    error_m_per_s: float = float("nan")
    refinements: tuple = ()
    converged_by: str = "single run"
    length_cm: float = float("nan")
    message: str = ""

    def plot(self, ax=None):
        """Arrival time of the spike vs distance, with the measuring points marked; returns the Axes."""
        ax = new_axes(ax, figsize=(6, 3.5))
        ax.plot(self.x_um * 1e-4, self.arrival_ms, "k.-", ms=3)
        for x in (self.x_a_um, self.x_b_um):
            ax.axvline(x * 1e-4, color="C1", lw=0.8, ls="--")
        ax.set_xlabel("distance (cm)")
        ax.set_ylabel("spike arrival (ms)")
        ax.set_title(f"d = {self.diameter_um:g} µm, {self.celsius:g} °C: {self.velocity_m_per_s:.3f} m/s", fontsize="small")
        return ax

    def kymograph(self, ax=None):
        return self.result.kymograph(ax)

    def columns(self) -> dict:
        """Distance (µm) and first-spike arrival time (ms) of every compartment."""
        return {"x_um": self.x_um, "arrival_ms": self.arrival_ms}


#: Where the converged measurement looks at the wave: from 8 λ after the stimulated end (the
#: start-up transient has decayed to ~1e-5 relative there for the squid axon) to 4 λ before
#: the sealed far end (which speeds the spike up as it approaches); λ of the resting slope
#: conductance. Shorter axons are measured between ¼ and ¾ of their length.
STEADY_START_LAMBDA = 8.0
STEADY_END_LAMBDA = 4.0
STEADY_LENGTH_LAMBDA = 16.0


def _velocity_run(model, a, b, stim, dt, t_end_ms, method, record, record_dt=None):
    res = model.run(t_end_ms, dt, injections={0: stim}, method=method, record=record, record_dt=record_dt)
    return conduction_velocity(res, a, b), res


def measure_conduction_velocity(
    length_cm: float | None = None,
    diameter_um: float = 476.0,
    Ra_ohm_cm: float = 35.4,
    celsius: float = 18.5,
    segment_um: float | None = None,
    dt: float = 0.01,
    membrane=None,
    stimulus=None,
    t_end_ms: float | None = None,
    method: str = "cn",
    record_dt: float | None = None,
    *,
    converge: bool = True,
) -> VelocityResult:
    """Stimulate an HH axon (:func:`hh_axon`) at its end (compartment 0) and measure the
    conduction velocity of the spike.

    ``converge=True`` (default) reports the velocity converged in dx and dt, with an error
    estimate, by Richardson extrapolation of four runs of the Crank–Nicolson (second-order)
    scheme, v(h, τ) = v* + a·h² + b·τ² + …, with h = ``segment_um`` (default λ/40) and
    τ = ``dt``:

        A = v(h, τ),  B = v(h, τ/2),  E = v(h, τ/4),  C = v(h/2, τ/4)
        v_τ→0(h) = E + (E − B)/3        (its predecessor from A, B: B + (B − A)/3)
        v* = v_τ→0(h) + (4/3)·(C − E)
        error = |(E + (E−B)/3) − (B + (B−A)/3)| + |C − E|/3 + |v_first half − v_second half|

    (the first term: the change between successive time extrapolations; the second: the size
    of the last space correction — both bound the remainder when the runs are in the
    asymptotic range, which the second-order ratios (A−B)/(B−E) ≈ 4 confirm; the third: the
    difference of the finest run's velocities over the two halves of the measuring window, the
    bias of a wave that is not yet steady). The default axon is then 16 λ long (λ of the
    resting slope conductance; 8.6 cm for the squid axon) and the velocity is measured between
    8 λ from the stimulated end and 4 λ from the far end, where the travelling wave is steady;
    a given ``length_cm`` shorter than 16 λ is measured between ¼ and ¾ of its length (the
    result's message says so). Runs after the first stop 1.5 ms after the spike passed the far
    measuring point. The squid axon (476 µm, 35.4 Ω·cm) gives 18.73192 ± 0.0012 m/s at
    18.5 °C and 12.31371 ± 0.00025 m/s at 6.3 °C, in 3–5 s each (travelling-wave values:
    18.7319 and 12.3138 m/s).

    ``converge=False`` is one run at the given discretization (default length 5 cm, measured
    between the compartments at ¼ and ¾ of its length): 18.70 m/s for the squid axon at λ/40
    and dt = 0.01 ms.

    ``stimulus`` (nA, any hhdyn stimulus) defaults to a 0.5 ms pulse about 3× threshold;
    ``t_end_ms`` defaults to the time a 5 m/s spike needs to travel the length, plus 2 ms.
    Raises ValueError if the axon is shorter than 4 length constants, or if the spike does not
    reach the far measuring point.
    """
    if method not in ("cn", "crank-nicolson") and converge:
        raise ValueError(f"converge=True extrapolates the second-order Crank–Nicolson scheme; method must be "
                         f"'cn', got {method!r} (or pass converge=False for a single run)")
    probe = hh_axon(1.0, diameter_um, Ra_ohm_cm, celsius, 1.0e3, membrane)
    lam_um = _slope_length_constant_um(probe.membrane_of(probe.morphology.root), diameter_um, Ra_ohm_cm)
    if length_cm is None:
        length_cm = math.ceil(STEADY_LENGTH_LAMBDA * lam_um * 1e-2) * 1e-2 if converge else 5.0
    length_cm = check_number("length_cm", length_cm, positive=True)
    if length_cm * 1e4 < 4 * lam_um:
        raise ValueError(
            f"length_cm = {length_cm:g} is too short to measure the velocity away from the ends: the axon must be "
            f"at least 4 length constants long (4λ = {4 * lam_um * 1e-4:.3g} cm at diameter {diameter_um:g} µm)"
        )
    dt = check_number("dt", dt, positive=True, unit="ms")
    model = hh_axon(length_cm, diameter_um, Ra_ohm_cm, celsius, segment_um, membrane)
    h0 = float(model.morphology.length_um[0])
    steady = converge and length_cm * 1e4 >= STEADY_LENGTH_LAMBDA * lam_um

    def points(m):
        morph = m.morphology
        if steady:
            return morph.nearest(STEADY_START_LAMBDA * lam_um), morph.nearest(length_cm * 1e4 - STEADY_END_LAMBDA * lam_um)
        n = len(morph)
        return morph.nodes[n // 4], morph.nodes[(3 * n) // 4]

    def fail(m, b, t_end):
        return ValueError(
            f"no spike propagated from the stimulated end to {m.morphology.distance_um_of(b) * 1e-4:.3g} cm within "
            f"{t_end:g} ms (diameter {diameter_um} µm, {celsius} °C); increase t_end_ms or the stimulus"
        )

    stim = end_stimulus(model) if stimulus is None else stimulus
    t_end_first = t_end_ms if t_end_ms is not None else (length_cm * 1e-2 / 5.0 * 1e3 + 2.0)
    a, b = points(model)
    if not converge:
        t_end = round(t_end_first / dt) * dt
        v, res = _velocity_run(model, a, b, stim, dt, t_end, method, "all", record_dt)
        if not np.isfinite(v):
            raise fail(model, b, t_end)
        morph = model.morphology
        return VelocityResult(
            velocity_m_per_s=v, x_a_um=morph.distance_um_of(a), x_b_um=morph.distance_um_of(b),
            x_um=morph.distance_um.copy(), arrival_ms=res.first_spike_times(), diameter_um=float(diameter_um),
            celsius=float(celsius), segment_um=h0, dt=float(dt), result=res, refinements=((h0, float(dt), v),),
            converged_by="single run", length_cm=float(length_cm),
            message=f"one run with segments of {h0:.4g} µm and dt = {dt:g} ms (not extrapolated)",
        )
    fine_model = hh_axon(length_cm, diameter_um, Ra_ohm_cm, celsius, h0 / 2, membrane)
    plan = [(model, dt), (model, dt / 2), (model, dt / 4), (fine_model, dt / 4)]
    runs, t_stop = [], None
    for k, (m, tau) in enumerate(plan):
        ma, mb = points(m)
        last = k == len(plan) - 1
        t_end = round((t_end_first if t_stop is None else t_stop) / tau) * tau
        v, res = _velocity_run(m, ma, mb, stim, tau, t_end, "cn", "all" if last else [ma, mb],
                               record_dt if last else None)
        if not np.isfinite(v):
            raise fail(m, mb, t_end)
        if t_stop is None:
            t_stop = float(res.first_spike_times()[res.row(mb)]) + 1.5
        runs.append((float(m.morphology.length_um[0]), float(tau), v, res, m, ma, mb))
    A, B, E, C = (r[2] for r in runs)
    r1, r2 = B + (B - A) / 3, E + (E - B) / 3
    v_star = r2 + 4.0 * (C - E) / 3
    h_fine, tau_fine, _, res, m, ma, mb = runs[-1]
    morph = m.morphology
    # a wave still settling (or feeling the far end) moves at different speeds over the two
    # halves of the measuring window: their difference estimates that bias
    mid = morph.nearest(0.5 * (morph.distance_um_of(ma) + morph.distance_um_of(mb)))
    unsteady = abs(conduction_velocity(res, ma, mid) - conduction_velocity(res, mid, mb))
    error = abs(r2 - r1) + abs(C - E) / 3 + unsteady
    where = (f"the steady wave, {STEADY_START_LAMBDA:g} λ after the stimulated end to {STEADY_END_LAMBDA:g} λ before the far end" if steady else
             f"between ¼ and ¾ of the axon (shorter than {STEADY_LENGTH_LAMBDA:g} λ = {STEADY_LENGTH_LAMBDA * lam_um * 1e-4:.3g} cm, so the "
             "start-up transient is included)")
    return VelocityResult(
        velocity_m_per_s=float(v_star), x_a_um=morph.distance_um_of(ma), x_b_um=morph.distance_um_of(mb),
        x_um=morph.distance_um.copy(), arrival_ms=res.first_spike_times(), diameter_um=float(diameter_um),
        celsius=float(celsius), segment_um=h_fine, dt=tau_fine, result=res, error_m_per_s=float(error),
        refinements=tuple((r[0], r[1], r[2]) for r in runs), converged_by="richardson", length_cm=float(length_cm),
        message=(f"Richardson extrapolation of 4 Crank–Nicolson runs (segments {h0:.4g} and {h0 / 2:.4g} µm, dt "
                 f"{dt:g} … {dt / 4:g} ms) to dx, dt → 0, measured over {where}; estimated error "
                 f"{error:.2g} m/s ({error / v_star:.1e} relative)"),
    )


@dataclass(frozen=True)
class VelocityDiameterResult(Result):
    """Velocity at several diameters with the fitted power law v = a·d^exponent.
    Table (:meth:`columns`): ``diameter_um``, ``velocity_m_per_s``."""

    diameters_um: np.ndarray
    velocities_m_per_s: np.ndarray
    exponent: float
    prefactor: float

    def columns(self) -> dict:
        return {"diameter_um": self.diameters_um, "velocity_m_per_s": self.velocities_m_per_s}

    def sqrt_law_deviation(self) -> float:
        """max |v/(v₀·√(d/d₀)) − 1| relative to the first diameter."""
        pred = self.velocities_m_per_s[0] * np.sqrt(self.diameters_um / self.diameters_um[0])
        return float(np.max(np.abs(self.velocities_m_per_s / pred - 1.0)))

    def plot(self, ax=None):
        """Velocity against diameter (log–log) with the √d law; returns the Axes."""
        ax = new_axes(ax, figsize=(5, 3.5))
        d = self.diameters_um
        ax.loglog(d, self.velocities_m_per_s, "ko", label="simulated")
        fine = np.geomspace(d.min(), d.max(), 50)
        ax.loglog(fine, self.velocities_m_per_s[0] * np.sqrt(fine / d[0]), "C1-", label="∝ √d")
        ax.set_xlabel("diameter (µm)")
        ax.set_ylabel("conduction velocity (m/s)")
        ax.set_title(f"fitted exponent {self.exponent:.3f}", fontsize="small")
        ax.legend(frameon=False)
        return ax


def velocity_vs_diameter(
    diameters_um: Sequence[float] = (119.0, 238.0, 476.0),
    length_cm: float = 3.0,
    segment_um: float | None = 250.0,
    dt: float = 0.01,
    celsius: float = 18.5,
    Ra_ohm_cm: float = 35.4,
    progress: Callable[[str], None] | None = None,
) -> VelocityDiameterResult:
    """Conduction velocity at each diameter (same axon length, segment length and dt) and the
    least-squares exponent of v ∝ d^k (cable theory predicts k = ½)."""
    diameters = np.array([check_number("diameter", d, positive=True) for d in diameters_um])
    if diameters.size < 2:
        raise ValueError("velocity_vs_diameter needs at least two diameters")
    v = []
    for d in diameters:
        v.append(measure_conduction_velocity(length_cm, d, Ra_ohm_cm, celsius, segment_um, dt,
                                             converge=False).velocity_m_per_s)
        if progress:
            progress(f"d = {d:g} µm: {v[-1]:.4g} m/s")
    v = np.array(v)
    k, loga = np.polyfit(np.log(diameters), np.log(v), 1)
    return VelocityDiameterResult(diameters, v, float(k), float(np.exp(loga)))


@dataclass(frozen=True)
class CollisionResult(Result):
    """Two spikes started at both ends of an axon at the same time.

    ``spike_counts`` per compartment (along the axon); the spikes annihilate when every
    compartment fires exactly once — in particular no spike reaches either end after the
    collision. ``collision_um`` is where the last compartment to fire lies. Table
    (:meth:`columns`): ``x_um``, ``spike_count``.
    """

    spike_counts: np.ndarray
    x_um: np.ndarray
    collision_um: float
    collision_ms: float
    result: CableResult = field(repr=False)

    _exported_properties = ("annihilated",)

    @property
    def annihilated(self) -> bool:
        return bool(np.all(self.spike_counts == 1))

    def columns(self) -> dict:
        return {"x_um": self.x_um, "spike_count": np.asarray(self.spike_counts, dtype=np.int64)}

    def plot(self, ax=None):
        """Kymograph of the colliding spikes; returns the Axes."""
        ax = self.result.kymograph(ax)
        ax.set_title("collision: " + ("annihilation" if self.annihilated else "spikes pass through"), fontsize="small")
        return ax


def collision(
    length_cm: float = 3.0,
    diameter_um: float = 476.0,
    Ra_ohm_cm: float = 35.4,
    celsius: float = 18.5,
    segment_um: float | None = 250.0,
    dt: float = 0.01,
    t_end_ms: float = 8.0,
    delay_ms: float = 0.0,
) -> CollisionResult:
    """Stimulate both ends of an HH axon (the far end ``delay_ms`` later) and follow the spikes."""
    model = hh_axon(length_cm, diameter_um, Ra_ohm_cm, celsius, segment_um)
    stim = end_stimulus(model)
    nodes = model.morphology.nodes
    late = Step(stim.onset + float(delay_ms), stim.duration, stim.amplitude)
    res = model.run(t_end_ms, dt, injections={nodes[0]: stim, nodes[-1]: late})
    counts = res.spike_counts()
    first = res.first_spike_times()
    last = int(np.nanargmax(first)) if np.any(np.isfinite(first)) else 0
    return CollisionResult(counts, res.distance_um.copy(), float(res.distance_um[last]), float(first[last]), res)


@dataclass(frozen=True)
class AxonRefractoryResult(Result):
    """A second stimulus at the same end ``intervals_ms`` after the first: whether its spike
    reaches the far end, and its velocity (m/s, NaN if it fails) between ¼ and ¾ of the axon.

    ``refractory_ms`` is the shortest tested interval from which on every second spike
    propagated (NaN if none did). Table (:meth:`columns`): ``interval_ms``, ``propagated`` (0/1),
    ``velocity_m_per_s``. (Refractoriness of a membrane patch: :class:`analysis.excitability.RefractoryResult`.)"""

    intervals_ms: np.ndarray
    propagated: np.ndarray
    velocity_m_per_s: np.ndarray
    first_velocity_m_per_s: float
    refractory_ms: float

    def columns(self) -> dict:
        return {"interval_ms": self.intervals_ms, "propagated": np.asarray(self.propagated, dtype=bool),
                "velocity_m_per_s": self.velocity_m_per_s}

    def plot(self, ax=None):
        """Velocity of the second spike against the interval, failures marked; returns the Axes."""
        ax = new_axes(ax, figsize=(5, 3.5))
        ok = self.propagated
        ax.plot(self.intervals_ms[ok], self.velocity_m_per_s[ok], "ko-", label="second spike")
        ax.plot(self.intervals_ms[~ok], np.zeros((~ok).sum()), "rx", label="failed")
        ax.axhline(self.first_velocity_m_per_s, color="C1", ls="--", label="first spike")
        ax.set_xlabel("interstimulus interval (ms)")
        ax.set_ylabel("velocity (m/s)")
        ax.legend(frameon=False)
        return ax


def refractoriness(
    intervals_ms: Sequence[float] = (2.0, 3.0, 4.0, 6.0, 10.0),
    length_cm: float = 3.0,
    diameter_um: float = 476.0,
    Ra_ohm_cm: float = 35.4,
    celsius: float = 18.5,
    segment_um: float | None = 250.0,
    dt: float = 0.01,
) -> AxonRefractoryResult:
    """Pairs of end stimuli at increasing intervals: during the absolute refractory period the
    second spike fails; in the relative refractory period it propagates more slowly."""
    intervals = np.sort(np.array([check_number("interval", i, positive=True) for i in intervals_ms]))
    model = hh_axon(length_cm, diameter_um, Ra_ohm_cm, celsius, segment_um)
    stim = end_stimulus(model)
    nodes = model.morphology.nodes
    n = len(nodes)
    a, b, end = n // 4, (3 * n) // 4, n - 1
    dist = model.morphology.distance_um
    travel = length_cm * 1e-2 / 5.0 * 1e3 + 2.0
    propagated, velocity, first_v = [], [], float("nan")
    for interval in intervals:
        second = Step(stim.onset + interval, stim.duration, stim.amplitude)
        t_end = round((interval + travel) / dt) * dt
        res = model.run(t_end, dt, injections={nodes[0]: stim + second})
        spikes = [res.spike_times(nodes[i]) for i in (a, b, end)]
        ok = spikes[2].size >= 2 and spikes[0].size >= 2 and spikes[1].size >= 2
        propagated.append(ok)
        first_v = (dist[b] - dist[a]) / (spikes[1][0] - spikes[0][0]) * 1e-3
        velocity.append((dist[b] - dist[a]) / (spikes[1][1] - spikes[0][1]) * 1e-3 if ok else float("nan"))
    propagated = np.array(propagated)
    ok_from = np.flatnonzero(~propagated)
    if not propagated.any():
        refractory = float("nan")
    elif ok_from.size == 0:
        refractory = float(intervals[0])
    else:
        later = intervals > intervals[ok_from[-1]]
        refractory = float(intervals[later][0]) if later.any() else float("nan")
    return AxonRefractoryResult(intervals, propagated, np.array(velocity), float(first_v), refractory)
