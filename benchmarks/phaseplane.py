"""Benchmark: render a full phase-plane figure against the 3 s budget of issue 4.

Each case draws a 20×20 direction field, both nullclines, the fixed points (classified),
the separatrices of saddles and 10 trajectories of 100 (model time units: ms for the
conductance-based models) from a grid of initial states, and saves the figure (Agg, PNG).
Printed: wall time of each stage and the total, and the ratio total / 3 s (budget: ratio < 1).

    python benchmarks/phaseplane.py
"""
from __future__ import annotations

import io
import os
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BUDGET_S = 3.0


def cases():
    import hhdyn
    from reductions import FitzHughNagumo, ReductionWarning, h_plus_n

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReductionWarning)
        hpn1 = h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)
    hpn = h_plus_n(hhdyn.HodgkinHuxley())
    return [
        ("h_plus_n, I=0 (excitable)", hpn, dict(x="V", y="n", xlim=(-85, 50), ylim=(0.25, 0.8), params={"I_ext": 0.0})),
        ("h_plus_n, I=8 (spiking)", hpn, dict(x="V", y="n", xlim=(-85, 50), ylim=(0.25, 0.8), params={"I_ext": 8.0})),
        ("h_plus_n c=1, I=0 (saddle)", hpn1, dict(x="V", y="n", xlim=(-85, 50), ylim=(0.2, 0.9), params={"I_ext": 0.0})),
        ("FitzHugh-Nagumo, I=0.5", FitzHughNagumo(I_ext=0.5), dict(x="v", y="w", xlim=(-2.5, 2.5), ylim=(-1, 2))),
        ("HH 4D projected, I=10", hhdyn.HodgkinHuxley(I_ext=10.0),
         dict(x="V", y="n", xlim=(-85, 50), ylim=(0.25, 0.85), others="steady_state")),
    ]


def run_case(model, kwargs):
    from analysis.phaseplane import PhasePlane

    times = {}
    t0 = time.perf_counter()
    c0 = time.process_time()
    pp = PhasePlane(model, **kwargs)
    pp.direction_field(20)
    times["field"] = time.perf_counter() - t0
    t = time.perf_counter()
    pp.nullclines()
    times["nullclines"] = time.perf_counter() - t
    t = time.perf_counter()
    pp.fixed_points()
    pp.separatrices()
    times["fixed points+manifolds"] = time.perf_counter() - t
    t = time.perf_counter()
    xs = np.linspace(*pp.xlim, 7)[1:-1]
    ys = np.linspace(*pp.ylim, 4)[1:-1]
    starts = [(x, y) for y in ys for x in xs]  # 10 starts
    orbits = pp.trajectories(starts, 100.0)
    times["10 trajectories"] = time.perf_counter() - t
    t = time.perf_counter()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    pp.plot(ax, density=20, trajectories=[], separatrices=True)
    for orbit in orbits:
        orbit.plot(ax, arrows=2, lw=1.0)
    fig.savefig(io.BytesIO(), format="png", dpi=100)
    plt.close(fig)
    times["draw+save"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    times["total CPU"] = time.process_time() - c0
    return times


def main():
    rows = []
    for name, model, kwargs in cases():
        run_case(model, kwargs) if not rows else None  # warm-up imports once
        rows.append((name, run_case(model, kwargs)))
    stages = list(rows[0][1])
    header = f"{'case':30s}" + "".join(f"{s:>24s}" for s in stages) + f"{'ratio to 3 s':>14s}"
    print("phase-plane figure: 20x20 field, nullclines, fixed points, 10 trajectories of 100 (ms)")
    print(header)
    print("-" * len(header))
    for name, times in rows:
        print(f"{name:30s}" + "".join(f"{times[s]:23.3f}s" for s in stages) + f"{times['total'] / BUDGET_S:14.2f}")
    worst = max(t["total"] for _, t in rows)
    worst_cpu = max(t["total CPU"] for _, t in rows)
    print(f"\nworst total {worst:.2f} s wall, {worst_cpu:.2f} s CPU; budget {BUDGET_S:.0f} s -> "
          f"{'OK' if worst < BUDGET_S else 'OVER BUDGET'} (wall time; on a shared machine compare the CPU column)")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; wall times are inflated")


if __name__ == "__main__":
    main()
