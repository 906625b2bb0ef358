"""Reduced versus full: the same excitability experiments on two models, side by side.

:func:`compare` runs, on both models, rest, long-step rheobase, 1 ms threshold, refractory
periods (paired pulses), the F–I onset (up sweep), the shape of one action potential and —
from continuation — the Hopf points of the equilibria in I_ext, the bifurcation where
repetitive firing begins (fold of cycles, Hopf, SNIC or homoclinic) and the excitability class it
implies, and reports each quantity with the absolute and relative
difference (reduced − full). Two figures: voltage traces overlaid, and the full model's
trajectory projected on the (V, n) plane over the nullclines of the 2D (h + n) reduction.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from hhdyn.results import Record, Result, new_axes, panel_axes
from hhdyn.validation import check_number
from hhdyn.simulation import simulate
from hhdyn.stimuli import Step

from . import excitability as _ex
from .continuation import continue_equilibria
from .cycles import firing_onset
from .onset_class import bifurcation_class

__all__ = ["ComparisonRow", "Comparison", "compare"]


@dataclass(frozen=True)
class ComparisonRow(Record):
    """One quantity of both models; ``abs_diff`` = reduced − full, ``rel_diff`` = abs_diff/|full|."""

    _exported_properties = ("abs_diff", "rel_diff")

    quantity: str
    unit: str
    full: float
    reduced: float

    @property
    def abs_diff(self) -> float:
        return self.reduced - self.full

    @property
    def rel_diff(self) -> float:
        if not (math.isfinite(self.full) and math.isfinite(self.reduced)) or self.full == 0:
            return math.nan
        return (self.reduced - self.full) / abs(self.full)


@dataclass(frozen=True)
class Comparison(Result):
    """Result of :func:`compare`: the table rows, the raw results, traces for the figures.

    ``status`` is 0 when every experiment succeeded on both models, 1 when some failed (their
    quantities are NaN; ``message`` lists them, as do ``notes``). Table (:meth:`columns`): one
    row per quantity — ``quantity``, ``unit``, ``full``, ``reduced``, ``abs_diff``, ``rel_diff``.
    """

    _unexported = ("plane_model",)

    full_name: str
    reduced_name: str
    rows: tuple
    notes: tuple
    stimulus: str
    t: np.ndarray = field(repr=False)
    V_full: np.ndarray = field(repr=False)
    V_reduced: np.ndarray = field(repr=False)
    n_full: np.ndarray | None = field(repr=False)
    plane_model: object = field(repr=False, default=None)
    plane_I: tuple = field(repr=False, default=())
    results: dict = field(repr=False, default_factory=dict)

    def row(self, quantity: str) -> ComparisonRow:
        for r in self.rows:
            if r.quantity == quantity:
                return r
        raise KeyError(f"no row {quantity!r}; rows are {', '.join(r.quantity for r in self.rows)}")

    def table(self) -> str:
        """A plain-text table (one row per quantity)."""
        w = max([len("quantity")] + [len(r.quantity) for r in self.rows])
        head = f"{'quantity':<{w}} {'unit':<9} {'full':>11} {'reduced':>11} {'abs diff':>11} {'rel diff':>9}"
        lines = [f"full: {self.full_name}", f"reduced: {self.reduced_name}", head, "-" * len(head)]
        for r in self.rows:
            rel = f"{100 * r.rel_diff:8.1f}%" if math.isfinite(r.rel_diff) else f"{'-':>9}"
            lines.append(f"{r.quantity:<{w}} {r.unit:<9} {r.full:11.4g} {r.reduced:11.4g} {r.abs_diff:11.4g} {rel}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    @property
    def status(self) -> int:
        return 1 if self.notes else 0

    @property
    def message(self) -> str:
        if not self.notes:
            return "every experiment succeeded on both models"
        return f"{len(self.notes)} experiment(s) failed: " + "; ".join(self.notes)

    def columns(self) -> dict:
        """quantity, unit, full, reduced, abs_diff (reduced − full), rel_diff (abs_diff/|full|)."""
        return {"quantity": np.array([r.quantity for r in self.rows], dtype=object),
                "unit": np.array([r.unit for r in self.rows], dtype=object),
                "full": np.array([r.full for r in self.rows], dtype=float),
                "reduced": np.array([r.reduced for r in self.rows], dtype=float),
                "abs_diff": np.array([r.abs_diff for r in self.rows], dtype=float),
                "rel_diff": np.array([r.rel_diff for r in self.rows], dtype=float)}

    def plot_traces(self, ax=None):
        """Both models' voltage under the common stimulus, overlaid; returns the Axes."""
        ax = new_axes(ax, figsize=(7, 3.5))
        ax.plot(self.t, self.V_full, color="k", lw=1.5, label=self.full_name)
        ax.plot(self.t, self.V_reduced, color="C3", lw=1.2, ls="--", label=self.reduced_name)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("V (mV)")
        ax.set_title(self.stimulus, fontsize="medium")
        ax.legend(frameon=False, fontsize="small", loc="upper right")
        return ax

    def plot_phase_plane(self, ax=None):
        """The full trajectory projected on (V, n) over the 2D reduction's nullclines; returns the Axes."""
        ax = new_axes(ax, figsize=(5.5, 4.5))
        if self.n_full is None or self.plane_model is None:
            ax.text(0.5, 0.5, "no (V, n) plane for these models", ha="center", va="center", transform=ax.transAxes)
            return ax
        plane_figure(ax, self.plane_model, self.plane_I, self.V_full, self.n_full, label=self.full_name)
        return ax

    def plot(self, ax=None):
        """Two panels, :meth:`plot_traces` and :meth:`plot_phase_plane`.

        ``ax``: None (a new figure), a Figure (the panels are added to it) or a sequence of two
        Axes. Returns the list of the two Axes (``axes[0].figure`` is the Figure).
        """
        axes = panel_axes(ax, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1.4, 1]})
        self.plot_traces(axes[0])
        self.plot_phase_plane(axes[1])
        return axes


