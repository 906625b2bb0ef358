"""Two-parameter continuation of Hopf (H) and fold (LP) points, with BT, GH and CP detection.

A Hopf or fold point found on an equilibrium branch persists when a second parameter changes;
it traces a curve in the (p₁, p₂) plane. These curves are followed with the same
pseudo-arclength predictor and Moore–Penrose corrector as equilibria
(:func:`analysis.continuation.moore_penrose`), applied to *standard* (fully extended)
defining systems (Kuznetsov, *Elements of Applied Bifurcation Theory*, §10.2):

**Hopf curve** — unknowns U = (x, v, κ, p₁, p₂) ∈ R²ⁿ⁺³, κ = ω²:

    f(x, p) = 0,   (f_x² + κ I) v = 0,   ⟨v, v_ref⟩ = 1,   ⟨v, w_ref⟩ = 0,

where v_ref (unit) is v at the previous point and w_ref spans, with v_ref, the eigenspace of
f_x² for −κ. The same equations with κ < 0 describe *neutral saddles* (real pair ±√−κ), so the
curve passes smoothly through a Bogdanov–Takens point, where κ = 0.

**Fold curve** — unknowns U = (x, v, p₁, p₂) ∈ R²ⁿ⁺²:

    f(x, p) = 0,   f_x v = 0,   ⟨v, v_ref⟩ = 1.

The derivatives of f_x·v in x are directional derivatives of the analytic Jacobian,
D f_x[v] ≈ (f_x(x + h v̂) − f_x(x − h v̂))·|v|/(2h), and in p central differences of f_x.

Test functions (codimension-two points, MatCont labels):

====== ============ =========================================================================
curve  label        test function
====== ============ =========================================================================
H      BT           κ = ω² (the pair ±iω merges into a double zero eigenvalue)
H      GH           l1, the first Lyapunov coefficient (:mod:`analysis.lyapunov`), on κ > 0
LP     BT           ⟨w, v⟩ with f_x v = 0, f_xᵀ w = 0 (the zero eigenvalue becomes double)
LP     CP           ⟨w, B(v, v)⟩ (the quadratic normal-form coefficient of the fold vanishes)
====== ============ =========================================================================

Each sign change is located by Brent's method along the step (as for equilibria).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .branch import CodimTwoCurve, SpecialPoint
from .continuation import _check_model, _locate, moore_penrose, tangent_of
from .lyapunov import first_lyapunov_coefficient, jacobians_at, multilinear_B

__all__ = ["continue_hopf", "continue_fold"]

_STATUS = {
    0: "reached the boundary of the parameter window",
    2: "the curve closed on itself",
    1: "stopped after the maximum number of points; increase max_points",
    -1: "the corrector failed to converge at the minimum step size",
    -3: "a test function or special point could not be evaluated",
}


class _Codim2System:
    """Shared parts of the Hopf and fold defining systems."""

    def __init__(self, model, param, param2):
        self.model, self.param, self.param2 = model, param, param2
        self.n = model.n_states

    def _pars(self, U):
        return {self.param: float(U[-2]), self.param2: float(U[-1])}

    def x(self, U):
        return U[: self.n]

    def J(self, x, pars):
        return np.asarray(self.model.jacobian(x, pars), dtype=float)

    def dJ_dirs(self, x, ys, pars, h=1e-6):
        """[D f_x[y] for y in ys]: central differences of the Jacobian along each real vector y,
        all Jacobians in one vectorized call."""
        X, norms = [], []
        for y in ys:
            ny = float(np.linalg.norm(y))
            norms.append(ny)
            u = y / ny if ny > 0 else np.zeros_like(y)
            X.extend([x + h * u, x - h * u])
        Js = jacobians_at(self.model, np.array(X), pars)
        return [(Js[2 * k] - Js[2 * k + 1]) * (ny / (2.0 * h)) for k, ny in enumerate(norms)]

    def dJ_dir(self, x, y, pars, h=1e-6):
        """D f_x[y] (derivative of the Jacobian along the real vector y)."""
        return self.dJ_dirs(x, [y], pars, h)[0]

    def dJ_dp(self, x, pars, name, J=None):
        """∂f_x/∂p: a forward difference from J = f_x(x) when given (enough for Newton's method,
        the defining system itself is exact), else a central difference."""
        hp = 1e-6 * max(1.0, abs(pars[name]))
        up = dict(pars)
        up[name] += hp
        if J is not None:
            return (self.J(x, up) - J) / hp
        down = dict(pars)
        down[name] -= hp
        return (self.J(x, up) - self.J(x, down)) / (2.0 * hp)

    def fp(self, x, pars):
        return np.column_stack([np.asarray(self.model.dfdp(x, name, pars), dtype=float)
                                for name in (self.param, self.param2)])


class _HopfSystem(_Codim2System):
    """U = (x, v, κ, p1, p2); see the module docstring."""

    kinds = ("BT", "GH")

    def __init__(self, model, param, param2, v_ref):
        super().__init__(model, param, param2)
        self.v_ref = v_ref / np.linalg.norm(v_ref)
        self.w_ref = None

    def split(self, U):
        n = self.n
        return U[:n], U[n:2 * n], U[2 * n]

    def set_refs(self, U):
        """Normalize v (|v| = 1) and choose v_ref = v, w_ref ⟂ v in the eigenspace; returns U."""
        x, v, kappa = self.split(U)
        pars = self._pars(U)
        U = U.copy()
        v = v / np.linalg.norm(v)
        U[self.n:2 * self.n] = v
        J = self.J(x, pars)
        M = J @ J + kappa * np.eye(self.n)
        _, _, vh = np.linalg.svd(M)
        basis = vh[-2:].T  # the 2-dim (approximate) null space
        cand = basis @ (basis.T @ (J @ v))
        cand -= (cand @ v) * v
        if np.linalg.norm(cand) < 1e-8:
            cand = basis[:, 0] - (basis[:, 0] @ v) * v
            if np.linalg.norm(cand) < 1e-8:
                cand = basis[:, 1] - (basis[:, 1] @ v) * v
        self.v_ref = v
        self.w_ref = cand / np.linalg.norm(cand)
        return U

    def G(self, U):
        x, v, kappa = self.split(U)
        pars = self._pars(U)
        f = np.asarray(self.model.rhs(x, pars), dtype=float)
        J = self.J(x, pars)
        return np.concatenate([f, J @ (J @ v) + kappa * v, [v @ self.v_ref - 1.0, v @ self.w_ref]])

    def DG(self, U):
        n = self.n
        x, v, kappa = self.split(U)
        pars = self._pars(U)
        J = self.J(x, pars)
        Jv = J @ v
        D = np.zeros((2 * n + 2, 2 * n + 3))
        D[:n, :n] = J
        D[:n, 2 * n + 1:] = self.fp(x, pars)
        dJ_Jv, dJ_v = self.dJ_dirs(x, [Jv, v], pars)
        D[n:2 * n, :n] = dJ_Jv + J @ dJ_v
        D[n:2 * n, n:2 * n] = J @ J + kappa * np.eye(n)
        D[n:2 * n, 2 * n] = v
        for j, name in enumerate((self.param, self.param2)):
            dJ = self.dJ_dp(x, pars, name, J)
            D[n:2 * n, 2 * n + 1 + j] = dJ @ Jv + J @ (dJ @ v)
        D[2 * n, n:2 * n] = self.v_ref
        D[2 * n + 1, n:2 * n] = self.w_ref
        return D

    def omega(self, U):
        kappa = self.split(U)[2]
        return math.sqrt(kappa) if kappa > 0 else float("nan")

    def l1(self, U):
        x, _, kappa = self.split(U)
        if kappa <= 0:
            return float("nan")
        try:
            return first_lyapunov_coefficient(self.model, x, self._pars(U), omega=math.sqrt(kappa)).l1
        except (ValueError, np.linalg.LinAlgError):
            return float("nan")

    def tests(self, U):
        return {"BT": float(self.split(U)[2]), "GH": self.l1(U)}


class _FoldSystem(_Codim2System):
    """U = (x, v, p1, p2); see the module docstring."""

    kinds = ("BT", "CP")

    def __init__(self, model, param, param2, v_ref):
        super().__init__(model, param, param2)
        self.v_ref = v_ref / np.linalg.norm(v_ref)
        self.w_prev = None

    def split(self, U):
        n = self.n
        return U[:n], U[n:2 * n]

    def set_refs(self, U):
        U = U.copy()
        v = U[self.n:2 * self.n]
        v = v / np.linalg.norm(v)
        U[self.n:2 * self.n] = v
        self.v_ref = v
        return U

    def G(self, U):
        x, v = self.split(U)
        pars = self._pars(U)
        f = np.asarray(self.model.rhs(x, pars), dtype=float)
        return np.concatenate([f, self.J(x, pars) @ v, [v @ self.v_ref - 1.0]])

    def DG(self, U):
        n = self.n
        x, v = self.split(U)
        pars = self._pars(U)
        J = self.J(x, pars)
        D = np.zeros((2 * n + 1, 2 * n + 2))
        D[:n, :n] = J
        D[:n, 2 * n:] = self.fp(x, pars)
        D[n:2 * n, :n] = self.dJ_dir(x, v, pars)
        D[n:2 * n, n:2 * n] = J
        for j, name in enumerate((self.param, self.param2)):
            D[n:2 * n, 2 * n + j] = self.dJ_dp(x, pars, name, J) @ v
        D[2 * n, n:2 * n] = self.v_ref
        return D

    def left(self, U):
        x, _ = self.split(U)
        _, _, wh = np.linalg.svd(self.J(x, self._pars(U)).T)
        w = wh[-1]
        if self.w_prev is not None and w @ self.w_prev < 0:
            w = -w
        return w

    def tests(self, U):
        x, v = self.split(U)
        w = self.left(U)
        vn = v / np.linalg.norm(v)
        return {"BT": float(w @ vn), "CP": float(np.real(w @ multilinear_B(self.model, x, vn, vn, self._pars(U))))}


class _Problem:
    """Adapter exposing F/DF for the locator."""

    def __init__(self, system):
        self.F, self.DF = system.G, system.DG


def _run(system, U0, t0, *, bounds, bounds2, max_step, min_step, max_points, progress, detect):
    """Follow the curve from U0 along t0; returns (points, tests, specials, status)."""
    lo1, hi1 = bounds
    lo2, hi2 = bounds2
    U0 = system.set_refs(U0)
    if isinstance(system, _FoldSystem):
        system.w_prev = system.left(U0)
    Us = [U0]
    t = tangent_of(system.DG(U0), t0)
    tests = [system.tests(U0)]
    specials = []
    h = max_step / 5.0
    status = 1
    start12 = U0[-2:].copy()
    travelled = 0.0
    while len(Us) < max_points:
        U_k = Us[-1]
        while True:
            res = moore_penrose(system.G, system.DG, U_k + h * t, t, tol=1e-9)
            if res is not None and res[1] @ t > 0.9:
                break
            h *= 0.5
            if h < min_step:
                res = None
                break
        if res is None:
            status = -1
            break
        U_new, _, iters = res
        final = not (lo1 <= U_new[-2] <= hi1 and lo2 <= U_new[-1] <= hi2)
        try:
            with np.errstate(all="raise"):
                tests_new = system.tests(U_new)
                prob = _Problem(system)
                for kind in detect:
                    a, b = tests[-1][kind], tests_new[kind]
                    if np.isfinite(a) and np.isfinite(b) and a != 0 and np.sign(a) != np.sign(b):
                        psi = (lambda kk: (lambda U: system.tests(U)[kk]))(kind)
                        U_sp, ok = _locate(prob, U_k, t, U_new, psi, xtol=1e-12)
                        if not (lo1 <= U_sp[-2] <= hi1 and lo2 <= U_sp[-1] <= hi2):
                            continue  # beyond the window (the last step leaves it)
                        specials.append((len(Us) - 1, float(t @ (U_sp - U_k)), kind, U_sp, ok,
                                         (U_k[-2], U_new[-2])))
                # refs for the next step (the accepted point stays a solution)
                U_new = system.set_refs(U_new)
                if isinstance(system, _FoldSystem):
                    system.w_prev = system.left(U_new)
                t = tangent_of(system.DG(U_new), t)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError, ZeroDivisionError, OverflowError):
            status = -3
            break
        travelled += float(np.linalg.norm(U_new[-2:] - U_k[-2:]))
        Us.append(U_new)
        tests.append(tests_new)
        if progress is not None:
            progress(len(Us), float(U_new[-2]), float(U_new[-1]))
        if final:
            status = 0
            break
        if (len(Us) > 10 and travelled > 4 * max_step
                and np.linalg.norm(np.append(U_new[:system.n] - U0[:system.n], U_new[-2:] - start12)) < 0.5 * h):
            status = 2
            break
        if iters <= 3:
            h = min(1.3 * h, max_step)
    return Us, tests, specials, status


def _codim2_point(system, kind, U, ok, bracket, index):
    x = system.x(U).copy()
    info = {system.param2: float(U[-1])}
    if isinstance(system, _HopfSystem):
        kappa = float(system.split(U)[2])
        info["kappa"] = kappa
        if kind == "GH":
            info["omega"] = math.sqrt(kappa) if kappa > 0 else float("nan")
            info["frequency_hz"] = info["omega"] / (2 * math.pi) * 1000.0
            info["l1"] = system.l1(U)
    else:
        tests = system.tests(U)
        info.update({"wv": tests["BT"], "a": tests["CP"]})
    return SpecialPoint(kind, float(U[-2]), x, info, index, (float(min(bracket)), float(max(bracket))), bool(ok))


def _follow(system, U0, *, kind_label, bounds, bounds2, max_step, min_step, max_points, direction, progress,
            detect):
    """Continue in one or both directions and assemble a CodimTwoCurve."""
    D = system.DG(system.set_refs(U0))
    _, _, vh = np.linalg.svd(D)
    t0 = vh[-1]
    if t0[-1] < 0:
        t0 = -t0
    runs = []
    dirs = (1, -1) if direction == "both" else ((1,) if direction in (1, "forward", "+") else (-1,))
    for sgn in dirs:
        v_ref, w_ref = system.v_ref.copy(), getattr(system, "w_ref", None)
        runs.append((sgn, _run(system, U0.copy(), sgn * t0, bounds=bounds, bounds2=bounds2, max_step=max_step,
                               min_step=min_step, max_points=max_points, progress=progress, detect=detect)))
        system.v_ref = v_ref
        if w_ref is not None:
            system.w_ref = w_ref
    # join: reversed backward run, then the forward run (without its duplicate start point)
    points, specials, statuses = [], [], []
    for sgn, (Us, tests, sps, status) in sorted(runs, key=lambda r: r[0]):
        statuses.append(status)
        if sgn < 0 and len(runs) == 2:
            offset = 0
            m = len(Us)
            for (k, s, kind, U, ok, br) in sps:
                specials.append((m - 1 - k - 1, -s, kind, U, ok, br))  # step k..k+1 becomes m-2-k..m-1-k
            points.extend(zip(Us[::-1][:-1], tests[::-1][:-1]))
        else:
            offset = len(points)
            for (k, s, kind, U, ok, br) in sps:
                specials.append((offset + k, s, kind, U, ok, br))
            points.extend(zip(Us, tests))
    # insert special points
    by_step: dict[int, list] = {}
    for k, s, kind, U, ok, br in specials:
        by_step.setdefault(k, []).append((s, kind, U, ok, br))
    final_U, final_l1, sp_out = [], [], []
    for k, (U, tst) in enumerate(points):
        final_U.append(U)
        final_l1.append(tst.get("GH", np.nan))
        for s, kind, Usp, ok, br in sorted(by_step.get(k, []), key=lambda item: item[0]):
            sp = _codim2_point(system, kind, Usp, ok, br, len(final_U))
            sp_out.append(sp)
            final_U.append(Usp)
            final_l1.append(sp.info.get("l1", system.l1(Usp) if isinstance(system, _HopfSystem) else np.nan))
    arr = np.array(final_U)
    n = system.n
    status = min(statuses) if min(statuses) < 0 else max(statuses)
    message = "; ".join(f"{'forward' if sgn > 0 else 'backward'}: {_STATUS[st]}" for sgn, (_, _, _, st) in runs)
    omega = l1 = None
    if isinstance(system, _HopfSystem):
        kappa = arr[:, 2 * n]
        omega = np.where(kappa > 0, np.sqrt(np.abs(kappa)), np.nan)
        l1 = np.array(final_l1, dtype=float)
    model = system.model
    return CodimTwoCurve(
        kind=kind_label,
        param_name=system.param,
        model_name=getattr(model, "name", type(model).__name__),
        state_names=tuple(model.state_names),
        param=arr[:, -2].copy(),
        stable=np.ones(len(arr), dtype=bool),
        special_points=tuple(sp_out),
        status=int(status),
        message=message,
        param2_name=system.param2,
        param2=arr[:, -1].copy(),
        states=arr[:, :n].copy(),
        omega=omega,
        l1=l1,
    )


def _check_inputs(model, point, kind, param, param2, bounds, bounds2, max_step):
    _check_model(model, param)
    _check_model(model, param2)
    if param == param2:
        raise ValueError(f"param2 must differ from param, got {param2!r} twice")
    if not isinstance(point, SpecialPoint) or point.kind != kind:
        raise ValueError(f"expected a SpecialPoint of kind {kind!r}, got {point!r}")
    if not max_step > 0:
        raise ValueError(f"max_step must be > 0, got {max_step!r}")
    p2 = float(model.params[param2])
    if bounds2 is None:
        bounds2 = (0.0, math.inf) if p2 > 0 else (-math.inf, math.inf)
    if bounds is None:
        bounds = (-math.inf, math.inf)
    for name, (lo, hi) in (("bounds", bounds), ("bounds2", bounds2)):
        if not lo < hi:
            raise ValueError(f"{name} must be (low, high) with low < high, got {(lo, hi)!r}")
    if not (bounds[0] <= point.param <= bounds[1] and bounds2[0] <= p2 <= bounds2[1]):
        raise ValueError(f"the starting point ({param}={point.param}, {param2}={p2}) lies outside the bounds")
    return tuple(map(float, bounds)), tuple(map(float, bounds2)), p2


def continue_hopf(model, hopf_point: SpecialPoint, param2: str, *, param: str = "I_ext", bounds=None, bounds2=None,
                  max_step: float = 2.0, min_step: float = 1e-6, max_points: int = 400, direction="both",
                  detect=("BT", "GH"), progress: Callable | None = None) -> CodimTwoCurve:
    """Follow a Hopf point of an equilibrium branch in the plane (``param``, ``param2``).

    Parameters
    ----------
    model : the model the Hopf point was found on (its ``param2`` value is the start value).
    hopf_point : SpecialPoint of kind "H" (from :func:`analysis.continue_equilibria` in ``param``).
    param2 : the second parameter (e.g. "gK", "T").
    bounds, bounds2 : (low, high) windows; the curve stops on leaving them. Default: unbounded in
        ``param`` and [0, ∞) in ``param2`` when it is positive at the start.
    max_step, min_step, max_points : step bounds (combined units) and point budget per direction.
    direction : "both" (default), "forward" (param2 increasing at first) or "backward".
    detect : codim-2 points to locate: "BT" and/or "GH".

    Returns a :class:`CodimTwoCurve` (kind "H") with ``omega`` (NaN on neutral-saddle parts,
    past a BT point) and ``l1`` along the curve, and BT/GH special points whose ``info`` holds
    the second parameter's value. ``status`` 0: left the window, 2: closed curve, 1: max_points,
    negative: failure (the computed part is returned).
    """
    bounds, bounds2, p2 = _check_inputs(model, hopf_point, "H", param, param2, bounds, bounds2, max_step)
    x = np.asarray(hopf_point.state, dtype=float)
    q = hopf_point.info.get("eigenvector")
    omega = hopf_point.info.get("omega")
    if q is None or omega is None:
        nf = first_lyapunov_coefficient(model, x, {param: hopf_point.param})
        q, omega = nf.q, nf.omega
    v = np.real(q) if np.linalg.norm(np.real(q)) > 1e-3 else np.imag(q)
    v = v / np.linalg.norm(v)
    system = _HopfSystem(model, param, param2, v)
    U0 = np.concatenate([x, v, [omega**2, hopf_point.param, p2]])
    return _follow(system, U0, kind_label="H", bounds=bounds, bounds2=bounds2, max_step=max_step, min_step=min_step,
                   max_points=max_points, direction=direction, progress=progress, detect=tuple(detect))


def continue_fold(model, fold_point: SpecialPoint, param2: str, *, param: str = "I_ext", bounds=None, bounds2=None,
                  max_step: float = 2.0, min_step: float = 1e-6, max_points: int = 400, direction="both",
                  detect=("BT", "CP"), progress: Callable | None = None) -> CodimTwoCurve:
    """Follow a fold (LP) point in the plane (``param``, ``param2``); see :func:`continue_hopf`.

    Detects BT (⟨w, v⟩ = 0) and CP (⟨w, B(v, v)⟩ = 0) points. Returns a :class:`CodimTwoCurve`
    of kind "LP".
    """
    bounds, bounds2, p2 = _check_inputs(model, fold_point, "LP", param, param2, bounds, bounds2, max_step)
    x = np.asarray(fold_point.state, dtype=float)
    J = np.asarray(model.jacobian(x, {param: fold_point.param}), dtype=float)
    _, _, vh = np.linalg.svd(J)
    v = vh[-1]
    system = _FoldSystem(model, param, param2, v)
    U0 = np.concatenate([x, v, [fold_point.param, p2]])
    return _follow(system, U0, kind_label="LP", bounds=bounds, bounds2=bounds2, max_step=max_step, min_step=min_step,
                   max_points=max_points, direction=direction, progress=progress, detect=tuple(detect))
