"""The attainable limit: a minimal hand-written numba RK4 loop for the HH model (J2 only).

Written out by hand for the benchmark — the library never uses it — with the same method, step,
block layout and vectorizable exponential (``hhdyn.engine.mathlib.fexp``) as the engine, but
no spike detection beyond a counter, no recording and no failure checks.
"""
import numpy as np
from numba import njit, prange

from hhdyn.engine.mathlib import fexp

BLOCK = 32


@njit(error_model="numpy")
def _explin(x):
    x2 = x * x
    series = 1.0 + 0.5 * x + x2 * (1.0 / 12.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 30240.0 - x2 / 1209600.0)))
    direct = x / (1.0 - fexp(-x))
    return direct if x2 >= 0.01 else series


@njit(error_model="numpy")
def _block(lo, nb, I, V0, m0, h0, n0, dt, n_steps, counts):
    V = np.empty(BLOCK)
    m = np.empty(BLOCK)
    h = np.empty(BLOCK)
    n = np.empty(BLOCK)
    Ib = np.empty(BLOCK)
    for i in range(nb):
        V[i] = V0
        m[i] = m0
        h[i] = h0
        n[i] = n0
        Ib[i] = I[lo + i]
    armed = np.ones(BLOCK, dtype=np.bool_)
    cnt = np.zeros(BLOCK, dtype=np.int64)
    for _ in range(n_steps):
        for i in range(nb):
            v, a, b, c = V[i], m[i], h[i], n[i]
            # stage helper written out four times below (k1..k4)
            sv, sm, sh, sn = v, a, b, c
            x1 = (sv + 40.0) * 0.1
            x1s = x1 * x1
            am = 1.0 * ((x1 / (1.0 - fexp(-x1))) if x1s >= 0.01 else 1.0 + 0.5 * x1 + x1s / 12.0)
            bm = 4.0 * fexp((sv + 65.0) * (-1.0 / 18.0))
            ah = 0.07 * fexp((sv + 65.0) * (-0.05))
            bh = 1.0 / (1.0 + fexp(-(sv + 35.0) * 0.1))
            x2 = (sv + 55.0) * 0.1
            x2s = x2 * x2
            an = 0.1 * ((x2 / (1.0 - fexp(-x2))) if x2s >= 0.01 else 1.0 + 0.5 * x2 + x2s / 12.0)
            bn = 0.125 * fexp((sv + 65.0) * (-0.0125))
            k1v = Ib[i] - 120.0 * sm * sm * sm * sh * (sv - 50.0) - 36.0 * sn * sn * sn * sn * (sv + 77.0) - 0.3 * (sv + 54.387)
            k1m = am * (1.0 - sm) - bm * sm
            k1h = ah * (1.0 - sh) - bh * sh
            k1n = an * (1.0 - sn) - bn * sn
            sv, sm, sh, sn = v + 0.5 * dt * k1v, a + 0.5 * dt * k1m, b + 0.5 * dt * k1h, c + 0.5 * dt * k1n
            x1 = (sv + 40.0) * 0.1
            x1s = x1 * x1
            am = 1.0 * ((x1 / (1.0 - fexp(-x1))) if x1s >= 0.01 else 1.0 + 0.5 * x1 + x1s / 12.0)
            bm = 4.0 * fexp((sv + 65.0) * (-1.0 / 18.0))
            ah = 0.07 * fexp((sv + 65.0) * (-0.05))
            bh = 1.0 / (1.0 + fexp(-(sv + 35.0) * 0.1))
            x2 = (sv + 55.0) * 0.1
            x2s = x2 * x2
            an = 0.1 * ((x2 / (1.0 - fexp(-x2))) if x2s >= 0.01 else 1.0 + 0.5 * x2 + x2s / 12.0)
            bn = 0.125 * fexp((sv + 65.0) * (-0.0125))
            k2v = Ib[i] - 120.0 * sm * sm * sm * sh * (sv - 50.0) - 36.0 * sn * sn * sn * sn * (sv + 77.0) - 0.3 * (sv + 54.387)
            k2m = am * (1.0 - sm) - bm * sm
            k2h = ah * (1.0 - sh) - bh * sh
            k2n = an * (1.0 - sn) - bn * sn
            sv, sm, sh, sn = v + 0.5 * dt * k2v, a + 0.5 * dt * k2m, b + 0.5 * dt * k2h, c + 0.5 * dt * k2n
            x1 = (sv + 40.0) * 0.1
            x1s = x1 * x1
            am = 1.0 * ((x1 / (1.0 - fexp(-x1))) if x1s >= 0.01 else 1.0 + 0.5 * x1 + x1s / 12.0)
            bm = 4.0 * fexp((sv + 65.0) * (-1.0 / 18.0))
            ah = 0.07 * fexp((sv + 65.0) * (-0.05))
            bh = 1.0 / (1.0 + fexp(-(sv + 35.0) * 0.1))
            x2 = (sv + 55.0) * 0.1
            x2s = x2 * x2
            an = 0.1 * ((x2 / (1.0 - fexp(-x2))) if x2s >= 0.01 else 1.0 + 0.5 * x2 + x2s / 12.0)
            bn = 0.125 * fexp((sv + 65.0) * (-0.0125))
            k3v = Ib[i] - 120.0 * sm * sm * sm * sh * (sv - 50.0) - 36.0 * sn * sn * sn * sn * (sv + 77.0) - 0.3 * (sv + 54.387)
            k3m = am * (1.0 - sm) - bm * sm
            k3h = ah * (1.0 - sh) - bh * sh
            k3n = an * (1.0 - sn) - bn * sn
            sv, sm, sh, sn = v + dt * k3v, a + dt * k3m, b + dt * k3h, c + dt * k3n
            x1 = (sv + 40.0) * 0.1
            x1s = x1 * x1
            am = 1.0 * ((x1 / (1.0 - fexp(-x1))) if x1s >= 0.01 else 1.0 + 0.5 * x1 + x1s / 12.0)
            bm = 4.0 * fexp((sv + 65.0) * (-1.0 / 18.0))
            ah = 0.07 * fexp((sv + 65.0) * (-0.05))
            bh = 1.0 / (1.0 + fexp(-(sv + 35.0) * 0.1))
            x2 = (sv + 55.0) * 0.1
            x2s = x2 * x2
            an = 0.1 * ((x2 / (1.0 - fexp(-x2))) if x2s >= 0.01 else 1.0 + 0.5 * x2 + x2s / 12.0)
            bn = 0.125 * fexp((sv + 65.0) * (-0.0125))
            k4v = Ib[i] - 120.0 * sm * sm * sm * sh * (sv - 50.0) - 36.0 * sn * sn * sn * sn * (sv + 77.0) - 0.3 * (sv + 54.387)
            k4m = am * (1.0 - sm) - bm * sm
            k4h = ah * (1.0 - sh) - bh * sh
            k4n = an * (1.0 - sn) - bn * sn
            V[i] = v + dt / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
            m[i] = a + dt / 6.0 * (k1m + 2.0 * k2m + 2.0 * k3m + k4m)
            h[i] = b + dt / 6.0 * (k1h + 2.0 * k2h + 2.0 * k3h + k4h)
            n[i] = c + dt / 6.0 * (k1n + 2.0 * k2n + 2.0 * k3n + k4n)
        for i in range(nb):
            if armed[i] and V[i] >= 0.0:
                cnt[i] += 1
                armed[i] = False
            elif V[i] < -10.0:
                armed[i] = True
    for i in range(nb):
        counts[lo + i] = cnt[i]


@njit(parallel=True, error_model="numpy")
def hh_rk4_limit(I, y0, dt, n_steps):
    """Spike counts of HH neurons (modern convention, T = 6.3 °C) with I_ext = I (µA/cm²)."""
    N = I.size
    counts = np.zeros(N, dtype=np.int64)
    nblocks = (N + BLOCK - 1) // BLOCK
    for b in prange(nblocks):
        lo = b * BLOCK
        _block(lo, min(N, lo + BLOCK) - lo, I, y0[0], y0[1], y0[2], y0[3], dt, n_steps, counts)
    return counts
