"""Immutable parameter sets shared by every model."""
from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["Params"]


class Params(Mapping):
    """An immutable mapping of parameter name → float, readable as attributes.

    >>> p = Params({"I_ext": 10.0, "C": 1.0})
    >>> p.I_ext, p["C"]
    (10.0, 1.0)
    >>> p.replace(I_ext=5.0)["I_ext"]
    5.0
    """

    __slots__ = ("_data",)

    def __init__(self, data=(), **kwargs):
        values = dict(data, **kwargs)
        clean = {}
        for name, value in values.items():
            clean[name] = _as_finite_float(name, value)
        object.__setattr__(self, "_data", clean)

    def __getitem__(self, name):
        try:
            return self._data[name]
        except KeyError:
            raise KeyError(f"unknown parameter {name!r}; known: {', '.join(self._data)}") from None

    def __getattr__(self, name):
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"unknown parameter {name!r}; known: {', '.join(self._data)}") from None

    def __setattr__(self, name, value):
        raise AttributeError("Params is immutable; use .replace(name=value)")

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __hash__(self):
        return hash(tuple(self._data.items()))

    def __eq__(self, other):
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __repr__(self):
        inner = ", ".join(f"{k}={v:g}" for k, v in self._data.items())
        return f"Params({inner})"

    def __reduce__(self):
        return (Params, (self._data,))

    def replace(self, **changes) -> "Params":
        """A copy with some values changed; unknown names raise ValueError."""
        unknown = [k for k in changes if k not in self._data]
        if unknown:
            raise ValueError(
                f"unknown parameter {unknown[0]!r}; known parameters: {', '.join(self._data)}"
            )
        return Params({**self._data, **changes})


def _as_finite_float(name, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"parameter {name!r} must be finite, got {value!r}")
    return number
