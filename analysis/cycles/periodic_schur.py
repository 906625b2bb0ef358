"""Eigenvalues of a long matrix product without forming it: the periodic Schur decomposition.

The Floquet multipliers of a periodic orbit are the eigenvalues of the monodromy matrix
M = A_{K−1} ⋯ A_1 A_0, the product of the transfer matrices of the K mesh intervals. Forming M
and calling ``eig`` loses every multiplier much smaller than ‖M‖ (a product whose largest
multiplier is 1e14 keeps about two digits of the trivial multiplier 1). Instead, orthogonal
matrices Q_0, …, Q_{K−1} (Q_K ≡ Q_0) are found such that every transformed factor

    T_j = Q_{j+1}ᵀ A_j Q_j          (j = 0 … K−1)                                   (1)

is upper triangular, except T_{K−1}, which is upper *quasi*-triangular (1×1 and 2×2 diagonal
blocks): the *periodic real Schur form* (Bojanczyk, Golub & Van Dooren 1992; Hench & Laub
1994). Then Q_0ᵀ M Q_0 = T_{K−1} ⋯ T_0 is quasi-triangular, and an eigenvalue of a 1×1 block i
is a product of diagonal entries,

    μ_i = Π_j (T_j)_{ii},   log|μ_i| = Σ_j log|(T_j)_{ii}|,                            (2)

exact to about K·ε relative to |μ_i| itself: the algorithm is backward stable for each factor
separately (it computes the exact eigenvalues of A_j + E_j with ‖E_j‖ ≲ ε‖A_j‖), which is the
accuracy the data have. A 2×2 block (a complex pair) is triangularized in complex arithmetic
(step 4 below), so that (2) holds for it too, with complex diagonal entries. The log-moduli (2)
stay representable far beyond the floating-point range (|μ| = e^{±1000} is fine).

The algorithm (the periodic QR algorithm, in the Givens-rotation form of Watkins, "Product
eigenvalue problems", SIAM Review 47, 2005):

1. Triangularize A_0 … A_{K−2} by successive QR factorizations A_j Q_j = Q_{j+1} T_j, Q_0 = I.
2. Reduce T_{K−1} to upper Hessenberg form by rotations G acting on Q_0 (rows of T_{K−1},
   columns of T_0). A rotation on columns (i, i+1) of a triangular T_j fills the single entry
   (i+1, i); the left rotation that zeros it is a rotation of Q_{j+1}, i.e. of the columns of
   T_{j+1}: every rotation of Q_0 is "pushed" through the whole chain and comes back as a
   rotation of the columns of T_{K−1}.
3. Francis double-shift steps on the product (shifts: the eigenvalues of the trailing 2×2
   block of the product; first column of (M − σ₁)(M − σ₂) from the leading 3×2 block),
   the bulge chased down T_{K−1} with rotations pushed through the chain, until the
   subdiagonal entries h_{i+1,i} of T_{K−1} are negligible, |h_{i+1,i}| ≤ ε(|h_{ii}| + |h_{i+1,i+1}|).
   The shifts come from explicitly formed (normalized) small products, which may be inaccurate;
   that only slows convergence — every decision is taken on the exact chain.
4. A remaining 2×2 block: real single-shift steps (shift: the smaller eigenvalue of the formed
   2×2 product, or 0) split a real pair; a block that does not split is handed to a *complex*
   periodic QR on the 2×2 diagonal blocks alone, which triangularizes them with unitary
   rotations, so that both eigenvalues (a conjugate pair, or a real pair that would not split)
   are again products of diagonal entries, μ_k = Π_j (C_j)_{kk}.

A right eigenvector of a real eigenvalue in a 1×1 block k (:meth:`PeriodicSchur.eigenvector`;
for the trivial Floquet multiplier it is u̇(0)) is x = Q_0 (v, 1, 0, …, 0), v from the cyclic
recursion v_{j+1} = (T_j[:k, :k] v_j + T_j[:k, k]) / (T_j)_{kk}, v_K = v_0 — again without the
product.

Cost: O(K n³) flops per sweep. The kernels are numba-compiled (cached on disk) once
:func:`compile_kernels` has run or a cache exists — ≈ 0.1 ms per call for K = 50, n = 4;
compiling costs 9–24 s — and otherwise run as plain Python, 3.6 ms (n = 2) to 11 ms (n = 3)
per call for K = 50 (see "kernel selection" below).
"""
from __future__ import annotations

