"""Branch switching: from a special point onto the other branch, in one call.

:func:`switch_branch` takes a :class:`~analysis.branch.SpecialPoint` and returns the branch that
crosses the one it was found on:

====  ==========================================================  ===========================
BP    branch point of equilibria → the other equilibrium branch    :class:`~analysis.branch.Branch`
PD    period doubling of cycles → the cycles of period 2T          :class:`~analysis.cycles.CycleBranch`
BPC   branch point of cycles → the other cycle branch              :class:`~analysis.cycles.CycleBranch`
====  ==========================================================  ===========================

(From a Hopf point the cycles start with :func:`analysis.cycles.continue_cycles`.)

**The algebraic branching equation** (Keller 1977; Kuznetsov, *Elements of Applied
Bifurcation Theory*, 3rd ed., §10.2; AUTO-07p and BifurcationKit do the same). Let F: Rᴺ⁺¹ → Rᴺ
define the curves (F(u) = f(x, p), u = (x, p), for equilibria; the collocation and phase
equations for cycles). At a simple branch point u₀ the Jacobian F_u(u₀) has rank N − 1: a
two-dimensional null space spanned by φ₁, φ₂ and one left null vector ψ (ψᵀF_u = 0). The tangent
of every branch through u₀ is t = αφ₁ + βφ₂ with

    c₁₁α² + 2c₁₂αβ + c₂₂β² = 0,   c_ij = ψᵀ F_uu(u₀)[φ_i, φ_j],                        (1)

the condition that F(u₀ + εt + O(ε²)) = 0 be solvable at order ε². At a transversal crossing the
quadratic form C = (c_ij) is indefinite and (1) has two real roots: the two tangents. With
C = R diag(λ₋, λ₊) Rᵀ (λ₋ < 0 < λ₊) they are (α, β) = R (√λ₊, ±√−λ₋). One of them is the tangent
of the known branch (stored at a located BP as ``info["tangent"]``, else the secant of the
branch's neighbouring points); the other is followed. The second derivatives in (1) are fourth
order central differences of F along φ₁, φ₂ and φ₁ ± φ₂, so only F is needed.

**Equilibria.** The new branch starts at the branch point itself with the new tangent and is
continued by :class:`~analysis.continuation.equilibria.EquilibriumProblem` on the one
continuation loop (:func:`~analysis.continuation.core.continuation`); ``direction=0`` (default)
follows both halves and joins them (the branch point is then an inner point of the branch),
+1/−1 one half: the one along ±t_new, t_new oriented so that its parameter component is
positive (or, on a branch vertical in the parameter, its largest state component).
"""
from __future__ import annotations

import math

import numpy as np

from .core import Point, continuation, join_runs
from .equilibria import EquilibriumProblem, check_model, eigenvalues
from .settings import Settings, settings_from, window_of

__all__ = ["switch_branch", "branching_tangents", "other_tangent", "oriented"]

#: the kinds of special points :func:`switch_branch` switches at
SWITCHABLE = ("BP", "PD", "BPC")


# ---------------------------------------------------------------------------- the branching equation
def _second_difference(F, u0, v, h):
    """F_uu(u₀)[v, v] by the fourth-order central difference
    (−F(u₀+2hv) + 16F(u₀+hv) − 30F(u₀) + 16F(u₀−hv) − F(u₀−2hv)) / (12h²)."""
    f = [np.asarray(F(u0 + k * h * v), dtype=float) for k in (-2, -1, 0, 1, 2)]
    return (-f[0] + 16.0 * f[1] - 30.0 * f[2] + 16.0 * f[3] - f[4]) / (12.0 * h * h)


