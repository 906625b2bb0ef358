"""Equilibrium continuation: HH Hopf points, FHN analytic values, folds, invariances, bad input."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

import hhdyn
from analysis.branch import BifurcationDiagram, Branch, SpecialPoint
from analysis.continuation import bialternate_test, continue_equilibria
from hhdyn.protocol import ODEModel
from reductions import FitzHughNagumo, h_plus_n


@pytest.fixture(scope="module")
def hh():
    return hhdyn.HodgkinHuxley()


@pytest.fixture(scope="module")
def hh_branch(hh):
    return continue_equilibria(hh, "I_ext", (-10.0, 200.0))


def _crossing_by_bisection(model, lo, hi, tol=1e-11):
    """Independent Hopf location: bisection on the largest real part of the eigenvalues of J
    at the equilibrium I_ss(V) = I_ext (HH's steady-state I–V is monotone)."""
    def max_real(I):
        V = brentq(lambda v: float(model.steady_state_current(v)) - I, -100.0, 50.0, xtol=1e-14, rtol=1e-15)
        return np.linalg.eigvals(model.jacobian(model.steady_state_curve(V))).real.max()

    f_lo = max_real(lo)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if np.sign(max_real(mid)) == np.sign(f_lo):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def test_hh_two_hopf_points_no_fold(hh_branch):
    b = hh_branch
    assert isinstance(b, Branch) and b.kind == "EP"
    assert b.status == 0, b.message
    assert b.param[0] == -10.0 and b.param[-1] == 200.0
    kinds = [p.kind for p in b.special_points]
    assert kinds == ["H", "H"]
    h1, h2 = b.special_points
    assert abs(h1.param - 9.78) < 0.01
    assert abs(h2.param - 154.5) < 0.1
    assert h1.info["l1"] > 0 and h1.info["criticality"] == "subcritical"
    assert h2.info["l1"] < 0 and h2.info["criticality"] == "supercritical"
    for h in (h1, h2):
        assert h.converged
        assert h.bracket[0] <= h.param <= h.bracket[1]
        assert b.param[h.index] == h.param and np.array_equal(b.states[h.index], h.state)
        assert abs(h.info["frequency_hz"] - h.info["omega"] / (2 * math.pi) * 1000) < 1e-9
        q = h.info["eigenvector"]
        J = hh_branch_model_jacobian(h)
        assert np.linalg.norm(J @ q - 1j * h.info["omega"] * q) < 1e-8
        assert abs(np.linalg.norm(q) - 1) < 1e-12


def hh_branch_model_jacobian(point):
    return hhdyn.HodgkinHuxley().jacobian(point.state, {"I_ext": point.param})


def test_hh_hopf_points_are_exact(hh, hh_branch):
    """Real part of the critical pair < 1e-9 and I_ext within 1e-7 of an independent bisection."""
    for h in hh_branch.points("H"):
        x = h.state
        assert np.max(np.abs(hh.rhs(x, {"I_ext": h.param}))) < 1e-10
        lam = np.linalg.eigvals(hh.jacobian(x, {"I_ext": h.param}))
        crit = lam[np.argmin(np.abs(lam.real))]
        assert abs(crit.real) < 1e-9
        assert abs(abs(crit.imag) - h.info["omega"]) < 1e-9
        lo, hi = h.param - 0.5, h.param + 0.5
        assert abs(_crossing_by_bisection(hh, lo, hi) - h.param) < 1e-7


def test_hh_stability_changes_exactly_at_hopf_points(hh_branch):
    b = hh_branch
    i1, i2 = (p.index for p in b.special_points)
    assert np.all(b.n_unstable[:i1] == 0) and np.all(b.stable[:i1])
    assert np.all(b.n_unstable[i1 + 1:i2] == 2)
    assert np.all(b.n_unstable[i2 + 1:] == 0)
    # every point of the branch is an equilibrium
    model = hhdyn.HodgkinHuxley()
    res = [np.max(np.abs(model.rhs(x, {"I_ext": p}))) for x, p in zip(b.states, b.param)]
    assert max(res) < 1e-9


def test_fitzhugh_nagumo_hopf_points_analytic():
    """FHN Hopf points: trace 1 − v² − eps·b = 0 → v = ±√(1 − eps b), I = (v + a)/b − v + v³/3."""
    a, bb, eps = 0.7, 0.8, 0.08
    branch = continue_equilibria(FitzHughNagumo(a, bb, eps), "I_ext", (0.0, 2.0))
    hopf = branch.points("H")
    assert len(hopf) == 2 and not branch.points("LP")
    for point, sign in zip(hopf, (-1, 1)):
        v = sign * math.sqrt(1 - eps * bb)
        I = (v + a) / bb - v + v**3 / 3
        assert abs(point.param - I) < 1e-8
        assert abs(point.state[0] - v) < 1e-8
        assert abs(point.info["omega"] - math.sqrt(eps * (1 - bb * (1 - v**2)))) < 1e-8  # √det J


def test_E_L_invariance_of_bifurcation_currents(hh, hh_branch):
    """E_L enters only through I_ext + gL·E_L: shifting E_L by ΔE moves each H by −gL·ΔE."""
    dE = 7.0
    shifted = hh.with_params(EL=hh.params.EL + dE)
    gL = hh.params.gL
    b2 = continue_equilibria(shifted, "I_ext", (-10.0 - gL * dE, 200.0 - gL * dE))
    assert len(b2.points("H")) == 2
    for p1, p2 in zip(hh_branch.points("H"), b2.points("H")):
        assert abs(p2.param - (p1.param - gL * dE)) < 1e-7
        assert abs(p2.info["l1"] - p1.info["l1"]) < 1e-6 * abs(p1.info["l1"]) + 1e-10


@pytest.fixture(scope="module")
def hpn1():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)


