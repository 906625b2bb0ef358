"""From a model declaration to the source lines of its equations, for the kernel generator.

A :class:`Declaration` says, for one model *structure*, which numbers vary per batch member
(the model's parameters plus a few derived coefficients such as 1/C and each gate's temperature
factor φ) and how to write dy/dt as straight-line Python over scalar locals. The kernels of
:mod:`hhdyn.engine.codegen` paste these lines into their loops, so each model's equations exist
once — in its declaration (channels, gates and rate families for a
:class:`~hhdyn.model.ConductanceModel`) — and the compiled code is derived from it.

Three sources of declarations:

* every :class:`~hhdyn.model.ConductanceModel` (HH, its reductions, user models built from
  :mod:`hhdyn.rates` families), read from ``channels``, ``gates`` and ``gate_forms``; the
  exact Jacobian is derived from the same channel products and rate families (each family's
  dr/dV written out, smooth through the exp-linear singularity);
* other :class:`~hhdyn.protocol.ODEModel` classes whose ``engine_equations()`` returns an
  :class:`~hhdyn.engine.expressions.Equations` (right-hand side and Jacobian as expression
  strings that the model's own ``rhs``/``jacobian`` evaluate too — FitzHugh–Nagumo and
  :class:`reductions.FitzHughNagumoHH`);
* :func:`register`, a hook for ODEModel classes that cannot be changed.

Names in the generated code: parameter ``p`` is the local ``c_p``; the applied stimulus (µA/cm²
for conductance models) is the local ``stim`` and is always added to ``I_ext``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..rates import Emitter, NotCompilableError, literal

__all__ = ["Declaration", "declare", "register", "UnsupportedModelError", "rate_source", "rate_deriv_source"]


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
    jacobian : callable or None
        ``jacobian(states: dict[str, str], out: dict[(int, int), str]) -> list[str]``: source
        lines setting the locals ``out[i, j]`` to the exact ∂f_i/∂y_j (all n² entries).
    membrane : callable or None
        Conductance models with only dynamic gates (for the compiled cable step):
        ``membrane(states, current, conductance) -> list[str]`` setting the local ``current`` to
        the ionic current density Σ g·Π x^p·(V − E) (µA/cm², without I_ext) and ``conductance``
        to Σ g·Π x^p (mS/cm²).
    kinetics : callable or None
        ``kinetics(V, inf, rate) -> list[str]`` setting ``inf[g]`` = x∞(V) and ``rate[g]`` =
        φ(α + β) (1/ms) of every dynamic gate from the voltage local ``V`` only.
    """

    name: str
    state_names: tuple
    coef_names: tuple
    derive: Callable
    rhs: Callable
    linear: Callable | None
    key: str
    param_names: tuple = field(default=())
    jacobian: Callable | None = None
    membrane: Callable | None = None
    kinetics: Callable | None = None

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
    equations = getattr(model, "engine_equations", None)
    if callable(equations):
        return expression_declaration(model, equations())
    for cls in type(model).__mro__:
        if cls in _REGISTRY:
            return _REGISTRY[cls](model)
    raise UnsupportedModelError(
        f"model {getattr(model, 'name', model)!r} ({type(model).__name__}) has no compiled-engine "
        "declaration; give its class an engine_equations() method returning hhdyn.engine.Equations, "
        "or use hhdyn.simulation.simulate"
    )


# --------------------------------------------------------------------------- rate expressions
def rate_source(rate, V: str, em: Emitter) -> str:
    """A vectorizable expression for ``rate`` at the voltage local ``V`` (the rate family's own
    :meth:`~hhdyn.rates.Rate.source`); helper lines go to ``em``."""
    _check_compilable(rate)
    try:
        return rate.source(V, em)
    except NotCompilableError as exc:
        raise UnsupportedModelError(str(exc)) from None


def rate_deriv_source(rate, V: str, em: Emitter) -> tuple[str, str]:
    """Locals holding r(V) and dr/dV (1/ms, 1/(ms·mV)) of ``rate`` at the voltage local ``V``
    (the family's :meth:`~hhdyn.rates.Rate.source_with_deriv`)."""
    _check_compilable(rate)
    try:
        return rate.source_with_deriv(V, em)
    except NotCompilableError as exc:
        raise UnsupportedModelError(str(exc)) from None


