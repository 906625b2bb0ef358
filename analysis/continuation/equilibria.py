"""Equilibrium continuation in one parameter, with fold (LP), Hopf (H) and branch points (BP).

The equilibria of dx/dt = f(x, p) form curves u(s) = (x(s), p(s)) in Rⁿ⁺¹ (s: arclength):
F(u) = f(x, p), F_u = [f_x | f_p] with f_x the model's analytic Jacobian and f_p its ``dfdp``.
:func:`continue_equilibria` follows such a curve on the continuation core (:mod:`.core`:
pseudo-arclength predictor, Moore–Penrose corrector, step control ×1.3 after ≤ 3 Newton
steps, halving after a failure or a tangent turn with cosine < 0.95).

Along the branch three test functions are monitored (MatCont's choice):

==== =====================================================  ===========================
LP   ψ = t_p, the parameter component of the tangent         located as a zero of det f_x
H    ψ = ∏_{i<j} (λ_i + λ_j) (the bialternate-product        zero of the same product
     determinant det(2 f_x ⊙ I), from the eigenvalues)
BP   ψ = det [F_u; tᵀ]                                        zero of the same determinant
==== =====================================================  ===========================

A sign change between two points is located precisely by Brent's method on the test function
along the step, each trial point corrected onto the curve by Newton's method with the
pseudo-arclength condition t_k·(u − u_k) = s. The bialternate product also vanishes at
*neutral saddles* (a real pair ±λ): those are recognised from the eigenvalues at the located
point and not reported. At each Hopf point the frequency and the first Lyapunov coefficient
(:mod:`analysis.lyapunov`) are computed.
"""
from __future__ import annotations

import math

import numpy as np

from hhdyn.newton import solve_equilibria

from ..branch import BifurcationDiagram, Branch, SpecialPoint
from ..lyapunov import first_lyapunov_coefficient, hopf_eigenvectors, multilinear_B
from .core import DenseProblem, Event, NonFinite, Point, Run, StepPolicy, continuation, locate_zero, tangent_of
from .settings import Progress, Settings, settings_from, window_of

__all__ = ["continue_equilibria", "locate_hopf", "locate_fold", "find_equilibrium", "bifurcation_diagram",
           "bialternate_test", "check_model"]


# ---------------------------------------------------------------------------- small helpers
def eigenvalues(J):
    """Eigenvalues of J sorted by decreasing real part (then imaginary part)."""
    lam = np.linalg.eigvals(J)
    return lam[np.lexsort((-lam.imag, -lam.real))]


def bialternate_test(lam: np.ndarray) -> float:
    """∏_{i<j} (λ_i + λ_j): zero at Hopf points (λ = ±iω) and at neutral saddles (±λ)."""
    n = lam.size
    prod = 1.0 + 0.0j
    for i in range(n):
        for j in range(i + 1, n):
            prod *= lam[i] + lam[j]
    return float(prod.real)


def n_unstable(lam: np.ndarray) -> int:
    """Number of eigenvalues with Re λ > 1e-10·max(1, max|λ|)."""
    scale = max(1.0, float(np.max(np.abs(lam)))) if lam.size else 1.0
    return int(np.sum(lam.real > 1e-10 * scale))


def check_model(model, param):
    """ValueError unless ``model`` follows the protocol, has parameter ``param`` and a Jacobian."""
    if not hasattr(model, "rhs") or not hasattr(model, "params"):
        raise ValueError(f"model must follow the hhdyn model protocol, got {type(model).__name__}")
    if param not in model.params:
        raise ValueError(f"unknown parameter {param!r} for {getattr(model, 'name', 'model')}; "
                         f"known parameters: {', '.join(model.params)}")
    jac = getattr(model, "jacobian", None)
    if jac is None or not callable(jac):
        raise ValueError(f"model {getattr(model, 'name', type(model).__name__)!r} has no jacobian(y, params); "
                         "continuation needs the analytic Jacobian")


def find_equilibrium(model, y0, params=None, *, tol=1e-11, max_iter=50):
    """Damped Newton's method for f(x) = 0 from ``y0``; returns (x, converged).

    A thin wrapper of :func:`hhdyn.newton.solve_equilibria` (the one Newton for equilibria).
    """
    res = solve_equilibria(model, np.asarray(y0, dtype=float), params, tol=tol, max_iter=max_iter)
    return res.y, res.converged


