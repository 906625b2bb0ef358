"""First Lyapunov coefficient against closed forms."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import hhdyn
from analysis.continuation import continue_equilibria
from analysis.lyapunov import first_lyapunov_coefficient, multilinear_B, multilinear_C
from hhdyn.protocol import ODEModel


class _PlanarPolynomial(ODEModel):
    """x' = α x − ω y + P(x, y),  y' = ω x + α y + Q(x, y), P and Q polynomials (degree ≤ 3).

    ``P`` and ``Q`` are dicts {(i, j): coefficient} of monomials xⁱ yʲ; rhs and Jacobian exact.
    """

    state_names = ("x", "y")
    name = "planar polynomial"

    def __init__(self, P, Q, omega=1.0, alpha=0.0):
        self.P, self.Q = dict(P), dict(Q)
        super().__init__({"omega": omega, "alpha": alpha})

    @staticmethod
    def _poly(c, x, y, dx=0, dy=0):
        out = 0.0 * x
        for (i, j), a in c.items():
            if i < dx or j < dy:
                continue
            coef = a * math.perm(i, dx) * math.perm(j, dy)
            out = out + coef * x ** (i - dx) * y ** (j - dy)
        return out

    def rhs(self, u, params=None):
        p = self._resolve(params)
        x, y = np.asarray(u, dtype=float)
        return np.stack([p["alpha"] * x - p["omega"] * y + self._poly(self.P, x, y),
                         p["omega"] * x + p["alpha"] * y + self._poly(self.Q, x, y)])

    def jacobian(self, u, params=None):
        p = self._resolve(params)
        x, y = np.asarray(u, dtype=float)
        return np.array([
            [p["alpha"] + self._poly(self.P, x, y, 1, 0), -p["omega"] + self._poly(self.P, x, y, 0, 1)],
            [p["omega"] + self._poly(self.Q, x, y, 1, 0), p["alpha"] + self._poly(self.Q, x, y, 0, 1)],
        ])


@pytest.mark.parametrize("a, b, omega", [(-0.3, 0.8, 1.7), (0.25, -1.0, 0.4), (1.5, 0.0, 3.0), (-2e-3, 0.1, 1.0)])
def test_normal_form(a, b, omega):
    """ż = iωz + c₁'z|z|² in real form (x, y) with c₁' = a + ib: l1 = 2a/ω (⟨q,q⟩ = 1)."""
    P = {(3, 0): a, (1, 2): a, (2, 1): -b, (0, 3): -b}
    Q = {(3, 0): b, (1, 2): b, (2, 1): a, (0, 3): a}
    nf = first_lyapunov_coefficient(_PlanarPolynomial(P, Q, omega), [0.0, 0.0])
    assert abs(nf.omega - omega) < 1e-12
    assert abs(nf.l1 - 2 * a / omega) < 1e-6 * max(1.0, abs(2 * a / omega))
    assert nf.criticality == ("subcritical" if a > 0 else "supercritical")


def _guckenheimer_holmes(P, Q, omega):
    """Closed-form a of Guckenheimer & Holmes (3.4.11) for x' = −ωy + f, y' = ωx + g:

    16a = f_xxx + f_xyy + g_xxy + g_yyy + (1/ω)[f_xy(f_xx + f_yy) − g_xy(g_xx + g_yy) − f_xx g_xx + f_yy g_yy].
    """
    def d(c, i, j):  # ∂^{i+j}/∂x^i∂y^j at the origin = i! j! c_ij
        return math.factorial(i) * math.factorial(j) * c.get((i, j), 0.0)

    f, g = P, Q
    cubic = d(f, 3, 0) + d(f, 1, 2) + d(g, 2, 1) + d(g, 0, 3)
    quad = (d(f, 1, 1) * (d(f, 2, 0) + d(f, 0, 2)) - d(g, 1, 1) * (d(g, 2, 0) + d(g, 0, 2))
            - d(f, 2, 0) * d(g, 2, 0) + d(f, 0, 2) * d(g, 0, 2))
    return (cubic + quad / omega) / 16.0


@pytest.mark.parametrize("seed", range(6))
def test_general_planar_system_against_guckenheimer_holmes(seed):
    """Random quadratic + cubic terms: l1 = 2a/ω with a from the closed form (to 1e-6)."""
    rng = np.random.default_rng(seed)
    monomials = [(i, j) for i, j in itertools.product(range(4), repeat=2) if 2 <= i + j <= 3]
    P = {m: float(rng.normal()) for m in monomials}
    Q = {m: float(rng.normal()) for m in monomials}
    omega = float(rng.uniform(0.3, 3.0))
    nf = first_lyapunov_coefficient(_PlanarPolynomial(P, Q, omega), [0.0, 0.0])
    expected = 2.0 * _guckenheimer_holmes(P, Q, omega) / omega
    assert abs(nf.l1 - expected) < 1e-6 * max(1.0, abs(expected))


def test_multilinear_forms_exact_for_cubic():
    P = {(2, 0): 1.0, (1, 1): -2.0, (3, 0): 0.5, (1, 2): 1.5}
    Q = {(0, 2): 3.0, (2, 1): -1.0, (0, 3): 2.0}
    model = _PlanarPolynomial(P, Q)
    x0 = np.array([0.3, -0.2])
    u, v, w = np.array([1.0, 2.0]), np.array([-0.5, 1.0]), np.array([0.7, 0.1])
    # exact forms from the polynomial coefficients
    def second(c, x, y):
        H = np.array([[model._poly(c, x, y, 2, 0), model._poly(c, x, y, 1, 1)],
                      [model._poly(c, x, y, 1, 1), model._poly(c, x, y, 0, 2)]])
        return H
    B = np.array([u @ second(c, *x0) @ v for c in (P, Q)])
    assert np.allclose(multilinear_B(model, x0, u, v), B, atol=1e-8)
    def third(c):
        T = np.zeros((2, 2, 2))
        for i, j, k in itertools.product(range(2), repeat=3):
            nx = (i == 0) + (j == 0) + (k == 0)
            T[i, j, k] = model._poly(c, 0.0, 0.0, nx, 3 - nx)
        return T
    Cx = np.array([np.einsum("ijk,i,j,k", third(c), u, v, w) for c in (P, Q)])
    assert np.allclose(multilinear_C(model, x0, u, v, w), Cx, atol=1e-7)


def test_hh_l1_independent_of_finite_difference_steps():
    """HH's l1 at both Hopf points is stable to 1e-6 (relative) under a change of FD steps."""
    import analysis.lyapunov as ly

    model = hhdyn.HodgkinHuxley()
    branch = continue_equilibria(model, "I_ext", (0.0, 200.0))
    for h in branch.points("H"):
        ref = first_lyapunov_coefficient(model, h.state, {"I_ext": h.param}).l1
        old = ly._H_B, ly._H_C
        try:
            ly._H_B, ly._H_C = 3e-4, 1e-3
            other = first_lyapunov_coefficient(model, h.state, {"I_ext": h.param}).l1
        finally:
            ly._H_B, ly._H_C = old
        assert abs(other - ref) < 1e-6 * abs(ref)
        assert ref == h.info["l1"]
