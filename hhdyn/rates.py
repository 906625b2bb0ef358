"""Voltage-dependent rate functions of gating variables: value, V-derivative and emitted code.

Hodgkin and Huxley fitted every opening rate α(V) and closing rate β(V) of the squid axon with
one of three forms. NeuroML names them ``HHExpRate``, ``HHSigmoidRate`` and ``HHExpLinearRate``;
here they are :class:`ExpRate`, :class:`SigmoidRate` and :class:`ExpLinearRate`:

============== ==========================================  =======================
family         value r(V) (1/ms)                           with
============== ==========================================  =======================
exponential    A·exp((V − V½)/k)
sigmoid        A / (1 + exp(−(V − V½)/k))
exp-linear     A·x / (1 − exp(−x))                          x = (V − V½)/k
constant       A
tanh           (A/2)·(1 + tanh((V − V½)/k))                 (Morris–Lecar x∞, A = 1)
sech           A / cosh((V − V½)/(2k))                      (Morris–Lecar τ, A = 1/φ)
x∞/τ           x∞(V)/τ(V) or (1 − x∞(V))/τ(V)               (gates declared by x∞, τ)
function       any vectorized f(V)
============== ==========================================  =======================

V, V½ and k are in mV, A in 1/ms. Every family is one class that knows, in one place,

* its value ``rate(V)`` and its derivative ``rate.deriv(V)`` (NumPy, vectorized), so the model
  Jacobians built on them are exact;
* ``rate.expression(var)``: a plain expression string for exporting a model to other tools;
* ``rate.source(V, em)`` and ``rate.source_with_deriv(V, em)``: straight-line Python source of
  the value (and of the derivative) at the scalar local ``V``, which the compiled engine
  (:mod:`hhdyn.engine`) and the compiled cable step (:mod:`hhdyn._cable_kernel`) paste into
  their kernels. Helper lines go to an :class:`Emitter`; the only function the source may call
  is ``fexp`` (a vectorizable eˣ, :mod:`hhdyn.engine.mathlib`).

So no other module keeps its own encoding of the families; a new family is one new class with
these five methods (see :class:`Rate`).

The exp-linear shape g(x) = x/(1 − e^(−x)) has a removable singularity at x = 0, where
g = 1 and g' = 1/2. NumPy evaluates g as 1/exprel(−x) (``scipy.special.exprel``,
exact there); the one series branch of this code base is defined here (:data:`EXPLIN_SERIES`,
used for |x| < :data:`EXPLIN_SERIES_LIMIT` = 0.1 by :func:`explin_deriv` and by the emitted
source :func:`explin_source`/:func:`explin_deriv_source` of every compiled kernel alike); no
warnings are raised anywhere.
"""
from __future__ import annotations

import math
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
    "TanhRate",
    "SechRate",
    "InfTauRate",
    "FunctionRate",
    "Emitter",
    "NotCompilableError",
    "literal",
    "explin",
    "explin_deriv",
    "explin_source",
    "explin_deriv_source",
    "EXPLIN_SERIES",
    "EXPLIN_SERIES_LIMIT",
]


class Rate(Protocol):
    """What a gate needs from a rate family (all five methods; V in mV, rates in 1/ms)."""

    def __call__(self, V): ...

    def deriv(self, V): ...

    def expression(self, var: str = "V") -> str: ...

    def source(self, V: str, em: "Emitter") -> str: ...

    def source_with_deriv(self, V: str, em: "Emitter") -> tuple[str, str]: ...


class NotCompilableError(ValueError):
    """A rate (or a number in it) cannot be written as compiled source."""


# --------------------------------------------------------------------------- emitted source
class Assigner(Protocol):
    """Anything that appends ``<fresh local> = expr`` to generated code and returns the local's name
    (:class:`Emitter`, or the equation models' kernel printer)."""

    def assign(self, expr: str) -> str: ...


