"""NEURON as a peer: the same cell simulated by hhdyn and by NEURON, from one description.

A :class:`PeerCell` holds everything both tools need — sections (:class:`hhdyn.sections.Section`,
with their nseg), Ra, the HH membrane (hhdyn's :func:`hhdyn.HodgkinHuxley` parameters, mapped to
NEURON's ``hh``: gnabar = gNa/1000 S/cm², el = EL, ena, ek, cm = C), the temperature, one current
pulse and the recording sites. :func:`simulate_hhdyn` discretizes it with
:func:`hhdyn.sections.morphology_from_sections` (NEURON's own discretization: same compartments,
areas, axial resistances and zero-area junctions) and runs :class:`hhdyn.cable.CableModel`;
:func:`simulate_neuron` runs ``_neuron_runner.py`` in the NEURON peer venv as a subprocess (JSON
in, JSON out). Both start from V = v_init with every gate at x∞(v_init) (NEURON's
``finitialize``) and use the same fixed dt; ``method="be"`` is backward Euler in both (NEURON
``secondorder = 0``), ``"cn"`` Crank–Nicolson with staggered gates (``secondorder = 2``).

The peer venv is built by ``bash tests/peers/setup_neuron.sh`` at ``~/.cache/hhdyn/neuron-peer``
(or ``$HHDYN_NEURON_PEER``); :func:`neuron_python` finds it, or returns None. hhdyn never imports
NEURON.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


import numpy as np

from analysis.peer_env import PeerEnv
from analysis.propagation import end_stimulus
from hhdyn import spikes
from hhdyn.cable import CableModel
from hhdyn.sections import Section, discretize, morphology_from_sections, sections_from_swc
from hhdyn.squid import HodgkinHuxley
from hhdyn.stimuli import Step
from hhdyn.swc import read_swc
from hhdyn.validation import check_number

__all__ = [
    "ENV_VAR",
    "neuron_python",
    "PeerCell",
    "PeerTraces",
    "PeerComparison",
    "squid_axon_cell",
    "ball_and_stick_cell",
    "y_branch_cell",
    "reconstructed_cell",
    "simulate_hhdyn",
    "simulate_neuron",
    "time_neuron",
    "compare_with_neuron",
    "NeuronPeerError",
]

ENV_VAR = "HHDYN_NEURON_PEER"
RUNNER = Path(__file__).with_name("_neuron_runner.py")


class NeuronPeerError(RuntimeError):
    """The NEURON peer could not run (missing venv, failed subprocess)."""


_PEER = PeerEnv(ENV_VAR, "neuron-peer", "neuron")


def _default_env() -> Path:
    return _PEER.path()


def neuron_python(check_import: bool = True) -> Path | None:
    """The peer venv's Python if it exists (and, with ``check_import``, imports NEURON — one
    short subprocess, cached), else None."""
    return _PEER.python(check_import)


# ---------------------------------------------------------------------- the description
@dataclass(frozen=True)
class PeerCell:
    """One cell for both tools. ``stimulus`` = (section, x, delay ms, duration ms, amplitude nA);
    ``record`` = ((label, section, x), ...); ``membrane`` = HodgkinHuxley parameter overrides."""

    name: str
    sections: tuple
    Ra_ohm_cm: float
    celsius: float
    stimulus: tuple
    record: tuple
    membrane: dict = field(default_factory=dict)
    v_init: float | None = None

    def hh(self):
        return HodgkinHuxley(**{**self.membrane, "T": float(self.celsius)})

    def resting_v(self) -> float:
        """v_init, default the HH resting potential (mV)."""
        return float(self.hh().resting_state()[0]) if self.v_init is None else float(self.v_init)

    def section(self, name: str) -> Section:
        for s in self.sections:
            if s.name == name:
                return s
        raise ValueError(f"cell {self.name!r} has no section {name!r}; sections: {[s.name for s in self.sections][:6]}")

    def node(self, section: str, x: float) -> str:
        """The compartment of ``section(x)``: the segment that contains x (NEURON's rule)."""
        sec = self.section(section)
        x = check_number(f"x on section {section!r}", x)
        if not 0.0 < x < 1.0:
            raise ValueError(f"x on section {section!r} must lie strictly between 0 and 1 (a segment), got {x!r}")
        return f"{section}[{min(int(x * sec.nseg), sec.nseg - 1)}]"

    def to_spec(self, method: str, dt: float, t_end: float) -> dict:
        p = dict(self.hh().params)
        sec, x, delay, dur, amp = self.stimulus
        return {
            "sections": [s.to_dict() for s in self.sections],
            "Ra": float(self.Ra_ohm_cm), "cm": float(p["C"]), "celsius": float(self.celsius),
            "hh": {"gnabar": p["gNa"] * 1e-3, "gkbar": p["gK"] * 1e-3, "gl": p["gL"] * 1e-3,
                   "el": p["EL"], "ena": p["ENa"], "ek": p["EK"]},
            "dt": float(dt), "tstop": float(t_end), "v_init": self.resting_v(), "method": method,
            "stimuli": [{"section": sec, "x": float(x), "delay": float(delay), "dur": float(dur), "amp": float(amp)}],
            "record": [{"section": s, "x": float(xx)} for _, s, xx in self.record],
        }


def squid_axon_cell(length_um: float = 20000.0, diameter_um: float = 476.0, nseg: int = 400,
                    celsius: float = 18.5) -> PeerCell:
    """An unbranched squid axon (Ra 35.4 Ω·cm) stimulated at one end (the pulse of
    :func:`analysis.propagation.end_stimulus`, from t = 1 ms), recorded near both ends."""
    axon = Section.cylinder("axon", length_um, diameter_um, region="axon", nseg=nseg)
    pulse = end_stimulus(CableModel(morphology_from_sections((axon,), 35.4), HodgkinHuxley(T=float(celsius))))
    return PeerCell("squid axon", (axon,), 35.4, celsius, ("axon", 0.5 / nseg, 1.0, pulse.duration, pulse.amplitude),
                    (("stimulated end", "axon", 0.5 / nseg), ("distal (90 %)", "axon", 0.9)))


def ball_and_stick_cell(nseg: int = 51) -> PeerCell:
    """A 20 µm soma and a 500 µm × 2 µm dendrite attached at soma(1), Ra 100 Ω·cm, 6.3 °C."""
    soma = Section.cylinder("soma", 20.0, 20.0, region="soma")
    dend = Section.cylinder("dend", 500.0, 2.0, parent="soma", parent_x=1.0, region="dend", nseg=nseg,
                            origin=(20.0, 0.0, 0.0))
    return PeerCell("ball and stick", (soma, dend), 100.0, 6.3, ("soma", 0.5, 2.0, 1.0, 0.5),
                    (("soma", "soma", 0.5), ("distal dendrite", "dend", 0.95)))


def y_branch_cell(nseg: int = 21) -> PeerCell:
    """A 200 µm × 4 µm trunk splitting at its end into daughters of 2.52 and 1.6 µm (a zero-area
    junction in both tools), Ra 100 Ω·cm, 6.3 °C; stimulated at the trunk's start."""
    trunk = Section.cylinder("trunk", 200.0, 4.0, region="dend", nseg=nseg)
    left = Section.cylinder("left", 200.0, 2.52, parent="trunk", region="dend", nseg=nseg, origin=(200, 0, 0),
                            direction=(1, 1, 0))
    right = Section.cylinder("right", 150.0, 1.6, parent="trunk", region="dend", nseg=nseg, origin=(200, 0, 0),
                             direction=(1, -1, 0))
    return PeerCell("Y-branched dendrite", (trunk, left, right), 100.0, 6.3, ("trunk", 0.5 / nseg, 1.0, 1.0, 1.0),
                    (("trunk start", "trunk", 0.5 / nseg), ("distal right daughter", "right", 0.95)))


def reconstructed_cell(path, d_lambda: float = 0.1, Ra_ohm_cm: float = 100.0, celsius: float = 6.3,
                       amplitude_nA: float = 1.0) -> PeerCell:
    """A reconstruction read from SWC (:func:`hhdyn.sections.sections_from_swc`), nseg by the
    d_lambda rule; stimulated at the soma, recorded at the soma and at the dendritic segment
    farthest (by path) from it."""
    data = read_swc(path)
    secs = discretize(sections_from_swc(data), Ra_ohm_cm, d_lambda=d_lambda)
    morph = morphology_from_sections(secs, Ra_ohm_cm)
    dend = [i for i, n in enumerate(morph.nodes) if morph.graph.nodes[n]["region"] in ("dend", "apic")
            and not morph.graph.nodes[n].get("junction")]
    far = morph.nodes[max(dend, key=lambda i: morph.distance_um[i])] if dend else morph.nodes[-1]
    far_data = morph.graph.nodes[far]
    return PeerCell(f"reconstruction {Path(path).name}", secs, Ra_ohm_cm, celsius, ("soma", 0.5, 2.0, 1.0, amplitude_nA),
                    (("soma", "soma", 0.5), ("distal dendrite", far_data["section"], far_data["x"])))


# ---------------------------------------------------------------------- results
@dataclass(frozen=True)
class PeerTraces:
    """Voltages (mV) at the cell's recording sites (rows, ``labels``) at times ``t`` (ms)."""

    tool: str
    cell: str
    method: str
    dt: float
    t: np.ndarray
    V: np.ndarray
    labels: tuple
    total_area_um2: float

    def spike_times(self, threshold: float = 0.0) -> list[np.ndarray]:
        """Upward ``threshold`` crossings (ms, interpolated) at every site (same detector for both tools)."""
        return [spikes.spike_times(self.t, v, threshold) for v in self.V]

    def plot(self, ax=None, **kwargs):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
        for label, v in zip(self.labels, self.V):
            ax.plot(self.t, v, label=f"{self.tool}: {label}", **kwargs)
        ax.set_xlabel("t (ms)")
        ax.set_ylabel("V (mV)")
        return ax


@dataclass(frozen=True)
class PeerComparison:
    """hhdyn vs NEURON on one cell: RMS voltage difference (mV) and the largest spike-time
    difference (ms) per site (NaN if the spike counts differ), and the membrane areas."""

    ours: PeerTraces
    neuron: PeerTraces
    rms_mV: np.ndarray
    spike_dt_ms: np.ndarray
    n_spikes: tuple

    @property
    def area_rel_diff(self) -> float:
        return abs(self.ours.total_area_um2 / self.neuron.total_area_um2 - 1.0)

    def to_dict(self) -> dict:
        return {"cell": self.ours.cell, "method": self.ours.method, "dt": self.ours.dt,
                "labels": list(self.ours.labels), "rms_mV": self.rms_mV.tolist(),
                "spike_dt_ms": self.spike_dt_ms.tolist(), "n_spikes": list(self.n_spikes),
                "area_rel_diff": self.area_rel_diff}

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
        for k, label in enumerate(self.ours.labels):
            ax.plot(self.neuron.t, self.neuron.V[k], color=f"C{k}", lw=3, alpha=0.35, label=f"NEURON {label}")
            ax.plot(self.ours.t, self.ours.V[k], color=f"C{k}", lw=1, ls="--", label=f"hhdyn {label}")
        ax.set_xlabel("t (ms)")
        ax.set_ylabel("V (mV)")
        ax.set_title(f"{self.ours.cell} ({self.ours.method.upper()}, dt = {self.ours.dt:g} ms): RMS "
                     + ", ".join(f"{r:.2g}" for r in self.rms_mV) + " mV", fontsize="small")
        ax.legend(frameon=False, fontsize="x-small")
        return ax


def _check(method: str, dt, t_end):
    if method not in ("be", "cn"):
        raise ValueError(f"method must be 'be' (backward Euler) or 'cn' (Crank–Nicolson), got {method!r}")
    return check_number("dt", dt, positive=True, unit="ms"), check_number("t_end", t_end, positive=True, unit="ms")


def simulate_hhdyn(cell: PeerCell, method: str = "cn", dt: float = 0.025, t_end: float = 50.0) -> PeerTraces:
    """The cell in hhdyn (see the module doc)."""
    dt, t_end = _check(method, dt, t_end)
    morph = morphology_from_sections(cell.sections, cell.Ra_ohm_cm)
    model = CableModel(morph, cell.hh())
    sec, x, delay, dur, amp = cell.stimulus
    nodes = [cell.node(s, xx) for _, s, xx in cell.record]
    res = model.run(t_end, dt, injections={cell.node(sec, x): Step(delay, dur, amp)}, method=method,
                    record=nodes, v_init=cell.resting_v())
    return PeerTraces("hhdyn", cell.name, method, dt, res.t, res.V, tuple(lbl for lbl, _, _ in cell.record),
                      morph.total_area_cm2 * 1e8)


def simulate_neuron(cell: PeerCell, method: str = "cn", dt: float = 0.025, t_end: float = 50.0,
                    python=None, timeout_s: float = 600.0) -> PeerTraces:
    """The cell in NEURON, in the peer venv (NeuronPeerError if it is missing or fails)."""
    dt, t_end = _check(method, dt, t_end)
    out = _run_neuron(cell, cell.to_spec(method, dt, t_end), python, timeout_s)
    return PeerTraces("NEURON", cell.name, method, dt, np.array(out["t"]), np.array(out["v"]),
                      tuple(lbl for lbl, _, _ in cell.record), float(out["total_area_um2"]))


def time_neuron(cell: PeerCell, method: str = "cn", dt: float = 0.025, t_end: float = 50.0,
                python=None, timeout_s: float = 600.0) -> tuple[float, float]:
    """(wall, CPU) seconds NEURON takes for ``finitialize`` + ``continuerun(t_end)`` of the cell,
    timed inside the NEURON process (building the sections and starting Python are not counted)."""
    dt, t_end = _check(method, dt, t_end)
    out = _run_neuron(cell, {**cell.to_spec(method, dt, t_end), "timing": True}, python, timeout_s)
    n_steps = int(round(t_end / dt))
    if out["n_steps"] != n_steps:
        raise NeuronPeerError(f"NEURON ran {out['n_steps']} steps of {dt} ms instead of {n_steps}")
    return float(out["run_s"]), float(out["run_cpu_s"])


def _run_neuron(cell: PeerCell, spec: dict, python, timeout_s: float) -> dict:
    python = neuron_python() if python is None else Path(python)
    if python is None:
        raise NeuronPeerError(f"the NEURON peer venv is missing at {_default_env()}; build it with "
                              "`bash tests/peers/setup_neuron.sh` (or set HHDYN_NEURON_PEER)")
    payload = json.dumps(spec)
    try:
        done = subprocess.run([str(python), str(RUNNER)], input=payload, capture_output=True, text=True,
                              timeout=timeout_s, env={k: v for k, v in os.environ.items() if k != "DISPLAY"})
    except subprocess.TimeoutExpired:
        raise NeuronPeerError(f"NEURON did not finish {cell.name!r} within {timeout_s:g} s") from None
    if done.returncode != 0:
        raise NeuronPeerError(f"NEURON failed on {cell.name!r} (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def compare_with_neuron(cell: PeerCell, method: str = "cn", dt: float = 0.025, t_end: float = 50.0,
                        python=None) -> PeerComparison:
    """Run both tools and compare: RMS of V_hhdyn − V_NEURON over [0, t_end] per site and the
    largest difference of corresponding spike times (0 mV upward crossings)."""
    ours = simulate_hhdyn(cell, method, dt, t_end)
    theirs = simulate_neuron(cell, method, dt, t_end, python)
    if ours.t.shape != theirs.t.shape or np.max(np.abs(ours.t - theirs.t)) > 1e-6 * dt:
        raise NeuronPeerError(f"time grids differ: hhdyn {ours.t.size} samples, NEURON {theirs.t.size}")
    rms = np.sqrt(np.mean((ours.V - theirs.V) ** 2, axis=1))
    sa, sb = ours.spike_times(), theirs.spike_times()
    dts = np.array([np.max(np.abs(a - b)) if a.size == b.size and a.size else (0.0 if a.size == b.size else np.nan)
                    for a, b in zip(sa, sb)])
    return PeerComparison(ours, theirs, rms, dts, tuple((a.size, b.size) for a, b in zip(sa, sb)))
