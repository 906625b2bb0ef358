"""Generalized flips (GPD) on PD curves and the PD normal-form coefficient, against a model whose
answers are exact (issue 12 items 3 and 4).

The model: a cycle u² + w² = 1 of period 2π (ω = 1) and a plane y = (y₁, y₂) carried around it
half a turn per period. With e(θ) = (cos θ/2, sin θ/2), P = e eᵀ = ½[[1 + u, w], [w, 1 − u]] on the
cycle and ξ = e·y, q = yᵀPy = ξ²,

    ẏ = (ω/2) J y + L(q) P y − (I − P) y,   L(q) = β − γ/2 + (γ − 0.2) q + δ q²,

which in the co-rotating frame is exactly ξ̇ = L(ξ²) ξ, η̇ = −η on the invariant cycle y = 0. So the
multiplier along e is −exp(2π(β − γ/2)): period doubling on the line β = γ/2; the flip's normal
form is dξ/dt = (γ − 0.2) ξ³ with the unit eigenfunction v = e (∫₀¹⟨v, v⟩dτ = 1), and the flip
is degenerate (GPD) at γ = 0.2, β = 0.1 (δ = −1 its quintic coefficient). The doubled cycles
(period 4π) satisfy L(ξ²) = 0, on the side β < γ/2 when γ > 0.2 (subcritical) and β > γ/2 when
γ < 0.2 (supercritical).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import hhdyn
from analysis import switch_branch
from analysis.cycles import continue_cycles
from analysis.cycles.normal_form import cycle_normal_form
from analysis.cycles.pd_curves import continue_pd

RHS = {"u": "u*(1 - u**2 - w**2) - omega*w", "w": "w*(1 - u**2 - w**2) + omega*u",
       "y1": "-0.5*omega*y2 + L*P1 - (y1 - P1)", "y2": "0.5*omega*y1 + L*P2 - (y2 - P2)"}
FIXED = {"P1": "0.5*((1 + u)*y1 + w*y2)", "P2": "0.5*(w*y1 + (1 - u)*y2)", "q": "y1*P1 + y2*P2",
         "L": "beta - 0.5*gamma + (gamma - 0.2)*q + delta*q**2"}


def twisted(gamma):
    return hhdyn.equations(RHS, {"beta": -0.3, "gamma": gamma, "delta": -1.0, "omega": 1.0},
                           {"u": 1.0, "w": 0.0}, fixed=FIXED, stimulus=None, name="twisted cycle")


def flip_branch(model):
    """The invariant cycle continued in β from β = −0.3 (an exact periodic start: four periods)."""
    t = np.linspace(0.0, 8.0 * np.pi, 4001)
    y = np.vstack([np.cos(t), np.sin(t), 0.0 * t, 0.0 * t])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return continue_cycles((t, y), model, "beta", window=(-0.3, 0.8))


@pytest.mark.parametrize("gamma", [0.6, 0.2 + 1e-3, -0.5])
def test_pd_point_and_its_coefficient_are_exact(gamma):
    """The PD at β = γ/2 (to 1e-8), c = γ − 0.2 (to 1e-8), criticality and the doubled cycles'
    side as the closed form says."""
    model = twisted(gamma)
    branch = flip_branch(model)
    (pd,) = branch.points("PD")
    assert pd.param == pytest.approx(0.5 * gamma, abs=1e-8)
    nf = cycle_normal_form(pd, branch, model)
    assert nf["pd_coefficient"] == pytest.approx(gamma - 0.2, abs=1e-8)
    assert nf["criticality"] == ("subcritical" if gamma > 0.2 else "supercritical")
    assert nf["pd_direction"] == (-1 if gamma > 0.2 else 1)


@pytest.mark.parametrize("gamma", [0.6, -0.5])
def test_doubled_cycles_lie_where_the_normal_form_says(gamma):
    """Switching at the PD onto the period-4π cycles: every orbit has |u| = 1 and L(ξ²) = 0 (to
    1e-6), and while ξ² < |γ − 0.2|/2 (before the quintic term can fold the doubled branch back, as
    it does at ξ² = 0.2 for γ = 0.6) they lie on the side ``pd_direction`` names."""
    model = twisted(gamma)
    branch = flip_branch(model)
    (pd,) = branch.points("PD")
    direction = cycle_normal_form(pd, branch, model)["pd_direction"]
    doubled = switch_branch(pd, model, branch=branch, window=(-1.0, 1.5), max_points=30)
    assert np.allclose(doubled.period, 4.0 * np.pi, rtol=1e-8)
    near = 0
    for i in range(1, len(doubled.param)):
        y, u = doubled.profiles[i][:, 2:], doubled.profiles[i][:, :2]
        xi2 = np.sum(y**2, axis=1)  # |y|² = ξ² (η = 0 on the doubled cycle)
        L = doubled.param[i] - 0.5 * gamma + (gamma - 0.2) * xi2 - xi2**2
        assert np.max(np.abs(L)) < 1e-6 and np.max(np.abs(np.sum(u**2, axis=1) - 1.0)) < 1e-8
        if np.max(xi2) < 0.5 * abs(gamma - 0.2):
            near += 1
            assert np.sign(doubled.param[i] - pd.param) == direction, (i, doubled.param[i], np.max(xi2))
    assert near >= 3


def test_pd_curve_has_the_exact_gpd():
    """The PD curve in (β, γ) from γ = 0.6 is the line β = γ/2 (to 1e-10) and carries one GPD, at
    (0.1, 0.2) to 1e-8, where the coefficient c vanishes."""
    model = twisted(0.6)
    branch = flip_branch(model)
    (pd,) = branch.points("PD")
    curve = continue_pd(model, pd, "gamma", param="beta", branch=branch, window=(-1.0, 1.0), window2=(-0.5, 1.0))
    assert curve.status >= 0, curve.message
    assert np.max(np.abs(curve.param - 0.5 * curve.param2)) < 1e-10
    assert curve.param2.min() < 0.0 and curve.param2.max() > 0.5
    (gpd,) = [p for p in curve.special_points if p.kind == "GPD"]
    assert gpd.param == pytest.approx(0.1, abs=1e-8) and gpd.info["gamma"] == pytest.approx(0.2, abs=1e-8)
    assert abs(gpd.info["pd_coefficient"]) < 1e-8
    assert gpd.converged
