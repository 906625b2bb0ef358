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


# ------------------------------------------------------------------ one loop: t0, events, samples, dense output
def test_terminal_spike_event_stops_at_the_first_crossing():
    from hhdyn.spikes import SpikeDetector

    stim = Step(1.0, 1.0, 20.0)
    stopped = simulate(HH, 30.0, stim, events=SpikeDetector(), rtol=1e-10, atol=1e-11)
    full = simulate(HH, 30.0, stim, rtol=1e-10, atol=1e-11, dt=0.001)
    first = full.spike_times()[0]  # linear interpolation of a 1 µs grid: an independent location
    assert stopped.status == 1 and "terminal event" in stopped.message
    assert stopped.t_events[0].size == 1
    assert stopped.t_final == pytest.approx(first, abs=1e-5)
    assert stopped.t_events[0][0] == stopped.t_final
    assert abs(stopped.y_final[0]) < 1e-6  # V = threshold (0 mV) at the event
    np.testing.assert_allclose(stopped.y_events[0][0], stopped.y_final)
    assert stopped.t[-1] <= stopped.t_final and stopped.t.size == stopped.y.shape[1]
    np.testing.assert_allclose(stopped.y, full.y[:, ::10][:, : stopped.t.size], atol=1e-5)


def test_non_terminal_events_record_every_crossing_like_the_sampled_detector():
    def upward(t, y):
        return y[0]

    upward.direction = 1.0
    traj = simulate(HH, 100.0, 10.0, events=[upward], rtol=1e-10, atol=1e-11, dt=0.001)
    assert traj.status == 0 and traj.t_final == 100.0
    sampled = traj.spike_times(hysteresis=0.0)
    assert traj.t_events[0].size == sampled.size >= 5
    np.testing.assert_allclose(traj.t_events[0], sampled, atol=1e-5)


def test_start_time_is_a_pure_time_shift():
    """The equations are autonomous, so starting at t0 with the stimulus shifted by t0 gives the
    same states at the shifted times (exactly, up to the tolerances)."""
    rest = HH.resting_state()
    base = simulate(HH, 30.0, Step(1.0, 1.0, 20.0), rest, rtol=1e-10, atol=1e-11, dt=0.05)
    shifted = simulate(HH, 40.0, Step(11.0, 1.0, 20.0), rest, t0=10.0, rtol=1e-10, atol=1e-11, dt=0.05)
    np.testing.assert_allclose(shifted.t, base.t + 10.0, atol=1e-9)
    np.testing.assert_allclose(shifted.y, base.y, atol=1e-6)
    np.testing.assert_allclose(shifted.spike_times(), base.spike_times() + 10.0, atol=1e-6)


