"""Phase response curves: adjoint versus the direct (pulse) method, an analytic PRC, bad input."""
import json
import math

import matplotlib
import numpy as np
import pytest

import hhdyn
from analysis import continue_cycles, continue_equilibria, limit_cycle, phase_response
from hhdyn.protocol import ODEModel

N_DIRECT = 10  # direct-method phases: every 5th of the 50 adjoint phases


@pytest.fixture(scope="module")
def hh():
    lc = limit_cycle(hhdyn.HodgkinHuxley(), {"I_ext": 10.0})
    return lc, phase_response(None, cycle=lc), phase_response(None, cycle=lc, n_phases=N_DIRECT, method="direct")


@pytest.fixture(scope="module")
def wb():
    lc = limit_cycle(hhdyn.WangBuzsaki(), {"I_ext": 0.33})
    return lc, phase_response(None, cycle=lc), phase_response(None, cycle=lc, n_phases=N_DIRECT, method="direct")


@pytest.mark.parametrize("case", ["hh", "wb"])
def test_adjoint_agrees_with_direct_method(case, request):
    lc, adjoint, direct = request.getfixturevalue(case)
    assert adjoint.Z_V.size == 50
    scale = np.max(np.abs(adjoint.Z_V))
    np.testing.assert_allclose(direct.phase, adjoint.phase[::50 // N_DIRECT])
    assert np.max(np.abs(direct.Z_V - adjoint.Z_V[::50 // N_DIRECT])) < 0.02 * scale


@pytest.mark.parametrize("case", ["hh", "wb"])
def test_normalization(case, request):
    lc, adjoint, _ = request.getfixturevalue(case)
    assert abs(adjoint.normalization - 1.0) < 1e-6
    assert adjoint.normalization_error < 1e-6
    assert adjoint.periodicity_error < 1e-6
    assert lc.stable and abs(lc.multipliers[0] - 1.0) < 1e-6


def test_hh_is_type_2_and_wb_type_1(hh, wb):
    assert hh[1].prc_type == "II" and np.min(hh[1].Z_V) < 0
    assert wb[1].prc_type == "I"
    assert 1000.0 / wb[0].period == pytest.approx(20.0, abs=2.0)  # a rate near 20 Hz


def test_units_and_forms(hh):
    lc, adjoint, _ = hh
    np.testing.assert_allclose(adjoint.phase_advance, 2 * math.pi * adjoint.Z_V / lc.period)
    np.testing.assert_allclose(adjoint.per_charge, adjoint.Z_V / 1.0)  # C = 1 µF/cm²
    assert adjoint.Z.shape == (4, 50)


class StuartLandau(ODEModel):
    """dx/dt = x − ωy − x(x² + y²), dy/dt = ωx + y − y(x² + y²): the circle r = 1 with radial
    isochrons, phase φ/ω, so Z = (−y, x)/ω on the cycle."""

    state_names = ("x", "y")

    def __init__(self, omega=2 * math.pi / 10.0):
        super().__init__({"omega": omega, "I_ext": 0.0})

    def rhs(self, y, params=None):
        w = self._resolve(params)["omega"]
        x, v = y[0], y[1]
        r2 = x * x + v * v
        return np.array([x - w * v - x * r2, w * x + v - v * r2])

    def jacobian(self, y, params=None):
        w = self._resolve(params)["omega"]
        x, v = y[0], y[1]
        return np.array([[1 - 3 * x * x - v * v, -w - 2 * x * v], [w - 2 * x * v, 1 - x * x - 3 * v * v]])


def test_analytic_prc_of_the_radial_isochron_clock():
    model = StuartLandau()
    w = model.params["omega"]
    prc = phase_response(model, y0=[0.5, 0.0], settle_ms=60.0, n_phases=40)
    assert prc.period == pytest.approx(2 * math.pi / w, rel=1e-9)
    # phase 0 at the upward crossing of x = 0, i.e. at the angle −π/2: y(t) = −cos(ωt)
    t = prc.phase * prc.period
    np.testing.assert_allclose(prc.Z_V, np.cos(w * t) / w, atol=1e-7)
    np.testing.assert_allclose(prc.Z[1], np.sin(w * t) / w, atol=1e-7)
    assert prc.prc_type == "II"


def test_prc_from_a_cycle_branch_point():
    model = hhdyn.MorrisLecar("snic")
    branch = continue_equilibria(model, "I_ext", (-20.0, 150.0))
    H = [sp for sp in branch.special_points if sp.kind == "H"][0]
    cycles = continue_cycles(H, model, window=(41.0, 125.0), values=(45.0,), ntst=60)
    i = [sp.index for sp in cycles.special_points if sp.kind == "UZ" and cycles.stable[sp.index]][0]
    from_branch = phase_response(model, cycle=(cycles, i), n_phases=20)
    simulated = phase_response(model, {"I_ext": 45.0}, n_phases=20, threshold=from_branch.threshold)
    assert from_branch.period == pytest.approx(cycles.period[i], rel=1e-6)
    np.testing.assert_allclose(from_branch.Z_V, simulated.Z_V, atol=1e-6 * np.max(np.abs(simulated.Z_V)))
    assert from_branch.prc_type == "I"
    unstable = int(np.flatnonzero(~cycles.stable)[0])
    with pytest.raises(ValueError, match="unstable.*choose a stable point"):
        phase_response(model, cycle=(cycles, unstable))


def test_bad_input():
    with pytest.raises(ValueError, match="settles to rest.*raise I_ext"):
        phase_response(hhdyn.HodgkinHuxley(), {"I_ext": 2.0}, settle_ms=100.0)
    with pytest.raises(ValueError, match="did not converge.*max_settle_ms"):
        phase_response(hhdyn.WangBuzsaki(), {"I_ext": 0.33}, settle_ms=60.0, max_settle_ms=60.0)
    with pytest.raises(ValueError, match="method must be"):
        phase_response(hhdyn.HodgkinHuxley(), method="magic")
    with pytest.raises(ValueError, match="n_phases"):
        phase_response(hhdyn.HodgkinHuxley(), n_phases=1)
    with pytest.raises(ValueError, match="pass y0"):
        phase_response(StuartLandau())


def test_outputs(hh, tmp_path):
    matplotlib.use("Agg")
    _, adjoint, direct = hh
    adjoint.to_csv(tmp_path / "prc.csv")
    table = np.genfromtxt(tmp_path / "prc.csv", delimiter=",", names=True)
    np.testing.assert_allclose(table["Z_V_ms_per_mV"], adjoint.Z_V)
    data = json.loads(adjoint.to_json(tmp_path / "prc.json"))
    assert data["prc_type"] == "II" and len(data["Z"]["n"]) == 50
    assert json.loads((tmp_path / "prc.json").read_text()) == data
    ax = adjoint.plot()
    direct.plot(ax=ax, form="time", marker="o", ls="none")
    assert len(ax.lines) >= 2


def test_cli_prc_writes_plot_and_csv(run_cli, tmp_path):
    result = run_cli("prc", "--model", "ml_snic", "--param", "I_ext=45", "--phases", "20",
                     "--plot", tmp_path / "out.png", "--csv", tmp_path / "out.csv")
    assert result.returncode == 0, result.stderr
    assert "type I " in result.stdout
    assert (tmp_path / "out.png").stat().st_size > 5000
    table = np.genfromtxt(tmp_path / "out.csv", delimiter=",", names=True)
    assert table.size == 20 and "Z_w_ms" in table.dtype.names


@pytest.mark.parametrize("args, needle", [
    (["prc", "--model", "no_such_model"], "no_such_model"),
    (["prc", "--model", "ml_snic", "--param", "I_ext=0"], "settles to rest"),
    (["prc", "--phases", "1"], "at least 2"),
])
def test_cli_prc_bad_input(run_cli, args, needle):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr


def test_direct_method_at_50_phases_with_compiled_members(hh):
    lc, adjoint, _ = hh
    direct = phase_response(None, cycle=lc, n_phases=50, method="direct", engine="compiled")
    assert np.max(np.abs(direct.Z_V - adjoint.Z_V)) < 0.02 * np.max(np.abs(adjoint.Z_V))
