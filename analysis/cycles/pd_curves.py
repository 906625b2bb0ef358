"""Two-parameter curves of period doublings (flips) of cycles (PD): :func:`continue_pd`.

A period doubling found on a one-parameter cycle branch (:func:`.continuation.continue_cycles`,
label "PD": a Floquet multiplier at −1) persists when a second parameter changes and traces a
curve in the (p₁, p₂) plane. As MatCont's ``PD_curve`` (Kuznetsov, Govaerts, Doedel & Dhooge,
*SIAM J. Numer. Anal.* 43 (2005) 1407–1435) the curve is followed with the minimally augmented
collocation system in X = (u, T, p₁, p₂),

    u̇ = T f(u, p₁, p₂),  u(0) = u(1),  ∫₀¹⟨u, u̇_ref⟩dτ = 0,  g_PD(u, T, p₁, p₂) = 0,

where g_PD is the last component of the bordered linearized BVP with the *anti-periodic*
boundary condition (``BVP_PD``):

    [ A₋  b ] [v]   [0]      A₋ v = v̇ − T f_u(u(τ)) v (collocation), v(1) = −v(0),       (B₋)
    [ cᵀ  0 ] [g] = [1]

A₋ is singular exactly when the monodromy matrix has a multiplier −1 (a solution of the
variational equation with v(1) = −v(0)). The border c is the previous null vector v (quadrature
weighted), b the previous left null vector φ (Mᵀ[φ; h] = e_last). The anti-periodic condition is
built into the collocation blocks: the last interval's end node is the first node with a minus
sign, so (B₋) is factorized by the same :class:`.collocation.CondensedLU` (with a dummy unknown
in the T place, pinned by its own row). Its gradient is g_z = −φᵀ(A₋)_z v (b, c fixed), the
derivative along v of the exact transposed products F_zᵀφ (:func:`.bordered.transpose_product`),
by a central difference — the LPC case's formula (G) of :mod:`.bordered`, with v sign-flipped on
the last interval.

Codimension-two points on the curve (AUTO/MatCont labels), located by Brent's method:

======  ============================================================================
R2      1:2 resonance: a second multiplier reaches −1 (E_{n−1}(M + I) = Π_{others}(μ + 1) = 0)
LPPD    fold–flip: a non-trivial multiplier reaches +1 (E_{n−1}(M − I) / ∏ over the trivial one)
GPD     generalized (degenerate) flip: the PD normal-form coefficient c of dξ/dt = cξ³
        (:func:`.normal_form.pd_coefficient`) vanishes, so the doubled cycles change from
        born unstable (c > 0, subcritical) to born stable (c < 0); a sign change of c through
        a pole (at R2 and LPPD, where the normalization of the eigenfunctions degenerates) is
        no GPD and is not reported
LP_p1   an extremum of p₁ (LP_p2: of p₂) along the curve (``info["extremum_of"]`` names it)
UZ      the curve's point at requested values of p₂ (``values2``)
======  ============================================================================

The GPD test costs a few sparse LU factorizations of size nN per point: on HH's PD curve in
(I_ext, gK) at NTST 50 it makes the curve 4.4× slower (12.2 s against 2.8 s without it; leave it
out of ``detect`` where GPD points are not wanted). The located GPD carries c in
``info["pd_coefficient"]``.
"""
from __future__ import annotations

import math

import numpy as np

from ..branch import SpecialPoint
from ..continuation.core import Event, NonFinite
from ..continuation.codim2 import EXTREMUM_KINDS
from ..continuation.settings import Progress, Settings, Status
from .bordered import BorderedSolution, transpose_product
from .cycle_curves import (CycleCurve, LPCCurveProblem, curve_inputs, curve_multipliers, first_curve_point,
                           follow_both_ways, orbit_of)
from .floquet import product
from .normal_form import pd_coefficient

__all__ = ["continue_pd", "PDCurveProblem", "TwistedBordered"]


def principal_minor_sum(A, k) -> float:
    """E_k(A): the sum of the principal minors of order k (a polynomial in A's entries)."""
    from itertools import combinations

    n = A.shape[0]
    if not 0 < k <= n:
        return math.nan
    return float(sum(np.linalg.det(A[np.ix_(c, c)]) for c in combinations(range(n), k)))


