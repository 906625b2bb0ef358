"""Bring-your-own-model costs, in one run: an equation model against the declared model.

    python benchmarks/byo.py            # J2 at full size (1000 neurons × 1000 ms)
    python benchmarks/byo.py --quick    # 200 neurons × 200 ms

Rows:
J2   1000 HH neurons, I_ext evenly spaced in [0, 50] µA/cm², 1000 ms each, simulate_batch with the
     default adaptive Dormand–Prince: the declared hhdyn.HodgkinHuxley() against the same equations
     given as text (hhdyn.equations, rates written out); ratio text/declared (goal ≤ 1.5). Both
     kernels are compiled (and cached) before timing; best of 3.
ODE  read_ode(tests/data/hh.ode) + fixed_points + continue_equilibria, warm (sympy imported and the
     kernel cache filled by an earlier read of another file; the file is parsed anew); goal < 2 s.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hhdyn  # noqa: E402
from analysis.continuation import continue_equilibria  # noqa: E402
from analysis.equilibria import fixed_points  # noqa: E402

_HH = json.loads((Path(__file__).resolve().parents[1] / "tests" / "data" / "hh_equations.json").read_text())
HH_TEXT, HH_PARAMS = _HH["rhs"], _HH["params"]


def best_of(f, k=3):
    times = []
    for _ in range(k):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n, t_end = (200, 200.0) if args.quick else (1000, 1000.0)
    declared = hhdyn.HodgkinHuxley()
    text = hhdyn.equations(HH_TEXT, HH_PARAMS, initial=dict(V=-65.0, m=0.05, h=0.6, n=0.32), name="HH as text")
    I = np.linspace(0.0, 50.0, n)
    y0 = declared.resting_state()
    for m in (declared, text):  # compile / load the kernels
        hhdyn.simulate_batch(m, 1.0, params={"I_ext": I[:4]}, y0=y0)
    t_decl, r_decl = best_of(lambda: hhdyn.simulate_batch(declared, t_end, params={"I_ext": I}, y0=y0))
    t_text, r_text = best_of(lambda: hhdyn.simulate_batch(text, t_end, params={"I_ext": I}, y0=y0))
    mismatches = int(np.sum(r_decl.spike_counts != r_text.spike_counts))
    print(f"J2 {n} neurons x {t_end:g} ms   declared {t_decl:.3f} s   text {t_text:.3f} s   "
          f"ratio text/declared {t_text / t_decl:.2f} (goal <= 1.5)   spike-count mismatches {mismatches}")

    hhdyn.read_ode(ROOT / "tests" / "data" / "fhn.ode")  # warm: sympy imported

    def first_analysis(k=[0]):
        k[0] += 1
        model = hhdyn.read_ode(ROOT / "tests" / "data" / "hh.ode", name=f"hh-{k[0]}")  # parsed anew
        fps = fixed_points(model, method="newton", box={"V": (-100, 60), "m": (0, 1), "h": (0, 1), "n": (0, 1)})
        branch = continue_equilibria(model, "I_ext", (0.0, 200.0), y0=fps.states[0])
        return fps, branch

    t_ode, (fps, branch) = best_of(first_analysis)
    print(f"ODE read_ode(hh.ode) + fixed_points + continue_equilibria (warm) {t_ode:.3f} s (goal < 2 s)   "
          f"Hopf at I_ext = {', '.join(f'{p.param:.4f}' for p in branch.points('H'))}")


if __name__ == "__main__":
    main()
