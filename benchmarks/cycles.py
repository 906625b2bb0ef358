"""Benchmark: the full HH bifurcation diagram in I_ext — equilibria over [0, 200] µA/cm², both Hopf
points, and the cycle branch from H1 to H2 with its folds of cycles (LPC).

Baseline: PyDSTool 0.91's PyCont EP-C + LC-C (AUTO collocation, NTST = 50, NCOL = 4) on the same
model exported with ``analysis.to_pydstool``, in the same run, inside its Python 3.9 side
environment (``analysis.pydstool_env``). The PyCont times are the ``forward()`` calls alone
(process start-up and the AUTO extension's compilation are not counted); both wall and CPU seconds
are shown and the ratio uses CPU time when available (the machine may be shared). The PyDSTool row
is skipped (with the reason) when the side environment cannot be used.

Target: hhdyn < 1.5 s (wall, best of --repeat runs) and faster than PyDSTool's EP-C + LC-C.

The cost of detecting branch points of cycles (BPC, the sign of det [F_X; t] at every orbit): the
HH cycle branch from H1 with and without it (``CycleProblem.detect_bpc``), alternating runs, the
median of the with/without ratios. Target: within 10 % (ratio ≤ 1.10).

    python benchmarks/cycles.py [--repeat 3] [--bpc-repeat 5] [--no-pydstool]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import hhdyn
from analysis.continuation import continue_equilibria
from analysis.cycles import continue_cycles

TARGET_S = 1.5
NTST, NCOL = 50, 4


def full_diagram(model):
    eq = continue_equilibria(model, "I_ext", (0.0, 200.0))
    h1 = min(eq.points("H"), key=lambda p: p.param)
    lc = continue_cycles(h1, model, window=(0.0, 200.0), ntst=NTST, ncol=NCOL)
    return eq, lc


def time_hhdyn(repeat: int):
    model = hhdyn.HodgkinHuxley()
    wall, cpu, eq_wall, result = [], [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        eq = continue_equilibria(model, "I_ext", (0.0, 200.0))
        t1 = time.perf_counter()
        h1 = min(eq.points("H"), key=lambda p: p.param)
        lc = continue_cycles(h1, model, window=(0.0, 200.0), ntst=NTST, ncol=NCOL)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        eq_wall.append(t1 - t0)
        result = (eq, lc)
    return wall, cpu, eq_wall, result


BPC_TARGET = 1.10


def bpc_cost(repeat: int):
    """Median ratio (with BPC detection / without) of the HH cycle branch's wall time, the two
    alternating in one run; also the medians of each."""
    from analysis.cycles.problem import CycleProblem

    model = hhdyn.HodgkinHuxley()
    eq = continue_equilibria(model, "I_ext", (0.0, 200.0))
    h1 = min(eq.points("H"), key=lambda p: p.param)
    times = {True: [], False: []}
    ratios = []
    try:
        for k in range(repeat):
            pair = {}
            for flag in ((True, False) if k % 2 == 0 else (False, True)):
                CycleProblem.detect_bpc = flag
                t0 = time.perf_counter()
                continue_cycles(h1, model, window=(0.0, 200.0), ntst=NTST, ncol=NCOL)
                pair[flag] = time.perf_counter() - t0
                times[flag].append(pair[flag])
            ratios.append(pair[True] / pair[False])
    finally:
        CycleProblem.detect_bpc = True
    # the time spent in the BPC test itself, as a fraction of one branch (less noisy than the ratio)
    spent = [0.0]
    test = CycleProblem.bpc_test

    def timed(self, pt):
        t = time.perf_counter()
        try:
            return test(self, pt)
        finally:
            spent[0] += time.perf_counter() - t

    CycleProblem.bpc_test = timed
    try:
        t0 = time.perf_counter()
        continue_cycles(h1, model, window=(0.0, 200.0), ntst=NTST, ncol=NCOL)
        fraction = spent[0] / (time.perf_counter() - t0)
    finally:
        CycleProblem.bpc_test = test
    return statistics.median(ratios), statistics.median(times[True]), statistics.median(times[False]), fraction


def time_pydstool():
    """dict with the PyCont timings and results, or a string saying why it was skipped."""
    try:
        import analysis.pydstool_env as env
        from analysis.pydstool_export import to_pydstool

        if env.find_python39() is None:
            return "skipped: pyenv's Python 3.9.18 not found"
        env.ensure_env()
        spec = to_pydstool(hhdyn.HodgkinHuxley(I_ext=0.0))
        task = {"free_param": "I_ext", "start": 0.0, "stop": 200.0, "seed": 0, "max_step": 2.0,
                "cycles": True, "ntst": NTST, "ncol": NCOL}
        return env.run_pycont(spec, task)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on
        return f"skipped: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pydstool", action="store_true")
    parser.add_argument("--bpc-repeat", type=int, default=5, help="alternating runs for the BPC cost (0: skip)")
    args = parser.parse_args(argv)

    full_diagram(hhdyn.HodgkinHuxley())  # warm-up (imports, caches)
    wall, cpu, eq_wall, (eq, lc) = time_hhdyn(args.repeat)
    best, median, best_cpu = min(wall), statistics.median(wall), min(cpu)
    hopf = sorted(eq.points("H"), key=lambda p: p.param)
    lpc = sorted(lc.points("LPC"), key=lambda p: p.param)
    print(f"HH bifurcation diagram, I_ext in [0, 200] uA/cm^2: equilibria, Hopf points, cycles H1 -> H2 "
          f"(NTST={NTST}, NCOL={NCOL})")
    print(f"{'implementation':38} {'wall s':>8} {'CPU s':>8} {'ratio':>7}  result")
    pyd = "skipped (--no-pydstool)" if args.no_pydstool else time_pydstool()
    pyd_wall = pyd_cpu = None
    if isinstance(pyd, dict):
        t = pyd["timings"]
        if t.get("lc_c_s") is not None:
            pyd_wall = t["ep_c_s"] + t["lc_c_s"]
            if t.get("ep_c_cpu_s") is not None and t.get("lc_c_cpu_s") is not None:
                pyd_cpu = t["ep_c_cpu_s"] + t["lc_c_cpu_s"]
        else:
            pyd = f"skipped: PyCont found no Hopf point to start LC-C from ({len(pyd['special_points'])} points)"
    if pyd_cpu is not None:
        ratio = f"{best_cpu / pyd_cpu:7.3f}"
    elif pyd_wall is not None:
        ratio = f"{best / pyd_wall:7.3f}"
    else:
        ratio = ""
    ours = (f"H at {', '.join(f'{p.param:.4f}' for p in hopf)}; LPC at {', '.join(f'{p.param:.4f}' for p in lpc)}; "
            f"{len(lc)} orbits, end: {lc.message}")
    print(f"{'hhdyn EP + LC (best)':38} {best:8.3f} {best_cpu:8.3f} {ratio:>7}  {ours}")
    print(f"{'hhdyn EP + LC (median)':38} {median:8.3f}")
    print(f"{'  of which equilibria (best)':38} {min(eq_wall):8.3f}")
    if isinstance(pyd, str):
        print(f"{'PyDSTool PyCont EP-C + LC-C':38} {'-':>8} {'-':>8} {'-':>7}  {pyd}")
    else:
        t = pyd["timings"]
        cyc = pyd["cycles"] or {}
        kinds = ", ".join(f"{p['kind']} {p['param']:.4f}" for p in cyc.get("special_points", []))
        cpu_txt = "-" if pyd_cpu is None else f"{pyd_cpu:.3f}"
        print(f"{'PyDSTool EP-C + LC-C (baseline)':38} {pyd_wall:8.3f} {cpu_txt:>8} {1.0:7.3f}  "
              f"EP-C {t['ep_c_s']:.3f} s + LC-C {t['lc_c_s']:.3f} s; LC points {cyc.get('n_points')}, "
              f"I_ext range {cyc.get('param_range')}; {kinds}  [PyDSTool {pyd.get('pydstool_version', '?')}]")
        print(f"speed-up over PyDSTool: {pyd_wall / best:.1f}x wall"
              + ("" if pyd_cpu is None else f", {pyd_cpu / best_cpu:.1f}x CPU"))
    ok = len(hopf) == 2 and bool(lpc) and best < TARGET_S and (pyd_wall is None or best < pyd_wall)
    print(f"target < {TARGET_S} s {'met' if best < TARGET_S else 'MISSED'}")
    if args.bpc_repeat > 0:
        ratio_bpc, with_s, without_s, fraction = bpc_cost(args.bpc_repeat)
        print(f"{'HH cycle branch, BPC detection on/off':38} {with_s:8.3f} {without_s:8.3f} {ratio_bpc:7.3f}  "
              f"median of {args.bpc_repeat} alternating pairs (columns: with, without, ratio); the BPC test "
              f"itself {100 * fraction:.2f} % of a branch; target <= {BPC_TARGET:.2f} "
              f"{'met' if ratio_bpc <= BPC_TARGET else 'MISSED'}")
        ok = ok and ratio_bpc <= BPC_TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
