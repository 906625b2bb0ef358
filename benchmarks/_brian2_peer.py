"""J2 in Brian2 (run by benchmarks/simulation.py inside the peers' venv, see setup_peers.sh).

    python _brian2_peer.py METHOD DT_MS T_END_MS OUT.json  < input.json

input.json holds ``I`` (µA/cm², one per neuron) and ``y0`` (V mV, m, h, n). The HH model is the
modern-convention one of hhdyn.HodgkinHuxley (T = 6.3 °C, so φ = 1), written in Brian2's
equation language. Runs in C++ standalone mode; compile/build time and run time are measured
apart (the run time is Brian2's own measurement of the simulation loop). Spikes: threshold
v > 0 mV, refractory while v > −10 mV (the same 10 mV hysteresis as hhdyn); Brian2 reports the
first step past the threshold, so its spike times carry an error of up to one dt.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np


def main():
    method, dt_ms, t_end_ms, out_path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    data = json.load(sys.stdin)
    import brian2 as b2
    from brian2 import cm, ms, mV, msiemens, uA, ufarad

    build_dir = tempfile.mkdtemp(prefix="hhdyn-brian2-")
    b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = int(os.environ.get("BRIAN2_THREADS", "2"))
    b2.defaultclock.dt = dt_ms * ms
    eqs = """
    dv/dt = (I - gNa*m**3*h*(v - ENa) - gK*n**4*(v - EK) - gL*(v - EL))/C : volt
    dm/dt = alpha_m*(1 - m) - beta_m*m : 1
    dh/dt = alpha_h*(1 - h) - beta_h*h : 1
    dn/dt = alpha_n*(1 - n) - beta_n*n : 1
    alpha_m = (1/ms)/exprel(-(v + 40*mV)/(10*mV)) : Hz
    beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
    alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
    beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
    alpha_n = (0.1/ms)/exprel(-(v + 55*mV)/(10*mV)) : Hz
    beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
    I : amp/meter**2
    """
    namespace = dict(C=1 * ufarad / cm**2, gNa=120 * msiemens / cm**2, gK=36 * msiemens / cm**2,
                     gL=0.3 * msiemens / cm**2, ENa=50 * mV, EK=-77 * mV, EL=-54.387 * mV)
    currents = np.asarray(data["I"], dtype=float)
    group = b2.NeuronGroup(currents.size, eqs, method=method, threshold="v > 0*mV", refractory="v > -10*mV",
                           namespace=namespace)
    V0, m0, h0, n0 = data["y0"]
    group.v = V0 * mV
    group.m = m0
    group.h = h0
    group.n = n0
    group.I = currents * uA / cm**2
    monitor = b2.SpikeMonitor(group)
    b2.run(t_end_ms * ms)
    start = time.perf_counter()
    b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
    total = time.perf_counter() - start
    run_time = float(b2.device._last_run_time)
    trains = monitor.spike_trains()
    out = {
        "method": method,
        "dt_ms": dt_ms,
        "build_and_run_s": total,
        "run_s": run_time,
        "counts": [int(c) for c in np.asarray(monitor.count)],
        "times": [list(np.asarray(trains[i] / ms, dtype=float)) for i in range(currents.size)],
    }
    with open(out_path, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
