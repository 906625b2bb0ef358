"""Standalone PyCont runner for hhdyn's PyDSTool cross-check (Python 3.9 only).

This script runs inside the side virtualenv built by ``analysis.pydstool_env``
(Python 3.9, numpy 1.23.5, scipy 1.10.1, PyDSTool 0.91.0). It must never import
hhdyn or ``analysis``: it only talks JSON.

Usage::

    python _pydstool_runner.py INPUT.json

``INPUT.json`` holds ``{"spec": {...}, "task": {...}}``:

* ``spec``: ``name``, ``varspecs`` ({var: expr}), ``fnspecs``
  ({fname: [[args], expr]}), ``pars`` ({name: value}), ``ics`` ({var: value}).
* ``task``: ``free_param``, ``start``, ``stop`` (required) and optional
  ``seed`` (0), ``step`` (initial step), ``max_step``, ``min_step``,
  ``max_points``, ``cycles`` (false), ``ntst`` (50), ``ncol`` (4),
  ``lc_step``, ``lc_max_step``, ``lc_min_step``, ``lc_max_points``,
  ``hopf_retries`` (3), ``verbosity`` (0).

The ics must be (close to) an equilibrium at ``free_param == start``; they
are Newton-polished there first. Equilibria are continued (EP-C) from
``start`` towards ``stop``; the branch stops at the parameter window
boundary. With ``cycles`` true, the limit cycle born at the
first Hopf point is continued with LC-C (AUTO collocation; PyDSTool compiles
its AUTO extension with swig + gcc into the current working directory, so
run this script in a scratch directory).

Only the result JSON is written to stdout; PyDSTool's own chatter is sent to
stderr. Reported Hopf data are *locations only*: PyDSTool's first Lyapunov
coefficient has a wrong sign/scale and is deliberately not reported.
"""

import json
import os
import sys
import time

import numpy as np

EP_KINDS = ("H", "LP", "BP")
LC_KINDS = ("LPC", "PD", "NS")
# AUTO end-of-branch markers worth reporting on a cycle branch
# (MX: AUTO failed to converge, i.e. the branch was lost there).
LC_END_KINDS = ("MX", "B")


def _clock():
    """Current (wall, cpu) clock readings."""
    return time.perf_counter(), time.process_time()


def _since(start):
    """(wall_s, cpu_s) elapsed since a :func:`_clock` reading."""
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def _pydstool_version():
    """Version of the installed PyDSTool distribution.

    ``PyDSTool.__version__`` is shadowed by numpy's (the package does
    ``from numpy import *``), so ask the packaging metadata instead.
    """
    try:
        from importlib.metadata import version
        return version("PyDSTool")
    except Exception:  # pragma: no cover - metadata missing
        return "unknown"


def _window(task):
    """Parameter domain [lo, hi] for the continuation.

    The start side is padded a little so that the Moore-Penrose corrector
    nudging the first point just outside the window does not register as a
    boundary crossing (which would stop the run at its first step).
    """
    start, stop = float(task["start"]), float(task["stop"])
    pad = 1e-3 * abs(stop - start)
    if stop >= start:
        return [start - pad, stop]
    return [stop, start + pad]


def build_generator(spec, task):
    """Build a python-target Vode_ODEsystem from the JSON spec."""
    import PyDSTool as dst

    free = task["free_param"]
    pars = {k: float(v) for k, v in spec["pars"].items()}
    pars[free] = float(task["start"])
    dsargs = dst.args(name=spec.get("name", "model"))
    dsargs.varspecs = dict(spec["varspecs"])
    dsargs.fnspecs = {f: (list(a), e) for f, (a, e) in spec.get("fnspecs", {}).items()}
    dsargs.pars = pars
    dsargs.ics = {k: float(v) for k, v in spec["ics"].items()}
    dsargs.pdomain = {free: _window(task)}
    dsargs.tdata = [0, 10]
    return dst.Generator.Vode_ODEsystem(dsargs)


