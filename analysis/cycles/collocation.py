"""Orthogonal collocation for periodic orbits (the discretization AUTO-07p and MatCont use).

A periodic orbit x(t) = x(t + T) of dx/dt = f(x, p) is written in scaled time τ = t/T ∈ [0, 1]:

    du/dτ = T f(u, p),   u(0) = u(1),                                         (1)
    ∫₀¹ ⟨u(τ), u̇_ref(τ)⟩ dτ = 0           (integral phase condition),        (2)

where u_ref is a reference orbit (the previous point of the branch); (2) fixes the phase.
[0, 1] is cut into NTST mesh intervals 0 = τ₀ < τ₁ < … < τ_NTST = 1 (h_j = τ_{j+1} − τ_j). On
each interval u is a polynomial of degree NCOL given by its values u_{j,k} at the NCOL + 1
equidistant nodes τ_j + h_j·k/NCOL (k = 0…NCOL; the last node of interval j is the first of
interval j+1, the last node of the last interval is node 0 by periodicity). Equation (1) is
imposed at the NCOL Gauss–Legendre points z_i of every interval:

    Σ_k l'_k(z_i) u_{j,k} − h_j T f(Σ_k l_k(z_i) u_{j,k}, p) = 0,            (3)

with l_k the Lagrange basis on [0, 1]. The unknowns are the NTST·NCOL node values (n each), T
and p; the equations are the n·NTST·NCOL collocation equations (3), the phase condition (2)
(Gauss quadrature) and one more — the pseudo-arclength condition of the continuation. The
Jacobian is sparse (cyclic block-bidiagonal plus two dense rows and columns); its blocks come
from one vectorized pass (``model.rhs`` and ``model.jacobian`` on all NTST·NCOL collocation
points at once). It is factorized as AUTO does, by condensation of parameters
(:class:`CondensedLU`: the interior unknowns of every interval eliminated in one batched call,
then ``scipy.sparse.linalg.splu`` on the small cyclic system of mesh values) — about 4× faster
than ``splu`` on the full matrix, which :meth:`CollocationSystem.assemble` also provides (tests
compare the two).

The mesh is adapted to equidistribute the error estimate h_j^{NCOL+1}‖u^{(NCOL+1)}‖ (the
(NCOL+1)-th derivative from differences of the NCOL-th derivatives of neighbouring pieces, as
in AUTO), which concentrates intervals in the thin spike of a neuron's orbit.
"""
from __future__ import annotations

from math import factorial

import numpy as np
import scipy.sparse as sp

from .floquet import product

__all__ = ["CollocationSystem", "uniform_mesh"]


def uniform_mesh(ntst: int) -> np.ndarray:
    """The uniform mesh 0 = τ₀ < … < τ_NTST = 1."""
    return np.linspace(0.0, 1.0, ntst + 1)


def _lagrange(nodes: np.ndarray, x: np.ndarray):
    """Values L[i, k] = l_k(x_i) and derivatives D[i, k] = l'_k(x_i) of the Lagrange basis."""
    m1 = nodes.size
    x = np.asarray(x, dtype=float)
    L = np.ones((x.size, m1))
    D = np.zeros((x.size, m1))
    for k in range(m1):
        others = [l for l in range(m1) if l != k]
        denom = np.prod([nodes[k] - nodes[l] for l in others])
        for l in others:
            L[:, k] *= (x - nodes[l])
        L[:, k] /= denom
        for l in others:
            term = np.ones(x.size)
            for r in others:
                if r != l:
                    term *= (x - nodes[r])
            D[:, k] += term
        D[:, k] /= denom
    return L, D


