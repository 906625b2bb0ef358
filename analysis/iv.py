"""Current–voltage (I–V) curves of a conductance-based model.

* **Steady-state I–V** I_ss(V) = Σ_c g_c Π_j x_j∞(V)^p (V − E_c): every gate at its steady
  state. Equilibria at an applied current I_ext are exactly the solutions of I_ss(V) = I_ext,
  and the folds of I_ss (dI_ss/dV = 0) are the saddle-node points (LP) of the equilibria, at
  I_ext = I_ss(V_fold). Where dI_ss/dV < 0 an equilibrium has an odd number of positive
  eigenvalues (it is a saddle for planar models).
* **Instantaneous (peak) I–V** I_0(V): what a voltage step from the holding potential V_hold
  records at its peak — the fast gates (default: those with τ(V_hold) < ``fast_tau`` ms, i.e.
  m for the squid axon) already at x∞(V), the slow gates still at their values at V_hold:
  I_0(V) = Σ_c g_c Π_fast x∞(V)^p Π_slow x∞(V_hold)^p (V − E_c). Its N shape (negative slope
  from the Na⁺ current) is the source of excitability.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from hhdyn.results import Result, new_axes

from .equilibria import Fold, fixed_points, is_conductance_based

__all__ = ["IVCurves", "iv_curves"]


@dataclass(frozen=True, eq=False)
class IVCurves(Result):
    """Steady-state and instantaneous I–V curves and what they imply at one I_ext.

    Table (:meth:`columns`): ``V_mV``, ``I_ss_uA_per_cm2``, ``I_inst_uA_per_cm2``.

    Attributes
    ----------
    V : ndarray (mV)
    I_ss : ndarray — steady-state current, µA/cm²
    I_inst : ndarray — instantaneous (peak) current from ``V_hold``, µA/cm²
    V_hold : float — holding potential of the instantaneous curve (mV)
    fast_gates : tuple — gates at x∞(V) in the instantaneous curve
    I_ext : float — the applied current (µA/cm²)
    equilibria : FixedPoints — intersections of I_ss with I_ext, classified
    folds : tuple of Fold — all extrema of I_ss in the window (saddle-nodes of equilibria)
    """

    V: np.ndarray = field(repr=False)
    I_ss: np.ndarray = field(repr=False)
    I_inst: np.ndarray = field(repr=False)
    V_hold: float
    fast_gates: tuple
    I_ext: float
    equilibria: object
    folds: tuple
    model_name: str = ""

    def columns(self) -> dict:
        return {"V_mV": self.V, "I_ss_uA_per_cm2": self.I_ss, "I_inst_uA_per_cm2": self.I_inst}

    def plot(self, ax=None, *, instantaneous: bool = True, ylim=None):
        """I_ss (solid), I_inst (dashed), I_ext (horizontal), equilibria by stability, folds (LP)."""
        ax = new_axes(ax, figsize=(6, 4.5))
        ax.axhline(0.0, color="0.85", lw=0.8, zorder=0)
        ax.plot(self.V, self.I_ss, color="k", lw=1.8, label="steady state $I_{ss}(V)$", gid="I_ss")
        if instantaneous:
            ax.plot(self.V, self.I_inst, color="tab:purple", lw=1.4, ls="--",
                    label=f"instantaneous $I_0(V)$ from {self.V_hold:.1f} mV", gid="I_inst")
        ax.axhline(self.I_ext, color="tab:red", lw=1.0, label=f"$I_{{ext}}$ = {self.I_ext:g} µA/cm²", gid="I_ext")
        seen = set()
        for fp in self.equilibria:
            style = fp.marker_style()
            label = f"equilibrium ({fp.stability})" if fp.stability not in seen else None
            seen.add(fp.stability)
            ax.plot([fp.state[0]], [self.I_ext], **style, label=label, gid="equilibrium")
        for k, fold in enumerate(self.folds):
            ax.plot([fold.V], [fold.I_fold], marker="s", color="tab:blue", ls="none", ms=7, zorder=6,
                    label="fold (LP, saddle-node)" if k == 0 else None, gid="fold")
            ax.annotate(f"LP\n{fold.I_fold:.4g}", (fold.V, fold.I_fold), textcoords="offset points",
                        xytext=(6, 6), fontsize=7, color="tab:blue")
        ax.set_xlabel("V (mV)")
        ax.set_ylabel("current (µA/cm²)")
        ax.set_xlim(self.V[0], self.V[-1])
        if ylim is None:
            span = np.concatenate([self.I_ss, self.I_inst if instantaneous else self.I_ss])
            span = span[np.isfinite(span)]
            lo, hi = np.percentile(span, [5, 90])
            pad = 0.15 * (hi - lo + 1.0)
            lo, hi = min(lo, self.I_ext, *(f.I_fold for f in self.folds)), max(hi, self.I_ext, *(f.I_fold for f in self.folds))
            ylim = (lo - pad, hi + pad)
        ax.set_ylim(*ylim)
        ax.set_title(self.model_name, fontsize=9)
        ax.legend(fontsize=7, frameon=False)
        return ax


def iv_curves(model, params=None, *, V_range=(-100.0, 50.0), n: int = 1501, V_hold: float | None = None,
              fast=None, fast_tau: float = 1.0) -> IVCurves:
    """Steady-state and instantaneous I–V curves of a conductance-based ``model``.

    Parameters
    ----------
    model : ConductanceModel
    params : mapping, optional — overrides (``I_ext`` sets the horizontal line)
    V_range : (float, float) — voltage window, mV
    n : int — number of voltages
    V_hold : float, optional — holding potential (mV) of the instantaneous curve; default the
        resting equilibrium at I_ext = 0
    fast : sequence of gate names, optional — gates at x∞(V) in the instantaneous curve
        (gates the model already eliminates as instantaneous always are); default the dynamic
        gates with τ(V_hold) < ``fast_tau`` ms
    """
    if not is_conductance_based(model):
        raise ValueError(f"model: I–V curves need a conductance-based model, not {getattr(model, 'name', model)!r}")
    try:
        lo, hi = (float(v) for v in V_range)
    except (TypeError, ValueError):
        raise ValueError(f"V_range must be a pair (low, high) in mV, got {V_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"V_range must be finite with low < high, got {V_range!r}")
    n = int(n)
    if n < 3:
        raise ValueError(f"n must be >= 3, got {n!r}")
    p = model._resolve(params)
    V = np.linspace(lo, hi, n)
    I_ss = np.asarray(model.steady_state_current(V, p), dtype=float)
    if V_hold is None:
        V_hold = float(model.resting_state(p.replace(I_ext=0.0))[0])
    V_hold = float(V_hold)
    taus = model.time_constant(V_hold, p)
    dyn = tuple(model.dynamic_gates)
    if fast is None:
        fast = tuple(g for g in dyn if taus[g] < fast_tau)
    else:
        fast = tuple(fast)
        bad = [g for g in fast if g not in dyn]
        if bad:
            raise ValueError(f"fast: {bad[0]!r} is not a dynamic gate of {model.name}; dynamic gates are {', '.join(dyn)}")
    hold = np.asarray(model.steady_state_curve(V_hold), dtype=float)
    states = np.repeat(hold[:, None], n, axis=1)
    states[0] = V
    for g in fast:
        states[model.state_names.index(g)] = model.gates[g].steady_state(V)
    I_inst = np.asarray(sum(model.channel_currents(states, p).values()), dtype=float)
    eq = fixed_points(model, p, V_range=(lo, hi), n_grid=max(n, 2001))
    folds = _all_folds(model, p, V, I_ss)
    return IVCurves(V, I_ss, I_inst, V_hold, fast, float(p["I_ext"]), eq, folds, model.name)


def _all_folds(model, p, V, I_ss):
    d = np.asarray(model.steady_state_current_deriv(V, p), dtype=float)
    out = []
    for i in np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0):
        v = brentq(lambda x: float(model.steady_state_current_deriv(x, p)), V[i], V[i + 1], xtol=1e-13)
        I_fold = float(model.steady_state_current(v, p))
        out.append(Fold(float(v), I_fold, I_fold - float(p["I_ext"])))
    return tuple(out)
