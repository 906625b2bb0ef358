"""Benchmark: Floquet multipliers by the periodic Schur decomposition against the explicit product.

Baseline (same run): form M = A_{K-1} ⋯ A_0 explicitly and call ``numpy.linalg.eigvals`` — what
the collocation code did before, fast but inaccurate for multipliers far from 1. The periodic
Schur route (:mod:`analysis.cycles.periodic_schur`) runs at every continuation step, so it must
stay in milliseconds: target < 20 ms for K = 200 blocks of n = 4. The first call compiles the
numba sweeps (cached on disk); it is timed separately.

    python benchmarks/floquet.py
"""
from __future__ import annotations

import sys
import time

import numpy as np

from analysis.cycles.periodic_schur import periodic_eigenvalues

TARGET_S = 0.020


def graded(rng, K, n):
    """K random factors whose product has eigenvalues spread over many decades."""
    out = []
    for k in range(K):
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        D = np.diag(np.exp(rng.uniform(-0.3, 0.3, n) + np.linspace(0.15, -0.15, n)))
        out.append(Q @ D @ Q.T + 0.05 * rng.standard_normal((n, n)))
    return np.array(out)


def explicit(A):
    M = np.eye(A.shape[1])
    for Aj in A:
        M = Aj @ M
    return np.linalg.eigvals(M)


def best_of(f, A, repeat=7):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(A)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    periodic_eigenvalues(graded(rng, 10, 2))
    first = time.perf_counter() - t0
    print(f"first call (compiles or loads the numba kernels): {first:.2f} s")
    print(f"{'K x n':>10} {'periodic Schur ms':>18} {'explicit product ms':>20} {'ratio':>7}")
    ok = True
    for K, n in ((50, 2), (200, 4), (1000, 4)):
        A = graded(rng, K, n)
        ours, base = best_of(periodic_eigenvalues, A), best_of(explicit, A)
        print(f"{f'{K} x {n}':>10} {1e3 * ours:18.2f} {1e3 * base:20.3f} {ours / base:7.1f}")
        if (K, n) == (200, 4):
            ok = ours < TARGET_S
    print(f"target < {1e3 * TARGET_S:g} ms at K = 200, n = 4: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
