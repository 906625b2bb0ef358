"""Checks of user-supplied numbers, with errors that name the argument and the bad value."""
from __future__ import annotations

import math

__all__ = ["check_number"]


def check_number(name: str, value, *, positive: bool = False, nonnegative: bool = False, unit: str = "") -> float:
    """``float(value)`` if it is a finite number (and > 0 or ≥ 0 when asked); else ValueError.

    >>> check_number("dt", "0.01", positive=True, unit="ms")
    0.01
    >>> check_number("dt", -1, positive=True, unit="ms")
    Traceback (most recent call last):
    ...
    ValueError: dt must be a positive number of ms, got -1
    """
    of_unit = f" of {unit}" if unit else ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number{of_unit}, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number{of_unit}, got {value!r}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be a positive number{of_unit}, got {value!r}")
    if nonnegative and number < 0:
        raise ValueError(f"{name} must be a non-negative number{of_unit}, got {value!r}")
    return number
