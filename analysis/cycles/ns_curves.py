"""Two-parameter curves of Neimark–Sacker (torus) bifurcations of cycles (NS): :func:`continue_ns`.

A Neimark–Sacker bifurcation found on a one-parameter cycle branch
(:func:`.continuation.continue_cycles`, label "NS": a complex pair of Floquet multipliers
e^{±iθ} on the unit circle) persists when a second parameter changes and traces a curve in the
(p₁, p₂) plane, along which the angle θ (rad) changes. The curve is followed with a minimally
augmented collocation system in X = (u, T, p₁, p₂, θ) — the complex analogue of MatCont's
``PD_curve`` (Kuznetsov, Govaerts, Doedel & Dhooge, *SIAM J. Numer. Anal.* 43 (2005) 1407–1435),
whose ``NS_curve`` instead squares the monodromy to stay real —,

    u̇ = T f(u, p₁, p₂),  u(0) = u(1),  ∫₀¹⟨u, u̇_ref⟩dτ = 0,  Re g = 0,  Im g = 0,

where the complex g is the last component of the bordered linearized BVP with the *twisted*
boundary condition v(1) = e^{iθ}v(0):

    [ A_θ  b ] [v]   [0]      A_θ v = v̇ − T f_u(u(τ)) v (collocation), v(1) = e^{iθ}v(0).   (B_θ)
    [ cᵀ   0 ] [g] = [1]

A_θ is singular exactly when e^{iθ} is a Floquet multiplier (v is then the Floquet solution).
The border c is the conjugate of the previous null vector v (quadrature weighted: cᵀv = ∫|v|²),
b the conjugate of the previous left null vector φ ((B_θ)ᵀ[φ; h] = e_last, plain transpose).
The twist is built into the collocation blocks (the last interval's end node is the first node
times e^{iθ}), so (B_θ) is factorized by the same :class:`.collocation.CondensedLU`, in complex
arithmetic. Its gradient is g_z = −φᵀ(A_θ)_z v for z = (u, T, p₁, p₂) — the derivative of the
exact transposed products along v = v_r + iv_i, by central differences in the two real
directions (:meth:`.pd_curves.PDCurveProblem.twisted_derivative`) — and
g_θ = −φᵀ(∂_θA_θ)v = −i e^{iθ} φ_lastᵀ B_end v(0), from the last interval's end-node block B_end.
The Newton system (n·N + 4 unknowns) is solved through the condensed LU of the cycle Jacobian
with p₁ pinned (:class:`.pd_curves.PinnedSchurSolver`, a 3×3 Schur complement for p₂, θ and the
pin).

Codimension-two points on the curve (AUTO/MatCont labels), located by Brent's method:

======  ============================================================================
R1      1:1 resonance: θ reaches 0 (the pair meets at +1); the curve ends there
R2      1:2 resonance: θ reaches π (the pair meets at −1); the curve ends there
R3      1:3 resonance: θ = 2π/3
R4      1:4 resonance: θ = π/2
LPNS    fold–Neimark–Sacker: a further real multiplier reaches +1 (∏(μ − 1)/(|μ| + 1) over
        the multipliers other than the trivial one and the pair)
PDNS    flip–Neimark–Sacker: a further multiplier reaches −1 (∏(μ + 1)/(|μ| + 1), the same)
LP_p1   an extremum of p₁ (LP_p2: of p₂) along the curve (``info["extremum_of"]`` names it)
UZ      the curve's point at requested values of p₂ (``values2``)
======  ============================================================================

At R1 and R2 the pair leaves the unit circle along the real axis and the curve continues as
one of neutral saddle cycles (multipliers μ, 1/μ real), which this system does not describe
(θ would turn back into (0, π), retracing the curve): θ is windowed to [0, π], the curve ends
exactly on θ = 0 or π (status DONE, the message says which) and that last point is the R1 or
R2 special point — always recorded, as GH ends of LPC curves are. The Chenciner point (the NS
normal form's cubic coefficient vanishing) is not detected.
"""
from __future__ import annotations

import math

import numpy as np

from ..branch import SpecialPoint
from ..continuation.core import Event, NonFinite
from ..continuation.codim2 import EXTREMUM_KINDS
from ..continuation.settings import Progress, Settings, Status
from .cycle_curves import CycleCurve, _CurvePoint, curve_multipliers, pinned_start
from .floquet import product
from .pd_curves import PDCurveProblem, PinnedSchurSolver, TwistedBordered, curve_from_point

__all__ = ["continue_ns", "NSCurveProblem"]

#: the angles θ (rad) of the strong resonances inside the curve (R1 at 0 and R2 at π end it)
RESONANCES = {"R3": 2.0 * math.pi / 3.0, "R4": 0.5 * math.pi}


