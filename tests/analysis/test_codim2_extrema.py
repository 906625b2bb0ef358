"""Extrema of either parameter on two-parameter curves (AUTO's "LP" on a curve: LP_p1, LP_p2).

References are computed independently in each test with numpy/scipy: the Hopf locus p₂ = P_H(I)
of HH is solved point by point (equilibrium on the steady-state curve by Brent's method, then
the p₂ at which the critical complex pair of the analytic Jacobian has zero real part, by
Brent's method), and the extremum is the zero of dP_H/dI (central differences, Brent's method
again); analytic curves (circles of Hopf and fold points) give exact values.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

import hhdyn
from analysis.continuation import continue_equilibria, continue_fold, continue_hopf
from analysis.continuation.codim2 import EXTREMUM_KINDS
from hhdyn.protocol import ODEModel
from reductions import h_plus_n

HH = hhdyn.HodgkinHuxley()


# ------------------------------------------------------------------ independent Hopf locus of HH
def _equilibrium(model, pars):
    """The (unique) equilibrium of HH at these parameters: I_ss(V) = I_ext on the steady-state curve."""
    p = model.params.replace(**pars)
    V = brentq(lambda v: float(model.steady_state_current(v, p)) - p["I_ext"], -100.0, 50.0,
               xtol=1e-14, rtol=4 * np.finfo(float).eps)
    return model.steady_state_curve(V), p


def _hopf_residual(model, I, name, value):
    """Re λ of the complex pair of f_x with the smallest |Re λ| (the one crossing at a Hopf point)."""
    x, p = _equilibrium(model, {"I_ext": I, name: value})
    lam = np.linalg.eigvals(model.jacobian(x, p))
    pair = lam[np.abs(lam.imag) > 1e-9]
    return float(pair[np.argmin(np.abs(pair.real))].real)


def _hopf_locus(model, name, lo, hi):
    """P_H(I): the value of ``name`` in [lo, hi] at which HH has a Hopf point at I_ext = I."""
    def p_h(I):
        grid = np.linspace(lo, hi, 41)
        vals = [_hopf_residual(model, I, name, g) for g in grid]
        k = next(i for i in range(len(grid) - 1) if np.sign(vals[i]) != np.sign(vals[i + 1]))
        return brentq(lambda v: _hopf_residual(model, I, name, v), grid[k], grid[k + 1], xtol=1e-14,
                      rtol=4 * np.finfo(float).eps)
    return p_h


def _extremum_of_locus(p_h, I_lo, I_hi, h=1e-3):
    """(I*, P_H(I*)) with dP_H/dI(I*) = 0, by Brent's method on the central difference."""
    slope = lambda I: (p_h(I + h) - p_h(I - h)) / (2 * h)  # noqa: E731
    I_star = brentq(slope, I_lo, I_hi, xtol=1e-10)
    return I_star, p_h(I_star)


@pytest.fixture(scope="module")
def hh_h1():
    return continue_equilibria(HH, "I_ext", (-10.0, 200.0)).points("H")[0]


@pytest.fixture(scope="module")
def hh_T_curve(hh_h1):
    return continue_hopf(HH, hh_h1, "T", window=(-100.0, 400.0), window2=(-20.0, 60.0), ds_max=5.0)


def test_highest_temperature_of_hh_hopf_points(hh_T_curve):
    """The maximum of T on HH's Hopf curve in (I_ext, T): above it HH has no Hopf point at all."""
    curve = hh_T_curve
    assert curve.status == 0, curve.message
    tops = [p for p in curve.points("LP_p2") if p.info["extremum"] == "max"]
    assert len(tops) == 1
    top = tops[0]
    assert top.converged and top.info["extremum_of"] == "T"
    # it is the highest point of the curve, and the curve lies below it on both sides
    assert top.info["T"] >= curve.param2.max() - 1e-12
    assert curve.param2[top.index - 1] < top.info["T"] and curve.param2[top.index + 1] < top.info["T"]
    # independent: T_H(I) by Brent's method on Re λ, its maximum by Brent's method on dT_H/dI
    I_star, T_star = _extremum_of_locus(_hopf_locus(HH, "T", 20.0, 40.0), 70.0, 80.0)
    assert abs(top.param - I_star) < 1e-6, (top.param, I_star)
    assert abs(top.info["T"] - T_star) < 1e-6, (top.info["T"], T_star)
    # and the located point is a Hopf point with ω > 0
    pars = {"I_ext": top.param, "T": top.info["T"]}
    lam = np.linalg.eigvals(HH.jacobian(top.state, pars))
    crit = lam[np.argmin(np.abs(lam - 1j * top.info["omega"]))]
    assert abs(crit.real) < 1e-9 and top.info["omega"] > 0.1


