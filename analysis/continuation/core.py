"""The continuation core: one pseudo-arclength loop that every continuation problem runs on.

A *problem* describes a curve of solutions of F(u) = 0, F: Rᴺ⁺¹ → Rᴺ (equilibria in one
parameter, Hopf or fold points in two, periodic orbits by collocation, …). :func:`continuation`
follows it:

1. **Predictor** along the unit tangent t (F_u t = 0, oriented like the previous tangent):
   u* = u_k + Δs·t_k (problems may add a curvature term).
2. **Corrector** onto the curve. Dense problems get the *Moore–Penrose* corrector
   (:func:`moore_penrose`): Newton steps on [F(u); vᵀ]Δu = [F(u); 0] with the direction
   updated by [F_u; vᵀ]Δv = [F_u v; 0]. Problems with a structured Jacobian (collocation) use
   :func:`chord_newton` — Newton (chord) steps on F(u) = 0, ⟨u − u_k, t_k⟩ = Δs through the
   factorization the problem supplies.
3. **Step control** (:class:`StepPolicy`): a step is rejected (and halved) when the corrector
   fails or the tangent turns by more than the policy allows; below ``ds_min`` the run stops
   with :attr:`Status.CORRECTOR_FAILED`. After an easy step Δs grows, up to ``ds_max``.
4. **Events**: each of the problem's test functions ψ is evaluated at every point; a sign
   change between two points is located by Brent's method on ψ along the step
   (:func:`locate_zero`), each trial point corrected onto the curve at a fixed arclength. A
   located point keeps the step's parameter interval (``bracket``) and whether the location
   converged.
5. **Stops**: the window (the end point is put exactly on the boundary), ``max_points``,
   problem-specific stops (closed curve, unbounded period, …), each with a :class:`Status`.
6. **Progress**: ``progress(n_points, param)`` after each accepted point.

Contract for adding a problem — subclass :class:`Problem` (or :class:`DenseProblem`, which
already supplies items 2–4 and 7 from ``residual`` and ``jacobian``) and provide:

1. ``initial(settings)`` → the first point on the curve, with its tangent oriented by
   ``settings.direction``. Points are the problem's own objects; the core only passes them back
   and reads ``point.iterations`` (corrector iterations, for step control).
2. ``correct(point, ds, settings)`` → the next point (predicted ``ds`` along the tangent and
   corrected, with its tangent oriented like ``point``'s) or ``None`` when the corrector fails;
   raise :class:`NonFinite` for non-finite values.
3. ``cos_angle(a, b)`` → cosine of the angle between the tangents at a and b (the problem's norm).
4. ``arclength(a, u)`` → ⟨u − u_a, t_a⟩ for a point u (orders events within a step).
5. ``parameters(point)`` → the values of the windowed parameters; ``window`` → one
   ``(lo, hi)`` per parameter; ``boundary(a, b, i, value)`` → the point where parameter i
   equals ``value`` between a and b (default: located like an event).
6. ``tests(point)`` → {kind: ψ} for the kinds in ``detect`` (NaN: not monitored there;
   ``test(kind, point)`` may compute one alone, cheaper, for locating), and
   ``describe(kind, a, b, point, converged)`` → an :class:`Event` (or ``None`` to drop a
   false alarm, e.g. a neutral saddle). ``confirm(kind, a, b)`` may veto a sign change.
7. ``point_at(a, b, s, warm)`` → the point on the curve at arclength s from a (for locating;
   ``warm`` is the nearest point already corrected, or None).
8. ``stop(a, b)`` → ``None`` or ``(status, message, keep)``: a problem-specific end after the
   step a → b (``keep``: whether b is kept on the branch).
9. ``accept(a, b, ds)`` → update references after b is accepted (normalizations, mesh).
10. ``result(run)`` → the result object built from the :class:`Run` (``run.ordered()`` gives
    points and located events in branch order).

Later problems (LPC/PD/NS curves, homoclinic orbits, branch switching) are new subclasses; the
loop does not change. There is one loop: ``grep -rn "def continuation(" analysis`` finds it here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from scipy.optimize import brentq

from .settings import Settings, Status

__all__ = ["continuation", "Problem", "DenseProblem", "Point", "Event", "Run", "StepPolicy", "NonFinite",
           "moore_penrose", "tangent_of", "newton_on_hyperplane", "chord_newton", "row_updated_solve", "locate_zero",
           "join_runs"]

#: see ``Problem.poles``: near a pole |ψ| grows without bound, near a simple zero it stays of the
#: order of its values at the ends of the step
POLE_FACTOR = 10.0
_NUMERIC_ERRORS = (FloatingPointError, ValueError, ZeroDivisionError, OverflowError, np.linalg.LinAlgError)


class NonFinite(Exception):
    """Raised by a problem when F, its Jacobian or a tangent is not finite."""


class _LocateFailed(Exception):
    pass


# ---------------------------------------------------------------------------- values
@dataclass
class Point:
    """A point u on the curve of a dense problem, its unit tangent t, and per-point data."""

    u: np.ndarray
    t: np.ndarray
    iterations: int = 0
    data: dict = field(default_factory=dict)


@dataclass
class Event:
    """A located special point: its label, the point, the bracketing parameter interval,
    whether the location converged, and the problem's description (``info``)."""

    kind: str
    point: Any
    bracket: tuple
    converged: bool
    info: dict = field(default_factory=dict)
    s: float = 0.0   # arclength from the start of its step (set by the core)


