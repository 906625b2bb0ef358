"""The fold-of-cycles (LPC) boundary of HH in (I_ext, gK) over gK ∈ [20, 50]: ``continue_lpc`` against
the gallery's construction from repeated one-parameter runs.

* **baseline** — the gallery's construction before ``continue_lpc`` (the LPC part of
  ``hhdyn/app/gallery/sweep.py::bifurcation_overlay`` until 2026-12-04; the overlay now draws the
  LPC curve): at 7 values of gK in GK_RANGE, ``firing_onset`` (equilibria in I_ext, cycles from the
  first Hopf point over I_RANGE ± 10, the fold where the stable cycles begin).
* **new** — one equilibrium run and one cheap cycle run at gK = 36 to find the fold (marked, not
  located: see :func:`start`), then the LPC curve by
  ``continue_lpc`` over the same gK range (NCOL = 5), with user points (UZ) at the same 7 values of gK.

Accuracy: both against independent re-locations with a finer mesh (``continue_cycles`` from the Hopf
point with NTST = 120, NCOL = 6) at three of the seven values. Runs alternate (baseline, new) and
the median of each is reported, with the ratio. Usage: ``python benchmarks/lpc_curve.py [repeats]``.
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

#: collocation points per interval of the curve (the baseline's one-parameter runs use 50 × 4):
#: with 4 the curve's folds are ~5e-7 from the reference, the baseline's ~1e-7 (both far inside
#: 1e-5); 5 makes the curve at least as accurate as the baseline
NCOL = 5


def baseline(model):
    """The gallery's former construction (bifurcation_overlay's loop), returning {gK: LPC current}."""
    from analysis.cycles import firing_onset
    from hhdyn.app.gallery.sweep import GK_RANGE, I_RANGE

    out = {}
    for gK in np.linspace(*GK_RANGE, 7):
        try:
            onset = firing_onset(model.with_params(gK=float(gK)), window=(I_RANGE[0] - 10.0, I_RANGE[1] + 10.0))
        except ValueError:
            continue
        if onset.kind == "LPC":
            out[float(gK)] = onset.onset
    return out


def start(model):
    """The fold where the stable cycles begin at the model's gK (one equilibrium and one cycle run).

    The cycle run is a cheap one: only up to just past the Hopf point (the bistable band), without
    locating its special points and without refining the trivial multiplier (``locate=False``,
    ``max_ntst=ntst``): the fold is only marked, and ``continue_lpc``'s first corrector locates
    it exactly on the fold-of-cycles system (the curve's accuracy does not depend on it)."""
    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles
    from hhdyn.app.gallery.sweep import I_RANGE

    window = (I_RANGE[0] - 10.0, I_RANGE[1] + 10.0)
    eq = continue_equilibria(model, "I_ext", window)
    h1 = sorted(eq.points("H"), key=lambda p: p.param)[0]
    lc = continue_cycles(h1, model, window=(window[0], h1.param + 0.05), locate=False, max_ntst=50)
    return lc, min(lc.points("LPC"), key=lambda p: p.param)


def new(model):
    from analysis.cycles.cycle_curves import continue_lpc
    from hhdyn.app.gallery.sweep import GK_RANGE

    t0 = time.perf_counter()
    lc, lpc = start(model)
    t1 = time.perf_counter()
    values = tuple(float(v) for v in np.linspace(*GK_RANGE, 7))
    curve = continue_lpc(model, lpc, "gK", branch=lc, window=(-10.0, 100.0), window2=GK_RANGE, values2=values,
                         ncol=NCOL)
    t2 = time.perf_counter()
    points = {round(p.info["gK"], 9): p.param for p in curve.special_points if p.kind == "UZ"}
    for v in values:  # the window's ends are end points of the curve, not UZ points
        at = np.flatnonzero(np.abs(curve.param2 - v) < 1e-9)
        if round(v, 9) not in points and at.size:
            points[round(v, 9)] = float(curve.param[at[0]])
    return curve, points, t1 - t0, t2 - t1


def reference(model, gK):
    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles

    m = model.with_params(gK=float(gK))
    eq = continue_equilibria(m, "I_ext", (-10.0, 50.0))
    h1 = sorted(eq.points("H"), key=lambda p: p.param)[0]
    lc = continue_cycles(h1, m, window=(-10.0, 50.0), ntst=120, ncol=6)
    return [p.param for p in lc.points("LPC")]


def main(repeats: int = 3) -> int:
    import hhdyn
    from analysis.cycles.periodic_schur import compile_kernels, kernels_compiled

    # both sides measured with the periodic-Schur kernels compiled (numba's disk cache), the state after
    # a first gallery run; on a cold cache they run as plain Python and the baseline, which computes
    # many more multipliers, is ~4x slower (the ratio then ~12x, measured 2026-12-04)
    cold = not kernels_compiled()
    if cold:
        compile_kernels()
    print(f"periodic-Schur kernels: compiled ({'compiled now, untimed' if cold else 'from the disk cache'})")
    model = hhdyn.HodgkinHuxley()
    t_base, t_new, t_start, t_curve = [], [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        base = baseline(model)
        t_base.append(time.perf_counter() - t)
        t = time.perf_counter()
        curve, points, ts, tc = new(model)
        t_new.append(time.perf_counter() - t)
        t_start.append(ts)
        t_curve.append(tc)
    print(f"baseline (the gallery's former construction, {len(base)} one-parameter runs): median {statistics.median(t_base):.2f} s "
          f"of {[round(x, 2) for x in t_base]}")
    print(f"new (start {statistics.median(t_start):.2f} s + curve {statistics.median(t_curve):.2f} s, "
          f"{len(curve.param)} points, {curve.status}: {curve.message}): median {statistics.median(t_new):.2f} s "
          f"of {[round(x, 2) for x in t_new]}")
    ratio = statistics.median(t_base) / statistics.median(t_new)
    print(f"ratio baseline / new (start included): {ratio:.2f}x")
    print(f"ratio baseline / curve alone (start excluded): {statistics.median(t_base) / statistics.median(t_curve):.2f}x")
    err_base, err_new = [], []
    for gK in sorted(base)[::3]:
        ref = reference(model, gK)
        eb = min(abs(r - base[gK]) for r in ref)
        en = min(abs(r - points[round(gK, 9)]) for r in ref)
        err_base.append(eb)
        err_new.append(en)
        print(f"  gK={gK:6.2f}: reference {min(ref, key=lambda r: abs(r - base[gK])):.8f}  baseline error {eb:.2e}  "
              f"curve error {en:.2e}")
    print(f"accuracy (max error vs the NTST=120, NCOL=6 re-location): baseline {max(err_base):.2e}, "
          f"curve {max(err_new):.2e} ({'equal or better' if max(err_new) <= max(err_base) else 'worse'}; NTST=50; baseline NCOL=4, curve NCOL={NCOL})")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
