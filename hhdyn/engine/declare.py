"""From a model declaration to the source lines of its equations, for the kernel generator.

A :class:`Declaration` says, for one model *structure*, which numbers vary per batch member
(the model's parameters plus a few derived coefficients such as 1/C and each gate's temperature
factor φ) and how to write dy/dt as straight-line Python over scalar locals. The kernels of
:mod:`hhdyn.engine.codegen` paste these lines into their loops, so each model's equations exist
once — in its declaration (channels, gates and rate families for a
:class:`~hhdyn.model.ConductanceModel`) — and the compiled code is derived from it.

Two sources of declarations:

* every :class:`~hhdyn.model.ConductanceModel` (HH, its reductions, user models built from
  :mod:`hhdyn.rates` families), read from ``channels``, ``gates`` and ``gate_forms``;
* other :class:`~hhdyn.protocol.ODEModel` classes through :func:`register`, a small hook giving
  the right-hand side as expression strings (FitzHugh–Nagumo is registered here). Each
  registered declaration is checked against ``model.rhs`` by the test-suite.

Names in the generated code: parameter ``p`` is the local ``c_p``; the applied stimulus (µA/cm²
for conductance models) is the local ``stim`` and is always added to ``I_ext``.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Declaration", "declare", "register", "UnsupportedModelError"]


class UnsupportedModelError(ValueError):
    """The model cannot be compiled (e.g. a FunctionRate, or an ODEModel without a declaration)."""


@dataclass(frozen=True)
class Declaration:
    """Everything the kernel generator needs about one model structure.

    Attributes
    ----------
    name : str
        Label for messages.
    state_names : tuple of str
        States in the model's order; the spike variable is state 0.
    coef_names : tuple of str
        Rows of the per-member coefficient matrix: the model's parameters followed by derived
        coefficients (computed by ``derive``).
    derive : callable
        ``derive(params: dict[str, ndarray]) -> dict[str, ndarray]`` of the derived rows.
    rhs : callable
        ``rhs(states: dict[str, str], out: dict[str, str]) -> list[str]``: source lines setting
        the locals ``out[s]`` to ds/dt from the locals ``states[s]`` and ``c_<coef>``/``stim``.
    linear : callable or None
        For exponential (Rush–Larsen) stepping: ``linear(states, inf, rate) -> list[str]``
        writing each ds/dt as ``rate[s]·(inf[s] − s)`` (rate in 1/ms); None if unsupported.
    key : str
        Text identifying the structure (hashed into the kernel module's name).
    """

    name: str
    state_names: tuple
    coef_names: tuple
    derive: Callable
    rhs: Callable
    linear: Callable | None
    key: str
    param_names: tuple = field(default=())

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- hook for ODEModels
_REGISTRY: dict[type, Callable] = {}


def register(cls: type, make: Callable) -> None:
    """Register ``make(model) -> Declaration`` for instances of ``cls`` (an ODEModel subclass)."""
    _REGISTRY[cls] = make


def declare(model) -> Declaration:
    """The :class:`Declaration` of ``model``; :class:`UnsupportedModelError` if it has none."""
    from ..model import ConductanceModel

    if isinstance(model, ConductanceModel):
        return _conductance_declaration(model)
    _register_builtin()
    for cls in type(model).__mro__:
        if cls in _REGISTRY:
            return _REGISTRY[cls](model)
    raise UnsupportedModelError(
        f"model {getattr(model, 'name', model)!r} ({type(model).__name__}) has no compiled-engine "
        "declaration; register one with hhdyn.engine.declare.register, or use hhdyn.simulation.simulate"
    )


# --------------------------------------------------------------------------- rate expressions
def _lit(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        raise UnsupportedModelError(f"non-finite constant {value!r} in a rate")
    return repr(value)


class Emitter:
    """Collects straight-line source lines with fresh temporary names.

    Rate shapes are written out inline (not as calls): LLVM does not inline the larger helpers
    into the kernels' loops, and a call blocks vectorization of the loop over lanes.
    """

    def __init__(self, prefix: str = "t"):
        self.lines: list[str] = []
        self._prefix = prefix
        self._count = 0

    def tmp(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count}_"

    def assign(self, expr: str) -> str:
        name = self.tmp()
        self.lines.append(f"{name} = {expr}")
        return name


def _explin_inline(x: str, em: Emitter) -> str:
    """g(x) = x/(1 − e^(−x)) with its Bernoulli series for |x| < 0.1 (see mathlib.explin)."""
    x2 = em.assign(f"{x}*{x}")
    series = em.assign(
        f"1.0 + 0.5*{x} + {x2}*(1.0/12.0 + {x2}*(-1.0/720.0 + {x2}*(1.0/30240.0 - {x2}/1209600.0)))"
    )
    direct = em.assign(f"{x}/(1.0 - fexp(-{x}))")
    return em.assign(f"{direct} if {x2} >= 0.01 else {series}")


def rate_source(rate, V: str, em: Emitter) -> str:
    """A vectorizable expression for ``rate`` at the voltage local ``V``; helper lines go to ``em``."""
    from ..gates import _InfTauRate
    from ..rates import ConstantRate, ExpLinearRate, ExpRate, SigmoidRate

    def arg():
        return em.assign(f"({V}-({_lit(rate.V_half)}))*{_lit(1.0 / rate.k)}")

    if isinstance(rate, ExpRate):
        return f"({_lit(rate.A)}*fexp({arg()}))"
    if isinstance(rate, SigmoidRate):
        return f"({_lit(rate.A)}/(1.0 + fexp(-{arg()})))"
    if isinstance(rate, ExpLinearRate):
        return f"({_lit(rate.A)}*{_explin_inline(arg(), em)})"
    if isinstance(rate, ConstantRate):
        return f"({_lit(rate.A)})"
    if isinstance(rate, _InfTauRate):
        x_inf = em.assign(rate_source(rate.x_inf, V, em))
        tau = em.assign(rate_source(rate.tau, V, em))
        return f"({x_inf}/{tau})" if rate.opening else f"((1.0-{x_inf})/{tau})"
    raise UnsupportedModelError(
        f"rate {rate!r} cannot be compiled (only ExpRate, SigmoidRate, ExpLinearRate, "
        "ConstantRate and Gate.from_inf_tau of these); use hhdyn.simulation.simulate for this model"
    )


def _power_source(x: str, power: float) -> str:
    if float(power).is_integer() and 1 <= power <= 8:
        return "*".join([x] * int(power))
    return f"{x}**{_lit(power)}"


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise UnsupportedModelError(f"name {name!r} is not an identifier")
    return name


# --------------------------------------------------------------------------- conductance models
def _conductance_declaration(model) -> Declaration:
    from ..model import Instantaneous, LinearInGate

    param_names = tuple(model.params)
    for p in param_names:
        _identifier(p)
    gates = model.gates
    dynamic = model.dynamic_gates
    coef_names = param_names + ("invC",) + tuple(f"phi_{g}" for g in dynamic)

    # rate expressions (at the local V of each stage) – built per call with the V name
    def gate_lines(V: str, states: dict, want_rates: set) -> list[str]:
        em = Emitter("r")
        lines = em.lines
        for gname in gates:
            gate = gates[gname]
            form = model.gate_forms.get(gname)
            if gname in want_rates or isinstance(form, Instantaneous):
                a_src = rate_source(gate.alpha, V, em)
                lines.append(f"al_{gname} = {a_src}")
                b_src = rate_source(gate.beta, V, em)
                lines.append(f"be_{gname} = {b_src}")
            if form is None:
                lines.append(f"x_{gname} = {states[gname]}")
            elif isinstance(form, Instantaneous):
                lines.append(f"x_{gname} = al_{gname}/(al_{gname}+be_{gname})")
            elif isinstance(form, LinearInGate):
                lines.append(f"x_{gname} = c_{form.offset_param} + c_{form.slope_param}*{states[form.of]}")
            else:  # pragma: no cover - the model validates its forms
                raise UnsupportedModelError(f"unknown gate form {form!r}")
        for channel in model.channels:
            factors = [_power_source(f"x_{g.name}", p) for g, p in channel.gates]
            lines.append(f"o_{channel.name} = {'*'.join(factors) if factors else '1.0'}")
        return lines

    def rhs(states: dict, out: dict) -> list[str]:
        V = states["V"]
        lines = gate_lines(V, states, set(dynamic))
        currents = " + ".join(
            f"c_{c.g_param}*o_{c.name}*({V}-c_{c.E_param})" for c in model.channels
        )
        lines.append(f"{out['V']} = (c_I_ext + stim - ({currents}))*c_invC")
        for g in dynamic:
            x = states[g]
            lines.append(f"{out[g]} = c_phi_{g}*(al_{g}*(1.0-{x}) - be_{g}*{x})")
        return lines

    def linear(states: dict, inf: dict, rate: dict) -> list[str]:
        V = states["V"]
        lines = gate_lines(V, states, set(dynamic))
        gsum = " + ".join(f"c_{c.g_param}*o_{c.name}" for c in model.channels)
        esum = " + ".join(f"c_{c.g_param}*o_{c.name}*c_{c.E_param}" for c in model.channels)
        lines.append(f"gtot_ = {gsum}")
        lines.append(f"{rate['V']} = gtot_*c_invC")
        lines.append(f"{inf['V']} = (c_I_ext + stim + {esum})/gtot_")
        for g in dynamic:
            lines.append(f"{rate[g]} = c_phi_{g}*(al_{g}+be_{g})")
            lines.append(f"{inf[g]} = al_{g}/(al_{g}+be_{g})")
        return lines

    q10s = {g: (gates[g].q10, gates[g].T_ref) for g in dynamic}

    def derive(p: dict) -> dict:
        out = {"invC": 1.0 / p["C"]}
        for g, (q10, T_ref) in q10s.items():
            out[f"phi_{g}"] = q10 ** ((p["T"] - T_ref) / 10.0)
        return out

    # the structure key: everything that ends up as literal text, plus the coefficient layout
    probe = {s: f"s_{s}" for s in model.state_names}
    key = "\n".join(
        ["conductance", repr(model.state_names), repr(coef_names), repr(sorted(q10s.items()))]
        + rhs(probe, {s: f"d_{s}" for s in model.state_names})
    )
    return Declaration(
        name=model.name,
        state_names=tuple(model.state_names),
        coef_names=coef_names,
        derive=derive,
        rhs=rhs,
        linear=linear,
        key=key,
        param_names=param_names,
    )


# --------------------------------------------------------------------------- expression hook
def expression_declaration(model, equations: dict[str, str], name: str | None = None) -> Declaration:
    """A declaration from right-hand sides written as expressions in states and parameters.

    ``equations`` maps each state name to a Python expression of the states and parameter
    names (``I_ext`` must appear where the applied stimulus adds). Uses only arithmetic and
    ``fexp``/``explin``/``logistic``.
    """
    import re

    states = tuple(model.state_names)
    params = tuple(model.params)
    if set(equations) != set(states):
        raise UnsupportedModelError(f"equations must give every state {states}, got {tuple(equations)}")
    names = states + params

    def substitute(expr: str, state_locals: dict) -> str:
        def repl(match):
            word = match.group(0)
            if word in state_locals:
                return state_locals[word]
            if word == "I_ext":
                return "(c_I_ext + stim)"
            if word in params:
                return f"c_{word}"
            return word

        return re.sub(r"\b[A-Za-z_][A-Za-z_0-9]*\b", repl, expr)

    def rhs(state_locals: dict, out: dict) -> list[str]:
        return [f"{out[s]} = {substitute(equations[s], state_locals)}" for s in states]

    key = "\n".join(["expression", repr(names)] + [f"{s}: {equations[s]}" for s in states])
    return Declaration(
        name=name or getattr(model, "name", type(model).__name__),
        state_names=states,
        coef_names=params,
        derive=lambda p: {},
        rhs=rhs,
        linear=None,
        key=key,
        param_names=params,
    )


_BUILTIN_DONE = False


def _register_builtin() -> None:
    global _BUILTIN_DONE
    if _BUILTIN_DONE:
        return
    _BUILTIN_DONE = True
    try:
        from reductions.fitzhugh_nagumo import FitzHughNagumo
    except ImportError:  # pragma: no cover - reductions is part of the distribution
        return
    # FitzHugh–Nagumo: dv/dt = v − v³/3 − w + I_ext, dw/dt = eps·(v + a − b·w)
    # (checked against FitzHughNagumo.rhs in tests/hhdyn/test_engine.py)
    register(
        FitzHughNagumo,
        lambda model: expression_declaration(
            model, {"v": "v - v*v*v/3.0 - w + I_ext", "w": "eps*(v + a - b*w)"}
        ),
    )


def coefficient_matrix(decl: Declaration, params: dict) -> np.ndarray:
    """Stack the per-member parameters and derived coefficients as rows, shape (n_coef, N)."""
    derived = decl.derive(params)
    rows = [np.asarray(params[n] if n in params else derived[n], dtype=float) for n in decl.coef_names]
    return np.ascontiguousarray(np.vstack(rows))
