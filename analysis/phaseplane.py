"""Phase planes: direction field, nullclines, fixed points, trajectories, separatrices, cycles.

:class:`PhasePlane` gathers everything about one plane (x, y) of a model at one parameter set
and draws it with :meth:`PhasePlane.plot`. Each ingredient is also a method returning numbers:

* :meth:`~PhasePlane.direction_field` — f projected on the plane on a grid;
* :meth:`~PhasePlane.nullclines` — :func:`analysis.nullclines`;
* :meth:`~PhasePlane.fixed_points` — :func:`analysis.fixed_points` (those inside the window);
* :meth:`~PhasePlane.trajectory` — an orbit from an initial state (forward or backward in time);
* :meth:`~PhasePlane.separatrices` — the one-dimensional stable and unstable manifolds of the
  saddles, integrated from y* ± ε·v along the eigenvectors v (stable ones backward in time);
* :meth:`~PhasePlane.limit_cycles` — periodic orbits found by integrating until successive
  crossings of a Poincaré section agree: forward in time (stable cycles) from near unstable
  equilibria, backward in time (unstable cycles) from near stable foci of planar models.

For models with more than two states the plane is a *projection*: ``others="steady_state"``
puts the remaining gates at x∞(V) for the initial states, direction field and quasi-nullclines
(see :mod:`analysis.nullcline_curves`); trajectories are integrated in the full state space and
drawn projected, and the plot says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hhdyn.simulation import SimulationError, simulate
from hhdyn.results import Result, column_name, new_axes
from hhdyn.systems import Reversed, Stacked

from .equilibria import FixedPoint, fixed_points
from .nullcline_curves import Plane, label_of, nullclines

__all__ = ["PhasePlane", "Orbit", "Manifold", "LimitCycle"]


def _state_columns(t, y, state_names) -> dict:
    names = state_names if len(state_names) == len(y) else tuple(f"y{k}" for k in range(len(y)))
    return {"t_ms": np.asarray(t, dtype=float), **{column_name(n): np.asarray(row, dtype=float)
                                                   for n, row in zip(names, y)}}


@dataclass(frozen=True, eq=False)
class Orbit(Result):
    """A trajectory: times ``t`` (ms for conductance models; negative when integrated backward)
    and full states ``y`` (n, T); ``xy`` is its projection on the plane, shape (T, 2).

    ``status`` 1 (``left_window``) when the integration stopped because the orbit left the
    window (or blew up), else 0. Table (:meth:`columns`): ``t_ms`` and every state (named by
    ``state_names`` when given, else ``y0``, ``y1``, …).
    """

    t: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    xy: np.ndarray = field(repr=False)
    left_window: bool = False
    state_names: tuple = ()

    @property
    def status(self) -> int:
        return 1 if self.left_window else 0

    @property
    def message(self) -> str:
        end = f"t = {float(self.t[-1]):.6g}" if self.t.size else "the start"
        return (f"the orbit left the window at {end}; integration stopped there" if self.left_window
                else f"integrated to {end}")

    def columns(self) -> dict:
        return _state_columns(self.t, self.y, self.state_names)

    def plot(self, ax=None, arrows: int = 2, **kwargs):
        """The projected orbit with ``arrows`` arrowheads along the direction of time; returns the Axes."""
        ax = new_axes(ax)
        (line,) = ax.plot(self.xy[:, 0], self.xy[:, 1], **kwargs)
        _arrows(ax, self.xy, arrows, line.get_color(), reverse=bool(self.t.size > 1 and self.t[-1] < self.t[0]))
        return ax


@dataclass(frozen=True, eq=False)
class Manifold(Result):
    """One branch of a saddle's stable or unstable manifold (``kind``), as an :class:`Orbit`
    started at ``saddle.state ± ε·vector``; its table, plot and status are the orbit's."""

    kind: str
    saddle: FixedPoint
    orbit: Orbit

    @property
    def xy(self) -> np.ndarray:
        return self.orbit.xy

    @property
    def status(self) -> int:
        return self.orbit.status

    @property
    def message(self) -> str:
        return f"{self.kind} manifold: {self.orbit.message}"

    def columns(self) -> dict:
        return _state_columns(self.orbit.t, self.orbit.y, self.orbit.state_names or self.saddle.state_names)

    def plot(self, ax=None, arrows: int = 1, **kwargs):
        """The projected manifold branch (stable dashed by default); returns the Axes."""
        kwargs.setdefault("ls", "--" if self.kind == "stable" else "-")
        return self.orbit.plot(ax, arrows=arrows, **kwargs)


