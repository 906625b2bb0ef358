"""Gallery figures of issue 3: reductions compared with HH, strength–duration, F–I hysteresis."""
from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np

from . import figure
from hhdyn.simulation import simulate
from hhdyn.squid import HodgkinHuxley
from hhdyn.stimuli import Step


def _reductions():
    from reductions import fast_m, fhn_from, h_plus_n

    hh = HodgkinHuxley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        planar = h_plus_n(hh)
    return hh, fast_m(hh), planar, fhn_from(planar)


@figure("reductions_traces", "HH and its reductions (fast m, Rinzel's h + n = 0.8, and the FitzHugh–Nagumo "
        "fit in HH units) under the same 10 µA/cm² step from rest, overlaid. The FHN caricature (time scales "
        "from rest) fires once and then sits in depolarization block: its oscillation band is only "
        "≈ 3.6–5.2 µA/cm².")
def reductions_traces():
    hh, fm, planar, fhn = _reductions()
    stim = Step(5.0, 70.0, 10.0)
    t = np.arange(0.0, 80.0, 0.02)
    fig, ax = plt.subplots(figsize=(8, 4.6), layout="constrained")
    styles = [("k", "-", 1.6), ("C3", "--", 1.2), ("C0", "-.", 1.2), ("C2", ":", 1.6)]
    for model, (color, ls, lw) in zip((hh, fm, planar, fhn.model), styles):
        y = simulate(model, 80.0, stim, model.resting_state(), t_eval=t, rtol=1e-7, atol=1e-8).y
        ax.plot(t, y[0], color=color, ls=ls, lw=lw, label=model.name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV)")
    ax.set_title("same stimulus, four models: step of 10 µA/cm² from 5 to 75 ms")
    fig.legend(frameon=False, fontsize="x-small", loc="outside lower center", ncol=2)
    return fig


@figure("hh_on_vn_plane", "The HH trajectory (10 µA/cm² step from rest) projected on the (V, n) plane over the "
        "nullclines of the 2D reduction (m = m∞, h = 0.8 − n) at rest and during the step; and the FitzHugh–"
        "Nagumo cubic and line fitted to those nullclines, with their residuals.")
def hh_on_vn_plane():
    from analysis.comparison import plane_figure

    hh, _, planar, fhn = _reductions()
    t = np.arange(0.0, 80.0, 0.02)
    y = simulate(hh, 80.0, Step(5.0, 70.0, 10.0), hh.resting_state(), t_eval=t, rtol=1e-7, atol=1e-8).y
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    plane_figure(a, planar, (0.0, 10.0), y[0], y[3], label="HH")
    a.set_title("HH projected on (V, n) over the 2D nullclines")
    fhn.plot(ax=b)
    return fig


@figure("strength_duration", "Strength–duration curve of the HH model from rest: threshold of a rectangular "
        "pulse against its duration (bisection to 0.04 %), with the rheobase as analysis.rheobase defines it "
        "(threshold of a 100 ms step, counted while the step is on) and the chronaxie.", seconds=3)
def strength_duration_figure():
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    from analysis.excitability import strength_duration

    # rel_tol 4e-4 brackets the ≈ 2.24 µA/cm² rheobase to < 0.001 µA/cm², as analysis.rheobase's
    # default absolute tol=1e-3 does (a 1 % bisection gave 2.250 instead of 2.241).
    result = strength_duration(HodgkinHuxley(), durations_ms=(0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0),
                               rel_tol=4e-4, observe_ms=15.0)
    fig, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
    result.plot(ax=ax)
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(NullFormatter())
    ax.set_title(f"rheobase {result.rheobase:.3f} µA/cm² = threshold of a {result.rheobase_duration_ms:g} ms step "
                 "(analysis.rheobase)", fontsize="small")
    return fig


@figure("fi_hysteresis", "F–I curve of the HH model swept up from rest and down from repetitive firing: "
        "class-2 onset (a jump to ≈ 55–68 Hz) and the bistable band between the fold of limit cycles "
        "(≈ 6.26 µA/cm²) and the subcritical Hopf point (≈ 9.78 µA/cm²).")
def fi_hysteresis_figure():
    from analysis.excitability import fi_curve

    currents = [0.0, 3.0, 5.5, 6.0, 6.5, 7.5, 8.5, 9.5, 10.0, 12.0]
    result = fi_curve(HodgkinHuxley(), currents=currents, settle_ms=30.0, measure_ms=70.0, ramp_rate=0.05)
    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    result.plot(ax=ax)
    return fig


@figure("h_n_relation", "Why h + n ≈ const: h against n along the HH limit cycle at 10 µA/cm², the "
        "least-squares line h = c + slope·n (reductions.fit_h_n_relation) and Rinzel's h = 0.8 − n.")
def h_n_relation_figure():
    from reductions import fit_h_n_relation

    fit = fit_h_n_relation(HodgkinHuxley(), I_ext=10.0)
    fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
    fit.plot(ax=ax)
    ax.set_title(f"h ≈ {fit.c:.3f} − {abs(fit.slope):.3f}·n on the HH limit cycle (R² = {fit.r_squared:.3f})",
                 fontsize="medium")
    return fig
