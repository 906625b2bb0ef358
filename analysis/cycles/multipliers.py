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
====  =====================================  ====================================

Two routes to the eigenvalues (:func:`monodromy_multipliers`):

* **explicit product** — form M and call ``eig``. Its eigenvalues carry absolute errors of about
  ε‖M‖ (ε = 2.2e-16), so it is trusted only when ‖M‖₂ ≤ 1e6, every |μ| lies in [1e-6, 1e6] (so
  that each is also accurate relative to its own modulus) and the trivial multiplier comes out
  within 1e-9 of 1. It costs microseconds and needs no compiled code.
* **periodic Schur form** (:mod:`.periodic_schur`) otherwise — each multiplier accurate relative
  to its own modulus, whatever the spread (1e-14 … 1e21 on fast-m HH near I = 5.44, FHN canards).
  Its numba kernels compile once (≈ 9 s measured on a shared 2-core machine, cached on disk) and
  then cost ≈ 0.1 ms for NTST = 50, n = 4; a branch that never needs them never pays that.
"""
from __future__ import annotations

import numpy as np

__all__ = ["classify_multipliers", "monodromy_multipliers", "pd_test", "ns_test", "n_complex_unstable",
           "EXPLICIT_NORM_LIMIT", "EXPLICIT_TRIVIAL_LIMIT"]

EXPLICIT_NORM_LIMIT = 1e6      # ‖M‖₂ bound under which the explicit product may be trusted
EXPLICIT_TRIVIAL_LIMIT = 1e-9  # … provided its trivial multiplier is this close to 1


def _trivial_index(mu, vecs, f0):
    """Index of the trivial multiplier: among those within 0.1 of 1, the one whose eigenvector
    is most nearly parallel to f0 = f(u(0)) (the closest to 1 when f0 = 0 or none is near 1)."""
    nf = np.linalg.norm(f0)
    cand = np.flatnonzero(np.abs(mu - 1.0) < 0.1)
    if nf == 0 or cand.size == 0 or vecs is None:
        return int(np.argmin(np.abs(mu - 1.0)))
    V = vecs[:, cand]
    align = np.abs(V.conj().T @ f0) / (np.linalg.norm(V, axis=0) * nf)
    return int(cand[np.argmax(align)])


def monodromy_multipliers(transfer, f0):
    """(μ, k, route): the Floquet multipliers μ (complex, n) of the product of ``transfer``
    (NTST, n, n; M = M_{NTST−1} ⋯ M_0), the index k of the trivial one (eigenvector ∥ ``f0`` =
    f(u(0))), and the route taken, ``"explicit"`` or ``"periodic Schur"`` (see the module notes).

    Raises ValueError when ``transfer`` is not a finite (K, n, n) array.
    """
    transfer = np.asarray(transfer, dtype=float)
    if transfer.ndim != 3 or transfer.shape[1] != transfer.shape[2] or transfer.shape[0] == 0:
        raise ValueError(f"transfer must have shape (NTST, n, n), got {transfer.shape}; pass the transfer "
                         "matrices of the mesh intervals stacked along the first axis")
    f0 = np.asarray(f0, dtype=float)
    n = transfer.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        M = np.eye(n)
        for Mj in transfer:
            M = Mj @ M
    if np.all(np.isfinite(M)) and np.linalg.norm(M, 2) <= EXPLICIT_NORM_LIMIT:
        mu, vecs = np.linalg.eig(M)
        k = _trivial_index(mu, vecs, f0)
        spread = np.abs(mu)
        if (abs(mu[k] - 1.0) <= EXPLICIT_TRIVIAL_LIMIT and spread.min() >= 1.0 / EXPLICIT_NORM_LIMIT
                and spread.max() <= EXPLICIT_NORM_LIMIT):
            return mu, k, "explicit"
    from .periodic_schur import periodic_schur  # compiled kernels: imported only when needed

    ps = periodic_schur(transfer)
    mu = ps.eigenvalues
    H = ps.factors[-1]
    real1 = [i for i in range(n) if (i + 1 >= n or H[i + 1, i] == 0.0) and (i == 0 or H[i, i - 1] == 0.0)]
    cand = [i for i in real1 if abs(mu[i] - 1.0) < 0.1]
    if cand and np.linalg.norm(f0) > 0:
        vecs = np.zeros((n, n), dtype=complex)
        for i in cand:
            vecs[:, i] = ps.eigenvector(i)
        sel = np.full(n, False)
        sel[cand] = True
        k = _trivial_index(np.where(sel, mu, np.inf), vecs, f0)
    else:
        k = int(np.argmin(np.abs(mu - 1.0)))
    return mu, k, "periodic Schur"


def classify_multipliers(lu, U, T, p, model, param, sys=None):
    """Multipliers (trivial first, the others by decreasing modulus), trivial error
    |μ_trivial − 1|, number of unstable ones (|μ| > 1 + 1e-6).

    The multipliers come from :func:`monodromy_multipliers` on ``lu.transfer`` (explicit product
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
