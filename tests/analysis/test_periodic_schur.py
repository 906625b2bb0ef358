"""Eigenvalues of matrix products without forming them (analysis.cycles.periodic_schur).

References are independent of the code under test: products built so that their eigenvalues are
known exactly, mpmath at 50 digits, linear periodic ODEs in Floquet form P(t)e^{Bt}, and the
trivial Floquet multiplier 1 of real orbits.
"""
from __future__ import annotations


import mpmath
import numpy as np
import pytest
from scipy.linalg import expm
from scipy.stats import ortho_group

from analysis.cycles.periodic_schur import (
    PeriodicSchur,
    floquet_multipliers_from_transfer,
    periodic_eigenvalues,
    periodic_log_eigenvalues,
    periodic_schur,
    trivial_multiplier_error,
)


def _match(computed, expected):
    """Max over expected μ of min |μ_c − μ| / |μ| (each eigenvalue relative to its own modulus)."""
    computed = np.asarray(computed, dtype=complex)
    worst = 0.0
    left = list(computed)
    for mu in sorted(np.asarray(expected, dtype=complex), key=abs, reverse=True):
        k = int(np.argmin([abs(c - mu) for c in left]))
        worst = max(worst, abs(left.pop(k) - mu) / abs(mu))
    return worst


def _graded_sequence(rng, K, diag_logs, signs=None, offdiag=0.5, blocks=(), noise=0.3):
    """A_j = Q_{j+1} D_j Q_jᵀ (Q_K = Q_0, random orthogonal Q_j) with D_j upper (block-)triangular.

    Then A_{K−1} ⋯ A_0 = Q_0 (D_{K−1} ⋯ D_0) Q_0ᵀ. The 1×1 diagonal entries of D_j are
    ±exp(λ_i/K + noise_{ji}) with Σ_j noise_{ji} = 0 (|noise| ≲ ``noise``: larger values make
    the product very non-normal, its eigenvalues ill-conditioned even for the exact data), so the product's eigenvalue i is exactly
    ±exp(λ_i); each 2×2 block (at rows b, b+1) of D_j is r_j·rot(θ_j), so that block of the
    product is (Π r_j)·rot(Σ θ_j) with eigenvalues (Π r_j) e^{±iΣθ_j}.
    """
    n = len(diag_logs)
    Q = [ortho_group.rvs(n, random_state=rng) for _ in range(K)]
    noise = rng.uniform(-noise, noise, (K, n))
    noise -= noise.mean(axis=0)
    A = np.empty((K, n, n))
    for j in range(K):
        D = np.triu(offdiag * rng.normal(size=(n, n)), 1)
        D[np.arange(n), np.arange(n)] = np.exp(np.asarray(diag_logs) / K + noise[j])
        if signs is not None and j == 0:
            D[np.arange(n), np.arange(n)] *= signs
        for b, (logr, theta) in blocks:
            r = np.exp(logr / K + noise[j, b])
            th = theta / K
            D[b:b + 2, b:b + 2] = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        A[j] = Q[(j + 1) % K] @ D @ Q[j].T
    return A


# ---------------------------------------------------------------------------- known eigenvalues
def test_real_eigenvalues_spread_over_28_decades_each_to_its_own_precision():
    rng = np.random.default_rng(1)
    mus = np.array([1e14, -3.0, 0.25, -2e-7, 1e-14])
    A = _graded_sequence(rng, 200, np.log(np.abs(mus)), signs=np.sign(mus))
    got = periodic_eigenvalues(A)
    assert _match(got, mus) < 1e-8
    # what the explicit product gives: the small ones are lost (a check that the test is hard)
    M = np.eye(5)
    for a in A:
        M = a @ M
    assert _match(np.linalg.eigvals(M), mus) > 1e-3