class Emitter:
    """Collects straight-line source lines with fresh temporary names.

    Rate shapes are written out inline (not as calls): LLVM does not inline larger helpers into
    the kernels' loops, and a call blocks vectorization of the loop over lanes.
    """

    def __init__(self, prefix: str = "t"):
        self.lines: list[str] = []
        self._prefix = prefix
        self._count = 0

    def tmp(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count}_"

    def assign(self, expr: str) -> str:
        """Append ``<fresh> = expr`` and return the fresh local's name."""
        name = self.tmp()
        self.lines.append(f"{name} = {expr}")
        return name


def literal(value: float) -> str:
    """A float as exact source text; NotCompilableError for a non-finite number."""
    value = float(value)
    if not math.isfinite(value):
        raise NotCompilableError(f"non-finite constant {value!r} in a rate")
    return repr(value)


def _check_scale(k: float, family: str) -> None:
    if not np.isfinite(k) or k == 0:
        raise ValueError(f"{family}: the slope factor k must be finite and non-zero, got k={k!r}")


def _fmt(value: float) -> str:
    return repr(float(value))


def _shifted(var: str, v_half: float) -> str:
    return f"({var}-({_fmt(v_half)}))"


# --------------------------------------------------------------------------- exp-linear shape
#: Taylor coefficients c_j of g(x) = x/(1 − e^(−x)) = Σ_j c_j x^j (Bernoulli numbers; the first
#: omitted term, x¹²·691/1307674368000·…, is below 1e-22 for |x| < 0.1).
EXPLIN_SERIES = (1.0, 0.5, 1.0 / 12.0, 0.0, -1.0 / 720.0, 0.0, 1.0 / 30240.0, 0.0,
                 -1.0 / 1209600.0, 0.0, 1.0 / 47900160.0)
#: |x| below which g and g' are evaluated by the series (the closed forms lose ~1e-15 there).
EXPLIN_SERIES_LIMIT = 0.1
_DERIV_SERIES = tuple(j * c for j, c in enumerate(EXPLIN_SERIES))[1:]


def _split(coeffs):
    """Coefficients of Σ c_j x^j as (even part in x², odd part in x²): Σ = E(x²) + x·O(x²)."""
    return coeffs[0::2], coeffs[1::2]


def _horner_text(coeffs, var: str) -> str:
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0.0:
        coeffs.pop()
    text = repr(float(coeffs[-1]))
    for c in reversed(coeffs[:-1]):
        text = f"{float(c)!r} + {var}*({text})"
    return text


def _horner(coeffs, x):
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0.0:
        coeffs.pop()
    out = coeffs[-1] + 0.0 * x
    for c in reversed(coeffs[:-1]):
        out = c + x * out
    return out


def _series(coeffs, x):
    even, odd = _split(coeffs)
    x2 = x * x
    return _horner(even, x2) + x * _horner(odd, x2)


def _series_source(coeffs, x: str, x2: str) -> str:
    even, odd = _split(coeffs)
    return f"({_horner_text(even, x2)}) + {x}*({_horner_text(odd, x2)})"


def explin(x):
    """g(x) = x/(1 − e^(−x)) = 1/exprel(−x), g(0) = 1 (``scipy.special.exprel``, exact and
    smooth through 0; it agrees with the series of the emitted code to rounding)."""
    return 1.0 / exprel(-np.asarray(x, dtype=float))


def explin_deriv(x):
    """g'(x), equal to 1/2 at x = 0, stable for all x.

    For |x| ≥ 0.1: g'(x) = (1 − (1 + x)e)/(1 − e)² with e = e^(−x) for x > 0, and
    e(e − 1 − x)/(1 − e)² with e = e^x for x < 0 (no exponential overflows); near 0 the
    term-wise derivative of :data:`EXPLIN_SERIES`.
    """
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < EXPLIN_SERIES_LIMIT
    xs = np.where(small, x, 0.0)
    xl = np.where(small, 1.0, x)
    e = np.exp(-np.abs(xl))  # in (0, 1): never overflows
    one_minus_e = -np.expm1(-np.abs(xl))
    positive = (1.0 - (1.0 + xl) * e) / one_minus_e**2
    negative = e * (e - 1.0 - xl) / one_minus_e**2
    return np.where(small, _series(_DERIV_SERIES, xs), np.where(xl > 0, positive, negative))