def _default_start_state(model, param, value):
    """An equilibrium at param = value to start from: the model's resting state there."""
    rest = getattr(model, "resting_state", None)
    if rest is None:
        raise ValueError(f"{getattr(model, 'name', 'model')} has no resting_state(); pass y0")
    try:
        return np.asarray(rest({param: value}), dtype=float)
    except ValueError:
        voltages = getattr(model, "equilibrium_voltages", None)
        if voltages is None:
            raise
        # far outside the physiological window (e.g. strongly hyperpolarizing currents)
        with np.errstate(all="ignore"):
            found = voltages({param: value}, V_range=(-5000.0, 5000.0), n_grid=100001)
        if found.size == 0:
            raise
        return np.asarray(model.steady_state_curve(found[0]), dtype=float)


def _is_hopf(lam):
    """At a zero of the bialternate product: is the critical pair complex (not ±λ real)?"""
    n = lam.size
    best, pair = np.inf, None
    for i in range(n):
        for j in range(i + 1, n):
            val = abs(lam[i] + lam[j])
            if val < best:
                best, pair = val, (i, j)
    if pair is None:
        return False
    i, j = pair
    scale = max(abs(lam[i]), 1e-300)
    return abs(lam[i].imag) > 1e-6 * scale and abs(lam[j].imag) > 1e-6 * scale and lam[i].imag * lam[j].imag < 0


def _hopf_info(model, param, x, p, lam, lyapunov=True):
    """ω, frequency, l1, criticality and eigenvector at a located Hopf point.

    When l1 cannot be computed (or ``lyapunov`` is False) ω and q come from the eigenvalues and
    ``l1`` is NaN with criticality "unknown".
    """
    nf = None
    if lyapunov:
        try:
            nf = first_lyapunov_coefficient(model, x, {param: p})
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            nf = None
    if nf is not None:
        omega, l1, crit, q, re = nf.omega, nf.l1, nf.criticality, nf.q, nf.real_part
    else:
        omega, q, _ = hopf_eigenvectors(np.asarray(model.jacobian(x, {param: p}), dtype=float))
        l1, crit = float("nan"), "unknown"
        re = float(lam[np.argmin(np.abs(lam - 1j * omega))].real)
    return {"omega": omega, "frequency_hz": omega / (2.0 * math.pi) * 1000.0, "l1": l1, "criticality": crit,
            "eigenvector": q, "real_part": re}


def _fold_info(model, param, x, p):
    """Quadratic coefficient a = ½⟨w, B(v, v)⟩ with J v = 0, Jᵀ w = 0, ⟨w, v⟩ = 1, |v| = 1."""
    J = np.asarray(model.jacobian(x, {param: p}), dtype=float)
    _, _, vh = np.linalg.svd(J)
    v = vh[-1]
    _, _, wh = np.linalg.svd(J.T)
    w = wh[-1]
    w = w / (w @ v)
    a = 0.5 * float(np.real(w @ multilinear_B(model, x, v, v, {param: p})))
    return {"a": a, "eigenvector": v}


