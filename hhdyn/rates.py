"""Voltage-dependent rate functions of gating variables.

Hodgkin and Huxley fitted every opening rate α(V) and closing rate β(V) of the squid axon with
one of three forms. NeuroML names them ``HHExpRate``, ``HHSigmoidRate`` and ``HHExpLinearRate``;
here they are :class:`ExpRate`, :class:`SigmoidRate` and :class:`ExpLinearRate`:

============== ==========================================  =======================
family         value r(V) (1/ms)                           with
============== ==========================================  =======================
exponential    A·exp((V − V½)/k)
sigmoid        A / (1 + exp(−(V − V½)/k))
exp-linear     A·x / (1 − exp(−x))                          x = (V − V½)/k
============== ==========================================  =======================

V, V½ and k are in mV, A in 1/ms. Each rate knows its value and its derivative dr/dV, so the
model Jacobians built on them are exact, and each can print itself as an expression string
(for exporting a model to other tools such as PyDSTool).

The exp-linear form has a removable singularity at x = 0, where its value is A and its slope
A/(2k). It is evaluated as A / exprel(−x) (``scipy.special.exprel``), which is exact and smooth
there, and its derivative uses a Taylor series for |x| < 0.1; no warnings are raised.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
from scipy.special import expit, exprel

__all__ = [
    "Rate",
    "ExpRate",
    "SigmoidRate",
    "ExpLinearRate",
    "ConstantRate",
    "FunctionRate",
]

_SERIES_LIMIT = 0.1


class Rate(Protocol):
    """What a gate needs from a rate function: value, V-derivative and an expression."""

    def __call__(self, V): ...

    def deriv(self, V): ...

    def expression(self, var: str = "V") -> str: ...


def _check_scale(k: float, family: str) -> None:
    if not np.isfinite(k) or k == 0:
        raise ValueError(f"{family}: the slope factor k must be finite and non-zero, got k={k!r}")


def _fmt(value: float) -> str:
    return repr(float(value))


def _shifted(var: str, v_half: float) -> str:
    return f"({var}-({_fmt(v_half)}))"


@dataclass(frozen=True)
class ExpRate:
    """Exponential rate r(V) = A·exp((V − V½)/k)  (NeuroML ``HHExpRate``)."""

    A: float
    V_half: float
    k: float

    def __post_init__(self):
        _check_scale(self.k, "ExpRate")

    def __call__(self, V):
        return self.A * np.exp((np.asarray(V, dtype=float) - self.V_half) / self.k)

    def deriv(self, V):
        """dr/dV = r(V)/k."""
        return self(V) / self.k

    def expression(self, var: str = "V") -> str:
        return f"{_fmt(self.A)}*exp({_shifted(var, self.V_half)}/{_fmt(self.k)})"


@dataclass(frozen=True)
class SigmoidRate:
    """Sigmoid rate r(V) = A / (1 + exp(−(V − V½)/k))  (NeuroML ``HHSigmoidRate``)."""

    A: float
    V_half: float
    k: float

    def __post_init__(self):
        _check_scale(self.k, "SigmoidRate")

    def __call__(self, V):
        return self.A * expit((np.asarray(V, dtype=float) - self.V_half) / self.k)

    def deriv(self, V):
        """dr/dV = A·s(x)·s(−x)/k with s the logistic function and x = (V − V½)/k.

        (s(−x) rather than 1 − s(x): no cancellation where s is close to 1.)
        """
        x = (np.asarray(V, dtype=float) - self.V_half) / self.k
        return self.A * expit(x) * expit(-x) / self.k

    def expression(self, var: str = "V") -> str:
        return f"{_fmt(self.A)}/(1+exp(-{_shifted(var, self.V_half)}/{_fmt(self.k)}))"


def _x_over_one_minus_exp(x):
    """g(x) = x / (1 − e^(−x)) = 1/exprel(−x); g(0) = 1."""
    return 1.0 / exprel(-x)


def _x_over_one_minus_exp_deriv(x):
    """g'(x) for g(x) = x/(1 − e^(−x)), stable for all x, equal to 1/2 at x = 0.

    For |x| ≥ 0.1:  g'(x) = (1 − (1 + x)e^(−x)) / (1 − e^(−x))²  for x > 0, and the same
    multiplied through by e^(2x) for x < 0 so no exponential overflows. Near 0 the Taylor series
    g'(x) = 1/2 + x/6 − x³/180 + x⁵/5040 − x⁷/151200 + x⁹/4790016 (Bernoulli numbers; the next
    term is below 1e-19 for |x| < 0.1, where the closed form would lose ~1e-14 to cancellation).
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < _SERIES_LIMIT
    xs = np.where(small, x, 0.0)
    series = 0.5 + xs / 6.0 - xs**3 / 180.0 + xs**5 / 5040.0 - xs**7 / 151200.0 + xs**9 / 4790016.0
    xl = np.where(small, 1.0, x)
    e = np.exp(-np.abs(xl))  # in (0, 1): never overflows
    one_minus_e = -np.expm1(-np.abs(xl))
    positive = (1.0 - (1.0 + xl) * e) / one_minus_e**2
    # for x < 0 multiply through by e^(2x):  g'(x) = e(e − 1 − x)/(1 − e)²  with e = e^x
    negative = e * (e - 1.0 - xl) / one_minus_e**2
    out = np.where(xl > 0, positive, negative)
    return np.where(small, series, out)


