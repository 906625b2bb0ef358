"""Electrochemistry of the membrane and the passive RC membrane.

* Nernst potential of one ion:  E = (R·T/(z·F))·ln([X]_out/[X]_in)
* Goldman–Hodgkin–Katz voltage equation for monovalent ions:

      V_rev = (R·T/F)·ln( (Σ_cations P·[C]_out + Σ_anions P·[A]_in)
                          / (Σ_cations P·[C]_in + Σ_anions P·[A]_out) )

* The passive membrane C·dV/dt = I − g(V − E) and its response to a current step,
  V(t) = V∞ + (V0 − V∞)·exp(−t/τ) with V∞ = E + I/g and τ = C/g (µF/cm² / mS/cm² = ms).

Potentials are in mV, temperatures in °C, concentrations in any one unit (mM).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .channels import Channel
from .model import ConductanceModel
from .validation import check_number

__all__ = [
    "FARADAY",
    "GAS_CONSTANT",
    "thermal_voltage",
    "nernst",
    "ghk_potential",
    "passive_membrane",
    "passive_step_response",
    "membrane_time_constant",
]

FARADAY = 96485.33212  # C/mol
GAS_CONSTANT = 8.314462618  # J/(mol·K)
ZERO_CELSIUS = 273.15  # K


def thermal_voltage(celsius: float) -> float:
    """R·T/F in mV at ``celsius`` °C (25.26 mV at 20 °C)."""
    kelvin = float(celsius) + ZERO_CELSIUS
    if not (math.isfinite(kelvin) and kelvin > 0):
        raise ValueError(f"celsius must be above absolute zero, got {celsius!r}")
    return 1000.0 * GAS_CONSTANT * kelvin / FARADAY


def nernst(c_in: float, c_out: float, z: int = 1, celsius: float = 6.3) -> float:
    """Nernst equilibrium potential (mV): (R·T/(z·F))·ln(c_out/c_in).

    >>> round(nernst(400.0, 20.0, z=1, celsius=6.3), 2)   # squid K+
    -72.14
    """
    c_in, c_out = check_number("c_in", c_in, positive=True), check_number("c_out", c_out, positive=True)
    if z == 0 or int(z) != z:
        raise ValueError(f"valence z must be a non-zero integer, got {z!r}")
    return thermal_voltage(celsius) / z * math.log(c_out / c_in)


def ghk_potential(permeability: dict, inside: dict, outside: dict, valence: dict | None = None,
                  celsius: float = 6.3) -> float:
    """Goldman–Hodgkin–Katz reversal potential (mV) of several monovalent ions.

    Parameters
    ----------
    permeability, inside, outside : dict
        Ion name → relative permeability and concentrations (same keys).
    valence : dict, optional
        Ion name → +1 or −1; default +1 except for names starting with "Cl".
    """
    if set(permeability) != set(inside) or set(permeability) != set(outside):
        raise ValueError("permeability, inside and outside must name the same ions")
    valence = dict(valence or {})
    numerator = denominator = 0.0
    for ion, p in permeability.items():
        p = float(p)
        if not (math.isfinite(p) and p >= 0):
            raise ValueError(f"permeability of {ion!r} must be >= 0, got {p!r}")
        z = valence.get(ion, -1 if ion.lower().startswith("cl") else 1)
        if z not in (1, -1):
            raise ValueError(f"the GHK voltage equation needs monovalent ions; {ion!r} has valence {z}")
        c_in, c_out = check_number(f"inside[{ion!r}]", inside[ion], positive=True), check_number(f"outside[{ion!r}]", outside[ion], positive=True)
        if z == 1:
            numerator += p * c_out
            denominator += p * c_in
        else:
            numerator += p * c_in
            denominator += p * c_out
    if numerator <= 0 or denominator <= 0:
        raise ValueError("at least one ion must have a positive permeability")
    return thermal_voltage(celsius) * math.log(numerator / denominator)


def passive_membrane(C: float = 1.0, g: float = 0.3, E: float = -65.0, I_ext: float = 0.0) -> ConductanceModel:
    """A patch of passive membrane, C·dV/dt = I_ext − g(V − E), as a model (state V only).

    C in µF/cm², g in mS/cm² (the parameter is called ``gL``), E in mV (``EL``).
    """
    return ConductanceModel([Channel("L", g, E)], C=C, I_ext=I_ext, name="passive membrane")


def membrane_time_constant(C: float, g: float) -> float:
    """τ = C/g in ms (C in µF/cm², g in mS/cm²)."""
    return check_number("C", C, positive=True) / check_number("g", g, positive=True)


def passive_step_response(t: ArrayLike, *, C: float = 1.0, g: float = 0.3, E: float = -65.0, amplitude: float = 1.0,
                          onset: float = 0.0, duration: float = math.inf, V0: float | None = None) -> np.ndarray:
    """Exact V(t) (mV) of the passive membrane for a current step, from V0 (default E) at t = 0.

    During the step V(t) = V∞ + (V(onset) − V∞)·exp(−(t − onset)/τ), V∞ = E + amplitude/g;
    after it V relaxes back towards E with the same τ = C/g.
    """
    tau = membrane_time_constant(C, g)
    t = np.asarray(t, dtype=float)
    V0 = E if V0 is None else float(V0)
    v_inf = E + amplitude / g
    end = onset + duration
    before = E + (V0 - E) * np.exp(-t / tau)
    v_onset = E + (V0 - E) * math.exp(-onset / tau)
    during = v_inf + (v_onset - v_inf) * np.exp(-(t - onset) / tau)
    if math.isfinite(end):
        v_end = v_inf + (v_onset - v_inf) * math.exp(-duration / tau)
        after = E + (v_end - E) * np.exp(-(t - end) / tau)
    else:
        after = during
    return np.where(t < onset, before, np.where(t < end, during, after))
