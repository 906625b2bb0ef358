"""Morris–Lecar (three Rinzel–Ermentrout sets) and Wang–Buzsáki against independent computations.

The reference equations are written out by hand from the papers (not from hhdyn's
declaration; Morris–Lecar in tests/ml_reference.py, the ``ml_reference`` fixture): equilibria, folds and Hopf points on the steady-state curve by brentq, l1 signs by
the planar Hopf formula of Guckenheimer & Holmes (3.4.11) with finite differences, cycle periods
by a DOP853 integration at rtol 1e-11.
"""
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import hhdyn
from analysis import continue_cycles, continue_equilibria, excitability_class, fi_curve, fixed_points
from hhdyn.app.catalog import make_model
from hhdyn.protocol import finite_difference_jacobian

SET_NAMES = ("hopf", "snic", "homoclinic")


def roots(fun, lo=-80.0, hi=60.0, n=2801):
    grid = np.linspace(lo, hi, n)
    vals = np.array([fun(v) for v in grid])
    return [brentq(fun, grid[i], grid[i + 1], xtol=1e-14, rtol=1e-15)
            for i in np.flatnonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)]


def hand_l1_sign(ml, V):
    """sign of a (G&H 3.4.11) in the coordinates where J = [[0, −ω], [ω, 0]]."""
    x0 = np.array([V, ml.winf(V)])
    I = ml.Iss(V)
    J = ml.jac(V)
    lam, vecs = np.linalg.eig(J)
    k = int(np.argmax(lam.imag))
    omega, q = lam[k].imag, vecs[:, k] / vecs[0, k]
    P = np.column_stack([q.real, -q.imag])
    Pinv = np.linalg.inv(P)

    def F(a, b):
        return Pinv @ ml.rhs(x0 + P @ np.array([a, b]), I)

    h = 1e-2
    F00 = F(0, 0)
    Fx = lambda a, b: F(a, b)  # noqa: E731
    fxx = (Fx(h, 0) - 2 * F00 + Fx(-h, 0)) / h**2
    fyy = (Fx(0, h) - 2 * F00 + Fx(0, -h)) / h**2
    fxy = (Fx(h, h) - Fx(h, -h) - Fx(-h, h) + Fx(-h, -h)) / (4 * h**2)
    fxxx = (Fx(2 * h, 0) - 2 * Fx(h, 0) + 2 * Fx(-h, 0) - Fx(-2 * h, 0)) / (2 * h**3)
    fyyy = (Fx(0, 2 * h) - 2 * Fx(0, h) + 2 * Fx(0, -h) - Fx(0, -2 * h)) / (2 * h**3)
    fxyy = (Fx(h, h) - 2 * Fx(h, 0) + Fx(h, -h) - Fx(-h, h) + 2 * Fx(-h, 0) - Fx(-h, -h)) / (2 * h**3)
    fxxy = (Fx(h, h) - 2 * Fx(0, h) + Fx(-h, h) - Fx(h, -h) + 2 * Fx(0, -h) - Fx(-h, -h)) / (2 * h**3)
    f, g = 0, 1
    a = (fxxx[f] + fxyy[f] + fxxy[g] + fyyy[g]) / 16 + (
        fxy[f] * (fxx[f] + fyy[f]) - fxy[g] * (fxx[g] + fyy[g]) - fxx[f] * fxx[g] + fyy[f] * fyy[g]) / (16 * omega)
    return np.sign(a)


@pytest.fixture(scope="module", params=SET_NAMES)
def ml_case(request, ml_reference):
    which = request.param
    model = hhdyn.MorrisLecar(which)
    branch = continue_equilibria(model, "I_ext", (-100.0, 400.0))
    return which, model, ml_reference.HandML(which), branch