def test_h_plus_n_c1_two_folds_and_saddle_middle(hpn1):
    b = continue_equilibria(hpn1, "I_ext", (-300.0, 50.0))
    assert b.status == 0, b.message
    folds = b.points("LP")
    assert len(folds) == 2
    assert abs(folds[0].param - 14.6) < 0.05
    assert abs(folds[1].param - (-271.2)) < 0.1
    for f in folds:
        assert f.converged
        lam = np.linalg.eigvals(hpn1.jacobian(f.state, {"I_ext": f.param}))
        assert np.min(np.abs(lam)) < 1e-8
    i1, i2 = folds[0].index, folds[1].index
    middle = slice(i1 + 1, i2)
    assert np.all(b.n_unstable[middle] == 1)  # a saddle
    assert not [h for h in b.points("H") if i1 < h.index < i2]
    # the tangent turns at each fold: the parameter reverses direction there
    assert np.all(np.diff(b.param[i1:i2 + 1]) < 0) and np.all(np.diff(b.param[i2:]) > 0)


class _NeutralSaddle(ODEModel):
    """x' = y, y' = x + p·y − x³: the origin is a saddle with trace p (neutral at p = 0)."""

    state_names = ("x", "y")
    name = "neutral saddle"

    def __init__(self):
        super().__init__({"p": -1.0})

    def rhs(self, y, params=None):
        p = self._resolve(params)["p"]
        x, v = np.asarray(y, dtype=float)
        return np.stack([v, x + p * v - x**3])

    def jacobian(self, y, params=None):
        p = self._resolve(params)["p"]
        x = np.asarray(y, dtype=float)[0]
        return np.array([[0.0 * x, 1.0 + 0.0 * x], [1.0 - 3 * x**2, p + 0.0 * x]])


def test_neutral_saddle_is_not_a_hopf_point():
    model = _NeutralSaddle()
    lam_a = np.linalg.eigvals(model.jacobian([0.0, 0.0], {"p": -1.0}))
    lam_b = np.linalg.eigvals(model.jacobian([0.0, 0.0], {"p": 1.0}))
    assert np.sign(bialternate_test(lam_a)) != np.sign(bialternate_test(lam_b))  # the test does fire
    b = continue_equilibria(model, "p", (-1.0, 1.0), y0=[0.0, 0.0])
    assert b.status == 0
    assert b.special_points == ()


class _NoJacobian(ODEModel):
    state_names = ("x",)

    def __init__(self):
        super().__init__({"p": 0.0})

    def rhs(self, y, params=None):
        return -np.asarray(y, dtype=float) + self._resolve(params)["p"]


