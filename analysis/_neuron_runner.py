"""Runs one cell in NEURON and prints the result as JSON (executed by the NEURON peer venv's
Python, never imported by hhdyn; it needs only the standard library and ``neuron``).

Input (JSON on stdin), built by :mod:`analysis.neuron_peer`::

    {"sections": [{"name", "points": [[x, y, z, d], ...], "parent", "parent_x", "region", "nseg"}],
     "Ra": Ω·cm, "cm": µF/cm², "celsius": °C,
     "hh": {"gnabar", "gkbar", "gl" (S/cm²), "el", "ena", "ek" (mV)},
     "dt", "tstop", "v_init" (ms, mV), "method": "be" | "cn",
     "stimuli": [{"section", "x", "delay", "dur", "amp" (nA)}],
     "record": [{"section", "x"}],
     "timing": false}                      # optional

Output: {"neuron_version", "t", "v": [[...] per recording], "areas_um2": {"sec[j]": µm²},
"ri_MOhm": {"sec[j]": MΩ}, "total_area_um2"}, and with ``"timing": true`` also "run_s" and
"run_cpu_s": the wall (``time.perf_counter``) and CPU (``time.process_time``) seconds of
``finitialize`` + ``continuerun(tstop)`` alone — the sections, mechanisms, clamps and recordings
are set up before the clock starts — and "n_steps", the steps taken.

NEURON settings: fixed step; ``secondorder = 0`` (backward Euler) or ``2`` (Crank–Nicolson:
the voltage update v += 2·Δ of the half-step system, ionic currents corrected); the built-in
``hh`` with ``usetable_hh = 0`` (rates computed exactly, no lookup table); gates by cnexp.
"""
import json
import sys
import time


def main() -> int:
    spec = json.load(sys.stdin)
    from neuron import h

    secs = {}
    for s in spec["sections"]:
        sec = h.Section(name=s["name"])
        for x, y, z, d in s["points"]:
            sec.pt3dadd(x, y, z, d)
        secs[s["name"]] = sec
    for s in spec["sections"]:
        sec = secs[s["name"]]
        if s["parent"] is not None:
            sec.connect(secs[s["parent"]](s["parent_x"]), 0)
    hh = spec.get("hh")
    for s in spec["sections"]:
        sec = secs[s["name"]]
        sec.nseg = int(s["nseg"])
        sec.Ra = spec["Ra"]
        sec.cm = spec["cm"]
        if hh is not None:
            sec.insert("hh")
            for seg in sec:
                seg.hh.gnabar = hh["gnabar"]
                seg.hh.gkbar = hh["gkbar"]
                seg.hh.gl = hh["gl"]
                seg.hh.el = hh["el"]
                seg.ena = hh["ena"]
                seg.ek = hh["ek"]
    if hh is not None:
        h.usetable_hh = 0
    h.celsius = spec["celsius"]
    h.secondorder = {"be": 0, "cn": 2}[spec["method"]]
    h.dt = spec["dt"]
    clamps = []
    for st in spec["stimuli"]:
        ic = h.IClamp(secs[st["section"]](st["x"]))
        ic.delay, ic.dur, ic.amp = st["delay"], st["dur"], st["amp"]
        clamps.append(ic)
    tvec = h.Vector().record(h._ref_t)
    vecs = [h.Vector().record(secs[r["section"]](r["x"])._ref_v) for r in spec["record"]]
    n_steps = int(round(spec["tstop"] / spec["dt"]))
    if spec.get("timing"):
        h.load_file("stdrun.hoc")
        h.steps_per_ms = 1.0 / spec["dt"]  # stdrun would otherwise round dt to its own grid
        h.dt = spec["dt"]
        start, start_cpu = time.perf_counter(), time.process_time()
        h.finitialize(spec["v_init"])
        h.continuerun(n_steps * spec["dt"])
        run_s, run_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
    else:
        h.finitialize(spec["v_init"])
        for _ in range(n_steps):
            h.fadvance()
    areas, ri = {}, {}
    for s in spec["sections"]:
        sec = secs[s["name"]]
        for j, seg in enumerate(sec):
            areas[f"{s['name']}[{j}]"] = seg.area()
            ri[f"{s['name']}[{j}]"] = seg.ri()
    out = {
        "neuron_version": h.nrnversion(5),
        "t": list(tvec),
        "v": [list(v) for v in vecs],
        "areas_um2": areas,
        "ri_MOhm": ri,
        "total_area_um2": sum(areas.values()),
    }
    if spec.get("timing"):
        out["run_s"] = run_s
        out["run_cpu_s"] = run_cpu_s
        out["n_steps"] = int(round(h.t / h.dt))
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
