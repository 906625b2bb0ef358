"""Two-parameter continuation of Hopf (H) and fold (LP) points, with BT, GH, CP detection and the
extrema of either parameter (LP_p1, LP_p2).

A Hopf or fold point found on an equilibrium branch persists when a second parameter changes;
it traces a curve in the (p₁, p₂) plane. These curves are followed with the same
pseudo-arclength predictor and Moore–Penrose corrector as equilibria
(:func:`analysis.continuation.core.moore_penrose`, on the one continuation loop), applied to *standard* (fully extended)
defining systems (Kuznetsov, *Elements of Applied Bifurcation Theory*, §10.2):

**Hopf curve** — unknowns U = (x, v, κ, p₁, p₂) ∈ R²ⁿ⁺³, κ = ω²:

    f(x, p) = 0,   (f_x² + κ I) v = 0,   ⟨v, v_ref⟩ = 1,   ⟨v, w_ref⟩ = 0,

where v_ref (unit) is v at the previous point and w_ref spans, with v_ref, the eigenspace of
f_x² for −κ. The same equations with κ < 0 describe *neutral saddles* (real pair ±√−κ), so the
curve passes smoothly through a Bogdanov–Takens point, where κ = 0.

**Fold curve** — unknowns U = (x, v, p₁, p₂) ∈ R²ⁿ⁺²:

    f(x, p) = 0,   f_x v = 0,   ⟨v, v_ref⟩ = 1.

The defining systems are evaluated exactly (analytic f and f_x); only their Jacobians use
differences, which slows Newton's convergence slightly but not the accuracy of the points.
The derivatives of f_x·v in x are directional derivatives of the analytic Jacobian,
D f_x[v] ≈ (f_x(x + h v̂) − f_x(x − h v̂))·|v|/(2h), and in p central differences of f_x.

Test functions (codimension-two points, MatCont labels):

====== ============ =========================================================================
curve  label        test function
====== ============ =========================================================================
H      BT           κ = ω² (the pair ±iω merges into a double zero eigenvalue)
H      GH           l1, the first Lyapunov coefficient (:mod:`analysis.lyapunov`), on κ > 0
LP     BT           ⟨w, v⟩ with f_x v = 0, f_xᵀ w = 0 (the zero eigenvalue becomes double)
LP     CP           ⟨w, B(v, v)⟩ (the quadratic normal-form coefficient of the fold vanishes)
both   LP_p1        dp₁/ds, the p₁ component of the unit tangent (an extremum of p₁ on the curve)
both   LP_p2        dp₂/ds (an extremum of p₂: e.g. the highest temperature with a Hopf point)
====== ============ =========================================================================

**Extrema of the parameters.** AUTO-07p labels a turning point of a two-parameter curve with
respect to either parameter "LP" (a limit point *of the curve*). Here they are ``LP_p1`` and
``LP_p2`` (p₁ = ``param``, p₂ = ``param2``), so that they cannot be mistaken for the folds of
equilibria (LP) or for a curve of kind "LP"; ``info["extremum_of"]`` names the parameter and
``info["extremum"]`` says "max" or "min" (along the curve, locally). Where the curve has a cusp
in the parameter plane (at a CP point of a fold curve) both dp₁/ds and dp₂/ds vanish, and as both
parameters generically vary like s² there, LP_p1 and LP_p2 are reported at the CP point too. The
mechanism is :class:`ParameterExtrema`, a mixin for any two-parameter curve problem (curves of
cycle bifurcations can use it as well).

Each sign change is located by Brent's method along the step; the curves run on the
continuation core (:mod:`.core`), in both directions from the start by default.
"""
from __future__ import annotations

import math

import numpy as np

from hhdyn.newton import batch_jacobian

from ..branch import CodimTwoCurve, SpecialPoint
from ..lyapunov import directional_jacobians, first_lyapunov_coefficient, multilinear_B
from .core import DenseProblem, Point, StepPolicy, continuation, join_runs, tangent_of
from .equilibria import check_model
from .settings import Progress, Settings, Status, settings_from, window_of

__all__ = ["continue_hopf", "continue_fold", "ParameterExtrema", "EXTREMUM_KINDS"]

