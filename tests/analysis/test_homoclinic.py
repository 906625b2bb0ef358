"""Homoclinic orbits of Morris–Lecar in (I_ext, φ) by collocation at a fixed large period (issue 13
item 3), against independent computations with the hand-written model (tests/ml_reference.py):

* the homoclinic current at each φ by shooting from the saddle along its unstable manifold and
  bisecting in I (``HandML.homoclinic_current``);
* the saddle-node–loop φ by bisection on which side of the saddle-node's strong stable manifold
  the centre branch of its unstable set comes back at I = I_LP (``saddle_node_loop_phi``:
  0.1942313 ± 2e-7 for r_in = 0.01…0.05, and a second one at 0.019540 ± 7e-6, where the SNIC
  curve turns back into a homoclinic curve at small φ);
* the fold of the equilibria by brentq on dI∞/dV = 0 (independent of φ).
"""
import math

import numpy as np
import pytest

import hhdyn
from analysis import continue_cycles, continue_equilibria, continue_homoclinic
from analysis.continuation import Status


@pytest.fixture(scope="module")
def hom_branches():
    """The homoclinic set's cycle branch from its Hopf point, continued to periods 2000 and 4000 ms."""
    model = hhdyn.MorrisLecar("homoclinic")
    eq = continue_equilibria(model, "I_ext", (-20.0, 150.0))
    H = min(eq.points("H"), key=lambda s: s.param)
    return model, {T: continue_cycles(H, model, window=(-20.0, 150.0), max_period=T, max_points=1000)
                   for T in (2000.0, 4000.0)}


@pytest.fixture(scope="module")
def curves(hom_branches):
    model, branches = hom_branches
    return {T: continue_homoclinic(lc, model, "phi", window2=(0.005, 0.35), values=(0.21, 0.25, 0.3))
            for T, lc in branches.items()}


def test_the_branches_end_at_hom(hom_branches):
    _, branches = hom_branches
    for T, lc in branches.items():
        assert lc.status == Status.UNBOUNDED_PERIOD and lc.special_points[-1].kind == "HOM", lc.message
        assert lc.period[-1] > T


def test_the_curve_is_the_homoclinic_curve_where_a_saddle_exists(curves, ml_reference):
    curve = curves[4000.0]
    assert curve.kind == "HOM" and curve.param2_name == "phi"
    assert curve.status == Status.DONE, curve.message
    # the start: φ = 0.23, the one-parameter HOM current (35.00673418 by shooting in test_infinite_period)
    start = int(np.argmin(np.abs(curve.param2 - 0.23)))
    assert curve.param2[start] == 0.23
    assert curve.param[start] == pytest.approx(35.00673418, abs=1e-4)
    uz = {round(sp.info["phi"], 12): sp.param for sp in curve.special_points if sp.kind == "UZ"}
    assert sorted(uz) == [0.21, 0.25, 0.3]
    for phi, I in uz.items():
        ref = ml_reference.HandML("homoclinic", phi=phi).homoclinic_current(I - 0.05, I + 0.05)
        assert I == pytest.approx(ref, abs=1e-4), phi


