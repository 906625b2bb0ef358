"""Bordered systems of the linearized periodic BVP: the scalar g of a fold of cycles (LPC).

A minimally augmented defining system (Govaerts, Kuznetsov & Dhooge, *SIAM J. Sci. Comput.*
27 (2005) 231–252; MatCont's ``LPCcurve``) adds to the collocation system of a periodic orbit
one scalar equation g = 0, where g comes from a bordered linear system. Write the collocation
and phase equations of :mod:`.collocation` as F(u, T, p) = 0 and let

    A = [ F_u   F_T ]       (the Jacobian in the orbit's own unknowns, p held fixed)
        [ Ph_u   0  ]

At a fold of cycles in p, A is singular (the branch's tangent has no p component). With a
bordering column b (MatCont: the left null vector of A at the previous point; F_p at the first,
where ⟨ψ, F_p⟩ ≠ 0 is the fold's transversality) and a row c (the previous null vector), the
bordered matrix

    M = [ A   b ]      M [v; g] = [0; 1]                                      (B)
        [ cᵀ  0 ]

is nonsingular near the fold and g vanishes exactly where A is singular. (With b = F_p
throughout, M would be singular wherever the fold curve has an extremum of the second
parameter, ⟨ψ, F_p⟩ = 0 there.) M has the shape of the cycle-continuation Jacobian (the
column b in the place of F_p, the row (c, 0) in the place of the arclength row), so it is
factorized by :class:`.collocation.CondensedLU`.

Derivatives: differentiating (B) with b and c fixed, g_z = −φᵀ M_z [v; g] with Mᵀφ = e_last;
only the collocation rows of A depend on z, and A_z (v, v_T) = ∂_z (F_z ξ₀) with ξ₀ = (v, v_T, 0):

    g_z = −D_ξ₀ (F_zᵀ φ_c)   (φ_c: the collocation part of φ),                      (G)

evaluated by a central difference of the exact transposed products F_zᵀφ_c along ξ₀. At g = 0,
φ is the left null vector of A (normalized by bᵀφ_c = 1) and the quadratic coefficient of the
fold is a = −½ φ_cᵀ D²F[ξ₀, ξ₀] / φ_cᵀF_p: it vanishes at a cusp of cycles (CPC).
"""
from __future__ import annotations

import numpy as np

__all__ = ["Bordered", "BorderedSolution", "transpose_product", "solve_transposed"]


def transpose_product(sys, blocks, dT, dps, phi_c):
    """∇_z(φ_cᵀ F) = F_zᵀ φ_c for z = (U, T, p…): (gradient in U (N, n), ∂T, [∂p for each of dps])."""
    phi = phi_c.reshape(sys.ntst, sys.m, sys.n)
    contrib = np.einsum("jis,jikst->jkt", phi, blocks)
    gU = sys._gather(contrib)
    return gU, float(np.sum(phi * dT)), [float(np.sum(phi * dp)) for dp in dps]


def solve_transposed(clu, c):
    """φ = J⁻ᵀc for the matrix J factorized by a :class:`.collocation.CondensedLU` ``clu`` (the
    plain transpose, also for a complex J).

    The condensed solve is a composition of linear maps, x = J⁻¹b: y_j = A'_j⁻¹ b_j per interval,
    the condensed right-hand side r = (y_j,end; b_phase − Σ G_int·y_int; b_last − Σ A_int·y_int),
    s = K⁻¹r, and x_int = y_int − S_int (s_j, s_T, s_p). Transposing each map in reverse order:
    d_j = S_int,jᵀ c_int,j; w = (c_mesh − d_mesh; c_T − Σd_T; c_p − Σd_p); ψ = K⁻ᵀw (SuperLU's
    transposed solve); e_j = (c_int,j − ψ_phase G_int,j − ψ_last A_int,j; ψ_j); φ_j = A'_j⁻ᵀ e_j,
    φ_phase = ψ_phase, φ_last = ψ_last.
    """
    s = clu.sys
    n, m, ntst = s.n, s.m, s.ntst
    c = np.asarray(c)
    dtype = np.result_type(c, clu.S, float)
    cU = c[: n * s.N].reshape(ntst, m, n)
    c0 = cU[:, 0, :]
    cint = cU[:, 1:, :].reshape(ntst, -1)
    Sint = clu.S[:, :-n, :]
    d = np.einsum("ja,jab->jb", cint, Sint)  # (ntst, n+2)
    w = np.empty(n * ntst + 2, dtype=dtype)
    w[: n * ntst] = (c0 - d[:, :n]).ravel()
    w[-2] = c[-2] - d[:, n].sum()
    w[-1] = c[-1] - d[:, n + 1].sum()
    psi = clu.lu.solve(w, trans="T")
    e = np.empty((ntst, n * m), dtype=dtype)
    e[:, :-n] = cint - psi[-2] * clu.G_int - psi[-1] * clu.A_int
    e[:, -n:] = psi[: n * ntst].reshape(ntst, n)
    phi = np.einsum("jba,jb->ja", clu.Ainv, e)  # A'⁻ᵀ e per interval
    return np.concatenate([phi.ravel(), psi[-2:]])


class BorderedSolution:
    """What a bordered system (B) or (B₋) gives once factorized as ``lu``: ξ = lu⁻¹ e_ξ (its last
    component is the test function ``g``) and, on demand, φ = lu⁻ᵀ e_φ (the left solution)."""

    def __init__(self, sys, lu, e_xi, e_phi):
        self.sys, self.lu = sys, lu
        self.xi = lu.solve(e_xi)
        self._e_phi = e_phi
        self._phi = None

    @property
    def g(self) -> float:
        return float(self.xi[-1])

    @property
    def phi(self):
        if self._phi is None:
            self._phi = solve_transposed(self.lu, self._e_phi)
        return self._phi


class Bordered(BorderedSolution):
    """The bordered system (B) at one orbit: factorized once, solved forward and transposed.

    ``blocks, dT, dp`` are the collocation Jacobian at the orbit (see
    :meth:`.collocation.CollocationSystem.jacobian_blocks`), ``G`` the phase gradient, ``border``
    = (c_U (N, n) — already multiplied by the quadrature weights —, c_T).
    """

    def __init__(self, sys, blocks, dT, dp, G, border):
        from .collocation import CondensedLU

        cU, cT = border
        e = np.zeros(sys.size)
        e[-1] = 1.0
        # phi: the solution of Mᵀφ = e_last (left null vector of A where g = 0)
        super().__init__(sys, CondensedLU(sys, blocks, dT, dp, G, (cU, cT, 0.0)), e, e)

    def null_vector(self):
        """(v_U (N, n), v_T, g) = the solution ξ of (B)."""
        U, T, p = self.sys.unpack(self.xi)
        return U, T, p
