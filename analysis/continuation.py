"""Equilibrium continuation in one parameter, with fold (LP), Hopf (H) and branch points (BP).

The equilibria of dx/dt = f(x, p) form curves u(s) = (x(s), p(s)) in Rⁿ⁺¹ (s: arclength).
:func:`continue_equilibria` follows such a curve with *pseudo-arclength continuation*:

1. **Predictor** along the unit tangent t (the null vector of F_u = [f_x | f_p], oriented so
   that successive tangents agree): u* = u_k + h·t_k.
2. **Moore–Penrose corrector** (MatCont's): Newton steps with the bordered system

       [F_u(u); vᵀ] Δu = [F(u); 0],   [F_u(u); vᵀ] Δv = [F_u(u)·v; 0],
       u ← u − Δu,  v ← (v − Δv)/|v − Δv|,

   which converges to the point of the curve nearest to u* and to its tangent. f_x is the
   model's analytic Jacobian, f_p its ``dfdp``.
3. **Step control**: h grows by 1.3 after a quick convergence (≤ 3 Newton steps) up to
   ``max_step`` and halves after a failure down to ``min_step`` (then the run stops with a
   negative status and returns what it has).

Along the branch three test functions are monitored (MatCont's choice):

==== =====================================================  ===========================
LP   ψ = t_p, the parameter component of the tangent         located as a zero of det f_x
H    ψ = ∏_{i<j} (λ_i + λ_j) (the bialternate-product        zero of the same product
     determinant det(2 f_x ⊙ I), from the eigenvalues)
BP   ψ = det [F_u; tᵀ]                                        zero of the same determinant
==== =====================================================  ===========================

A sign change between two points is located precisely by Brent's method on the test function
along the secant of the step, each trial point corrected onto the curve by Newton's method
with the pseudo-arclength condition t_k·(u − u_k) = s. The bialternate product also vanishes at
*neutral saddles* (a real pair ±λ): those are recognised from the eigenvalues at the located
point and not reported. At each Hopf point the frequency and the first Lyapunov coefficient
(:mod:`analysis.lyapunov`) are computed.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy.optimize import brentq

from .branch import BifurcationDiagram, Branch, SpecialPoint
from .lyapunov import first_lyapunov_coefficient, multilinear_B

__all__ = ["continue_equilibria", "locate_hopf", "locate_fold", "find_equilibrium", "bifurcation_diagram"]

#: Status codes of a continuation run (as in solve_ivp: 0 success, >0 stopped early, <0 failure).
STATUS_MESSAGES = {
    0: "reached the end of the parameter window",
    1: "stopped after the maximum number of points; increase max_points",
    -1: "the corrector failed to converge at the minimum step size; try a smaller min_step or max_step",
    -2: "the vector field or its Jacobian returned non-finite values",
    -3: "locating a special point failed",
}


# ---------------------------------------------------------------------------- linear algebra
def _solve(M, b):
    return np.linalg.solve(M, b)


def tangent_of(Fu: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Unit null vector of the N×(N+1) matrix Fu, oriented along ``previous``."""
    N = Fu.shape[0]
    M = np.vstack([Fu, previous[None, :]])
    rhs = np.zeros(N + 1)
    rhs[-1] = 1.0
    t = _solve(M, rhs)
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
                sol = _solve(M, rhs)
                du, dv = sol[:, 0], sol[:, 1]
                u = u - du
                v = v - dv
                v /= np.linalg.norm(v)
                Fval = F(u)
                if (np.linalg.norm(du) <= 1e-6 * (1.0 + np.linalg.norm(u))
                        and np.max(np.abs(Fval)) <= tol):
                    return u, v, it
    except (FloatingPointError, ValueError, OverflowError, ZeroDivisionError, np.linalg.LinAlgError):
        return None
    return None


def newton_on_hyperplane(F, DF, u0, t, s_target, base, *, tol=1e-12, max_iter=12):
    """Solve F(u) = 0, t·(u − base) = s_target by Newton from ``u0``; None when it fails."""
    u = u0.copy()
    N = u.size - 1
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
            du = _solve(M, g)
        except np.linalg.LinAlgError:
            return None
        u = u - du
        if np.linalg.norm(du) <= tol * (1.0 + np.linalg.norm(u)):
            return u
    return u if np.max(np.abs(F(u))) < 1e-8 else None


# ---------------------------------------------------------------------------- test functions
def _eigenvalues(J):
    lam = np.linalg.eigvals(J)
    return lam[np.lexsort((-lam.imag, -lam.real))]


