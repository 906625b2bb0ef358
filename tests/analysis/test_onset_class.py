"""Excitability class from an F–I curve: the onset power-law fit on analytic data."""
from types import SimpleNamespace

import numpy as np
import pytest

from analysis import excitability_class, fit_onset_power_law


def curve(currents, rates, name="synthetic"):
    return SimpleNamespace(currents=np.asarray(currents, float), rate_up=np.asarray(rates, float), model_name=name)


def test_square_root_law_is_recovered_exactly():
    I_c, a = 0.16, 95.0
    currents = np.array([0.15, 0.1605, 0.162, 0.165, 0.17, 0.18])
    rates = np.where(currents > I_c, a * np.sqrt(np.clip(currents - I_c, 0, None)), 0.0)
    result = excitability_class(curve(currents, rates))
    assert result.excitability_class == 1
    assert result.exponent == pytest.approx(0.5, abs=1e-6)
    assert result.I_c == pytest.approx(I_c, abs=1e-8)
    assert result.amplitude == pytest.approx(a, rel=1e-5)
    assert result.onset_bracket == (0.15, 0.1605)
    assert "class 1" in result.message


def test_a_jump_to_a_finite_rate_is_class_2():
    currents = np.arange(5.0, 15.5, 0.5)
    rates = np.where(currents >= 10.0, 68.0 + 1.5 * (currents - 10.0), 0.0)
    result = excitability_class(curve(currents, rates))
    assert result.excitability_class == 2 and result.lowest_rate_hz == pytest.approx(68.0)
    assert result.onset_bracket == (9.5, 10.0)


def test_bad_curves():
    with pytest.raises(ValueError, match="no current .* fires"):
        excitability_class(curve([0, 1, 2], [0, 0, 0]))
    with pytest.raises(ValueError, match="start it below the onset"):
        excitability_class(curve([0, 1, 2], [3, 4, 5]))
    with pytest.raises(ValueError, match="bracket"):
        fit_onset_power_law([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], (1.5, 2.0))


# ---------------------------------------------------------------------- the class from the bifurcation
def test_bifurcation_class_of_each_onset_kind():
    from analysis import bifurcation_class

    for kind, rate, cls in (("SNIC", 0.0, 1), ("HOM", 0.0, 1), ("H", 12.0, 2), ("LPC", 53.0, 2)):
        assert bifurcation_class(SimpleNamespace(kind=kind, rate_hz=rate)) == cls
    with pytest.raises(ValueError, match="kind 'PD'"):
        bifurcation_class(SimpleNamespace(kind="PD", rate_hz=1.0))
    with pytest.raises(ValueError, match="inconsistent"):
        bifurcation_class(SimpleNamespace(kind="SNIC", rate_hz=3.0))


def _steady_rate(model, I, y0, t_end=3000.0, t_settle=1000.0):
    """Spikes per second after ``t_settle`` ms, by scipy's LSODA on model.rhs (V crossing −20 mV upwards)."""
    from scipy.integrate import solve_ivp

    def up(t, y):
        return y[0] + 20.0
    up.direction = 1
    sol = solve_ivp(lambda t, y: model.rhs(y, {"I_ext": I}), (0.0, t_end), y0, method="LSODA", rtol=1e-8,
                    atol=1e-9, events=up, first_step=0.01, max_step=0.5)
    times = sol.t_events[0][sol.t_events[0] > t_settle]
    return 1000.0 * (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 else 0.0


def test_compare_reports_hh_class_2_and_wang_buzsaki_class_1():
    import hhdyn
    from analysis import compare

    hh, wb = hhdyn.HodgkinHuxley(), hhdyn.WangBuzsaki()
    result = compare(hh, wb, refractory=False, fi_currents=np.arange(0.0, 12.0 + 1e-9, 0.5))
    row = result.row("excitability class (1: SNIC/HOM onset, 2: H/LPC)")
    assert (row.full, row.reduced) == (2.0, 1.0), result.message
    assert "excitability class" in result.table()
    onset_hh, onset_wb = result.results["full"]["firing_onset"], result.results["reduced"]["firing_onset"]
    # independently, by simulation just above each onset: HH jumps to a finite rate (bistable there: start on
    # the stable orbit nearest that current), WB fires slowly (its rest is gone)
    lc = onset_hh.branch
    i = int(np.argmin(np.where(lc.stable, np.abs(lc.param - (onset_hh.onset + 0.05)), np.inf)))
    assert _steady_rate(hh, onset_hh.onset + 0.05, lc.profiles[i][0]) > 30.0
    assert 0.0 < _steady_rate(wb, onset_wb.onset + 0.001, wb.resting_state(), t_end=6000.0) < 5.0


def test_fi_curve_reports_its_onset_class():
    import hhdyn
    from analysis import fi_curve

    fi = fi_curve(hhdyn.WangBuzsaki(), currents=[0.15, 0.162, 0.17, 0.2], sweep="up", settle_ms=200.0,
                  measure_ms=1500.0, ramp_rate=0.001)
    result = fi.onset_class()
    assert result.excitability_class == 1 and result.onset_bracket == (0.15, 0.162)