def test_complex_pairs_and_real_eigenvalues_far_apart():
    rng = np.random.default_rng(2)
    # a pair of modulus 1e12 at angle 2.0, a pair of modulus 1e-12 at angle 0.7, a real 1
    A = _graded_sequence(rng, 150, [0.0, 0.0, 0.0, 0.0, 0.0],
                         blocks=((0, (np.log(1e12), 2.0 + 2 * np.pi * 7)), (3, (np.log(1e-12), 0.7))))
    expected = [1e12 * np.exp(2.0j), 1e12 * np.exp(-2.0j), 1.0, 1e-12 * np.exp(0.7j), 1e-12 * np.exp(-0.7j)]
    got = periodic_eigenvalues(A)
    assert _match(got, expected) < 1e-8


def test_single_factor_is_the_ordinary_eigenvalue_problem():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(1, 6, 6))
    assert _match(periodic_eigenvalues(A), np.linalg.eigvals(A[0])) < 1e-12
    assert _match(periodic_eigenvalues(np.full((7, 1, 1), -2.0)), [-128.0]) < 1e-15


def test_log_moduli_beyond_the_float_range():
    """|μ| = e^{±2000}: the moduli overflow a float, their logarithms are exact."""
    rng = np.random.default_rng(4)
    A = _graded_sequence(rng, 1000, [2000.0, 1.0, -2000.0], offdiag=0.2)
    logm, phase = periodic_log_eigenvalues(A)
    np.testing.assert_allclose(np.sort(logm), [-2000.0, 1.0, 2000.0], rtol=1e-11, atol=1e-9)
    np.testing.assert_allclose(np.abs(phase), 0.0, atol=1e-12)
    mu = periodic_eigenvalues(A)
    assert np.sum(np.isinf(mu)) == 1 and np.sum(mu == 0) == 1


def _dist(x, y):
    """Distance between two unit vectors up to sign."""
    x = np.asarray(x, dtype=float) / np.linalg.norm(x)
    y = np.asarray(y, dtype=float) / np.linalg.norm(y)
    return min(np.linalg.norm(x - y), np.linalg.norm(x + y))


# ---------------------------------------------------------------------------- mpmath reference
def _mp_eigenvalues(A, dps=50):
    """Eigenvalues of the product A_{K−1} ⋯ A_0 of the float factors, formed and solved in
    ``dps``-digit arithmetic (enough digits for the product's dynamic range plus 16)."""
    with mpmath.workdps(dps):
        n = A.shape[1]
        M = mpmath.eye(n)
        for a in A:
            M = mpmath.matrix(a.tolist()) * M
        ev = mpmath.eig(M, left=False, right=False)
        return np.array([complex(e) for e in ev])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_ill_conditioned_products_match_mpmath(seed):
    """Products of K = 30 random factors U_j diag(10^{0.45}, 1, 10^{−0.45}, 10^{-0.9}) V_j
    (random orthogonal U_j, V_j): eigenvalues over ~26 decades, complex pairs possible."""
    rng = np.random.default_rng(10 + seed)
    K, n = 30, 4
    s = np.diag(10.0 ** np.array([0.45, 0.0, -0.45, -0.9]))
    A = np.array([ortho_group.rvs(n, random_state=rng) @ s @ ortho_group.rvs(n, random_state=rng) for _ in range(K)])
    ref = _mp_eigenvalues(A)
    assert np.max(np.abs(ref)) / np.min(np.abs(ref)) > 1e15  # genuinely ill-conditioned for the product
    assert _match(periodic_eigenvalues(A), ref) < 1e-8