#: Labels of the extrema of the first and the second parameter on a two-parameter curve.
EXTREMUM_KINDS = ("LP_p1", "LP_p2")


class ParameterExtrema:
    """Mixin for two-parameter curve problems: the extrema of either parameter as special points.

    On a curve u(s) (s: arclength) the parameters (p₁, p₂) have an extremum where the
    corresponding component of the unit tangent changes sign, ψ₁ = dp₁/ds, ψ₂ = dp₂/ds; the core
    locates the zeros like any other test function. The events are labelled ``LP_p1`` and
    ``LP_p2`` (see :data:`EXTREMUM_KINDS`); their ``info`` holds ``extremum_of`` (the parameter's
    name) and ``extremum`` ("max" or "min").

    A problem using it (listed before its :class:`.core.Problem` base) must have ``param``,
    ``param2`` (names) and ``detect``, and:

    1. include :meth:`extremum_tests` (point) in its ``tests(point)`` (the kinds in ``detect``
       only) and return :meth:`extremum_test` from ``test(kind, point)`` for these kinds (the
       mixin's ``test`` does so and defers to the base class for the others);
    2. supply :meth:`parameter_velocity` (point) → (dp₁/ds, dp₂/ds), oriented like the point's
       tangent. The default, for dense problems whose unknowns end with (p₁, p₂), is the last two
       components of the unit null vector of :meth:`extremum_jacobian` (default ``jacobian``),
       oriented along ``point.t`` — valid at points corrected while locating even when they carry
       the step's tangent only (``tangent_while_locating = False``). Override
       ``extremum_jacobian`` with a more accurate Jacobian if ``jacobian`` is a cheap
       approximation (the zero of ψ moves with the tangent's error), or ``parameter_velocity``
       itself for structured (collocation) problems;
    3. keep its own ``describe`` calling ``super().describe`` (the mixin adds the ``info``).
    """

    def extremum_jacobian(self, u):
        return self.jacobian(u)

    def parameter_velocity(self, point) -> tuple:
        t = tangent_of(self.extremum_jacobian(point.u), point.t)
        return float(t[-2]), float(t[-1])

    def extremum_tests(self, point) -> dict:
        """{"LP_p1": dp₁/ds, "LP_p2": dp₂/ds} for those of the two kinds in ``self.detect``."""
        wanted = [k for k in EXTREMUM_KINDS if k in self.detect]
        if not wanted:
            return {}
        velocity = self.parameter_velocity(point)
        return {k: velocity[EXTREMUM_KINDS.index(k)] for k in wanted}

    def extremum_test(self, kind, point) -> float:
        return self.parameter_velocity(point)[EXTREMUM_KINDS.index(kind)]

    def test(self, kind, point):
        if kind in EXTREMUM_KINDS:
            return self.extremum_test(kind, point)
        return super().test(kind, point)

    def extremum_info(self, kind, a, point) -> dict:
        """``extremum_of`` and ``extremum``: a maximum when the parameter grew just before it
        (along the direction of the run), from the step's start a."""
        i = EXTREMUM_KINDS.index(kind)
        grew = self.parameter_velocity(a)[i] > 0
        return {"extremum_of": (self.param, self.param2)[i], "extremum": "max" if grew else "min"}

    def describe(self, kind, a, b, point, converged):
        event = super().describe(kind, a, b, point, converged)
        if event is not None and kind in EXTREMUM_KINDS:
            event.info.update(self.extremum_info(kind, a, point))
        return event


