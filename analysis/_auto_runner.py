"""Runs AUTO-07p (through bifpy) on one model and prints the labelled points as JSON (executed by
the AUTO peer venv's Python, never imported by hhdyn; it needs only the standard library and
``bifpy``).

Input (JSON on stdin), built by :mod:`analysis.auto_peer`::

    {"model": {"varspecs": {state: expression}, "fnspecs": {name: [[args], expression]},
               "pars": {name: value}, "ics": {state: value}},   # analysis.pydstool_export
     "runs": [run, ...]}

Each run starts from the equilibrium ``ics`` at the model's parameters and first continues the
equilibria in ``param`` (AUTO IPS = 1) from the model's value towards larger values (DS
``ds`` > 0) up to the end of ``window`` (RL0, RL1); then, by ``kind``:

* ``"equilibria"`` — nothing more;
* ``"cycles"`` — the periodic orbits from the first Hopf point (IPS = 2, ISW = −1, NTST
  ``ntst``, NCOL 4, DSMAX ``dsmax``); each ``refine`` entry ``{"near", "half_width", "dsmax",
  "nmx"}`` restarts from the labelled fold of cycles nearest ``near`` in both directions with
  small steps (AUTO misses period doublings within a few 1e-6 of a fold at ordinary steps);
* ``"hopf_curve"`` — the curve of the first Hopf point in the two parameters ``icu`` (ISW = 2,
  both directions from it, DSMAX ``dsmax``, NMX ``curve_nmx``), optionally bounded by ``bounds``
  {name: [lo, hi]} (RL0/RL1 for ``icu[0]``, UZSTOP for ``icu[1]``). AUTO's LP on such a curve is
  an extremum of ``icu[0]``.

Every run uses the exact Jacobian (bifpy's ``transpile=True`` with ``AUTO_JACOBIAN``: the model
is compiled to Fortran with gfortran), EPSL = EPSU = 1e-10, EPSS = ``epss`` (default 1e-8; with
1e-10 AUTO stops locating the LP and GH points of HH's Hopf curve in (I_ext, gK) at all).

Output: {"bifpy_version", "runs": [{"stage": [{"stage", "type", "code", "label", "params":
{name: value}, "state": [...], "period", "multipliers": [[re, im], ...]}, ...]}]}: the labelled
points of each stage ("equilibria", "cycles", "refine", "curve"), parameters by name.
"""
import json
import math
import sys

_FUNCTIONS = ("exp", "log", "sqrt", "tanh", "cosh", "sinh", "sin", "cos", "tan")


def _model(spec):
    """(func, stpnt, names, index): f(u, par) from the expressions; PAR index of each name."""
    states = list(spec["varspecs"])
    names = list(spec["pars"])
    # PAR(11) is AUTO's period: parameters take 1..10, then 12, 13, ...
    index = {n: (i + 1 if i < 10 else i + 2) for i, n in enumerate(names)}
    # math functions looked up at call time (bifpy's tracer replaces them with sympy's)
    ns = {f: eval(f"lambda x: math.{f}(x)", {"math": math}) for f in _FUNCTIONS}
    for fname, (args, body) in spec["fnspecs"].items():
        ns[fname] = eval(f"lambda {', '.join(args)}: {body}", ns)
    code = [compile(spec["varspecs"][s], s, "eval") for s in states]

    def func(u, par):
        env = dict(zip(states, u))
        env.update((n, par[index[n] - 1]) for n in names)
        return [eval(c, ns, env) for c in code]

    def stpnt(u, par, t):
        for i, s in enumerate(states):
            u[i] = spec["ics"][s]
        for n in names:
            par[index[n] - 1] = spec["pars"][n]

    return func, stpnt, states, names, index


def _points(result, stage, names, index):
    by_index = {v: k for k, v in index.items()}
    out = []
    for branch in result.branches:
        for p in branch.points:
            if not p.is_labeled:
                continue
            params = {}
            if p.all_parameters is not None:
                params = {n: float(p.all_parameters[index[n] - 1]) for n in names}
            # the active parameters as printed for the point (fort.7) take precedence
            active = getattr(p.parameters, "names", None)
            if active:
                for label, v in zip(active, p.parameters):
                    i = int(str(label).strip("PAR()"))
                    if i in by_index:
                        params[by_index[i]] = float(v)
                    elif i == 11:
                        params["period"] = float(v)
            po = p.periodic_orbit
            out.append({
                "stage": stage,
                "type": p.point_type.name,
                "code": int(p.point_type_code),
                "label": int(p.label),
                "params": params,
                "state": [float(x) for x in p.state],
                "period": float(po.period) if po is not None else params.get("period"),
                "multipliers": [[float(m.real), float(m.imag)] for m in (p.floquet_multipliers or ())],
            })
    return out


