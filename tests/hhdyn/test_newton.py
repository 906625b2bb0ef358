"""The one Newton for equilibria and the one batched Jacobian (hhdyn.newton)."""
from __future__ import annotations

import numpy as np
import pytest

import hhdyn
from hhdyn.newton import batch_jacobian, solve_equilibria
from hhdyn.protocol import ODEModel, finite_difference_jacobian
from reductions import FitzHughNagumo


class _Cubic(ODEModel):
    """x' = p − x³ + x, y' = −y: for p = 0 the equilibria are x ∈ {−1, 0, 1}, y = 0."""

    state_names = ("x", "y")

    def __init__(self):
        super().__init__({"p": 0.0})

    def rhs(self, y, params=None):
        p = self._resolve(params)["p"]
        x, yy = np.asarray(y, dtype=float)
        return np.stack([p - x**3 + x, -yy])

    def jacobian(self, y, params=None):
        x = np.asarray(y, dtype=float)[0]
        zero = 0.0 * x
        return np.array([[1.0 - 3 * x**2, zero], [zero, zero - 1.0]])


def test_single_start_converges_to_the_analytic_root():
    res = solve_equilibria(_Cubic(), [1.3, 0.2], tol=1e-14)
    assert res.converged and res.y.shape == (2,)
    np.testing.assert_allclose(res.y, [1.0, 0.0], atol=1e-13)
    assert res.residual <= 1e-14


def test_many_starts_at_once_find_all_three_roots():
    starts = np.array([[-1.4, 0.1, 1.6], [0.3, -0.2, 0.5]])
    res = solve_equilibria(_Cubic(), starts, tol=1e-14)
    assert res.y.shape == (2, 3) and np.all(res.converged)
    np.testing.assert_allclose(res.y[0], [-1.0, 0.0, 1.0], atol=1e-13)


def test_fhn_equilibrium_matches_the_cubic_formula():
    """FHN: v − v³/3 − w + I = 0, w = (v + a)/b; the real root of the cubic by numpy.roots."""
    fhn = FitzHughNagumo()
    a, b = fhn.params["a"], fhn.params["b"]
    I = 0.5
    coeffs = [-1.0 / 3.0, 0.0, 1.0 - 1.0 / b, I - a / b]
    roots = np.roots(coeffs)
    v = float(roots[np.abs(roots.imag) < 1e-12].real[0])
    res = solve_equilibria(fhn, [0.0, 0.0], {"I_ext": I})
    assert res.converged
    np.testing.assert_allclose(res.y, [v, (v + a) / b], atol=1e-10)


def test_batch_jacobian_axis_order_and_values():
    hh = hhdyn.HodgkinHuxley()
    rng = np.random.default_rng(1)
    Y = np.stack([rng.uniform(-80, 20, 5), rng.uniform(0, 1, 5), rng.uniform(0, 1, 5), rng.uniform(0, 1, 5)])
    J = batch_jacobian(hh, Y)
    assert J.shape == (5, 4, 4)
    for k in range(5):
        fd = finite_difference_jacobian(hh, Y[:, k])
        np.testing.assert_allclose(J[k], fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="shape"):
        batch_jacobian(_Cubic(), np.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        solve_equilibria(_Cubic(), np.zeros((2, 2, 2)))