def test_dense_output_and_t_eval_agree():
    stim = Step(1.0, 1.0, 20.0)
    dense = simulate(HH, 20.0, stim, dense_output=True, t_eval=(), rtol=1e-10, atol=1e-11)
    assert dense.t.size == 0
    times = np.array([0.0, 0.3337, 2.5, 7.123, 20.0])
    sampled = simulate(HH, 20.0, stim, t_eval=times, rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(dense.sol(times), sampled.y, atol=1e-6)
    np.testing.assert_allclose(dense.sol(20.0), dense.y_final, atol=1e-9)
    with pytest.raises(ValueError, match="integrated interval"):
        dense.sol(25.0)
    with pytest.raises(ValueError, match="t_eval"):
        simulate(HH, 20.0, t_eval=[0.0, 30.0])


def test_methods_registry():
    from hhdyn.simulation import METHODS, Method

    assert {"LSODA", "BDF", "Radau", "RK45", "RK23", "DOP853", "compiled"} <= set(METHODS)
    assert all(isinstance(m, Method) and m.name == name for name, m in METHODS.items())
    from hhdyn.spikes import SpikeDetector

    with pytest.raises(ValueError, match="does not support events"):
        simulate(HH, 10.0, method="compiled", events=SpikeDetector())
    with pytest.raises(ValueError, match="does not support t0"):
        simulate(HH, 10.0, method="compiled", t0=1.0)


# ------------------------------------------------------------------ answers a user would trust
def test_1952_model_spike_detection_follows_its_sign_convention():
    """v = −(V + 65): the 1952 model's spikes are downward excursions of its state; detection
    works on V = to_modern_voltage(v), so its spikes are those of the modern run."""
    from hhdyn import spikes

    silent = simulate(HodgkinHuxley1952(I_ext=10.0), 100.0)  # I_1952 = +10 hyperpolarizes
    assert silent.spike_times().size == 0
    assert to_modern_voltage(silent.V).max() < -65.0  # hyperpolarized, never near 0 mV
    old = simulate(HodgkinHuxley1952(), 60.0, stimulus=Step(2.0, 40.0, -10.0), rtol=1e-10, atol=1e-11)
    modern = simulate(HH, 60.0, stimulus=Step(2.0, 40.0, 10.0), rtol=1e-10, atol=1e-11)
    mapped = spikes.spike_times(old.t, to_modern_voltage(old.V))
    assert mapped.size == modern.spike_times().size >= 2
    np.testing.assert_allclose(old.spike_times(), mapped, atol=1e-12)
    np.testing.assert_allclose(old.spike_times(), modern.spike_times(), atol=1e-4)
    np.testing.assert_allclose(old.spike_peaks(), modern.spike_peaks(), atol=1e-4)
    from hhdyn.spikes import SpikeDetector

    stopped = simulate(HodgkinHuxley1952(), 60.0, stimulus=Step(2.0, 40.0, -10.0), events=SpikeDetector(),
                       rtol=1e-10, atol=1e-11)
    assert stopped.status == 1 and stopped.t_final == pytest.approx(mapped[0], abs=1e-3)
    assert to_modern_voltage(stopped.y_final[0]) == pytest.approx(0.0, abs=1e-6)


def test_batch_refuses_a_model_whose_potential_is_measured_downward():
    from hhdyn.batch import simulate_batch

    with pytest.raises(ValueError, match="upward crossings.*modern-convention twin"):
        simulate_batch(HodgkinHuxley1952(), 10.0, {"I_ext": [-10.0]})


def test_csv_column_is_the_applied_current_in_the_equations(tmp_path):
    model = HH.with_params(I_ext=10.0)
    traj = simulate(model, 2.0, stimulus=Step(1.0, 0.5, 5.0), y0=HH.resting_state(), dt=0.1)
    np.testing.assert_allclose(traj.I_stim, np.where((traj.t >= 1.0) & (traj.t < 1.5), 5.0, 0.0))
    np.testing.assert_allclose(traj.I_applied, 10.0 + traj.I_stim)
    path = tmp_path / "t.csv"
    traj.to_csv(path)
    rows = list(csv.reader(open(path)))
    column = rows[0].index("I_applied_uA_per_cm2")
    assert [float(r[column]) for r in rows[1:4]] == [10.0, 10.0, 10.0]
    assert float(rows[13][column]) == 15.0  # t = 1.2 ms


def test_unstable_default_start_is_reported():
    from hhdyn.simulation import UnstableStartWarning

    with pytest.warns(UnstableStartWarning, match="unstable"):
        stuck = simulate(HH.with_params(I_ext=10.0), 100.0)
    assert "unstable" in stuck.message and stuck.status == 0
    assert stuck.spike_times().size == 0  # what the warning is about
    # the documented alternatives start from rest at I_ext = 0 and fire repetitively
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        firing = simulate(HH, 100.0, stimulus=10.0)
        kicked = simulate(HH.with_params(I_ext=10.0), 100.0, y0=HH.resting_state())
    assert firing.spike_times().size >= 5 and firing.message == "reached t_end"
    np.testing.assert_allclose(kicked.spike_times(), firing.spike_times(), atol=1e-3)


def test_too_many_samples_are_refused_up_front_and_dt_beyond_t_end_keeps_the_end():
    with pytest.raises(ValueError, match=r"GiB.*budget.*larger dt"):
        simulate(HH, 1e9)
    traj = simulate(HH, 5.0, dt=10.0)
    np.testing.assert_allclose(traj.t, [0.0, 5.0])
    uneven = simulate(HH, 1.005, dt=0.01)
    assert uneven.t[-1] == 1.005


def test_simulation_batch_and_engine_imports_form_a_dag():
    """Module-level imports among the simulation modules have no cycle, and `import hhdyn`
    does not load numba."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    import hhdyn

    root = Path(hhdyn.__file__).parent
    modules = {"simulation": "simulation.py", "batch": "batch.py", "members": "members.py",
               "spikes": "spikes.py", "stimuli": "stimuli.py", "engine": "engine/__init__.py"}
    graph = {}
    for name, rel in modules.items():
        tree = ast.parse((root / rel).read_text())
        targets = set()
        for node in tree.body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.level:
                base = (node.module or "").split(".")[0]
                if rel.startswith("engine/"):
                    base = (node.module or "").split(".")[0] if node.level == 2 else "engine"
                targets.add(base)
        graph[name] = {t for t in targets if t in modules and t != name}
    seen, done = set(), set()

    def visit(node, path):
        assert node not in path, f"import cycle: {' -> '.join(path + [node])}"
        if node in done:
            return
        for nxt in graph[node]:
            visit(nxt, path + [node])
        done.add(node)

    for node in graph:
        visit(node, [])
    out = subprocess.run([sys.executable, "-c", "import sys, hhdyn; print('numba' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