def branching_tangents(F, A, u0, *, rank_tol=1e-6, h=None):
    """The two tangents at a simple branch point from the algebraic branching equation (1).

    Parameters
    ----------
    F : callable u → F(u), shape (N,)
        The defining equations (N equations, N + 1 unknowns).
    A : ndarray (N, N+1)
        The dense Jacobian F_u(u₀).
    u0 : ndarray (N+1,)
        The branch point.
    rank_tol : float
        F_u must have a second zero singular value: σ_N ≤ rank_tol·max(1, σ₁), else ValueError.
    h : float, optional
        Difference step along the unit null vectors (default 1e-3·(1 + ‖u₀‖∞)).

    Returns
    -------
    (t1, t2, info) — unit tangents of the two branches (Euclidean norm) and a dict with the
    quadratic form ``C`` (2×2), the null vectors ``phi`` (2, N+1), ``psi`` (N,), and the smallest
    singular value ``sigma`` relative to the largest.
    """
    A = np.asarray(A, dtype=float)
    N = A.shape[0]
    if A.shape != (N, N + 1):
        raise ValueError(f"the Jacobian must have shape (N, N+1), got {A.shape}")
    Uw, s, Vh = np.linalg.svd(A)
    smax = float(s[0]) if s.size else 0.0
    rel = float(s[-1]) / max(1.0, smax)
    if rel > rank_tol:
        raise ValueError(f"the Jacobian at the point has full rank (smallest singular value {rel:.3g} relative "
                         f"to the largest > {rank_tol:g}): it is not a branch point; locate the BP first")
    phi = Vh[-2:]
    psi = Uw[:, -1]
    h = 1e-3 * (1.0 + float(np.max(np.abs(u0)))) if h is None else float(h)

    def Q(v):
        return float(psi @ _second_difference(F, u0, v / np.linalg.norm(v), h)) * float(v @ v)

    c11, c22 = Q(phi[0]), Q(phi[1])
    c12 = 0.25 * (Q(phi[0] + phi[1]) - Q(phi[0] - phi[1]))
    C = np.array([[c11, c12], [c12, c22]])
    lam, R = np.linalg.eigh(C)
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    if not (lam[0] < -1e-8 * scale and lam[1] > 1e-8 * scale):
        raise ValueError(f"the branching equation has no two distinct real roots (quadratic form eigenvalues "
                         f"{lam[0]:.3g}, {lam[1]:.3g}): not a simple branch point (two branches crossing "
                         "transversally)")
    tangents = []
    for sign in (1.0, -1.0):
        ab = R @ np.array([math.sqrt(lam[1]), sign * math.sqrt(-lam[0])])
        t = ab[0] * phi[0] + ab[1] * phi[1]
        tangents.append(t / np.linalg.norm(t))
    return tangents[0], tangents[1], {"C": C, "phi": phi, "psi": psi, "sigma": rel}


def other_tangent(t1, t2, t_old):
    """Of the two branching tangents, the one further from ``t_old`` (the known branch)."""
    t_old = np.asarray(t_old, dtype=float) / np.linalg.norm(t_old)
    c1, c2 = abs(float(t1 @ t_old)), abs(float(t2 @ t_old))
    if max(c1, c2) < 0.9:
        raise ValueError(f"neither branching direction is the known branch's tangent (|cos| = {c1:.3g}, {c2:.3g}); "
                         "the branch point or the branch's tangent there is inaccurate")
    return t2 if c1 >= c2 else t1


def oriented(t, p_index=-1):
    """``t`` with a positive parameter component (component ``p_index``), or — on a branch
    vertical in the parameter (|t_p| < 1e-8) — a positive largest component."""
    key = t[p_index] if abs(t[p_index]) >= 1e-8 else t[int(np.argmax(np.abs(t)))]
    return t if key > 0 else -t


# ---------------------------------------------------------------------------- equilibria
class _SwitchedEquilibria(EquilibriumProblem):
    """The equilibrium problem started at the branch point itself, along a given tangent."""

    def __init__(self, model, param, window, *, tangent, **kwargs):
        super().__init__(model, param, window, **kwargs)
        self.tangent = np.asarray(tangent, dtype=float)

    def initial(self, settings):
        u = self.u0
        DF = self.jacobian(u)
        pt = Point(u.copy(), self.tangent.copy())
        pt.data["DF"], pt.data["lam"] = DF, eigenvalues(DF[:, :self.n])
        return pt


def _old_tangent(point, branch):
    """The known branch's tangent at ``point``: ``info["tangent"]`` or the branch's secant."""
    t = (point.info or {}).get("tangent")
    if t is not None:
        return np.asarray(t, dtype=float)
    if branch is None or getattr(branch, "states", None) is None:
        raise ValueError("the BP carries no tangent (info['tangent']); pass the branch it lies on (branch=)")
    i = int(point.index)
    if not 0 < i < len(branch.param) - 1:
        raise ValueError(f"the BP's index {i} is not an inner point of the branch given")
    u = np.column_stack([branch.states, branch.param])
    return u[i + 1] - u[i - 1]


