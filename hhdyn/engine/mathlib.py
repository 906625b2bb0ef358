"""Scalar building blocks of the generated kernels, written so that LLVM can vectorize them.

Numba lowers ``math.exp`` to a call of the C library (no SIMD version without Intel's SVML),
which blocks vectorization of the loop over neurons: an HH RK4 step then costs ~110–124 ns per
neuron instead of ~30 ns. :func:`fexp` is a branch-free exponential made of operations LLVM
vectorizes (multiply-adds, a rounding and an integer → float bit cast):

    exp(x) = 2^k · exp(r),   k = round(x / ln 2),   r = x − k·ln 2 ∈ [−ln2/2, ln2/2]

with exp(r) by its Taylor polynomial of degree 13 (truncation < 2e-17 relative), ln 2 split in
a high and a low part (Cody–Waite) and 2^k built from its IEEE-754 bits. The relative error is
≈ 2e-16 over the whole range; exp(x) = +inf for x ≥ 709 (true overflow is at 709.78), 0 for x < −708.39 and NaN → NaN.

The rate families of :mod:`hhdyn.rates` follow:

* :func:`explin` g(x) = x/(1 − e^(−x)) with the removable singularity at 0 handled by its
  Bernoulli series for |x| < 0.1, compiled from the one source text of
  :func:`hhdyn.rates.explin_source` (:data:`hhdyn.rates.EXPLIN_SERIES`), so g is exact and
  smooth through x = 0;
* :func:`logistic` s(x) = 1/(1 + e^(−x)).

All functions are pure and branch-free (selects, not jumps), so they are inlined into the
kernels' loops and vectorized there.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ..rates import Emitter, explin_source

__all__ = ["fexp", "explin", "logistic", "int_bits_as_float"]

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_X_MAX = 709.0
_X_MIN = -708.3964185322641


@intrinsic
def int_bits_as_float(typingctx, bits):
    """Reinterpret the bits of an int64 as a float64 (an LLVM bitcast, free and vectorizable)."""
    if not isinstance(bits, types.Integer):
        return None
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], signature.args[0], types.int64)
        return builder.bitcast(value, ir.DoubleType())

    return sig, codegen


@njit(error_model="numpy")
def fexp(x):
    """exp(x) with ≈ 2e-16 relative error, vectorizable (see module docstring)."""
    xc = x if x < _X_MAX else _X_MAX
    xc = xc if xc > _X_MIN else _X_MIN
    k = np.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    ki = np.int64(k) + 1023
    # 2^k for k in [-1022, 1023]; k = -1022 is the smallest normal (x ≥ _X_MIN keeps k ≥ -1022)
    scale = int_bits_as_float(ki << 52)
    out = p * scale
    out = out if x < _X_MAX else np.inf
    out = out if x > _X_MIN else 0.0
    return out if x == x else x


def _explin_from_rates():
    """g(x) = x/(1 − e^(−x)), g(0) = 1, compiled from the one source text of
    :func:`hhdyn.rates.explin_source` (the same series and switch as every rate kernel)."""
    em = Emitter("e")
    result = explin_source("x", em)
    source = "def explin(x):\n" + "".join(f"    {line}\n" for line in em.lines) + f"    return {result}\n"
    namespace = {"fexp": fexp}
    exec(compile(source, "<hhdyn.rates.explin_source>", "exec"), namespace)
    function = namespace["explin"]
    function.__doc__ = "g(x) = x/(1 − e^(−x)), g(0) = 1: the exp-linear rate shape, exact through x = 0."
    return njit(error_model="numpy")(function)


explin = _explin_from_rates()


@njit(error_model="numpy")
def logistic(x):
    """s(x) = 1/(1 + e^(−x))."""
    return 1.0 / (1.0 + fexp(-x))


@intrinsic
def float_bits_as_int(typingctx, value):
    """Reinterpret the bits of a float64 as an int64 (an LLVM bitcast)."""
    if not isinstance(value, types.Float):
        return None
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@njit(error_model="numpy")
def step_factor(err, order_exponent):
    """err^(−order_exponent) for a step-size controller, vectorizable, ≈ 1e-4 relative accuracy.

    log2(err) is taken as exponent + a cubic in the mantissa m ∈ [1, 2); err = 0 gives +inf
    (callers clip the factor) and err = NaN gives NaN.
    """
    bits = float_bits_as_int(err)
    e = np.float64((bits >> 52) & 0x7FF) - 1023.0
    m = int_bits_as_float((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    u = m - 1.0
    log2m = u * (1.4425449 + u * (-0.7181452 + u * (0.4575485 + u * (-0.2779042 + u * 0.0959898))))
    out = fexp(-order_exponent * 0.6931471805599453 * (e + log2m))
    out = out if err > 0.0 else np.inf
    return out if err == err else err


@njit(error_model="numpy")
def table_lookup(table, inv_dt, t):
    """Linear interpolation in ``table`` sampled every 1/inv_dt from t = 0 (clamped at the ends)."""
    u = t * inv_dt
    u = u if u > 0.0 else 0.0
    last = table.shape[0] - 2
    j = np.int64(u)
    j = j if j < last else last
    f = u - j
    return table[j] + f * (table[j + 1] - table[j])


@njit(error_model="numpy")
def hermite_crossing(t0, h, v0, v1, d0, d1, threshold):
    """Time in [t0, t0 + h] where the cubic Hermite interpolant of (v0, d0), (v1, d1) reaches
    ``threshold`` (v0 < threshold ≤ v1), by bisection to machine resolution."""
    a, b = 0.0, 1.0
    for _ in range(60):
        s = 0.5 * (a + b)
        s2 = s * s
        s3 = s2 * s
        p = (2 * s3 - 3 * s2 + 1) * v0 + (s3 - 2 * s2 + s) * h * d0 + (-2 * s3 + 3 * s2) * v1 + (s3 - s2) * h * d1
        if p < threshold:
            a = s
        else:
            b = s
        if b - a < 1e-15:
            break
    return t0 + 0.5 * (a + b) * h


@njit(error_model="numpy")
def hermite(s, h, y0, y1, d0, d1):
    """Cubic Hermite interpolant at fraction s ∈ [0, 1] of a step of length h."""
    s2 = s * s
    s3 = s2 * s
    return (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * h * d0 + (-2 * s3 + 3 * s2) * y1 + (s3 - s2) * h * d1
