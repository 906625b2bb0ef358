"""The end of a cycle branch at infinite period: SNIC and saddle homoclinic (issue 13 item 2).

References are computed independently of the collocation code: Morris–Lecar written out by
hand (Rinzel & Ermentrout 1998; tests/ml_reference.py, the ``ml_reference`` fixture), its fold
of equilibria by brentq on dI∞/dV = 0 (the steady-state
current I∞(V) of the 1-D curve w = w∞(V)), and the homoclinic current by shooting: integrate
(DOP853) from the saddle along its unstable eigenvector and bisect in I on whether the trajectory
falls back to the resting node (below I_hom) or stays on the side of the limit cycle (above).
"""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

import hhdyn
from analysis import continue_equilibria, firing_onset
from analysis.continuation import Status
from analysis.cycles import continue_cycles
from analysis.cycles.infinite_period import fit_homoclinic_law, fit_snic_law

def hopf(model, window):
    eq = continue_equilibria(model, "I_ext", window)
    return min(eq.points("H"), key=lambda s: s.param)


def test_snic_branch_ends_at_the_fold_with_the_square_root_law(ml_reference):
    HandML = ml_reference.HandML
    model = hhdyn.MorrisLecar("snic")
    I_lp, _ = HandML("snic").upper_fold()
    lc = continue_cycles(hopf(model, (-20.0, 150.0)), model, window=(-20.0, 150.0))   # default settings
    assert lc.status == Status.UNBOUNDED_PERIOD, lc.message
    assert "SNIC" in lc.message
    end = lc.special_points[-1]
    assert end.kind == "SNIC" and end.index == len(lc.param) - 1
    assert end.param == pytest.approx(I_lp, abs=1e-6)            # the located fold
    assert abs(lc.param[-1] - I_lp) < 1e-4                          # the branch itself got there
    assert end.info["law"]["exponent"] == pytest.approx(-0.5, abs=0.02)
    # the saddle-node: one eigenvalue 0 (hand Jacobian at the hand fold)
    assert min(abs(np.linalg.eigvals(HandML("snic").fd_jac(end.state, end.param)))) < 1e-5
    # exponent fitted here on the branch, independently of the module's fit
    tail = slice(-12, None)
    e = np.polyfit(np.log(lc.param[tail] - I_lp), np.log(lc.period[tail]), 1)[0]
    assert e == pytest.approx(-0.5, abs=0.02)


def test_homoclinic_branch_ends_as_hom_below_the_fold_and_agrees_with_shooting(ml_reference):
    model = hhdyn.MorrisLecar("homoclinic")
    ml = ml_reference.HandML("homoclinic")
    lc = continue_cycles(hopf(model, (-20.0, 150.0)), model, window=(-20.0, 150.0))
    assert lc.status == Status.UNBOUNDED_PERIOD, lc.message
    end = lc.special_points[-1]
    assert end.kind == "HOM" and "HOM" in lc.message
    I_lp, _ = ml.upper_fold()
    assert end.param < I_lp - 1.0
    # the saddle: real eigenvalues of opposite signs, λu from the hand Jacobian
    lam = np.linalg.eigvals(ml.fd_jac(end.state, end.param))
    assert np.all(np.isreal(lam)) and lam.real.max() > 0 > lam.real.min()
    assert end.info["law"]["lambda_u"] == pytest.approx(lam.real.max(), rel=1e-4)
    # shooting/bisection on the saddle's unstable manifold
    assert end.param == pytest.approx(ml.homoclinic_current(end.param - 0.05, end.param + 0.05), abs=1e-4)


def test_period_law_fits_recover_synthetic_laws():
    p_sn, a = 2.0, 0.3
    p = p_sn + np.geomspace(1e-2, 1e-5, 20)
    T = math.pi / np.sqrt(a * (p - p_sn))
    law = fit_snic_law(p, T, p_sn)
    assert law["exponent"] == pytest.approx(-0.5, abs=1e-12)
    assert law["a"] == pytest.approx(a, rel=1e-12)
    p_hom, lam, C = 1.5, 0.2, 3.0
    T = np.linspace(20.0, 120.0, 40)
    p = p_hom + C * np.exp(-lam * T)
    law = fit_homoclinic_law(p, T, lam)
    assert law["lambda_u_fit"] == pytest.approx(lam, rel=1e-3)
    assert law["p_hom"] == pytest.approx(p_hom, abs=1e-9)


def test_wang_buzsaki_onset_is_the_snic_with_rate_zero():
    model = hhdyn.WangBuzsaki()
    onset = firing_onset(model)                       # default window [0, 200]: no Hopf point there
    eq = continue_equilibria(model, "I_ext", (0.0, 200.0))
    lp = min(eq.points("LP"), key=lambda s: s.param)
    assert onset.kind == "SNIC", onset.message
    assert onset.onset == pytest.approx(lp.param, abs=1e-8)
    assert 0.15 < onset.onset < 0.162                 # the F–I bracket of test_class1_models
    assert onset.rate_hz == 0.0 and math.isinf(onset.period_ms)
    lc = onset.branch
    assert lc.status == Status.UNBOUNDED_PERIOD and lc.stable[-1]
    assert lc.period[-1] > 500.0                      # far past the old default max_period (62 ms)
    assert lc.frequency_hz[-1] < 2.0


def test_end_tol_must_be_positive():
    model = hhdyn.MorrisLecar("snic")
    with pytest.raises(ValueError, match="end_tol"):
        continue_cycles(hopf(model, (-20.0, 150.0)), model, end_tol=0.0)


def test_firing_onset_at_a_saddle_homoclinic_orbit_has_rate_zero(ml_reference):
    model = hhdyn.MorrisLecar("homoclinic")
    onset = firing_onset(model, window=(-20.0, 150.0))
    I_lp, _ = ml_reference.HandML("homoclinic").upper_fold()
    assert onset.kind == "HOM", onset.message
    assert onset.onset < onset.hopf < I_lp        # bistable: cycles from HOM up to the LPC, rest up to H
    assert onset.rate_hz == 0.0


def test_firing_onset_of_the_homoclinic_set_with_the_default_window(ml_reference):
    """From I = 0 the equilibrium curve turns at the fold (≈ 40) and leaves [0, 200] on its middle
    branch before reaching the upper branch's Hopf point (≈ 36.3): the Hopf points inside the
    window are found on the curve continued over a wider one."""
    ml = ml_reference.HandML("homoclinic")
    onset = firing_onset(hhdyn.MorrisLecar("homoclinic"))
    assert onset.kind == "HOM", onset.message
    assert onset.rate_hz == 0.0
    assert onset.onset == pytest.approx(ml.homoclinic_current(onset.onset - 0.05, onset.onset + 0.05), abs=1e-4)
    # the Hopf point on the upper branch: trace of the hand Jacobian on I∞(V) = I vanishes there
    V_h = brentq(lambda v: np.trace(ml.jac(v)), 0.0, 10.0, xtol=1e-13)
    assert onset.hopf == pytest.approx(ml.Iss(V_h), rel=1e-7)