def test_eigenvectors_match_mpmath_over_28_decades():
    """Every real eigenvector of a graded product (eigenvalues 1e14 … 1e-14) agrees with the
    eigenvector mpmath computes from the 60-digit product."""
    rng = np.random.default_rng(7)
    mus = np.array([1e14, -3.0, 1.0, 2e-7, 1e-14])
    A = _graded_sequence(rng, 200, np.log(np.abs(mus)), signs=np.sign(mus))
    with mpmath.workdps(60):
        P = mpmath.eye(5)
        for a in A:
            P = mpmath.matrix(a.tolist()) * P
        E, ER = mpmath.eig(P)
        E = np.array([complex(e) for e in E])
        V = np.array([[float(mpmath.re(ER[i, j])) for j in range(5)] for i in range(5)])
    ps = periodic_schur(A)
    for k, mu in enumerate(ps.eigenvalues):
        j = int(np.argmin(np.abs(E - mu)))
        assert _dist(ps.eigenvector(k), V[:, j]) < 1e-10, (k, mu)
    with pytest.raises(ValueError, match="1×1 block"):
        ps.eigenvector(5)


def test_many_random_shapes_match_mpmath():
    """n = 2 … 8, K = 1 … 60, graded random factors G_j diag(10^{g…−g}) V_j (G_j Gaussian, V_j
    orthogonal): every eigenvalue, real or complex, to 1e-8 of its own modulus (measured ≤ 6e-13
    over 60 random cases of this kind, up to 54 decades between the extreme eigenvalues)."""
    rng = np.random.default_rng(123)
    for _ in range(16):
        n, K, g = int(rng.integers(2, 9)), int(rng.integers(1, 61)), rng.uniform(0.0, 0.6)
        s = np.diag(10.0 ** np.linspace(g, -g, n))
        A = np.array([rng.normal(size=(n, n)) @ s @ ortho_group.rvs(n, random_state=rng) for _ in range(K)])
        ps = periodic_schur(A)
        assert ps.converged, ps.message
        assert _match(ps.eigenvalues, _mp_eigenvalues(A, dps=50 + int(2.5 * g * K))) < 1e-8, (n, K, g)


# ---------------------------------------------------------------------------- periodic linear ODEs
def _floquet_form_transfers(B, K, T, planes):
    """Transfer matrices of x' = (P'Pᵀ + P B Pᵀ) x over the K intervals of [0, T], where
    P(t) = Π R_{plane}(2π k t/T) is orthogonal and T-periodic: x(t) = P(t) e^{Bt} P(0)ᵀ x(0), so
    M_j = P(t_{j+1}) e^{B h} P(t_j)ᵀ and the monodromy matrix is e^{BT} (multipliers e^{λ(B)T})."""
    n = B.shape[0]

    def P(t):
        out = np.eye(n)
        for (a, b), k in planes:
            th = 2 * np.pi * k * t / T
            R = np.eye(n)
            R[[a, a, b, b], [a, b, a, b]] = [np.cos(th), -np.sin(th), np.sin(th), np.cos(th)]
            out = out @ R
        return out

    t = np.linspace(0.0, T, K + 1)
    E = expm(B * (T / K))
    return np.array([P(t[j + 1]) @ E @ P(t[j]).T for j in range(K)])


def test_linear_periodic_ode_with_multipliers_e_pm32():
    """B upper triangular with diagonal (32, 0, −32)/T and large couplings: multipliers
    e^{32} ≈ 7.9e13, 1 (a 'trivial' one) and e^{−32} ≈ 1.3e−14, each to 1e-8 relative."""
    T = 10.0
    B = np.array([[32.0, 40.0, -25.0], [0.0, 0.0, 30.0], [0.0, 0.0, -32.0]]) / T
    M = _floquet_form_transfers(B, 200, T, (((0, 1), 1), ((1, 2), 2)))
    expected = np.exp([32.0, 0.0, -32.0])
    mu = floquet_multipliers_from_transfer(M)
    assert np.all(np.diff(np.abs(mu)) < 0)  # sorted by decreasing modulus
    np.testing.assert_allclose(mu.real, expected, rtol=1e-8)
    assert np.all(np.abs(mu.imag) < 1e-8 * expected)
    assert trivial_multiplier_error(mu) < 1e-8
    # the eigenvector of the multiplier 1 is the null vector of B: (−b₀₁/b₀₀, 1, 0)
    ps = periodic_schur(M)
    k = int(np.argmin(np.abs(ps.eigenvalues - 1)))
    assert _dist(ps.eigenvector(k), [-B[0, 1] / B[0, 0], 1.0, 0.0]) < 1e-10