@dataclass(frozen=True)
class StepPolicy:
    """Step control: ``grow`` = ((max iterations, factor), …) applied after an accepted step
    whose tangent turned by less than ``grow_min_cos``; Δs is halved after a step of
    ``shrink_iterations`` or more; a step whose tangent cosine is below ``min_cos`` is rejected."""

    grow: tuple = ((3, 1.3),)
    min_cos: float = 0.95
    grow_min_cos: float = -1.0
    shrink_iterations: Optional[int] = None

    def next(self, ds, iterations, cos, ds_min, ds_max):
        if cos > self.grow_min_cos:
            for limit, factor in self.grow:
                if iterations <= limit:
                    return min(factor * ds, ds_max)
        if self.shrink_iterations is not None and iterations >= self.shrink_iterations:
            return max(0.5 * ds, ds_min)
        return ds


@dataclass
class Run:
    """The raw outcome of :func:`continuation`: accepted points, their test values, located
    events as (step k, event) — the event lies between points k and k + 1 —, status, message."""

    points: list
    tests: list
    events: list
    status: Status
    message: str

    def ordered(self):
        """[(item, is_event)] in branch order: each step's events (by arclength) after its start."""
        by_step: dict = {}
        for k, ev in self.events:
            by_step.setdefault(k, []).append(ev)
        out = []
        for k, pt in enumerate(self.points):
            out.append((pt, False))
            for ev in sorted(by_step.get(k, []), key=lambda e: e.s):
                out.append((ev, True))
        return out


