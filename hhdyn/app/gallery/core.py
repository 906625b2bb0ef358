"""Gallery figures of the core: the action potential, repetitive firing, voltage clamp, RC membrane."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import figure
from hhdyn.biophysics import passive_membrane, passive_step_response
from hhdyn.clamp import voltage_clamp
from hhdyn.simulation import simulate
from hhdyn.squid import HodgkinHuxley
from hhdyn.stimuli import Constant, Step


@figure("hh_action_potential", "A single HH action potential evoked by a 1 ms, 10 µA/cm² pulse: "
        "membrane potential, gates m, h, n and the Na⁺ and K⁺ currents.")
def hh_action_potential():
    traj = simulate(HodgkinHuxley(), 20.0, stimulus=Step(1.0, 1.0, 10.0))
    fig, axes = plt.subplots(3, 1, figsize=(7, 7), sharex=True, layout="constrained")
    traj.plot(ax=axes[0])
    axes[0].set_title("Hodgkin–Huxley action potential (1 ms pulse, 10 µA/cm²)")
    for gate in ("m", "h", "n"):
        axes[1].plot(traj.t, traj[gate], label=gate)
    axes[1].set_ylabel("gate (open fraction)")
    axes[1].legend(frameon=False, ncol=3)
    currents = traj.currents()
    for name in ("Na", "K"):
        axes[2].plot(traj.t, currents[name], label=f"I_{name}")
    axes[2].set_ylabel("current (µA/cm²)")
    axes[2].set_xlabel("time (ms)")
    axes[2].legend(frameon=False)
    return fig


@figure("hh_repetitive_firing", "Repetitive firing of the HH model under a constant 10 µA/cm² from rest, "
        "with spike times and the steady firing rate.")
def hh_repetitive_firing():
    traj = simulate(HodgkinHuxley(), 150.0, stimulus=Constant(10.0))
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    traj.plot(ax=ax)
    spikes = traj.spike_times()
    ax.plot(spikes, np.full(spikes.shape, 50.0), "|", color="k", markersize=8)
    ax.set_title(f"I_ext = 10 µA/cm² from rest: {traj.firing_rate(50):.1f} Hz")
    return fig


@figure("voltage_clamp", "Voltage clamp from −65 mV to command potentials −45…+55 mV: sodium and potassium "
        "conductance time courses (after Hodgkin & Huxley 1952).")
def voltage_clamp_figure():
    result = voltage_clamp(HodgkinHuxley(), np.arange(-45.0, 56.0, 20.0), duration=10.0)
    axes = result.plot(channels=("Na", "K"))
    return axes[0].figure


@figure("passive_membrane", "Passive RC membrane: responses to current steps (simulated, solid) against the "
        "analytic V∞ + (V0 − V∞)·exp(−t/τ) (dashed); τ = C/g = 3.33 ms.")
def passive_membrane_figure():
    C, g, E = 1.0, 0.3, -65.0
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    for amplitude in (-2.0, 1.0, 2.0, 4.0):
        traj = simulate(passive_membrane(C, g, E), 40.0, stimulus=Step(5.0, 20.0, amplitude))
        line, = ax.plot(traj.t, traj.V, label=f"{amplitude:+g} µA/cm²")
        exact = passive_step_response(traj.t, C=C, g=g, E=E, amplitude=amplitude, onset=5.0, duration=20.0)
        ax.plot(traj.t, exact, "--", color="k", lw=0.8)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential (mV)")
    ax.set_title("Passive membrane, C = 1 µF/cm², g = 0.3 mS/cm²")
    ax.legend(frameon=False, title="step")
    return fig