import os
import types
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["PeriodicSchur", "periodic_schur", "periodic_eigenvalues", "periodic_log_eigenvalues",
           "floquet_multipliers_from_transfer", "trivial_multiplier_error", "compile_kernels", "kernels_compiled"]

_EPS = float(np.finfo(float).eps)  # deflation threshold (a compile-time constant of the kernels)


# ============================================================================ compiled kernels
# A rotation of coordinates (i, i+1) is W = [[c, −s̄], [s, c]] with c ≥ 0 real and s real or
# complex (the kernels serve real sequences and the complex 2×2 stage alike; s̄ = s when real).
@njit(cache=True)
def _givens(a, b):
    """(c, s) of the rotation W with Wᴴ(a, b) = (r, 0), i.e. W e₁ ∝ (a, b)."""
    zero = b * 0
    if b == 0:
        return 1.0, zero
    if a == 0:
        return 0.0, zero + 1
    r = np.hypot(abs(a), abs(b))
    return abs(a) / r, (b / r) * np.conj(a / abs(a))  # s = c·b/a without overflow


@njit(cache=True)
def _rot_rows(T, i, c, s):
    """T ← Wᴴ T on rows (i, i+1)."""
    sc = np.conj(s)
    for k in range(T.shape[1]):
        a = T[i, k]
        b = T[i + 1, k]
        T[i, k] = c * a + sc * b
        T[i + 1, k] = -s * a + c * b


@njit(cache=True)
def _rot_cols(T, i, c, s):
    """T ← T W on columns (i, i+1)."""
    sc = np.conj(s)
    for k in range(T.shape[0]):
        a = T[k, i]
        b = T[k, i + 1]
        T[k, i] = c * a + s * b
        T[k, i + 1] = -sc * a + c * b


@njit(cache=True)
def _matmul(X, Y):
    """X @ Y by plain loops (small matrices; keeps BLAS out of the compiled kernels)."""
    out = np.zeros((X.shape[0], Y.shape[1]), dtype=X.dtype)
    for r in range(X.shape[0]):
        for k in range(X.shape[1]):
            x = X[r, k]
            for c in range(Y.shape[1]):
                out[r, c] += x * Y[k, c]
    return out


@njit(cache=True)
def _rotate_q0(T, Q0, i, c, s):
    """Q_0 ← Q_0 W (W the rotation (c, s) of coordinates i, i+1), keeping (1) triangular.

    T_{K−1} ← Wᴴ T_{K−1}; then for j = 0 … K−2 the rotation enters T_j from the right, the
    fill-in (i+1, i) is zeroed by a left rotation W' (a change of Q_{j+1}), and W' moves on to
    T_{j+1}; the last one enters T_{K−1} from the right.
    """
    K = T.shape[0]
    _rot_rows(T[K - 1], i, c, s)
    _rot_cols(Q0, i, c, s)
    for j in range(K - 1):
        Tj = T[j]
        _rot_cols(Tj, i, c, s)
        c, s = _givens(Tj[i, i], Tj[i + 1, i])
        _rot_rows(Tj, i, c, s)
        Tj[i + 1, i] = 0.0
    _rot_cols(T[K - 1], i, c, s)


