"""Simulation speed and accuracy of hhdyn's compiled engine against its peers, in one run.

    python benchmarks/simulation.py            # full J1 + J2 (a few minutes)
    python benchmarks/simulation.py --quick    # 200 neurons × 200 ms, for a smoke test

J1  one HH trajectory, 1000 ms at I_ext = 10 µA/cm² from the exact rest state (at I_ext = 0);
    spike times compared with DOP853 at rtol = atol = 1e-10 (event location).
J2  1000 HH neurons, I_ext evenly spaced in [0, 50] µA/cm², 1000 ms each, all from that rest
    state; spike counts compared with a tight reference for all of them: RK4 at dt = 0.001 ms,
    itself checked against DOP853 at 1e-10 on 20 of them.

Rows of J2: hhdyn's accurate default (adaptive Dormand–Prince), its fixed-step options, the
attainable limit (a minimal hand-written numba RK4 loop of the same step, benchmarks/_limit_loop.py),
the textbook baseline (scipy odeint with a Python right-hand side, timed on a subset and scaled —
stated in the row), and Brian2 (RK4 and its default exponential Euler, C++ standalone, run in its
own environment built by benchmarks/setup_peers.sh; its compile time is reported apart). Every
row is measured in the same run; the machine is shared, so compare the ratios, not the seconds.

Columns: time (s), time / limit, Brian2-RK4 time / time (speed-up over Brian2's RK4),
spike-count mismatches vs the reference, max spike-time error (ms) over members with the right
count.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.integrate import odeint, solve_ivp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hhdyn  # noqa: E402
from hhdyn.batch import simulate_batch  # noqa: E402


def dop853_spikes(model, I, t_end, y0):
    m = model.with_params(I_ext=float(I))

    def event(t, y):
        return y[0]

    event.direction = 1
    sol = solve_ivp(lambda t, y: m.rhs(y), (0.0, t_end), y0, method="DOP853", rtol=1e-10, atol=1e-10,
                    events=event)
    return np.asarray(sol.t_events[0])


def compare(counts, times, ref_counts, ref_times):
    """(mismatches, max spike-time error in ms over members with the right count, or None)."""
    counts = np.asarray(counts)
    mismatches = int(np.sum(counts != ref_counts))
    if times is None:
        return mismatches, None
    errs = [np.max(np.abs(np.asarray(a) - b)) for a, b, c, rc in zip(times, ref_times, counts, ref_counts)
            if c == rc and c > 0]
    return mismatches, (max(errs) if errs else 0.0)


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def peers_python() -> Path | None:
    venv = Path(os.environ.get("HHDYN_BENCH_PEERS", Path.home() / ".cache" / "hhdyn" / "bench-peers"))
    python = venv / "bin" / "python"
    return python if python.exists() else None


def run_brian2(python, method, I, y0, t_end, dt):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        payload = json.dumps({"I": list(map(float, I)), "y0": list(map(float, y0))})
        proc = subprocess.run([str(python), str(HERE / "_brian2_peer.py"), method, str(dt), str(t_end), str(out)],
                              input=payload, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "brian2 failed")
        return json.loads(out.read_text())


def fresh_start_seconds() -> float:
    """Start-up of a fresh process with a warm kernel cache: import, load kernels, first result."""
    code = ("import time; t=time.perf_counter(); import hhdyn; from hhdyn.batch import simulate_batch; "
            "simulate_batch(hhdyn.HodgkinHuxley(), 10.0, {'I_ext': [10.0]}); print(time.perf_counter()-t)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(proc.stdout.split()[-1])


def table(title, rows, limit_time, brian_time):
    print(f"\n{title}")
    header = f"{'row':58s} {'time (s)':>9s} {'/limit':>7s} {'B2rk4/t':>8s} {'count≠':>7s} {'max Δt (ms)':>12s}"
    print(header)
    print("-" * len(header))
    for name, seconds, mism, err in rows:
        lim = f"{seconds / limit_time:7.2f}" if limit_time else "      –"
        b2 = f"{brian_time / seconds:8.2f}" if brian_time else "       –"
        m = "      –" if mism is None else f"{mism:7d}"
        e = "           –" if err is None else f"{err:12.2e}"
        print(f"{name:58s} {seconds:9.3f} {lim} {b2} {m} {e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 neurons × 200 ms instead of 1000 × 1000")
    parser.add_argument("--no-peers", action="store_true", help="skip Brian2")
    parser.add_argument("--odeint-subset", type=int, default=5, help="neurons timed with odeint (then scaled)")
    args = parser.parse_args(argv)

    from _limit_loop import hh_rk4_limit

    model = hhdyn.HodgkinHuxley()
    y0 = model.resting_state()
    N, t_end = (200, 200.0) if args.quick else (1000, 1000.0)
    I = np.linspace(0.0, 50.0, N)

    # warm up: compile or load every kernel (not timed)
    for method in ("dopri5", "rk4", "rush_larsen"):
        simulate_batch(model, 1.0, {"I_ext": I[:2]}, method=method)
    hh_rk4_limit(I[:2], y0, 0.01, 10)
    startup = fresh_start_seconds()

    # ------------------------------------------------------------------ J1
    t_j1 = min(t_end, 1000.0)
    ref_j1, t_ref_j1 = timed(dop853_spikes, model, 10.0, t_j1, y0)
    rows = [("reference: scipy DOP853, rtol=atol=1e-10", t_ref_j1, 0, 0.0)]
    for label, kw in (("hhdyn dopri5 (default rtol=atol=1e-6)", {}),
                      ("hhdyn rk4, dt=0.01 ms", {"method": "rk4"})):
        res, sec = timed(simulate_batch, model, t_j1, {"I_ext": [10.0]}, **kw)
        mism, err = compare(res.spike_counts, res.spike_times, [ref_j1.size], [ref_j1])
        rows.append((label, sec, mism, err))
    from hhdyn.simulation import simulate

    traj, sec = timed(simulate, model.with_params(I_ext=10.0), t_j1, y0=y0)
    st = traj.spike_times()
    rows.append(("hhdyn.simulate (scipy LSODA, rtol 1e-8, samples 0.01 ms)", sec,
                 *compare([st.size], [st], [ref_j1.size], [ref_j1])))
    table(f"J1: one HH neuron, {t_j1:g} ms at I_ext = 10 µA/cm² ({ref_j1.size} spikes)", rows, None, None)

    # ------------------------------------------------------------------ J2 reference
    ref, t_ref = timed(simulate_batch, model, t_end, {"I_ext": I}, method="rk4", dt=0.001)
    check = np.linspace(0, N - 1, 20).astype(int)
    dop = [dop853_spikes(model, I[i], t_end, y0) for i in check]
    ref_mism, ref_err = compare(ref.spike_counts[check], [ref.spike_times[i] for i in check],
                                [d.size for d in dop], dop)

    rows = []
    limit_counts, t_limit = timed(hh_rk4_limit, I, y0, 0.01, int(round(t_end / 0.01)))
    rows.append(("limit: hand-written numba RK4, dt=0.01 ms", t_limit,
                 *compare(limit_counts, None, ref.spike_counts, None)))
    for label, kw in (("hhdyn dopri5 (default, adaptive, rtol=atol=1e-6)", {}),
                      ("hhdyn rk4, dt=0.01 ms", {"method": "rk4"}),
                      ("hhdyn rush_larsen (exponential Euler), dt=0.01 ms", {"method": "rush_larsen"})):
        res, sec = timed(simulate_batch, model, t_end, {"I_ext": I}, **kw)
        rows.append((label, sec, *compare(res.spike_counts, res.spike_times, ref.spike_counts, ref.spike_times)))

    # odeint on a subset, scaled
    subset = np.linspace(0, N - 1, args.odeint_subset).astype(int)
    t_grid = np.arange(0.0, t_end + 0.005, 0.01)
    start = time.perf_counter()
    od_counts, od_times = [], []
    for i in subset:
        m = model.with_params(I_ext=float(I[i]))
        y = odeint(lambda y, t: m.rhs(y), y0, t_grid)
        s = hhdyn.spikes.spike_times(t_grid, y[:, 0])
        od_counts.append(s.size)
        od_times.append(s)
    t_od = (time.perf_counter() - start) * N / subset.size
    mism, err = compare(od_counts, od_times, ref.spike_counts[subset], [ref.spike_times[i] for i in subset])
    rows.append((f"odeint, Python RHS ({subset.size} neurons timed, ×{N / subset.size:g})", t_od, mism, err))

    brian_rk4 = None
    if not args.no_peers:
        python = peers_python()
        if python is None:
            print("\n(Brian2 rows skipped: run `bash benchmarks/setup_peers.sh` to build the peers' venv)")
        else:
            for method in ("rk4", "exponential_euler"):
                try:
                    out = run_brian2(python, method, I, y0, t_end, 0.01)
                except Exception as err:  # noqa: BLE001 - report and go on
                    print(f"\n(Brian2 {method} failed: {err})")
                    continue
                if method == "rk4":
                    brian_rk4 = out["run_s"]
                mism, e = compare(out["counts"], out["times"], ref.spike_counts, ref.spike_times)
                rows.append((f"Brian2 {method}, dt=0.01 ms, C++ standalone, run", out["run_s"], mism, e))
                rows.append((f"  Brian2 {method}: codegen + compile + run", out["build_and_run_s"], None, None))

    table(f"J2: {N} HH neurons, I_ext in [0, 50] µA/cm², {t_end:g} ms "
          f"(reference RK4 dt=0.001 ms: {t_ref:.1f} s; vs DOP853 1e-10 on 20: "
          f"{ref_mism} count mismatches, max Δt {ref_err:.1e} ms)",
          rows, t_limit, brian_rk4)
    print(f"\nfresh process with a warm kernel cache: {startup:.2f} s from start to first result")
    print(f"threads: {os.environ.get('NUMBA_NUM_THREADS', 'numba default')} (machine has {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
