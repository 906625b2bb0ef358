"""Parameter sweeps on the compiled batch engine: F–I curves and two-parameter maps.

:func:`sweep` evaluates a measure (firing rate by default) on the Cartesian product of parameter
values, integrating every grid point as one member of :func:`hhdyn.batch.simulate_batch`.
The flattened grid is cut into chunks; the chunks run in this process (the engine itself runs
on all cores) or are handed to any :class:`concurrent.futures.Executor` — a local
``ProcessPoolExecutor`` (use the ``"spawn"`` start method: numba's threads do not survive
``fork``), or a dask.distributed cluster through ``Client.get_executor()``. A tqdm progress bar
(or a callback) follows the chunks.

>>> import numpy as np, hhdyn
>>> from analysis.sweep import sweep
>>> fi = sweep(hhdyn.HodgkinHuxley(), {"I_ext": np.linspace(0, 30, 61)}, t_end=500)   # F–I curve
>>> rate_map = sweep(hhdyn.HodgkinHuxley(), {"I_ext": np.linspace(0, 30, 31),
...                                         "gK": np.linspace(20, 50, 31)}, t_end=300)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from hhdyn.results import Grid, Result, Variable, new_axes
from hhdyn.units import unit_of

__all__ = ["sweep", "SweepResult", "MEASURES"]

#: Built-in measures: name → (description with unit, function(BatchResult, t_start) → (N,) array).
MEASURES = {
    "rate": ("firing rate (Hz), 1000/mean ISI after the transient",
             lambda res, t0: res.firing_rates(t_start=t0)),
    "mean_rate": ("mean firing rate (Hz), spikes after the transient / time",
                  lambda res, t0: np.where(
                      res.failed, np.nan,
                      np.array([np.sum(s >= t0) for s in res.spike_times]) * 1000.0 / (res.t_end - t0))),
    "count": ("spike count over the whole run", lambda res, t0: np.where(res.failed, np.nan, res.spike_counts)),
}


@dataclass(frozen=True)
class SweepResult(Result):
    """Values of a measure on a parameter grid.

    ``names`` and ``axes`` give the swept parameters and their values; ``values`` and ``failed``
    have shape ``tuple(len(a) for a in axes)`` (first parameter along the first axis).
    ``status`` is 0 when every grid point was integrated, 1 when some members failed (their
    values are NaN; ``message`` says how many). Table (:meth:`columns`): one row per grid point —
    the parameter values (by name), the measure, ``failed`` (0/1).
    """

    names: tuple
    axes: tuple
    values: np.ndarray
    failed: np.ndarray
    measure: str
    label: str
    t_end: float
    method: str
    model_name: str = ""
    settings: dict = field(default_factory=dict, repr=False)

    @property
    def status(self) -> int:
        return 1 if np.any(self.failed) else 0

    @property
    def message(self) -> str:
        bad, total = int(np.count_nonzero(self.failed)), int(np.size(self.failed))
        if bad == 0:
            return f"all {total} grid points integrated successfully"
        return f"{bad} of {total} grid points failed to integrate; their values are NaN"

    def columns(self) -> dict:
        """One row per grid point (C order, last parameter fastest)."""
        mesh = np.meshgrid(*[np.asarray(a, dtype=float) for a in self.axes], indexing="ij")
        cols = {name: m.ravel() for name, m in zip(self.names, mesh)}
        cols[self.measure] = np.asarray(self.values, dtype=float).ravel()
        cols["failed"] = np.asarray(self.failed, dtype=bool).ravel()
        return cols

    def grid(self) -> Grid:
        """The grid for :meth:`to_xarray`: one coordinate per swept parameter (its unit), the
        measure (Hz for the rates) and ``failed`` over them."""
        coords = {n: Variable((n,), np.asarray(a, dtype=float), unit_of(n)) for n, a in zip(self.names, self.axes)}
        unit = "Hz" if self.measure in ("rate", "mean_rate") else ""
        data = {self.measure: Variable(tuple(self.names), np.asarray(self.values, dtype=float), unit, self.label),
                "failed": Variable(tuple(self.names), np.asarray(self.failed, dtype=bool), "", "integration failed")}
        return Grid(coords, data, {"model": self.model_name, "method": self.method, "t_end_ms": self.t_end,
                                   "status": self.status, "message": self.message})

    def plot(self, ax=None, **kwargs):
        """F–I-style curve for one parameter, a colour map (with colour bar) for two. Returns the Axes."""
        ax = new_axes(ax, figsize=(5.5, 4))
        if len(self.names) == 1:
            ax.plot(self.axes[0], self.values, ".-", ms=3, **kwargs)
            ax.set_xlabel(_axis_label(self.names[0]))
            ax.set_ylabel(self.label)
        elif len(self.names) == 2:
            x, y = self.axes
            mesh = ax.pcolormesh(x, y, self.values.T, shading="nearest", **kwargs)
            ax.figure.colorbar(mesh, ax=ax, label=self.label)
            ax.set_xlabel(_axis_label(self.names[0]))
            ax.set_ylabel(_axis_label(self.names[1]))
        else:
            raise ValueError(f"plot draws sweeps over 1 or 2 parameters, this one has {len(self.names)}")
        ax.set_title(self.model_name)
        return ax


_UNITS = {"I_ext": "µA/cm²", "C": "µF/cm²", "T": "°C"}


def _axis_label(name: str) -> str:
    if name in _UNITS:
        return f"{name} ({_UNITS[name]})"
    if name.startswith("g"):
        return f"{name} (mS/cm²)"
    if name.startswith("E"):
        return f"{name} (mV)"
    return name


def _run_chunk(model, params: dict, t_end: float, batch_kwargs: dict, measure, t_start: float):
    """Worker: one chunk of the grid through the batch engine (module level, so it pickles)."""
    from hhdyn.batch import simulate_batch

    result = simulate_batch(model, t_end, params=params, **batch_kwargs)
    fn = MEASURES[measure][1] if isinstance(measure, str) else measure
    if isinstance(measure, str):
        values = fn(result, t_start)
    else:
        values = fn(result)
    values = np.asarray(values, dtype=float)
    if values.shape != (result.n_members,):
        raise ValueError(f"measure must return one value per member, shape ({result.n_members},), got {values.shape}")
    return values, result.failed.copy()


def sweep(
    model,
    grid: Mapping,
    measure: str | Callable = "rate",
    *,
    t_end: float = 1000.0,
    transient: float | None = None,
    executor=None,
    chunk_size: int | None = None,
    progress: bool | Callable = True,
    **batch_kwargs,
) -> SweepResult:
    """Evaluate ``measure`` over the Cartesian product of ``grid`` with the batch engine.

    Parameters
    ----------
    model : model
        Any model :func:`hhdyn.batch.simulate_batch` compiles (conductance-based, FHN, ...).
    grid : mapping name → 1-D array
        Parameter values; one entry gives an F–I-type curve, two a map. Other parameters keep
        the model's values.
    measure : str or callable
        ``"rate"`` (Hz, 1000/mean ISI of the spikes after ``transient``), ``"mean_rate"`` (Hz,
        spikes after ``transient`` per second), ``"count"``, or ``f(BatchResult) -> (N,) array``
        (must be picklable when an executor is used).
    t_end : float
        Duration of each run, ms.
    transient : float, optional
        Spikes before this time (ms) are ignored by the rate measures; default 0.2·t_end.
    executor : concurrent.futures.Executor, optional
        Runs the chunks (``submit``); None runs them here.
    chunk_size : int, optional
        Members per chunk; default: the grid in ~20 chunks, at least 64 members each.
    progress : bool or callable
        tqdm bar when True (and there is more than one chunk); a callable receives
        ``(chunks_done, chunks_total)``.
    **batch_kwargs
        Passed on to :func:`~hhdyn.batch.simulate_batch` (method, dt, rtol, atol, y0, stimulus, ...).
    """
    from hhdyn.batch import member_params

    if not isinstance(grid, Mapping) or len(grid) == 0:
        raise ValueError(f"grid must map at least one parameter name to values, got {grid!r}")
    names = tuple(grid)
    axes = []
    for name in names:
        values = np.atleast_1d(np.asarray(grid[name], dtype=float))
        if values.ndim != 1:
            raise ValueError(f"grid values of {name!r} must be 1-D, got shape {values.shape}")
        if values.size == 0:
            raise ValueError(f"grid values of {name!r} are empty: nothing to sweep")
        axes.append(values)
    if isinstance(measure, str) and measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)} or pass a function")
    if not callable(measure) and not isinstance(measure, str):
        raise ValueError(f"measure must be a name or a function, got {measure!r}")
    t_end = float(t_end)
    if not (np.isfinite(t_end) and t_end > 0):
        raise ValueError(f"t_end must be a positive number of ms, got {t_end!r}")
    t_start = 0.2 * t_end if transient is None else float(transient)
    if not (0 <= t_start < t_end):
        raise ValueError(f"transient must lie in [0, t_end), got {transient!r}")
    shape = tuple(a.size for a in axes)
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = {name: m.ravel() for name, m in zip(names, mesh)}
    member_params(model, flat)  # validates every value (names, NaN, ranges) before any compiling
    n = int(np.prod(shape))
    if chunk_size is None:
        chunk_size = max(64, -(-n // 20))
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    starts = list(range(0, n, int(chunk_size)))
    chunks = [{k: v[s: s + chunk_size] for k, v in flat.items()} for s in starts]

    bar = None
    callback = progress if callable(progress) else None
    if progress is True and len(chunks) > 1:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # tqdm is optional: no bar without it
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=n, desc=f"sweep {' × '.join(names)}", unit="run")
    values = np.empty(n)
    failed = np.zeros(n, dtype=bool)

    def done(i, out):
        s = starts[i]
        values[s: s + out[0].size] = out[0]
        failed[s: s + out[0].size] = out[1]
        if bar is not None:
            bar.update(out[0].size)

    try:
        if executor is None:
            for i, chunk in enumerate(chunks):
                done(i, _run_chunk(model, chunk, t_end, batch_kwargs, measure, t_start))
                if callback:
                    callback(i + 1, len(chunks))
        else:
            from concurrent.futures import as_completed

            futures = {executor.submit(_run_chunk, model, chunk, t_end, batch_kwargs, measure, t_start): i
                       for i, chunk in enumerate(chunks)}
            for count, future in enumerate(as_completed(futures), start=1):
                done(futures[future], future.result())
                if callback:
                    callback(count, len(chunks))
    finally:
        if bar is not None:
            bar.close()
    label = MEASURES[measure][0] if isinstance(measure, str) else getattr(measure, "__name__", "measure")
    return SweepResult(
        names=names,
        axes=tuple(axes),
        values=values.reshape(shape),
        failed=failed.reshape(shape),
        measure=measure if isinstance(measure, str) else label,
        label=label,
        t_end=t_end,
        method=batch_kwargs.get("method", "dopri5"),
        model_name=getattr(model, "name", ""),
        settings={"transient": t_start, "chunk_size": int(chunk_size), **batch_kwargs},
    )
