"""Export hhdyn models to PyDSTool (plain-data generator specifications and a standalone script).

:func:`to_pydstool` returns the pieces PyDSTool's generators (e.g. ``Generator.Vode_ODEsystem``)
take, as plain data::

    {"name": "HH",
     "varspecs": {"V": "(I_ext - (...))/C", "m": "phi_m*(alpha_m(V)*(1-m) - beta_m(V)*m)", ...},
     "fnspecs": {"alpha_m": [["V"], "1.0*((V-(-40.0))/10.0)/(1-exp(-((V-(-40.0))/10.0)))"], ...},
     "pars": {"C": 1.0, "I_ext": 0.0, "T": 6.3, "gNa": 120.0, ...},
     "ics": {"V": -65.0, "m": 0.0529, ...}}

For conductance-based models every expression is generated from the model's own declaration
(the rate objects' ``.expression(var)``), so the exported equations are the same equations:

    C·dV/dt = I_ext − Σ_c g_c Π_j x_j^p_j (V − E_c)
    dx/dt   = φ_x(T)·(α_x(V)(1 − x) − β_x(V)x),   φ_x(T) = q10^((T − T_ref)/10)

with instantaneous gates written as α/(α + β) and linear gate forms as ``c + slope*n``. The
FitzHugh–Nagumo model is exported from its closed form. ``ics`` is the resting state.

Caveats about PyDSTool 0.91 (measured with numpy 1.23.5, scipy 1.10.1):

* the first Lyapunov coefficient PyCont prints at Hopf points has the wrong sign and scale (its
  third-derivative tensor is read transposed) — compare Hopf *locations* only, and use
  :func:`analysis.lyapunov.first_lyapunov_coefficient` for l1;
* its Hopf test function uses unseeded random vectors (``numpy.random``), so a run can miss the
  first HH Hopf point — seed numpy's RNG (``np.random.seed(0)``) before continuing, as the
  script written by :func:`write_pydstool_script` does;
* the exp-linear rates are exported as ``A*x/(1-exp(-x))``, which is 0/0 exactly at x = 0
  (hhdyn evaluates the limit); continuation points almost never land there.
"""
from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["to_pydstool", "write_pydstool_script"]


def _num(value: float) -> str:
    return repr(float(value))


def _conductance_spec(model) -> dict:
    from hhdyn.model import Instantaneous, LinearInGate

    fnspecs = {}
    gate_expr = {}
    for gname, gate in model.gates.items():
        fnspecs[f"alpha_{gname}"] = [["V"], gate.alpha.expression("V")]
        fnspecs[f"beta_{gname}"] = [["V"], gate.beta.expression("V")]
        form = model.gate_forms.get(gname)
        if form is None:
            gate_expr[gname] = gname
        elif isinstance(form, Instantaneous):
            a, b = f"alpha_{gname}(V)", f"beta_{gname}(V)"
            gate_expr[gname] = f"({a}/({a}+{b}))"
        elif isinstance(form, LinearInGate):
            gate_expr[gname] = f"({form.offset_param}+{form.slope_param}*{form.of})"
        else:  # pragma: no cover - the model rejects other forms
            raise ValueError(f"cannot export gate form {form!r} of gate {gname!r}")
    currents = []
    for channel in model.channels:
        factors = [channel.g_param]
        for gate, power in channel.gates:
            p = float(power)
            exponent = str(int(p)) if p.is_integer() else _num(p)
            factors.append(gate_expr[gate.name] if p == 1.0 else f"{gate_expr[gate.name]}**{exponent}")
        currents.append("*".join(factors) + f"*(V-{channel.E_param})")
    varspecs = {"V": f"(I_ext-({' + '.join(currents)}))/C"}
    for gname in model.dynamic_gates:
        gate = model.gates[gname]
        phi = f"{_num(gate.q10)}**((T-{_num(gate.T_ref)})/10.0)" + (f"*{gate.rate_scale}" if gate.rate_scale else "")
        varspecs[gname] = f"{phi}*(alpha_{gname}(V)*(1-{gname})-beta_{gname}(V)*{gname})"
    return {"varspecs": varspecs, "fnspecs": fnspecs}


def _equations_spec(model) -> dict:
    """Varspecs from the model's own expression strings (``engine_equations()``), the one source
    of its equations. Only plain arithmetic is exported (no engine helper functions)."""
    equations = model.engine_equations()
    if equations.definitions or any(fn in text for text in equations.rhs.values()
                                    for fn in ("fexp", "explin", "logistic")):
        raise ValueError(f"cannot export {model.name!r} to PyDSTool: its equations use engine-only functions")
    return {"varspecs": dict(equations.rhs), "fnspecs": {}}