def explin_source(x: str, em: Assigner) -> str:
    """Local holding g(x) for the local ``x`` (the same series and switch as :func:`explin`)."""
    x2 = em.assign(f"{x}*{x}")
    series = em.assign(_series_source(EXPLIN_SERIES, x, x2))
    direct = em.assign(f"{x}/(1.0 - fexp(-{x}))")
    return em.assign(f"{series} if abs({x}) < {EXPLIN_SERIES_LIMIT!r} else {direct}")


def explin_deriv_source(x: str, em: Assigner) -> str:
    """Local holding g'(x) for the local ``x`` (the formulas of :func:`explin_deriv`)."""
    x2 = em.assign(f"{x}*{x}")
    series = em.assign(_series_source(_DERIV_SERIES, x, x2))
    e = em.assign(f"fexp(-abs({x}))")
    ome = em.assign(f"(1.0 - {e})*(1.0 - {e})")
    pos = em.assign(f"(1.0 - (1.0 + {x})*{e})/{ome}")
    neg = em.assign(f"{e}*({e} - 1.0 - {x})/{ome}")
    direct = em.assign(f"{pos} if {x} > 0.0 else {neg}")
    return em.assign(f"{series} if abs({x}) < {EXPLIN_SERIES_LIMIT!r} else {direct}")


# --------------------------------------------------------------------------- the families
@dataclass(frozen=True)
class _ShapedRate:
    """Common part of the A, V½, k families: x = (V − V½)/k."""

    A: float
    V_half: float
    k: float

    def __post_init__(self):
        _check_scale(self.k, type(self).__name__)

    def _x(self, V):
        return (np.asarray(V, dtype=float) - self.V_half) / self.k

    def _x_source(self, V: str, em: Emitter) -> str:
        return em.assign(f"({V}-({literal(self.V_half)}))*{literal(1.0 / self.k)}")


@dataclass(frozen=True)
class ExpRate(_ShapedRate):
    """Exponential rate r(V) = A·exp((V − V½)/k)  (NeuroML ``HHExpRate``); r' = r/k."""

    def __call__(self, V):
        return self.A * np.exp(self._x(V))

    def deriv(self, V):
        """dr/dV = r(V)/k."""
        return self(V) / self.k

    def expression(self, var: str = "V") -> str:
        return f"{_fmt(self.A)}*exp({_shifted(var, self.V_half)}/{_fmt(self.k)})"

    def source(self, V: str, em: Emitter) -> str:
        return f"({literal(self.A)}*fexp({self._x_source(V, em)}))"

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        value = em.assign(f"{literal(self.A)}*fexp({self._x_source(V, em)})")
        return value, em.assign(f"{value}*{literal(1.0 / self.k)}")


@dataclass(frozen=True)
class SigmoidRate(_ShapedRate):
    """Sigmoid rate r(V) = A / (1 + exp(−(V − V½)/k))  (NeuroML ``HHSigmoidRate``)."""

    def __call__(self, V):
        return self.A * expit(self._x(V))

    def deriv(self, V):
        """dr/dV = A·s(x)·s(−x)/k with s the logistic function and x = (V − V½)/k.

        (s(−x) rather than 1 − s(x): no cancellation where s is close to 1.)
        """
        x = self._x(V)
        return self.A * expit(x) * expit(-x) / self.k

    def expression(self, var: str = "V") -> str:
        return f"{_fmt(self.A)}/(1+exp(-{_shifted(var, self.V_half)}/{_fmt(self.k)}))"

    def source(self, V: str, em: Emitter) -> str:
        return f"({literal(self.A)}/(1.0 + fexp(-{self._x_source(V, em)})))"

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        """r' = (A/k)·e·s² with e = e^(−x), s = 1/(1 + e) (the same as A·s(x)s(−x)/k)."""
        e = em.assign(f"fexp(-{self._x_source(V, em)})")
        s = em.assign(f"1.0/(1.0 + {e})")
        value = em.assign(f"{literal(self.A)}*{s}")
        return value, em.assign(f"{literal(self.A / self.k)}*({e}*{s})*{s}")