class NSCurveProblem(PDCurveProblem):
    """The NS curve as a continuation problem (see the module docstring): the loop, step,
    corrector, mesh adaptation and closing test of the PD curve, with θ as a fifth unknown."""

    kinds = ("R3", "R4", "LPNS", "PDNS") + EXTREMUM_KINDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.window = self.window + ((0.0, math.pi),)  # θ: the curve ends at R1 (θ = 0) and R2 (θ = π)
        self.ends = []
        self.size = self.nU + 4
        self.e_last = np.zeros(self.size)
        self.e_last[-1] = 1.0

    #: approaching θ = 0 (R1) or θ = π (R2), singular points of the twisted system, a step covers at
    #: most END_FRACTION of the distance to the end predicted by dθ/ds while that distance is above
    #: END_GAP (rad), then at most twice it: the end is crossed by a short step, from a point near
    #: it, so that locating it never asks a corrector started far away for a point next to the
    #: singular end (beyond R1 the curve retraces itself with −θ: a long step lands on the mirror image)
    END_FRACTION, END_GAP = 0.75, 0.02

    def correct(self, point, ds, settings):
        dtheta_ds = float(point.t[self.nU + 3])
        gap = point.theta if dtheta_ds < 0 else math.pi - point.theta
        reach = self.END_FRACTION * gap if gap > self.END_GAP else 2.0 * gap
        if gap > 0.0 and ds * abs(dtheta_ds) > reach:
            ds = reach / abs(dtheta_ds)
        return super().correct(point, ds, settings)

    def trial_guess(self, a, b, s):
        """As on LPC curves, except across an end (θ = 0 or π between a and b): there the step's
        Hermite interpolant puts Brent's first trial on the singular end itself, where a Newton
        started on it fails; the tangent predictor from a (None) does not."""
        if a.theta * b.theta <= 0 or (a.theta - math.pi) * (b.theta - math.pi) <= 0:
            return None
        return super().trial_guess(a, b, s)

    # ---------------------------------------------------------- packing
    def pack(self, U, T, p, q, theta):
        return np.concatenate([U.ravel(), [T, p, q, theta]])

    def unpack(self, X):
        return (*super().unpack(X), float(X[self.nU + 3]))

    def vector(self, pt):
        return self.pack(pt.U, pt.T, pt.p, pt.q, pt.theta)

    def parameters(self, point):
        return (float(point.p), float(point.q), float(point.theta))

    # ---------------------------------------------------------- the defining system
    def twisted(self, U, T, p, q, theta, mesh, border, blocks=None):
        blocks = self._blocks(U, T, p, q, mesh) if blocks is None else blocks
        W = self.sys.node_weights(mesh)
        try:
            return TwistedBordered(self.sys, blocks[0], np.exp(1j * theta), border[2], np.conj(W[:, None] * border[0])), blocks
        except (RuntimeError, np.linalg.LinAlgError) as exc:
            raise NonFinite(f"singular twisted bordered system ({exc})") from None

    def residual(self, X, mesh, G, border, arc):
        """([collocation; phase; Re g; Im g; ⟨X − X_b, t_b⟩ − Δs], (twisted Bordered, blocks) at X)
        with arc = (X_b, weighted t_b, Δs)."""
        U, T, p, q, theta = self.unpack(X)
        F = self.orbit_residual(U, T, p, q, mesh, G)
        bord, blocks = self.twisted(U, T, p, q, theta, mesh, border)
        Xb, row, ds = arc
        return np.concatenate([F, [bord.g.real, bord.g.imag, float(row @ (X - Xb)) - ds]]), (bord, blocks)

    def _grad_g(self, U, T, p, q, theta, mesh, blocks, bord):
        """∇g (complex) over (U, T, p₁, p₂, θ): see the module docstring."""
        v = bord.null_vector()[0]
        v_end = np.exp(1j * theta) * v[0]
        phi = bord.phi[: self.nU]
        (rr, ri), (ir, ii) = (self.twisted_derivative(U, T, p, q, mesh, w, w_end, [phi.real, phi.imag])
                              for w, w_end in ((v.real, v_end.real), (v.imag, v_end.imag)))
        gz = -((rr - ii) + 1j * (ri + ir))  # −D_{v_r + i v_i}(F_zᵀ(φ_r + iφ_i))
        phi_last = phi.reshape(self.sys.ntst, self.sys.m, self.sys.n)[-1]
        g_theta = -1j * np.exp(1j * theta) * np.einsum("ia,iab,b->", phi_last, blocks[0][-1, :, -1], v[0])
        return np.concatenate([gz, [g_theta]])

    def jacobian(self, X, mesh, G, border, row, at=None):
        from .collocation import CondensedLU

        U, T, p, q, theta = self.unpack(X)
        sys = self.sys
        sys.p2 = q
        bord, blocks = self.twisted(U, T, p, q, theta, mesh, border) if at is None else at
        dq = sys.dp2(U, T, p, mesh)
        gz = self._grad_g(U, T, p, q, theta, mesh, blocks, bord)
        try:
            mlu = CondensedLU(sys, blocks[0], blocks[1], blocks[2], G, (np.zeros_like(U), 0.0, 1.0))
            solver = PinnedSchurSolver(mlu, [dq.ravel(), np.zeros(dq.size)], [gz.real, gz.imag, row], "NS")
        except (RuntimeError, np.linalg.LinAlgError) as exc:
            raise NonFinite(f"singular Jacobian of the NS system ({exc})") from None
        solver.transfer = mlu.transfer
        return solver, bord, blocks

    def finish(self, X, mesh, border, row, previous_t, iterations=0) -> _CurvePoint:
        """The point at a converged X (as :meth:`.cycle_curves.LPCCurveProblem.finish`): its phase
        reference, the solver, the unit tangent and the next border (c: the unit null vector v,
        b: the conjugate left null vector)."""
        U, T, p, q, theta = self.unpack(X)
        G = self.sys.phase_gradient(U)
        lu, bord, blocks = self.jacobian(X, mesh, G, border, row)
        t = self.tangent(lu, mesh, previous_t)
        v = bord.null_vector()[0]
        nv = math.sqrt(float(np.sum(self.sys.node_weights(mesh)[:, None] * np.abs(v) ** 2)))
        psi = np.conj(bord.phi[: self.nU])
        bcol = (psi / np.linalg.norm(psi)).reshape(border[2].shape)
        return _CurvePoint(U, T, p, q, mesh, t, lu, bord, blocks, (v / nv, 0.0, bcol), G, iterations,
                           theta=theta)

    # ---------------------------------------------------------- measurements
    def measure(self, pt) -> dict:
        """Multipliers (the periodic transfer matrices), extrema, the LPNS and PDNS tests."""
        if pt.record is None:
            _, triv, rest = self.multipliers(pt)
            others = _without_pair(rest, pt.theta)
            smin, smax = self.sys.extrema(pt.U, pt.mesh)
            pair = np.exp(1j * pt.theta)
            pt.record = dict(p=pt.p, q=pt.q, T=pt.T, U=pt.U.copy(), mesh=pt.mesh.copy(), smin=smin, smax=smax,
                             mu=np.concatenate([[triv], rest]), terr=float(abs(triv - 1.0)),
                             theta=abs(pt.theta),  # the pair's angle: ±θ name the same pair (an end may be −1e-13)
                             g=pt.bord.g, pair_error=float(np.min(np.abs(rest - pair))) if rest.size else math.nan,
                             lpns=_product_test(others, -1.0), pdns=_product_test(others, 1.0))
        return pt.record

    def tests(self, pt):
        r = self.measure(pt)
        out = {f"UZ{i}": float(pt.q - v) for i, v in enumerate(self.values2)}
        out.update(self.extremum_tests(pt))
        for kind, angle in RESONANCES.items():
            if kind in self.detect:
                out[kind] = float(pt.theta - angle)
        if "LPNS" in self.detect:
            out["LPNS"] = r["lpns"]
        if "PDNS" in self.detect:
            out["PDNS"] = r["pdns"]
        return out

    def describe(self, kind, a, b, q, converged):
        r = self.measure(q)
        bracket = (min(a.p, b.p, q.p), max(a.p, b.p, q.p))
        info = {"period": r["T"], "multipliers": r["mu"], "trivial_error": r["terr"], "theta": r["theta"],
                "pair_error": r["pair_error"]}
        if kind in EXTREMUM_KINDS:
            info.update(self.extremum_info(kind, a, q))
        return Event("UZ" if kind.startswith("UZ") else kind, q, bracket, bool(converged), info)

    def stop(self, a, b):
        """The curve ends on θ = 0 (R1) or θ = π (R2) — the core's window puts b exactly there;
        b is recorded as that special point — or where it closes (:meth:`.pd_curves.PDCurveProblem.stop`)."""
        for kind, angle in (("R1", 0.0), ("R2", math.pi)):
            if abs(b.theta - angle) <= 1e-9:
                self.ends.append(self.describe(kind, a, b, b, True))
                return (Status.DONE, f"the NS curve ends at a {'1:1' if kind == 'R1' else '1:2'} resonance ({kind}: "
                        f"θ = {angle:.4g}) at {self.param}={b.p:.8g}, {self.param2}={b.q:.8g}, where the multipliers "
                        "e^{±iθ} leave the unit circle (neutral saddle cycles beyond)", True)
        return super().stop(a, b)


