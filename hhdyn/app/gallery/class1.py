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
        "separatrices and stable limit cycles.")
def ml_phase_planes():
    from analysis.phaseplane import PhasePlane

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained")
    for ax, (which, I, note) in zip(axes, _ML_PLANES):
        plane = PhasePlane(MorrisLecar(which), xlim=(-65.0, 45.0), ylim=(-0.02, 0.6), params={"I_ext": I},
                           t_max=1500.0)
        cycles = plane.limit_cycles(seeds=[(-50.0, 0.45), (30.0, 0.05)])  # outer seeds: the large stable cycles
        plane.plot(ax=ax, field=None, limit_cycles=cycles, legend=True, title=f"{which} set, I = {I:g} µA/cm²")
        ax.set_xlabel(f"V (mV)\n{note}", fontsize="small")
    return fig


@figure("fi_class1_vs_class2", "F–I curves near onset: Wang–Buzsáki fires from arbitrarily low rates (class 1, "
        "a SNIC; fitted f ∝ (I − I_c)^β with β ≈ 1/2) while HH starts at ≈ 50 Hz (class 2, a subcritical Hopf).")
def fi_class1_vs_class2():
    from analysis.excitability import fi_curve
    from analysis.onset_class import excitability_class

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    wb = fi_curve(WangBuzsaki(), currents=[0.15, 0.162, 0.17, 0.2, 0.3, 0.5, 1.0], sweep="up", settle_ms=200.0,
                  measure_ms=1500.0, ramp_rate=0.001)
    cls = excitability_class(wb)
    wb.plot(ax=a)
    a.set_title(f"Wang–Buzsáki: class {cls.excitability_class}, β = {cls.exponent:.2f}")
    hh = fi_curve(HodgkinHuxley(), 5.0, 15.0, 0.5, sweep="up")
    cls = excitability_class(hh)
    hh.plot(ax=b)
    b.set_title(f"Hodgkin–Huxley: class {cls.excitability_class} (lowest rate {cls.lowest_rate_hz:.0f} Hz)")
    return fig


@figure("prc_hh_vs_wb", "Infinitesimal phase response curves (adjoint method, ms/mV): HH at I = 10 µA/cm² "
        "(type II, a negative lobe) and Wang–Buzsáki near 20 Hz (type I), with the direct method "
        "(±0.2 mV kicks) as dots.")
def prc_hh_vs_wb():
    from analysis.prc import limit_cycle, phase_response

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for ax, model, I in zip(axes, (HodgkinHuxley(), WangBuzsaki()), (10.0, 0.33)):
        lc = limit_cycle(model, {"I_ext": I})
        adjoint = phase_response(model, cycle=lc, n_phases=100)
        direct = phase_response(model, cycle=lc, n_phases=20, method="direct")
        adjoint.plot(ax=ax, color="k")
        direct.plot(ax=ax, color="C3", marker="o", ls="none", ms=4, label="direct method")
        ax.set_title(f"{model.name}, I = {I:g} µA/cm² ({adjoint.frequency_hz:.3g} Hz)")
    return fig
