"""Class-1 point neurons: Morris–Lecar (1981) and Wang–Buzsáki (1996), declared with the
channel/gate layer like :mod:`hhdyn.squid`.

Morris–Lecar (V in mV, t in ms, C in µF/cm², g in mS/cm², I in µA/cm²)::

    C dV/dt = I_ext − gCa·m∞(V)(V − ECa) − gK·w(V − EK) − gL(V − EL)
    dw/dt   = φ·(w∞(V) − w)·cosh((V − V₃)/(2V₄))
    m∞ = ½(1 + tanh((V − V₁)/V₂)),  w∞ = ½(1 + tanh((V − V₃)/V₄)),  τ_w = 1/(φ·cosh((V − V₃)/(2V₄)))

with C = 20, gL = 2, gK = 8, EL = −60, ECa = 120, EK = −84, V₁ = −1.2, V₂ = 18 and the three
sets of Rinzel & Ermentrout (1998, "Analysis of neural excitability and oscillations"):

    ============  =====  =====  =====  ======
    set           gCa    V₃     V₄     φ
    ============  =====  =====  =====  ======
    "hopf"        4.4    2      30     0.04
    "snic"        4.0    12     17.4   1/15
    "homoclinic"  4.0    12     17.4   0.23
    ============  =====  =====  =====  ======

m is instantaneous (m = m∞(V)); the state is (V, w).

Wang–Buzsáki interneuron (J Neurosci 16:6402, 1996)::

    C dV/dt = I_ext − gNa·m∞³h(V − ENa) − gK·n⁴(V − EK) − gL(V − EL)
    dh/dt = φ(α_h(1 − h) − β_h h),   dn/dt = φ(α_n(1 − n) − β_n n),   m = m∞ = α_m/(α_m + β_m)
    α_m = 0.1(V + 35)/(1 − exp(−(V + 35)/10))   β_m = 4 exp(−(V + 60)/18)
    α_h = 0.07 exp(−(V + 58)/20)                β_h = 1/(1 + exp(−(V + 28)/10))
    α_n = 0.01(V + 34)/(1 − exp(−(V + 34)/10))  β_n = 0.125 exp(−(V + 44)/80)

with φ = 5, gNa = 35, gK = 9, gL = 0.1, ENa = 55, EK = −90, EL = −65, C = 1; the state is (V, h, n).

These models have no temperature rule, so their gates use q10 = 1; φ is a model *parameter*
``phi`` (1/ms for Morris–Lecar, dimensionless for Wang–Buzsáki), the rate scale of exactly the
gates it is given to (:attr:`hhdyn.gates.Gate.rate_scale`: w of Morris–Lecar, h and n of
Wang–Buzsáki), so ``MorrisLecar("snic").with_params(phi=0.23)`` is the homoclinic set and
continuation may vary it. Morris–Lecar's V₁…V₄ shape the rate functions and remain factory
arguments.
"""
from __future__ import annotations

from types import MappingProxyType

from .channels import Channel
from .gates import Gate
from .model import ConductanceModel, Instantaneous
from .rates import ConstantRate, ExpLinearRate, ExpRate, SechRate, SigmoidRate, TanhRate

__all__ = ["MorrisLecar", "WangBuzsaki", "MORRIS_LECAR_SETS"]

_ML_COMMON = {"C": 20.0, "gL": 2.0, "gK": 8.0, "EL": -60.0, "ECa": 120.0, "EK": -84.0, "V1": -1.2, "V2": 18.0}

#: Rinzel & Ermentrout's three Morris–Lecar parameter sets (gCa mS/cm², V3, V4 mV, phi 1/ms).
MORRIS_LECAR_SETS = MappingProxyType({
    "hopf": MappingProxyType({"gCa": 4.4, "V3": 2.0, "V4": 30.0, "phi": 0.04}),
    "snic": MappingProxyType({"gCa": 4.0, "V3": 12.0, "V4": 17.4, "phi": 1.0 / 15.0}),
    "homoclinic": MappingProxyType({"gCa": 4.0, "V3": 12.0, "V4": 17.4, "phi": 0.23}),
})

_GATE_SHAPE = ("V1", "V2", "V3", "V4")


def MorrisLecar(set: str = "snic", **overrides) -> ConductanceModel:  # noqa: A002 - the issue's spelling
    """The Morris–Lecar model with one of Rinzel & Ermentrout's sets ("hopf", "snic", "homoclinic").

    ``overrides`` change any value: model parameters (C, I_ext, gCa, ECa, gK, EK, gL, EL and phi,
    the rate factor of w in 1/ms, > 0) and the gate shapes V1, V2, V3, V4 (mV), e.g.
    ``MorrisLecar("snic", I_ext=40, phi=0.1)``. The label names the set, and φ when it differs
    from the set's.
    """
    if set not in MORRIS_LECAR_SETS:
        raise ValueError(f"unknown Morris-Lecar set {set!r}; choose one of {', '.join(MORRIS_LECAR_SETS)}")
    values = {**_ML_COMMON, **MORRIS_LECAR_SETS[set]}
    shape = {k: float(overrides.pop(k, values[k])) for k in _GATE_SHAPE}
    if shape["V2"] == 0 or shape["V4"] == 0:
        raise ValueError(f"V2 and V4 (slopes, mV) must be non-zero, got V2={shape['V2']}, V4={shape['V4']}")
    m = Gate.from_inf_tau("m", TanhRate(1.0, shape["V1"], shape["V2"]), ConstantRate(1.0), q10=1.0)
    w = Gate.from_inf_tau("w", TanhRate(1.0, shape["V3"], shape["V4"]),
                          SechRate(1.0, shape["V3"], shape["V4"]), q10=1.0, rate_scale="phi")
    set_phi = values["phi"]
    model = ConductanceModel(
        [
            Channel("Ca", values["gCa"], values["ECa"], ((m, 1),)),
            Channel("K", values["gK"], values["EK"], ((w, 1),)),
            Channel("L", values["gL"], values["EL"]),
        ],
        C=values["C"],
        extra_params={"phi": set_phi},
        gate_forms={"m": Instantaneous()},
        name=lambda p: f"Morris-Lecar ({set})" if p["phi"] == set_phi else f"Morris-Lecar ({set}, phi={p['phi']:.6g})",
    )
    return model.with_params(**overrides) if overrides else model


def WangBuzsaki(phi: float = 5.0, **overrides) -> ConductanceModel:
    """The Wang–Buzsáki interneuron (see module docstring); the parameter ``phi`` (> 0) scales the
    h and n rates.

    Parameters: C, I_ext, gNa, ENa, gK, EK, gL, EL, phi (e.g. ``WangBuzsaki(I_ext=1.0)``).
    """
    m = Gate("m", ExpLinearRate(1.0, -35.0, 10.0), ExpRate(4.0, -60.0, -18.0), q10=1.0)
    h = Gate("h", ExpRate(0.07, -58.0, -20.0), SigmoidRate(1.0, -28.0, 10.0), q10=1.0, rate_scale="phi")
    n = Gate("n", ExpLinearRate(0.1, -34.0, 10.0), ExpRate(0.125, -44.0, -80.0), q10=1.0, rate_scale="phi")
    model = ConductanceModel(
        [
            Channel("Na", 35.0, 55.0, ((m, 3), (h, 1))),
            Channel("K", 9.0, -90.0, ((n, 4),)),
            Channel("L", 0.1, -65.0),
        ],
        C=1.0,
        extra_params={"phi": 5.0},
        gate_forms={"m": Instantaneous()},
        name="Wang-Buzsaki",
    )
    overrides = {"phi": phi, **overrides}
    return model.with_params(**overrides)
