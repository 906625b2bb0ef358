"""Multi-compartment solver: Hines elimination, agreement with the point model, units, overrides."""
import math

import numpy as np
import pytest

from hhdyn import _cable_kernel
from hhdyn import HodgkinHuxley
from hhdyn.cable import CableModel, CurrentInjection, _hines_solve_python, density, hines_solve, passive_membrane
from hhdyn.morphology import ball_and_stick, cable, y_tree
from hhdyn.simulation import simulate
from hhdyn.stimuli import Constant, PulseTrain, Step


@pytest.fixture(scope="module")
def point_reference():
    """The point model's tight-tolerance run required by the acceptance test."""
    traj = simulate(HodgkinHuxley(), 100, stimulus=Constant(10), rtol=1e-10, atol=1e-10, method="DOP853")
    return traj.spike_times()


def _random_tree(rng, n):
    parent = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, n)], dtype=np.int64)
    a = -rng.uniform(0.1, 2.0, n)
    a[0] = 0.0
    d = rng.uniform(0.1, 1.0, n) - np.bincount(parent[1:], weights=a[1:], minlength=n) - a
    return d, a, parent


@pytest.mark.parametrize("solver", [hines_solve, lambda d, a, p, r: _hines_solve_python(d.copy(), a, p, r.copy())])
def test_hines_solver_matches_dense_solve(solver):
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 50):
        d, a, parent = _random_tree(rng, n)
        M = np.diag(d)
        for i in range(1, n):
            M[i, parent[i]] = M[parent[i], i] = a[i]
        rhs = rng.normal(size=n)
        np.testing.assert_allclose(solver(d, a, parent, rhs), np.linalg.solve(M, rhs), rtol=1e-10, atol=1e-12)


def test_single_compartment_reproduces_point_model(point_reference):
    """Acceptance: spike times within 0.05 ms of the point model over 100 ms at I = 10 µA/cm²."""
    model = CableModel(cable(100.0, 10.0, 1), HodgkinHuxley())
    res = model.run(100.0, 0.01, injections=[density(0, Constant(10.0))])
    spikes = res.spike_times(0)
    assert spikes.size == point_reference.size == 7
    err = np.max(np.abs(spikes - point_reference))
    assert err < 0.05
    assert err < 0.005  # measured 0.0024 ms: second order in dt


def test_crank_nicolson_is_second_order_and_backward_euler_first():
    point = simulate(HodgkinHuxley(), 20, stimulus=Constant(10), rtol=1e-10, atol=1e-10, method="DOP853")
    ref = point.spike_times()[:2]
    model = CableModel(cable(100.0, 10.0, 1), HodgkinHuxley())
    errors = {}
    for method in ("cn", "be"):
        for dt in (0.02, 0.01):
            s = model.run(20.0, dt, injections=[density(0, 10.0)], method=method).spike_times(0)[:2]
            errors[method, dt] = np.max(np.abs(s - ref))
    assert 3.3 < errors["cn", 0.02] / errors["cn", 0.01] < 4.7
    assert 1.7 < errors["be", 0.02] / errors["be", 0.01] < 2.3


def test_reduced_model_with_instantaneous_gate_matches_point_model():
    from reductions import fast_m

    membrane = fast_m(HodgkinHuxley())
    ref = simulate(membrane, 25, stimulus=Constant(10), rtol=1e-10, atol=1e-10, method="DOP853").spike_times()
    res = CableModel(cable(50.0, 20.0, 1), membrane).run(25.0, 0.01, injections=[density(0, 10.0)])
    spikes = res.spike_times(0)
    assert spikes.size == ref.size >= 2
    assert np.max(np.abs(spikes - ref)) < 0.02


