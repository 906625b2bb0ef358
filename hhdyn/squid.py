"""The squid giant axon model of Hodgkin & Huxley (1952), in two sign conventions.

Modern convention (V = membrane potential in mV, rest ≈ −65 mV, depolarization positive)::

    α_m = 0.1(V + 40)/(1 − exp(−(V + 40)/10))   β_m = 4 exp(−(V + 65)/18)
    α_h = 0.07 exp(−(V + 65)/20)                β_h = 1/(1 + exp(−(V + 35)/10))
    α_n = 0.01(V + 55)/(1 − exp(−(V + 55)/10))  β_n = 0.125 exp(−(V + 65)/80)

    C = 1 µF/cm², gNa = 120, gK = 36, gL = 0.3 mS/cm², ENa = 50, EK = −77, EL = −54.387 mV,
    rates measured at T = 6.3 °C and scaled by φ = 3^((T − 6.3)/10).

The original 1952 convention measures v as the displacement from rest with depolarization
*negative*: v = −(V + 65). Their reversal potentials are V_Na = −115, V_K = +12,
V_L = −10.613 mV and their rates are, e.g., α_m = 0.1(v + 25)/(exp((v + 25)/10) − 1). A
depolarizing (inward-positive in modern terms) current is negative there: I_1952 = −I_ext.
:func:`HodgkinHuxley1952` declares that model with its own rate functions, and its
trajectories map exactly onto the modern ones through :func:`to_modern_voltage`.
"""
from __future__ import annotations

from .channels import Channel
from .gates import Gate
from .model import ConductanceModel
from .rates import ExpLinearRate, ExpRate, SigmoidRate
from .spikes import VoltageConvention

__all__ = [
    "HodgkinHuxley",
    "HodgkinHuxley1952",
    "squid_gates",
    "to_modern_voltage",
    "to_1952_voltage",
    "V_REST_MODERN",
]

#: The resting potential (mV) that the 1952 convention takes as its zero.
V_REST_MODERN = -65.0


def squid_gates(convention: str = "modern") -> dict[str, Gate]:
    """The m, h, n gates of the squid axon (rates at 6.3 °C, Q10 = 3) in the given convention."""
    if convention == "modern":
        return {
            "m": Gate("m", ExpLinearRate(1.0, -40.0, 10.0), ExpRate(4.0, -65.0, -18.0)),
            "h": Gate("h", ExpRate(0.07, -65.0, -20.0), SigmoidRate(1.0, -35.0, 10.0)),
            "n": Gate("n", ExpLinearRate(0.1, -55.0, 10.0), ExpRate(0.125, -65.0, -80.0)),
        }
    if convention == "1952":
        return {
            "m": Gate("m", ExpLinearRate(1.0, -25.0, -10.0), ExpRate(4.0, 0.0, 18.0)),
            "h": Gate("h", ExpRate(0.07, 0.0, 20.0), SigmoidRate(1.0, -30.0, -10.0)),
            "n": Gate("n", ExpLinearRate(0.1, -10.0, -10.0), ExpRate(0.125, 0.0, 80.0)),
        }
    raise ValueError(f"convention must be 'modern' or '1952', got {convention!r}")


def _squid(convention: str, E: dict, name: str, overrides: dict) -> ConductanceModel:
    gates = squid_gates(convention)
    model = ConductanceModel(
        [
            Channel("Na", 120.0, E["Na"], ((gates["m"], 3), (gates["h"], 1))),
            Channel("K", 36.0, E["K"], ((gates["n"], 4),)),
            Channel("L", 0.3, E["L"]),
        ],
        C=1.0,
        I_ext=0.0,
        T=6.3,
        name=name,
    )
    if convention == "1952":  # v = −(V + 65): spike detection works on V = −v − 65
        model.voltage_convention = VoltageConvention("V", -1.0, V_REST_MODERN)
    return model.with_params(**overrides) if overrides else model


def HodgkinHuxley(**overrides) -> ConductanceModel:
    """The standard HH squid-axon model, modern convention (see module docstring).

    Any parameter can be overridden by name: ``HodgkinHuxley(I_ext=10, T=18.5)``.
    Parameters: C, I_ext, T, gNa, ENa, gK, EK, gL, EL.
    """
    return _squid("modern", {"Na": 50.0, "K": -77.0, "L": -54.387}, "Hodgkin-Huxley", overrides)


def HodgkinHuxley1952(**overrides) -> ConductanceModel:
    """The HH model in the 1952 paper's convention: v = −(V + 65) mV, I_1952 = −I_ext.

    Same parameter names as :func:`HodgkinHuxley`; ENa = −115, EK = 12, EL = −10.613 mV.
    """
    return _squid("1952", {"Na": -115.0, "K": 12.0, "L": -10.613}, "Hodgkin-Huxley (1952 convention)", overrides)


def to_modern_voltage(v_1952):
    """V = −v − 65: the 1952 displacement (depolarization negative) as a membrane potential."""
    return -v_1952 + V_REST_MODERN


def to_1952_voltage(V):
    """v = −(V + 65): a membrane potential as the 1952 displacement from rest."""
    return -(V - V_REST_MODERN)