def bialternate_test(lam: np.ndarray) -> float:
    """∏_{i<j} (λ_i + λ_j): zero at Hopf points (λ = ±iω) and at neutral saddles (±λ)."""
    n = lam.size
    prod = 1.0 + 0.0j
    for i in range(n):
        for j in range(i + 1, n):
            prod *= lam[i] + lam[j]
    return float(prod.real)


def _n_unstable(lam: np.ndarray) -> int:
    scale = max(1.0, float(np.max(np.abs(lam)))) if lam.size else 1.0
    return int(np.sum(lam.real > 1e-10 * scale))


def _check_model(model, param):
    if not hasattr(model, "rhs") or not hasattr(model, "params"):
        raise ValueError(f"model must follow the hhdyn model protocol, got {type(model).__name__}")
    if param not in model.params:
        raise ValueError(f"unknown parameter {param!r} for {getattr(model, 'name', 'model')}; "
                         f"known parameters: {', '.join(model.params)}")
    jac = getattr(model, "jacobian", None)
    if jac is None or not callable(jac):
        raise ValueError(f"model {getattr(model, 'name', type(model).__name__)!r} has no jacobian(y, params); "
                         "continuation needs the analytic Jacobian")


class _EquilibriumProblem:
    """F(u) = f(x, p) for u = (x, p), with F_u = [f_x | f_p]."""

    def __init__(self, model, param):
        self.model = model
        self.param = param
        self.n = model.n_states

    def F(self, u):
        return np.asarray(self.model.rhs(u[:-1], {self.param: u[-1]}), dtype=float)

    def J(self, u):
        return np.asarray(self.model.jacobian(u[:-1], {self.param: u[-1]}), dtype=float)

    def DF(self, u):
        p = {self.param: u[-1]}
        J = np.asarray(self.model.jacobian(u[:-1], p), dtype=float)
        fp = np.asarray(self.model.dfdp(u[:-1], self.param, p), dtype=float)
        return np.column_stack([J, fp])


def _default_start_state(model, param, value):
    """An equilibrium at param = value to start from: the model's resting state there."""
    rest = getattr(model, "resting_state", None)
    if rest is None:
        raise ValueError(f"{getattr(model, 'name', 'model')} has no resting_state(); pass y0")
    try:
        return np.asarray(rest({param: value}), dtype=float)
    except ValueError:
        voltages = getattr(model, "equilibrium_voltages", None)
        if voltages is None:
            raise
        # far outside the physiological window (e.g. strongly hyperpolarizing currents)
        with np.errstate(all="ignore"):
            found = voltages({param: value}, V_range=(-5000.0, 5000.0), n_grid=100001)
        if found.size == 0:
            raise
        return np.asarray(model.steady_state_curve(found[0]), dtype=float)


def find_equilibrium(model, y0, params=None, *, tol=1e-11, max_iter=50):
    """Newton's method for f(x) = 0 from ``y0`` (with damping); returns (x, converged)."""
    x = np.asarray(y0, dtype=float).copy()
    try:
        with np.errstate(all="raise"):
            f = np.asarray(model.rhs(x, params), dtype=float)
            for _ in range(max_iter):
                if np.max(np.abs(f)) <= tol:
                    return x, True
                J = np.asarray(model.jacobian(x, params), dtype=float)
                dx = np.linalg.solve(J, f)
                lam = 1.0
                while lam > 1e-4:
                    trial = x - lam * dx
                    try:
                        ft = np.asarray(model.rhs(trial, params), dtype=float)
                    except FloatingPointError:
                        ft = None
                    if ft is not None and np.all(np.isfinite(ft)) and np.linalg.norm(ft) < np.linalg.norm(f) * (1 - 1e-4 * lam) + tol:
                        break
                    lam *= 0.5
                else:
                    return x, False
                x, f = trial, ft
            return x, bool(np.max(np.abs(f)) <= tol)
    except (FloatingPointError, np.linalg.LinAlgError):
        return x, False


