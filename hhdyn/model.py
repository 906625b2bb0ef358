"""Conductance-based point neurons declared from channels and gates.

The membrane equation (V in mV, t in ms, currents in µA/cm², C in µF/cm²)

    C·dV/dt = I_ext − Σ_c g_c · Π_j x_j^{p_cj} · (V − E_c)
    dx/dt   = φ_x(T)·s_x·(α_x(V)(1 − x) − β_x(V)x)   for every dynamic gate x

with φ_x(T) = q10^((T − T_ref)/10) and s_x the value of the gate's rate-scale parameter
(:attr:`hhdyn.gates.Gate.rate_scale`, e.g. Morris–Lecar's ``phi``; 1 when it names none).

Reductions replace some gates by algebraic expressions instead of states (see
:mod:`reductions`): a gate may be *instantaneous*, x = x∞(V) (adiabatic elimination), or
*linear in another gate*, x = c + s·y (e.g. Rinzel's h ≈ 0.8 − n). Every formula below — the
right-hand side, the exact Jacobian, parameter derivatives, steady-state curves — is written once
for all three gate forms, so a reduced model is a full citizen of the workbench.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import brentq

from .channels import Channel
from .gates import Gate
from .params import Params
from .protocol import ODEModel

__all__ = ["ConductanceModel", "Instantaneous", "LinearInGate", "ABSOLUTE_ZERO"]

#: The lowest temperature (°C) a model accepts.
ABSOLUTE_ZERO = -273.15


@dataclass(frozen=True)
class Instantaneous:
    """Gate form x = x∞(V): the gate is always at its voltage-dependent steady state."""


@dataclass(frozen=True)
class LinearInGate:
    """Gate form x = p[offset_param] + p[slope_param]·y, with y another (dynamic) gate."""

    of: str
    offset_param: str
    slope_param: str


class ConductanceModel(ODEModel):
    """A single-compartment conductance-based neuron.

    Parameters
    ----------
    channels : sequence of Channel
        The ionic currents (leak included). Gates are collected from the channels by name;
        two different gates with one name are an error.
    C : float
        Membrane capacitance, µF/cm².
    I_ext : float
        Constant applied current density, µA/cm² (depolarizing positive).
    T : float
        Temperature in °C; each gate's rates are scaled by φ = q10^((T − T_ref)/10).
    extra_params : mapping, optional
        Further parameters, e.g. reversal potentials named by channels as strings.
    gate_forms : mapping, optional
        Gate name → :class:`Instantaneous` or :class:`LinearInGate` for gates that are not states.
    name : str or callable
        A label used in plots and messages; a callable receives the parameters, so a label
        that quotes parameter values stays true after ``with_params``.

    Parameters of the model are ``C``, ``I_ext``, ``T``, ``g<channel>`` and ``E<channel>``
    for each channel, plus ``extra_params`` and the constants of linear gate forms. A gate's
    ``rate_scale`` parameter must be given in ``extra_params`` (it must be > 0).
    """

    def __init__(
        self,
        channels: Sequence[Channel],
        *,
        C: float = 1.0,
        I_ext: float = 0.0,
        T: float = 6.3,
        extra_params: Mapping[str, float] | None = None,
        gate_forms: Mapping[str, object] | None = None,
        name="conductance-based model",
    ):
        self._name = name
        self.channels = tuple(channels)
        if not self.channels:
            raise ValueError("a conductance-based model needs at least one channel")
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique, got {names}")
        self.gates: dict[str, Gate] = {}
        for channel in self.channels:
            for gate, _ in channel.gates:
                known = self.gates.setdefault(gate.name, gate)
                if known != gate:
                    raise ValueError(f"two different gates are both named {gate.name!r}")
        self.gate_forms = dict(gate_forms or {})
        self._check_gate_forms()
        self.dynamic_gates = tuple(g for g in self.gates if g not in self.gate_forms)
        self.state_names = ("V",) + self.dynamic_gates
        params = {"C": C, "I_ext": I_ext, "T": T}
        for channel in self.channels:
            params[channel.g_param] = channel.g_max
            if not isinstance(channel.E_rev, str):
                params[channel.E_param] = channel.E_rev
        params.update(extra_params or {})
        for channel in self.channels:
            if channel.E_param not in params:
                raise ValueError(
                    f"channel {channel.name!r} refers to reversal potential {channel.E_param!r}, "
                    "which no channel or extra_params defines"
                )
        builtin = {"C", "I_ext", "T"} | {c.g_param for c in self.channels} | {c.E_param for c in self.channels}
        for gate in self.gates.values():
            if gate.rate_scale is None:
                continue
            if gate.rate_scale in builtin:
                raise ValueError(f"gate {gate.name!r}: rate_scale {gate.rate_scale!r} is a built-in parameter; "
                                 "name a parameter of its own (e.g. 'phi') and pass it in extra_params")
            if gate.rate_scale not in params:
                raise ValueError(f"gate {gate.name!r} has its rates scaled by parameter {gate.rate_scale!r}; "
                                 "pass its value in extra_params")
        for form in self.gate_forms.values():
            if isinstance(form, LinearInGate):
                for pname in (form.offset_param, form.slope_param):
                    if pname not in params:
                        raise ValueError(f"gate form needs parameter {pname!r}; pass it in extra_params")
        super().__init__(params)

    @property
    def name(self) -> str:
        return self._name(self.params) if callable(self._name) else self._name

    # ------------------------------------------------------------------ declaration helpers
    def _check_gate_forms(self):
        for gname, form in self.gate_forms.items():
            if gname not in self.gates:
                raise ValueError(f"gate {gname!r} is not a gate of this model; gates are {', '.join(self.gates)}")
            if isinstance(form, LinearInGate):
                if form.of not in self.gates or form.of in self.gate_forms:
                    raise ValueError(f"gate {gname!r} can only be linear in a dynamic gate, not {form.of!r}")
            elif not isinstance(form, Instantaneous):
                raise TypeError(f"unknown gate form for {gname!r}: {form!r}")

    def _validate(self, p: Params) -> None:
        if p["T"] < ABSOLUTE_ZERO:
            raise ValueError(f"parameter 'T' (temperature, °C) must be >= {ABSOLUTE_ZERO} (absolute zero), got {p['T']}")
        for gname in self.dynamic_gates:
            gate = self.gates[gname]
            if gate.rate_scale is not None:
                s = p[gate.rate_scale]
                if not (math.isfinite(s) and s > 0):
                    raise ValueError(f"parameter {gate.rate_scale!r} (rate factor of gate {gname!r}) must be a "
                                     f"finite number > 0, got {s}")
            with np.errstate(over="ignore", under="ignore"):
                phi = float(gate.phi(p["T"]))
            if not (math.isfinite(phi) and phi > 0):
                raise ValueError(
                    f"parameter 'T' = {p['T']} °C makes the rates of gate {gname!r} non-finite "
                    f"(φ = q10^((T − T_ref)/10) = {phi!r} with q10 = {gate.q10}, T_ref = {gate.T_ref} °C); "
                    "give a temperature nearer T_ref"
                )
        if p["C"] <= 0:
            raise ValueError(f"parameter 'C' (capacitance, µF/cm²) must be > 0, got {p['C']}")
        for channel in self.channels:
            if p[channel.g_param] < 0:
                raise ValueError(
                    f"parameter {channel.g_param!r} (conductance, mS/cm²) must be >= 0, got {p[channel.g_param]}"
                )

    def reduced(self, gate_forms: Mapping[str, object], extra_params: Mapping[str, float] = (), name=None):
        """A new model in which the named gates take algebraic ``gate_forms`` instead of being states."""
        for gname in gate_forms:
            if gname not in self.gates:
                raise ValueError(f"gate {gname!r} is not a gate of {self.name}; gates are {', '.join(self.gates)}")
            if gname in self.gate_forms:
                raise ValueError(f"gate {gname!r} is already eliminated in {self.name}")
        p = dict(self.params)
        p.update(extra_params)
        base = {"C", "I_ext", "T"} | {c.g_param for c in self.channels} | {
            c.E_param for c in self.channels if not isinstance(c.E_rev, str)
        }
        extras = {k: v for k, v in p.items() if k not in base}
        channels = [
            Channel(c.name, p[c.g_param], c.E_rev if isinstance(c.E_rev, str) else p[c.E_param], c.gates)
            for c in self.channels
        ]
        return ConductanceModel(
            channels,
            C=p["C"],
            I_ext=p["I_ext"],
            T=p["T"],
            extra_params=extras,
            gate_forms={**self.gate_forms, **gate_forms},
            name=name or self._name,
        )

    # ------------------------------------------------------------------ gate values
    def _phi(self, gate: Gate, p: Params):
        """φ(T)·s: the factor multiplying both rates of ``gate``."""
        return gate.rate_factor(p)

    def gate_values(self, y, params=None) -> dict:
        """Every gate's value (dynamic or algebraic) at state ``y``."""
        return self._gates(np.asarray(y, dtype=float), self._resolve(params), derivatives=False)[0]

    def _gates(self, y, p, derivatives: bool = True):
        """Gate values, their V-derivatives and their dependence on dynamic gates.

        Returns ``values[name]``, ``dvalue_dV[name]`` (0 for non-instantaneous gates) and
        ``source[name] = (state_index, coefficient)`` or None; with ``derivatives=False`` the
        (costly) dx∞/dV of instantaneous gates is skipped and ``dvalue_dV`` left empty.
        """
        V = y[0]
        values, dV, source = {}, {}, {}
        for i, gname in enumerate(self.dynamic_gates, start=1):
            values[gname] = y[i]
            dV[gname] = 0.0
            source[gname] = (i, 1.0)
        for gname, form in self.gate_forms.items():
            gate = self.gates[gname]
            if isinstance(form, Instantaneous):
                values[gname] = gate.steady_state(V)
                if derivatives:
                    dV[gname] = gate.steady_state_deriv(V)
                source[gname] = None
            else:
                i = self.state_names.index(form.of)
                slope = p[form.slope_param]
                values[gname] = p[form.offset_param] + slope * y[i]
                dV[gname] = 0.0
                source[gname] = (i, slope)
        return values, dV, source

    def _ionic(self, y, p, slope: bool = False):
        """Σ_c g_c·Π x^p·(V − E_c) and, with ``slope``, its V-derivative at fixed dynamic gates."""
        values, dV, _ = self._gates(y, p, derivatives=slope)
        V = y[0]
        if not slope:
            return sum(c.current(V, values, p[c.g_param], p[c.E_param]) for c in self.channels)
        instantaneous = {g for g, form in self.gate_forms.items() if isinstance(form, Instantaneous)}
        I = G = 0.0
        for channel in self.channels:
            g, E = p[channel.g_param], p[channel.E_param]
            current, conductance = channel.current(V, values, g, E, with_conductance=True)
            I, G = I + current, G + conductance
            if instantaneous.intersection(gate.name for gate, _ in channel.gates):
                for gname, d_open in channel.open_fraction_partials(values).items():
                    if gname in instantaneous:
                        G = G + g * (V - E) * d_open * dV[gname]
        return I, G

    def ionic_current(self, y, params=None, slope: bool = False):
        """The total ionic current density I_ion = Σ_c g_c·Π x^p·(V − E_c) (µA/cm², outward positive).

        With ``slope=True`` returns (I_ion, ∂I_ion/∂V) where the derivative (mS/cm²) holds the
        dynamic gates fixed and includes dx∞/dV of instantaneous gates (the linearization an
        implicit voltage step needs). ``params`` are overrides as for :meth:`rhs`, or a mapping
        of *every* parameter to a float or an array broadcasting against ``y[0]`` (used as
        given, e.g. one value per cable compartment; not validated).
        """
        y = self._check_shape(y)
        if isinstance(params, Mapping) and not isinstance(params, Params) and set(params) == set(self.params):
            p = params
        else:
            p = self._resolve(params)
        return self._ionic(y, p, slope)

    def check_state(self, y0) -> np.ndarray:
        """A user-given state (shape (n,), finite) whose dynamic gates lie in [0, 1]; ValueError
        naming the offending entry otherwise. :func:`hhdyn.simulate` calls it on ``y0``."""
        y0 = super().check_state(y0)
        for i, gname in enumerate(self.dynamic_gates, start=1):
            if not 0.0 <= y0[i] <= 1.0:
                raise ValueError(f"y0: gate {gname!r} must lie in [0, 1] (a fraction of open gates), got {y0[i]}")
        return y0

    # ------------------------------------------------------------------ protocol
    def rhs(self, y, params=None):
        """dy/dt: dV/dt = (I_ext − Σ I_c)/C and dx/dt = φ(α(1 − x) − βx) (see module docstring)."""
        y = self._check_shape(y)
        p = self._resolve(params)
        V = y[0]
        out = np.empty(y.shape)
        out[0] = (p["I_ext"] - self._ionic(y, p)) / p["C"]
        for i, gname in enumerate(self.dynamic_gates, start=1):
            gate = self.gates[gname]
            out[i] = self._phi(gate, p) * gate.kinetics(V, y[i])
        return out

    def jacobian(self, y, params=None):
        """Exact ∂f/∂y, shape (n, n) for y of shape (n,) or (n, n, N) for (n, N)."""
        y = self._check_shape(y)
        p = self._resolve(params)
        n = self.n_states
        V = y[0]
        values, dV, source = self._gates(y, p)
        J = np.zeros((n, n) + y.shape[1:])
        C = p["C"]
        for channel in self.channels:
            g = p[channel.g_param]
            drive = V - p[channel.E_param]
            J[0, 0] -= g * channel.open_fraction(values) / C
            for gname, d_open in channel.open_fraction_partials(values).items():
                common = g * drive * d_open / C
                J[0, 0] -= common * dV[gname]
                if source[gname] is not None:
                    idx, coeff = source[gname]
                    J[0, idx] -= common * coeff
        for i, gname in enumerate(self.dynamic_gates, start=1):
            gate = self.gates[gname]
            phi = self._phi(gate, p)
            a, b = gate.alpha(V), gate.beta(V)
            J[i, 0] = phi * (gate.alpha.deriv(V) * (1.0 - y[i]) - gate.beta.deriv(V) * y[i])
            J[i, i] = -phi * (a + b)
        return J

    def dfdp(self, y, name: str, params=None):
        """Exact ∂f/∂p for every built-in parameter (C, I_ext, T, g*, E*, gate-form constants, the
        gates' rate-scale parameters: ∂(dx/dt)/∂s = φ(T)(α(1 − x) − βx))."""
        y = np.asarray(y, dtype=float)
        p = self._resolve(params)
        if name not in p:
            raise ValueError(f"unknown parameter {name!r}; known parameters: {', '.join(p)}")
        out = np.zeros(y.shape)
        V, C = y[0], p["C"]
        values = self._gates(y, p, derivatives=False)[0]
        if name == "I_ext":
            out[0] = 1.0 / C
        elif name == "C":
            out[0] = -self.rhs(y, p)[0] / C
        elif name == "T":
            for i, gname in enumerate(self.dynamic_gates, start=1):
                gate = self.gates[gname]
                out[i] = math.log(gate.q10) / 10.0 * self._phi(gate, p) * gate.kinetics(V, y[i])
        else:
            matched = False
            for i, gname in enumerate(self.dynamic_gates, start=1):
                gate = self.gates[gname]
                if gate.rate_scale == name:
                    out[i] = gate.phi(p["T"]) * gate.kinetics(V, y[i])
                    matched = True
            for channel in self.channels:
                open_fraction = channel.open_fraction(values)
                if name == channel.g_param:
                    out[0] -= open_fraction * (V - p[channel.E_param]) / C
                    matched = True
                if name == channel.E_param:
                    out[0] += p[channel.g_param] * open_fraction / C
                    matched = True
            for gname, form in self.gate_forms.items():
                if isinstance(form, LinearInGate) and name in (form.offset_param, form.slope_param):
                    dx = 1.0 if name == form.offset_param else y[self.state_names.index(form.of)]
                    for channel in self.channels:
                        partials = channel.open_fraction_partials(values)
                        if gname in partials:
                            drive = V - p[channel.E_param]
                            out[0] -= p[channel.g_param] * drive * partials[gname] * dx / C
                    matched = True
            if not matched:
                return super().dfdp(y, name, p)
        return out

    # ------------------------------------------------------------------ conductance-based extras
    def channel_currents(self, y, params=None) -> dict:
        """Each channel's current density g·Π x^p·(V − E) in µA/cm² (outward positive)."""
        y = np.asarray(y, dtype=float)
        p = self._resolve(params)
        values = self._gates(y, p, derivatives=False)[0]
        return {c.name: c.current(y[0], values, p[c.g_param], p[c.E_param]) for c in self.channels}

    def conductances(self, y, params=None) -> dict:
        """Each channel's conductance g·Π x^p in mS/cm²."""
        y = np.asarray(y, dtype=float)
        p = self._resolve(params)
        values = self._gates(y, p, derivatives=False)[0]
        shape = np.shape(y[0])
        return {c.name: np.broadcast_to(p[c.g_param] * c.open_fraction(values), shape).copy()
                for c in self.channels}

    def steady_state(self, V) -> dict:
        """x∞(V) = α/(α + β) of every gate (its own kinetics, whatever its form here)."""
        return {name: gate.steady_state(V) for name, gate in self.gates.items()}

    def time_constant(self, V, params=None) -> dict:
        """τ(V) = 1/(φ(T)·s·(α + β)) in ms of every gate at the model's temperature and rate scales."""
        p = self._resolve(params)
        return {name: 1.0 / (self._phi(gate, p) * (gate.alpha(V) + gate.beta(V))) for name, gate in self.gates.items()}

    def steady_state_curve(self, V) -> np.ndarray:
        """The state with V given and every dynamic gate at x∞(V); shape (n,) + shape(V).

        Every equilibrium of the model lies on this curve.
        """
        V = np.asarray(V, dtype=float)
        return np.stack([V] + [self.gates[g].steady_state(V) for g in self.dynamic_gates])

    def steady_state_current(self, V, params=None):
        """I_ss(V): the total ionic current on the steady-state curve, µA/cm².

        Equilibria at a given I_ext are the solutions of I_ss(V) = I_ext.
        """
        return sum(self.channel_currents(self.steady_state_curve(V), params).values())

    def steady_state_current_deriv(self, V, params=None):
        """dI_ss/dV = −C·(∂f_V/∂V + Σ_x ∂f_V/∂x · dx∞/dV), exact."""
        V = np.asarray(V, dtype=float)
        p = self._resolve(params)
        y = self.steady_state_curve(V)
        J = self.jacobian(y, p)
        total = J[0, 0]
        for i, gname in enumerate(self.dynamic_gates, start=1):
            total = total + J[0, i] * self.gates[gname].steady_state_deriv(V)
        return -p["C"] * total

    def equilibrium_voltages(self, params=None, V_range=(-150.0, 100.0), n_grid=2501) -> np.ndarray:
        """All V with I_ss(V) = I_ext in ``V_range`` (mV), found by sign changes on a grid
        and refined by Brent's method to 1e-12 mV. Tangential (double) roots between grid
        points can be missed; :func:`analysis.fixed_points` also reports those.
        """
        p = self._resolve(params)
        grid = np.linspace(V_range[0], V_range[1], n_grid)
        residual = self.steady_state_current(grid, p) - p["I_ext"]
        roots = [grid[i] for i in np.flatnonzero(residual == 0.0)]
        for i in np.flatnonzero(np.sign(residual[:-1]) * np.sign(residual[1:]) < 0):
            roots.append(
                brentq(lambda v: float(self.steady_state_current(v, p)) - p["I_ext"], grid[i], grid[i + 1], xtol=1e-13, rtol=4 * np.finfo(float).eps)
            )
        return np.array(sorted(roots))

    def resting_state(self, params=None) -> np.ndarray:
        """The resting equilibrium at the model's own I_ext (shape (n,)).

        Among all equilibria the stable one with the lowest V; if none is stable, the one with
        the lowest V. Raises ValueError when I_ss(V) = I_ext has no root in [-150, 100] mV.
        """
        p = self._resolve(params)
        voltages = self.equilibrium_voltages(p)
        if voltages.size == 0:
            voltages = self.equilibrium_voltages(p, V_range=(-1000.0, 1000.0), n_grid=20001)
        if voltages.size == 0:
            raise ValueError(f"{self.name} has no equilibrium at I_ext = {p['I_ext']} µA/cm²")
        states = [self.steady_state_curve(v) for v in voltages]
        for state in states:
            if np.all(np.linalg.eigvals(self.jacobian(state, p)).real < 0):
                return state
        return states[0]
