"""Two-parameter curves of folds of cycles (LPC): :func:`continue_lpc`.

A fold of cycles found on a one-parameter cycle branch (:func:`.continuation.continue_cycles`,
label "LPC") persists when a second parameter changes and traces a curve in the (p₁, p₂) plane
— for HH in (I_ext, gK) the left edge of the bistable band, where repetitive firing begins.
The curve is followed with the *minimally augmented* collocation system of MatCont's
``LPCcurve`` (Govaerts, Kuznetsov & Dhooge 2005): unknowns X = (u, T, p₁, p₂),

    u̇ = T f(u, p₁, p₂),  u(0) = u(1)   (orthogonal collocation, :mod:`.collocation`),
    ∫₀¹⟨u, u̇_ref⟩dτ = 0                 (phase condition),
    g(u, T, p₁, p₂) = 0                  (the fold condition of :mod:`.bordered`),

plus the pseudo-arclength condition ⟨X − X₀, t₀⟩ = Δs in the norm
‖X‖² = ∫₀¹‖u‖²dτ + T² + p₁² + p₂². g is the last component of the solution of a bordered
linear system of the linearized BVP (its border: the null vector at the previous point); its
gradient comes from the transposed solve (:mod:`.bordered`, formula (G)). The corrector is the
core's chord method (:func:`~analysis.continuation.core.chord_newton`) through a sparse LU of
the full Jacobian of this system, factorized first at the corrector's first guess (the tangent
predictor; inside a step, for located points and Brent's trials, the step's cubic Hermite
interpolant); the loop is the one continuation loop (:mod:`..continuation.core`).

Codimension-two points on the curve (MatCont labels), each located by Brent's method:

======  ============================================================================
CPC     cusp of cycles: the quadratic coefficient a = −½φᵀD²F[v, v] of the fold vanishes
R1      1:1 resonance: a third multiplier reaches +1 (E_{n−2}(M − I), see :func:`_r1_test`)
LP_p1   an extremum of p₁ (LP_p2: of p₂) along the curve (AUTO's LP on a curve): dp_i/ds = 0;
        ``info["extremum_of"]`` names the parameter, ``info["extremum"]`` says "max" or "min"
        (the same kinds and mechanism as the Hopf and fold curves of equilibria:
        :class:`~analysis.continuation.codim2.ParameterExtrema`)
LPPD    fold–flip: a further multiplier crosses −1 (∏(μ + 1)/(|μ| + 1) over the others)
LPNS    fold–Neimark–Sacker: a further complex pair crosses the unit circle
GH      the curve ends at a generalized-Hopf (Bautin) point of the Hopf curve: the cycles
        shrink to the equilibrium (amplitude → 0); recorded as the last special point, with
        (p₁, p₂) extrapolated linearly in the squared amplitude from the last two orbits
======  ============================================================================

(the multipliers come from the collocation's transfer matrices, :mod:`.floquet`; the trivial
one and the fold's own +1 are left out of the LPPD/LPNS tests.)

A planar model (two states) has the multipliers 1 and exp(∫₀ᵀ div f dt), so its fold condition
is g = T∫₀¹ tr f_x(u(τ)) dτ = 0 instead (:class:`PlanarLPCCurveProblem`): a sum of smooth terms,
where the bordered g passes through the monodromy and is rounding noise on canard cycles.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..branch import CodimTwoCurve, SpecialPoint
from ..continuation.core import (Event, NonFinite, Problem, StepPolicy, chord_newton, continuation, join_runs,
                                 locate_zero)
from ..continuation.codim2 import EXTREMUM_KINDS, ParameterExtrema
from ..continuation.settings import Progress, Settings, Status, settings_from, window_of
from .bordered import Bordered, transpose_product
from .collocation import CollocationSystem, uniform_mesh
from .floquet import monodromy_multipliers, product

__all__ = ["continue_lpc", "CycleCurve", "LPCCurveProblem"]


class TwoParamSystem(CollocationSystem):
    """The collocation system in ``param`` with a second parameter ``param2`` held at ``self.p2``."""

    def __init__(self, model, param, param2, ntst, ncol):
        super().__init__(model, param, ntst, ncol)
        self.param2 = param2
        self.p2 = float(model.params[param2])

    def model_at(self, p):
        key = (float(p), float(self.p2))
        cache = getattr(self, "_pcache", None)
        if cache is None or cache[0] != key:
            self._pcache = cache = (key, self.model.with_params(**{self.param: key[0], self.param2: key[1]}))
        return cache[1]

    def dp2(self, U, T, p, mesh):
        """∂(collocation equations)/∂p₂ = −h_j T f_{p₂}, shape (NTST, NCOL, n)."""
        h = np.diff(mesh)
        x, _ = self.at_collocation(U)
        fp = np.asarray(self.model_at(p).dfdp(x.reshape(-1, self.n).T, self.param2)).T.reshape(x.shape)
        return -(h[:, None, None] * T) * fp


@dataclass(frozen=True, eq=False)
class CycleCurve(CodimTwoCurve):
    """A curve of cycle bifurcations (kind "LPC", "PD" or "NS") in two parameters.

    Besides :class:`~analysis.branch.CodimTwoCurve`'s ``param``/``param2`` and ``states`` (here
    the orbit's point at τ = 0): ``period`` (ms), ``multipliers`` (N, n; the trivial one first,
    from the collocation), ``trivial_error``, ``meshes`` and ``profiles`` (the orbits, as in
    :class:`.branch.CycleBranch`), ``state_min``/``state_max`` over each orbit; on an NS curve
    ``theta``, the angle (rad) of the multiplier pair e^{±iθ} (CSV column ``theta_rad``).
    """

    period: np.ndarray = None
    multipliers: np.ndarray = None
    trivial_error: np.ndarray = None
    state_min: np.ndarray = None
    state_max: np.ndarray = None
    meshes: np.ndarray = None
    profiles: np.ndarray = None
    ncol: int = 4
    theta: np.ndarray = None    # NS curves: the angle θ (rad) of the multiplier pair e^{±iθ}

    def _columns(self):
        cols = {self.param_name: self.param, self.param2_name: self.param2, "period": self.period}
        for i, s in enumerate(self.state_names):
            cols[f"{s}_min"] = self.state_min[:, i]
            cols[f"{s}_max"] = self.state_max[:, i]
        cols["trivial_error"] = self.trivial_error
        if self.theta is not None:
            cols["theta_rad"] = self.theta
        for i in range(self.multipliers.shape[1]):
            cols[f"mu{i}_re"] = self.multipliers[:, i].real
            cols[f"mu{i}_im"] = self.multipliers[:, i].imag
        return cols

    def orbit(self, i: int, n_points: int = 400):
        """(t, y) of orbit ``i``: times (ms, one period) and states (n, n_points)."""
        from .branch import CycleBranch

        return CycleBranch.orbit(self, i, n_points)


@dataclass
class _CurvePoint:
    """A point of the curve: the orbit, its tangent, the Jacobian's solver and the fold's bordered system."""

    U: np.ndarray
    T: float
    p: float
    q: float
    mesh: np.ndarray
    t: np.ndarray = None        # unit tangent, packed (U, T, p, q)
    lu: object = None           # solver of the Jacobian at the point (last row: the one it was corrected with)
    bord: Bordered = None       # the bordered system (B) at this point (border = ``border``)
    blocks: tuple = None        # (blocks, dT, dp) of the collocation Jacobian
    border: tuple = None        # (v_U (N, n), v_T, b): unit null vector (border row) and the bordering
    #                             column b (≈ the left null vector; F_p₁ at the start) of the next points
    G: np.ndarray = None        # phase gradient of the reference orbit used at this point
    iterations: int = 0
    record: dict = None
    curv: np.ndarray = None     # d²X/ds² from the last two tangents (second-order predictor)
    theta: float = math.nan     # NS curves only: the angle θ (rad) of the multipliers e^{±iθ}


class LPCCurveProblem(ParameterExtrema, Problem):
    """The LPC curve as a continuation problem (see the module docstring); the extrema of either
    parameter come from :class:`~analysis.continuation.codim2.ParameterExtrema` (LP_p1, LP_p2)."""

    errstate = {}
    kinds = ("CPC", "R1", "LPPD", "LPNS") + EXTREMUM_KINDS
    poles = ("CPC",)  # φ is normalized by F_{p₁}ᵀφ = 1, which vanishes somewhere (see describe)

    def __init__(self, model, param, param2, ntst, ncol, *, tol, max_newton=14, max_angle=0.25, adapt=1,
                 window=(-math.inf, math.inf), window2=(-math.inf, math.inf), detect=kinds, values2=()):
        self.model, self.param, self.param2 = model, param, param2
        self.sys = TwoParamSystem(model, param, param2, ntst, ncol)
        s = self.sys
        self.nU = s.n * s.N
        self.size = self.nU + 3
        self.e_last = np.zeros(self.size)
        self.e_last[-1] = 1.0
        self.tol, self.max_newton, self.adapt = tol, max_newton, adapt
        self.window = (tuple(window), tuple(window2))
        self.values2 = tuple(values2)
        self.detect = tuple(detect) + tuple(f"UZ{i}" for i in range(len(self.values2)))
        self.policy = StepPolicy(grow=((4, 2.0), (6, 1.4)), min_cos=math.cos(max_angle),
                                 grow_min_cos=math.cos(0.5 * max_angle), shrink_iterations=10)
        self.failure = ""
        self.first = None
        self.sign = 1
        self.gh = None

    # ---------------------------------------------------------- packing and norms
    def pack(self, U, T, p, q):
        return np.concatenate([U.ravel(), [T, p, q]])

    def unpack(self, X):
        n = self.sys.n
        return X[: self.nU].reshape(-1, n), float(X[self.nU]), float(X[self.nU + 1]), float(X[self.nU + 2])

    def vector(self, pt):
        """The point's unknowns X, packed."""
        return self.pack(pt.U, pt.T, pt.p, pt.q)

    def weighted(self, mesh, v):
        """The row ⟨·, v⟩ of the norm (quadrature weights on the U part)."""
        W = self.sys.node_weights(mesh)
        out = v.copy()
        out[: self.nU] = (W[:, None] * v[: self.nU].reshape(-1, self.sys.n)).ravel()
        return out

    def unit(self, mesh, v):
        return v / math.sqrt(float(self.weighted(mesh, v) @ v))

    # ---------------------------------------------------------- the defining system
    def _blocks(self, U, T, p, q, mesh):
        self.sys.p2 = q
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                out = self.sys.jacobian_blocks(U, T, p, mesh)
        except ValueError as exc:  # the model rejects the parameter values
            raise NonFinite(str(exc)) from None
        if not all(np.all(np.isfinite(a)) for a in out):
            raise NonFinite("non-finite collocation Jacobian")
        return out

    def bordered(self, U, T, p, q, mesh, G, border, blocks=None):
        blocks = self._blocks(U, T, p, q, mesh) if blocks is None else blocks
        W = self.sys.node_weights(mesh)
        try:
            return Bordered(self.sys, blocks[0], blocks[1], border[2], G, (W[:, None] * border[0], border[1])), blocks
        except (RuntimeError, np.linalg.LinAlgError) as exc:
            raise NonFinite(f"singular bordered system ({exc})") from None

    def orbit_residual(self, U, T, p, q, mesh, G):
        """[collocation; phase] of the orbit at (p₁, p₂) = (p, q)."""
        sys = self.sys
        sys.p2 = q
        W = sys.node_weights(mesh)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                F = sys.residual(U, T, p, mesh, G, (U, T, p, np.zeros_like(U), 0.0, 0.0, W, 0.0))[:-1]
        except ValueError as exc:
            raise NonFinite(str(exc)) from None
        if not np.all(np.isfinite(F)):
            raise NonFinite("non-finite residual")
        return F

    def residual(self, X, mesh, G, border, arc):
        """([collocation; phase; g; ⟨X − X_b, t_b⟩ − Δs], (Bordered, blocks) at X) with
        arc = (X_b, weighted t_b, Δs): the bordered system that gave g, for :meth:`jacobian` at X."""
        U, T, p, q = self.unpack(X)
        F = self.orbit_residual(U, T, p, q, mesh, G)
        bord, blocks = self.bordered(U, T, p, q, mesh, G, border)
        Xb, row, ds = arc
        return np.concatenate([F, [self.fold_value(X, mesh, bord), float(row @ (X - Xb)) - ds]]), (bord, blocks)

    def jacobian(self, X, mesh, G, border, row, at=None):
        """(solver of the Jacobian with last row ``row`` (:class:`_NewtonSolver`), Bordered, blocks) at X;
        ``at``: the (Bordered, blocks) of :meth:`residual` at this X, else computed."""
        U, T, p, q = self.unpack(X)
        sys = self.sys
        sys.p2 = q
        bord, blocks = self.bordered(U, T, p, q, mesh, G, border) if at is None else at
        gz = self.fold_gradient(X, mesh, bord)
        return _NewtonSolver(bord.lu, blocks[2].ravel(), sys.dp2(U, T, p, mesh).ravel(), gz, row), bord, blocks

    def fold_value(self, X, mesh, bord) -> float:
        """The fold condition g at X: the bordered system's g."""
        return bord.g

    def fold_gradient(self, X, mesh, bord) -> np.ndarray:
        """∂g/∂X (packed like X): −φ_cᵀ ∂_X(F_X ξ₀) by central differences along the null vector ξ₀."""
        U, T, p, q = self.unpack(X)
        sys = self.sys
        xi = bord.xi.copy()  # (v, v_T, g); M's last column is the constant b, so M_z ξ = ∂_z(F_z (v, v_T, 0))
        xi[-1] = 0.0
        phi_c = bord.phi[: self.nU]
        scale = 1.0 + float(np.max(np.abs(X)))
        eps = 1e-6 * scale / max(float(np.max(np.abs(xi))), 1e-300)
        grads = []
        for sgn in (1.0, -1.0):
            Us, Ts, ps = sys.unpack(sys.pack(U, T, p) + sgn * eps * xi)
            bl, dTs, dps = self._blocks(Us, Ts, ps, q, mesh)
            gU, gT, (gp, gq) = transpose_product(sys, bl, dTs, [dps, sys.dp2(Us, Ts, ps, mesh)], phi_c)
            grads.append(np.concatenate([gU.ravel(), [gT, gp, gq]]))
        return -(grads[0] - grads[1]) / (2.0 * eps)

    # ---------------------------------------------------------- corrector
    def newton(self, X, mesh, G, border, arc):
        """Chord Newton on the system with arclength row arc[1], factorized first at X — the first
        guess (the predictor, or the Hermite interpolant of :meth:`hermite`), not at the previous
        point (whose LU, with its arclength row updated, converges more slowly): with both, HH's LPC
        curve over gK ∈ [20, 50] takes 100 residuals — each one a factorization of the bordered
        system for g — instead of 149, and 11 steps instead of 14. Returns (X, iterations)."""
        new_row = arc[1]
        last = [None, None]  # X and (Bordered, blocks) of the last residual: the Newton refactorizes there

        def residual(Y):
            F, last[1] = self.residual(Y, mesh, G, border, arc)
            last[0] = Y
            return F

        def refactor(Xr):
            return self.jacobian(Xr, mesh, G, border, new_row, last[1] if Xr is last[0] else None)[0].solve

        try:
            X, it = chord_newton(residual, None, X, refactor=refactor, tol=self.tol, max_iter=self.max_newton)
        except RuntimeError as exc:
            raise NonFinite(str(exc)) from None
        if self.unpack(X)[1] <= 0:
            raise NonFinite("non-positive period")
        return X, it

    def finish(self, X, mesh, border, row, previous_t, iterations=0) -> _CurvePoint:
        """The point at a converged X: its own phase reference, the LU (last row ``row``), the
        unit tangent (oriented like ``previous_t``) and the updated border (unit null vector)."""
        U, T, p, q = self.unpack(X)
        G = self.sys.phase_gradient(U)
        lu, bord, blocks = self.jacobian(X, mesh, G, border, row)
        t = self.tangent(lu, mesh, previous_t)
        vU, vT, _ = bord.null_vector()
        W = self.sys.node_weights(mesh)
        nv = math.sqrt(float(np.sum(W[:, None] * vU * vU) + vT * vT))
        psi = bord.phi[: self.nU]  # ≈ the left null vector of A: the bordering column of the next points
        bcol = (psi / np.linalg.norm(psi)).reshape(border[2].shape)
        return _CurvePoint(U, T, p, q, mesh, t, lu, bord, blocks, (vU / nv, vT / nv, bcol), G, iterations)

    def tangent(self, lu, mesh, previous_t):
        """The unit tangent K⁻¹e_last/‖·‖, oriented like ``previous_t``, from the Jacobian's solver."""
        z = lu.solve(self.e_last)
        if not np.all(np.isfinite(z)):
            raise NonFinite("non-finite tangent")
        t = self.unit(mesh, z)
        if previous_t is not None and float(self.weighted(mesh, previous_t) @ t) < 0:
            t = -t
        return t

    def step(self, a: _CurvePoint, ds: float, X0=None) -> _CurvePoint:
        """The point at arclength ds from a, corrected from ``X0`` or else from the (second-order)
        tangent predictor."""
        Xa = self.vector(a)
        row = self.weighted(a.mesh, a.t)
        if X0 is None:
            X0 = Xa + ds * a.t
            if a.curv is not None:
                X0 = X0 + (0.5 * ds * ds) * a.curv
        X, it = self.newton(X0, a.mesh, a.G, a.border, (Xa, row, ds))
        return self.finish(X, a.mesh, a.border, row, a.t, it)

    # ---------------------------------------------------------- measurements
    def measure(self, pt: _CurvePoint) -> dict:
        """Multipliers (collocation), extrema, fold tests — once per point, before any remesh."""
        if pt.record is None:
            sys = self.sys
            sys.p2 = pt.q
            M = product(pt.bord.lu.transfer)
            mu, k = curve_multipliers(pt.bord.lu.transfer, M, np.asarray(sys.model_at(pt.p).rhs(pt.U[0]), dtype=float))
            triv = mu[k]
            rest = np.delete(mu, k)
            rest = rest[np.argsort(-np.abs(rest), kind="stable")]
            smin, smax = sys.extrema(pt.U, pt.mesh)
            pt.record = dict(p=pt.p, q=pt.q, T=pt.T, U=pt.U.copy(), mesh=pt.mesh.copy(), smin=smin, smax=smax,
                             mu=np.concatenate([[triv], rest]), terr=float(abs(triv - 1.0)), g=pt.bord.g,
                             r1=_r1_test(M))
        return pt.record

    def fold_coefficient(self, pt: _CurvePoint) -> float:
        """φ_cᵀ D²F[ξ₀, ξ₀] (∝ a, the quadratic coefficient of the fold; see :mod:`.bordered`):
        a second central difference of the collocation residual along the null vector ξ."""
        sys = self.sys
        sys.p2 = pt.q
        xi = pt.bord.xi.copy()
        xi[-1] = 0.0  # ξ₀ = (v, v_T) in (U, T): p₁ fixed
        phi_c = pt.bord.phi[: self.nU]
        Z = sys.pack(pt.U, pt.T, pt.p)
        W = sys.node_weights(pt.mesh)
        eps = 1e-4 * (1.0 + float(np.max(np.abs(Z)))) / float(np.max(np.abs(xi)))

        def F(Y):
            U, T, p = sys.unpack(Y)
            return sys.residual(U, T, p, pt.mesh, pt.G, (U, T, p, np.zeros_like(U), 0.0, 0.0, W, 0.0))[: self.nU]

        d2 = (F(Z + eps * xi) - 2.0 * F(Z) + F(Z - eps * xi)) / (eps * eps)
        return float(phi_c @ d2)

    def amplitude(self, U, mesh):
        W = self.sys.node_weights(mesh)
        mean = W @ U
        return U - mean, float(np.sqrt(np.sum(W[:, None] * (U - mean) ** 2)))

    # ---------------------------------------------------------- the core's hooks
    def initial(self, settings):
        first = self.first
        self.max_amp = self.amplitude(first.U, first.mesh)[1]
        self.prev = None
        self.history = [(self.max_amp**2, first.p, first.q)]
        pt = replace(first, t=first.t if self.sign > 0 else -first.t, iterations=0, record=None, curv=None)
        self.measure(pt)
        return pt

    def correct(self, point, ds, settings):
        try:
            return self.step(point, ds)
        except NonFinite as exc:
            self.failure = (f"corrector failure at {self.param}={point.p:.8g}, {self.param2}={point.q:.8g}: {exc} "
                            f"(minimum step ds_min={settings.ds_min:g})")
            return None

    def cos_angle(self, a, b):
        return float(self.weighted(a.mesh, a.t) @ b.t)

    def arclength(self, a, q):
        return float(self.weighted(a.mesh, a.t) @ (self.vector(q) - self.vector(a)))

    def parameters(self, point):
        return (float(point.p), float(point.q))

    def point_at(self, a, b, s, warm):
        """The point at arclength s from a inside the step a → b (Brent's trial points), corrected
        from :meth:`trial_guess`."""
        try:
            return self.step(a, s, self.trial_guess(a, b, s))
        except NonFinite:
            return None

    def trial_guess(self, a, b, s):
        """The first guess of the trial point at arclength s in the step a → b: the step's Hermite
        interpolant at σ = s/s_b (None: the tangent predictor from a)."""
        return _hermite_basis(s / self.arclength(a, b)) @ self.hermite(a, b)

    def parameter_velocity(self, pt) -> tuple:
        """(dp₁/ds, dp₂/ds): the p₁ and p₂ components of the point's unit tangent (every point the
        corrector returns, located ones included, carries its own tangent: :meth:`finish`)."""
        return float(pt.t[self.nU + 1]), float(pt.t[self.nU + 2])

    def tests(self, pt):
        r = self.measure(pt)
        out = {f"UZ{i}": float(pt.q - v) for i, v in enumerate(self.values2)}
        out.update(self.extremum_tests(pt))  # extrema of either parameter along the curve: dp/ds = 0
        if "CPC" in self.detect:
            if "cpc" not in r:
                r["cpc"] = self.fold_coefficient(pt)
            out["CPC"] = r["cpc"]
        if "R1" in self.detect:
            out["R1"] = r["r1"]
        rest = _others(r["mu"])
        if "LPPD" in self.detect:
            out["LPPD"] = float(np.real(np.prod((rest + 1.0) / (np.abs(rest) + 1.0)))) if rest.size else math.nan
        if "LPNS" in self.detect:
            cplx = rest[np.abs(rest.imag) > 1e-8 * np.maximum(1.0, np.abs(rest))]
            out["LPNS"] = (float(np.abs(cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))]) - 1.0) if cplx.size
                           else math.nan)
        return out

    def test(self, kind, pt):
        if kind in EXTREMUM_KINDS:
            return self.extremum_test(kind, pt)
        if kind.startswith("UZ"):
            return float(pt.q - self.values2[int(kind[2:])])
        return self.tests(pt)[kind]

    def locate_tolerances(self, kind, a, b, s_b):
        if kind.startswith("UZ"):
            return 1e-12 * abs(s_b), 1e-11 * max(1.0, abs(a.q))
        if kind in EXTREMUM_KINDS:
            return 1e-12 * abs(s_b), 1e-7  # |dp/ds| at the extremum: p is then exact to ~1e-14·scale
        return 1e-12 * abs(s_b), 0.0

    def describe(self, kind, a, b, q, converged):
        r = self.measure(q)
        if kind == "CPC" and abs(self.tests(q)["CPC"]) > max(abs(self.tests(a)["CPC"]), abs(self.tests(b)["CPC"])):
            return None  # the sign change is a pole of φ (F_{p₁}ᵀφ = 1 normalization), not a zero
        bracket = (min(a.p, b.p, q.p), max(a.p, b.p, q.p))
        info = {"period": r["T"], "multipliers": r["mu"], "trivial_error": r["terr"]}
        if kind == "CPC":
            # a = −½ φ_cᵀD²F[ξ₀, ξ₀] / φ_cᵀF_{p₁} (the test itself is the numerator: no pole)
            info["fold_coefficient"] = -0.5 * r["cpc"] / float(q.bord.phi[: self.nU] @ q.blocks[2].ravel())
        if kind in EXTREMUM_KINDS:
            info.update(self.extremum_info(kind, a, q))
        return Event("UZ" if kind.startswith("UZ") else kind, q, bracket, bool(converged), info)

    def at_value(self, a, b, i, value):
        """The point of the step a → b where parameter i (0: p₁, 1: p₂) equals ``value``, or None.

        Both parameters are unknowns of the curve, so the point is found directly: one Newton on
        the curve's system with the arclength row replaced by the unit row e_{pᵢ} (pᵢ = value),
        from the cubic Hermite interpolant between a and b (:meth:`hermite_where`) — instead of
        Brent's method on the arclength, which corrects a whole point per trial. That system is
        regular only where dpᵢ/ds ≠ 0, so this is None when the tangents at a and b disagree in
        the sign of dpᵢ/ds (an extremum of pᵢ inside the step) or when the Newton fails, and for
        i = 2 (θ on an NS curve: its ends θ = 0, π are singular points of the twisted system); the
        caller then falls back to Brent."""
        k = self.nU + 1 + i
        if i > 1 or not a.t[k] * b.t[k] > 0:
            return None
        try:  # b is on a's mesh: remeshing happens on accepting b
            return self.pinned(self.hermite_where(a, b, k, value), a.mesh, a.G, a.border, k, value, a.t)
        except NonFinite:
            return None

    def hermite(self, a, b):
        """The step a → b as the cubic Hermite interpolant X(σ) = H(σ)·C, σ ∈ [0, 1]: the rows
        C = (Xa, h ta, Xb, h tb) (h the chord length in the curve's norm, t the unit tangents) for
        :func:`_hermite_basis`. A first guess of error O(h⁴), against the secant's O(h²), for the
        points corrected inside the step."""
        Xa, Xb = self.vector(a), self.vector(b)
        d = Xb - Xa
        h = math.sqrt(max(float(self.weighted(a.mesh, d) @ d), 0.0))
        return np.array([Xa, h * a.t, Xb, h * b.t])

    def hermite_where(self, a, b, k, value):
        """X(σ) of :meth:`hermite` at the σ where its component k equals ``value`` (Newton on the
        cubic from the secant's σ)."""
        C = self.hermite(a, b)
        comp = C[:, k]
        d = comp[2] - comp[0]
        sig = (value - comp[0]) / d if d != 0 else 0.0
        for _ in range(8):
            f, df = float(_hermite_basis(sig) @ comp) - value, float(_hermite_basis(sig, 1) @ comp)
            if df == 0.0 or not abs(f) > 1e-15 * (1.0 + abs(value)):
                break
            sig = min(max(sig - f / df, 0.0), 1.0)
        return _hermite_basis(sig) @ C

    def pinned(self, X0, mesh, G, border, k, value, previous_t=None) -> _CurvePoint:
        """The point with X_k = ``value``: Newton from X0 with the arclength row replaced by the
        unit row e_k; its tangent oriented like ``previous_t`` when given. Raises NonFinite when the
        Newton fails."""
        row = np.zeros(self.size)
        row[k] = 1.0
        X, it = self.newton(X0, mesh, G, border, (np.zeros(self.size), row, value))
        return self.finish(X, mesh, border, row, previous_t, it)

    def locate(self, kind, a, b, g_a=None, g_b=None):
        if kind.startswith("UZ"):  # p₂ = value: linear in the unknowns
            q = self.at_value(a, b, 1, self.values2[int(kind[2:])])
            if q is not None:
                return self.describe(kind, a, b, q, True)
        return super().locate(kind, a, b, g_a, g_b)

    def boundary(self, a, b, i, value):
        q = self.at_value(a, b, i, value)
        if q is not None:
            return q
        s_b = self.arclength(a, b)
        q, _ = locate_zero(lambda pt: self.parameters(pt)[i] - value, lambda s, warm: self.point_at(a, b, s, warm),
                           a, b, s_b, xtol=1e-12 * abs(s_b), gtol=1e-11 * max(1.0, abs(value)))
        return q

    #: the curve ends at GH once the orbit's rms amplitude is below this fraction of the largest seen
    gh_fraction = 1e-2

    def gh_estimate(self, history):
        """(p₁, p₂) at zero amplitude: p₁ and p₂ fitted as polynomials (degree ≤ 2) in the squared
        rms amplitude over the last orbits (those with amp² ≤ 30·amp²_last), evaluated at 0."""
        amp2_last = history[-1][0]
        pts = [h for h in history[-8:] if h[0] <= 30.0 * amp2_last]
        if len(pts) < 2:
            pts = history[-2:]
        if len(pts) < 2:
            return history[-1][1], history[-1][2]
        x = np.array([h[0] for h in pts])
        deg = min(2, len(pts) - 1)
        return tuple(float(np.polyval(np.polyfit(x, np.array([h[k] for h in pts]), deg), 0.0)) for k in (1, 2))

    def gh_end(self, history, last):
        pH, qH = self.gh_estimate(history)
        self.gh = (pH, qH, last)
        return (f"the cycles shrank to the equilibrium: the LPC curve ends at a generalized Hopf (GH) point, "
                f"extrapolated to zero amplitude at {self.param}={pH:.8g}, {self.param2}={qH:.8g}")

    def stop(self, a, b):
        dev_new, amp_new = self.amplitude(b.U, b.mesh)
        dev_old, amp_old = self.amplitude(a.U, a.mesh)
        crossed = np.sum(self.sys.node_weights(a.mesh)[:, None] * dev_new * dev_old) < 0
        self.max_amp = max(self.max_amp, amp_new)
        if crossed:  # passed through zero amplitude: b is no LPC of a true cycle
            return Status.DONE, self.gh_end(self.history, a), False
        if amp_new < self.gh_fraction * self.max_amp:
            return Status.DONE, self.gh_end(self.history + [(amp_new**2, b.p, b.q)], b), True
        return None

    def small(self) -> bool:
        """Whether the last accepted orbit is small (a corrector failure there is the GH end)."""
        return bool(self.history) and self.history[-1][0] < (5 * self.gh_fraction * self.max_amp) ** 2

    def accept(self, a, b, ds):
        self.measure(b)
        self.tests(b)
        self.prev = a
        self.history.append((self.amplitude(b.U, b.mesh)[1] ** 2, b.p, b.q))
        if ds > 0 and a.mesh is b.mesh:
            b.curv = (b.t - a.t) / ds
        if self.adapt:
            new_mesh = self.sys.adapted_mesh(b.U, b.mesh)
            if np.max(np.abs(new_mesh - b.mesh)) > 1e-3 / self.sys.ntst:
                sys = self.sys
                tU = b.t[: self.nU].reshape(-1, sys.n)
                b.U = sys.remesh(b.U, b.mesh, new_mesh)
                b.t = np.concatenate([sys.remesh(tU, b.mesh, new_mesh).ravel(), b.t[self.nU:]])
                if b.curv is not None:
                    cU = b.curv[: self.nU].reshape(-1, sys.n)
                    b.curv = np.concatenate([sys.remesh(cU, b.mesh, new_mesh).ravel(), b.curv[self.nU:]])
                b.border = (sys.remesh(b.border[0], b.mesh, new_mesh), b.border[1], b.border[2])
                b.G = sys.phase_gradient(b.U)
                b.mesh = new_mesh


