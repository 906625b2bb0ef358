"""The compiled engine: vectorizable math, kernels generated from declarations, the disk cache."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.special import exprel

import hhdyn
from hhdyn import Channel, ConductanceModel, ConstantRate, ExpRate, FunctionRate, Gate, SigmoidRate
from hhdyn.engine import UnsupportedModelError, coefficient_matrix, compiled, declare
from hhdyn.engine import mathlib
from reductions import FitzHughNagumo, fast_m, h_plus_n


@pytest.fixture(scope="module")
def vec_kernels():
    from numba import njit

    @njit(error_model="numpy")
    def apply_exp(x, out):
        for i in range(x.size):
            out[i] = mathlib.fexp(x[i])

    @njit(error_model="numpy")
    def apply_explin(x, out):
        for i in range(x.size):
            out[i] = mathlib.explin(x[i])

    return apply_exp, apply_explin


def test_fexp_matches_exp_to_a_few_ulp(vec_kernels):
    apply_exp, _ = vec_kernels
    x = np.concatenate([np.linspace(-708, 708, 200_001), np.linspace(-1, 1, 10_001)])
    out = np.empty_like(x)
    apply_exp(x, out)
    assert np.max(np.abs(out / np.exp(x) - 1.0)) < 5e-16


def test_fexp_special_values(vec_kernels):
    apply_exp, _ = vec_kernels
    x = np.array([np.nan, np.inf, -np.inf, 1e4, -1e4, 0.0])
    out = np.empty_like(x)
    apply_exp(x, out)
    assert np.isnan(out[0])
    assert out[1] == np.inf and out[3] == np.inf
    assert out[2] == 0.0 and out[4] == 0.0
    assert out[5] == 1.0


def test_explin_exact_and_smooth_through_the_singularity(vec_kernels):
    _, apply_explin = vec_kernels
    x = np.concatenate([np.linspace(-40, 40, 80_001), np.linspace(-0.2, 0.2, 40_001), [0.0]])
    out = np.empty_like(x)
    apply_explin(x, out)
    assert np.max(np.abs(out * exprel(-x) - 1.0)) < 2e-15
    assert out[-1] == 1.0
    # no jump where the series branch takes over (|x| = 0.1): both sides exact to ~1 ulp
    edge = np.array([0.1 - 1e-12, 0.1 + 1e-12, -0.1 - 1e-12, -0.1 + 1e-12])
    e_out = np.empty_like(edge)
    apply_explin(edge, e_out)
    assert np.max(np.abs(e_out * exprel(-edge) - 1.0)) < 2e-15


def _inf_tau_model():
    """A user model: Boltzmann/constant-τ gate via from_inf_tau, a non-integer power, 2 gates."""
    a = Gate.from_inf_tau("a", SigmoidRate(1.0, -30.0, 8.0), ConstantRate(5.0), q10=2.0, T_ref=22.0)
    b = Gate("b", ExpRate(0.02, -60.0, -15.0), SigmoidRate(0.5, -40.0, 6.0), q10=3.0)
    return ConductanceModel(
        [Channel("A", 20.0, -80.0, ((a, 1.5), (b, 1))), Channel("L", 0.1, -65.0)],
        C=2.0, I_ext=1.0, T=30.0, name="inf-tau test model",
    )


MODELS = {
    "hh": lambda: hhdyn.HodgkinHuxley(T=12.0),
    "hh1952": lambda: hhdyn.HodgkinHuxley1952(),
    "fast_m": lambda: fast_m(hhdyn.HodgkinHuxley()),
    "h_plus_n": lambda: h_plus_n(hhdyn.HodgkinHuxley(), c=0.85, slope=-1.1),
    "fhn": lambda: FitzHughNagumo(I_ext=0.5),
    "inf_tau": _inf_tau_model,
}


@pytest.mark.parametrize("key", sorted(MODELS))
def test_generated_rhs_equals_model_rhs(key):
    """The kernels are derived from the declaration: their dy/dt equals model.rhs everywhere."""
    model = MODELS[key]()
    rng = np.random.default_rng(1)
    N = 400
    n = model.n_states
    if key == "fhn":
        Y = rng.uniform(-3, 3, (n, N))
    else:
        Y = np.vstack([rng.uniform(-120, 80, N)] + [rng.uniform(0, 1, N) for _ in range(n - 1)])
    Y[0, :5] = [-40.0, -55.0, -40.0 + 1e-9, -55.0 - 1e-7, 0.0]  # exp-linear singular points
    params = {k: np.full(N, v) for k, v in model.params.items()}
    params["I_ext"] = rng.uniform(-5, 30, N)
    if "T" in params:
        params["T"] = rng.uniform(0, 35, N)
    decl = declare(model)
    K = coefficient_matrix(decl, params)
    out = np.empty_like(Y)
    stim = rng.uniform(-2, 2, N)
    compiled(model).rhs_batch(Y, K, stim, out)
    expected = np.empty_like(Y)
    for j in range(N):
        p = {k: v[j] for k, v in params.items()}
        p["I_ext"] += stim[j]
        expected[:, j] = model.rhs(Y[:, j], p)
    scale = np.maximum(1.0, np.abs(expected))
    assert np.max(np.abs(out - expected) / scale) < 1e-12


def test_one_kernel_module_per_structure():
    hh = hhdyn.HodgkinHuxley()
    assert compiled(hh) is compiled(hh.with_params(gK=20.0, I_ext=7.0, T=18.5))
    assert compiled(hh) is not compiled(hhdyn.HodgkinHuxley1952())
    assert declare(hh).digest != declare(fast_m(hh)).digest


def test_kernel_source_is_written_to_the_cache_folder(tmp_path, monkeypatch):
    from hhdyn.engine import cache_dir

    monkeypatch.setenv("HHDYN_KERNEL_CACHE", str(tmp_path / "k"))
    assert cache_dir() == tmp_path / "k"
    monkeypatch.delenv("HHDYN_KERNEL_CACHE")
    assert cache_dir().parts[-2:] == ("hhdyn", "kernels")


def test_unsupported_rate_is_a_value_error():
    g = Gate("x", FunctionRate(lambda V: 0.1 + 0 * V, text="0.1"), ExpRate(0.1, -60.0, -20.0))
    model = ConductanceModel([Channel("X", 1.0, -80.0, ((g, 1),)), Channel("L", 0.1, -65.0)])
    with pytest.raises(ValueError, match="FunctionRate"):
        declare(model)


def test_unknown_odemodel_is_a_value_error():
    class Toy(hhdyn.ODEModel):
        state_names = ("x",)

        def rhs(self, y, params=None):
            return -np.asarray(y)

    with pytest.raises(UnsupportedModelError, match="declaration"):
        declare(Toy({"I_ext": 0.0}))


def test_fresh_process_reuses_the_disk_cache():
    """A second process loads the compiled kernels instead of compiling them (numba cache hits)."""
    from hhdyn.batch import simulate_batch

    simulate_batch(hhdyn.HodgkinHuxley(), 5.0, {"I_ext": [0.0, 10.0]}, method="rk4")  # warm the cache
    code = textwrap.dedent(
        """
        import time
        t0 = time.perf_counter()
        import hhdyn
        from hhdyn.batch import simulate_batch
        from hhdyn.engine import compiled
        m = hhdyn.HodgkinHuxley()
        r = simulate_batch(m, 5.0, {"I_ext": [0.0, 10.0]}, method="rk4")
        k = compiled(m).rk4_nostim
        print(sum(k.stats.cache_misses.values()), sum(k.stats.cache_hits.values()), time.perf_counter() - t0)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ})
    misses, hits, seconds = out.stdout.split()
    assert int(misses) == 0 and int(hits) == 1
    print(f"fresh process with warm cache: {float(seconds):.2f} s from start to first result")


def test_reduction_constants_do_not_change_the_kernel():
    """c and slope of h_plus_n are parameters: one kernel module for every value (and label)."""
    hh = hhdyn.HodgkinHuxley()
    assert compiled(h_plus_n(hh, c=0.8)) is compiled(h_plus_n(hh, c=0.85, slope=-1.1))