class _SqrtBranch(ODEModel):
    """x' = √p − x: the branch x = √p ends at p = 0 (f undefined below)."""

    state_names = ("x",)

    def __init__(self):
        super().__init__({"p": 1.0})

    def rhs(self, y, params=None):
        return np.sqrt(np.atleast_1d(self._resolve(params)["p"])) - np.asarray(y, dtype=float)

    def jacobian(self, y, params=None):
        return -np.ones((1, 1))

    def dfdp(self, y, name, params=None):
        return 0.5 / np.sqrt(np.atleast_1d(self._resolve(params)["p"])) + 0.0 * np.asarray(y, dtype=float)


def test_bad_input(hh):
    with pytest.raises(ValueError, match="unknown parameter 'I_app'"):
        continue_equilibria(hh, "I_app", (0.0, 10.0))
    with pytest.raises(ValueError, match="window"):
        continue_equilibria(hh, "I_ext", (5.0, 5.0))
    with pytest.raises(ValueError, match="jacobian"):
        continue_equilibria(_NoJacobian(), "p", (0.0, 1.0), y0=[0.0])
    with pytest.raises(ValueError, match="not near an equilibrium"):
        continue_equilibria(hh, "I_ext", (0.0, 10.0), y0=[500.0, 2.0, -3.0, 7.0])
    with pytest.raises(ValueError, match="ds_max"):
        continue_equilibria(hh, "I_ext", (0.0, 10.0), ds_max=-1.0)
    with pytest.raises(ValueError, match="shape"):
        continue_equilibria(hh, "I_ext", (0.0, 10.0), y0=[-65.0, 0.05])


def test_start_near_equilibrium_is_corrected_with_a_message(hh):
    rest = hh.resting_state()
    b = continue_equilibria(hh, "I_ext", (0.0, 5.0), y0=rest + np.array([0.5, 0.01, -0.01, 0.01]))
    assert b.status == 0
    assert "start corrected" in b.message
    assert np.max(np.abs(b.states[0] - rest)) < 1e-8


def test_failure_returns_partial_branch():
    b = continue_equilibria(_SqrtBranch(), "p", (-1.0, 1.0), direction=-1, y0=[1.0])
    assert b.status < 0
    assert "corrector" in b.message or "non-finite" in b.message
    assert len(b.param) > 3 and b.param[0] == 1.0
    assert 0.0 <= b.param[-1] < 0.2
    assert np.allclose(b.states[:, 0], np.sqrt(b.param), atol=1e-8)


