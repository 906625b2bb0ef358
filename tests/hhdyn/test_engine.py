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
from hhdyn.engine import (Equations, UnsupportedModelError, coefficient_matrix, compiled, compiled_jacobian,
                          compiled_rhs, declare)
from hhdyn.engine import mathlib
from hhdyn.rates import ExpLinearRate
from reductions import FitzHughNagumo, FitzHughNagumoHH, fast_m, h_plus_n


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


def _a_type_model():
    """A user model with a Connor–Stevens-like A-type K⁺ channel (a³b), both gates declared by
    x∞ (Boltzmann) and τ (exp-linear and constant) via Gate.from_inf_tau, plus HH Na/K/leak."""
    hh = hhdyn.HodgkinHuxley()
    a = Gate.from_inf_tau("a", SigmoidRate(1.0, -60.0, 8.5), ExpLinearRate(0.5, -50.0, 10.0), q10=2.0, T_ref=22.0)
    b = Gate.from_inf_tau("b", SigmoidRate(1.0, -78.0, -6.0), ConstantRate(20.0), q10=2.0, T_ref=22.0)
    return ConductanceModel(
        list(hh.channels) + [Channel("A", 47.7, -75.0, ((a, 3), (b, 1)))],
        C=1.0, I_ext=2.0, T=18.0, name="HH + A-type",
    )


def _morris_lecar_model():
    """Morris–Lecar (Rinzel & Ermentrout parameters) declared with the tanh/sech families:
    m = m∞(V) instantaneous, w with w∞ = ½(1 + tanh((V − V₃)/V₄)), τ_w = 1/(φ cosh((V − V₃)/(2V₄)))."""
    from hhdyn.model import Instantaneous
    from hhdyn.rates import SechRate, TanhRate

    m = Gate.from_inf_tau("m", TanhRate(1.0, -1.2, 18.0), ConstantRate(1.0), q10=1.0)
    w = Gate.from_inf_tau("w", TanhRate(1.0, 2.0, 30.0), SechRate(1.0 / 0.04, 2.0, 30.0), q10=1.0)
    return ConductanceModel(
        [Channel("Ca", 4.4, 120.0, ((m, 1),)), Channel("K", 8.0, -84.0, ((w, 1),)), Channel("L", 2.0, -60.0)],
        C=20.0, I_ext=90.0, gate_forms={"m": Instantaneous()}, name="Morris–Lecar",
    )


MODELS = {
    "hh": lambda: hhdyn.HodgkinHuxley(T=12.0),
    "hh1952": lambda: hhdyn.HodgkinHuxley1952(),
    "fast_m": lambda: fast_m(hhdyn.HodgkinHuxley()),
    "h_plus_n": lambda: h_plus_n(hhdyn.HodgkinHuxley(), c=0.85, slope=-1.1),
    "fhn": lambda: FitzHughNagumo(I_ext=0.5),
    "inf_tau": _inf_tau_model,
    "a_type": _a_type_model,
    "fhn_hh": lambda: FitzHughNagumoHH(I_ext=3.0),
    "morris_lecar": _morris_lecar_model,
}


def _random_states(key, model, N, rng):
    n = model.n_states
    if key == "fhn":
        return rng.uniform(-3, 3, (n, N))
    Y = np.vstack([rng.uniform(-120, 80, N)] + [rng.uniform(0, 1, N) for _ in range(n - 1)])
    # exp-linear singular points of the HH rates (x = 0) and both sides of the series switch (|x| = 0.1)
    Y[0, :12] = [-40.0, -55.0, -40.0 + 1e-9, -55.0 - 1e-7, 0.0, -39.0, -41.0, -54.0 - 1e-13, -56.0,
                 -50.0, -49.0 + 1e-12, -65.0]
    return Y


@pytest.mark.parametrize("key", sorted(MODELS))
def test_generated_rhs_equals_model_rhs(key):
    """The kernels are derived from the declaration: their dy/dt equals model.rhs everywhere."""
    model = MODELS[key]()
    rng = np.random.default_rng(1)
    N = 400
    Y = _random_states(key, model, N, rng)
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
    """A second process loads the compiled kernels instead of compiling them (numba cache hits).

    Two fresh processes run the same batch one after the other: the first may compile (cold
    cache) and writes the cache; the second must find every kernel it needs there.
    """
    code = textwrap.dedent(
        """
        import time
        t0 = time.perf_counter()
        import hhdyn
        from hhdyn.batch import simulate_batch
        from hhdyn.engine import compiled
        m = hhdyn.HodgkinHuxley()
        r = simulate_batch(m, 5.0, {"I_ext": [0.0, 10.0]}, method="rk4")
        k = compiled(m).rk4_blocks
        print(sum(k.stats.cache_misses.values()), sum(k.stats.cache_hits.values()), time.perf_counter() - t0)
        """
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ}).stdout.split() for _ in range(2)]
    misses, hits, seconds = runs[1]
    assert int(misses) == 0 and int(hits) == 1, runs
    print(f"fresh process with warm cache: {float(seconds):.2f} s from start to first result")


