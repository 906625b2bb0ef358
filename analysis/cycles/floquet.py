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

A cycle is stable when every non-trivial multiplier has modulus < 1. Bifurcations of cycles:
a real multiplier through +1 (fold of cycles, LPC), through −1 (period doubling, PD), a complex
pair through the unit circle (Neimark–Sacker / torus, NS).
"""
from __future__ import annotations

import numpy as np

__all__ = ["monodromy", "floquet_multipliers", "split_trivial"]


def monodromy(blocks) -> np.ndarray:
    """The monodromy matrix from collocation blocks of shape (NTST, NCOL, NCOL+1, n, n)."""
    ntst, m, m1, n, _ = blocks.shape
    A = blocks.transpose(0, 1, 3, 2, 4).reshape(ntst, m * n, m1 * n)
    A0, Ar = A[:, :, :n], A[:, :, n:]
    X = -np.linalg.solve(Ar, A0)  # (ntst, m*n, n)
    Mj = X[:, -n:, :]
    M = np.eye(n)
    for j in range(ntst):
        M = Mj[j] @ M
    return M


def floquet_multipliers(blocks) -> np.ndarray:
    """Multipliers (complex, n) sorted by decreasing modulus."""
    mu = np.linalg.eigvals(monodromy(blocks))
    return mu[np.argsort(-np.abs(mu), kind="stable")]


def split_trivial(mu):
    """(trivial multiplier, the others) — the trivial one is the multiplier closest to 1."""
    mu = np.asarray(mu)
    k = int(np.argmin(np.abs(mu - 1.0)))
    return mu[k], np.delete(mu, k)