def test_diagram_exports_and_plot(hh_branch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    diagram = BifurcationDiagram([hh_branch])
    assert diagram.special_points == hh_branch.special_points
    data = json.loads(diagram.to_json(tmp_path / "d.json"))
    assert json.loads((tmp_path / "d.json").read_text()) == data
    sp = data["branches"][0]["special_points"]
    assert [p["kind"] for p in sp] == ["H", "H"]
    assert sp[0]["param"] == hh_branch.special_points[0].param
    assert sp[0]["info"]["l1"] == hh_branch.special_points[0].info["l1"]
    diagram.to_csv(tmp_path / "d.csv")
    lines = (tmp_path / "d.csv").read_text().splitlines()
    assert len(lines) == len(hh_branch.param) + 1
    assert sum(",H," in line for line in lines) == 2
    text = diagram.summary()
    assert text.count("\nH ") == 2 and "subcritical" in text and "supercritical" in text
    ax = diagram.plot(y="V")
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert "-" in styles and "--" in styles
    assert [t.get_text() for t in ax.texts] == ["H", "H"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="not a state"):
        hh_branch.plot(y="Q")


def test_special_point_contract():
    p = SpecialPoint("LP", 1.0, np.zeros(2))
    assert p.kind == "LP" and p.converged and p.info == {}
    with pytest.raises(Exception):
        p.kind = "H"


class _Transcritical(ODEModel):
    """x' = p·x − x², z' = x² − z: the branches x = 0 and x = p cross at p = 0 (a BP)."""

    state_names = ("x", "z")
    name = "transcritical"

    def __init__(self):
        super().__init__({"p": -1.0})

    def rhs(self, y, params=None):
        p = self._resolve(params)["p"]
        x, z = np.asarray(y, dtype=float)
        return np.stack([p * x - x**2, x**2 - z])

    def jacobian(self, y, params=None):
        p = self._resolve(params)["p"]
        x = np.asarray(y, dtype=float)[0]
        return np.array([[p - 2 * x, 0 * x], [2 * x, -1 + 0 * x]])


@pytest.mark.parametrize("y0", [[0.0, 0.0], [-1.0, 1.0]])
def test_branch_point_on_both_crossing_branches(y0):
    b = continue_equilibria(_Transcritical(), "p", (-1.0, 1.0), y0=y0)
    assert b.status == 0
    assert [p.kind for p in b.special_points] == ["BP"]
    bp = b.special_points[0]
    assert bp.converged and abs(bp.param) < 1e-10 and np.max(np.abs(bp.state)) < 1e-8
    # one real eigenvalue crosses zero there: stability changes at the BP
    assert b.n_unstable[bp.index - 1] != b.n_unstable[bp.index + 1]


def test_max_points_progress_and_no_lyapunov(hh):
    calls = []
    b = continue_equilibria(hh, "I_ext", (0.0, 200.0), max_points=6, progress=lambda n, p: calls.append((n, p)))
    assert b.status == 1 and "max_points" in b.message
    assert len(b.param) - len(b.special_points) == 6
    assert [n for n, _ in calls] == [2, 3, 4, 5, 6]
    assert np.all(np.diff([p for _, p in calls]) > 0)
    b = continue_equilibria(hh, "I_ext", (0.0, 20.0), lyapunov=False)
    (h,) = b.points("H")
    assert math.isnan(h.info["l1"]) and h.info["criticality"] == "unknown" and h.info["omega"] > 0


def _catalogue():
    from reductions import fast_m

    hh = hhdyn.HodgkinHuxley()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hpn1 = h_plus_n(hh, c=1.0)
    return [(hh, -10.0, 200.0), (fast_m(hh), -10.0, 200.0), (h_plus_n(hh), -10.0, 200.0), (hpn1, -300.0, 50.0),
            (hh.with_params(T=18.5), -10.0, 300.0), (FitzHughNagumo(), -1.0, 3.0)]


@pytest.mark.parametrize("model, start, stop", _catalogue(), ids=lambda v: getattr(v, "name", str(v))[:25])
def test_invariants_at_every_special_point(model, start, stop):
    """Stability changes across each special point (by 2 at H, by 1 at LP/BP); the point lies in
    its bracket; H points have a critical pair on the imaginary axis, LP points a zero eigenvalue."""
    b = continue_equilibria(model, "I_ext", (start, stop))
    assert b.status == 0, b.message
    assert b.special_points
    for p in b.special_points:
        i = p.index
        assert p.converged and p.bracket[0] <= p.param <= p.bracket[1]
        change = abs(int(b.n_unstable[i + 1]) - int(b.n_unstable[i - 1]))
        assert change == (2 if p.kind == "H" else 1)
        lam = np.linalg.eigvals(model.jacobian(p.state, {"I_ext": p.param}))
        if p.kind == "H":
            crit = lam[np.argmin(np.abs(lam - 1j * p.info["omega"]))]
            assert abs(crit.real) < 1e-9 and np.isfinite(p.info["l1"])
        else:
            assert np.min(np.abs(lam)) < 1e-8


# ---------------------------------------------------------------------------- the core's contract
def _circle_problem():
    """F(x, p) = x² + p² − 1: the unit circle; its folds in p are (x, p) = (0, ±1)."""
    from analysis.continuation.core import DenseProblem, Point, Run

    class Circle(DenseProblem):
        window = ((-2.0, 2.0),)
        detect = ("LP",)

        def residual(self, u):
            return np.array([u[0] ** 2 + u[1] ** 2 - 1.0])

        def jacobian(self, u):
            return np.array([[2 * u[0], 2 * u[1]]])

        def initial(self, settings):
            return Point(np.array([1.0, 0.0]), np.array([0.0, 1.0]))

        def parameters(self, point):
            return (float(point.u[1]),)

        def tests(self, point):
            return {"LP": float(point.t[1])}

        def result(self, run: Run):
            return run

    return Circle()


def test_a_new_problem_needs_only_residual_jacobian_and_tests():
    """The unit circle on the core: every point on it, both folds located at p = ±1 exactly."""
    from analysis.continuation import Settings, Status
    from analysis.continuation.core import continuation

    run = continuation(_circle_problem(), Settings(ds=0.1, ds_min=1e-8, ds_max=0.2, max_points=80, tol=1e-12))
    assert run.status == Status.MAX_POINTS
    for p in run.points:
        assert abs(p.u @ p.u - 1.0) < 1e-12
    folds = [ev.point.u for _, ev in run.events if ev.kind == "LP"]
    assert len(folds) >= 2
    for u in folds[:2]:
        assert abs(abs(u[1]) - 1.0) < 1e-12 and abs(u[0]) < 1e-6


def test_locating_stops_at_a_pole_but_not_at_a_zero():
    """ψ = 1/(s − 0.3) changes sign on [0, 1] through a pole: with a pole factor the search gives
    up (None) after a few trials instead of bisecting onto s = 0.3; ψ = (s − 0.3)·e^s is located
    to xtol with the same guard, and without the guard the pole is 'located' (what Brent does)."""
    from analysis.continuation.core import POLE_FACTOR, locate_zero

    trials = []

    def point_at(s, warm):
        trials.append(s)
        return s

    for psi, expect_root in ((lambda s: 1.0 / (s - 0.3), False), (lambda s: (s - 0.3) * math.exp(s), True)):
        trials.clear()
        q, ok = locate_zero(psi, point_at, 0.0, 1.0, 1.0, xtol=1e-13, pole_factor=POLE_FACTOR)
        if expect_root:
            assert ok and abs(q - 0.3) < 1e-12
        else:
            assert (q, ok) == (None, False) and len(trials) <= 6, trials
    q, ok = locate_zero(lambda s: 1.0 / (s - 0.3), point_at, 0.0, 1.0, 1.0, xtol=1e-13)
    assert abs(q - 0.3) < 1e-9


def test_a_failed_trial_returns_the_best_trial_not_the_step_end():
    """A corrector that fails next to the zero (as it can at a branch point, where its system is
    singular): ψ = (s − 0.3)·e^s, with every trial within 1e-7 of s = 0.3 failing. The search
    returns the trial nearest the zero it did correct (|s − 0.3| < 1e-4), flagged not converged —
    not an end of the step (0 or 1), which the caller would report as the event."""
    from analysis.continuation.core import locate_zero

    def point_at(s, warm):
        return None if abs(s - 0.3) < 1e-7 else s

    q, ok = locate_zero(lambda s: (s - 0.3) * math.exp(s), point_at, 0.0, 1.0, 1.0, xtol=1e-13)
    assert not ok and q not in (0.0, 1.0) and abs(q - 0.3) < 1e-4, q


def test_settings_and_status_vocabulary():
    from analysis.continuation import Settings, Status

    with pytest.raises(ValueError, match="ds_min"):
        Settings(ds_min=-1.0)
    with pytest.raises(ValueError, match="direction"):
        Settings(direction=2)
    with pytest.raises(ValueError, match="max_points"):
        Settings(max_points=1)
    assert Status(1) is Status.MAX_POINTS and "max_points" in Status.MAX_POINTS.message
    assert Status.CLOSED != Status.UNBOUNDED_PERIOD
    filled = Settings(ds_max=0.5).filled(ds=1.0, ds_min=1e-6, ds_max=2.0, tol=1e-9)
    assert (filled.ds, filled.ds_max, filled.direction) == (0.5, 0.5, 1)


def test_every_result_exports_plots_and_reports_status(hh_branch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import csv

    import matplotlib.pyplot as plt

    from analysis.continuation import continue_hopf

    curve = continue_hopf(hhdyn.HodgkinHuxley(), hh_branch.points("H")[0], "gK", window=(-50.0, 300.0),
                          window2=(20.0, 50.0), ds_max=5.0)
    diagram = BifurcationDiagram([hh_branch, curve])
    for result in (hh_branch, curve, diagram):
        assert result.plot() is not None
        result.to_csv(tmp_path / "r.csv")
        with open(tmp_path / "r.csv") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == sum(len(b.param) for b in getattr(result, "branches", [result]))
        assert json.loads(result.to_json(tmp_path / "r.json")) == json.loads((tmp_path / "r.json").read_text())
        assert result.to_dict()["status"] == result.status == 0 and isinstance(result.message, str)
    plt.close("all")
