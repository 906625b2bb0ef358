"""Newton's method for equilibria f(y) = 0, and Jacobians at many states — one copy of each.

Every equilibrium solve in hhdyn (the start and window-boundary points of a continuation, the
equilibria next to a Hopf point when a cycle branch is started, the multi-start search of
:func:`analysis.fixed_points`) calls :func:`solve_equilibria`; every batched Jacobian comes from
:func:`batch_jacobian`. To see that there is one of each::

    grep -rnE "def (solve_equilibria|batch_jacobian|find_equilibrium|_equilibrium_near|jacobians_at|_batch_jacobian)" hhdyn analysis reductions

lists the two definitions here and ``find_equilibrium``, the public one-start wrapper in
:mod:`analysis.continuation.equilibria`; ``grep -rn "solve_equilibria(" analysis`` lists the
callers (continuation start and window boundary, the Hopf start of cycles, ``fixed_points``).

Damped Newton iteration (for each start k independently, all starts at once)::

    J_k Δ_k = f(y_k),   y_k ← y_k − λ_k·c_k·Δ_k

* c_k = min(1, min_i max_step_i/|Δ_k,i|) caps each coordinate of the step (``max_step``);
* λ_k ∈ {1, ½, ¼, …} backtracks until ‖f‖ decreases by the factor (1 − 10⁻⁴λ) (Armijo,
  ``line_search=True``); a start whose λ falls below 10⁻⁴ stops, not converged;
* converged when max|f| ≤ ``tol`` (units of dy/dt), or when every |c_k Δ_k,i| ≤
  ``step_tol``·(scale_i + |y_k,i|) with ``scale`` = ``max_step`` when given, else 1.

A singular J_k takes the least-squares (pseudo-inverse) step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["batch_jacobian", "solve_equilibria", "NewtonResult"]


def batch_jacobian(model, Y, params=None) -> np.ndarray:
    """∂f/∂y at N states: ``Y`` of shape (n, N) (columns are states, as ``model.rhs`` takes
    them) → array of shape (N, n, n), stacked for ``numpy.linalg``.

    Uses one vectorized ``model.jacobian(Y, params)`` call (the protocol allows y of shape
    (n, N), returning (n, n, N)); models whose ``jacobian`` cannot take a batch are called state
    by state, and models without ``jacobian`` get central finite differences
    (:func:`hhdyn.protocol.finite_difference_jacobian`).
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(f"batch_jacobian: Y must have shape (n_states, N), got {Y.shape}")
    n, N = Y.shape
    jac = getattr(model, "jacobian", None)
    if jac is None:
        from .protocol import finite_difference_jacobian

        return np.array([finite_difference_jacobian(model, Y[:, k], params) for k in range(N)]).reshape(N, n, n)
    try:
        J = np.asarray(jac(Y, params), dtype=float)
        if J.shape == (n, n, N):
            return np.moveaxis(J, 2, 0)
    except (ValueError, TypeError, IndexError):
        pass
    return np.array([np.asarray(jac(Y[:, k], params), dtype=float) for k in range(N)]).reshape(N, n, n)


@dataclass(frozen=True)
class NewtonResult:
    """Outcome of :func:`solve_equilibria`.

    ``y`` has the shape of the starts (``(n,)`` or ``(n, N)``); ``converged`` and ``residual``
    (max|f| at ``y``) are a bool/float for one start, arrays of length N for many.
    """

    y: np.ndarray
    converged: object
    residual: object
    iterations: int


def _newton_steps(J, F):
    """Δ with J Δ = F for stacked J (N, n, n), F (n, N) → (n, N); pseudo-inverse where singular."""
    try:
        return np.linalg.solve(J, F.T[:, :, None])[:, :, 0].T
    except np.linalg.LinAlgError:
        return np.einsum("kij,jk->ik", np.linalg.pinv(J), F)


