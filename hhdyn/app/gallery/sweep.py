"""Gallery: the HH firing-rate map over (I_ext, gK), computed with the compiled batch engine."""
from __future__ import annotations

import numpy as np

from . import figure

I_RANGE = (0.0, 40.0)   # µA/cm²
GK_RANGE = (20.0, 50.0)  # mS/cm²


def bifurcation_overlay(ax, model, I_range=I_RANGE, gK_range=GK_RANGE, n_lpc: int = 7) -> list[str]:
    """Draw the Hopf curve (H) and the fold-of-cycles points (LPC) in the (I_ext, gK) plane.

    The Hopf curve is continued in two parameters from the first Hopf point of the equilibrium
    branch in I_ext (rest is unstable to its right); the LPC, where repetitive firing begins
    (the left edge of the bistable band), is located by cycle continuation at ``n_lpc`` values
    of gK. Returns the legend labels drawn.
    """
    from analysis.continuation import continue_hopf
    from analysis.continuation import continue_equilibria
    from analysis.cycles import firing_onset

    labels = []
    equilibria = continue_equilibria(model, "I_ext", (I_range[0] - 10.0, I_range[1] + 10.0))
    hopf = sorted(equilibria.points("H"), key=lambda p: p.param)
    if hopf:
        curve = continue_hopf(model, hopf[0], "gK", window=(I_range[0] - 20.0, I_range[1] + 20.0),
                              window2=(gK_range[0] - 5.0, gK_range[1] + 5.0))
        ax.plot(curve.param, curve.param2, "w-", lw=2.0, label="Hopf (H): rest loses stability")
        labels.append("H")
    gks, lpcs = [], []
    for gK in np.linspace(*gK_range, n_lpc):
        try:
            onset = firing_onset(model.with_params(gK=float(gK)), window=(I_range[0] - 10.0, I_range[1] + 10.0))
        except ValueError:
            continue
        if onset.kind == "LPC":
            gks.append(gK)
            lpcs.append(onset.onset)
    if lpcs:
        ax.plot(lpcs, gks, "wo--", ms=4, lw=1.2, label="fold of cycles (LPC): firing begins")
        labels.append("LPC")
    ax.set_xlim(*I_range)
    ax.set_ylim(*gK_range)
    return labels


@figure("firing_rate_map", "HH firing rate over (I_ext, gK), 1891 runs of the compiled batch engine, with the "
        "Hopf curve and the fold of cycles (LPC) from continuation drawn over it")
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
