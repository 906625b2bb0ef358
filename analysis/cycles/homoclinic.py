"""Homoclinic orbits in two parameters: the HOM/SNIC curve by collocation at a large fixed period.

A saddle homoclinic orbit (HOM) at p₁ = p_hom is the limit of the cycle branch whose period
grows like T ≈ −ln|p₁ − p_hom|/λᵤ (:mod:`.infinite_period`); the orbit of a large fixed period
T therefore lies within |p₁ − p_hom| ≈ C·exp(−λᵤT) of the homoclinic orbit. Fixing T and freeing
a second parameter p₂ (AUTO-07p's recommended way to follow homoclinic orbits without HomCont)
gives a curve of periodic orbits

    du/dτ = T·f(u, p₁, p₂),   u(0) = u(1),   ∫₀¹⟨u, u̇_ref⟩dτ = 0          (T fixed)

in the unknowns (u, p₂, p₁) — the collocation system of :mod:`.collocation` with p₂ in the
period's place (:class:`FixedPeriodSystem`), continued by the cycle problem's predictor,
chord corrector, condensed LU and mesh adaptation on the one continuation loop
(:class:`HomoclinicProblem`). p₂ enters the arclength norm scaled by s₂ = (1 + |p₁|)/|p₂| at the
start, so both parameters count alike.

Where the orbit's slow point passes a saddle the curve follows the homoclinic curve
p₁ = p_hom(p₂) to exponential accuracy. Where the saddle and the node it came from merge — the
**saddle-node–loop point** (SNL; MatCont's "NCH", non-central homoclinic to a saddle-node) —
the homoclinic orbit becomes an orbit homoclinic to the saddle-node, and beyond it the curve
follows the SNIC curve, which is the fold (LP) curve of the equilibria, p₁ = p_LP(p₂) (up to
O(1/T²): T ≈ π/√(a·(p₁ − p_LP)) near a SNIC). The test function of SNL is

    ψ = p₁ − p_LP(p₂),

with p_LP(p₂) the fold of the equilibria in p₁ at the current p₂ nearest the orbit's slow point
(the fold defining system f = 0, f_x v = 0, ⟨v, v_ref⟩ = 1 of :mod:`analysis.continuation.codim2`
solved by Newton's method at fixed p₂, warm-started from the previous point): ψ < 0 on the
homoclinic side (the saddle exists), ψ > 0 beyond it (only the ghost of the saddle-node is left).
Its zero is located by Brent's method along the step (the core's event location); at finite T
the located point lies within O(1/T²) of the true SNL in p₁.

Units: p₁, p₂ in the parameters' units (µA/cm² for I_ext, 1/ms for Morris–Lecar's φ), T in ms.
"""
from __future__ import annotations

import math

import numpy as np

from ..branch import CodimTwoCurve, SpecialPoint
from ..continuation.core import Event, continuation, join_runs, locate_zero
from ..continuation.settings import Progress, Settings, Status, settings_from, window_of
from .collocation import CollocationSystem
from .infinite_period import folds_near, slowest_point
from .problem import CyclePoint, CycleProblem

__all__ = ["continue_homoclinic", "FixedPeriodSystem", "HomoclinicProblem", "NEAR_FRACTION"]

#: an SNL is reported only where the orbit spends at least this share of its period near the
#: saddle-node (within 5 % of its range in every state); elsewhere ψ = 0 is a false alarm — the
#: fixed-period orbit has become an ordinary cycle (e.g. Morris–Lecar at small φ, where the slow w
#: alone takes most of T)
NEAR_FRACTION = 0.5


class FixedPeriodSystem(CollocationSystem):
    """The collocation system with the period fixed at ``period`` and the second parameter
    ``param2`` (scaled: the unknown is q = s₂·p₂) in the period's slot of the unknowns (U, q, p₁)."""

    def __init__(self, model, param, param2, ntst, ncol, period, scale2):
        super().__init__(model, param, ntst, ncol)
        self.param2, self.period, self.scale2 = param2, float(period), float(scale2)

    def model_at2(self, p, q):
        """The model at p₁ = ``p``, p₂ = ``q``/s₂ (cached for the last pair)."""
        key = (float(p), float(q))
        cache = getattr(self, "_p2cache", None)
        if cache is None or cache[0] != key:
            self._p2cache = cache = (key, self.model.with_params(**{self.param: key[0], self.param2: key[1] / self.scale2}))
        return cache[1]

    def vector_field(self, q, p):
        return self.period, self.model_at2(p, q)

    def second_column(self, q, T, h, f, X, model):
        """∂(3)/∂q = −h_j·T·∂f/∂p₂ / s₂."""
        fp2 = np.asarray(model.dfdp(X, self.param2)).T.reshape(f.shape)
        return -(h[:, None, None] * T / self.scale2) * fp2