@njit(cache=True)
def _chain_product(T, a, b, last):
    """(B, log s) with T_{last−1} ⋯ T_0 restricted to rows/columns a:b equal to s·B, max|B| = 1.

    For block-triangular factors the diagonal block of the product is the product of the
    diagonal blocks, so this is exact block algebra; the running normalization avoids overflow.
    """
    m = b - a
    B = np.zeros((m, m), dtype=T.dtype)
    for r in range(m):
        B[r, r] = 1.0
    W = np.empty((m, m), dtype=T.dtype)
    logs = 0.0
    for j in range(last):
        nrm = 0.0
        for r in range(m):
            for c in range(m):
                acc = T[j, a, a] * 0
                for k in range(m):
                    acc += T[j, a + r, a + k] * B[k, c]
                W[r, c] = acc
                nrm = max(nrm, abs(acc))
        if nrm == 0.0 or not np.isfinite(nrm):
            return W, logs
        for r in range(m):
            for c in range(m):
                B[r, c] = W[r, c] / nrm
        logs += np.log(nrm)
    return B, logs


@njit(cache=True)
def _negligible(H, i):
    """Whether the subdiagonal entry h_{i,i−1} may be set to zero (LAPACK's local criterion)."""
    h = abs(H[i, i - 1])
    ref = abs(H[i - 1, i - 1]) + abs(H[i, i])
    if ref == 0.0:
        ref = np.max(np.abs(H))
    return h <= _EPS * ref or h < 1e-300


@njit(cache=True)
def _francis_step(T, Q0, lo, hi, its):
    """One implicit double-shift step on the active window lo:hi+1 (size ≥ 3) of the product."""
    K = T.shape[0]
    H = T[K - 1]
    R1, l1 = _chain_product(T, lo, lo + 2, K - 1)
    p = _matmul(H[lo:lo + 3, lo:lo + 2], R1)  # leading 3×2 block of M/e^{l1}
    a = max(lo, hi - 2)
    R2, l2 = _chain_product(T, a, hi + 1, K - 1)
    q = _matmul(H[hi - 1:hi + 1, a:hi + 1], R2[:, hi - 1 - a:])
    d = l2 - l1
    if its % 10 == 9 or abs(d) > 300.0:
        s, t = 0.0, 0.0  # exceptional step: unshifted (one step of orthogonal iteration)
    else:
        f = np.exp(d)
        s = f * (q[0, 0] + q[1, 1])
        t = f * f * (q[0, 0] * q[1, 1] - q[0, 1] * q[1, 0])
        if its % 10 == 4:  # exceptional shift: same modulus, rotated
            s = 0.0
            t = abs(t)
    x0 = p[0, 0] * p[0, 0] + p[0, 1] * p[1, 0] - s * p[0, 0] + t
    x1 = p[1, 0] * (p[0, 0] + p[1, 1] - s)
    x2 = p[1, 0] * p[2, 1]
    scale = abs(x0) + abs(x1) + abs(x2)
    if scale == 0.0 or not np.isfinite(scale):
        x0, x1, x2 = 1.0, 1.0, 1.0  # degenerate: any non-trivial rotation
    else:
        x0, x1, x2 = x0 / scale, x1 / scale, x2 / scale
    c1, s1 = _givens(x1, x2)
    r1 = c1 * x1 + s1 * x2
    c2, s2 = _givens(x0, r1)
    _rotate_q0(T, Q0, lo + 1, c1, s1)
    _rotate_q0(T, Q0, lo, c2, s2)
    # chase the bulge down the Hessenberg factor
    for k in range(lo, hi - 1):
        if k + 3 <= hi:
            c, s = _givens(H[k + 2, k], H[k + 3, k])
            _rotate_q0(T, Q0, k + 2, c, s)
            H[k + 3, k] = 0.0
        c, s = _givens(H[k + 1, k], H[k + 2, k])
        _rotate_q0(T, Q0, k + 1, c, s)
        H[k + 2, k] = 0.0