def _switch_equilibria(point, model, param, window, *, branch, settings, lyapunov, detect):
    check_model(model, param)
    x0, p0 = np.asarray(point.state, dtype=float), float(point.param)
    if x0.shape != (model.n_states,):
        raise ValueError(f"the BP's state has shape {x0.shape}, the model {model.n_states} states")
    if window is None:
        raise ValueError("window must be given: (lo, hi) of the continued parameter")
    lo, hi = window_of("window", window)
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo <= p0 <= hi:
        raise ValueError(f"window {window!r} must be finite and contain the branch point {param}={p0:g}")
    u0 = np.append(x0, p0)
    prob = EquilibriumProblem(model, param, (lo, hi))
    t1, t2, _ = branching_tangents(prob.residual, prob.jacobian(u0), u0)
    t_new = oriented(other_tangent(t1, t2, _old_tangent(point, branch)))
    ds_max = (hi - lo) / 40.0
    settings = settings.filled(ds=(settings.ds_max or ds_max) / 5.0, ds_min=1e-7 * (settings.ds_max or ds_max),
                               ds_max=ds_max, tol=1e-10, direction=0)
    runs = []
    for sign in ((1, -1) if settings.direction == 0 else (settings.direction,)):
        problem = _SwitchedEquilibria(model, param, (lo, hi), tangent=sign * t_new, u0=u0, detect=detect,
                                      lyapunov=lyapunov)
        runs.append((problem, continuation(problem, settings)))
    problem, run = runs[0]
    if len(runs) == 2:
        run = join_runs(runs[1][1], run)
    note = f"switched at the BP {param}={p0:.10g} onto the other branch"
    return problem.result(run, (note,))


# ---------------------------------------------------------------------------- the entry point
def switch_branch(point, model, param: str | None = None, window=None, *, branch=None, settings: Settings | None = None,
                  lyapunov: bool = True, detect=("LP", "H", "BP"), **options):
    """Continue the other branch through a special point (BP, PD or BPC); see the module docstring.

    Parameters
    ----------
    point : SpecialPoint
        Of kind "BP" (from :func:`continue_equilibria`), "PD" (from :func:`continue_cycles`) or
        "BPC" (a branch point of cycles, as :func:`continue_cycles` detects them; the cycle
        branch's orbit ``branch.profiles[point.index]`` must be at the branch point).
    model : the model the branch was computed for.
    param : the continued parameter (default: ``branch.param_name`` if given, else "I_ext").
    window : (lo, hi) of the parameter. Required for equilibria; for cycles default unbounded.
    branch : Branch or CycleBranch
        The branch the point lies on. Required at PD and BPC (the orbit there); at a BP only if
        the point carries no ``info["tangent"]``.
    settings : Settings, or its fields as keywords (see :func:`continue_equilibria` /
        :func:`continue_cycles`). ``direction``: at a BP 0 (default: both halves, joined), +1 or
        −1 (one half, see the module docstring); at a BPC ±1 likewise. Cycle options
        (``ntst``, ``ncol``, ``amplitude`` — the first step ε along the new direction —,
        ``max_period`` …) are passed on to the cycle problem.
    lyapunov, detect : as in :func:`continue_equilibria` (equilibria only).

    Returns
    -------
    Branch (at BP) or CycleBranch (at PD: period ≈ 2T at its start; at BPC).

    Raises
    ------
    ValueError
        For a point of another kind (e.g. "H" or "LP"), a PD/BPC without its branch, a point
        that is not a (simple) branch point.
    """
    kind = getattr(point, "kind", None)
    if kind not in SWITCHABLE:
        hint = " (from a Hopf point start the cycles with continue_cycles(hopf, model))" if kind == "H" else ""
        raise ValueError(f"cannot switch branches at a point of kind {kind!r}: branch switching works at "
                         f"BP (equilibria), PD and BPC (cycles){hint}")
    if param is None:
        param = getattr(branch, "param_name", None) or "I_ext"
    if kind == "BP":
        settings = settings_from(settings, options)
        return _switch_equilibria(point, model, param, window, branch=branch, settings=settings, lyapunov=lyapunov,
                                  detect=detect)
    from ..cycles.switching import switch_cycles

    return switch_cycles(point, model, param, window, branch=branch, settings=settings, **options)

