"""The result of one integration: :class:`Trajectory` (samples, end state, status, events)."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np

from . import spikes as _spikes
from .io import atomic_path
from .stimuli import Stimulus

__all__ = ["Trajectory", "STATUS_MESSAGES"]

#: ``Trajectory.status`` codes (as in :func:`scipy.integrate.solve_ivp`: 0 done, > 0 stopped
#: early with the reason, < 0 failed — a failure is raised as :class:`hhdyn.SimulationError`, so
#: a returned trajectory never carries a negative status).
STATUS_MESSAGES = {
    0: "reached t_end",
    1: "stopped at a terminal event",
}


@dataclass(frozen=True)
class Trajectory:
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
    """

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

    def to_csv(self, path, currents: bool = False) -> None:
        """Write t, every state, I_applied = I_ext + I_stim (and channel currents) as CSV with
        units in the header (column ``I_applied_uA_per_cm2``)."""
        columns = {"t_ms": self.t}
        for name, row in zip(self.state_names, self.y):
            columns[f"{name}_mV" if name == "V" else name] = row
        columns["I_applied_uA_per_cm2"] = self.I_applied
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
