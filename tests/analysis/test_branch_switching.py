"""Branch switching (BP, PD, BPC) and the criticality of PD and LPC points (issue 12, items 2 and 4).

References: exact branches of x' = px − x³ and x' = px − x², and of a Stuart–Landau cycle with a
pitchfork in z; tight DOP853 integrations of the doubled HH orbits; the known supercritical first
period doubling of the Rössler system; the geometry of the branches themselves (the side of a
fold the cycles lie on, the side and the stability of the doubled cycles).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import hhdyn
import analysis
from analysis.continuation.switching import switch_branch
from analysis.cycles import continue_cycles
from analysis.cycles.normal_form import cycle_normal_form, with_criticality
from hhdyn.protocol import ODEModel


# ---------------------------------------------------------------------------- BP of equilibria
def _scalar(expr, name):
    return hhdyn.equations({"x": expr}, params={"p": -1.0}, stimulus=None, name=name)


def _bp(model):
    eq = analysis.continue_equilibria(model, "p", (-1.0, 1.0), y0=[0.0])
    bps = eq.points("BP")
    assert len(bps) == 1 and abs(bps[0].param) < 1e-12
    return eq, bps[0]


def test_pitchfork_switches_onto_x_squared_equal_p():
    model = _scalar("p*x - x**3", "pitchfork")
    eq, bp = _bp(model)
    assert np.all(np.abs(eq.states[:, 0]) < 1e-12)  # the trivial branch x = 0
    new = switch_branch(bp, model, "p", (-1.0, 1.0))
    assert new.status == 0, new.message
    x, p = new.states[:, 0], new.param
    assert np.max(np.abs(x**2 - p)) < 1e-8        # exact: x = ±√p
    assert x.min() == pytest.approx(-1.0, abs=1e-8) and x.max() == pytest.approx(1.0, abs=1e-8)
    assert p.min() > -1e-12 and p.max() == pytest.approx(1.0, abs=1e-12)
    # f_x = p − 3x² = −2p < 0: both halves stable
    assert np.all(new.stable[p > 1e-6])
    # one half only: direction=+1 follows t_new oriented along +x (the branch is vertical in p)
    half = switch_branch(bp, model, "p", (-1.0, 1.0), direction=1)
    assert half.states[:, 0].min() > -1e-12 and np.max(np.abs(half.states[:, 0] ** 2 - half.param)) < 1e-8


def test_transcritical_switches_onto_x_equal_p():
    model = _scalar("p*x - x**2", "transcritical")
    eq, bp = _bp(model)
    new = switch_branch(bp, model, "p", (-1.0, 1.0))
    assert new.status == 0, new.message
    x, p = new.states[:, 0], new.param
    assert np.max(np.abs(x - p)) < 1e-8          # exact: x = p
    assert p.min() == pytest.approx(-1.0, abs=1e-12) and p.max() == pytest.approx(1.0, abs=1e-12)
    # f_x = p − 2x = −p: the exchange of stability
    assert np.all(new.stable[p > 1e-6]) and not np.any(new.stable[p < -1e-6])
    # without the stored tangent the branch's secant is used; without both: ValueError
    bare = dataclasses.replace(bp, info={})
    again = switch_branch(bare, model, "p", (-1.0, 1.0), branch=eq)
    assert np.max(np.abs(again.states[:, 0] - again.param)) < 1e-8
    with pytest.raises(ValueError, match="branch="):
        switch_branch(bare, model, "p", (-1.0, 1.0))


def test_bad_points_raise_value_errors():
    fold = _scalar("p - x**2", "fold")
    eq = analysis.continue_equilibria(fold, "p", (-1.0, 1.0), start=1.0, y0=[1.0], direction=-1)
    lp = eq.points("LP")[0]
    with pytest.raises(ValueError, match="kind 'LP'.*BP.*PD.*BPC"):
        switch_branch(lp, fold, "p", (-1.0, 1.0))
    hh = hhdyn.HodgkinHuxley()
    h = analysis.continue_equilibria(hh, "I_ext", (0.0, 20.0)).points("H")[0]
    with pytest.raises(ValueError, match="kind 'H'.*continue_cycles"):
        switch_branch(h, hh, window=(0.0, 20.0))
    pd = analysis.SpecialPoint("PD", 7.8, np.zeros(4), {}, 3)
    with pytest.raises(ValueError, match="branch="):
        switch_branch(pd, hh, window=(0.0, 20.0))
    # a regular point relabelled BP: the Jacobian has full rank
    model = _scalar("p*x - x**3", "pitchfork")
    fake = analysis.SpecialPoint("BP", 0.5, np.array([0.0]), {"tangent": np.array([0.0, 1.0])})
    with pytest.raises(ValueError, match="not a branch point"):
        switch_branch(fake, model, "p", (-1.0, 1.0))
    with pytest.raises(ValueError, match="window"):
        switch_branch(dataclasses.replace(fake, param=0.0), model, "p", (0.5, 1.0))


# ---------------------------------------------------------------------------- HH: PD and LPC
@pytest.fixture(scope="module")
def hh_pd():
    hh = hhdyn.HodgkinHuxley()
    eq = analysis.continue_equilibria(hh, param="I_ext", window=(0.0, 200.0))
    br = continue_cycles(eq.points("H")[0], hh, window=(0.0, 200.0))
    pd = min(br.points("PD"), key=lambda p: p.param)
    doubled = switch_branch(pd, hh, branch=br, window=(0.0, 200.0), max_points=15)
    return hh, br, pd, doubled


def test_hh_doubled_branch_starts_at_twice_the_period(hh_pd):
    hh, br, pd, d = hh_pd
    assert pd.param == pytest.approx(7.8453, abs=1e-3)
    assert d.status in (0, 1), d.message
    assert abs(d.period[0] - 2.0 * pd.info["period"]) < 1e-6
    assert abs(d.param[0] - pd.param) < 1e-6
    assert d.meshes.shape[1] == 2 * (br.meshes.shape[1] - 1) + 1  # twice the mesh intervals
    assert np.all(d.trivial_error < 1e-6)


def test_hh_doubled_orbits_close_after_2T_under_tight_integration(hh_pd):
    """Each orbit integrated over its period 2T (DOP853, rtol = atol = 1e-11) returns to its
    start within 1e-4 mV in V and 1e-6 in the gates (the orbit is unstable: a multiplier ≈ 1900
    over 2T amplifies the ~1e-8 collocation error), and passes through the collocation orbit's
    state at T; away from the PD that state differs from the start (period 2, not 1)."""
    hh, br, pd, d = hh_pd
    tol = np.array([1e-4, 1e-6, 1e-6, 1e-6])
    for i in (0, len(d.param) // 2, len(d.param) - 1):
        _, y = d.orbit(i, 9)
        pars = hh.params.replace(I_ext=float(d.param[i]))
        T2 = float(d.period[i])
        sol = solve_ivp(lambda t, u: hh.rhs(u, pars), (0.0, T2), y[:, 0], method="DOP853", rtol=1e-11, atol=1e-11,
                        t_eval=[0.5 * T2, T2])
        assert np.all(np.abs(sol.y[:, -1] - y[:, 0]) < tol), (i, sol.y[:, -1] - y[:, 0])
        assert np.all(np.abs(sol.y[:, 0] - y[:, 4]) < tol), (i, sol.y[:, 0] - y[:, 4])
    _, y = d.orbit(len(d.param) - 1, 9)
    assert abs(y[0, 4] - y[0, 0]) > 0.1  # mV: the two halves of the last orbit differ


def _xi2(branch, i):
    """ξ² of the doubled orbit i: x(τ) − x(τ + ½) = 2ξv(τ) + O(ξ³) with ∫₀¹⟨v, v⟩dτ = 1."""
    _, y = branch.orbit(i, 2001)
    D = y[:, :1000] - y[:, 1000:2000]
    return 0.25 * float(np.mean(np.sum(D * D, axis=0)))


def _check_pd_normal_form(pd, nf, d, period):
    """The normal form dξ/dt = βξ + cξ³ against the doubled branch computed by continuation:
    side (sign(p − p_PD) = −sign(c β′)), the multiplier of the doubled cycle near +1
    (exp(4cξ²T): > 1 iff c > 0), and p − p_PD = −c T ξ² / (d log|μ|/dp) to 1 % near the PD."""
    dp = d.param - pd.param
    moved = np.abs(dp) > 1e-7
    assert np.all(np.sign(dp[moved]) == nf["pd_direction"])
    for i in (1, 2, 3):
        mu = d.multipliers[i][1:]
        near = mu[np.argmin(np.abs(mu - 1.0))]
        assert abs(near - 1.0) < 0.05
        assert np.sign(abs(near) - 1.0) == np.sign(nf["pd_coefficient"])
    rows = [i for i in range(len(dp)) if 1e-7 < abs(dp[i]) < 1e-3]
    assert len(rows) >= 3
    for i in rows:
        predicted = -nf["pd_coefficient"] * period * _xi2(d, i) / nf["multiplier_slope"]
        assert dp[i] / predicted == pytest.approx(1.0, abs=0.01), (i, dp[i], predicted)


def test_hh_pd_criticality_agrees_with_the_doubled_branch(hh_pd):
    hh, br, pd, d = hh_pd
    nf = cycle_normal_form(pd, br, hh)
    assert nf["criticality"] == ("subcritical" if nf["pd_coefficient"] > 0 else "supercritical")
    _check_pd_normal_form(pd, nf, d, pd.info["period"])


def test_hh_lpc_coefficient_says_on_which_side_the_cycles_lie(hh_pd):
    hh, br, _, _ = hh_pd
    marked = with_criticality(br, hh)
    lpcs = marked.points("LPC")
    assert len(lpcs) == 3
    for sp in lpcs:
        i = sp.index
        side = {int(np.sign(br.param[i - 1] - sp.param)), int(np.sign(br.param[i + 1] - sp.param))}
        assert side == {sp.info["lpc_side"]}, (sp.param, side, sp.info)
        assert sp.info["lpc_side"] == -np.sign(sp.info["lpc_coefficient"] * sp.info["lpc_gamma"])
    for sp in marked.points("PD"):
        assert sp.info["criticality"] in ("subcritical", "supercritical")
        assert np.isfinite(sp.info["pd_coefficient"])
    assert '"lpc_coefficient"' in marked.to_json()


def _polar_fold_of_cycles():
    """ṙ = r(μ + 2r² − r⁴), θ̇ = ω + b(r² − 1) with ω = 1, b = ½, and its cycle branch continued in μ
    from the outer cycle at μ = −½ down through the fold at μ = −1 → (model, branch)."""
    expr = "{s}*(mu + 2*(x*x+y*y) - (x*x+y*y)**2) {sign} {o}*(omega + b*(x*x+y*y-1))"
    m = hhdyn.equations({"x": expr.format(s="x", sign="-", o="y"), "y": expr.format(s="y", sign="+", o="x")},
                        params={"mu": -0.5, "omega": 1.0, "b": 0.5}, stimulus=None, name="fold of cycles")
    r2 = 1.0 + np.sqrt(0.5)
    t = np.linspace(0.0, 60.0, 6001)
    phase = (1.0 + 0.5 * (r2 - 1.0)) * t
    br = continue_cycles((t, np.sqrt(r2) * np.array([np.cos(phase), np.sin(phase)])), m, param="mu",
                         window=(-2.0, 0.0), ntst=20, direction=-1)
    return m, br


def test_lpc_coefficient_matches_the_polar_normal_form():
    """ṙ = r(μ + 2r² − r⁴), θ̇ = ω + b(r² − 1) (in x, y): the cycles r² = 1 ± √(1 + μ) fold at
    μ = −1, r = 1. With ρ = r − 1, ρ̇ = (μ + 1) − 4ρ² + …, and ξ = −(2b/ω)ρ puts the phase in
    Kuznetsov's form dτ/dt = 1 − ξ (v = −(ω/2b)e_r solves v̇ − Av = f): dξ/dt = γ(μ + 1) + aξ²
    with a = 2ω/b and γ = −2b/ω. For ω = 1, b = ½: a = 4, γ = −1, the cycles on the side μ > −1."""
    m, br = _polar_fold_of_cycles()
    lpc = br.points("LPC")
    assert len(lpc) == 1 and lpc[0].param == pytest.approx(-1.0, abs=1e-9)
    nf = cycle_normal_form(lpc[0], br, m)
    assert nf["lpc_coefficient"] == pytest.approx(4.0, rel=1e-5)
    assert nf["lpc_gamma"] == pytest.approx(-1.0, rel=1e-5)
    assert nf["lpc_side"] == 1
    assert abs(nf["lpc_check"]) < 1e-5


# ---------------------------------------------------------------------------- Rössler: a known supercritical PD
def test_roessler_first_period_doubling_is_supercritical():
    """x' = −y − z, y' = x + ay, z' = b + z(x − c), a = b = 0.2: the stable period-1 cycle doubles
    at c ≈ 2.83 into a stable period-2 cycle (the start of the Feigenbaum cascade):
    supercritical, c_PD < 0."""
    m = hhdyn.equations({"x": "-y - z", "y": "x + a*y", "z": "b + z*(x - c)"},
                        params={"a": 0.2, "b": 0.2, "c": 2.5}, stimulus=None, name="Rossler")
    sol = solve_ivp(lambda t, u: m.rhs(u), (0.0, 600.0), [1.0, 1.0, 0.0], method="DOP853", rtol=1e-10, atol=1e-12,
                    dense_output=True)
    t = np.linspace(400.0, 600.0, 20001)
    br = continue_cycles((t, sol.sol(t)), m, param="c", window=(2.0, 3.2), ntst=40)
    pds = br.points("PD")
    assert len(pds) == 1 and 2.8 < pds[0].param < 2.9
    pd = pds[0]
    nf = cycle_normal_form(pd, br, m)
    assert nf["pd_coefficient"] < 0 and nf["criticality"] == "supercritical"
    d = switch_branch(pd, m, branch=br, window=(2.0, 3.2), max_points=20)
    assert abs(d.period[0] - 2.0 * pd.info["period"]) < 1e-6
    assert np.all(d.n_unstable == 0)               # the doubled cycle is born stable
    assert np.all(d.param >= pd.param - 1e-9)      # past the PD, where the primary cycle is unstable
    assert not br.stable[-1]
    _check_pd_normal_form(pd, nf, d, pd.info["period"])


def _mobius(cc):
    """A cycle with an exact PD normal form: θ̇ = ω on the circle r = 1 of the (X, Y) plane, and
    the transverse offset q = (r − 1, Z) = R(θ/2)(ξ, η) in a frame turning half a turn per
    revolution, with ξ̇ = βξ + cc·ξ³, η̇ = −η. The frame's half turn flips ξ: a multiplier
    −e^{βT} (T = 2π/ω), a PD at β = 0 whose normal form is exactly dξ/dt = βξ + cc·ξ³
    (dτ/dt = 1, v = R(θ/2)e₁ of unit length): c_PD = cc, a = 0, d log|μ|/dβ = T; the doubled
    cycles ξ = ±√(−β/cc), η = 0 have period 2T and |q|² = −β/cc. Written with the projector
    P = e eᵀ = ½[[1 + cos θ, sin θ], [sin θ, 1 − cos θ]] (e = (cos θ/2, sin θ/2)), single valued:
    q̇ = βPq − (I − P)q + (ω/2)Jq + cc·(qᵀPq)Pq."""
    fixed = {"r": "sqrt(X*X + Y*Y)", "ct": "X/r", "st": "Y/r", "s": "r - 1",
             "ps": "(1 + ct)/2*s + st/2*Z", "pz": "st/2*s + (1 - ct)/2*Z", "qpq": "s*ps + Z*pz",
             "ds": "beta*ps - (s - ps) - omega/2*Z + cc*qpq*ps",
             "dz": "beta*pz - (Z - pz) + omega/2*s + cc*qpq*pz"}
    return hhdyn.equations({"X": "ds*ct - r*st*omega", "Y": "ds*st + r*ct*omega", "Z": "dz"},
                           params={"beta": 0.5 * cc, "omega": 1.0, "cc": cc}, fixed=fixed, initial={"X": 1.0},
                           stimulus=None, name="Mobius PD")


@pytest.mark.parametrize("cc", [-1.0, 1.0])
def test_pd_coefficient_and_doubled_branch_match_an_exact_normal_form(cc):
    m = _mobius(cc)
    t = np.linspace(0.0, 40.0, 4001)
    br = continue_cycles((t, np.array([np.cos(t), np.sin(t), 0 * t])), m, param="beta", window=(-0.5, 0.5),
                         ntst=30, direction=-int(cc))
    pds = br.points("PD")
    assert len(pds) == 1 and abs(pds[0].param) < 1e-10
    pd = pds[0]
    nf = cycle_normal_form(pd, br, m)
    assert nf["pd_coefficient"] == pytest.approx(cc, rel=1e-6)
    assert abs(nf["pd_a"]) < 1e-8
    assert nf["multiplier_slope"] == pytest.approx(2 * np.pi, rel=1e-8)
    assert nf["criticality"] == ("supercritical" if cc < 0 else "subcritical")
    assert nf["pd_direction"] == -int(cc)
    d = switch_branch(pd, m, branch=br, window=(-0.5, 0.5), ntst=120)
    assert d.status == 0, d.message
    assert np.max(np.abs(d.period - 4 * np.pi)) < 1e-9
    assert abs(d.param[-1]) == pytest.approx(0.5, abs=1e-10) and np.sign(d.param[-1]) == -cc
    U = d.profiles
    q2 = (np.hypot(U[:, :, 0], U[:, :, 1]) - 1.0) ** 2 + U[:, :, 2] ** 2
    assert np.max(np.abs(q2 + d.param[:, None] / cc)) < 1e-8
    assert np.all(d.n_unstable[1:] == (0 if cc < 0 else 1))  # born stable iff supercritical


# ---------------------------------------------------------------------------- BPC
class CyclePitchfork(ODEModel):
    """x' = x − ωy − x r², y' = ωx + y − y r², z' = pz − z³ (r² = x² + y²): the circle r = 1
    (period 2π/ω) with z = 0 for all p and z = ±√p for p > 0; at p = 0 the multiplier e^{pT}
    crosses 1 without a fold — a branch point of cycles."""

    state_names = ("x", "y", "z")
    name = "cycle pitchfork"

    def __init__(self, p=-0.5, omega=1.0):
        super().__init__({"p": p, "omega": omega})

    def rhs(self, y, params=None):
        q = self._resolve(params)
        x, yy, z = np.asarray(y, dtype=float)
        r2 = x * x + yy * yy
        return np.stack([x - q.omega * yy - x * r2, q.omega * x + yy - yy * r2, q.p * z - z**3])

    def jacobian(self, y, params=None):
        q = self._resolve(params)
        x, yy, z = np.asarray(y, dtype=float)
        zero = np.zeros_like(x)
        return np.array([[1 - 3 * x * x - yy * yy, -q.omega - 2 * x * yy, zero],
                         [q.omega - 2 * x * yy, 1 - x * x - 3 * yy * yy, zero],
                         [zero, zero, q.p - 3 * z * z]])


def test_switching_at_a_branch_point_of_cycles_is_exact():
    m = CyclePitchfork()
    t = np.linspace(0.0, 40.0, 4001)
    br = continue_cycles((t, np.array([np.cos(t), np.sin(t), 0 * t])), m, param="p", window=(-0.5, 0.5),
                         values=(0.0,), ntst=20, adapt=0)
    uz = br.points("UZ")[0]
    assert abs(uz.param) < 1e-11
    bpc = dataclasses.replace(uz, kind="BPC")
    for direction in (1, -1):
        new = switch_branch(bpc, m, branch=br, window=(-0.5, 0.5), direction=direction, adapt=0)
        assert new.status == 0, new.message
        p, z = new.param, new.profiles[:, :, 2]
        assert p.max() == pytest.approx(0.5, abs=1e-10) and p.min() > -1e-10
        assert np.max(np.abs(z**2 - p[:, None])) < 1e-8                  # z = ±√p, constant on the orbit
        assert np.all(np.sign(z[p > 1e-6]) == direction)
        r2 = new.profiles[:, :, 0] ** 2 + new.profiles[:, :, 1] ** 2
        assert np.max(np.abs(r2 - 1.0)) < 1e-8
        assert np.max(np.abs(new.period - 2 * np.pi)) < 1e-8
    # a regular orbit of the branch relabelled BPC: the Jacobian has full rank. The nearest row with
    # |p| > 1e-3 — not the row after the UZ point, which is the located BPC itself when rounding puts
    # it at p = +5e-16 rather than −2e-16 (measured with OpenBLAS's Prescott kernels)
    regular = np.flatnonzero(np.abs(br.param) > 1e-3)
    i = int(regular[np.argmin(np.abs(br.param[regular]))])
    fake = analysis.SpecialPoint("BPC", float(br.param[i]), br.profiles[i][0], {}, i)
    with pytest.raises(ValueError, match="not a branch point"):
        switch_branch(fake, m, branch=br, window=(-1.0, 1.0))


def test_normal_form_rejects_points_that_are_not_pd_or_lpc(hh_pd):
    hh, br, pd, _ = hh_pd
    with pytest.raises(ValueError, match="PD and LPC"):
        cycle_normal_form(analysis.SpecialPoint("NS", pd.param, pd.state, {}, pd.index), br, hh)
    with pytest.raises(ValueError, match="not a row"):
        cycle_normal_form(dataclasses.replace(pd, index=pd.index + 1), br, hh)
    k = pd.index + 1  # multipliers 1, −319, −0.25, ~0
    fake = analysis.SpecialPoint("PD", float(br.param[k]), br.profiles[k][0], {}, k)
    with pytest.raises(ValueError, match="not a period doubling"):
        cycle_normal_form(fake, br, hh)
    with pytest.raises(ValueError, match="not a period doubling"):
        switch_branch(fake, hh, branch=br)


# ---------------------------------------------------------------------------- BPC detection
def _pitchfork_branch(**options):
    m = CyclePitchfork()
    t = np.linspace(0.0, 40.0, 4001)
    return m, continue_cycles((t, np.array([np.cos(t), np.sin(t), 0 * t])), m, param="p", window=(-0.5, 0.5),
                              ntst=20, **options)


def _bordered_dense(sys, U, T, p, mesh, row):
    """The assembled collocation Jacobian [F_X; row] as a dense matrix (phase reference U itself)."""
    blocks, dT, dp = sys.jacobian_blocks(U, T, p, mesh)
    return sys.assemble(blocks, dT, dp, sys.phase_gradient(U), row).toarray()


def test_condensed_log_det_is_the_determinant_of_the_assembled_jacobian():
    """CondensedLU.log_det against numpy's slogdet of the dense bordered Jacobian (HH, NTST = 10,
    random states and rows, so that SuperLU pivots): |det| agrees to 1e-9 relative in log, and
    the sign agrees up to one factor fixed by the sparsity pattern (the same for every matrix)."""
    from analysis.cycles import CollocationSystem
    from analysis.cycles.collocation import CondensedLU, uniform_mesh

    sys = CollocationSystem(hhdyn.HodgkinHuxley(), "I_ext", 10, 4)
    mesh = uniform_mesh(10)
    rng = np.random.default_rng(3)
    relative, pivoted = set(), False
    for _ in range(6):
        U = np.column_stack([rng.uniform(-80, 40, sys.N), rng.uniform(0, 1, (sys.N, 3))])
        T, p = rng.uniform(5.0, 20.0), rng.uniform(0.0, 20.0)
        row = (rng.standard_normal((sys.N, 4)), rng.standard_normal(), rng.standard_normal())
        blocks, dT, dp = sys.jacobian_blocks(U, T, p, mesh)
        lu = CondensedLU(sys, blocks, dT, dp, sys.phase_gradient(U), row)
        sign, logabs = lu.log_det()
        ref_sign, ref_log = np.linalg.slogdet(_bordered_dense(sys, U, T, p, mesh, row))
        assert logabs == pytest.approx(ref_log, rel=1e-9, abs=1e-9)
        relative.add(sign * ref_sign)
        pivoted |= bool(np.any(lu.lu.perm_r != np.arange(lu.lu.perm_r.size)))
    assert relative in ({1.0}, {-1.0}) and pivoted


def test_bpc_is_detected_at_p0_and_switching_from_it_is_exact():
    """The pitchfork in z: the BPC is located at p = 0 (exact) within 1e-8 without a user value;
    independently, the dense F_X there has a two-dimensional null space (σ_N/σ_N−1 < 1e-6, its
    neighbours ≥ 1e-3) and det [F_X; e_p] has opposite signs on the rows either side; from the
    detected point switch_branch gives z = ±√p."""
    m, br = _pitchfork_branch()
    assert br.status == 0, br.message
    bpcs = br.points("BPC")
    assert len(bpcs) == 1, br
    bpc = bpcs[0]
    assert abs(bpc.param) < 1e-8 and bpc.converged and bpc.info["sigma_ratio"] < 1e-6
    assert br.param[bpc.index] == bpc.param
    assert np.min(np.abs(bpc.info["multipliers"][1:] - 1.0)) < 1e-6   # e^{pT} = 1: a second multiplier at 1
    from analysis.cycles import CollocationSystem

    sys = CollocationSystem(m, "p", 20, 4)
    ratios, signs = {}, {}
    e_p = (np.zeros((sys.N, 3)), 0.0, 1.0)
    for k in (bpc.index - 1, bpc.index, bpc.index + 1):
        U, mesh, T, p = br.profiles[k], br.meshes[k], br.period[k], br.param[k]
        A = _bordered_dense(sys, U, T, p, mesh, e_p)
        s = np.linalg.svd(A[:-1], compute_uv=False)            # F_X: N × (N + 1), N singular values
        ratios[k] = s[-1] / s[-2]
        signs[k] = np.linalg.slogdet(A)[0]
    assert ratios[bpc.index] < 1e-6
    assert ratios[bpc.index - 1] > 1e-3 and ratios[bpc.index + 1] > 1e-3
    assert signs[bpc.index - 1] == -signs[bpc.index + 1]
    for direction in (1, -1):
        new = switch_branch(bpc, m, branch=br, window=(-0.5, 0.5), direction=direction)
        assert new.status == 0, new.message
        p, z = new.param, new.profiles[:, :, 2]
        assert p.max() == pytest.approx(0.5, abs=1e-10) and p.min() > -1e-8
        assert np.max(np.abs(z**2 - p[:, None])) < 1e-8
        assert np.all(np.sign(z[p > 1e-6]) == direction)
        assert not new.points("BPC")                             # the branch z = ±√p is regular
    # the same BPC without mesh adaptation, and with a user value at the same place
    _, fixed = _pitchfork_branch(adapt=0, values=(0.0,))
    assert [round(abs(sp.param), 8) for sp in fixed.points("BPC")] == [0.0]
    assert len(fixed.points("UZ")) == 1


def test_a_fold_of_cycles_is_not_a_bpc():
    """ṙ = r(μ + 2r² − r⁴): the cycles fold at μ = −1 (an LPC, a second multiplier at 1) — the
    bordered Jacobian stays regular there, so no BPC is reported."""
    _, br = _polar_fold_of_cycles()
    assert [sp.kind for sp in br.special_points] == ["LPC"]
    assert br.points("LPC")[0].param == pytest.approx(-1.0, abs=1e-9)


def test_a_sign_change_without_a_singular_jacobian_is_dropped(monkeypatch):
    """A test function that also flips at p = −0.2 (where J is regular): that candidate fails the
    null-space check and is dropped; the BPC at p = 0 stays."""
    from analysis.cycles.problem import CycleProblem

    true_test = CycleProblem.bpc_test
    monkeypatch.setattr(CycleProblem, "bpc_test", lambda self, pt: true_test(self, pt) * (-1 if pt.p > -0.2 else 1))
    _, br = _pitchfork_branch()
    assert [round(abs(sp.param), 8) for sp in br.points("BPC")] == [0.0]


@pytest.mark.slow
def test_no_bpc_on_hh_and_the_lpc_and_pd_points_do_not_move(hh_pd, monkeypatch):
    """HH from H1 over [0, 200]: AUTO-07p reports no BP on this branch and neither do we; its LPCs
    are AUTO's 6.26032, 7.84235, 7.91779 (1e-5), and the branch computed without BPC detection is
    the same, number for number."""
    from analysis.cycles.problem import CycleProblem

    hh, br, _, _ = hh_pd
    assert not br.points("BPC")
    assert sorted(sp.param for sp in br.points("LPC")) == pytest.approx([6.26032, 7.84235, 7.91779], abs=1e-5)
    monkeypatch.setattr(CycleProblem, "detect_bpc", False)
    eq = analysis.continue_equilibria(hh, param="I_ext", window=(0.0, 200.0))
    off = continue_cycles(eq.points("H")[0], hh, window=(0.0, 200.0))
    assert [(sp.kind, sp.param) for sp in off.special_points] == [(sp.kind, sp.param) for sp in br.special_points]
    assert np.array_equal(off.param, br.param) and np.array_equal(off.period, br.period)


@pytest.mark.slow
def test_no_bpc_on_the_fast_m_branch():
    """fast-m HH from its lowest Hopf point over [0, 200] (largest multiplier ≈ 1e14 near the last
    fold): no BPC; the LPCs stay AUTO-07p's 4.05857, 5.35108, 5.44380 (1e-4)."""
    from reductions import fast_m

    model = fast_m(hhdyn.HodgkinHuxley())
    eq = analysis.continue_equilibria(model, "I_ext", (0.0, 200.0))
    br = continue_cycles(min(eq.points("H"), key=lambda p: p.param), model, window=(0.0, 200.0))
    assert not br.points("BPC")
    assert sorted(sp.param for sp in br.points("LPC")) == pytest.approx([4.05857, 5.35108, 5.44380], abs=1e-4)