class _FoldTracker:
    """p_LP(p₂): the fold of the equilibria in p₁ at fixed p₂, by Newton's method on the fold
    defining system of :mod:`analysis.continuation.codim2`, warm-started from the last fold."""

    def __init__(self, model, param, param2, x, v, p1, p2):
        from ..continuation.codim2 import _FoldSystem

        self.system = _FoldSystem(model, param, param2, v)
        self.U = np.concatenate([x, v / np.linalg.norm(v), [p1, p2]])

    def at(self, p2, max_iter=25):
        """(x_LP, p₁_LP) at ``p2``, or None when Newton's method fails."""
        sys = self.system
        U = self.U.copy()
        U[-1] = float(p2)
        try:
            with np.errstate(all="raise"):
                for _ in range(max_iter):
                    G = sys.G(U)
                    d = np.linalg.solve(sys.DG(U)[:, :-1], G)
                    U[:-1] -= d
                    if np.linalg.norm(d) <= 1e-11 * (1.0 + np.linalg.norm(U[:-1])) or np.max(np.abs(sys.G(U))) < 1e-13:
                        break
                else:
                    return None
        except (FloatingPointError, ValueError, np.linalg.LinAlgError):
            return None
        if not np.all(np.isfinite(U)):
            return None
        self.U = sys.set_refs(U)
        n = sys.n
        return U[:n].copy(), float(U[-2])


def _first_fold(model, param, p, x_slow):
    """The fold (LP) of the equilibria in ``param`` nearest in parameter to ``p`` on the curve
    through the equilibrium nearest (x_slow, p) → (x, v, p_LP) or None."""
    folds = folds_near(model, param, p, x_slow, width_of=lambda p0, p: 0.5 * (1.0 + abs(p0)), first_only=True,
                       max_points=500)
    best = min(folds, key=lambda sp: abs(sp.param - p), default=None)
    if best is None:
        return None
    J = np.asarray(model.jacobian(best.state, {param: best.param}), float)
    v = np.linalg.svd(J)[2][-1]
    return np.asarray(best.state, float), v, float(best.param)