@njit(cache=True)
def _single_step(T, Q0, lo, its):
    """One real single-shift step on a 2×2 window lo:lo+2 (splits a pair of real eigenvalues).

    The shift is the eigenvalue of smaller modulus of the formed (normalized) 2×2 product: then
    (B − σ)e₁ is the dominant eigenvector, which the formed product gives accurately even when
    |e₂| ≪ |e₁|, and the larger eigenvalue moves to the top. When the formed product looks
    complex (it may be wrong for a strongly non-normal sequence) or every third step, σ = 0
    (an unshifted step: one step of orthogonal iteration through the exact chain).
    """
    K = T.shape[0]
    B, _ = _chain_product(T, lo, lo + 2, K)
    tr = B[0, 0] + B[1, 1]
    det = B[0, 0] * B[1, 1] - B[0, 1] * B[1, 0]
    disc = 0.25 * tr * tr - det
    sigma = 0.0
    if disc >= 0.0 and its % 3 != 2:
        root = np.sqrt(disc)
        e1 = 0.5 * tr + root
        e2 = 0.5 * tr - root
        sigma = e2 if abs(e2) < abs(e1) else e1
    c, s = _givens(B[0, 0] - sigma, B[1, 0])
    if s == 0.0:
        c, s = _givens(1.0, 1.0)
    _rotate_q0(T, Q0, lo, c, s)


@njit(cache=True)
def _complex_pair(T, lo, max_steps):
    """Eigenvalues of the 2×2 diagonal block lo:lo+2 of the product by the complex periodic QR
    algorithm on the 2×2 blocks alone (they carry those eigenvalues exactly): single-shift
    steps with unitary rotations until the block of T_{K−1} is triangular, then
    μ_k = Π_j (C_j)_{kk}. Returns (log|μ₀|, arg μ₀, log|μ₁|, arg μ₁, converged)."""
    K = T.shape[0]
    C = np.empty((K, 2, 2), dtype=np.complex128)
    for j in range(K):
        for a in range(2):
            for b in range(2):
                C[j, a, b] = T[j, lo + a, lo + b]
    H = C[K - 1]
    Qd = np.eye(2, dtype=np.complex128)  # the rotations of Q_0 (not needed)
    done = False
    for step in range(max_steps):
        if _negligible(H, 1):
            done = True
            break
        # shift: an eigenvalue of the formed, normalized 2×2 product (only steers convergence)
        B, _ = _chain_product(C, 0, 2, K)
        tr = B[0, 0] + B[1, 1]
        det = B[0, 0] * B[1, 1] - B[0, 1] * B[1, 0]
        root = np.sqrt(0.25 * tr * tr - det)
        e1 = 0.5 * tr + root
        e2 = 0.5 * tr - root
        if abs(e1) > 10.0 * abs(e2) or abs(e2) > 10.0 * abs(e1):
            sigma = e2 if abs(e2) < abs(e1) else e1
        else:
            sigma = e1 if abs(e1 - B[1, 1]) < abs(e2 - B[1, 1]) else e2
        if step % 5 == 4:
            sigma = 0.0 + 0j
        c, s = _givens(B[0, 0] - sigma, B[1, 0])
        if s == 0:
            c, s = _givens(1.0 + 0j, 1.0j)
        _rotate_q0(C, Qd, 0, c, s)
    H[1, 0] = 0.0
    l0, l1, p0, p1 = 0.0, 0.0, 0.0, 0.0
    for j in range(K):
        l0 += np.log(abs(C[j, 0, 0]))
        l1 += np.log(abs(C[j, 1, 1]))
        p0 += np.angle(C[j, 0, 0])
        p1 += np.angle(C[j, 1, 1])
    return l0, p0, l1, p1, done


