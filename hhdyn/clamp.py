"""The voltage clamp: conductance time courses at fixed membrane potential.

Hodgkin and Huxley held the membrane at a command potential V_c and measured the ionic
currents. With V fixed each gate relaxes exponentially,

    x(t) = x∞(V_c) − (x∞(V_c) − x∞(V_hold))·exp(−t/τ_x(V_c)),

and each channel's conductance is g·Π x^p. :func:`voltage_clamp` integrates the model's own gate
equations numerically at fixed V (an ideal clamp: the capacitive transient is instantaneous),
so the result is a check of the declaration as much as a picture of the 1952 experiments.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from .model import ConductanceModel
from .results import Result, panel_axes
from .simulation import simulate

__all__ = ["voltage_clamp", "VoltageClampResult"]


@dataclass(frozen=True)
class VoltageClampResult(Result):
    """Conductances (mS/cm²), currents (µA/cm²) and gates per command potential.

    Arrays are indexed ``[command, time]``; ``t`` is in ms with the step at t = 0 (negative
    times are the holding period). ``peak_conductance[channel]`` and ``peak_time[channel]``
    give the refined maximum of each conductance after the step. Table (:meth:`columns`): long
    format, one row per (command, time).
    """

    t: np.ndarray
    commands: np.ndarray
    holding: float
    conductances: dict
    currents: dict
    gates: dict
    peak_conductance: dict
    peak_time: dict
    model_name: str = ""

    def steady_conductance(self, channel: str) -> np.ndarray:
        """The conductance at the end of the step (mS/cm²), per command."""
        return self.conductances[channel][:, -1]

    def plot(self, ax=None, channels=None, quantity: str = "conductance"):
        """Conductance (or current) time courses, one line per command potential.

        Several panels, one per channel: ``ax`` None (a new figure), a Figure (panels added to
        it) or a sequence of Axes, one per channel; returns the list of Axes. With a single
        Axes given, all curves go on it and that Axes is returned.
        """
        import matplotlib.pyplot as plt
        from matplotlib.axes import Axes

        if quantity not in ("conductance", "current"):
            raise ValueError(f"quantity must be 'conductance' or 'current', got {quantity!r}")
        data = self.conductances if quantity == "conductance" else self.currents
        unit = "mS/cm²" if quantity == "conductance" else "µA/cm²"
        channels = list(channels or [c for c in data if np.ptp(data[c]) > 0])
        single = isinstance(ax, Axes)
        axes = [ax] * len(channels) if single else panel_axes(ax, len(channels), figsize=(4.2 * len(channels), 3.5))
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(self.commands)))
        for panel, channel in zip(axes, channels):
            for k, v_c in enumerate(self.commands):
                panel.plot(self.t, data[channel][k], color=colors[k], label=f"{v_c:g} mV")
            panel.set_xlabel("time after step (ms)")
            panel.set_ylabel(f"{channel} {quantity} ({unit})")
            panel.set_title(f"{channel}: clamp from {self.holding:g} mV")
        axes[-1].legend(frameon=False, fontsize="small", title="command")
        return ax if single else axes

    def columns(self) -> dict:
        """Long format: ``command_mV``, ``t_ms``, then ``g_<chan>_mS_per_cm2`` and ``I_<chan>_uA_per_cm2``."""
        names = list(self.conductances)
        n_cmd, n_t = len(self.commands), len(self.t)
        cols = {"command_mV": np.repeat(np.asarray(self.commands, dtype=float), n_t),
                "t_ms": np.tile(np.asarray(self.t, dtype=float), n_cmd)}
        cols.update({f"g_{c}_mS_per_cm2": np.asarray(self.conductances[c]).ravel() for c in names})
        cols.update({f"I_{c}_uA_per_cm2": np.asarray(self.currents[c]).ravel() for c in names})
        return cols


class _Clamped:
    """The gate equations of ``model`` with V held at ``v_c`` mV: dx/dt = f_x(v_c, x)."""

    def __init__(self, model, v_c: float):
        self.model, self.v_c = model, float(v_c)
        self.state_names = tuple(model.state_names[1:])
        self.n_states = len(self.state_names)
        self.name = f"{model.name} clamped at {self.v_c:g} mV"
        self.params = model.params

    def rhs(self, gates, params=None):
        return self.model.rhs(np.concatenate([[self.v_c], gates]), params)[1:]


def voltage_clamp(model: ConductanceModel, commands, holding: float = -65.0, duration: float = 10.0,
                  t_hold: float = 1.0, dt: float = 0.01, rtol: float = 1e-11, atol: float = 1e-13) -> VoltageClampResult:
    """Clamp ``model`` from ``holding`` (mV, gates at steady state) to each command potential.

    Parameters
    ----------
    commands : sequence of float
        Command potentials, mV.
    holding : float
        Holding potential before the step, mV.
    duration : float
        Length of the step, ms.
    t_hold : float
        Length of the holding period shown before the step, ms.
    dt : float
        Output sampling, ms. The gate equations are integrated with DOP853 at ``rtol``/``atol``.
    """
    if not isinstance(model, ConductanceModel):
        raise TypeError(f"voltage_clamp needs a conductance-based model, got {type(model).__name__}")
    commands = np.atleast_1d(np.asarray(commands, dtype=float))
    if commands.size == 0 or not np.all(np.isfinite(commands)):
        raise ValueError(f"commands must be a non-empty list of finite potentials, got {commands}")
    for name, value in (("duration", duration), ("dt", dt)):
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive, got {value!r}")
    if not (np.isfinite(t_hold) and t_hold >= 0):
        raise ValueError(f"t_hold must be >= 0, got {t_hold!r}")
    y_hold = model.steady_state_curve(float(holding))
    t_pre = -np.arange(int(round(t_hold / dt)), 0, -1) * dt
    t_step = np.arange(0.0, duration + 0.5 * dt, dt)
    t = np.concatenate([t_pre, t_step])
    states = np.empty((commands.size, model.n_states, t.size))
    peak_g = {c.name: np.empty(commands.size) for c in model.channels}
    peak_t = {c.name: np.empty(commands.size) for c in model.channels}
    for k, v_c in enumerate(commands):
        sol = simulate(_Clamped(model, v_c), duration, y0=y_hold[1:], method="DOP853", rtol=rtol, atol=atol,
                       t_eval=(), dense_output=True)
        states[k, 0, :] = np.where(t < 0, holding, v_c)
        states[k, 1:, : t_pre.size] = y_hold[1:, None]
        states[k, 1:, t_pre.size:] = sol.sol(t_step)

        def conductance_at(time, name, v_c=v_c, sol=sol):
            y = np.concatenate([[v_c], sol.sol(time)])
            return model.conductances(y)[name]

        for channel in model.channels:
            g = model.conductances(states[k, :, t_pre.size:])[channel.name]
            i = int(np.argmax(g))
            lo, hi = t_step[max(i - 1, 0)], t_step[min(i + 1, t_step.size - 1)]
            if hi > lo:
                best = minimize_scalar(lambda s: -conductance_at(s, channel.name), bounds=(lo, hi),
                                       method="bounded", options={"xatol": 1e-10})
                peak_t[channel.name][k], peak_g[channel.name][k] = best.x, -best.fun
            if hi <= lo or peak_g[channel.name][k] < g[i]:
                peak_t[channel.name][k], peak_g[channel.name][k] = t_step[i], g[i]
    flat = states.transpose(1, 0, 2).reshape(model.n_states, -1)
    shape = (commands.size, t.size)
    conductances = {n: v.reshape(shape) for n, v in model.conductances(flat).items()}
    currents = {n: v.reshape(shape) for n, v in model.channel_currents(flat).items()}
    gates = {n: np.broadcast_to(v, shape[0] * shape[1]).reshape(shape) for n, v in model.gate_values(flat).items()}
    return VoltageClampResult(t, commands, float(holding), conductances, currents, gates, peak_g, peak_t,
                              model.name)