def plane_figure(ax, model2d, currents, V, n, label="full model"):
    """Draw V-nullclines of ``model2d`` at each current in ``currents``, n∞(V), and a trajectory."""
    from reductions.fits import v_nullcline

    grid = np.linspace(-80.0, 50.0, 400)
    styles = ["-", "--", ":"]
    for k, I in enumerate(currents):
        N = v_nullcline(model2d, grid, params={"I_ext": I})
        ax.plot(grid, N, color="C0", lw=1.8, ls=styles[k % 3], label=f"dV/dt = 0 (2D, I_ext = {I:g})")
    x_name = model2d.state_names[1]
    ax.plot(grid, model2d.gates[x_name].steady_state(grid), color="C1", lw=1.8, label=f"d{x_name}/dt = 0")
    ax.plot(V, n, color="k", lw=1.0, alpha=0.8, label=f"{label} (projected)")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("V (mV)")
    ax.set_ylabel(x_name)
    ax.legend(frameon=False, fontsize="x-small", loc="upper left")
    return ax


def _plane_model(full, reduced):
    """A 2D (V, n) conductance model for the nullcline figure, or None."""
    for model in (reduced, full):
        if getattr(model, "state_names", None) == ("V", "n") and hasattr(model, "gates"):
            return model
    if hasattr(full, "dynamic_gates") and {"m", "h", "n"} <= set(full.dynamic_gates):
        from reductions import h_plus_n

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return h_plus_n(full)
    return None


def _hopf_points(branch):
    """(I_ext, l1) of each Hopf point of an equilibrium branch in I_ext."""
    return sorted(((float(p.param), float(p.info.get("l1", math.nan))) for p in branch.special_points
                   if p.kind == "H"), key=lambda x: x[0])


