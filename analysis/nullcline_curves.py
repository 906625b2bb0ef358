"""Nullclines of a planar model, or quasi-nullclines of a projected higher-dimensional one.

For a model with states (x, y) the *x-nullcline* is the curve f_x(x, y) = 0 and the
*y-nullcline* the curve f_y(x, y) = 0; equilibria are their intersections. Curves are returned
as polylines (several branches possible), each point accurate to the solver's tolerance:

1. f_k is sampled on a ``resolution × resolution`` grid and contoured at level 0 with
   contourpy (the contouring library matplotlib uses);
2. every vertex is refined by Newton's method on the scalar equation f_k = 0, moving along the
   gradient in box-scaled coordinates (u = x/Δx, v = y/Δy):
   p ← p − f_k·S²∇f_k / (∇f_kᵀS²∇f_k), S = diag(Δx, Δy), with the model's exact Jacobian.
   Vertices that do not converge to |f_k| ≤ ``tol``·max|f_k on the grid| are dropped (the
   polyline is split there).

Where the equation allows an exact solution it is used instead: for a conductance-based model
in a (V, gate) plane, the gate's nullcline is x = x∞(V).

**Higher-dimensional models.** A plane (x, y) of a model with more states needs a choice for
the other states (argument ``others``):

* ``others="steady_state"`` — *quasi-nullclines*: every other gate is held at its steady state
  x∞(V) (conductance-based models with V on one axis). These curves are the nullclines of the
  system restricted to the surface "other gates at steady state"; the full model's equilibria
  lie on them, but its trajectories do not move in this plane, so the curves only organize the
  projected flow approximately (well when the other gates are fast, like m).
* ``others={"m": 0.05, "h": 0.6}`` — a *slice*: the other states frozen at given values.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hhdyn.results import Result, column_name, new_axes
from hhdyn.units import axis_label

from .equilibria import is_conductance_based

__all__ = ["Nullcline", "Nullclines", "nullclines", "Plane", "default_limits"]


def _check_limits(name, lim):
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {lim!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be finite, got {lim!r}")
    if not lo < hi:
        raise ValueError(f"{name} must satisfy low < high (non-empty, not reversed), got {lim!r}")
    return lo, hi


def default_limits(model, name: str):
    """A sensible axis window for state ``name``: V → (min E_rev − 15, max E_rev + 15) mV
    (−92 to 65 mV for HH), a gate → (0, 1),
    FitzHugh–Nagumo v → (−2.5, 2.5), w → (−1, 2); the model's declared ``state_ranges`` first
    (equation models, XPPAUT files); None when unknown."""
    declared = getattr(model, "state_ranges", None) or {}
    if name in declared:
        return tuple(float(v) for v in declared[name])
    if is_conductance_based(model):
        if name != "V":
            return (0.0, 1.0)
        try:
            E = [float(model.params[c.E_param]) for c in model.channels]
        except (AttributeError, KeyError):
            return (-100.0, 60.0)
        return (min(E) - 15.0, max(E) + 15.0)
    if type(model).__name__ == "FitzHughNagumo":
        return {"v": (-2.5, 2.5), "w": (-1.0, 2.0)}.get(name)
    return None


def label_of(name: str) -> str:
    """Axis label with units, e.g. 'V (mV)'; gates are dimensionless (see :mod:`hhdyn.units`)."""
    return axis_label(name)


class Plane:
    """A plane (x, y) of a model's state space and how the other states are set.

    ``embed(X, Y)`` gives full states for points of the plane, ``field(X, Y)`` the (x, y)
    components of f there, ``gradient(k, X, Y)`` the exact gradient of component k of f
    (chain rule through the embedding). Validates its arguments (ValueError naming them).
    """

    def __init__(self, model, x=None, y=None, xlim=None, ylim=None, params=None, others=None):
        self.model = model
        names = tuple(model.state_names)
        if x is None:
            x = "V" if "V" in names else names[0]
        if x not in names:
            raise ValueError(f"x: {x!r} is not a state of {model.name}; states are {', '.join(names)}")
        if y is None:
            if len(names) == 2:
                y = next(n for n in names if n != x)
            elif x == "V" and "n" in names:
                y = "n"
            if y is None:
                raise ValueError(f"y: choose the second axis among {', '.join(n for n in names if n != x)}")
        if y not in names:
            raise ValueError(f"y: {y!r} is not a state of {model.name}; states are {', '.join(names)}")
        if x == y:
            raise ValueError(f"y: must differ from x, both are {x!r}")
        self.x, self.y = x, y
        self.ix, self.iy = names.index(x), names.index(y)
        if xlim is None:
            xlim = default_limits(model, x)
            if xlim is None:
                raise ValueError(f"xlim: no default window for state {x!r} of {model.name}; pass xlim=(low, high)")
        if ylim is None:
            ylim = default_limits(model, y)
            if ylim is None:
                raise ValueError(f"ylim: no default window for state {y!r} of {model.name}; pass ylim=(low, high)")
        self.xlim = _check_limits("xlim", xlim)
        self.ylim = _check_limits("ylim", ylim)
        if params:
            # bake the overrides into a model once: rhs(y) without params is the fast path
            model = model.with_params(**dict(params))
            self.model = model
        self.params = model.params
        self.others_names = tuple(n for n in names if n not in (x, y))
        self.fixed = {}
        if not self.others_names:
            if others not in (None, "steady_state") and not (isinstance(others, Mapping) and not others):
                raise ValueError(f"others: {model.name} is planar; there are no other states to set, got {others!r}")
            self.others = None
        elif others is None:
            raise ValueError(
                f"others: {model.name} has {len(names)} states; to draw the ({x}, {y}) plane choose how "
                f"the other states {', '.join(self.others_names)} are set: others='steady_state' "
                "(quasi-nullclines) or others={name: value} (a slice)"
            )
        elif isinstance(others, str):
            if others != "steady_state":
                raise ValueError(f"others must be 'steady_state' or a mapping of values, got {others!r}")
            if not is_conductance_based(model) or "V" not in (x, y):
                raise ValueError(
                    "others='steady_state' needs a conductance-based model with V on one axis; "
                    "pass others={name: value} for a slice instead"
                )
            self.others = "steady_state"
        elif isinstance(others, Mapping):
            missing = [n for n in self.others_names if n not in others]
            unknown = [n for n in others if n not in self.others_names]
            if unknown:
                raise ValueError(f"others: {unknown[0]!r} is not one of the other states {', '.join(self.others_names)}")
            if missing:
                raise ValueError(f"others: no value for state {missing[0]!r}")
            self.fixed = {n: float(others[n]) for n in self.others_names}
            self.others = "slice"
        else:
            raise ValueError(f"others must be 'steady_state' or a mapping of values, got {others!r}")

    # ------------------------------------------------------------------ geometry
    @property
    def n_states(self) -> int:
        return self.model.n_states

    @property
    def is_projection(self) -> bool:
        return self.others is not None

    @property
    def widths(self) -> np.ndarray:
        return np.array([self.xlim[1] - self.xlim[0], self.ylim[1] - self.ylim[0]])

    def describe(self) -> str:
        """A short human description of the projection ('' for planar models)."""
        if self.others == "steady_state":
            return f"projection of the {self.n_states}D model; {', '.join(self.others_names)} at steady state"
        if self.others == "slice":
            vals = ", ".join(f"{k} = {v:g}" for k, v in self.fixed.items())
            return f"slice of the {self.n_states}D model at {vals}"
        return ""

    def embed(self, X, Y) -> np.ndarray:
        """Full states (n, ...) for plane points (X, Y)."""
        X, Y = np.broadcast_arrays(np.asarray(X, dtype=float), np.asarray(Y, dtype=float))
        out = np.empty((self.n_states,) + X.shape)
        out[self.ix], out[self.iy] = X, Y
        if self.others == "steady_state":
            V = X if self.x == "V" else Y
            for name in self.others_names:
                out[self.model.state_names.index(name)] = self.model.gates[name].steady_state(V)
        elif self.others == "slice":
            for name, value in self.fixed.items():
                out[self.model.state_names.index(name)] = value
        return out

    def embed_deriv(self, X, Y) -> np.ndarray:
        """∂(full state)/∂(x, y), shape (n, 2) + shape(X)."""
        X, Y = np.broadcast_arrays(np.asarray(X, dtype=float), np.asarray(Y, dtype=float))
        E = np.zeros((self.n_states, 2) + X.shape)
        E[self.ix, 0] = 1.0
        E[self.iy, 1] = 1.0
        if self.others == "steady_state":
            col = 0 if self.x == "V" else 1
            V = X if col == 0 else Y
            for name in self.others_names:
                E[self.model.state_names.index(name), col] = self.model.gates[name].steady_state_deriv(V)
        return E

    def rhs(self, X, Y) -> np.ndarray:
        """Full f at the embedded states, shape (n,) + shape(X)."""
        states = self.embed(X, Y)
        flat = states.reshape(self.n_states, -1)
        with np.errstate(all="ignore"):
            f = np.asarray(self.model.rhs(flat), dtype=float)
        return f.reshape(states.shape)

    def field(self, X, Y):
        """(f_x, f_y) at the embedded states."""
        f = self.rhs(X, Y)
        return f[self.ix], f[self.iy]

    def gradient(self, k: int, X, Y) -> np.ndarray:
        """Exact ∇_(x,y) of f_k(embed(x, y)), shape (2,) + shape(X)."""
        states = self.embed(X, Y)
        shape = states.shape[1:]
        flat = states.reshape(self.n_states, -1)
        with np.errstate(all="ignore"):
            J = np.asarray(self.model.jacobian(flat), dtype=float)  # (n, n, N)
        E = self.embed_deriv(X, Y).reshape(self.n_states, 2, -1)
        g = np.einsum("jN,jcN->cN", J[k], E)
        return g.reshape((2,) + shape)


@dataclass(frozen=True, eq=False)
class Nullcline(Result):
    """The curve f_variable = 0 in the (x, y) plane as polylines ``segments`` (arrays (k, 2)).

    ``quasi`` is True for a projection of a higher-dimensional model (see module docstring);
    ``exact`` is True when the curve is a closed-form solution (x = x∞(V)). Table
    (:meth:`columns`): ``branch`` (segment number) and the x and y coordinates, one row per vertex.
    """

    variable: str
    x: str
    y: str
    segments: tuple
    quasi: bool = False
    exact: bool = False

    @property
    def points(self) -> np.ndarray:
        """All vertices of all branches, shape (k, 2)."""
        return np.vstack(self.segments) if self.segments else np.empty((0, 2))

    @property
    def label(self) -> str:
        base = f"d{self.variable}/dt = 0"
        return base + " (quasi)" if self.quasi else base

    def columns(self) -> dict:
        """``branch``, then the x and y coordinates named with their units (``V_mV``, ``n``)."""
        branch = np.concatenate([np.full(len(seg), b, dtype=np.int64) for b, seg in enumerate(self.segments)]
                                ) if self.segments else np.empty(0, dtype=np.int64)
        pts = self.points
        return {"branch": branch, column_name(self.x): pts[:, 0], column_name(self.y): pts[:, 1]}

    def plot(self, ax=None, **kwargs):
        """Draw every branch of the curve in one colour; returns the Axes."""
        ax = new_axes(ax)
        kwargs.setdefault("lw", 1.8)
        label = kwargs.pop("label", self.label)
        for i, seg in enumerate(self.segments):
            (line,) = ax.plot(seg[:, 0], seg[:, 1], label=label if i == 0 else None, **kwargs)
            kwargs.setdefault("color", line.get_color())
        return ax


@dataclass(frozen=True, eq=False)
class Nullclines(Result, Sequence):
    """The x- and y-nullclines of a plane (a sequence of two :class:`Nullcline`).

    Table (:meth:`columns`): ``nullcline_of`` (the variable), ``branch``, x, y — one row per vertex.
    """

    curves: tuple
    xlim: tuple
    ylim: tuple
    projection: str = ""

    def __getitem__(self, key):
        if isinstance(key, str):
            for c in self.curves:
                if c.variable == key:
                    return c
            raise KeyError(f"no nullcline of {key!r}; have {', '.join(c.variable for c in self.curves)}")
        return self.curves[key]

    def __len__(self):
        return len(self.curves)

    def plot(self, ax=None, colors=("tab:blue", "tab:orange"), **kwargs):
        """Both curves in the plane's window; returns the Axes."""
        ax = new_axes(ax)
        for curve, color in zip(self.curves, colors):
            curve.plot(ax, color=color, **kwargs)
        ax.set_xlim(*self.xlim)
        ax.set_ylim(*self.ylim)
        return ax

    def columns(self) -> dict:
        """``nullcline_of``, ``branch``, then x and y named with their units."""
        parts = [c.columns() for c in self.curves]
        cols = {"nullcline_of": np.concatenate([np.full(len(p["branch"]), c.variable, dtype=object)
                                                for c, p in zip(self.curves, parts)])}
        for name in parts[0]:
            cols[name] = np.concatenate([p[name] for p in parts])
        return cols