def twisted_blocks(blocks, factor):
    """The collocation blocks with the twisted condition v(1) = factor·v(0) (−1: anti-periodic, for
    PD; e^{iθ} for NS): the last interval's end node (which the assembly maps onto node 0) enters
    multiplied by ``factor``."""
    out = blocks.astype(np.result_type(blocks, factor))
    out[-1, :, -1] *= factor
    return out


class TwistedBordered(BorderedSolution):
    """The bordered system with the twisted condition v(1) = factor·v(0) at one orbit — (B₋) of
    the PD curve (factor −1) and (B_θ) of the NS curve (:mod:`.ns_curves`, factor e^{iθ}, complex):
    ``g`` (float, or complex for a complex system), ``xi`` = (v, 0, g), ``phi`` (left solution).

    Factorized as a :class:`.collocation.CondensedLU` with unknowns (v, τ, g): columns
    [A | 0 | b], rows (collocation, cᵀv, τ = 0); ``b`` (NTST, NCOL, n), ``c`` (N, n) already
    multiplied by the quadrature weights.
    """

    def __init__(self, sys, blocks, factor, b, c):
        from .collocation import CondensedLU

        self.nU = c.size
        e_xi = np.zeros(sys.size)
        e_xi[self.nU] = 1.0  # the border row cᵀv = 1
        e_phi = np.zeros(sys.size)
        e_phi[-1] = 1.0      # phi = [φ (collocation part), h, 0] solving Mᵀ[φ; h] = e_last (b's column)
        super().__init__(sys, CondensedLU(sys, twisted_blocks(blocks, factor), np.zeros_like(b), b, c,
                                          (np.zeros_like(c), 1.0, 0.0)), e_xi, e_phi)

    @property
    def g(self):
        g = self.xi[-1]
        return complex(g) if np.iscomplexobj(g) else float(g)

    def null_vector(self):
        """(v (N, n), 0, g)."""
        return self.xi[: self.nU].reshape(-1, self.sys.n), 0.0, self.g


class PinnedSchurSolver:
    """Solves the Jacobian K of a minimally augmented cycle system (rows: collocation, phase, k + 1
    extra rows — the test functions and the arclength row; columns U, T, p₁ and k further unknowns
    — p₂, and θ on an NS curve) through the condensed LU of the cycle Jacobian with p₁ pinned,

        M = [ F_U  F_T  F_{p₁} ]   (unknowns U, T, p₁; nonsingular at a cycle with no further
            [ Ph    0     0    ]    multiplier at +1: it degenerates only at LPPD/LPNS points)
            [ 0     0     1    ],

    embedded in L = [[M, B], [C, D]] with unknowns (U, T, p₁; the k others, λ): the collocation
    rows get the columns ``cols`` (F_{p₂}; zero for θ), M's last row reads p₁ − λ = 0, and the
    extra rows are ``rows``. With Z = M⁻¹B and the (k+1)×(k+1) Schur complement S = D − CZ:
    y = M⁻¹(b_F, b_Ph, 0), (others, λ) = S⁻¹(b_extra − Cy), x = y − Z(others, λ)."""

    def __init__(self, mlu, cols, rows, what):
        m = mlu.sys.size  # (U, T, p₁)
        k = len(cols)
        self.mlu, self.m, self.k = mlu, m, k
        B = np.zeros((m, k + 1))
        for j, col in enumerate(cols):
            B[: col.size, j] = col
        B[-1, k] = -1.0
        self.Z = np.column_stack([mlu.solve(B[:, j]) for j in range(k + 1)])
        rows = np.asarray(rows)
        self.C = rows[:, :m]
        D = np.column_stack([rows[:, m:m + k], np.zeros(len(rows))])
        S = D - self.C @ self.Z
        if not np.all(np.isfinite(S)) or abs(np.linalg.det(S)) < 1e-300:
            raise NonFinite(f"singular Jacobian of the {what} system")
        self.Sinv = np.linalg.inv(S)

    def solve(self, b):
        m = self.m
        r1 = np.concatenate([b[: m - 1], [0.0]])  # collocation, phase; p₁ − λ = 0
        y = self.mlu.solve(r1)
        ql = self.Sinv @ (np.asarray(b[m - 1:]) - self.C @ y)
        return np.concatenate([y - self.Z @ ql, ql[: self.k]])


