"""Continuation of periodic orbits in one parameter: :func:`continue_cycles`.

Pseudo-arclength continuation of the collocation system of :mod:`.collocation` (unknowns
X = (u, T, p)): from a point X₀ with unit tangent t₀ (in the norm ‖X‖² = ∫‖u‖²dτ + T² + p²),
predict X₀ + Δs·t₀ and correct with Newton's method on

    F(X) = 0   (collocation and phase conditions),   ⟨X − X₀, t₀⟩ = Δs.

The corrector is a chord method: the factorization of the Jacobian at X₀ (condensation of
parameters + sparse LU, see :class:`.collocation.CondensedLU`; computed once per step, and also
used to get the new tangent t₁ = J⁻¹e_last) is reused for all iterations, and the change of its
last row from t₋₁ to t₀ is a rank-one update (Sherman–Morrison). The predictor is second order,
X₀ + Δs·t₀ + ½Δs²·(t₀ − t₋₁)/Δs₋₁. The step Δs
grows (×1.5) after easy steps and is halved when the corrector fails or the tangent turns by
more than ``max_angle``; the mesh is re-equidistributed after every step.

Special points (AUTO/MatCont labels) are detected between consecutive points and located by
the Illinois (regula-falsi) method on the step length:

* LPC, fold of cycles: the parameter component of the tangent changes sign;
* PD, period doubling: a real Floquet multiplier crosses −1 (test ∏(μᵢ + 1));
* NS, Neimark–Sacker (torus): a complex pair of multipliers crosses the unit circle.

Ends (``status``, ``message``): the parameter reaches ``stop`` (0); the amplitude shrinks to
zero — the branch has reached a Hopf point (0); ``max_points`` (1); the period exceeds
``max_period`` — a homoclinic orbit is approached (2); the corrector fails even with the
minimum step (−1); non-finite numbers (−2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..branch import SpecialPoint
from .branch import CycleBranch
from .collocation import CollocationSystem, CondensedLU, _lagrange, uniform_mesh

__all__ = ["continue_cycles", "cycle_from_trajectory"]


# ====================================================================== small containers
@dataclass
class _Point:
    """A converged (or interpolated) point with its tangent and the LU at it."""

    U: np.ndarray
    T: float
    p: float
    mesh: np.ndarray
    tU: np.ndarray = None
    tT: float = 0.0
    tp: float = 0.0
    lu: object = None        # splu of the Jacobian at this point (arc row = row_of_lu)
    z: np.ndarray = None     # lu.solve(e_last)
    row: np.ndarray = None   # the arclength row the LU was built with (packed)
    curv: tuple = None       # d²(U, T, p)/ds² estimated from the last two tangents, or None


class _Failure(Exception):
    pass


# ====================================================================== the continuer
class _Continuer:
    def __init__(self, model, param, ntst, ncol, tol, max_newton):
        self.model = model
        self.param = param
        self.sys = CollocationSystem(model, param, ntst, ncol)
        self.tol = tol
        self.max_newton = max_newton
        self.e_last = np.zeros(self.sys.size)
        self.e_last[-1] = 1.0

    # ---------------------------------------------------------- linear algebra
    def arc_row(self, mesh, tU, tT, tp):
        W = self.sys.node_weights(mesh)
        return W[:, None] * tU, tT, tp

    def factor(self, U, T, p, mesh, phase_ref, arc_row):
        try:
            blocks, dT, dp = self.sys.jacobian_blocks(U, T, p, mesh)
        except ValueError as exc:  # the model rejects the parameter value
            raise _Failure(str(exc)) from None
        if not (np.all(np.isfinite(blocks)) and np.all(np.isfinite(dT)) and np.all(np.isfinite(dp))):
            raise _Failure("non-finite Jacobian")
        G = self.sys.phase_gradient(phase_ref)
        try:
            lu = CondensedLU(self.sys, blocks, dT, dp, G, arc_row)
            lu.mesh = mesh
        except (RuntimeError, np.linalg.LinAlgError) as exc:  # singular
            raise _Failure(f"singular Jacobian ({exc})") from None
        return lu

    def tangent_from(self, lu, mesh):
        """Unit tangent (U, T, p) from the LU: solves J z = e_last and normalizes."""
        z = lu.solve(self.e_last)
        if not np.all(np.isfinite(z)):
            raise _Failure("non-finite tangent")
        U, T, p = self.sys.unpack(z)
        W = self.sys.node_weights(mesh)
        nrm = np.sqrt(np.sum(W[:, None] * U * U) + T * T + p * p)
        return U / nrm, T / nrm, p / nrm, z

    def packed_row(self, arc_row):
        gU, gT, gp = arc_row
        return np.concatenate([gU.ravel(), [gT, gp]])

    # ---------------------------------------------------------- the corrector
    def correct(self, base: _Point, ds: float, X0=None, full_newton=False):
        """Newton (chord) solve of F = 0 with ⟨X − X_base, t_base⟩ = ds. Returns (X, iterations)."""
        sys = self.sys
        mesh = base.mesh
        W = sys.node_weights(mesh)
        arc = (base.U, base.T, base.p, base.tU, base.tT, base.tp, W, ds)
        G = sys.phase_gradient(base.U)
        if X0 is None:
            X = sys.pack(base.U + ds * base.tU, base.T + ds * base.tT, base.p + ds * base.tp)
            if base.curv is not None and ds != 0:
                X = X + (0.5 * ds * ds) * sys.pack(*base.curv)
        else:
            X = X0.copy()
        new_row = np.concatenate([(W[:, None] * base.tU).ravel(), [base.tT, base.tp]])

        lu, z, old_row = base.lu, base.z, base.row
        solve = None
        if lu is not None and not full_newton:
            c = new_row - old_row
            denom = 1.0 + c @ z

            if abs(denom) > 1e-8:
                def solve(b):
                    y = lu.solve(b)
                    return y - z * ((c @ y) / denom)

        scale = 1.0 + np.abs(X)
        prev = np.inf
        refactored = solve is None
        for it in range(1, self.max_newton + 1):
            U, T, p = sys.unpack(X)
            try:
                F = sys.residual(U, T, p, mesh, G, arc)
            except ValueError as exc:  # the model rejects the parameter value
                raise _Failure(str(exc)) from None
            if not np.all(np.isfinite(F)):
                raise _Failure("non-finite residual")
            nF = np.max(np.abs(F))
            if solve is None or (it > 1 and nF > 0.5 * prev and not refactored):
                lu_n = self.factor(U, T, p, mesh, base.U, (W[:, None] * base.tU, base.tT, base.tp))
                solve = lu_n.solve
                refactored = True
            prev = nF
            dX = solve(F)
            if not np.all(np.isfinite(dX)):
                raise _Failure("non-finite Newton step")
            X = X - dX
            if np.max(np.abs(dX) / scale) < self.tol:
                U, T, p = sys.unpack(X)
                if T <= 0:
                    raise _Failure("non-positive period")
                return X, it
            if it >= 3 and nF > 1e3 * (1 + prev):
                break
        raise _Failure("corrector did not converge")

    def finish(self, X, mesh, prev_tangent):
        """Factorize at the converged X (phase reference X itself, arc row = previous tangent)
        and compute its tangent (oriented like the previous one). Returns (_Point, LU)."""
        U, T, p = self.sys.unpack(X)
        arc_row = self.arc_row(mesh, *prev_tangent)
        lu = self.factor(U, T, p, mesh, U, arc_row)
        tU, tT, tp, z = self.tangent_from(lu, mesh)
        pt = _Point(U, T, p, mesh, tU, tT, tp, lu, z, self.packed_row(arc_row))
        return pt, lu


# ====================================================================== measurements
def _extrema(sys, U, mesh, sub=12, fine=41):
    """Min and max of each state of the piecewise polynomial: sampling ``sub`` points per
    interval, then a fine grid between the neighbours of the extreme sample, then a parabola."""
    n = sys.n
    h = np.diff(mesh)
    key = ("_Lsub", sub)
    Lsub = getattr(sys, "_extrema_cache", {}).get(key)
    if Lsub is None:
        Lsub, _ = _lagrange(sys.sigma, np.arange(sub) / sub)
        sys._extrema_cache = {key: Lsub}
    Y = np.einsum("sk,jkn->jsn", Lsub, U[sys.idx]).reshape(-1, n)
    tau = (mesh[:-1, None] + h[:, None] * (np.arange(sub) / sub)[None, :]).ravel()
    K = tau.size
    cols = np.arange(n)
    grid = np.linspace(-1.0, 1.0, fine)
    ks = np.concatenate([np.argmax(Y, axis=0), np.argmin(Y, axis=0)])  # (2n,)
    t0 = tau[ks]
    tm = t0 - np.where(ks - 1 >= 0, tau[(ks - 1) % K], tau[(ks - 1) % K] - 1.0)
    tp_ = np.where(ks + 1 < K, tau[(ks + 1) % K], tau[(ks + 1) % K] + 1.0) - t0
    tt = t0[:, None] + np.where(grid[None, :] < 0, grid[None, :] * tm[:, None], grid[None, :] * tp_[:, None])
    vals = sys.evaluate(U, mesh, tt.ravel()).reshape(2 * n, fine, n)
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


def _classify(lu, U, T, p, model, param, sys=None):
    """Multipliers (trivial first), trivial error |μ_trivial − 1|, number of unstable ones.

    The multipliers are the eigenvalues of the monodromy matrix (the product of the transfer
    matrices); the trivial one is the eigenvalue whose eigenvector is most nearly u̇(0). For a
    planar system the non-trivial multiplier is computed exactly by Liouville's formula
    μ = exp(T∫₀¹ tr f_x(u(τ)) dτ) — robust even on canards, where the product of transfer
    matrices is too ill-conditioned for its eigenvalues.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        M = lu.monodromy()
    if not np.all(np.isfinite(M)):
        M = np.where(np.isfinite(M), M, 0.0)
    mu, vecs = np.linalg.eig(M)
    f0 = np.asarray(sys.model_at(p).rhs(U[0]) if sys is not None else model.rhs(U[0], {param: p}), dtype=float)
    nf = np.linalg.norm(f0)
    if nf > 0:
        align = np.abs(vecs.conj().T @ f0) / (np.linalg.norm(vecs, axis=0) * nf)
        cand = np.flatnonzero(np.abs(mu - 1.0) < 0.1)
        k = int(cand[np.argmax(align[cand])]) if cand.size else int(np.argmax(align))
    else:
        k = int(np.argmin(np.abs(mu - 1)))
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


