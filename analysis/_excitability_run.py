"""The one integrator call behind the excitability experiments (private).

:func:`run` integrates a model from a given state under an optional stimulus (added to the
model's I_ext through ∂f/∂I_ext, exactly as :func:`hhdyn.simulation.simulate` does) and can stop
at the first spike, i.e. the first upward crossing of a voltage threshold. Stopping early is what
makes threshold bisections cheap: a supra-threshold trial ends a few ms after the pulse.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from hhdyn.simulation import SimulationError

_IMPLICIT = {"LSODA", "BDF", "Radau"}


@dataclass(frozen=True)
class SpikeDetector:
    """A spike is an upward crossing of ``threshold`` by state ``variable`` (default V, 0 mV).

    Used by the pulse experiments (threshold, rheobase, refractoriness, anode break). The F–I
    curve counts oscillation peaks by prominence instead (see :func:`analysis.fi_curve`).
    """

    threshold: float = 0.0
    variable: str = "V"

    def __post_init__(self):
        if not np.isfinite(self.threshold):
            raise ValueError(f"spike threshold must be finite, got {self.threshold!r}")

    def index(self, model) -> int:
        return model.state_index(self.variable)


@dataclass(frozen=True)
class Run:
    """Result of :func:`run`: samples (if asked), the end state and the first spike time."""

    t_end: float
    y_end: np.ndarray
    spike_time: float | None
    t: np.ndarray | None = None
    y: np.ndarray | None = None
    pieces: tuple = field(default=(), repr=False)

    def state_at(self, t: float) -> np.ndarray:
        """State at time t from the dense output (run with ``dense=True``)."""
        for a, b, sol in self.pieces:
            if a <= t <= b:
                return np.asarray(sol(t), dtype=float)
        raise ValueError(f"t = {t} ms lies outside the integrated interval")


def run(model, y0, t0: float, t_end: float, stimulus=None, *, detector: SpikeDetector | None = None,
        stop_at_spike: bool = False, samples=None, dense: bool = False, rtol: float = 1e-7,
        atol: float = 1e-8, method: str = "LSODA", max_step: float = np.inf) -> Run:
    """Integrate ``model`` from state ``y0`` at time ``t0`` to ``t_end`` (ms).

    ``stimulus`` is an :class:`hhdyn.stimuli.Stimulus` (µA/cm², absolute time) or None; the
    integration restarts at its breakpoints. With ``detector``, the first upward crossing of the
    detector's threshold after ``t0`` is located (to the integrator's accuracy) and, with
    ``stop_at_spike``, ends the run. ``samples`` are output times (within [t0, t_end]).
    """
    y = np.asarray(y0, dtype=float).copy()
    gain = model.dfdp(y, "I_ext") if stimulus is not None else None

    if stimulus is None:
        def fun(t, state):
            dy = model.rhs(state)
            if not np.all(np.isfinite(dy)):
                raise SimulationError(f"{model.name}: state left the finite range at t = {t:.6g} ms")
            return dy
    else:
        def fun(t, state):
            dy = model.rhs(state) + gain * float(stimulus(t))
            if not np.all(np.isfinite(dy)):
                raise SimulationError(f"{model.name}: state left the finite range at t = {t:.6g} ms")
            return dy

    jac = None
    if method in _IMPLICIT and hasattr(model, "jacobian"):
        def jac(t, state):
            return model.jacobian(state)

    events = None
    k = None
    if detector is not None:
        k = detector.index(model)
        level = detector.threshold

        def crossing(t, state):
            return state[k] - level

        crossing.direction = 1.0
        crossing.terminal = bool(stop_at_spike)
        events = crossing

    edges = [t0] + sorted(b for b in (stimulus.breakpoints() if stimulus is not None else ()) if t0 < b < t_end)
    edges.append(t_end)
    sample_t = None if samples is None else np.asarray(samples, dtype=float)
    out = None if sample_t is None else np.full((model.n_states, sample_t.size), np.nan)
    pieces = []
    spike = None
    t_now = t0
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        options = {"jac": jac} if jac is not None else {}
        if events is not None:
            options["events"] = events
        sol = solve_ivp(fun, (a, b), y, method=method, rtol=rtol, atol=atol, max_step=max_step,
                        dense_output=(sample_t is not None or dense), **options)
        if sol.status < 0:
            raise SimulationError(f"{model.name}: integration failed at t = {sol.t[-1]:.6g} ms: {sol.message}")
        t_stop = sol.t[-1]
        if sample_t is not None:
            # samples a rounding error past t_end belong to the last segment
            upper = np.inf if (b == edges[-1] and sol.status == 0) else t_stop
            mask = (sample_t >= a) & (sample_t <= upper)
            if mask.any():
                out[:, mask] = sol.sol(np.minimum(sample_t[mask], t_stop))
        if dense:
            pieces.append((a, t_stop, sol.sol))
        y = sol.y[:, -1]
        t_now = t_stop
        if events is not None and spike is None:
            hits = sol.t_events[0]
            # an event exactly at the segment start is the previous segment's crossing
            hits = hits[hits > a] if a > t0 else hits
            if hits.size:
                spike = float(hits[0])
        if spike is not None and stop_at_spike:
            break
    return Run(t_now, y, spike, sample_t, out, tuple(pieces))