def test_catalog_names_build_the_models(ml_reference):
    SETS = ml_reference.SETS
    for name, cls in [("ml_hopf", "hopf"), ("ml_snic", "snic"), ("ml_homoclinic", "homoclinic")]:
        m = make_model(name, I_ext=3.0)
        assert m.state_names == ("V", "w") and m.params["I_ext"] == 3.0
        assert m.params["gCa"] == SETS[cls]["gCa"]
    wb = make_model("wang_buzsaki")
    assert wb.state_names == ("V", "h", "n")
    with pytest.raises(ValueError, match="unknown model 'ml_nope'.*choose one of"):
        make_model("ml_nope")
    with pytest.raises(ValueError, match="unknown Morris-Lecar set"):
        hhdyn.MorrisLecar("nope")


def test_ml_rhs_and_jacobian_match_hand_equations(ml_case):
    which, model, ml, _ = ml_case
    rng = np.random.default_rng(1)
    for _ in range(5):
        y = np.array([rng.uniform(-70, 40), rng.uniform(0, 1)])
        I = rng.uniform(0, 100)
        np.testing.assert_allclose(model.rhs(y, {"I_ext": I}), ml.rhs(y, I), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(model.jacobian(y), finite_difference_jacobian(model, y), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------- φ as a parameter (rate scale)
def test_ml_phi_is_a_parameter_and_snic_with_the_homoclinic_phi_is_the_homoclinic_set(ml_reference):
    snic = hhdyn.MorrisLecar("snic")
    assert snic.params["phi"] == pytest.approx(1.0 / 15.0)
    moved, hom = snic.with_params(phi=0.23), hhdyn.MorrisLecar("homoclinic")
    assert dict(moved.params) == dict(hom.params)
    rng = np.random.default_rng(5)
    Y = np.vstack([rng.uniform(-80, 50, 200), rng.uniform(0, 1, 200)])
    np.testing.assert_array_equal(moved.rhs(Y), hom.rhs(Y))
    # against the hand equations at another φ
    ml = ml_reference.HandML("snic", phi=0.5)
    for j in range(5):
        np.testing.assert_allclose(snic.rhs(Y[:, j], {"phi": 0.5, "I_ext": 30.0}), ml.rhs(Y[:, j], 30.0), rtol=1e-13)
    assert "phi=0.23" in moved.name and hom.name == "Morris-Lecar (homoclinic)"
    # the factory argument is the same parameter
    assert dict(hhdyn.MorrisLecar("snic", phi=0.23).params) == dict(hom.params)
    # τ_w = 1/(φ cosh((V − V3)/(2V4)))
    np.testing.assert_allclose(moved.time_constant(-20.0)["w"], 1.0 / ml_reference.HandML("homoclinic").lam(-20.0),
                               rtol=1e-14)


@pytest.mark.parametrize("make", [lambda: hhdyn.MorrisLecar("snic", phi=0.17), lambda: hhdyn.WangBuzsaki(phi=3.0)],
                         ids=["morris_lecar", "wang_buzsaki"])
def test_rate_scale_jacobian_and_dfdp_match_finite_differences(make):
    model = make()
    rng = np.random.default_rng(6)
    phi = model.params["phi"]
    for _ in range(6):
        y = np.concatenate([[rng.uniform(-75, 30)], rng.uniform(0, 1, model.n_states - 1)])
        np.testing.assert_allclose(model.jacobian(y), finite_difference_jacobian(model, y), rtol=1e-6, atol=1e-9)
        h = 1e-6 * phi
        fd = (model.rhs(y, {"phi": phi + h}) - model.rhs(y, {"phi": phi - h})) / (2 * h)
        got = model.dfdp(y, "phi")
        np.testing.assert_allclose(got, fd, rtol=1e-7, atol=1e-12)
        assert got[0] == 0.0 and np.all(got[1:] != 0.0)  # φ scales the gate rates, not the membrane


def test_wang_buzsaki_phi_parameter_matches_the_published_equations_scaled():
    wb = hhdyn.WangBuzsaki()
    assert wb.params["phi"] == 5.0
    y = np.array([-55.0, 0.4, 0.3])
    base = wb_hand_rhs(y, 1.0)
    got = wb.with_params(phi=2.5).rhs(y, {"I_ext": 1.0})
    np.testing.assert_allclose(got[0], base[0], rtol=1e-13)
    np.testing.assert_allclose(got[1:], 0.5 * base[1:], rtol=1e-13)   # the gate rates scale with φ
    assert dict(hhdyn.WangBuzsaki(phi=2.5).params) == dict(wb.with_params(phi=2.5).params)


@pytest.mark.parametrize("bad", [0.0, -0.1, float("nan"), float("inf")])
def test_rate_scale_must_be_positive(bad):
    match = "parameter 'phi' .*rate factor of gate 'w'.* > 0" if np.isfinite(bad) else "parameter 'phi' must be finite"
    with pytest.raises(ValueError, match=match):
        hhdyn.MorrisLecar("snic").with_params(phi=bad)
    with pytest.raises(ValueError, match="parameter 'phi'"):
        hhdyn.WangBuzsaki(phi=bad)


def test_rate_scale_declaration_errors():
    from hhdyn import Channel, ConductanceModel, ExpRate, Gate

    g = Gate("x", ExpRate(1.0, 0.0, 10.0), ExpRate(1.0, 0.0, -10.0), q10=1.0, rate_scale="s")
    with pytest.raises(ValueError, match="scaled by parameter 's'.*extra_params"):
        ConductanceModel([Channel("K", 1.0, -80.0, ((g, 1),))])
    bad = Gate("x", ExpRate(1.0, 0.0, 10.0), ExpRate(1.0, 0.0, -10.0), q10=1.0, rate_scale="gK")
    with pytest.raises(ValueError, match="built-in parameter"):
        ConductanceModel([Channel("K", 1.0, -80.0, ((bad, 1),))])
    with pytest.raises(ValueError, match="rate_scale must be a parameter name"):
        Gate("x", ExpRate(1.0, 0.0, 10.0), ExpRate(1.0, 0.0, -10.0), rate_scale="not a name")
    # q10 and the rate scale multiply: dx/dt = q10^((T − T_ref)/10)·s·(α(1 − x) − βx)
    h = Gate("x", ExpRate(0.3, 0.0, 10.0), ExpRate(0.2, 0.0, -10.0), q10=3.0, T_ref=6.3, rate_scale="s")
    m = ConductanceModel([Channel("K", 1.0, -80.0, ((h, 1),))], T=16.3, extra_params={"s": 2.0})
    y = np.array([-30.0, 0.4])
    a, b = 0.3 * np.exp(-3.0), 0.2 * np.exp(3.0)
    assert m.rhs(y)[1] == pytest.approx(3.0 * 2.0 * (a * 0.6 - b * 0.4), rel=1e-14)
    assert m.dfdp(y, "T")[1] == pytest.approx(np.log(3.0) / 10 * 3.0 * 2.0 * (a * 0.6 - b * 0.4), rel=1e-12)


def test_model_file_round_trip_keeps_the_rate_scale(tmp_path):
    from hhdyn.model_files import load_model, save_model

    model = hhdyn.MorrisLecar("snic", phi=0.3, I_ext=42.0)
    save_model(model, tmp_path / "ml.json")
    back = load_model(tmp_path / "ml.json")
    assert back.gates["w"].rate_scale == "phi" and back.params["phi"] == 0.3
    y = np.array([-25.0, 0.2])
    np.testing.assert_array_equal(back.rhs(y), model.rhs(y))
    np.testing.assert_array_equal(back.with_params(phi=0.1).rhs(y), model.with_params(phi=0.1).rhs(y))


def test_compiled_engine_scales_the_gate_rates_by_phi():
    """The generated kernels take φ per batch member (a derived coefficient φ(T)·s, where Q10 is)."""
    from hhdyn.engine import coefficient_matrix, compiled, declare

    model = hhdyn.MorrisLecar("snic")
    rng = np.random.default_rng(7)
    N = 50
    Y = np.vstack([rng.uniform(-75, 40, N), rng.uniform(0, 1, N)])
    params = {k: np.full(N, float(v)) for k, v in model.params.items()}
    params["phi"] = rng.uniform(0.02, 0.5, N)
    decl = declare(model)
    K = coefficient_matrix(decl, params)
    out = np.empty_like(Y)
    compiled(model).rhs_batch(Y, K, np.zeros(N), out)
    expected = np.column_stack([model.rhs(Y[:, j], {"phi": params["phi"][j]}) for j in range(N)])
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


def test_xpp_export_carries_the_rate_scale(tmp_path):
    from hhdyn.xpp import read_ode, to_ode

    model = hhdyn.MorrisLecar("snic", phi=0.3, I_ext=42.0)
    back = read_ode(to_ode(model, tmp_path / "ml.ode"))
    assert back.params["phi"] == 0.3
    y = np.array([-25.0, 0.2])
    np.testing.assert_allclose(back.rhs(y), model.rhs(y), rtol=1e-12)
    np.testing.assert_allclose(back.rhs(y, {"phi": 0.1}), model.rhs(y, {"phi": 0.1}), rtol=1e-12)


def test_ml_equilibria_and_stability(ml_case):
    which, model, ml, _ = ml_case
    for I in (0.0, 45.0, 100.0):
        ref = roots(lambda v: ml.Iss(v) - I)
        fps = fixed_points(model.with_params(I_ext=I))
        got = sorted(fp.state[0] for fp in fps)
        np.testing.assert_allclose(got, ref, rtol=1e-7)
        for fp in fps:
            lam = np.linalg.eigvals(ml.jac(fp.state[0]))
            assert fp.n_unstable == int(np.sum(lam.real > 0))


def test_ml_folds_and_hopf_points(ml_case):
    which, model, ml, branch = ml_case
    folds = [v for v in roots(ml.dIss, -100, 100, 4001) if -100 <= ml.Iss(v) <= 400]
    hopfs = [v for v in roots(lambda v: np.trace(ml.jac(v)), -100, 100, 4001)
             if np.linalg.det(ml.jac(v)) > 0 and -100 <= ml.Iss(v) <= 400]
    LP = [sp for sp in branch.special_points if sp.kind == "LP"]
    H = [sp for sp in branch.special_points if sp.kind == "H"]
    assert len(LP) == len(folds) and len(H) == len(hopfs)
    for kind, refs, found in (("LP", folds, LP), ("H", hopfs, H)):
        for v in refs:
            sp = min(found, key=lambda s: abs(s.state[0] - v))
            assert sp.state[0] == pytest.approx(v, rel=1e-7), kind
            assert sp.param == pytest.approx(ml.Iss(v), rel=1e-7), kind
            if kind == "H":
                assert np.sign(sp.info["l1"]) == hand_l1_sign(ml, v)


# stable orbits at three currents, and a window that contains the branch's fold of cycles
CYCLE_CURRENTS = {"hopf": ((95.0, 110.0, 140.0), (80.0, 150.0)), "snic": ((45.0, 60.0, 80.0), (41.0, 125.0)),
                  "homoclinic": ((36.0, 38.0, 40.0), (30.0, 45.0))}


def test_ml_cycle_periods_match_dop853(ml_case):
    which, model, ml, branch = ml_case
    H = min((sp for sp in branch.special_points if sp.kind == "H"), key=lambda s: s.param)
    currents, window = CYCLE_CURRENTS[which]
    cb = continue_cycles(H, model, window=window, values=currents, ntst=60)
    for I in currents:
        idx = [sp.index for sp in cb.special_points if sp.kind == "UZ" and abs(sp.param - I) < 1e-6]
        idx = [i for i in idx if cb.stable[i]]
        assert idx, f"no stable orbit at I = {I} on the {which} branch"
        i = idx[0]
        t, y = cb.orbit(i)
        thr = 0.5 * (y[0].max() + y[0].min())
        event = lambda t, z: z[0] - thr  # noqa: E731
        event.direction = 1
        sol = solve_ivp(lambda t, z: ml.rhs(z, I), (0, 6 * cb.period[i]), y[:, 0], method="DOP853",
                        rtol=1e-11, atol=1e-11, events=event)
        T_ref = np.diff(sol.t_events[0])[-1]
        assert cb.period[i] == pytest.approx(T_ref, rel=1e-6)


# ---------------------------------------------------------------------- Wang–Buzsáki
def wb_hand_rhs(y, I):
    """Wang & Buzsáki (1996), eqs. as published (φ = 5, m = m∞)."""
    V, h, n = y
    am = 0.1 * (V + 35) / (1 - np.exp(-(V + 35) / 10))
    bm = 4 * np.exp(-(V + 60) / 18)
    ah = 0.07 * np.exp(-(V + 58) / 20)
    bh = 1 / (1 + np.exp(-(V + 28) / 10))
    an = 0.01 * (V + 34) / (1 - np.exp(-(V + 34) / 10))
    bn = 0.125 * np.exp(-(V + 44) / 80)
    m = am / (am + bm)
    dV = I - 35 * m**3 * h * (V - 55) - 9 * n**4 * (V + 90) - 0.1 * (V + 65)
    return np.array([dV, 5 * (ah * (1 - h) - bh * h), 5 * (an * (1 - n) - bn * n)])


def test_wang_buzsaki_matches_published_equations():
    model = hhdyn.WangBuzsaki()
    rng = np.random.default_rng(2)
    for _ in range(10):
        y = np.array([rng.uniform(-80, 30), rng.uniform(0, 1), rng.uniform(0, 1)])
        I = rng.uniform(-1, 3)
        np.testing.assert_allclose(model.rhs(y, {"I_ext": I}), wb_hand_rhs(y, I), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(model.jacobian(y), finite_difference_jacobian(model, y), rtol=1e-6, atol=1e-8)


def test_wang_buzsaki_onset_is_class_1():
    model = hhdyn.WangBuzsaki()
    fi = fi_curve(model, currents=[0.15, 0.162, 0.17, 0.2], sweep="up", settle_ms=200.0, measure_ms=1500.0,
                  ramp_rate=0.001)
    assert fi.rate_up[0] == 0.0
    assert 0.0 < fi.lowest_rate < 5.0
    result = excitability_class(fi)
    assert result.excitability_class == 1
    assert result.onset_bracket == (0.15, 0.162)


def test_gallery_registers_class1_figures():
    from hhdyn.app.gallery import registry

    names = registry()
    for name in ("ml_phase_planes", "fi_class1_vs_class2", "prc_hh_vs_wb"):
        assert name in names


def test_ml_phase_plane_figure_draws_the_homoclinic_loop(ml_reference):
    import matplotlib

    matplotlib.use("Agg")
    from hhdyn.app.gallery.class1 import ml_phase_planes

    fig = ml_phase_planes()
    ax = fig.axes[3]
    loop = [line for line in ax.get_lines() if line.get_label().startswith("homoclinic loop")]
    assert len(loop) == 1
    V, w = loop[0].get_xdata(), loop[0].get_ydata()
    # the loop passes through the saddle of the hand model at the panel's current (the title's I_hom)
    I_hom = float(ax.get_title().split("I_hom = ")[1].split()[0])
    ml = ml_reference.HandML("homoclinic")
    V_s = ml.equilibria(I_hom)[1]
    d = np.hypot((V - V_s) / 100.0, w - ml.winf(V_s))
    assert d.min() < 1e-3
    # and makes the excursion of a spike
    assert V.max() > 10.0 and np.ptp(w) > 0.3
    import matplotlib.pyplot as plt

    plt.close(fig)