class PlanarLPCCurveProblem(LPCCurveProblem):
    """The LPC curve of a planar model (two states), with the fold condition written without the monodromy.

    A planar cycle has the multipliers 1 and μ = exp(∫₀ᵀ div f dt) (Liouville), so it folds where

        g(u, T, p₁, p₂) = T ∫₀¹ tr f_x(u(τ), p₁, p₂) dτ = ln μ = 0

    (Gauss–Legendre quadrature at the collocation points). This g is a sum of smooth terms and
    has no amplification: the bordered g of :class:`LPCCurveProblem` carries rounding errors of
    the monodromy, ~1e-8 on canard cycles (the transfer matrices grow like exp(∫ positive
    divergence) ≫ 1e8 along the repelling slow manifold), where Newton's step on it is noise;
    so an LPC among canards — h + n's — can be followed with this one. The bordered system is
    still built at every point: its LU solves the Newton steps (:class:`_NewtonSolver`) and its
    transfer matrices give the multipliers and tests. ∂g/∂u uses central differences of tr f_x
    in each state (δ = 1e-6·(1 + |x|)), ∂g/∂p central differences in the parameter."""

    poles = ()  # the CPC test (fold_coefficient) is a product, not a ratio

    def _trace(self, p, q, pts):
        """tr f_x at the states ``pts`` (n, N) and parameters (p₁, p₂) = (p, q)."""
        self.sys.p2 = q
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                J = np.asarray(self.sys.model_at(p).jacobian(pts), dtype=float)
        except ValueError as exc:
            raise NonFinite(str(exc)) from None
        return np.einsum("iik->k", J)

    def _quadrature(self, X, mesh):
        """(U, T, p, q, collocation states (n, NTST·NCOL), Gauss weights of ∫₀¹ dτ at them)."""
        U, T, p, q = self.unpack(X)
        x, _ = self.sys.at_collocation(U)  # (NTST, NCOL, n)
        wt = (np.diff(mesh)[:, None] * self.sys.w[None, :]).ravel()
        return U, T, p, q, x.reshape(-1, self.sys.n).T, wt

    def fold_value(self, X, mesh, bord) -> float:
        """g = T ∫₀¹ tr f_x(u(τ)) dτ = ln μ."""
        _, T, p, q, pts, wt = self._quadrature(X, mesh)
        g = T * float(wt @ self._trace(p, q, pts))
        if not np.isfinite(g):
            raise NonFinite("non-finite divergence integral")
        return g

    def fold_gradient(self, X, mesh, bord) -> np.ndarray:
        """∂g/∂X (packed like X): ∂/∂u by central differences of tr f_x in each state at the
        collocation points, scattered onto the nodes; ∂g/∂T = g/T; ∂/∂p₁, ∂/∂p₂ by central
        differences in the parameter."""
        sys = self.sys
        U, T, p, q, pts, wt = self._quadrature(X, mesh)
        g = T * float(wt @ self._trace(p, q, pts))
        grad_x = np.empty_like(pts)
        for i in range(sys.n):
            d = 1e-6 * (1.0 + np.abs(pts[i]))
            up, dn = pts.copy(), pts.copy()
            up[i] += d
            dn[i] -= d
            grad_x[i] = (self._trace(p, q, up) - self._trace(p, q, dn)) / (2.0 * d)
        contrib = ((T * wt)[:, None] * grad_x.T).reshape(sys.ntst, sys.m, sys.n)  # ∂g/∂x at the collocation points
        gU = sys._gather(np.einsum("kl,jkn->jln", sys.L, contrib))
        dp, dq = 1e-6 * (1.0 + abs(p)), 1e-6 * (1.0 + abs(q))
        gp = T * float(wt @ (self._trace(p + dp, q, pts) - self._trace(p - dp, q, pts))) / (2.0 * dp)
        gq = T * float(wt @ (self._trace(p, q + dq, pts) - self._trace(p, q - dq, pts))) / (2.0 * dq)
        self.sys.p2 = q
        out = np.concatenate([gU.ravel(), [g / T, gp, gq]])
        if not np.all(np.isfinite(out)):
            raise NonFinite("non-finite gradient of the divergence integral")
        return out

    def fold_coefficient(self, pt: _CurvePoint) -> float:
        """The CPC test ψ = ⟨∇_{(u,T)} g, ξ₀⟩, ξ₀ = (v, v_T) the null vector of the orbit's Jacobian
        at fixed parameters (oriented by the border, continuously along the curve). The curve's
        tangent t solves ∇g·t = 0; at a cusp of cycles it has no parameter components, t ∝ ξ₀, so
        ψ = 0 there (the one-parameter branch through the point folds degenerately: dp/ds and
        d ln μ/ds vanish together)."""
        xi = np.append(pt.bord.xi[: self.nU + 1], [0.0, 0.0])  # (v, v_T, 0, 0)
        gz = self.fold_gradient(self.vector(pt), pt.mesh, pt.bord)
        return float(gz @ xi) / math.sqrt(float(self.weighted(pt.mesh, xi) @ xi))

    def describe(self, kind, a, b, q, converged):
        event = super().describe(kind, a, b, q, converged)
        if event is not None and kind == "CPC":  # the quadratic coefficient's formula is the bordered system's
            del event.info["fold_coefficient"]
            event.info["cusp_test"] = self.measure(q)["cpc"]
        return event


