"""Benchmark: 20 ms of an HH axon with N compartments (Crank–Nicolson, dt = 0.01 ms).

Reports wall time, the cost per compartment-step and how that cost grows with N. The solver
is O(N) per step (Hines elimination on the tree plus vectorized gate updates), so past the
fixed per-step overhead of small N the cost per compartment-step must stay flat: the last
column compares it with the baseline N = 1000 compartments (the acceptance case), and the
fitted exponent of time ∝ N^k over N ≥ 1000 must be ≈ 1. Both backends are timed: the
compiled time loop (no per-step Python overhead; vectorized membrane and gate passes) and the
vectorized NumPy step (~200 µs of per-step overhead). The comparison with NEURON is
``benchmarks/cable_neuron.py``.

Run: python benchmarks/cable.py [--quick]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from hhdyn import HodgkinHuxley
from hhdyn._cable_kernel import available
from hhdyn.cable import CableModel
from hhdyn.morphology import cable
from hhdyn.stimuli import Step

BASELINE_N = 1000


def time_runs(sizes, backend: str, t_end: float = 20.0, dt: float = 0.01, repeats: int = 3) -> dict:
    """Best wall time (s) of ``t_end`` ms of a 5 cm squid axon for each number of compartments.

    The repeats are interleaved across sizes, so that a burst of load from other processes
    does not bias one size."""
    models = {n: CableModel(cable(5e4, 476.0, n, 35.4), HodgkinHuxley(T=18.5)) for n in sizes}
    for model in models.values():
        model.run(10 * dt, dt, backend=backend)  # warm-up (numba compilation / cache load)
    best = {n: np.inf for n in sizes}
    for _ in range(repeats):
        for n, model in models.items():
            start = time.perf_counter()
            model.run(t_end, dt, injections={0: Step(0.0, 0.5, 6000.0)}, record=[0, n // 2, n - 1], backend=backend)
            best[n] = min(best[n], time.perf_counter() - start)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, one repeat")
    args = parser.parse_args(argv)
    sizes = [100, 1000, 4000] if args.quick else [10, 100, 250, 1000, 2000, 4000, 8000]
    if BASELINE_N not in sizes:
        sizes.append(BASELINE_N)
    sizes.sort()
    t_end, dt = 20.0, 0.01
    steps = int(round(t_end / dt))
    backends = ["numba", "numpy"] if available() else ["numpy"]
    print(f"HH axon, 20 ms at dt = {dt} ms ({steps} steps), Crank-Nicolson + Hines solver")
    print(f"{'backend':>8} {'N':>6} {'time (s)':>10} {'ns/compartment-step':>20} {'vs N=1000':>10}")
    summary = {}
    for backend in backends:
        times = time_runs(sizes, backend, t_end, dt, repeats=1 if args.quick else 3)
        base = times[BASELINE_N] / (BASELINE_N * steps)
        for n in sizes:
            cost = times[n] / (n * steps)
            print(f"{backend:>8} {n:>6} {times[n]:>10.3f} {cost * 1e9:>20.1f} {cost / base:>10.2f}")
        large = [n for n in sizes if n >= BASELINE_N]
        k = np.polyfit(np.log(large), np.log([times[n] for n in large]), 1)[0]
        summary[backend] = (times[BASELINE_N], k)
    for backend, (t1000, k) in summary.items():
        print(f"{backend}: 20 ms of a {BASELINE_N}-compartment HH axon in {t1000:.3f} s; "
              f"time ∝ N^{k:.2f} for N >= {BASELINE_N} (linear = 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