def nullclines(model, x=None, y=None, *, xlim=None, ylim=None, params=None, others=None,
               resolution: int = 201, tol: float = 1e-12, exact: bool = True) -> Nullclines:
    """The x- and y-nullclines of ``model`` in the (x, y) plane.

    Parameters
    ----------
    model : model of the protocol
    x, y : str
        State names of the axes (default x = "V" if it is a state, else the first state; y the
        other state of a planar model, or "n" next to V).
    xlim, ylim : (float, float)
        The window (defaults: V → reversal potentials ± 15 mV, gates → (0, 1)).
    params : mapping, optional
        Parameter overrides, e.g. ``{"I_ext": 8.0}``.
    others : 'steady_state' or mapping, required for models with more than two states
        How the remaining states are set (quasi-nullclines or a slice; see module docstring).
    resolution : int
        Grid points per axis for the contouring (≥ 10).
    tol : float
        Newton refinement target for |f_k| relative to max |f_k| on the grid.
    exact : bool
        Use x = x∞(V) for a gate's nullcline of a conductance-based model.

    Returns
    -------
    Nullclines
        ``result[x]`` and ``result[y]`` are :class:`Nullcline` objects with polyline segments.
    """
    plane = Plane(model, x, y, xlim, ylim, params, others)
    resolution = int(resolution)
    if resolution < 10:
        raise ValueError(f"resolution must be >= 10, got {resolution!r}")
    curves = []
    for k, var in ((plane.ix, plane.x), (plane.iy, plane.y)):
        if exact and _is_gate_nullcline(plane, var):
            segments = _exact_gate_nullcline(plane, var, 8 * resolution)
            curves.append(Nullcline(var, plane.x, plane.y, tuple(segments), plane.is_projection, True))
        else:
            segments = _contour_nullcline(plane, k, resolution, tol)
            curves.append(Nullcline(var, plane.x, plane.y, tuple(segments), plane.is_projection, False))
    return Nullclines(tuple(curves), plane.xlim, plane.ylim, plane.describe())


