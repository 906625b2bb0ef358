"""Many independent cells at once (hhdyn.cable.run_batch) and the compiled loop's bookkeeping."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from hhdyn import HodgkinHuxley, _cable_kernel
from hhdyn.cable import CableModel, CurrentInjection, _hines_solve_python, run_batch
from hhdyn.morphology import ball_and_stick, cable
from hhdyn.simulation import SimulationError
from hhdyn.stimuli import Step

T_END, DT = 20.0, 0.025


def _cells(n):
    """``n`` ball-and-sticks that differ in dendrite length, gNa and soma gK, and one stimulus each."""
    rng = np.random.default_rng(17)
    models, stims = [], []
    for k in range(n):
        morph = ball_and_stick(dendrite_length_um=float(rng.uniform(200, 800)), n_segments=int(rng.integers(10, 60)))
        model = CableModel(morph, HodgkinHuxley(gNa=float(rng.uniform(100, 140)), T=6.3),
                           overrides={"soma": {"gK": float(rng.uniform(30, 40))}})
        models.append(model)
        stims.append({"soma": Step(1.0, 1.0, float(rng.uniform(0.1, 1.0)))})
    return models, stims


def _assert_identical(a, b):
    assert a.nodes == b.nodes
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.V, b.V)
    for x, y in zip(a.final_state.gates, b.final_state.gates):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("method", ["be", "cn"])
def test_batch_equals_cells_run_one_by_one(method):
    """Bit for bit: the threads run the same compiled loop on the same inputs."""
    models, stims = _cells(24)
    record = ["soma", "dend[5]"]
    batch = run_batch(models, T_END, DT, injections=stims, method=method, record=record, max_workers=2)
    alone = [m.run(T_END, DT, injections=s, method=method, record=record) for m, s in zip(models, stims)]
    assert len(batch) == len(models)
    for a, b in zip(batch, alone):
        _assert_identical(a, b)
    counts = {int(r.spike_counts()[0]) for r in batch}
    assert 0 in counts and max(counts) >= 1  # the cells really differ: some fire, some do not


def test_batch_with_one_injection_for_all_and_the_numpy_backend():
    models, _ = _cells(4)
    stim = [CurrentInjection("soma", Step(1.0, 1.0, 0.8))]  # a list of injections = one spec for all cells
    batch = run_batch(models, 10.0, DT, injections=stim, record=["soma"], backend="numpy")
    for m, r in zip(models, batch):
        _assert_identical(r, m.run(10.0, DT, injections=stim, record=["soma"], backend="numpy"))


def test_batch_on_a_process_pool():
    models, stims = _cells(3)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        batch = run_batch(models, 10.0, DT, injections=stims, record=["soma"], executor=pool)
    for m, s, r in zip(models, stims, batch):
        np.testing.assert_allclose(r.V, m.run(10.0, DT, injections=s, record=["soma"]).V, rtol=0, atol=1e-12)


def test_batch_bad_input_names_the_problem():
    models, stims = _cells(2)
    with pytest.raises(ValueError, match=r"models\[1\] must be a hhdyn.cable.CableModel"):
        run_batch([models[0], "cell"], 1.0, DT)
    with pytest.raises(ValueError, match="3 per-cell entries for 2 models"):
        run_batch(models, 1.0, DT, injections=stims + [None])
    with pytest.raises(ValueError, match="max_workers must be a positive integer, got 0"):
        run_batch(models, 1.0, DT, max_workers=0)
    with pytest.raises(ValueError, match="does not take progress"):
        run_batch(models, 1.0, DT, progress=print)
    assert run_batch([], 1.0, DT) == []


def test_progress_chunks_do_not_change_the_result():
    """The compiled loop runs in chunks when progress is reported; the numbers are the same."""
    model = CableModel(cable(2000.0, 2.0, 40), HodgkinHuxley(T=6.3))
    stim = {0: Step(0.5, 1.0, 0.5)}
    seen = []
    a = model.run(10.0, DT, injections=stim, progress=seen.append, record_dt=0.1)
    b = model.run(10.0, DT, injections=stim, record_dt=0.1)
    _assert_identical(a, b)
    assert len(seen) == 100 and seen[-1] == 1.0 and np.all(np.diff(seen) > 0)


@pytest.mark.skipif(not _cable_kernel.available(), reason="numba not installed")
def test_compiled_step_is_one_implicit_step_of_the_tree_system():
    """One backward-Euler step of the compiled loop, checked against the step written out here
    with a dense solve: (C·A/dt + G·A + L)·ΔV = −I·A − L·V + I_inj, then the exact gate update."""
    model = CableModel(ball_and_stick(n_segments=12), HodgkinHuxley(T=6.3))
    state = model.state_at(-60.0)
    dt = 0.025
    inj = {"dend[3]": 0.7}
    res = model.run(dt, dt, injections=inj, method="be", v_init=-60.0, backend="numba")
    n = model.n_compartments
    morph = model.morphology
    hh = model.membrane_of("soma")
    V0, (x0,) = state.V, state.gates
    m, h, nn = x0
    p = hh.params
    A = morph.area_cm2
    I = (p["gNa"] * m**3 * h * (V0 - p["ENa"]) + p["gK"] * nn**4 * (V0 - p["EK"]) + p["gL"] * (V0 - p["EL"])) * A
    G = (p["gNa"] * m**3 * h + p["gK"] * nn**4 + p["gL"]) * A
    L = np.zeros((n, n))
    for i in range(1, n):
        j, g = morph.parent_index[i], morph.g_parent_mS[i]
        L[i, i] += g
        L[j, j] += g
        L[i, j] -= g
        L[j, i] -= g
    b = -I - L @ V0
    b[morph.index("dend[3]")] += 0.7e-3
    dV = np.linalg.solve(np.diag(model.C * A / dt + G) + L, b)
    V1 = V0 + dV
    np.testing.assert_allclose(res.V[:, -1], V1, rtol=0, atol=1e-11)
    gates = hh.gates
    for k, g in enumerate(("m", "h", "n")):
        a_, b_ = gates[g].alpha(V1), gates[g].beta(V1)
        phi = gates[g].phi(p["T"])
        want = a_ / (a_ + b_) + (x0[k] - a_ / (a_ + b_)) * np.exp(-dt * phi * (a_ + b_))
        np.testing.assert_allclose(res.final_state.gates[0][k], want, rtol=0, atol=1e-13)
    # the solver with V folds the off-diagonal part into the sweep: same as subtracting it first
    rng = np.random.default_rng(3)
    d = np.diag(L).copy() + rng.uniform(1, 2, n)
    rhs = rng.normal(size=n)
    off = np.zeros(n)
    off[1:] = -morph.g_parent_mS[1:]
    coupled = (L - np.diag(np.diag(L))) @ V0
    want = np.linalg.solve(np.diag(d) + (L - np.diag(np.diag(L))), rhs - coupled)
    got = _hines_solve_python(d.copy(), off, morph.parent_index, rhs.copy(), V0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got_c = _cable_kernel.hines_compiled(d.copy(), off, morph.parent_index, rhs.copy(), V0)
    np.testing.assert_allclose(got_c, want, rtol=1e-12, atol=1e-12)


def test_blow_up_is_reported_by_the_compiled_loop():
    model = CableModel(cable(100.0, 2.0, 3), HodgkinHuxley())
    with pytest.raises(SimulationError, match=r"left the finite range at t = 0\.05 ms"):
        model.run(1.0, 0.025, injections={1: Step(0.025, 1.0, 1e308)}, method="be")


@pytest.mark.skipif(not _cable_kernel.available(), reason="numba not installed")
def test_compiled_loop_releases_the_gil():
    """While one thread is inside the compiled loop, Python keeps running in another: the main
    thread's loop never stalls for a large part of the worker's run (it would stall for all of
    it if the loop held the GIL). This is what lets run_batch use every core."""
    import threading
    import time

    model = CableModel(cable(5e4, 476.0, 4000, 35.4), HodgkinHuxley(T=18.5))
    model.run(0.25, DT, record=[0])  # compile / load first
    done = threading.Event()
    span = {}

    def work():
        t0 = time.perf_counter()
        model.run(100.0, DT, record=[0])
        span["s"] = time.perf_counter() - t0
        done.set()

    worker = threading.Thread(target=work)
    stamps = [time.perf_counter()]
    worker.start()
    while not done.is_set():
        stamps.append(time.perf_counter())
    worker.join()
    assert span["s"] > 0.1
    assert np.max(np.diff(stamps)) < 0.5 * span["s"], (np.max(np.diff(stamps)), span["s"])