class _CurveHooks:
    """The continuation-problem hooks shared by both curves (see :mod:`.core`)."""

    def residual(self, u):
        return self.G(u)

    def jacobian(self, u):
        return self.DG(u)

    def parameters(self, point):
        return (float(point.u[-2]), float(point.u[-1]))

    def tests(self, point):
        values = self.test_values(point.u)
        out = {k: values[k] for k in self.detect if k in values}
        out.update(self.extremum_tests(point))
        return out

    def test(self, kind, point):
        return self.test_values(point.u)[kind]

    def locate_tolerances(self, kind, a, b, s_b):
        return 1e-12 * max(1.0, abs(s_b)), 0.0

    def prepare(self, U0, ds_max):
        """Remember the start U₀ (and its references) for runs in either direction."""
        self.U0, self._ds_max = U0, ds_max
        self._refs0 = (self.v_ref.copy(), getattr(self, "w_ref", None))
        self.sign = 1

    def initial(self, settings):
        """The start U₀ with fresh references; tangent = the null vector of DG, oriented so that
        param2 changes with the sign ``self.sign``."""
        self.v_ref, self.w_ref = self._refs0
        U0 = self.set_refs(self.U0)
        self.after_refs(U0)
        D = self.DG(U0)
        _, _, vh = np.linalg.svd(D)
        t0 = vh[-1]
        if t0[-1] < 0:
            t0 = -t0
        t0 = self.sign * t0
        self._start, self._travelled, self._count = U0.copy(), 0.0, 1
        return Point(U0, tangent_of(D, t0))

    def correct(self, point, ds, settings):
        self._ds = ds
        return DenseProblem.correct(self, point, ds, settings)

    def stop(self, a, b):
        """The curve closed: back at the start after travelling at least 4·ds_max in (p1, p2)."""
        self._travelled += float(np.linalg.norm(b.u[-2:] - a.u[-2:]))
        self._count += 1
        U0, n = self._start, self.n
        if (self._count > 10 and self._travelled > 4 * self._ds_max
                and np.linalg.norm(np.append(b.u[:n] - U0[:n], b.u[-2:] - U0[-2:])) < 0.5 * self._ds):
            return Status.CLOSED, Status.CLOSED.message, True
        return None

    def after_refs(self, U):
        """Called after the references were set at U (the fold curve orients its left vector)."""

    def accept(self, a, b, ds):
        """References for the next step (the accepted point stays a solution), then its tangent."""
        b.u = self.set_refs(b.u)
        self.after_refs(b.u)
        b.t = tangent_of(self.DG(b.u), b.t)


class _Codim2System(ParameterExtrema, _CurveHooks, DenseProblem):
    """Shared parts of the Hopf and fold defining systems, as a continuation problem.

    Points are :class:`.core.Point` with u = U; the windows are those of (param, param2). The
    extrema of p₁ and p₂ use the tangent of :meth:`DG` with Richardson-extrapolated differences
    (``extremum_jacobian``, error ~1e-12 relative instead of ~1e-6 for the corrector's forward
    differences in p): near a flat extremum the zero of dp/ds moves by the tangent's error
    divided by the curvature (HH's gK maximum: located with the corrector's Jacobian, I_ext was
    6e-7 off the independent reference; with this one, 6e-9).
    """

    policy = StepPolicy(grow=((3, 1.3),), min_cos=0.9)
    tangent_while_locating = False  # the test functions depend on U only

    def __init__(self, model, param, param2):
        self.model, self.param, self.param2 = model, param, param2
        self.n = model.n_states
        self.window = ((-math.inf, math.inf), (-math.inf, math.inf))
        self.detect = ()

    def _pars(self, U):
        return {self.param: float(U[-2]), self.param2: float(U[-1])}

    def x(self, U):
        return U[: self.n]

    def J(self, x, pars):
        return np.asarray(self.model.jacobian(x, pars), dtype=float)

    def dJ_dirs(self, x, ys, pars, h=1e-6, accurate=False):
        """[D f_x[y] for y in ys]: central differences of the Jacobian along each real vector y,
        all Jacobians in one vectorized call; ``accurate``: Richardson-extrapolated ones
        (:func:`analysis.lyapunov.directional_jacobians`, error ~1e-12 relative)."""
        if accurate:
            return directional_jacobians(self.model, x, ys, pars)
        X, norms = [], []
        for y in ys:
            ny = float(np.linalg.norm(y))
            norms.append(ny)
            u = y / ny if ny > 0 else np.zeros_like(y)
            X.extend([x + h * u, x - h * u])
        Js = batch_jacobian(self.model, np.array(X).T, pars)
        return [(Js[2 * k] - Js[2 * k + 1]) * (ny / (2.0 * h)) for k, ny in enumerate(norms)]

    def dJ_dp(self, x, pars, name, J=None, accurate=False):
        """∂f_x/∂p: a forward difference from J = f_x(x) when given (enough for Newton's method,
        the defining system itself is exact), else a central difference; ``accurate``: the
        Richardson extrapolation (4·D(h) − D(2h))/3 of central differences D, h = 1e-3·max(1, |p|)
        (error O(h⁴) + ε|f_x|/h ≈ 1e-12 relative)."""
        if accurate:
            h = 1e-3 * max(1.0, abs(pars[name]))
            Js = {k: self.J(x, {**pars, name: pars[name] + k * h}) for k in (-2, -1, 1, 2)}
            return (4.0 * (Js[1] - Js[-1]) / (2.0 * h) - (Js[2] - Js[-2]) / (4.0 * h)) / 3.0
        hp = 1e-6 * max(1.0, abs(pars[name]))
        up = dict(pars)
        up[name] += hp
        if J is not None:
            return (self.J(x, up) - J) / hp
        down = dict(pars)
        down[name] -= hp
        return (self.J(x, up) - self.J(x, down)) / (2.0 * hp)

    def extremum_jacobian(self, u):
        return self.DG(u, accurate=True)

    def fp(self, x, pars):
        return np.column_stack([np.asarray(self.model.dfdp(x, name, pars), dtype=float)
                                for name in (self.param, self.param2)])


