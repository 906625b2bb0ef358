"""Starting a branch of periodic orbits: from a Hopf point or from a simulated periodic solution.

* **Hopf start** — the small cycle x₀ + 2ε Re(q e^{2πiτ}) at the parameter shift
  Δp = −ω·l1·ε²/(dRe λ/dp) predicted by the normal form (:func:`hopf_data` gives ω, q, l1 and
  dRe λ/dp, the latter by central differences along the equilibrium branch).
* **Trajectory start** — the last full period of a simulation (:func:`cycle_from_trajectory`),
  sampled on the collocation nodes.

:func:`first_point` corrects either guess onto the collocation curve (full Newton) and returns
the first continuation point with its tangent.
"""
from __future__ import annotations

import numpy as np

from hhdyn.newton import solve_equilibria

__all__ = ["is_hopf_like", "cycle_from_trajectory", "trajectory_parts", "hopf_data", "first_point"]


def is_hopf_like(start):
    """Duck typing of a Hopf start: ``.kind == "H"`` with ``.param`` and ``.state``."""
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


def trajectory_parts(start, model, param):
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


def hopf_data(model, param, start):
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
        x = solve_equilibria(model, x0 + sgn * dp * dxdp, {param: p0 + sgn * dp}, tol=0.0, step_tol=1e-12,
                             max_iter=8, line_search=False).y
        ev = np.linalg.eigvals(model.jacobian(x, {param: p0 + sgn * dp}))
        re.append(ev[np.argmin(np.abs(ev - 1j * omega))].real)
    mu_p = (re[1] - re[0]) / (2 * dp)
    l1 = info.get("l1")
    l1 = float(l1) if l1 is not None and np.isfinite(l1) else np.nan
    return x0, p0, omega, q, l1, mu_p


def first_point(problem, *, hopf_start=None, amplitude=None, trajectory=None, p_start=None, direction=None):
    """The first point of a cycle branch on ``problem`` (a :class:`.problem.CycleProblem`).

    From a Hopf point (``hopf_start``; ``amplitude`` ε, default 1e-3·max(1, ‖x₀‖∞)) or from a
    simulated orbit (``trajectory`` = (t, y) at ``p_start``; ``direction`` ±1: the sign of the
    parameter change at the start, default +1). Returns (point, ε or None); ValueError when the
    guess does not converge onto a periodic orbit.
    """
    from .problem import CycleFailure, CyclePoint

    sys = problem.sys
    model, param, n = problem.model, problem.param, sys.n
    mesh = problem.initial_mesh
    eps = None
    try:
        if hopf_start is not None:
            x0, p0, omega, q, l1, mu_p = hopf_data(model, param, hopf_start)
            if amplitude is None:
                amplitude = 1e-3 * max(1.0, float(np.max(np.abs(x0))))
            eps = float(amplitude)
            T0 = 2 * np.pi / omega
            dp = -omega * l1 * eps**2 / mu_p if np.isfinite(l1) and mu_p != 0 else 0.0
            tau = sys.node_times(mesh)
            shape = 2.0 * np.real(q[None, :] * np.exp(2j * np.pi * tau)[:, None])  # (N, n)
            U0 = x0[None, :] + eps * shape
            W = sys.node_weights(mesh)
            tU, tp = shape, 2.0 * dp / eps
            nrm = np.sqrt(np.sum(W[:, None] * tU * tU) + tp * tp)
            base = CyclePoint(U0, T0, p0 + dp, mesh, tU / nrm, 0.0, tp / nrm)
            X, _ = problem.predict_correct(base, 0.0, full_newton=True)
            tangent = (base.tU, base.tT, base.tp)
        else:
            t_sim, y_sim = trajectory
            T0, ta, t_sim, y_sim = cycle_from_trajectory(t_sim, y_sim)
            tau = sys.node_times(mesh)
            U0 = np.stack([np.interp(ta + tau * T0, t_sim, yy) for yy in y_sim], axis=1)
            if U0.shape[1] != n:
                raise ValueError(f"start: the orbit has {U0.shape[1]} states, the model {n}")
            base = CyclePoint(U0, T0, p_start, mesh, np.zeros_like(U0), 0.0, 1.0)
            X, _ = problem.predict_correct(base, 0.0, full_newton=True)
            tangent = (np.zeros_like(U0), 0.0, 1.0)
            # settle the mesh on the spike before continuing
            for _ in range(3 if problem.adapt else 0):
                U, T, p = sys.unpack(X)
                new = sys.adapted_mesh(U, mesh)
                U = sys.remesh(U, mesh, new)
                mesh = new
                base = CyclePoint(U, T, p_start, mesh, np.zeros_like(U), 0.0, 1.0)
                X, _ = problem.predict_correct(base, 0.0, full_newton=True)
        pt = problem.finish(X, mesh, tangent)
    except CycleFailure as exc:
        raise ValueError(f"start: could not converge onto a periodic orbit ({exc})") from None
    if hopf_start is None:
        direction = 1 if direction is None else direction
        if np.sign(pt.tp) != direction:
            pt.tU, pt.tT, pt.tp = -pt.tU, -pt.tT, -pt.tp
            # the LU's arc row is (0,…,0,1): the tangent sign flips but the LU stays valid
    return pt, eps