def _without_pair(rest, theta):
    """The multipliers ``rest`` without the pair nearest e^{±iθ}."""
    if rest.size < 2:
        return rest[:0]
    i = int(np.argmin(np.abs(rest - np.exp(1j * theta))))
    keep = np.delete(rest, i)
    j = int(np.argmin(np.abs(keep - np.exp(-1j * theta))))
    return np.delete(keep, j)


def _product_test(mu, sign) -> float:
    """∏(μ + sign)/(|μ| + 1) (real part; NaN without multipliers): zero where one reaches −sign."""
    return float(np.real(np.prod((mu + sign) / (np.abs(mu) + 1.0)))) if mu.size else math.nan


def ns_angle(problem: NSCurveProblem, U, T, p, q, mesh) -> float:
    """θ ∈ (0, π) of the complex multiplier pair nearest the unit circle at the orbit (ValueError: none)."""
    from .collocation import CondensedLU

    blocks = problem._blocks(U, T, p, q, mesh)
    mlu = CondensedLU(problem.sys, blocks[0], blocks[1], blocks[2], problem.sys.phase_gradient(U),
                      (np.zeros_like(U), 0.0, 1.0))
    f0 = np.asarray(problem.sys.model_at(p).rhs(U[0]), float)
    mu, k = curve_multipliers(mlu.transfer, product(mlu.transfer), f0)
    rest = np.delete(mu, k)
    upper = rest[rest.imag > 1e-8 * np.maximum(1.0, np.abs(rest))]
    if upper.size == 0:
        raise ValueError(f"the orbit at {problem.param}={p:.8g} has no complex pair of multipliers "
                         f"(multipliers {np.round(mu, 6)}); is it a Neimark–Sacker point?")
    return float(np.angle(upper[np.argmin(np.abs(np.abs(upper) - 1.0))]))