@pytest.mark.parametrize("method", ["cn", "be"])
def test_compiled_and_numpy_backends_agree(method):
    """The fused numba step and the vectorized NumPy step compute the same thing (two membranes,
    per-compartment overrides, a branched tree, two injections)."""
    pytest.importorskip("numba")
    morph = ball_and_stick(n_segments=20)
    model = CableModel(morph, {"soma": HodgkinHuxley(), "dend": HodgkinHuxley(gNa=30.0, T=10.0, I_ext=0.5)},
                       overrides={"dend[5]": {"gK": 20.0, "EL": -60.0}})
    stim = {"soma": Step(1.0, 1.0, 1.0), "dend[15]": Step(3.0, 1.0, 0.5)}
    a = model.run(10.0, 0.01, injections=stim, method=method, backend="numpy")
    b = model.run(10.0, 0.01, injections=stim, method=method, backend="numba")
    assert a.V.max() > 0
    np.testing.assert_allclose(a.V, b.V, rtol=0, atol=1e-9)
    for x, y in zip(a.final_state.gates, b.final_state.gates):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)
    from reductions import fast_m

    with pytest.raises(ValueError, match="backend 'numba' needs"):
        CableModel(morph, fast_m(HodgkinHuxley())).run(1.0, 0.01, backend="numba")
    with pytest.raises(ValueError, match="backend must be"):
        model.run(1.0, 0.01, backend="cuda")


def test_uniform_cable_stays_at_rest_and_gates_stay_in_unit_interval():
    model = CableModel(cable(2000.0, 5.0, 40), HodgkinHuxley())
    rest = model.run(5.0, 0.025)
    assert np.max(np.abs(rest.V - rest.V[0, 0])) < 1e-9
    res = model.run(10.0, 0.025, injections={0: Step(1.0, 0.5, 10.0)})
    assert res.spike_counts()[-1] == 1
    for x in res.final_state.gates:
        assert np.all((x >= 0) & (x <= 1))


def test_injection_units_nA_and_density_agree():
    morph = cable(500.0, 4.0, 10)
    model = CableModel(morph, HodgkinHuxley())
    area = morph.area_cm2[3]
    a = model.run(5.0, 0.01, injections={3: Step(0.5, 1.0, 2000.0 * area * 1e3)})
    b = model.run(5.0, 0.01, injections=[CurrentInjection(3, Step(0.5, 1.0, 2000.0), units="uA/cm2")])
    np.testing.assert_allclose(a.V, b.V, rtol=0, atol=1e-10)
    assert a.V.max() > 0  # it did spike


def test_passive_charge_balance_in_one_compartment():
    """C·A·dV/dt = −A·g(V − E) + I: with a 1 nA step the steady deflection is I/(g·A)."""
    morph = cable(100.0, 10.0, 1)
    g, area = 0.1, morph.area_cm2[0]
    res = CableModel(morph, passive_membrane(g=g, E=-70.0)).run(200.0, 0.1, injections={0: 1.0}, method="be")
    expected = 1e-3 / (g * area)  # µA / (mS) = mV
    assert res.V[0, -1] - res.V[0, 0] == pytest.approx(expected, rel=1e-6)
    # the membrane time constant C/g = 10 ms: at t = 10 ms the response is 1 − 1/e (BE: within 1 %)
    k = np.searchsorted(res.t, 10.0)
    assert (res.V[0, k] - res.V[0, 0]) / expected == pytest.approx(1 - math.exp(-1), rel=1e-2)


def test_axial_current_is_the_laplacian():
    morph = y_tree(n_segments=5)
    model = CableModel(morph, HodgkinHuxley())
    V = np.random.default_rng(1).normal(-60, 10, len(morph))
    np.testing.assert_allclose(model.axial_current_uA(V), morph.laplacian_mS() @ V, rtol=1e-12, atol=1e-12)