def _check_compilable(rate) -> None:
    if not (callable(getattr(rate, "source", None)) and callable(getattr(rate, "source_with_deriv", None))):
        raise UnsupportedModelError(
            f"rate {rate!r} has no source()/source_with_deriv() methods and cannot be compiled; give its "
            "class the methods of hhdyn.rates.Rate or use hhdyn.simulation.simulate for this model"
        )


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise UnsupportedModelError(f"name {name!r} is not an identifier")
    return name


# --------------------------------------------------------------------------- conductance models
def _gate_local(name: str) -> str:
    return f"x_{name}"


def _conductance_declaration(model) -> Declaration:
    from ..model import Instantaneous, LinearInGate

    param_names = tuple(model.params)
    for p in param_names:
        _identifier(p)
    gates = model.gates
    dynamic = model.dynamic_gates
    coef_names = param_names + ("invC",) + tuple(f"phi_{g}" for g in dynamic)

    def gate_lines(V: str, states: dict, want_rates: set) -> list[str]:
        """Locals al_/be_ (rates of ``want_rates`` and instantaneous gates), x_ (every gate's
        value) and o_ (every channel's open fraction)."""
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
            lines.append(f"o_{channel.name} = {channel.open_fraction_source(_gate_local)}")
        return lines

    def ionic(V: str) -> str:
        return " + ".join(f"c_{c.g_param}*o_{c.name}*({V}-c_{c.E_param})" for c in model.channels)

    def kinetic_lines(states: dict, inf: dict, rate: dict) -> list[str]:
        lines = []
        for g in dynamic:
            lines.append(f"{rate[g]} = c_phi_{g}*(al_{g}+be_{g})")
            lines.append(f"{inf[g]} = al_{g}/(al_{g}+be_{g})")
        return lines

    def rhs(states: dict, out: dict) -> list[str]:
        V = states["V"]
        lines = gate_lines(V, states, set(dynamic))
        lines.append(f"{out['V']} = (c_I_ext + stim - ({ionic(V)}))*c_invC")
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
        return lines + kinetic_lines(states, inf, rate)

    def membrane(states: dict, current: str, conductance: str) -> list[str]:
        if model.gate_forms:
            raise UnsupportedModelError(f"{model.name}: membrane() needs every gate dynamic")
        V = states["V"]
        lines = gate_lines(V, states, set())
        lines.append(f"{current} = {ionic(V)}")
        lines.append(f"{conductance} = " + " + ".join(f"c_{c.g_param}*o_{c.name}" for c in model.channels))
        return lines

    def kinetics(V: str, inf: dict, rate: dict) -> list[str]:
        em = Emitter("k")
        for g in dynamic:
            em.lines.append(f"al_{g} = {rate_source(gates[g].alpha, V, em)}")
            em.lines.append(f"be_{g} = {rate_source(gates[g].beta, V, em)}")
        return em.lines + kinetic_lines({}, inf, rate)

    index = {s: i for i, s in enumerate(model.state_names)}

    def jacobian(states: dict, out: dict) -> list[str]:
        """Exact ∂f/∂y: membrane row from the channel products (with dx∞/dV of instantaneous
        gates and the slope of linear gate forms), gate rows φ(α'(1 − x) − β'x) and −φ(α + β)."""
        V = states["V"]
        em = Emitter("q")
        lines = em.lines
        n = len(model.state_names)
        for i in range(n):
            for j in range(n):
                lines.append(f"{out[i, j]} = 0.0")
        for gname, gate in gates.items():
            form = model.gate_forms.get(gname)
            if form is None or isinstance(form, Instantaneous):
                a, da = rate_deriv_source(gate.alpha, V, em)
                b, db = rate_deriv_source(gate.beta, V, em)
            if form is None:
                lines.append(f"x_{gname} = {states[gname]}")
                i = index[gname]
                x = f"x_{gname}"
                lines.append(f"{out[i, 0]} = c_phi_{gname}*({da}*(1.0-{x}) - {db}*{x})")
                lines.append(f"{out[i, i]} = -c_phi_{gname}*({a}+{b})")
            elif isinstance(form, Instantaneous):
                ab = em.assign(f"{a}+{b}")
                lines.append(f"x_{gname} = {a}/{ab}")
                lines.append(f"dxv_{gname} = ({da}*{b} - {a}*{db})/({ab}*{ab})")
            elif isinstance(form, LinearInGate):
                lines.append(f"x_{gname} = c_{form.offset_param} + c_{form.slope_param}*{states[form.of]}")
            else:  # pragma: no cover - the model validates its forms
                raise UnsupportedModelError(f"unknown gate form {form!r}")
        for channel in model.channels:
            lines.append(f"{out[0, 0]} = {out[0, 0]} - c_{channel.g_param}*"
                         f"({channel.open_fraction_source(_gate_local)})*c_invC")
            drive = em.assign(f"c_{channel.g_param}*({V}-c_{channel.E_param})*c_invC")
            for gate_name, partial in channel.partial_sources(_gate_local):
                common = em.assign(f"{drive}*{partial}")
                form = model.gate_forms.get(gate_name)
                if form is None:
                    i = index[gate_name]
                    lines.append(f"{out[0, i]} = {out[0, i]} - {common}")
                elif isinstance(form, Instantaneous):
                    lines.append(f"{out[0, 0]} = {out[0, 0]} - {common}*dxv_{gate_name}")
                else:
                    i = index[form.of]
                    lines.append(f"{out[0, i]} = {out[0, i]} - {common}*c_{form.slope_param}")
        return lines

    q10s = {g: (gates[g].q10, gates[g].T_ref, gates[g].rate_scale) for g in dynamic}

    def derive(p: dict) -> dict:
        out = {"invC": 1.0 / p["C"]}
        for g in dynamic:  # φ(T)·s: the temperature factor times the gate's rate-scale parameter
            out[f"phi_{g}"] = gates[g].rate_factor(p)
        return out

    # the structure key: everything that ends up as literal text, plus the coefficient layout
    probe = {s: f"s_{s}" for s in model.state_names}
    key = "\n".join(
        ["conductance", repr(model.state_names), repr(coef_names), repr(sorted(q10s.items()))]
        + rhs(probe, {s: f"d_{s}" for s in model.state_names})
        + jacobian(probe, {(i, j): f"J_{i}_{j}" for i in range(len(probe)) for j in range(len(probe))})
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
        jacobian=jacobian,
        membrane=None if model.gate_forms else membrane,
        kinetics=kinetics,
    )