class _HopfSystem(_Codim2System):
    """U = (x, v, κ, p1, p2); see the module docstring."""

    kinds = ("BT", "GH")

    def __init__(self, model, param, param2, v_ref):
        super().__init__(model, param, param2)
        self.v_ref = v_ref / np.linalg.norm(v_ref)
        self.w_ref = None

    def split(self, U):
        n = self.n
        return U[:n], U[n:2 * n], U[2 * n]

    def set_refs(self, U):
        """Normalize v (|v| = 1) and choose v_ref = v, w_ref ⟂ v in the eigenspace; returns U."""
        x, v, kappa = self.split(U)
        pars = self._pars(U)
        U = U.copy()
        v = v / np.linalg.norm(v)
        U[self.n:2 * self.n] = v
        J = self.J(x, pars)
        M = J @ J + kappa * np.eye(self.n)
        _, _, vh = np.linalg.svd(M)
        basis = vh[-2:].T  # the 2-dim (approximate) null space
        cand = basis @ (basis.T @ (J @ v))
        cand -= (cand @ v) * v
        if np.linalg.norm(cand) < 1e-8:
            cand = basis[:, 0] - (basis[:, 0] @ v) * v
            if np.linalg.norm(cand) < 1e-8:
                cand = basis[:, 1] - (basis[:, 1] @ v) * v
        self.v_ref = v
        self.w_ref = cand / np.linalg.norm(cand)
        return U

    def G(self, U):
        x, v, kappa = self.split(U)
        pars = self._pars(U)
        f = np.asarray(self.model.rhs(x, pars), dtype=float)
        J = self.J(x, pars)
        return np.concatenate([f, J @ (J @ v) + kappa * v, [v @ self.v_ref - 1.0, v @ self.w_ref]])

    def DG(self, U, accurate=False):
        """∂G/∂U (differences as in :meth:`dJ_dirs`, :meth:`dJ_dp`; ``accurate``: Richardson)."""
        n = self.n
        x, v, kappa = self.split(U)
        pars = self._pars(U)
        J = self.J(x, pars)
        Jv = J @ v
        D = np.zeros((2 * n + 2, 2 * n + 3))
        D[:n, :n] = J
        D[:n, 2 * n + 1:] = self.fp(x, pars)
        dJ_Jv, dJ_v = self.dJ_dirs(x, [Jv, v], pars, accurate=accurate)
        D[n:2 * n, :n] = dJ_Jv + J @ dJ_v
        D[n:2 * n, n:2 * n] = J @ J + kappa * np.eye(n)
        D[n:2 * n, 2 * n] = v
        for j, name in enumerate((self.param, self.param2)):
            dJ = self.dJ_dp(x, pars, name, None if accurate else J, accurate)
            D[n:2 * n, 2 * n + 1 + j] = dJ @ Jv + J @ (dJ @ v)
        D[2 * n, n:2 * n] = self.v_ref
        D[2 * n + 1, n:2 * n] = self.w_ref
        return D

    def omega(self, U):
        kappa = self.split(U)[2]
        return math.sqrt(kappa) if kappa > 0 else float("nan")

    def l1(self, U):
        x, _, kappa = self.split(U)
        if kappa <= 0:
            return float("nan")
        try:
            return first_lyapunov_coefficient(self.model, x, self._pars(U), omega=math.sqrt(kappa)).l1
        except (ValueError, np.linalg.LinAlgError):
            return float("nan")

    def test_values(self, U):
        return {"BT": float(self.split(U)[2]), "GH": self.l1(U)}