def _lagrange_values(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """L[i, k] = l_k(x_i), vectorized (products of the differences with the k-th left out)."""
    diff = np.asarray(x, dtype=float)[:, None] - nodes[None, :]  # (K, m+1)
    m1 = nodes.size
    full = np.broadcast_to(diff[:, None, :], (diff.shape[0], m1, m1)).copy()
    full[:, np.arange(m1), np.arange(m1)] = 1.0
    denom = np.array([np.prod([nodes[k] - nodes[l] for l in range(m1) if l != k]) for k in range(m1)])
    return full.prod(axis=2) / denom


class CollocationSystem:
    """The discretized periodic-orbit equations of ``model`` for fixed NTST, NCOL.

    Node values are stored as an array ``U`` of shape (NTST·NCOL, n). The mesh (``mesh``, shape
    (NTST+1,)) may change (mesh adaptation); the sparsity pattern does not.
    """

    def __init__(self, model, param: str, ntst: int, ncol: int):
        self.model = model
        self.param = param
        self.n = n = model.n_states
        self.ntst = ntst
        self.m = m = ncol
        self.N = N = ntst * ncol
        self.size = n * N + 2
        z, w = np.polynomial.legendre.leggauss(m)
        self.z = (z + 1.0) / 2.0
        self.w = w / 2.0
        self.sigma = np.linspace(0.0, 1.0, m + 1)
        self.L, self.D = _lagrange(self.sigma, self.z)
        # quadrature weight of each node within an interval: ∫ l_k = Σ_i w_i l_k(z_i)
        self.node_w = self.w @ self.L
        # coefficient of the m-th derivative (w.r.t. σ) of the interpolant: m!/Π_{l≠k}(σ_k − σ_l)
        self.dm_coef = np.array(
            [factorial(m) / np.prod([self.sigma[k] - self.sigma[l] for l in range(m + 1) if l != k]) for k in range(m + 1)]
        )
        # node index of (interval j, local node k), periodic wrap
        self.idx = (np.arange(ntst)[:, None] * m + np.arange(m + 1)[None, :]) % N  # (ntst, m+1)
        self._build_pattern()

    # ------------------------------------------------------------------ sparsity pattern
    def _build_pattern(self):
        n, m, ntst, N = self.n, self.m, self.ntst, self.N
        j, i, k, s, t = np.meshgrid(np.arange(ntst), np.arange(m), np.arange(m + 1), np.arange(n), np.arange(n), indexing="ij")
        rows_b = ((j * m + i) * n + s).ravel()
        cols_b = (self.idx[j, k] * n + t).ravel()
        nU = n * N
        rows_T = np.arange(nU)
        rows = np.concatenate([rows_b, rows_T, rows_T, np.full(nU + 2, nU), np.full(nU + 2, nU + 1)])
        cols = np.concatenate([cols_b, np.full(nU, nU), np.full(nU, nU + 1), np.arange(nU + 2), np.arange(nU + 2)])
        order = np.lexsort((rows, cols))
        self._perm = order
        self._indices = rows[order].astype(np.int32)
        counts = np.bincount(cols, minlength=nU + 2)
        self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        self._nb = rows_b.size

    def _condensed_pattern(self):
        """CSC pattern (permutation, indices, indptr) of the condensed matrix of CondensedLU."""
        if getattr(self, "_cpat", None) is None:
            n, ntst = self.n, self.ntst
            size = n * ntst + 2
            j, a, b = np.meshgrid(np.arange(ntst), np.arange(n), np.arange(n), indexing="ij")
            r_blk = (j * n + a).ravel()
            c_blk = (j * n + b).ravel()
            r_id = np.arange(n * ntst)
            c_id = (((np.arange(ntst) + 1) % ntst)[:, None] * n + np.arange(n)[None, :]).ravel()
            rows = np.concatenate([r_blk, r_id, r_id, r_id, np.full(size, size - 2), np.full(size, size - 1)])
            cols = np.concatenate([c_blk, c_id, np.full(n * ntst, size - 2), np.full(n * ntst, size - 1),
                                   np.arange(size), np.arange(size)])
            order = np.lexsort((rows, cols))
            indptr = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=size))]).astype(np.int32)
            self._cpat = (order, rows[order].astype(np.int32), indptr)
        return self._cpat

    # ------------------------------------------------------------------ evaluation helpers
    def expand(self, U):
        """Node values per interval, shape (NTST, NCOL+1, n)."""
        return U[self.idx]

    def at_collocation(self, U):
        """(x, dx/dσ) at the collocation points, shapes (NTST, NCOL, n)."""
        Ue = U[self.idx]
        return self.L @ Ue, self.D @ Ue

    def _gather(self, contrib):
        """Sum per-interval node contributions (NTST, NCOL+1, ...) into the N nodes (periodic)."""
        out = contrib[:, :-1].copy()
        out[:, 0] += np.roll(contrib[:, -1], 1, axis=0)
        return out.reshape((self.N,) + contrib.shape[2:])

    def node_weights(self, mesh):
        """Quadrature weights W_g of the nodes: ∫₀¹ g(u(τ)) dτ ≈ Σ_g W_g g(u_g)."""
        key = mesh.tobytes()
        cache = getattr(self, "_wcache", None)
        if cache is None or cache[0] != key:
            h = np.diff(mesh)
            self._wcache = cache = (key, self._gather(h[:, None] * self.node_w[None, :]))
        return cache[1]

    def phase_gradient(self, Uref):
        """Gradient of the phase condition ∫⟨u, u̇_ref⟩dτ w.r.t. the node values, shape (N, n).

        With u̇_ref = (1/h_j) Σ_k l'_k(z_i) u_ref_{j,k} and dτ = h_j dσ the mesh drops out.
        """
        _, dref = self.at_collocation(Uref)  # (ntst, m, n), = h_j u̇_ref
        contrib = np.einsum("i,ik,jin->jkn", self.w, self.L, dref)  # (ntst, m+1, n)
        return self._gather(contrib)

    def params_at(self, p):
        """The model's parameters with the continued one set to ``p`` (cached: a full Params
        object is the model's fast path)."""
        return self.model_at(p).params

    def model_at(self, p):
        """The model with the continued parameter set to ``p`` (cached for the last value: calling
        its ``rhs``/``jacobian`` without a ``params`` argument is the cheapest path)."""
        p = float(p)
        cache = getattr(self, "_pcache", None)
        if cache is None or cache[0] != p:
            self._pcache = cache = (p, self.model.with_params(**{self.param: p}))
        return cache[1]

    # ------------------------------------------------------------------ residual and Jacobian
    def residual(self, U, T, p, mesh, phase_grad, arc):
        """F(U, T, p): collocation equations (3), phase condition, arclength condition.

        ``arc`` = (Ubase, Tbase, pbase, tU, tT, tp, W, ds) defines the pseudo-arclength condition
        Σ_g W_g⟨U−Ubase, tU⟩_g + (T−Tbase)tT + (p−pbase)tp − ds = 0.
        """
        h = np.diff(mesh)
        x, dx = self.at_collocation(U)
        period, mp = self.vector_field(T, p)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging Newton iterate: caller checks
            f = mp.rhs(x.reshape(-1, self.n).T).T.reshape(x.shape)
            R = dx - (h[:, None, None] * period) * f
        Ub, Tb, pb, tU, tT, tp, W, ds = arc
        phase = float(np.sum(phase_grad * U))
        arcl = float(np.sum(W[:, None] * (U - Ub) * tU) + (T - Tb) * tT + (p - pb) * tp - ds)
        return np.concatenate([R.ravel(), [phase, arcl]])

    def jacobian_blocks(self, U, T, p, mesh):
        """Collocation blocks ∂(3)/∂u_{j,k}, shape (NTST, NCOL, NCOL+1, n, n), and ∂/∂T, ∂/∂p."""
        n, m = self.n, self.m
        h = np.diff(mesh)
        x, _ = self.at_collocation(U)
        X = x.reshape(-1, n).T
        T_unknown = T
        T, mp = self.vector_field(T, p)
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite values: caller checks
            f = mp.rhs(X).T.reshape(x.shape)
            J = np.asarray(mp.jacobian(X)).transpose(2, 0, 1).reshape(self.ntst, m, n, n)
            fp = np.asarray(mp.dfdp(X, self.param)).T.reshape(x.shape)
            hT = (h * T)[:, None, None, None, None]
            blocks = -hT * self.L[None, :, :, None, None] * J[:, :, None, :, :]
        eye = np.eye(n)
        blocks = blocks + self.D[None, :, :, None, None] * eye[None, None, None, :, :]
        dT = self.second_column(T_unknown, T, h, f, X, mp)
        dp = -(h[:, None, None] * T) * fp
        return blocks, dT, dp

    # ------------------------------------------------------------------ the unknown next to p
    def vector_field(self, T, p):
        """(period, model) of the collocation equations (3) for the unknowns T and p: here T is
        the period. Subclasses whose second unknown is another parameter (the period fixed, as
        :class:`analysis.cycles.homoclinic.FixedPeriodSystem`) override this and :meth:`second_column`."""
        return T, self.model_at(p)

    def second_column(self, unknown, T, h, f, X, model):
        """∂(3)/∂(the unknown in the T slot), shape (NTST, NCOL, n): −h_j·f for the period."""
        return -(h[:, None, None]) * f

    def assemble(self, blocks, dT, dp, phase_grad, arc_row):
        """The sparse (CSC) Jacobian from the blocks and the two bordering rows.

        ``arc_row`` is the gradient of the arclength condition: (W·tU (N, n), tT, tp).
        """
        gU, gT, gp = arc_row
        data = np.concatenate(
            [
                blocks.ravel(),
                dT.ravel(),
                dp.ravel(),
                phase_grad.ravel(),
                [0.0, 0.0],
                gU.ravel(),
                [gT, gp],
            ]
        )[self._perm]
        return sp.csc_matrix((data, self._indices, self._indptr), shape=(self.size, self.size))

    # ------------------------------------------------------------------ packing
    def pack(self, U, T, p):
        return np.concatenate([U.ravel(), [T, p]])

    def unpack(self, X):
        return X[:-2].reshape(self.N, self.n), float(X[-2]), float(X[-1])

    # ------------------------------------------------------------------ interpolation and mesh
    def evaluate(self, U, mesh, tau):
        """The piecewise polynomial at scaled times ``tau`` (in [0, 1]), shape (len(tau), n)."""
        tau = np.mod(np.asarray(tau, dtype=float), 1.0)
        j = np.clip(np.searchsorted(mesh, tau, side="right") - 1, 0, self.ntst - 1)
        sig = (tau - mesh[j]) / (mesh[j + 1] - mesh[j])
        Lv = _lagrange_values(self.sigma, sig)  # (len, m+1)
        return np.einsum("tk,tkn->tn", Lv, U[self.idx[j]])

    def node_times(self, mesh):
        """Scaled times τ of the nodes (N,)."""
        h = np.diff(mesh)
        return (mesh[:-1, None] + h[:, None] * self.sigma[None, :-1]).ravel()

    def adapted_mesh(self, U, mesh, scale=None):
        """A new mesh equidistributing h_j^{m+1}‖u^{(m+1)}‖ (AUTO's strategy).

        ``scale`` (n,) normalizes the states (default: their range over the orbit).
        """
        m = self.m
        h = np.diff(mesh)
        if scale is None:
            scale = np.ptp(U, axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        Ue = U[self.idx] / scale  # (ntst, m+1, n)
        dm = np.einsum("k,jkn->jn", self.dm_coef, Ue) / h[:, None] ** m  # m-th derivative per piece
        # (m+1)-th derivative at the mesh points between pieces j-1 and j (periodic)
        hm = 0.5 * (h + np.roll(h, 1))
        d1 = np.linalg.norm(dm - np.roll(dm, 1, axis=0), axis=1) / hm
        dd = 0.5 * (d1 + np.roll(d1, -1))  # per piece
        rho = dd ** (1.0 / (m + 1))
        floor = 1e-3 * rho.max() if rho.max() > 0 else 1.0
        rho = np.maximum(rho, floor)
        cum = np.concatenate([[0.0], np.cumsum(rho * h)])
        target = np.linspace(0.0, cum[-1], self.ntst + 1)
        new = np.interp(target, cum, mesh)
        new[0], new[-1] = 0.0, 1.0
        return new

    def split(self, U, r: int) -> np.ndarray:
        """Node values of the same piecewise polynomial on the mesh with every interval cut into
        ``r`` equal parts (NTST·r intervals; the nodes of sub-interval q of interval j sit at
        σ = (q + k/NCOL)/r), shape (NTST·r·NCOL, n)."""
        cache = getattr(self, "_split_cache", None)
        if cache is None or cache[0] != r:
            sig = ((np.arange(r)[:, None] + self.sigma[None, :-1]) / r).ravel()
            self._split_cache = cache = (r, _lagrange(self.sigma, sig)[0])  # (r·m, m+1)
        return np.einsum("sk,jkn->jsn", cache[1], U[self.idx]).reshape(-1, U.shape[1])

    def remesh(self, U, mesh, new_mesh):
        """Node values of the same piecewise polynomial on ``new_mesh`` (interpolated)."""
        return self.evaluate(U, mesh, self.node_times(new_mesh))

    def extrema(self, U, mesh, sub=12, fine=41):
        """Min and max of each state of the piecewise polynomial: sampling ``sub`` points per
        interval, then a fine grid between the neighbours of the extreme sample, then a parabola."""
        n = self.n
        h = np.diff(mesh)
        key = ("_Lsub", sub)
        Lsub = getattr(self, "_extrema_cache", {}).get(key)
        if Lsub is None:
            Lsub, _ = _lagrange(self.sigma, np.arange(sub) / sub)
            self._extrema_cache = {key: Lsub}
        Y = np.einsum("sk,jkn->jsn", Lsub, U[self.idx]).reshape(-1, n)
        tau = (mesh[:-1, None] + h[:, None] * (np.arange(sub) / sub)[None, :]).ravel()
        K = tau.size
        cols = np.arange(n)
        grid = np.linspace(-1.0, 1.0, fine)
        ks = np.concatenate([np.argmax(Y, axis=0), np.argmin(Y, axis=0)])  # (2n,)
        t0 = tau[ks]
        tm = t0 - np.where(ks - 1 >= 0, tau[(ks - 1) % K], tau[(ks - 1) % K] - 1.0)
        tp_ = np.where(ks + 1 < K, tau[(ks + 1) % K], tau[(ks + 1) % K] + 1.0) - t0
        tt = t0[:, None] + np.where(grid[None, :] < 0, grid[None, :] * tm[:, None], grid[None, :] * tp_[:, None])
        vals = self.evaluate(U, mesh, tt.ravel()).reshape(2 * n, fine, n)
        c2 = np.concatenate([cols, cols])
        v = vals[np.arange(2 * n), :, c2]  # (2n, fine)
        sign = np.concatenate([np.ones(n), -np.ones(n)])
        j = np.argmax(sign[:, None] * v, axis=1)
        jj = np.clip(np.stack([j - 1, j, j + 1], axis=1), 0, fine - 1)
        v3 = np.take_along_axis(v, jj, axis=1)
        den = v3[:, 0] - 2 * v3[:, 1] + v3[:, 2]
        inner = (j > 0) & (j < fine - 1) & (den != 0)
        best = np.where(inner, v3[:, 1] - 0.125 * (v3[:, 2] - v3[:, 0]) ** 2 / np.where(den != 0, den, 1.0), v3[:, 1])
        return best[n:], best[:n]


def _parity(perm) -> int:
    """The sign (+1/−1) of a permutation given as an index array: (−1)^(size − number of cycles)."""
    perm = np.asarray(perm)
    moved = np.flatnonzero(perm != np.arange(perm.size))
    if moved.size == 0:
        return 1
    seen = np.zeros(perm.size, dtype=bool)
    cycles = 0
    for start in moved:
        if not seen[start]:
            cycles += 1
            j = start
            while not seen[j]:
                seen[j] = True
                j = perm[j]
    return -1 if (moved.size - cycles) % 2 else 1


class CondensedLU:
    """Factorization of the bordered collocation Jacobian by condensation of parameters.

    As in AUTO, the unknowns inside each mesh interval are eliminated interval by interval:
    with the collocation block of interval j split as A_j = [A_j⁰ | A_j'] (first node | the
    NCOL others), the interior and end values follow from the first one,

        (δu_{j,1}, …, δu_{j,NCOL}) = A_j'⁻¹ (r_j − A_j⁰ δu_{j,0} − ∂_T r_j δT − ∂_p r_j δp),

    (all NTST small solves in one batched call). What is left is a cyclic block-bidiagonal
    system for the NTST mesh values, δT and δp, bordered by the (condensed) phase and arclength
    rows — n·NTST + 2 unknowns instead of n·NTST·NCOL + 2 —, factorized by sparse LU (SuperLU). The
    transfer matrices of the intervals, −(A_j'⁻¹A_j⁰)_end, multiply to the monodromy matrix.

    ``solve(b)`` solves the full system J x = b (same ordering as ``CollocationSystem.pack``).
    The blocks and borders may be complex (the twisted system v(1) = e^{iθ}v(0) of a
    Neimark–Sacker curve, :mod:`.ns_curves`); the solution is then complex.
    """

    def __init__(self, system: CollocationSystem, blocks, dT, dp, phase_grad, arc_row):
        import scipy.sparse.linalg as spla

        self.sys = s = system
        self.mesh = None  # set by the caller (the mesh the blocks were computed on)
        n, m, ntst = s.n, s.m, s.ntst
        nm = n * m
        A = blocks.transpose(0, 1, 3, 2, 4).reshape(ntst, nm, (m + 1) * n)
        A0, Ar = A[:, :, :n], A[:, :, n:]
        self.Ainv = Ainv = np.linalg.inv(Ar)
        rhs = np.concatenate([A0, dT.reshape(ntst, nm, 1), dp.reshape(ntst, nm, 1)], axis=2)
        self.S = S = Ainv @ rhs  # (ntst, nm, n+2): response to δu_j, δT, δp
        self.transfer = -S[:, -n:, :n]
        gU, gT, gp = arc_row
        # gradients split into mesh-node part (ntst, n) and interior part (ntst, n(m-1))
        G = phase_grad.reshape(ntst, m, n)
        Ga = np.asarray(gU).reshape(ntst, m, n)
        self.G_int = G[:, 1:, :].reshape(ntst, -1)
        self.A_int = Ga[:, 1:, :].reshape(ntst, -1)
        size = n * ntst + 2
        Send = S[:, -n:, :]  # (ntst, n, n+2)
        Sint = S[:, :-n, :]  # (ntst, n(m-1), n+2)
        border = np.empty((2, size), dtype=np.result_type(S, G, Ga))
        for r, (gmesh, gint, cT, cp) in enumerate(((G[:, 0, :], self.G_int, 0.0, 0.0), (Ga[:, 0, :], self.A_int, gT, gp))):
            sub = np.einsum("ja,jab->jb", gint, Sint)  # (ntst, n+2)
            border[r, : n * ntst] = (gmesh - sub[:, :n]).ravel()
            border[r, -2] = cT - sub[:, n].sum()
            border[r, -1] = cp - sub[:, n + 1].sum()
        # K: row block j: Send_j δu_j + δu_{j+1} + Send_j^T δT + Send_j^p δp = y_end; two border rows
        perm, indices, indptr = s._condensed_pattern()
        data = np.concatenate([Send[:, :, :n].ravel(), np.ones(n * ntst), Send[:, :, n].ravel(),
                               Send[:, :, n + 1].ravel(), border.ravel()])[perm]
        Ksp = sp.csc_matrix((data, indices, indptr), shape=(size, size))
        self.K = Ksp
        # SuperLU (single-threaded, sparse): ~(n + 2)·size non-zeros, little fill in natural order
        self.lu = spla.splu(Ksp, permc_spec="NATURAL", diag_pivot_thresh=0.1)

    def solve(self, b):
        s = self.sys
        n, m, ntst = s.n, s.m, s.ntst
        b = np.asarray(b)
        dtype = np.result_type(b, self.S, float)  # complex for a complex system (the NS curve's)
        bc = b[: n * s.N].reshape(ntst, n * m)
        y = np.einsum("jab,jb->ja", self.Ainv, bc)  # (ntst, nm)
        size = n * ntst + 2
        rhs = np.empty(size, dtype=dtype)
        rhs[: n * ntst] = y[:, -n:].ravel()
        yint = y[:, :-n]
        rhs[-2] = b[-2] - np.sum(self.G_int * yint)
        rhs[-1] = b[-1] - np.sum(self.A_int * yint)
        sol = self.lu.solve(rhs)
        du = sol[: n * ntst].reshape(ntst, n)
        coef = np.concatenate([du, np.broadcast_to(sol[-2:], (ntst, 2))], axis=1)  # (ntst, n+2)
        x_loc = y - np.einsum("jab,jb->ja", self.S, coef)  # (ntst, nm): nodes k=1..m
        out = np.empty(n * s.N + 2, dtype=dtype)
        U = out[: n * s.N].reshape(ntst, m, n)
        U[:, 0, :] = du
        U[:, 1:, :] = x_loc[:, :-n].reshape(ntst, m - 1, n)
        out[-2:] = sol[-2:]
        return out

    def log_det(self):
        """(sign, log|det J|) of the full bordered Jacobian J = [F_X; arc row] this object factorizes,
        up to a sign fixed by the sparsity pattern (the same for every J of one NTST and NCOL).

        Condensation is a block elimination: det J = ± Π_j det A_j' · det K, with A_j' the
        interior blocks (their inverses are kept; det A_j' = 1/det A_j'⁻¹) and K the condensed
        matrix, whose SuperLU factors P_r K P_c = L U (L unit lower triangular) give
        det K = sgn P_r · sgn P_c · Π U_ii. The sign changes where J becomes singular — at a simple
        branch point of the curve F(X) = 0 (a two-dimensional null space of F_X), not at a fold.
        Computed once (cached); costs one batched LU of the NTST small blocks.
        """
        if getattr(self, "_logdet", None) is None:
            s_inv, l_inv = np.linalg.slogdet(self.Ainv)
            d = self.lu.U.diagonal()
            sign = float(np.prod(s_inv) * np.prod(np.sign(d)))
            sign *= _parity(self.lu.perm_r) * _parity(self.lu.perm_c)
            with np.errstate(divide="ignore"):
                self._logdet = (sign, float(np.sum(np.log(np.abs(d))) - np.sum(l_inv)))
        return self._logdet

    def monodromy(self):
        """M = M_{NTST−1} ⋯ M_0 of the transfer matrices (explicit product)."""
        return product(self.transfer)
