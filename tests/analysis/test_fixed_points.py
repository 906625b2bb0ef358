"""Equilibria, their stability and folds (analysis.fixed_points)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

import hhdyn
from analysis.equilibria import FixedPoint, classify, fixed_points
from hhdyn.protocol import ODEModel
from reductions import FitzHughNagumo, ReductionWarning, h_plus_n


@pytest.fixture(scope="module")
def hh():
    return hhdyn.HodgkinHuxley()


@pytest.fixture(scope="module")
def hpn1():
    with pytest.warns(ReductionWarning):
        return h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)


@pytest.mark.parametrize("I, stable", [(0.0, True), (10.0, False), (100.0, False), (200.0, True)])
def test_hh_single_equilibrium_matches_direct_brentq(hh, I, stable):
    fps = fixed_points(hh, {"I_ext": I})
    assert len(fps) == 1
    fp = fps[0]
    direct = brentq(lambda v: float(hh.steady_state_current(v)) - I, -100.0, 50.0, xtol=1e-14, rtol=1e-15)
    assert abs(fp["V"] - direct) < 1e-9
    # the state is an equilibrium of the full 4D model
    assert np.max(np.abs(hh.rhs(fp.state, {"I_ext": I}))) < 1e-10
    assert fp.is_stable is stable
    if not stable:
        assert fp.kind == "unstable focus" and fp.n_unstable == 2
    # eigen-data consistent with an independent finite-difference Jacobian
    J_fd = hhdyn.finite_difference_jacobian(hh, fp.state, {"I_ext": I})
    assert np.allclose(fp.jacobian, J_fd, rtol=1e-5, atol=1e-7)
    for lam, vec in zip(fp.eigenvalues, fp.eigenvectors.T):
        assert np.allclose(fp.jacobian @ vec, lam * vec, atol=1e-10)


def _fhn_closed_form(a, b, eps, I):
    roots = np.roots([-1.0 / 3.0, 0.0, 1.0 - 1.0 / b, I - a / b])
    v = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    eig = []
    for x in v:
        tr = 1.0 - x**2 - eps * b
        det = -eps * b * (1.0 - x**2) + eps
        disc = np.sqrt(complex(tr * tr - 4.0 * det))
        eig.append(sorted([(tr + disc) / 2.0, (tr - disc) / 2.0], key=lambda z: (-z.real, -z.imag)))
    return v, (v + a) / b, eig


@pytest.mark.parametrize("params", [dict(), dict(I_ext=0.5), dict(I_ext=-0.3, a=0.5), dict(a=0.0, b=2.0)])
def test_fhn_equilibria_and_eigenvalues_closed_form(params):
    model = FitzHughNagumo(**params)
    p = model.params
    v, w, eig = _fhn_closed_form(p["a"], p["b"], p["eps"], p["I_ext"])
    fps = fixed_points(model, box={"v": (-3, 3), "w": (-3, 3)})
    assert len(fps) == len(v)
    for fp, vi, wi, lam in zip(fps, v, w, eig):
        assert abs(fp["v"] - vi) < 1e-10 and abs(fp["w"] - wi) < 1e-10
        assert np.max(np.abs(fp.eigenvalues - np.array(lam))) < 1e-10


def test_fhn_bistable_middle_saddle():
    fps = fixed_points(FitzHughNagumo(a=0.0, b=2.0, eps=0.08, I_ext=0.0), box={"v": (-3, 3), "w": (-3, 3)})
    assert [fp.kind for fp in fps] == ["stable focus", "saddle", "stable focus"]
    assert fps[1].n_unstable == 1
    assert abs(fps[1]["v"]) < 1e-12 and abs(fps[0]["v"] + np.sqrt(1.5)) < 1e-10


def test_newton_and_steady_state_methods_agree(hpn1):
    """Two independent algorithms on the same 2D conductance model."""
    exact = fixed_points(hpn1, {"I_ext": 0.0})
    newton = fixed_points(hpn1, {"I_ext": 0.0}, method="newton", box={"V": (-90, 40), "n": (0, 1)}, n_starts=400)
    assert len(exact) == len(newton) == 3
    assert np.allclose(exact.states, newton.states, atol=1e-8)
    assert [fp.kind for fp in exact] == [fp.kind for fp in newton] == ["stable focus", "saddle", "unstable focus"]


def _fold(model, lo, hi):
    V = brentq(lambda v: float(model.steady_state_current_deriv(v)), lo, hi, xtol=1e-14)
    return V, float(model.steady_state_current(V))


def test_three_equilibria_between_the_folds(hpn1):
    (V1, I1), (V2, I2) = _fold(hpn1, -60, -50), _fold(hpn1, -40, -25)
    assert I1 == pytest.approx(14.605, abs=1e-3) and I2 == pytest.approx(-271.23, abs=1e-2)
    # near the lower fold the resting equilibrium is far below -150 mV (leak alone must carry
    # ~-270 µA/cm²), so the voltage window is widened to see it
    for I in np.linspace(I2 + 0.5, I1 - 0.5, 7):
        fps = fixed_points(hpn1, {"I_ext": I}, V_range=(-1500.0, 100.0), n_grid=20001)
        assert len(fps) == 3, I
        assert fps[1].kind == "saddle"
        for fp in fps:
            assert abs(float(hpn1.steady_state_current(fp["V"])) - I) < 1e-9
    for I in (I1 + 0.5, I2 - 0.5):
        assert len(fixed_points(hpn1, {"I_ext": I}, V_range=(-1500.0, 100.0), n_grid=20001)) == 1
    # in the default window (-150, 100) mV all three exist for -29 < I_ext < I1
    for I in (-20.0, 0.0, 14.0):
        assert len(fixed_points(hpn1, {"I_ext": I})) == 3


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("delta", [1e-6, 1e-7, 1e-9])
def test_both_equilibria_found_near_a_fold(hpn1, which, delta):
    V_f, I_f = [_fold(hpn1, -60, -50), _fold(hpn1, -40, -25)][which]
    inside = I_f - delta if which == 0 else I_f + delta  # on the three-equilibria side
    window = dict(V_range=(-1500.0, 100.0), n_grid=20001)
    fps = fixed_points(hpn1, {"I_ext": inside}, **window)
    assert len(fps) == 3
    near = [fp for fp in fps if fp.near_fold]
    assert len(near) == 2
    # the two roots straddle the fold, at distance ~ sqrt(2·delta/|I_ss''|)
    assert near[0]["V"] < V_f < near[1]["V"]
    assert {fp.stability for fp in near} >= {"saddle"}
    for fp in near:
        assert abs(float(hpn1.steady_state_current(fp["V"])) - inside) < 1e-9
    assert len(fps.folds) == 1
    assert fps.folds[0].V == pytest.approx(V_f, abs=1e-9)
    assert fps.folds[0].I_fold == pytest.approx(I_f, abs=1e-9)
    # on the other side of the fold only the far equilibrium is left, the fold is still reported
    outside = I_f + delta if which == 0 else I_f - delta
    fps_out = fixed_points(hpn1, {"I_ext": outside}, **window)
    assert len(fps_out) == 1 and len(fps_out.folds) == 1


def test_exactly_at_fold_is_a_non_hyperbolic_double_root(hpn1):
    V_f, I_f = _fold(hpn1, -60, -50)
    fps = fixed_points(hpn1, {"I_ext": I_f})
    near = [fp for fp in fps if fp.near_fold]
    assert len(near) == 1 and near[0].kind == "non-hyperbolic"
    assert abs(near[0]["V"] - V_f) < 1e-6
    assert np.min(np.abs(near[0].eigenvalues.real)) < 1e-6


class Toggle(ODEModel):
    """x' = x² − y, y' = y − 1: equilibria (±1, 1); a user model without any special structure."""

    state_names = ("x", "y")
    name = "toggle"

    def __init__(self, I_ext=0.0):
        super().__init__({"I_ext": I_ext})

    def rhs(self, y, params=None):
        x, z = np.asarray(y, dtype=float)
        return np.stack([x**2 - z, z - 1.0])

    def jacobian(self, y, params=None):
        x, z = np.asarray(y, dtype=float)
        one = np.ones_like(x)
        return np.array([[2 * x, -one], [0 * one, one]])


def test_user_model_multistart_newton():
    fps = fixed_points(Toggle(), box=[(-2, 2), (-2, 2)])
    assert np.allclose(fps.states, [[-1.0, 1.0], [1.0, 1.0]], atol=1e-12)
    assert [fp.kind for fp in fps] == ["saddle", "unstable node"]
    # a box excluding one root finds only the other
    assert len(fixed_points(Toggle(), box=[(0, 2), (0, 2)])) == 1


def test_classify_names():
    assert classify([-1, -2]) == ("stable node", 0)
    assert classify([-1 + 2j, -1 - 2j]) == ("stable focus", 0)
    assert classify([1 + 2j, 1 - 2j]) == ("unstable focus", 2)
    assert classify([1, 2]) == ("unstable node", 2)
    assert classify([1, -2]) == ("saddle", 1)
    assert classify([1e-12 + 1j, 1e-12 - 1j])[0] == "non-hyperbolic"


def test_export(tmp_path, hpn1):
    import json

    fps = fixed_points(hpn1)
    fps.to_json(tmp_path / "fp.json")
    data = json.loads((tmp_path / "fp.json").read_text())
    assert [d["kind"] for d in data["fixed_points"]] == [fp.kind for fp in fps]
    fps.to_csv(tmp_path / "fp.csv")
    assert len((tmp_path / "fp.csv").read_text().strip().splitlines()) == 4


def test_bad_input(hh):
    with pytest.raises(ValueError, match="V_range"):
        fixed_points(hh, V_range=(50, -100))
    with pytest.raises(ValueError, match="V_range"):
        fixed_points(hh, V_range=(0, 0))
    with pytest.raises(ValueError, match="method"):
        fixed_points(hh, method="bisect")
    with pytest.raises(ValueError, match="box"):
        fixed_points(FitzHughNagumo(), box={"q": (0, 1), "w": (0, 1)})
    with pytest.raises(ValueError, match="box"):
        fixed_points(FitzHughNagumo(), box={"v": (1, 0), "w": (0, 1)})
    with pytest.raises(ValueError, match="steady_state"):
        fixed_points(FitzHughNagumo(), method="steady_state")


def test_package_attributes_are_the_functions_in_any_import_order():
    import analysis
    import analysis.equilibria as module
    import analysis.nullcline_curves  # noqa: F401

    assert len(analysis.fixed_points(FitzHughNagumo(), box={"v": (-3, 3), "w": (-3, 3)})) == 1
    assert len(analysis.nullclines(FitzHughNagumo())) == 2
    assert module.FixedPoint is FixedPoint is analysis.FixedPoint
