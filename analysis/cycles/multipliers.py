"""Floquet multipliers of a collocation orbit: classification and the test functions of cycles.

The multipliers μ are the eigenvalues of the monodromy matrix M = M_{NTST−1} ⋯ M_1 M_0, the
product of the transfer matrices of the mesh intervals (:attr:`.collocation.CondensedLU.transfer`).
One of them is the *trivial* multiplier 1, with eigenvector u̇(0) = T f(u(0)) (its computed
distance from 1 is the accuracy check of MatCont/AUTO); the others decide stability (|μ| < 1)
and the bifurcations of cycles:

====  =====================================  ====================================
LPC   a non-trivial multiplier → 1           (planar: log|μ₁|; else the tangent's dp/ds)
PD    a real multiplier crosses −1           :func:`pd_test` = ∏(μᵢ + 1)/(|μᵢ| + 1)
NS    a complex pair crosses |μ| = 1         :func:`ns_test` = |μ| − 1 of the pair nearest 1
BPC   a multiplier 1 that is not a fold      sign det [F_X; tᵀ] (not from μ: see
                                             :meth:`.problem.CycleProblem.bpc_test`)
====  =====================================  ====================================

The eigenvalues come from :func:`.floquet.monodromy_multipliers` (explicit product where it is
trustworthy, the periodic Schur form otherwise).
"""
from __future__ import annotations

import numpy as np

from .floquet import monodromy_multipliers

__all__ = ["classify_multipliers", "pd_test", "ns_test", "n_complex_unstable"]


def classify_multipliers(lu, U, T, p, model, param, sys=None):
    """Multipliers (trivial first, the others by decreasing modulus), trivial error
    |μ_trivial − 1|, number of unstable ones (|μ| > 1 + 1e-6).

    The multipliers come from :func:`.floquet.monodromy_multipliers` on ``lu.transfer`` (explicit product
    where trustworthy, else the periodic Schur form). For a planar system the non-trivial
    multiplier is computed exactly by Liouville's formula μ₁ = exp(T∫₀¹ tr f_x(u(τ)) dτ)
    (Gauss quadrature on the collocation nodes) — independent of the conditioning of the
    transfer matrices, and accurate on canards.
    """
    f0 = np.asarray(sys.model_at(p).rhs(U[0]) if sys is not None else model.rhs(U[0], {param: p}), dtype=float)
    mu, k, _ = monodromy_multipliers(lu.transfer, f0)
    triv = mu[k]
    rest = np.delete(mu, k)
    if mu.size == 2 and sys is not None:
        x, _ = sys.at_collocation(U)
        J = np.asarray(sys.model_at(p).jacobian(x.reshape(-1, 2).T))
        tr = (J[0, 0] + J[1, 1]).reshape(x.shape[:2])
        h = np.diff(lu.mesh)
        with np.errstate(over="ignore"):
            rest = np.array([np.exp(min(T * np.sum(h[:, None] * sys.w[None, :] * tr), 700.0))], dtype=complex)
    rest = rest[np.argsort(-np.abs(rest), kind="stable")]
    return np.concatenate([[triv], rest]), float(abs(triv - 1.0)), int(np.sum(np.abs(rest) > 1.0 + 1e-6))


def pd_test(mu):
    """∏(μᵢ + 1)/(|μᵢ| + 1) over the non-trivial multipliers: changes sign (linearly) when a real
    one crosses −1; complex pairs contribute positive factors; bounded by 1 in modulus."""
    rest = mu[1:]
    return float(np.real(np.prod((rest + 1.0) / (np.abs(rest) + 1.0))))


def ns_test(mu):
    """|μ| − 1 of the complex non-trivial multiplier nearest the unit circle (NaN: none complex):
    changes sign where a complex pair crosses the unit circle (Neimark–Sacker)."""
    rest = mu[1:]
    cplx = rest[np.abs(rest.imag) > 1e-8 * np.maximum(1.0, np.abs(rest))]
    if cplx.size == 0:
        return np.nan
    return float(np.abs(cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))]) - 1.0)


def n_complex_unstable(mu):
    """Number of complex non-trivial multipliers outside the unit circle."""
    rest = mu[1:]
    c = np.abs(rest.imag) > 1e-8 * np.maximum(1.0, np.abs(rest))
    return int(np.sum(c & (np.abs(rest) > 1.0)))
