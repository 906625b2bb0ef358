"""Result types of continuation: special points, branches and bifurcation diagrams.

A *branch* is a curve of solutions (equilibria, kind ``"EP"``; later periodic orbits, kind
``"LC"``) followed in one parameter. Points where the branch changes qualitatively are
:class:`SpecialPoint` s labelled as in AUTO-07p and MatCont:

====== ==============================================================
label  meaning
====== ==============================================================
LP     limit point (fold, saddle-node): a real eigenvalue crosses 0
H      Hopf point: a complex pair ±iω crosses the imaginary axis
BP     branch point: two equilibrium branches cross
BT     Bogdanov–Takens (codim 2): double zero eigenvalue
GH     generalized Hopf / Bautin (codim 2): l1 = 0 on a Hopf curve
CP     cusp (codim 2): the quadratic fold coefficient vanishes
LPC    fold of cycles; PD period doubling; NS Neimark–Sacker (cycle branches)
====== ==============================================================

Every branch type shares :class:`BranchBase`: the continued parameter's values ``param``,
``special_points``, a ``status`` (an :class:`analysis.continuation.Status` value: 0 = done,
> 0 = stopped early for the reason named, < 0 = failure, as in ``scipy.integrate.solve_ivp``)
and a human ``message``. A branch type only has to say which y-values it draws (:meth:`BranchBase._curves`)
and which columns it exports; :class:`BifurcationDiagram` then plots and exports any mix of
branch types (a cycle branch draws the min and max of a state over each orbit).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from hhdyn.io import atomic_path
from hhdyn.results import Result
from hhdyn.units import axis_label

__all__ = ["SpecialPoint", "BranchBase", "Branch", "BifurcationDiagram", "CodimTwoCurve", "label_points"]

#: Marker styles for special points in plots (AUTO/MatCont labels).
_MARKERS = {"LP": "s", "H": "o", "BP": "^", "LPC": "D", "PD": "v", "NS": "p", "BT": "*", "GH": "P", "CP": "X"}


def _jsonable(value):
    """Numbers, arrays (complex ones as [re, im] pairs) and containers as plain JSON data."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (complex, np.complexfloating)):
        return [float(value.real), float(value.imag)]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if np.isfinite(v) else None
    return value


@dataclass(frozen=True, eq=False)
class SpecialPoint:
    """A labelled point on a branch (see the module docstring for the labels).

    Attributes
    ----------
    kind : str
        AUTO/MatCont label: "LP", "H", "BP" (equilibria), "LPC", "PD", "NS" (cycles),
        "BT", "GH", "CP" (codimension two).
    param : float
        Value of the continued parameter at the point (for codim-2 points: the first one).
    state : ndarray
        The state (equilibrium) at the point.
    info : dict
        Extra data. At H: ``omega`` (rad/ms), ``frequency_hz`` (ω/2π·1000), ``l1`` (first
        Lyapunov coefficient, Kuznetsov normalization ⟨q,q⟩ = ⟨p,q⟩ = 1), ``criticality``
        ("subcritical" if l1 > 0, "supercritical" if l1 < 0) and ``eigenvector`` (complex q
        with J q = iω q). At LP: ``a`` (quadratic normal-form coefficient). Codim-2 points
        carry the second parameter under its name.
    index : int
        Position of the point in the branch arrays (special points are inserted into the branch).
    bracket : tuple of float
        The parameter interval covered by the continuation step in which it was detected (the
        step ends, and for a fold the turning point that the step passes through).
    converged : bool
        Whether the location converged to tolerance (else it is the best estimate).
    """

    kind: str
    param: float
    state: np.ndarray
    info: dict = field(default_factory=dict)
    index: int = -1
    bracket: tuple = (float("nan"), float("nan"))
    converged: bool = True

    def to_dict(self, param_name: str = "param", state_names=None) -> dict:
        names = state_names or [f"x{i}" for i in range(len(self.state))]
        out = {
            "kind": self.kind,
            "param_name": param_name,
            "param": float(self.param),
            "state": {n: float(v) for n, v in zip(names, np.asarray(self.state))},
            "index": int(self.index),
            "bracket": [float(b) for b in self.bracket],
            "converged": bool(self.converged),
        }
        out["info"] = _jsonable(self.info)
        return out

    def __repr__(self):
        extra = ""
        if self.kind == "H" and "l1" in self.info:
            extra = f", omega={self.info['omega']:.6g}, l1={self.info['l1']:.6g}"
        return f"SpecialPoint({self.kind!r}, param={self.param:.10g}{extra}, converged={self.converged})"


