"""Branch switching on cycle branches: onto the period-doubled cycles at a PD, onto the other
branch at a branch point of cycles (BPC). Called through
:func:`analysis.continuation.switching.switch_branch`; the new branch is followed by the one
cycle problem (:class:`.problem.CycleProblem`) on the one continuation loop.

**PD.** At a period doubling the orbit x₀ (period T) has the multiplier −1 with the
antiperiodic eigenfunction v (v̇ = f_x(x₀)v, v(T) = −v(0)), the null vector of the collocated
variational operator with antiperiodic wrap (:func:`.normal_form.variational_matrix`). Traversed
twice, x₀ is a 2T-periodic solution too, and in the collocation problem for period 2T (twice the
mesh intervals, the mesh halved and repeated) it is a branch point: w = (v on the first period,
−v on the second) is 2T-periodic and solves the variational equation, so the null space is
spanned by the (doubled) branch tangent and w — orthogonal, since the one is invariant and the
other changes sign under the shift by T. The period-2T branch leaves along w (with Δp, ΔT =
O(ε²)): its first point is the doubled orbit plus ε·w, corrected on the hyperplane
⟨X − X₀, w⟩ = ε, and the branch is continued from there.

**BPC.** At a branch point of the cycle problem itself (a multiplier +1 that is not a fold, e.g.
where a symmetric cycle loses stability to asymmetric ones) the collocation-and-phase Jacobian
(NTST·NCOL·n + 1 equations, one more unknown) has a two-dimensional null space: the algebraic
branching equation (:func:`analysis.continuation.switching.branching_tangents`) gives the two
tangents; the one further from the branch's secant through the neighbouring orbits is followed.
The orbit of the point must be at the branch point: the BPCs that cycle continuation detects
(:meth:`.problem.CycleProblem.bpc_test`: det [F_X; tᵀ] changes sign, located on det J, kept when
the bordered Jacobian is singular there) are; so is a user point put there with ``values=`` and
relabelled "BPC".
"""
from __future__ import annotations

import math

import numpy as np

from ..continuation.settings import Settings, settings_from, window_of
from ..continuation.switching import branching_tangents, oriented, other_tangent
from .collocation import CollocationSystem
from .continuation import run_cycle_problem
from .normal_form import _null, variational_matrix
from .problem import CycleFailure, CyclePoint, CycleProblem

__all__ = ["switch_cycles", "doubled_orbit", "pd_eigenfunction"]

_CYCLE_OPTIONS = ("ntst", "amplitude", "max_period", "end_tol", "adapt", "max_newton", "max_angle", "locate",
                  "values", "progress")


def _row(point, branch, model, param):
    if branch is None or getattr(branch, "profiles", None) is None:
        raise ValueError(f"switching at a {point.kind} point needs the cycle branch it lies on: pass branch= "
                         "(the CycleBranch from continue_cycles)")
    if param != branch.param_name:
        raise ValueError(f"param {param!r} is not the branch's parameter {branch.param_name!r}")
    if param not in model.params:
        raise ValueError(f"unknown parameter {param!r}; parameters of {model.name}: {', '.join(model.params)}")
    i = int(point.index)
    if not 0 <= i < len(branch.param) or branch.param[i] != point.param:
        raise ValueError(f"the {point.kind} point at {param}={point.param:.10g} (index {i}) is not a row of the "
                         "branch given")
    return i


def pd_eigenfunction(sys: CollocationSystem, U, T, p, mesh) -> np.ndarray:
    """Node values (N, n) of the antiperiodic eigenfunction v at a PD, ∫₀¹⟨v, v⟩dτ = 1."""
    blocks, _, _ = sys.jacobian_blocks(U, T, p, mesh)
    v, _ = _null(variational_matrix(sys, blocks, -1.0))
    V = v.reshape(sys.N, sys.n)
    return V / math.sqrt(float(np.sum(sys.node_weights(mesh)[:, None] * V * V)))


def doubled_orbit(U, mesh):
    """(U₂, mesh₂): the orbit traversed twice on the mesh halved and repeated (2·NTST intervals)."""
    return np.concatenate([U, U]), np.concatenate([0.5 * mesh, 0.5 + 0.5 * mesh[1:]])


def _first(problem: CycleProblem, base: CyclePoint, eps: float):
    """Correct base + ε·(its tangent) on the hyperplane ⟨X − X_base, t⟩ = ε → the first point."""
    try:
        X, _ = problem.predict_correct(base, eps, full_newton=True)
        return problem.finish(X, base.mesh, (base.tU, base.tT, base.tp))
    except CycleFailure as exc:
        raise ValueError(f"could not converge onto the new branch ({exc}); try a smaller amplitude") from None


def _unit(problem, mesh, tU, tT, tp):
    nrm = math.sqrt(problem.inner(mesh, tU, tT, tp, tU, tT, tp))
    return tU / nrm, tT / nrm, tp / nrm


