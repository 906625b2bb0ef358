"""Floquet multipliers of a periodic orbit from its collocation Jacobian.

The linearization of (1) in :mod:`.collocation` at fixed T and p is the variational equation
dv/dτ = T f_x(u(τ), p) v, whose solution operator over one period is the monodromy matrix M.
Its eigenvalues are the Floquet multipliers; one of them (the *trivial* multiplier, eigenvector
u̇(0)) is exactly 1 for the continuous problem, so its computed distance from 1 measures the
accuracy of the discretization.

The collocation equations of interval j, A_j [v_{j,0}; v_{j,1}; …; v_{j,NCOL}] = 0, determine
v_{j,NCOL} = v_{j+1,0} from v_{j,0}: splitting A_j = [A_j⁰ | A_j'] (first node | the others),
(v_{j,1}, …, v_{j,NCOL}) = −A_j'⁻¹ A_j⁰ v_{j,0}, whose last n rows are the transfer matrix M_j.
M = M_{NTST−1} ⋯ M_1 M_0 (all NTST small solves in one batched LAPACK call).

Two routes to the eigenvalues (:func:`monodromy_multipliers`):

* **explicit product** — form M and call ``eig``. Its eigenvalues carry absolute errors of about
  ε‖M‖ (ε = 2.2e-16), so it is trusted only when ‖M‖₂ ≤ 1e6, every |μ| lies in [1e-6, 1e6] (so
  that each is also accurate relative to its own modulus) and the trivial multiplier comes out
  within 1e-9 of 1. It costs microseconds and needs no compiled code.
* **periodic Schur form** (:mod:`.periodic_schur`) otherwise — each multiplier accurate relative
  to its own modulus, whatever the spread (1e-14 … 1e21 on fast-m HH near I = 5.44, FHN canards).
  It costs ≈ 0.1 ms per orbit (NTST = 50, n = 4) with its numba kernels compiled, 4–11 ms as
  plain Python, which it runs until they are compiled (``periodic_schur.compile_kernels``), so
  that a first gallery does not pay 9–24 s of compilation.

A cycle is stable when every non-trivial multiplier has modulus < 1. Bifurcations of cycles:
a real multiplier through +1 (fold of cycles, LPC), through −1 (period doubling, PD), a complex
pair through the unit circle (Neimark–Sacker / torus, NS).
"""
from __future__ import annotations

import numpy as np

__all__ = ["monodromy", "floquet_multipliers", "split_trivial", "transfer_matrices", "product",
           "monodromy_multipliers", "EXPLICIT_NORM_LIMIT", "EXPLICIT_TRIVIAL_LIMIT"]

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
        M = product(transfer)
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


def transfer_matrices(blocks) -> np.ndarray:
    """The transfer matrices M_j (NTST, n, n) from collocation blocks (NTST, NCOL, NCOL+1, n, n)."""
    ntst, m, m1, n, _ = blocks.shape
    A = blocks.transpose(0, 1, 3, 2, 4).reshape(ntst, m * n, m1 * n)
    A0, Ar = A[:, :, :n], A[:, :, n:]
    return -np.linalg.solve(Ar, A0)[:, -n:, :]


def product(transfer) -> np.ndarray:
    """M = M_{K−1} ⋯ M_1 M_0 of ``transfer`` (K, n, n), M_0 acting first."""
    M = np.eye(transfer.shape[1])
    for Mj in transfer:
        M = Mj @ M
    return M


def monodromy(blocks) -> np.ndarray:
    """The monodromy matrix (explicit product) from collocation blocks (NTST, NCOL, NCOL+1, n, n)."""
    return product(transfer_matrices(blocks))


def floquet_multipliers(blocks, f0=None) -> np.ndarray:
    """Multipliers (complex, n) sorted by decreasing modulus, from collocation blocks, by
    :func:`monodromy_multipliers` (``f0`` = f(u(0)) identifies the trivial one; without it the
    multiplier closest to 1 counts as trivial when choosing the route)."""
    transfer = transfer_matrices(blocks)
    mu, _, _ = monodromy_multipliers(transfer, np.zeros(transfer.shape[1]) if f0 is None else f0)
    return mu[np.argsort(-np.abs(mu), kind="stable")]


def split_trivial(mu):
    """(trivial multiplier, the others) — the trivial one is the multiplier closest to 1."""
    mu = np.asarray(mu)
    k = int(np.argmin(np.abs(mu - 1.0)))
    return mu[k], np.delete(mu, k)