def to_pydstool(model, *, name: str | None = None, ics=None) -> dict:
    """PyDSTool generator specification of ``model`` as plain data (see the module docstring).

    Parameters
    ----------
    model : ConductanceModel, or a model with ``engine_equations()`` such as FitzHughNagumo
        The model to export (with its current parameter values).
    name : str, optional
        The generator name (an identifier); default derived from ``model.name``.
    ics : array or mapping, optional
        Initial conditions; default ``model.resting_state()``.

    Returns
    -------
    dict with keys ``name``, ``varspecs`` {var: expr}, ``fnspecs`` {fname: [[args], expr]},
    ``pars`` {name: value} and ``ics`` {var: value} — JSON-serializable.

    Models whose equations hhdyn cannot write as text (a user's ODEModel, a ``FunctionRate``
    without ``text``) raise ValueError.
    """
    from hhdyn.model import ConductanceModel

    if isinstance(model, ConductanceModel):
        spec = _conductance_spec(model)
    elif hasattr(model, "engine_equations"):
        spec = _equations_spec(model)
    else:
        raise ValueError(f"cannot export {type(model).__name__} {getattr(model, 'name', '')!r} to PyDSTool: "
                         "only conductance-based models and models with engine_equations() (FitzHugh-Nagumo) "
                         "have expression forms")
    if name is None:
        name = "".join(ch if ch.isalnum() else "_" for ch in getattr(model, "name", "model")).strip("_")[:40] or "model"
        if not name[0].isalpha():
            name = "m_" + name
    if ics is None:
        ics = model.resting_state()
    if not hasattr(ics, "items"):
        ics = dict(zip(model.state_names, np.asarray(ics, dtype=float)))
    pars = {k: float(v) for k, v in model.params.items()}
    for k, v in pars.items():
        if not math.isfinite(v):
            raise ValueError(f"parameter {k!r} is not finite ({v!r}); cannot export")
    return {
        "name": name,
        "varspecs": spec["varspecs"],
        "fnspecs": spec["fnspecs"],
        "pars": pars,
        "ics": {k: float(ics[k]) for k in model.state_names},
    }


_SCRIPT = '''"""PyDSTool continuation of {title}, written by hhdyn (analysis.to_pydstool).

Run with a Python that has PyDSTool (0.91 needs Python <= 3.9 and numpy < 1.24):

    python {filename}

Notes (PyDSTool 0.91): the l1 PyCont prints at Hopf points has the wrong sign and scale, so
only the Hopf *locations* are comparable with hhdyn; its Hopf test uses numpy's random vectors,
so the RNG is seeded below (unseeded runs can miss a Hopf point).
"""
import json

import numpy as np
import PyDSTool as dst

np.random.seed({seed})
SPEC = json.loads({spec_json!r})

args = dst.args(name=SPEC["name"])
args.varspecs = SPEC["varspecs"]
args.fnspecs = {{f: tuple(v) for f, v in SPEC["fnspecs"].items()}}
args.pars = SPEC["pars"]
args.ics = SPEC["ics"]
args.pdomain = {{{param!r}: [{lo!r}, {hi!r}]}}
args.tdata = [0, 10]
ode = dst.Generator.Vode_ODEsystem(args)

cont = dst.ContClass(ode)
pc = dst.args(name="EQ1", type="EP-C")
pc.freepars = [{param!r}]
pc.StepSize = {step!r}
pc.MaxStepSize = {max_step!r}
pc.MinStepSize = 1e-5
pc.MaxNumPoints = {max_points!r}
pc.LocBifPoints = ["H", "LP", "BP", "B"]
pc.StopAtPoints = ["B"]
pc.SaveEigen = True
cont.newCurve(pc)
cont["EQ1"].{direction}()

sol = cont["EQ1"].sol
for kind in ("H", "LP", "BP"):
    for index in sorted((sol.labels.get(kind) or {{}}).keys()):
        point = sol[index]
        print(kind, {param!r}, "=", float(point[{param!r}]))

if __name__ == "__main__" and {plot!r}:
    cont.display([{param!r}, {y!r}], stability=True)
    dst.plt.show()
'''


def write_pydstool_script(model, path, *, param: str = "I_ext", start: float | None = None,
                          stop: float = 200.0, max_step: float = 2.0, max_points: int = 2000,
                          seed: int = 0, plot: bool = True, y: str | None = None) -> None:
    """Write a standalone PyDSTool script continuing the equilibria of ``model`` in ``param``.

    The script embeds :func:`to_pydstool`'s spec (with ``param`` set to ``start`` and the
    equilibrium there as initial condition), seeds numpy's RNG with ``seed``, runs PyCont's EP-C
    from ``start`` towards ``stop`` and prints the special points; with ``plot`` it shows
    PyCont's diagram of ``y`` (default: the first state). Written atomically.
    """
    from hhdyn.io import atomic_path

    from .continuation import find_equilibrium

    if param not in model.params:
        raise ValueError(f"unknown parameter {param!r}; known parameters: {', '.join(model.params)}")
    start = float(model.params[param]) if start is None else float(start)
    stop = float(stop)
    if start == stop:
        raise ValueError(f"start == stop == {start!r}: the parameter window is empty")
    y = model.state_names[0] if y is None else y
    if y not in model.state_names:
        raise ValueError(f"y={y!r} is not a state of {model.name}")
    at_start = model.with_params(**{param: start})
    x0, ok = find_equilibrium(at_start, at_start.resting_state())
    if not ok:
        raise ValueError(f"no equilibrium found at {param}={start}")
    spec = to_pydstool(at_start, ics=x0)
    from pathlib import Path

    path = Path(path)
    text = _SCRIPT.format(
        title=getattr(model, "name", "model"),
        filename=path.name,
        seed=int(seed),
        spec_json=json.dumps(spec),
        param=param,
        lo=min(start, stop),
        hi=max(start, stop),
        step=min(0.1, max_step / 10.0),
        max_step=float(max_step),
        max_points=int(max_points),
        direction="forward" if stop > start else "backward",
        plot=bool(plot),
        y=y,
    )
    with atomic_path(path) as tmp:
        tmp.write_text(text)