@njit(cache=True)
def _eigenvector_top(T, k):
    """The part above position k of the product's eigenvector for the 1×1 block k.

    The eigenvector of T_{K−1} ⋯ T_0 is y = (v, 1, 0, …, 0) with v (k,) solving the cyclic
    recursion v_{j+1} = (T_j[:k, :k] v_j + T_j[:k, k]) / (T_j)_{kk}, v_K = v_0 (the vectors
    y_j = (v_j, 1, 0…) satisfy T_j y_j = (T_j)_{kk} y_{j+1}). The composed affine map
    v_K = e^{a}F v_0 + e^{b} g is accumulated with separate running scales; returns (F, g, a, b)
    (the caller solves (I − e^{a}F) v_0 = e^{b} g).
    """
    K = T.shape[0]
    F = np.eye(k)
    g = np.zeros((k, 1))
    a = 0.0
    b = 0.0
    for j in range(K):
        d = T[j, k, k]
        T11 = T[j, :k, :k]
        F = _matmul(T11, F) / d
        sF = np.max(np.abs(F))
        if sF > 0.0:
            F = F / sF
            a += np.log(sF)
        g = (_matmul(T11, g) + np.exp(-b) * T[j, :k, k:k + 1]) / d
        sg = np.max(np.abs(g))
        if sg > 0.0:
            g = g / sg
            b += np.log(sg)
    return F, g, a, b


@njit(cache=True)
def _hessenberg_triangular(A):
    """Steps 1–2: (T, Q_0) with T_0 … T_{K−2} upper triangular and T_{K−1} upper Hessenberg."""
    K, n, _ = A.shape
    T = np.empty_like(A)
    Q = np.eye(n)
    for j in range(K - 1):  # Givens QR of A_j Q_j: T_j = Wᵀ A_j Q_j, Q_{j+1} = W
        Tj = _matmul(A[j], Q)
        W = np.eye(n)
        for col in range(n - 1):
            for r in range(n - 1, col, -1):
                c, s = _givens(Tj[r - 1, col], Tj[r, col])
                _rot_rows(Tj, r - 1, c, s)
                Tj[r, col] = 0.0
                _rot_cols(W, r - 1, c, s)
        T[j] = Tj
        Q = W
    T[K - 1] = _matmul(A[K - 1], Q)
    Q0 = np.eye(n)
    H = T[K - 1]
    for k in range(n - 2):
        for i in range(n - 1, k + 1, -1):
            c, s = _givens(H[i - 1, k], H[i, k])
            _rotate_q0(T, Q0, i - 1, c, s)
            H[i, k] = 0.0
    return T, Q0


def _periodic_qr(A, max_sweeps):
    """Periodic real Schur form of the sequence A (K, n, n). Returns (T, Q0, ok, sweeps).

    The driver runs in Python (a few dozen calls at most); each call is a compiled sweep over
    the K factors. (One compiled driver would inline every kernel and take minutes to compile.)
    """
    n = A.shape[1]
    T, Q0 = _hessenberg_triangular(A)
    H = T[-1]
    hi = n - 1
    its = 0
    sweeps = 0
    while hi > 0:
        lo = hi
        while lo > 0:
            if _negligible(H, lo):
                H[lo, lo - 1] = 0.0
                break
            lo -= 1
        if lo == hi:
            hi -= 1
            its = 0
            continue
        if lo == hi - 1:
            if its >= 6:
                hi -= 2  # a complex pair (or a real pair that would not split): see _complex_pair
                its = 0
                continue
            _single_step(T, Q0, lo, its)
        else:
            _francis_step(T, Q0, lo, hi, its)
        its += 1
        sweeps += 1
        if sweeps > max_sweeps:
            return T, Q0, False, sweeps
    return T, Q0, True, sweeps


# ============================================================================ kernel selection
# Compiling the kernels costs ≈ 9 s (idle machine) to 24 s (busy 2-core machine, measured inside the
# gallery) once per environment; afterwards they load from numba's disk cache and a call costs
# ≈ 0.1 ms (K = 50, n = 4). The same kernels run as plain Python take 3.6 ms (n = 2) and 11 ms
# (n = 3) per call, measured on fast-m HH and FitzHugh–Nagumo orbits — cheaper than compiling for
# the few hundred calls of a gallery. So the compiled kernels are used once they are on disk (or
# compiled in this process, e.g. by :func:`compile_kernels`) or when n is large; else plain Python.
_KERNEL_NAMES = ("_givens", "_rot_rows", "_rot_cols", "_matmul", "_rotate_q0", "_chain_product", "_negligible",
                 "_francis_step", "_single_step", "_complex_pair", "_eigenvector_top", "_hessenberg_triangular",
                 "_periodic_qr")
