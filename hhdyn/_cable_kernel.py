"""A fused, compiled (numba) time step for :class:`hhdyn.cable.CableModel`.

Used when numba is installed and every compartment's membrane has only dynamic gates whose
rates belong to the standard families (exponential, sigmoid, exp-linear, constant). It does
exactly what the NumPy path of :meth:`CableModel.run` does — same equations, same order of
operations up to rounding — in one pass over the compartments per step, so the cost per
compartment-step no longer includes NumPy's per-call overhead. Other membranes (FunctionRate,
gates declared by x∞/τ, reduced models with algebraic gates) use the NumPy path.
"""
from __future__ import annotations

import math

import numpy as np

from .rates import ConstantRate, ExpLinearRate, ExpRate, SigmoidRate

__all__ = ["available", "rate_code", "build_step", "hines_python", "hines_solve_fast"]

try:
    import numba as _numba
except ImportError:  # pragma: no cover - depends on the environment
    _numba = None

#: rate family → integer code used inside the kernel
_KINDS = {ExpRate: 0, SigmoidRate: 1, ExpLinearRate: 2, ConstantRate: 3}


def available() -> bool:
    return _numba is not None


def rate_code(rate):
    """(kind, A, V_half, k) for a standard rate family, or None."""
    kind = _KINDS.get(type(rate))
    if kind is None:
        return None
    if kind == 3:
        return (3, float(rate.A), 0.0, 1.0)
    return (kind, float(rate.A), float(rate.V_half), float(rate.k))


def _rate(kind, A, Vh, k, V):
    if kind == 0:
        return A * math.exp((V - Vh) / k)
    if kind == 1:
        return A / (1.0 + math.exp(-(V - Vh) / k))
    if kind == 2:
        x = (V - Vh) / k
        if abs(x) < 1e-6:
            return A * (1.0 + x / 2.0 + x * x / 12.0)
        return A * x / (-math.expm1(-x))
    return A


def _power(x, p):
    n = int(p)
    if n == p and 0 < n <= 8:
        out = x
        for _ in range(n - 1):
            out *= x
        return out
    return x ** p


def _hines(d, a, parent, rhs):
    """Solve the tree system in place (d: diagonal, a[i]: coupling of i with parent[i]).

    Requires parent[i] < i (Hines order). Elimination from the leaves to the root, then back
    substitution from the root: O(N), no fill-in. Returns rhs (now the solution).
    """
    n = d.shape[0]
    for i in range(n - 1, 0, -1):
        p = parent[i]
        f = a[i] / d[i]
        d[p] -= f * a[i]
        rhs[p] -= f * rhs[i]
    rhs[0] /= d[0]
    for i in range(1, n):
        rhs[i] = (rhs[i] - a[i] * rhs[parent[i]]) / d[i]
    return rhs


#: the plain-Python solver (the compiled one replaces ``_hines`` below when numba is present)
hines_python = _hines


def _step(V, X, dt, half, cap_over_h, axial_diag, offdiag, parent, area, inj_index, inj_values,
          comp_group, grp_row_ptr, grp_rows, grp_chan_ptr, grp_chans,
          chan_gate_ptr, chan_gate_rows, chan_gate_pow, gmax, Erev, Iext,
          rate_kind, rate_par, phi, d, rhs):
    """One step in place: implicit V (BE or the CN half step + extrapolation), then gates."""
    n = V.shape[0]
    for i in range(n):
        g = comp_group[i]
        I = -Iext[i]
        G = 0.0
        for cc in range(grp_chan_ptr[g], grp_chan_ptr[g + 1]):
            c = grp_chans[cc]
            o = 1.0
            for kk in range(chan_gate_ptr[c], chan_gate_ptr[c + 1]):
                o *= _power(X[chan_gate_rows[kk], i], chan_gate_pow[kk])
            gg = gmax[c, i] * o
            I += gg * (V[i] - Erev[c, i])
            G += gg
        d[i] = cap_over_h[i] + G * area[i] + axial_diag[i]
        rhs[i] = -I * area[i] - axial_diag[i] * V[i]
    for i in range(1, n):
        p = parent[i]
        rhs[i] -= offdiag[i] * V[p]
        rhs[p] -= offdiag[i] * V[i]
    for j in range(inj_index.shape[0]):
        rhs[inj_index[j]] += inj_values[j]
    _hines(d, offdiag, parent, rhs)
    finite = True
    for i in range(n):
        if half:
            V[i] += 2.0 * rhs[i]
        else:
            V[i] += rhs[i]
        v = V[i]
        if not math.isfinite(v):
            finite = False
            continue
        g = comp_group[i]
        for rr in range(grp_row_ptr[g], grp_row_ptr[g + 1]):
            r = grp_rows[rr]
            a = _rate(int(rate_kind[r, 0]), rate_par[r, 0, 0], rate_par[r, 0, 1], rate_par[r, 0, 2], v)
            b = _rate(int(rate_kind[r, 1]), rate_par[r, 1, 0], rate_par[r, 1, 1], rate_par[r, 1, 2], v)
            s = a + b
            x_inf = a / s
            X[r, i] = x_inf + (X[r, i] - x_inf) * math.exp(-dt * phi[r, i] * s)
    return finite


