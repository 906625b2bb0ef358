"""The bistability region of HH, fast-m HH and h + n = 0.8 in (I_ext, gK) and (I_ext, T).

At gK = 36 mS/cm², T = 6.3 °C, HH's rest state loses stability at a subcritical Hopf point
(I_H = 9.77544 µA/cm²) and a stable cycle exists from the fold of cycles I_LPC = 6.26032 µA/cm²
on; in I_LPC < I_ext < I_H a stable rest state and stable repetitive firing coexist. In a
parameter plane (I_ext, p₂) this band is bounded by the Hopf curve (``continue_hopf``, from the
first Hopf point) and by the curve of folds of cycles (``continue_lpc``, from the fold where the
stable cycles begin); the two meet at a generalized-Hopf point (GH: l1 = 0), past which the Hopf
bifurcation is supercritical and the band closes. :func:`bistable_band` returns the band as
I_LPC(p₂) < I_ext < I_H(p₂) on the pieces of both curves through the one-parameter points that
are single-valued in p₂, cut at the GH points of the Hopf curve nearest to the start;
:func:`bistable_region` the region as polygons, exact on the side where the LPC curve ends at the
GH point of the Hopf curve (bounded by the two curves from their start points to the GH point).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import figure

#: windows of the second parameter: gK (mS/cm²), T (°C); the first parameter I_ext (µA/cm²)
WINDOWS2 = {"gK": (20.0, 60.0), "T": (0.0, 35.0)}
WINDOW = (-10.0, 150.0)


def _models():
    from reductions import fast_m, h_plus_n

    from hhdyn.squid import HodgkinHuxley

    hh = HodgkinHuxley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [hh, fast_m(hh), h_plus_n(hh)]


def onset_lpcs(cycles):
    """The folds of ``cycles`` (a CycleBranch) at which stable cycles begin: LPC points with a
    stable orbit next to them on the branch (for HH at gK = 36: only the fold at 6.26)."""
    stable = np.asarray(cycles.stable, dtype=bool)
    return [p for p in sorted(cycles.points("LPC"), key=lambda p: p.param)
            if stable[max(p.index - 1, 0): p.index + 2].any()]


def hopf_and_cycles(model):
    """(lowest Hopf point of the equilibria in I_ext ∈ [−10, 200] µA/cm², the cycles born there
    continued down over the bistable band). A cheap run — folds marked, not located, and no
    trivial-multiplier refinement (``locate=False``, ``max_ntst=50``; 2–4× faster): it only
    supplies the start, and ``continue_lpc``'s first corrector locates the fold exactly on the
    fold-of-cycles system (tests/analysis/test_cycle_curves.py::test_cheap_start_from_an_unlocated_fold)."""
    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles

    eq = continue_equilibria(model, "I_ext", (-10.0, 200.0))
    hopf_points = sorted(eq.points("H"), key=lambda p: p.param)
    if not hopf_points:
        raise ValueError(f"{model.name} has no Hopf point in I_ext in [-10, 200] µA/cm²: no bistability region")
    h1 = hopf_points[0]
    return h1, continue_cycles(h1, model, window=(WINDOW[0], h1.param + 0.05), locate=False, max_ntst=50)


def bistability_curves(model, param2: str, window2=None, *, start=None, ntst: int = 50, ncol: int = 4):
    """(hopf curve, LPC curve or None, note) of ``model`` in (I_ext, ``param2``).

    The Hopf curve starts at the lowest Hopf point of the equilibria in I_ext ∈ [−10, 200]; the
    LPC curve at the lowest fold of the cycles born there at which stable cycles begin
    (``start``: the pair of :func:`hopf_and_cycles`, computed when not given), locating only the
    codimension-two points the figure marks (CPC; GH ends are always recorded). ``note`` says why
    there is no LPC curve (no such fold, or ``continue_lpc`` could not start from it).
    """
    from analysis.continuation import continue_hopf
    from analysis.cycles.cycle_curves import continue_lpc

    window2 = WINDOWS2[param2] if window2 is None else tuple(window2)
    h1, cycles = hopf_and_cycles(model) if start is None else start
    span2 = window2[1] - window2[0]
    hopf = continue_hopf(model, h1, param2, window=(-60.0, 300.0), window2=window2, ds_max=span2 / 10.0)
    lpcs = onset_lpcs(cycles)
    if not lpcs:
        return hopf, None, "no fold of cycles where stable cycles begin"
    try:
        lpc = continue_lpc(model, lpcs[0], param2, branch=cycles, window=WINDOW, window2=window2,
                           ntst=ntst, ncol=ncol, detect=("CPC",))
    except ValueError as exc:
        return hopf, None, f"continue_lpc cannot start from the fold at {lpcs[0].param:.4f}: {exc}"
    return hopf, lpc, ""


def _start_index(curve, value2: float, value1: float | None = None) -> int:
    """Index of the curve's point at param2 = value2 (the one-parameter start point)."""
    d = np.abs(curve.param2 - value2)
    if value1 is not None:
        d = d + 1e-3 * np.abs(curve.param - value1)
    return int(np.argmin(d))