def test_linear_periodic_ode_with_a_complex_pair():
    """B = [[α, ω, ·, ·], [−ω, α, ·, ·], [0, 0, 20/T, ·], [0, 0, 0, −28/T]]: a pair e^{αT ± iωT}
    of modulus e^{−25} ≈ 1.4e−11 beside e^{20} and e^{−28}."""
    T = 5.0
    B = np.zeros((4, 4))
    B[:2, :2] = [[-25.0 / T, 1.3], [-1.3, -25.0 / T]]
    B[2, 2], B[3, 3] = 20.0 / T, -28.0 / T
    B[np.triu_indices(4, 2)] = [3.0, -2.0, 1.5]
    B[0, 2] = 4.0
    M = _floquet_form_transfers(B, 120, T, (((0, 2), 1), ((1, 3), 1), ((2, 3), 3)))
    expected = np.exp(T * np.array([-25.0 / T + 1.3j, -25.0 / T - 1.3j, 20.0 / T, -28.0 / T]))
    assert _match(periodic_eigenvalues(M), expected) < 1e-8


# ---------------------------------------------------------------------------- real orbits
def _transfer_matrices(model, U, T, p, mesh, ncol):
    """The (NTST, n, n) transfer matrices of the collocation system at an orbit."""
    from analysis.cycles import CollocationSystem
    from analysis.cycles.collocation import CondensedLU

    S = CollocationSystem(model, "I_ext", mesh.size - 1, ncol)
    blocks, dT, dp = S.jacobian_blocks(U, T, p, mesh)
    G = S.phase_gradient(U)
    arc = (np.zeros_like(U), 0.0, 1.0)
    return CondensedLU(S, blocks, dT, dp, G, arc).transfer


@pytest.fixture(scope="module")
def hh_branch(hh_cycle_branch):
    """HH cycles from H1 over [0, 200] (computed once per session: tests/conftest.py)."""
    hh, _, _, br = hh_cycle_branch
    return hh, br


