"""Periodic orbits by collocation as a continuation problem (runs on :mod:`analysis.continuation.core`).

Unknowns X = (u, T, p) of the collocation system of :mod:`.collocation`, in the norm
‖X‖² = ∫₀¹‖u‖²dτ + T² + p². From a point X₀ with unit tangent t₀ the predictor is second
order, X₀ + Δs·t₀ + ½Δs²·(t₀ − t₋₁)/Δs₋₁, and the corrector solves

    F(X) = 0   (collocation and phase conditions),   ⟨X − X₀, t₀⟩ = Δs

by the core's chord method (:func:`~analysis.continuation.core.chord_newton`) through this
problem's linear solver: the condensed sparse LU of the Jacobian at X₀
(:class:`.collocation.CondensedLU`, computed once per step and also giving the new tangent
t₁ = J⁻¹e_last) with its last row changed from t₋₁ to t₀ by a rank-one (Sherman–Morrison)
update; it is refactored when the residual decreases slowly. Step control: ×2 after ≤ 4 and
×1.4 after ≤ 6 chord iterations when the tangent turned by less than ``max_angle``/2, halved
after ≥ 10 or a failure or a turn beyond ``max_angle``; once the period exceeds ``check_period``
the steps are ×T/check_period longer (:meth:`CycleProblem.step_scale`: the period then grows
geometrically towards an end at infinite period). The mesh is re-equidistributed every
``adapt`` steps.

Accuracy check and refinement: every orbit's trivial Floquet multiplier (exactly 1 for the
continuous problem) is measured; where it is farther than ``trivial_tol`` (1e-6) from 1, the orbit
is corrected again on meshes with every interval halved (NTST·2, ·4, … up to ``max_ntst``,
starting at the NTST the previous refined orbit needed) and re-measured, and the most accurate
orbit is the branch's row (:meth:`CycleProblem.refine`). The trivial error is a discretization
error on relaxation orbits and at folds at NTST = 50 (it falls as h⁸ with NCOL = 4: fast-m HH,
3e-2 → < 1e-6) but becomes a rounding error where the trivial multiplier is ill-conditioned —
at a fold of cycles (a second multiplier at 1) and on canards, where a relative change of 1e-16
in the node values moves it by 1e-6 … 1 —; there refinement stops when the error no longer falls.

Test functions (:mod:`.multipliers`): LPC (dp/ds; in the plane log|μ₁| by Liouville's
formula), PD and NS (only where the trivial multiplier is within 1e-5 of 1), BPC (the sign of
det [F_X; t₋ᵀ] from the condensed LU, :meth:`CycleProblem.bpc_test`; located by Brent's method on
det J itself, scaled by its value at the step's start, to |ψ| ≤ 1e-8, and kept only where the bordered Jacobian
is singular: σ_min ≤ ``bpc_tol``·σ₂, :meth:`CycleProblem.bpc_singular_values` — an LPC, where J
stays regular, is not a BPC), and one per user value ("UZ": p − v). Stops: the window, the amplitude shrinking to zero (the branch reached a
Hopf point; status DONE), the end at infinite period — once the period exceeds ``check_period``
the last orbit is examined every 10 % of period growth by :func:`.infinite_period.infinite_period_end`
and the run stops (UNBOUNDED_PERIOD, the end kept as ``end``: SNIC or HOM) when the branch is within
``end_tol`` of its limit —, the period exceeding ``max_period`` (UNBOUNDED_PERIOD, the end named
if it can be), non-finite values (NON_FINITE).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..branch import SpecialPoint
from ..continuation.core import Event, NonFinite, Problem, StepPolicy, chord_newton, locate_zero, row_updated_solve
from ..continuation.settings import Status
from .collocation import CollocationSystem, CondensedLU, uniform_mesh
from .floquet import transfer_matrices
from .infinite_period import infinite_period_end
from .multipliers import classify_multipliers, n_complex_unstable, ns_test, pd_test

__all__ = ["CycleProblem", "CyclePoint", "CycleFailure"]


def _log_modulus(mu) -> float:
    """log|μ|; −inf for a multiplier that underflowed to 0 (long periods: μ = exp(∫ div f dt))."""
    return float(np.log(abs(mu))) if mu != 0 else -math.inf


@dataclass
class _Transfer:
    """The transfer matrices of a refined orbit and its mesh (what the classification reads of an LU)."""

    transfer: np.ndarray
    mesh: np.ndarray


class CycleFailure(Exception):
    """The collocation corrector or factorization failed (the step is retried smaller)."""


@dataclass
class CyclePoint:
    """A converged (or interpolated) orbit with its tangent and the LU at it."""

    U: np.ndarray
    T: float
    p: float
    mesh: np.ndarray
    tU: np.ndarray = None
    tT: float = 0.0
    tp: float = 0.0
    lu: object = None        # the factorization of the Jacobian at this point (arc row = row)
    z: np.ndarray = None     # lu.solve(e_last)
    row: np.ndarray = None   # the arclength row the LU was built with (packed)
    curv: tuple = None       # d²(U, T, p)/ds² estimated from the last two tangents, or None
    iterations: int = 0
    cls: tuple = None        # (multipliers, trivial error, number unstable), computed once
    record: dict = None      # the branch row (with the extrema), computed once
    fine: tuple = None       # (system, U, T, p, mesh) of the refined orbit the multipliers come from
    pinned: bool = False     # refine at fixed p (user values, the window's end) instead of along the normal
    tried: int = 0           # the largest NTST the refinement tried
    stalled: bool = False    # the trivial error fell less than 4-fold in the last doubling (rounding)


class CycleProblem(Problem):
    """The collocation problem; see the module docstring."""

    #: numpy's defaults: tiny multipliers may underflow to 0, the classification guards the rest
    errstate = {}
    #: monitor branch points of cycles (the benchmark turns it off to measure its cost)
    detect_bpc = True
    #: a located BPC is kept when σ_min ≤ bpc_tol·σ₂ for the bordered Jacobian at it (null space)
    bpc_tol = 1e-6

    def __init__(self, model, param, ntst, ncol, *, tol, max_newton, max_angle=0.25, adapt=1, locate=True,
                 window=(-math.inf, math.inf), values=(), max_period=math.inf, check_period=math.inf,
                 end_tol=1e-4, trivial_tol=1e-6, max_ntst=None):
        self.model, self.param = model, param
        self.sys = CollocationSystem(model, param, ntst, ncol)
        self.trivial_tol = float(trivial_tol)
        self.max_ntst = 8 * ntst if max_ntst is None else int(max_ntst)
        self._systems = {ntst: self.sys}   # collocation systems by NTST (the refined ones on demand)
        self.refinements = 0                # orbits measured on a refined mesh
        self.level_hint = 0                 # the NTST the last refined orbit needed
        self.tol, self.max_newton = tol, max_newton
        self.e_last = np.zeros(self.sys.size)
        self.e_last[-1] = 1.0
        self.initial_mesh = uniform_mesh(self.sys.ntst)
        self.adapt, self.locating = adapt, locate
        self.window = (tuple(window),)
        self.values = tuple(values)
        self.max_period = max_period
        self.check_period, self.next_check, self.end_tol = check_period, check_period, float(end_tol)
        self.history = []   # (p, T) of the accepted points, for the period law at the end
        self.end = None     # the InfinitePeriodEnd when the branch ends at infinite period
        self.detect = ("LPC", "PD", "NS") + ("BPC",) * self.detect_bpc + \
            tuple(f"UZ{i}" for i in range(len(self.values)))
        self.policy = StepPolicy(grow=((4, 2.0), (6, 1.4)), min_cos=math.cos(max_angle),
                                 grow_min_cos=math.cos(0.5 * max_angle), shrink_iterations=10)
        self.first = None
        self.failure = ""
        self.spurious = 0
        self.max_amp = 0.0
        self.prev = None
        self.steps_since_adapt = 0

    # ---------------------------------------------------------- linear algebra
    def arc_row(self, mesh, tU, tT, tp):
        W = self.sys.node_weights(mesh)
        return W[:, None] * tU, tT, tp

    def system(self, ntst: int) -> CollocationSystem:
        """The collocation system with ``ntst`` intervals (the continuation's own, or a refined one)."""
        if ntst not in self._systems:
            self._systems[ntst] = CollocationSystem(self.model, self.param, ntst, self.sys.m)
        return self._systems[ntst]

    def factor(self, U, T, p, mesh, phase_ref, arc_row, sys=None):
        sys = self.sys if sys is None else sys
        try:
            blocks, dT, dp = sys.jacobian_blocks(U, T, p, mesh)
        except ValueError as exc:  # the model rejects the parameter value
            raise CycleFailure(str(exc)) from None
        if not (np.all(np.isfinite(blocks)) and np.all(np.isfinite(dT)) and np.all(np.isfinite(dp))):
            raise CycleFailure("non-finite Jacobian")
        G = sys.phase_gradient(phase_ref)
        try:
            lu = CondensedLU(sys, blocks, dT, dp, G, arc_row)
            lu.mesh = mesh
        except (RuntimeError, np.linalg.LinAlgError) as exc:  # singular
            raise CycleFailure(f"singular Jacobian ({exc})") from None
        return lu

    def tangent_from(self, lu, mesh):
        """Unit tangent (U, T, p) from the LU: solves J z = e_last and normalizes."""
        sys = lu.sys
        e_last = self.e_last if sys is self.sys else np.eye(1, sys.size, sys.size - 1)[0]
        z = lu.solve(e_last)
        if not np.all(np.isfinite(z)):
            raise CycleFailure("non-finite tangent")
        U, T, p = sys.unpack(z)
        W = sys.node_weights(mesh)
        nrm = np.sqrt(np.sum(W[:, None] * U * U) + T * T + p * p)
        return U / nrm, T / nrm, p / nrm, z

    @staticmethod
    def packed_row(arc_row):
        gU, gT, gp = arc_row
        return np.concatenate([gU.ravel(), [gT, gp]])

    # ---------------------------------------------------------- predictor and corrector
    def predict_correct(self, base: CyclePoint, ds: float, full_newton=False, sys=None):
        """Predict ``ds`` along the tangent at ``base`` and correct (core chord method) with
        ⟨X − X_base, t_base⟩ = ds (on ``sys``, default the continuation's collocation system).
        Returns (X, iterations); CycleFailure when it fails."""
        sys = self.sys if sys is None else sys
        mesh = base.mesh
        W = sys.node_weights(mesh)
        arc = (base.U, base.T, base.p, base.tU, base.tT, base.tp, W, ds)
        G = sys.phase_gradient(base.U)
        X = sys.pack(base.U + ds * base.tU, base.T + ds * base.tT, base.p + ds * base.tp)
        if base.curv is not None and ds != 0:
            X = X + (0.5 * ds * ds) * sys.pack(*base.curv)
        new_row = np.concatenate([(W[:, None] * base.tU).ravel(), [base.tT, base.tp]])
        lu = base.lu
        solve = (row_updated_solve(lu.solve, base.z, base.row, new_row)
                 if lu is not None and not full_newton else None)

        def residual(X):
            U, T, p = sys.unpack(X)
            try:  # a wild trial may overflow: chord_newton rejects its non-finite residual (NonFinite)
                with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                    return sys.residual(U, T, p, mesh, G, arc)
            except ValueError as exc:  # the model rejects the parameter value
                raise CycleFailure(str(exc)) from None

        def refactor(X):
            U, T, p = sys.unpack(X)
            return self.factor(U, T, p, mesh, base.U, (W[:, None] * base.tU, base.tT, base.tp), sys).solve

        try:
            X, it = chord_newton(residual, solve, X, refactor=refactor, tol=self.tol, max_iter=self.max_newton)
        except (NonFinite, RuntimeError) as exc:
            raise CycleFailure(str(exc)) from None
        why = self.inadmissible(*sys.unpack(X)[1:])
        if why:
            raise CycleFailure(why)
        return X, it

    def inadmissible(self, T, p) -> str:
        """Why the corrected unknowns (T, p) cannot be accepted ("" when they can): a period must be > 0."""
        return "non-positive period" if T <= 0 else ""

    def finish(self, X, mesh, prev_tangent, iterations=0, sys=None) -> CyclePoint:
        """Factorize at the converged X (phase reference X itself, arc row = previous tangent)
        and compute its tangent (oriented like the previous one)."""
        sys = self.sys if sys is None else sys
        U, T, p = sys.unpack(X)
        tU, tT, tp = prev_tangent
        arc_row = sys.node_weights(mesh)[:, None] * tU, tT, tp
        lu = self.factor(U, T, p, mesh, U, arc_row, sys)
        tU, tT, tp, z = self.tangent_from(lu, mesh)
        return CyclePoint(U, T, p, mesh, tU, tT, tp, lu, z, self.packed_row(arc_row), iterations=iterations)

    # ---------------------------------------------------------- measurements
    def multipliers(self, pt: CyclePoint) -> tuple:
        """(multipliers (trivial first), trivial error, number unstable) — once per point; from
        the refined orbit (:meth:`refine`) when the continuation's mesh leaves the trivial
        multiplier farther than ``trivial_tol`` from 1."""
        if pt.cls is None:
            pt.cls = classify_multipliers(pt.lu, pt.U, pt.T, pt.p, self.model, self.param, self.sys)
            if pt.cls[1] > self.trivial_tol and self.max_ntst >= 2 * self.sys.ntst:
                self.refine(pt)
        return pt.cls

    def refine(self, pt: CyclePoint) -> None:
        """Measure ``pt`` on finer meshes until its trivial multiplier is within ``trivial_tol`` of 1.

        Every interval of the (already equidistributed) mesh is halved — NTST doubles, up to
        ``max_ntst`` —, the orbit and its tangent are interpolated onto the new mesh and corrected
        there (full Newton) with ⟨X − X_pt, t_pt⟩ = 0, i.e. onto the finer discretization's branch
        where the normal through ``pt`` crosses it (at p = p_pt for a ``pinned`` point: user values
        and the window's end), and the multipliers are recomputed. It stops at
        the tolerance, at ``max_ntst``, or when a doubling no longer halves the trivial error (the
        error is then rounding, not discretization: the trivial multiplier of a canard has a
        condition number up to 1e10 and more). The most accurate level is kept in ``pt.fine``
        (system, U, T, p, mesh) and ``pt.cls``; the continuation itself goes on with the coarse
        point.
        """
        sys, U, tU, mesh, X = self.sys, pt.U, pt.tU, pt.mesh, None
        terr = pt.cls[1]
        level = max(2 * sys.ntst, min(self.level_hint, self.max_ntst))
        while terr > self.trivial_tol and level <= self.max_ntst:
            fine = self.system(level)
            r = level // sys.ntst
            fmesh = np.append((mesh[:-1, None] + np.diff(mesh)[:, None] * (np.arange(r) / r)[None, :]).ravel(), 1.0)
            fU, ftU = sys.split(U, r), sys.split(tU, r)
            T0, p0 = (pt.T, pt.p) if X is None else (X[1], X[2])
            normal = (np.zeros_like(fU), 0.0, 1.0) if pt.pinned else (ftU, pt.tT, pt.tp)
            try:
                Xf, _ = self.predict_correct(CyclePoint(fU, T0, pt.p if pt.pinned else p0, fmesh, *normal), 0.0,
                                             full_newton=True, sys=fine)
                qU, qT, qp = fine.unpack(Xf)
                blocks, _, _ = fine.jacobian_blocks(qU, qT, qp, fmesh)
                if not np.all(np.isfinite(blocks)):
                    break
                lu = _Transfer(transfer_matrices(blocks), fmesh)
                cls = classify_multipliers(lu, qU, qT, qp, self.model, self.param, fine)
            except (CycleFailure, np.linalg.LinAlgError):
                pt.tried, pt.stalled = level, True
                break
            pt.tried = level
            if not cls[1] < terr:
                pt.stalled = True
                break
            # a discretization error falls ~2^(2·NCOL)-fold per doubling; less than 4-fold: rounding
            pt.stalled, terr = cls[1] > 0.25 * terr, cls[1]
            pt.cls, pt.fine, X = cls, (fine, qU, qT, qp, fmesh), (qU, qT, qp)
            sys, U, tU, mesh, level = fine, qU, ftU, fmesh, 2 * level
        # the next orbit starts where this one ended (neighbours need about the same NTST)
        self.level_hint = pt.fine[0].ntst if pt.fine is not None else 0
        self.refinements += X is not None

    def measure(self, pt: CyclePoint) -> dict:
        """The branch row of a point: multipliers and extrema of each state — once per point. A
        point measured on a refined mesh (:meth:`refine`) reports the refined orbit: its period,
        parameter, extrema and multipliers, and its profile sampled at the nodes of the
        continuation's mesh (``ntst``: the NTST it was measured with)."""
        if pt.record is None:
            mu, terr, nun = self.multipliers(pt)
            if pt.fine is None:
                smin, smax = self.sys.extrema(pt.U, pt.mesh)
                pt.record = dict(p=pt.p, T=pt.T, smin=smin, smax=smax, mu=mu, terr=terr, nun=nun,
                                 mesh=pt.mesh.copy(), U=pt.U.copy(), tp=pt.tp, ntst=self.sys.ntst,
                                 tried=max(pt.tried, self.sys.ntst), stalled=pt.stalled)
            else:
                fine, U, T, p, fmesh = pt.fine
                smin, smax = fine.extrema(U, fmesh)
                pt.record = dict(p=p, T=T, smin=smin, smax=smax, mu=mu, terr=terr, nun=nun, mesh=pt.mesh.copy(),
                                 U=fine.evaluate(U, fmesh, self.sys.node_times(pt.mesh)), tp=pt.tp, ntst=fine.ntst,
                                 tried=max(pt.tried, fine.ntst), stalled=pt.stalled)
        return pt.record

    def amplitude(self, U, mesh):
        W = self.sys.node_weights(mesh)
        mean = W @ U
        return U - mean, float(np.sqrt(np.sum(W[:, None] * (U - mean) ** 2)))

    # ---------------------------------------------------------- the core's hooks
    def initial(self, settings):
        self.max_amp = self.amplitude(self.first.U, self.first.mesh)[1]
        self.measure(self.first)
        return self.first

    def step_scale(self, pt) -> float:
        """Factor on the core's step Δs: T/check_period once the period exceeds ``check_period``
        (on the approach to an end at infinite period the branch is nearly a straight line in T,
        and steps of ``ds_max`` would add a fixed amount to a period that grows without bound; so
        the period grows geometrically, by ≈ ds_max/check_period per step), else 1."""
        return max(1.0, pt.T / self.check_period) if math.isfinite(self.check_period) else 1.0

    def correct(self, point, ds, settings):
        try:
            X, iters = self.predict_correct(point, ds * self.step_scale(point))
            return self.finish(X, point.mesh, (point.tU, point.tT, point.tp), iters)
        except CycleFailure as exc:
            self.failure = (f"corrector failure at {self.param}={point.p:.8g} (period {point.T:.6g}): {exc} "
                            f"even with the minimum step ds_min={settings.ds_min:g}")
            return None

    def inner(self, mesh, aU, aT, ap, bU, bT, bp):
        return float(np.sum(self.sys.node_weights(mesh)[:, None] * aU * bU) + aT * bT + ap * bp)

    def cos_angle(self, a, b):
        return self.inner(a.mesh, b.tU, b.tT, b.tp, a.tU, a.tT, a.tp)

    def arclength(self, a, q):
        return self.inner(a.mesh, q.U - a.U, q.T - a.T, q.p - a.p, a.tU, a.tT, a.tp)

    def parameters(self, point):
        return (float(point.p),)

    def point_at(self, a, b, s, warm):
        try:
            X, _ = self.predict_correct(a, s)
            return self.finish(X, a.mesh, (a.tU, a.tT, a.tp))
        except CycleFailure:
            return None

    def tests(self, pt):
        r = self.measure(pt)
        mu, n = r["mu"], self.sys.n
        reliable = n > 2 and r["terr"] < 1e-5
        out = {"LPC": _log_modulus(mu[1]) if n == 2 else float(pt.tp),
               "PD": pd_test(mu) if reliable else math.nan,
               "NS": ns_test(mu) if reliable else math.nan}
        if self.detect_bpc:
            out["BPC"] = self.bpc_test(pt)
        for i, v in enumerate(self.values):
            out[f"UZ{i}"] = float(pt.p - v)
        return out

    def test(self, kind, pt):
        if kind.startswith("UZ"):
            return float(pt.p - self.values[int(kind[2:])])
        if kind == "LPC" and self.sys.n > 2:
            return float(pt.tp)
        if kind == "BPC":
            return self.bpc_test(pt)
        mu = self.multipliers(pt)[0]
        return {"LPC": lambda: _log_modulus(mu[1]), "PD": lambda: pd_test(mu), "NS": lambda: ns_test(mu)}[kind]()

    def confirm(self, kind, a, b):
        if kind == "NS":
            return n_complex_unstable(self.multipliers(a)[0]) != n_complex_unstable(self.multipliers(b)[0])
        return True

    def locate_tolerances(self, kind, a, b, s_b):
        if kind.startswith("UZ"):
            gtol = 1e-11 * max(1.0, abs(a.p))
        elif kind == "LPC":
            gtol = 1e-5  # |dp/ds| (or log μ) at the located fold: p is then exact to ~1e-10
        elif kind == "BPC":
            # ψ is det J scaled by |det J(a)|, linear in s near a simple branch point: |ψ| ≤ 1e-8
            # places it within ~1e-8 of the step's length. A trial much closer can land where the
            # corrector's own system is singular and fail (measured with OpenBLAS's Haswell kernels:
            # the trial after ψ = −5.5e-9, p = −2.9e-10, did, and the BPC was lost)
            gtol = 1e-8
        else:
            gtol = 1e-7
        return 1e-12 * abs(s_b), gtol  # ends on |ψ| ≤ gtol, normally long before the bracket is that small

    def locate(self, kind, a, b, g_a=None, g_b=None):
        if not self.locating:
            return self.describe(kind, a, b, b, False)
        if kind == "BPC":  # on det J itself (continuous, a simple zero) in units of |det J(a)|
            ref = self._log_det(a)[1]
            s_b = self.arclength(a, b)
            xtol, gtol = self.locate_tolerances(kind, a, b, s_b)
            q, ok = locate_zero(lambda pt: self._scaled_det(pt, ref), lambda s, warm: self.point_at(a, b, s, warm),
                                a, b, s_b, xtol=xtol, gtol=gtol, g_a=self._scaled_det(a, ref),
                                g_b=self._scaled_det(b, ref))
            return self.describe(kind, a, b, q, ok)
        return super().locate(kind, a, b, g_a, g_b)

    # ---------------------------------------------------------- branch points of cycles
    @staticmethod
    def _log_det(pt):
        """(sign, log|det|) of the bordered collocation Jacobian [F_X; arc row] at ``pt`` (from its LU)."""
        lu = pt.lu
        if lu is None or not hasattr(lu, "log_det"):
            return math.nan, math.nan
        return lu.log_det()

    def bpc_test(self, pt) -> float:
        """The BPC test function ψ = sign det [F_X; t₋ᵀ] (±1; NaN without an LU).

        F_X is the Jacobian of the collocation and phase equations in X = (u, T, p) and t₋ the
        previous tangent (the arclength row of the point's factorization). det [F_X; vᵀ] = ⟨v, w⟩
        with w the vector of signed maximal minors of F_X, which spans its null space: along a
        regular branch w is the tangent times a non-zero factor, also through a fold (LPC, where
        only the p-component of w vanishes); at a simple branch point of cycles (a two-dimensional
        null space) w passes through 0 and reverses, so ψ changes sign (AUTO's BP of a periodic
        branch). The sign is read off the condensed LU factors (:meth:`.collocation.CondensedLU.log_det`).
        """
        return float(self._log_det(pt)[0])

    def _scaled_det(self, pt, ref):
        sign, logabs = self._log_det(pt)
        return float(sign * math.exp(min(max(logabs - ref, -700.0), 700.0)))

    def bpc_singular_values(self, q):
        """(σ_min, σ₂): the two smallest singular values of the bordered Jacobian [F_X; tᵀ] at ``q``
        (t the unit tangent at q in the branch norm), from the two largest eigenvalues 1/σ² of
        J⁻¹J⁻ᵀ (sparse LU of the assembled J, Lanczos). At a branch point σ_min = 0: the null space
        of F_X is two-dimensional; on a regular orbit (an LPC included) J is invertible."""
        import scipy.sparse.linalg as spla

        sys = self.sys
        blocks, dT, dp = sys.jacobian_blocks(q.U, q.T, q.p, q.mesh)
        G = sys.phase_gradient(q.U)
        J = sys.assemble(blocks, dT, dp, G, self.arc_row(q.mesh, q.tU, q.tT, q.tp)).tocsc()
        try:
            lu = spla.splu(J)
        except RuntimeError:  # exactly singular
            return 0.0, math.inf
        size = J.shape[0]
        op = spla.LinearOperator((size, size), matvec=lambda x: lu.solve(lu.solve(np.ravel(x), trans="T")),
                                 dtype=float)
        rng = np.random.default_rng(0)
        try:
            lam = spla.eigsh(op, k=2, which="LM", tol=1e-8, v0=rng.standard_normal(size), return_eigenvectors=False)
        except spla.ArpackError:  # Lanczos did not converge: the dense singular values
            s = np.linalg.svd(J.toarray(), compute_uv=False)
            return float(s[-1]), float(s[-2])
        lam = np.sort(np.abs(lam))[::-1]
        return float(1.0 / math.sqrt(lam[0])), float(1.0 / math.sqrt(lam[1]))

    def pin(self, q: CyclePoint) -> None:
        """Refine ``q`` (if it needs it) at its own parameter value: for user values and the window's
        end, whose parameter is the point of the orbit."""
        if not q.pinned:
            q.pinned = True
            if q.fine is not None or q.tried:
                q.cls = q.record = q.fine = None
                q.tried, q.stalled = 0, False

    def describe(self, kind, a, b, q, converged):
        info = {}
        if kind == "BPC" and self.locating:
            # the null-space check drops a false alarm (a sign change where J is not singular, or
            # one that could not be located: the nearer end of the step is then regular)
            smin, s2 = self.bpc_singular_values(q)
            if not smin <= self.bpc_tol * s2:
                return None
            info["sigma_ratio"] = smin / s2
        if kind.startswith("UZ"):
            self.pin(q)
        r = self.measure(q)
        if kind == "LPC":  # a fold is an LPC; at one a second multiplier is 1 — else they are not trusted
            info["multipliers_trusted"] = bool(np.min(np.abs(r["mu"][1:] - 1.0)) <= 0.05)
            self.spurious += not info["multipliers_trusted"]
        info |= {
            "period": r["T"],
            "multipliers": r["mu"],
            "state_max": {s: float(v) for s, v in zip(self.model.state_names, r["smax"])},
            "state_min": {s: float(v) for s, v in zip(self.model.state_names, r["smin"])},
            "trivial_error": r["terr"],
            "ntst": r["ntst"],
        }
        if kind == "PD":
            info["period_doubled"] = 2.0 * r["T"]
        # the bracket holds the located point and the point measured on a refined mesh
        bracket = (min(a.p, b.p, q.p, r["p"]), max(a.p, b.p, q.p, r["p"]))
        return Event("UZ" if kind.startswith("UZ") else kind, q, bracket, bool(converged), info)

    def boundary(self, a, b, i, value):
        if not self.locating:
            return b
        s_b = self.arclength(a, b)
        q, _ = locate_zero(lambda pt: pt.p - value, lambda s, warm: self.point_at(a, b, s, warm), a, b, s_b,
                           xtol=1e-12 * abs(s_b), gtol=1e-11 * max(1.0, abs(a.p)))
        if q is not None:
            self.pin(q)
        return q

    def stop(self, a, b):
        dev_new, amp_new = self.amplitude(b.U, b.mesh)
        dev_old, amp_old = self.amplitude(a.U, a.mesh)
        crossed = np.sum(self.sys.node_weights(a.mesh)[:, None] * dev_new * dev_old) < 0
        self.max_amp = max(self.max_amp, amp_new)
        if crossed or amp_new < 1e-3 * self.max_amp:
            # the amplitude passed through zero (the branch folds back on itself): a Hopf point
            if self.prev is not None:
                a1, a2 = self.amplitude(self.prev.U, self.prev.mesh)[1] ** 2, amp_old**2
                pH = (self.prev.p * a2 - a.p * a1) / (a2 - a1) if a2 != a1 else a.p
            else:
                pH = a.p
            return (Status.DONE, f"the amplitude shrank to zero: the branch ends at a Hopf point near "
                                 f"{self.param}={pH:.6g} (period {a.T:.6g})", False)
        if not (np.isfinite(b.T) and np.all(np.isfinite(b.U))):
            return Status.NON_FINITE, f"non-finite values at {self.param}={b.p}", True
        if b.T > self.max_period:
            end = self.infinite_period(b)
            what = end.describe(self.param) if end is not None else \
                "the cycle approaches a homoclinic orbit (neither a saddle-node nor a saddle identified)"
            return (Status.UNBOUNDED_PERIOD, f"the period grew without bound (T={b.T:.6g} > max_period="
                    f"{self.max_period:.6g}) at {self.param}={b.p:.8g}: {what}", True)
        if b.T > self.next_check:
            self.next_check = 1.1 * b.T
            end = self.infinite_period(b)
            if end is not None and end.distance <= self.end_tol:
                return (Status.UNBOUNDED_PERIOD, f"the period grew without bound (T={b.T:.6g} at {self.param}="
                        f"{b.p:.8g}, {end.distance:.2g} from the limit): {end.describe(self.param)}", True)
        return None

    def infinite_period(self, b):
        """Name the end at infinite period from the branch so far and orbit ``b`` (kept as ``end``)."""
        p = [h[0] for h in self.history] + [b.p]
        T = [h[1] for h in self.history] + [b.T]
        self.end = infinite_period_end(self.model, self.param, p, T, b.U)
        return self.end

    def accept(self, a, b, ds):
        self.measure(b)  # before the mesh changes
        if not self.history:
            self.history.append((a.p, a.T))
        self.history.append((b.p, b.T))
        if ds > 0:  # curvature of the branch for the next (second-order) predictor
            ds = ds * self.step_scale(a)  # the step actually taken (see correct)
            b.curv = ((b.tU - a.tU) / ds, (b.tT - a.tT) / ds, (b.tp - a.tp) / ds)
        self.prev = a
        self.steps_since_adapt += 1
        if self.adapt and self.steps_since_adapt >= self.adapt:
            self.steps_since_adapt = 0
            new_mesh = self.sys.adapted_mesh(b.U, b.mesh)
            if np.max(np.abs(new_mesh - b.mesh)) > 1e-3 / self.sys.ntst:
                # interpolate the point and its tangent; the LU at the old mesh stays the chord
                # matrix of the next step (the corrector refactorizes if it converges slowly)
                b.U = self.sys.remesh(b.U, b.mesh, new_mesh)
                b.tU = self.sys.remesh(b.tU, b.mesh, new_mesh)
                if b.curv is not None:
                    b.curv = (self.sys.remesh(b.curv[0], b.mesh, new_mesh), *b.curv[1:])
                b.mesh = new_mesh

    def special_point(self, ev: Event, index: int) -> SpecialPoint:
        r = self.measure(ev.point)
        return SpecialPoint(kind=ev.kind, param=float(r["p"]), state=r["U"][0].copy(), info=ev.info, index=index,
                            bracket=ev.bracket, converged=ev.converged)
