"""Benchmark: the whole HH bifurcation diagram in I_ext as whole processes, hhdyn vs xpplab (issue 18).

Each side is one process from Python start to the finished diagram: start-up, imports, the
equilibria from I_ext = −10 to 200 µA/cm² (both Hopf points), then the periodic orbits from the
first Hopf point through its three folds of cycles (LPC ≈ 6.26032, 7.84235, 7.91779) up to the
second Hopf point, once.

Baseline: xpplab (XPPAUT 8 with AUTO as a native library; GPL, so a benchmark peer only, never a
dependency), in its own venv made by ``benchmarks/setup_xpplab.sh``
(``$HHDYN_XPPLAB_ENV``, default ``~/.cache/hhdyn/xpplab``), on the same equations written by
``hhdyn.to_ode`` (one source of the equations). AUTO settings: NTST = 50, DSMAX = 2, and
NMAX = 107 for the cycles, which ends the branch at the second Hopf point (AUTO flags it BP at
I_ext = 154.5224): with a larger NMAX the branch runs on round the closed loop of orbits.

The sides alternate, ``--repeat`` timed runs each (default 3) after one untimed warm-up run each
(it fills hhdyn's kernel cache and the OS file cache); medians of wall and CPU seconds and their
ratio are printed. Each run's results are checked: hhdyn's first Hopf point must be
9.775437995 (± 1e-8) and both sides must report the three LPC values (± 1e-4) and end at the
second Hopf point (± 0.01). Target: hhdyn ≥ 3× faster.

With ``--compiled-floquet`` the Floquet-multiplier kernels (:mod:`analysis.cycles.periodic_schur`)
are compiled into numba's disk cache first (``compile_kernels()``, not timed): hhdyn then takes
their compiled route, as in an environment where they were compiled once (e.g. by the test
suite); without it they run as plain Python, as on a fresh install (most of the cycle
continuation's time).

    python benchmarks/whole_run.py [--repeat 3] [--no-xpplab] [--compiled-floquet]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = 3.0
HOPF1, HOPF1_TOL = 9.775437995, 1e-8
HOPF2_APPROX, END_TOL = 154.5224, 0.01
LPC, LPC_TOL = (6.26032, 7.84235, 7.91779), 1e-4
XPPLAB_NMAX = 107


def hhdyn_script() -> str:
    """The hhdyn side, on the public API (the one function to adapt when its keywords change)."""
    return r'''
import json
import hhdyn, analysis
model = hhdyn.HodgkinHuxley(I_ext=-10.0)
eq = analysis.continue_equilibria(model, "I_ext", (-10.0, 200.0))
hopf = sorted(p.param for p in eq.points("H"))
h1 = min(eq.points("H"), key=lambda p: p.param)
lc = analysis.continue_cycles(h1, model, window=(-10.0, 200.0), ntst=50, ncol=4)
print("@@" + json.dumps({"hopf": hopf, "lpc": sorted(p.param for p in lc.points("LPC")),
                         "end": float(lc.param[-1]), "status": lc.status, "message": lc.message}))
'''


def xpplab_script(ode: str) -> str:
    """The xpplab side: the lead's recipe, with NMAX chosen so that the cycles end at H2 once."""
    return rf'''
import json
import xpplab
m = xpplab.load({ode!r})
m.run(total=500)
d = m.auto.equilibria("I_ext", parmin=-10, parmax=200, ds=0.02, dsmax=2, nmax=2000, ntst=50)
hb = d.special("HB")
lc = m.auto.continue_from(hb[0], "periodic", nmax={XPPLAB_NMAX}, ntst=50, dsmax=2)
print("@@" + json.dumps({{"hopf": sorted(p.value for p in hb),
                         "lpc": sorted(p.value for p in lc.special("LP")),
                         "end": lc.points[-1].value, "status": 0, "message": ""}}))
'''