def _pd_test(mu):
    """∏(μᵢ + 1)/(|μᵢ| + 1) over the non-trivial multipliers: changes sign (linearly) when a real
    one crosses −1; complex pairs contribute positive factors; bounded by 1 in modulus."""
    rest = mu[1:]
    return float(np.real(np.prod((rest + 1.0) / (np.abs(rest) + 1.0))))


def _ns_test(mu):
    rest = mu[1:]
    cplx = rest[np.abs(rest.imag) > 1e-8 * np.maximum(1.0, np.abs(rest))]
    if cplx.size == 0:
        return np.nan
    return float(np.abs(cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))]) - 1.0)


def _n_complex_unstable(mu):
    rest = mu[1:]
    c = np.abs(rest.imag) > 1e-8 * np.maximum(1.0, np.abs(rest))
    return int(np.sum(c & (np.abs(rest) > 1.0)))


# ====================================================================== starts
def _hopf_like(start):
    return getattr(start, "kind", None) == "H" and hasattr(start, "param") and hasattr(start, "state")


def cycle_from_trajectory(t, y, state: int = 0):
    """One period of a simulated periodic solution: (T, τ → y interpolant data).

    Finds the last two upward crossings of the mid-level of state ``state`` and returns
    ``(T, t_a, t, y)`` with the period T (interpolated crossing times) and start time t_a.
    Raises ValueError if fewer than three crossings are found or the two ends do not match.
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[1] != t.size:
        raise ValueError(f"start: y must have shape (n_states, {t.size}), got {y.shape}")
    half = t >= t[0] + 0.5 * (t[-1] - t[0])
    x = y[state]
    level = 0.5 * (x[half].max() + x[half].min())
    amp = x[half].max() - x[half].min()
    up = np.flatnonzero((x[:-1] < level) & (x[1:] >= level))
    if up.size < 3 or amp <= 0:
        raise ValueError("start: the trajectory is not periodic (fewer than three oscillations in state "
                         f"{state}); simulate longer or pass a Hopf SpecialPoint")
    cross = t[up] + (level - x[up]) / (x[up + 1] - x[up]) * (t[up + 1] - t[up])
    ta, tb = cross[-2], cross[-1]
    T = tb - ta
    ya = np.array([np.interp(ta, t, yy) for yy in y])
    yb = np.array([np.interp(tb, t, yy) for yy in y])
    rng = np.ptp(y[:, t >= ta], axis=1)
    rng = np.where(rng > 0, rng, 1.0)
    if np.max(np.abs(ya - yb) / rng) > 0.05 or abs(T - (cross[-2] - cross[-3])) > 0.05 * T:
        raise ValueError("start: the trajectory has not settled onto a periodic orbit (successive "
                         "periods differ); simulate longer")
    return T, ta, t, y


def _trajectory_parts(start, model, param):
    """(model, param value, t, y) from a Trajectory or an explicit (t, y)."""
    if hasattr(start, "t") and hasattr(start, "y") and hasattr(start, "state_names"):
        m = model if model is not None else getattr(start, "model", None)
        if m is None:
            raise ValueError("start: the trajectory carries no model; pass model=")
        value = float(m.params[param])
        stim = getattr(start, "stimulus", None)
        if stim is not None:
            amp = getattr(stim, "amplitude", None)
            if type(stim).__name__ != "Constant" or amp is None:
                raise ValueError(f"start: the trajectory was driven by a time-dependent stimulus "
                                 f"({type(stim).__name__}); a periodic orbit needs an autonomous model")
            if param != "I_ext":
                raise ValueError("start: a trajectory with a Constant stimulus can only start a continuation in I_ext")
            value += float(amp)
        return m, value, np.asarray(start.t, float), np.asarray(start.y, float)
    if isinstance(start, (tuple, list)) and len(start) == 2:
        if model is None:
            raise ValueError("start: an explicit (t, y) orbit needs model=")
        return model, float(model.params[param]), np.asarray(start[0], float), np.asarray(start[1], float)
    raise ValueError(f"start must be a Hopf SpecialPoint (kind 'H'), a Trajectory of a periodic "
                     f"solution or a (t, y) pair; got {type(start).__name__}"
                     + (f" of kind {start.kind!r}" if hasattr(start, "kind") else ""))


def _equilibrium_near(model, x, param, value, iters=8):
    pars = {param: value}
    for _ in range(iters):
        f = model.rhs(x, pars)
        dx = np.linalg.solve(model.jacobian(x, pars), f)
        x = x - dx
        if np.max(np.abs(dx)) < 1e-12 * (1 + np.max(np.abs(x))):
            break
    return x


def _hopf_data(model, param, start):
    """(x0, p0, ω, q, l1, dRe λ/dp) at a Hopf point."""
    x0 = np.asarray(start.state, dtype=float)
    p0 = float(start.param)
    info = dict(getattr(start, "info", {}) or {})
    pars = {param: p0}
    J = np.asarray(model.jacobian(x0, pars), dtype=float)
    lam, vecs = np.linalg.eig(J)
    omega = info.get("omega")
    if omega is None or not np.isfinite(omega):
        upper = np.flatnonzero(lam.imag > 0)
        if upper.size == 0:
            raise ValueError("start: the Jacobian at the Hopf point has no complex eigenvalue pair")
        k = upper[np.argmin(np.abs(lam[upper].real))]
        omega = float(lam[k].imag)
    omega = float(omega)
    if omega <= 0:
        raise ValueError(f"start: Hopf frequency omega must be > 0, got {omega}")
    q = info.get("eigenvector")
    if q is None:
        k = int(np.argmin(np.abs(lam - 1j * omega)))
        q = vecs[:, k]
    q = np.asarray(q, dtype=complex)
    q = q / np.linalg.norm(q)
    # derivative of the real part of the critical eigenvalue along the equilibrium branch
    dp = 1e-6 * max(1.0, abs(p0))
    fp = np.asarray(model.dfdp(x0, param, pars), dtype=float)
    dxdp = -np.linalg.solve(J, fp)
    re = []
    for sgn in (-1.0, 1.0):
        x = _equilibrium_near(model, x0 + sgn * dp * dxdp, param, p0 + sgn * dp)
        ev = np.linalg.eigvals(model.jacobian(x, {param: p0 + sgn * dp}))
        re.append(ev[np.argmin(np.abs(ev - 1j * omega))].real)
    mu_p = (re[1] - re[0]) / (2 * dp)
    l1 = info.get("l1")
    l1 = float(l1) if l1 is not None and np.isfinite(l1) else np.nan
    return x0, p0, omega, q, l1, mu_p


# ====================================================================== main entry
def continue_cycles(
    start,
    model=None,
    param: str = "I_ext",
    stop=None,
    *,
    ntst: int = 50,
    ncol: int = 4,
    ds: float | None = None,
    ds_min: float = 1e-6,
    ds_max: float | None = None,
    max_points: int = 400,
    max_period: float | None = None,
    direction: int | None = None,
    amplitude: float | None = None,
    adapt: int = 1,
    tol: float = 1e-9,
    max_newton: int = 14,
    max_angle: float = 0.25,
    locate: bool = True,
    values=(),
    progress=None,
) -> CycleBranch:
    """Continue a branch of periodic orbits of ``model`` in parameter ``param``.

    Parameters
    ----------
    start : SpecialPoint (kind "H"), Trajectory, or (t, y)
        A Hopf point (duck-typed: ``.kind == "H"``, ``.param``, ``.state``, ``.info`` with
        ``omega`` (rad per time unit), optionally ``eigenvector`` (q with J q = iωq) and ``l1``):
        the branch is switched onto with the small cycle x₀ + 2ε Re(q e^{iωt}) at the parameter
        shift Δp = −ω·l1·ε²/(dReλ/dp) predicted by the normal form, then corrected. Or one
        periodic solution from a simulation — a ``hhdyn.simulation.Trajectory`` (a ``Constant``
        stimulus is added to I_ext) or ``(t, y)`` arrays with ``model`` —, whose last full period
        is taken as the first guess.
    model : the model (required for a Hopf point or (t, y); a Trajectory carries its own).
    param : the continued parameter (default ``"I_ext"``).
    stop : float or (lo, hi), optional
        A float ends the branch where the parameter reaches it; a pair is a window. Either way
        the end point is located exactly on the boundary.
    ntst, ncol : mesh intervals (≥ 10) and collocation points per interval (2–7).
    ds, ds_min, ds_max : initial, minimum and maximum step in the norm
        ‖(u, T, p)‖² = ∫₀¹‖u‖²dτ + T² + p². Defaults scale with the starting orbit.
    max_points : maximum number of orbits on the branch.
    max_period : stop when the period exceeds it (default: 30 × the starting period).
    direction : +1/−1, for a simulated start: increase/decrease the parameter first (default:
        towards ``stop``, else +1). From a Hopf point the branch always leaves with growing
        amplitude.
    amplitude : ε of the Hopf start (default 1e-3·max(1, ‖x₀‖∞)).
    adapt : re-equidistribute the mesh every ``adapt`` steps (0: never).
    tol : Newton tolerance (relative change of the unknowns).
    max_angle : largest accepted turn of the tangent per step (radians).
    locate : locate special points (else they are marked at the first point past them).
    values : parameter values at which to put an orbit on the branch (labelled "UZ", as AUTO's
        user points), e.g. to compare with simulations at given currents.
    progress : optional callable ``progress(i, param, period)`` called after every point.

    Returns
    -------
    CycleBranch — with ``status`` and ``message`` saying why it ended (partial on failure).
    """
    # ---------------------------------------------------------------- validate
    if isinstance(ncol, bool) or not isinstance(ncol, (int, np.integer)) or not 2 <= ncol <= 7:
        raise ValueError(f"ncol must be an integer in 2..7, got {ncol!r}")
    if isinstance(ntst, bool) or not isinstance(ntst, (int, np.integer)) or ntst < 10:
        raise ValueError(f"ntst must be an integer >= 10, got {ntst!r}")
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points!r}")
    if direction not in (None, 1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    hopf = _hopf_like(start)
    if not hopf:
        if hasattr(start, "kind") and not hasattr(start, "t"):
            raise ValueError(f"start must be a Hopf point (kind 'H') or a periodic orbit; got a special point of kind {start.kind!r}")
        model, p_start, t_sim, y_sim = _trajectory_parts(start, model, param)
    elif model is None:
        raise ValueError("start is a Hopf point: pass the model too (model=...)")
    if param not in model.params:
        raise ValueError(f"unknown parameter {param!r}; parameters of {model.name}: {', '.join(model.params)}")
    try:
        values = tuple(float(v) for v in np.atleast_1d(values))
    except (TypeError, ValueError):
        raise ValueError(f"values must be numbers, got {values!r}") from None
    window = None
    if stop is not None:
        if np.ndim(stop) == 0:
            stop = float(stop)
            if not np.isfinite(stop):
                raise ValueError(f"stop must be finite, got {stop}")
        else:
            lo, hi = (float(v) for v in stop)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"stop window must be (lo, hi) with lo < hi, got {stop!r}")
            window = (lo, hi)
            stop = None

    C = _Continuer(model, param, int(ntst), int(ncol), tol, max_newton)
    sys = C.sys
    n = sys.n
    mesh = uniform_mesh(sys.ntst)

    # ---------------------------------------------------------------- first point
    try:
        if hopf:
            x0, p0, omega, q, l1, mu_p = _hopf_data(model, param, start)
            if amplitude is None:
                amplitude = 1e-3 * max(1.0, float(np.max(np.abs(x0))))
            eps = float(amplitude)
            T0 = 2 * np.pi / omega
            dp = -omega * l1 * eps**2 / mu_p if np.isfinite(l1) and mu_p != 0 else 0.0
            tau = sys.node_times(mesh)
            shape = 2.0 * np.real(q[None, :] * np.exp(2j * np.pi * tau)[:, None])  # (N, n)
            U0 = x0[None, :] + eps * shape
            W = sys.node_weights(mesh)
            tU, tT, tp = shape, 0.0, 2.0 * dp / eps
            nrm = np.sqrt(np.sum(W[:, None] * tU * tU) + tp * tp)
            base = _Point(U0, T0, p0 + dp, mesh, tU / nrm, 0.0, tp / nrm)
            X, _ = C.correct(base, 0.0, full_newton=True)
            tangent = (base.tU, base.tT, base.tp)
        else:
            T0, ta, t_sim, y_sim = cycle_from_trajectory(t_sim, y_sim)
            tau = sys.node_times(mesh)
            U0 = np.stack([np.interp(ta + tau * T0, t_sim, yy) for yy in y_sim], axis=1)
            if U0.shape[1] != n:
                raise ValueError(f"start: the orbit has {U0.shape[1]} states, the model {n}")
            base = _Point(U0, T0, p_start, mesh, np.zeros_like(U0), 0.0, 1.0)
            X, _ = C.correct(base, 0.0, full_newton=True)
            tangent = (np.zeros_like(U0), 0.0, 1.0)
            # settle the mesh on the spike before continuing
            for _ in range(3 if adapt else 0):
                U, T, p = sys.unpack(X)
                new = sys.adapted_mesh(U, mesh)
                U = sys.remesh(U, mesh, new)
                mesh = new
                base = _Point(U, T, p_start, mesh, np.zeros_like(U), 0.0, 1.0)
                X, _ = C.correct(base, 0.0, full_newton=True)
        pt, lu_ = C.finish(X, mesh, tangent)
    except _Failure as exc:
        raise ValueError(f"start: could not converge onto a periodic orbit ({exc})") from None

    if not hopf:
        if direction is None:
            direction = 1 if stop is None or stop >= pt.p else -1
        if np.sign(pt.tp) != direction:
            pt.tU, pt.tT, pt.tp = -pt.tU, -pt.tT, -pt.tp
            # the LU's arc row is (0,…,0,1): the tangent sign flips but the LU stays valid
    if max_period is None:
        max_period = 30.0 * pt.T
    scale_X = float(np.sqrt(np.sum(sys.node_weights(pt.mesh)[:, None] * pt.U**2) + pt.T**2 + pt.p**2))
    if ds is None:
        ds = 0.01 * scale_X if not hopf else 2.0 * eps
    if ds_max is None:
        ds_max = 0.3 * scale_X
    ds = min(ds, ds_max)

    # ---------------------------------------------------------------- storage
    rows = []  # dicts per point
    specials = []

    def record(pt, lu, cls=None):
        mu, terr, nun = cls if cls is not None else _classify(lu, pt.U, pt.T, pt.p, model, param, sys)
        smin, smax = _extrema(sys, pt.U, pt.mesh)
        rows.append(dict(p=pt.p, T=pt.T, smin=smin, smax=smax, mu=mu, terr=terr, nun=nun,
                         mesh=pt.mesh.copy(), U=pt.U.copy(), tp=pt.tp))
        if progress is not None:
            progress(len(rows) - 1, pt.p, pt.T)
        return rows[-1]

    def special(kind, row, bracket, converged, extra=None):
        # bracket: the parameter interval swept by the step in which the point was detected
        # (at a fold the parameter turns inside the step, so the located value is included)
        info = {
            "period": row["T"],
            "multipliers": row["mu"],
            "state_max": {s: float(v) for s, v in zip(model.state_names, row["smax"])},
            "state_min": {s: float(v) for s, v in zip(model.state_names, row["smin"])},
            "trivial_error": row["terr"],
        }
        info.update(extra or {})
        specials.append(SpecialPoint(kind=kind, param=float(row["p"]), state=row["U"][0].copy(), info=info,
                                     index=len(rows) - 1, bracket=(min(*bracket, row["p"]), max(*bracket, row["p"])),
                                     converged=converged))

    def amplitude_of(U, mesh):
        W = sys.node_weights(mesh)
        mean = W @ U
        return U - mean, float(np.sqrt(np.sum(W[:, None] * (U - mean) ** 2)))

    def locate_root(base, s_hi, g_lo, g_hi, g_fun, xtol, gtol):
        """Illinois on s ∈ (0, s_hi) for g(s) = 0; returns (X, pt, lu_, converged)."""
        a, b, fa, fb = 0.0, s_hi, g_lo, g_hi
        best = None
        side = 0
        for _ in range(30):
            s = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
            if not (min(a, b) < s < max(a, b)):
                s = 0.5 * (a + b)
            X, _ = C.correct(base, s)
            ptx, lux = C.finish(X, base.mesh, (base.tU, base.tT, base.tp))
            g = g_fun(ptx, lux)
            best = (X, ptx, lux)
            if abs(g) < gtol or abs(b - a) < xtol:
                return (*best, True)
            if np.sign(g) == np.sign(fb):
                b, fb = s, g
                if side == -1:
                    fa /= 2
                side = -1
            else:
                a, fa = s, g
                if side == 1:
                    fb /= 2
                side = 1
        return (*best, abs(b - a) < 1e3 * xtol)

    row = record(pt, lu_)
    status, message = None, None
    spurious = 0
    max_amp = amplitude_of(pt.U, pt.mesh)[1]
    steps_since_adapt = 0
    prev_pt = None

    # ---------------------------------------------------------------- main loop
    while status is None:
        if len(rows) >= max_points:
            status, message = 1, f"maximum number of points ({max_points}) reached at {param}={pt.p:.8g}"
            break
        try:
            X, iters = C.correct(pt, ds)
            new, lu_ = C.finish(X, pt.mesh, (pt.tU, pt.tT, pt.tp))
            cosang = (np.sum(sys.node_weights(pt.mesh)[:, None] * new.tU * pt.tU) + new.tT * pt.tT + new.tp * pt.tp)
            if cosang < np.cos(max_angle) and ds > ds_min:
                raise _Failure("tangent turned too much")
        except _Failure as exc:
            if ds <= ds_min * 1.0000001:
                status, message = -1, (f"corrector failure at {param}={pt.p:.8g} (period {pt.T:.6g}): {exc} "
                                       f"even with the minimum step ds_min={ds_min:g}")
                break
            ds = max(ds / 2.0, ds_min)
            continue

        # ---- Hopf end: the amplitude passed through zero (the branch folds back on itself)
        dev_new, amp_new = amplitude_of(new.U, new.mesh)
        dev_old, amp_old = amplitude_of(pt.U, pt.mesh)
        crossed = np.sum(sys.node_weights(pt.mesh)[:, None] * dev_new * dev_old) < 0
        max_amp = max(max_amp, amp_new)
        if crossed or amp_new < 1e-3 * max_amp:
            if prev_pt is not None:
                a1, a2 = amplitude_of(prev_pt.U, prev_pt.mesh)[1] ** 2, amp_old**2
                pH = (prev_pt.p * a2 - pt.p * a1) / (a2 - a1) if a2 != a1 else pt.p
            else:
                pH = pt.p
            status, message = 0, (f"the amplitude shrank to zero: the branch ends at a Hopf point near "
                                  f"{param}={pH:.6g} (period {pt.T:.6g})")
            break

        # ---- special points between pt and new
        new_cls = _classify(lu_, new.U, new.T, new.p, model, param, sys)
        new_row_mu = new_cls[0]
        old_mu = row["mu"]
        events = []
        if n == 2:
            # planar: the non-trivial multiplier (exact, by Liouville's formula) passes through 1
            # at a fold of cycles; more robust than dp/ds on canards, where the branch is vertical
            # to within the discretization error and dp/ds changes sign spuriously
            l0, l1_ = np.log(abs(old_mu[1])), np.log(abs(new_row_mu[1]))
            if np.sign(l0) != np.sign(l1_) and l0 != 0:
                events.append(("LPC", lambda q, b: float(np.log(abs(_classify(b, q.U, q.T, q.p, model, param, sys)[0][1]))),
                               l0, l1_))
        elif np.sign(new.tp) != np.sign(pt.tp) and pt.tp != 0:
            events.append(("LPC", lambda q, b: q.tp, pt.tp, new.tp))
        # PD and NS are impossible in the plane; elsewhere only trusted where the multipliers are
        # accurate (trivial multiplier within 1e-5 of 1 at both ends of the step)
        reliable = n > 2 and max(row["terr"], new_cls[1]) < 1e-5
        g0, g1 = _pd_test(old_mu), _pd_test(new_row_mu)
        if reliable and np.sign(g0) != np.sign(g1) and g0 != 0:
            events.append(("PD", lambda q, b: _pd_test(_classify(b, q.U, q.T, q.p, model, param, sys)[0]), g0, g1))
        if reliable and _n_complex_unstable(old_mu) != _n_complex_unstable(new_row_mu):
            h0, h1 = _ns_test(old_mu), _ns_test(new_row_mu)
            if np.isfinite(h0) and np.isfinite(h1) and np.sign(h0) != np.sign(h1):
                events.append(("NS", lambda q, b: _ns_test(_classify(b, q.U, q.T, q.p, model, param, sys)[0]), h0, h1))
        for v in values:
            if np.sign(new.p - v) != np.sign(pt.p - v) and pt.p != v:
                events.append(("UZ", lambda q, b, v=v: q.p - v, pt.p - v, new.p - v))
        crossed_stop = None
        if stop is not None and np.sign(new.p - stop) != np.sign(pt.p - stop):
            crossed_stop = stop
        elif window is not None and not (window[0] <= new.p <= window[1]):
            crossed_stop = window[0] if new.p < window[0] else window[1]
        if crossed_stop is not None:
            events.append(("END", lambda q, b, v=crossed_stop: q.p - v, pt.p - crossed_stop, new.p - crossed_stop))

        if events and locate:
            # handle the event that comes first along the step: locate each, keep order by s
            located = []
            for kind, g, ga, gb in events:
                try:
                    if kind in ("UZ", "END"):
                        gtol = 1e-11 * max(1.0, abs(pt.p))
                    elif kind == "LPC":
                        gtol = 1e-5  # |dp/ds| (or log μ) at the located fold: p is then exact to ~1e-10
                    else:
                        gtol = 1e-7
                    Xs, pts, lus, conv = locate_root(pt, ds, ga, gb, g, 1e-6 * ds, gtol)
                except _Failure:
                    Xs, pts, lus, conv = X, new, lu_, False
                s_here = float(np.sum(sys.node_weights(pt.mesh)[:, None] * (pts.U - pt.U) * pt.tU)
                               + (pts.T - pt.T) * pt.tT + (pts.p - pt.p) * pt.tp)
                located.append((s_here, kind, pts, lus, conv))
            located.sort(key=lambda r: r[0])
            end_hit = False
            for s_here, kind, pts, lus, conv in located:
                r = record(pts, lus)
                if kind == "END":
                    end_hit = True
                    break
                if kind == "LPC" and np.min(np.abs(r["mu"][1:] - 1.0)) > 0.05:
                    # at a fold of cycles a second multiplier is 1; without one this is a
                    # wiggle of the discretization (seen on canards where NTST is too small)
                    spurious += 1
                    continue
                extra = {}
                if kind == "PD":
                    extra["period_doubled"] = 2.0 * pts.T
                special(kind, r, (pt.p, new.p), conv, extra)
            if end_hit:
                status, message = 0, f"reached the end of the parameter window at {param}={rows[-1]['p']:.8g}"
                break
        row = record(new, lu_, new_cls)
        if events and not locate:
            for kind, *_ in events:
                if kind == "END":
                    status, message = 0, f"reached the end of the parameter window at {param}={new.p:.8g}"
                else:
                    special(kind, row, (pt.p, new.p), False)
            if status is not None:
                break
        if not (np.isfinite(new.T) and np.all(np.isfinite(new.U))):
            status, message = -2, f"non-finite values at {param}={new.p}"
            break
        if new.T > max_period:
            status, message = 2, (f"the period grew without bound (T={new.T:.6g} > max_period={max_period:.6g}) at "
                                  f"{param}={new.p:.8g}: the cycle approaches a homoclinic orbit")
            break

        # ---- curvature of the branch for the next (second-order) predictor
        if ds > 0:
            new.curv = ((new.tU - pt.tU) / ds, (new.tT - pt.tT) / ds, (new.tp - pt.tp) / ds)

        # ---- step size control
        # chord iterations are cheap (one residual and one back-substitution each)
        if iters <= 6 and cosang > np.cos(0.5 * max_angle):
            ds = min((2.0 if iters <= 4 else 1.4) * ds, ds_max)
        elif iters >= 10:
            ds = max(ds / 2.0, ds_min)

        # ---- mesh adaptation
        prev_pt = pt
        steps_since_adapt += 1
        if adapt and steps_since_adapt >= adapt:
            steps_since_adapt = 0
            new_mesh = sys.adapted_mesh(new.U, new.mesh)
            if np.max(np.abs(new_mesh - new.mesh)) > 1e-3 / sys.ntst:
                # interpolate the point and its tangent; the LU at the old mesh stays the chord
                # matrix of the next step (the corrector refactorizes if it converges slowly)
                new.U = sys.remesh(new.U, new.mesh, new_mesh)
                new.tU = sys.remesh(new.tU, new.mesh, new_mesh)
                if new.curv is not None:
                    new.curv = (sys.remesh(new.curv[0], new.mesh, new_mesh), *new.curv[1:])
                new.mesh = new_mesh
        pt = new

    # ---------------------------------------------------------------- assemble result
    if spurious:
        message += (f"; {spurious} fold(s) of the discretized branch without a multiplier at 1 were not "
                    f"reported as LPC (unresolved canard: increase ntst)")
    return _make_branch(model, param, sys, rows, specials, status, message)


def _make_branch(model, param, sys, rows, specials, status, message):
    mu = np.array([r["mu"] for r in rows])
    nun = np.array([r["nun"] for r in rows], dtype=int)
    return CycleBranch(
        kind="LC",
        param_name=param,
        model_name=model.name,
        state_names=tuple(model.state_names),
        param=np.array([r["p"] for r in rows]),
        stable=nun == 0,
        special_points=tuple(specials),
        status=int(status),
        message=message,
        period=np.array([r["T"] for r in rows]),
        state_min=np.array([r["smin"] for r in rows]),
        state_max=np.array([r["smax"] for r in rows]),
        multipliers=mu,
        trivial_error=np.array([r["terr"] for r in rows]),
        n_unstable=nun,
        meshes=np.array([r["mesh"] for r in rows]),
        profiles=np.array([r["U"] for r in rows]),
        ncol=sys.m,
    )
