"""An HH written out by hand, independent of hhdyn's model layer, and Floquet multipliers from its
integrated variational equations: the reference of the tests of two-parameter cycle curves
(``tests/analysis/test_cycle_curves.py``, ``test_pd_curves.py``), given to them as the
``hh_reference`` fixture (``tests/conftest.py``)."""
from __future__ import annotations

import numpy as np


def _vtrap(x):
    """x/(1 − e^(−x)), with expm1: the naive form cancels near x = 0 (V = −40, −55 mV), where its
    complex-step derivative is then wrong — 1e7 instead of 1/2 at x = 3e-12 — and DOP853's steps
    collapse (measured with OpenBLAS's Prescott kernels, whose orbit passed that close)."""
    return x / -np.expm1(-x)


def hh_rhs(y, I, gK, T):
    """HH (Hodgkin & Huxley 1952, modern sign convention, rest ≈ −65 mV), rates × 3^((T − 6.3)/10);
    y (4, ...) real or complex, parameters broadcast."""
    V, m, h, n = y
    phi = 3.0 ** ((T - 6.3) / 10.0)
    am = _vtrap((V + 40.0) / 10.0)
    bm = 4.0 * np.exp(-(V + 65.0) / 18.0)
    ah = 0.07 * np.exp(-(V + 65.0) / 20.0)
    bh = 1.0 / (1.0 + np.exp(-(V + 35.0) / 10.0))
    an = 0.1 * _vtrap((V + 55.0) / 10.0)
    bn = 0.125 * np.exp(-(V + 65.0) / 80.0)
    dV = I - 120.0 * m**3 * h * (V - 50.0) - gK * n**4 * (V + 77.0) - 0.3 * (V + 54.387)
    return np.stack([dV, phi * (am * (1 - m) - bm * m), phi * (ah * (1 - h) - bh * h), phi * (an * (1 - n) - bn * n)])


def monodromies(curve, I, gK, temp, rtol=1e-12, only=None):
    """Monodromy matrices of every orbit of ``curve`` from the variational equations integrated
    with DOP853 piece by piece: on each mesh interval [τ_j, τ_{j+1}] from the orbit's value there,
    dy/ds = h_j T f(y), dΦ/ds = h_j T f_y Φ (f_y Φ by complex steps), M = Π Φ_j. (One integration
    over the whole period would leave an unstable orbit — |μ| up to 3e5 on these curves — by 3e5 ×
    its error.) The pieces of one orbit are integrated together; scipy's error norm is the RMS over
    the components, hence rtol 1e-12 — and 1e-13 for the orbits where that leaves the answer in
    doubt (with 1e-12 the second multiplier of one orbit measured 2e-5 from 1, with 1e-13 4e-10:
    the integration, not the orbit, was off). ``only``: the indices to integrate (default all).
    Returns (Ms, largest mismatch between a piece's end and the orbit's next mesh value)."""
    from scipy.integrate import solve_ivp

    ntst = curve.meshes.shape[1] - 1
    m = curve.profiles.shape[1] // ntst
    h = 1e-30
    Ms, mismatch = [], 0.0
    for i in (range(len(curve.param)) if only is None else only):
        y0 = curve.profiles[i, ::m, :].T                 # (4, ntst): the orbit at the mesh points
        y_end = np.roll(y0, -1, axis=1)
        dur = np.diff(curve.meshes[i]) * curve.period[i]  # h_j T
        Ii, gi, ti = float(I[i]), float(gK[i]), float(temp[i])

        def rhs(_, z):
            z = z.reshape(20, ntst)
            y, Phi = z[:4], z[4:].reshape(4, 4, ntst)
            f = hh_rhs(y, Ii, gi, ti)
            JPhi = np.imag(hh_rhs(y[:, None, :] + 1j * h * Phi, Ii, gi, ti)) / h
            return np.concatenate([dur * f, (dur * JPhi).reshape(16, ntst)]).ravel()

        z0 = np.concatenate([y0, np.repeat(np.eye(4).reshape(16, 1), ntst, axis=1)]).ravel()
        sol = solve_ivp(rhs, (0.0, 1.0), z0, method="DOP853", rtol=rtol, atol=1e-13)
        assert sol.success, sol.message
        z = sol.y[:, -1].reshape(20, ntst)
        mismatch = max(mismatch, float(np.max(np.abs(z[:4] - y_end))))
        M = np.eye(4)
        for P in z[4:].reshape(4, 4, ntst).transpose(2, 0, 1):
            M = P @ M
        Ms.append(M)
    return Ms, mismatch


def principal_minors(A, k):
    """E_k(A): the sum of the principal minors of order k."""
    from itertools import combinations

    return sum(np.linalg.det(A[np.ix_(c, c)]) for c in combinations(range(A.shape[0]), k))


def fold_multiplier(M):
    """The non-trivial multiplier at the fold, from the characteristic polynomial of A = M − I.

    det(λI − A) = λⁿ − E₁λⁿ⁻¹ + … + (−1)ⁿ⁻¹E_{n−1}λ + (−1)ⁿE_n with E_k the sums of principal
    minors of order k. The trivial root λ = 0 is exact (E_n = 0); the root next to it is
    λ_fold = E_{n−1}/E_{n−2} to first order (E_{n−1} = λ_fold·Π_others, E_{n−2} ≈ Π_others).
    Unlike the eigenvalues — a near-Jordan pair at +1 of a far-from-normal M splits by √(error·κ) —
    these coefficients are polynomials in M's entries, as well conditioned as M itself."""
    n = M.shape[0]
    A = M - np.eye(n)
    return 1.0 + principal_minors(A, n - 1) / principal_minors(A, n - 2)


def flip_multiplier(M):
    """The multiplier next to −1 from the characteristic polynomial of A = M + I: μ = −1 + E_n/E_{n−1}
    (E_n = det A = λ·Π_others, E_{n−1} ≈ Π_others): polynomial in M's entries, well conditioned."""
    n = M.shape[0]
    A = M + np.eye(n)
    return -1.0 + np.linalg.det(A) / principal_minors(A, n - 1)