class _FoldSystem(_Codim2System):
    """U = (x, v, p1, p2); see the module docstring."""

    kinds = ("BT", "CP")

    def __init__(self, model, param, param2, v_ref):
        super().__init__(model, param, param2)
        self.v_ref = v_ref / np.linalg.norm(v_ref)
        self.w_prev = None

    def split(self, U):
        n = self.n
        return U[:n], U[n:2 * n]

    def set_refs(self, U):
        U = U.copy()
        v = U[self.n:2 * self.n]
        v = v / np.linalg.norm(v)
        U[self.n:2 * self.n] = v
        self.v_ref = v
        return U

    def G(self, U):
        x, v = self.split(U)
        pars = self._pars(U)
        f = np.asarray(self.model.rhs(x, pars), dtype=float)
        return np.concatenate([f, self.J(x, pars) @ v, [v @ self.v_ref - 1.0]])

    def DG(self, U, accurate=False):
        """∂G/∂U (differences as in :meth:`dJ_dirs`, :meth:`dJ_dp`; ``accurate``: Richardson)."""
        n = self.n
        x, v = self.split(U)
        pars = self._pars(U)
        J = self.J(x, pars)
        D = np.zeros((2 * n + 1, 2 * n + 2))
        D[:n, :n] = J
        D[:n, 2 * n:] = self.fp(x, pars)
        D[n:2 * n, :n] = self.dJ_dirs(x, [v], pars, accurate=accurate)[0]
        D[n:2 * n, n:2 * n] = J
        for j, name in enumerate((self.param, self.param2)):
            D[n:2 * n, 2 * n + j] = self.dJ_dp(x, pars, name, None if accurate else J, accurate) @ v
        D[2 * n, n:2 * n] = self.v_ref
        return D

    def after_refs(self, U):
        self.w_prev = self.left(U)

    def left(self, U):
        x, _ = self.split(U)
        _, _, wh = np.linalg.svd(self.J(x, self._pars(U)).T)
        w = wh[-1]
        if self.w_prev is not None and w @ self.w_prev < 0:
            w = -w
        return w

    def test_values(self, U):
        x, v = self.split(U)
        w = self.left(U)
        vn = v / np.linalg.norm(v)
        return {"BT": float(w @ vn), "CP": float(np.real(w @ multilinear_B(self.model, x, vn, vn, self._pars(U))))}


def _codim2_point(system, kind, U, ok, bracket, index, extra=None):
    x = system.x(U).copy()
    info = {system.param2: float(U[-1])}
    info.update(extra or {})
    if isinstance(system, _HopfSystem):
        kappa = float(system.split(U)[2])
        info["kappa"] = kappa
        if kind in ("GH",) + EXTREMUM_KINDS:
            info["omega"] = math.sqrt(kappa) if kappa > 0 else float("nan")
            info["frequency_hz"] = info["omega"] / (2 * math.pi) * 1000.0
        if kind == "GH":
            info["l1"] = system.l1(U)
    else:
        tests = system.test_values(U)
        info.update({"wv": tests["BT"], "a": tests["CP"]})
    return SpecialPoint(kind, float(U[-2]), x, info, index, (float(min(bracket)), float(max(bracket))), bool(ok))