class PDCurveProblem(LPCCurveProblem):
    """The PD curve as a continuation problem (see the module docstring); the loop, the step, the
    corrector and the mesh adaptation are those of the LPC curve."""

    kinds = ("R2", "LPPD", "GPD") + EXTREMUM_KINDS
    poles = ("GPD",)  # c's eigenfunction normalizations degenerate at R2 and LPPD (see describe)

    def bordered(self, U, T, p, q, mesh, G, border, blocks=None):
        blocks = self._blocks(U, T, p, q, mesh) if blocks is None else blocks
        W = self.sys.node_weights(mesh)
        try:
            return TwistedBordered(self.sys, blocks[0], -1.0, border[2], W[:, None] * border[0]), blocks
        except (RuntimeError, np.linalg.LinAlgError) as exc:
            raise NonFinite(f"singular anti-periodic bordered system ({exc})") from None

    def twisted_derivative(self, U, T, p, q, mesh, v, v_end, phis):
        """D_v(F_zᵀφ) for z = (U, T, p₁, p₂) and each real φ of ``phis``: the derivative of φᵀA_z
        along a real v (N, n), where A is the collocation Jacobian with a twisted condition
        v(1) = v_end in place of v(1) = v(0) — v on intervals 0…NTST−2, and with v(0) ↦ v_end on
        the last one (PD: v_end = −v(0)) —, by central differences of the exact transposed products."""
        sys = self.sys
        vbar = v.copy()
        vbar[0] = v_end
        scale = 1.0 + float(np.max(np.abs(U)))
        eps = 1e-6 * scale / max(float(np.max(np.abs(v))), float(np.max(np.abs(vbar))), 1e-300)
        grads = []
        for sgn in (1.0, -1.0):
            bl, dT, dp = self._blocks(U + sgn * eps * v, T, p, q, mesh)
            dq = sys.dp2(U + sgn * eps * v, T, p, mesh)
            bl2, dT2, dp2 = self._blocks(U + sgn * eps * vbar, T, p, q, mesh)
            dq2 = sys.dp2(U + sgn * eps * vbar, T, p, mesh)
            bl, dT, dp, dq = bl.copy(), dT.copy(), dp.copy(), dq.copy()
            bl[-1], dT[-1], dp[-1], dq[-1] = bl2[-1], dT2[-1], dp2[-1], dq2[-1]
            row = []
            for phi_c in phis:
                gU, gT, (gp, gq) = transpose_product(sys, bl, dT, [dp, dq], phi_c)
                row.append(np.concatenate([gU.ravel(), [gT, gp, gq]]))
            grads.append(row)
        return [(plus - minus) / (2.0 * eps) for plus, minus in zip(*grads)]

    def _grad_g(self, U, T, p, q, mesh, bord):
        """∇g = −∂_z(φᵀ A₋(z) v) for z = (U, T, p₁, p₂) (:meth:`twisted_derivative`, v(1) = −v(0))."""
        v = bord.null_vector()[0]
        return -self.twisted_derivative(U, T, p, q, mesh, v, -v[0], [bord.phi[: self.nU]])[0]

    def jacobian(self, X, mesh, G, border, row, at=None):
        from .collocation import CondensedLU

        U, T, p, q = self.unpack(X)
        sys = self.sys
        sys.p2 = q
        bord, blocks = self.bordered(U, T, p, q, mesh, G, border) if at is None else at
        dq = sys.dp2(U, T, p, mesh)
        gz = self._grad_g(U, T, p, q, mesh, bord)
        try:
            mlu = CondensedLU(sys, blocks[0], blocks[1], blocks[2], G, (np.zeros_like(U), 0.0, 1.0))
            solver = PinnedSchurSolver(mlu, [dq.ravel()], [gz, row], "PD")
        except (RuntimeError, np.linalg.LinAlgError) as exc:
            raise NonFinite(f"singular Jacobian of the PD system ({exc})") from None
        solver.transfer = mlu.transfer
        return solver, bord, blocks

    # ---------------------------------------------------------- measurements
    def multipliers(self, pt):
        """(M, the trivial multiplier, the others by decreasing modulus) at the point's orbit, from
        the transfer matrices of its pinned cycle Jacobian (the Newton solver's, ``pt.lu.transfer``)."""
        self.sys.p2 = pt.q
        M = product(pt.lu.transfer)
        mu, k = curve_multipliers(pt.lu.transfer, M, np.asarray(self.sys.model_at(pt.p).rhs(pt.U[0]), dtype=float))
        rest = np.delete(mu, k)
        return M, mu[k], rest[np.argsort(-np.abs(rest), kind="stable")]

    def measure(self, pt) -> dict:
        """Multipliers (the periodic transfer matrices), extrema, the R2 and LPPD tests."""
        if pt.record is None:
            sys = self.sys
            M, triv, rest = self.multipliers(pt)
            smin, smax = sys.extrema(pt.U, pt.mesh)
            n = M.shape[0]
            big = not np.all(np.isfinite(M)) or np.linalg.norm(M) > 1e8
            if big:
                flip = np.delete(rest, int(np.argmin(np.abs(rest + 1.0)))) if rest.size else rest
                r2 = float(np.real(np.prod(flip + 1.0)) * 2.0)
                lppd = float(np.real(np.prod(rest - 1.0)))
            else:
                r2 = principal_minor_sum(M + np.eye(n), n - 1)
                lppd = principal_minor_sum(M - np.eye(n), n - 1)
            scale = float(np.prod(np.abs(rest) + 1.0)) if rest.size else 1.0
            pt.record = dict(p=pt.p, q=pt.q, T=pt.T, U=pt.U.copy(), mesh=pt.mesh.copy(), smin=smin, smax=smax,
                             mu=np.concatenate([[triv], rest]), terr=float(abs(triv - 1.0)), g=pt.bord.g,
                             r2=r2 / scale, lppd=lppd / scale,
                             flip_error=float(np.min(np.abs(rest + 1.0))) if rest.size else math.nan)
        return pt.record

    def tests(self, pt):
        r = self.measure(pt)
        out = {f"UZ{i}": float(pt.q - v) for i, v in enumerate(self.values2)}
        out.update(self.extremum_tests(pt))  # extrema of either parameter along the curve: dp/ds = 0
        if "R2" in self.detect:
            out["R2"] = r["r2"]
        if "LPPD" in self.detect:
            out["LPPD"] = r["lppd"]
        if "GPD" in self.detect:
            if "gpd" not in r:
                r["gpd"] = self.pd_coefficient(pt)
            out["GPD"] = r["gpd"]
        return out

    def pd_coefficient(self, pt) -> float:
        """c of the PD normal form at the point's orbit (NaN where the flip eigenfunctions are
        not simple, e.g. exactly at R2)."""
        model = self.model.with_params(**{self.param2: float(pt.q)})
        try:
            with np.errstate(all="ignore"):
                return pd_coefficient(model, self.param, pt.U, pt.T, pt.p, pt.mesh, self.sys.m)
        except (RuntimeError, ValueError, np.linalg.LinAlgError, ZeroDivisionError):
            return math.nan

    def describe(self, kind, a, b, q, converged):
        r = self.measure(q)
        if kind == "GPD":
            c = self.tests(q)["GPD"]
            if not abs(c) <= max(abs(self.tests(a)["GPD"]), abs(self.tests(b)["GPD"])):
                return None  # c changed sign through a pole (R2, LPPD), not through zero
        bracket = (min(a.p, b.p, q.p), max(a.p, b.p, q.p))
        info = {"period": r["T"], "multipliers": r["mu"], "trivial_error": r["terr"]}
        if kind == "GPD":
            info["pd_coefficient"] = c
        if kind in EXTREMUM_KINDS:
            info.update(self.extremum_info(kind, a, q))
        return Event("UZ" if kind.startswith("UZ") else kind, q, bracket, bool(converged), info)

    def initial(self, settings):
        self._travelled, self._count = 0.0, 0
        return super().initial(settings)

    def stop(self, a, b):
        """The curve closed (it often does: HH's PD curve in (I_ext, gK) is an isola): the step
        a → b passes the start in (p₁, p₂) — the start lies within 2 % of the chord's length from
        it, and the period interpolated there is the start's to 1 % (the curve may cross itself in
        the plane at another period) — after at least five steps. A PD curve
        has no GH end."""
        f = self.first
        self._count += 1
        pa, pb, p0 = (np.array([x.p, x.q]) for x in (a, b, f))
        chord = pb - pa
        length = float(np.linalg.norm(chord))
        self._travelled += length
        if self._count < 5 or length == 0.0 or self._travelled < 2.0 * length:
            return None
        s = float(np.clip((p0 - pa) @ chord / length**2, 0.0, 1.0))
        gap = float(np.linalg.norm(pa + s * chord - p0))
        T = a.T + s * (b.T - a.T)
        if gap < 0.02 * length and abs(T - f.T) < 0.01 * f.T:
            return Status.CLOSED, Status.CLOSED.message, True
        return None

    def small(self) -> bool:
        return False


