"""The result type of cycle continuation: :class:`CycleBranch` (kind "LC")."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hhdyn.units import axis_label

from ..branch import _MARKERS, BranchBase, label_points

__all__ = ["CycleBranch"]


@dataclass(frozen=True, eq=False)
class CycleBranch(BranchBase):
    """A branch of periodic orbits (kind "LC") continued in one parameter.

    Arrays (N points): ``param`` (N,), ``period`` (N,) in ms (model time units), ``state_min`` and
    ``state_max`` (N, n) — the extremes of each state over the orbit —, ``multipliers`` (N, n
    complex Floquet multipliers, the trivial one first, the others by decreasing modulus),
    ``trivial_error`` (N,) = |μ_trivial − 1| (an accuracy check), ``n_unstable`` (N,) multipliers
    outside the unit circle, ``stable`` (N,). The orbits themselves: ``meshes`` (N, NTST+1) and
    ``profiles`` (N, NTST·NCOL, n) — node values of the collocation polynomials in scaled time
    τ = t/T (see :meth:`orbit`). Special points (LPC, PD, NS) are points of the branch
    (``param[sp.index] == sp.param``) and carry ``info["period"]``, ``info["multipliers"]``,
    ``info["state_max"]``/``info["state_min"]`` (dicts by state name).

    ``status``: 0 the parameter window was reached or the branch ended at a Hopf point (amplitude
    → 0), 1 the maximum number of points was reached, 2 the period grew without bound (a homoclinic
    orbit is near), negative: failure (the corrector did not converge even with the minimum step).
    """

    _what = "cycles"

    period: np.ndarray = None
    state_min: np.ndarray = None
    state_max: np.ndarray = None
    multipliers: np.ndarray = None
    trivial_error: np.ndarray = None
    n_unstable: np.ndarray = None
    meshes: np.ndarray = None
    profiles: np.ndarray = None
    ncol: int = 4

    # -------------------------------------------------------------- access
    def _index(self, name):
        try:
            return list(self.state_names).index(name)
        except ValueError:
            raise ValueError(f"{name!r} is not a state of {self.model_name}; states are {', '.join(self.state_names)}") from None

    def max(self, name: str) -> np.ndarray:
        """Maximum of state ``name`` over each orbit."""
        return self.state_max[:, self._index(name)]

    def min(self, name: str) -> np.ndarray:
        """Minimum of state ``name`` over each orbit."""
        return self.state_min[:, self._index(name)]

    @property
    def frequency_hz(self) -> np.ndarray:
        """Firing rate 1000/period (Hz, for periods in ms)."""
        return 1000.0 / self.period

    def points(self, kind: str) -> list:
        """The special points with label ``kind`` (e.g. "LPC")."""
        return [p for p in self.special_points if p.kind == kind]

    def orbit(self, i: int, n_points: int = 400):
        """(t, y) of orbit ``i``: times (ms, one period from 0) and states (n, n_points)."""
        from .collocation import _lagrange

        mesh, U = self.meshes[i], self.profiles[i]
        ntst = mesh.size - 1
        m = self.ncol
        tau = np.linspace(0.0, 1.0, n_points)
        j = np.clip(np.searchsorted(mesh, tau, side="right") - 1, 0, ntst - 1)
        sig = (tau - mesh[j]) / (mesh[j + 1] - mesh[j])
        Lv, _ = _lagrange(np.linspace(0.0, 1.0, m + 1), sig)
        idx = (j[:, None] * m + np.arange(m + 1)[None, :]) % U.shape[0]
        y = np.einsum("tk,tkn->tn", Lv, U[idx])
        return tau * self.period[i], y.T

    # -------------------------------------------------------------- BranchBase hooks
    def _curves(self, y):
        return [self.max(y), self.min(y)]

    def _point_y(self, point, y):
        self._index(y)
        return float(point.info["state_max"][y])

    def _columns(self):
        cols = {self.param_name: self.param, "period": self.period}
        for i, s in enumerate(self.state_names):
            cols[f"{s}_min"] = self.state_min[:, i]
            cols[f"{s}_max"] = self.state_max[:, i]
        cols["n_unstable"] = self.n_unstable
        cols["stable"] = self.stable
        cols["trivial_error"] = self.trivial_error
        for i in range(self.multipliers.shape[1]):
            cols[f"mu{i}_re"] = self.multipliers[:, i].real
            cols[f"mu{i}_im"] = self.multipliers[:, i].imag
        return cols

    # -------------------------------------------------------------- pictures and files
    def plot_period(self, ax=None, *, color=None, label=None, annotate: bool = True, frequency: bool = False):
        """Period (ms) — or the rate 1000/period (Hz) with ``frequency=True`` — against the
        parameter; stable solid, unstable dashed, special points labelled. Returns the Axes."""
        import matplotlib.pyplot as plt


        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        color = color or ax._get_lines.get_next_color()
        label = f"{self.model_name}: {self._what}" if label is None else label
        values = self.frequency_hz if frequency else self.period
        stable = np.asarray(self.stable, dtype=bool)
        first = True
        for mask, style in ((stable, "-"), (~stable, "--")):
            if not mask.any():
                continue
            show = mask.copy()
            show[1:] |= mask[:-1] & ~mask[1:]
            ax.plot(self.param, np.where(show, values, np.nan), style, color=color, label=label if first else None)
            first = False
        marked = []
        for p in self.special_points:
            v = p.info["period"]
            v = 1000.0 / v if frequency else v
            ax.plot([p.param], [v], _MARKERS.get(p.kind, "o"), color=color, mec="k", ms=6, zorder=5)
            marked.append((p.param, v, p.kind))
        if annotate:
            label_points(ax, marked)
        ax.set_xlabel(axis_label(self.param_name))
        ax.set_ylabel("rate 1000/period (Hz)" if frequency else "period (ms)")
        return ax

    def columns(self) -> dict:
        """One row per orbit: ``label`` (special point or ""), parameter, period, min/max of each
        state, stability, trivial-multiplier error, multipliers (real and imaginary parts)."""
        labels = {p.index: p.kind for p in self.special_points}
        cols = {"label": np.array([labels.get(i, "") for i in range(len(self.param))], dtype=str)}
        for name, values in self._columns().items():
            values = np.asarray(values)
            cols[name] = values if values.dtype == bool else values.astype(float)
        return cols

    def __repr__(self):
        kinds = ", ".join(f"{p.kind}@{p.param:.6g}" for p in self.special_points)
        return (f"CycleBranch({self.model_name!r}, {self.param_name}: {len(self.param)} orbits, "
                f"status={self.status}, special points: [{kinds}])")