def solve_equilibria(model, y0, params=None, *, tol: float = 1e-11, step_tol: float = 0.0, max_iter: int = 50,
                     max_step=None, line_search: bool = True) -> NewtonResult:
    """Damped Newton's method for f(y, params) = 0 from one start ``y0`` (n,) or many (n, N).

    See the module docstring for the iteration and the convergence tests. Non-finite values
    of f or of the Jacobian mark a start as failed (its ``y`` is NaN); nothing is raised for
    a start that does not converge, so check ``converged``.
    """
    y = np.array(y0, dtype=float)
    single = y.ndim == 1
    Y = y[:, None] if single else y
    if Y.ndim != 2:
        raise ValueError(f"solve_equilibria: y0 must have shape (n,) or (n, N), got {y.shape}")
    n, N = Y.shape
    cap = None if max_step is None else np.broadcast_to(np.asarray(max_step, dtype=float), (n,))[:, None]
    scale = 1.0 if cap is None else cap
    active = np.ones(N, dtype=bool)
    converged = np.zeros(N, dtype=bool)
    it = 0
    with np.errstate(all="ignore"):
        F = np.asarray(model.rhs(Y if not single else Y[:, 0], params), dtype=float).reshape(n, N)
        bad = ~np.all(np.isfinite(F), axis=0)
        Y[:, bad] = np.nan
        active &= ~bad
        for it in range(1, max_iter + 1):
            done = active & (np.max(np.abs(F), axis=0) <= tol)
            converged |= done
            active &= ~done
            if not active.any():
                break
            k = np.flatnonzero(active)
            J = batch_jacobian(model, Y[:, k], params)
            okJ = np.all(np.isfinite(J), axis=(1, 2))
            if not okJ.all():
                Y[:, k[~okJ]] = np.nan
                active[k[~okJ]] = False
                k, J = k[okJ], J[okJ]
                if k.size == 0:
                    break
            step = _newton_steps(J, F[:, k])
            if cap is not None:
                factor = np.max(np.abs(step) / cap, axis=0)
                step = step / np.maximum(1.0, factor)
            lam = np.ones(k.size)
            norm0 = np.linalg.norm(F[:, k], axis=0)
            trial = Y[:, k] - step
            Ft = np.asarray(model.rhs(trial if not single else trial[:, 0], params), dtype=float).reshape(n, k.size)
            if line_search:
                pending = ~(np.all(np.isfinite(Ft), axis=0)
                            & (np.linalg.norm(Ft, axis=0) < norm0 * (1 - 1e-4 * lam) + tol))
                while pending.any():
                    lam[pending] *= 0.5
                    if np.all(lam[pending] <= 1e-4):
                        break
                    j = np.flatnonzero(pending & (lam > 1e-4))
                    trial[:, j] = Y[:, k[j]] - lam[j] * step[:, j]
                    sub = trial[:, j]
                    Ft[:, j] = np.asarray(model.rhs(sub if not single else sub[:, 0], params),
                                          dtype=float).reshape(n, j.size)
                    pending[j] = ~(np.all(np.isfinite(Ft[:, j]), axis=0)
                                   & (np.linalg.norm(Ft[:, j], axis=0) < norm0[j] * (1 - 1e-4 * lam[j]) + tol))
                stalled = pending
                active[k[stalled]] = False
                k_go = ~stalled
            else:
                k_go = np.all(np.isfinite(Ft), axis=0)
                Y[:, k[~k_go]] = np.nan
                active[k[~k_go]] = False
            kk = k[k_go]
            Y[:, kk] = trial[:, k_go]
            F[:, kk] = Ft[:, k_go]
            if step_tol > 0:
                small = np.all(np.abs(lam[k_go] * step[:, k_go]) <= step_tol * (scale + np.abs(Y[:, kk])), axis=0)
                converged[kk[small]] = True
                active[kk[small]] = False
        converged |= active & (np.max(np.abs(F), axis=0) <= tol)
    residual = np.max(np.abs(F), axis=0)
    if single:
        return NewtonResult(Y[:, 0], bool(converged[0]), float(residual[0]), it)
    return NewtonResult(Y, converged, residual, it)