# ---------------------------------------------------------------------------- locating
def _locate(prob, u_a, t_a, u_b, psi, *, xtol=1e-14):
    """Zero of ψ(u(s)) between two branch points, s the pseudo-arclength from u_a along t_a.

    Returns (u, converged). ``psi`` takes a corrected point u.
    """
    s_b = float(t_a @ (u_b - u_a))
    cache = {}

    def point(s):
        if s in cache:
            return cache[s]
        frac = s / s_b if s_b != 0 else 0.0
        guess = u_a + frac * (u_b - u_a)
        if cache:  # warm start from the nearest point already corrected, moved along t_a
            near = min(cache, key=lambda s0: abs(s0 - s))
            if abs(near - s) < min(abs(s), abs(s_b - s)):
                guess = cache[near] + (s - near) * t_a
        u = newton_on_hyperplane(prob.F, prob.DF, guess, t_a, s, u_a)
        if u is None:
            raise _LocateFailed
        cache[s] = u
        return u

    def g(s):
        if s == 0.0:
            return psi(u_a)
        if s == s_b:
            return psi(u_b)
        return psi(point(s))

    try:
        ga, gb = g(0.0), g(s_b)
        if ga == 0.0:
            return u_a, True
        if gb == 0.0:
            return u_b, True
        if np.sign(ga) == np.sign(gb):
            raise _LocateFailed
        lo, hi = (0.0, s_b) if s_b > 0 else (s_b, 0.0)
        root = brentq(g, lo, hi, xtol=xtol * max(1.0, abs(s_b)), rtol=8.9e-16, maxiter=200)
        return point(root) if root not in (0.0, s_b) else (u_a if root == 0.0 else u_b), True
    except (_LocateFailed, ValueError, RuntimeError, FloatingPointError, np.linalg.LinAlgError):
        # best estimate: linear interpolation of the test function
        try:
            ga, gb = psi(u_a), psi(u_b)
            frac = ga / (ga - gb) if ga != gb else 0.5
        except Exception:  # noqa: BLE001 - a best estimate only
            frac = 0.5
        return u_a + frac * (u_b - u_a), False


class _LocateFailed(Exception):
    pass


def _hopf_info(model, param, x, p, lam, lyapunov=True):
    """ω, frequency, l1, criticality and eigenvector at a located Hopf point.

    When l1 cannot be computed (or ``lyapunov`` is False) ω and q come from the eigenvalues and
    ``l1`` is NaN with criticality "unknown".
    """
    try:
        if not lyapunov:
            raise _LocateFailed
        nf = first_lyapunov_coefficient(model, x, {param: p})
        omega, l1, crit, q, re = nf.omega, nf.l1, nf.criticality, nf.q, nf.real_part
    except (_LocateFailed, ValueError, FloatingPointError, np.linalg.LinAlgError):
        from .lyapunov import hopf_eigenvectors

        omega, q, _ = hopf_eigenvectors(np.asarray(model.jacobian(x, {param: p}), dtype=float))
        l1, crit = float("nan"), "unknown"
        re = float(lam[np.argmin(np.abs(lam - 1j * omega))].real)
    return {
        "omega": omega,
        "frequency_hz": omega / (2.0 * math.pi) * 1000.0,
        "l1": l1,
        "criticality": crit,
        "eigenvector": q,
        "real_part": re,
    }


def _fold_info(model, param, x, p):
    """Quadratic coefficient a = ½⟨w, B(v, v)⟩ with J v = 0, Jᵀ w = 0, ⟨w, v⟩ = 1, |v| = 1."""
    J = np.asarray(model.jacobian(x, {param: p}), dtype=float)
    _, _, vh = np.linalg.svd(J)
    v = vh[-1]
    _, _, wh = np.linalg.svd(J.T)
    w = wh[-1]
    w = w / (w @ v)
    a = 0.5 * float(np.real(w @ multilinear_B(model, x, v, v, {param: p})))
    return {"a": a, "eigenvector": v}


def _bracket(u_a, u_b, u):
    """The parameter interval covered by the step u_a → u_b of the branch.

    The branch passes through the located point u inside the step, so the interval spans it too
    (at a fold both step ends lie on the same side of the turning point).
    """
    values = (float(u_a[-1]), float(u_b[-1]), float(u[-1]))
    return (min(values), max(values))


def _is_hopf(lam):
    """At a zero of the bialternate product: is the critical pair complex (not ±λ real)?"""
    n = lam.size
    best, pair = np.inf, None
    for i in range(n):
        for j in range(i + 1, n):
            val = abs(lam[i] + lam[j])
            if val < best:
                best, pair = val, (i, j)
    if pair is None:
        return False
    i, j = pair
    scale = max(abs(lam[i]), 1e-300)
    return abs(lam[i].imag) > 1e-6 * scale and abs(lam[j].imag) > 1e-6 * scale and lam[i].imag * lam[j].imag < 0