def _measure(model, *, fi_currents, refractory, hopf_range, progress, label):
    """All scalar measurements of one model: dict name → value (NaN on failure) and notes."""
    values, notes, results = {}, [], {}

    def attempt(name, fn):
        if progress:
            progress(f"{label}: computing {name} ...")
        try:
            out = fn()
        except (ValueError, ArithmeticError, RuntimeError) as err:
            notes.append(f"{label}: {name} failed: {' '.join(str(err).split())}")
            return None
        if progress:
            progress(f"{label}: {name} done")
        return out

    rest = np.asarray(model.resting_state(), dtype=float)
    values["rest"] = float(rest[model.state_index("V")])
    r = attempt("rheobase", lambda: _ex.rheobase(model))
    values["rheobase"] = r.amplitude if r else math.nan
    th = attempt("1 ms threshold", lambda: _ex.threshold(model, 1.0))
    values["threshold_1ms"] = th.amplitude if th else math.nan
    results["threshold"] = th
    if refractory:
        rf = attempt("refractory periods", lambda: _ex.refractory_periods(model))
        values["absolute_refractory"] = rf.absolute_ms if rf else math.nan
        values["relative_refractory_end"] = rf.relative_end_ms if rf else math.nan
        results["refractory"] = rf
    fi = attempt("F–I onset", lambda: _ex.fi_curve(model, currents=fi_currents, sweep="up", stop_after=1))
    values["fi_onset"] = fi.onset_current if fi else math.nan
    values["fi_onset_rate"] = fi.onset_rate if fi else math.nan
    results["fi"] = fi
    ap = attempt("action potential", lambda: _ex.action_potential(
        model, amplitude=2.0 * th.amplitude if th else None))
    values["peak"] = ap.peak_mV if ap else math.nan
    values["half_width"] = ap.half_width_ms if ap else math.nan
    results["action_potential"] = ap
    hopf = None
    if hopf_range is not None:
        equilibria = attempt("equilibrium continuation", lambda: continue_equilibria(model, "I_ext", hopf_range))
        hopf = _hopf_points(equilibria) if equilibria is not None else None
        onset = attempt("onset of repetitive firing",
                        lambda: firing_onset(model, window=hopf_range, equilibria=equilibria))
        values["cycle_onset"] = onset.onset if onset else math.nan
        values["cycle_onset_rate"] = onset.rate_hz if onset else math.nan
        cls = attempt("excitability class", lambda: bifurcation_class(onset)) if onset else None
        values["excitability_class"] = float(cls) if cls else math.nan
        results["firing_onset"] = onset
    return values, notes, results, hopf


_ROWS = [
    ("rest", "resting potential", "mV"),
    ("rheobase", "rheobase (100 ms step)", "µA/cm²"),
    ("threshold_1ms", "threshold (1 ms pulse)", "µA/cm²"),
    ("absolute_refractory", "absolute refractory period", "ms"),
    ("relative_refractory_end", "relative refractory period end", "ms"),
    ("fi_onset", "F–I onset current (up sweep)", "µA/cm²"),
    ("fi_onset_rate", "F–I rate at onset", "Hz"),
    ("peak", "spike peak", "mV"),
    ("half_width", "spike half-width", "ms"),
    ("cycle_onset", "onset of stable cycles (LPC, continuation)", "µA/cm²"),
    ("cycle_onset_rate", "lowest steady rate, 1000/period at onset", "Hz"),
    ("excitability_class", "excitability class (1: SNIC/HOM onset, 2: H/LPC)", ""),
]