def test_bpc_of_a_forced_pitchfork_and_the_orbits_of_the_new_branch():
    """x, y: the circle r = 1 (x = cos t); z' = (p + x)z − z³. On z = 0 the z-multiplier is
    exp(∫₀ᵀ(p + cos t)dt) = e^{pT}: a BPC at p = 0 (exact) — here the new cycles are not constant
    in z (z ≈ ε·e^{sin t} near the BPC). Checked: the located p within 1e-8; every orbit of the
    switched branch returns to its start after its period under DOP853 (rtol = atol = 1e-12) to
    1e-8, with period 2π."""
    m = hhdyn.equations({"x": "x - y - x*(x*x + y*y)", "y": "x + y - y*(x*x + y*y)", "z": "(p + x)*z - z**3"},
                        params={"p": -0.5}, stimulus=None, name="forced pitchfork")
    t = np.linspace(0.0, 40.0, 4001)
    br = continue_cycles((t, np.array([np.cos(t), np.sin(t), 0 * t])), m, param="p", window=(-0.5, 0.5), ntst=20)
    bpcs = br.points("BPC")
    assert len(bpcs) == 1 and abs(bpcs[0].param) < 1e-8 and bpcs[0].converged
    new = switch_branch(bpcs[0], m, branch=br, window=(-0.5, 0.5))
    assert new.status == 0, new.message
    assert new.param.min() > -1e-8 and new.param.max() == pytest.approx(0.5, abs=1e-10)
    assert np.max(np.abs(new.period - 2 * np.pi)) < 1e-8
    z = new.profiles[-1][:, 2]
    assert z.max() - z.min() > 0.1                      # not constant on the orbit
    for i in range(1, len(new.param), max(1, len(new.param) // 6)):
        _, y = new.orbit(i, 5)
        sol = solve_ivp(lambda _, u: m.rhs(u, {"p": float(new.param[i])}), (0.0, float(new.period[i])), y[:, 0],
                        method="DOP853", rtol=1e-12, atol=1e-12)
        assert np.max(np.abs(sol.y[:, -1] - y[:, 0])) < 1e-8, i
