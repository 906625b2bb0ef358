"""Continuation of periodic orbits in one parameter: :func:`continue_cycles`.

The parts: the start (:mod:`.starts`: from a Hopf point or a simulated orbit), the collocation
problem on the continuation core (:mod:`.problem`: predictor, chord corrector through the
condensed LU, test functions, stops), the classification of Floquet multipliers
(:mod:`.multipliers`), and the assembly of the :class:`CycleBranch` (here).

Special points (AUTO/MatCont labels), each located by Brent's method on the step length:

* LPC, fold of cycles: the parameter component of the tangent changes sign;
* PD, period doubling: a real Floquet multiplier crosses −1 (test ∏(μᵢ + 1));
* NS, Neimark–Sacker (torus): a complex pair of multipliers crosses the unit circle;
* BPC, branch point of cycles (AUTO's BP on a periodic branch): det [F_X; tᵀ] of the bordered
  collocation Jacobian changes sign, kept when its smallest singular value vanishes there;
* UZ, user points: the parameter reaches one of ``values``.

Ends (``status``, a :class:`~analysis.continuation.Status`, and ``message``): the parameter
reaches the window's boundary (DONE); the amplitude shrinks to zero — the branch has reached a
Hopf point (DONE); ``max_points`` (MAX_POINTS); the period grows without bound
(UNBOUNDED_PERIOD) — the end is named (:mod:`.infinite_period`) and added as the last special
point, "SNIC" (the orbit approaches a saddle-node; its parameter is the fold of the equilibria)
or "HOM" (a hyperbolic saddle; its parameter is the limit of the fitted law
|p − p_hom| = C·exp(−λᵤT)), with the fitted period law in its ``info``; the corrector fails even with the minimum
step (CORRECTOR_FAILED); non-finite numbers (NON_FINITE).
"""
from __future__ import annotations

import math

import numpy as np

from ..continuation.core import Run, continuation
from ..continuation.settings import Progress, Settings, Status, settings_from, window_of
from ..branch import SpecialPoint
from .branch import CycleBranch
from .infinite_period import InfinitePeriodEnd
from .problem import CycleProblem
from .starts import cycle_from_trajectory, first_point, is_hopf_like, trajectory_parts

__all__ = ["continue_cycles", "cycle_from_trajectory", "run_cycle_problem"]


