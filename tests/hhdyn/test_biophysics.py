"""Nernst/GHK potentials and the passive RC membrane against closed forms."""
import math

import numpy as np
import pytest

from hhdyn.biophysics import ghk_potential, nernst, passive_membrane, passive_step_response, thermal_voltage
from hhdyn.simulation import simulate
from hhdyn.stimuli import Step


def test_nernst_potassium_in_the_squid_axon():
    assert nernst(400.0, 20.0, z=1, celsius=6.3) == pytest.approx(-72.14, abs=0.02)


def test_nernst_scales_with_valence_and_temperature():
    assert nernst(1e-4, 2.0, z=2, celsius=37.0) == pytest.approx(thermal_voltage(37.0) / 2 * math.log(2e4))
    assert thermal_voltage(20.0) == pytest.approx(25.26, abs=0.01)


@pytest.mark.parametrize("ion, inside, outside, z", [("K", 400.0, 20.0, 1), ("Na", 50.0, 440.0, 1),
                                                      ("Cl", 40.0, 560.0, -1)])
def test_ghk_equals_nernst_for_one_permeant_ion(ion, inside, outside, z):
    others = {"K": (400.0, 20.0), "Na": (50.0, 440.0), "Cl": (40.0, 560.0)}
    perm = {name: (1.0 if name == ion else 0.0) for name in others}
    v = ghk_potential(perm, {k: c[0] for k, c in others.items()}, {k: c[1] for k, c in others.items()})
    assert v == pytest.approx(nernst(inside, outside, z=z), rel=1e-12)


def test_ghk_lies_between_the_nernst_potentials():
    v = ghk_potential({"K": 1.0, "Na": 0.04}, {"K": 400.0, "Na": 50.0}, {"K": 20.0, "Na": 440.0})
    assert nernst(400, 20) < v < nernst(50, 440)


def test_bad_concentrations():
    with pytest.raises(ValueError, match="c_in"):
        nernst(0.0, 20.0)
    with pytest.raises(ValueError, match="valence"):
        ghk_potential({"Ca": 1.0}, {"Ca": 1e-4}, {"Ca": 2.0}, valence={"Ca": 2})


def test_passive_step_response_matches_the_analytic_curve():
    C, g, E = 1.0, 0.3, -65.0
    model = passive_membrane(C, g, E)
    traj = simulate(model, 40.0, stimulus=Step(5.0, 20.0, 2.0), rtol=1e-12, atol=1e-12, method="DOP853")
    exact = passive_step_response(traj.t, C=C, g=g, E=E, amplitude=2.0, onset=5.0, duration=20.0)
    np.testing.assert_allclose(traj.V, exact, rtol=1e-6)
    # closed-form facts: V∞ = E + I/g, τ = C/g
    assert exact[np.searchsorted(traj.t, 24.99)] == pytest.approx(E + 2.0 / g * (1 - math.exp(-20 / (C / g))), rel=1e-4)


def test_passive_response_from_an_offset_start():
    t = np.linspace(0, 10, 11)
    V = passive_step_response(t, C=2.0, g=0.5, E=-70.0, amplitude=0.0, V0=-60.0)
    np.testing.assert_allclose(V, -70.0 + 10.0 * np.exp(-t / 4.0), rtol=1e-14)