def _vector_field(gen, free):
    """Return (names, rhs) with rhs(x, p) the vector field as a numpy array."""
    names = list(gen.funcspec.vars)
    pars = dict(gen.pars)

    def rhs(x, p):
        pp = dict(pars)
        pp[free] = p
        return np.asarray(gen.Rhs(0.0, dict(zip(names, x)), pp), dtype=float)

    return names, rhs


def _jacobians(rhs, x, p, eps=1e-6):
    """Forward-difference Jacobians (J_x, J_p) of rhs at (x, p)."""
    f0 = rhs(x, p)
    jx = np.empty((len(x), len(x)))
    for j in range(len(x)):
        h = eps * max(1.0, abs(x[j]))
        xp = x.copy()
        xp[j] += h
        jx[:, j] = (rhs(xp, p) - f0) / h
    hp = eps * max(1.0, abs(p))
    jp = (rhs(x, p + hp) - f0) / hp
    return jx, jp


def settle_start(gen, free, tol=1e-10, max_iter=50):
    """Newton-polish the ics into an equilibrium at the start parameter.

    PyCont's Moore-Penrose corrector would otherwise project a slightly-off
    start point onto the branch at a *different* parameter value, so the
    branch would not begin at ``start``. Updates ``gen``'s ics in place and
    returns the equilibrium as a dict.
    """
    names, rhs = _vector_field(gen, free)
    p0 = float(gen.pars[free])
    x = np.array([gen.initialconditions[v] for v in names], dtype=float)
    for _ in range(max_iter):
        f = rhs(x, p0)
        if np.max(np.abs(f)) < tol:
            break
        jx, _jp = _jacobians(rhs, x, p0)
        x = x - np.linalg.solve(jx, f)
    else:
        raise RuntimeError(
            "ics did not converge to an equilibrium at %s=%g (|f|=%g)"
            % (free, p0, float(np.max(np.abs(rhs(x, p0))))))
    start = {v: float(xi) for v, xi in zip(names, x)}
    gen.set(ics=start)
    return start


def _initial_direction(gen, free, sign):
    """Unit tangent of the equilibrium branch at the start point.

    PyCont otherwise orients its first tangent by the sign of the first
    non-negligible *state* component, so ``forward()`` need not move the
    parameter towards ``stop``. Solving J_x dx = -J_p dp gives the tangent
    whose parameter part has the sign wanted.
    """
    names, rhs = _vector_field(gen, free)
    x0 = np.array([gen.initialconditions[v] for v in names], dtype=float)
    jx, jp = _jacobians(rhs, x0, float(gen.pars[free]))
    dx = np.linalg.solve(jx, -jp)
    tangent = {v: float(d) * sign for v, d in zip(names, dx)}
    tangent[free] = float(sign)
    norm = float(np.sqrt(sum(t * t for t in tangent.values())))
    return {k: t / norm for k, t in tangent.items()}


def eigen_hopf_brackets(gen, free, sol):
    """Parameter intervals where a complex eigenvalue pair crosses Re = 0.

    An independent check on PyCont's (randomised) Hopf test function: the
    number of complex eigenvalues with positive real part is computed from a
    finite-difference Jacobian at every branch point, and each change of that
    number between neighbouring points is returned as ``[p_a, p_b]``.
    """
    names, rhs = _vector_field(gen, free)
    params = np.asarray(sol[free], dtype=float)
    states = np.column_stack([np.asarray(sol[v], dtype=float) for v in names])
    counts = []
    for x, p in zip(states, params):
        jx, _jp = _jacobians(rhs, x, float(p))
        ev = np.linalg.eigvals(jx)
        counts.append(int(np.sum((ev.real > 0) & (np.abs(ev.imag) > 1e-9))))
    return [[float(params[i]), float(params[i + 1])]
            for i in range(len(counts) - 1) if counts[i] != counts[i + 1]]


def _labels_at(sol, kind):
    """Indices of the points of ``sol`` carrying label ``kind`` (maybe none)."""
    try:
        return sorted(sol.labels[kind].keys())
    except (KeyError, AttributeError, TypeError):
        return []