class _NewtonSolver:
    """Solves the Jacobian K of the LPC system (rows: collocation, phase, g, arclength; columns
    U, T, p₁, p₂) through the condensed LU of the bordered matrix M of (B), never factorizing K.

    M's unknowns are (U, T, μ) — μ multiplies its bordering column b, its last row is the border
    c. K is embedded in L = [[M, B], [C, D]] with unknowns (U, T, μ; p₁, p₂, λ): the collocation
    rows get F_{p₁}p₁ + F_{p₂}p₂, M's border row reads c·(U, T) − λ = 0 (λ free), and the three
    extra rows are ∇g, the arclength row and μ = 0. With Z = M⁻¹B and the 3×3 Schur complement
    S = D − CZ (nonsingular exactly when K is), K x = b is y = M⁻¹(b_F, b_Ph, 0),
    (p₁, p₂, λ) = S⁻¹((b_g, b_arc, 0) − Cy), (U, T, μ) = y − Z(p₁, p₂, λ): one condensed solve each.
    """

    def __init__(self, mlu, Fp, Fq, gz, row):
        m = mlu.sys.size  # M: (U, T, μ)
        self.mlu, self.m = mlu, m
        B = np.zeros((m, 3))
        B[: Fp.size, 0] = Fp
        B[: Fq.size, 1] = Fq
        B[-1, 2] = -1.0
        self.Z = np.column_stack([mlu.solve(B[:, k]) for k in range(3)])
        C = np.zeros((3, m))
        C[0, : m - 1] = gz[: m - 1]
        C[1, : m - 1] = row[: m - 1]
        C[2, m - 1] = 1.0
        self.C = C
        D = np.array([[gz[m - 1], gz[m], 0.0], [row[m - 1], row[m], 0.0], [0.0, 0.0, 0.0]])
        S = D - C @ self.Z
        if not np.all(np.isfinite(S)) or abs(np.linalg.det(S)) < 1e-300:
            raise NonFinite("singular Jacobian of the LPC system")
        self.Sinv = np.linalg.inv(S)

    def solve(self, b):
        m = self.m
        r1 = b[:m].copy()
        r1[-1] = 0.0
        y = self.mlu.solve(r1)
        pql = self.Sinv @ (np.array([b[m - 1], b[m], 0.0]) - self.C @ y)
        x = y - self.Z @ pql
        return np.concatenate([x[: m - 1], pql[:2]])


