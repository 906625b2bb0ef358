"""Spike detection on sampled voltage traces."""
from __future__ import annotations

import numpy as np

__all__ = ["spike_times", "spike_peaks", "firing_rate"]


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
