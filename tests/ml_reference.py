"""An independent Morris–Lecar reference for the tests, written out by hand from Rinzel &
Ermentrout (1998, "Analysis of neural excitability and oscillations") — not from hhdyn's
declaration —, and a shooting/bisection check of saddle homoclinic orbits.

    C dV/dt = I − gCa·m∞(V)(V − ECa) − gK·w(V − EK) − gL(V − EL)
    dw/dt   = λ(V)(w∞(V) − w),   λ = φ·cosh((V − V3)/(2V4))
    m∞ = ½(1 + tanh((V − V1)/V2)),   w∞ = ½(1 + tanh((V − V3)/V4))

Tests get it through the ``ml_reference`` fixture of ``tests/conftest.py`` (the test modules are
imported in pytest's importlib mode and cannot import each other).
"""
import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

COMMON = dict(C=20.0, gL=2.0, gK=8.0, EL=-60.0, ECa=120.0, EK=-84.0, V1=-1.2, V2=18.0)
SETS = {
    "hopf": dict(gCa=4.4, V3=2.0, V4=30.0, phi=0.04),
    "snic": dict(gCa=4.0, V3=12.0, V4=17.4, phi=1.0 / 15.0),
    "homoclinic": dict(gCa=4.0, V3=12.0, V4=17.4, phi=0.23),
}


