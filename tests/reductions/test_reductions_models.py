"""Reductions of HH (fast m, h + n) and FitzHugh–Nagumo: equilibria, Jacobians, bad input."""
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from hhdyn import HodgkinHuxley, finite_difference_jacobian
from reductions import FitzHughNagumo, ReductionWarning, fast_m, h_plus_n

HH = HodgkinHuxley()
FM = fast_m(HH)
HN = h_plus_n(HH)


# ------------------------------------------------------------------ fast m
@pytest.mark.parametrize("I", np.linspace(-10.0, 200.0, 22))
def test_fast_m_has_exactly_the_equilibria_of_hh(I):
    full = HH.with_params(I_ext=I)
    reduced = FM.with_params(I_ext=I)
    V_full = full.equilibrium_voltages()
    V_red = reduced.equilibrium_voltages()
    assert V_full.size == V_red.size >= 1
    np.testing.assert_allclose(V_red, V_full, rtol=0, atol=1e-9)
    for V in V_red:
        # independent check: both right-hand sides vanish at the steady-state points
        y4 = full.steady_state_curve(V)
        y3 = reduced.steady_state_curve(V)
        assert np.max(np.abs(full.rhs(y4))) < 1e-8
        assert np.max(np.abs(reduced.rhs(y3))) < 1e-8
        # and a Newton step of the full 4D model from the reduced equilibrium moves V by < 1e-9
        step = np.linalg.solve(full.jacobian(y4), -full.rhs(y4))
        assert abs(step[0]) < 1e-9


def _random_states(model, n, seed):
    rng = np.random.default_rng(seed)
    V = rng.uniform(-90.0, 50.0, n)
    gates = rng.uniform(0.02, 0.98, (model.n_states - 1, n))
    return np.vstack([V, gates]).T


@pytest.mark.parametrize("model", [FM, HN], ids=["fast_m", "h_plus_n"])
def test_reduced_jacobians_match_finite_differences(model):
    for y in _random_states(model, 25, seed=3):
        p = {"I_ext": float(np.random.default_rng(int(abs(y[0]) * 1000)).uniform(-10, 50))}
        J = model.jacobian(y, p)
        J_fd = finite_difference_jacobian(model, y, p)
        np.testing.assert_allclose(J, J_fd, rtol=1e-5, atol=1e-6 * np.max(np.abs(J_fd)))


def test_fast_m_keeps_the_slow_gates_and_names_bad_gate():
    assert FM.state_names == ("V", "h", "n")
    with pytest.raises(ValueError, match="gates.*'x'"):
        fast_m(HH, gates=("x",))
    two = fast_m(HH, gates=("m", "h"))
    assert two.state_names == ("V", "n")


def test_h_plus_n_equilibria_match_hh_where_h_plus_n_equals_c():
    # h∞(V*) + n∞(V*) = 0.8 at some V*: there the algebraic relation holds exactly on the steady
    # state curve, so the 2D model has the HH equilibrium at V* for I* = I_ss,HH(V*)
    def gap(V):
        ss = HH.steady_state(V)
        return ss["h"] + ss["n"] - 0.8

    grid = np.linspace(-100.0, 50.0, 1501)
    values = gap(grid)
    roots = [brentq(gap, grid[i], grid[i + 1], xtol=1e-14) for i in np.flatnonzero(values[:-1] * values[1:] < 0)]
    assert roots, "h∞ + n∞ never equals 0.8"
    for V_star in roots:
        I_star = float(HH.steady_state_current(V_star))
        eq = HN.with_params(I_ext=I_star).equilibrium_voltages()
        assert np.min(np.abs(eq - V_star)) < 1e-9
        # and it is an equilibrium of the full model at the same current
        assert np.max(np.abs(HH.with_params(I_ext=I_star).rhs(HH.steady_state_curve(V_star)))) < 1e-9


def test_h_plus_n_names_a_missing_gate():
    with pytest.raises(ValueError, match="h: 'x'"):
        h_plus_n(HH, h="x")
    with pytest.raises(ValueError, match="'m'"):
        h_plus_n(FM)  # m is no longer a dynamic gate of the fast-m model


