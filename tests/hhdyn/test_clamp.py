"""Voltage clamp against the closed-form gate solution at fixed V."""
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from hhdyn import HodgkinHuxley
from hhdyn.clamp import voltage_clamp

HH = HodgkinHuxley()


def closed_form_gate(gate, V, V_hold, t):
    x_inf = gate.steady_state(V)
    x0 = gate.steady_state(V_hold)
    return x_inf - (x_inf - x0) * np.exp(-t / gate.time_constant(V, 6.3))


def test_clamp_to_zero_reproduces_m3h_and_n4_kinetics():
    result = voltage_clamp(HH, [0.0], holding=-65.0, duration=25.0)
    gates = HH.gates

    def g_na(t):
        return 120.0 * closed_form_gate(gates["m"], 0.0, -65.0, t) ** 3 * closed_form_gate(gates["h"], 0.0, -65.0, t)

    best = minimize_scalar(lambda t: -g_na(t), bounds=(0.0, 5.0), method="bounded", options={"xatol": 1e-12})
    assert result.peak_conductance["Na"][0] == pytest.approx(-best.fun, rel=1e-6)
    assert result.peak_time["Na"][0] == pytest.approx(best.x, abs=1e-4)
    g_k_end = 36.0 * closed_form_gate(gates["n"], 0.0, -65.0, 25.0) ** 4
    assert result.steady_conductance("K")[0] == pytest.approx(g_k_end, rel=1e-6)
    assert g_k_end == pytest.approx(36.0 * gates["n"].steady_state(0.0) ** 4, rel=1e-6)
    # whole time courses, not only the summary numbers
    after = result.t >= 0
    np.testing.assert_allclose(result.conductances["Na"][0, after], g_na(result.t[after]), rtol=1e-6, atol=1e-9)


def test_clamp_currents_and_holding_period():
    result = voltage_clamp(HH, [-30.0, 20.0], holding=-80.0, duration=5.0, t_hold=2.0)
    assert result.conductances["Na"].shape == (2, result.t.size)
    before = result.t < 0
    np.testing.assert_allclose(result.gates["n"][:, before], HH.gates["n"].steady_state(-80.0))
    i_k = result.currents["K"][1]
    np.testing.assert_allclose(i_k[~before], result.conductances["K"][1, ~before] * (20.0 + 77.0))
    # the sodium current is inward (negative) below ENa, with an earlier and larger peak at +20 mV
    assert np.all(result.currents["Na"][:, ~before] <= 1e-12)
    assert result.peak_time["Na"][1] < result.peak_time["Na"][0]


def test_clamp_bad_input():
    with pytest.raises(ValueError, match="commands"):
        voltage_clamp(HH, [])
    with pytest.raises(ValueError, match="duration"):
        voltage_clamp(HH, [0.0], duration=0.0)
