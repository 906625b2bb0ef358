"""simulate(): accuracy against independent integrations, spikes, stimuli, errors, CSV."""
import csv

import numpy as np
import pytest

from hhdyn import HodgkinHuxley, HodgkinHuxley1952, to_modern_voltage
from hhdyn.simulation import SimulationError, simulate
from hhdyn.stimuli import Constant, Function, OrnsteinUhlenbeck, PulseTrain, Ramp, Step, WhiteNoise

HH = HodgkinHuxley()


@pytest.mark.slow
def test_repetitive_firing_at_10_uA_matches_a_tight_dop853_run():
    traj = simulate(HH, 1000.0, stimulus=Constant(10.0))
    rate = traj.firing_rate(200.0, 1000.0)
    assert 67.0 <= rate <= 70.0
    peaks = traj.spike_peaks()
    spikes = traj.spike_times()
    # the action potential from rest peaks at 40.26 mV; once firing is periodic h no longer
    # recovers fully between spikes and the peaks settle at 30.43 mV (an independent textbook
    # implementation integrated with DOP853 gives the same two numbers)
    assert 38.0 <= peaks[0] <= 43.0
    late_peaks = peaks[spikes >= 200.0]
    assert late_peaks.size > 40
    np.testing.assert_allclose(late_peaks, 30.43, atol=0.02)
    reference = simulate(HH, 1000.0, stimulus=Constant(10.0), method="DOP853", rtol=1e-10, atol=1e-10)
    assert spikes.size == reference.spike_times().size
    np.testing.assert_allclose(spikes, reference.spike_times(), atol=2e-3)


def test_default_start_is_rest_and_rest_stays_rest():
    traj = simulate(HH, 50.0)
    np.testing.assert_allclose(traj.y[:, 0], HH.resting_state())
    assert np.ptp(traj.V) < 1e-6
    assert traj.spike_times().size == 0


def test_1952_convention_maps_exactly_onto_modern_trajectory():
    modern = simulate(HH, 30.0, stimulus=Step(2.0, 1.0, 10.0), rtol=1e-12, atol=1e-12, method="DOP853")
    old = simulate(HodgkinHuxley1952(), 30.0, stimulus=Step(2.0, 1.0, -10.0), rtol=1e-12, atol=1e-12,
                   method="DOP853")
    assert modern.spike_times().size == 1
    np.testing.assert_allclose(to_modern_voltage(old.V), modern.V, rtol=0, atol=1e-6)
    np.testing.assert_allclose(old.y[1:], modern.y[1:], rtol=0, atol=1e-8)


def test_step_breakpoints_are_respected():
    # a 0.05 ms pulse shorter than the solver's natural step must still be felt
    short = simulate(HH, 10.0, stimulus=Step(2.0, 0.05, 400.0))
    assert short.spike_times().size == 1


def test_currents_and_csv(tmp_path):
    traj = simulate(HH, 5.0, stimulus=Step(1.0, 1.0, 20.0), dt=0.1)
    currents = traj.currents()
    assert set(currents) == {"Na", "K", "L"}
    np.testing.assert_allclose(currents["L"], 0.3 * (traj.V + 54.387))
    path = tmp_path / "out.csv"
    traj.to_csv(path, currents=True)
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["t_ms", "V_mV", "m", "h", "n", "I_applied_uA_per_cm2", "I_Na_uA_per_cm2", "I_K_uA_per_cm2",
                       "I_L_uA_per_cm2"]
    assert len(rows) == traj.t.size + 1
    assert float(rows[15][5]) == pytest.approx(20.0)  # t = 1.4 ms is inside the step
    assert not list(tmp_path.glob(".out.csv*"))  # no temporary left behind


def test_blow_up_names_the_time_and_the_state():
    with pytest.raises(SimulationError, match=r"t = .* ms.*'V'"):
        simulate(HH, 10.0, y0=[-65.0, 0.05, 0.6, 0.3], stimulus=Function(lambda t: 1e308 * (t > 1)), method="RK45")


def test_bad_arguments():
    with pytest.raises(ValueError, match="t_end"):
        simulate(HH, -5.0)
    with pytest.raises(ValueError, match="method"):
        simulate(HH, 5.0, method="Euler")
    with pytest.raises(ValueError, match="y0"):
        simulate(HH, 5.0, y0=[0.0, 0.1])
    with pytest.raises(ValueError, match="duration"):
        Step(1.0, -2.0, 3.0)


def test_stimuli_values_and_sums():
    t = np.array([0.0, 1.0, 1.5, 2.0, 3.2, 10.0])
    np.testing.assert_allclose(Step(1.0, 1.0, 2.0)(t), [0, 2, 2, 0, 0, 0])
    train = PulseTrain(onset=1.0, width=0.5, interval=2.0, amplitude=3.0, count=2)
    np.testing.assert_allclose(train(t), [0, 3, 0, 0, 3, 0])
    assert train.breakpoints() == (1.0, 1.5, 3.0, 3.5)
    ramp = Ramp(onset=1.0, duration=2.0, start=0.0, stop=4.0, hold=True)
    np.testing.assert_allclose(ramp(t), [0, 0, 1, 2, 4, 4])
    total = Step(1.0, 1.0, 2.0) + 1.0 + (lambda s: s)
    np.testing.assert_allclose(total(t), Step(1.0, 1.0, 2.0)(t) + 1.0 + t)


def test_noise_is_seeded_and_has_the_stated_statistics():
    ou = OrnsteinUhlenbeck(mean=2.0, sigma=1.5, tau=5.0, dt=0.1, seed=3)
    t = np.arange(0.0, 20000.0, 0.1)
    x = ou(t)
    np.testing.assert_array_equal(x, OrnsteinUhlenbeck(mean=2.0, sigma=1.5, tau=5.0, dt=0.1, seed=3)(t))
    assert x.mean() == pytest.approx(2.0, abs=0.15)
    assert x.std() == pytest.approx(1.5, rel=0.05)
    lag = int(5.0 / 0.1)  # autocorrelation at one tau is exp(-1)
    r = np.corrcoef(x[:-lag], x[lag:])[0, 1]
    assert r == pytest.approx(np.exp(-1.0), abs=0.05)
    w = WhiteNoise(intensity=2.0, dt=0.01, seed=1)(np.arange(0, 1000.0, 0.01))
    assert w.std() == pytest.approx(2.0 / np.sqrt(0.01), rel=0.03)
    noisy = simulate(HH, 20.0, stimulus=OrnsteinUhlenbeck(0.0, 1.0, 2.0, seed=0))
    assert np.ptp(noisy.V) > 0.1
