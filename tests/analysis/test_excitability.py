"""Excitability experiments on HH: thresholds, rheobase, refractoriness, F–I, anode break."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from analysis.excitability import (  # noqa: E402
    RefractoryProtocol,
    action_potential,
    anode_break,
    fi_curve,
    refractory_periods,
    rheobase,
    strength_duration,
    threshold,
)
from hhdyn import HodgkinHuxley  # noqa: E402
from hhdyn.simulation import simulate  # noqa: E402
from hhdyn.stimuli import Step  # noqa: E402

HH = HodgkinHuxley()


def _spikes_tight(amplitude, duration, t_end):
    """Independent trial: the core's simulate() at rtol 1e-10, 0 mV crossing detection."""
    traj = simulate(HH, t_end, stimulus=Step(0.0, duration, amplitude), rtol=1e-10, atol=1e-11, dt=0.01)
    return traj.spike_times().size > 0


def _brute_force_threshold(duration, t_end, hi, coarse, fine):
    """Scan amplitudes upward: coarse grid from 0 to ``hi``, then a fine grid in the bracket."""
    grid = np.arange(0.0, hi + 1e-12, coarse)
    first = next(a for a in grid if _spikes_tight(a, duration, t_end))
    for a in np.arange(first - coarse, first + 1e-12, fine):
        if _spikes_tight(a, duration, t_end):
            return a
    raise AssertionError("scan found no threshold")


@pytest.mark.slow
def test_pulse_threshold_agrees_with_brute_force_scan():
    tol = 0.02
    result = threshold(HH, 1.0, tol=tol, observe_ms=20.0)
    assert result.bracket[1] - result.bracket[0] <= tol
    scan = _brute_force_threshold(1.0, 21.0, hi=10.0, coarse=1.0, fine=tol)
    # scan gives the first grid amplitude that spikes: the threshold lies in (scan − tol, scan]
    assert scan - tol - 1e-9 <= result.amplitude <= scan + tol + 1e-9
    assert 6.8 < result.amplitude < 7.05  # HH, 1 ms pulse: 6.92 µA/cm²


@pytest.mark.slow
def test_rheobase_agrees_with_brute_force_scan():
    tol = 0.01
    result = rheobase(HH, duration_ms=50.0, tol=tol)
    scan = _brute_force_threshold(50.0, 50.0, hi=4.0, coarse=0.5, fine=tol)
    assert scan - tol - 1e-9 <= result.amplitude <= scan + tol + 1e-9


def test_long_step_rheobase_of_hh_is_2_24():
    result = rheobase(HH)  # 100 ms step, bisection to 1e-3
    assert abs(result.amplitude - 2.24) <= 0.01
    assert result.bracket[1] - result.bracket[0] <= 1e-3
    # at rheobase the step gives a single spike, not repetitive firing
    traj = simulate(HH, 100.0, stimulus=Step(0.0, 100.0, result.amplitude + 0.05))
    assert traj.spike_times().size == 1
    assert "long step" in result.protocol and "100 ms" in result.protocol
    ax = result.plot()
    assert len(ax.lines) == 2
    plt.close(ax.figure)


def test_refractory_periods_of_hh_and_stated_protocol():
    result = refractory_periods(HH)
    assert 2.0 <= result.absolute_ms <= 8.0  # measured 5.52 ms after the conditioning spike
    assert 10.0 <= result.relative_end_ms <= 30.0  # measured 14.1 ms
    assert result.absolute_ms < result.relative_end_ms
    p = result.protocol
    assert (p.conditioning_duration_ms, p.test_duration_ms, p.ceiling_factor) == (1.0, 1.0, 10.0)
    text = result.description
    for phrase in ("conditioning pulse 1 ms", "test pulse 1 ms", "ceiling", "measured from the conditioning spike"):
        assert phrase in text
    # independent spot checks of the definitions with simulate(): just inside/outside the periods
    t_s = result.conditioning_spike_ms
    cond = Step(0.0, 1.0, 2.0 * result.control_threshold)

    def second_spike(delta, amplitude):
        stim = cond + Step(t_s + delta, 1.0, amplitude)
        return simulate(HH, t_s + delta + 21.0, stimulus=stim, rtol=1e-9, atol=1e-10).spike_times().size >= 2

    ceiling = 10.0 * result.control_threshold
    assert not second_spike(result.absolute_ms - 0.1, ceiling)
    assert second_spike(result.absolute_ms + 0.1, ceiling)
    assert not second_spike(result.relative_end_ms - 0.3, 1.05 * result.control_threshold)
    assert second_spike(result.relative_end_ms + 0.3, 1.05 * result.control_threshold)
    ax = result.plot()
    plt.close(ax.figure)


def test_refractory_protocol_is_validated():
    with pytest.raises(ValueError, match="ceiling_factor"):
        RefractoryProtocol(ceiling_factor=0.5)
    with pytest.raises(ValueError, match="test_duration_ms"):
        RefractoryProtocol(test_duration_ms=0.0)


