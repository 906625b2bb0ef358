"""Numerical integration of one model: :func:`simulate` and its :class:`Trajectory`."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from . import spikes as _spikes
from .io import atomic_path
from .stimuli import Stimulus, as_stimulus
from .validation import check_number

__all__ = ["simulate", "Trajectory", "SimulationError", "METHODS"]

#: scipy.integrate.solve_ivp methods accepted by :func:`simulate`; the implicit ones get the
#: model's analytic Jacobian.
METHODS = ("LSODA", "BDF", "Radau", "RK45", "RK23", "DOP853")
_IMPLICIT = {"LSODA", "BDF", "Radau"}


class SimulationError(RuntimeError):
    """Integration failed; the message names the time (ms) and the state that went wrong."""


class _LeftFiniteRange(Exception):
    def __init__(self, t, y):
        self.t, self.y = t, y


@dataclass(frozen=True)
class Trajectory:
    """A simulated trajectory: times ``t`` (ms) and states ``y`` (shape (n_states, n_times)).

    States are available by name, ``traj["V"]`` or ``traj.V``; ``I_stim`` is the applied
    stimulus (µA/cm², on top of the model's constant I_ext).
    """

    t: np.ndarray
    y: np.ndarray
    state_names: tuple
    model: object = field(repr=False)
    stimulus: Stimulus | None = field(default=None, repr=False)

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.y[self.state_names.index(name)]
        except ValueError:
            raise KeyError(f"{name!r} is not a state; states are {', '.join(self.state_names)}") from None

    def __getattr__(self, name):
        names = object.__getattribute__(self, "state_names")
        if name in names:
            return self.y[names.index(name)]
        raise AttributeError(name)

    @property
    def I_stim(self) -> np.ndarray:
        """The applied stimulus current at each sample, µA/cm²."""
        return np.zeros_like(self.t) if self.stimulus is None else self.stimulus(self.t)

    def currents(self) -> dict:
        """Each channel's current density (µA/cm², outward positive) along the trajectory."""
        if not hasattr(self.model, "channel_currents"):
            raise TypeError(f"{self.model.name} is not conductance-based: it has no channel currents")
        return self.model.channel_currents(self.y)

    def spike_times(self, threshold: float = 0.0, hysteresis: float = 10.0, variable: str = "V") -> np.ndarray:
        """Upward crossings of ``threshold`` (mV) with hysteresis; see :func:`hhdyn.spikes.spike_times`."""
        return _spikes.spike_times(self.t, self[variable], threshold, hysteresis)

    def spike_peaks(self, threshold: float = 0.0, hysteresis: float = 10.0, variable: str = "V") -> np.ndarray:
        """Peak value (mV) of each detected spike."""
        return _spikes.spike_peaks(self.t, self[variable], threshold, hysteresis)

    def isis(self, **detection) -> np.ndarray:
        """Inter-spike intervals, ms."""
        return np.diff(self.spike_times(**detection))

    def firing_rate(self, t_start: float | None = None, t_stop: float | None = None, **detection) -> float:
        """Mean firing rate in Hz over [t_start, t_stop] (1000 / mean ISI)."""
        return _spikes.firing_rate(self.spike_times(**detection), t_start, t_stop)

    def to_csv(self, path, currents: bool = False) -> None:
        """Write t, every state, I_stim (and channel currents) as CSV with units in the header."""
        columns = {"t_ms": self.t}
        for name, row in zip(self.state_names, self.y):
            columns[f"{name}_mV" if name == "V" else name] = row
        columns["I_stim_uA_per_cm2"] = self.I_stim
        if currents:
            for name, values in self.currents().items():
                columns[f"I_{name}_uA_per_cm2"] = values
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(np.column_stack(list(columns.values())).tolist())

    def plot(self, ax=None, states=("V",), **line_kwargs):
        """Draw the named states against time on ``ax`` (created if None); returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
        for name in states:
            label = f"{name} (mV)" if name == "V" else name
            ax.plot(self.t, self[name], label=label, **line_kwargs)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("membrane potential (mV)" if tuple(states) == ("V",) else "state")
        if len(states) > 1:
            ax.legend(frameon=False)
        ax.set_title(getattr(self.model, "name", ""))
        return ax


def simulate(
    model,
    t_end: float,
    stimulus=None,
    y0=None,
    *,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-9,
    dt: float = 0.01,
    max_step: float | None = None,
    engine: str = "scipy",
) -> Trajectory:
    """Integrate ``model`` from t = 0 to ``t_end`` ms.

    Parameters
    ----------
    model : model
        Any object of the model protocol (:mod:`hhdyn.protocol`).
    t_end : float
        Duration, ms.
    stimulus : Stimulus, number or callable of t, optional
        Applied current (µA/cm²) added to the model's I_ext. It enters the equations through
        ∂f/∂I_ext, which is exact because every model is affine in I_ext.
    y0 : array, optional
        Initial state; default ``model.resting_state()`` (rest at the model's own I_ext,
        before the stimulus starts).
    method : str
        A :func:`scipy.integrate.solve_ivp` method (``METHODS``). Default LSODA, which switches
        between stiff and non-stiff methods and uses the model's analytic Jacobian.
    rtol, atol : float
        Error tolerances.
    dt : float
        Spacing of the returned samples, ms (the integrator chooses its own steps).
    max_step : float, optional
        Largest integration step, ms (noise stimuli set one themselves).
    engine : {"scipy", "compiled"}
        "scipy" (default) uses :func:`scipy.integrate.solve_ivp` with ``method``. "compiled" uses
        hhdyn's compiled adaptive Dormand–Prince 5(4) kernels (:func:`hhdyn.batch.simulate_batch`
        with the same rtol/atol, states sampled every ``dt`` ms by cubic Hermite interpolation);
        it is one to two orders of magnitude faster for long runs, works for conductance-based
        models and FitzHugh–Nagumo (not for models without an engine declaration), needs
        ``method`` left at its default, samples the stimulus every 0.005 ms, and compiles its
        kernels on first use of a model structure (cached on disk).

    Integration restarts at every jump of the stimulus. If a state leaves the finite range a
    :class:`SimulationError` names the time and the state.
    """
    t_end = check_number("t_end", t_end, positive=True, unit="ms")
    dt = check_number("dt", dt, positive=True, unit="ms")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(tol) and tol > 0):
            raise ValueError(f"{name} must be positive, got {tol!r}")
    if engine not in ("scipy", "compiled"):
        raise ValueError(f"engine must be 'scipy' or 'compiled', got {engine!r}")
    if engine == "compiled" and method != "LSODA":
        raise ValueError(f"method={method!r} applies to engine='scipy'; engine='compiled' is Dormand–Prince 5(4)")
    stim = None if stimulus is None else as_stimulus(stimulus)
    y0 = model.resting_state() if y0 is None else np.asarray(y0, dtype=float)
    if callable(getattr(model, "check_state", None)):  # shape, finiteness, gates in [0, 1]
        y0 = model.check_state(y0)
    if y0.shape != (model.n_states,):
        raise ValueError(f"y0 must have shape ({model.n_states},) for states {model.state_names}, got {y0.shape}")
    if not np.all(np.isfinite(y0)):
        raise ValueError(f"y0 must be finite, got {y0}")
    if engine == "compiled":
        from .batch import simulate_batch

        result = simulate_batch(model, t_end, stimulus=stim, y0=y0, rtol=rtol, atol=atol, record=dt,
                                max_step=max_step)
        if result.failed[0]:
            raise SimulationError(f"integration failed: {result.messages[0]}")
        return Trajectory(result.t, result.traces[0], tuple(model.state_names), model, stim)
    steps = [s for s in (max_step, stim.max_step if stim else None) if s is not None]
    step_limit = min(steps) if steps else np.inf

    gain = model.dfdp(y0, "I_ext") if stim is not None else None
    if stim is None:
        def fun(t, y):
            dy = model.rhs(y)
            if not np.all(np.isfinite(dy)):
                raise _LeftFiniteRange(t, y)
            return dy
    else:
        def fun(t, y):
            dy = model.rhs(y) + gain * stim(t)
            if not np.all(np.isfinite(dy)):
                raise _LeftFiniteRange(t, y)
            return dy

    jac = (lambda t, y: model.jacobian(y)) if method in _IMPLICIT and hasattr(model, "jacobian") else None
    samples = np.arange(0.0, t_end + 0.5 * dt, dt)
    samples[-1] = min(samples[-1], t_end)
    edges = [0.0] + sorted(b for b in (stim.breakpoints() if stim else ()) if 0.0 < b < t_end) + [t_end]
    out = np.empty((model.n_states, samples.size))
    y = y0
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        last = b == t_end
        mask = (samples >= a) & ((samples <= b) if last else (samples < b))
        options = {"jac": jac} if jac is not None else {}
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # blow-ups are detected and reported below
                sol = solve_ivp(fun, (a, b), y, method=method, rtol=rtol, atol=atol, max_step=step_limit,
                                dense_output=True, **options)
            if not np.all(np.isfinite(sol.y[:, -1])):
                raise _LeftFiniteRange(sol.t[-1], sol.y[:, -1])
        except _LeftFiniteRange as err:
            raise SimulationError(_describe_blowup(model, err.t, err.y)) from None
        if sol.status < 0:
            raise SimulationError(f"integration failed at t = {sol.t[-1]:.6g} ms: {sol.message}")
        if mask.any():
            out[:, mask] = sol.sol(samples[mask])
        y = sol.y[:, -1]
    return Trajectory(samples, out, tuple(model.state_names), model, stim)


def _describe_blowup(model, t, y) -> str:
    bad = [name for name, value in zip(model.state_names, y) if not np.isfinite(value)]
    if not bad:
        bad = list(model.state_names[:1])
    values = ", ".join(f"{name} = {value:.6g}" for name, value in zip(model.state_names, y))
    return (f"integration left the finite range at t = {t:.6g} ms (state {bad[0]!r}; {values}); "
            "check the parameters and initial state, or lower rtol/atol")