def _r1_test(M) -> float:
    """The R1 (1:1 resonance) test: E_{n−2}(M − I), the sum of the principal minors of order n − 2.

    det(λI − (M − I)) = λⁿ − E₁λⁿ⁻¹ + … ± E_{n−2}λ² ∓ E_{n−1}λ ± E_n; on an LPC curve λ = 0 is a
    double root (E_n = E_{n−1} = 0), so the λ² coefficient is ±Π(μᵢ − 1) over the other
    multipliers: it vanishes where a third multiplier reaches +1 — a smooth function of M,
    unlike the multipliers themselves, which split as ε^{1/3} there.
    """
    from itertools import combinations

    n = M.shape[0]
    A = M - np.eye(n)
    if n < 3:
        return math.nan
    return float(sum(np.linalg.det(A[np.ix_(c, c)]) for c in combinations(range(n), n - 2)))


def curve_multipliers(transfer, M, f0):
    """(μ, index of the trivial one): eigenvalues of the explicit product M of the transfer
    matrices — accurate in absolute terms (~1e-16·‖M‖), all the ±1 tests need — unless ‖M‖ >
    1e8, then :func:`.floquet.monodromy_multipliers` (periodic Schur)."""
    if not np.all(np.isfinite(M)) or np.linalg.norm(M) > 1e8:
        mu, k, _ = monodromy_multipliers(transfer, f0)
        return mu, k
    mu, vecs = np.linalg.eig(M)
    f = f0 / (np.linalg.norm(f0) or 1.0)
    k = int(np.argmax(np.abs(f @ vecs) / np.linalg.norm(vecs, axis=0)))
    return mu.astype(complex), k


