"""Gallery figures of issue 13: class-1 neurons (Morris–Lecar, Wang–Buzsáki) and phase response curves."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import figure
from hhdyn.neurons import MorrisLecar, WangBuzsaki
from hhdyn.squid import HodgkinHuxley

#: (set, I_ext, what happens there) for the Morris–Lecar phase planes
_ML_PLANES = (
    ("hopf", 91.0, "bistable: between the fold of cycles (I ≈ 88.3) and the subcritical Hopf (I ≈ 93.86)"),
    ("snic", 45.0, "just past the SNIC (I ≈ 39.96): one cycle through the saddle-node's ghost"),
    ("homoclinic", 38.0, "cycles for 35 < I < 40.6 (homoclinic loop to fold)"),
)


@figure("ml_phase_planes", "Morris–Lecar (V, w) phase planes of Rinzel & Ermentrout's three parameter sets "
        "(Hopf, SNIC, homoclinic), with nullclines, fixed points (filled stable, open unstable), saddle "
        "separatrices and stable limit cycles; and the homoclinic set at the saddle homoclinic current "
        "(the HOM end of its cycle branch), where the saddle's unstable manifold closes into the homoclinic loop.",
        seconds=6)
def ml_phase_planes():
    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles
    from analysis.phaseplane import PhasePlane

    fig, axes = plt.subplots(2, 2, figsize=(12, 9.4), layout="constrained")
    axes = axes.ravel()
    for ax, (which, I, note) in zip(axes, _ML_PLANES):
        plane = PhasePlane(MorrisLecar(which), xlim=(-65.0, 45.0), ylim=(-0.02, 0.6), params={"I_ext": I},
                           t_max=1500.0)
        cycles = plane.limit_cycles(seeds=[(-50.0, 0.45), (30.0, 0.05)])  # outer seeds: the large stable cycles
        plane.plot(ax=ax, field=None, limit_cycles=cycles, legend=True, title=f"{which} set, I = {I:g} µA/cm²")
        ax.set_xlabel(f"V (mV)\n{note}", fontsize="small")
    # the homoclinic loop: the last orbit of the cycle branch from the Hopf point, which ends at HOM
    model = MorrisLecar("homoclinic")
    hopf = min(continue_equilibria(model, "I_ext", (-20.0, 150.0)).points("H"), key=lambda sp: sp.param)
    branch = continue_cycles(hopf, model, window=(-20.0, 150.0))
    end = branch.special_points[-1]
    ax = axes[3]
    plane = PhasePlane(model, xlim=(-65.0, 45.0), ylim=(-0.02, 0.6), params={"I_ext": end.param}, t_max=3000.0)
    plane.plot(ax=ax, field=None, legend=True,
               title=f"homoclinic set, I = I_hom = {end.param:.6g} µA/cm² ({end.kind})")
    _, y = branch.orbit(len(branch.param) - 1, n_points=6000)
    ax.plot(y[0], y[1], color="C3", lw=3.0, alpha=0.45, zorder=1,
            label=f"homoclinic loop (orbit of period {branch.period[-1]:.0f} ms at the HOM end)")
    ax.legend(frameon=False, fontsize="x-small", loc="upper left")
    ax.set_xlabel("V (mV)\nthe saddle's unstable manifold (solid) returns along its stable manifold: the loop",
                  fontsize="small")
    return fig


@figure("fi_class1_vs_class2", "Firing rate of the periodic orbits (collocation, stable solid, unstable dashed) "
        "against I_ext: Wang–Buzsáki's rate falls to zero at the SNIC (class 1; fitted f ∝ (I − I_c)^β with "
        "β ≈ 1/2) while HH's stable cycles never go below ≈ 52 Hz (class 2: fold of cycles and subcritical Hopf).",
        seconds=3)
def fi_class1_vs_class2():
    from analysis.continuation import continue_equilibria
    from analysis.cycles import continue_cycles
    from analysis.onset_class import fit_onset_power_law
    from hhdyn.simulation import simulate

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    wb = WangBuzsaki(I_ext=1.0)
    y0 = np.array(wb.resting_state())
    y0[0] += 30.0
    wb_cycles = continue_cycles(simulate(wb, 200.0, y0=y0), window=(0.1, 1.0), direction=-1, ntst=80,
                                max_period=2000.0)
    fold = [sp for sp in continue_equilibria(wb, "I_ext", (-1.0, 1.0)).special_points if sp.kind == "LP"][0]
    rate = wb_cycles.frequency_hz
    near = rate < 10.0
    I_c, beta, amp, _ = fit_onset_power_law(wb_cycles.param[near], rate[near],
                                            (fold.param - 1e-3, wb_cycles.param[near].min()))
    hh = HodgkinHuxley()
    hopf = [sp for sp in continue_equilibria(hh, "I_ext", (0.0, 20.0)).special_points if sp.kind == "H"][0]
    hh_cycles = continue_cycles(hopf, hh, window=(0.0, 20.0))
    for ax, cycles, title in ((a, wb_cycles, f"Wang–Buzsáki: class 1, β = {beta:.3f} (I_c = {I_c:.5f})"),
                              (b, hh_cycles, "Hodgkin–Huxley: class 2")):
        f = cycles.frequency_hz
        for mask, ls in ((cycles.stable, "-"), (~cycles.stable, "--")):
            ax.plot(np.where(mask, cycles.param, np.nan), np.where(mask, f, np.nan), "k", ls=ls)
        ax.set_xlabel("I_ext (µA/cm²)")
        ax.set_ylabel("firing rate (Hz)")
        ax.set_title(title)
        ax.set_ylim(bottom=0.0)
    I = np.linspace(I_c, 0.3, 200)
    a.plot(I, amp * (I - I_c) ** beta, color="C3", lw=0.8, label="fit near onset (f < 10 Hz)")
    a.axvline(fold.param, color="0.6", lw=0.8, label=f"saddle-node of rest, I = {fold.param:.5f}")
    b.axvline(hopf.param, color="0.6", lw=0.8, label=f"subcritical Hopf, I = {hopf.param:.3f}")
    a.legend(frameon=False, fontsize="small")
    b.legend(frameon=False, fontsize="small")
    return fig


@figure("prc_hh_vs_wb", "Infinitesimal phase response curves (adjoint method, ms/mV): HH at I = 10 µA/cm² "
        "(type II, a negative lobe) and Wang–Buzsáki near 20 Hz (type I), with the direct method "
        "(±0.2 mV kicks) as dots.", seconds=6)
def prc_hh_vs_wb():
    from analysis.prc import limit_cycle, phase_response

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    # the direct method's 20 kicked runs: HH's on the compiled batch engine (its kernel is compiled
    # for the F–I curves anyway; 0.1 s instead of 3 s), Wang–Buzsáki's with scipy (compiling its
    # kernel on a first run would cost more than the 20 runs)
    for ax, model, I, engine in zip(axes, (HodgkinHuxley(), WangBuzsaki()), (10.0, 0.33), ("compiled", "scipy")):
        lc = limit_cycle(model, {"I_ext": I})
        adjoint = phase_response(model, cycle=lc, n_phases=100)
        direct = phase_response(model, cycle=lc, n_phases=10, method="direct", engine=engine)
        adjoint.plot(ax=ax, color="k")
        direct.plot(ax=ax, color="C3", marker="o", ls="none", ms=4, label="direct method")
        ax.set_title(f"{model.name}, I = {I:g} µA/cm² ({adjoint.frequency_hz:.3g} Hz)")
    return fig
