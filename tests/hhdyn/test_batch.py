"""simulate_batch: accuracy against tight references, spikes, recording, stimuli, failures, validation."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import hhdyn
from hhdyn import spikes
from hhdyn.batch import BatchResult, simulate_batch
from hhdyn.simulation import simulate
from hhdyn.stimuli import Step
from reductions import FitzHughNagumo

HH = hhdyn.HodgkinHuxley()


def _reference_spikes(model, I, t_end, y0, stimulus=None):
    """Spike times (V upward through 0 mV) by DOP853 at rtol = atol = 1e-10 with event location."""
    m = model.with_params(I_ext=I)
    gain = m.dfdp(y0, "I_ext")

    def f(t, y):
        return m.rhs(y) + (gain * stimulus(t) if stimulus is not None else 0.0)

    def event(t, y):
        return y[0]

    event.direction = 1
    edges = [0.0] + ([b for b in stimulus.breakpoints() if 0 < b < t_end] if stimulus else []) + [t_end]
    times, y = [], y0
    for a, b in zip(edges[:-1], edges[1:]):
        sol = solve_ivp(f, (a, b), y, method="DOP853", rtol=1e-10, atol=1e-10, events=event)
        times.extend(sol.t_events[0])
        y = sol.y[:, -1]
    return np.array(times)


@pytest.fixture(scope="module")
def fi_runs():
    """One run per method over the same 40 currents (compiles each kernel once per session)."""
    I = np.linspace(0.0, 40.0, 40)
    return {
        method: simulate_batch(HH, 200.0, {"I_ext": I}, method=method)
        for method in ("dopri5", "rk4", "rush_larsen")
    }


def test_dopri5_spike_times_match_tight_reference():
    """J1-type check: I_ext = 10 from rest, spike times within 0.01 ms of DOP853 at 1e-10."""
    result = simulate_batch(HH, 300.0, {"I_ext": [10.0]})
    ref = _reference_spikes(HH, 10.0, 300.0, HH.resting_state())
    got = result.spike_times[0]
    assert result.spike_counts[0] == ref.size > 15
    assert np.max(np.abs(got - ref)) < 0.01


def test_rk4_spike_times_match_tight_reference():
    result = simulate_batch(HH, 100.0, {"I_ext": [25.0]}, method="rk4", dt=0.01)
    ref = _reference_spikes(HH, 25.0, 100.0, HH.resting_state())
    assert result.spike_counts[0] == ref.size
    assert np.max(np.abs(result.spike_times[0] - ref)) < 1e-3


def test_methods_agree_on_spike_counts(fi_runs):
    dp, rk = fi_runs["dopri5"], fi_runs["rk4"]
    assert np.array_equal(dp.spike_counts, rk.spike_counts)
    assert dp.spike_counts[0] == 0 and dp.spike_counts[-1] > 20  # silent at 0, fast at 40 µA/cm²
    assert not dp.failed.any() and not rk.failed.any()
    assert all(len(s) == c for s, c in zip(dp.spike_times, dp.spike_counts))


def test_counts_match_independent_reference_on_a_subset(fi_runs):
    dp = fi_runs["dopri5"]
    y0 = HH.resting_state()
    for i in (5, 8, 20, 39):  # around the rheobase and well above it
        ref = _reference_spikes(HH, dp.params["I_ext"][i], 200.0, y0)
        assert dp.spike_counts[i] == ref.size
        if ref.size:
            assert np.max(np.abs(dp.spike_times[i] - ref)) < 0.01


def test_rush_larsen_is_first_order_but_close(fi_runs):
    """The fast option: counts within one spike of the accurate method at dt = 0.01 ms."""
    rl, dp = fi_runs["rush_larsen"], fi_runs["dopri5"]
    assert np.max(np.abs(rl.spike_counts - dp.spike_counts)) <= 1
    assert rl.dt == pytest.approx(0.01)


def test_recorded_trace_matches_simulate_and_spike_rule():
    result = simulate_batch(HH, 50.0, {"I_ext": [8.0, 15.0]}, method="rk4", record=0.01)
    assert result.traces.shape == (2, 4, 5001)
    assert result.t[-1] == pytest.approx(50.0)
    traj = simulate(HH.with_params(I_ext=15.0), 50.0, y0=HH.resting_state(), rtol=1e-10, atol=1e-10)
    assert np.max(np.abs(result.traces[1, 0] - traj.V)) < 1e-3  # mV
    # the in-kernel detector and hhdyn.spikes on the recorded samples find the same spikes
    sampled = spikes.spike_times(result.t, result.traces[1, 0])
    assert sampled.size == result.spike_counts[1]
    assert np.max(np.abs(sampled - result.spike_times[1])) < 2e-3
    member = result.trace(1)
    assert member.model.params["I_ext"] == 15.0 and member.V.shape == (5001,)


def test_dopri5_recording_is_interpolated_on_a_uniform_grid():
    result = simulate_batch(HH, 20.0, {"I_ext": [12.0]}, record=0.5)
    assert np.allclose(result.t, np.arange(41) * 0.5)
    traj = simulate(HH.with_params(I_ext=12.0), 20.0, y0=HH.resting_state(), dt=0.5, rtol=1e-10, atol=1e-10)
    assert np.max(np.abs(result.traces[0, 0] - traj.V)) < 0.05


def test_time_dependent_stimulus_matches_simulate():
    stim = Step(10.0, 40.0, 12.0)
    result = simulate_batch(HH, 80.0, {"gK": [36.0, 36.0]}, stimulus=stim, method="rk4", dt=0.005)
    ref = _reference_spikes(HH, 0.0, 80.0, HH.resting_state(), stimulus=stim)
    assert np.all(result.spike_counts == ref.size) and ref.size >= 3
    assert np.max(np.abs(result.spike_times[0] - ref)) < 0.01


def test_initial_states_per_member():
    rest = HH.resting_state()
    kicked = rest.copy()
    kicked[0] = -45.0  # a suprathreshold kick: one spike, then back to rest
    y0 = np.column_stack([rest, kicked])
    result = simulate_batch(HH, 30.0, y0=y0, method="rk4")
    assert list(result.spike_counts) == [0, 1]


def test_fitzhugh_nagumo_batch_matches_simulate():
    fhn = FitzHughNagumo()
    I = np.array([0.0, 0.5, 1.0])
    result = simulate_batch(fhn, 200.0, {"I_ext": I}, threshold=1.0, hysteresis=1.0)
    for i, current in enumerate(I):
        traj = simulate(fhn.with_params(I_ext=current), 200.0, y0=fhn.resting_state(), rtol=1e-10, atol=1e-10)
        ref = traj.spike_times(threshold=1.0, hysteresis=1.0, variable="v")
        assert result.spike_counts[i] == ref.size
        if ref.size:
            assert np.max(np.abs(result.spike_times[i] - ref)) < 0.01
    assert result.spike_counts[0] == 0 and result.spike_counts[1] > 0
    with pytest.raises(ValueError, match="rush_larsen"):
        simulate_batch(fhn, 10.0, method="rush_larsen")


def test_blow_up_is_reported_and_others_are_kept():
    """gL = 1e6 makes RK4 at dt = 0.01 unstable for that member only."""
    I = [10.0, 10.0, 10.0]
    result = simulate_batch(HH, 50.0, {"I_ext": I, "gL": [0.3, 1e6, 0.3]}, method="rk4")
    assert list(result.failed) == [False, True, False]
    assert result.status[1] == -1 and 0 < result.t_fail[1] < 1.0
    assert "1 of 3 members failed" in result.message and "#1" in result.message
    alone = simulate_batch(HH, 50.0, {"I_ext": [10.0]}, method="rk4")
    assert result.spike_counts[0] == result.spike_counts[2] == alone.spike_counts[0] > 0
    assert np.isnan(result.mean_rates()[1])


def test_stiff_member_hits_the_step_limit_in_dopri5():
    result = simulate_batch(HH, 20.0, {"gL": [0.3, 1e6]}, max_steps=20_000)
    assert list(result.failed) == [False, True]
    assert result.status[1] in (-2, -3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"params": {"C": [1.0, -1.0]}}, "'C'"),
        ({"params": {"gK": [-3.0]}}, "'gK'"),
        ({"params": {"I_ext": [1.0, np.nan]}}, "'I_ext'"),
        ({"params": {"I_ext": []}}, "'I_ext'"),
        ({"params": {"gNaa": [1.0]}}, "'gNaa'"),
        ({"params": {"I_ext": [1.0, 2.0], "gK": [1.0, 2.0, 3.0]}}, "common length"),
        ({"method": "euler"}, "method"),
        ({"dt": -0.01, "method": "rk4"}, "dt"),
        ({"rtol": 0.0}, "rtol"),
        ({"y0": [0.0, 1.0]}, "y0"),
        ({"record": 0.015, "method": "rk4"}, "record"),
    ],
)
def test_invalid_input_raises_before_compiling(kwargs, match, monkeypatch):
    import hhdyn.engine as engine

    def no_compiling(*args, **kw):
        raise AssertionError("compiled before validating")

    monkeypatch.setattr(engine, "kernels_for", no_compiling)
    with pytest.raises(ValueError, match=match):
        simulate_batch(HH, 10.0, **kwargs)
    with pytest.raises(ValueError, match="t_end"):
        simulate_batch(HH, -1.0)


def test_result_exports(tmp_path, fi_runs):
    result: BatchResult = fi_runs["rk4"]
    path = tmp_path / "fi.csv"
    result.to_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "I_ext,spike_count,mean_rate_Hz,status" and len(lines) == 41
    import matplotlib

    matplotlib.use("Agg")
    ax = result.plot()
    assert ax.get_xlabel() == "I_ext"
    rates = result.firing_rates(t_start=50.0)
    assert rates.shape == (40,) and rates[0] == 0.0 and rates[-1] > 50.0


def test_simulate_compiled_engine_matches_scipy_engine():
    """simulate(..., engine="compiled") runs the batch engine for one trajectory."""
    model = HH.with_params(I_ext=12.0)
    y0 = HH.resting_state()
    fast = simulate(model, 100.0, y0=y0, engine="compiled")
    slow = simulate(model, 100.0, y0=y0)
    assert fast.t.shape == slow.t.shape and np.allclose(fast.t, slow.t)
    assert np.max(np.abs(fast.V - slow.V)) < 0.05  # mV, both at rtol 1e-8
    assert np.max(np.abs(fast.spike_times() - slow.spike_times())) < 1e-3
    stim = Step(5.0, 20.0, 10.0)
    a = simulate(HH, 40.0, stimulus=stim, engine="compiled")
    b = simulate(HH, 40.0, stimulus=stim)
    assert a.spike_times().size == b.spike_times().size == 2
    assert np.max(np.abs(a.spike_times() - b.spike_times())) < 0.01
    with pytest.raises(ValueError, match="engine"):
        simulate(HH, 10.0, engine="numba")
    with pytest.raises(ValueError, match="method"):
        simulate(HH, 10.0, method="BDF", engine="compiled")


def test_status_convention_and_messages_say_what_to_change():
    """0 done, < 0 failed (as in solve_ivp); each failure message names the time and a remedy."""
    from hhdyn.batch import STATUS

    assert set(STATUS) == {0, -1, -2, -3}
    result = simulate_batch(HH, 20.0, {"gL": [0.3, 1e6]}, max_steps=20_000)
    assert result.status[0] == 0 and result.status[1] < 0
    assert list(result.failed) == [False, True]
    msg = result.messages[1]
    assert "at t = " in msg and any(word in msg for word in ("max_steps", "dt", "parameters"))
    assert result.messages[0] == "ok"


def test_batch_too_big_for_memory_is_refused_before_compiling(monkeypatch):
    import hhdyn.engine as engine

    monkeypatch.setattr(engine, "kernels_for", lambda *a, **k: (_ for _ in ()).throw(AssertionError("compiled")))
    # 1000 members × 4 states × 10^7 samples × 8 bytes = 298 GiB
    with pytest.raises(ValueError, match=r"298 GiB.*recorded traces.*budget.*record less often"):
        simulate_batch(HH, 1e5, {"I_ext": np.linspace(0.0, 50.0, 1000)}, record=0.01)
    with pytest.raises(ValueError, match=r"stimulus table"):
        simulate_batch(HH, 1e9, stimulus=Step(1.0, 1.0, 5.0))


@pytest.mark.parametrize("method", ["dopri5", "rk4", "rush_larsen"])
def test_one_kernel_per_method_serves_runs_with_and_without_a_stimulus(method):
    """A zero stimulus goes through the stimulus table (every lookup 0.0) and must give the very
    same bits as no stimulus; integer-valued arguments must not compile a second specialization."""
    import hhdyn.engine as engine

    I = np.linspace(0.0, 30.0, 40)
    plain = simulate_batch(HH, 30.0, {"I_ext": I}, method=method, record=0.5)
    zero = simulate_batch(HH, 30, {"I_ext": I}, method=method, record=0.5, stimulus=Step(1.0, 5.0, 0.0))
    assert plain.spike_counts.sum() > 20
    for a, b in ((plain.final_state, zero.final_state), (plain.traces, zero.traces),
                 (np.concatenate(plain.spike_times), np.concatenate(zero.spike_times))):
        assert a.tobytes() == b.tobytes()
    kernel = getattr(engine.compiled(HH), {"dopri5": "dopri5_blocks", "rk4": "rk4_blocks",
                                           "rush_larsen": "rl_blocks"}[method])
    assert len(kernel.signatures) == 1, kernel.signatures


def test_results_do_not_depend_on_the_number_of_threads(monkeypatch):
    """Blocks of members run on a thread pool: one thread and many give identical bits, and members
    in different blocks (here 5 blocks, the last one partial) agree with running each alone."""
    import hhdyn.engine.blocks as blocks

    I = np.linspace(2.0, 40.0, 4 * 32 + 7)
    runs = {}
    for threads in (1, 3):
        monkeypatch.setattr(blocks, "n_threads", lambda t=threads: t)
        runs[threads] = simulate_batch(HH, 40.0, {"I_ext": I})
    assert runs[1].final_state.tobytes() == runs[3].final_state.tobytes()
    assert np.array_equal(runs[1].spike_counts, runs[3].spike_counts)
    for j in (0, 33, len(I) - 1):  # a member alone in its block is the same computation
        alone = simulate_batch(HH, 40.0, {"I_ext": I[j:j + 1]})
        assert alone.final_state[:, 0].tobytes() == runs[3].final_state[:, j].tobytes()


def test_run_blocks_covers_every_block_once():
    from hhdyn.engine.blocks import run_blocks

    seen = []
    for n in (1, 31, 32, 33, 200, 1000):
        seen.clear()
        run_blocks(lambda lo, hi, out: out.extend(range(lo, hi)), n, 32, seen)
        assert sorted(seen) == list(range(n))