@dataclass(frozen=True)
class ExpLinearRate(_ShapedRate):
    """Exp-linear rate r(V) = A·g(x), g(x) = x/(1 − exp(−x)), x = (V − V½)/k
    (NeuroML ``HHExpLinearRate``); r' = (A/k)·g'(x).

    Exact through the removable singularity: r(V½) = A, r'(V½) = A/(2k).
    """

    def __call__(self, V):
        return self.A * explin(self._x(V))

    def deriv(self, V):
        """dr/dV = (A/k)·g'(x)."""
        return self.A / self.k * explin_deriv(self._x(V))

    def expression(self, var: str = "V") -> str:
        x = f"({_shifted(var, self.V_half)}/{_fmt(self.k)})"
        return f"{_fmt(self.A)}*{x}/(1-exp(-{x}))"

    def source(self, V: str, em: Emitter) -> str:
        return f"({literal(self.A)}*{explin_source(self._x_source(V, em), em)})"

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        x = self._x_source(V, em)
        value = em.assign(f"{literal(self.A)}*{explin_source(x, em)}")
        return value, em.assign(f"{literal(self.A / self.k)}*{explin_deriv_source(x, em)}")


@dataclass(frozen=True)
class TanhRate(_ShapedRate):
    """r(V) = (A/2)·(1 + tanh(x)), x = (V − V½)/k: the Morris–Lecar steady state
    m∞ = ½(1 + tanh((V − V₁)/V₂)) with A = 1.

    The same function as the sigmoid A/(1 + e^(−2x)) of slope k/2 (no overflow), so value,
    derivative r' = (A/(2k))·sech²(x) and the compiled source are those of
    ``SigmoidRate(A, V½, k/2)``; only the exported expression is written with tanh.
    """

    @property
    def _sigmoid(self) -> "SigmoidRate":
        return SigmoidRate(self.A, self.V_half, self.k / 2.0)

    def __call__(self, V):
        return self._sigmoid(V)

    def deriv(self, V):
        """dr/dV = (A/(2k))·sech²(x), the sigmoid's derivative."""
        return self._sigmoid.deriv(V)

    def expression(self, var: str = "V") -> str:
        return f"{_fmt(self.A / 2)}*(1+tanh({_shifted(var, self.V_half)}/{_fmt(self.k)}))"

    def source(self, V: str, em: Emitter) -> str:
        return self._sigmoid.source(V, em)

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        return self._sigmoid.source_with_deriv(V, em)


@dataclass(frozen=True)
class SechRate(_ShapedRate):
    """r(V) = A / cosh(y), y = (V − V½)/(2k): the Morris–Lecar time constant
    τ = 1/(φ·cosh((V − V₃)/(2V₄))) with A = 1/φ (ms).

    Evaluated as A·2e/(1 + e²) with e = e^(−|y|) (no overflow); r' = −r·tanh(y)/(2k).
    """

    def _parts(self, V):
        y = 0.5 * self._x(V)
        e = np.exp(-np.abs(y))
        return y, e, 2.0 * e / (1.0 + e * e)

    def __call__(self, V):
        return self.A * self._parts(V)[2]

    def deriv(self, V):
        """dr/dV = −(A/(2k))·sech(y)·tanh(y), tanh(|y|) = (1 − e²)/(1 + e²)."""
        y, e, sech = self._parts(V)
        tanh = np.sign(y) * (1.0 - e * e) / (1.0 + e * e)
        return -self.A / (2.0 * self.k) * sech * tanh

    def expression(self, var: str = "V") -> str:
        return f"{_fmt(self.A)}/cosh({_shifted(var, self.V_half)}/{_fmt(2 * self.k)})"

    def _source_parts(self, V: str, em: Emitter):
        y = em.assign(f"0.5*{self._x_source(V, em)}")
        e = em.assign(f"fexp(-abs({y}))")
        return y, e, em.assign(f"2.0*{e}/(1.0 + {e}*{e})")

    def source(self, V: str, em: Emitter) -> str:
        return f"({literal(self.A)}*{self._source_parts(V, em)[2]})"

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        y, e, sech = self._source_parts(V, em)
        value = em.assign(f"{literal(self.A)}*{sech}")
        th = em.assign(f"(1.0 - {e}*{e})/(1.0 + {e}*{e})")
        tanh = em.assign(f"{th} if {y} >= 0.0 else -{th}")
        return value, em.assign(f"{literal(-1.0 / (2.0 * self.k))}*{value}*{tanh}")