class HomoclinicProblem(CycleProblem):
    """Periodic orbits of fixed period T in two parameters (see the module docstring); points
    are :class:`.problem.CyclePoint` with ``T`` holding q = s₂·p₂."""

    def __init__(self, model, param, param2, ntst, ncol, period, scale2, *, tol, max_newton, max_angle, adapt,
                 window, window2, detect, fold, values2=()):
        super().__init__(model, param, ntst, ncol, tol=tol, max_newton=max_newton, max_angle=max_angle, adapt=adapt,
                         window=window)
        self.sys = FixedPeriodSystem(model, param, param2, ntst, ncol, period, scale2)
        self.param2, self.scale2, self.period = param2, float(scale2), float(period)
        self.window = (tuple(window), tuple(window2))
        self.values2 = tuple(float(v) for v in values2)
        self.detect = tuple(detect) + tuple(f"UZ{i}" for i in range(len(self.values2)))
        self.fold = fold

    # ---------------------------------------------------------- the unknowns
    def inadmissible(self, q, p) -> str:
        return ""  # p₂ may take any value the model accepts (a rejected value fails the step)

    def p2(self, pt) -> float:
        return float(pt.T) / self.scale2

    def parameters(self, point):
        return (float(point.p), self.p2(point))

    # ---------------------------------------------------------- measurements
    def measure(self, pt: CyclePoint) -> dict:
        if pt.record is None:
            smin, smax = self.sys.extrema(pt.U, pt.mesh)
            model = self.sys.model_at2(pt.p, pt.T)
            x_slow = slowest_point(model, self.param, pt.p, pt.U)
            fold = self.fold.at(self.p2(pt))
            psi = float(pt.p - fold[1]) if fold is not None else math.nan
            pt.record = dict(p=pt.p, p2=self.p2(pt), smin=smin, smax=smax, slow=x_slow, U=pt.U.copy(),
                             mesh=pt.mesh.copy(), fold=fold, psi=psi, tp=pt.tp)
        return pt.record

    def tests(self, pt):
        out = {"SNL": self.measure(pt)["psi"]} if "SNL" in self.detect else {}
        for i, v in enumerate(self.values2):
            out[f"UZ{i}"] = self.p2(pt) - v
        return out

    def test(self, kind, pt):
        if kind.startswith("UZ"):
            return self.p2(pt) - self.values2[int(kind[2:])]
        return self.measure(pt)["psi"]

    def locate_tolerances(self, kind, a, b, s_b):
        if kind.startswith("UZ"):
            return 1e-12 * abs(s_b), 1e-12 * max(1.0, abs(self.values2[int(kind[2:])]))
        return 1e-12 * abs(s_b), 1e-10 * max(1.0, abs(a.p))

    def near_fraction(self, pt, x) -> float:
        """The share of the period the orbit spends within 5 % of its range (in every state) of ``x``."""
        U = self.sys.evaluate(pt.U, pt.mesh, np.linspace(0.0, 1.0, 2001)[:-1])
        scale = np.maximum(np.ptp(U, axis=0), 1e-12)
        return float(np.mean(np.all(np.abs(U - x) <= 0.05 * scale, axis=1)))

    def describe(self, kind, a, b, q, converged):
        r = self.measure(q)
        if kind.startswith("UZ"):
            info = {self.param2: r["p2"], "period": self.period, "slow_point": r["slow"]}
            return Event("UZ", q, (min(a.p, b.p, q.p), max(a.p, b.p, q.p)), bool(converged), info)
        x_sn, p_sn = r["fold"]
        near = self.near_fraction(q, x_sn)
        if near < NEAR_FRACTION:  # the orbit of period T is no longer homoclinic-like there: a false alarm
            return None
        lam = np.linalg.eigvals(np.asarray(self.model.jacobian(x_sn, {self.param: p_sn, self.param2: r["p2"]}), float))
        info = {self.param2: r["p2"], "period": self.period, "psi": r["psi"], "saddle_node": x_sn, "near_fraction": near,
                "fold_param": p_sn, "eigenvalues": lam,
                "state_max": {s: float(v) for s, v in zip(self.model.state_names, r["smax"])},
                "state_min": {s: float(v) for s, v in zip(self.model.state_names, r["smin"])}}
        bracket = (min(a.p, b.p, q.p), max(a.p, b.p, q.p))
        return Event(kind, q, bracket, bool(converged), info)

    def special_point(self, ev: Event, index: int) -> SpecialPoint:
        r = self.measure(ev.point)
        state = ev.info["saddle_node"] if ev.kind == "SNL" else r["slow"]
        return SpecialPoint(kind=ev.kind, param=float(r["p"]), state=np.asarray(state, float).copy(),
                            info=ev.info, index=index, bracket=ev.bracket, converged=ev.converged)

    # ---------------------------------------------------------- the core's hooks
    def boundary(self, a, b, i, value):
        s_b = self.arclength(a, b)
        q, _ = locate_zero(lambda pt: self.parameters(pt)[i] - value, lambda s, warm: self.point_at(a, b, s, warm),
                           a, b, s_b, xtol=1e-12 * abs(s_b), gtol=1e-11 * max(1.0, abs(value)))
        return q

    def stop(self, a, b):
        if not (np.isfinite(b.T) and np.isfinite(b.p) and np.all(np.isfinite(b.U))):
            return Status.NON_FINITE, f"non-finite values at {self.param}={b.p}", True
        amp = self.amplitude(b.U, b.mesh)[1]
        self.max_amp = max(self.max_amp, amp)
        if amp < 1e-3 * self.max_amp:
            return (Status.DONE, f"the orbit shrank to a point at {self.param}={b.p:.8g}, "
                                 f"{self.param2}={self.p2(b):.8g}", False)
        return None