# ---------------------------------------------------------------------------- the problem
class EquilibriumProblem(DenseProblem):
    """F(u) = f(x, p) for u = (x, p), F_u = [f_x | f_p]; test functions LP, H, BP.

    Points carry ``data["lam"]`` (eigenvalues of f_x) and ``data["DF"]`` (F_u).
    """

    policy = StepPolicy(grow=((3, 1.3),), min_cos=0.95)
    tangent_while_locating = False  # LP, H and BP are located on det f_x, eigenvalues, det [F_u; t_aᵀ]

    def __init__(self, model, param, window=(-math.inf, math.inf), *, detect=("LP", "H", "BP"), lyapunov=True,
                 u0=None, direction=1):
        self.model, self.param, self.n = model, param, model.n_states
        self.window = (tuple(window),)
        self.detect = tuple(detect)
        self.lyapunov = lyapunov
        self.u0, self.direction = u0, direction

    # -- F and its Jacobian
    def residual(self, u):
        return np.asarray(self.model.rhs(u[:-1], {self.param: u[-1]}), dtype=float)

    def fx(self, u):
        return np.asarray(self.model.jacobian(u[:-1], {self.param: u[-1]}), dtype=float)

    def jacobian(self, u):
        p = {self.param: u[-1]}
        J = np.asarray(self.model.jacobian(u[:-1], p), dtype=float)
        fp = np.asarray(self.model.dfdp(u[:-1], self.param, p), dtype=float)
        return np.column_stack([J, fp])

    # -- points
    def finish(self, point, previous_t):
        """Tangent, F_u and eigenvalues at a corrected point; NonFinite when they are not finite."""
        try:
            with np.errstate(all="raise"):
                DF = self.jacobian(point.u)
                point.t = tangent_of(DF, previous_t)
                lam = eigenvalues(DF[:, :self.n])
        except (FloatingPointError, np.linalg.LinAlgError):
            raise NonFinite(f"the Jacobian is not finite or singular at {self.param}={point.u[-1]:.8g}") from None
        if not np.all(np.isfinite(lam)):
            raise NonFinite(f"non-finite eigenvalues at {self.param}={point.u[-1]:.8g}")
        point.data["DF"], point.data["lam"] = DF, lam
        return point

    def initial(self, settings):
        u = self.u0
        e_p = np.zeros(self.n + 1)
        e_p[-1] = self.direction
        try:
            t = tangent_of(self.jacobian(u), e_p)
        except np.linalg.LinAlgError:
            raise ValueError(f"the starting point at {self.param}={u[-1]} is singular (fold or branch point); "
                             "start a little away from it") from None
        if t[-1] * self.direction <= 0:
            t = -t  # pragma: no cover - only at a fold
        return self.finish(Point(u, e_p), t)

    def correct(self, point, ds, settings):
        new = super().correct(point, ds, settings)
        return None if new is None else self.finish(new, point.t)

    def parameters(self, point):
        return (float(point.u[-1]),)

    def boundary(self, a, b, i, value):
        """The equilibrium at p = ``value``: Newton from the secant's estimate."""
        u_a, u_b = a.u, b.u
        x_b = u_a[:-1] + (value - u_a[-1]) / (u_b[-1] - u_a[-1]) * (u_b[:-1] - u_a[:-1])
        x_b, ok = find_equilibrium(self.model, x_b, {self.param: value}, tol=1e-10)
        if not ok:
            return b
        return self.finish(Point(np.append(x_b, value), b.t, b.iterations), a.t)

    # -- events
    def tests(self, point):
        lam = point.data["lam"]
        out = {}
        if "LP" in self.detect:
            out["LP"] = float(point.t[-1])
        if "H" in self.detect:
            out["H"] = bialternate_test(lam)
        if "BP" in self.detect:
            out["BP"] = float(np.linalg.det(np.vstack([point.data["DF"], point.t[None, :]])))
        return out

    def locate(self, kind, a, b, g_a=None, g_b=None):
        """LP as a zero of det f_x, H of the bialternate product, BP of det [F_u; t_aᵀ]."""
        if kind == "LP":
            psi = lambda q: float(np.linalg.det(self.fx(q.u)))  # noqa: E731
        elif kind == "H":
            psi = lambda q: bialternate_test(eigenvalues(self.fx(q.u)))  # noqa: E731
        else:
            psi = lambda q: float(np.linalg.det(np.vstack([self.jacobian(q.u), a.t[None, :]])))  # noqa: E731
        s_b = self.arclength(a, b)
        q, ok = locate_zero(psi, lambda s, warm: self.point_at(a, b, s, warm), a, b, s_b,
                            xtol=1e-14 * max(1.0, abs(s_b)))
        return self.describe(kind, a, b, q, ok)

    def describe(self, kind, a, b, point, converged):
        u = point.u
        x, p = u[:-1].copy(), float(u[-1])
        if kind == "H":
            lam = eigenvalues(self.fx(u))
            if not _is_hopf(lam):
                return None  # a neutral saddle
            info = _hopf_info(self.model, self.param, x, p, lam, self.lyapunov)
        elif kind == "LP":
            info = _fold_info(self.model, self.param, x, p)
        else:
            info = {"tangent": a.t.copy()}  # the branch's direction, for switch_branch
        values = (float(a.u[-1]), float(b.u[-1]), p)
        return Event(kind, point, (min(values), max(values)), bool(converged), info)

    # -- the result
    def result(self, run: Run, notes=()) -> Branch:
        params, states, eig, sps = [], [], [], []
        for item, is_event in run.ordered():
            if is_event:
                u = item.point.u
                sps.append(SpecialPoint(item.kind, float(u[-1]), u[:-1].copy(), item.info, len(params),
                                        item.bracket, item.converged))
                lam = eigenvalues(self.fx(u))
            else:
                u, lam = item.u, item.data["lam"]
            params.append(u[-1])
            states.append(u[:-1])
            eig.append(lam)
        eig_arr = np.array(eig)
        n_unst = np.array([n_unstable(lam) for lam in eig_arr], dtype=int)
        message = run.status.message
        if run.status < 0:
            last = run.points[-1].u[-1]
            message += (f" (at {self.param}={last:.8g} after {len(run.points)} points"
                        f"{'; ' + run.message if run.message else ''})")
        message = "; ".join([message, *notes])
        model = self.model
        return Branch(kind="EP", param_name=self.param, model_name=getattr(model, "name", type(model).__name__),
                      state_names=tuple(model.state_names), param=np.array(params, dtype=float),
                      stable=n_unst == 0, special_points=tuple(sps), status=int(run.status), message=message,
                      states=np.array(states, dtype=float), eigenvalues=eig_arr, n_unstable=n_unst)


