"""Rate families: exact values at the removable singularity, derivatives, expressions."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhdyn import squid_gates
from hhdyn.rates import ConstantRate, ExpLinearRate, ExpRate, FunctionRate, SigmoidRate

GATES = squid_gates()


def test_exp_linear_exact_at_singular_points():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert GATES["m"].alpha(-40.0) == 1.0
        assert GATES["n"].alpha(-55.0) == 0.1
        values = GATES["m"].alpha(np.array([-40.0, -40.0 + 1e-12, -40.0 - 1e-12]))
    assert values.shape == (3,)
    np.testing.assert_allclose(values, [1.0, 1.0, 1.0], rtol=1e-12)


def test_exp_linear_matches_textbook_formula_away_from_singularity():
    V = np.array([-100.0, -70.0, -41.0, -39.0, 0.0, 60.0])
    textbook = 0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10))
    np.testing.assert_allclose(GATES["m"].alpha(V), textbook, rtol=1e-13)


def test_exp_linear_derivative_is_smooth_through_singularity():
    rate = ExpLinearRate(1.0, -40.0, 10.0)
    assert rate.deriv(-40.0) == pytest.approx(1.0 / 20.0, rel=1e-15)  # A/(2k)
    V = -40.0 + np.array([-1.1, -1.0 - 1e-12, -1.0 + 1e-12, -1e-9, 1e-9, 1.0 - 1e-12, 1.0 + 1e-12, 1.1])
    d = rate.deriv(V)
    # continuous across the series/closed-form switch at |x| = 0.1
    assert abs(d[1] - d[2]) < 1e-13 and abs(d[5] - d[6]) < 1e-13


@settings(max_examples=300, deadline=None)
@given(V=st.floats(-150.0, 100.0), family=st.sampled_from(["exp", "sig", "explin", "explin_neg"]))
def test_derivatives_match_central_differences(V, family):
    rate = {
        "exp": ExpRate(0.125, -65.0, -80.0),
        "sig": SigmoidRate(1.0, -35.0, 10.0),
        "explin": ExpLinearRate(0.1, -55.0, 10.0),
        "explin_neg": ExpLinearRate(1.0, -25.0, -10.0),
    }[family]
    h = 1e-4
    fd = (rate(V + h) - rate(V - h)) / (2 * h)
    roundoff = 1e-15 * max(1.0, abs(float(rate(V)))) / h  # error of the difference quotient itself
    assert rate.deriv(V) == pytest.approx(fd, rel=1e-6, abs=10 * roundoff)


def test_no_warnings_at_extreme_voltages():
    V = np.array([-1e4, -500.0, 500.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for rate in (SigmoidRate(1.0, -35.0, 10.0), ExpLinearRate(0.1, -55.0, 10.0), ExpLinearRate(1, -25, -10)):
            assert np.all(np.isfinite(rate(V[1:3])))
            rate.deriv(V)


@pytest.mark.parametrize("rate", [ExpRate(4.0, -65.0, -18.0), SigmoidRate(1.0, -35.0, 10.0),
                                  ExpLinearRate(0.1, -55.0, 10.0), ConstantRate(2.5)])
def test_expression_evaluates_to_the_same_value(rate):
    V = np.linspace(-90, 40, 7)
    value = eval(rate.expression("V"), {"exp": np.exp, "V": V})
    np.testing.assert_allclose(value, rate(V), rtol=1e-12)


def test_function_rate_and_bad_scale():
    rate = FunctionRate(lambda V: 0.01 * V**2, text="0.01*V**2")
    assert rate.deriv(3.0) == pytest.approx(0.06, rel=1e-6)
    assert rate.expression("v") == "0.01*v**2"
    with pytest.raises(ValueError, match="k"):
        ExpRate(1.0, 0.0, 0.0)
