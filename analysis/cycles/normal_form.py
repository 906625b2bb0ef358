"""Criticality of period doublings (PD) and folds of cycles (LPC): periodic normal forms.

The coefficients MatCont reports, computed on the collocation mesh of the orbit as in Kuznetsov,
Govaerts, Doedel and Dhooge, "Numerical periodic normalization for codim 1 bifurcations of limit
cycles", SIAM J. Numer. Anal. 43 (2005) 1407–1435. Near a cycle x₀(t) (period T, A(t) = f_x(x₀(t)),
B and C the second and third derivatives of f) the periodic normal forms on the centre manifold
x = x₀(τ) + ξ v(τ) + ½ξ²h₂(τ) + … are (time t in the model's units, ms for HH):

**PD** (a multiplier −1):  dτ/dt = 1 + a ξ² + …,  dξ/dt = c ξ³ + …, with

    v̇ − A v = 0,  v(T) = −v(0),  ∫₀¹⟨v, v⟩dτ = 1                (PD eigenfunction),
    a = ½∫₀ᵀ⟨φ*, B(v, v)⟩dt,   ḣ₂ − A h₂ = B(v, v) − 2a f(x₀),  h₂ T-periodic,
    c = ⅙∫₀ᵀ⟨v*, C(v, v, v) + 3B(v, h₂) − 6a A v⟩dt,

where φ* is the periodic adjoint eigenfunction (φ̇* = −Aᵀφ*, ∫⟨φ*, f(x₀)⟩dt = 1) and v* the
antiperiodic one (∫⟨v*, v⟩dt = 1). c < 0: **supercritical** — on the centre manifold the doubled
cycle is attracting when born (its multiplier near +1 is exp(4cξ²T) < 1) —; c > 0:
**subcritical**. With the parameter, dξ/dt = βξ + cξ³ and β has the sign of d log|μ|/dp of the
multiplier μ ≈ −1 along the branch, so the doubled cycles exist on the side
sign(p − p_PD) = −sign(c·β′) (``info["pd_direction"]``).

**LPC** (a double multiplier +1):  dτ/dt = 1 − ξ + …,  dξ/dt = a ξ² + …, with

    v̇ − A v = f(x₀),  v T-periodic   (the generalized eigenfunction),
    a = ∫₀ᵀ⟨φ*, ½B(v, v) + A v⟩dt,   ∫⟨φ*, v⟩dt = 1  (at the fold ∫⟨φ*, f(x₀)⟩dt = 0).

With the parameter dξ/dt = γ(p − p_LPC) + aξ², γ = ∫⟨φ*, f_p⟩dt, so the two cycles exist on the
side sign(p − p_LPC) = −sign(aγ) (``info["lpc_side"]``) — the side the cycle branch lies on.

**Discretization.** The variational operator v ↦ v̇ − TA v (in τ = t/T) is collocated exactly
as the orbit (:mod:`.collocation`): a dense nN × nN matrix L± with periodic (+) or antiperiodic
(−) wrap. Right null vectors give f(x₀) (L₊) and v (L₋); the left null vectors are the adjoint
eigenfunctions already multiplied by the quadrature weights: for an adjoint w, ∫₀ᵀ⟨w, g⟩dt is
wᵀ r with r the collocation right-hand side h_j T g(z_ji). The periodic problems for h₂ and the
LPC's v (L₊ singular) are solved bordered by the left null vector and the phase row. B and C
along v come from fourth-order central differences of the analytic Jacobian along v at every
collocation point at once.

Computed on request (sparse LU factorizations of size nN; well under a second for HH with NTST = 50):
:func:`cycle_normal_form` for one point, :func:`with_criticality` for every PD and LPC of a
branch; the coefficients go into the points' ``info``: ``pd_coefficient``, ``pd_direction``,
``multiplier_slope`` (d log|μ|/dp), ``criticality`` ("subcritical"/"supercritical", at PD);
``lpc_coefficient``, ``lpc_gamma``, ``lpc_side`` and ``lpc_check`` (∫⟨φ*, f⟩dt with
∫⟨φ*, v⟩dt = 1: ≈ 0 at a fold; above 1e-3 the point is rejected) at LPC.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from .collocation import CollocationSystem

__all__ = ["cycle_normal_form", "with_criticality", "pd_coefficient", "variational_matrix", "values_at_collocation"]


# ---------------------------------------------------------------------------- discrete operators
def variational_matrix(sys: CollocationSystem, blocks, sign: float = 1.0):
    """Sparse L (nN × nN, CSC): the collocation equations of dv/dτ − T f_x v = 0 on the node
    values of v with the wrap v(1) = ``sign``·v(0) (blocks from :meth:`CollocationSystem.jacobian_blocks`)."""
    import scipy.sparse as sp

    ntst, m, m1, n, _ = blocks.shape
    j, i, k, a, b = np.meshgrid(np.arange(ntst), np.arange(m), np.arange(m1), np.arange(n), np.arange(n),
                                indexing="ij")
    rows = ((j * m + i) * n + a).ravel()
    cols = (sys.idx[j, k] * n + b).ravel()
    wrap = ((j == ntst - 1) & (k == m1 - 1)).ravel()
    data = np.where(wrap, sign, 1.0) * blocks.ravel()
    size = n * sys.N
    return sp.csc_matrix((data, (rows, cols)), shape=(size, size))


def values_at_collocation(sys: CollocationSystem, V, sign: float = 1.0) -> np.ndarray:
    """Values (NTST, NCOL, n) at the collocation points of the piecewise polynomial with node
    values V (N, n) and wrap v(1) = ``sign``·v(0)."""
    Ve = V[sys.idx].copy()
    Ve[-1, -1] *= sign
    return sys.L @ Ve


def _bordered(L, b, c):
    """Sparse LU of [[L, b], [cᵀ, 0]]. Column order by minimum degree on the pattern of M + Mᵀ:
    with the dense border (and the wrap of the last interval) SuperLU's default COLAMD order fills
    ~7× more (HH, NTST = 80, NCOL = 6: 0.89M against 0.12M factor entries; 20 ms against 3 ms)."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    M = sp.bmat([[L, sp.csc_matrix(b[:, None])], [sp.csc_matrix(c[None, :]), None]], format="csc")
    return spla.splu(M, permc_spec="MMD_AT_PLUS_A")