def _others(mu):
    """The multipliers without the trivial one (first) and the fold's second +1 (nearest 1)."""
    rest = np.asarray(mu[1:])
    if rest.size == 0:
        return rest
    return np.delete(rest, int(np.argmin(np.abs(rest - 1.0))))


# ---------------------------------------------------------------------------- the start
def orbit_of(model, point, param, branch, sys):
    """(U, mesh, T) of the orbit at ``point`` (an LPC or PD of a cycle branch): from ``branch`` (its profile at ``point.index``) or, without
    it, by integrating one period from ``point.state`` (DOP853) and sampling on an adapted mesh."""
    T = float(point.info.get("period", math.nan))
    if branch is not None:
        i = _branch_row(point, branch)
        mesh = np.asarray(branch.meshes[i], dtype=float)
        U = np.asarray(branch.profiles[i], dtype=float)
        if mesh.size != sys.ntst + 1 or U.shape != (sys.N, sys.n):
            U, mesh = _resample(sys, lambda tau: _branch_eval(branch, i, tau))
        return U, mesh, float(branch.period[i])
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"the {point.kind} point has no finite period in info['period'] ({T!r}); pass branch=...")
    from hhdyn.simulation import simulate

    traj = simulate(model.with_params(**{param: float(point.param)}), T, y0=np.asarray(point.state, float),
                    method="DOP853", rtol=1e-11, atol=1e-12, dt=T / 4000.0)
    t, y = np.asarray(traj.t), np.asarray(traj.y)

    def ev(tau):
        return np.stack([np.interp(np.mod(tau, 1.0) * T, t, yy) for yy in y], axis=1)

    U, mesh = _resample(sys, ev)
    return U, mesh, T


