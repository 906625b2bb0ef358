"""An interactive phase-plane explorer (the XPPAUT experience in a matplotlib window).

The window shows the phase plane of a model (direction field, nullclines, fixed points by
stability), sliders for I_ext and any chosen parameters, and a side panel with the first
axis variable (V) against time. Moving a slider redraws the nullclines and fixed points at the
new parameter values; a left click in the phase plane launches a trajectory from the clicked
point and draws its time course in the side panel. 'c' clears the trajectories.

Everything is driven through matplotlib's event system, so it runs (and is tested) headless on
the Agg backend with synthetic events::

    ex = Explorer(h_plus_n(HodgkinHuxley()))
    ex.set_param("I_ext", 8.0)          # what a slider move does
    ex.launch(-50.0, 0.4)               # what a click does
    ex.figure.savefig("explorer.png")
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .nullcline_curves import Plane, label_of
from .phaseplane import PhasePlane

__all__ = ["Explorer", "default_slider_range"]


def default_slider_range(model, name: str, value: float):
    """A slider range for parameter ``name`` around its current ``value``.

    I_ext of a conductance-based model: [min(value, 0) − 5, max(value, 0) + 20] µA/cm²;
    otherwise [value − 1, value + 1] for |value| < 1 and [value/2, 2·value] (ordered) beyond.
    """
    if name == "I_ext" and hasattr(model, "steady_state_current"):
        return (min(value, 0.0) - 5.0, max(value, 0.0) + 20.0)
    if abs(value) < 1.0:
        return (value - 1.0, value + 1.0)
    lo, hi = sorted((0.5 * value, 2.0 * value))
    return (lo, hi)


class Explorer:
    """Interactive phase plane with parameter sliders and click-to-launch trajectories.

    Parameters
    ----------
    model : model of the protocol
    x, y, xlim, ylim, others : as for :class:`analysis.PhasePlane`
    sliders : sequence of names or mapping name → (low, high) or None (default range)
        Parameters with sliders; I_ext is always included (first).
    t_end : float
        Duration of launched trajectories (model time units; ms for conductance models).
    density : int
        Direction-field arrows per axis.
    figure : matplotlib Figure, optional
        Draw into this figure (default: a new one from pyplot).

    Attributes for programs and tests: ``params`` (current values), ``sliders`` (name →
    Slider), ``ax_phase``, ``ax_time``, ``fixed_point_artists``, ``nullcline_artists``,
    ``trajectories`` (list of (start, Orbit)), ``trajectory_lines``, ``time_lines``.
    """

    def __init__(self, model, x=None, y=None, xlim=None, ylim=None, *, others=None, sliders=("I_ext",),
                 t_end: float = 100.0, density: int = 15, figure=None):
        if not (isinstance(t_end, (int, float)) and math.isfinite(t_end) and t_end > 0):
            raise ValueError(f"t_end must be a positive time, got {t_end!r}")
        self.model = model
        self.t_end = float(t_end)
        self.density = int(density)
        self._plane = Plane(model, x, y, xlim, ylim, None, others)  # validates axes/limits/projection
        self._others = self._plane.others if self._plane.others != "slice" else self._plane.fixed
        self.params = dict(model.params)
        ranges = self._slider_ranges(sliders)
        import matplotlib.pyplot as plt
        from matplotlib.widgets import Slider

        self.figure = figure if figure is not None else plt.figure(figsize=(11, 6))
        fig = self.figure
        n_sl = len(ranges)
        bottom = 0.08 + 0.045 * n_sl
        self.ax_phase = fig.add_axes((0.07, bottom + 0.05, 0.5, 0.88 - bottom))
        self.ax_time = fig.add_axes((0.65, bottom + 0.05, 0.32, 0.88 - bottom))
        self.sliders = {}
        for k, (name, (lo, hi)) in enumerate(ranges.items()):
            ax = fig.add_axes((0.15, 0.03 + 0.045 * (n_sl - 1 - k), 0.65, 0.03))
            slider = Slider(ax, name, lo, hi, valinit=self.params[name])
            slider.on_changed(lambda value, name=name: self._slider_moved(name, value))
            self.sliders[name] = slider
        self.fixed_point_artists = []
        self.nullcline_artists = []
        self.field_artist = None
        self.trajectories = []
        self.trajectory_lines = []
        self.time_lines = []
        self._cid_click = fig.canvas.mpl_connect("button_press_event", self._on_click)
        self._cid_key = fig.canvas.mpl_connect("key_press_event", self._on_key)
        tv = self._plane.x
        self.ax_time.set_xlabel("time (ms)" if hasattr(model, "steady_state_current") else "time")
        self.ax_time.set_ylabel(label_of(tv))
        self.ax_time.set_xlim(0.0, self.t_end)
        self.ax_time.set_ylim(*self._plane.xlim)
        self.ax_time.set_title("click the phase plane to launch a trajectory", fontsize=8)
        self._redraw_plane()

    # ------------------------------------------------------------------ set-up helpers
    def _slider_ranges(self, sliders) -> dict:
        names = list(sliders.keys()) if isinstance(sliders, Mapping) else list(sliders)
        if "I_ext" not in names:
            names.insert(0, "I_ext")
        ranges = {}
        for name in names:
            if name not in self.params:
                raise ValueError(f"sliders: {name!r} is not a parameter of {self.model.name}; "
                                 f"parameters are {', '.join(self.params)}")
            if isinstance(sliders, Mapping) and sliders.get(name) is not None:
                rng = sliders[name]
                try:
                    lo, hi = (float(v) for v in rng)
                except (TypeError, ValueError):
                    raise ValueError(f"sliders[{name!r}] must be (low, high), got {rng!r}") from None
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise ValueError(f"sliders[{name!r}] must be finite with low < high, got {rng!r}")
            else:
                lo, hi = default_slider_range(self.model, name, self.params[name])
            value = self.params[name]
            ranges[name] = (min(lo, value), max(hi, value))
        return ranges

    @property
    def phase_plane(self) -> PhasePlane:
        """The :class:`PhasePlane` at the current slider values."""
        return PhasePlane(self.model, self._plane.x, self._plane.y, self._plane.xlim, self._plane.ylim,
                          params=self.params, others=self._others)

    # ------------------------------------------------------------------ actions
    def set_param(self, name: str, value: float) -> None:
        """Change a parameter (what a slider does): redraw field, nullclines, fixed points;
        trajectories of the old parameters are cleared."""
        if name not in self.params:
            raise ValueError(f"name: {name!r} is not a parameter of {self.model.name}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"value must be finite, got {value!r}")
        self.model.with_params(**{name: value})  # validates (e.g. C > 0)
        self.params[name] = value
        slider = self.sliders.get(name)
        if slider is not None and slider.val != value:
            slider.eventson = False
            slider.set_val(value)
            slider.eventson = True
        self.clear_trajectories()
        self._redraw_plane()

    def _slider_moved(self, name: str, value: float) -> None:
        try:
            self.set_param(name, value)
        except ValueError as err:  # e.g. C = 0: say so in the window instead of a traceback
            self.ax_phase.set_title(f"invalid {name} = {value:g}: {err}", fontsize=8, color="tab:red")
            self.figure.canvas.draw_idle()

    def launch(self, x: float, y: float):
        """Integrate from the plane point (x, y) for ``t_end`` and draw it (what a click does)."""
        pp = self.phase_plane
        orbit = pp.trajectory((float(x), float(y)), self.t_end, rtol=1e-6, atol=1e-8)
        color = f"C{(len(self.trajectories) + 2) % 10}"
        (line,) = self.ax_phase.plot(orbit.xy[:, 0], orbit.xy[:, 1], color=color, lw=1.2, gid="trajectory")
        (start,) = self.ax_phase.plot([x], [y], marker=".", color=color, gid="trajectory_start")
        (tline,) = self.ax_time.plot(orbit.t, orbit.xy[:, 0], color=color, lw=1.0, gid="time_course")
        self.trajectories.append(((float(x), float(y)), orbit))
        self.trajectory_lines.append((line, start))
        self.time_lines.append(tline)
        self.figure.canvas.draw_idle()
        return orbit

    def clear_trajectories(self) -> None:
        for line, start in self.trajectory_lines:
            line.remove()
            start.remove()
        for line in self.time_lines:
            line.remove()
        self.trajectories, self.trajectory_lines, self.time_lines = [], [], []
        self.figure.canvas.draw_idle()

    # ------------------------------------------------------------------ events
    def _on_click(self, event) -> None:
        if event.inaxes is not self.ax_phase or event.button != 1 or event.xdata is None:
            return
        toolbar = getattr(self.figure.canvas, "toolbar", None)
        if toolbar is not None and getattr(toolbar, "mode", ""):
            return  # zooming or panning
        self.launch(event.xdata, event.ydata)

    def _on_key(self, event) -> None:
        if event.key == "c":
            self.clear_trajectories()

    # ------------------------------------------------------------------ drawing
    def _redraw_plane(self) -> None:
        ax = self.ax_phase
        for artist in self.fixed_point_artists + self.nullcline_artists:
            artist.remove()
        if self.field_artist is not None:
            self.field_artist.remove()
        self.fixed_point_artists, self.nullcline_artists = [], []
        pp = self.phase_plane
        wx, wy = pp.plane.widths
        X, Y, U, W = pp.direction_field(self.density)
        norm = np.hypot(U / wx, W / wy)
        ok = np.isfinite(norm) & (norm > 0)
        L = 0.45 / self.density
        Un = np.where(ok, U / wx / np.where(ok, norm, 1.0), 0.0) * wx * L
        Wn = np.where(ok, W / wy / np.where(ok, norm, 1.0), 0.0) * wy * L
        self.field_artist = ax.quiver(X, Y, Un, Wn, angles="xy", scale_units="xy", scale=1.0, color="0.7",
                                      width=0.002, pivot="mid", zorder=1)
        for curve, color in zip(pp.nullclines(), ("tab:blue", "tab:orange")):
            for i, seg in enumerate(curve.segments):
                (line,) = ax.plot(seg[:, 0], seg[:, 1], color=color, lw=1.6, zorder=2,
                                  label=curve.label if i == 0 else None, gid=f"nullcline_{curve.variable}")
                self.nullcline_artists.append(line)
        for fp in pp.fixed_points():
            (marker,) = ax.plot([fp[pp.x]], [fp[pp.y]], **fp.marker_style(), gid="fixed_point")
            self.fixed_point_artists.append(marker)
        ax.set_xlim(*pp.xlim)
        ax.set_ylim(*pp.ylim)
        ax.set_xlabel(label_of(pp.x))
        ax.set_ylabel(label_of(pp.y))
        values = ", ".join(f"{k} = {self.params[k]:.4g}" for k in self.sliders)
        kinds = ", ".join(fp.kind for fp in pp.fixed_points()) or "no equilibrium in view"
        ax.set_title(f"{self.model.name}\n{values}: {kinds}", fontsize=8, color="k")
        self.figure.canvas.draw_idle()

    @property
    def fixed_point_positions(self) -> np.ndarray:
        """(x, y) of the drawn fixed-point markers, shape (k, 2)."""
        if not self.fixed_point_artists:
            return np.empty((0, 2))
        return np.array([[a.get_xdata()[0], a.get_ydata()[0]] for a in self.fixed_point_artists], dtype=float)

    def show(self) -> None:
        import matplotlib.pyplot as plt

        plt.show()