def _one(auto, spec, run):
    func, stpnt, states, names, index = _model(spec)
    jac = dict(jac=auto.AUTO_JACOBIAN)
    lo, hi = run["window"]
    base = dict(ips=auto.IPS_EQUILIBRIUM, ndim=len(states), npar=max(index.values()), nmx=run.get("nmx", 500),
                ntst=run.get("ntst", 80), ncol=4, iad=3, ilp=1, isp=2, isw=1, mxbf=10, iads=1, itmx=9, itnw=7,
                nwtn=3, jac=1, ds=run.get("ds", 0.01), dsmin=1e-6, dsmax=run.get("eq_dsmax", 2.0), rl0=lo, rl1=hi,
                a0=-1e300, a1=1e300, epsl=1e-10, epsu=1e-10, epss=run.get("epss", 1e-8))
    p1 = index[run["param"]]
    eq = auto.run(func, stpnt, base, icu=[p1], transpile=True, **jac)
    out = _points(eq, "equilibria", names, index)
    if run["kind"] == "equilibria":
        return out
    hopf = [p for b in eq.branches for p in b.points if p.point_type == auto.PointType.HOPF_BIFURCATION]
    if not hopf:
        raise RuntimeError(f"no Hopf point on the equilibria in {run['param']} over {run['window']}")
    if run["kind"] == "cycles":
        st = dict(base, ips=auto.IPS_PERIODIC_ORBIT, ds=0.1, dsmax=run.get("dsmax", 0.5), nmx=run.get("nmx", 400))
        icu = [p1, auto.PERIOD_INDEX]
        cyc = auto.restart(func, st, hopf[0], icu=icu, isw=auto.ISW_HOPF_TO_PERIODIC_ORBIT,
                           source_ips=auto.IPS_EQUILIBRIUM, transpile=True, **jac)
        out += _points(cyc, "cycles", names, index)
        folds = [p for b in cyc.branches for p in b.points if p.point_type == auto.PointType.FOLD]
        for ref in run.get("refine", ()):
            if not folds:
                raise RuntimeError("no fold of cycles to refine from")
            lpc = min(folds, key=lambda p: abs(p.parameters[0] - ref["near"]))
            w = ref.get("half_width", 0.05)
            for sign in (1, -1):
                fine = dict(st, ds=sign * ref.get("ds", 1e-4), dsmin=1e-8, dsmax=ref.get("dsmax", 2e-3),
                            nmx=ref.get("nmx", 300), rl0=lpc.parameters[0] - w, rl1=lpc.parameters[0] + w)
                r = auto.restart(func, fine, lpc, icu=icu, isw=1, transpile=True, **jac)
                out += _points(r, "refine", names, index)
        return out
    if run["kind"] == "hopf_curve":
        icu = [index[n] for n in run["icu"]]
        bounds = run.get("bounds", {})
        first = bounds.get(run["icu"][0], [-1e300, 1e300])
        # RL0/RL1 bound the first parameter; the second is bounded by UZSTOP values
        uzstop = {icu[1]: list(bounds[run["icu"][1]])} if run["icu"][1] in bounds else None
        for sign in (1, -1):
            st = dict(base, ds=sign * run.get("curve_ds", 0.01), dsmax=run.get("dsmax", 0.5),
                      nmx=run.get("curve_nmx", 3000), rl0=first[0], rl1=first[1])
            r = auto.restart(func, st, hopf[0], icu=icu, isw=2, transpile=True, uzstop=uzstop, **jac)
            out += _points(r, "curve", names, index)
        return out
    raise ValueError(f"unknown run kind {run['kind']!r}")


def main() -> int:
    request = json.load(sys.stdin)
    from importlib.metadata import version

    from bifpy import auto

    result = {"bifpy_version": version("bifpy"), "runs": []}
    for run in request["runs"]:
        result["runs"].append(_one(auto, request["model"], run))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
