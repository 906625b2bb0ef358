"""Periodic-orbit continuation (analysis.cycles): analytic models, HH, FitzHugh–Nagumo, bad input."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import hhdyn
from hhdyn.protocol import ODEModel
from analysis.cycles import CollocationSystem, CycleBranch, continue_cycles
from analysis.continuation import Status
from analysis.cycles.collocation import CondensedLU, uniform_mesh


# ---------------------------------------------------------------------------- analytic models
class StuartLandau3(ODEModel):
    """Hopf normal form plus a decoupled contracting direction:

        x' = μx − ωy − x(x² + y²),  y' = ωx + μy − y(x² + y²),  z' = −c z.

    For μ > 0 the cycle is the circle r = √μ (z = 0), period 2π/ω, Floquet multipliers
    1, exp(−2μT) (radial) and exp(−cT). The Hopf point is μ = 0 (supercritical, l1 = −1/ω in
    Kuznetsov's normalization)."""

    state_names = ("x", "y", "z")
    name = "Stuart-Landau-3"

    def __init__(self, mu=0.5, omega=2.0, c=0.3):
        super().__init__({"mu": mu, "omega": omega, "c": c})

    def rhs(self, y, params=None):
        p = self._resolve(params)
        x, yy, z = np.asarray(y, dtype=float)
        r2 = x * x + yy * yy
        return np.stack([p.mu * x - p.omega * yy - x * r2, p.omega * x + p.mu * yy - yy * r2, -p.c * z])

    def jacobian(self, y, params=None):
        p = self._resolve(params)
        x, yy, z = np.asarray(y, dtype=float)
        zero = np.zeros_like(x)
        return np.array([
            [p.mu - 3 * x * x - yy * yy, -p.omega - 2 * x * yy, zero],
            [p.omega - 2 * x * yy, p.mu - x * x - 3 * yy * yy, zero],
            [zero, zero, zero - p.c],
        ])


class SnicOscillator(ODEModel):
    """x' = x(1 − r²) − y(μ − y),  y' = y(1 − r²) + x(μ − y): the circle r = 1 is invariant and
    attracting, on it θ' = μ − sin θ, so for μ > 1 the period is T = 2π/√(μ² − 1) and at μ = 1
    a saddle-node on the circle (SNIC) sends T → ∞."""

    state_names = ("x", "y")
    name = "SNIC oscillator"

    def __init__(self, mu=2.0):
        super().__init__({"mu": mu})

    def rhs(self, y, params=None):
        p = self._resolve(params)
        x, yy = np.asarray(y, dtype=float)
        a = 1 - x * x - yy * yy
        return np.stack([x * a - yy * (p.mu - yy), yy * a + x * (p.mu - yy)])

    def jacobian(self, y, params=None):
        p = self._resolve(params)
        x, yy = np.asarray(y, dtype=float)
        a = 1 - x * x - yy * yy
        return np.array([
            [a - 2 * x * x, -2 * x * yy - p.mu + 2 * yy],
            [-2 * x * yy + p.mu - yy, a - 2 * yy * yy - x],
        ])


# ---------------------------------------------------------------------------- linear algebra
def test_condensed_solve_matches_sparse_direct_solve():
    """The condensation of parameters (AUTO's scheme) solves the same bordered system as a plain
    sparse LU of the full collocation Jacobian, and its monodromy matches the block product."""
    from analysis.cycles.floquet import monodromy

    hh = hhdyn.HodgkinHuxley()
    S = CollocationSystem(hh, "I_ext", 20, 4)
    mesh = np.sort(np.concatenate([[0.0, 1.0], np.random.default_rng(0).uniform(0, 1, 19)]))
    tau = S.node_times(mesh)
    U = hh.resting_state()[None, :] + np.outer(np.sin(2 * np.pi * tau), [10, 0.1, 0.05, 0.1])
    blocks, dT, dp = S.jacobian_blocks(U, 12.0, 10.0, mesh)
    G = S.phase_gradient(U)
    arc = (0.01 * U + 0.001, 0.1, 0.3)
    A = S.assemble(blocks, dT, dp, G, arc)
    b = np.random.default_rng(1).normal(size=A.shape[0])
    x_direct = spla.spsolve(A.tocsc(), b)
    lu = CondensedLU(S, blocks, dT, dp, G, arc)
    x_cond = lu.solve(b)
    assert np.max(np.abs(x_cond - x_direct)) < 1e-10 * np.max(np.abs(x_direct))
    assert np.allclose(lu.monodromy(), monodromy(blocks), rtol=1e-8, atol=1e-10)


def test_collocation_jacobian_matches_finite_differences():
    hh = hhdyn.HodgkinHuxley()
    S = CollocationSystem(hh, "I_ext", 10, 3)
    mesh = uniform_mesh(10)
    tau = S.node_times(mesh)
    U = hh.resting_state()[None, :] + np.outer(np.cos(2 * np.pi * tau), [5, 0.05, 0.02, 0.05])
    T, p = 11.0, 9.0
    G = S.phase_gradient(U)
    W = S.node_weights(mesh)
    tU = np.ones_like(U) * 0.1
    arc = (U, T, p, tU, 0.2, 0.3, W, 0.0)
    blocks, dT, dp = S.jacobian_blocks(U, T, p, mesh)
    A = S.assemble(blocks, dT, dp, G, (W[:, None] * tU, 0.2, 0.3)).toarray()
    X = S.pack(U, T, p)
    rng = np.random.default_rng(2)
    for k in rng.choice(X.size, 12, replace=False):
        h = 1e-6 * max(1.0, abs(X[k]))
        Xp, Xm = X.copy(), X.copy()
        Xp[k] += h
        Xm[k] -= h
        Fp = S.residual(*S.unpack(Xp), mesh, G, arc)
        Fm = S.residual(*S.unpack(Xm), mesh, G, arc)
        col = (Fp - Fm) / (2 * h)
        assert np.allclose(col, A[:, k], rtol=1e-6, atol=1e-6 * np.max(np.abs(A[:, k])))


# ---------------------------------------------------------------------------- analytic branches
def test_hopf_normal_form_branch_is_exact():
    """From the Hopf point μ = 0 (duck-typed start): radius √μ, period 2π/ω, multipliers
    exp(−2μT) and exp(−cT) along the branch, trivial multiplier 1."""
    model = StuartLandau3(mu=0.0, omega=2.0, c=0.3)
    hopf = SimpleNamespace(kind="H", param=0.0, state=np.zeros(3),
                           info={"omega": 2.0, "eigenvector": np.array([1.0, -1j, 0.0]) / np.sqrt(2), "l1": -0.5})
    br = continue_cycles(hopf, model, param="mu", window=(-1.0, 1.0), ntst=20, ncol=4, values=(0.25,))
    assert isinstance(br, CycleBranch) and br.kind == "LC"
    assert br.status == 0 and "window" in br.message
    assert br.param[-1] == pytest.approx(1.0, abs=1e-9)
    assert np.all(br.stable[br.param > 1e-3])
    mu = br.param
    T = br.period
    np.testing.assert_allclose(T, np.pi, rtol=1e-9)
    np.testing.assert_allclose(br.max("x"), np.sqrt(mu), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(br.min("y"), -np.sqrt(mu), rtol=1e-7, atol=1e-9)
    sel = mu > 0.01
    rest = np.sort(np.abs(br.multipliers[sel, 1:]), axis=1)
    expected = np.sort(np.stack([np.exp(-2 * mu[sel] * T[sel]), np.exp(-0.3 * T[sel])], axis=1), axis=1)
    np.testing.assert_allclose(rest, expected, rtol=1e-6, atol=1e-10)
    assert np.max(br.trivial_error) < 1e-8
    uz = br.points("UZ")
    assert len(uz) == 1 and uz[0].param == pytest.approx(0.25, abs=1e-9)
    assert br.param[uz[0].index] == uz[0].param
    assert uz[0].info["state_max"]["x"] == pytest.approx(0.5, rel=1e-7)


def test_period_blows_up_at_snic_and_matches_formula():
    """From a simulated cycle at μ = 2 towards the SNIC at μ = 1: T = 2π/√(μ² − 1) along the
    branch, and the run stops with status 2 when the period grows without bound."""
    from scipy.integrate import solve_ivp

    model = SnicOscillator(mu=2.0)

    sol = solve_ivp(lambda tt, yy: model.rhs(yy), (0, 40.0), [1.0, 0.0], t_eval=np.linspace(0, 40, 8001),
                    rtol=1e-10, atol=1e-12)
    br = continue_cycles((sol.t, sol.y), model, param="mu", window=(0.5, 3.0), direction=-1, ntst=40,
                         max_period=200.0)
    assert br.status == Status.UNBOUNDED_PERIOD, br.message
    assert "homoclinic" in br.message
    expected = 2 * np.pi / np.sqrt(br.param**2 - 1)
    np.testing.assert_allclose(br.period, expected, rtol=1e-6)
    assert br.period[-1] > 200.0 and br.param[-1] > 1.0
    assert np.all(np.diff(br.param) < 0)


# ---------------------------------------------------------------------------- HH
@pytest.fixture(scope="module")
def hh_setup(hh_cycle_branch):
    """HH equilibria over [0, 200] and the cycles from H1 (computed once per session: tests/conftest.py)."""
    return hh_cycle_branch


def test_hh_branch_from_first_hopf_to_second(hh_setup):
    hh, eq, hopf, br = hh_setup
    assert len(hopf) == 2
    assert br.status == 0 and "Hopf" in br.message, br.message
    # starts at H1, unstable
    assert br.param[0] == pytest.approx(hopf[0].param, abs=0.01)
    assert not br.stable[0]
    assert br.max("V")[0] - br.min("V")[0] < 1.0
    # ends at H2 with vanishing amplitude
    assert br.param[-1] == pytest.approx(hopf[1].param, abs=0.05)
    amp = br.max("V") - br.min("V")
    assert amp[-1] < 0.01 * amp.max()
    assert "154.5" in br.message
    # the main fold of cycles: onset of repetitive firing
    lpc = br.points("LPC")
    main = min(lpc, key=lambda p: p.param)
    assert main.param == pytest.approx(6.26, abs=0.01)
    assert main.converged
    # the unstable part is not monotone: more LPCs between 7 and 8
    others = [p for p in lpc if p is not main]
    assert len(others) >= 2
    assert all(7.5 < p.param < 8.0 for p in others)
    for p in lpc:
        assert p.bracket[0] - 1e-9 <= p.param <= p.bracket[1] + 1e-9
        i = p.index
        assert br.param[i] == p.param
        # a fold: the parameter is a local extremum there
        d1, d2 = br.param[i] - br.param[i - 1], br.param[i + 1] - br.param[i]
        assert d1 * d2 <= 0
        assert abs(abs(p.info["multipliers"][0]) - 1) < 1e-2  # trivial multiplier
    # beyond the main LPC the branch is the stable spiking branch, all the way to H2
    after = np.arange(len(br)) > main.index
    assert np.all(br.stable[after])
    assert np.all(~br.stable[: main.index])
    assert np.all(br.n_unstable[: main.index] >= 1)


def test_hh_stable_cycle_trivial_multiplier_and_uz_points(hh_setup):
    hh, eq, hopf, br = hh_setup
    uz = br.points("UZ")
    assert sorted(round(p.param, 9) for p in uz) == [10.0, 20.0, 50.0]
    for p in uz:
        i = p.index
        assert br.stable[i]
        assert br.trivial_error[i] < 1e-6
        assert abs(p.info["multipliers"][0] - 1) < 1e-6


def _simulated_cycle(model, I):
    """Period and peak V of the attracting HH cycle by a tight DOP853 integration from rest:
    events at upward crossings of V = 0 (period) and at dV/dt = 0 with V > 0 (peaks)."""
    from scipy.integrate import solve_ivp

    pars = model.params.replace(I_ext=I)

    def f(t, y):
        return model.rhs(y, pars)

    def up(t, y):
        return y[0]

    up.direction = 1

    def peak(t, y):
        return model.rhs(y, pars)[0]

    peak.direction = -1
    y0 = model.resting_state()
    sol = solve_ivp(f, (0, 200.0), y0, method="DOP853", rtol=1e-11, atol=1e-11, events=(up, peak))
    crossings = sol.t_events[0]
    peaks = [y[0] for y in sol.y_events[1] if y[0] > 0]
    periods = np.diff(crossings)
    assert abs(periods[-1] - periods[-2]) < 1e-7 * periods[-1]  # settled
    return periods[-1], peaks[-1]


@pytest.mark.slow
@pytest.mark.parametrize("I", [10.0, 20.0, 50.0])
def test_hh_stable_cycle_matches_tight_simulation(hh_setup, I):
    hh, eq, hopf, br = hh_setup
    p = next(p for p in br.points("UZ") if abs(p.param - I) < 1e-6)
    T_sim, Vmax_sim = _simulated_cycle(hh, I)
    assert p.info["period"] == pytest.approx(T_sim, rel=1e-4)
    assert abs(p.info["state_max"]["V"] - Vmax_sim) < 0.01


def test_hh_period_converges_with_ntst():
    """From a simulated cycle at I = 20 (a Trajectory with a Constant stimulus): the corrected
    orbit's period changes by < 1e-5 relative from NTST = 50 to 100."""
    from hhdyn.simulation import simulate
    from hhdyn.stimuli import Constant

    hh = hhdyn.HodgkinHuxley()
    traj = simulate(hh, 100.0, stimulus=Constant(20.0))
    periods = []
    for ntst in (25, 50, 100):
        # max_ntst=ntst: every orbit on this NTST (no refinement for the trivial-multiplier check)
        br = continue_cycles(traj, ntst=ntst, max_points=2, window=(10.0, 30.0), max_ntst=ntst)
        assert br.param[0] == pytest.approx(20.0, abs=1e-12)
        periods.append(br.period[0])
    assert abs(periods[2] - periods[1]) / periods[2] < 1e-5
    assert abs(periods[2] - periods[1]) <= abs(periods[1] - periods[0])
    assert br.param[1] > 20.0  # continued towards stop


# ---------------------------------------------------------------------------- FitzHugh–Nagumo
@pytest.mark.slow
def test_fhn_canard_branch_joins_both_hopf_points():
    import analysis
    from reductions import FitzHughNagumo

    fhn = FitzHughNagumo(a=0.7, b=0.8, eps=0.08)
    eq = analysis.continue_equilibria(fhn, param="I_ext", window=(0.0, 2.0))
    h1, h2 = sorted((p for p in eq.special_points if p.kind == "H"), key=lambda p: p.param)
    assert h1.info["l1"] > 0 and h2.info["l1"] > 0  # both subcritical
    br = continue_cycles(h1, fhn, window=(0.0, 2.0))
    assert br.status == 0 and "Hopf" in br.message, br.message
    assert br.param[-1] == pytest.approx(h2.param, abs=1e-3)  # one branch joins H1 and H2
    lpc = sorted(br.points("LPC"), key=lambda p: p.param)
    assert len(lpc) == 2
    assert 0 < h1.param - lpc[0].param < 0.02
    assert 0 < lpc[1].param - h2.param < 0.02
    assert all(p.converged for p in lpc)
    # canard explosion: near each LPC the amplitude grows by O(1) while I_ext moves < 1e-4
    amp = br.max("v") - br.min("v")
    near = np.abs(br.param - lpc[0].param) < 1e-4
    assert amp[near].max() - amp[near].min() > 1.0
    # planar: no PD/NS; the relaxation cycles in between are stable
    assert not br.points("PD") and not br.points("NS")
    mid = (br.param > 0.5) & (br.param < 1.2)
    assert mid.any() and np.all(br.stable[mid])


# ---------------------------------------------------------------------------- results
def test_branch_export_and_plots(tmp_path, hh_setup):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.branch import BifurcationDiagram

    hh, eq, hopf, br = hh_setup
    d = json.loads(br.to_json(tmp_path / "lc.json"))
    assert d["kind"] == "LC" and len(d["columns"]["period"]) == len(br)
    assert {"LPC", "UZ"} <= {p["kind"] for p in d["special_points"]}
    br.to_csv(tmp_path / "lc.csv")
    lines = (tmp_path / "lc.csv").read_text().splitlines()
    assert len(lines) == len(br) + 1 and "V_max" in lines[0]
    diagram = BifurcationDiagram([eq, br])
    diagram.to_csv(tmp_path / "diagram.csv")
    assert "period" in (tmp_path / "diagram.csv").read_text().splitlines()[0]
    ax = diagram.plot(y="V")
    assert len(ax.lines) > 4
    ax2 = br.plot_period()
    assert ax2.get_ylabel() == "period (ms)"
    t, y = br.orbit(len(br) // 2)
    assert y.shape == (4, t.size) and t[-1] == pytest.approx(br.period[len(br) // 2])
    assert np.max(y[0]) == pytest.approx(br.max("V")[len(br) // 2], abs=0.05)
    plt.close("all")


# ---------------------------------------------------------------------------- bad input
def test_bad_input_raises_value_error():
    hh = hhdyn.HodgkinHuxley()
    lp = SimpleNamespace(kind="LP", param=1.0, state=np.zeros(4), info={})
    with pytest.raises(ValueError, match="Hopf"):
        continue_cycles(lp, hh)
    with pytest.raises(ValueError, match="start"):
        continue_cycles(42.0, hh)
    hopf = SimpleNamespace(kind="H", param=9.78, state=hh.resting_state(), info={"omega": 0.5})
    for ncol in (1, 8, 2.5):
        with pytest.raises(ValueError, match="ncol"):
            continue_cycles(hopf, hh, ncol=ncol)
    with pytest.raises(ValueError, match="ntst"):
        continue_cycles(hopf, hh, ntst=9)
    with pytest.raises(ValueError, match="model"):
        continue_cycles(hopf)
    with pytest.raises(ValueError, match="unknown parameter"):
        continue_cycles(hopf, hh, param="nope")
    # a trajectory driven by a time-dependent stimulus is not an orbit of the autonomous model
    from hhdyn.simulation import simulate
    from hhdyn.stimuli import Step

    traj = simulate(hh, 20.0, stimulus=Step(1.0, 5.0, 10.0))
    with pytest.raises(ValueError, match="time-dependent stimulus"):
        continue_cycles(traj)
    # a trajectory at rest is not periodic
    t = np.linspace(0, 50, 501)
    with pytest.raises(ValueError, match="not periodic"):
        continue_cycles((t, np.tile(hh.resting_state()[:, None], (1, t.size))), hh)


class BrokenAbove(StuartLandau3):
    """Stuart–Landau whose vector field is undefined (NaN) for μ > 0.3."""

    def rhs(self, y, params=None):
        out = super().rhs(y, params)
        return out if self._resolve(params).mu <= 0.3 else out * np.nan


def test_failed_continuation_returns_partial_branch():
    model = BrokenAbove(mu=0.0)
    hopf = SimpleNamespace(kind="H", param=0.0, state=np.zeros(3), info={"omega": 2.0})
    br = continue_cycles(hopf, model, param="mu", window=(-1.0, 1.0), ntst=10)
    assert br.status == -1 and not br.success
    assert "corrector failure at mu=0.29999" in br.message
    assert len(br) >= 3 and np.all(np.isfinite(br.period))
    assert 0.29 < br.param[-1] <= 0.3


@pytest.mark.slow
def test_hh_multipliers_match_variational_equations_at_period_doubling(hh_setup):
    """The period doubling on the unstable HH branch (I ≈ 7.845) is real: integrating the
    variational equations around the collocation orbit (DOP853, tight tolerances) gives the same
    Floquet multipliers, one of them −1."""
    from scipy.integrate import solve_ivp

    hh, eq, hopf, br = hh_setup
    pd = min(br.points("PD"), key=lambda p: p.param)
    assert 7.8 < pd.param < 7.9
    i = pd.index
    t, y = br.orbit(i, 8)
    pars = hh.params.replace(I_ext=br.param[i])

    def f(_, z):
        x, Y = z[:4], z[4:].reshape(4, 4)
        return np.concatenate([hh.rhs(x, pars), (hh.jacobian(x, pars) @ Y).ravel()])

    sol = solve_ivp(f, (0, br.period[i]), np.concatenate([y[:, 0], np.eye(4).ravel()]), method="DOP853",
                    rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(sol.y[:4, -1] - y[:, 0])) < 1e-5  # the orbit closes
    mu_var = np.linalg.eigvals(sol.y[4:, -1].reshape(4, 4))
    mu = pd.info["multipliers"]
    for m in mu:
        if abs(m) > 1e-6:
            assert np.min(np.abs(mu_var - m)) < 1e-4 * max(1.0, abs(m))
    assert np.min(np.abs(mu_var + 1.0)) < 1e-4


def test_cycle_branches_from_every_hopf_point_and_lazy_export(hh_setup):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import analysis
    from analysis.branch import BifurcationDiagram

    assert analysis.continue_cycles is continue_cycles and analysis.CycleBranch is CycleBranch
    hh, eq, hopf, br = hh_setup
    lines = []
    branches = analysis.cycle_branches(hh, eq, report=lines.append)
    # H2 is where the branch from H1 ends: only one cycle branch is started
    assert len(branches) == 1 and len(lines) == 1
    assert branches[0].param[-1] == pytest.approx(hopf[1].param, abs=0.05)
    ax_y, ax_T = analysis.plot_with_period(BifurcationDiagram([eq, *branches]))
    assert ax_T.get_ylabel() == "period (ms)" and len(ax_T.lines) >= 2
    plt.close("all")


class TorusModel(ODEModel):
    """A circle oscillator times a linear focus: x' = x(1 − r²) − y, y' = y(1 − r²) + x,
    z' = νz − Ωw, w' = Ωz + νw. The cycle r = 1, z = w = 0 (T = 2π, for every ν) has the
    multipliers 1, exp(−4π) and exp((ν ± iΩ)·2π): a Neimark–Sacker (torus) point at ν = 0."""

    state_names = ("x", "y", "z", "w")
    name = "torus model"

    def __init__(self, nu=-0.2, Omega=0.3):
        super().__init__({"nu": nu, "Omega": Omega})

    def rhs(self, y, params=None):
        p = self._resolve(params)
        x, yy, z, w = np.asarray(y, dtype=float)
        a = 1 - x * x - yy * yy
        return np.stack([x * a - yy, yy * a + x, p.nu * z - p.Omega * w, p.Omega * z + p.nu * w])

    def jacobian(self, y, params=None):
        p = self._resolve(params)
        x, yy, z, w = np.asarray(y, dtype=float)
        a = 1 - x * x - yy * yy
        zero = np.zeros_like(x)
        return np.array([
            [a - 2 * x * x, -2 * x * yy - 1, zero, zero],
            [-2 * x * yy + 1, a - 2 * yy * yy, zero, zero],
            [zero, zero, zero + p.nu, zero - p.Omega],
            [zero, zero, zero + p.Omega, zero + p.nu],
        ])


def test_neimark_sacker_point_is_detected_and_located():
    model = TorusModel(nu=-0.2, Omega=0.3)
    t = np.linspace(0, 8 * np.pi, 4001)
    y = np.stack([np.cos(t), np.sin(t), 0 * t, 0 * t])
    br = continue_cycles((t, y), model, param="nu", window=(-1.0, 0.2), ntst=20)
    assert br.status == 0
    ns = br.points("NS")
    assert len(ns) == 1 and not br.points("PD") and not br.points("LPC")
    assert ns[0].param == pytest.approx(0.0, abs=1e-8)
    mu = ns[0].info["multipliers"]
    pair = mu[np.abs(mu.imag) > 1e-3]
    np.testing.assert_allclose(np.abs(pair), 1.0, atol=1e-7)
    np.testing.assert_allclose(np.sort(np.angle(pair)), [-0.6 * np.pi, 0.6 * np.pi], atol=1e-7)
    assert np.all(br.stable[br.param < -1e-6]) and not np.any(br.stable[br.param > 1e-6])
    np.testing.assert_allclose(br.period, 2 * np.pi, rtol=1e-9)


def test_firing_onset_of_hh_is_the_fold_of_cycles():
    import analysis

    onset = analysis.firing_onset(hhdyn.HodgkinHuxley(), window=(0.0, 200.0))
    assert onset.kind == "LPC"
    assert onset.onset == pytest.approx(6.26, abs=0.01) and onset.hopf == pytest.approx(9.78, abs=0.01)
    assert onset.rate_hz == pytest.approx(1000.0 / onset.period_ms)
    assert 40.0 < onset.rate_hz < 60.0  # class 2: firing starts at a non-zero rate
    assert onset.as_row()["onset LPC (I_ext)"] == onset.onset