def _is_gate_nullcline(plane, var) -> bool:
    model = plane.model
    return (is_conductance_based(model) and var != "V" and "V" in (plane.x, plane.y)
            and var in getattr(model, "dynamic_gates", ()))


def _exact_gate_nullcline(plane, var, n):
    """x = x∞(V) on the V axis window, split where it leaves the other axis window."""
    gate = plane.model.gates[var]
    if plane.x == "V":
        V = np.linspace(*plane.xlim, n)
        pts = np.column_stack([V, gate.steady_state(V)])
        lo, hi = plane.ylim
        inside = (pts[:, 1] >= lo) & (pts[:, 1] <= hi)
    else:
        V = np.linspace(*plane.ylim, n)
        pts = np.column_stack([gate.steady_state(V), V])
        lo, hi = plane.xlim
        inside = (pts[:, 0] >= lo) & (pts[:, 0] <= hi)
    return _runs(pts, inside)


def _runs(pts, mask):
    segments = []
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return segments
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for run in np.split(idx, breaks + 1):
        if run.size >= 2:
            segments.append(pts[run])
    return segments


def _contour_nullcline(plane, k, resolution, tol):
    import contourpy

    xs = np.linspace(*plane.xlim, resolution)
    ys = np.linspace(*plane.ylim, resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = plane.rhs(X, Y)[k]
    finite = np.isfinite(Z)
    if not finite.any():
        return []
    scale = float(np.max(np.abs(Z[finite])))
    if scale == 0.0:
        return []
    Zm = np.ma.masked_invalid(Z)
    lines = contourpy.contour_generator(xs, ys, Zm, line_type="Separate").lines(0.0)
    widths = plane.widths
    segments = []
    for line in lines:
        line = np.asarray(line, dtype=float)
        if len(line) < 2:
            continue
        refined, ok = _refine(plane, k, line, widths, tol * scale)
        # keep points inside the window (tiny overshoot allowed), drop consecutive duplicates
        inside = ok & (refined[:, 0] >= plane.xlim[0] - 1e-9 * widths[0]) & (refined[:, 0] <= plane.xlim[1] + 1e-9 * widths[0])
        inside &= (refined[:, 1] >= plane.ylim[0] - 1e-9 * widths[1]) & (refined[:, 1] <= plane.ylim[1] + 1e-9 * widths[1])
        for seg in _runs(refined, inside):
            step = np.abs(np.diff(seg, axis=0)) / widths
            keep = np.concatenate([[True], np.max(step, axis=1) > 1e-12])
            seg = seg[keep]
            if len(seg) >= 2:
                segments.append(seg)
    return segments


def _refine(plane, k, pts, widths, ftol, max_iter=20):
    """Newton projection of each vertex onto f_k = 0 along the box-scaled gradient."""
    p = pts.copy()
    S2 = widths**2
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            f = plane.rhs(p[:, 0], p[:, 1])[k]
            if np.all(np.abs(f) <= ftol):
                break
            g = plane.gradient(k, p[:, 0], p[:, 1])  # (2, N)
            denom = S2[0] * g[0] ** 2 + S2[1] * g[1] ** 2
            step = np.where(denom > 0, f / np.where(denom > 0, denom, 1.0), 0.0)
            dp = np.column_stack([S2[0] * g[0] * step, S2[1] * g[1] * step])
            # never move a vertex by more than 5 % of the window per step
            factor = np.maximum(1.0, np.max(np.abs(dp) / (0.05 * widths), axis=1))
            p = p - dp / factor[:, None]
        f = plane.rhs(p[:, 0], p[:, 1])[k]
        moved = np.max(np.abs(p - pts) / widths, axis=1)
    ok = np.isfinite(f) & (np.abs(f) <= ftol) & (moved < 0.05)
    return p, ok