def test_y_tree_obeying_rall_rule_has_equivalent_cylinder_input_resistance():
    """A trunk splitting by d^(3/2) into two daughters of equal electrotonic length is one
    cylinder of the trunk's diameter and length L_t/λ_t + L_d/λ_d (Rall 1962)."""
    d_t, d_d, Ra, g = 4.0, 4.0 / 2 ** (2 / 3), 100.0, 0.1
    morph = y_tree(300.0, d_t, 200.0, (d_d, d_d), n_segments=(150, 100, 100), Ra_ohm_cm=Ra)
    dV = CableModel(morph, passive_membrane(g=g)).steady_state_response({"trunk[0]": 1.0})

    def lam_um(d):
        return math.sqrt(d * 1e-4 * 1e3 / g / (4 * Ra)) * 1e4

    electrotonic = 300.0 / lam_um(d_t) + 200.0 / lam_um(d_d)
    R_inf = 4 * Ra * lam_um(d_t) * 1e-4 / (math.pi * (d_t * 1e-4) ** 2) * 1e-6
    assert dV[0] == pytest.approx(R_inf / math.tanh(electrotonic), rel=1e-2)
    assert dV[morph.index("left[50]")] == pytest.approx(dV[morph.index("right[50]")], rel=1e-12)


def test_regions_membranes_and_overrides():
    morph = ball_and_stick(n_segments=10)
    hh = HodgkinHuxley()
    model = CableModel(morph, {"soma": hh, "dend": passive_membrane(g=0.05, E=-65.0)},
                       overrides={"dend": {"gL": 0.02}, "dend[9]": {"gL": 0.5, "C": 2.0}, "soma": {"gNa": 100.0}})
    assert model.params_of("soma")["gNa"] == 100.0
    assert model.params_of("dend[0]")["gL"] == 0.02 and model.params_of("dend[9]")["gL"] == 0.5
    assert model.C[morph.index("dend[9]")] == 2.0
    assert model.membrane_of("soma") is hh
    res = model.run(30.0, 0.025, injections={"soma": Step(2.0, 1.0, 1.0)}, record=["soma", "dend[5]"])
    assert res.V.shape == (2, 1201)
    assert res.spike_counts()[0] == 1 and res.V[1].max() < res.V[0].max()


def test_continuing_from_final_state_equals_one_run():
    model = CableModel(cable(1000.0, 2.0, 20), HodgkinHuxley(T=10.0))
    stim = {0: PulseTrain(0.5, 0.5, 6.0, 0.5, 3)}
    whole = model.run(12.0, 0.02, injections=stim)
    first = model.run(6.0, 0.02, injections=stim)
    second = model.run(6.0, 0.02, injections=stim, initial=first.final_state)
    np.testing.assert_allclose(second.t[-1], 12.0)
    np.testing.assert_allclose(second.V[:, -1], whole.V[:, -1], rtol=0, atol=1e-9)


def test_v_init_sets_gates_to_steady_state_and_record_dt():
    model = CableModel(cable(1000.0, 2.0, 5), HodgkinHuxley())
    state = model.state_at(-70.0)
    np.testing.assert_allclose(state.gates[0][2], HodgkinHuxley().gates["n"].steady_state(-70.0))
    res = model.run(2.0, 0.01, v_init=-70.0, record_dt=0.5)
    np.testing.assert_allclose(res.t, [0, 0.5, 1.0, 1.5, 2.0])
    assert res.V[0, 0] == -70.0


def test_bad_input_names_the_problem():
    model = CableModel(cable(1000.0, 2.0, 5), HodgkinHuxley())
    with pytest.raises(ValueError, match="compartment 17 does not exist"):
        model.run(1.0, 0.01, injections={17: 1.0})
    with pytest.raises(ValueError, match="compartment 'soma' does not exist"):
        model.run(1.0, 0.01, injections=[density("soma", 1.0)])
    with pytest.raises(ValueError, match="cannot record: compartment 9"):
        model.run(1.0, 0.01, record=[0, 9])
    with pytest.raises(ValueError, match="unknown method 'rk4'"):
        model.run(1.0, 0.01, method="rk4")
    with pytest.raises(ValueError, match="whole number of steps"):
        model.run(1.005, 0.01)
    with pytest.raises(ValueError, match="dt must be a positive"):
        model.run(1.0, -0.01)
    with pytest.raises(ValueError, match="units must be"):
        CurrentInjection(0, 1.0, units="mA")
    with pytest.raises(ValueError, match="override key 'axn'"):
        CableModel(cable(100.0, 1.0, 3), HodgkinHuxley(), overrides={"axn": {"gL": 1.0}})
    with pytest.raises(ValueError, match=r"overrides\['axon'\].*'gCa'"):
        CableModel(cable(100.0, 1.0, 3), HodgkinHuxley(), overrides={"axon": {"gCa": 1.0}})
    with pytest.raises(ValueError, match=r"overrides\[1\].*'C'"):
        CableModel(cable(100.0, 1.0, 3), HodgkinHuxley(), overrides={1: {"C": -1.0}})
    with pytest.raises(ValueError, match="no membrane for mechanism 'dend'"):
        CableModel(ball_and_stick(n_segments=3), {"soma": HodgkinHuxley()})
    with pytest.raises(ValueError, match="membrane must be"):
        CableModel(cable(100.0, 1.0, 3), "hh")