def _null(L):
    """Unit right and left null vectors of the (nearly) singular sparse L, by the bordered
    system [[L, b], [cᵀ, 0]](x, s) = (0, 1) and its transpose (twice: first with fixed
    pseudo-random b, c, then with b, c the left and right estimates)."""
    size = L.shape[0]
    rng = np.random.default_rng(20050101)
    b, c = rng.standard_normal(size), rng.standard_normal(size)
    e = np.zeros(size + 1)
    e[-1] = 1.0
    for _ in range(2):
        lu = _bordered(L, b, c)
        x, y = lu.solve(e)[:-1], lu.solve(e, trans="T")[:-1]
        c, b = x / np.linalg.norm(x), y / np.linalg.norm(y)
    return c, b


def _derivatives(mp, x, d, h_b=1e-3, h_c=1e-2):
    """At each point x[:, K] along d[:, K]: J(x), D J[d] and D² J[d, d] (shapes (n, n, K)) by
    fourth-order central differences along the unit direction d/|d| (steps h_b, h_c)."""
    n, K = x.shape
    nd = np.linalg.norm(d, axis=0)
    u = d / np.where(nd > 0, nd, 1.0)
    shifts = [x + k * h * u for h in (h_b, h_c) for k in (1, -1, 2, -2)]
    Js = np.asarray(mp.jacobian(np.concatenate([x] + shifts, axis=1)), dtype=float)
    J0 = Js[:, :, :K]
    Jb = [Js[:, :, (1 + i) * K:(2 + i) * K] for i in range(4)]
    Jc = [Js[:, :, (5 + i) * K:(6 + i) * K] for i in range(4)]
    DJ = (8.0 * (Jb[0] - Jb[1]) - (Jb[2] - Jb[3])) / (12.0 * h_b) * nd
    D2J = (-Jc[2] + 16.0 * Jc[0] - 30.0 * J0 + 16.0 * Jc[1] - Jc[3]) / (12.0 * h_c * h_c) * nd**2
    return J0, DJ, D2J


def _mv(M, v):
    return np.einsum("stk,tk->sk", M, v)