# ---------------------------------------------------------------------------- locating
def _step_points(model, param, u_a, u_b, tangent, lyapunov=True):
    prob = EquilibriumProblem(model, param, lyapunov=lyapunov)
    u_a, u_b = np.asarray(u_a, float), np.asarray(u_b, float)
    t = tangent if tangent is not None else (u_b - u_a) / np.linalg.norm(u_b - u_a)
    return prob, Point(u_a, t), Point(u_b, t)


def _special(ev):
    if ev is None:
        return None
    u = ev.point.u
    return SpecialPoint(ev.kind, float(u[-1]), u[:-1].copy(), ev.info, -1, ev.bracket, ev.converged)


def locate_hopf(model, param, u_a, u_b, *, tangent=None, lyapunov=True):
    """Locate a Hopf point between two equilibria u = (x, p) of one branch.

    Returns a :class:`SpecialPoint` (kind "H"), or None when the zero of the bialternate test
    function there is a neutral saddle. ``tangent`` defaults to the secant direction.
    """
    prob, a, b = _step_points(model, param, u_a, u_b, tangent, lyapunov)
    return _special(prob.locate("H", a, b))


def locate_fold(model, param, u_a, u_b, *, tangent=None):
    """Locate a fold (LP: det f_x = 0) between two equilibria of one branch → SpecialPoint."""
    prob, a, b = _step_points(model, param, u_a, u_b, tangent)
    return _special(prob.locate("LP", a, b))


