"""Rate families: exact values at the removable singularity, derivatives, expressions."""
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hhdyn import squid_gates
from hhdyn.rates import (ConstantRate, Emitter, ExpLinearRate, ExpRate, FunctionRate, InfTauRate, SechRate,
                         SigmoidRate, TanhRate, explin, explin_deriv)

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


# --------------------------------------------------------------------------- one source per family


def _old_explin_value(A, Vh, k, V):
    """The textbook value A·x/(1 − e^(−x)) in 50-digit arithmetic (A at x = 0)."""
    x = (mpmath.mpf(V) - Vh) / k
    return float(A if x == 0 else A * x / (1 - mpmath.exp(-x)))


def _old_explin_deriv(A, Vh, k, V):
    """d/dV of A·x/(1 − e^(−x)) in 50-digit arithmetic (A/(2k) at x = 0)."""
    x = (mpmath.mpf(V) - Vh) / k
    if x == 0:
        return A / (2 * k)
    return float(A / k * (1 - (1 + x) * mpmath.exp(-x)) / (1 - mpmath.exp(-x)) ** 2)


EXPLIN_RATES = [ExpLinearRate(1.0, -40.0, 10.0), ExpLinearRate(0.1, -55.0, 10.0), ExpLinearRate(1.0, -25.0, -10.0)]
# a grid through every singular point, both sides of the series switch |x| = 0.1, and far tails
V_GRID = np.unique(np.concatenate([
    np.linspace(-150.0, 100.0, 251),
    *[r.V_half + r.k * np.array([-0.1 - 1e-9, -0.1, -1e-3, -1e-9, 0.0, 1e-9, 1e-3, 0.1, 0.1 + 1e-9])
      for r in EXPLIN_RATES],
]))


def test_exp_linear_values_and_derivatives_equal_the_textbook_forms_to_1e_12():
    with mpmath.workdps(50):
        for rate in EXPLIN_RATES:
            old = np.array([_old_explin_value(rate.A, rate.V_half, rate.k, v) for v in V_GRID])
            dold = np.array([_old_explin_deriv(rate.A, rate.V_half, rate.k, v) for v in V_GRID])
            np.testing.assert_allclose(rate(V_GRID), old, rtol=1e-12, atol=0)
            np.testing.assert_allclose(rate.deriv(V_GRID), dold, rtol=1e-12, atol=1e-300)


def test_explin_matches_scipy_exprel():
    from scipy.special import exprel

    x = np.concatenate([np.linspace(-30, 30, 601), [-0.1, -1e-8, 0.0, 1e-8, 0.1]])
    np.testing.assert_allclose(explin(x), 1.0 / exprel(-x), rtol=1e-14)
    assert explin_deriv(0.0) == 0.5


def _run_source(rate, V, with_deriv):
    """Evaluate the source a rate emits for the kernels with NumPy scalars (fexp = np.exp;
    division by zero gives inf/nan as in the kernels' numpy error model)."""
    em = Emitter("z")
    if with_deriv:
        value, deriv = rate.source_with_deriv("V", em)
        result = f"({value}, {deriv})"
    else:
        result = rate.source("V", em)
    code = "\n".join(em.lines + [f"result_ = {result}"])
    namespace = {"fexp": np.exp, "abs": abs, "V": np.float64(V)}
    with np.errstate(all="ignore"):
        exec(code, namespace)
    return namespace["result_"]


FAMILIES = {
    "exp": ExpRate(0.125, -65.0, -80.0),
    "sig": SigmoidRate(1.0, -35.0, 10.0),
    "explin": ExpLinearRate(0.1, -55.0, 10.0),
    "explin_neg": ExpLinearRate(1.0, -25.0, -10.0),
    "const": ConstantRate(0.3),
    "tanh": TanhRate(1.0, -1.2, 18.0),
    "sech": SechRate(1.0 / 0.067, 2.0, 30.0),
    "inf_tau_open": InfTauRate(SigmoidRate(1.0, -50.0, 10.0), ExpRate(5.0, -60.0, 40.0), True),
    "inf_tau_close": InfTauRate(TanhRate(1.0, -50.0, 10.0), SechRate(5.0, -60.0, 20.0), False),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_emitted_source_equals_the_numpy_value_and_derivative(family):
    rate = FAMILIES[family]
    for v in V_GRID:
        value = _run_source(rate, float(v), False)
        value2, deriv = _run_source(rate, float(v), True)
        assert value == pytest.approx(float(rate(v)), rel=1e-12, abs=1e-300)
        assert value2 == pytest.approx(float(rate(v)), rel=1e-12, abs=1e-300)
        assert float(deriv) == pytest.approx(float(rate.deriv(v)), rel=1e-10, abs=1e-14)


def test_tanh_and_sech_families_equal_the_morris_lecar_closed_forms():
    """m∞ = ½(1 + tanh((V − V₁)/V₂)) and τ = 1/(φ cosh((V − V₃)/(2V₄))) with their derivatives,
    against the closed forms in 50-digit arithmetic (Morris–Lecar parameters of Rinzel & Ermentrout)."""
    V1, V2, V3, V4, phi = -1.2, 18.0, 2.0, 30.0, 0.067
    m_inf, tau = TanhRate(1.0, V1, V2), SechRate(1.0 / phi, V3, V4)
    V = np.linspace(-80.0, 60.0, 281)
    with mpmath.workdps(50):
        ref = np.array([[float(f(mpmath.mpf(v))) for v in V] for f in (
            lambda v: (1 + mpmath.tanh((v - V1) / V2)) / 2,
            lambda v: 1 / (phi * mpmath.cosh((v - V3) / (2 * V4))),
            lambda v: mpmath.sech((v - V1) / V2) ** 2 / (2 * V2),
            lambda v: -mpmath.sinh((v - V3) / (2 * V4)) / (2 * V4 * phi * mpmath.cosh((v - V3) / (2 * V4)) ** 2),
        )])
    np.testing.assert_allclose(m_inf(V), ref[0], rtol=1e-14)
    np.testing.assert_allclose(tau(V), ref[1], rtol=1e-14)
    np.testing.assert_allclose(m_inf.deriv(V), ref[2], rtol=1e-13)
    np.testing.assert_allclose(tau.deriv(V), ref[3], rtol=1e-12, atol=1e-15)