_COMPILE_ABOVE_N = 8  # plain Python grows as K·n³ interpreted steps: compile for larger n


def _namespace(interpreted: bool) -> types.SimpleNamespace:
    """The kernels, compiled (the module's numba dispatchers) or as plain Python functions (copies
    of the same code whose globals point at each other's plain versions)."""
    g = globals()
    if not interpreted:
        return types.SimpleNamespace(**{k: g[k] for k in _KERNEL_NAMES})
    ns = dict(g)
    for k in _KERNEL_NAMES:
        f = getattr(g[k], "py_func", g[k])
        ns[k] = types.FunctionType(f.__code__, ns, f.__name__, f.__defaults__, f.__closure__)
    return types.SimpleNamespace(**{k: ns[k] for k in _KERNEL_NAMES})


_COMPILED = _namespace(False)
_INTERPRETED = _namespace(True)


def kernels_compiled() -> bool:
    """True when every compiled kernel is compiled in this process or has an entry in numba's
    disk cache (so that using them costs no compilation)."""
    for k in _KERNEL_NAMES:
        d = globals()[k]
        if not hasattr(d, "py_func") or d.signatures:
            continue
        cache = getattr(d, "_cache", None)
        index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
        if index is None or not os.path.exists(index):
            return False
    return True


def compile_kernels() -> None:
    """Compile the kernels (and write numba's disk cache) by one small real and one complex case,
    so that later calls — in this and future processes — take the compiled route."""
    rng = np.random.default_rng(0)
    rot = np.array([[0.6, -0.8], [0.8, 0.6]])
    for A in (rng.normal(size=(3, 3, 3)), np.stack([rot, np.eye(2)])):
        _finish(A, *_COMPILED._periodic_qr(np.ascontiguousarray(A), 90), _COMPILED)
    _COMPILED._eigenvector_top(np.ascontiguousarray(np.stack([np.triu(np.ones((3, 3)))] * 2)), 2)


def _kernels(n: int) -> types.SimpleNamespace:
    return _COMPILED if n > _COMPILE_ABOVE_N or kernels_compiled() else _INTERPRETED