# --------------------------------------------------------------------------- equations on the model
def expression_declaration(model, equations, name: str | None = None) -> Declaration:
    """A declaration from an :class:`~hhdyn.engine.expressions.Equations` (or a mapping state →
    right-hand-side expression, without a Jacobian kernel).

    The applied stimulus is added to ``equations.stimulus`` (``I_ext``) wherever it appears.
    """
    from .expressions import Equations

    states = tuple(model.state_names)
    params = tuple(model.params)
    if not isinstance(equations, Equations):
        try:
            equations = Equations(states, params, dict(equations), {})
        except ValueError as exc:
            raise UnsupportedModelError(f"equations of {getattr(model, 'name', model)!r}: {exc}") from None
        has_jacobian = False
    else:
        has_jacobian = True
    if equations.state_names != states:
        raise UnsupportedModelError(
            f"engine equations give states {equations.state_names}, the model has {states}")
    if set(equations.param_names) != set(params):
        raise UnsupportedModelError(
            f"engine equations use parameters {equations.param_names}, the model has {params}")
    for p in params:
        _identifier(p)
    coefs = {p: f"c_{p}" for p in params}
    coefs[equations.stimulus] = f"(c_{equations.stimulus} + stim)"

    def rhs(state_locals: dict, out: dict) -> list[str]:
        lines, rename = equations.lines(state_locals, coefs)
        return lines + [f"{out[s]} = {rename(equations.rhs[s])}" for s in states]

    def jacobian(state_locals: dict, out: dict) -> list[str]:
        lines, rename = equations.lines(state_locals, coefs)
        for i, r in enumerate(states):
            for j, c in enumerate(states):
                text = equations.jacobian.get((r, c))
                lines.append(f"{out[i, j]} = {rename(text) if text is not None else '0.0'}")
        return lines

    key = "\n".join(["expression", repr(params), equations.key])
    return Declaration(
        name=name or getattr(model, "name", type(model).__name__),
        state_names=states,
        coef_names=params,
        derive=lambda p: {},
        rhs=rhs,
        linear=None,
        key=key,
        param_names=params,
        jacobian=jacobian if has_jacobian else None,
    )


def coefficient_matrix(decl: Declaration, params: dict) -> np.ndarray:
    """Stack the per-member parameters and derived coefficients as rows, shape (n_coef, N)."""
    derived = decl.derive(params)
    rows = [np.asarray(params[n] if n in params else derived[n], dtype=float) for n in decl.coef_names]
    return np.ascontiguousarray(np.vstack(rows))