def _follow(system, U0, settings: Settings, kind_label, progress):
    """Continue in one direction or both (direction 0) and assemble a CodimTwoCurve."""
    system.prepare(U0, settings.ds_max)
    runs = []
    for sgn in ((1, -1) if settings.direction == 0 else (settings.direction,)):
        system.sign = sgn
        runs.append((sgn, continuation(system, settings, progress)))
    if len(runs) == 2:
        run = join_runs(runs[1][1], runs[0][1])
    else:
        run = runs[0][1]
    statuses = [r.status for _, r in runs]
    status = min(statuses) if min(statuses) < 0 else max(statuses)
    message = "; ".join(f"{'forward' if sgn > 0 else 'backward'}: {r.status.message}"
                        + (f" ({r.message})" if r.message else "") for sgn, r in runs)
    final_U, final_l1, sp_out = [], [], []
    for item, is_event in run.ordered():
        if is_event:
            Usp = item.point.u
            sp = _codim2_point(system, item.kind, Usp, item.converged, item.bracket, len(final_U), item.info)
            sp_out.append(sp)
            final_U.append(Usp)
            final_l1.append(sp.info.get("l1", system.l1(Usp) if isinstance(system, _HopfSystem) else np.nan))
        else:
            final_U.append(item.u)
            final_l1.append(system.test_values(item.u).get("GH", np.nan) if isinstance(system, _HopfSystem)
                            else np.nan)
    arr = np.array(final_U)
    n = system.n
    omega = l1 = None
    if isinstance(system, _HopfSystem):
        kappa = arr[:, 2 * n]
        omega = np.where(kappa > 0, np.sqrt(np.abs(kappa)), np.nan)
        # at a BT point κ = ω² is located as 0 (to ~1e-20): the pair is a double zero eigenvalue,
        # not ±iω, and its eigenvalues are ±√(round-off of f_x) ≈ 1e-7 — ω is undefined there
        omega[[sp.index for sp in sp_out if sp.kind == "BT"]] = np.nan
        l1 = np.array(final_l1, dtype=float)
    model = system.model
    return CodimTwoCurve(
        kind=kind_label,
        param_name=system.param,
        model_name=getattr(model, "name", type(model).__name__),
        state_names=tuple(model.state_names),
        param=arr[:, -2].copy(),
        stable=np.ones(len(arr), dtype=bool),
        special_points=tuple(sp_out),
        status=int(status),
        message=message,
        param2_name=system.param2,
        param2=arr[:, -1].copy(),
        states=arr[:, :n].copy(),
        omega=omega,
        l1=l1,
    )


#: Test functions of each curve kind (the ``detect`` choices).
_KNOWN_TESTS = {"H": ("BT", "GH") + EXTREMUM_KINDS, "LP": ("BT", "CP") + EXTREMUM_KINDS}


def _check_inputs(model, point, kind, param, param2, window, window2, settings, detect=()):
    check_model(model, param)
    check_model(model, param2)
    if param == param2:
        raise ValueError(f"param2 must differ from param, got {param2!r} twice")
    if not isinstance(point, SpecialPoint) or point.kind != kind:
        raise ValueError(f"expected a SpecialPoint of kind {kind!r}, got {point!r}")
    known = _KNOWN_TESTS[kind]
    unknown = [k for k in detect if k not in known]
    if isinstance(detect, str) or unknown:
        raise ValueError(f"detect: unknown kind(s) {detect if isinstance(detect, str) else unknown!r} on a curve of "
                         f"{kind} points; choose among {', '.join(known)} (a tuple)")
    p2 = float(model.params[param2])
    if window2 is None:
        window2 = (0.0, math.inf) if p2 > 0 else (-math.inf, math.inf)
    if window is None:
        window = (-math.inf, math.inf)
    window, window2 = window_of("window", window), window_of("window2", window2)
    if not (window[0] <= point.param <= window[1] and window2[0] <= p2 <= window2[1]):
        raise ValueError(f"the starting point ({param}={point.param}, {param2}={p2}) lies outside the windows "
                         f"{window} × {window2}")
    settings = settings.filled(ds=(settings.ds_max or 2.0) / 5.0, ds_min=1e-6, ds_max=2.0, tol=1e-9, direction=0)
    return window, window2, p2, settings


def _curve_settings(settings, options):
    """Settings for a curve: the codim-2 default ``max_points`` is 400 per direction."""
    options = dict(options)
    if settings is None:
        options.setdefault("max_points", 400)
    return settings_from(settings, options)


