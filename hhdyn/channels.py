"""Ionic channels: I = g_max · Π gate^power · (V − E_rev).

A :class:`Channel` names its maximal conductance and reversal potential; the model that holds it
turns them into parameters ``g<name>`` (mS/cm²) and ``E<name>`` (mV), so ``Channel("Na", ...)``
gives ``gNa`` and ``ENa``. A channel may share another's reversal potential by naming it, e.g. an
A-type potassium current with ``E_rev="EK"``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gates import Gate

__all__ = ["Channel"]


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