# ---------------------------------------------------------------------------- main entry
def continue_equilibria(model, param: str = "I_ext", window=None, *, start: float | None = None, y0=None,
                        settings: Settings | None = None, detect=("LP", "H", "BP"), lyapunov: bool = True,
                        progress: Progress = None, **options) -> Branch:
    """Follow the equilibria of ``model`` in parameter ``param`` across ``window``.

    Parameters
    ----------
    model : hhdyn model
        Needs ``rhs``, ``jacobian`` and ``dfdp`` (see :mod:`hhdyn.protocol`).
    param : str
        The continued parameter (e.g. "I_ext" in µA/cm², "gK" in mS/cm²).
    window : (lo, hi)
        The parameter window; the branch ends where it leaves it (the end point is put exactly
        on the boundary).
    start : float, optional
        Where the branch starts: by default at ``lo`` for ``direction=+1``, ``hi`` for −1.
    y0 : array, optional
        A state near the equilibrium at ``start``; by default the model's resting state there.
        It is corrected by Newton's method (the branch ``message`` says by how much); if that
        fails, ValueError.
    settings : Settings, or its fields as keywords (``ds``, ``ds_min``, ``ds_max``,
        ``max_points``, ``direction``, ``tol``)
        Pseudo-arclength steps (combined units of state and parameter; defaults ds_max =
        (hi − lo)/40, ds_min = 1e-7·ds_max, ds = ds_max/5), ``max_points`` (default 5000; then
        status MAX_POINTS), ``direction`` (+1: the parameter increases at the start, −1: it
        decreases) and ``tol`` (corrector tolerance on |f|, default 1e-10).
    detect : iterable of "LP", "H", "BP"
        Which special points to detect and locate.
    lyapunov : bool
        Compute the first Lyapunov coefficient at Hopf points.
    progress : callable(n_points, param), optional
        Called after each accepted step.

    Returns
    -------
    Branch
        With ``status`` (a :class:`Status`: DONE, MAX_POINTS or negative for a failure; the part
        computed so far is returned) and a ``message``.
    """
    check_model(model, param)
    settings = settings_from(settings, options)
    if window is None:
        raise ValueError("window must be given: (lo, hi) of the continued parameter")
    lo, hi = window_of("window", window)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"window must be finite, got {window!r}")
    direction = -1 if settings.direction == -1 else 1
    start = (lo if direction > 0 else hi) if start is None else float(start)
    if not lo <= start <= hi:
        raise ValueError(f"start={start!r} lies outside the window {window!r}")
    detect = tuple(detect)
    for kind in detect:
        if kind not in ("LP", "H", "BP"):
            raise ValueError(f"detect: unknown special point {kind!r}; choose from LP, H, BP")
    ds_max = (hi - lo) / 40.0
    settings = settings.filled(ds=(settings.ds_max or ds_max) / 5.0, ds_min=1e-7 * (settings.ds_max or ds_max),
                               ds_max=ds_max, tol=1e-10)

    # ---- the starting equilibrium
    try:
        guess = _default_start_state(model, param, start) if y0 is None else np.asarray(y0, dtype=float)
    except ValueError as exc:
        raise ValueError(f"no starting equilibrium at {param}={start}: {exc}") from None
    if guess.shape != (model.n_states,):
        raise ValueError(f"y0 must have shape ({model.n_states},), got {guess.shape}")
    try:
        J_try = model.jacobian(guess, {param: start})
    except NotImplementedError:
        raise ValueError(f"model {model.name!r} has no jacobian(); continuation needs the analytic Jacobian") from None
    if np.shape(J_try) != (model.n_states, model.n_states):
        raise ValueError(f"model.jacobian returned shape {np.shape(J_try)}, expected {(model.n_states,) * 2}")
    x0, ok = find_equilibrium(model, guess, {param: start}, tol=settings.tol)
    if not ok:
        res = np.max(np.abs(model.rhs(guess, {param: start})))
        raise ValueError(f"y0={guess.tolist()} is not near an equilibrium at {param}={start} "
                         f"(|f(y0)| = {res:.3g}; Newton's method did not converge)")
    if np.any(np.abs(x0 - guess) > 0.2 * (1.0 + np.abs(guess))):
        raise ValueError(f"y0={guess.tolist()} is not near an equilibrium at {param}={start}: Newton's method "
                         f"went to the distant equilibrium {x0.tolist()}; pass a y0 closer to the one wanted")
    notes = []
    moved = float(np.max(np.abs(x0 - guess)))
    if y0 is not None and moved > 1e-6 * (1.0 + float(np.max(np.abs(guess)))):
        notes.append(f"start corrected: y0 moved by {moved:.3g} to the equilibrium at {param}={start:g}")

    problem = EquilibriumProblem(model, param, (lo, hi), detect=detect, lyapunov=lyapunov,
                                 u0=np.append(x0, start), direction=direction)
    run = continuation(problem, settings, progress)
    return problem.result(run, notes)


def bifurcation_diagram(models, param="I_ext", window=None, **kwargs) -> BifurcationDiagram:
    """Continue the equilibria of each model over the same window; a :class:`BifurcationDiagram`."""
    if not isinstance(models, (list, tuple)):
        models = [models]
    return BifurcationDiagram([continue_equilibria(m, param, window, **kwargs) for m in models])
