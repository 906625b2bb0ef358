"""Two-parameter continuation of Hopf and fold points; BT, GH and CP points."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import hhdyn
from analysis.branch import CodimTwoCurve
from analysis.continuation import continue_fold, continue_hopf
from analysis.continuation import continue_equilibria
from reductions import h_plus_n


@pytest.fixture(scope="module")
def hh():
    return hhdyn.HodgkinHuxley()


@pytest.fixture(scope="module")
def hh_hopf_curve(hh):
    branch = continue_equilibria(hh, "I_ext", (-10.0, 200.0))
    return branch, continue_hopf(hh, branch.points("H")[0], "gK", window=(-100.0, 400.0), window2=(0.0, 100.0),
                                 ds_max=5.0)


def test_hh_hopf_curve_is_a_curve_of_hopf_points(hh, hh_hopf_curve):
    _, curve = hh_hopf_curve
    assert isinstance(curve, CodimTwoCurve) and curve.kind == "H"
    assert curve.status == 0, curve.message
    worst = 0.0
    for I, gK, x, w in zip(curve.param, curve.param2, curve.states, curve.omega):
        pars = {"I_ext": I, "gK": gK}
        assert np.max(np.abs(hh.rhs(x, pars))) < 1e-8
        if np.isfinite(w):
            lam = np.linalg.eigvals(hh.jacobian(x, pars))
            crit = lam[np.argmin(np.abs(lam - 1j * w))]
            worst = max(worst, abs(crit.real), abs(crit.imag - w))
    assert worst < 1e-7



def test_hh_hopf_curve_bt_point_has_a_double_zero_eigenvalue(hh, hh_hopf_curve):
    """Where the Hopf curve ends in a Bogdanov–Takens point (ω → 0), the Jacobian has a double zero
    eigenvalue. Its computed eigenvalues split by ~√ε (a perturbed Jordan block: ±1.2e-7·i here),
    so the point is checked through the two lowest coefficients of the characteristic polynomial,
    det J and the sum of the principal (n−1)-minors, which are well conditioned."""
    _, curve = hh_hopf_curve
    bts = [p for p in curve.special_points if p.kind == "BT"]
    assert len(bts) == 1
    bt = bts[0]
    J = hh.jacobian(bt.state, {"I_ext": bt.param, "gK": bt.info["gK"]})
    n = J.shape[0]
    c0 = np.linalg.det(J)
    c1 = sum(np.linalg.det(np.delete(np.delete(J, i, 0), i, 1)) for i in range(n))
    assert abs(c0) < 1e-10 and abs(c1) < 1e-10, (c0, c1)
    assert np.max(np.abs(hh.rhs(bt.state, {"I_ext": bt.param, "gK": bt.info["gK"]}))) < 1e-8

def test_hh_hopf_curve_joins_both_hopf_points(hh_hopf_curve):
    """The H curve through H1 crosses gK = 36 again at H2 (located by 1-D continuation)."""
    branch, curve = hh_hopf_curve
    h2 = branch.points("H")[1].param
    crossings = []
    for i in range(len(curve.param2) - 1):
        a, b = curve.param2[i] - 36.0, curve.param2[i + 1] - 36.0
        if a * b < 0:
            crossings.append(curve.param[i] + a / (a - b) * (curve.param[i + 1] - curve.param[i]))
    assert any(abs(c - h2) < 1.0 for c in crossings)  # linear interpolation between curve points


@pytest.mark.parametrize("which", [0.3, 0.7])
def test_hh_hopf_curve_points_agree_with_one_parameter_continuation(hh, hh_hopf_curve, which):
    _, curve = hh_hopf_curve
    ok = np.flatnonzero(np.isfinite(curve.omega))
    i = ok[int(which * (ok.size - 1))]
    I, gK = curve.param[i], curve.param2[i]
    branch = continue_equilibria(hh.with_params(gK=gK), "I_ext", (I - 3.0, I + 3.0),
                                 y0=curve.states[i] + 0.0, ds_max=0.5)
    hopf = branch.points("H")
    assert len(hopf) == 1
    assert abs(hopf[0].param - I) < 1e-6
    assert abs(hopf[0].info["l1"] - curve.l1[i]) < 1e-6 * abs(curve.l1[i]) + 1e-9


def test_hh_bautin_and_bogdanov_takens_points(hh, hh_hopf_curve):
    _, curve = hh_hopf_curve
    kinds = [p.kind for p in curve.special_points]
    assert kinds.count("GH") == 2 and kinds.count("BT") == 1
    for p in curve.points("GH"):
        assert p.converged and abs(p.info["l1"]) < 1e-8
        i = p.index
        assert np.sign(curve.l1[i - 1]) != np.sign(curve.l1[i + 1])
    bt = [p for p in curve.special_points if p.kind == "BT"][0]
    lam = np.linalg.eigvals(hh.jacobian(bt.state, {"I_ext": bt.param, "gK": bt.info["gK"]}))
    assert np.sort(np.abs(lam))[1] < 1e-5  # a double zero eigenvalue
    assert abs(bt.info["kappa"]) < 1e-10
    # beyond the BT point the curve continues as neutral saddles (ω undefined)
    assert np.isnan(curve.omega[:bt.index]).any() or np.isnan(curve.omega[bt.index + 1:]).any()


@pytest.fixture(scope="module")
def hpn1():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)
    return model, continue_equilibria(model, "I_ext", (-300.0, 50.0))


def test_bt_point_is_shared_by_fold_and_hopf_curves(hpn1):
    model, branch = hpn1
    fold = continue_fold(model, branch.points("LP")[0], "gK", window=(-400.0, 400.0), window2=(0.0, 100.0), ds_max=5.0)
    hopf = continue_hopf(model, branch.points("H")[0], "gK", window=(-400.0, 400.0), window2=(0.0, 100.0), ds_max=5.0)
    bt_f = [p for p in fold.special_points if p.kind == "BT"]
    bt_h = [p for p in hopf.special_points if p.kind == "BT"]
    assert len(bt_f) == 1 and len(bt_h) == 1
    assert abs(bt_f[0].param - bt_h[0].param) < 1e-6
    assert abs(bt_f[0].info["gK"] - bt_h[0].info["gK"]) < 1e-6
    assert [p.kind for p in fold.special_points].count("CP") == 1


def test_fold_curve_cusp_in_c(hpn1):
    """In (I_ext, c) the two folds of the N-shaped I–V meet at a cusp; below it the I–V is monotone."""
    model, branch = hpn1
    curve = continue_fold(model, branch.points("LP")[0], "c", window=(-400.0, 400.0), window2=(0.5, 1.5), ds_max=5.0)
    cps = [p for p in curve.special_points if p.kind == "CP"]
    assert len(cps) == 1
    c_cp = cps[0].info["c"]
    assert abs(cps[0].info["a"]) < 1e-8
    # independent check on the steady-state I–V: dI/dV changes sign just above c_cp, not below
    V = np.linspace(-80.0, -20.0, 60001)
    above = model.with_params(c=c_cp + 1e-3).steady_state_current_deriv(V)
    below = model.with_params(c=c_cp - 1e-3).steady_state_current_deriv(V)
    assert above.min() < 0 < below.min()
    # a point on the curve is a fold of the 1-D continuation at that c (to 1e-6)
    i = len(curve.param) // 3
    I, c = curve.param[i], curve.param2[i]
    b = continue_equilibria(model.with_params(c=c), "I_ext", (-300.0, 100.0), ds_max=5.0)
    lps = b.points("LP")
    assert len(lps) == 2 and min(abs(p.param - I) for p in lps) < 1e-6


def test_bad_input(hh, hh_hopf_curve):
    branch, _ = hh_hopf_curve
    h = branch.points("H")[0]
    with pytest.raises(ValueError, match="differ"):
        continue_hopf(hh, h, "I_ext")
    with pytest.raises(ValueError, match="unknown parameter"):
        continue_hopf(hh, h, "gX")
    with pytest.raises(ValueError, match="kind 'LP'"):
        continue_fold(hh, h, "gK")
    with pytest.raises(ValueError, match="window2"):
        continue_hopf(hh, h, "gK", window2=(5.0, 1.0))


def _circle_hopf_model():
    """x' = μx − y − x r², y' = x + μy − y r² with μ = a² + b² − 1: the origin is an equilibrium
    for all (a, b) and has eigenvalues μ ± i, so its Hopf curve is the unit circle, ω = 1."""
    from hhdyn.protocol import ODEModel

    class CircleHopf(ODEModel):
        state_names = ("x", "y")
        name = "circle Hopf"

        def __init__(self, **params):
            super().__init__({"a": -2.0, "b": 0.0, **params})

        def rhs(self, u, params=None):
            p = self._resolve(params)
            x, y = np.asarray(u, dtype=float)
            mu, r2 = p["a"] ** 2 + p["b"] ** 2 - 1.0, x * x + y * y
            return np.stack([mu * x - y - x * r2, x + mu * y - y * r2])

        def jacobian(self, u, params=None):
            p = self._resolve(params)
            x, y = np.asarray(u, dtype=float)
            mu, r2 = p["a"] ** 2 + p["b"] ** 2 - 1.0, x * x + y * y
            return np.array([[mu - r2 - 2 * x * x, -1.0 - 2 * x * y], [1.0 - 2 * x * y, mu - r2 - 2 * y * y]])

        def dfdp(self, u, name, params=None):
            p = self._resolve(params)
            return 2.0 * p[name] * np.asarray(u, dtype=float)

    return CircleHopf()


def test_a_closed_hopf_curve_ends_with_status_closed():
    from analysis.continuation import Status

    model = _circle_hopf_model()
    branch = continue_equilibria(model, "a", (-2.0, 0.0), y0=[0.0, 0.0])
    (h,) = branch.points("H")
    assert abs(h.param + 1.0) < 1e-10 and abs(h.info["omega"] - 1.0) < 1e-10
    curve = continue_hopf(model, h, "b", param="a", window2=(-5.0, 5.0), ds_max=0.2, direction=1)
    assert curve.status == Status.CLOSED, curve.message
    np.testing.assert_allclose(curve.param**2 + curve.param2**2, 1.0, atol=1e-10)
    np.testing.assert_allclose(curve.omega, 1.0, atol=1e-10)
    angles = np.unwrap(np.arctan2(curve.param2, curve.param))
    assert abs(angles[-1] - angles[0]) > 1.9 * np.pi  # once around