def test_extrema_of_I_on_the_T_curve_are_turning_points(hh_T_curve):
    """The curve turns in I_ext (LP_p1) where it leaves the window in T on both sides; the
    first parameter's extremum lies beyond every curve point next to it."""
    curve = hh_T_curve
    for p in curve.points("LP_p1"):
        assert p.info["extremum_of"] == "I_ext" and p.converged
        nb = curve.param[[p.index - 1, p.index + 1]]
        if p.info["extremum"] == "max":
            assert np.all(nb < p.param)
        else:
            assert np.all(nb > p.param)


def test_largest_gK_with_a_hopf_point(hh_h1):
    curve = continue_hopf(HH, hh_h1, "gK", window=(-100.0, 400.0), window2=(0.0, 100.0), ds_max=5.0)
    assert curve.status == 0, curve.message
    tops = [p for p in curve.points("LP_p2") if p.info["extremum"] == "max"]
    assert len(tops) == 1 and tops[0].info["extremum_of"] == "gK"
    top = tops[0]
    I_star, g_star = _extremum_of_locus(_hopf_locus(HH, "gK", 45.0, 60.0), 72.0, 80.0)
    assert abs(top.param - I_star) < 1e-6, (top.param, I_star)
    assert abs(top.info["gK"] - g_star) < 1e-6, (top.info["gK"], g_star)