def continue_homoclinic(branch, model, param2: str, *, window=None, window2=None, settings: Settings | None = None,
                        detect=("SNL",), values=(), max_angle: float = 0.25, adapt: int = 1, max_newton: int = 14,
                        progress: Progress = None, **options) -> CodimTwoCurve:
    """Continue the homoclinic (HOM) or SNIC orbit that ends a cycle branch in the plane
    (``branch.param_name``, ``param2``), by collocation at the branch's last (large) period.

    Parameters
    ----------
    branch : CycleBranch
        A branch from :func:`analysis.continue_cycles` that ended at infinite period: its last
        special point is "HOM" or "SNIC" (status UNBOUNDED_PERIOD). Its last orbit (profile,
        mesh, NCOL, period T) starts the curve, and T stays fixed.
    model : the model of the branch (``param2``'s start value is the model's).
    param2 : the second parameter (e.g. "phi" for Morris–Lecar).
    window, window2 : (lo, hi) windows of the first and second parameter (default: unbounded;
        [0, ∞) for a positive ``param2``).
    settings : Settings, or its fields as keywords: ``ds``, ``ds_min``, ``ds_max`` in the norm
        ‖(u, s₂p₂, p₁)‖ (defaults 0.5 %, 1e-6 and 3 % of the start's norm), ``max_points`` (200
        per direction), ``direction`` (0 = both ways from the start, the default; +1/−1: p₂
        increases/decreases first), ``tol`` (1e-9).
    detect : ("SNL",) to locate saddle-node–loop points, () for none. An SNL is kept only where
        the orbit spends at least :data:`NEAR_FRACTION` of T near the saddle-node
        (``info["near_fraction"]``).
    values : values of ``param2`` at which to put an orbit on the curve ("UZ" points, with
        ``info[param2]``; their ``param`` is the first parameter there).
    progress : callable(n_points, param), optional.

    Returns
    -------
    CodimTwoCurve of kind "HOM": ``param``/``param2`` along the curve, ``states`` the slow point
    of each orbit (where it passes the saddle or the ghost of the saddle-node), SNL special points
    (``state`` the saddle-node, ``info``: ``param2``'s value, the fixed ``period``, the fold's
    parameter ``fold_param``, ``eigenvalues``); ``status`` and ``message`` say how each direction
    ended.

    ValueError when ``branch`` does not end at a homoclinic orbit, saying what to do.
    """
    from .branch import CycleBranch

    if not isinstance(branch, CycleBranch):
        raise ValueError(f"continue_homoclinic starts from a cycle branch that ends at a homoclinic orbit (a CycleBranch "
                         f"whose last special point is 'HOM' or 'SNIC'), got {type(branch).__name__}; continue the "
                         "cycles with analysis.continue_cycles until the period grows without bound and pass that branch")
    end = branch.special_points[-1] if branch.special_points else None
    if end is None or end.kind not in ("HOM", "SNIC") or end.index != len(branch.param) - 1:
        raise ValueError(f"the cycle branch of {branch.model_name} does not end at a homoclinic orbit (it ended: "
                         f"{branch.message}); its last orbit is not near one. Continue the cycles further (a wider "
                         f"window, more max_points) until the branch ends at infinite period with a 'HOM' or 'SNIC' "
                         "point, and start from that branch")
    param = branch.param_name
    if param2 not in model.params:
        raise ValueError(f"unknown parameter {param2!r}; parameters of {model.name}: {', '.join(model.params)}")
    if param2 == param:
        raise ValueError(f"param2 must differ from the branch's parameter {param!r}")
    p1, p2 = float(branch.param[-1]), float(model.params[param2])
    window = (-math.inf, math.inf) if window is None else window_of("window", window)
    window2 = ((0.0, math.inf) if p2 > 0 else (-math.inf, math.inf)) if window2 is None else window_of("window2", window2)
    if not (window[0] <= p1 <= window[1] and window2[0] <= p2 <= window2[1]):
        raise ValueError(f"the start ({param}={p1:.8g}, {param2}={p2:.8g}) lies outside the windows {window} × {window2}")
    settings = settings_from(settings, {"max_points": 200, **options} if settings is None else options)
    U0 = np.asarray(branch.profiles[-1], float)
    mesh0 = np.asarray(branch.meshes[-1], float)
    T = float(branch.period[-1])
    ntst, ncol = mesh0.size - 1, int(branch.ncol)
    # q = s₂·p₂ with s₂ a power of two near (1 + |p₁|)/|p₂|: both parameters weigh alike in the
    # norm, and p₂ = q/s₂ is exact (the start is at the given p₂ to the last bit)
    scale2 = 2.0 ** round(math.log2((1.0 + abs(p1)) / abs(p2))) if p2 != 0 else 1.0
    at_start = model.with_params(**{param: p1})
    fold0 = _first_fold(at_start, param, p1, slowest_point(at_start, param, p1, U0))
    if fold0 is None:
        raise ValueError(f"no fold of the equilibria in {param} near the slow point of the last orbit of the branch "
                         f"({param}={p1:.8g}); the saddle-node-loop test needs one: pass detect=() to continue "
                         "without it")
    runs = []
    direction = 0 if settings.direction is None else settings.direction
    for sign in ((1, -1) if direction == 0 else (direction,)):
        fold = _FoldTracker(model, param, param2, fold0[0], fold0[1], fold0[2], p2)
        problem = HomoclinicProblem(model, param, param2, ntst, ncol, T, scale2, tol=settings.tol or 1e-9,
                                    max_newton=max_newton, max_angle=max_angle, adapt=adapt, window=window,
                                    window2=window2, detect=detect, fold=fold, values2=np.atleast_1d(values))
        first = _first_point(problem, U0, mesh0, scale2 * p2, p1, sign)
        problem.first = first
        sys = problem.sys
        scale_X = float(np.sqrt(np.sum(sys.node_weights(mesh0)[:, None] * U0**2) + (scale2 * p2) ** 2 + p1**2))
        run_settings = settings.filled(ds=0.005 * scale_X, ds_min=1e-6, ds_max=0.03 * scale_X, tol=1e-9, direction=1)
        runs.append((sign, problem, continuation(problem, run_settings, progress)))
    return _curve(runs, model, param, param2, T)


