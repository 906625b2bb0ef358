"""Numerical integration of one model: :func:`simulate`, its methods and its :class:`Trajectory`.

One entry point in the spirit of :func:`scipy.integrate.solve_ivp`: plain arguments, and a
registry ``METHODS`` (name → :class:`Method`) of interchangeable ways to integrate. Every scipy
method runs through the one loop of :class:`ScipyMethod`; the compiled Dormand–Prince engine is
the entry ``"compiled"`` (:class:`hhdyn.batch.CompiledMethod`, registered by :mod:`hhdyn.batch`).

The equations integrated are dy/dt = f(y; I_ext) + ∂f/∂I_ext · I_stim(t): the stimulus is added
to the model's constant I_ext through ∂f/∂I_ext, which is exact because every model is affine
in I_ext (µA/cm², t in ms).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from . import spikes as _spikes
from .results import Result, new_axes, write_csv
from .spikes import SpikeDetector
from .stimuli import Stimulus, as_stimulus
from .validation import check_number

__all__ = ["simulate", "Trajectory", "SimulationError", "UnstableStartWarning", "METHODS", "Method",
           "ScipyMethod", "IVP", "Outcome", "PiecewiseSolution", "STATUS_MESSAGES", "MAX_SAMPLE_BYTES"]

#: Largest size (bytes) of the sampled states :func:`simulate` agrees to allocate (1 GiB).
MAX_SAMPLE_BYTES = 2**30


class SimulationError(RuntimeError):
    """Integration failed; the message names the time (ms) and the state that went wrong."""


class UnstableStartWarning(UserWarning):
    """The default start (``model.resting_state()``) is an unstable equilibrium: the exact
    solution stays there, so the run may show a silent cell that any perturbation would fire."""


#: ``Trajectory.status`` codes (as in :func:`scipy.integrate.solve_ivp`: 0 done, > 0 stopped
#: early with the reason, < 0 failed — a failure is raised as :class:`hhdyn.SimulationError`, so
#: a returned trajectory never carries a negative status).
STATUS_MESSAGES = {
    0: "reached t_end",
    1: "stopped at a terminal event",
}


@dataclass(frozen=True)
class Trajectory(Result):
    """A simulated trajectory: times ``t`` (ms) and states ``y`` (shape (n_states, n_times)).

    States are available by name, ``traj["V"]`` or ``traj.V``. Currents (µA/cm²):
    ``I_stim`` is the time-dependent stimulus alone and ``I_applied`` = I_ext + I_stim is the
    applied current that actually enters the equations (both in the model's own sign
    convention; ``to_csv`` writes ``I_applied``).

    ``status`` is 0 when the integration reached ``t_end`` and 1 when a terminal event (e.g. a
    :class:`hhdyn.spikes.SpikeDetector`) stopped it at ``t_final``; ``message`` says which, and
    warns when the run started at an unstable equilibrium. ``t_events``/``y_events`` hold, per
    event given to :func:`hhdyn.simulate`, the times (ms) and states of its zero crossings;
    ``t_final``/``y_final`` the time and state where integration ended (which need not be a
    sample); ``sol(t)`` the state at any t in [t0, t_final] when run with ``dense_output=True``.
    Table (:meth:`columns`): ``t_ms``, one column per state (``V_mV``, gates bare),
    ``I_applied_uA_per_cm2``.
    """

    _unexported = ("model", "stimulus")
    _exported_properties = ("model_name",)

    t: np.ndarray
    y: np.ndarray
    state_names: tuple
    model: object = field(repr=False)
    stimulus: Stimulus | None = field(default=None, repr=False)
    status: int = 0
    message: str = STATUS_MESSAGES[0]
    t_final: float | None = None
    y_final: np.ndarray | None = field(default=None, repr=False)
    t_events: tuple = field(default=(), repr=False)
    y_events: tuple = field(default=(), repr=False)
    sol: object = field(default=None, repr=False)

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
        """The time-dependent stimulus at each sample, µA/cm² (on top of the model's I_ext)."""
        return np.zeros_like(self.t) if self.stimulus is None else np.asarray(self.stimulus(self.t), dtype=float)

    @property
    def I_applied(self) -> np.ndarray:
        """The applied current in the equations at each sample, I_ext + I_stim(t) (µA/cm²)."""
        params = getattr(self.model, "params", None)
        base = float(params["I_ext"]) if params is not None and "I_ext" in params else 0.0
        return base + self.I_stim

    def currents(self) -> dict:
        """Each channel's current density (µA/cm², outward positive) along the trajectory."""
        if not hasattr(self.model, "channel_currents"):
            raise TypeError(f"{self.model.name} is not conductance-based: it has no channel currents")
        return self.model.channel_currents(self.y)

    def _detection_trace(self, variable):
        return _spikes.detection_values(self.model, variable, self[variable])

    def spike_times(self, threshold: float = 0.0, hysteresis: float = 10.0, variable: str = "V") -> np.ndarray:
        """Upward crossings of ``threshold`` with hysteresis; see :func:`hhdyn.spikes.spike_times`.

        For the membrane-potential state the threshold is in the modern convention (mV,
        depolarization positive; see :class:`hhdyn.spikes.VoltageConvention`), so a
        1952-convention model reports the same spikes as its modern twin.
        """
        return _spikes.spike_times(self.t, self._detection_trace(variable), threshold, hysteresis)

    def spike_peaks(self, threshold: float = 0.0, hysteresis: float = 10.0, variable: str = "V") -> np.ndarray:
        """Peak of each detected spike (modern membrane potential, mV, for the potential state)."""
        return _spikes.spike_peaks(self.t, self._detection_trace(variable), threshold, hysteresis)

    def isis(self, **detection) -> np.ndarray:
        """Inter-spike intervals, ms."""
        return np.diff(self.spike_times(**detection))

    def firing_rate(self, t_start: float | None = None, t_stop: float | None = None, **detection) -> float:
        """Mean firing rate in Hz over [t_start, t_stop] (1000 / mean ISI)."""
        return _spikes.firing_rate(self.spike_times(**detection), t_start, t_stop)

    @property
    def model_name(self) -> str:
        return getattr(self.model, "name", "")

    def columns(self, currents: bool = False) -> dict:
        """``t_ms``, every state (``V_mV``, gates dimensionless), ``I_applied_uA_per_cm2``
        (I_ext + I_stim, the applied current in the equations) and, with ``currents``, each
        channel's ``I_<name>_uA_per_cm2``."""
        columns = {"t_ms": self.t}
        for name, row in zip(self.state_names, self.y):
            columns[f"{name}_mV" if name == "V" else name] = row
        columns["I_applied_uA_per_cm2"] = self.I_applied
        if currents:
            for name, values in self.currents().items():
                columns[f"I_{name}_uA_per_cm2"] = values
        return columns

    def to_csv(self, path, currents: bool = False) -> None:
        """Write :meth:`columns` (with channel currents if ``currents``) as CSV, atomically."""
        write_csv(path, self.columns(currents))

    def plot(self, ax=None, states=("V",), **line_kwargs):
        """Draw the named states against time on ``ax`` (created if None); returns the Axes."""
        ax = new_axes(ax, figsize=(7, 3.5))
        for name in states:
            label = f"{name} (mV)" if name == "V" else name
            ax.plot(self.t, self[name], label=label, **line_kwargs)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("membrane potential (mV)" if tuple(states) == ("V",) else "state")
        if len(states) > 1:
            ax.legend(frameon=False)
        ax.set_title(getattr(self.model, "name", ""))
        return ax


class _LeftFiniteRange(Exception):
    def __init__(self, t, y):
        self.t, self.y = t, y


@dataclass(frozen=True)
class IVP:
    """An initial-value problem as :func:`simulate` hands it to a :class:`Method` (validated).

    ``samples`` are the output times (ms, within [t0, t_end] up to rounding), ``events`` a list
    of solve_ivp-style event functions g(t, y) with ``terminal``/``direction`` attributes.
    """

    model: object
    t0: float
    t_end: float
    y0: np.ndarray
    stimulus: Stimulus | None
    samples: np.ndarray
    events: tuple
    dense_output: bool
    rtol: float
    atol: float
    max_step: float
    dt: float


@dataclass(frozen=True)
class Outcome:
    """What a :class:`Method` returns: samples, status, end point, events, dense solution."""

    t: np.ndarray
    y: np.ndarray
    status: int
    t_final: float
    y_final: np.ndarray
    t_events: tuple = ()
    y_events: tuple = ()
    sol: object = None


class Method:
    """A way to integrate for :func:`simulate` (an entry of ``METHODS``).

    The contract for anyone adding one:

    1. ``name`` is the key under which it is registered in ``METHODS``.
    2. ``supports_events``, ``supports_dense_output`` and ``supports_t0`` say what it can do;
       :func:`simulate` refuses the rest with a ValueError before running.
    3. ``run(problem)`` integrates ``problem`` (a :class:`IVP`) and returns an
       :class:`Outcome` holding the states at ``problem.samples`` that were reached (samples
       after a terminal event are dropped), ``status`` 0 (reached t_end) or 1 (stopped at a
       terminal event), the final time and state, and per event the times/states of its zero
       crossings.
    4. Failures raise :class:`SimulationError` naming the time (ms) and the offending state.
    5. Nothing is printed.
    """

    name = "method"
    supports_events = False
    supports_dense_output = False
    supports_t0 = False

    def run(self, problem: IVP) -> Outcome:  # pragma: no cover - interface
        raise NotImplementedError


class PiecewiseSolution:
    """Dense output over the integration pieces: ``sol(t)`` → state(s) at t (ms)."""

    def __init__(self, pieces):
        self.pieces = tuple(pieces)  # (a, b, callable)
        self.t_min = self.pieces[0][0] if self.pieces else np.nan
        self.t_max = self.pieces[-1][1] if self.pieces else np.nan

    def __call__(self, t):
        t_arr = np.atleast_1d(np.asarray(t, dtype=float))
        slack = 1e-9 * max(1.0, abs(self.t_min), abs(self.t_max))  # rounding of sample grids
        if np.any((t_arr < self.t_min - slack) | (t_arr > self.t_max + slack)):
            raise ValueError(f"t must lie in the integrated interval [{self.t_min:g}, {self.t_max:g}] ms, got {t!r}")
        t_arr = np.clip(t_arr, self.t_min, self.t_max)
        out = None
        for a, b, fun in self.pieces:
            mask = (t_arr >= a) & (t_arr <= b)
            if mask.any():
                values = np.asarray(fun(t_arr[mask]), dtype=float)
                if out is None:
                    out = np.empty((values.shape[0], t_arr.size))
                out[:, mask] = values
        return out[:, 0] if np.ndim(t) == 0 else out


class ScipyMethod(Method):
    """:func:`scipy.integrate.solve_ivp` with one of its methods (the implicit ones get the
    model's analytic Jacobian). The integration restarts at every jump of the stimulus, so a
    pulse shorter than the solver's natural step is still felt; events are located on the dense
    output (solve_ivp's root finding), an event exactly at a restart is counted once."""

    supports_events = True
    supports_dense_output = True
    supports_t0 = True

    def __init__(self, name: str, implicit: bool):
        self.name = name
        self.implicit = implicit

    def __repr__(self):
        return f"ScipyMethod({self.name!r})"

    def run(self, problem: IVP) -> Outcome:
        model, stim = problem.model, problem.stimulus
        gain = model.dfdp(problem.y0, "I_ext") if stim is not None else None
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

        options = {}
        if self.implicit and hasattr(model, "jacobian"):
            options["jac"] = lambda t, y: model.jacobian(y)
        if problem.events:
            options["events"] = list(problem.events)
        from scipy.integrate import solve_ivp  # lazy: keeps `import hhdyn` light (issue 18)

        t0, t_end, samples = problem.t0, problem.t_end, problem.samples
        breaks = stim.breakpoints() if stim is not None else ()
        edges = [t0] + sorted(b for b in breaks if t0 < b < t_end) + [t_end]
        out = np.empty((model.n_states, samples.size))
        filled = np.zeros(samples.size, dtype=bool)
        n_events = len(problem.events)
        t_events = [[] for _ in range(n_events)]
        y_events = [[] for _ in range(n_events)]
        pieces = []
        y, t_now, status = problem.y0, t0, 0
        dense = bool(samples.size) or problem.dense_output  # events need no dense output
        for a, b in zip(edges[:-1], edges[1:]):
            if b <= a:
                continue
            try:
                with np.errstate(over="ignore", invalid="ignore"):  # blow-ups are detected and reported below
                    sol = solve_ivp(fun, (a, b), y, method=self.name, rtol=problem.rtol, atol=problem.atol,
                                    max_step=problem.max_step, dense_output=dense, **options)
                if not np.all(np.isfinite(sol.y[:, -1])):
                    raise _LeftFiniteRange(sol.t[-1], sol.y[:, -1])
            except _LeftFiniteRange as err:
                raise SimulationError(_describe_blowup(model, err.t, err.y)) from None
            if sol.status < 0:
                raise SimulationError(f"{model.name}: integration failed at t = {sol.t[-1]:.6g} ms: {sol.message}; "
                                      "lower rtol/atol or choose an implicit method (LSODA, BDF, Radau)")
            t_stop = float(sol.t[-1])
            finished = b == edges[-1] and sol.status == 0
            # samples a rounding error past t_end belong to the last piece; later pieces overwrite
            # the shared boundary sample with the same (continuous) state
            upper = np.inf if finished else t_stop
            mask = (samples >= a) & (samples <= upper)
            if mask.any():
                out[:, mask] = sol.sol(np.minimum(samples[mask], t_stop))
                filled |= mask
            if problem.dense_output:
                pieces.append((a, t_stop, sol.sol))
            for i in range(n_events):
                hits, states = sol.t_events[i], sol.y_events[i]
                if a > t0:  # a crossing exactly at a restart is the previous piece's
                    keep = hits > a
                    hits, states = hits[keep], states[keep]
                t_events[i].extend(hits.tolist())
                y_events[i].extend(list(states))
            y, t_now = sol.y[:, -1], t_stop
            if sol.status == 1:
                status = 1
                break
        keep = filled if status == 1 else np.ones(samples.size, dtype=bool)
        return Outcome(
            samples[keep], out[:, keep], status, t_now, np.array(y, dtype=float),
            tuple(np.array(ts, dtype=float) for ts in t_events),
            tuple(np.array(ys, dtype=float).reshape(-1, model.n_states) for ys in y_events),
            PiecewiseSolution(pieces) if problem.dense_output else None,
        )


#: Methods of :func:`simulate`, by name (as scipy's ``solve_ivp`` ``METHODS``). The compiled
#: engine's entry ``"compiled"`` (:class:`hhdyn.batch.CompiledMethod`) is registered by
#: :mod:`hhdyn.batch`, which ``import hhdyn`` always loads (the engine sits above this module).
METHODS = {
    "LSODA": ScipyMethod("LSODA", implicit=True),
    "BDF": ScipyMethod("BDF", implicit=True),
    "Radau": ScipyMethod("Radau", implicit=True),
    "RK45": ScipyMethod("RK45", implicit=False),
    "RK23": ScipyMethod("RK23", implicit=False),
    "DOP853": ScipyMethod("DOP853", implicit=False),
}


def _as_events(events, model) -> tuple:
    if events is None:
        return ()
    if isinstance(events, SpikeDetector) or callable(events):
        events = [events]
    out = []
    for event in events:
        if isinstance(event, SpikeDetector):
            out.append(event.event(model))
        elif callable(event):
            out.append(event)
        else:
            raise ValueError(f"events must be SpikeDetectors or functions g(t, y), got {event!r}")
    return tuple(out)


def _sample_times(t0, t_end, dt, t_eval, n_states):
    if t_eval is not None:
        samples = np.asarray(t_eval, dtype=float)
        if samples.ndim != 1 or not np.all(np.isfinite(samples)):
            raise ValueError(f"t_eval must be a 1-D array of finite times (ms), got {t_eval!r}")
        slack = 1e-9 * max(1.0, abs(t_end))
        if samples.size and (samples.min() < t0 - slack or samples.max() > t_end + slack):
            raise ValueError(f"t_eval must lie within [t0, t_end] = [{t0:g}, {t_end:g}] ms, "
                             f"got [{samples.min():g}, {samples.max():g}]")
        if np.any(np.diff(samples) < 0):
            raise ValueError("t_eval must be increasing")
        count = samples.size
    else:
        count = int(np.floor((t_end - t0) / dt + 0.5)) + 2
    size = count * (n_states + 1) * 8
    if size > MAX_SAMPLE_BYTES:
        raise ValueError(
            f"{count:,} samples of {n_states} states would take {size / 2**30:.3g} GiB, above the "
            f"{MAX_SAMPLE_BYTES / 2**30:g} GiB budget (MAX_SAMPLE_BYTES): choose a larger dt, a shorter run, "
            "or pass t_eval with the times you need"
        )
    if t_eval is not None:
        return samples
    samples = np.arange(t0, t_end + 0.5 * dt, dt)
    samples[-1] = min(samples[-1], t_end)
    if samples[-1] < t_end - 1e-9 * max(1.0, abs(t_end)):
        samples = np.append(samples, t_end)  # the end point is always sampled (also when dt > t_end)
    return samples


def _unstable_start(model, y0) -> str | None:
    """A message if y0 is an equilibrium of ``model`` with an eigenvalue of positive real part."""
    if not hasattr(model, "jacobian"):
        return None
    f = np.asarray(model.rhs(y0), dtype=float)
    if not np.all(np.abs(f) <= 1e-8 * (1.0 + np.abs(y0))):
        return None
    with np.errstate(all="ignore"):
        eigenvalues = np.linalg.eigvals(model.jacobian(y0))
    growth = float(np.max(eigenvalues.real))
    if not growth > 0:
        return None
    I = model.params["I_ext"] if "I_ext" in model.params else float("nan")
    return (f"started at the resting equilibrium of {model.name} at I_ext = {I:g}, which is unstable "
            f"(largest Re λ = {growth:.3g} /ms): the exact solution stays there, so the trajectory may stay "
            "silent; pass y0 (e.g. model.with_params(I_ext=0).resting_state() to start from rest and step "
            "the current on) or perturb the start")


def simulate(
    model,
    t_end: float,
    stimulus=None,
    y0=None,
    *,
    t0: float = 0.0,
    method: str = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-9,
    dt: float = 0.01,
    t_eval=None,
    events=None,
    dense_output: bool = False,
    max_step: float | None = None,
    engine: str = "scipy",
) -> Trajectory:
    """Integrate ``model`` from ``t0`` to ``t_end`` ms.

    Integrates dy/dt = f(y) + ∂f/∂I_ext · I_stim(t) from y(t0) = ``y0``; the stimulus (µA/cm²)
    is added to the model's own constant ``I_ext`` (exact: every model is affine in I_ext).

    Parameters
    ----------
    model : model
        Any object of the model protocol (:mod:`hhdyn.protocol`).
    t_end : float
        End time, ms (the run covers [t0, t_end]).
    stimulus : Stimulus, number or callable of t, optional
        Applied current I_stim(t) (µA/cm², absolute time) added to the model's I_ext.
    y0 : array, optional
        Initial state. Default ``model.resting_state()``: the rest *at the model's own I_ext*.
        For ``HodgkinHuxley().with_params(I_ext=10)`` that equilibrium is unstable and the exact
        solution never leaves it, so the cell would look silent: the result's ``message`` says
        so and an :class:`UnstableStartWarning` is issued. To start from rest and switch the
        current on, keep I_ext = 0 and pass ``stimulus=10`` (or ``Step``), or pass
        ``y0=model.with_params(I_ext=0).resting_state()``.
    t0 : float
        Start time, ms (default 0); the stimulus is evaluated at absolute times.
    method : str
        A name in ``METHODS``: "LSODA" (default; switches between stiff and non-stiff methods
        and uses the model's analytic Jacobian), "BDF", "Radau", "RK45", "RK23", "DOP853" (all
        :func:`scipy.integrate.solve_ivp`), or "compiled" (:class:`hhdyn.batch.CompiledMethod`).
    rtol, atol : float
        Error tolerances.
    dt : float
        Spacing of the returned samples, ms (the integrator chooses its own steps); the end
        point is always sampled.
    t_eval : array, optional
        Output times instead of the ``dt`` grid (within [t0, t_end]).
    events : SpikeDetector, callable g(t, y) or a list of them, optional
        Zero crossings to locate, in the spirit of solve_ivp (``terminal``/``direction``
        attributes); a terminal one stops the run (``status`` 1). ``SpikeDetector()`` is the
        first upward crossing of 0 mV by V (respecting the model's voltage convention).
    dense_output : bool
        Keep the continuous solution: ``traj.sol(t)`` gives the state at any t in
        [t0, t_final].
    max_step : float, optional
        Largest integration step, ms (noise stimuli set one themselves).
    engine : {"scipy", "compiled"}
        Kept for compatibility: ``engine="compiled"`` (with ``method`` left at its default) is
        ``method="compiled"``.

    Returns
    -------
    Trajectory
        With ``status`` (0 reached t_end, 1 stopped at a terminal event), ``message``,
        ``t_final``/``y_final``, ``t_events``/``y_events`` and ``sol``.

    Raises
    ------
    ValueError
        For bad input, including runs whose samples would exceed ``MAX_SAMPLE_BYTES`` (the
        message gives the size and how to proceed).
    SimulationError
        If a state leaves the finite range (naming the time and the state) or the solver fails.
    """
    t0 = check_number("t0", t0, unit="ms")
    t_end = check_number("t_end", t_end, positive=True, unit="ms")
    if t_end <= t0:
        raise ValueError(f"t_end must be after t0, got t0 = {t0:g} ms and t_end = {t_end:g} ms")
    dt = check_number("dt", dt, positive=True, unit="ms")
    if engine not in ("scipy", "compiled"):
        raise ValueError(f"engine must be 'scipy' or 'compiled', got {engine!r}")
    if engine == "compiled":
        if method != "LSODA":
            raise ValueError(f"method={method!r} applies to engine='scipy'; engine='compiled' is Dormand–Prince 5(4)")
        method = "compiled"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    runner = METHODS[method]
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(tol) and tol > 0):
            raise ValueError(f"{name} must be positive, got {tol!r}")
    if max_step is not None:
        max_step = check_number("max_step", max_step, positive=True, unit="ms")
    stim = None if stimulus is None else as_stimulus(stimulus)
    default_start = y0 is None
    y0 = np.asarray(model.resting_state(), dtype=float) if default_start else np.asarray(y0, dtype=float)
    if callable(getattr(model, "check_state", None)):  # shape, finiteness, gates in [0, 1]
        y0 = model.check_state(y0)
    if y0.shape != (model.n_states,):
        raise ValueError(f"y0 must have shape ({model.n_states},) for states {model.state_names}, got {y0.shape}")
    if not np.all(np.isfinite(y0)):
        raise ValueError(f"y0 must be finite, got {y0}")
    event_functions = _as_events(events, model)
    for wanted, able, what in ((bool(event_functions), runner.supports_events, "events"),
                               (dense_output, runner.supports_dense_output, "dense_output"),
                               (t0 != 0.0, runner.supports_t0, f"t0 = {t0:g}")):
        if wanted and not able:
            raise ValueError(f"method {method!r} does not support {what}; use a scipy method such as 'LSODA'")
    samples = _sample_times(t0, t_end, dt, t_eval, model.n_states)
    steps = [s for s in (max_step, stim.max_step if stim else None) if s is not None]
    problem = IVP(model, t0, t_end, y0, stim, samples, event_functions, bool(dense_output), float(rtol),
                      float(atol), min(steps) if steps else np.inf, dt)
    outcome = runner.run(problem)
    message = STATUS_MESSAGES[outcome.status]
    if outcome.status == 1:
        message = f"{message} at t = {outcome.t_final:.6g} ms"
    if default_start:
        warning = _unstable_start(model, y0)
        if warning is not None:
            warnings.warn(f"{model.name}: {warning}", UnstableStartWarning, stacklevel=2)
            message = f"{message}; {warning}"
    return Trajectory(outcome.t, outcome.y, tuple(model.state_names), model, stim, outcome.status, message,
                      outcome.t_final, outcome.y_final, outcome.t_events, outcome.y_events, outcome.sol)


def _describe_blowup(model, t, y) -> str:
    bad = [name for name, value in zip(model.state_names, y) if not np.isfinite(value)]
    if not bad:
        bad = list(model.state_names[:1])
    values = ", ".join(f"{name} = {value:.6g}" for name, value in zip(model.state_names, y))
    return (f"integration left the finite range at t = {t:.6g} ms (state {bad[0]!r}; {values}); "
            "check the parameters and initial state, or lower rtol/atol")