# ============================================================================ public interface
@dataclass(frozen=True, eq=False)
class PeriodicSchur:
    """The periodic real Schur form (1) of a sequence A_0 … A_{K−1} and the eigenvalues of
    the product A_{K−1} ⋯ A_0.

    ``factors`` (K, n, n): T_j (upper triangular, the last quasi-triangular); ``schur_vectors``
    (n, n): Q_0, so that A_{K−1} ⋯ A_0 = Q_0 (T_{K−1} ⋯ T_0) Q_0ᵀ; ``log_moduli`` (n,): log|μ|;
    ``phases`` (n,): arg μ (0 or π for real μ); μ_i = exp(log_moduli_i + i·phases_i), in the
    order of the diagonal blocks. ``converged`` is False when the QR iteration did not reach
    the quasi-triangular form within its sweep budget (the remaining block's eigenvalues then
    come from its explicitly formed, normalized product — less accurate); ``message`` says so.
    """

    factors: np.ndarray
    schur_vectors: np.ndarray
    log_moduli: np.ndarray
    phases: np.ndarray
    converged: bool
    sweeps: int
    message: str

    @property
    def eigenvalues(self) -> np.ndarray:
        """μ (complex, n); moduli beyond the float range overflow to inf or underflow to 0 —
        use ``log_moduli`` there."""
        with np.errstate(over="ignore", under="ignore"):
            r = np.exp(self.log_moduli)
        real = (self.phases == 0.0) | (self.phases == np.pi)
        with np.errstate(invalid="ignore"):
            out = np.where(real, r * np.where(self.phases == 0.0, 1.0, -1.0), r * np.exp(1j * self.phases))
        return out.astype(complex)

    def eigenvector(self, k: int) -> np.ndarray:
        """Unit right eigenvector x of A_{K−1} ⋯ A_0 for the real eigenvalue number ``k`` (a 1×1
        diagonal block; e.g. the trivial Floquet multiplier, whose eigenvector is u̇(0)), computed
        from the periodic Schur form without forming the product: x = Q_0 (v, 1, 0, …)."""
        n = self.schur_vectors.shape[0]
        H = self.factors[-1]
        if not 0 <= k < n or (k + 1 < n and H[k + 1, k] != 0.0) or (k > 0 and H[k, k - 1] != 0.0):
            raise ValueError(f"eigenvalue {k} is not a real eigenvalue in a 1×1 block of the periodic Schur "
                             f"form (n = {n}); pick an index k in 0…{n - 1} of a real eigenvalue (phases[k] "
                             "0 or π) that is not part of a 2×2 block")
        y = np.zeros(n)
        y[k] = 1.0
        if k > 0:
            F, g, a, b = _kernels(n)._eigenvector_top(self.factors, k)
            with np.errstate(over="ignore", under="ignore"):
                if a > 0.0:  # an expanding cycle map: divide by its scale
                    y[:k] = np.linalg.solve(np.exp(-a) * np.eye(k) - F, np.exp(b - a) * g[:, 0])
                else:
                    y[:k] = np.linalg.solve(np.eye(k) - np.exp(a) * F, np.exp(b) * g[:, 0])
        x = self.schur_vectors @ y
        return x / np.linalg.norm(x)


def _as_sequence(matrices) -> np.ndarray:
    A = np.array(matrices, dtype=float, copy=True)
    if A.ndim != 3 or A.shape[1] != A.shape[2] or A.shape[0] == 0 or A.shape[1] == 0:
        raise ValueError(f"matrices must have shape (K, n, n) with K, n ≥ 1, got {np.shape(matrices)}; "
                         "pass the factors A_0 … A_{K−1} of the product stacked along the first axis")
    if not np.all(np.isfinite(A)):
        raise ValueError("matrices contain non-finite entries (nan or inf); the factors of the product "
                         "must be finite — check the Jacobian the transfer matrices come from")
    return np.ascontiguousarray(A)


def _block_eigen(T, a, b, kern):
    """(log-moduli, phases, exact) of the eigenvalues of the diagonal block a:b of the product;
    ``exact`` is False when they had to come from the formed product of the block."""
    K = T.shape[0]
    m = b - a
    if m == 1:
        d = T[:, a, a]
        with np.errstate(divide="ignore"):
            logm = float(np.sum(np.log(np.abs(d))))
        neg = int(np.sum(d < 0)) % 2
        return np.array([logm]), np.array([np.pi if neg else 0.0]), True
    if m == 2:
        l0, p0, l1, p1, done = kern._complex_pair(T, a, 60)
        p0, p1 = np.angle(np.exp(1j * p0)), np.angle(np.exp(1j * p1))  # wrap to (−π, π]
        if done:
            if abs(np.sin(p0)) > 1e-7 and abs(np.sin(p1)) > 1e-7 and np.sign(p0) != np.sign(p1):
                lm, ph = 0.5 * (l0 + l1), 0.5 * (abs(p0) + abs(p1))  # a conjugate pair
                return np.array([lm, lm]), np.array([ph, -ph]), True
            # a real pair (that the real steps could not split): snap the phases to 0 or π
            snap = np.where(np.abs(np.array([p0, p1])) > 0.5 * np.pi, np.pi, 0.0)
            return np.array([l0, l1]), snap, True
    B, logs = kern._chain_product(T, a, b, K)
    ev = np.linalg.eigvals(B)
    with np.errstate(divide="ignore"):
        return np.log(np.abs(ev)) + logs, np.angle(ev).astype(float), False