def compare(full, reduced, *, fi_currents=None, refractory: bool = True, hopf_range=(0.0, 200.0),
            trace_current: float = 10.0, trace_ms: float = 60.0,
            progress: Callable[[str], None] | None = None) -> Comparison:
    """Run the same excitability experiments on ``full`` and ``reduced`` and tabulate them.

    Parameters
    ----------
    full, reduced : models with a state "V" (mV) driven by I_ext (µA/cm²).
    fi_currents : increasing currents for the F–I up sweep (default 0, 0.5, …, 30 µA/cm²);
        the sweep stops at the first firing current (the onset) and reports its rate.
    refractory : include the paired-pulse refractory periods (the slowest experiment).
    hopf_range : (start, stop) of I_ext for continuation; the Hopf points of the equilibria become
        rows "Hopf k I_ext" and "Hopf k l1" (first Lyapunov coefficient), paired in order of
        increasing I_ext (a model with fewer Hopf points gets NaN in the extra rows), and the
        cycle branch from the first Hopf point gives the onset of stable cycles (the fold of
        cycles, LPC; or a SNIC/HOM end at infinite period), the lowest steady rate there and the
        row "excitability class" from that bifurcation (:func:`analysis.onset_class.bifurcation_class`:
        1 at a SNIC or saddle homoclinic onset, rate → 0; 2 at a Hopf point or LPC). None skips them.
    trace_current, trace_ms : the common stimulus of the trace figure: a step of
        ``trace_current`` µA/cm² from 5 ms to ``trace_ms`` − 5 ms, from rest.
    progress : callable receiving one line per finished experiment.

    Experiments that fail on one model (e.g. no spike) give NaN and a line in ``notes``.
    """
    for role, model in (("full", full), ("reduced", reduced)):
        if "V" not in getattr(model, "state_names", ()):
            raise ValueError(f"{role}: model {getattr(model, 'name', model)!r} has no state 'V'")
    if fi_currents is None:
        fi_currents = np.arange(0.0, 30.0 + 1e-9, 0.5)
    fi_currents = np.asarray(fi_currents, dtype=float)
    if fi_currents.ndim != 1 or fi_currents.size < 2 or np.any(np.diff(fi_currents) <= 0):
        raise ValueError("fi_currents must be at least two strictly increasing currents (start < stop)")
    if hopf_range is not None:
        lo, hi = hopf_range
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"hopf_range must be (start, stop) with start < stop, got {hopf_range!r}")
    trace_current = check_number("trace_current", trace_current)
    trace_ms = check_number("trace_ms", trace_ms, positive=True)
    if trace_ms <= 10.0:
        raise ValueError(f"trace_ms must be > 10 ms, got {trace_ms!r}")

    options = dict(fi_currents=fi_currents, refractory=refractory, hopf_range=hopf_range, progress=progress)
    vf, nf, rf, hf = _measure(full, label="full", **options)
    vr, nr, rr, hr = _measure(reduced, label="reduced", **options)
    rows = [ComparisonRow(title, unit, float(vf.get(key, math.nan)), float(vr.get(key, math.nan)))
            for key, title, unit in _ROWS if key in vf]
    notes = nf + nr
    if hopf_range is not None:
        hf, hr = hf or [], hr or []
        for k in range(max(len(hf), len(hr))):
            a = hf[k] if k < len(hf) else (math.nan, math.nan)
            b = hr[k] if k < len(hr) else (math.nan, math.nan)
            rows.append(ComparisonRow(f"Hopf {k + 1} I_ext", "µA/cm²", a[0], b[0]))
            rows.append(ComparisonRow(f"Hopf {k + 1} l1", "", a[1], b[1]))

    # common stimulus for the trace figure
    stim = Step(5.0, trace_ms - 10.0, trace_current)
    t = np.arange(0.0, trace_ms + 1e-9, 0.02)
    traces = {}
    for role, model in (("full", full), ("reduced", reduced)):
        traces[role] = simulate(model, trace_ms, stim, model.resting_state(), t_eval=t, rtol=1e-7, atol=1e-8).y
    n_full = traces["full"][full.state_index("n")] if "n" in full.state_names else None
    plane = _plane_model(full, reduced)
    base_I = float(full.params["I_ext"])
    return Comparison(
        full.name, reduced.name, tuple(rows), tuple(notes),
        f"step of {trace_current:g} µA/cm² from 5 to {trace_ms - 5:g} ms, from rest",
        t, traces["full"][full.state_index("V")], traces["reduced"][reduced.state_index("V")], n_full,
        plane, (base_I, base_I + trace_current),
        {"full": rf, "reduced": rr},
    )