def fold_guess(point: SpecialPoint, branch, sys):
    """(U, mesh, T, p) near the fold of cycles that ``point`` only marks (``converged`` False:
    ``continue_cycles(locate=False)`` labels the first orbit past the fold).

    The fold is the extremum of the parameter p along the branch. Of the rows index−2 … index+1,
    take the one with the extreme p and its two neighbours (rows j−1, j, j+1 — skipping repeats of
    an orbit —, resampled on one mesh), give them chord-length coordinates s₀ = 0,
    s₁ = ‖X_j − X_{j−1}‖, s₂ = s₁ + ‖X_{j+1} − X_j‖ in the branch's norm
    ‖X‖² = ∫₀¹‖u‖²dτ + T² + p², and return the quadratic interpolant of
    (u, T, p) in s at the vertex s* of the parabola p(s). Its error is O(h³) in the step h, against
    O(h) for the nearest row: with steps of a cheap start run (large steps, no locating) the
    nearest row can be too far for the first corrector of :func:`continue_lpc`, the interpolant
    is not. The first corrector then locates the fold exactly (g = 0), so the curve does not
    depend on the start run's accuracy."""
    p = np.asarray(branch.param, dtype=float)
    i = _branch_row(point, branch)
    rows = list(range(max(i - 2, 0), min(i + 2, len(p))))
    pick = min if p[rows[1]] < p[rows[0]] else max  # falling into the fold: a minimum of p
    j = pick(rows, key=lambda k: p[k])
    T_all = np.asarray(branch.period, dtype=float)

    def distinct(k, step):  # the next row from k that is another orbit (a marked row can repeat one)
        k += step
        while 0 <= k < len(p) and p[k] == p[k - step] and T_all[k] == T_all[k - step]:
            k += step
        return k if 0 <= k < len(p) else None

    left, right = distinct(j, -1), distinct(j, 1)
    if left is None or right is None:
        return (*_resample(sys, lambda tau: _branch_eval(branch, j, tau)), float(T_all[j]), float(p[j]))
    near = (left, j, right)
    mesh = np.asarray(branch.meshes[j], dtype=float)
    if mesh.size != sys.ntst + 1:
        _, mesh = _resample(sys, lambda tau: _branch_eval(branch, j, tau))
    tau = sys.node_times(mesh)
    Us = [_branch_eval(branch, k, tau) for k in near]
    Ts = [float(T_all[k]) for k in near]
    W = sys.node_weights(mesh)
    d = [math.sqrt(float(np.sum(W[:, None] * (Us[k + 1] - Us[k]) ** 2)) + (Ts[k + 1] - Ts[k]) ** 2
                   + (p[near[k + 1]] - p[near[k]]) ** 2) for k in (0, 1)]
    s = np.array([0.0, d[0], d[0] + d[1]])
    c2, c1, _ = np.polyfit(s, p[list(near)], 2)
    star = -c1 / (2.0 * c2) if c2 != 0.0 else s[1]
    star = float(np.clip(star, s[0], s[2])) if np.isfinite(star) else float(s[1])
    L = [np.prod([(star - s[b]) / (s[a] - s[b]) for b in range(3) if b != a]) for a in range(3)]
    U = sum(w * u for w, u in zip(L, Us))
    return U, mesh, float(np.dot(L, Ts)), float(np.dot(L, p[list(near)]))


def _branch_row(point: SpecialPoint, branch) -> int:
    """``point.index``, checked to be the row of ``branch`` the point came from."""
    i = int(point.index)
    if not (0 <= i < len(branch.param)) or abs(branch.param[i] - point.param) > 1e-9 * (1 + abs(point.param)):
        raise ValueError(f"the {point.kind} point (parameter {point.param}) is not point {i} of the branch given; "
                         "pass the branch the point came from")
    return i


def _branch_eval(branch, i, tau):
    from .collocation import _lagrange

    mesh, U = branch.meshes[i], branch.profiles[i]
    ntst, m = mesh.size - 1, branch.ncol
    j = np.clip(np.searchsorted(mesh, tau, side="right") - 1, 0, ntst - 1)
    sig = (tau - mesh[j]) / (mesh[j + 1] - mesh[j])
    Lv, _ = _lagrange(np.linspace(0.0, 1.0, m + 1), sig)
    idx = (j[:, None] * m + np.arange(m + 1)[None, :]) % U.shape[0]
    return np.einsum("tk,tkn->tn", Lv, U[idx])


def _resample(sys, ev, rounds=4):
    """Node values of the orbit τ ↦ ev(τ) on a mesh adapted to it (``rounds`` of equidistribution
    from the uniform mesh, resampling each time)."""
    mesh = uniform_mesh(sys.ntst)
    for _ in range(rounds):
        mesh = sys.adapted_mesh(ev(sys.node_times(mesh)), mesh)
    return ev(sys.node_times(mesh)), mesh


