"""Neimark–Sacker curves of cycles (issue 12 item 3), against models whose answers are exact.

The models: a cycle u² + w² = 1 + p₁ of period 2π (ω = 1: its radius depends on p₁, so p₁ acts on
the orbit) carrying a plane z = (z₁, z₂) with the linear flow

    ż = (a I + b J) z,   a = (u² + w² − 1) − p₂²/2 = p₁ − p₂²/2 on the cycle,  b = p₂,

so the plane's multipliers are e^{2πa ± 2πi p₂}: the NS curve is p₁ = p₂²/2 with θ = 2πp₂, and it
passes the resonances R4 (θ = π/2) at p₂ = 1/4 and R3 (θ = 2π/3) at p₂ = 1/3. Added to it:

- a state s with ṡ = (p₂ − 0.4 + u² + w² − 1) s, multiplier e^{2π(p₂ − 0.4 + p₁)}: on the NS curve
  it reaches +1 (LPNS) where p₂ + p₂²/2 = 0.4, p₂ = √1.8 − 1;
- or a plane y carried half a turn around the cycle (the twisted bundle of ``test_gpd``), whose
  multiplier along the turning direction is −e^{2π(p₂ − 0.4 + p₁)}: −1 (PDNS) at the same p₂;
- or, with b = 1 and the z-flow [[a, −1], [p₂, a]] (a = p₁ − p₂ on the cycle), θ = 2π√p₂: the
  pair meets at +1 with a Jordan block (R1) at p₁ = p₂ = 0, where the curve ends.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest

import hhdyn
from analysis import continue_ns
from analysis.cycles import continue_cycles

BASE = {"u": "u*(1 + p1 - r2) - w", "w": "w*(1 + p1 - r2) + u", "z1": "a*z1 - p2*z2", "z2": "p2*z1 + a*z2"}
BASE_FIXED = {"r2": "u**2 + w**2", "a": "r2 - 1 - 0.5*p2**2"}
FOLD = {"s": "(p2 - 0.4 + r2 - 1)*s"}
FLIP = {"y1": "-0.5*y2 + L*P1 - (y1 - P1)", "y2": "0.5*y1 + L*P2 - (y2 - P2)"}
FLIP_FIXED = {"c": "u/sqrt(r2)", "s": "w/sqrt(r2)", "P1": "0.5*((1 + c)*y1 + s*y2)",
              "P2": "0.5*(s*y1 + (1 - c)*y2)", "L": "p2 - 0.4 + r2 - 1"}
JORDAN = {"u": BASE["u"], "w": BASE["w"], "z1": "a*z1 - z2", "z2": "p2*z1 + a*z2"}
JORDAN_FIXED = {"r2": "u**2 + w**2", "a": "r2 - 1 - p2"}
P2_FOLD = math.sqrt(1.8) - 1.0  # LPNS / PDNS


def torus_model(rhs, fixed, p2):
    return hhdyn.equations(rhs, {"p1": -0.3, "p2": p2}, {"u": 1.0, "w": 0.0}, fixed=fixed, stimulus=None,
                           name="torus test")


def ns_branch(model):
    """The cycle (radius √0.7 at p₁ = −0.3, z = 0) continued in p₁; its NS point and the branch."""
    n = len(model.state_names)
    t = np.linspace(0.0, 8.0 * np.pi, 4001)
    y = np.zeros((n, t.size))
    y[0], y[1] = math.sqrt(0.7) * np.cos(t), math.sqrt(0.7) * np.sin(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        branch = continue_cycles((t, y), model, "p1", window=(-0.3, 0.3))
    (ns,) = branch.points("NS")
    return ns, branch


def special(curve, kind):
    (pt,) = [s for s in curve.special_points if s.kind == kind]
    return pt


def test_ns_curve_is_the_exact_parabola_with_its_resonances():
    model = torus_model(BASE, BASE_FIXED, 0.3)
    ns, branch = ns_branch(model)
    assert ns.param == pytest.approx(0.045, abs=1e-8)
    curve = continue_ns(model, ns, "p2", param="p1", branch=branch, window2=(0.05, 0.45), ntst=20)
    assert curve.kind == "NS" and curve.status == 0 and curve.message.count("end of the parameter window") == 2
    assert curve.param2.min() == pytest.approx(0.05, abs=1e-10) and curve.param2.max() == pytest.approx(0.45, abs=1e-10)
    assert np.max(np.abs(curve.param - 0.5 * curve.param2**2)) < 1e-8
    assert np.max(np.abs(curve.theta - 2.0 * np.pi * curve.param2)) < 1e-8
    for mu, theta in zip(curve.multipliers, curve.theta):  # the pair e^{±iθ} is among the multipliers
        assert np.min(np.abs(mu - np.exp(1j * theta))) < 1e-8 and np.min(np.abs(mu - np.exp(-1j * theta))) < 1e-8
    for kind, p2 in (("R4", 0.25), ("R3", 1.0 / 3.0)):
        pt = special(curve, kind)
        assert pt.info["p2"] == pytest.approx(p2, abs=1e-8) and pt.param == pytest.approx(0.5 * p2**2, abs=1e-8)
    assert {s.kind for s in curve.special_points} == {"R3", "R4"}
    assert "theta_rad" in curve._columns()


@pytest.mark.parametrize("extra, fixed, kind", [(FOLD, {}, "LPNS"), (FLIP, FLIP_FIXED, "PDNS")])
def test_fold_ns_and_flip_ns_are_exact(extra, fixed, kind):
    model = torus_model({**BASE, **extra}, {**BASE_FIXED, **fixed}, 0.3)
    ns, branch = ns_branch(model)
    curve = continue_ns(model, ns, "p2", param="p1", branch=branch, window2=(0.05, 0.45), ntst=20)
    pt = special(curve, kind)
    assert pt.info["p2"] == pytest.approx(P2_FOLD, abs=1e-8)
    assert pt.param == pytest.approx(0.5 * P2_FOLD**2, abs=1e-8)
    assert pt.info["theta"] == pytest.approx(2.0 * np.pi * P2_FOLD, abs=1e-8)
    assert kind not in {s.kind for s in curve.special_points if s is not pt}


def test_ns_curve_ends_at_the_one_to_one_resonance():
    model = torus_model(JORDAN, JORDAN_FIXED, 0.09)
    ns, branch = ns_branch(model)
    assert ns.param == pytest.approx(0.09, abs=1e-7)
    curve = continue_ns(model, ns, "p2", param="p1", branch=branch, window2=(-0.1, 0.2), ntst=20)
    assert curve.status == 0 and "1:1 resonance (R1" in curve.message
    r1 = special(curve, "R1")
    assert r1.index in (0, len(curve.param) - 1)  # the curve's end
    assert abs(r1.param) < 1e-8 and abs(r1.info["p2"]) < 1e-8 and abs(r1.info["theta"]) < 1e-8
    far = np.abs(curve.param2) > 1e-3  # θ = 2π√p₂ loses digits as √ near the end
    assert np.max(np.abs(curve.theta[far] - 2.0 * np.pi * np.sqrt(curve.param2[far]))) < 1e-8
    assert np.max(np.abs(curve.param - curve.param2)) < 1e-8
    assert np.all((curve.theta >= 0.0) & (curve.theta <= np.pi))


def test_bad_input_is_refused_naming_it():
    model = torus_model(BASE, BASE_FIXED, 0.3)
    ns, branch = ns_branch(model)
    with pytest.raises(ValueError, match="ns_point must be a Neimark–Sacker point.*'PD'"):
        continue_ns(model, dataclasses.replace(ns, kind="PD"), "p2", param="p1", branch=branch)
    with pytest.raises(ValueError, match="gK"):
        continue_ns(model, ns, "gK", param="p1", branch=branch)
    with pytest.raises(ValueError, match=r"detect: unknown kind\(s\) \['GPD'\]"):
        continue_ns(model, ns, "p2", param="p1", branch=branch, detect=("GPD",))
    jordan = torus_model(JORDAN, JORDAN_FIXED, 0.09)
    ns_j, branch_j = ns_branch(jordan)
    with pytest.raises(ValueError, match="no complex pair of multipliers"):  # p₂ < 0: the z-plane's are real
        continue_ns(jordan.with_params(p2=-0.01), ns_j, "p2", param="p1", branch=branch_j)
