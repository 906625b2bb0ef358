"""The end of a cycle branch at infinite period: SNIC and saddle homoclinic (issue 13 item 2).

References are computed here independently of the collocation code: Morris–Lecar written out by
hand (Rinzel & Ermentrout 1998), its fold of equilibria by brentq on dI∞/dV = 0 (the steady-state
current I∞(V) of the 1-D curve w = w∞(V)), and the homoclinic current by shooting: integrate
(DOP853) from the saddle along its unstable eigenvector and bisect in I on whether the trajectory
falls back to the resting node (below I_hom) or stays on the side of the limit cycle (above).
"""
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

import hhdyn
from analysis import continue_equilibria, firing_onset
from analysis.continuation import Status
from analysis.cycles import continue_cycles
from analysis.cycles.infinite_period import fit_homoclinic_law, fit_snic_law

COMMON = dict(C=20.0, gL=2.0, gK=8.0, EL=-60.0, ECa=120.0, EK=-84.0, V1=-1.2, V2=18.0)
SETS = {"snic": dict(gCa=4.0, V3=12.0, V4=17.4, phi=1.0 / 15.0),
        "homoclinic": dict(gCa=4.0, V3=12.0, V4=17.4, phi=0.23)}


class HandML:
    """Morris–Lecar with numpy: C dV/dt = I − gCa m∞(V−ECa) − gK w(V−EK) − gL(V−EL), dw/dt = λ(V)(w∞ − w)."""

    def __init__(self, which):
        self.p = {**COMMON, **SETS[which]}

    def minf(self, V):
        return 0.5 * (1 + np.tanh((V - self.p["V1"]) / self.p["V2"]))

    def winf(self, V):
        return 0.5 * (1 + np.tanh((V - self.p["V3"]) / self.p["V4"]))

    def lam(self, V):
        return self.p["phi"] * np.cosh((V - self.p["V3"]) / (2 * self.p["V4"]))

    def rhs(self, y, I):
        p = self.p
        V, w = y
        dV = (I - p["gCa"] * self.minf(V) * (V - p["ECa"]) - p["gK"] * w * (V - p["EK"]) - p["gL"] * (V - p["EL"])) / p["C"]
        return np.array([dV, self.lam(V) * (self.winf(V) - w)])

    def Iss(self, V):
        p = self.p
        return p["gCa"] * self.minf(V) * (V - p["ECa"]) + p["gK"] * self.winf(V) * (V - p["EK"]) + p["gL"] * (V - p["EL"])

    def dIss(self, V, h=1e-5):
        return (self.Iss(V + h) - self.Iss(V - h)) / (2 * h)

    def fd_jac(self, y, I, h=1e-7):
        return np.column_stack([(self.rhs(y + h * e, I) - self.rhs(y - h * e, I)) / (2 * h) for e in np.eye(2)])

    def equilibria(self, I):
        grid = np.linspace(-80.0, 60.0, 2801)
        g = self.Iss(grid) - I
        return [brentq(lambda v: self.Iss(v) - I, grid[i], grid[i + 1], xtol=1e-14)
                for i in np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)]

    def upper_fold(self):
        """The fold of the equilibria near I = 40 (the knee of I∞(V) at V ≈ −29)."""
        V = brentq(self.dIss, -40.0, -20.0, xtol=1e-13)
        return float(self.Iss(V)), V


def hopf(model, window):
    eq = continue_equilibria(model, "I_ext", window)
    return min(eq.points("H"), key=lambda s: s.param)


def test_snic_branch_ends_at_the_fold_with_the_square_root_law():
    model = hhdyn.MorrisLecar("snic")
    I_lp, _ = HandML("snic").upper_fold()
    lc = continue_cycles(hopf(model, (-20.0, 150.0)), model, window=(-20.0, 150.0), end_tol=1e-4, max_points=1000)
    assert lc.status == Status.UNBOUNDED_PERIOD, lc.message
    assert "SNIC" in lc.message
    end = lc.special_points[-1]
    assert end.kind == "SNIC" and end.index == len(lc.param) - 1
    assert end.param == pytest.approx(I_lp, abs=1e-6)            # the located fold
    assert abs(lc.param[-1] - I_lp) < 1e-4                          # the branch itself got there
    assert end.info["law"]["exponent"] == pytest.approx(-0.5, abs=0.02)
    # the saddle-node: one eigenvalue 0 (hand Jacobian at the hand fold)
    assert min(abs(np.linalg.eigvals(HandML("snic").fd_jac(end.state, end.param)))) < 1e-5
    # exponent fitted here on the branch, independently of the module's fit
    tail = slice(-12, None)
    e = np.polyfit(np.log(lc.param[tail] - I_lp), np.log(lc.period[tail]), 1)[0]
    assert e == pytest.approx(-0.5, abs=0.02)