def _special_points(sol, kinds, free, var_names, extra=None):
    """Collect special points of the given kinds, sorted along the curve."""
    found = []
    for kind in kinds:
        for ix in _labels_at(sol, kind):
            pt = sol[ix]
            entry = {
                "kind": kind,
                "name": pt.labels[kind].get("name", kind),
                "index": int(ix),
                "param": float(pt[free]),
            }
            state = {v: float(pt[v]) for v in var_names if v in pt.coordnames}
            if state:
                entry["state"] = state
            if extra:
                entry.update(extra(pt))
            found.append(entry)
    return sorted(found, key=lambda e: e["index"])


def run_equilibria(cont, gen, task):
    """EP-C from the start equilibrium towards ``stop``; returns (curve, (wall, cpu))."""
    import PyDSTool as dst

    free = task["free_param"]
    span = abs(float(task["stop"]) - float(task["start"]))
    sign = 1.0 if float(task["stop"]) >= float(task["start"]) else -1.0
    max_step = float(task.get("max_step", span / 100.0))
    pc = dst.args(name="EQ1", type="EP-C")
    pc.freepars = [free]
    pc.StepSize = float(task.get("step", min(0.1 * max_step, 0.1)))
    pc.MaxStepSize = max_step
    pc.MinStepSize = float(task.get("min_step", 1e-5))
    pc.MaxNumPoints = int(task.get("max_points", 2000))
    pc.LocBifPoints = list(EP_KINDS) + ["B"]
    pc.StopAtPoints = ["B"]
    pc.verbosity = int(task.get("verbosity", 0))
    pc.initdirec = _initial_direction(gen, free, sign)
    cont.newCurve(pc)
    t0 = _clock()
    cont["EQ1"].forward()
    return cont["EQ1"], _since(t0)


def _cycle_extra(pt):
    """Period and solution measures (e.g. V_max) of an LC-C point."""
    out = {}
    for name in pt.coordnames:
        if name == "_T":
            out["period"] = float(pt[name])
        elif name.endswith(("_max", "_min")):
            out.setdefault("measures", {})[name] = float(pt[name])
    return out


def run_cycles(cont, task, hopf_name):
    """LC-C from the named Hopf point; returns (curve, compile_s, (wall, cpu))."""
    import PyDSTool as dst

    # PyDSTool builds the extension into the cwd and then imports it by
    # name, but a script's sys.path does not contain the cwd.
    if "" not in sys.path:
        sys.path.insert(0, "")
    t0 = time.perf_counter()
    cont.loadAutoMod()  # swig + gcc build of the AUTO extension (child processes)
    compile_s = time.perf_counter() - t0
    pc = dst.args(name="LC1", type="LC-C")
    pc.initpoint = "EQ1:" + hopf_name
    pc.freepars = [task["free_param"]]
    pc.NumIntervals = int(task.get("ntst", 50))
    pc.NumCollocation = int(task.get("ncol", 4))
    pc.StepSize = float(task.get("lc_step", 0.1))
    pc.MaxStepSize = float(task.get("lc_max_step", 1.0))
    pc.MinStepSize = float(task.get("lc_min_step", 1e-5))
    pc.MaxNumPoints = int(task.get("lc_max_points", 300))
    pc.NumSPOut = pc.MaxNumPoints
    pc.LocBifPoints = list(LC_KINDS)
    pc.SolutionMeasures = ["max", "min"]
    pc.SaveEigen = True
    pc.verbosity = int(task.get("verbosity", 0))
    cont.newCurve(pc)
    t1 = _clock()
    cont["LC1"].forward()
    return cont["LC1"], compile_s, _since(t1)


def _summarize_cycles(curve, free, var_names):
    """JSON-ready summary of an LC-C curve."""
    sol = curve.sol
    periods = np.asarray(sol["_T"], dtype=float)
    params = np.asarray(sol[free], dtype=float)
    return {
        "special_points": _special_points(
            sol, LC_KINDS + LC_END_KINDS, free, var_names, _cycle_extra),
        "period_range": [float(periods.min()), float(periods.max())],
        "param_range": [float(params.min()), float(params.max())],
        "n_points": int(len(sol)),
        "branch": {"param": params.tolist(), "period": periods.tolist()},
    }