def first_curve_point(problem: LPCCurveProblem, U, mesh, T, p, q):
    """Correct the orbit onto the LPC system at fixed p₂ = q (Newton, last row e_{p₂})."""
    sys = problem.sys
    G = sys.phase_gradient(U)
    rng = np.random.default_rng(0)
    blocks = problem._blocks(U, T, p, q, mesh)
    # first column: F_p₁, or a random one where p₁ does not act on the orbit (a parameter of a
    # direction transverse to an invariant cycle, say)
    column = blocks[2] if np.linalg.norm(blocks[2]) > 0 else rng.standard_normal(blocks[2].shape)
    border = (rng.standard_normal(U.shape), 1.0, column / np.linalg.norm(column))
    W = sys.node_weights(mesh)
    for _ in range(2):  # any border not orthogonal to the null vector gives its direction
        bord, _ = problem.bordered(U, T, p, q, mesh, G, border)
        vU, vT, _ = bord.null_vector()
        nv = math.sqrt(float(np.sum(W[:, None] * vU * vU) + vT * vT))
        psi = bord.phi[: problem.nU]
        border = (vU / nv, vT / nv, (psi / np.linalg.norm(psi)).reshape(blocks[2].shape))
    return pinned_start(problem, problem.pack(U, T, p, q), mesh, G, border)


def located_start(problem: LPCCurveProblem, U, mesh, T, p, q, adapt):
    """The curve's first point from a guess of the fold's orbit: :func:`first_curve_point`, then
    (with ``adapt``) up to twice again on the mesh adapted to the located orbit — the guess's mesh
    was adapted to a branch orbit, not to the fold's. NonFinite if the corrector fails."""
    first = first_curve_point(problem, U, mesh, T, p, q)
    for _ in range(2 if adapt else 0):
        new_mesh = problem.sys.adapted_mesh(first.U, first.mesh)
        if np.max(np.abs(new_mesh - first.mesh)) <= 1e-3 / problem.sys.ntst:
            break
        first = first_curve_point(problem, problem.sys.remesh(first.U, first.mesh, new_mesh), new_mesh, first.T,
                                  first.p, q)
    return first


def pinned_start(problem: LPCCurveProblem, X0, mesh, G, border):
    """The curve's first point: Newton from X0 with p₂ held (last row e_{p₂}), its tangent
    oriented so that p₂ grows."""
    k = problem.nU + 2
    pt = problem.pinned(X0, mesh, G, border, k, float(X0[k]))
    if pt.t[k] < 0:
        pt.t = -pt.t
    return pt


def _start_failure(point: SpecialPoint, param: str, exc) -> str:
    """Why the LPC system could not be solved at ``point``, and what to do.

    An LPC among canard cycles of a model with three or more states is unresolvable in double
    precision with the bordered fold condition (a planar model uses :class:`PlanarLPCCurveProblem`,
    whose condition ∫div f = 0 has no such amplification; h + n's fold at I ≈ 6.3572, where the
    period changes by ~1 ms over ~1e-6 in I_ext, is followed that way): along the canard the
    orbit follows the repelling slow manifold, the transfer matrices of the pieces grow like
    exp(∫ positive divergence) ≫ 1e8, and the bordered system's fold residual g then carries
    rounding errors of ~1e-8 — the size of g at the start. Newton's step on g is noise (it
    proposes changes of the period of tenths of a ms for |g| ~ 1e-8; damping does not reduce
    |g|) and the iterates leave the model's domain. The branch shows it too: its trivial multiplier there is not 1 — the mark
    this test uses (``info["trivial_error"]`` > 1e-3, which :func:`continue_cycles` measured).
    """
    terr = float(point.info.get("trivial_error", 0.0) or 0.0)
    where = f"{param}={point.param:.8g}"
    if terr > 1e-3:
        return (f"cannot start the LPC curve at the fold of cycles at {where}: the cycle branch's trivial multiplier "
                f"there is off by trivial_error={terr:.3g} (it should be < 1e-6), so the orbit's monodromy is too "
                f"ill-conditioned (canard cycles) for the fold condition to be resolved, and the corrector fails "
                f"({exc}); start the curve from a fold of cycles without canards — e.g. at another value of the "
                f"second parameter, where continue_cycles reports trivial_error < 1e-6 at the LPC")
    return (f"could not correct the LPC point at {where} onto the fold-of-cycles system ({exc}); is it a "
            f"converged LPC of this model? (try a finer mesh: ntst=..., or pass branch=... the point came from)")


def _hermite_basis(sig: float, derivative: int = 0) -> np.ndarray:
    """The cubic Hermite basis (h₀₀, h₁₀, h₀₁, h₁₁)(σ), or its derivative in σ."""
    s2 = sig * sig
    if derivative:
        return np.array([6 * s2 - 6 * sig, 3 * s2 - 4 * sig + 1, -6 * s2 + 6 * sig, 3 * s2 - 2 * sig])
    s3 = s2 * sig
    return np.array([2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + sig, -2 * s3 + 3 * s2, s3 - s2])


# ---------------------------------------------------------------------------- assembly
def assemble_curve(problem: LPCCurveProblem, run, runs) -> CycleCurve:
    rows, specials = [], []
    for item, is_event in run.ordered():
        r = problem.measure(item.point if is_event else item)
        if is_event:
            info = {problem.param2: float(r["q"]), **item.info}
            specials.append(SpecialPoint(item.kind, float(r["p"]), r["U"][0].copy(), info, len(rows), item.bracket,
                                         item.converged))
        rows.append(r)
    for ev in getattr(problem, "ends", ()):  # an end that is a special point (the NS curve's R1/R2)
        r = problem.measure(ev.point)
        idx = next((k for k, row in enumerate(rows) if row is r), len(rows) - 1)
        specials.append(SpecialPoint(ev.kind, float(r["p"]), r["U"][0].copy(), {problem.param2: float(r["q"]), **ev.info},
                                     idx, ev.bracket, ev.converged))
    for gh in problem.ghs:
        pH, qH, a = gh
        ra = problem.measure(a)
        idx = next((k for k, r in enumerate(rows) if r is ra), len(rows) - 1)
        state = problem.sys.node_weights(ra["mesh"]) @ ra["U"]
        specials.append(SpecialPoint("GH", float(pH), state, {problem.param2: float(qH), "period": float(ra["T"]),
                                                                "last_param": float(ra["p"]),
                                                                "last_param2": float(ra["q"])},
                                     idx, (min(pH, ra["p"]), max(pH, ra["p"])), True))
    statuses = [r.status for _, r in runs]
    status = min(statuses) if min(statuses) < 0 else max(statuses)
    msgs = []
    for sgn, r in runs:
        text = r.message or (problem.failures.get(sgn) if r.status == Status.CORRECTOR_FAILED else "") \
            or r.status.message
        msgs.append(f"{'forward' if sgn > 0 else 'backward'}: {text}")
    model = problem.model
    return CycleCurve(
        kind="LPC", param_name=problem.param, model_name=getattr(model, "name", type(model).__name__),
        state_names=tuple(model.state_names), param=np.array([r["p"] for r in rows]),
        stable=np.ones(len(rows), dtype=bool), special_points=tuple(specials), status=int(status),
        message="; ".join(msgs), param2_name=problem.param2, param2=np.array([r["q"] for r in rows]),
        states=np.array([r["U"][0] for r in rows]), period=np.array([r["T"] for r in rows]),
        multipliers=np.array([r["mu"] for r in rows]), trivial_error=np.array([r["terr"] for r in rows]),
        state_min=np.array([r["smin"] for r in rows]), state_max=np.array([r["smax"] for r in rows]),
        meshes=np.array([r["mesh"] for r in rows]), profiles=np.array([r["U"] for r in rows]), ncol=problem.sys.m,
        theta=np.array([r["theta"] for r in rows]) if rows and "theta" in rows[0] else None)