#: Label offsets (points) tried in turn, with the horizontal alignment that keeps the text clear
#: of its marker: upper right first, then lower right, left, and further out.
_LABEL_OFFSETS = ((4, 4, "left"), (4, -11, "left"), (-4, 4, "right"), (-4, -11, "right"),
                  (4, 14, "left"), (4, -21, "left"), (-4, 14, "right"), (-4, -21, "right"),
                  (10, -4, "left"), (-10, -4, "right"), (4, 24, "left"), (4, -31, "left"))


def label_points(ax, points, *, near: float = 0.02, fontsize: float = 8) -> list:
    """Label special points on ``ax`` so that close labels do not collide.

    ``points`` is a sequence of ``(x, y, text)`` in data coordinates; call this after the curves
    are drawn (the axis limits are used). Points closer than ``near`` of the axis width *and*
    height form one group with a single label at its leftmost point listing its distinct texts,
    e.g. "LPC, PD" (alphabetical). Each label then takes the first offset of :data:`_LABEL_OFFSETS` (upper
    right, lower right, upper left, …) whose text box overlaps neither an earlier label nor a
    marker; if none is free it keeps the first. Returns the Text objects.
    """
    pts = [(float(x), float(y), str(t)) for x, y, t in points if np.isfinite(x) and np.isfinite(y)]
    if not pts:
        return []
    ax.get_xlim(), ax.get_ylim()  # apply pending autoscaling so that the transforms are final
    to_axes = ax.transAxes.inverted()
    frac = [tuple(to_axes.transform(ax.transData.transform((x, y)))) for x, y, _ in pts]
    groups: list[list[int]] = []
    for k in sorted(range(len(pts)), key=lambda k: pts[k][0]):
        for g in groups:
            if any(abs(frac[k][0] - frac[m][0]) < near and abs(frac[k][1] - frac[m][1]) < near for m in g):
                g.append(k)
                break
        else:
            groups.append([k])
    renderer = ax.figure.canvas.get_renderer()
    pix = [ax.transData.transform((x, y)) for x, y, _ in pts]
    dpi_scale = ax.figure.dpi / 72.0
    markers = [(px - 3.5 * dpi_scale, py - 3.5 * dpi_scale, px + 3.5 * dpi_scale, py + 3.5 * dpi_scale) for px, py in pix]
    taken: list[tuple] = []

    def clash(box):
        return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in (*taken, *markers))

    texts = []
    for g in groups:
        x, y, _ = pts[g[0]]
        text = ", ".join(sorted({pts[k][2] for k in g}))
        ann = None
        for dx, dy, ha in _LABEL_OFFSETS:
            if ann is not None:
                ann.remove()
            ann = ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha, fontsize=fontsize)
            e = ann.get_window_extent(renderer)
            box = (e.x0, e.y0, e.x1, e.y1)
            if not clash(box):
                break
        else:
            ann.remove()
            dx, dy, ha = _LABEL_OFFSETS[0]
            ann = ax.annotate(text, (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha, fontsize=fontsize)
            e = ann.get_window_extent(renderer)
            box = (e.x0, e.y0, e.x1, e.y1)
        taken.append(box)
        texts.append(ann)
    return texts


def _dump_json(data: dict, path=None) -> str:
    text = json.dumps(data, indent=1)
    if path is not None:
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return text


@dataclass(frozen=True, eq=False)
class BranchBase(Result):
    """What every branch has: a parameter, special points, and how the run ended.

    Subclasses (``Branch`` for equilibria; a cycle branch for periodic orbits) implement
    :meth:`_curves` (the y-values to draw for a state) and :meth:`_columns` (CSV/JSON columns).
    """

    #: What the branch is made of, for legends.
    _what = "branch"

    kind: str
    param_name: str
    model_name: str
    state_names: tuple
    param: np.ndarray
    stable: np.ndarray
    special_points: tuple
    status: int
    message: str

    def __len__(self):
        return len(self.param)

    def points(self, kind: str) -> list:
        """The special points with label ``kind`` (e.g. "H")."""
        return [p for p in self.special_points if p.kind == kind]

    @property
    def success(self) -> bool:
        """True unless the continuation failed (status < 0)."""
        return self.status >= 0

    def _curves(self, y: str) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _columns(self) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _point_y(self, point: SpecialPoint, y: str) -> float:
        return float(np.asarray(point.state)[list(self.state_names).index(y)])

    def plot(self, ax=None, y: str = "V", *, color=None, label=None, annotate: bool = True):
        """Draw the branch (stable solid, unstable dashed) and its labelled special points.

        Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        if y not in self.state_names:
            raise ValueError(f"y={y!r} is not a state of {self.model_name}; states are {', '.join(self.state_names)}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        color = color or ax._get_lines.get_next_color()
        label = f"{self.model_name}: {self._what}" if label is None else label
        stable = np.asarray(self.stable, dtype=bool)
        labelled = False
        for values in self._curves(y):
            for mask, style in ((stable, "-"), (~stable, "--")):
                if not mask.any():
                    continue
                # extend each run by one point so that solid and dashed pieces join up
                show = mask.copy()
                show[1:] |= mask[:-1] & ~mask[1:]
                yy = np.where(show, values, np.nan)
                ax.plot(self.param, yy, style, color=color, lw=1.6 if style == "-" else 1.2,
                        label=None if labelled else label)
                labelled = True
        marked = []
        for point in self.special_points:
            try:
                py = self._point_y(point, y)
            except ValueError:
                continue
            ax.plot([point.param], [py], _MARKERS.get(point.kind, "o"), color=color, mec="k", ms=6, zorder=5)
            marked.append((point.param, py, point.kind))
        if annotate:
            label_points(ax, marked)
        ax.set_xlabel(axis_label(self.param_name))
        ax.set_ylabel(axis_label(y))
        return ax

    def label_positions(self, y: str = "V") -> list:
        """``(param, y-value, label)`` of each special point as :meth:`plot` marks it."""
        out = []
        for point in self.special_points:
            try:
                out.append((point.param, self._point_y(point, y), point.kind))
            except (ValueError, KeyError):
                continue
        return out

    def columns(self) -> dict:
        """One row per point, as :meth:`BifurcationDiagram.columns` (branch, kind, model, label, …)."""
        return BifurcationDiagram([self]).columns()

    def to_json(self, path=None) -> str:
        """The branch as JSON text (:meth:`to_dict`); also written atomically to ``path`` when given."""
        return _dump_json(self.to_dict(), path)

    def to_dict(self) -> dict:
        """Plain-data (JSON-ready) description of the branch."""
        return _jsonable(
            {
                "kind": self.kind,
                "param_name": self.param_name,
                "model_name": self.model_name,
                "state_names": list(self.state_names),
                "status": int(self.status),
                "message": self.message,
                "columns": self._columns(),
                "special_points": [p.to_dict(self.param_name, self.state_names) for p in self.special_points],
            }
        )


@dataclass(frozen=True, eq=False)
class Branch(BranchBase):
    """An equilibrium branch (kind "EP") continued in one parameter.

    Arrays: ``param`` (N,), ``states`` (N, n), ``eigenvalues`` (N, n complex, sorted by
    decreasing real part), ``n_unstable`` (N,) eigenvalues with positive real part, and
    ``stable`` (N,) (``n_unstable == 0``). Special points are points of the branch
    (``states[sp.index]`` is ``sp.state``).
    """

    _what = "equilibria"
    states: np.ndarray = None
    eigenvalues: np.ndarray = None
    n_unstable: np.ndarray = None

    def __getitem__(self, name: str) -> np.ndarray:
        """``branch["V"]``: a state along the branch; ``branch[param_name]`` the parameter."""
        if name == self.param_name:
            return self.param
        return self.states[:, list(self.state_names).index(name)]

    def _curves(self, y):
        return [self[y]]

    def _columns(self):
        cols = {self.param_name: self.param}
        for i, s in enumerate(self.state_names):
            cols[s] = self.states[:, i]
        cols["n_unstable"] = self.n_unstable
        cols["stable"] = self.stable
        for i in range(self.eigenvalues.shape[1]):
            cols[f"eig{i}_re"] = self.eigenvalues[:, i].real
            cols[f"eig{i}_im"] = self.eigenvalues[:, i].imag
        return cols

    def __repr__(self):
        kinds = ", ".join(f"{p.kind}@{p.param:.6g}" for p in self.special_points)
        return (f"Branch({self.kind}, {self.model_name!r}, {self.param_name}: {len(self.param)} points, "
                f"status={self.status}, special points: [{kinds}])")


@dataclass(frozen=True, eq=False)
class CodimTwoCurve(BranchBase):
    """A curve of codimension-one points (kind "H" or "LP") in two parameters.

    ``param`` holds the first parameter, ``param2`` the second (named ``param2_name``);
    ``states`` the equilibria, and for Hopf curves ``omega`` (rad/ms, NaN where the curve is a
    neutral saddle, ω² < 0) and ``l1``. ``stable`` is unused (all True) — the curve is drawn in
    the parameter plane by :meth:`plot`.
    """

    param2_name: str = ""
    param2: np.ndarray = None
    states: np.ndarray = None
    omega: np.ndarray = None
    l1: np.ndarray = None

    def _curves(self, y):
        return [self.param2]

    def _columns(self):
        cols = {self.param_name: self.param, self.param2_name: self.param2}
        for i, s in enumerate(self.state_names):
            cols[s] = self.states[:, i]
        if self.omega is not None:
            cols["omega"] = self.omega
        if self.l1 is not None:
            cols["l1"] = self.l1
        return cols

    def plot(self, ax=None, y=None, *, color=None, label=None, annotate: bool = True):
        """Draw the curve in the (param, param2) plane; neutral-saddle parts dotted."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        color = color or ax._get_lines.get_next_color()
        label = f"{self.kind} {self.model_name}" if label is None else label
        if self.omega is not None:
            real = np.isfinite(self.omega)
            ax.plot(self.param, np.where(real, self.param2, np.nan), "-", color=color, label=label)
            ax.plot(self.param, np.where(~real, self.param2, np.nan), ":", color=color)
        else:
            ax.plot(self.param, self.param2, "-", color=color, label=label)
        marked = []
        for point in self.special_points:
            p2 = point.info.get(self.param2_name, np.nan)
            ax.plot([point.param], [p2], _MARKERS.get(point.kind, "o"), color=color, mec="k", ms=7, zorder=5)
            marked.append((point.param, p2, point.kind))
        if annotate:
            label_points(ax, marked)
        ax.set_xlabel(axis_label(self.param_name))
        ax.set_ylabel(axis_label(self.param2_name))
        return ax

    def _point_y(self, point, y):
        return float(point.info.get(self.param2_name, np.nan))


class BifurcationDiagram(Result):
    """A collection of branches (equilibria, cycles, codim-2 curves) and their special points.

    >>> diagram = BifurcationDiagram([branch])             # doctest: +SKIP
    >>> diagram.plot(y="V"); print(diagram.summary())      # doctest: +SKIP
    """

    def __init__(self, branches):
        if isinstance(branches, BranchBase):
            branches = [branches]
        branches = tuple(branches)
        for b in branches:
            if not isinstance(b, BranchBase):
                raise ValueError(f"branches must be Branch objects, got {type(b).__name__}")
        self.branches = branches

    @property
    def status(self) -> int:
        """The worst status of the branches: the lowest if one failed (< 0), else the highest."""
        statuses = [int(b.status) for b in self.branches] or [0]
        return min(statuses) if min(statuses) < 0 else max(statuses)

    @property
    def message(self) -> str:
        """Each branch's message, prefixed by its kind and model."""
        return "; ".join(f"{b.kind} {b.model_name}: {b.message}" for b in self.branches)

    @property
    def special_points(self) -> tuple:
        """All special points of all branches, in branch order."""
        return tuple(p for b in self.branches for p in b.special_points)

    def plot(self, ax=None, y: str = "V"):
        """Every branch on one Axes (stable solid, unstable dashed, labelled special points)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        for b in self.branches:
            b.plot(ax=ax, y=y, annotate=False)
        # label all branches' points together so that labels of different branches do not collide
        label_points(ax, [p for b in self.branches for p in b.label_positions(y)])
        if len(self.branches) > 1:
            ax.legend(fontsize=8)
        return ax

    def to_dict(self) -> dict:
        """``{"status", "message", "branches": [branch.to_dict(), …]}``."""
        return {"status": self.status, "message": self.message, "branches": [b.to_dict() for b in self.branches]}

    def to_json(self, path=None) -> str:
        """The diagram as JSON text (``{"branches": [...]}``); also written atomically to ``path``."""
        return _dump_json(self.to_dict(), path)

    def columns(self) -> dict:
        """One row per branch point: ``branch`` (number), ``kind``, ``model``, ``label`` (the
        special point's label or ""), then every column of every branch (its parameter, states,
        stability, eigenvalues or multipliers…); a column a branch lacks is NaN on its rows.
        Numbers are floats, ``stable`` stays boolean where every branch has it."""
        tables = [b._columns() for b in self.branches]
        names: list[str] = []
        for cols in tables:
            names += [n for n in cols if n not in names]
        n_rows = [len(b.param) for b in self.branches]
        out = {
            "branch": np.concatenate([np.full(n, ib, dtype=int) for ib, n in enumerate(n_rows)] or [np.zeros(0, int)]),
            "kind": np.array([b.kind for b, n in zip(self.branches, n_rows) for _ in range(n)], dtype=str),
            "model": np.array([b.model_name for b, n in zip(self.branches, n_rows) for _ in range(n)], dtype=str),
        }
        labels = []
        for b, n in zip(self.branches, n_rows):
            at = {p.index: p.kind for p in b.special_points}
            labels += [at.get(i, "") for i in range(n)]
        out["label"] = np.array(labels, dtype=str)
        for name in names:
            parts = [np.asarray(cols[name]) if name in cols else None for cols in tables]
            if all(p is not None and p.dtype == bool for p in parts):
                out[name] = np.concatenate(parts)
            else:
                out[name] = np.concatenate([np.asarray(p, dtype=float) if p is not None else np.full(n, np.nan)
                                            for p, n in zip(parts, n_rows)])
        return out

    def summary(self) -> str:
        """A text table of the special points (label, model, parameter, V or first state, ω, l1)."""
        lines = [f"{'label':5} {'model':34} {'parameter':>22} {'state[0]':>12} {'omega':>10} {'f (Hz)':>9} {'l1':>12}  note"]
        for b in self.branches:
            for p in b.special_points:
                omega = p.info.get("omega")
                l1 = p.info.get("l1")
                freq = p.info.get("frequency_hz")
                note = p.info.get("criticality", "")
                if isinstance(b, CodimTwoCurve):
                    note = f"{b.param2_name}={p.info.get(b.param2_name, float('nan')):.6g} {note}"
                if not p.converged:
                    note += " (not converged)"
                lines.append(
                    f"{p.kind:5} {b.model_name[:34]:34} {b.param_name + '=' + format(p.param, '.8g'):>22} "
                    f"{float(np.asarray(p.state)[0]):12.5f} "
                    f"{'' if omega is None or not np.isfinite(omega) else format(omega, '.5g'):>10} "
                    f"{'' if freq is None or not np.isfinite(freq) else format(freq, '.5g'):>9} "
                    f"{'' if l1 is None else format(l1, '.5g'):>12}  {note}"
                )
        if len(lines) == 1:
            lines.append("(no special points)")
        return "\n".join(lines)

    def __repr__(self):
        return f"BifurcationDiagram({len(self.branches)} branches, {len(self.special_points)} special points)"