def locate_hopf(model, param, u_a, u_b, *, tangent=None, lyapunov=True):
    """Locate a Hopf point between two equilibria u = (x, p) of one branch.

    Returns a :class:`SpecialPoint` (kind "H"), or None when the zero of the bialternate test
    function there is a neutral saddle. ``tangent`` defaults to the secant direction.
    """
    prob = _EquilibriumProblem(model, param)
    u_a, u_b = np.asarray(u_a, float), np.asarray(u_b, float)
    t = tangent if tangent is not None else (u_b - u_a) / np.linalg.norm(u_b - u_a)
    psi = lambda u: bialternate_test(_eigenvalues(prob.J(u)))  # noqa: E731
    u, ok = _locate(prob, u_a, t, u_b, psi)
    lam = _eigenvalues(prob.J(u))
    if not _is_hopf(lam):
        return None
    info = _hopf_info(model, param, u[:-1], u[-1], lam, lyapunov)
    return SpecialPoint("H", float(u[-1]), u[:-1].copy(), info, -1, _bracket(u_a, u_b, u), ok)


def locate_fold(model, param, u_a, u_b, *, tangent=None):
    """Locate a fold (LP: det f_x = 0) between two equilibria of one branch → SpecialPoint."""
    prob = _EquilibriumProblem(model, param)
    u_a, u_b = np.asarray(u_a, float), np.asarray(u_b, float)
    t = tangent if tangent is not None else (u_b - u_a) / np.linalg.norm(u_b - u_a)
    u, ok = _locate(prob, u_a, t, u_b, lambda u: float(np.linalg.det(prob.J(u))))
    info = _fold_info(model, param, u[:-1], u[-1])
    return SpecialPoint("LP", float(u[-1]), u[:-1].copy(), info, -1, _bracket(u_a, u_b, u), ok)


def _locate_bp(model, param, u_a, t_a, u_b):
    prob = _EquilibriumProblem(model, param)
    psi = lambda u: float(np.linalg.det(np.vstack([prob.DF(u), t_a[None, :]])))  # noqa: E731
    u, ok = _locate(prob, u_a, t_a, u_b, psi)
    return SpecialPoint("BP", float(u[-1]), u[:-1].copy(), {}, -1, _bracket(u_a, u_b, u), ok)


