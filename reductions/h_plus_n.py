"""Rinzel's two-dimensional reduction of the HH model: m = m∞(V), h = c + slope·n."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from hhdyn.model import ConductanceModel, Instantaneous, LinearInGate

__all__ = ["h_plus_n", "ReductionWarning", "steady_state_iv_is_monotone"]


class ReductionWarning(UserWarning):
    """A reduction changed a qualitative property of the model (e.g. its steady-state I–V)."""


def h_plus_n(model: ConductanceModel, c: float = 0.8, slope: float = -1.0, *, m="m", h="h", n="n",
             warn: bool = True) -> ConductanceModel:
    """The 2D (V, n) model: m at steady state and h tied linearly to n.

    Along HH trajectories h + n stays roughly constant (Rinzel 1985 used h = 0.8 − n; fits
    along the limit cycle give other lines, e.g. h ≈ 0.89 − 1.1·n (Ermentrout & Terman,
    *Mathematical Foundations of Neuroscience*, 2010, §1.10)). This gives

        C·dV/dt = I_ext − gNa·m∞(V)³(c + slope·n)(V − ENa) − gK·n⁴(V − EK) − gL(V − EL)
        dn/dt   = φ(α_n(V)(1 − n) − β_n(V)n).

    ``c`` and ``slope`` become model parameters (so they can be continued). h is *not*
    clipped: for n > (1 − c)/(−slope) it exceeds [0, 1] only by what the line says; the
    HH limit cycle keeps n below ≈ 0.78, where h = 0.8 − n stays ≥ 0.

    The constants can change the bifurcation structure: with c = 1 the steady-state I–V
    becomes N-shaped and rest disappears at a saddle-node instead of a Hopf point. A
    :class:`ReductionWarning` is issued when the steady-state I–V is not monotone on
    [−100, 60] mV.
    """
    if not isinstance(model, ConductanceModel):
        raise TypeError(f"h_plus_n needs a conductance-based model, got {type(model).__name__}")
    c = float(c)
    if not (math.isfinite(c) and 0 < c <= 1.5):
        raise ValueError(f"c must lie in (0, 1.5], got {c!r}")
    slope = float(slope)
    if not math.isfinite(slope):
        raise ValueError(f"slope must be finite, got {slope!r}")
    for role, gate in (("m", m), ("h", h), ("n", n)):
        if gate not in model.dynamic_gates:
            raise ValueError(
                f"{role}: {gate!r} is not a dynamic gate of {model.name}; "
                f"dynamic gates are {', '.join(model.dynamic_gates) or 'none'}"
            )
    for pname in ("c", "slope"):
        if pname in model.params:
            raise ValueError(f"{model.name} already has a parameter {pname!r}; h_plus_n needs the name")
    reduced = model.reduced(
        {m: Instantaneous(), h: LinearInGate(n, "c", "slope")},
        extra_params={"c": c, "slope": slope},
        name=_HPlusNName(model.name, m, h, n),
    )
    if warn and not steady_state_iv_is_monotone(reduced):
        warnings.warn(
            f"h_plus_n(c={c:g}, slope={slope:g}): the steady-state I–V is not monotone on "
            "[-100, 60] mV, so the model has several equilibria for some I_ext and loses rest at "
            "a saddle-node (fold) rather than a Hopf point",
            ReductionWarning,
            stacklevel=2,
        )
    return reduced


@dataclass(frozen=True)
class _HPlusNName:
    """The reduced model's label, quoting its current c and slope (picklable, unlike a lambda)."""

    base: str
    m: str
    h: str
    n: str

    def __call__(self, params) -> str:
        c, slope = params["c"], params["slope"]
        sign = "+" if slope >= 0 else "−"
        coef = "" if abs(slope) == 1 else f"{abs(slope):g}·"  # "0.8 − n", not "0.8 − 1·n"
        return f"{self.base} [{self.m} = {self.m}∞(V), {self.h} = {c:g} {sign} {coef}{self.n}]"


def steady_state_iv_is_monotone(model, V_range=(-100.0, 60.0), n_grid=1601) -> bool:
    """True when dI_ss/dV > 0 everywhere on the voltage window (a single equilibrium per I_ext)."""
    V = np.linspace(*V_range, n_grid)
    return bool(np.all(model.steady_state_current_deriv(V) > 0))