# ---------------------------------------------------------------------------- linear algebra
def tangent_of(Fu: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Unit null vector of the N×(N+1) matrix Fu, oriented along ``previous``:
    [Fu; previousᵀ] t = e_{N+1}, normalized."""
    N = Fu.shape[0]
    M = np.vstack([Fu, previous[None, :]])
    rhs = np.zeros(N + 1)
    rhs[-1] = 1.0
    t = np.linalg.solve(M, rhs)
    t /= np.linalg.norm(t)
    return t if t @ previous >= 0 else -t


def moore_penrose(F, DF, u, v, *, tol=1e-10, max_iter=8):
    """Moore–Penrose Newton correction of the predicted point ``u`` with direction ``v``.

    Converged when max|F(u)| ≤ tol after a Newton step |Δu| ≤ 1e-6·(1 + |u|) (so, by quadratic
    convergence, u is accurate to ~1e-12 relative). Returns (u, v, iterations) or None.
    ``F(u)`` → (N,), ``DF(u)`` → (N, N+1).
    """
    u = u.copy()
    v = v.copy()
    N = u.size - 1
    try:
        with np.errstate(all="raise"):
            Fval = F(u)
            for it in range(1, max_iter + 1):
                A = DF(u)
                if not (np.all(np.isfinite(Fval)) and np.all(np.isfinite(A))):
                    return None
                M = np.vstack([A, v[None, :]])
                rhs = np.zeros((N + 1, 2))
                rhs[:N, 0] = Fval
                rhs[:N, 1] = A @ v
                sol = np.linalg.solve(M, rhs)
                du, dv = sol[:, 0], sol[:, 1]
                u = u - du
                v = v - dv
                v /= np.linalg.norm(v)
                Fval = F(u)
                if (np.linalg.norm(du) <= 1e-6 * (1.0 + np.linalg.norm(u))
                        and np.max(np.abs(Fval)) <= tol):
                    return u, v, it
    except _NUMERIC_ERRORS:
        return None
    return None


def newton_on_hyperplane(F, DF, u0, t, s_target, base, *, tol=1e-12, max_iter=12):
    """Solve F(u) = 0, t·(u − base) = s_target by Newton from ``u0``; None when it fails."""
    u = u0.copy()
    for _ in range(max_iter):
        try:
            with np.errstate(all="raise"):
                Fval = F(u)
                A = DF(u)
        except FloatingPointError:
            return None
        g = np.append(Fval, t @ (u - base) - s_target)
        if np.max(np.abs(g)) <= 1e-14 * (1.0 + np.linalg.norm(u)):
            return u  # already on the curve (also where the bordered matrix is singular)
        M = np.vstack([A, t[None, :]])
        try:
            du = np.linalg.solve(M, g)
        except np.linalg.LinAlgError:
            return None
        u = u - du
        if np.linalg.norm(du) <= tol * (1.0 + np.linalg.norm(u)):
            return u
    return u if np.max(np.abs(F(u))) < 1e-8 else None


def chord_newton(residual, solve, X, *, refactor, tol, max_iter, scale=None):
    """Chord/Newton iteration X ← X − solve(residual(X)) for a bordered (arclength) system.

    ``solve`` is the problem's linear solver (e.g. a condensed sparse LU of a nearby Jacobian)
    or None; ``refactor(X)`` returns a fresh solver at X, used at the start when ``solve`` is
    None and whenever the residual decreases by less than half in a chord step. Converged when
    max|ΔX|/scale < ``tol`` (scale = 1 + |X₀|). Returns (X, iterations); raises NonFinite or
    RuntimeError("corrector did not converge").
    """
    scale = 1.0 + np.abs(X) if scale is None else scale
    prev = np.inf
    refactored = solve is None
    for it in range(1, max_iter + 1):
        F = residual(X)
        if not np.all(np.isfinite(F)):
            raise NonFinite("non-finite residual")
        nF = np.max(np.abs(F))
        if solve is None or (it > 1 and nF > 0.5 * prev and not refactored):
            solve = refactor(X)
            refactored = True
        prev = nF
        dX = solve(F)
        if not np.all(np.isfinite(dX)):
            raise NonFinite("non-finite Newton step")
        X = X - dX
        if np.max(np.abs(dX) / scale) < tol:
            return X, it
        if it >= 3 and nF > 1e3 * (1 + prev):
            break
    raise RuntimeError("corrector did not converge")


# ---------------------------------------------------------------------------- locating
def row_updated_solve(solve, z, old_row, new_row, *, min_denominator: float = 1e-8):
    """A solver for A' = A + e_last (new_row − old_row)ᵀ from a solver of A (Sherman–Morrison):
    with z = A⁻¹e_last, A'⁻¹b = y − z (cᵀy)/(1 + cᵀz), y = A⁻¹b, c = new_row − old_row. Used when a
    corrector keeps a factorization and only the arclength row changes. None when |1 + cᵀz| is
    below ``min_denominator`` (A' is then near singular: refactor instead)."""
    c = new_row - old_row
    denom = 1.0 + c @ z
    if abs(denom) <= min_denominator:
        return None

    def updated(b):
        y = solve(b)
        return y - z * ((c @ y) / denom)

    return updated


def locate_zero(g, point_at, a, b, s_b, *, xtol, gtol=0.0, g_a=None, g_b=None, pole_factor=math.inf):
    """Zero of ψ(u(s)) for s between 0 (point a) and s_b (point b), by Brent's method.

    ``point_at(s, warm)`` corrects onto the curve at arclength s (``warm``: the nearest point
    already corrected, or None); ``g(point)`` is the test function. Stops early once
    |ψ| ≤ ``gtol``. Returns (point, converged); when the bracket is lost (a trial's corrector
    failed, say next to a branch point, where the corrector's system is singular), the point with
    the smallest |ψ| found so far — a trial, or else the nearer end — with converged False. A trial
    point with |ψ| > ``pole_factor``·max(|ψ(a)|, |ψ(b)|) means that ψ changes sign through a pole,
    not a zero (Brent would bisect onto it): the search stops and returns (None, False).
    """
    cache = {}
    values = {}  # ψ at the corrected trials

    def point(s):
        if s in cache:
            return cache[s]
        warm = None
        if cache:
            near = min(cache, key=lambda s0: abs(s0 - s))
            if abs(near - s) < min(abs(s), abs(s_b - s)):
                warm = (near, cache[near])
        q = point_at(s, warm)
        if q is None:
            raise _LocateFailed
        cache[s] = q
        return q

    class _Close(Exception):
        pass

    class _Pole(Exception):
        pass

    def f(s):
        if s == 0.0:
            return g_a
        if s == s_b:
            return g_b
        val = g(point(s))
        values[s] = val
        if abs(val) <= gtol:
            raise _Close(s)
        if abs(val) > pole_bound:
            raise _Pole
        return val

    g_a = g(a) if g_a is None else g_a
    g_b = g(b) if g_b is None else g_b
    pole_bound = pole_factor * max(abs(g_a), abs(g_b))
    if g_a == 0.0:
        return a, True
    if g_b == 0.0:
        return b, True
    try:
        if np.sign(g_a) == np.sign(g_b):
            raise _LocateFailed
        lo, hi = (0.0, s_b) if s_b > 0 else (s_b, 0.0)
        root = brentq(f, lo, hi, xtol=xtol, rtol=8.9e-16, maxiter=200)
        if root == 0.0:
            return a, True
        if root == s_b:
            return b, True
        return point(root), True
    except _Close as close:
        return cache[close.args[0]], True
    except _Pole:
        return None, False
    except (_LocateFailed, RuntimeError, NonFinite) + _NUMERIC_ERRORS:
        best = min(values, key=lambda s0: abs(values[s0]), default=None)
        if best is not None and abs(values[best]) < min(abs(g_a), abs(g_b)):
            return cache[best], False
        return (a if abs(g_a) <= abs(g_b) else b), False


# ---------------------------------------------------------------------------- problems
class Problem:
    """Base class of a continuation problem; see the module docstring for the contract."""

    detect: tuple = ()
    window: tuple = ()
    policy = StepPolicy()
    #: numpy floating-point error handling while events are located (``np.errstate`` keywords);
    #: "raise" turns overflow or invalid values into LOCATION_FAILED instead of NaN results
    errstate = {"all": "raise"}
    #: test functions that are ratios and so change sign through poles as well as zeros (GPD's
    #: normal-form coefficient at R2, …): locating one gives no event as soon as a trial point has
    #: |ψ| above ``POLE_FACTOR`` × the larger of its values at the step's ends
    poles: tuple = ()

    def initial(self, settings: Settings):  # pragma: no cover - contract
        raise NotImplementedError

    def correct(self, point, ds, settings):  # pragma: no cover - contract
        raise NotImplementedError

    def cos_angle(self, a, b) -> float:  # pragma: no cover - contract
        raise NotImplementedError

    def arclength(self, a, point) -> float:  # pragma: no cover - contract
        raise NotImplementedError

    def parameters(self, point) -> tuple:  # pragma: no cover - contract
        raise NotImplementedError

    def point_at(self, a, b, s, warm):  # pragma: no cover - contract
        raise NotImplementedError

    def tests(self, point) -> dict:
        return {}

    def test(self, kind, point) -> float:
        """One test function at a point (used while locating; override when cheaper than ``tests``)."""
        return self.tests(point)[kind]

    def confirm(self, kind, a, b) -> bool:
        return True

    def describe(self, kind, a, b, point, converged) -> Optional[Event]:
        return Event(kind, point, _bracket(self, a, b, point), converged)

    def locate_tolerances(self, kind, a, b, s_b):
        """(xtol in s, gtol in ψ) for locating ``kind`` in the step a → b."""
        return 1e-14 * max(1.0, abs(s_b)), 0.0

    def locate(self, kind, a, b, g_a=None, g_b=None) -> Optional[Event]:
        """Locate the zero of test function ``kind`` between a and b, then describe it."""
        s_b = self.arclength(a, b)
        xtol, gtol = self.locate_tolerances(kind, a, b, s_b)
        q, ok = locate_zero(lambda p: self.test(kind, p), lambda s, warm: self.point_at(a, b, s, warm),
                            a, b, s_b, xtol=xtol, gtol=gtol, g_a=g_a, g_b=g_b,
                            pole_factor=POLE_FACTOR if kind in self.poles else math.inf)
        return None if q is None else self.describe(kind, a, b, q, ok)

    def boundary(self, a, b, i, value):
        """The point between a and b where parameter i equals ``value`` (or b if that fails)."""
        s_b = self.arclength(a, b)
        q, ok = locate_zero(lambda p: self.parameters(p)[i] - value, lambda s, warm: self.point_at(a, b, s, warm),
                            a, b, s_b, xtol=1e-14 * max(1.0, abs(s_b)), gtol=1e-12 * max(1.0, abs(value)))
        return q

    def stop(self, a, b):
        return None

    def accept(self, a, b, ds) -> None:
        return None

    def result(self, run: Run):  # pragma: no cover - contract
        raise NotImplementedError


def _bracket(problem, a, b, point):
    """The first parameter's interval swept by the step a → b, widened to include the located
    point (at a fold both step ends lie on the same side of the turning point)."""
    values = (problem.parameters(a)[0], problem.parameters(b)[0], problem.parameters(point)[0])
    return (float(min(values)), float(max(values)))


class DenseProblem(Problem):
    """A problem with a dense Jacobian: define ``residual(u)`` (N,) and ``jacobian(u)`` (N, N+1);
    points are :class:`Point` (u, t). Corrector: :func:`moore_penrose`.

    Points corrected while locating get their own tangent unless ``tangent_while_locating`` is
    False (for problems whose test functions do not use it).
    """

    tangent_while_locating = True

    def residual(self, u):  # pragma: no cover - contract
        raise NotImplementedError

    def jacobian(self, u):  # pragma: no cover - contract
        raise NotImplementedError

    def make_point(self, u, t, iterations=0) -> Point:
        """A :class:`Point`; problems override it to attach per-point data."""
        return Point(u, t, iterations)

    def correct(self, point, ds, settings):
        res = moore_penrose(self.residual, self.jacobian, point.u + ds * point.t, point.t, tol=settings.tol)
        if res is None:
            return None
        u, v, iters = res
        if float(v @ point.t) < 0.0:
            v = -v
        return Point(u, v, iters)

    def cos_angle(self, a, b) -> float:
        return float(a.t @ b.t)

    def arclength(self, a, point) -> float:
        return float(a.t @ (point.u - a.u))

    def point_at(self, a, b, s, warm):
        if warm is not None:
            s0, q0 = warm
            guess = q0.u + (s - s0) * a.t
        else:
            s_b = self.arclength(a, b)
            guess = a.u + (s / s_b if s_b != 0 else 0.0) * (b.u - a.u)
        u = newton_on_hyperplane(self.residual, self.jacobian, guess, a.t, s, a.u)
        if u is None:
            return None
        if not self.tangent_while_locating:
            return Point(u, a.t)
        try:
            return Point(u, tangent_of(self.jacobian(u), a.t))
        except np.linalg.LinAlgError:
            return None

    def finish(self, point, previous_t) -> Point:
        """The tangent at a corrected point (oriented along ``previous_t``); NonFinite on failure."""
        try:
            with np.errstate(all="raise"):
                point.t = tangent_of(self.jacobian(point.u), previous_t)
        except (FloatingPointError, np.linalg.LinAlgError):
            raise NonFinite("non-finite or singular Jacobian at the new point") from None
        return point


# ---------------------------------------------------------------------------- the loop
def continuation(problem: Problem, settings: Settings, progress=None) -> Run:
    """Follow the curve of ``problem`` from ``problem.initial(settings)``; see the module docstring.

    ``settings`` must be complete (no ``None`` steps: each ``continue_*`` fills in its defaults
    with :meth:`Settings.filled`). Returns a :class:`Run`.
    """
    pt = problem.initial(settings)
    points, tests = [pt], [problem.tests(pt)]
    events: list = []
    ds, ds_min, ds_max = settings.ds, settings.ds_min, settings.ds_max
    policy = problem.policy
    status, message = None, ""
    while status is None:
        if len(points) >= settings.max_points:
            status = Status.MAX_POINTS
            break
        a = points[-1]
        # ---- predictor–corrector with step control
        try:
            while True:
                b = problem.correct(a, ds, settings)
                if b is not None:
                    cos = problem.cos_angle(a, b)
                    if cos >= policy.min_cos or ds <= ds_min * 1.0000001:
                        break
                if ds <= ds_min * 1.0000001:
                    b = None
                    break
                ds = max(0.5 * ds, ds_min)
        except NonFinite as exc:
            status, message = Status.NON_FINITE, str(exc)
            break
        if b is None:
            status = Status.CORRECTOR_FAILED
            break
        # ---- the window: end exactly on its boundary
        final = False
        try:
            for i, ((lo, hi), value) in enumerate(zip(problem.window, problem.parameters(b))):
                if not lo <= value <= hi:
                    b = problem.boundary(a, b, i, hi if value > hi else lo)
                    final = True
                    break
            stop = problem.stop(a, b)
            if stop is not None and not stop[2]:
                status, message = stop[0], stop[1]
                break
            # ---- events
            tests_b = problem.tests(b)
            k = len(points) - 1
            with np.errstate(**problem.errstate):
                for kind in problem.detect:
                    ga, gb = tests[-1].get(kind, math.nan), tests_b.get(kind, math.nan)
                    if not (np.isfinite(ga) and np.isfinite(gb)) or ga == 0 or np.sign(ga) == np.sign(gb):
                        continue
                    if not problem.confirm(kind, a, b):
                        continue
                    ev = problem.locate(kind, a, b, ga, gb)
                    if ev is None:
                        continue
                    values = problem.parameters(ev.point)
                    if not all(lo <= v <= hi for (lo, hi), v in zip(problem.window, values)):
                        continue  # beyond the window (the last step leaves it)
                    ev.s = problem.arclength(a, ev.point)
                    events.append((k, ev))
            problem.accept(a, b, ds)
        except NonFinite as exc:
            status, message = Status.NON_FINITE, str(exc)
            break
        except _NUMERIC_ERRORS as exc:
            status, message = Status.LOCATION_FAILED, f"{type(exc).__name__}: {exc}"
            break
        points.append(b)
        tests.append(tests_b)
        if progress is not None:
            progress(len(points), float(problem.parameters(b)[0]))
        if stop is not None:  # a problem's own end (its message) also where it meets the window
            status, message = stop[0], stop[1]
            break
        if final:
            status = Status.DONE
            break
        ds = policy.next(ds, getattr(b, "iterations", 0), cos, ds_min, ds_max)
    return Run(points, tests, events, Status(status), message)


def join_runs(backward: Run, forward: Run) -> Run:
    """One run from two that left the same start in opposite directions: the backward run
    reversed (its events re-indexed and their arclengths negated), then the forward run."""
    m = len(backward.points)
    events = [(m - 2 - k, _flipped(ev)) for k, ev in backward.events]
    events += [(m - 1 + k, ev) for k, ev in forward.events]
    return Run(backward.points[::-1][:-1] + forward.points, backward.tests[::-1][:-1] + forward.tests, events,
               forward.status, forward.message)


def _flipped(ev: Event) -> Event:
    return Event(ev.kind, ev.point, ev.bracket, ev.converged, ev.info, -ev.s)