def check(side: str, result: dict) -> list[str]:
    """Problems with one run's numbers (empty when it matches the reference values)."""
    problems = []
    if side == "hhdyn" and abs(result["hopf"][0] - HOPF1) > HOPF1_TOL:
        problems.append(f"first Hopf {result['hopf'][0]:.10f}, expected {HOPF1} ± {HOPF1_TOL:g}")
    lpc = result["lpc"]
    if len(lpc) != 3 or any(abs(a - b) > LPC_TOL for a, b in zip(lpc, LPC)):
        problems.append(f"LPC {lpc}, expected {list(LPC)} ± {LPC_TOL:g}")
    if abs(result["end"] - HOPF2_APPROX) > END_TOL:
        problems.append(f"cycle branch ends at I_ext = {result['end']:.5f}, expected the second Hopf "
                        f"{HOPF2_APPROX} ± {END_TOL:g}")
    return problems


def parse(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("@@")]
    if not lines:
        raise RuntimeError(f"no result line in the output:\n{stdout[-2000:]}")
    return json.loads(lines[-1][2:])


def xpplab_python() -> Path | None:
    env = Path(os.environ.get("HHDYN_XPPLAB_ENV", Path.home() / ".cache" / "hhdyn" / "xpplab"))
    py = env / "bin" / "python"
    return py if py.exists() else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each side (>= 3)")
    ap.add_argument("--no-xpplab", action="store_true", help="time hhdyn alone")
    ap.add_argument("--compiled-floquet", action="store_true",
                    help="compile the Floquet kernels into numba's disk cache first (not timed)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        raise SystemExit(f"whole_run.py: --repeat must be >= 1, got {args.repeat}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg")
    with tempfile.TemporaryDirectory(prefix="hhdyn-whole-run-") as tmp:
        sys.path.insert(0, str(ROOT))
        import hhdyn

        ode = str(Path(tmp) / "hh.ode")
        hhdyn.to_ode(hhdyn.HodgkinHuxley(I_ext=-10.0), ode)
        if args.compiled_floquet:
            import subprocess

            subprocess.run([sys.executable, "-c", "from analysis.cycles.periodic_schur import compile_kernels; "
                            "compile_kernels()"], env=env, check=True)
        sides = {"hhdyn": [sys.executable, "-c", hhdyn_script()]}
        xpy = None if args.no_xpplab else xpplab_python()
        if xpy is not None:
            sides["xpplab"] = [str(xpy), "-c", xpplab_script(ode)]
        elif not args.no_xpplab:
            print("xpplab: skipped, no venv (run benchmarks/setup_xpplab.sh)")
        results, problems = {}, []

        def record(side, stdout):
            results[side] = parse(stdout)
            problems.extend(f"{side}: {p}" for p in check(side, results[side]))

        timings = alternate(sides, args.repeat, env=env, cwd=tmp, on_output=record)
    floquet = "compiled" if args.compiled_floquet else "plain Python unless already in numba's cache"
    print(f"HH diagram in I_ext, whole processes, median of {args.repeat} alternating runs (warm caches; "
          f"Floquet kernels: {floquet})")
    for side, t in timings.items():
        r = results[side]
        print(f"{side:<7} {t.wall_median:7.3f} s wall {t.cpu_median:7.3f} s CPU | Hopf "
              f"{', '.join(f'{h:.9f}' for h in r['hopf'])} | LPC {', '.join(f'{x:.5f}' for x in r['lpc'])} | "
              f"cycles end at {r['end']:.4f}  [runs: {', '.join(f'{w:.2f}' for w in t.wall)} s]")
    if "xpplab" in timings:
        h, x = timings["hhdyn"], timings["xpplab"]
        rw, rc = x.wall_median / h.wall_median, x.cpu_median / h.cpu_median
        print(f"xpplab / hhdyn: {rw:.2f}x wall, {rc:.2f}x CPU (target >= {TARGET:g}x: wall "
              f"{'met' if rw >= TARGET else 'NOT met'}, CPU {'met' if rc >= TARGET else 'NOT met'})")
    for p in dict.fromkeys(problems):
        print(f"accuracy: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