def test_reduction_constants_do_not_change_the_kernel():
    """c and slope of h_plus_n are parameters: one kernel module for every value (and label)."""
    hh = hhdyn.HodgkinHuxley()
    assert compiled(h_plus_n(hh, c=0.8)) is compiled(h_plus_n(hh, c=0.85, slope=-1.1))


# --------------------------------------------------------------------------- generated Jacobian
JACOBIAN_MODELS = ("hh", "hh1952", "fast_m", "h_plus_n", "fhn", "fhn_hh", "inf_tau", "a_type", "morris_lecar")


@pytest.fixture(scope="module")
def jacobians():
    """One compiled Jacobian per model structure (compiled once per module, cached on disk)."""
    return {key: (MODELS[key](), compiled_jacobian(MODELS[key]())) for key in JACOBIAN_MODELS}


@pytest.mark.parametrize("key", JACOBIAN_MODELS)
def test_generated_jacobian_equals_model_jacobian(key, jacobians):
    """The kernel's ∂f/∂y equals the analytic model.jacobian entry by entry (1e-10 relative),
    including at and around the exp-linear singularities, with per-member parameters."""
    model, jac = jacobians[key]
    rng = np.random.default_rng(2)
    N = 400
    Y = _random_states(key, model, N, rng)
    overrides = {"I_ext": rng.uniform(-5, 30, N)}
    if "T" in model.params:
        overrides["T"] = rng.uniform(0, 35, N)
    if "gK" in model.params:
        overrides["gK"] = rng.uniform(10, 50, N)
    J = jac(Y, overrides)
    assert J.shape == (model.n_states, model.n_states, N)
    expected = np.empty_like(J)
    for j in range(N):
        expected[:, :, j] = model.jacobian(Y[:, j], {k: v[j] for k, v in overrides.items()})
    zero = expected == 0.0
    assert np.all(J[zero] == 0.0)
    # 1e-10 relative per entry; the floor (1e-14 of the row's largest entry) only matters where the
    # *reference* cancels: SigmoidRate.deriv forms s·(1 − s), which for s → 1 keeps only
    # ~eps/(1 − s) relative accuracy; the kernel uses e/(1 + e)² and is exact there (next test)
    rowscale = np.abs(expected).max(axis=1, keepdims=True)
    err = np.abs(J - expected)
    assert np.all(err <= 1e-10 * np.abs(expected) + 1e-14 * rowscale)
    # a single state (n,) gives (n, n), at the model's own parameters
    np.testing.assert_allclose(jac(Y[:, 7]), model.jacobian(Y[:, 7]), rtol=1e-10, atol=0)


def test_generated_sigmoid_derivative_is_exact_in_the_tails():
    """dβ/dV of a SigmoidRate deep in its saturated tail, against an extended-precision reference."""
    g = Gate("g", ExpRate(0.02, -60.0, -15.0), SigmoidRate(0.5, -40.0, 6.0), q10=1.0)
    model = ConductanceModel([Channel("G", 1.0, -80.0, ((g, 1),)), Channel("L", 0.1, -65.0)])
    V = np.linspace(-200.0, 150.0, 701)
    x_g = 0.7
    J = compiled_jacobian(model)(np.stack([V, np.full_like(V, x_g)]))[1, 0]
    Vl = V.astype(np.longdouble)
    e = np.exp(-(Vl + 40) / 6)
    dbeta = np.longdouble(0.5) * e / (1 + e) ** 2 / 6
    dalpha = np.longdouble(0.02) * np.exp((Vl + 60) / -15) / -15
    ref = dalpha * (1 - np.longdouble(x_g)) - dbeta * np.longdouble(x_g)
    rel = np.abs((J.astype(np.longdouble) - ref) / ref).astype(float)
    assert rel.max() < 1e-14


@pytest.mark.parametrize("key", ["hh", "h_plus_n", "a_type"])
def test_generated_jacobian_equals_difference_quotients_of_generated_rhs(key, jacobians):
    """Independent of model.jacobian: central differences of the compiled rhs."""
    model, jac = jacobians[key]
    rhs = compiled_rhs(model)
    rng = np.random.default_rng(3)
    Y = _random_states(key, model, 50, rng)[:, 12:]
    J = jac(Y)
    n = model.n_states
    for k in range(n):
        h = 1e-6 * np.maximum(1.0, np.abs(Y[k]))
        up, down = Y.copy(), Y.copy()
        up[k] += h
        down[k] -= h
        fd = (rhs(up) - rhs(down)) / (2 * h)
        scale = np.maximum(np.abs(J).max(axis=1), 1e-12)  # per row and member
        assert np.max(np.abs(fd - J[:, k, :]) / scale) < 1e-6


