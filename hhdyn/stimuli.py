"""Applied currents I_stim(t) in µA/cm² (t in ms), added to a model's constant I_ext.

Stimuli are small immutable objects; they are vectorized in t, know the times at which they
jump (so integrators can restart there instead of stepping over a discontinuity) and add:
``Step(10, 1, 5) + Constant(2)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import numpy as np
from numpy.typing import ArrayLike
from .validation import check_number

__all__ = [
    "Stimulus",
    "Constant",
    "Step",
    "PulseTrain",
    "Ramp",
    "Sum",
    "Function",
    "OrnsteinUhlenbeck",
    "WhiteNoise",
    "as_stimulus",
]


#: What :func:`as_stimulus` accepts: a Stimulus, a number (µA/cm², constant), a callable of t (ms), or None (0).
StimulusLike = Union["Stimulus", float, Callable[[Any], Any], None]


class Stimulus:
    """Base class: ``stim(t)`` → current (µA/cm²), ``breakpoints()`` → jump times (ms)."""

    #: Largest step an adaptive integrator should take (ms), for stimuli with fine structure.
    max_step: float | None = None

    def __call__(self, t: ArrayLike) -> np.ndarray:
        raise NotImplementedError

    def breakpoints(self) -> tuple[float, ...]:
        return ()

    def __add__(self, other: StimulusLike) -> Stimulus:
        return Sum((self, as_stimulus(other)))

    __radd__ = __add__


@dataclass(frozen=True)
class Constant(Stimulus):
    """I(t) = amplitude for all t."""

    amplitude: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "amplitude", check_number("amplitude", self.amplitude))

    def __call__(self, t: ArrayLike) -> np.ndarray:
        return np.full(np.shape(t), self.amplitude)


@dataclass(frozen=True)
class Step(Stimulus):
    """I(t) = amplitude for onset ≤ t < onset + duration, else 0."""

    onset: float
    duration: float
    amplitude: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", check_number("onset", self.onset))
        object.__setattr__(self, "duration", check_number("duration", self.duration, positive=True))
        object.__setattr__(self, "amplitude", check_number("amplitude", self.amplitude))

    def __call__(self, t: ArrayLike) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return np.where((t >= self.onset) & (t < self.onset + self.duration), self.amplitude, 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        return (self.onset, self.onset + self.duration)


@dataclass(frozen=True)
class PulseTrain(Stimulus):
    """``count`` rectangular pulses of ``width`` ms every ``interval`` ms from ``onset``."""

    onset: float
    width: float
    interval: float
    amplitude: float
    count: int

    def __post_init__(self) -> None:
        check_number("onset", self.onset)
        check_number("width", self.width, positive=True)
        check_number("interval", self.interval, positive=True)
        check_number("amplitude", self.amplitude)
        if int(self.count) != self.count or self.count < 1:
            raise ValueError(f"count must be a positive integer, got {self.count!r}")
        if self.width > self.interval:
            raise ValueError(f"width ({self.width} ms) must not exceed interval ({self.interval} ms)")

    def __call__(self, t: ArrayLike) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        k = np.floor((t - self.onset) / self.interval)
        phase = t - self.onset - k * self.interval
        on = (k >= 0) & (k < self.count) & (phase < self.width)
        return np.where(on, self.amplitude, 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        starts = self.onset + self.interval * np.arange(int(self.count))
        return tuple(np.sort(np.concatenate([starts, starts + self.width])))


@dataclass(frozen=True)
class Ramp(Stimulus):
    """Linear ramp from ``start`` to ``stop`` (µA/cm²) over [onset, onset + duration].

    Zero before the onset; after the ramp it holds ``stop`` if ``hold`` else returns to 0.
    """

    onset: float
    duration: float
    start: float
    stop: float
    hold: bool = False

    def __post_init__(self) -> None:
        check_number("onset", self.onset)
        check_number("duration", self.duration, positive=True)
        check_number("start", self.start)
        check_number("stop", self.stop)

    def __call__(self, t: ArrayLike) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        frac = (t - self.onset) / self.duration
        during = self.start + (self.stop - self.start) * frac
        after = self.stop if self.hold else 0.0
        return np.where(t < self.onset, 0.0, np.where(frac < 1.0, during, after))

    def breakpoints(self) -> tuple[float, ...]:
        return (self.onset, self.onset + self.duration)


@dataclass(frozen=True)
class Sum(Stimulus):
    """The sum of several stimuli."""

    terms: tuple

    def __call__(self, t: ArrayLike) -> np.ndarray:
        return sum((term(t) for term in self.terms), np.zeros(np.shape(t)))

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(sorted({b for term in self.terms for b in term.breakpoints()}))

    @property
    def max_step(self) -> float | None:  # type: ignore[override]
        steps = [term.max_step for term in self.terms if term.max_step is not None]
        return min(steps) if steps else None


@dataclass(frozen=True)
class Function(Stimulus):
    """Any callable of t (ms) returning µA/cm²; list its jump times in ``breakpoints_ms``."""

    function: Callable
    breakpoints_ms: tuple = ()

    def __call__(self, t: ArrayLike) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        try:
            return np.broadcast_to(np.asarray(self.function(t), dtype=float), t.shape).copy()
        except (TypeError, ValueError):
            return np.vectorize(lambda s: float(self.function(s)))(t)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(self.breakpoints_ms)


@dataclass(frozen=True)
class OrnsteinUhlenbeck(Stimulus):
    """A seeded Ornstein–Uhlenbeck current: dI = (mean − I)/tau·dt + sigma·√(2/tau)·dW.

    ``sigma`` is the stationary standard deviation (µA/cm²), ``tau`` the correlation time (ms).
    Sampled exactly on a grid of spacing ``dt`` ms from I(0) = mean, generated lazily and
    deterministically from ``seed``, and linearly interpolated between grid points (so the
    current is continuous and an adaptive integrator need not restart).
    """

    mean: float
    sigma: float
    tau: float
    dt: float = 0.01
    seed: int | None = 0
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_number("mean", self.mean)
        check_number("sigma", self.sigma, nonnegative=True)
        check_number("tau", self.tau, positive=True)
        check_number("dt", self.dt, positive=True)

    @property
    def max_step(self) -> float | None:  # type: ignore[override]
        return self.dt

    def _samples(self, n: int) -> np.ndarray:
        values = self._cache.get("values")
        if values is None or values.size < n:
            size = max(n, 2 * (values.size if values is not None else 1024))
            rng = np.random.default_rng(self.seed)
            decay = math.exp(-self.dt / self.tau)
            noise = self.sigma * math.sqrt(1.0 - decay**2) * rng.standard_normal(size)
            out = np.empty(size)
            x = self.mean
            for k in range(size):  # exact OU update between grid points
                out[k] = x
                x = self.mean + (x - self.mean) * decay + noise[k]
            self._cache["values"] = values = out
        return values

    def __call__(self, t: ArrayLike) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if np.any(t < 0):
            raise ValueError("noise stimuli are defined for t >= 0 only")
        n = int(np.max(t, initial=0.0) / self.dt) + 2
        values = self._samples(n)
        grid = np.arange(n) * self.dt
        return np.interp(t, grid, values[:n])


@dataclass(frozen=True)
class WhiteNoise(Stimulus):
    """Seeded Gaussian white-noise current of ``intensity`` (µA/cm²·√ms) around ``mean``.

    Independent samples N(mean, intensity²/dt) on a grid of ``dt`` ms, linearly interpolated:
    the integral of I − mean over a time T has variance ≈ intensity²·T.
    """

    intensity: float
    dt: float = 0.01
    mean: float = 0.0
    seed: int | None = 0
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_number("intensity", self.intensity, nonnegative=True)
        check_number("dt", self.dt, positive=True)
        check_number("mean", self.mean)

    @property
    def max_step(self) -> float | None:  # type: ignore[override]
        return self.dt

    def __call__(self, t: ArrayLike) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if np.any(t < 0):
            raise ValueError("noise stimuli are defined for t >= 0 only")
        n = int(np.max(t, initial=0.0) / self.dt) + 2
        values = self._cache.get("values")
        if values is None or values.size < n:
            size = max(n, 2 * (values.size if values is not None else 1024))
            rng = np.random.default_rng(self.seed)
            values = self.mean + self.intensity / math.sqrt(self.dt) * rng.standard_normal(size)
            self._cache["values"] = values
        return np.interp(t, np.arange(n) * self.dt, values[:n])


def as_stimulus(value: StimulusLike) -> Stimulus:
    """A Stimulus from a Stimulus, a number (constant) or a callable of t."""
    if value is None:
        return Constant(0.0)
    if isinstance(value, Stimulus):
        return value
    if callable(value):
        return Function(value)
    return Constant(value)