class _Orbit:
    """The orbit of a branch row on its mesh, with the discretized operators at it."""

    def __init__(self, model, param, U, T, p, mesh, ncol):
        self.sys = sys = CollocationSystem(model, param, mesh.size - 1, int(ncol))
        self.U, self.T, self.p, self.mesh = U, float(T), float(p), mesh
        self.n, self.shape = sys.n, (sys.ntst, sys.m, sys.n)
        self.blocks, self.dT, self.dp = sys.jacobian_blocks(U, T, p, mesh)
        self.hT = (np.diff(mesh) * self.T)[:, None, None]
        self.mp = sys.model_at(p)
        self.xc = values_at_collocation(sys, U).reshape(-1, self.n).T          # (n, K)
        self.fc = np.asarray(self.mp.rhs(self.xc), dtype=float)                  # (n, K)

    def col(self, a):
        """(n, K) collocation-point values → the (NTST, NCOL, n) layout of the equations."""
        return a.T.reshape(self.shape)

    def pair(self, w, g):
        """∫₀ᵀ⟨w, g⟩dt for an adjoint w (left null vector layout) and g (n, K) at collocation points."""
        return float(np.sum(w.reshape(self.shape) * self.hT * self.col(g)))

    def bordered_solve(self, L, w_left, g):
        """Periodic solution h of ḣ − A h = g (its solvable part) with ∫⟨h, u̇₀⟩dτ = 0: the
        bordered system [[L₊, w], [phase row, 0]]; returns (h nodes (N, n), the border multiplier)."""
        G = self.sys.phase_gradient(self.U).ravel()
        rhs = np.append((self.hT * self.col(g)).ravel(), 0.0)
        sol = _bordered(L, w_left, G).solve(rhs)
        return sol[:-1].reshape(self.sys.N, self.n), float(sol[-1])

    def orbit_derivative(self):
        """(dU/dp (N, n), dT/dp) along the branch: the collocation Jacobian bordered by the
        row e_p (Δp = 1); ValueError at a fold of cycles, where they do not exist."""
        import scipy.sparse.linalg as spla

        sys = self.sys
        J = sys.assemble(self.blocks, self.dT, self.dp, sys.phase_gradient(self.U),
                         (np.zeros_like(self.U), 0.0, 1.0))
        e = np.zeros(sys.size)
        e[-1] = 1.0
        try:
            z = spla.splu(J.tocsc()).solve(e)
        except RuntimeError:
            raise ValueError("the orbit is at a fold of cycles: dU/dp does not exist") from None
        dU, dT, _ = sys.unpack(z)
        return dU, dT

    def node_norm(self, V):
        return math.sqrt(float(np.sum(self.sys.node_weights(self.mesh)[:, None] * V * V)))


def _pd_parts(orb: _Orbit) -> tuple:
    """(c, a, V, v*, J₀, v at the collocation points) of the PD normal form at a flip orbit."""
    sys = orb.sys
    La = variational_matrix(sys, orb.blocks, -1.0)
    v, w_v = _null(La)
    V = v.reshape(sys.N, orb.n)
    V /= orb.node_norm(V)
    vc = values_at_collocation(sys, V, -1.0).reshape(-1, orb.n).T
    Lp = variational_matrix(sys, orb.blocks, 1.0)
    _, w_phi = _null(Lp)
    w_phi = w_phi / orb.pair(w_phi, orb.fc)                    # ∫⟨φ*, f⟩dt = 1
    J0, DJ, D2J = _derivatives(orb.mp, orb.xc, vc)
    Bvv = _mv(DJ, vc)
    a = 0.5 * orb.pair(w_phi, Bvv)
    H2, _ = orb.bordered_solve(Lp, w_phi, Bvv - 2.0 * a * orb.fc)
    h2c = values_at_collocation(sys, H2).reshape(-1, orb.n).T
    w_v = w_v / orb.pair(w_v, vc)                              # ∫⟨v*, v⟩dt = 1
    c = orb.pair(w_v, _mv(D2J, vc) + 3.0 * _mv(DJ, h2c) - 6.0 * a * _mv(J0, vc)) / 6.0
    return c, a, V, w_v, J0, vc


def _pd(orb: _Orbit) -> dict:
    sys = orb.sys
    c, a, V, w_v, J0, vc = _pd_parts(orb)
    # transversality: d log|μ|/dp = T ∫⟨v*, (T_p/T) A v + (d/dp)[f_x(x₀(p), p)] v⟩dt
    dU, dT = orb.orbit_derivative()
    xp = values_at_collocation(sys, dU).reshape(-1, orb.n).T
    delta = 1e-4 * max(1.0, abs(orb.p))
    Jpm = [np.asarray(sys.model_at(orb.p + s * delta).jacobian(orb.xc + s * delta * xp), dtype=float)
           for s in (1.0, -1.0)]
    dA = (Jpm[0] - Jpm[1]) / (2.0 * delta)
    slope = orb.T * orb.pair(w_v, (dT / orb.T) * _mv(J0, vc) + _mv(dA, vc))
    return {"pd_coefficient": c, "pd_a": a, "multiplier_slope": slope, "pd_direction": -int(np.sign(c * slope)),
            "eigenfunction": V, "criticality": "subcritical" if c > 0 else "supercritical"}


