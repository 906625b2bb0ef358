"""Spike detection: on sampled traces, and as an event of :func:`hhdyn.simulate`.

Spikes are upward crossings of a threshold by the membrane potential in the *modern* sign
convention (depolarization positive); a model whose state is measured otherwise (the 1952
convention of Hodgkin & Huxley) says so with a :class:`VoltageConvention`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["spike_times", "spike_peaks", "firing_rate", "SpikeDetector", "VoltageConvention", "MODERN",
           "voltage_convention", "detection_values"]


def _crossings(t, v, threshold, hysteresis):
    """Indices i with v[i] < threshold ≤ v[i+1], re-armed only after v < threshold − hysteresis."""
    if hysteresis < 0:
        raise ValueError(f"hysteresis must be >= 0, got {hysteresis}")
    v = np.asarray(v, dtype=float)
    up = np.flatnonzero((v[:-1] < threshold) & (v[1:] >= threshold))
    if hysteresis == 0 or up.size == 0:
        return up
    below = np.flatnonzero(v < threshold - hysteresis)
    kept, armed_after = [], -1
    for i in up:
        if i >= armed_after:
            kept.append(i)
            # next crossing counts only after the trace has gone below threshold − hysteresis
            later = below[np.searchsorted(below, i + 1):]
            armed_after = later[0] if later.size else np.iinfo(np.int64).max
    return np.array(kept, dtype=int)


def spike_times(t, v, threshold: float = 0.0, hysteresis: float = 10.0) -> np.ndarray:
    """Times (ms) of upward crossings of ``threshold`` (mV), linearly interpolated.

    A crossing counts only when the trace has fallen below ``threshold − hysteresis`` since the
    previous one, so noise around the threshold does not double-count a spike.
    """
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    i = _crossings(t, v, threshold, hysteresis)
    frac = (threshold - v[i]) / (v[i + 1] - v[i])
    return t[i] + frac * (t[i + 1] - t[i])


def spike_peaks(t, v, threshold: float = 0.0, hysteresis: float = 10.0) -> np.ndarray:
    """The maximum of v (mV) within each detected spike (from its crossing to the next)."""
    v = np.asarray(v, dtype=float)
    i = _crossings(np.asarray(t), v, threshold, hysteresis)
    bounds = np.append(i, v.size - 1)
    return np.array([v[a:b + 1].max() for a, b in zip(bounds[:-1], bounds[1:])])


def firing_rate(spikes, t_start: float | None = None, t_stop: float | None = None) -> float:
    """Firing rate in Hz from spike times (ms): 1000 / mean inter-spike interval of the spikes
    in [t_start, t_stop]; 0 when fewer than two spikes fall in the window."""
    s = np.asarray(spikes, dtype=float)
    if t_start is not None:
        s = s[s >= t_start]
    if t_stop is not None:
        s = s[s <= t_stop]
    if s.size < 2:
        return 0.0
    return 1000.0 * (s.size - 1) / (s[-1] - s[0])


# --------------------------------------------------------------------------- sign conventions
@dataclass(frozen=True)
class VoltageConvention:
    """Which state is the membrane potential and how it maps to the modern convention.

    The membrane potential in the modern convention (inside minus outside, mV; depolarization
    positive) is V = ``sign``·y[``state``] + ``offset``. Modern models use the default (V = y["V"]);
    the 1952 convention of Hodgkin & Huxley (v = −(V + 65), depolarization negative) is
    ``VoltageConvention("V", -1.0, -65.0)``. A model declares its convention with an attribute
    ``voltage_convention``; models without one are taken as modern. Spike detection
    (:class:`SpikeDetector`, :meth:`hhdyn.Trajectory.spike_times`) works on the modern V, so a
    threshold of 0 mV and "upward crossing" mean the same thing in every convention.
    """

    state: str = "V"
    sign: float = 1.0
    offset: float = 0.0

    def __post_init__(self):
        if self.sign not in (1.0, -1.0):
            raise ValueError(f"sign must be +1 or -1, got {self.sign!r}")
        if not math.isfinite(self.offset):
            raise ValueError(f"offset must be finite (mV), got {self.offset!r}")

    @property
    def is_modern(self) -> bool:
        return self.sign == 1.0 and self.offset == 0.0

    def to_modern(self, values):
        """V = sign·values + offset (mV)."""
        return self.sign * np.asarray(values, dtype=float) + self.offset


#: The modern convention: state "V" is the membrane potential in mV, depolarization positive.
MODERN = VoltageConvention()


def voltage_convention(model) -> VoltageConvention:
    """The model's :class:`VoltageConvention` (attribute ``voltage_convention``; default modern)."""
    convention = getattr(model, "voltage_convention", None)
    return MODERN if convention is None else convention


def detection_values(model, variable: str, values):
    """The values spike detection looks at for state ``variable``: the modern membrane potential
    when ``variable`` is the model's potential state, the raw state otherwise."""
    convention = voltage_convention(model)
    return convention.to_modern(values) if variable == convention.state else np.asarray(values, dtype=float)


@dataclass(frozen=True)
class SpikeDetector:
    """A spike is an upward crossing of ``threshold`` by state ``variable`` (default V, 0 mV).

    For the model's membrane-potential state the threshold is a modern membrane potential
    (see :class:`VoltageConvention`), so ``SpikeDetector()`` finds the same spikes in
    :func:`hhdyn.HodgkinHuxley1952` as in :func:`hhdyn.HodgkinHuxley`; for any other state
    (e.g. FitzHugh–Nagumo's ``v``) it is a value of that state. With ``terminal`` (default) the
    integration of :func:`hhdyn.simulate` stops at the first spike (status 1).

    ``simulate(model, t_end, events=SpikeDetector())`` locates each crossing to the integrator's
    accuracy (a root of g(t) = V(t) − threshold on the dense output, as solve_ivp's events do);
    the times are in ``Trajectory.t_events[i]``.
    """

    threshold: float = 0.0
    variable: str = "V"
    terminal: bool = True

    def __post_init__(self):
        if not math.isfinite(self.threshold):
            raise ValueError(f"spike threshold must be finite, got {self.threshold!r}")

    def index(self, model) -> int:
        """Position of ``variable`` among the model's states (ValueError naming them otherwise)."""
        if hasattr(model, "state_index"):
            return model.state_index(self.variable)
        try:
            return tuple(model.state_names).index(self.variable)
        except ValueError:
            raise ValueError(f"{self.variable!r} is not a state; states are {', '.join(model.state_names)}") from None

    def event(self, model):
        """The event function g(t, y) (direction +1, ``terminal`` as set) for ``model``."""
        k = self.index(model)
        convention = voltage_convention(model)
        sign, offset = (convention.sign, convention.offset) if self.variable == convention.state else (1.0, 0.0)
        level = self.threshold

        def crossing(t, y):
            return sign * y[k] + offset - level

        crossing.direction = 1.0
        crossing.terminal = bool(self.terminal)
        return crossing