def _first_point(problem: HomoclinicProblem, U, mesh, q, p, sign) -> CyclePoint:
    """The branch's last orbit as the first point, with the tangent of the fixed-period curve
    oriented so that p₂ changes with ``sign``."""
    X = problem.sys.pack(U, q, p)
    zero = np.zeros_like(U)
    pt = problem.finish(X, mesh, (zero, float(sign), 0.0))
    if pt.tT * sign < 0:  # pragma: no cover - the bordered solve orients along the given row
        pt.tU, pt.tT, pt.tp = -pt.tU, -pt.tT, -pt.tp
    return pt


def _curve(runs, model, param, param2, T) -> CodimTwoCurve:
    """Join the runs (backward reversed, then forward) into a CodimTwoCurve of kind "HOM"."""
    if len(runs) == 2:
        (_, _, fwd), (_, back_problem, back) = runs
        run = join_runs(back, fwd)
        problems = [back_problem] * (len(back.points) - 1) + [runs[0][1]] * len(fwd.points)
    else:
        run = runs[0][2]
        problems = [runs[0][1]] * len(run.points)
    rows, specials = [], []
    k = 0
    for item, is_event in run.ordered():
        if is_event:
            prob = problems[min(k, len(problems) - 1)]
            specials.append(prob.special_point(item, len(rows)))
            rows.append(prob.measure(item.point))
        else:
            rows.append(problems[k].measure(item))
            k += 1
    statuses = [r.status for _, _, r in runs]
    status = min(statuses) if min(statuses) < 0 else max(statuses)
    message = f"periodic orbits of fixed period T={T:.6g} in ({param}, {param2}): " + "; ".join(
        f"{'forward' if sign > 0 else 'backward'}: {r.status.message}" + (f" ({r.message})" if r.message else "")
        for sign, _, r in runs)
    return CodimTwoCurve(
        kind="HOM",
        param_name=param,
        model_name=model.name,
        state_names=tuple(model.state_names),
        param=np.array([r["p"] for r in rows]),
        stable=np.ones(len(rows), dtype=bool),
        special_points=tuple(specials),
        status=int(status),
        message=message,
        param2_name=param2,
        param2=np.array([r["p2"] for r in rows]),
        states=np.array([r["slow"] for r in rows]),
    )