def follow_both_ways(problem: LPCCurveProblem, settings: Settings, progress: Progress, kind: str) -> CycleCurve:
    """Continue a curve of cycle bifurcations of ``kind`` (LPC, PD, NS) from ``problem.first`` in
    both directions (or ``settings.direction``; one only if the first closes the loop) and assemble it.

    Steps are measured in the curve's norm ‖X‖ (``problem.weighted``): ``ds_max`` defaults to 30 %
    of the first point's, ``ds`` to a tenth of ``ds_max``. A run whose corrector fails once the
    cycles have shrunk onto the equilibrium (``problem.small()``, LPC curves only) ends at a GH point."""
    f = problem.first
    X = problem.vector(f)
    scale = math.sqrt(float(problem.weighted(f.mesh, X) @ X))
    ds_max = settings.ds_max or 0.3 * scale
    settings = settings.filled(ds=ds_max / 10.0, ds_min=1e-6, ds_max=ds_max, tol=1e-9, direction=0)
    runs = []
    problem.ghs, problem.failures = [], {}
    for sgn in ((1, -1) if settings.direction == 0 else (settings.direction,)):
        problem.sign, problem.gh, problem.failure = sgn, None, ""
        r = continuation(problem, settings, progress)
        if r.status == Status.CORRECTOR_FAILED and problem.small():
            # the corrector fails as the cycles shrink onto the equilibrium: that is the GH end
            r.status, r.message = Status.DONE, problem.gh_end(problem.history, r.points[-1])
        runs.append((sgn, r))
        if problem.gh is not None:
            problem.ghs.append(problem.gh)
        problem.failures[sgn] = problem.failure
        if r.status == Status.CLOSED:  # the other direction would trace the same loop
            break
    run = join_runs(runs[1][1], runs[0][1]) if len(runs) == 2 else runs[0][1]
    return replace(assemble_curve(problem, run, runs), kind=kind)


def curve_inputs(model, point, name, kind, meaning, param, param2, window, window2, ntst, ncol, detect, kinds,
                 values2, settings, options):
    """Check the arguments of a two-parameter curve of cycle bifurcations started at ``point`` (a
    SpecialPoint of ``kind``, passed as argument ``name``), each bad one a ValueError naming it →
    (settings, window, window2, value of param2 at the start, values2)."""
    from ..continuation.equilibria import check_model

    check_model(model, param)
    check_model(model, param2)
    if param == param2:
        raise ValueError(f"param2 must differ from param, got {param2!r} twice")
    if not isinstance(point, SpecialPoint) or point.kind != kind:
        what = f"a SpecialPoint of kind {point.kind!r}" if isinstance(point, SpecialPoint) else repr(point)
        raise ValueError(f"{name} must be {meaning} (a SpecialPoint of kind {kind!r} from continue_cycles), "
                         f"got {what}")
    if isinstance(ntst, bool) or not isinstance(ntst, (int, np.integer)) or ntst < 10:
        raise ValueError(f"ntst must be an integer >= 10, got {ntst!r}")
    if isinstance(ncol, bool) or not isinstance(ncol, (int, np.integer)) or not 2 <= ncol <= 7:
        raise ValueError(f"ncol must be an integer in 2..7, got {ncol!r}")
    bad = [k for k in detect if k not in kinds]
    if bad:
        raise ValueError(f"detect: unknown kind(s) {bad}; choose from {kinds}")
    try:
        values2 = tuple(float(v) for v in np.atleast_1d(values2))
    except (TypeError, ValueError):
        raise ValueError(f"values2 must be numbers, got {values2!r}") from None
    settings = settings_from(settings, {"max_points": 200, **options} if settings is None else options)
    window = (-math.inf, math.inf) if window is None else window_of("window", window)
    window2 = (-math.inf, math.inf) if window2 is None else window_of("window2", window2)
    q0 = float(model.params[param2])
    if not (window[0] <= point.param <= window[1] and window2[0] <= q0 <= window2[1]):
        raise ValueError(f"the starting point ({param}={point.param}, {param2}={q0}) lies outside the windows "
                         f"{window} × {window2}")
    return settings, window, window2, q0, values2


def continue_lpc(model, lpc_point: SpecialPoint, param2: str, *, param: str = "I_ext", branch=None, window=None,
                 window2=None, ntst: int = 50, ncol: int = 4, settings: Settings | None = None,
                 detect=("CPC", "R1", "LPPD", "LPNS", "LP_p1", "LP_p2"), values2=(), adapt: int = 1, max_angle: float = 0.25,
                 progress: Progress = None, **options) -> CycleCurve:
    """Follow a fold of cycles (LPC) in the plane (``param``, ``param2``).

    Parameters
    ----------
    model : the model the LPC was found on (its ``param2`` value is the start value).
    lpc_point : SpecialPoint of kind "LPC" from :func:`analysis.continue_cycles` in ``param``.
    param2 : the second parameter (e.g. "gK", "T").
    branch : the CycleBranch the point came from (its orbit is the start); without it the orbit is
        recovered by integrating one period from ``lpc_point.state`` (DOP853, rtol 1e-11).
    window, window2 : (low, high) of ``param`` and ``param2``; the curve ends on their boundary.
    ntst, ncol : the collocation mesh (as :func:`~analysis.continue_cycles`; the mesh is adapted
        every ``adapt`` steps).
    settings : Settings or its fields as keywords: ``ds_max`` (default 30 % of the orbit's norm,
        ‖X‖² = ∫‖u‖²dτ + T² + p₁² + p₂²), ``ds`` (ds_max/10), ``ds_min`` (1e-6), ``max_points``
        (200 per direction), ``direction`` (0 = both, default; ±1: ``param2`` increases/decreases
        first), ``tol`` (1e-9 on the relative Newton step).
    detect : special points to locate: "CPC", "R1", "LPPD", "LPNS" (codimension two), "LP_p1" and
        "LP_p2" (extrema of ``param`` and ``param2`` along the curve, as on the Hopf and fold curves); GH ends are always recorded.
    values2 : values of ``param2`` at which to put a point on the curve (label "UZ", located exactly),
        e.g. to compare with one-parameter runs at given values.

    A planar model (two states) is followed with the fold condition ∫₀ᵀ div f dt = 0
    (:class:`PlanarLPCCurveProblem`), which stays resolvable among canard cycles; its CPC test is
    the derivative of that integral along the null vector (``info["cusp_test"]``).

    Returns a :class:`CycleCurve` (a :class:`~analysis.branch.CodimTwoCurve` of kind "LPC") whose
    special points carry ``info[param2]``; ``status``: DONE (window boundary, or the curve ended
    at a GH point — the message says which), CLOSED, MAX_POINTS, or negative (failure; the
    computed part is returned).
    """
    settings, window, window2, q0, values2 = curve_inputs(
        model, lpc_point, "lpc_point", "LPC", "a fold of cycles", param, param2, window, window2, ntst, ncol, detect,
        LPCCurveProblem.kinds, values2, settings, options)
    problem_class = PlanarLPCCurveProblem if model.n_states == 2 else LPCCurveProblem
    problem = problem_class(model, param, param2, int(ntst), int(ncol), tol=settings.tol or 1e-9, adapt=adapt,
                            max_angle=max_angle, window=window, window2=window2, detect=tuple(detect),
                            values2=values2)
    # first guesses of the fold's orbit: for a marked (unlocated) LPC the interpolant at the extremum
    # of p, then the marked row itself — among canard cycles p is flat to ~1e-6 along the branch and
    # its extremum is noise, while the marked row (where dp/ds changed sign) still converges
    guesses = [lambda: (*orbit_of(model, lpc_point, param, branch, problem.sys), float(lpc_point.param))]
    if branch is not None and not lpc_point.converged:
        guesses.insert(0, lambda: fold_guess(lpc_point, branch, problem.sys))
    for guess in guesses:
        try:
            problem.first = located_start(problem, *guess(), q0, adapt)
            break
        except NonFinite as exc:
            failure = exc
    else:
        raise ValueError(_start_failure(lpc_point, param, failure)) from None
    return follow_both_ways(problem, settings, progress, "LPC")
