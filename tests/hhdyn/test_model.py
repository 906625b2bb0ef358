"""The conductance-based model layer and the squid-axon model."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhdyn import (Channel, ConductanceModel, ExpRate, Gate, HodgkinHuxley, HodgkinHuxley1952, SigmoidRate,
                   ConstantRate, finite_difference_jacobian, squid_gates)
from hhdyn.protocol import ODEModel
from reductions import fast_m, h_plus_n

HH = HodgkinHuxley()


def test_resting_potential_modern_convention():
    rest = HH.resting_state()
    assert rest[0] == pytest.approx(-65.00, abs=0.05)
    np.testing.assert_allclose(HH.rhs(rest), 0.0, atol=1e-10)
    gates = HH.steady_state(rest[0])
    np.testing.assert_allclose(rest[1:], [gates["m"], gates["h"], gates["n"]], rtol=1e-14)


def test_parameters_and_defaults():
    p = HH.params
    assert (p.C, p.gNa, p.gK, p.gL, p.ENa, p.EK, p.EL, p.T, p.I_ext) == (1, 120, 36, 0.3, 50, -77, -54.387, 6.3, 0)
    assert HH.state_names == ("V", "m", "h", "n")
    warm = HodgkinHuxley(T=16.3)
    V = np.array([-60.0, 0.0])
    np.testing.assert_allclose(warm.time_constant(V)["n"] * 3.0, HH.time_constant(V)["n"], rtol=1e-14)


def _row_relative_error(J, J_fd):
    scale = np.max(np.abs(J_fd), axis=1, keepdims=True)
    return np.max(np.abs(J - J_fd) / np.where(scale > 0, scale, 1.0))


states = st.tuples(st.floats(-100.0, 60.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))


@settings(max_examples=1000, deadline=None)
@given(state=states, I_ext=st.floats(-20, 200), T=st.floats(0, 30))
def test_jacobian_matches_central_differences(state, I_ext, T):
    model = HH.with_params(I_ext=I_ext, T=T)
    y = np.array(state)
    assert _row_relative_error(model.jacobian(y), finite_difference_jacobian(model, y)) < 1e-6


@settings(max_examples=200, deadline=None)
@given(state=states)
def test_reduced_jacobians_match_central_differences(state):
    V, m, h, n = state
    for model, y in ((fast_m(HH), np.array([V, h, n])), (h_plus_n(HH), np.array([V, n]))):
        assert _row_relative_error(model.jacobian(y), finite_difference_jacobian(model, y)) < 1e-6


def test_dfdp_matches_finite_differences_for_every_parameter():
    y = np.array([-52.0, 0.2, 0.5, 0.4])
    for model, state in ((HH, y), (h_plus_n(HH), y[[0, 3]])):
        for name in model.params:
            exact = model.dfdp(state, name)
            numeric = ODEModel.dfdp(model, state, name)
            np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-9, err_msg=name)


def test_rhs_and_jacobian_are_vectorized():
    rng = np.random.default_rng(1)
    Y = np.vstack([rng.uniform(-90, 40, 5), rng.uniform(0, 1, (3, 5))])
    F, J = HH.rhs(Y), HH.jacobian(Y)
    assert F.shape == (4, 5) and J.shape == (4, 4, 5)
    for k in range(5):
        np.testing.assert_allclose(F[:, k], HH.rhs(Y[:, k]), rtol=1e-14)
        np.testing.assert_allclose(J[:, :, k], HH.jacobian(Y[:, k]), rtol=1e-14)


def test_rhs_is_the_textbook_hh_equation():
    V, m, h, n = -50.0, 0.1, 0.5, 0.4
    I = 3.0
    dV = I - 120 * m**3 * h * (V - 50) - 36 * n**4 * (V + 77) - 0.3 * (V + 54.387)
    am = 0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10))
    bm = 4 * np.exp(-(V + 65) / 18)
    np.testing.assert_allclose(HH.with_params(I_ext=I).rhs([V, m, h, n])[:2], [dV, am * (1 - m) - bm * m], rtol=1e-13)


def test_with_params_validates_names_and_values():
    with pytest.raises(ValueError, match="'gNaa'"):
        HH.with_params(gNaa=1.0)
    with pytest.raises(ValueError, match="'C'"):
        HH.with_params(C=-1.0)
    with pytest.raises(ValueError, match="'gK'"):
        HodgkinHuxley(gK=-3)
    with pytest.raises(ValueError, match="'I_ext'"):
        HH.with_params(I_ext=float("nan"))
    assert HH.params.I_ext == 0.0  # immutable: the original is unchanged
    with pytest.raises(AttributeError):
        HH.params.I_ext = 3.0


def test_adding_an_a_type_potassium_channel_is_a_few_lines():
    gates = squid_gates()
    a = Gate("a", SigmoidRate(0.1, -50.0, 10.0), SigmoidRate(0.1, -50.0, -10.0))
    b = Gate.from_inf_tau("b", SigmoidRate(1.0, -70.0, -6.0), ConstantRate(20.0))
    neuron = ConductanceModel(
        [
            Channel("Na", 120.0, 50.0, ((gates["m"], 3), (gates["h"], 1))),
            Channel("K", 20.0, -77.0, ((gates["n"], 4),)),
            Channel("A", 47.7, "EK", ((a, 3), (b, 1))),
            Channel("L", 0.3, -54.387),
        ],
        name="HH + A-current",
    )
    assert neuron.state_names == ("V", "m", "h", "n", "a", "b")
    assert "gA" in neuron.params and "EA" not in neuron.params
    y = neuron.resting_state()
    np.testing.assert_allclose(neuron.rhs(y), 0.0, atol=1e-9)
    assert _row_relative_error(neuron.jacobian(y), finite_difference_jacobian(neuron, y)) < 1e-6
    # the A-current shares EK: moving EK moves its driving force
    currents = neuron.with_params(EK=-80.0).channel_currents(y)
    assert currents["A"] == pytest.approx(47.7 * y[4] ** 3 * y[5] * (y[0] + 80.0))


def test_inf_tau_gate_has_the_declared_steady_state_and_time_constant():
    x_inf = SigmoidRate(1.0, -40.0, 5.0)
    gate = Gate.from_inf_tau("x", x_inf, ExpRate(2.0, -40.0, 50.0), q10=1.0)
    V = np.linspace(-90, 30, 9)
    np.testing.assert_allclose(gate.steady_state(V), x_inf(V), rtol=1e-13)
    np.testing.assert_allclose(gate.time_constant(V), 2.0 * np.exp((V + 40) / 50), rtol=1e-13)
    # its rate of change, computed as (x∞ − x)/τ, is α(1 − x) − βx of its declared rates
    x = np.linspace(0.0, 1.0, 9)
    rate = gate.alpha(V) * (1.0 - x) - gate.beta(V) * x
    np.testing.assert_allclose(gate.kinetics(V, x), rate, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gate.kinetics(V, x), (x_inf(V) - x) / (2.0 * np.exp((V + 40) / 50)), rtol=1e-13)


def test_bad_declarations_are_rejected():
    gates = squid_gates()
    with pytest.raises(ValueError, match="EX"):
        ConductanceModel([Channel("K", 1.0, "EX", ((gates["n"], 4),))])
    with pytest.raises(ValueError, match="power"):
        Channel("K", 1.0, -77.0, ((gates["n"], 0),))
    other_n = Gate("n", ExpRate(1.0, 0.0, 10.0), ExpRate(1.0, 0.0, -10.0))
    with pytest.raises(ValueError, match="'n'"):
        ConductanceModel([Channel("K", 1.0, -77.0, ((gates["n"], 4),)), Channel("K2", 1.0, -77.0, ((other_n, 1),))])


def test_1952_convention_rest_and_parameters():
    old = HodgkinHuxley1952()
    rest = old.resting_state()
    assert rest[0] == pytest.approx(-(HH.resting_state()[0] + 65.0), abs=1e-9)
    np.testing.assert_allclose(rest[1:], HH.resting_state()[1:], rtol=1e-9)


# --------------------------------------------------------------------------- input checks (issue 16)
def test_temperature_below_absolute_zero_is_refused_naming_T():
    with pytest.raises(ValueError, match=r"'T'.*absolute zero"):
        HodgkinHuxley(T=-300.0)
    with pytest.raises(ValueError, match=r"'T'.*absolute zero"):
        HH.with_params(T=-273.16)
    HH.with_params(T=-273.15)  # absolute zero itself is a temperature


def test_temperature_that_makes_the_rates_non_finite_is_refused_naming_T():
    with pytest.raises(ValueError, match=r"parameter 'T' = 1000000.0 .*non-finite"):
        HodgkinHuxley(T=1e6)
    with pytest.raises(ValueError, match=r"parameter 'T'"):
        HH.with_params(T=1e6)


@pytest.mark.parametrize("shape", [(3,), (5,), (3, 7), (5, 2), ()])
def test_rhs_and_jacobian_refuse_a_state_of_the_wrong_shape(shape):
    y = np.zeros(shape)
    for f in (HH.rhs, HH.jacobian, HH.ionic_current):
        with pytest.raises(ValueError, match=r"shape \(4,\) or \(4, N\)"):
            f(y)


def test_check_state_refuses_gates_outside_the_unit_interval_and_bad_shapes():
    rest = HH.resting_state()
    np.testing.assert_array_equal(HH.check_state(rest), rest)
    with pytest.raises(ValueError, match=r"gate 'h' must lie in \[0, 1\]"):
        HH.check_state([-65.0, 0.05, 1.2, 0.3])
    with pytest.raises(ValueError, match=r"gate 'm'.*-0.1"):
        HH.check_state([-65.0, -0.1, 0.6, 0.3])
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        HH.check_state([-65.0, 0.05, 0.6])
    with pytest.raises(ValueError, match="finite"):
        HH.check_state([np.nan, 0.05, 0.6, 0.3])
    # a reduced model checks only its dynamic gates (fast-m has states V, h, n)
    fm = fast_m(HH)
    fm.check_state([-65.0, 0.6, 0.3])
    with pytest.raises(ValueError, match=r"gate 'n'"):
        fm.check_state([-65.0, 0.6, 1.3])


@pytest.mark.parametrize("make", [lambda: HH, lambda: fast_m(HH), lambda: h_plus_n(HH)])
def test_ionic_current_is_the_sum_of_channel_currents_and_its_slope_a_difference_quotient(make):
    model = make()
    y = np.vstack([np.linspace(-90, 30, 7)] + [np.linspace(0.1, 0.9, 7)] * (model.n_states - 1))
    I, G = model.ionic_current(y, slope=True)
    np.testing.assert_allclose(I, sum(model.channel_currents(y).values()), rtol=1e-14, atol=1e-12)
    h = 1e-5
    up, down = y.copy(), y.copy()
    up[0] += h
    down[0] -= h
    fd = (model.ionic_current(up) - model.ionic_current(down)) / (2 * h)
    np.testing.assert_allclose(G, fd, rtol=1e-7, atol=1e-8)
    # per-column parameter arrays (as a cable passes them) give the same as one column at a time
    p = {k: np.full(7, v) for k, v in model.params.items()}
    p["gK"] = np.linspace(10, 50, 7)
    I_arr = model.ionic_current(y, p)
    for j in range(7):
        assert I_arr[j] == pytest.approx(float(model.ionic_current(y[:, j], {"gK": p["gK"][j]})), rel=1e-14)