def _monotone_piece(curve, i0: int):
    """(p2, p1) on the piece of ``curve`` through index i0 on which param2 is strictly monotone
    (repeated points, e.g. the start point of a curve joined from two directions, are skipped),
    sorted by p2."""
    q, p = curve.param2, curve.param
    keep = np.concatenate([[True], (np.diff(q) != 0) | (np.diff(p) != 0)])
    index = np.flatnonzero(keep)
    q, p = q[keep], p[keep]
    i0 = int(np.searchsorted(index, i0, side="right")) - 1
    steps = np.sign(np.diff(q))
    lo = hi = i0
    sign = steps[i0] if i0 < len(steps) else steps[i0 - 1]
    while hi < len(steps) and steps[hi] == sign:
        hi += 1
    while lo > 0 and steps[lo - 1] == sign:
        lo -= 1
    order = np.argsort(q[lo: hi + 1])
    return q[lo: hi + 1][order], p[lo: hi + 1][order]


def bistable_band(lpc, hopf, value2: float, n: int = 400):
    """The bistable band I_LPC(p₂) < I_ext < I_H(p₂): arrays (p2, I_lpc, I_hopf) on a grid of p₂
    (``n`` points, ``value2`` among them) over the p₂ range that the single-valued pieces of both
    curves through their start points at p₂ = ``value2`` share, cut at the GH points of the Hopf
    curve nearest to ``value2`` (past a GH the Hopf point is supercritical: no bistability).
    Where I_lpc ≥ I_hopf there is no band (the caller masks it)."""
    q_l, p_l = _monotone_piece(lpc, _start_index(lpc, value2))
    q_h, p_h = _monotone_piece(hopf, _start_index(hopf, value2))
    lo, hi = max(q_l[0], q_h[0]), min(q_l[-1], q_h[-1])
    for gh in hopf.points("GH"):
        q = float(gh.info[hopf.param2_name])
        if value2 < q < hi:
            hi = q
        elif lo < q < value2:
            lo = q
    grid = np.union1d(np.linspace(lo, hi, n), [value2])
    return grid, np.interp(grid, q_l, p_l), np.interp(grid, q_h, p_h)


def _common_gh(lpc, hopf, tol: float = 0.05):
    """(index on lpc, index on hopf) of a GH point that ends the LPC curve and lies on the Hopf
    curve (within ``tol`` relative in both parameters), else None."""
    ends = [p for p in lpc.points("GH")]
    for end in ends:
        for gh in hopf.points("GH"):
            q_end, q_gh = end.info[lpc.param2_name], gh.info[hopf.param2_name]
            if (abs(end.param - gh.param) < tol * (1.0 + abs(gh.param))
                    and abs(q_end - q_gh) < tol * (1.0 + abs(q_gh))):
                return end.index, gh.index
    return None


def _path(curve, i: int, j: int):
    """The curve's points from index i to index j (either order), as an (k, 2) array of (p1, p2)."""
    step = 1 if j >= i else -1
    idx = np.arange(i, j + step, step)
    return np.column_stack([curve.param[idx], curve.param2[idx]])