# ------------------------------------------------------------------ fold curve: the cusp of h + n
def test_smallest_c_of_the_h_plus_n_fold_curve():
    """In (I_ext, c) the fold curve of h + n has its smallest c at the cusp, where the steady-state
    I–V, I_ss(V), stops being N-shaped. Independent: c* is the root of min_V dI_ss/dV (Brent's
    method on c, bounded minimization in V), and I* = I_ss(V*) at the minimizer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = h_plus_n(HH, c=1.0)
    lp = continue_equilibria(model, "I_ext", (-300.0, 50.0)).points("LP")[0]
    curve = continue_fold(model, lp, "c", window=(-400.0, 400.0), window2=(0.5, 1.5), ds_max=5.0)
    mins = [p for p in curve.points("LP_p2") if p.info["extremum"] == "min"]
    assert len(mins) == 1 and mins[0].info["extremum_of"] == "c"
    low = mins[0]

    def min_slope(c):
        m = model.with_params(c=c)
        res = minimize_scalar(lambda V: float(m.steady_state_current_deriv(V)), bounds=(-80.0, -20.0),
                              method="bounded", options={"xatol": 1e-10})
        return res.fun, res.x

    c_star = brentq(lambda c: min_slope(c)[0], 0.8, 1.0, xtol=1e-13)
    V_star = min_slope(c_star)[1]
    I_star = float(model.with_params(c=c_star).steady_state_current(V_star))
    assert abs(low.info["c"] - c_star) < 1e-8, (low.info["c"], c_star)
    assert abs(low.param - I_star) < 1e-8, (low.param, I_star)
    assert abs(low.state[0] - V_star) < 1e-3  # V* is only as accurate as √ε of the minimization
    # at a cusp of the curve in the parameter plane both I_ext and c ~ s² locally: I_ext has its
    # extremum there too, and both coincide with the CP point (located by ⟨w, B(v, v)⟩ = 0)
    (cp,) = curve.points("CP")
    (top,) = curve.points("LP_p1")
    for p in (cp, top):
        assert abs(p.param - low.param) < 1e-8 and abs(p.info["c"] - low.info["c"]) < 1e-8


# ------------------------------------------------------------------ analytic curves
class _Circle(ODEModel):
    """Two models whose codim-1 curve in (a, b) is the unit circle a² + b² = 1.

    kind "H": x' = μx − y − x r², y' = x + μy − y r², μ = a² + b² − 1 (Hopf at the origin, ω = 1);
    kind "LP": x' = a² + b² − 1 + x², y' = −y (fold at x = 0).
    """

    state_names = ("x", "y")

    def __init__(self, kind, **params):
        self.kind, self.name = kind, f"circle {kind}"
        super().__init__({"a": 0.0, "b": 0.6, **params})

    def rhs(self, u, params=None):
        p = self._resolve(params)
        x, y = np.asarray(u, dtype=float)
        mu = p["a"] ** 2 + p["b"] ** 2 - 1.0
        if self.kind == "LP":
            return np.stack([mu + x * x, -y])
        r2 = x * x + y * y
        return np.stack([mu * x - y - x * r2, x + mu * y - y * r2])

    def jacobian(self, u, params=None):
        p = self._resolve(params)
        x, y = np.asarray(u, dtype=float)
        mu = p["a"] ** 2 + p["b"] ** 2 - 1.0
        if self.kind == "LP":
            return np.array([[2 * x, 0.0 * x], [0.0 * x, -1.0 + 0.0 * x]])
        r2 = x * x + y * y
        return np.array([[mu - r2 - 2 * x * x, -1.0 - 2 * x * y], [1.0 - 2 * x * y, mu - r2 - 2 * y * y]])

    def dfdp(self, u, name, params=None):
        p = self._resolve(params)
        u = np.asarray(u, dtype=float)
        if self.kind == "LP":
            return np.stack([2.0 * p[name] + 0.0 * u[0], 0.0 * u[1]])
        return 2.0 * p[name] * u


@pytest.mark.parametrize("kind", ["H", "LP"])
def test_the_four_extrema_of_a_circle(kind):
    """On the unit circle a = ±1 at b = 0 (LP_p1) and b = ±1 at a = 0 (LP_p2), exactly."""
    model = _Circle(kind)
    if kind == "H":
        branch = continue_equilibria(model, "a", (-2.0, 0.0), y0=[0.0, 0.0])
    else:  # x = ±√(0.64 − a²): a fold at a = −0.8
        branch = continue_equilibria(model, "a", (-2.0, -0.5), start=-0.5, y0=[np.sqrt(0.39), 0.0], direction=-1)
    (point,) = branch.points(kind)
    assert abs(point.param + 0.8) < 1e-9
    follow = continue_hopf if kind == "H" else continue_fold
    curve = follow(model, point, "b", param="a", window2=(-5.0, 5.0), ds_max=0.2, direction=1)
    found = sorted((p.kind, p.info["extremum"], round(p.param, 6), round(p.info["b"], 6))
                   for p in curve.special_points if p.kind in EXTREMUM_KINDS)
    assert found == [("LP_p1", "max", 1.0, 0.0), ("LP_p1", "min", -1.0, 0.0),
                     ("LP_p2", "max", 0.0, 1.0), ("LP_p2", "min", 0.0, -1.0)], found
    for p in curve.special_points:
        assert p.converged
        if p.kind == "LP_p1":
            assert abs(abs(p.param) - 1.0) < 1e-10 and abs(p.info["b"]) < 1e-10 and p.info["extremum_of"] == "a"
        elif p.kind == "LP_p2":
            assert abs(abs(p.info["b"]) - 1.0) < 1e-10 and abs(p.param) < 1e-10 and p.info["extremum_of"] == "b"


def test_extrema_can_be_left_out_and_unknown_kinds_are_rejected(hh_h1):
    curve = continue_hopf(HH, hh_h1, "T", window=(-100.0, 400.0), window2=(-20.0, 60.0), ds_max=5.0,
                          detect=("GH",))
    assert {p.kind for p in curve.special_points} == {"GH"}
    with pytest.raises(ValueError, match="LPX"):
        continue_hopf(HH, hh_h1, "T", detect=("GH", "LPX"))
    with pytest.raises(ValueError, match="CP"):
        continue_hopf(HH, hh_h1, "T", detect=("CP",))
