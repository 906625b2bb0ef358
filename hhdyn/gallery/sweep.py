"""Gallery: the HH firing-rate map over (I_ext, gK), computed with the compiled batch engine."""
from __future__ import annotations

import numpy as np

from . import figure

I_RANGE = (0.0, 40.0)   # µA/cm²
GK_RANGE = (20.0, 50.0)  # mS/cm²


def bifurcation_overlay(ax, model, I_range=I_RANGE, gK_range=GK_RANGE) -> list[str]:
    """HOOK (lead): draw the Hopf (H) and fold-of-cycles (LPC) curves in the (I_ext, gK) plane.

    Once the continuation work provides them (e.g. ``analysis.codim2.continue_hopf`` from the
    Hopf point of the equilibrium branch in I_ext, and a two-parameter LPC continuation), plot
    them here onto ``ax`` (x = I_ext in µA/cm², y = gK in mS/cm²) and return their labels.
    The map below shows where repetitive firing starts; the Hopf curve should bound the region
    where rest is unstable and the LPC curve the onset of the bistable band. Draws nothing yet.
    """
    return []


@figure("firing_rate_map", "HH firing rate over (I_ext, gK), 1891 runs of the compiled batch engine")
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
        ax.legend(frameon=False, fontsize="small")
    ax.set_title("HH: firing rate after a current step from rest (0.1–0.3 s)")
    return fig
