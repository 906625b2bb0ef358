"""Equilibria of a model, their linear stability and their classification.

An equilibrium y* solves f(y*) = 0. Its stability follows from the eigenvalues λ of the
Jacobian J = ∂f/∂y at y* (units 1/ms for the conductance-based models):

* all Re λ < 0 → *stable* (a *focus* if some λ are complex, else a *node*);
* some Re λ > 0 → *unstable*: a *saddle* when the unstable eigenvalues are real and some
  others are stable (``n_unstable`` is its unstable dimension), an *unstable focus* when an
  unstable complex pair exists, an *unstable node* when every eigenvalue is real and positive;
* some |Re λ| within a tolerance of zero → *non-hyperbolic* (a fold or Hopf point is near).

Two ways of finding every equilibrium in a window:

* **Conductance-based models** (anything with ``steady_state_current``/``steady_state_curve``):
  at an equilibrium every dynamic gate sits at x∞(V), so equilibria are exactly the roots of
  the 1-D steady-state current equation I_ss(V) = I_ext. The residual r(V) = I_ss(V) − I_ext is
  bracketed on a fine V grid; the local extrema of r (zeros of dI_ss/dV, refined by Brent's
  method) are added as extra break points, so two roots close to a fold still land in
  different brackets; every bracket is refined with Brent's method to ~1e-13 mV. An extremum
  whose residual is within ``fold_tol`` of zero is a *tangency*: I_ext lies within ``fold_tol``
  of a saddle-node (fold, "LP") of equilibria; it is reported in :attr:`FixedPoints.folds`, and
  when its residual is below the round-off level ``root_tol`` it is itself a double root.
* **Other models** (FitzHugh–Nagumo, user models): damped Newton iterations from a quasi-random
  (Halton) set of starting points filling a box, converged points de-duplicated.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from hhdyn.newton import batch_jacobian, solve_equilibria
from hhdyn.results import Record, Result, column_name, jsonable, new_axes

__all__ = ["FixedPoint", "FixedPoints", "Fold", "fixed_points", "classify", "is_conductance_based"]

_FILLED = {"stable": "full", "unstable": "none", "saddle": "left", "non-hyperbolic": "bottom"}


def is_conductance_based(model) -> bool:
    """True when the model offers the steady-state current machinery of ConductanceModel."""
    return all(hasattr(model, a) for a in ("steady_state_current", "steady_state_current_deriv",
                                          "steady_state_curve"))


def _jacobian(model, y, p):
    if hasattr(model, "jacobian"):
        return np.asarray(model.jacobian(y, p), dtype=float)
    from hhdyn.protocol import finite_difference_jacobian

    return finite_difference_jacobian(model, y, p)


def classify(eigenvalues, tol: float = 1e-8) -> tuple[str, int]:
    """Name the equilibrium with these eigenvalues; returns ``(kind, n_unstable)``.

    ``tol`` is relative: |Re λ| ≤ tol·max(1, max|λ|) counts as zero (non-hyperbolic).
    """
    lam = np.asarray(eigenvalues, dtype=complex)
    scale = max(1.0, float(np.max(np.abs(lam)))) if lam.size else 1.0
    zero = tol * scale
    re, im = lam.real, lam.imag
    n_unstable = int(np.sum(re > zero))
    if np.any(np.abs(re) <= zero):
        return "non-hyperbolic", n_unstable
    complex_ = np.abs(im) > zero
    if n_unstable == 0:
        return ("stable focus" if np.any(complex_) else "stable node"), 0
    if np.any(complex_ & (re > zero)):
        return "unstable focus", n_unstable
    if n_unstable == lam.size:
        return "unstable node", n_unstable
    return "saddle", n_unstable


@dataclass(frozen=True, eq=False)
class FixedPoint(Result):
    """One equilibrium (its table, :meth:`columns`, is one row like those of :class:`FixedPoints`).

    Attributes
    ----------
    state : ndarray, shape (n,)
        The equilibrium state (V in mV, gates dimensionless for conductance-based models).
    state_names : tuple of str
    jacobian : ndarray (n, n)
        ∂f/∂y at the state (1/ms for conductance-based models).
    eigenvalues : ndarray (n,) complex
        Sorted by decreasing real part.
    eigenvectors : ndarray (n, n) complex
        Column k belongs to ``eigenvalues[k]`` (unit length).
    kind : str
        'stable node', 'stable focus', 'unstable node', 'unstable focus', 'saddle' or
        'non-hyperbolic' (see the module docstring).
    n_unstable : int
        Number of eigenvalues with positive real part (the unstable dimension).
    residual : float
        max |f(state)| (for conductance models the 1-D residual |I_ss(V) − I_ext|, µA/cm²).
    near_fold : bool
        The equilibrium is one of the two (or the double root) at a reported tangency.
    """

    state: np.ndarray
    state_names: tuple
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str
    n_unstable: int
    residual: float = 0.0
    near_fold: bool = False

    _exported_properties = ("stability",)

    @classmethod
    def at(cls, model, state, params=None, *, tol: float = 1e-8, residual=None, near_fold=False):
        """Linearize ``model`` at ``state`` and classify it."""
        p = model._resolve(params) if hasattr(model, "_resolve") else params
        state = np.asarray(state, dtype=float)
        J = _jacobian(model, state, p)
        lam, vec = np.linalg.eig(J)
        order = np.lexsort((-lam.imag, -lam.real))
        lam, vec = lam[order], vec[:, order]
        kind, n_unstable = classify(lam, tol)
        if residual is None:
            residual = float(np.max(np.abs(model.rhs(state, p))))
        return cls(state, tuple(model.state_names), J, lam, vec, kind, n_unstable, float(residual), near_fold)

    @property
    def stability(self) -> str:
        """'stable', 'unstable', 'saddle' or 'non-hyperbolic' (the marker style of plots)."""
        if self.kind == "non-hyperbolic":
            return "non-hyperbolic"
        if self.kind == "saddle":
            return "saddle"
        return "stable" if self.n_unstable == 0 else "unstable"

    @property
    def is_stable(self) -> bool:
        return self.n_unstable == 0 and self.kind != "non-hyperbolic"

    def __getitem__(self, name: str) -> float:
        try:
            return float(self.state[self.state_names.index(name)])
        except ValueError:
            raise KeyError(f"{name!r} is not a state; states are {', '.join(self.state_names)}") from None

    def manifold_directions(self):
        """Real unit eigenvectors of the real unstable and stable eigenvalues: ``(unstable, stable)``
        lists of ``(eigenvalue, vector)``; used to start separatrices of saddles."""
        unstable, stable = [], []
        for lam, vec in zip(self.eigenvalues, self.eigenvectors.T):
            if abs(lam.imag) > 1e-12 * max(1.0, abs(lam)):
                continue
            v = np.real(vec)
            v = v / np.linalg.norm(v)
            (unstable if lam.real > 0 else stable).append((float(lam.real), v))
        return unstable, stable

    def to_dict(self) -> dict:
        """The fields (see :class:`hhdyn.results.Record`) plus each state by name, e.g. ``d["V"]``."""
        return {**{n: float(v) for n, v in zip(self.state_names, self.state)}, **super().to_dict()}

    def columns(self) -> dict:
        """One row: each state (``V_mV``, gates bare), ``kind``, ``stability``, ``n_unstable``,
        ``residual``, ``near_fold`` and every eigenvalue as ``eig<k>_re``/``eig<k>_im`` (1/ms)."""
        cols = {column_name(n): np.array([float(v)]) for n, v in zip(self.state_names, self.state)}
        cols.update(kind=np.array([self.kind]), stability=np.array([self.stability]),
                    n_unstable=np.array([int(self.n_unstable)]), residual=np.array([float(self.residual)]),
                    near_fold=np.array([bool(self.near_fold)]))
        for k, lam in enumerate(np.asarray(self.eigenvalues, dtype=complex)):
            cols[f"eig{k}_re"] = np.array([lam.real])
            cols[f"eig{k}_im"] = np.array([lam.imag])
        return cols

    def marker_style(self) -> dict:
        """Matplotlib marker keywords: filled stable, open unstable, half-filled saddle."""
        return {"marker": "o", "markersize": 8, "fillstyle": _FILLED[self.stability],
                "markeredgecolor": "k", "markerfacecolor": "k", "markerfacecoloralt": "white",
                "linestyle": "none", "zorder": 5}

    def plot(self, ax=None, x: str | None = None, y: str | None = None, label: bool = False):
        """Mark the point on ``ax`` in the (x, y) plane by its stability; returns the Axes."""
        ax = new_axes(ax)
        x = x or self.state_names[0]
        y = y or self.state_names[1 % len(self.state_names)]
        ax.plot([self[x]], [self[y]], **self.marker_style(), label=self.kind if label else None)
        return ax


@dataclass(frozen=True)
class Fold(Record):
    """A saddle-node of equilibria (tangency of I_ss(V) with I_ext), AUTO/MatCont name 'LP'.

    ``V`` (mV) is where dI_ss/dV = 0, ``I_fold`` = I_ss(V) (µA/cm²) the applied current at which
    two equilibria meet, ``offset`` = I_fold − I_ext the distance from the requested current.
    """

    V: float
    I_fold: float
    offset: float
    label: str = "LP"


@dataclass(frozen=True, eq=False)
class FixedPoints(Result, Sequence):
    """All equilibria found in a window (a sequence of :class:`FixedPoint`, sorted by the first
    state), with the tangencies (folds) close to the requested I_ext and the method used.

    Table (:meth:`columns`): one row per equilibrium (see :meth:`FixedPoint.columns`);
    ``to_dict`` lists them under ``"fixed_points"`` and the folds under ``"folds"``.
    """

    points: tuple
    folds: tuple = ()
    method: str = ""
    params: Mapping = field(default_factory=dict)
    model_name: str = ""

    def __getitem__(self, i):
        return self.points[i]

    def __len__(self):
        return len(self.points)

    @property
    def states(self) -> np.ndarray:
        """All equilibrium states, shape (k, n)."""
        if not self.points:
            return np.empty((0, 0))
        return np.array([fp.state for fp in self.points])

    def by_kind(self, kind: str) -> list:
        return [fp for fp in self.points if fp.kind == kind or fp.stability == kind]

    def to_dict(self) -> dict:
        return jsonable({"model_name": self.model_name, "method": self.method, "params": dict(self.params),
                         "fixed_points": self.points, "folds": self.folds})

    def columns(self) -> dict:
        """One row per equilibrium: the columns of :meth:`FixedPoint.columns`."""
        if not self.points:
            return {}
        rows = [fp.columns() for fp in self.points]
        return {name: np.concatenate([r[name] for r in rows]) for name in rows[0]}

    def plot(self, ax=None, x: str | None = None, y: str | None = None):
        """Mark every point in the (x, y) plane (filled stable, open unstable, half saddle)."""
        ax = new_axes(ax)
        for fp in self.points:
            fp.plot(ax, x, y)
        return ax

    def __repr__(self):
        inner = ", ".join(f"{fp.kind} at {fp.state_names[0]}={fp.state[0]:.6g}" for fp in self.points)
        folds = f"; folds at I_ext={', '.join(f'{f.I_fold:.6g}' for f in self.folds)}" if self.folds else ""
        return f"FixedPoints({inner}{folds})"


# ---------------------------------------------------------------------------------------- API
def fixed_points(
    model,
    params=None,
    *,
    V_range=(-150.0, 100.0),
    n_grid: int = 5001,
    box=None,
    n_starts: int = 256,
    method: str = "auto",
    fold_tol: float = 1e-5,
    root_tol: float | None = None,
    tol: float = 1e-8,
    seed: int = 0,
) -> FixedPoints:
    """All equilibria of ``model`` in a window, linearized and classified.

    Parameters
    ----------
    model : model of the :mod:`hhdyn.protocol`
    params : mapping, optional
        Parameter overrides (e.g. ``{"I_ext": 10.0}``).
    V_range : (float, float)
        Voltage window in mV for conductance-based models (``method="steady_state"``).
    n_grid : int
        Grid points bracketing I_ss(V) = I_ext (default 5001: 0.05 mV spacing on the default window).
    box : mapping name → (lo, hi) or sequence of (lo, hi), optional
        Search box for multi-start Newton (default: the model's ``state_ranges`` where it
        declares them, (−10, 10) for the other states).
    n_starts : int
        Number of Newton starting points (Halton sequence in the box, plus its centre).
    method : 'auto', 'steady_state' or 'newton'
        'auto' uses the exact steady-state-curve method when the model is conductance-based.
    fold_tol : float
        A local extremum of I_ss within ``fold_tol`` µA/cm² of I_ext is reported as a fold (LP).
    root_tol : float, optional
        Below this residual (µA/cm²) an extremum is a double root itself (default: the
        round-off level 100·eps·(|I_ext| + Σ|I_channel|) at the extremum, ~1e-11 for HH).
    tol : float
        Relative tolerance on Re λ for non-hyperbolic classification.
    seed : int
        Seed of the scrambled Halton sequence (results are reproducible).
    """
    p = model._resolve(params) if hasattr(model, "_resolve") else params
    if method not in ("auto", "steady_state", "newton"):
        raise ValueError(f"method must be 'auto', 'steady_state' or 'newton', got {method!r}")
    if method == "auto":
        method = "steady_state" if is_conductance_based(model) else "newton"
    if method == "steady_state":
        if not is_conductance_based(model):
            raise ValueError(f"method='steady_state' needs a conductance-based model, not {model.name!r}")
        lo, hi = _limits("V_range", V_range)
        if int(n_grid) < 3:
            raise ValueError(f"n_grid must be >= 3, got {n_grid!r}")
        roots, folds = _steady_state_roots(model, p, lo, hi, int(n_grid), fold_tol, root_tol)
        points = []
        for V, res, near in roots:
            state = np.asarray(model.steady_state_curve(V), dtype=float)
            points.append(FixedPoint.at(model, state, p, tol=tol, residual=res, near_fold=near))
        how = "steady-state curve: brackets of I_ss(V) - I_ext refined by Brent's method"
    else:
        bounds = _box(model, box)
        states = _newton_multistart(model, p, bounds, int(n_starts), seed)
        points = [FixedPoint.at(model, s, p, tol=tol) for s in states]
        folds = ()
        how = f"multi-start Newton ({n_starts} starts) in box {bounds.tolist()}"
    points.sort(key=lambda fp: tuple(fp.state))
    return FixedPoints(tuple(points), tuple(folds), how, dict(p) if p is not None else {}, model.name)


def _limits(name, lim):
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {lim!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise ValueError(f"{name} must be a finite interval with low < high, got {lim!r}")
    return lo, hi


def _box(model, box) -> np.ndarray:
    names = tuple(model.state_names)
    if box is None:  # the model's declared state ranges where it has them, else (-10, 10)
        declared = getattr(model, "state_ranges", None) or {}
        return np.array([_limits(f"state range of {n!r}", declared[n]) if n in declared else (-10.0, 10.0)
                         for n in names])
    if isinstance(box, Mapping):
        unknown = [k for k in box if k not in names]
        if unknown:
            raise ValueError(f"box: {unknown[0]!r} is not a state; states are {', '.join(names)}")
        missing = [n for n in names if n not in box]
        if missing:
            raise ValueError(f"box: no limits for state {missing[0]!r}")
        rows = [box[n] for n in names]
    else:
        rows = list(box)
        if len(rows) != len(names):
            raise ValueError(f"box must give (lo, hi) for each of {len(names)} states, got {box!r}")
    return np.array([_limits(f"box[{n!r}]", r) for n, r in zip(names, rows)])


def _steady_state_roots(model, p, lo, hi, n_grid, fold_tol, root_tol):
    I = float(p["I_ext"])

    def noise(v):
        """Round-off level of r(v): 100·eps·(|I_ext| + Σ_c |I_c|)."""
        if root_tol is not None:
            return root_tol
        currents = model.channel_currents(model.steady_state_curve(v), p) if hasattr(model, "channel_currents") else {}
        total = abs(I) + sum(abs(float(c)) for c in currents.values())
        return 100.0 * np.finfo(float).eps * max(1.0, total)

    def r(v):
        return float(model.steady_state_current(v, p)) - I

    def d(v):
        return float(model.steady_state_current_deriv(v, p))

    grid = np.linspace(lo, hi, n_grid)
    with np.errstate(all="ignore"):
        res = np.asarray(model.steady_state_current(grid, p), dtype=float) - I
        der = np.asarray(model.steady_state_current_deriv(grid, p), dtype=float)
    extrema = []
    sd = np.sign(der)
    for i in np.flatnonzero(sd[:-1] * sd[1:] < 0):
        extrema.append(brentq(d, grid[i], grid[i + 1], xtol=1e-13, rtol=4 * np.finfo(float).eps))
    extrema += [grid[i] for i in np.flatnonzero(der == 0.0) if 0 < i < n_grid - 1]

    folds, double_roots, fold_V = [], [], []
    pts = dict(zip(grid.tolist(), res.tolist()))
    for V in extrema:
        rv = r(V)
        if abs(rv) <= fold_tol:
            folds.append(Fold(float(V), float(rv + I), float(rv)))
            fold_V.append(V)
        if abs(rv) <= noise(V):
            rv = 0.0
            double_roots.append(V)
        pts[float(V)] = rv
    V_all = np.array(sorted(pts))
    r_all = np.array([pts[v] for v in V_all])
    spacing = (hi - lo) / (n_grid - 1)

    def near(v):
        return any(abs(v - f) <= 1.5 * spacing for f in fold_V)

    roots = [(float(v), 0.0, near(v)) for v in V_all[r_all == 0.0]]
    s = np.sign(r_all)
    for i in np.flatnonzero(s[:-1] * s[1:] < 0):
        v = brentq(r, V_all[i], V_all[i + 1], xtol=1e-13, rtol=4 * np.finfo(float).eps)
        roots.append((float(v), abs(r(v)), near(v)))
    roots.sort()
    return roots, sorted(folds, key=lambda f: f.V)


def _newton_multistart(model, p, bounds, n_starts, seed, max_iter=60):
    """Equilibria in the box ``bounds`` by :func:`hhdyn.newton.solve_equilibria` from the box
    centre and ``n_starts`` scrambled-Halton points; each Newton step is capped at a quarter of
    the box in every coordinate, converged on the step size, then checked on the residual."""
    n = bounds.shape[0]
    lo, width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
    if n_starts < 1:
        raise ValueError(f"n_starts must be >= 1, got {n_starts!r}")
    from scipy.stats import qmc

    unit = qmc.Halton(d=n, scramble=True, seed=seed).random(n_starts)
    unit = np.vstack([np.full(n, 0.5), unit])
    y0 = (lo + unit * width).T.copy()  # (n, N)
    res = solve_equilibria(model, y0, p, tol=0.0, step_tol=1e-13, max_iter=max_iter, max_step=0.25 * width,
                           line_search=False)
    y = res.y
    with np.errstate(all="ignore"):
        F = np.asarray(model.rhs(y, p), dtype=float)
    Fscale = np.abs(F)
    good = res.converged & np.all(np.isfinite(y), axis=0)
    good &= np.all((y >= (lo - 1e-9 * width)[:, None]) & (y <= (lo + width + 1e-9 * width)[:, None]), axis=0)
    # reject points where Newton stalled on a non-root (singular Jacobian)
    J = batch_jacobian(model, y[:, good], p) if good.any() else np.empty((0, n, n))
    scale = 1.0 + np.abs(J).sum(axis=2).T * (width[:, None] + np.abs(y[:, good])) if good.any() else 1.0
    keep = np.flatnonzero(good)
    if keep.size:
        keep = keep[np.all(Fscale[:, keep] <= 1e-9 * scale, axis=0)]
    found = []
    for k in keep:
        s = y[:, k]
        if all(np.max(np.abs(s - t) / width) > 1e-6 for t in found):
            found.append(s.copy())
    return found