def bistable_region(lpc, hopf, value2: float) -> list:
    """The bistable region as a list of polygons ((k, 2) arrays of (I_ext, p₂)).

    Where the LPC curve ends at a GH point of the Hopf curve, the region on that side of
    p₂ = ``value2`` is the polygon bounded by the LPC curve from its start point to the GH point
    and the Hopf curve from the GH point back to its start point (exact, whatever the shape of
    the curves). Elsewhere it is the band of :func:`bistable_band` (the part where
    I_LPC < I_H). Both start points at p₂ = ``value2`` are vertices.
    """
    q, i_lpc, i_hopf = bistable_band(lpc, hopf, value2)
    polygons = []
    common = _common_gh(lpc, hopf)
    keep = np.ones(q.shape, dtype=bool)
    if common is not None:
        g_l, g_h = common
        s_l, s_h = _start_index(lpc, value2), _start_index(hopf, value2)
        polygons.append(np.vstack([_path(lpc, s_l, g_l), _path(hopf, g_h, s_h)]))
        above = hopf.param2[g_h] > value2
        keep = q <= value2 if above else q >= value2
    inside = keep & (i_lpc < i_hopf)
    # contiguous runs of the band outside the GH polygon
    edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(int), [0]])))
    for a, b in zip(edges[::2], edges[1::2]):
        if b - a >= 2:
            polygons.append(np.vstack([np.column_stack([i_lpc[a:b], q[a:b]]),
                                       np.column_stack([i_hopf[a:b], q[a:b]])[::-1]]))
    return polygons


def _panel(ax, model, param2, hopf, lpc, note):
    from hhdyn.units import axis_label

    value2 = float(model.params[param2])
    ax.plot(hopf.param, hopf.param2, "-", color="C0", lw=1.5, label="Hopf curve (H)")
    gh = hopf.points("GH")
    if gh:
        ax.plot([p.param for p in gh], [p.info[param2] for p in gh], "D", color="k", ms=6, label="GH", zorder=5)
    if lpc is not None:
        ax.plot(lpc.param, lpc.param2, "-", color="C3", lw=1.5, label="fold of cycles (LPC)")
        cpc = lpc.points("CPC")
        if cpc:
            ax.plot([p.param for p in cpc], [p.info[param2] for p in cpc], "*", color="C4", ms=11,
                    label="CPC", zorder=5)
        from matplotlib.collections import PolyCollection

        region = PolyCollection(bistable_region(lpc, hopf, value2), facecolors="C1", alpha=0.35, linewidths=0,
                                label="bistable: stable rest + stable cycle", zorder=1)
        ax.add_collection(region)
        q, i_lpc, i_hopf = bistable_band(lpc, hopf, value2)
        ax.plot([i_lpc[q == value2][0], i_hopf[q == value2][0]], [value2, value2], "o", color="k", ms=3.5)
    ax.axhline(value2, color="0.6", lw=0.8, ls="-.")
    lo2, hi2 = WINDOWS2[param2]
    ax.set_ylim(lo2, hi2)
    ax.set_xlim(-5.0, 100.0 if param2 == "gK" else 150.0)
    ax.set_xlabel(axis_label("I_ext"))
    ax.set_ylabel(axis_label(param2))
    title = model.name
    if lpc is None:
        title += f"\n(Hopf curve only: {note})"
    else:
        title += f"\nLPC curve: {len(lpc.param)} points, {len(lpc.points('CPC'))} CPC; {len(gh)} GH on the Hopf curve"
    ax.set_title(title, fontsize=8.5)
    ax.legend(fontsize=7, loc="lower right")


@figure("bistability_region", "The bistability region (shaded) of HH, fast-m HH and the h + n = 0.8 reduction in "
        "(I_ext, gK) (top) and (I_ext, T) (bottom): between the curve of folds of cycles (LPC, red; from the fold "
        "where stable firing begins, for HH at 6.26 µA/cm²) and the Hopf curve (blue; from the first Hopf point, "
        "9.78 µA/cm² for HH) a stable rest state and a stable cycle coexist; the band closes at a generalized-Hopf "
        "point (GH) — except for fast-m in (I_ext, gK), where neither curve reaches one below gK = 60 mS/cm² and the "
        "band runs to the window's edge, and for h + n in both planes (its folds of cycles lie among canard "
        "cycles and are followed with the planar fold condition ∫div f dt = 0); CPC marks cusps of cycles; dots: "
        "the one-parameter values at gK = 36 mS/cm², T = 6.3 °C.", seconds=9)
def bistability_region():
    import matplotlib.pyplot as plt

    models = _models()
    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    starts = [hopf_and_cycles(model) for model in models]
    for row, param2 in enumerate(("gK", "T")):
        for ax, model, start in zip(axes[row], models, starts):
            hopf, lpc, note = bistability_curves(model, param2, start=start)
            _panel(ax, model, param2, hopf, lpc, note)
    fig.tight_layout()
    return fig
