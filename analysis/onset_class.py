"""Hodgkin's excitability classes from an F–I curve near the firing onset.

Class 1: the firing rate rises continuously from zero at the onset current I_c — at a
saddle-node on invariant circle (SNIC) bifurcation with the square-root law

    f ≈ a·(I − I_c)^β,  β = 1/2                                                 (1)

(the period of the orbit passing the ghost of the saddle-node grows like π/√(c(I − I_c))).
Class 2: firing starts at a non-zero rate (Hopf or fold of cycles; HH jumps to ≈ 50 Hz).

:func:`excitability_class` reads the up sweep of an :class:`analysis.excitability.FICurve`: the onset
lies between the last quiet current and the first firing one; (1) is fitted to the first
``n_fit`` firing points by linear least squares in log f = log a + β·log(I − I_c) for each
trial I_c in that bracket, I_c chosen to minimize the residual (bounded Brent search).
The class is 1 when the lowest stable rate is at most ``class1_max_hz``, else 2; the fitted
exponent is reported in both cases (it is meaningful for class 1 only).

:func:`bifurcation_class` gives the class from the bifurcation structure instead (the onset of
stable cycles found by continuation, :func:`analysis.cycles.firing_onset`): class 1 when the
stable cycles begin at infinite period — a saddle-node on an invariant circle (SNIC) or a saddle
homoclinic orbit (HOM), rate → 0 —, class 2 when they begin at a Hopf point (H) or a fold of
cycles (LPC) with a finite period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from hhdyn.results import Result, new_axes

__all__ = ["OnsetClass", "excitability_class", "fit_onset_power_law", "bifurcation_class", "ONSET_CLASSES"]

#: the excitability class of each kind of firing onset (the bifurcation at which stable cycles begin)
ONSET_CLASSES = {"SNIC": 1, "HOM": 1, "H": 2, "LPC": 2}


@dataclass(frozen=True)
class OnsetClass(Result):
    """Excitability class (1 or 2) with the onset fit f = a·(I − I_c)^β (Hz, µA/cm²).

    ``onset_bracket`` = (last quiet current, first firing current); ``I_c``, ``exponent`` β,
    ``amplitude`` a (Hz per (µA/cm²)^β) and ``fit_rms_log`` (rms of the log residual) describe
    the fit to the first ``n_fit`` firing points (NaN when fewer than 3 fire); ``currents`` and
    ``rates`` (µA/cm², Hz) are the up sweep that was read. Table (:meth:`columns`): one row per
    current, ``I_ext_uA_per_cm2``, ``rate_Hz`` and the fitted ``rate_fit_Hz`` (NaN at or below I_c).
    """

    excitability_class: int
    lowest_rate_hz: float
    onset_bracket: tuple
    I_c: float
    exponent: float
    amplitude: float
    fit_rms_log: float
    n_fit: int
    message: str
    currents: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    rates: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    model_name: str = ""

    def fitted_rate(self, I) -> np.ndarray:
        """a·(I − I_c)^β in Hz at currents ``I`` (µA/cm²); NaN at or below I_c."""
        I = np.asarray(I, dtype=float)
        return np.where(I > self.I_c, self.amplitude * np.abs(I - self.I_c) ** self.exponent, math.nan)

    def columns(self) -> dict:
        return {"I_ext_uA_per_cm2": np.asarray(self.currents, dtype=float),
                "rate_Hz": np.asarray(self.rates, dtype=float), "rate_fit_Hz": self.fitted_rate(self.currents)}

    def plot(self, ax=None, **marker_kwargs):
        """The up-sweep rates (points), the fitted power law and I_c; returns the Axes."""
        ax = new_axes(ax)
        marker_kwargs.setdefault("label", f"{self.model_name or 'F–I'} (class {self.excitability_class})")
        ax.plot(self.currents, self.rates, "o", **marker_kwargs)
        if math.isfinite(self.I_c) and len(self.currents):
            I = np.linspace(self.I_c, float(np.max(self.currents)), 200)[1:]
            ax.plot(I, self.fitted_rate(I), "-", lw=1,
                    label=f"{self.amplitude:.3g}·(I − {self.I_c:.4g})^{self.exponent:.3g}")
            ax.axvline(self.I_c, color="0.6", lw=0.8, ls="--")
        ax.set_xlabel("I_ext (µA/cm²)")
        ax.set_ylabel("firing rate (Hz)")
        ax.set_title("firing onset")
        ax.legend(frameon=False, fontsize="small")
        return ax


def fit_onset_power_law(currents, rates, bracket):
    """Fit f = a·(I − I_c)^β with I_c in ``bracket`` = (lo, hi), hi < min(currents).

    Returns (I_c, β, a, rms of the log residual).
    """
    I = np.asarray(currents, dtype=float)
    f = np.asarray(rates, dtype=float)
    if I.size < 3 or np.any(f <= 0):
        raise ValueError(f"the onset fit needs at least 3 positive rates, got {f.tolist()}")
    lo, hi = float(bracket[0]), float(bracket[1])
    if not lo < hi <= I.min():
        raise ValueError(f"onset bracket {bracket} must satisfy lo < hi <= the lowest firing current {I.min():g}")
    logf = np.log(f)

    def solve(I_c):
        A = np.column_stack([np.ones_like(I), np.log(I - I_c)])
        coef, *_ = np.linalg.lstsq(A, logf, rcond=None)
        return coef, math.sqrt(float(np.mean((A @ coef - logf) ** 2)))

    span = hi - lo
    upper = hi - 1e-9 * max(span, abs(hi), 1e-12) if hi == I.min() else hi
    best = minimize_scalar(lambda c: solve(c)[1], bounds=(lo, upper), method="bounded",
                           options={"xatol": 1e-12 * max(1.0, abs(hi))})
    coef, rms = solve(best.x)
    return float(best.x), float(coef[1]), float(math.exp(coef[0])), rms


def excitability_class(fi, *, n_fit: int = 5, class1_max_hz: float = 5.0) -> OnsetClass:
    """Class 1 or 2 from the up sweep of an F–I curve (see module docstring).

    ``fi`` is an :class:`analysis.excitability.FICurve` whose currents start below the onset
    and are finely spaced just above it (e.g. ``fi_curve(model, currents=[...], sweep="up")``).
    ValueError when no current is quiet or none fires.
    """
    I = np.asarray(fi.currents, dtype=float)
    f = np.nan_to_num(np.asarray(fi.rate_up, dtype=float))
    firing = np.flatnonzero(f > 0)
    if firing.size == 0:
        raise ValueError(f"{fi.model_name}: no current of the F–I curve fires; extend it to higher currents")
    first = int(firing[0])
    if first == 0:
        raise ValueError(f"{fi.model_name}: the F–I curve fires already at its lowest current {I[0]:g}; "
                         "start it below the onset")
    lowest = float(f[firing].min())
    bracket = (float(I[first - 1]), float(I[first]))
    use = firing[:n_fit]
    if use.size >= 3:
        I_c, beta, a, rms = fit_onset_power_law(I[use], f[use], (bracket[0], bracket[1]))
    else:
        I_c = beta = a = rms = math.nan
    cls = 1 if lowest <= class1_max_hz else 2
    message = (f"class {cls}: lowest stable rate {lowest:.3g} Hz "
               f"({'<=' if cls == 1 else '>'} {class1_max_hz:g} Hz) at I = {I[first]:g}, onset in "
               f"({bracket[0]:g}, {bracket[1]:g}]; fit f = {a:.4g}·(I − {I_c:.6g})^{beta:.3g} "
               f"on {use.size} points")
    return OnsetClass(cls, lowest, bracket, I_c, beta, a, rms, int(use.size), message, currents=I,
                      rates=np.asarray(fi.rate_up, dtype=float), model_name=str(getattr(fi, "model_name", "")))


def bifurcation_class(onset) -> int:
    """Hodgkin's class from the bifurcation at which stable cycles begin: 1 for a SNIC or HOM
    onset (period ∞, rate 0), 2 for a Hopf point or fold of cycles (finite rate).

    ``onset`` is a :class:`analysis.cycles.FiringOnset` (anything with ``kind`` and
    ``rate_hz``). ValueError for another kind, or when the rate contradicts the kind."""
    kind = getattr(onset, "kind", None)
    if kind not in ONSET_CLASSES:
        raise ValueError(f"cannot classify a firing onset of kind {kind!r}; expected one of {', '.join(ONSET_CLASSES)}")
    cls = ONSET_CLASSES[kind]
    rate = float(onset.rate_hz)
    if (cls == 1) != (rate == 0.0):
        raise ValueError(f"a {kind} onset with rate {rate:g} Hz is inconsistent (class 1 onsets have rate 0, "
                         "class 2 a finite rate); recompute the firing onset")
    return cls
