"""Periodic orbits in the bifurcation diagrams: cycle envelopes, periods, folds of cycles."""
from __future__ import annotations

import warnings

import numpy as np

from . import figure


def _diagram(model, lo, hi):
    """(equilibrium branch, cycle branch from the lowest Hopf point or None)."""
    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles

    eq = continue_equilibria(model, "I_ext", (lo, hi))
    hopf = sorted(eq.points("H"), key=lambda p: p.param)
    if not hopf:
        return eq, None
    return eq, continue_cycles(hopf[0], model, window=(lo, hi))


def _stable_onset(lc):
    """Lowest current with a stable cycle: the fold (LPC) where the stable branch begins, else
    the lowest stable point of the branch (NaN without stable cycles)."""
    stable = np.asarray(lc.stable, dtype=bool)
    if not stable.any():
        return np.nan
    onsets = list(lc.param[stable])
    for p in lc.points("LPC"):
        neighbours = stable[max(p.index - 1, 0): p.index + 2]
        if neighbours.any():
            onsets.append(p.param)
    return float(min(onsets))


def _current_label(model):
    """x-axis label: µA/cm² for conductance-based models, dimensionless for FitzHugh–Nagumo."""
    from hhdyn.units import axis_label

    return axis_label("I_ext") if "V" in model.state_names else "I_ext (dimensionless)"


def _cycle_note(lc):
    lpc = sorted(p.param for p in lc.points("LPC"))
    pd = sorted(p.param for p in lc.points("PD"))
    parts = [f"LPC {', '.join(f'{v:.3f}' for v in lpc)}"] if lpc else []
    parts += [f"PD {', '.join(f'{v:.3f}' for v in pd)}"] if pd else []
    parts.append(f"stable cycles from {_stable_onset(lc):.3f}")
    return "; ".join(parts)


@figure("hh_cycles", "HH periodic orbits continued from the subcritical Hopf point H1 (I≈9.78) by collocation: "
        "the unstable cycles fold at LPC I≈6.26 µA/cm² (onset of repetitive firing) into the stable "
        "spiking branch, which shrinks into the supercritical H2 (≈154.5); max/min envelopes of V, the "
        "period, and the firing rate 1000/period overlaid on the simulated F–I curve (bistable band).")
def hh_cycles():
    import matplotlib.pyplot as plt

    from analysis.excitability import fi_curve

    from hhdyn.squid import HodgkinHuxley

    hh = HodgkinHuxley()
    eq, lc = _diagram(hh, 0.0, 200.0)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    from analysis.branch import label_points

    eq.plot(ax=axes[0], y="V", label="equilibria", annotate=False)
    lc.plot(ax=axes[0], y="V", label="cycles (max/min V)", annotate=False)
    label_points(axes[0], eq.label_positions("V") + lc.label_positions("V"))
    axes[0].legend(fontsize=8, frameon=False)
    axes[0].set_title(f"equilibria and cycle envelopes (max/min V)\n{_cycle_note(lc)}", fontsize=10)
    lc.plot_period(ax=axes[1], color="C1")
    axes[1].set_title("period of the cycles")
    ax = axes[2]
    keep = lc.param <= 45.0
    rate = lc.frequency_hz
    ax.plot(lc.param[keep & lc.stable], rate[keep & lc.stable], "-", color="C1", label="stable cycle, 1000/T")
    ax.plot(lc.param[keep & ~lc.stable], rate[keep & ~lc.stable], "--", color="C1", lw=1, label="unstable cycle")
    fi = fi_curve(hh, currents=[5.0, 8.0, 12.0, 25.0], settle_ms=30.0, measure_ms=70.0, ramp_rate=0.1)
    ax.plot(fi.currents, fi.rate_up, "o", color="C0", ms=5, label="simulation, sweep up")
    ax.plot(fi.currents, fi.rate_down, "s", color="C3", ms=7, mfc="none", label="simulation, sweep down")
    for p in lc.points("LPC"):
        if p.param < 7:
            ax.axvline(p.param, color="0.6", lw=0.8, ls=":")
            ax.annotate(f"LPC {p.param:.2f}", (p.param, 5), fontsize=8, xytext=(3, 0), textcoords="offset points")
    ax.set_xlim(0, 45)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(_current_label(hh))
    ax.set_ylabel("firing rate (Hz)")
    ax.set_title("F–I curve and 1/period of the cycles")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


@figure("cycles_reductions", "Cycle branches (max/min envelopes; stable solid, unstable dashed; LPC marked) "
        "over the equilibrium branches of HH, fast-m HH, h + n = 0.8 and FitzHugh–Nagumo: in all four the "
        "Hopf point that destabilizes rest is subcritical and repetitive firing starts at a fold of "
        "cycles below it (for FitzHugh–Nagumo and h + n after a canard explosion).", seconds=6.5)
def cycles_reductions():
    import matplotlib.pyplot as plt

    from analysis.branch import BifurcationDiagram
    from reductions import FitzHughNagumo, fast_m, h_plus_n

    from hhdyn.squid import HodgkinHuxley

    hh = HodgkinHuxley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [(hh, (0.0, 200.0)), (fast_m(hh), (0.0, 200.0)), (h_plus_n(hh), (0.0, 200.0)),
                  (FitzHughNagumo(), (0.0, 2.0))]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (model, (lo, hi)) in zip(axes.ravel(), models):
        eq, lc = _diagram(model, lo, hi)
        branches = [eq] + ([lc] if lc is not None else [])
        BifurcationDiagram(branches).plot(ax=ax, y=model.state_names[0])
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        note = _cycle_note(lc) if lc is not None else ""
        ax.set_title(f"{model.name}\n{note}", fontsize=9)
        ax.set_xlabel(_current_label(model))
        if "V" not in model.state_names:
            ax.set_ylabel(f"{model.state_names[0]} (dimensionless)")
    fig.tight_layout()
    return fig