def test_hh_multipliers_match_mpmath_and_trivial_is_one(hh_branch):
    """Along the HH branch from the first Hopf point: every multiplier agrees with mpmath's
    eigenvalues of the 50-digit product of the same transfer matrices, and the trivial one is
    within 1e-6 of 1 at the stable orbits I = 10, 20, 50."""
    hh, br = hh_branch
    for i in list(range(0, len(br), max(1, len(br) // 6))) + [p.index for p in br.points("UZ")]:
        M = _transfer_matrices(hh, br.profiles[i], br.period[i], br.param[i], br.meshes[i], br.ncol)
        mu = floquet_multipliers_from_transfer(M)
        assert _match(mu, _mp_eigenvalues(M, dps=120)) < 1e-8, (i, mu)
    for p in br.points("UZ"):
        i = p.index
        M = _transfer_matrices(hh, br.profiles[i], br.period[i], br.param[i], br.meshes[i], br.ncol)
        assert trivial_multiplier_error(floquet_multipliers_from_transfer(M)) < 1e-6


@pytest.mark.slow
def test_fast_m_orbits_with_huge_multipliers_keep_the_trivial_multiplier():
    """fast_m(HH) from its Hopf point: past the fold of cycles at I ≈ 5.35 the unstable cycles
    have a largest multiplier of 1e12 … 1e22. Measured on this branch (ntst = 50, ncol = 4), the
    explicit product M_{49} ⋯ M_0 gives |μ_trivial − 1| = 1.39 (I = 5.426, μ_max = 4.5e16), 0.99
    (I = 5.432, 4.5e16), 0.56 (I = 5.284, 5.8e16), 8e2 … 3e3 (I ≈ 5.1–5.2, μ_max ≈ 1e21); the
    periodic Schur form gives 2.1e-8, 2.6e-8, 8.3e-9 and ≤ 1.8e-7 there, and agrees with mpmath
    (80 digits, same transfer matrices) to ≤ 8.5e-10 relative on every multiplier of the 26
    points with μ_max > 1e12. (Below I ≈ 4.9
    the trivial error grows to 1e-5 … 1e-3 for mpmath too: that is the discretization's error
    on these canard-like orbits, not the eigenvalue solver's.)"""
    import analysis
    import hhdyn
    from analysis.cycles import continue_cycles
    from reductions import fast_m

    fm = fast_m(hhdyn.HodgkinHuxley())
    eq = analysis.continue_equilibria(fm, param="I_ext", window=(0.0, 200.0))
    hopf = [p for p in eq.special_points if p.kind == "H"]
    br = continue_cycles(hopf[0], fm, window=(0.0, 200.0), values=(5.44,))
    checked, near_544, explicit_fails = 0, 0, 0
    # orbits at a fold (also the one at 5.4438, where no second multiplier is at 1 and a PD is located)
    folds = np.array([p.param for p in br.points("LPC")])
    for i in range(len(br)):
        M = _transfer_matrices(fm, br.profiles[i], br.period[i], br.param[i], br.meshes[i], br.ncol)
        mu = floquet_multipliers_from_transfer(M)
        if abs(mu[0]) < 1e12:
            continue
        assert _match(mu, _mp_eigenvalues(M, dps=80)) < 1e-8, (i, mu)
        others = np.delete(mu, np.argmin(np.abs(mu - 1)))
        if br.param[i] < 5.0 or np.min(np.abs(others - 1)) < 0.1 or np.min(np.abs(folds - br.param[i])) < 1e-4:
            continue  # a second multiplier near 1 (a fold) makes the trivial one ill-conditioned
        checked += 1
        near_544 += abs(br.param[i] - 5.44) < 0.02
        assert trivial_multiplier_error(mu) < 1e-6, (i, br.param[i], mu)
        # its eigenvector is u̇(0) ∝ f(u(0)) (measured distance ≤ 1e-6: the discretization's)
        ps = periodic_schur(M)
        f0 = fm.with_params(I_ext=br.param[i]).rhs(br.profiles[i][0])
        assert _dist(ps.eigenvector(int(np.argmin(np.abs(ps.eigenvalues - 1)))), f0) < 1e-5
        P = np.eye(M.shape[1])
        for m in M:
            P = m @ P
        explicit_fails += trivial_multiplier_error(np.linalg.eigvals(P)) > 1e-2
    assert checked >= 5 and near_544 >= 2 and explicit_fails >= 3


@pytest.mark.slow
def test_fhn_canard_orbits_match_mpmath_to_the_data_sensitivity():
    """FitzHugh–Nagumo canard cycles (a = 0.7, b = 0.8, ε = 0.08, ntst = 50): where the explicit
    product is off by 1 … 3e2 in the trivial multiplier (measured max 313), the periodic Schur
    multipliers agree with mpmath (80 digits, same transfer matrices) within 10× the data's own
    sensitivity — the spread of mpmath's eigenvalues over three random perturbations of every
    factor by ε‖M_j‖. Measured on the 82 such points: sensitivities 1.6e-7 … 2.8e-5 (these
    sequences are strongly non-normal), agreement ≤ 1.2e-6 and ≤ 0.9× the sensitivity."""
    import analysis
    from analysis.cycles import continue_cycles
    from reductions import FitzHughNagumo

    fhn = FitzHughNagumo(a=0.7, b=0.8, eps=0.08)
    eq = analysis.continue_equilibria(fhn, param="I_ext", window=(0.0, 2.0))
    h1 = min((p for p in eq.special_points if p.kind == "H"), key=lambda p: p.param)
    br = continue_cycles(h1, fhn, window=(0.0, 2.0))
    rng = np.random.default_rng(8)
    hard = 0
    for i in range(len(br)):
        M = _transfer_matrices(fhn, br.profiles[i], br.period[i], br.param[i], br.meshes[i], br.ncol)
        P = np.eye(2)
        for m in M:
            P = m @ P
        if trivial_multiplier_error(np.linalg.eigvals(P)) < 1.0:
            continue
        hard += 1
        ref = _mp_eigenvalues(M, dps=80)
        scale = np.finfo(float).eps * np.linalg.norm(M, 2, axis=(1, 2))[:, None, None]
        sens = max(_match(_mp_eigenvalues(M + scale * rng.normal(size=M.shape), dps=80), ref) for _ in range(3))
        assert _match(floquet_multipliers_from_transfer(M), ref) < max(1e-8, 10 * sens), (i, sens)
    assert hard >= 5


# ---------------------------------------------------------------------------- interface
def test_result_and_helpers():
    rng = np.random.default_rng(5)
    A = _graded_sequence(rng, 20, [3.0, 0.0, -3.0])
    ps = periodic_schur(A)
    assert isinstance(ps, PeriodicSchur) and ps.converged and "periodic Schur" in ps.message
    # the factors are (quasi-)triangular and reproduce the product in the basis Q_0
    T = ps.factors
    assert np.all(np.tril(T[:-1], -1) == 0.0)
    P = np.eye(3)
    for t in T:
        P = t @ P
    M = np.eye(3)
    for a in A:
        M = a @ M
    Q = ps.schur_vectors
    np.testing.assert_allclose(Q @ P @ Q.T, M, rtol=0, atol=1e-11 * np.abs(M).max())
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), atol=1e-14)
    assert trivial_multiplier_error([3.0, 1.0 + 2e-9, 0.5]) == pytest.approx(2e-9, rel=1e-6)


def test_sweep_budget_exhausted_is_reported():
    """With no QR steps allowed the form is not reached: the result says so, and the eigenvalues
    (from the formed product of the unreduced block) are still right for a benign product."""
    rng = np.random.default_rng(9)
    A = rng.normal(size=(3, 4, 4))
    ps = periodic_schur(A, max_sweeps=0)
    assert not ps.converged and "max_sweeps" in ps.message
    assert _match(ps.eigenvalues, _mp_eigenvalues(A)) < 1e-10
    assert periodic_schur(A).converged


@pytest.mark.parametrize("bad", [np.ones((3, 2, 3)), np.ones((4, 4)), np.zeros((0, 2, 2)),
                                 np.array([[[1.0, np.nan], [0.0, 1.0]]])])
def test_bad_input_names_the_problem(bad):
    with pytest.raises(ValueError, match="matrices"):
        periodic_eigenvalues(bad)
    with pytest.raises(ValueError, match="empty"):
        trivial_multiplier_error([])


@pytest.mark.slow
def test_compiled_and_interpreted_kernels_agree():
    """Without a compiled cache the kernels run as plain Python; compile_kernels() compiles them
    (then kernels_compiled() is True) and the results agree with the exact eigenvalues either way."""
    from analysis.cycles.periodic_schur import compile_kernels, kernels_compiled

    rng = np.random.default_rng(11)
    logs = np.array([0.0, 30.0, -30.0, 5.0])
    A = _graded_sequence(rng, 40, logs, blocks=((2, (5.0, 1.0)),))
    exact = [1.0, np.exp(30.0), np.exp(5.0 + 1j), np.exp(5.0 - 1j)]
    before = periodic_eigenvalues(A)
    compile_kernels()
    assert kernels_compiled()
    after = periodic_eigenvalues(A)
    assert _match(before, exact) < 1e-9 and _match(after, exact) < 1e-9
    assert _match(before, after) < 1e-12