def first_ns_point(problem: NSCurveProblem, U, mesh, T, p, q):
    """Correct the orbit onto the NS system at fixed p₂ = q: θ from the multipliers, the border
    from two solves of (B_θ) with a random one, then Newton (:func:`.cycle_curves.pinned_start`)."""
    sys = problem.sys
    theta = ns_angle(problem, U, T, p, q, mesh)
    G = sys.phase_gradient(U)
    rng = np.random.default_rng(0)
    shape = (sys.ntst, sys.m, sys.n)
    border = (rng.standard_normal(U.shape) + 1j * rng.standard_normal(U.shape), 0.0,
              rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    W = sys.node_weights(mesh)
    for _ in range(2):  # any border not orthogonal to the null vector gives its direction
        bord, _ = problem.twisted(U, T, p, q, theta, mesh, border)
        v = bord.null_vector()[0]
        psi = np.conj(bord.phi[: problem.nU])
        border = (v / math.sqrt(float(np.sum(W[:, None] * np.abs(v) ** 2))), 0.0,
                  (psi / np.linalg.norm(psi)).reshape(shape))
    return pinned_start(problem, problem.pack(U, T, p, q, theta), mesh, G, border)


def continue_ns(model, ns_point: SpecialPoint, param2: str, *, param: str = "I_ext", branch=None, window=None,
                window2=None, ntst: int = 50, ncol: int = 4, settings: Settings | None = None,
                detect=("R3", "R4", "LPNS", "PDNS") + EXTREMUM_KINDS, values2=(), adapt: int = 1,
                max_angle: float = 0.25, progress: Progress = None, **options) -> CycleCurve:
    """Follow a Neimark–Sacker bifurcation of cycles (NS) in the plane (``param``, ``param2``).

    Parameters as :func:`.pd_curves.continue_pd`: ``ns_point`` is a SpecialPoint of kind "NS"
    from :func:`analysis.continue_cycles` in ``param``; ``branch`` the CycleBranch it came from
    (without it the orbit is recovered by integrating one period from ``ns_point.state``);
    ``window``/``window2`` bound the two parameters; ``detect`` ⊂ ("R3", "R4", "LPNS", "PDNS",
    "LP_p1", "LP_p2") (R1 and R2 end the curve and are always recorded); ``values2``: values of
    ``param2`` where a "UZ" point is put.

    Returns a :class:`.cycle_curves.CycleCurve` of kind "NS" (``multipliers``: the trivial one
    first; a pair e^{±iθ} among the others on every point); the angle θ (rad) of each point is in
    the special points' ``info["theta"]`` and in ``curve.theta``. ``status``: DONE (window
    boundary, or R1/R2 — the message says which), CLOSED, MAX_POINTS, or negative (failure; the
    computed part is returned, ``message`` says why).
    """
    return curve_from_point(NSCurveProblem, first_ns_point, model, ns_point, ("ns_point", "NS", "a Neimark–Sacker point"),
                            param, param2, branch, window, window2, ntst, ncol, settings, detect, values2, adapt,
                            max_angle, progress, options)