@pytest.mark.parametrize("c", [0.0, -0.5, 1.6, float("nan")])
def test_h_plus_n_rejects_c_outside_range(c):
    with pytest.raises(ValueError, match="c must lie in"):
        h_plus_n(HH, c=c)


def test_h_plus_n_warns_when_iv_not_monotone():
    with pytest.warns(ReductionWarning, match="not monotone"):
        h_plus_n(HH, c=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_plus_n(HH, c=0.8)  # monotone: no warning


# ------------------------------------------------------------------ FitzHugh–Nagumo
def _cardano_roots(a, b, I):
    """Real roots of v³/3 + (1/b − 1)v + (a/b − I) = 0 in closed form."""
    p = 3.0 * (1.0 / b - 1.0)
    q = 3.0 * (a / b - I)
    disc = (q / 2.0) ** 2 + (p / 3.0) ** 3
    if disc > 0:
        s = np.sqrt(disc)
        return np.array([np.cbrt(-q / 2 + s) + np.cbrt(-q / 2 - s)])
    r = 2.0 * np.sqrt(-p / 3.0)
    phi = np.arccos(np.clip(3.0 * q / (p * r), -1.0, 1.0))
    return np.sort(r * np.cos((phi - 2.0 * np.pi * np.arange(3)) / 3.0))


@pytest.mark.parametrize("a,b,I", [(0.7, 0.8, 0.0), (0.7, 0.8, 0.5), (0.7, 0.8, 2.0), (0.7, 0.8, -1.0),
                                   (0.0, 2.0, 0.1), (0.2, 3.0, -0.05)])
def test_fhn_equilibria_match_closed_form_cubic_roots(a, b, I):
    model = FitzHughNagumo(a=a, b=b, I_ext=I)
    eq = model.equilibria()
    expected = _cardano_roots(a, b, I)
    assert eq.shape == (expected.size, 2)
    np.testing.assert_allclose(eq[:, 0], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(eq[:, 1], (expected + a) / b, rtol=0, atol=1e-10)
    assert np.max(np.abs(model.rhs(eq.T))) < 1e-10


def test_fhn_hopf_points_at_analytic_currents():
    # trace J = 1 − v² − eps·b = 0  ⇒  v_H = ±sqrt(1 − eps·b), I_H = v³/3 − v + (v + a)/b
    a, b, eps = 0.7, 0.8, 0.08
    model = FitzHughNagumo(a=a, b=b, eps=eps)
    v_h = np.sqrt(1.0 - eps * b) * np.array([-1.0, 1.0])
    analytic = v_h**3 / 3.0 - v_h + (v_h + a) / b

    def trace(I):
        (state,) = model.equilibria({"I_ext": I})  # b < 1: exactly one equilibrium
        return np.trace(model.jacobian(state, {"I_ext": I}))

    grid = np.linspace(-1.0, 3.0, 81)
    tr = np.array([trace(I) for I in grid])
    crossings = np.flatnonzero(tr[:-1] * tr[1:] < 0)
    assert crossings.size == 2
    found = np.array([brentq(trace, grid[i], grid[i + 1], xtol=1e-14, rtol=1e-15) for i in crossings])
    np.testing.assert_allclose(found, analytic, rtol=0, atol=1e-8)
    # at each Hopf point the eigenvalues are purely imaginary
    for I in found:
        lam = np.linalg.eigvals(model.jacobian(model.equilibria({"I_ext": I})[0], {"I_ext": I}))
        assert np.max(np.abs(lam.real)) < 1e-7 and np.min(np.abs(lam.imag)) > 0.1


def test_fhn_jacobian_matches_finite_differences():
    model = FitzHughNagumo(I_ext=0.4)
    rng = np.random.default_rng(7)
    for y in rng.uniform(-2.5, 2.5, (20, 2)):
        np.testing.assert_allclose(model.jacobian(y), finite_difference_jacobian(model, y), rtol=1e-7, atol=1e-9)
