"""Bifurcation diagrams: HH and its reductions side by side, and their Hopf curves in (I_ext, gK)."""
from __future__ import annotations

import warnings

from . import figure


def _models():
    from reductions import FitzHughNagumo, fast_m, h_plus_n

    from hhdyn.squid import HodgkinHuxley

    hh = HodgkinHuxley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [hh, fast_m(hh), h_plus_n(hh), FitzHughNagumo()]


def _hopf_note(branch):
    parts = [f"H {p.param:.3f} (l1={p.info['l1']:+.2g})" for p in branch.points("H")]
    parts += [f"LP {p.param:.3f}" for p in branch.points("LP")]
    return "; ".join(parts) or "no special points"


@figure("bifurcation_reductions", "Equilibrium branches in I_ext of HH, fast-m HH, Rinzel's h + n = 0.8 reduction and "
        "FitzHugh–Nagumo (stable solid, unstable dashed): rest loses stability at a subcritical Hopf point "
        "(l1 > 0) in all four; the full model regains it at a supercritical one near 154.5 µA/cm².")
def bifurcation_reductions():
    import matplotlib.pyplot as plt

    from analysis.continuation import continue_equilibria

    from hhdyn.units import axis_label

    models = _models()
    windows = [(-10.0, 200.0)] * 3 + [(0.0, 2.0)]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, model, (start, stop), color in zip(axes.flat, models, windows, ("C0", "C1", "C2", "C3")):
        branch = continue_equilibria(model, "I_ext", (start, stop))
        branch.plot(ax=ax, y=model.state_names[0], color=color)
        ax.set_title(f"{model.name}\n{_hopf_note(branch)}", fontsize=8.5)
        ax.set_xlabel(axis_label("I_ext") if "V" in model.state_names else "I_ext (dimensionless)")
        ax.set_ylabel(axis_label("V") if model.state_names[0] == "V" else f"{model.state_names[0]} (dimensionless)")
    fig.tight_layout()
    return fig


@figure("bifurcation_hopf_curves_gK", "Hopf curves in the (I_ext, gK) plane of HH and its fast-m and h + n = 0.8 "
        "reductions, each followed from the first Hopf point at gK = 36 mS/cm²; GH (Bautin) points separate "
        "subcritical from supercritical parts, BT points end the curves (dotted: neutral saddles).")
def bifurcation_hopf_curves_gK():
    import matplotlib.pyplot as plt

    from analysis.branch import label_points
    from analysis.continuation import continue_equilibria, continue_hopf

    from hhdyn.units import axis_label

    fig, ax = plt.subplots(figsize=(8, 5.5))
    marked = []
    for model, color in zip(_models()[:3], ("C0", "C1", "C2")):
        branch = continue_equilibria(model, "I_ext", (-10.0, 200.0))
        hopf = branch.points("H")
        if not hopf:
            continue
        curve = continue_hopf(model, hopf[0], "gK", window=(-60.0, 300.0), window2=(0.0, 80.0), ds_max=6.0)
        curve.plot(ax=ax, color=color, label=model.name, annotate=False)
        marked += curve.label_positions()
    ax.set_ylim(bottom=0.0)  # a negative conductance is not a neuron: clip the window at gK = 0
    ax.axhline(36.0, color="0.6", lw=0.8, ls="-.")
    ax.text(ax.get_xlim()[1], 36.0, " gK = 36", va="center", ha="right", fontsize=8, color="0.4")
    ax.set_xlabel(axis_label("I_ext"))
    ax.set_ylabel(axis_label("gK"))
    # label the special points of all three curves together, so that coincident BT points share a label
    label_points(ax, [p for p in marked if p[1] >= 0.0])
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("Hopf curves (solid), neutral saddles (dotted); BT, GH labelled", fontsize=10)
    fig.tight_layout()
    return fig
