"""analysis.sweep: F–I curves and parameter maps on the batch engine, executors, validation."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import hhdyn
from analysis.sweep import SweepResult, sweep
from hhdyn.batch import simulate_batch

HH = hhdyn.HodgkinHuxley()
FAST = {"method": "rk4", "t_end": 200.0}


@pytest.fixture(scope="module")
def fi():
    return sweep(HH, {"I_ext": np.linspace(0.0, 40.0, 41)}, measure="count", progress=False, **FAST)


def test_fi_curve_equals_direct_batch(fi):
    direct = simulate_batch(HH, 200.0, {"I_ext": np.linspace(0.0, 40.0, 41)}, method="rk4")
    assert isinstance(fi, SweepResult)
    assert np.array_equal(fi.values, direct.spike_counts)
    assert fi.values[0] == 0 and fi.values[-1] > 20
    # past the rheobase the count never decreases with current (HH type-II F–I branch)
    assert np.all(np.diff(fi.values[10:]) >= 0)


def test_two_parameter_map_layout_and_chunks():
    I = np.array([0.0, 10.0, 20.0])
    gK = np.array([30.0, 36.0])
    calls = []
    rmap = sweep(HH, {"I_ext": I, "gK": gK}, measure="count", chunk_size=2,
                 progress=lambda done, total: calls.append((done, total)), **FAST)
    assert rmap.values.shape == (3, 2)
    for a, i_ext in enumerate(I):
        for b, g in enumerate(gK):
            one = simulate_batch(HH, 200.0, {"I_ext": [i_ext], "gK": [g]}, method="rk4")
            assert rmap.values[a, b] == one.spike_counts[0]
    assert calls[-1] == (3, 3)


def test_rate_measure_and_exports(fi, tmp_path):
    rates = sweep(HH, {"I_ext": [0.0, 20.0]}, progress=False, **FAST)
    assert rates.values[0] == 0.0 and 50.0 < rates.values[1] < 150.0  # Hz
    fi.to_csv(tmp_path / "fi.csv")
    assert (tmp_path / "fi.csv").read_text().splitlines()[0] == "I_ext,count,failed"
    import matplotlib

    matplotlib.use("Agg")
    assert fi.plot().get_xlabel() == "I_ext (µA/cm²)"


def test_process_pool_executor_gives_the_same_values(fi):
    """Chunks handed to a concurrent.futures executor (spawned workers load the cached kernels)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        remote = sweep(HH, {"I_ext": np.linspace(0.0, 40.0, 41)}, measure="count", executor=pool,
                       chunk_size=11, progress=False, **FAST)
    assert np.array_equal(remote.values, fi.values)


@pytest.mark.parametrize(
    "grid, kwargs, match",
    [
        ({}, {}, "grid"),
        ({"I_ext": []}, {}, "I_ext"),
        ({"I_ext": [1.0, np.nan]}, {}, "I_ext"),
        ({"gK": [-1.0]}, {}, "gK"),
        ({"C": [0.0]}, {}, "'C'"),
        ({"I_ext": [1.0]}, {"measure": "speed"}, "measure"),
    ],
)
def test_invalid_sweeps_raise(grid, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sweep(HH, grid, progress=False, **kwargs)


def test_dask_local_cluster_executor(fi):
    """The same sweep on a dask.distributed LocalCluster through Client.get_executor()."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        remote = sweep(HH, {"I_ext": np.linspace(0.0, 40.0, 41)}, measure="count",
                       executor=client.get_executor(), chunk_size=11, progress=False, **FAST)
    assert np.array_equal(remote.values, fi.values)