@dataclass(frozen=True)
class ExpLinearRate:
    """Exp-linear rate r(V) = A·x/(1 − exp(−x)), x = (V − V½)/k  (NeuroML ``HHExpLinearRate``).

    Exact through the removable singularity: r(V½) = A.
    """

    A: float
    V_half: float
    k: float

    def __post_init__(self):
        _check_scale(self.k, "ExpLinearRate")

    def _x(self, V):
        return (np.asarray(V, dtype=float) - self.V_half) / self.k

    def __call__(self, V):
        return self.A * _x_over_one_minus_exp(self._x(V))

    def deriv(self, V):
        """dr/dV = (A/k)·g'(x) with g(x) = x/(1 − e^(−x))."""
        return self.A / self.k * _x_over_one_minus_exp_deriv(self._x(V))

    def expression(self, var: str = "V") -> str:
        x = f"({_shifted(var, self.V_half)}/{_fmt(self.k)})"
        return f"{_fmt(self.A)}*{x}/(1-exp(-{x}))"


@dataclass(frozen=True)
class ConstantRate:
    """A voltage-independent rate r(V) = A."""

    A: float

    def __call__(self, V):
        return np.full(np.shape(V), float(self.A))

    def deriv(self, V):
        return np.zeros(np.shape(V))

    def expression(self, var: str = "V") -> str:
        return _fmt(self.A)


@dataclass(frozen=True)
class FunctionRate:
    """A rate given by any vectorized function of V (mV) → 1/ms.

    ``derivative`` should be given for exact Jacobians; without it dr/dV is taken by a central
    difference with step 1e-6·max(1, |V|) mV. ``text`` is the expression used for export; a
    model with a FunctionRate without text cannot be exported to other tools.
    """

    function: Callable
    derivative: Callable | None = None
    text: str | None = None

    def __call__(self, V):
        return np.asarray(self.function(np.asarray(V, dtype=float)), dtype=float)

    def deriv(self, V):
        V = np.asarray(V, dtype=float)
        if self.derivative is not None:
            return np.asarray(self.derivative(V), dtype=float)
        h = 1e-6 * np.maximum(1.0, np.abs(V))
        return (self(V + h) - self(V - h)) / (2.0 * h)

    def expression(self, var: str = "V") -> str:
        if self.text is None:
            raise ValueError(
                "FunctionRate has no expression text; pass text='...' in terms of V to export it"
            )
        return re.sub(r"\bV\b", var, self.text)