def test_saddle_node_loop_points(curves, hom_branches, ml_reference):
    """SNL where the homoclinic curve meets the fold line I = I_LP (vertical: I_LP does not depend on φ)."""
    I_lp, V_lp = ml_reference.HandML("snic").upper_fold()
    for phi in (0.01, 0.1, 0.3):
        assert ml_reference.HandML("snic", phi=phi).upper_fold()[0] == pytest.approx(I_lp, rel=1e-14)
    found = {}
    for T, curve in curves.items():
        snl = sorted((sp for sp in curve.special_points if sp.kind == "SNL"), key=lambda sp: sp.info["phi"])
        assert len(snl) == 2, [(sp.param, sp.info["phi"]) for sp in snl]
        for sp in snl:
            assert sp.param == pytest.approx(I_lp, abs=1e-6)                 # on the fold line
            assert sp.state[0] == pytest.approx(V_lp, abs=1e-5)               # the saddle-node itself
            assert min(abs(sp.info["eigenvalues"])) < 1e-8
            assert sp.converged and sp.info["near_fraction"] >= 0.5
        found[T] = [sp.info["phi"] for sp in snl]
    upper_ref = 0.1942313   # saddle_node_loop_phi(0.19, 0.2) (see the module docstring; 3 s)
    lower_ref = 0.019540
    assert ml_reference.saddle_node_loop_phi(0.19, 0.2, tol=1e-6) == pytest.approx(upper_ref, abs=1e-6)
    # at fixed T the located φ lies O(1/T) off (|Δφ| ≈ 0.93/T above the upper SNL): within 3e-4 at T = 4000 ms,
    # and the extrapolation 2·φ(4000) − φ(2000) within 2e-5 of the bisection
    assert found[4000.0][1] == pytest.approx(upper_ref, abs=3e-4)
    assert found[4000.0][1] > upper_ref
    assert 2 * found[4000.0][1] - found[2000.0][1] == pytest.approx(upper_ref, abs=2e-5)
    assert found[4000.0][0] == pytest.approx(lower_ref, abs=3e-4)
    # between the two SNL points the curve is the SNIC line: I just above I_LP (no equilibrium near the orbit),
    # where the hand model, integrated by DOP853, has the fixed period T; outside, saddle homoclinic orbits below it
    curve = curves[4000.0]
    lo, hi = found[4000.0]
    inside = np.flatnonzero((curve.param2 > lo + 0.01) & (curve.param2 < hi - 0.01))
    assert inside.size > 3 and np.all(curve.param[inside] > I_lp) and np.all(curve.param[inside] < I_lp + 0.01)
    outside = (curve.param2 > hi + 0.01) | (curve.param2 < lo - 0.005)
    assert outside.sum() > 3 and np.all(curve.param[outside] < I_lp)
    k = inside[inside.size // 2]
    ml = ml_reference.HandML("snic", phi=curve.param2[k])
    T = _hand_period(ml, curve.param[k], V_lp)
    assert T == pytest.approx(hom_branches[1][4000.0].period[-1], rel=1e-6)   # the curve's fixed period


def _hand_period(ml, I, V_lp):
    """Period of the hand model at I by DOP853 (rtol 1e-11): time between upward crossings of V_LP + 20 mV."""
    from scipy.integrate import solve_ivp

    def up(t, y):
        return y[0] - (V_lp + 20.0)
    up.direction = 1
    sol = solve_ivp(lambda t, y: ml.rhs(y, I), (0.0, 15000.0), [V_lp + 25.0, ml.winf(V_lp)], method="DOP853",
                    rtol=1e-11, atol=1e-12, events=up)
    return float(np.diff(sol.t_events[0])[-1])


def test_a_start_not_near_a_homoclinic_orbit_is_refused(hom_branches):
    model, branches = hom_branches
    eq = continue_equilibria(model, "I_ext", (-20.0, 150.0))
    H = min(eq.points("H"), key=lambda s: s.param)
    short = continue_cycles(H, model, window=(-20.0, 150.0), max_points=15)
    with pytest.raises(ValueError, match="does not end at a homoclinic orbit.*Continue the cycles further"):
        continue_homoclinic(short, model, "phi")
    with pytest.raises(ValueError, match="starts from a cycle branch"):
        continue_homoclinic(branches[2000.0].special_points[-1], model, "phi")
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        continue_homoclinic(branches[2000.0], model, "nope")


def test_curve_result_contract(curves, tmp_path):
    curve = curves[2000.0]
    path = tmp_path / "hom.csv"
    curve.to_csv(path)
    text = path.read_text()
    assert "phi" in text.splitlines()[0]
    ax = curve.plot()
    assert ax.get_xlabel().startswith("I_ext") and math.isfinite(curve.param2[0])


def test_from_the_snic_end_of_the_snic_set(ml_reference):
    """Started on the SNIC line (the snic set's branch ends at T ≈ 1.9e4 ms with default settings), the curve
    crosses both saddle-node–loop points into the homoclinic curves; at that period within 1e-4 of the
    bisection values."""
    model = hhdyn.MorrisLecar("snic")
    H = min(continue_equilibria(model, "I_ext", (-20.0, 150.0)).points("H"), key=lambda s: s.param)
    lc = continue_cycles(H, model, window=(-20.0, 150.0))
    assert lc.special_points[-1].kind == "SNIC"
    curve = continue_homoclinic(lc, model, "phi", window2=(0.005, 0.35))
    phis = sorted(sp.info["phi"] for sp in curve.special_points if sp.kind == "SNL")
    assert phis == pytest.approx([0.019540, 0.1942313], abs=1e-4)
    I_lp, _ = ml_reference.HandML("snic").upper_fold()
    assert np.all(curve.param[(curve.param2 > phis[0] + 0.01) & (curve.param2 < phis[1] - 0.01)] > I_lp)


def test_the_fold_curve_of_the_equilibria_is_vertical_in_i_phi(ml_reference):
    """φ scales only the gate rate, not the steady states: the LP curve in (I_ext, φ) is I = I_LP."""
    from analysis import continue_fold

    model = hhdyn.MorrisLecar("homoclinic")
    lp = max(continue_equilibria(model, "I_ext", (-20.0, 150.0)).points("LP"), key=lambda s: s.param)
    curve = continue_fold(model, lp, "phi", window2=(0.01, 0.35), max_points=60)
    I_lp, _ = ml_reference.HandML("homoclinic").upper_fold()
    assert np.ptp(curve.param2) > 0.3
    np.testing.assert_allclose(curve.param, I_lp, atol=1e-8)
