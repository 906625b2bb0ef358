"""The one vocabulary of every ``continue_*`` function: :class:`Settings`, :class:`Status`, progress.

* **Steps** are pseudo-arclength steps in the problem's norm (state, parameters and, for
  cycles, period combined): ``ds`` the first step, ``ds_min`` (below it the corrector failure
  is final) and ``ds_max``. ``None`` lets each problem choose from the size of its window or
  of its first solution (the defaults are documented at each ``continue_*``).
* **direction** is +1 or −1: the sign of the change, at the start, of the *newest* continued
  parameter — ``param`` for equilibrium and cycle branches, ``param2`` for curves of
  codimension-two points (``None``: the function's default). Curves may also take ``0`` = both
  directions, joined into one curve (their default). A cycle branch started at a Hopf point
  leaves it with growing amplitude whatever the direction.
* **window** is ``(lo, hi)`` for the continued parameter; two-parameter curves take
  ``window=(lo, hi)`` and ``window2=(lo2, hi2)``. The curve ends exactly on the boundary.
* **progress** is one signature for all: ``progress(n_points: int, param: float)``, called
  after every accepted point with the number of points so far and the first parameter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Callable, Optional

__all__ = ["Settings", "Status", "Progress", "settings_from", "window_of"]

#: ``progress(n_points, param)`` — the callback every ``continue_*`` accepts.
Progress = Optional[Callable[[int, float], None]]


class Status(IntEnum):
    """How a continuation run ended: 0 done, > 0 stopped early with a reason, < 0 failed.

    ``Status.X.message`` says what happened and what to change.
    """

    DONE = 0
    MAX_POINTS = 1
    CLOSED = 2
    UNBOUNDED_PERIOD = 3
    CORRECTOR_FAILED = -1
    NON_FINITE = -2
    LOCATION_FAILED = -3

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    Status.DONE: "reached the end of the parameter window",
    Status.MAX_POINTS: "stopped after the maximum number of points; increase max_points",
    Status.CLOSED: "the curve closed on itself",
    Status.UNBOUNDED_PERIOD: "the period grew without bound (a homoclinic orbit is approached); "
                             "raise max_period to follow it further",
    Status.CORRECTOR_FAILED: "the corrector failed to converge at the minimum step size; "
                             "try a smaller ds_min or ds_max",
    Status.NON_FINITE: "the vector field or its Jacobian returned non-finite values; "
                       "narrow the parameter window",
    Status.LOCATION_FAILED: "locating a special point failed; try a smaller ds_max or detect fewer points",
}


@dataclass(frozen=True)
class Settings:
    """Step sizes, point budget and direction of one continuation run (see the module docstring).

    ``max_points`` counts the accepted points of one direction (special points are inserted
    in addition). ``tol`` is the corrector tolerance on the residual (``None``: the problem's
    own, e.g. 1e-10 for equilibria, 1e-9 for codim-2 curves and collocation).
    """

    ds: Optional[float] = None
    ds_min: Optional[float] = None
    ds_max: Optional[float] = None
    max_points: int = 5000
    direction: Optional[int] = None
    tol: Optional[float] = None

    def __post_init__(self):
        for name in ("ds", "ds_min", "ds_max", "tol"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite number > 0 (or None for the default), got {v!r}")
        if isinstance(self.max_points, bool) or int(self.max_points) != self.max_points or self.max_points < 2:
            raise ValueError(f"max_points must be an integer >= 2, got {self.max_points!r}")
        if self.direction not in (None, 1, -1, 0):
            raise ValueError(f"direction must be +1, -1 (or 0 = both, for curves), got {self.direction!r}")

    def filled(self, ds: float, ds_min: float, ds_max: float, tol: float, direction: int = 1) -> "Settings":
        """These settings with each ``None`` replaced by the given default (ds capped by ds_max)."""
        ds_max_ = self.ds_max if self.ds_max is not None else ds_max
        ds_ = self.ds if self.ds is not None else ds
        return replace(self, ds=min(ds_, ds_max_), ds_max=ds_max_,
                       ds_min=self.ds_min if self.ds_min is not None else ds_min,
                       tol=self.tol if self.tol is not None else tol,
                       direction=self.direction if self.direction is not None else direction)


def window_of(name: str, window) -> tuple:
    """``(lo, hi)`` as floats, ValueError naming ``name`` unless lo < hi (infinite ends allowed)."""
    try:
        lo, hi = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {window!r}") from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise ValueError(f"{name} must be (low, high) with low < high, got {window!r}")
    return lo, hi


def settings_from(settings, options) -> Settings:
    """The run's :class:`Settings`: ``settings`` or ``Settings(**options)`` (not both)."""
    if settings is not None and options:
        raise ValueError(f"pass either settings= or the options {sorted(options)}, not both")
    if settings is not None:
        if not isinstance(settings, Settings):
            raise ValueError(f"settings must be an analysis.continuation.Settings, got {type(settings).__name__}")
        return settings
    try:
        return Settings(**options)
    except TypeError as exc:
        raise ValueError(f"{exc}; the options are the fields of Settings: ds, ds_min, ds_max, max_points, "
                         "direction, tol") from None
