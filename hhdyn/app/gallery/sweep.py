"""Gallery: the HH firing-rate map over (I_ext, gK), computed with the compiled batch engine."""
from __future__ import annotations

import numpy as np

from . import figure

I_RANGE = (0.0, 40.0)   # µA/cm²
GK_RANGE = (20.0, 50.0)  # mS/cm²


def bifurcation_overlay(ax, model, I_range=I_RANGE, gK_range=GK_RANGE) -> list[str]:
    """Draw the Hopf curve (H) and the curve of folds of cycles (LPC) in the (I_ext, gK) plane.

    Both are continued in two parameters, as in the bistability figure: the Hopf curve from the
    first Hopf point of the equilibrium branch in I_ext (rest is unstable to its right), the LPC
    curve from the fold where repetitive firing begins (the left edge of the bistable band;
    started from a cheap cycle run, :func:`.bistability.hopf_and_cycles`), without locating its
    codimension-two points. Returns the legend labels drawn.
    """
    from analysis.continuation import continue_hopf
    from analysis.cycles.cycle_curves import continue_lpc

    from .bistability import hopf_and_cycles, onset_lpcs

    window2 = (gK_range[0] - 5.0, gK_range[1] + 5.0)
    h1, cycles = hopf_and_cycles(model)
    hopf = continue_hopf(model, h1, "gK", window=(I_range[0] - 20.0, I_range[1] + 20.0), window2=window2)
    ax.plot(hopf.param, hopf.param2, "w-", lw=2.0, label="Hopf (H): rest loses stability")
    labels = ["H"]
    folds = onset_lpcs(cycles)
    if folds:
        lpc = continue_lpc(model, folds[0], "gK", branch=cycles, window=(I_range[0] - 10.0, I_range[1] + 10.0),
                           window2=window2, detect=())
        ax.plot(lpc.param, lpc.param2, "w--", lw=1.5, label="fold of cycles (LPC): firing begins")
        labels.append("LPC")
    ax.set_xlim(*I_range)
    ax.set_ylim(*gK_range)
    return labels


@figure("firing_rate_map", "HH firing rate over (I_ext, gK), 1891 runs of the compiled batch engine, with the "
        "Hopf curve and the fold of cycles (LPC) from continuation drawn over it", seconds=2.5)
def firing_rate_map():
    import matplotlib.pyplot as plt

    import hhdyn
    from analysis.sweep import sweep

    model = hhdyn.HodgkinHuxley()
    grid = {"I_ext": np.linspace(*I_RANGE, 61), "gK": np.linspace(*GK_RANGE, 31)}
    result = sweep(model, grid, measure="rate", t_end=300.0, transient=100.0, progress=False)
    fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    result.plot(ax=ax, cmap="viridis")
    labels = bifurcation_overlay(ax, model)
    if labels:
        ax.legend(loc="upper left", fontsize="small", facecolor="0.3", labelcolor="w", framealpha=0.6)
    ax.set_title("HH: firing rate after a current step from rest (0.1–0.3 s)")
    return fig