def test_generated_jacobian_is_smooth_through_the_exp_linear_singularity(jacobians):
    """∂f_m/∂V of HH is continuous across V = −40 mV (α_m's removable singularity) and across
    the series/closed-form switch at V = −40 ± 1 mV: no jumps beyond the local slope."""
    model, jac = jacobians["hh"]
    for V0 in (-40.0, -39.0, -41.0):
        dV = np.concatenate([-np.logspace(-1, -13, 25), [0.0], np.logspace(-13, -1, 25)])
        Y = np.tile(np.array([0.0, 0.3, 0.6, 0.4])[:, None], (1, dV.size))
        Y[0] = V0 + dV
        entry = jac(Y)[1, 0]
        centre = entry[dV.size // 2]
        # Lipschitz with a small constant (|d²f_m/dV²| ≈ 0.002 here): no jump at any scale of δ
        # beyond the rounding of the closed form at |x| = 0.1 (≈ 3e-14 relative, as in hhdyn.rates)
        assert np.all(np.abs(entry - centre) <= 0.01 * np.abs(dV) + 5e-14 * np.abs(centre))
        # and it equals the analytic Jacobian there
        ref = np.array([model.jacobian(Y[:, k])[1, 0] for k in range(dV.size)])
        assert np.max(np.abs(entry - ref) / np.abs(ref)) < 1e-12


def test_compiled_function_validates_its_input(jacobians):
    model, jac = jacobians["hh"]
    with pytest.raises(ValueError, match="Y must have shape"):
        jac(np.zeros(3))
    with pytest.raises(ValueError, match="gK"):
        jac(np.zeros((4, 2)), {"gK": [-1.0, 36.0]})
    with pytest.raises(ValueError, match="common length"):
        jac(np.zeros((4, 2)), {"I_ext": [1.0, 2.0, 3.0]})


# --------------------------------------------------------------------------- equations on the model
@pytest.mark.parametrize("key", ["fhn", "fhn_hh"])
def test_engine_reads_the_equations_from_the_model_class(key):
    """FitzHugh–Nagumo's equations live on its class (engine_equations); the engine holds no copy,
    and the generated rhs/Jacobian equal model.rhs/model.jacobian to 1e-12."""
    from hhdyn.engine.declare import _REGISTRY

    model = MODELS[key]()
    equations = type(model).engine_equations()
    assert isinstance(equations, Equations)
    assert equations.key in declare(model).key
    assert not any(issubclass(type(model), cls) for cls in _REGISTRY)
    rng = np.random.default_rng(4)
    N = 300
    Y = _random_states(key, model, N, rng)
    I = rng.uniform(-2, 8, N)
    f = compiled_rhs(model)(Y, {"I_ext": I})
    J = compiled_jacobian(model)(Y, {"I_ext": I})
    for j in range(N):
        p = {"I_ext": I[j]}
        f_ref = model.rhs(Y[:, j], p)
        J_ref = model.jacobian(Y[:, j], p)
        assert np.max(np.abs(f[:, j] - f_ref) / np.maximum(1.0, np.abs(f_ref))) < 1e-12
        assert np.max(np.abs(J[:, :, j] - J_ref) / np.maximum(1.0, np.abs(J_ref))) < 1e-12


def test_changing_the_model_equations_changes_the_kernel():
    """A subclass with other equations gets other kernels: the declaration comes from the model."""
    base = FitzHughNagumo.engine_equations()

    class Shifted(FitzHughNagumo):
        @classmethod
        def engine_equations(cls):
            return Equations(base.state_names, base.param_names,
                             {"v": "v - v*v*v/3.0 - w + I_ext + 1.0", "w": base.rhs["w"]}, base.jacobian)

    Y = np.array([[0.3, -1.2], [0.1, 0.5]])
    diff = compiled_rhs(Shifted())(Y) - compiled_rhs(FitzHughNagumo())(Y)
    np.testing.assert_array_equal(diff, [[1.0, 1.0], [0.0, 0.0]])


def test_fhn_equations_agree_with_their_textbook_form():
    """The one source (expression strings) gives the textbook FHN: checked against formulas here."""
    model = FitzHughNagumo(a=0.6, b=0.9, eps=0.1, I_ext=0.3)
    v, w = np.random.default_rng(5).uniform(-2, 2, (2, 20))
    f = model.rhs(np.stack([v, w]))
    np.testing.assert_allclose(f[0], v - v**3 / 3 - w + 0.3, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(f[1], 0.1 * (v + 0.6 - 0.9 * w), rtol=1e-14, atol=1e-14)
    J = model.jacobian(np.stack([v, w]))
    np.testing.assert_allclose(J[0, 0], 1 - v**2, rtol=1e-14)
    assert J.shape == (2, 2, 20) and np.all(J[0, 1] == -1.0) and np.all(J[1, 0] == 0.1)
    np.testing.assert_allclose(J[1, 1], -0.09, rtol=1e-14)


@pytest.mark.parametrize("bad, match", [
    ({"v": "v + q", "w": "w"}, "unknown name 'q'"),
    ({"v": "v.real", "w": "w"}, "Attribute"),
    ({"v": "sin(v)", "w": "w"}, "one-argument calls"),
    ({"v": "v +", "w": "w"}, "not a valid expression"),
    ({"v": "v"}, "every state"),
])
def test_equations_reject_bad_expressions(bad, match):
    with pytest.raises(ValueError, match=match):
        Equations(("v", "w"), ("I_ext",), bad, {})