@dataclass(frozen=True, eq=False)
class LimitCycle(Result):
    """A periodic orbit: one period of states ``y`` (n, T) at times ``t``, its ``period``
    (ms for conductance models) and ``stable`` (found forward) or not (found backward).
    Table (:meth:`columns`): ``t_ms`` and every state, as for :class:`Orbit`."""

    t: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    xy: np.ndarray = field(repr=False)
    period: float
    stable: bool
    state_names: tuple = ()

    def columns(self) -> dict:
        return _state_columns(self.t, self.y, self.state_names)

    def plot(self, ax=None, **kwargs):
        """The projected cycle (stable solid, unstable dashed); returns the Axes."""
        ax = new_axes(ax)
        kwargs.setdefault("color", "k")
        kwargs.setdefault("lw", 2.2)
        kwargs.setdefault("ls", "-" if self.stable else "--")
        ax.plot(self.xy[:, 0], self.xy[:, 1], **kwargs)
        return ax


def _arrows(ax, xy, count, color, reverse=False):
    """Arrowheads along a polyline at equal arc-length fractions (in axes-scaled units)."""
    if count <= 0 or len(xy) < 3:
        return
    span = np.array([np.ptp(ax.get_xlim()) or 1.0, np.ptp(ax.get_ylim()) or 1.0])
    seg = np.linalg.norm(np.diff(xy, axis=0) / span, axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return
    for frac in (np.arange(count) + 0.5) / count * (0.6 if count == 1 else 1.0):
        k = int(np.searchsorted(s, frac * s[-1]))
        k = min(max(k, 1), len(xy) - 1)
        a, b = (xy[k], xy[k - 1]) if reverse else (xy[k - 1], xy[k])
        if np.allclose(a, b):
            continue
        ax.annotate("", xy=b, xytext=a, arrowprops=dict(arrowstyle="-|>", color=color, lw=1.2,
                                                          shrinkA=0, shrinkB=0, mutation_scale=12))


class PhasePlane:
    """The (x, y) phase plane of ``model`` in the window ``xlim`` × ``ylim``.

    Parameters
    ----------
    model : model of the protocol
    x, y : str
        State names of the axes (default V and the other state / n).
    xlim, ylim : (float, float)
        Window (defaults: V → reversal potentials ± 15 mV, gates → (0, 1); FitzHugh–Nagumo has its own).
    params : mapping, optional
        Parameter overrides, e.g. ``{"I_ext": 8.0}``.
    others : 'steady_state' or mapping
        Required for models with more than two states (see :mod:`analysis.nullcline_curves`).
    t_max : float
        Default integration time for manifolds and cycle searches (model time units, ms).
    """

    def __init__(self, model, x=None, y=None, xlim=None, ylim=None, *, params=None, others=None,
                 t_max: float = 200.0):
        self.plane = Plane(model, x, y, xlim, ylim, params, others)
        self.model = self.plane.model  # the parameter overrides are baked in
        self.params = self.plane.params
        if not (np.isfinite(t_max) and t_max > 0):
            raise ValueError(f"t_max must be a positive time, got {t_max!r}")
        self.t_max = float(t_max)
        self._cache = {}

    # ------------------------------------------------------------------ basic properties
    x = property(lambda self: self.plane.x)
    y = property(lambda self: self.plane.y)
    xlim = property(lambda self: self.plane.xlim)
    ylim = property(lambda self: self.plane.ylim)

    def with_params(self, **changes) -> "PhasePlane":
        """The same plane at changed parameters (e.g. ``I_ext=10``)."""
        p = dict(self.params)
        p.update(changes)
        others = self.plane.others if self.plane.others != "slice" else self.plane.fixed
        return PhasePlane(self.model, self.x, self.y, self.xlim, self.ylim, params=p, others=others,
                          t_max=self.t_max)

    # ------------------------------------------------------------------ ingredients
    def direction_field(self, n: int = 20):
        """(X, Y, U, W): an n × n grid and the (x, y) components of f there."""
        n = int(n)
        if n < 2:
            raise ValueError(f"n must be >= 2, got {n!r}")
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        U, W = self.plane.field(X, Y)
        return X, Y, U, W

    def nullclines(self, **kwargs):
        key = ("nullclines", tuple(sorted(kwargs.items())))
        if key not in self._cache:
            others = self.plane.others if self.plane.others != "slice" else self.plane.fixed
            self._cache[key] = nullclines(self.model, self.x, self.y, xlim=self.xlim, ylim=self.ylim,
                                          others=others, **kwargs)
        return self._cache[key]

    def fixed_points(self, **kwargs):
        """Equilibria of the full model whose (x, y) lie in the window."""
        key = ("fixed_points", tuple(sorted(kwargs.items())))
        if key not in self._cache:
            if "box" not in kwargs and not hasattr(self.model, "steady_state_current"):
                if self.model.n_states == 2:
                    kwargs["box"] = {self.x: self.xlim, self.y: self.ylim}
            found = fixed_points(self.model, None, **kwargs)
            inside = tuple(fp for fp in found if self._inside(fp[self.x], fp[self.y]))
            self._cache[key] = type(found)(inside, found.folds, found.method, found.params, found.model_name)
        return self._cache[key]

    def _inside(self, px, py, margin=0.0):
        wx, wy = self.plane.widths * margin
        return (self.xlim[0] - wx <= px <= self.xlim[1] + wx) and (self.ylim[0] - wy <= py <= self.ylim[1] + wy)

    def initial_state(self, point) -> np.ndarray:
        """A full state from a plane point (x, y) (embedded as the projection says) or a full state."""
        point = np.asarray(point, dtype=float)
        if point.shape == (self.model.n_states,) and self.model.n_states != 2:
            return point
        if point.shape != (2,):
            raise ValueError(f"initial state must be (x, y) or have {self.model.n_states} components, got shape {point.shape}")
        if not np.all(np.isfinite(point)):
            raise ValueError(f"initial state must be finite, got {point}")
        return self.plane.embed(point[0], point[1]).astype(float)

    def trajectory(self, start, t_end: float = 100.0, *, backward: bool = False, stop_outside: float | None = 1.0,
                   n_samples: int | None = None, rtol: float = 1e-8, atol: float = 1e-10) -> Orbit:
        """Integrate from ``start`` ((x, y) or a full state) for ``t_end`` (forward or backward).

        Integration stops early when the orbit leaves the window enlarged by ``stop_outside``
        window widths on every side (None: never). LSODA with the model's exact Jacobian.
        """
        if not (np.isfinite(t_end) and t_end > 0):
            raise ValueError(f"t_end must be a positive time, got {t_end!r}")
        y0 = self.initial_state(start)
        return self._integrate(y0, t_end, backward, stop_outside, n_samples, rtol, atol)

    def trajectories(self, starts, t_end: float = 100.0, *, n_samples: int | None = None,
                     rtol: float = 1e-7, atol: float = 1e-9) -> list:
        """Orbits from several initial states, integrated together as one stacked system
        (one vectorized ``rhs`` call per step for all of them, which is several times faster
        than one by one); falls back to one-by-one integration with window checks if the
        stacked integration fails. Returns a list of :class:`Orbit`.
        """
        if not (np.isfinite(t_end) and t_end > 0):
            raise ValueError(f"t_end must be a positive time, got {t_end!r}")
        states = [self.initial_state(s) for s in starts]
        if not states:
            return []
        n, K = self.model.n_states, len(states)
        Y0 = np.array(states).T  # (n, K)
        n_samples = n_samples or max(200, int(min(20000, 20 * t_end)))
        sol = None
        try:
            with np.errstate(all="ignore"):
                sol = simulate(Stacked(self.model, K), t_end, y0=Y0.ravel(), method="LSODA", rtol=rtol, atol=atol,
                               t_eval=np.linspace(0.0, t_end, n_samples))
        except Exception:  # noqa: BLE001 - any failure: integrate one by one with guards
            sol = None
        if sol is None or sol.status != 0 or not np.all(np.isfinite(sol.y)):
            return [self._integrate(y0, t_end, rtol=rtol, atol=atol, n_samples=n_samples) for y0 in states]
        out = []
        ix, iy = self.plane.ix, self.plane.iy
        for k in range(K):
            yk = sol.y.reshape(n, K, -1)[:, k, :]
            out.append(Orbit(sol.t, yk, np.column_stack([yk[ix], yk[iy]]), False))
        return out

    def _integrate(self, y0, t_end, backward=False, stop_outside=1.0, n_samples=None, rtol=1e-8, atol=1e-10,
                   dense=False):
        sign = -1.0 if backward else 1.0
        ix, iy = self.plane.ix, self.plane.iy
        events = []
        if stop_outside is not None:
            lo = np.array([self.xlim[0], self.ylim[0]]) - stop_outside * self.plane.widths
            hi = np.array([self.xlim[1], self.ylim[1]]) + stop_outside * self.plane.widths

            def leave(t, y):
                return min(y[ix] - lo[0], hi[0] - y[ix], y[iy] - lo[1], hi[1] - y[iy])

            leave.terminal = True
            leave.direction = -1
            events.append(leave)

            def blowup(t, y):  # guard for stiff blow-up in the other coordinates
                return 1e6 - np.max(np.abs(y))

            blowup.terminal = True
            events.append(blowup)
        n_samples = n_samples or max(200, int(min(20000, 20 * t_end)))
        t_eval = () if dense else np.linspace(0.0, t_end, n_samples)
        try:
            with np.errstate(all="ignore"):
                sol = simulate(Reversed(self.model) if backward else self.model, t_end, y0=y0, method="LSODA",
                               rtol=rtol, atol=atol, t_eval=t_eval, events=events or None, dense_output=dense)
        except SimulationError:  # blown up (outside any window): an orbit that left at once
            orbit = Orbit(np.array([0.0]), np.asarray(y0, dtype=float)[:, None],
                          np.array([[y0[ix], y0[iy]]]), True)
            return (orbit, None) if dense else orbit
        left = bool(sol.status == 1)
        y = sol.y
        if left and sol.y_events and any(len(e) for e in sol.y_events):
            ye = next(e[0] for e in sol.y_events if len(e))
            y = np.column_stack([y, ye]) if y.size else ye[:, None]
            t = np.append(sol.t, next(e[0] for e in sol.t_events if len(e)))
        else:
            t = sol.t
        if y.size == 0:
            y, t = y0[:, None], np.array([0.0])
        orbit = Orbit(sign * t, y, np.column_stack([y[ix], y[iy]]), left)
        if dense:
            return orbit, sol
        return orbit

    def separatrices(self, t_max: float | None = None, eps: float = 1e-4):
        """Stable (backward in time) and unstable (forward) one-dimensional manifolds of every
        saddle in the window, both branches each; a list of :class:`Manifold`.

        Each branch starts at y* ± ε·v with v the real eigenvector, scaled so that the step is
        ε of the window in box-scaled (x, y) coordinates, and is integrated for
        max(t_max, 2·ln(1/ε)/|λ|) (at most 50·t_max) or until it leaves the window.
        """
        key = ("separatrices", t_max, eps)
        if key in self._cache:
            return self._cache[key]
        t_max = self.t_max if t_max is None else float(t_max)
        out = []
        for fp in self.fixed_points():
            if fp.kind != "saddle":
                continue
            unstable, stable = fp.manifold_directions()
            for kind, dirs, backward in (("unstable", unstable, False), ("stable", stable, True)):
                if len(dirs) != 1:
                    continue  # only one-dimensional manifolds are curves
                lam, v = dirs[0]
                # long enough to grow from eps to the window size: ~ln(1/eps)/|λ|, twice over
                duration = min(max(t_max, 2.0 * np.log(1.0 / eps) / abs(lam)), 50.0 * t_max)
                scaled = np.hypot(v[self.plane.ix] / self.plane.widths[0], v[self.plane.iy] / self.plane.widths[1])
                if scaled == 0:
                    continue
                for sgn in (1.0, -1.0):
                    y0 = fp.state + sgn * eps * v / scaled
                    orbit = self._integrate(y0, duration, backward=backward, stop_outside=0.05)
                    out.append(Manifold(kind, fp, orbit))
        self._cache[key] = out
        return out

    def limit_cycles(self, seeds=None, t_max: float | None = None, *, backward: bool | None = None,
                     tol: float = 1e-5, from_fixed_points: bool = True):
        """Periodic orbits by integration until successive Poincaré-section returns agree.

        ``seeds``: plane points or full states; each is integrated forward (finds stable
        cycles) and, for planar models, backward (unstable cycles), or only in the direction
        ``backward`` says. With ``from_fixed_points`` (default) points next to each equilibrium
        in the window are seeds too (forward from unstable ones, backward from stable foci of
        planar models).
        ``tol`` is the allowed distance of successive returns in box-scaled units.
        Returns a list of :class:`LimitCycle`, de-duplicated.
        """
        key = ("cycles", None if seeds is None else repr(np.asarray(seeds, dtype=float).tolist()), t_max, backward,
               tol, from_fixed_points)
        if key in self._cache:
            return self._cache[key]
        t_max = self.t_max if t_max is None else float(t_max)
        planar = self.model.n_states == 2
        jobs = []
        if from_fixed_points:
            for fp in self.fixed_points():
                v = np.real(fp.eigenvectors[:, 0])
                v = v / max(np.linalg.norm(v), 1e-300)
                start = fp.state + 1e-2 * v * np.concatenate([self.plane.widths, np.ones(max(0, fp.state.size - 2))])[: fp.state.size]
                if fp.n_unstable > 0 and fp.kind != "saddle":
                    jobs.append((start, False))
                elif planar and fp.kind == "stable focus":
                    jobs.append((start, True))
                    # a stable cycle may surround the unstable one found backward: start forward
                    # from a quarter of the window away along x (a depolarising kick for V)
                    far = np.array(fp.state, dtype=float)
                    far[self.plane.ix] += 0.25 * self.plane.widths[0]
                    jobs.append((far, False))
        if seeds is not None and len(seeds):
            for s in np.atleast_2d(np.asarray(seeds, dtype=float)):
                y0 = self.initial_state(s)
                if backward is None:
                    jobs.append((y0, False))
                    if planar:
                        jobs.append((y0, True))
                else:
                    jobs.append((y0, backward))
        cycles = []
        for y0, back in jobs:
            cyc = self._find_cycle(y0, t_max, back, tol)
            if cyc is not None and not any(_same_cycle(cyc, c, self.plane.widths) for c in cycles):
                cycles.append(cyc)
        self._cache[key] = cycles
        return cycles

    def _find_cycle(self, y0, t_max, backward, tol, chunk: float | None = None):
        """Integrate in chunks until three successive upward crossings of the section
        x = (min x + max x)/2 (within the chunk) return to within ``tol`` (box-scaled) and the
        last periods agree to 1e-3; the last period is the cycle. None if the orbit leaves the
        window, settles on an equilibrium, or does not converge within ``t_max``."""
        from scipy.optimize import brentq

        ix, iy = self.plane.ix, self.plane.iy
        chunk = chunk or max(t_max / 4.0, 1e-9)
        elapsed, y = 0.0, np.asarray(y0, dtype=float)
        first = True
        scale = np.concatenate([self.plane.widths, np.ones(y.size - 2)])
        order = [ix, iy] + [k for k in range(y.size) if k not in (ix, iy)]
        while elapsed < t_max - 1e-12:
            span = min(chunk, t_max - elapsed)
            orbit, sol = self._integrate(y, span, backward=backward, stop_outside=0.5, dense=True)
            if sol is None or orbit.left_window or sol.status != 0:
                return None
            elapsed += span
            y = sol.y_final
            T = np.linspace(0.0, sol.t_final, max(2000, int(40 * sol.t_final)))
            Y = sol.sol(T)
            xs = Y[ix]
            if np.ptp(xs) / self.plane.widths[0] < 1e-3:
                return None  # settled on an equilibrium
            level = 0.5 * (xs.max() + xs.min())
            sx = xs - level
            up = np.flatnonzero((sx[:-1] < 0) & (sx[1:] >= 0))
            if up.size < 3:
                if not first:
                    chunk *= 2.0  # slow oscillation: look at longer stretches
                first = False
                continue
            up = up[-3:]
            tc = np.array([brentq(lambda tt: sol.sol(tt)[ix] - level, T[k], T[k + 1], xtol=1e-12) for k in up])
            Yc = sol.sol(tc)
            dist = np.max(np.abs(Yc[order, -1] - Yc[order, -2]) / scale[order])
            periods = np.diff(tc)
            if dist > tol or abs(periods[-1] - periods[-2]) > 1e-3 * periods[-1]:
                first = False
                continue
            period = float(tc[-1] - tc[-2])
            tt = np.linspace(tc[-2], tc[-1], 800)
            yy = sol.sol(tt)
            sign = -1.0 if backward else 1.0
            return LimitCycle(sign * (tt - tt[0]), yy, np.column_stack([yy[ix], yy[iy]]), period, not backward)
        return None

    # ------------------------------------------------------------------ drawing
    def plot(self, ax=None, *, field: str | None = "arrows", density: int = 20, nullclines: bool = True,
             fixed_points: bool = True, trajectories=(), t_end: float = 100.0, separatrices: bool = True,
             limit_cycles: bool | list = False, legend: bool = True, title: str | None = None):
        """Draw the phase plane on ``ax`` (created if None) and return the Axes.

        Parameters
        ----------
        field : 'arrows', 'streamlines' or None
            Direction field: normalized arrows on a ``density`` × ``density`` grid (direction
            only, equal length in box-scaled units), or streamlines.
        nullclines, fixed_points, separatrices : bool
        trajectories : sequence of (x, y) or full states
            Initial states of orbits drawn for ``t_end`` with arrowheads.
        limit_cycles : bool or list of LimitCycle
            True searches with :meth:`limit_cycles` (stable solid, unstable dashed).
        """
        import matplotlib.pyplot as plt

        if field not in ("arrows", "streamlines", None):
            raise ValueError(f"field must be 'arrows', 'streamlines' or None, got {field!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
        ax.set_xlim(*self.xlim)
        ax.set_ylim(*self.ylim)
        wx, wy = self.plane.widths
        if field == "arrows":
            X, Y, U, W = self.direction_field(density)
            norm = np.hypot(U / wx, W / wy)
            ok = np.isfinite(norm) & (norm > 0)
            length = 0.45 / density
            Un = np.where(ok, U / wx / np.where(ok, norm, 1.0), 0.0) * wx * length
            Wn = np.where(ok, W / wy / np.where(ok, norm, 1.0), 0.0) * wy * length
            ax.quiver(X, Y, Un, Wn, angles="xy", scale_units="xy", scale=1.0, color="0.6", width=0.0025,
                      pivot="mid", zorder=1, gid="direction_field")
        elif field == "streamlines":
            X, Y, U, W = self.direction_field(max(density, 30))
            ax.streamplot(X[0], Y[:, 0], U / wx, W / wy, color="0.75", density=1.0, linewidth=0.7, zorder=1)
        if nullclines:
            nc = self.nullclines()
            for curve, color in zip(nc, ("tab:blue", "tab:orange")):
                curve.plot(ax, color=color, zorder=2, gid=f"nullcline_{curve.variable}")
        if separatrices:
            first = {"stable": True, "unstable": True}
            for man in self.separatrices():
                style = dict(color="tab:green", lw=1.4, ls="--") if man.kind == "stable" else dict(color="tab:red", lw=1.4)
                label = f"{man.kind} manifold" if first[man.kind] else None
                first[man.kind] = False
                ax.plot(man.xy[:, 0], man.xy[:, 1], label=label, zorder=3, gid=f"{man.kind}_manifold", **style)
        if limit_cycles is not False:
            cycles = self.limit_cycles() if limit_cycles is True else limit_cycles
            for k, cyc in enumerate(cycles):
                label = "stable cycle" if cyc.stable else "unstable cycle"
                cyc.plot(ax, zorder=4, label=label, gid="limit_cycle")
        for k, orbit in enumerate(self.trajectories(list(trajectories), t_end) if len(trajectories) else []):
            color = plt.get_cmap("tab10")((k + 4) % 10)
            label = None
            if k == 0:
                label = "trajectory (projection)" if self.plane.is_projection else "trajectory"
            orbit.plot(ax, arrows=2, color=color, lw=1.1, zorder=3, gid="trajectory", label=label)
        if fixed_points:
            seen = set()
            for fp in self.fixed_points():
                label = fp.stability if fp.stability not in seen else None
                seen.add(fp.stability)
                ax.plot([fp[self.x]], [fp[self.y]], **fp.marker_style(), label=label, gid="fixed_point")
        ax.set_xlim(*self.xlim)
        ax.set_ylim(*self.ylim)
        ax.set_xlabel(label_of(self.x))
        ax.set_ylabel(label_of(self.y))
        I = self.params.get("I_ext") if hasattr(self.params, "get") else None
        default_title = getattr(self.model, "name", "")
        if I is not None:
            default_title += f"\nI_ext = {I:g}" + (" µA/cm²" if self.plane.x == "V" or self.plane.y == "V" else "")
        ax.set_title(default_title if title is None else title, fontsize=9)
        if self.plane.is_projection:
            ax.text(0.01, 0.01, self.plane.describe(), transform=ax.transAxes, fontsize=7, color="0.3",
                    va="bottom", ha="left", gid="projection_label")
        if legend:
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                ax.legend(fontsize=7, frameon=False, loc="upper right")
        return ax


def _same_cycle(a: LimitCycle, b: LimitCycle, widths) -> bool:
    if a.stable != b.stable or abs(a.period - b.period) > 1e-3 * max(a.period, b.period):
        return False
    # every point of a close to b
    d = np.min(np.hypot((a.xy[::20, None, 0] - b.xy[None, :, 0]) / widths[0],
                        (a.xy[::20, None, 1] - b.xy[None, :, 1]) / widths[1]), axis=1)
    return bool(np.max(d) < 1e-2)
