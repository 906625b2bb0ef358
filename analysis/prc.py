"""Phase response curves (PRCs) of stable limit cycles.

Let x(t) be a T-periodic stable orbit of dx/dt = f(x), with phase 0 at the upward crossing of
V through ``threshold`` (the spike). A small perturbation δx at time t shifts the later spike
times by Δt ≈ Z(t)·δx (advance positive): Z is the *infinitesimal PRC* in time units per unit
of state. It is the periodic solution of the adjoint of the variational equation

    dZ/dt = −f_x(x(t))ᵀ Z,     Z(t + T) = Z(t),     Z(t)·f(x(t)) = 1          (1)

(Z·f is constant along (1), so the normalization holds at every t; it is ∫Z·f dt / T = 1).

**Adjoint method** (``method="adjoint"``). The orbit is refined by Newton's method on the
Poincaré section V = threshold (shooting with the variational equation, DOP853 at rtol 1e-10; the orbit at 1e-12),
which also gives the monodromy matrix M = Φ(T, 0). Floquet: Z(0) is the eigenvector of Mᵀ for
the multiplier 1, normalized by Z(0)·f(x(0)) = 1; (1) is then integrated backward over one
period (backward integration damps every other adjoint mode by its multiplier) and the
periodicity residual |Z(0) − Z(T)|/|Z(0)| is reported.

**Direct method** (``method="direct"``), the independent check: at each phase θ a brief current
pulse of charge Q = C·ΔV is delivered (in the limit of zero width: V jumps by ±ΔV at t = θT),
and the shift of the spike times after ``direct_periods`` periods is measured;
Z_V ≈ (Δt(+ΔV) − Δt(−ΔV))/(2ΔV) (central difference, error O(ΔV²)).

Units (V in mV, t in ms, C in µF/cm²): ``Z_V`` is the time advance per unit voltage, ms/mV;
``phase_advance`` = 2π·Z_V/T is rad/mV; ``per_charge`` = Z_V/C is the time advance per unit
charge density delivered, ms per nC/cm² (ΔV = Q/C, with Q in nC/cm² = µF/cm²·mV).

Type (Hansel, Mato & Meunier 1995): "I" when Z_V is non-negative, "II" when it has a negative
lobe — here: a negative area of at least 5 % of the positive area (see ``prc_type``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hhdyn.results import Result, column_name, jsonable, new_axes
from hhdyn.simulation import simulate
from hhdyn.systems import AdjointAlong, Reversed, Variational

__all__ = ["PhaseResponse", "PeriodicOrbit", "phase_response", "limit_cycle", "TYPE_II_FRACTION"]

_RTOL, _ATOL = 1e-12, 1e-12  # the orbit itself (dense output)
_VAR_TOL = 1e-10  # variational and adjoint equations
_ADJ_ATOL = 1e-3 * _VAR_TOL  # the backward (orbit, adjoint) sweep
_NO_SAMPLES = np.empty(0)  # t_eval of runs that need only the end point, events or dense output

#: Negative-to-positive area ratio of Z_V from which a PRC counts as type II.
TYPE_II_FRACTION = 0.05


@dataclass(frozen=True)
class PeriodicOrbit(Result):
    """A periodic orbit refined by shooting: x0 on the section V = threshold (upward), the
    period T (ms), the monodromy matrix and its Floquet multipliers (trivial one first), and
    the shooting residual |φ_T(x0) − x0|/max(1, |x0|).

    Table (:meth:`columns`): one period sampled at ``n_points`` equally spaced times from the
    dense output, ``t_ms`` and one column per state (``V_mV``, gates bare)."""

    _unexported = ("model",)
    _exported_properties = ("model_name", "stable")

    model: object = field(repr=False)
    x0: np.ndarray
    period: float
    threshold: float
    monodromy: np.ndarray = field(repr=False)
    multipliers: np.ndarray
    residual: float

    @property
    def model_name(self) -> str:
        return str(self.model.name)

    @property
    def stable(self) -> bool:
        """All non-trivial multipliers inside the unit circle."""
        return bool(np.all(np.abs(self.multipliers[1:]) < 1.0))

    def state(self, t):
        """x(t) (shape (n,) + shape(t)) from the dense output of one period, t taken mod T."""
        t = np.mod(np.asarray(t, dtype=float), self.period)
        return self._dense()(t)

    def sample_times(self, n_points: int = 200) -> np.ndarray:
        """``n_points`` equally spaced times over one period, 0 … T (ms), both ends included."""
        if int(n_points) != n_points or n_points < 2:
            raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
        return np.linspace(0.0, self.period, int(n_points))

    def columns(self, n_points: int = 200) -> dict:
        t = self.sample_times(n_points)
        y = self.state(t)
        return {"t_ms": t, **{column_name(name): row for name, row in zip(self.model.state_names, y)}}

    def plot(self, ax=None, states=None, n_points: int = 400, **line_kwargs):
        """``states`` (default: the first, V) against time over one period (ms); returns the Axes."""
        names = tuple(self.model.state_names)
        states = names[:1] if states is None else tuple(states)
        unknown = [s for s in states if s not in names]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a state; states are {', '.join(names)}")
        ax = new_axes(ax)
        t = self.sample_times(n_points)
        y = self.state(t)
        for s in states:
            ax.plot(t, y[names.index(s)], label=f"{s} ({self.model_name}, T = {self.period:.4g} ms)", **line_kwargs)
        ax.set_xlabel("t (ms)")
        ax.set_title("periodic orbit")
        ax.legend(frameon=False, fontsize="small")
        return ax

    def _dense(self):
        cache = self.__dict__.setdefault("_cache", {})
        if "sol" not in cache:
            run = simulate(self.model, self.period, y0=self.x0, method="DOP853", rtol=_RTOL, atol=_ATOL,
                           t_eval=_NO_SAMPLES, dense_output=True)
            cache["sol"] = run.sol
        return cache["sol"]


def _flow_with_variations(model, x0, T):
    """x(T) and Φ(T, 0) of dx/dt = f(x), dΦ/dt = f_x Φ."""
    system = Variational(model)
    run = simulate(system, T, y0=system.initial(x0), method="DOP853", rtol=_VAR_TOL, atol=_VAR_TOL,
                   t_eval=_NO_SAMPLES)
    return system.split(run.y_final)


def _crossings(model, x0, t_end, threshold, rtol=_RTOL, atol=_ATOL):
    """Times and states of the upward crossings of V = threshold on (0, t_end]."""
    def event(t, y):
        return y[0] - threshold

    event.direction = 1.0
    run = simulate(model, t_end, y0=x0, method="DOP853", rtol=rtol, atol=atol, t_eval=_NO_SAMPLES, events=event)
    keep = run.t_events[0] > 1e-9
    return run.t_events[0][keep], run.y_events[0][keep], run.y_final


def _refine(model, x0, T, threshold, tol=1e-10, max_iter=8):
    """Newton on the section: find x0 (V = threshold) and T with φ_T(x0) = x0.

    Returns x0, T, the monodromy matrix at the solution and the relative residual.
    """
    n = x0.size
    x0 = np.array(x0, dtype=float)
    x0[0] = threshold
    for _ in range(max_iter):
        xT, M = _flow_with_variations(model, x0, T)
        r = xT - x0
        res = float(np.linalg.norm(r) / max(1.0, np.linalg.norm(x0)))
        if res < tol:
            break
        # unknowns: δx (with δV = 0) and δT; equations: (M − I)δx + f(xT)δT = −r
        A = np.column_stack([(M - np.eye(n))[:, 1:], model.rhs(xT)])
        delta = np.linalg.lstsq(A, -r, rcond=None)[0]
        x0[1:] += delta[:-1]
        T += delta[-1]
    else:
        xT, M = _flow_with_variations(model, x0, T)
        res = float(np.linalg.norm(xT - x0) / max(1.0, np.linalg.norm(x0)))
    return x0, T, M, res


def _settle(model, y0, settle_ms, max_settle_ms, threshold, tol):
    """Simulate in chunks of ``settle_ms`` from ``y0`` (default: rest kicked by +40 mV) until the
    last three inter-spike intervals agree to ``tol``; returns a state near the section, T and
    the threshold."""
    from hhdyn.spikes import spike_times

    if y0 is not None:
        y = np.array(y0, dtype=float)
    elif callable(getattr(model, "resting_state", None)):
        y = np.array(model.resting_state(), dtype=float)
        y[0] += 40.0
    else:
        raise ValueError(f"{model.name} has no resting_state(): pass y0, a state near its limit cycle")
    elapsed, isis, chunk = 0.0, np.array([]), float(settle_ms)
    while elapsed < max_settle_ms:
        traj = simulate(model, chunk, y0=y, rtol=1e-7, atol=1e-8, dt=0.02)
        y = traj.y[:, -1]
        V = traj.y[0, traj.t >= (0.5 * chunk if elapsed == 0.0 else 0.0)]
        elapsed += chunk
        swing = V.max() - V.min()
        if swing < 1.0:
            raise ValueError(
                f"{model.name} settles to rest (V varies by {swing:.3g} mV after {elapsed:g} ms) at these "
                "parameters: there is no stable limit cycle to take a PRC of; raise I_ext above the "
                "firing onset or pass cycle=(branch, i)")
        thr = 0.5 * (V.max() + V.min()) if threshold is None else float(threshold)
        spikes = spike_times(traj.t, traj.y[0], thr, hysteresis=0.25 * swing)
        isis = np.diff(spikes)
        if isis.size >= 3 and np.ptp(isis[-3:]) < tol * isis[-1]:
            times, states, _ = _crossings(model, y, 1.5 * isis[-1], thr, rtol=1e-10, atol=1e-10)
            if times.size:
                return states[0], float(isis[-1]), thr
        if isis.size < 3:  # long periods: longer chunks
            chunk = min(2.0 * chunk, max(max_settle_ms - elapsed, settle_ms))
    spread = f"the last intervals are {np.round(isis[-3:], 4)} ms" if isis.size >= 3 else f"only {isis.size + 1} spikes"
    raise ValueError(
        f"{model.name}: the simulated cycle did not converge within {max_settle_ms:g} ms ({spread}); "
        "give a larger max_settle_ms or settle_ms, or pass cycle=(branch, i)")


def limit_cycle(model, params=None, *, cycle=None, y0=None, settle_ms: float = 300.0,
                max_settle_ms: float = 5000.0, threshold: float | None = None, tol: float = 1e-3) -> PeriodicOrbit:
    """The stable limit cycle of ``model`` (with ``params`` overrides), refined by shooting.

    By default it is reached by simulation from ``y0`` (default: the resting state kicked by
    +40 mV in V), in chunks of ``settle_ms`` (at most ``max_settle_ms``) until the last three
    inter-spike intervals agree to ``tol`` (relative); shooting then refines it (residual
    ~1e-12). ``cycle=(branch, i)`` starts instead from orbit ``i`` of a
    :class:`analysis.cycles.CycleBranch` (the model is set to that point's parameter).
    ``threshold`` (mV) defines phase 0: default the mid-point of the orbit's V range.
    ValueError when no oscillation is found, the simulation does not converge, or the cycle is
    unstable.
    """
    if params:
        model = model.with_params(**params)
    if cycle is not None:
        branch, i = cycle
        model = model.with_params(**{branch.param_name: float(branch.param[i])})
        t, y = branch.orbit(i, n_points=2000)
        V = y[0]
        thr = 0.5 * (V.max() + V.min()) if threshold is None else float(threshold)
        up = np.flatnonzero((V[:-1] < thr) & (V[1:] >= thr))
        if up.size == 0:
            raise ValueError(f"orbit {i} of the branch does not cross V = {thr:g} mV upwards; give another threshold")
        k = up[0]
        s = (thr - V[k]) / (V[k + 1] - V[k])
        x0 = y[:, k] + s * (y[:, k + 1] - y[:, k])
        T = float(branch.period[i])
        where = f"orbit {i} of the branch ({branch.param_name} = {branch.param[i]:g})"
    else:
        x0, T, thr = _settle(model, y0, settle_ms, max_settle_ms, threshold, tol)
        where = f"the simulated cycle of {model.name}"
    x0, T, M, residual = _refine(model, x0, T, thr)
    if not residual < 1e-7:
        raise ValueError(f"shooting did not converge on {where} (residual {residual:.3g}); "
                         "the cycle may be near a bifurcation — try another parameter value")
    mu = np.linalg.eigvals(M)
    order = np.argsort(np.abs(mu - 1.0))
    mu = np.concatenate([mu[order[:1]], sorted(mu[order[1:]], key=lambda z: -abs(z))])
    lc = PeriodicOrbit(model, x0, float(T), thr, M, mu, residual)
    if not lc.stable:
        raise ValueError(
            f"{where} is unstable (largest non-trivial Floquet multiplier |μ| = {abs(mu[1]):.4g} > 1): "
            "a PRC is defined for stable cycles only; choose a stable point (branch.stable[i]) or parameters")
    return lc


@dataclass(frozen=True)
class PhaseResponse(Result):
    """A phase response curve sampled at phases θ_k = k/n (θ = t/T, 0 at the upward crossing of
    V through ``threshold``).

    ``Z`` (n_states, n) is the adjoint Z(θT) (ms per unit of each state; None for the direct
    method); ``Z_V`` (ms/mV) the advance per unit voltage; see the module docstring for units of
    :attr:`phase_advance` (rad/mV) and :attr:`per_charge` (ms per nC/cm²).
    ``normalization`` = mean of Z·f over the samples (1 by construction; the check of (1)),
    ``normalization_error`` = max |Z·f − 1| over the samples; ``periodicity_error`` =
    |Z(0) − Z(T)|/|Z(0)| after the backward sweep. ``prc_type`` is "I" or "II".
    """

    model_name: str
    method: str
    phase: np.ndarray
    Z_V: np.ndarray
    period: float
    C: float
    threshold: float
    state_names: tuple
    multipliers: np.ndarray
    Z: np.ndarray | None = field(default=None, repr=False)
    normalization: float = math.nan
    normalization_error: float = math.nan
    periodicity_error: float = math.nan
    pulse_mV: float = math.nan
    params: dict = field(default_factory=dict, repr=False)

    @property
    def phase_advance(self) -> np.ndarray:
        """dθ per mV, rad/mV: 2π·Z_V/T."""
        return 2.0 * math.pi * self.Z_V / self.period

    @property
    def per_charge(self) -> np.ndarray:
        """Time advance per unit charge density, ms per nC/cm²: Z_V/C (ΔV = Q/C)."""
        return self.Z_V / self.C

    @property
    def negative_fraction(self) -> float:
        """∫ max(−Z_V, 0) dθ / ∫ max(Z_V, 0) dθ: the size of the negative lobe (0 for type I)."""
        z = np.nan_to_num(self.Z_V)
        positive = np.clip(z, 0.0, None).sum()
        return float(np.clip(-z, 0.0, None).sum() / positive) if positive > 0 else math.inf

    @property
    def prc_type(self) -> str:
        """"II" when the negative lobe's area is at least :data:`TYPE_II_FRACTION` (5 %) of the
        positive area (:attr:`negative_fraction`), else "I". The threshold ignores the tiny
        negative dip during the spike itself that class-1 models such as Wang–Buzsáki show."""
        return "II" if self.negative_fraction >= TYPE_II_FRACTION else "I"

    @property
    def frequency_hz(self) -> float:
        return 1000.0 / self.period

    def to_dict(self) -> dict:
        out = {
            "model": self.model_name, "method": self.method, "period_ms": self.period,
            "frequency_hz": self.frequency_hz, "C_uF_per_cm2": self.C, "threshold_mV": self.threshold,
            "prc_type": self.prc_type, "negative_fraction": self.negative_fraction, "phase": self.phase.tolist(), "Z_V_ms_per_mV": self.Z_V.tolist(),
            "phase_advance_rad_per_mV": self.phase_advance.tolist(),
            "per_charge_ms_per_nC_per_cm2": self.per_charge.tolist(),
            "normalization": self.normalization, "normalization_error": self.normalization_error,
            "periodicity_error": self.periodicity_error, "pulse_mV": self.pulse_mV,
            "multipliers_abs": np.abs(self.multipliers).tolist(), "params": dict(self.params),
        }
        if self.Z is not None:
            out["Z"] = {name: row.tolist() for name, row in zip(self.state_names, self.Z)}
        return jsonable(out)

    def columns(self) -> dict:
        """One row per phase: θ, t (ms), Z_V (ms/mV), phase advance (rad/mV), per charge, and
        the adjoint's other components."""
        cols = {"phase": self.phase, "t_ms": self.phase * self.period, "Z_V_ms_per_mV": self.Z_V,
                "phase_advance_rad_per_mV": self.phase_advance, "per_charge_ms_per_nC_per_cm2": self.per_charge}
        if self.Z is not None:
            for name, row in zip(self.state_names[1:], self.Z[1:]):
                cols[f"Z_{name}_ms"] = row
        return cols

    def plot(self, ax=None, *, form: str = "time", **line_kwargs):
        """Draw the PRC against phase; ``form`` "time" (ms/mV), "phase" (rad/mV) or "charge".
        Returns the Axes."""
        forms = {"time": (self.Z_V, "Z_V (ms/mV)"), "phase": (self.phase_advance, "phase advance (rad/mV)"),
                 "charge": (self.per_charge, "advance per charge (ms per nC/cm²)")}
        if form not in forms:
            raise ValueError(f"form must be one of {', '.join(forms)}, got {form!r}")
        ax = new_axes(ax, figsize=(6, 4))
        y, label = forms[form]
        line_kwargs.setdefault("label", f"{self.model_name} ({self.method}, type {self.prc_type}, "
                                        f"{self.frequency_hz:.3g} Hz)")
        ax.plot(self.phase, y, **line_kwargs)
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xlabel("phase θ = t/T")
        ax.set_ylabel(label)
        ax.set_title("phase response curve")
        ax.legend(frameon=False, fontsize="small")
        return ax


def _adjoint(lc: PeriodicOrbit, phases):
    """Z at ``phases`` by one backward sweep of (1) from the Floquet start Z(T) = Z(0).

    The time is carried as a state, so that the sweep is autonomous: in s = T − t,
    (t, Z)' = (−1, f_x(x(t))ᵀ Z) from (T, Z0), x(t) read from the orbit's dense output
    (:class:`hhdyn.systems.AdjointAlong`, reversed). Integrating x backward along with Z would
    amplify its errors by 1/|μ| (HH at 10 µA/cm² has |μ| ~ 1e-17) and blows up."""
    model, T = lc.model, lc.period
    w, vecs = np.linalg.eig(lc.monodromy.T)
    k = int(np.argmin(np.abs(w - 1.0)))
    Z0 = np.real(vecs[:, k])
    Z0 = Z0 / float(Z0 @ model.rhs(lc.x0))
    s = T * (1.0 - phases[::-1])  # increasing; θ = 0 is s = T
    run = simulate(Reversed(AdjointAlong(model, lc.state)), T, y0=np.concatenate([[T], Z0]), method="DOP853",
                   rtol=_VAR_TOL, atol=_ADJ_ATOL, t_eval=s)
    Z = run.y[1:, ::-1]
    periodicity = float(np.linalg.norm(run.y_final[1:] - Z0) / np.linalg.norm(Z0))
    x = lc.state(phases * T)
    dots = np.einsum("ik,ik->k", Z, model.rhs(x))
    return Z, float(dots.mean()), float(np.max(np.abs(dots - 1.0))), periodicity


def _direct(lc: PeriodicOrbit, phases, pulse_mV, periods, engine):
    """Z_V by central differences of the spike-time shift after ±ΔV kicks at each phase."""
    model, T = lc.model, lc.period
    theta = np.concatenate([phases, phases])
    starts = lc.state(theta * T)
    starts[0] += np.repeat([pulse_mV, -pulse_mV], phases.size)
    t_end = (periods - theta + 0.5) * T  # `periods` crossings after the kick, then half a period
    if engine == "compiled":
        from hhdyn.batch import simulate_batch

        orbit_V = lc.state(np.linspace(0.0, T, 200))[0]
        hysteresis = min(5.0, 0.25 * float(np.ptp(orbit_V)))
        run = simulate_batch(model, float(t_end.max()), y0=starts, rtol=1e-10, atol=1e-10, threshold=lc.threshold,
                             hysteresis=hysteresis)
        if run.failed.any():
            k = int(np.flatnonzero(run.failed)[0])
            raise ValueError(f"direct method: the compiled run of phase {theta[k]:.3g} failed "
                             f"({run.messages[k]}); use engine='scipy'")
        last = [times[times <= t_k][-1] if np.any(times <= t_k) else math.nan
                for times, t_k in zip(run.spike_times, t_end)]
    else:
        last = [_crossings(model, y0, t_k, lc.threshold, rtol=1e-10, atol=1e-10)[0][-1]
                for y0, t_k in zip(starts.T, t_end)]
    last = np.asarray(last, dtype=float)
    j = np.round(last / T + theta)
    shifts = (j - theta) * T - last
    return (shifts[: phases.size] - shifts[phases.size:]) / (2.0 * pulse_mV)


def phase_response(model, params=None, *, cycle=None, n_phases: int = 50, method: str = "adjoint",
                   pulse_mV: float = 0.2, direct_periods: int = 2, threshold: float | None = None,
                   engine: str = "scipy", y0=None, settle_ms: float = 300.0,
                   max_settle_ms: float = 5000.0) -> PhaseResponse:
    """The phase response curve of the stable limit cycle of ``model`` (see module docstring).

    Parameters
    ----------
    model : conductance-based or any protocol model (V first)
    params : mapping, optional
        Parameter overrides, e.g. ``{"I_ext": 10}``.
    cycle : PeriodicOrbit or (CycleBranch, i), optional
        The orbit; default: simulated to the stable cycle (:func:`limit_cycle`).
    n_phases : int
        Samples θ_k = k/n_phases, k = 0…n−1.
    method : "adjoint" or "direct"
    pulse_mV, direct_periods : the direct method's kick ΔV (mV) and the number of periods after
        which the spike-time shift is read.
    threshold : V (mV) of phase 0 (default: the mid-point of the orbit's V range).
    engine : "scipy" (DOP853 with exact event location, default) or "compiled" — the direct
        method's runs as one :func:`hhdyn.simulate_batch` member per kick (dopri5 at rtol 1e-10,
        Hermite-located crossings; compiles the model's kernels on first use).
    y0, settle_ms, max_settle_ms : how the cycle is reached by simulation (:func:`limit_cycle`).
    """
    if engine not in ("scipy", "compiled"):
        raise ValueError(f"engine must be 'scipy' or 'compiled', got {engine!r}")
    if method not in ("adjoint", "direct"):
        raise ValueError(f"method must be 'adjoint' or 'direct', got {method!r}")
    if int(n_phases) != n_phases or n_phases < 2:
        raise ValueError(f"n_phases must be an integer >= 2, got {n_phases!r}")
    if not (pulse_mV > 0 and math.isfinite(pulse_mV)):
        raise ValueError(f"pulse_mV must be > 0, got {pulse_mV!r}")
    if int(direct_periods) != direct_periods or direct_periods < 1:
        raise ValueError(f"direct_periods must be a positive integer, got {direct_periods!r}")
    if isinstance(cycle, PeriodicOrbit):
        if params:
            raise ValueError("params cannot change a given PeriodicOrbit; compute a new one with limit_cycle(model, params)")
        lc = cycle
    else:
        lc = limit_cycle(model, params, cycle=cycle, y0=y0, threshold=threshold, settle_ms=settle_ms,
                         max_settle_ms=max_settle_ms)
    phases = np.arange(int(n_phases)) / int(n_phases)
    p = lc.model.params
    common = dict(model_name=lc.model.name, method=method, phase=phases, period=lc.period,
                  C=float(p["C"]) if "C" in p else 1.0, threshold=lc.threshold,
                  state_names=tuple(lc.model.state_names), multipliers=lc.multipliers, params=dict(p))
    if method == "adjoint":
        Z, mean, err, periodicity = _adjoint(lc, phases)
        return PhaseResponse(Z_V=Z[0], Z=Z, normalization=mean, normalization_error=err,
                             periodicity_error=periodicity, **common)
    return PhaseResponse(Z_V=_direct(lc, phases, float(pulse_mV), int(direct_periods), engine), pulse_mV=float(pulse_mV),
                         **common)