@dataclass(frozen=True)
class ConstantRate:
    """A voltage-independent rate r(V) = A; r' = 0."""

    A: float

    def __call__(self, V):
        return np.full(np.shape(V), float(self.A))

    def deriv(self, V):
        return np.zeros(np.shape(V))

    def expression(self, var: str = "V") -> str:
        return _fmt(self.A)

    def source(self, V: str, em: Emitter) -> str:
        return f"({literal(self.A)})"

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        return em.assign(literal(self.A)), "0.0"


@dataclass(frozen=True)
class InfTauRate:
    """α = x∞/τ (``opening``) or β = (1 − x∞)/τ (closing) of a gate declared by x∞(V) and τ(V).

    ``x_inf`` (dimensionless) and ``tau`` (ms) are rates of any family; the derivative is the
    quotient rule r' = (num'·τ − num·τ')/τ². See :meth:`hhdyn.gates.Gate.from_inf_tau`.
    """

    x_inf: Rate
    tau: Rate
    opening: bool

    def _numerator(self, V):
        x = self.x_inf(V)
        return x if self.opening else 1.0 - x

    def __call__(self, V):
        return self._numerator(V) / self.tau(V)

    def deriv(self, V):
        dx = self.x_inf.deriv(V)
        dnum = dx if self.opening else -dx
        tau = self.tau(V)
        return (dnum * tau - self._numerator(V) * self.tau.deriv(V)) / tau**2

    def expression(self, var: str = "V") -> str:
        x = self.x_inf.expression(var)
        num = f"({x})" if self.opening else f"(1-({x}))"
        return f"{num}/({self.tau.expression(var)})"

    def source(self, V: str, em: Emitter) -> str:
        x_inf = em.assign(self.x_inf.source(V, em))
        tau = em.assign(self.tau.source(V, em))
        return f"({x_inf}/{tau})" if self.opening else f"((1.0-{x_inf})/{tau})"

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        xi, dxi = self.x_inf.source_with_deriv(V, em)
        tau, dtau = self.tau.source_with_deriv(V, em)
        num, dnum = (xi, dxi) if self.opening else (f"(1.0-{xi})", f"(-{dxi})")
        value = em.assign(f"{num}/{tau}")
        return value, em.assign(f"({dnum}*{tau} - {num}*{dtau})/({tau}*{tau})")


@dataclass(frozen=True)
class FunctionRate:
    """A rate given by any vectorized function of V (mV) → 1/ms.

    ``derivative`` should be given for exact Jacobians; without it dr/dV is taken by a central
    difference with step 1e-6·max(1, |V|) mV. ``text`` is the expression used for export; a
    model with a FunctionRate without text cannot be exported to other tools. A FunctionRate
    cannot be compiled (:meth:`source` raises :class:`NotCompilableError`).
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

    def source(self, V: str, em: Emitter) -> str:
        raise NotCompilableError(
            f"rate {self!r} is a FunctionRate, which cannot be compiled (only ExpRate, SigmoidRate, "
            "ExpLinearRate, ConstantRate and Gate.from_inf_tau of these); use hhdyn.simulation.simulate "
            "or the NumPy backend for this model"
        )

    def source_with_deriv(self, V: str, em: Emitter) -> tuple[str, str]:
        return self.source(V, em), ""  # raises