if _numba is not None:  # njit compiles lazily, on the first call
    _jit = _numba.njit(cache=True, nogil=True)
    _rate = _jit(_rate)
    _power = _jit(_power)
    _hines = _jit(_hines)
    _step_compiled = _jit(_step)
else:  # pragma: no cover
    _step_compiled = None


def hines_solve_fast(d, a, parent, rhs):
    """The tree solver in place: compiled when numba is present, plain Python otherwise."""
    return _hines(d, a, parent, rhs)


def build_step():
    """The compiled step function (compiled on first use and cached on disk), or None."""
    return _step_compiled


def tables(model):
    """Flatten a CableModel's membranes into the arrays the kernel reads, or None when some
    membrane is not supported (algebraic gates or non-standard rate families)."""
    n = model.n_compartments
    comp_group = np.empty(n, dtype=np.int64)
    rows, row_ptr, chans, chan_ptr = [], [0], [], [0]
    chan_gate_rows, chan_gate_pow, chan_gate_ptr = [], [], [0]
    rate_kind, rate_par, phi = [], [], []
    gmax, Erev = [], []
    Iext = np.zeros(n)
    for gi, mem in enumerate(model._membranes):
        if mem.forms:
            return None
        comp_group[mem.index] = gi
        Iext[mem.index] = mem.p["I_ext"]
        row_of = {}
        for gname in mem.dynamic:
            gate = mem.gates[gname]
            ca, cb = rate_code(gate.alpha), rate_code(gate.beta)
            if ca is None or cb is None:
                return None
            r = len(rate_kind)
            row_of[gname] = r
            rows.append(r)
            rate_kind.append((ca[0], cb[0]))
            rate_par.append((ca[1:], cb[1:]))
            full = np.zeros(n)
            full[mem.index] = mem.phi[gname]
            phi.append(full)
        row_ptr.append(len(rows))
        for g_max, E, gates in mem.channels:
            c = len(gmax)
            chans.append(c)
            gfull, Efull = np.zeros(n), np.zeros(n)
            gfull[mem.index] = g_max
            Efull[mem.index] = E
            gmax.append(gfull)
            Erev.append(Efull)
            for gname, power in gates:
                chan_gate_rows.append(row_of[gname])
                chan_gate_pow.append(float(power))
            chan_gate_ptr.append(len(chan_gate_rows))
        chan_ptr.append(len(chans))
    as_int = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    n_rows = len(rate_kind)
    return dict(
        comp_group=comp_group,
        grp_row_ptr=as_int(row_ptr),
        grp_rows=as_int(rows),
        grp_chan_ptr=as_int(chan_ptr),
        grp_chans=as_int(chans),
        chan_gate_ptr=as_int(chan_gate_ptr),
        chan_gate_rows=as_int(chan_gate_rows),
        chan_gate_pow=np.asarray(chan_gate_pow, dtype=float),
        gmax=np.array(gmax).reshape(len(gmax), n),
        Erev=np.array(Erev).reshape(len(Erev), n),
        Iext=Iext,
        rate_kind=np.asarray(rate_kind, dtype=np.int64).reshape(n_rows, 2),
        rate_par=np.asarray(rate_par, dtype=float).reshape(n_rows, 2, 3),
        phi=np.array(phi).reshape(n_rows, n),
    )
