"""First Lyapunov coefficient at a Hopf point (Kuznetsov's invariant formula).

At an equilibrium x₀ with Jacobian A = f_x(x₀) having a simple pair of eigenvalues ±iω (ω > 0)
and no other eigenvalue on the imaginary axis, write the Taylor expansion

    f(x₀ + u) = A u + ½ B(u, u) + ⅙ C(u, u, u) + O(|u|⁴)

with the symmetric multilinear forms B (second derivatives) and C (third derivatives). Let

    A q = iω q,   Aᵀ p = −iω p,   ⟨q, q⟩ = 1,   ⟨p, q⟩ = 1,   ⟨u, v⟩ = ū·v.

The first Lyapunov coefficient is (Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed.,
eq. (3.20)/(5.39))

    l1 = 1/(2ω) · Re[ ⟨p, C(q, q, q̄)⟩ − 2⟨p, B(q, A⁻¹B(q, q̄))⟩
                     + ⟨p, B(q̄, (2iω I − A)⁻¹ B(q, q))⟩ ].

l1 < 0: supercritical Hopf (a stable cycle is born); l1 > 0: subcritical (an unstable cycle).
This normalization is MatCont's; for the planar normal form
ż = (α + iω)z + c₁ z|z|² written in x = √2 Re z, y = √2 Im z coordinates, l1 = Re c₁/ω.
The units are those of the state and time (for HH: 1/(ms·mV²) to leading order).

B and C are evaluated by finite differences of the *analytic Jacobian* along real directions
(complex arguments by multilinearity):

    D J[u]      ≈ (J(x + h u) − J(x − h u)) / (2h)                       (h = 1e-3, |u| = 1)
    D²J[u, u]   ≈ (J(x + h u) − 2 J(x) + J(x − h u)) / h²                 (h = 2e-3)
    B(u, v) = D J[u] v,    C(u, v, w) = D²J[u, v] w  (D²J[u, v] by polarization).

each evaluated at steps h and 2h and combined by Richardson extrapolation, (4D_h − D_2h)/3, so
the truncation error is O(h⁴) and the rounding error stays near 1e-16·|J|/h². Both are exact
for polynomial vector fields of degree ≤ 3 (up to rounding), and l1 of the HH model is
reproducible to ~1e-8 relative.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hhdyn.newton import batch_jacobian

__all__ = ["HopfNormalForm", "first_lyapunov_coefficient", "multilinear_B", "multilinear_C", "hopf_eigenvectors"]

#: Steps of the Richardson-extrapolated differences of the Jacobian: h for D J[d] (error
#: O(h⁴) + eps·|J|/h) and for D²J[d, d] (O(h⁴) + eps·|J|/h²). For the second differences the
#: round-off term dominates at small h: h = 1e-2 (along a unit direction) makes the HH l1
#: reproducible to ~1e-11 (2e-3 gave ~1e-9), with truncation ~1e-14 relative for voltage
#: scales ≥ 10 mV.
_H_B = 1e-3
_H_C = 1e-2


def _jac(model, x, params):
    return np.asarray(model.jacobian(x, params), dtype=float)


def _stencils(model, x, params, pairs):
    """Jacobians at x ± h·û and x ± 2h·û for each (d, h) in ``pairs`` (û = d/|d|), batched.

    Returns a list with, per pair, None (d = 0) or (|d|, h, J(x+hû), J(x−hû), J(x+2hû), J(x−2hû)).
    """
    X, layout = [], []
    for d, h in pairs:
        nd = float(np.linalg.norm(d))
        if nd == 0.0:
            layout.append(None)
            continue
        u = d / nd
        layout.append((nd, h, len(X)))
        X.extend([x + h * u, x - h * u, x + 2 * h * u, x - 2 * h * u])
    Js = batch_jacobian(model, np.array(X).T, params) if X else None
    return [None if item is None else (item[0], item[1], *Js[item[2]:item[2] + 4]) for item in layout]


def _first(stencil, n):
    """D J[d] from a stencil: (4·central(h) − central(2h))/3 (Richardson, error O(h⁴))."""
    if stencil is None:
        return np.zeros((n, n))
    nd, h, Jp, Jm, Jp2, Jm2 = stencil
    return (4.0 * (Jp - Jm) / (2.0 * h) - (Jp2 - Jm2) / (4.0 * h)) / 3.0 * nd


def _second(stencil, J0):
    """D²J[d, d] from a stencil: (4·second(h) − second(2h))/3 (Richardson)."""
    if stencil is None:
        return np.zeros_like(J0)
    nd, h, Jp, Jm, Jp2, Jm2 = stencil
    return (4.0 * (Jp - 2.0 * J0 + Jm) / (h * h) - (Jp2 - 2.0 * J0 + Jm2) / (4.0 * h * h)) / 3.0 * (nd * nd)


def directional_jacobians(model, x, ds, params=None) -> list:
    """[D f_x[d] for d in ds]: Richardson-extrapolated central differences of the Jacobian along
    each real vector d (steps h = 1e-3 and 2h along d/|d|, one batched Jacobian call)."""
    x = np.asarray(x, dtype=float)
    return [_first(st, x.size) for st in _stencils(model, x, params, [(np.asarray(d, dtype=float), _H_B) for d in ds])]


def _dJ_real(model, x, d, params, h=None):
    """Directional derivative D J[d] for a real vector d (Richardson-extrapolated central
    differences, steps h and 2h)."""
    return _first(_stencils(model, x, params, [(d, _H_B if h is None else h)])[0], x.size)


def _d2J_diag(model, x, d, params, J0, h=None):
    """D²J[d, d] for a real vector d (Richardson-extrapolated second differences)."""
    return _second(_stencils(model, x, params, [(d, _H_C if h is None else h)])[0], J0)


def multilinear_B(model, x, u, v, params=None):
    """B(u, v) = Σ_jk ∂²f/∂x_j∂x_k u_j v_k at x (complex u, v allowed)."""
    x = np.asarray(x, dtype=float)
    u = np.asarray(u, dtype=complex)
    v = np.asarray(v, dtype=complex)
    st = _stencils(model, x, params, [(u.real, _H_B), (u.imag, _H_B)])
    dJ = _first(st[0], x.size) + 1j * _first(st[1], x.size)
    return dJ @ v


def multilinear_C(model, x, u, v, w, params=None):
    """C(u, v, w) = Σ_jkl ∂³f/∂x_j∂x_k∂x_l u_j v_k w_l at x (complex arguments allowed).

    D²J[u, v] for real u ≠ v by polarization: ¼(D²J[u+v, u+v] − D²J[u−v, u−v]).
    """
    x = np.asarray(x, dtype=float)
    u, v, w = (np.asarray(a, dtype=complex) for a in (u, v, w))
    J0 = _jac(model, x, params)
    combos = [(u.real, v.real, 1.0), (u.imag, v.imag, -1.0), (u.real, v.imag, 1j), (u.imag, v.real, 1j)]
    pairs = []
    for a, b, _ in combos:
        pairs += [(a + b, _H_C), (a - b, _H_C)]
    st = _stencils(model, x, params, pairs)
    D = np.zeros((x.size, x.size), dtype=complex)
    for k, (_, _, coef) in enumerate(combos):
        D += coef * 0.25 * (_second(st[2 * k], J0) - _second(st[2 * k + 1], J0))
    return D @ w


def hopf_eigenvectors(A, omega=None):
    """(ω, q, p) for the eigenvalue pair of A nearest the imaginary axis (or nearest iω).

    q: A q = iω q, ⟨q, q⟩ = 1, the largest component real and positive; p: Aᵀ p = −iω p,
    ⟨p, q⟩ = p̄·q = 1.
    """
    A = np.asarray(A, dtype=float)
    lam, vecs = np.linalg.eig(A)
    upper = np.flatnonzero(lam.imag > 0)
    if upper.size == 0:
        raise ValueError("the Jacobian has no complex eigenvalue pair: not a Hopf point")
    if omega is None:
        k = upper[np.argmin(np.abs(lam[upper].real))]
    else:
        k = upper[np.argmin(np.abs(lam[upper] - 1j * omega))]
    w = float(lam[k].imag)
    q = vecs[:, k].astype(complex)
    q = q / np.linalg.norm(q)
    j = int(np.argmax(np.abs(q)))
    q = q * (abs(q[j]) / q[j])
    # left eigenvector: null vector of (Aᵀ + iω I), refined by inverse iteration
    M = A.T + 1j * w * np.eye(A.shape[0])
    _, _, vh = np.linalg.svd(M)
    p = vh[-1].conj()
    s = np.vdot(p, q)  # p̄·q
    p = p / np.conj(s)
    return w, q, p


@dataclass(frozen=True)
class HopfNormalForm:
    """First Lyapunov coefficient and the data it was computed from.

    ``l1`` (Kuznetsov/MatCont normalization), ``omega`` (rad per time unit), ``q`` and ``p``
    (right and left critical eigenvectors, ⟨q,q⟩ = ⟨p,q⟩ = 1), ``real_part`` (real part of the
    critical eigenvalue, a check of how exactly this is a Hopf point).
    """

    l1: float
    omega: float
    q: np.ndarray
    p: np.ndarray
    real_part: float

    @property
    def criticality(self) -> str:
        return "subcritical" if self.l1 > 0 else "supercritical" if self.l1 < 0 else "degenerate"


def first_lyapunov_coefficient(model, x, params=None, *, omega=None) -> HopfNormalForm:
    """l1 at the (Hopf) equilibrium ``x`` of ``model`` (see the module docstring for the formula).

    ``params`` are overrides at which to evaluate (e.g. ``{"I_ext": 9.78}``); ``omega`` picks the
    critical pair when several are near the imaginary axis.
    """
    x = np.asarray(x, dtype=float)
    A = _jac(model, x, params)
    lam = np.linalg.eigvals(A)
    w, q, p = hopf_eigenvectors(A, omega)
    re = float(lam[np.argmin(np.abs(lam - 1j * w))].real)
    n = x.size
    qb = q.conj()
    # all finite-difference Jacobians in one batched call: D J[a], D J[b] (q = a + ib) for B,
    # D²J along a, b, a ± b for C; D J[q̄] = conj(D J[q]) since J is real
    a_, b_ = q.real, q.imag
    st = _stencils(model, x, params, [(a_, _H_B), (b_, _H_B), (a_, _H_C), (b_, _H_C),
                                      (a_ + b_, _H_C), (a_ - b_, _H_C)])
    dJq = _first(st[0], n) + 1j * _first(st[1], n)
    Bqq = dJq @ q
    Bqqb = dJq @ qb
    D2aa, D2bb = _second(st[2], A), _second(st[3], A)
    D2ab = 0.25 * (_second(st[4], A) - _second(st[5], A))
    Cqqqb = (D2aa - D2bb + 2j * D2ab) @ qb
    s1 = np.linalg.solve(A, Bqqb.real)  # B(q, q̄) is real
    s2 = np.linalg.solve(2j * w * np.eye(n) - A, Bqq)
    term = np.vdot(p, Cqqqb) - 2.0 * np.vdot(p, dJq @ s1) + np.vdot(p, dJq.conj() @ s2)
    l1 = float(term.real / (2.0 * w))
    return HopfNormalForm(l1=l1, omega=w, q=q, p=p, real_part=re)