def switch_cycles(point, model, param, window, *, branch, settings: Settings | None = None, **options):
    """The period-2T branch at a PD, or the other branch at a BPC (see the module docstring).

    ``options``: the cycle options of :func:`.continuation.continue_cycles` — ``ntst`` (default:
    2× the branch's at a PD, the branch's at a BPC; NCOL is the branch's), ``amplitude`` (the
    first step ε along the new direction in the branch norm, default 1e-5·(1 + ‖X₀‖)), ``max_period``,
    ``end_tol``, ``adapt``, ``max_newton``, ``max_angle``, ``locate``, ``values``, ``progress`` —
    and the fields of :class:`Settings`. Returns a :class:`.branch.CycleBranch`.
    """
    cyc = {k: options.pop(k) for k in _CYCLE_OPTIONS if k in options}
    settings = settings_from(settings, {"max_points": 400, **options} if settings is None else options)
    i = _row(point, branch, model, param)
    U, mesh, T, p, ncol = branch.profiles[i], branch.meshes[i], float(branch.period[i]), float(branch.param[i]), \
        int(branch.ncol)
    ntst0 = mesh.size - 1
    window = (-math.inf, math.inf) if window is None else window_of("window", window)
    if not window[0] <= p <= window[1]:
        raise ValueError(f"window {window!r} does not contain the {point.kind} point {param}={p:.10g}")
    ntst = int(cyc.pop("ntst", 2 * ntst0 if point.kind == "PD" else ntst0))
    if point.kind == "PD" and ntst % 2:
        raise ValueError(f"ntst must be even for the doubled orbit, got {ntst}")
    values = tuple(float(v) for v in np.atleast_1d(cyc.pop("values", ())))
    amplitude = cyc.pop("amplitude", None)
    progress = cyc.pop("progress", None)
    run_opts = {k: cyc.pop(k) for k in ("max_period", "end_tol") if k in cyc}
    problem = CycleProblem(model, param, ntst, ncol, tol=settings.tol or 1e-9, max_newton=cyc.pop("max_newton", 14),
                           max_angle=cyc.pop("max_angle", 0.25), adapt=cyc.pop("adapt", 1),
                           locate=cyc.pop("locate", True), window=window, values=values)
    sys = problem.sys
    if point.kind == "PD":
        mu = np.asarray(branch.multipliers[i])[1:]
        if mu.size == 0 or np.min(np.abs(mu + 1.0)) > 1e-3:
            raise ValueError(f"no Floquet multiplier within 1e-3 of −1 at {param}={p:.10g}: not a period doubling")
        sys1 = CollocationSystem(model, param, ntst0, ncol)
        V = pd_eigenfunction(sys1, U, T, p, mesh)
        U2, mesh2 = doubled_orbit(U, mesh)
        V2, _ = doubled_orbit(V, mesh)
        V2[sys1.N:] *= -1.0                       # w = (v, −v): 2T-periodic
        if ntst != 2 * ntst0:  # onto a uniform mesh (shift-symmetric by ½ like the doubled one)
            new = np.linspace(0.0, 1.0, ntst + 1)
            sys2 = CollocationSystem(model, param, 2 * ntst0, ncol)
            U2, V2 = (sys2.evaluate(A, mesh2, sys.node_times(new)) for A in (U2, V2))
            mesh2 = new
        base = CyclePoint(U2, 2.0 * T, p, mesh2, *_unit(problem, mesh2, V2, 0.0, 0.0))
    else:
        base = _bpc_base(problem, branch, i, U, T, p, mesh, settings.direction)
    scale = math.sqrt(problem.inner(base.mesh, base.U, base.T, base.p, base.U, base.T, base.p))
    eps = 1e-5 * (1.0 + scale) if amplitude is None else float(amplitude)
    pt = _first(problem, base, eps)
    if point.kind == "PD":  # the mesh is shift-symmetric by ½: compare the two halves node by node
        half = sys.N // 2
        split = float(np.max(np.abs(pt.U[:half] - pt.U[half:])))
        if split < 1e-3 * eps:
            raise ValueError(f"the corrected orbit at the PD is the primary cycle again (its two halves differ "
                             f"by {split:.3g}); try a larger amplitude")
    return run_cycle_problem(problem, pt, settings, first_ds=eps, progress=progress, **run_opts)


def _bpc_base(problem: CycleProblem, branch, i, U, T, p, mesh, direction):
    """The BPC orbit with the new branch's tangent (algebraic branching equation)."""
    if not 0 < i < len(branch.param) - 1:
        raise ValueError(f"the BPC must be an inner row of the branch (index {i})")
    sys = problem.sys
    if sys.ntst != mesh.size - 1:
        raise ValueError("at a BPC the new branch uses the branch's mesh: do not pass ntst")
    G = sys.phase_gradient(U)
    zero_arc = (U, T, p, np.zeros_like(U), 0.0, 0.0, sys.node_weights(mesh), 0.0)

    def F(X):
        Ux, Tx, px = sys.unpack(X)
        return sys.residual(Ux, Tx, px, mesh, G, zero_arc)[:-1]

    blocks, dT, dp = sys.jacobian_blocks(U, T, p, mesh)
    A = sys.assemble(blocks, dT, dp, G, (np.zeros_like(U), 0.0, 0.0)).toarray()[:-1]
    X0 = sys.pack(U, T, p)
    t1, t2, _ = branching_tangents(F, A, X0)
    nb = [sys.pack(sys.remesh(branch.profiles[k], branch.meshes[k], mesh), branch.period[k], branch.param[k])
          for k in (i - 1, i + 1)]
    t = oriented(other_tangent(t1, t2, nb[1] - nb[0]))
    if direction == -1:
        t = -t
    tU, tT, tp = sys.unpack(t)
    return CyclePoint(U.copy(), T, p, mesh, *_unit(problem, mesh, tU, tT, tp))
