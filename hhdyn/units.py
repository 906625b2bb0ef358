"""Units of the workbench's state variables and parameters, for axis labels and file headers.

Conventions: V in mV, t in ms, currents in µA/cm², conductances in mS/cm², capacitance in
µF/cm², temperature in °C; gates are dimensionless open fractions.
"""
from __future__ import annotations

__all__ = ["unit_of", "axis_label"]

_EXACT = {
    "V": "mV",
    "t": "ms",
    "I_ext": "µA/cm²",
    "C": "µF/cm²",
    "T": "°C",
}


def unit_of(name: str) -> str:
    """The unit of a state or parameter name ('' when dimensionless or unknown).

    >>> unit_of("V"), unit_of("gNa"), unit_of("EK"), unit_of("n")
    ('mV', 'mS/cm²', 'mV', '')
    """
    if name in _EXACT:
        return _EXACT[name]
    if len(name) > 1 and name[0] == "g" and (name[1].isupper() or name[1] == "_"):
        return "mS/cm²"
    if len(name) > 1 and name[0] == "E" and (name[1].isupper() or name[1] == "_"):
        return "mV"
    return ""


def axis_label(name: str) -> str:
    """``name`` with its unit in parentheses, e.g. 'I_ext (µA/cm²)'; bare name if dimensionless."""
    unit = unit_of(name)
    return f"{name} ({unit})" if unit else name
