"""fit_h_n_relation (h ≈ c + slope·n on the HH limit cycle) and fhn_from (FHN in HH units)."""
import warnings

import numpy as np
import pytest

from hhdyn import HodgkinHuxley, finite_difference_jacobian
from reductions import FitzHughNagumoHH, fhn_from, fit_h_n_relation, h_plus_n, v_nullcline

HH = HodgkinHuxley()
PLANAR = h_plus_n(HH)


@pytest.fixture(scope="module")
def hn_fit():
    return fit_h_n_relation(HH, I_ext=10.0)


def test_fitted_h_n_line_on_hh_limit_cycle(hn_fit):
    # measured: c ≈ 0.871, slope ≈ −1.074, rms ≈ 0.012 (HH at 10 µA/cm², 3 cycles)
    assert abs(hn_fit.slope + 1.0) < 0.3
    assert 0.7 < hn_fit.c < 1.0
    assert hn_fit.rms_residual < 0.03
    assert hn_fit.r_squared > 0.95
    assert 13.0 < hn_fit.period_ms < 16.0  # HH fires at ≈ 68 Hz at 10 µA/cm²
    # the coefficients are the least-squares solution: residuals orthogonal to (1, n)
    residual = hn_fit.h - (hn_fit.c + hn_fit.slope * hn_fit.n)
    assert abs(np.mean(residual)) < 1e-10
    assert abs(np.mean(residual * hn_fit.n)) < 1e-10
    # the fitted constants give a valid 2D reduction
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = h_plus_n(HH, c=hn_fit.c, slope=hn_fit.slope)
    assert model.state_names == ("V", "n")


def test_fit_h_n_relation_rejects_quiet_current_and_bad_state():
    with pytest.raises(ValueError, match="I_ext"):
        fit_h_n_relation(HH, I_ext=0.0, transient_ms=20.0, n_cycles=1)
    with pytest.raises(ValueError, match="h: 'q'"):
        fit_h_n_relation(HH, h="q")
    with pytest.raises(ValueError, match="n_cycles"):
        fit_h_n_relation(HH, n_cycles=0)


def test_v_nullcline_is_a_zero_of_dV_dt():
    V = np.linspace(-70.0, 40.0, 50)
    n = v_nullcline(PLANAR, V)
    assert np.all(np.isfinite(n))
    assert np.max(np.abs(PLANAR.rhs(np.stack([V, n]))[0])) < 1e-9
    # below ≈ −72 mV the nullcline leaves [0, 1]
    assert np.isnan(v_nullcline(PLANAR, [-85.0])[0])


def test_fhn_from_h_plus_n_fits_nullclines_and_reports_residuals():
    fit = fhn_from(PLANAR, V_window=(-70.0, 40.0))
    model = fit.model
    p = model.params
    # the cubic is anchored at the lower knee of the V-nullcline: value and zero slope there
    k = int(np.argmin(fit.v_nullcline[: fit.V.size // 2]))
    u = (fit.V - p["V_mid"]) / p["V_scale"]
    cubic = FitzHughNagumoHH._cubic(p, u)
    assert abs(cubic[k] - fit.v_nullcline[k]) < 1e-12
    assert abs(FitzHughNagumoHH._cubic_deriv(p, u[k])) < 1e-12
    assert p["p3"] < 0  # N-shaped
    # the residuals reported are the ones of the fitted curves
    np.testing.assert_allclose(fit.cubic_rms, np.sqrt(np.mean((cubic - fit.v_nullcline) ** 2)), rtol=1e-12)
    assert 0.0 < fit.cubic_rms < 0.2 and fit.cubic_max >= fit.cubic_rms
    assert 0.0 < fit.linear_rms < 0.2
    # the line passes through the 2D model's rest, and the caricature rests within 1 mV of it
    rest2d = PLANAR.resting_state()
    assert abs(p["q0"] + p["q1"] * (rest2d[0] - p["V_mid"]) / p["V_scale"] - rest2d[1]) < 1e-12
    rest = model.resting_state()
    assert abs(rest[0] - rest2d[0]) < 1.0
    # time scales from the 2D Jacobian at rest
    J = PLANAR.jacobian(rest2d)
    assert fit.gamma == pytest.approx(-J[0, 1]) and fit.tau_w == pytest.approx(-1.0 / J[1, 1])


def test_fhn_hh_units_model_equilibria_and_jacobian():
    model = fhn_from(PLANAR).model
    for I in (0.0, 4.0, 20.0):
        eq = model.equilibria({"I_ext": I})
        assert eq.shape[0] >= 1
        assert np.max(np.abs(model.rhs(eq.T, {"I_ext": I}))) < 1e-9
    rng = np.random.default_rng(11)
    for y in np.column_stack([rng.uniform(-80, 40, 15), rng.uniform(0, 1, 15)]):
        np.testing.assert_allclose(model.jacobian(y), finite_difference_jacobian(model, y), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.dfdp(model.resting_state(), "I_ext"), [1.0, 0.0])


def test_fhn_from_bad_input():
    with pytest.raises(ValueError, match="V_window"):
        fhn_from(PLANAR, V_window=(40.0, -70.0))
    with pytest.raises(ValueError, match="V_window"):
        fhn_from(PLANAR, V_window=(-90.0, 40.0))  # nullcline leaves [0, 1]
    with pytest.raises(ValueError, match="method"):
        fhn_from(PLANAR, method="lstsq")  # the plain cubic fit is not N-shaped for this model
    with pytest.raises(ValueError, match="model2d"):
        fhn_from(HH)
