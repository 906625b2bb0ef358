"""Gallery: phase planes, separatrices, limit cycles and I–V curves (issue 4)."""
from __future__ import annotations

import warnings

from . import figure


def _plt():
    import matplotlib.pyplot as plt

    return plt


@figure("phaseplane_h_plus_n",
        "(V, n) phase planes of Rinzel's h + n = 0.8 reduction of HH at I_ext = 0, 5, 8 and 12 µA/cm²: "
        "rest, the excitable threshold (a small and a large kick from rest), the bistable regime with an "
        "unstable (dashed) cycle around stable rest inside the stable (solid) spiking cycle, and repetitive firing.")
def phaseplane_h_plus_n():
    from analysis.phaseplane import PhasePlane
    from reductions import h_plus_n

    from hhdyn.squid import HodgkinHuxley

    plt = _plt()
    model = h_plus_n(HodgkinHuxley())
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained", sharex=True, sharey=True)
    for ax, I in zip(axes.flat, (0.0, 5.0, 8.0, 12.0)):
        pp = PhasePlane(model, "V", "n", (-85.0, 50.0), (0.25, 0.8), params={"I_ext": I}, t_max=150.0)
        rest = pp.fixed_points()[0]
        kicks = []
        cycles = False
        if I in (0.0, 5.0):
            # a subthreshold and a suprathreshold voltage kick from rest
            dv = (4.0, 8.0) if I == 0.0 else (2.0, 4.0)  # thresholds: +5.5 and +2.5 mV
            kicks = [(rest["V"] + dv[0], rest["n"]), (rest["V"] + dv[1], rest["n"])]
        if I == 8.0:
            cycles = pp.limit_cycles(seeds=[(-40.0, 0.5)], backward=False)
        if I == 12.0:
            cycles = pp.limit_cycles(from_fixed_points=True)
        pp.plot(ax, trajectories=kicks, t_end=30.0, limit_cycles=cycles, density=18,
                title=f"I_ext = {I:g} µA/cm²", legend=(I == 8.0))
        ax.label_outer()
    fig.suptitle(model.name, fontsize=10)
    return fig


@figure("phaseplane_fhn_hopf",
        "FitzHugh–Nagumo (a = 0.7, b = 0.8, eps = 0.08) below (I = 0, excitable) and above (I = 0.5) its Hopf "
        "point at I ≈ 0.331: stable rest with sub- and suprathreshold responses, then an unstable focus "
        "surrounded by the stable relaxation cycle.")
def phaseplane_fhn_hopf():
    from analysis.phaseplane import PhasePlane
    from reductions import FitzHughNagumo

    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained", sharey=True)
    for ax, I in zip(axes, (0.0, 0.5)):
        pp = PhasePlane(FitzHughNagumo(I_ext=I), "v", "w", (-2.5, 2.5), (-1.0, 2.0), t_max=300.0)
        rest = pp.fixed_points()[0]
        if I == 0.0:
            starts = [(rest["v"] + 0.4, rest["w"]), (rest["v"] + 0.8, rest["w"])]
            cycles = False
        else:
            starts = [(0.0, 1.5)]
            cycles = pp.limit_cycles(seeds=starts, backward=False)
        pp.plot(ax, trajectories=starts, t_end=60.0, limit_cycles=cycles, title=f"FitzHugh–Nagumo, I = {I:g}")
    return fig


@figure("phaseplane_saddle_separatrix",
        "h + n reduction with h = 1 − n (N-shaped steady-state I–V), I_ext = 0: stable rest, a saddle and an "
        "unstable focus. The saddle's stable manifold (dashed green) is the firing threshold; its unstable "
        "manifold (red) connects it to rest.")
def phaseplane_saddle_separatrix():
    from analysis.phaseplane import PhasePlane
    from reductions import ReductionWarning, h_plus_n

    from hhdyn.squid import HodgkinHuxley

    plt = _plt()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReductionWarning)
        model = h_plus_n(HodgkinHuxley(), c=1.0)
    pp = PhasePlane(model, "V", "n", (-85.0, 50.0), (0.2, 0.9), t_max=60.0)
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    saddle = next(fp for fp in pp.fixed_points() if fp.kind == "saddle")
    starts = [(-62.0, 0.45), (-50.0, 0.45)]  # either side of the stable manifold
    pp.plot(ax, trajectories=starts, t_end=30.0)
    return fig


@figure("iv_curves",
        "Steady-state (solid) and instantaneous/peak (dashed, m at m∞(V), h and n held at rest) I–V curves of HH "
        "(left) and of the h = 1 − n reduction (right), whose N-shaped I_ss has two folds (LP, saddle-nodes of "
        "equilibria); equilibria at I_ext are the intersections with the red line.")
def iv_curves_figure():
    from analysis.iv import iv_curves
    from reductions import ReductionWarning, h_plus_n

    from hhdyn.squid import HodgkinHuxley

    plt = _plt()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReductionWarning)
        reduced = h_plus_n(HodgkinHuxley(), c=1.0)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    iv_curves(HodgkinHuxley(), {"I_ext": 10.0}, V_range=(-90.0, 0.0)).plot(axes[0], ylim=(-150, 150))
    iv_curves(reduced, {"I_ext": 5.0}, V_range=(-90.0, 0.0)).plot(axes[1], ylim=(-350, 150))
    return fig


@figure("hh_projection_vn",
        "The full 4D HH model at I_ext = 10 µA/cm²: a trajectory from rest at I = 0, projected on (V, n), "
        "with the quasi-nullclines (m and h at steady state) and the unstable equilibrium.")
def hh_projection_vn():
    from analysis.phaseplane import PhasePlane

    from hhdyn.squid import HodgkinHuxley

    plt = _plt()
    hh = HodgkinHuxley()
    rest = hh.resting_state()
    pp = PhasePlane(hh.with_params(I_ext=10.0), "V", "n", (-85.0, 50.0), (0.25, 0.85), others="steady_state")
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    pp.plot(ax, trajectories=[rest], t_end=60.0, separatrices=False)
    return fig