def _ep_attempt(spec, task, seed):
    """One seeded EP-C run plus its eigenvalue check, as a dict."""
    import PyDSTool as dst

    free = task["free_param"]
    np.random.seed(seed)  # PyCont's Hopf test uses unseeded np.random borders
    gen = build_generator(spec, task)
    start_state = settle_start(gen, free)
    cont = dst.ContClass(gen)
    curve, secs = run_equilibria(cont, gen, task)
    points = _special_points(curve.sol, EP_KINDS, free, list(gen.funcspec.vars))
    return {
        "seed": seed, "cont": cont, "gen": gen, "sol": curve.sol, "secs": secs,
        "start_state": start_state, "points": points,
        "n_hopf": sum(1 for p in points if p["kind"] == "H"),
        "brackets": eigen_hopf_brackets(gen, free, curve.sol),
    }


def run(spec, task):
    """Do the whole job described by ``task`` on ``spec``; return the result dict.

    PyCont's Hopf test uses random bordering vectors and, depending on the
    draw, can miss a Hopf point. The EP-C run is therefore seeded, checked
    against eigenvalue crossings along the branch, and repeated with the
    next seeds (up to ``hopf_retries`` times, default 3) while it found fewer
    Hopf points than crossings; the attempt with the most Hopf points is
    reported and ``attempts`` records every try.
    """
    free = task["free_param"]
    seed = int(task.get("seed", 0))
    attempts, best = [], None
    for k in range(1 + int(task.get("hopf_retries", 3))):
        att = _ep_attempt(spec, task, seed + k)
        attempts.append({"seed": att["seed"], "n_hopf": att["n_hopf"],
                         "ep_c_s": att["secs"][0]})
        if best is None or att["n_hopf"] > best["n_hopf"]:
            best = att
        if att["n_hopf"] >= len(att["brackets"]):
            break
    sol, var_names = best["sol"], list(best["gen"].funcspec.vars)
    result = {
        "pydstool_version": _pydstool_version(),
        "numpy_version": np.__version__,
        "seed_used": best["seed"],
        "attempts": attempts,
        "start_state": best["start_state"],
        "special_points": best["points"],
        "eigen_hopf_brackets": best["brackets"],
        "branch": dict(
            {"param": np.asarray(sol[free], dtype=float).tolist()},
            **{v: np.asarray(sol[v], dtype=float).tolist() for v in var_names},
        ),
        "timings": {"ep_c_s": best["secs"][0], "ep_c_cpu_s": best["secs"][1],
                    "lc_c_s": None, "lc_c_cpu_s": None, "lc_compile_s": None},
        "cycles": None,
    }
    hopfs = [p for p in best["points"] if p["kind"] == "H"]
    if task.get("cycles") and hopfs:
        lc, compile_s, lc_secs = run_cycles(best["cont"], task, hopfs[0]["name"])
        result["cycles"] = dict(_summarize_cycles(lc, free, var_names), **{"from": hopfs[0]["name"]})
        result["timings"].update(lc_c_s=lc_secs[0], lc_c_cpu_s=lc_secs[1], lc_compile_s=compile_s)
    return result


def _claim_stdout():
    """Point fd 1 at stderr for the rest of the process; return a JSON stream.

    PyDSTool prints on ``sys.stdout`` and the compiled AUTO library writes
    its tables on C-level stdout (possibly still buffered at exit), so the
    only clean channel for the result is a private duplicate of the
    original fd 1.
    """
    sys.stdout.flush()
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(result_fd, "w")


def main(argv):
    """Read the input JSON named in argv[1]; print the result JSON to stdout."""
    if len(argv) != 2:
        sys.stderr.write("usage: _pydstool_runner.py INPUT.json\n")
        return 2
    with open(argv[1]) as fh:
        payload = json.load(fh)
    out = _claim_stdout()
    result = run(payload["spec"], payload["task"])
    json.dump(result, out)
    out.write("\n")
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