def continue_pd(model, pd_point: SpecialPoint, param2: str, *, param: str = "I_ext", branch=None, window=None,
                window2=None, ntst: int = 50, ncol: int = 4, settings: Settings | None = None,
                detect=("R2", "LPPD", "GPD") + EXTREMUM_KINDS, values2=(), adapt: int = 1, max_angle: float = 0.25,
                progress: Progress = None, **options) -> CycleCurve:
    """Follow a period doubling of cycles (PD) in the plane (``param``, ``param2``).

    Parameters as :func:`.cycle_curves.continue_lpc`: ``pd_point`` is a SpecialPoint of kind "PD"
    from :func:`analysis.continue_cycles` in ``param``; ``branch`` the CycleBranch it came from
    (without it the orbit is recovered by integrating one period from ``pd_point.state``);
    ``window``/``window2`` bound the two parameters; ``detect`` ⊂ ("R2", "LPPD", "GPD", "LP_p1", "LP_p2");
    ``values2``: values of ``param2`` where a "UZ" point is put on the curve.

    Returns a :class:`CycleCurve` of kind "PD" (``multipliers``: the trivial one first; one of the
    others is −1 on every point). ``status``: DONE (window boundary), CLOSED, MAX_POINTS, or
    negative (failure; the computed part is returned, ``message`` says why).
    """
    return curve_from_point(PDCurveProblem, first_curve_point, model, pd_point, ("pd_point", "PD", "a period doubling"),
                            param, param2, branch, window, window2, ntst, ncol, settings, detect, values2, adapt,
                            max_angle, progress, options)