def _falls_to_rest(ml, I, t_end=3000.0):
    """Shoot from the saddle along the branch of its unstable manifold with dV > 0."""
    Vs = ml.equilibria(I)
    V_node, V_saddle = Vs[0], Vs[1]
    xs = np.array([V_saddle, ml.winf(V_saddle)])
    lam, vec = np.linalg.eig(ml.fd_jac(xs, I))
    k = int(np.argmax(lam.real))
    v = vec[:, k].real * np.sign(vec[0, k].real)
    xn = np.array([V_node, ml.winf(V_node)])

    def near_node(t, y):
        return abs(y[0] - xn[0]) - 0.1
    near_node.terminal = True
    sol = solve_ivp(lambda t, y: ml.rhs(y, I), (0.0, t_end), xs + 1e-7 * v, method="DOP853", rtol=1e-11,
                    atol=1e-12, events=near_node)
    return sol.status == 1


def test_homoclinic_branch_ends_as_hom_below_the_fold_and_agrees_with_shooting():
    model = hhdyn.MorrisLecar("homoclinic")
    ml = HandML("homoclinic")
    lc = continue_cycles(hopf(model, (-20.0, 150.0)), model, window=(-20.0, 150.0))
    assert lc.status == Status.UNBOUNDED_PERIOD, lc.message
    end = lc.special_points[-1]
    assert end.kind == "HOM" and "HOM" in lc.message
    I_lp, _ = ml.upper_fold()
    assert end.param < I_lp - 1.0
    # the saddle: real eigenvalues of opposite signs, λu from the hand Jacobian
    lam = np.linalg.eigvals(ml.fd_jac(end.state, end.param))
    assert np.all(np.isreal(lam)) and lam.real.max() > 0 > lam.real.min()
    assert end.info["law"]["lambda_u"] == pytest.approx(lam.real.max(), rel=1e-4)
    # shooting/bisection on the saddle's unstable manifold
    lo, hi = end.param - 0.05, end.param + 0.05
    assert _falls_to_rest(ml, lo) and not _falls_to_rest(ml, hi)
    while hi - lo > 2e-6:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _falls_to_rest(ml, mid) else (lo, mid)
    assert end.param == pytest.approx(0.5 * (lo + hi), abs=1e-4)


def test_period_law_fits_recover_synthetic_laws():
    p_sn, a = 2.0, 0.3
    p = p_sn + np.geomspace(1e-2, 1e-5, 20)
    T = math.pi / np.sqrt(a * (p - p_sn))
    law = fit_snic_law(p, T, p_sn)
    assert law["exponent"] == pytest.approx(-0.5, abs=1e-12)
    assert law["a"] == pytest.approx(a, rel=1e-12)
    p_hom, lam, C = 1.5, 0.2, 3.0
    T = np.linspace(20.0, 120.0, 40)
    p = p_hom + C * np.exp(-lam * T)
    law = fit_homoclinic_law(p, T, lam)
    assert law["lambda_u_fit"] == pytest.approx(lam, rel=1e-3)
    assert law["p_hom"] == pytest.approx(p_hom, abs=1e-9)


def test_wang_buzsaki_onset_is_the_snic_with_rate_zero():
    model = hhdyn.WangBuzsaki()
    onset = firing_onset(model)                       # default window [0, 200]: no Hopf point there
    eq = continue_equilibria(model, "I_ext", (0.0, 200.0))
    lp = min(eq.points("LP"), key=lambda s: s.param)
    assert onset.kind == "SNIC", onset.message
    assert onset.onset == pytest.approx(lp.param, abs=1e-8)
    assert 0.15 < onset.onset < 0.162                 # the F–I bracket of test_class1_models
    assert onset.rate_hz == 0.0 and math.isinf(onset.period_ms)
    lc = onset.branch
    assert lc.status == Status.UNBOUNDED_PERIOD and lc.stable[-1]
    assert lc.period[-1] > 500.0                      # far past the old default max_period (62 ms)
    assert lc.frequency_hz[-1] < 2.0


def test_end_tol_must_be_positive():
    model = hhdyn.MorrisLecar("snic")
    with pytest.raises(ValueError, match="end_tol"):
        continue_cycles(hopf(model, (-20.0, 150.0)), model, end_tol=0.0)


def test_firing_onset_at_a_saddle_homoclinic_orbit_has_rate_zero():
    model = hhdyn.MorrisLecar("homoclinic")
    onset = firing_onset(model, window=(-20.0, 150.0))
    I_lp, _ = HandML("homoclinic").upper_fold()
    assert onset.kind == "HOM", onset.message
    assert onset.onset < onset.hopf < I_lp        # bistable: cycles from HOM up to the LPC, rest up to H
    assert onset.rate_hz == 0.0
