import json
"""Models from equation text: symbolic Jacobians, generated kernels, errors."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import hhdyn
from hhdyn.equations import EquationError, equations
from hhdyn.protocol import finite_difference_jacobian
from hhdyn.xpp import read_ode

DATA = Path(__file__).resolve().parents[1] / "data"

_HH = json.loads((Path(__file__).resolve().parents[2] / "tests" / "data" / "hh_equations.json").read_text())
HH_TEXT, HH_PARAMS = _HH["rhs"], _HH["params"]


def hh_text():
    return equations(HH_TEXT, HH_PARAMS, initial=dict(V=-65, m=0.05, h=0.6, n=0.32), name="HH as text")


def fhn_text():
    return equations({"v": "v - v**3/3 - w + I_ext", "w": "eps*(v + a - b*w)"},
                     params={"a": 0.7, "b": 0.8, "eps": 0.08, "I_ext": 0.0})


MODELS = {
    "fhn": (fhn_text, [(-3, 3), (-3, 3)]),
    "morris_lecar": (lambda: read_ode(DATA / "morris_lecar.ode"), [(-80, 40), (-0.1, 1.0)]),
    "hh": (hh_text, [(-100, 50), (0, 1), (0, 1), (0, 1)]),
}


def test_fhn_from_text_equals_the_reduction():
    from reductions import FitzHughNagumo

    ref, model = FitzHughNagumo(), fhn_text()
    Y = np.random.default_rng(0).normal(size=(2, 100))
    np.testing.assert_allclose(model.rhs(Y), ref.rhs(Y), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(model.jacobian(Y), ref.jacobian(Y), rtol=1e-15, atol=1e-15)
    for p in ("a", "b", "eps", "I_ext"):
        np.testing.assert_allclose(model.dfdp(Y, p), ref.dfdp(Y, p), rtol=1e-15, atol=1e-15)


def test_hh_text_equals_declared_hh_including_singular_points():
    hh, model = hhdyn.HodgkinHuxley(), hh_text()
    V = np.concatenate([np.linspace(-120, 60, 721), [-40.0, -55.0, -40.0 + 1e-9, -55.0 - 1e-9]])
    Y = np.vstack([V, np.full_like(V, 0.2), np.full_like(V, 0.5), np.full_like(V, 0.4)])
    np.testing.assert_allclose(model.rhs(Y), hh.rhs(Y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.jacobian(Y), hh.jacobian(Y), rtol=1e-10, atol=1e-12)
    assert np.all(np.isfinite(model.jacobian(Y)))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_symbolic_jacobian_matches_finite_differences(name):
    make, box = MODELS[name]
    model = make()
    lo, hi = np.array(box).T

    @settings(max_examples=1000, deadline=None, derandomize=True)
    @given(st.lists(st.floats(0, 1), min_size=len(box), max_size=len(box)))
    def check(u):
        y = lo + np.array(u) * (hi - lo)
        J = model.jacobian(y)
        F = finite_difference_jacobian(model, y)
        scale = np.max(np.abs(J)) + 1e-300
        assert np.max(np.abs(J - F)) <= 1e-7 * scale

    check()


def test_dfdp_is_exact():
    model = read_ode(DATA / "morris_lecar.ode")
    y = np.array([-20.0, 0.2])
    for p in model.params:
        h = 1e-6 * max(1.0, abs(model.params[p]))
        fd = (model.rhs(y, {p: model.params[p] + h}) - model.rhs(y, {p: model.params[p] - h})) / (2 * h)
        np.testing.assert_allclose(model.dfdp(y, p), fd, rtol=1e-6, atol=1e-9)


def test_aux_quantities():
    ml = read_ode(DATA / "morris_lecar.ode")
    Y = np.array([[-40.0, 0.0], [0.1, 0.2]])
    p = ml.params
    minf = 0.5 * (1 + np.tanh((Y[0] - p.v1) / p.v2))
    np.testing.assert_allclose(ml.aux(Y)["ica"], p.gca * minf * (Y[0] - p.vca), rtol=1e-14)


def test_batch_simulation_and_sweep_run_on_equation_models():
    from analysis.sweep import sweep

    model, hh = hh_text(), hhdyn.HodgkinHuxley()
    I = np.array([0.0, 5.0, 10.0, 20.0])
    y0 = hh.resting_state()
    a = hhdyn.simulate_batch(model, 200.0, params={"I_ext": I}, y0=y0, rtol=1e-8, atol=1e-8)
    b = hhdyn.simulate_batch(hh, 200.0, params={"I_ext": I}, y0=y0, rtol=1e-8, atol=1e-8)
    assert not a.failed.any()
    np.testing.assert_array_equal(a.spike_counts, b.spike_counts)
    for i in range(len(I)):
        np.testing.assert_allclose(a.spike_times[i][: a.spike_counts[i]], b.spike_times[i][: b.spike_counts[i]],
                                   atol=1e-4)
    res = sweep(model, {"I_ext": I}, t_end=200.0, y0=y0, progress=False)
    ref = sweep(hh, {"I_ext": I}, t_end=200.0, y0=y0, progress=False)
    np.testing.assert_allclose(res.values, ref.values, rtol=1e-6)


def test_fixed_points_use_declared_ranges():
    """Morris–Lecar at I = 30 has 3 equilibria in mV; the default box (-10, 10) would miss two."""
    from analysis.equilibria import fixed_points

    ml = read_ode(DATA / "morris_lecar.ode")
    fps = fixed_points(ml)
    assert len(fps) == 3
    for fp in fps:
        assert np.max(np.abs(ml.rhs(fp.state))) < 1e-10


@pytest.mark.parametrize("kwargs, problem", [
    (dict(rhs={"x": "-x + y"}), "unknown symbol 'y'"),
    (dict(rhs={"x": "-x"}, initial={"y": 1.0}), "'y', which is not a state with an equation"),
    (dict(rhs={"x": "-x*a"}, params={"x": 1.0, "a": 2.0}), "'x' is declared both as a parameter and as a state"),
    (dict(rhs={"x": "1/(x - 1)"}, initial={"x": 1.0}), "undefined"),
    (dict(rhs={"x": "-x +"}), "cannot parse"),
    (dict(rhs={"x": "x.real"}), "not allowed"),
    (dict(rhs={"x": "__import__('os')"}), "cannot be used"),
    (dict(rhs={"x": "f(x)"}), "unknown symbol 'f'"),
    (dict(rhs={"x": "-x"}, stimulus="J"), "stimulus parameter 'J'"),
])
def test_errors_name_the_problem(kwargs, problem):
    with pytest.raises(EquationError) as info:
        equations(**kwargs)
    assert problem in str(info.value), str(info.value)


def test_functions_fixed_and_builtins():
    m = equations({"x": "g(x, k) + heav(x) - ifelse(x > 1, 2, 0) + c"}, params={"k": 2.0},
                  functions={"g(u, s)": "-s*u"}, fixed={"c": "k/4"})
    x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(m.rhs(x[None])[0], -2 * x + (x >= 0) - np.where(x > 1, 2, 0) + 0.5)
    assert m.jacobian(np.array([0.5]))[0, 0] == -2.0


def test_phase_plane_uses_declared_ranges():
    from analysis.phaseplane import PhasePlane

    ml = read_ode(DATA / "morris_lecar.ode")
    plane = PhasePlane(ml)
    assert plane.xlim == (-80.0, 40.0) and plane.ylim == (-0.1, 0.6)
    assert len(plane.fixed_points()) == 3


def test_aux_quantities_plot_along_a_trajectory():
    import matplotlib

    matplotlib.use("Agg")
    hh = read_ode(DATA / "hh.ode")
    traj = hhdyn.simulate(hh, 5.0, stimulus=10.0, y0=hh.initial_state())
    ax = hh.plot_aux(traj, ["I_Na"])
    line = ax.get_lines()[0].get_ydata()
    p = hh.params
    np.testing.assert_allclose(line, p.gNa * traj.m**3 * traj.h * (traj.V - p.ENa), rtol=1e-12)
    with pytest.raises(ValueError, match="not an auxiliary"):
        hh.plot_aux(traj, ["I_Ca"])


def test_removable_singularities_of_both_conventions_are_exact():
    """α_m of the 1952 paper, 0.1(v + 25)/(e^((v+25)/10) − 1), and the modern form with symbolic
    parameters are finite at their singular points and equal the declared exp-linear rates."""
    gate = hhdyn.HodgkinHuxley1952().gates["m"]
    m = equations({"m": "0.1*(v+25)/(exp((v+25)/10)-1)*(1-m)"}, params={"v": 0.0}, stimulus=None)
    v = np.concatenate([np.linspace(-100, 50, 301), [-25.0, -25.0 + 1e-10]])
    got = np.array([m.rhs(np.array([0.0]), {"v": x})[0] for x in v])
    np.testing.assert_allclose(got, gate.alpha(v), rtol=1e-12)
    dgot = np.array([m.dfdp(np.array([0.0]), "v", {"v": x})[0] for x in v])
    np.testing.assert_allclose(dgot, gate.alpha.deriv(v), rtol=1e-9, atol=1e-12)
    sym = equations({"x": "A*(V - Vh)/(1 - exp(-(V - Vh)/k)) - x"},
                    params={"A": 0.1, "Vh": -55.0, "k": 10.0, "V": -55.0}, stimulus=None, name="symbolic")
    ref = hhdyn.ExpLinearRate(1.0, -55.0, 10.0)  # A·k·explin((V − Vh)/k) with A·k = 1
    for V in (-55.0, -55.0 + 1e-9, -54.0, 0.0):
        np.testing.assert_allclose(sym.rhs(np.array([0.0]), {"V": V})[0], ref(V), rtol=1e-12)
        np.testing.assert_allclose(sym.dfdp(np.array([0.0]), "V", {"V": V})[0], ref.deriv(V), rtol=1e-9)


def test_equation_models_pickle_for_process_pools():
    import pickle

    ml = read_ode(DATA / "morris_lecar.ode").with_params(I_ext=45.0)
    back = pickle.loads(pickle.dumps(ml))
    y = np.array([-30.0, 0.2])
    assert back.params == ml.params and back.options == ml.options
    assert np.array_equal(back.rhs(y), ml.rhs(y)) and np.array_equal(back.jacobian(y), ml.jacobian(y))


def test_sweep_with_a_process_pool():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from analysis.sweep import sweep

    model = hh_text()
    I = np.array([0.0, 10.0, 20.0])
    y0 = hhdyn.HodgkinHuxley().resting_state()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        res = sweep(model, {"I_ext": I}, t_end=100.0, y0=y0, progress=False, executor=pool, chunk_size=2)
    ref = sweep(model, {"I_ext": I}, t_end=100.0, y0=y0, progress=False)
    # the pool runs the members in other batches (chunk_size=2), so the SIMD lanes group them
    # differently: equal to round-off, not bit for bit
    np.testing.assert_allclose(res.values, ref.values, rtol=1e-12, atol=0.0)