def pd_coefficient(model, param: str, U, T: float, p: float, mesh, ncol: int) -> float:
    """c of the PD normal form dξ/dt = c ξ³ (per model time unit, ∫₀¹⟨v,v⟩dτ = 1) at the flip orbit
    U (node values on ``mesh``, period T, ``param`` = p) of ``model``: the test function of GPD
    points on PD curves (:mod:`.pd_curves`). Needs no derivative along a branch."""
    return float(_pd_parts(_Orbit(model, param, U, T, p, mesh, ncol))[0])


def _lpc(orb: _Orbit) -> dict:
    sys = orb.sys
    Lp = variational_matrix(sys, orb.blocks, 1.0)
    _, w_phi = _null(Lp)
    V, _ = orb.bordered_solve(Lp, w_phi, orb.fc)               # v̇ − A v = f(x₀)
    vc = values_at_collocation(sys, V).reshape(-1, orb.n).T
    fdot = orb.pair(w_phi / orb.pair(w_phi, vc), orb.fc)
    if abs(fdot) > 1e-3:
        raise ValueError(f"the multiplier 1 is not double here (∫⟨φ*, f⟩dt / ∫⟨φ*, v⟩dt = {fdot:.3g}): "
                         "it is not a fold of cycles")
    w_phi = w_phi / orb.pair(w_phi, vc)                        # ∫⟨φ*, v⟩dt = 1
    J0, DJ, _ = _derivatives(orb.mp, orb.xc, vc)
    a = orb.pair(w_phi, 0.5 * _mv(DJ, vc) + _mv(J0, vc))
    fp = np.asarray(orb.mp.dfdp(orb.xc, sys.param), dtype=float)
    gamma = orb.pair(w_phi, fp)
    side = -int(np.sign(a * gamma))
    return {"lpc_coefficient": a, "lpc_gamma": gamma, "lpc_side": side, "lpc_check": fdot}


def cycle_normal_form(point, branch, model) -> dict:
    """The normal-form data of a PD or LPC point of a cycle branch (see the module docstring).

    Returns a dict — PD: ``pd_coefficient`` (c, per model time unit in the normalization
    ∫₀¹⟨v,v⟩dτ = 1), ``pd_direction`` (±1: the side of p_PD where the doubled cycles exist),
    ``multiplier_slope`` (d log|μ|/dp of the multiplier −1, from the orbit's derivative along
    the branch), ``pd_a``, ``eigenfunction`` (node values of v), ``criticality``; LPC:
    ``lpc_coefficient`` (a), ``lpc_side`` (±1: the side of p_LPC where the two cycles exist),
    ``lpc_gamma`` (γ), ``lpc_check``. ValueError for another kind, a point not on ``branch``, or
    an orbit that is not at the bifurcation.
    """
    kind = getattr(point, "kind", None)
    if kind not in ("PD", "LPC"):
        raise ValueError(f"normal forms of cycles are computed at PD and LPC points, got kind {kind!r}")
    i = _row(point, branch)
    if kind == "PD":
        mu = np.asarray(branch.multipliers[i])[1:]
        if mu.size == 0 or np.min(np.abs(mu + 1.0)) > 1e-3:
            raise ValueError(f"no Floquet multiplier within 1e-3 of −1 at {point.param:.10g}: it is not a period "
                             "doubling")
    orb = _Orbit(model, branch.param_name, branch.profiles[i], branch.period[i], branch.param[i], branch.meshes[i],
                 branch.ncol)
    return _pd(orb) if kind == "PD" else _lpc(orb)


def _row(point, branch):
    if branch is None or getattr(branch, "profiles", None) is None:
        raise ValueError(f"the {getattr(point, 'kind', '?')} point needs the cycle branch it lies on (branch=)")
    i = int(point.index)
    if not 0 <= i < len(branch.param) or branch.param[i] != point.param:
        raise ValueError(f"the point ({point.kind} at {point.param:.10g}, index {i}) is not a row of the branch given")
    return i


def with_criticality(branch, model):
    """The branch with every PD and LPC point's ``info`` extended by :func:`cycle_normal_form`
    (points where it fails keep their info plus ``criticality`` "unknown" and the reason)."""
    points = []
    for sp in branch.special_points:
        if sp.kind in ("PD", "LPC"):
            try:
                extra = cycle_normal_form(sp, branch, model)
                extra.pop("eigenfunction", None)
            except (ValueError, np.linalg.LinAlgError) as exc:
                extra = {"criticality": "unknown", "criticality_error": str(exc)}
            sp = dataclasses.replace(sp, info={**sp.info, **extra})
        points.append(sp)
    return dataclasses.replace(branch, special_points=tuple(points))