def test_result_export_and_plots(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = CableModel(cable(1000.0, 2.0, 8), HodgkinHuxley())
    res = model.run(3.0, 0.05, injections={0: Step(0.0, 0.5, 0.5)})
    path = tmp_path / "cable.csv"
    res.to_csv(path)
    rows = path.read_text().splitlines()
    assert rows[0].startswith("t_ms,V_0_mV") and len(rows) == 62
    ax = res.plot()
    assert len(ax.lines) == 5
    ax2 = res.kymograph()
    assert ax2.get_ylabel().startswith("distance")
    plt.close("all")


def test_kymograph_on_a_branched_tree_follows_a_path():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    morph = y_tree(n_segments=(4, 3, 5))
    res = CableModel(morph, HodgkinHuxley()).run(1.0, 0.05)
    ax = res.kymograph()
    mesh = ax.collections[0]
    assert mesh.get_array().size == (4 + 5) * res.t.size  # trunk + the longer (right) daughter
    assert morph.path_to("left[2]") == ("trunk[0]", "trunk[1]", "trunk[2]", "trunk[3]", "left[0]", "left[1]", "left[2]")
    res.kymograph(path=morph.path_to("left[2]"), colorbar=False)
    symmetric = CableModel(y_tree(n_segments=3), HodgkinHuxley()).run(0.5, 0.05)
    with pytest.raises(ValueError, match="increasing distance"):
        symmetric.kymograph(path=["left[0]", "right[0]"])
    plt.close("all")


def test_user_declared_channels_with_inf_tau_gates():
    """A membrane declared by the user (HH plus an A-type K current with gates given by x∞ and
    τ) reproduces its own point model on both backends (the compiled step is generated from the
    same declaration since the rate families emit their own source)."""
    from hhdyn import Channel, ConductanceModel, ConstantRate, Gate, SigmoidRate
    from hhdyn.squid import squid_gates

    g = squid_gates()
    a = Gate.from_inf_tau("a", SigmoidRate(1.0, -50.0, 10.0), ConstantRate(2.0), q10=1.0)
    b = Gate.from_inf_tau("b", SigmoidRate(1.0, -70.0, -6.0), ConstantRate(20.0), q10=1.0)
    membrane = ConductanceModel(
        [Channel("Na", 120.0, 50.0, ((g["m"], 3), (g["h"], 1))), Channel("K", 36.0, -77.0, ((g["n"], 4),)),
         Channel("A", 10.0, "EK", ((a, 3), (b, 1))), Channel("L", 0.3, -54.4)],
        name="HH + A current",
    )
    ref = simulate(membrane, 40, stimulus=Constant(12), rtol=1e-10, atol=1e-10, method="DOP853").spike_times()
    model = CableModel(cable(50.0, 20.0, 1), membrane)
    for backend in ("numpy", "numba") if _cable_kernel.available() else ("numpy",):
        spikes = model.run(40.0, 0.01, injections=[density(0, 12.0)], backend=backend).spike_times(0)
        assert spikes.size == ref.size >= 2
        assert np.max(np.abs(spikes - ref)) < 0.01
