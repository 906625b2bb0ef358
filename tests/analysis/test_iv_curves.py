"""Steady-state and instantaneous I–V curves (analysis.iv_curves)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hhdyn  # noqa: E402
from analysis.equilibria import fixed_points  # noqa: E402
from analysis.iv import iv_curves  # noqa: E402
from reductions import FitzHughNagumo, ReductionWarning, h_plus_n  # noqa: E402


@pytest.fixture(scope="module")
def hpn1():
    with pytest.warns(ReductionWarning):
        return h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)


def test_hh_curves_against_direct_formulas():
    hh = hhdyn.HodgkinHuxley()
    iv = iv_curves(hh, {"I_ext": 10.0})
    p = hh.params
    g = hh.gates
    V = iv.V
    m, h, n = g["m"].steady_state(V), g["h"].steady_state(V), g["n"].steady_state(V)
    I_ss = p.gNa * m**3 * h * (V - p.ENa) + p.gK * n**4 * (V - p.EK) + p.gL * (V - p.EL)
    assert np.allclose(iv.I_ss, I_ss, rtol=1e-12, atol=1e-9)
    # instantaneous: m at m∞(V) (fast), h and n held at their resting values
    assert iv.fast_gates == ("m",)
    assert iv.V_hold == pytest.approx(-65.0, abs=0.01)
    h0, n0 = g["h"].steady_state(iv.V_hold), g["n"].steady_state(iv.V_hold)
    I0 = p.gNa * m**3 * h0 * (V - p.ENa) + p.gK * n0**4 * (V - p.EK) + p.gL * (V - p.EL)
    assert np.allclose(iv.I_inst, I0, rtol=1e-12, atol=1e-9)
    # the two curves cross at the holding potential, the instantaneous one is N-shaped
    assert np.interp(iv.V_hold, V, iv.I_inst - iv.I_ss) == pytest.approx(0.0, abs=1e-2)
    assert iv.I_inst.min() < -1000.0
    # HH's I_ss is monotone: no fold, one equilibrium (the unstable focus at 10 µA/cm²)
    assert iv.folds == ()
    assert len(iv.equilibria) == 1 and iv.equilibria[0].kind == "unstable focus"


def test_folds_are_the_saddle_nodes(hpn1):
    iv = iv_curves(hpn1, {"I_ext": 5.0})
    assert len(iv.folds) == 2
    for fold in iv.folds:
        assert abs(float(hpn1.steady_state_current_deriv(fold.V))) < 1e-9
        assert fold.I_fold == pytest.approx(float(hpn1.steady_state_current(fold.V)), abs=1e-12)
        # equilibria: 3 on one side of the fold current, 1 on the other (in a wide window)
        counts = [len(fixed_points(hpn1, {"I_ext": fold.I_fold + d}, V_range=(-1500, 100), n_grid=20001))
                  for d in (-1e-3, 1e-3)]
        assert sorted(counts) == [1, 3]
    # equilibria are the intersections with I_ext, and the middle one (negative slope) a saddle
    eq = iv.equilibria
    assert len(eq) == 3
    for fp in eq:
        assert float(hpn1.steady_state_current(fp["V"])) == pytest.approx(5.0, abs=1e-9)
    slopes = [float(hpn1.steady_state_current_deriv(fp["V"])) for fp in eq]
    assert slopes[1] < 0 < min(slopes[0], slopes[2])
    assert eq[1].kind == "saddle"


def test_plot_and_csv(tmp_path, hpn1):
    iv = iv_curves(hpn1, {"I_ext": 5.0})
    ax = iv.plot()
    gids = [a.get_gid() for a in ax.get_children()]
    assert gids.count("fold") == 2 and gids.count("equilibrium") == 3
    assert "I_ss" in gids and "I_inst" in gids
    plt.close(ax.figure)
    iv.to_csv(tmp_path / "iv.csv")
    rows = (tmp_path / "iv.csv").read_text().splitlines()
    assert rows[0] == "V_mV,I_ss_uA_per_cm2,I_inst_uA_per_cm2" and len(rows) == len(iv.V) + 1


def test_bad_input():
    hh = hhdyn.HodgkinHuxley()
    with pytest.raises(ValueError, match="model"):
        iv_curves(FitzHughNagumo())
    with pytest.raises(ValueError, match="V_range"):
        iv_curves(hh, V_range=(0, -50))
    with pytest.raises(ValueError, match="fast"):
        iv_curves(hh, fast=("x",))
    with pytest.raises(ValueError, match="n must"):
        iv_curves(hh, n=2)
