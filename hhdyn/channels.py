"""Ionic channels: I = g_max · Π gate^power · (V − E_rev).

The channel product is written here once, for NumPy (:meth:`Channel.open_fraction`,
:meth:`Channel.open_fraction_partials`, :meth:`Channel.current`) and as source text for the
compiled kernels (:meth:`Channel.open_fraction_source`, :meth:`Channel.partial_sources`);
the point model, its compiled engine and the cable all use these.

A :class:`Channel` names its maximal conductance and reversal potential; the model that holds it
turns them into parameters ``g<name>`` (mS/cm²) and ``E<name>`` (mV), so ``Channel("Na", ...)``
gives ``gNa`` and ``ENa``. A channel may share another's reversal potential by naming it, e.g. an
A-type potassium current with ``E_rev="EK"``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gates import Gate
from .rates import literal

__all__ = ["Channel", "power_source"]


def power_source(x: str, power: float) -> str:
    """Source text of x^power: repeated products for whole powers 1…8, ``**`` otherwise."""
    if float(power).is_integer() and 1 <= power <= 8:
        return "*".join([x] * int(power))
    return f"{x}**{literal(power)}"


@dataclass(frozen=True)
class Channel:
    """An ohmic ionic current g_max · Π xᵢ^pᵢ · (V − E_rev) in µA/cm² (outward positive).

    Parameters
    ----------
    name : str
        Short identifier; parameters are called ``"g" + name`` and ``"E" + name``.
    g_max : float
        Maximal conductance in mS/cm² (≥ 0).
    E_rev : float or str
        Reversal potential in mV, or the name of an existing parameter to share (e.g. ``"EK"``).
    gates : sequence of (Gate, power)
        The gates and their exponents, e.g. ``((m, 3), (h, 1))`` for the HH sodium channel.
        A leak has no gates.
    """

    name: str
    g_max: float
    E_rev: float | str
    gates: tuple[tuple[Gate, float], ...] = ()

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"channel name must be an identifier, got {self.name!r}")
        object.__setattr__(self, "gates", tuple((g, float(p)) for g, p in self.gates))
        for gate, power in self.gates:
            if not isinstance(gate, Gate):
                raise TypeError(f"channel {self.name!r}: expected Gate objects, got {gate!r}")
            if not power > 0:
                raise ValueError(f"channel {self.name!r}: gate {gate.name!r} power must be > 0, got {power}")
        if not (np.isfinite(self.g_max) and self.g_max >= 0):
            raise ValueError(f"channel {self.name!r}: g_max must be >= 0, got {self.g_max!r}")

    @property
    def g_param(self) -> str:
        """Name of the maximal-conductance parameter."""
        return "g" + self.name

    @property
    def E_param(self) -> str:
        """Name of the reversal-potential parameter (possibly shared with another channel)."""
        return self.E_rev if isinstance(self.E_rev, str) else "E" + self.name

    # ------------------------------------------------------------------ the channel product
    def open_fraction(self, values):
        """Π_j x_j^p_j from ``values[gate name]`` (1 for a leak)."""
        out = 1.0
        for k, (gate, power) in enumerate(self.gates):
            factor = values[gate.name] if power == 1.0 else values[gate.name] ** power
            out = factor if k == 0 else out * factor
        return out

    def open_fraction_partials(self, values) -> dict:
        """∂(Π x_k^p_k)/∂x_j = p_j·x_j^(p_j − 1)·Π_(k≠j) x_k^p_k for each gate j (no division,
        safe at x = 0); a gate appearing twice gets the sum of its terms."""
        partials = {}
        for j, (gate, power) in enumerate(self.gates):
            term = power * values[gate.name] ** (power - 1.0)
            for k, (other, p_other) in enumerate(self.gates):
                if k != j:
                    term = term * values[other.name] ** p_other
            partials[gate.name] = partials.get(gate.name, 0.0) + term
        return partials

    def current(self, V, values, g, E, with_conductance: bool = False):
        """I = g·Π x^p·(V − E) in µA/cm² for conductance ``g`` (mS/cm²) and reversal ``E`` (mV);
        with ``with_conductance`` the pair (I, g·Π x^p)."""
        conductance = g * self.open_fraction(values)
        current = conductance * (V - E)
        return (current, conductance) if with_conductance else current

    def current_source(self, V: str, name_of, g: str, E: str) -> str:
        """Source text of g·Π x^p·(V − E) from the locals ``V``, ``g``, ``E`` and ``name_of(gate)``."""
        return f"{g}*({self.open_fraction_source(name_of)})*({V}-{E})"

    def open_fraction_source(self, name_of) -> str:
        """Source text of Π x^p, with ``name_of(gate name)`` the local holding each gate."""
        factors = [power_source(name_of(g.name), p) for g, p in self.gates]
        return "*".join(factors) if factors else "1.0"

    def partial_sources(self, name_of) -> list:
        """(gate name, source text of ∂(Π x^p)/∂x_j) for each gate j, as in
        :meth:`open_fraction_partials` (one entry per occurrence)."""
        out = []
        for j, (gate, power) in enumerate(self.gates):
            terms = [literal(power)]
            if power != 1.0:
                terms.append(power_source(name_of(gate.name), power - 1.0))
            terms += [power_source(name_of(g.name), p) for k, (g, p) in enumerate(self.gates) if k != j]
            out.append((gate.name, "*".join(terms)))
        return out
