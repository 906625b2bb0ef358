"""Cycle branches in bifurcation diagrams: from every Hopf point of an equilibrium branch, and a
two-panel picture (state envelopes | period)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hhdyn.results import Result, column_name, new_axes
from hhdyn.units import axis_label

from .branch import CycleBranch
from .continuation import continue_cycles

__all__ = ["cycle_branches", "plot_with_period", "FiringOnset", "firing_onset"]


def cycle_branches(model, equilibria, *, window=None, progress=None, report=None, **options) -> list:
    """Continue the periodic orbits born at each Hopf point of ``equilibria`` (a ``Branch``).

    The window defaults to the equilibrium branch's parameter range. A Hopf point at which an
    earlier cycle branch already ended (amplitude → 0 there, e.g. HH's H2 reached from H1) is
    not started again. ``options`` go to :func:`continue_cycles` (``ntst``, ``ncol``, …);
    ``progress(n_points, param)`` is passed on to each :func:`continue_cycles`; ``report(text)``
    gets one line per branch.
    """
    param = equilibria.param_name
    if window is None:
        window = (float(np.min(equilibria.param)), float(np.max(equilibria.param)))
    out = []
    for hopf in sorted((p for p in equilibria.special_points if p.kind == "H"), key=lambda p: p.param):
        tol = 1e-3 * (1.0 + abs(hopf.param))
        if any(abs(b.param[-1] - hopf.param) < tol and "Hopf" in b.message for b in out):
            continue
        branch = continue_cycles(hopf, model, param=param, window=window, progress=progress, **options)
        out.append(branch)
        if report is not None:
            report(f"cycles from H at {param}={hopf.param:.6g}: {len(branch)} orbits; {branch.message}")
    return out


def plot_with_period(diagram, y: str = "V", axes=None):
    """Draw a ``BifurcationDiagram`` (equilibria and cycle envelopes) next to the period of its
    cycle branches; returns the two Axes."""
    import matplotlib.pyplot as plt

    from .branch import CycleBranch

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    ax_y, ax_T = axes
    diagram.plot(ax=ax_y, y=y)
    colors = {}
    for line in ax_y.get_lines():
        if line.get_label() and not line.get_label().startswith("_"):
            colors[line.get_label()] = line.get_color()
    for b in diagram.branches:
        if isinstance(b, CycleBranch):
            b.plot_period(ax=ax_T, color=colors.get(b.model_name))
    return ax_y, ax_T


@dataclass(frozen=True)
class FiringOnset(Result):
    """Where repetitive firing starts as ``param`` increases (for the ``analysis.compare`` table).

    ``hopf`` is the Hopf point at which rest loses stability (for a SNIC onset: the fold LP at
    which rest disappears), ``onset`` the lowest parameter value with a stable cycle — a fold of
    cycles (``kind`` "LPC", the subcritical case), the Hopf point itself ("H", supercritical), or
    a saddle-node on an invariant circle ("SNIC": the cycles end at infinite period on the fold
    of the equilibria) or a saddle homoclinic orbit ("HOM", period ∞ too) —, ``period_ms`` the period there and ``rate_hz`` = 1000/period, the lowest
    steady firing rate (> 0: class-2 excitability; 0 with period ∞ at a SNIC: class 1, or at HOM). ``branch`` is the cycle branch;
    ``status``/``message`` are its own (how the cycle continuation ended). Table
    (:meth:`columns`): one row — ``hopf_<param>``, ``onset_<param>`` (with units), ``kind``,
    ``period_ms``, ``rate_Hz``.
    """

    model_name: str
    param_name: str
    hopf: float
    onset: float
    kind: str
    period_ms: float
    rate_hz: float
    branch: CycleBranch

    @property
    def status(self) -> int:
        return int(self.branch.status)

    @property
    def message(self) -> str:
        return self.branch.message

    def columns(self) -> dict:
        p = column_name(self.param_name)
        return {f"hopf_{p}": np.array([self.hopf]), f"onset_{p}": np.array([self.onset]),
                "kind": np.array([self.kind]), "period_ms": np.array([self.period_ms]),
                "rate_Hz": np.array([self.rate_hz])}

    def plot(self, ax=None):
        """Firing rate 1000/period along the cycle branch with the Hopf point and the onset
        marked; returns the Axes."""
        ax = new_axes(ax)
        self.branch.plot_period(ax, frequency=True, label=f"{self.model_name}: cycles")
        ax.axvline(self.hopf, color="0.5", ls=":", lw=1, label=f"H at {self.hopf:.4g}")
        ax.plot([self.onset], [self.rate_hz], "o", color="C3", mec="k", zorder=6,
                label=f"onset ({self.kind}) {self.onset:.4g}: {self.rate_hz:.3g} Hz")
        ax.set_xlabel(axis_label(self.param_name))
        ax.legend(frameon=False, fontsize="small")
        return ax

    def as_row(self) -> dict:
        return {"model": self.model_name, f"H ({self.param_name})": self.hopf,
                f"onset {self.kind} ({self.param_name})": self.onset, "onset period (ms)": self.period_ms,
                "onset rate (Hz)": self.rate_hz}


def firing_onset(model, param: str = "I_ext", window=(0.0, 200.0), *, equilibria=None, **options) -> FiringOnset:
    """Continue equilibria over ``window`` (or take the given ``equilibria`` branch), then the
    cycles, and report the onset of stable oscillations (:class:`FiringOnset`).

    The cycles start at the first Hopf point; without one (class-1 models such as
    Wang–Buzsáki, whose rest disappears at a fold), from a simulated orbit just past the first
    fold LP of the equilibria, continued down towards it. When the stable cycles reach an end at
    infinite period at a SNIC (:mod:`.infinite_period`), the onset is that SNIC (``kind``
    "SNIC", the fold's parameter, period ∞, rate 0: class-1 excitability) and ``hopf`` is the
    fold at which rest disappears; likewise "HOM" when they begin at a saddle homoclinic orbit. When
    no cycle can be started past the fold, the Hopf points in the window on the equilibrium curve
    continued over a wider window are tried (the curve may leave the window before reaching them).
    ``options`` go to :func:`continue_cycles`. ValueError if the
    equilibria have neither a Hopf point nor a fold in the window, or no cycle is stable."""
    from analysis.continuation import continue_equilibria

    lo, hi = (float(v) for v in window)
    eq = continue_equilibria(model, param, (lo, hi)) if equilibria is None else equilibria
    hopf = sorted(eq.points("H"), key=lambda p: p.param)
    folds = sorted(eq.points("LP"), key=lambda p: p.param)
    if hopf:
        rest_lost = hopf[0]
        lc = continue_cycles(hopf[0], model, param=param, window=(lo, hi), **options)
    elif folds:
        rest_lost = _rest_fold(eq, folds)
        lc, why = None, ""
        for orbit, at in _orbits_past(model, param, rest_lost, hi):
            try:
                lc = continue_cycles(orbit, at, param=param, window=(lo, hi), **{"direction": -1, **options})
                break
            except ValueError as exc:  # the collocation did not converge onto this orbit: try the next
                why = f" ({exc})"
        if lc is None:  # the branch may have left the window before reaching the Hopf points inside it
            hopf = _hopf_points_beyond(model, param, lo, hi)
            if hopf:
                rest_lost = hopf[0]
                lc = continue_cycles(hopf[0], model, param=param, window=(lo, hi), **options)
        if lc is None:
            raise ValueError(f"{model.name}: no Hopf point for {param} in [{lo:g}, {hi:g}], and no cycle branch "
                             f"could be started from a simulated orbit past the fold at {rest_lost.param:.6g}{why}; "
                             f"pass equilibria with a Hopf point (e.g. continued over a wider window)")
    else:
        raise ValueError(f"{model.name}: no Hopf point and no fold of the equilibria for {param} in "
                         f"[{lo:g}, {hi:g}]; widen the window")
    if not lc.stable.any():
        raise ValueError(f"{model.name}: no stable cycle on the branch from the {rest_lost.kind} point at "
                         f"{rest_lost.param:.6g} ({lc.message})")
    first = int(np.argmin(np.where(lc.stable, lc.param, np.inf)))
    lowest = float(lc.param[first])
    ends = [p for p in lc.special_points if p.kind in ("SNIC", "HOM") and lc.stable[p.index]
            and p.param <= lowest + 1e-3 * (1.0 + abs(lowest))]
    # the fold where the stable branch begins (on a canard the stable and unstable cycles near it
    # share the parameter value to within the discretization error, so compare values, not positions)
    lpc = sorted((p for p in lc.points("LPC") if p.param <= lowest + 1e-4 * (1.0 + abs(lowest))),
                 key=lambda p: p.param)
    if ends:  # the stable cycles begin at infinite period (rate → 0)
        p = ends[0]
        onset, kind, period = p.param, p.kind, math.inf
        if kind == "SNIC" and folds:
            rest_lost = min(folds, key=lambda f: abs(f.param - p.param))
    elif lpc:
        p = lpc[0]
        onset, kind, period = p.param, "LPC", p.info["period"]
    else:
        onset, kind, period = float(lc.param[first]), "H", float(lc.period[first])
    return FiringOnset(model.name, param, float(rest_lost.param), float(onset), kind, float(period),
                       1000.0 / float(period), lc)


def _hopf_points_beyond(model, param, lo, hi):
    """Hopf points with their parameter in [lo, hi] on the equilibrium curve continued over a
    window three times as wide: a curve that folds back (e.g. Morris–Lecar's homoclinic set from
    I = 0: rest → fold at 40 → middle branch) leaves [lo, hi] before reaching its upper branch."""
    from analysis.continuation import continue_equilibria

    width = hi - lo
    wide = continue_equilibria(model, param, (lo - width, hi + width))
    return sorted((p for p in wide.points("H") if lo <= p.param <= hi), key=lambda p: p.param)


def _rest_fold(eq, folds):
    """The fold at which the stable equilibria that start the branch lose stability (the LP
    nearest the first unstable point of the branch), else the first fold."""
    unstable = np.flatnonzero(~np.asarray(eq.stable, bool))
    if not eq.stable[0] or unstable.size == 0:
        return folds[0]
    return min(folds, key=lambda f: abs(f.index - int(unstable[0])))


def _orbits_past(model, param, fold, hi):
    """Simulated periodic orbits ((t, y), model at the parameter value) past ``fold`` (towards
    ``hi``), where the equilibria that met at the fold are gone: starts of a cycle branch continued
    down to a SNIC. Tried at (1, 0.25, 0.05) × (1 + |p_fold|) past the fold (at most half-way to
    ``hi``); a value at which the simulation does not settle onto an orbit is skipped."""
    from hhdyn.simulation import simulate

    from .starts import cycle_from_trajectory

    y0 = np.asarray(fold.state, float)
    for offset in (1.0, 0.25, 0.05):
        p = fold.param + min(offset * (1.0 + abs(fold.param)), 0.5 * (hi - fold.param))
        m = model.with_params(**{param: float(p)})
        start, t_end = y0, 1000.0
        for _ in range(2):
            traj = simulate(m, t_end, y0=start)
            try:
                cycle_from_trajectory(traj.t, traj.y)
            except ValueError:
                start, t_end = np.asarray(traj.y)[:, -1], 4.0 * t_end
                continue
            yield (np.asarray(traj.t), np.asarray(traj.y)), m
            break