def continue_hopf(model, hopf_point: SpecialPoint, param2: str, *, param: str = "I_ext", window=None, window2=None,
                  settings: Settings | None = None, detect=("BT", "GH", "LP_p1", "LP_p2"), progress: Progress = None,
                  **options) -> CodimTwoCurve:
    """Follow a Hopf point of an equilibrium branch in the plane (``param``, ``param2``).

    Parameters
    ----------
    model : the model the Hopf point was found on (its ``param2`` value is the start value).
    hopf_point : SpecialPoint of kind "H" (from :func:`analysis.continue_equilibria` in ``param``).
    param2 : the second parameter (e.g. "gK", "T").
    window, window2 : (low, high) windows of ``param`` and ``param2``; the curve stops on leaving
        them. Default: unbounded in ``param`` and [0, ∞) in ``param2`` when it is positive.
    settings : Settings, or its fields as keywords: ``ds_max`` (default 2.0, combined units),
        ``ds`` (ds_max/5), ``ds_min`` (1e-6), ``max_points`` (400 per direction), ``direction``
        (0 = both, the default; +1: ``param2`` increases at the start; −1: it decreases),
        ``tol`` (1e-9 on the defining system).
    detect : special points to locate: codim-2 points "BT", "GH", and the extrema of ``param``
        ("LP_p1") and of ``param2`` ("LP_p2"; AUTO's LP on the curve, see the module docstring).
    progress : callable(n_points, param), optional.

    Returns a :class:`CodimTwoCurve` (kind "H") with ``omega`` (NaN on neutral-saddle parts,
    past a BT point, and at the BT point itself, where ω = 0) and ``l1`` along the curve, and
    BT/GH/LP_p1/LP_p2 special points whose ``info`` holds the second parameter's value (and at
    LP_p1/LP_p2 ``extremum_of``, ``extremum`` = "max"/"min", ``omega``, ``frequency_hz``).
    ``status``: DONE (left the window), CLOSED, MAX_POINTS or negative (failure; the computed
    part is returned).
    """
    settings = _curve_settings(settings, options)
    window, window2, p2, settings = _check_inputs(model, hopf_point, "H", param, param2, window, window2,
                                                settings, detect)
    x = np.asarray(hopf_point.state, dtype=float)
    q = hopf_point.info.get("eigenvector")
    omega = hopf_point.info.get("omega")
    if q is None or omega is None:
        nf = first_lyapunov_coefficient(model, x, {param: hopf_point.param})
        q, omega = nf.q, nf.omega
    v = np.real(q) if np.linalg.norm(np.real(q)) > 1e-3 else np.imag(q)
    v = v / np.linalg.norm(v)
    system = _HopfSystem(model, param, param2, v)
    system.window, system.detect = (window, window2), tuple(detect)
    U0 = np.concatenate([x, v, [omega**2, hopf_point.param, p2]])
    return _follow(system, U0, settings, "H", progress)


def continue_fold(model, fold_point: SpecialPoint, param2: str, *, param: str = "I_ext", window=None, window2=None,
                  settings: Settings | None = None, detect=("BT", "CP", "LP_p1", "LP_p2"), progress: Progress = None,
                  **options) -> CodimTwoCurve:
    """Follow a fold (LP) point in the plane (``param``, ``param2``); see :func:`continue_hopf`.

    Detects BT (⟨w, v⟩ = 0) and CP (⟨w, B(v, v)⟩ = 0) points and the extrema of either parameter
    (LP_p1, LP_p2). Returns a :class:`CodimTwoCurve` of kind "LP".
    """
    settings = _curve_settings(settings, options)
    window, window2, p2, settings = _check_inputs(model, fold_point, "LP", param, param2, window, window2,
                                                settings, detect)
    x = np.asarray(fold_point.state, dtype=float)
    J = np.asarray(model.jacobian(x, {param: fold_point.param}), dtype=float)
    _, _, vh = np.linalg.svd(J)
    v = vh[-1]
    system = _FoldSystem(model, param, param2, v)
    system.window, system.detect = (window, window2), tuple(detect)
    U0 = np.concatenate([x, v, [fold_point.param, p2]])
    return _follow(system, U0, settings, "LP", progress)