def test_fi_rate_at_100_counts_small_oscillations():
    curve = fi_curve(HH, currents=[100.0], sweep="up", settle_ms=60.0, measure_ms=100.0)
    assert 140.0 <= curve.rate_up[0] <= 155.0  # measured 147.3 Hz
    # these oscillations do not overshoot 0 mV: a 0 mV crossing detector would count none
    traj = simulate(HH.with_params(I_ext=100.0), 100.0, rtol=1e-6, atol=1e-7)
    late = traj.t > 50.0
    assert traj.V[late].max() < 0.0
    assert traj.spike_times(threshold=0.0).size == 0


@pytest.mark.slow
def test_fi_hysteresis_band_and_class_2_onset():
    currents = [5.5, 6.0, 6.5, 8.0, 9.5, 10.0, 10.5]
    curve = fi_curve(HH, currents=currents)
    lo, hi = curve.bistable_band
    assert 6.0 <= lo <= 6.5 and 9.5 <= hi <= 10.0  # band within [6, 10] containing [6.5, 9.5]
    assert curve.lowest_rate > 40.0  # class 2: no low rates (measured ≈ 55 Hz at 6.5)
    assert curve.onset_current == 10.0  # subcritical Hopf at 9.78
    assert curve.offset_current == 6.5  # fold of limit cycles at 6.26
    assert curve.rate_up[currents.index(9.5)] == 0.0 and curve.rate_down[currents.index(9.5)] > 40.0
    # rates on both sweeps agree where both fire (the same limit cycle)
    both = (curve.rate_up > 0) & (curve.rate_down > 0)
    np.testing.assert_allclose(curve.rate_up[both], curve.rate_down[both], rtol=1e-3)
    ax = curve.plot()
    assert ax.get_xlabel().startswith("I_ext")
    plt.close(ax.figure)


def test_fi_curve_bad_input():
    with pytest.raises(ValueError, match="start"):
        fi_curve(HH, 10.0, 5.0)
    with pytest.raises(ValueError, match="start"):
        fi_curve(HH, 5.0, 5.0)
    with pytest.raises(ValueError, match="currents"):
        fi_curve(HH, currents=[3.0, 2.0])
    with pytest.raises(ValueError, match="step"):
        fi_curve(HH, 0.0, 5.0, 0.0)
    with pytest.raises(ValueError, match="sweep"):
        fi_curve(HH, 0.0, 5.0, sweep="sideways")


@pytest.mark.parametrize("duration", [0.0, -1.0, float("nan")])
def test_threshold_rejects_non_positive_duration(duration):
    with pytest.raises(ValueError, match="duration_ms"):
        threshold(HH, duration)


def test_threshold_reports_failure_to_spike():
    with pytest.raises(ValueError, match="max_amplitude"):
        threshold(HH, 1.0, max_amplitude=2.0)


def test_strength_duration_rheobase_and_chronaxie():
    result = strength_duration(HH, durations_ms=(0.2, 0.5, 1.0, 2.0, 5.0), rel_tol=1e-2, observe_ms=15.0)
    assert np.all(np.diff(result.thresholds) < 0)  # shorter pulses need more current
    assert np.all(np.diff(result.charge) > 0)  # ... but less charge
    assert abs(result.rheobase - 2.24) < 0.03
    # the chronaxie is where the threshold is twice the rheobase (log-log interpolation)
    assert 1.0 < result.chronaxie_ms < 2.0
    i = np.searchsorted(result.durations_ms, result.chronaxie_ms)
    assert result.thresholds[i - 1] >= 2 * result.rheobase >= result.thresholds[i]
    ax = result.plot()
    plt.close(ax.figure)


def test_anode_break_excitation():
    result = anode_break(HH, amplitude=-10.0, duration_ms=20.0)
    assert result.spiked and 0.0 < result.latency_ms < 15.0
    weak = anode_break(HH, amplitude=-1.0, duration_ms=20.0, find_threshold=False)
    assert not weak.spiked
    # the bisected threshold separates the two behaviours (measured ≈ −2.8 µA/cm²)
    assert -10.0 < result.threshold_amplitude < -1.0
    just_above = anode_break(HH, result.threshold_amplitude - 0.05, 20.0, find_threshold=False)
    just_below = anode_break(HH, result.threshold_amplitude + 0.05, 20.0, find_threshold=False)
    assert just_above.spiked and not just_below.spiked
    with pytest.raises(ValueError, match="amplitude"):
        anode_break(HH, amplitude=5.0)
    ax = result.plot()
    plt.close(ax.figure)


def test_action_potential_shape_matches_independent_trace():
    ap = action_potential(HH, amplitude=14.0, duration_ms=1.0)
    traj = simulate(HH, 20.0, stimulus=Step(0.0, 1.0, 14.0), dt=0.001, rtol=1e-10, atol=1e-11)
    assert ap.peak_mV == pytest.approx(traj.V.max(), abs=0.01)
    half = 0.5 * (traj.V[0] + traj.V.max())
    above = traj.t[traj.V >= half]
    assert ap.half_width_ms == pytest.approx(above[-1] - above[0], abs=0.01)
    assert 35.0 < ap.peak_mV < 45.0 and 1.0 < ap.half_width_ms < 2.0
    assert math.isclose(ap.rest_mV, HH.resting_state()[0])