class HandML:
    """Morris–Lecar written out with numpy; ``overrides`` change any value (e.g. ``phi=0.1``)."""

    def __init__(self, which, **overrides):
        self.p = {**COMMON, **SETS[which], **overrides}

    def minf(self, V):
        p = self.p
        return 0.5 * (1 + np.tanh((V - p["V1"]) / p["V2"]))

    def dminf(self, V):
        p = self.p
        return 0.5 / p["V2"] / np.cosh((V - p["V1"]) / p["V2"]) ** 2

    def winf(self, V):
        p = self.p
        return 0.5 * (1 + np.tanh((V - p["V3"]) / p["V4"]))

    def dwinf(self, V):
        p = self.p
        return 0.5 / p["V4"] / np.cosh((V - p["V3"]) / p["V4"]) ** 2

    def lam(self, V):
        p = self.p
        return p["phi"] * np.cosh((V - p["V3"]) / (2 * p["V4"]))

    def rhs(self, y, I):
        p = self.p
        V, w = y
        dV = (I - p["gCa"] * self.minf(V) * (V - p["ECa"]) - p["gK"] * w * (V - p["EK"]) - p["gL"] * (V - p["EL"])) / p["C"]
        return np.array([dV, self.lam(V) * (self.winf(V) - w)])

    def Iss(self, V):
        """The steady-state current I∞(V) (w = w∞(V)): equilibria are its level sets."""
        p = self.p
        return p["gCa"] * self.minf(V) * (V - p["ECa"]) + p["gK"] * self.winf(V) * (V - p["EK"]) + p["gL"] * (V - p["EL"])

    def dIss(self, V):
        p = self.p
        return (p["gCa"] * (self.dminf(V) * (V - p["ECa"]) + self.minf(V))
                + p["gK"] * (self.dwinf(V) * (V - p["EK"]) + self.winf(V)) + p["gL"])

    def jac(self, V):
        """Jacobian on the steady-state curve (w = w∞(V))."""
        p = self.p
        a11 = -(p["gCa"] * (self.dminf(V) * (V - p["ECa"]) + self.minf(V)) + p["gK"] * self.winf(V) + p["gL"]) / p["C"]
        a12 = -p["gK"] * (V - p["EK"]) / p["C"]
        return np.array([[a11, a12], [self.lam(V) * self.dwinf(V), -self.lam(V)]])

    def fd_jac(self, y, I, h=1e-7):
        """Central differences of :meth:`rhs` at any state."""
        return np.column_stack([(self.rhs(y + h * e, I) - self.rhs(y - h * e, I)) / (2 * h) for e in np.eye(2)])

    def equilibria(self, I):
        """The voltages of all equilibria at current I (brentq on I∞(V) = I), ascending."""
        grid = np.linspace(-80.0, 60.0, 2801)
        g = self.Iss(grid) - I
        return [brentq(lambda v: self.Iss(v) - I, grid[i], grid[i + 1], xtol=1e-14)
                for i in np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0)]

    def upper_fold(self):
        """The fold of the equilibria near I = 40 (the knee of I∞(V) at V ≈ −29): (I_LP, V_LP).
        It does not depend on φ (φ does not enter I∞)."""
        V = brentq(self.dIss, -40.0, -20.0, xtol=1e-13)
        return float(self.Iss(V)), V

    # ------------------------------------------------------------------ saddle homoclinic orbits
    def falls_to_rest(self, I, t_end=3000.0):
        """Shoot from the saddle (the middle equilibrium) along the branch of its unstable
        manifold with dV > 0: True when the trajectory falls back to the resting node (I below
        the homoclinic current), False when it stays out on the side of the limit cycle."""
        Vs = self.equilibria(I)
        V_node, V_saddle = Vs[0], Vs[1]
        xs = np.array([V_saddle, self.winf(V_saddle)])
        lam, vec = np.linalg.eig(self.fd_jac(xs, I))
        k = int(np.argmax(lam.real))
        v = vec[:, k].real * np.sign(vec[0, k].real)

        def near_node(t, y):
            return abs(y[0] - V_node) - 0.1
        near_node.terminal = True
        sol = solve_ivp(lambda t, y: self.rhs(y, I), (0.0, t_end), xs + 1e-7 * v, method="DOP853", rtol=1e-11,
                        atol=1e-12, events=near_node)
        return sol.status == 1

    def homoclinic_current(self, lo, hi, tol=2e-6):
        """The saddle homoclinic current in [lo, hi] by bisection on :meth:`falls_to_rest`
        (lo must fall back, hi must not); returns the midpoint of the final bracket."""
        assert self.falls_to_rest(lo) and not self.falls_to_rest(hi), (lo, hi)
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.falls_to_rest(mid) else (lo, mid)
        return 0.5 * (lo + hi)

    # ------------------------------------------------------------------ the saddle-node loop (SNL)
    def returns_to_saddle_node(self, r_in=0.02, t_end=20000.0):
        """At I = I_LP (the upper fold), follow the centre branch of the saddle-node's unstable
        set (dV > 0) around its excursion and report whether it comes back into the saddle-node
        along the centre direction from the node's side (α < 0 in the eigen-coordinates
        x − x_SN = α·v_c + β·v_ss): True on the SNIC side of the saddle-node loop point, False on
        the homoclinic side (it passes on the other side of the strong stable manifold, or never
        comes back and settles on the cycle that exists there)."""
        I, V = self.upper_fold()
        x = np.array([V, self.winf(V)])
        lam, vec = np.linalg.eig(self.jac(V))
        ic, iss = int(np.argmin(abs(lam))), int(np.argmax(abs(lam)))
        vc, vs = vec[:, ic].real * np.sign(vec[0, ic].real), vec[:, iss].real * np.sign(vec[0, iss].real)
        Pinv = np.linalg.inv(np.column_stack([vc, vs]))

        def rhs(t, y):
            return self.rhs(y, I)

        def far(t, y):
            return y[0] - (V + 20.0)
        far.terminal, far.direction = True, 1

        def near(t, y):
            return np.linalg.norm(Pinv @ (y - x)) - r_in
        near.terminal, near.direction = True, -1
        # the centre manifold attracts transversally (λ_ss < 0): a start 0.1 mV along v_c is on it to O(1e-2),
        # an error that decays on the slow escape
        out = solve_ivp(rhs, (0.0, 1e6), x + 0.1 * vc, method="DOP853", rtol=1e-11, atol=1e-12, events=far)
        assert out.status == 1, "the centre branch did not leave the saddle-node"
        on = solve_ivp(rhs, (0.0, 1.0), out.y[:, -1], method="DOP853", rtol=1e-11, atol=1e-12).y[:, -1]
        back = solve_ivp(rhs, (0.0, t_end), on, method="DOP853", rtol=1e-11, atol=1e-12,
                         events=(near, far))   # far again: a whole loop without coming back
        if back.status != 1 or back.t_events[0].size == 0:
            return False
        return float((Pinv @ (back.y_events[0][0] - x))[0]) < 0.0


def saddle_node_loop_phi(lo, hi, tol=1e-6, which="snic", **overrides):
    """φ of the saddle-node loop point in [lo, hi] by bisection on
    :meth:`HandML.returns_to_saddle_node` (which must differ at the two ends)."""
    side_lo = HandML(which, phi=lo, **overrides).returns_to_saddle_node()
    assert side_lo != HandML(which, phi=hi, **overrides).returns_to_saddle_node(), (lo, hi)
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if HandML(which, phi=mid, **overrides).returns_to_saddle_node() == side_lo:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