def curve_from_point(problem_class, first_point, model, point, naming, param, param2, branch, window, window2, ntst,
                     ncol, settings, detect, values2, adapt, max_angle, progress, options) -> CycleCurve:
    """The body of :func:`continue_pd` and :func:`.ns_curves.continue_ns`: check the arguments,
    correct the orbit at ``point`` onto the curve's system (``first_point``), follow the curve.
    ``naming`` = (argument name, kind, what the kind means)."""
    name, kind, meaning = naming
    settings, window, window2, q0, values2 = curve_inputs(
        model, point, name, kind, meaning, param, param2, window, window2, ntst, ncol, detect, problem_class.kinds,
        values2, settings, options)
    problem = problem_class(model, param, param2, int(ntst), int(ncol), tol=settings.tol or 1e-9, adapt=adapt,
                            max_angle=max_angle, window=window, window2=window2, detect=tuple(detect),
                            values2=values2)
    U, mesh, T = orbit_of(model, point, param, branch, problem.sys)
    try:
        problem.first = first_point(problem, U, mesh, T, float(point.param), q0)
    except NonFinite as exc:
        raise ValueError(f"could not correct the {kind} point at {param}={point.param:.8g} onto the system of "
                         f"{meaning} curve ({exc}); is it a converged {kind} of this model?") from None
    return follow_both_ways(problem, settings, progress, kind)