def continue_cycles(start, model=None, param: str = "I_ext", window=None, *, ntst: int = 50, ncol: int = 4,
                    settings: Settings | None = None, max_period: float | None = None,
                    end_tol: float = 1e-4, amplitude: float | None = None, adapt: int = 1, max_newton: int = 14, max_angle: float = 0.25,
                    locate: bool = True, values=(), progress: Progress = None, trivial_tol: float = 1e-6,
                    max_ntst: int | None = None, **options) -> CycleBranch:
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
    window : (lo, hi), optional
        The parameter window (ends may be infinite); the end point is located exactly on its
        boundary. Default: unbounded.
    ntst, ncol : mesh intervals (≥ 10) and collocation points per interval (2–7) of the continuation
        (AUTO's NTST and NCOL).
    trivial_tol, max_ntst : the accuracy check of every orbit. Where the trivial Floquet
        multiplier is farther than ``trivial_tol`` (default 1e-6) from 1, the orbit is corrected
        again on meshes with every interval halved (NTST doubled, up to ``max_ntst``, default
        8·ntst) until it is within ``trivial_tol``, or until a doubling stops halving the error
        (rounding, not discretization, then dominates — canards); that orbit's period, parameter,
        extrema and multipliers are the branch's row (``CycleBranch.trivial_error`` reports what
        was reached). The continuation itself stays on ``ntst``. ``max_ntst=ntst`` turns it off.
    settings : Settings, or its fields as keywords
        ``ds``, ``ds_min``, ``ds_max``: initial, minimum and maximum step in the norm
        ‖(u, T, p)‖² = ∫₀¹‖u‖²dτ + T² + p² (defaults: 2ε from a Hopf point, else 1 % of the
        first orbit's norm; 1e-6; 30 % of the first orbit's norm). ``max_points`` (default 400
        orbits). ``direction`` +1/−1, for a simulated start: increase/decrease the parameter
        first (default +1); from a Hopf point the branch always leaves with growing amplitude.
        ``tol``: Newton tolerance on the relative change of the unknowns (default 1e-9).
    max_period : stop when the period exceeds it, naming the end (SNIC or HOM) if it can. Default:
        stop by ``end_tol``, or at the latest at 1000 × the starting period.
    end_tol : without ``max_period``, once the period exceeds 30 × the starting period the end at
        infinite period is sought (SNIC or HOM, see :mod:`.infinite_period`) every 10 % of period
        growth, and the branch stops when it is within ``end_tol`` (parameter units) of its limit
        (default 1e-4).
    amplitude : ε of the Hopf start (default 1e-3·max(1, ‖x₀‖∞)).
    adapt : re-equidistribute the mesh every ``adapt`` steps (0: never).
    max_newton : corrector iterations per step.
    max_angle : largest accepted turn of the tangent per step (radians).
    locate : locate special points (else they are marked at the first point past them).
    values : parameter values at which to put an orbit on the branch (labelled "UZ", as AUTO's
        user points), e.g. to compare with simulations at given currents.
    progress : optional callable ``progress(n_points, param)`` called after every point.

    Returns
    -------
    CycleBranch — with ``status`` and ``message`` saying why it ended (partial on failure).
    """
    settings = settings_from(settings, {"max_points": 400, **options} if settings is None else options)
    # ---------------------------------------------------------------- validate
    if isinstance(ncol, bool) or not isinstance(ncol, (int, np.integer)) or not 2 <= ncol <= 7:
        raise ValueError(f"ncol must be an integer in 2..7, got {ncol!r}")
    if isinstance(ntst, bool) or not isinstance(ntst, (int, np.integer)) or ntst < 10:
        raise ValueError(f"ntst must be an integer >= 10, got {ntst!r}")
    if not (isinstance(end_tol, (int, float, np.floating)) and end_tol > 0):
        raise ValueError(f"end_tol must be a number > 0 (parameter units), got {end_tol!r}")
    if settings.direction == 0:
        raise ValueError("direction must be +1 or -1 for a cycle branch, got 0")
    hopf = is_hopf_like(start)
    if not hopf:
        if hasattr(start, "kind") and not hasattr(start, "t"):
            raise ValueError(f"start must be a Hopf point (kind 'H') or a periodic orbit; got a special point "
                             f"of kind {start.kind!r}")
        model, p_start, t_sim, y_sim = trajectory_parts(start, model, param)
    elif model is None:
        raise ValueError("start is a Hopf point: pass the model too (model=...)")
    if param not in model.params:
        raise ValueError(f"unknown parameter {param!r}; parameters of {model.name}: {', '.join(model.params)}")
    try:
        values = tuple(float(v) for v in np.atleast_1d(values))
    except (TypeError, ValueError):
        raise ValueError(f"values must be numbers, got {values!r}") from None
    window = (-math.inf, math.inf) if window is None else window_of("window", window)
    if not (isinstance(trivial_tol, (int, float, np.floating)) and trivial_tol > 0):
        raise ValueError(f"trivial_tol must be a number > 0, got {trivial_tol!r}")
    if max_ntst is not None and (isinstance(max_ntst, bool) or not isinstance(max_ntst, (int, np.integer))
                                 or max_ntst < ntst):
        raise ValueError(f"max_ntst must be an integer >= ntst ({ntst}), got {max_ntst!r}")

    problem = CycleProblem(model, param, int(ntst), int(ncol), tol=settings.tol or 1e-9, max_newton=max_newton,
                           max_angle=max_angle, adapt=adapt, locate=locate, window=window, values=values,
                           trivial_tol=trivial_tol, max_ntst=max_ntst)
    # ---------------------------------------------------------------- first point
    if hopf:
        pt, eps = first_point(problem, hopf_start=start, amplitude=amplitude)
    else:
        pt, eps = first_point(problem, trajectory=(t_sim, y_sim), p_start=p_start, direction=settings.direction)
    pt.pinned = not hopf  # a simulated start is the orbit at the given parameter: refined there
    return run_cycle_problem(problem, pt, settings, first_ds=2.0 * eps if hopf else None, max_period=max_period,
                             end_tol=end_tol, progress=progress)


def run_cycle_problem(problem: CycleProblem, pt, settings: Settings, *, first_ds=None, max_period=None,
                      end_tol=1e-4, progress: Progress = None) -> CycleBranch:
    """Continue ``problem`` from its first point ``pt`` on the core and assemble the branch.

    The defaults of :func:`continue_cycles` apply (``first_ds`` None: 1 % of the first orbit's
    norm); used by :func:`continue_cycles` and by branch switching (:mod:`.switching`).
    """
    problem.first = pt
    problem.max_period = 1000.0 * pt.T if max_period is None else float(max_period)
    problem.check_period = problem.next_check = 30.0 * pt.T if max_period is None else math.inf
    problem.end_tol = float(end_tol)
    sys = problem.sys
    scale_X = float(np.sqrt(np.sum(sys.node_weights(pt.mesh)[:, None] * pt.U**2) + pt.T**2 + pt.p**2))
    settings = settings.filled(ds=0.01 * scale_X if first_ds is None else first_ds, ds_min=1e-6,
                               ds_max=0.3 * scale_X, tol=1e-9, direction=1)
    run = continuation(problem, settings, progress)
    return _cycle_branch(problem, run, settings)


def _cycle_branch(problem: CycleProblem, run: Run, settings: Settings) -> CycleBranch:
    """Assemble the :class:`CycleBranch`: points and located special points in branch order."""
    rows, specials = [], []
    for item, is_event in run.ordered():
        if is_event:
            specials.append(problem.special_point(item, len(rows)))
            rows.append(problem.measure(item.point))
        else:
            rows.append(problem.measure(item))
    end = problem.end if run.status == Status.UNBOUNDED_PERIOD else None
    if end is not None:
        specials.append(infinite_period_point(end, rows[-1], len(rows) - 1, problem.model.state_names))
    param, last = problem.param, rows[-1]
    status = run.status
    if status == Status.DONE:
        message = run.message or f"reached the end of the parameter window at {param}={last['p']:.8g}"
    elif status == Status.MAX_POINTS:
        message = f"maximum number of points ({settings.max_points}) reached at {param}={last['p']:.8g}; " \
                  "increase max_points"
        if problem.end is not None and last["T"] > problem.check_period:
            message += f" (the period grows without bound: {problem.end.describe(param)}, " \
                       f"{problem.end.distance:.2g} away)"
    elif status == Status.CORRECTOR_FAILED:
        message = problem.failure or status.message
    else:
        message = run.message or status.message
    if problem.spurious:
        message += (f"; at {problem.spurious} LPC(s) no second multiplier is at 1, so the multipliers there are not "
                    f"trusted (info['multipliers_trusted'] is False; increase ntst)")
    missed = [r for r in rows if r["terr"] > problem.trivial_tol]
    if missed:
        worst = max(missed, key=lambda r: r["terr"])
        message += (f"; at {len(missed)} orbit(s) the trivial multiplier stays farther than trivial_tol="
                    f"{problem.trivial_tol:g} from 1 (worst {worst['terr']:.2g} at {param}={worst['p']:.10g}, "
                    f"NTST={worst['ntst']}): " + (
                        f"it stopped falling with NTST (tried up to {worst['tried']}) — at folds of cycles and on "
                        "canards the trivial multiplier is ill-conditioned and rounding is the limit"
                        if worst["stalled"] else "raise max_ntst"))
    model, sys = problem.model, problem.sys
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


def infinite_period_point(end: InfinitePeriodEnd, last: dict, index: int, state_names) -> SpecialPoint:
    """The branch's end at infinite period as a special point ("SNIC" or "HOM") at the last row
    ``index``: ``param`` is the limit (p_SN or p_hom, not the last orbit's value, which is
    ``info["last_param"]``); ``state`` the saddle-node or saddle; ``info``: ``period`` = inf,
    ``last_period``, ``eigenvalues``, ``law`` (see :class:`.infinite_period.InfinitePeriodEnd`),
    ``distance``, and the last orbit's ``state_max``/``state_min``."""
    info = {"period": math.inf, "last_period": float(last["T"]), "last_param": float(last["p"]),
            "eigenvalues": end.eigenvalues, "law": dict(end.law), "distance": end.distance, "n_fit": end.n_fit,
            "state_max": {s: float(v) for s, v in zip(state_names, last["smax"])},
            "state_min": {s: float(v) for s, v in zip(state_names, last["smin"])}}
    lo, hi = sorted((float(last["p"]), end.param))
    return SpecialPoint(kind=end.kind, param=end.param, state=np.asarray(end.state, float).copy(), info=info,
                        index=index, bracket=(lo, hi), converged=True)
