"""hhdyn vs NEURON on the same cells (tests marked ``neuron``; skipped without the peer venv).

Build the peer once with ``bash tests/peers/setup_neuron.sh``. Both tools get one description
(:class:`analysis.neuron_peer.PeerCell`) with matched discretization: the same segments,
dt = 0.025 ms, backward Euler (NEURON ``secondorder = 0``) or Crank–Nicolson
(``secondorder = 2``), NEURON's ``hh`` with ``usetable_hh = 0``, the same E_L and temperature.
"""
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analysis import neuron_peer
from analysis.neuron_peer import (
    PeerCell,
    ball_and_stick_cell,
    compare_with_neuron,
    reconstructed_cell,
    squid_axon_cell,
    y_branch_cell,
)

pytestmark = pytest.mark.neuron

SWC = Path(__file__).parents[1] / "data" / "test_neuron.swc"
T_END, DT = 50.0, 0.025


@pytest.fixture(scope="module")
def peer():
    python = neuron_peer.neuron_python()
    if python is None:
        pytest.skip(f"NEURON peer venv not found ({neuron_peer.ENV_VAR} or ~/.cache/hhdyn/neuron-peer); "
                    "build it with `bash tests/peers/setup_neuron.sh`")
    return python


CELLS = {
    "squid axon": lambda: squid_axon_cell(),
    "ball and stick": lambda: ball_and_stick_cell(),
    "Y branch": lambda: y_branch_cell(),
    "reconstruction": lambda: reconstructed_cell(SWC),
}


@pytest.mark.parametrize("method", ["be", "cn"])
@pytest.mark.parametrize("name", list(CELLS))
def test_traces_and_spike_times_match_neuron(peer, name, method):
    cell = CELLS[name]()
    cmp = compare_with_neuron(cell, method, DT, T_END, python=peer)
    assert cmp.ours.t[-1] == pytest.approx(T_END)
    for (n_ours, n_neuron) in cmp.n_spikes:
        assert n_ours == n_neuron >= 1  # the pulse fires the cell at both sites, in both tools
    assert np.all(cmp.rms_mV < 0.05), cmp.to_dict()
    assert np.all(cmp.spike_dt_ms < 0.01), cmp.to_dict()


def test_reconstructed_membrane_area_equals_neurons(peer):
    """The same sections in both tools: the total of NEURON's area() equals hhdyn's to 1e-6."""
    cell = reconstructed_cell(SWC)
    cmp = compare_with_neuron(cell, "cn", DT, 5.0, python=peer)
    assert cmp.area_rel_diff < 1e-6


IMPORT3D = """
import sys
from neuron import h
h.load_file("import3d.hoc")
reader = h.Import3d_SWC_read()
reader.input(sys.argv[1])
h.Import3d_GUI(reader, False).instantiate(None)
print(sum(seg.area() for sec in h.allsec() for seg in sec), sum(1 for _ in h.allsec()))
"""


def test_swc_area_matches_neurons_own_import3d(peer):
    """Independent of our section description: NEURON's Import3d reads the same SWC file (with
    its three-point soma) and its total area() equals ours to 1e-6 relative."""
    from hhdyn.morphology import from_swc
    from hhdyn.sections import sections_from_swc
    from hhdyn.swc import read_swc

    env = {k: v for k, v in __import__("os").environ.items() if k != "DISPLAY"}
    done = subprocess.run([str(peer), "-c", IMPORT3D, str(SWC)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    area, n_sections = done.stdout.split()[-2:]
    ours = from_swc(SWC, nseg=1)
    assert ours.total_area_cm2 * 1e8 == pytest.approx(float(area), rel=1e-6)
    assert len(sections_from_swc(read_swc(SWC))) == int(n_sections)


def test_timing_mode_runs_the_same_simulation(peer):
    """The benchmark's timing mode (finitialize + continuerun, timed inside NEURON) takes the same
    steps as the plain fadvance loop: identical traces, and the step count is checked."""
    cell = ball_and_stick_cell()
    plain = neuron_peer.simulate_neuron(cell, "cn", DT, 5.0, python=peer)
    timed = neuron_peer._run_neuron(cell, {**cell.to_spec("cn", DT, 5.0), "timing": True}, peer, 300.0)
    np.testing.assert_array_equal(np.array(timed["v"]), plain.V)
    assert timed["n_steps"] == 200 and timed["run_s"] > 0 and timed["run_cpu_s"] > 0
    wall, cpu = neuron_peer.time_neuron(cell, "be", DT, 5.0, python=peer)
    assert 0 < wall < 60 and 0 < cpu < 60


def test_missing_peer_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(neuron_peer.ENV_VAR, str(tmp_path / "nowhere"))
    assert neuron_peer.neuron_python() is None
    with pytest.raises(neuron_peer.NeuronPeerError, match="setup_neuron.sh"):
        neuron_peer.simulate_neuron(ball_and_stick_cell(), "cn", DT, 1.0)


def test_gallery_figure_of_neuron_vs_hhdyn(peer):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.app.gallery import registry

    fig = registry()["neuron_vs_hhdyn_reconstruction"].make()
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4
    plt.close(fig)


def test_gallery_registers_no_neuron_figure_without_the_peer(monkeypatch, tmp_path):
    import importlib

    import hhdyn.app.gallery as gallery
    from hhdyn.app.gallery import neuron_peer as module

    monkeypatch.setenv(neuron_peer.ENV_VAR, str(tmp_path / "nowhere"))
    saved = dict(gallery._REGISTRY)
    gallery._REGISTRY.pop("neuron_vs_hhdyn_reconstruction", None)
    gallery._REGISTRY.pop("axon_velocity_convergence", None)
    try:
        importlib.reload(module)
        assert "neuron_vs_hhdyn_reconstruction" not in gallery._REGISTRY
        assert "axon_velocity_convergence" in gallery._REGISTRY
    finally:
        gallery._REGISTRY.clear()
        gallery._REGISTRY.update(saved)


D_LAMBDA = """
import json, sys
from neuron import h
h.load_file("stdlib.hoc")
spec = json.load(sys.stdin)
out = []
for s in spec["sections"]:
    sec = h.Section(name=s["name"])
    for x, y, z, d in s["points"]:
        sec.pt3dadd(x, y, z, d)
    sec.Ra = spec["Ra"]
    sec.cm = 1.0
    sec.push()
    out.append(int((sec.L / (0.1 * h.lambda_f(100)) + 0.9) / 2) * 2 + 1)
    h.pop_section()
print(json.dumps(out))
"""


def test_d_lambda_nseg_equals_neurons_lambda_f_rule(peer):
    """NEURON's own lambda_f (stdlib.hoc) on the same 3-D points gives the same nseg per section."""
    import json
    import os

    cell = reconstructed_cell(SWC, d_lambda=0.1)
    spec = json.dumps({"sections": [s.to_dict() for s in cell.sections], "Ra": cell.Ra_ohm_cm})
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run([str(peer), "-c", D_LAMBDA], input=spec, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [s.nseg for s in cell.sections]
    assert max(s.nseg for s in cell.sections) > 1
