"""Adiabatic elimination of fast gates."""
from __future__ import annotations

from hhdyn.model import ConductanceModel, Instantaneous

__all__ = ["fast_m"]


def fast_m(model: ConductanceModel, gates=("m",)) -> ConductanceModel:
    """Replace each named gate x by its steady state x∞(V) (adiabatic elimination).

    For the HH model the sodium activation m is about ten times faster than h and n
    (τ_m ≲ 0.5 ms), so setting m = m∞(V) gives the 3D (V, h, n) model

        C·dV/dt = I_ext − gNa·m∞(V)³h(V − ENa) − gK·n⁴(V − EK) − gL(V − EL).

    The equilibria are exactly those of the full model (they lie on the steady-state curve,
    where every gate is at x∞(V)); their stability may differ. The Jacobian stays exact
    (it includes dm∞/dV).
    """
    if isinstance(gates, str):
        gates = (gates,)
    if not isinstance(model, ConductanceModel):
        raise TypeError(f"fast_m needs a conductance-based model, got {type(model).__name__}")
    for gate in gates:
        if gate not in model.dynamic_gates:
            raise ValueError(
                f"gates: {gate!r} is not a dynamic gate of {model.name}; "
                f"dynamic gates are {', '.join(model.dynamic_gates) or 'none'}"
            )
    label = ", ".join(f"{g} = {g}∞(V)" for g in gates)
    return model.reduced({g: Instantaneous() for g in gates}, name=f"{model.name} [{label}]")
