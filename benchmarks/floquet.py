"""Benchmark: Floquet multipliers by the periodic Schur decomposition against the explicit product.

Baseline (same run): form M = A_{K-1} ⋯ A_0 explicitly and call ``numpy.linalg.eigvals`` — what
the collocation code did before, fast but inaccurate for multipliers far from 1. The periodic
Schur route (:mod:`analysis.cycles.periodic_schur`) runs at every continuation step, so it must
stay in milliseconds: target < 20 ms for K = 200 blocks of n = 4. The first call compiles the
numba sweeps (cached on disk); it is timed separately.

Second part (``--gallery``): the gallery's four cycle branches (HH, fast-m, h + n, FHN from their
lowest Hopf point, NTST = 50) with the trivial-multiplier refinement (``trivial_tol`` = 1e-6, NTST
doubled up to 400 where the trivial multiplier misses it) against the same branches without it
(``max_ntst = 50``, the baseline), runs alternating, median of ``--repeat``: the ratio must stay
≲ 2. It also prints max |μ_trivial − 1| and the number of orbits above 1e-6 of both.

    python benchmarks/floquet.py [--gallery] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

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


def gallery(repeat: int) -> bool:
    """Refinement on/off on the gallery's cycle branches; True when every ratio is ≤ 2."""
    from reductions import FitzHughNagumo, fast_m, h_plus_n

    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles
    from hhdyn.squid import HodgkinHuxley

    hh = HodgkinHuxley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {"HH": (hh, 200.0), "fast-m": (fast_m(hh), 200.0), "h + n": (h_plus_n(hh), 200.0),
                  "FHN": (FitzHughNagumo(), 2.0)}
    print(f"\n{'branch':>8} {'off s':>7} {'on s':>7} {'ratio':>6}   max|mu_triv-1| (orbits > 1e-6): off -> on")
    ok = True
    for name, (model, hi) in models.items():
        eq = continue_equilibria(model, "I_ext", (0.0, hi))
        hopf = min(eq.points("H"), key=lambda p: p.param)
        times, branches = {"off": [], "on": []}, {}
        for _ in range(repeat):
            for mode, extra in (("off", {"max_ntst": 50}), ("on", {})):
                t0 = time.perf_counter()
                branches[mode] = continue_cycles(hopf, model, window=(0.0, hi), ntst=50, **extra)
                times[mode].append(time.perf_counter() - t0)
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        e_off, e_on = branches["off"].trivial_error, branches["on"].trivial_error
        print(f"{name:>8} {off:7.2f} {on:7.2f} {on / off:6.2f}   {e_off.max():.2g} ({np.sum(e_off > 1e-6)}) -> "
              f"{e_on.max():.2g} ({np.sum(e_on > 1e-6)})")
        ok &= on / off <= 2.0
    print(f"target: refinement costs <= 2x on every branch: {'met' if ok else 'MISSED'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gallery", action="store_true", help="also time the refinement on the gallery branches")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
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
    if args.gallery:
        ok &= gallery(args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