def periodic_schur(matrices, *, max_sweeps: int | None = None) -> PeriodicSchur:
    """The periodic real Schur form of the factors ``matrices`` = (A_0, …, A_{K−1}), shape
    (K, n, n), of the product A_{K−1} ⋯ A_1 A_0 (A_0 acts first), and its eigenvalues.

    Each eigenvalue is accurate relative to its own modulus (not to the largest one) whenever it
    is well conditioned with respect to small relative perturbations of the individual factors.
    ``max_sweeps`` (default 30·n) bounds the number of QR steps; the result's ``converged`` and
    ``message`` report whether the form was reached. Raises ValueError for a shape other than
    (K, n, n) or non-finite entries.
    """
    A = _as_sequence(matrices)
    K, n, _ = A.shape
    if max_sweeps is None:
        max_sweeps = 30 * n
    kern = _kernels(n)
    if n == 1:
        T, Q0, ok, sweeps = A, np.eye(1), True, 0
    else:
        T, Q0, ok, sweeps = kern._periodic_qr(A, int(max_sweeps))
    return _finish(A, T, Q0, ok, sweeps, kern, max_sweeps)


def _finish(A, T, Q0, ok, sweeps, kern, max_sweeps=0):
    """The PeriodicSchur result from the converged (or not) chain T and Q_0."""
    n = A.shape[1]
    H = T[-1]
    # the diagonal blocks: split where the subdiagonal of T_{K−1} is zero (all 1×1 or 2×2 if ok)
    cuts = [0] + [k for k in range(1, n) if H[k, k - 1] == 0.0] + [n]
    logm, ph = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        lm, p, exact = _block_eigen(T, a, b, kern)
        ok = ok and exact
        logm.append(lm)
        ph.append(p)
    if ok:
        message = f"periodic Schur form reached in {sweeps} QR steps"
    else:
        message = (f"the periodic QR iteration did not reach the quasi-triangular form in {max_sweeps} steps "
                   "(or a 2×2 block did not triangularize); the eigenvalues of those blocks come from their "
                   "explicitly formed product and may be inaccurate (raise max_sweeps)")
    return PeriodicSchur(factors=T, schur_vectors=Q0, log_moduli=np.concatenate(logm),
                         phases=np.concatenate(ph), converged=bool(ok), sweeps=int(sweeps), message=message)


def periodic_log_eigenvalues(matrices) -> tuple[np.ndarray, np.ndarray]:
    """(log|μ|, arg μ) of the eigenvalues μ of A_{K−1} ⋯ A_0, representable beyond the float range."""
    ps = periodic_schur(matrices)
    return ps.log_moduli, ps.phases


def periodic_eigenvalues(matrices) -> np.ndarray:
    """Eigenvalues (complex, n) of the product A_{K−1} ⋯ A_1 A_0 of ``matrices`` (K, n, n),
    computed without forming the product, each accurate relative to its own modulus; in the
    order of the periodic Schur form (see :func:`periodic_schur`)."""
    return periodic_schur(matrices).eigenvalues


def floquet_multipliers_from_transfer(transfer) -> np.ndarray:
    """Floquet multipliers (complex, n) sorted by decreasing modulus from the transfer matrices
    ``transfer`` (NTST, n, n) of the mesh intervals in the order M_0 … M_{NTST−1}
    (monodromy M = M_{NTST−1} ⋯ M_0), without forming M."""
    ps = periodic_schur(transfer)
    order = np.argsort(-ps.log_moduli, kind="stable")
    return ps.eigenvalues[order]


def trivial_multiplier_error(mu) -> float:
    """|μ_trivial − 1| with μ_trivial the multiplier closest to 1 (the discretization's accuracy
    check: the continuous problem has the multiplier 1 exactly)."""
    mu = np.asarray(mu)
    if mu.size == 0:
        raise ValueError("trivial_multiplier_error needs at least one multiplier, got an empty array")
    return float(np.min(np.abs(mu - 1.0)))