# ---------------------------------------------------------------------------- main entry
def continue_equilibria(
    model,
    param: str = "I_ext",
    start: float | None = None,
    stop: float | None = None,
    *,
    y0=None,
    max_step: float | None = None,
    min_step: float | None = None,
    initial_step: float | None = None,
    max_points: int = 5000,
    tol: float = 1e-10,
    detect=("LP", "H", "BP"),
    lyapunov: bool = True,
    progress: Callable[[int, float], None] | None = None,
) -> Branch:
    """Follow the equilibria of ``model`` in parameter ``param`` from ``start`` to ``stop``.

    Parameters
    ----------
    model : hhdyn model
        Needs ``rhs``, ``jacobian`` and ``dfdp`` (see :mod:`hhdyn.protocol`).
    param : str
        The continued parameter (e.g. "I_ext" in µA/cm², "gK" in mS/cm²).
    start, stop : float
        The parameter window: the branch starts at ``start`` (default: the model's value) and is
        followed towards ``stop``; it ends where it leaves [min, max] of the two (the end point
        is put exactly on the boundary).
    y0 : array, optional
        A state near the equilibrium at ``start``; by default the model's resting state there.
        It is corrected by Newton's method (the branch ``message`` says by how much); if that
        fails, ValueError.
    max_step, min_step, initial_step : float, optional
        Pseudo-arclength step bounds (in the combined units of state and parameter). Default
        max_step = |stop − start|/40, min_step = 1e-7·max_step, initial_step = max_step/5.
    max_points : int
        Maximum number of continuation points (then status 1).
    tol : float
        Corrector tolerance on |f| and on the Newton step.
    detect : iterable of "LP", "H", "BP"
        Which special points to detect and locate.
    lyapunov : bool
        Compute the first Lyapunov coefficient at Hopf points.
    progress : callable(n_points, param), optional
        Called after each accepted step.

    Returns
    -------
    Branch
        With ``status`` 0 (end of window reached), 1 (max_points) or negative (failure; the
        part computed so far is returned) and a ``message``.
    """
    _check_model(model, param)
    if stop is None:
        raise ValueError("stop must be given (the other end of the parameter window)")
    start = float(model.params[param]) if start is None else float(start)
    stop = float(stop)
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"start and stop must be finite, got start={start!r}, stop={stop!r}")
    if start == stop:
        raise ValueError(f"start == stop == {start!r}: the parameter window is empty")
    detect = tuple(detect)
    for kind in detect:
        if kind not in ("LP", "H", "BP"):
            raise ValueError(f"detect: unknown special point {kind!r}; choose from LP, H, BP")
    span = abs(stop - start)
    max_step = span / 40.0 if max_step is None else float(max_step)
    if not max_step > 0:
        raise ValueError(f"max_step must be > 0, got {max_step!r}")
    min_step = 1e-7 * max_step if min_step is None else float(min_step)
    h = max_step / 5.0 if initial_step is None else min(float(initial_step), max_step)
    if int(max_points) < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points!r}")
    lo, hi = min(start, stop), max(start, stop)
    direction = 1.0 if stop > start else -1.0

    # ---- the starting equilibrium
    try:
        guess = _default_start_state(model, param, start) if y0 is None else np.asarray(y0, dtype=float)
    except ValueError as exc:
        raise ValueError(f"no starting equilibrium at {param}={start}: {exc}") from None
    if guess.shape != (model.n_states,):
        raise ValueError(f"y0 must have shape ({model.n_states},), got {guess.shape}")
    try:
        J_try = model.jacobian(guess, {param: start})
    except NotImplementedError:
        raise ValueError(f"model {model.name!r} has no jacobian(); continuation needs the analytic Jacobian") from None
    if np.shape(J_try) != (model.n_states, model.n_states):
        raise ValueError(f"model.jacobian returned shape {np.shape(J_try)}, expected {(model.n_states,) * 2}")
    x0, ok = find_equilibrium(model, guess, {param: start}, tol=tol)
    if not ok:
        res = np.max(np.abs(model.rhs(guess, {param: start})))
        raise ValueError(f"y0={guess.tolist()} is not near an equilibrium at {param}={start} "
                         f"(|f(y0)| = {res:.3g}; Newton's method did not converge)")
    if np.any(np.abs(x0 - guess) > 0.2 * (1.0 + np.abs(guess))):
        raise ValueError(f"y0={guess.tolist()} is not near an equilibrium at {param}={start}: Newton's method "
                         f"went to the distant equilibrium {x0.tolist()}; pass a y0 closer to the one wanted")
    notes = []
    moved = float(np.max(np.abs(x0 - guess)))
    if y0 is not None and moved > 1e-6 * (1.0 + float(np.max(np.abs(guess)))):
        notes.append(f"start corrected: y0 moved by {moved:.3g} to the equilibrium at {param}={start:g}")

    prob = _EquilibriumProblem(model, param)
    n = model.n_states
    u = np.append(x0, start)
    e_p = np.zeros(n + 1)
    e_p[-1] = direction
    try:
        t = tangent_of(prob.DF(u), e_p)
    except np.linalg.LinAlgError:
        raise ValueError(f"the starting point at {param}={start} is singular (fold or branch point); "
                         "start a little away from it") from None
    if t[-1] * direction <= 0:
        t = -t  # pragma: no cover - only at a fold

    us, ts = [u], [t]
    lam = _eigenvalues(prob.J(u))
    lams = [lam]
    psi_lp = [t[-1]]
    psi_h = [bialternate_test(lam)]
    psi_bp = [float(np.linalg.det(np.vstack([prob.DF(u), t[None, :]])))]
    specials: list[tuple[int, float, SpecialPoint]] = []  # (after point k, s within step, point)
    status = 1
    failure = ""

    while len(us) < max_points:
        u_k, t_k = us[-1], ts[-1]
        result = None
        while True:
            pred = u_k + h * t_k
            result = moore_penrose(prob.F, prob.DF, pred, t_k, tol=tol)
            if result is not None:
                u_new, v_new, iters = result
                # reject steps where the tangent turns sharply (risk of jumping branches)
                if float(v_new @ t_k) < 0.0:
                    v_new = -v_new
                if float(v_new @ t_k) > 0.95 or h <= min_step:
                    break
            h *= 0.5
            if h < min_step:
                result = None
                break
        if result is None:
            status = -1
            break
        final = False
        if not (lo <= u_new[-1] <= hi):
            # leave the window: put the last point exactly on the boundary
            bound = hi if u_new[-1] > hi else lo
            x_b = u_k[:-1] + (bound - u_k[-1]) / (u_new[-1] - u_k[-1]) * (u_new[:-1] - u_k[:-1])
            x_b, okb = find_equilibrium(model, x_b, {param: bound}, tol=tol)
            if okb:
                u_new = np.append(x_b, bound)
            final = True
        try:
            with np.errstate(all="raise"):
                DFu = prob.DF(u_new)
                t_new = tangent_of(DFu, t_k)
                lam_new = _eigenvalues(DFu[:, :n])
        except (FloatingPointError, np.linalg.LinAlgError):
            status = -2
            break
        if not np.all(np.isfinite(lam_new)):
            status = -2
            break
        k = len(us) - 1
        lp_new, h_new = t_new[-1], bialternate_test(lam_new)
        bp_new = float(np.linalg.det(np.vstack([DFu, t_new[None, :]])))
        try:
            with np.errstate(all="raise"):
                if "LP" in detect and np.sign(lp_new) != np.sign(psi_lp[-1]) and psi_lp[-1] != 0:
                    sp = locate_fold(model, param, u_k, u_new, tangent=t_k)
                    specials.append((k, float(t_k @ (np.append(sp.state, sp.param) - u_k)), sp))
                if "H" in detect and np.sign(h_new) != np.sign(psi_h[-1]) and psi_h[-1] != 0:
                    sp = locate_hopf(model, param, u_k, u_new, tangent=t_k, lyapunov=lyapunov)
                    if sp is not None:
                        specials.append((k, float(t_k @ (np.append(sp.state, sp.param) - u_k)), sp))
                if "BP" in detect and np.sign(bp_new) != np.sign(psi_bp[-1]) and psi_bp[-1] != 0:
                    sp = _locate_bp(model, param, u_k, t_k, u_new)
                    specials.append((k, float(t_k @ (np.append(sp.state, sp.param) - u_k)), sp))
        except (FloatingPointError, ValueError, ZeroDivisionError, OverflowError, np.linalg.LinAlgError) as exc:
            status = -3
            failure = f"{type(exc).__name__}: {exc}"
            break
        us.append(u_new)
        ts.append(t_new)
        lams.append(lam_new)
        psi_lp.append(lp_new)
        psi_h.append(h_new)
        psi_bp.append(bp_new)
        if progress is not None:
            progress(len(us), float(u_new[-1]))
        if final:
            status = 0
            break
        if iters <= 3:
            h = min(1.3 * h, max_step)

    # ---- assemble, inserting the special points into the branch arrays
    params_out, states_out, eig_out, sp_out = [], [], [], []
    by_step: dict[int, list] = {}
    for k, s, sp in specials:
        by_step.setdefault(k, []).append((s, sp))
    for k, (u_k, lam_k) in enumerate(zip(us, lams)):
        params_out.append(u_k[-1])
        states_out.append(u_k[:-1])
        eig_out.append(lam_k)
        for _, sp in sorted(by_step.get(k, []), key=lambda item: item[0]):
            lam_sp = _eigenvalues(prob.J(np.append(sp.state, sp.param)))
            idx = len(params_out)
            params_out.append(sp.param)
            states_out.append(sp.state)
            eig_out.append(lam_sp)
            sp_out.append(SpecialPoint(sp.kind, sp.param, sp.state, sp.info, idx, sp.bracket, sp.converged))
    eig_arr = np.array(eig_out)
    n_unst = np.array([_n_unstable(lam_k) for lam_k in eig_arr], dtype=int)
    message = STATUS_MESSAGES[status]
    if status < 0:
        message += f" (at {param}={us[-1][-1]:.8g} after {len(us)} points{'; ' + failure if failure else ''})"
    message = "; ".join([message] + notes)
    return Branch(
        kind="EP",
        param_name=param,
        model_name=getattr(model, "name", type(model).__name__),
        state_names=tuple(model.state_names),
        param=np.array(params_out, dtype=float),
        stable=n_unst == 0,
        special_points=tuple(sp_out),
        status=status,
        message=message,
        states=np.array(states_out, dtype=float),
        eigenvalues=eig_arr,
        n_unstable=n_unst,
    )


def bifurcation_diagram(models, param="I_ext", start=None, stop=None, **kwargs) -> BifurcationDiagram:
    """Continue the equilibria of each model over the same window; a :class:`BifurcationDiagram`."""
    if not isinstance(models, (list, tuple)):
        models = [models]
    return BifurcationDiagram([continue_equilibria(m, param, start, stop, **kwargs) for m in models])
