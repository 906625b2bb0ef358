"""The result contract: what every result of ``hhdyn``, ``reductions`` and ``analysis`` offers.

Every computation returns a small (usually frozen) dataclass. Each one derives from
:class:`Result` and so has, written once here:

``plot(ax=None)``
    Draws onto a matplotlib Axes (created when None) and returns it. A result that needs
    several panels accepts a Figure or a sequence of Axes instead and returns the sequence of
    Axes it drew on; its docstring says so.
``columns()``
    Its table: an ordered mapping column name → 1-D array, all of one length. Names carry
    their units (``t_ms``, ``V_mV``, ``I_ext_uA_per_cm2``; dimensionless gates bare, ``m``).
``to_csv(path)``
    Writes :meth:`Result.columns` atomically (:func:`hhdyn.io.atomic_path`). Floats are
    written with ``repr`` so the numbers read back exactly (``nan``, ``inf`` included);
    :func:`read_csv` reads such a file back.
``to_dataframe()``
    :meth:`Result.columns` as a pandas DataFrame (the optional ``tables`` extra).
``grid()`` / ``to_xarray()``
    Results on a grid (sweeps, batches, cables) also describe themselves as named arrays with
    dimensions and units (:class:`Grid`); ``to_xarray`` makes that an ``xarray.Dataset`` whose
    variables carry ``units`` and ``long_name`` attributes (the ``tables`` extra).
``to_dict()`` / ``to_json(path=None)``
    Plain JSON data built from the dataclass fields (minus those named in ``_unexported``,
    e.g. the model object) and the ``status``/``message`` of results that have them, by
    :func:`jsonable`: arrays become (nested) lists, complex numbers ``[re, im]`` pairs, and
    **every non-finite float (NaN, ±inf) becomes ``null``** — JSON has no NaN — the same
    convention as the continuation branches. ``to_json`` returns the text and, given a path,
    also writes it atomically.
``status`` / ``message``
    On every result whose computation can end early: an ``int`` (0 = ran to completion,
    > 0 = stopped early for a stated reason, < 0 = failed, as in ``scipy.integrate.solve_ivp``)
    and one human sentence.

Sub-records that only appear inside a result (a :class:`~analysis.equilibria.Fold`, one row of
a comparison) derive from :class:`Record`: ``to_dict``/``to_json`` only.

Adding a result:

1. a frozen dataclass deriving from :class:`Result`, its numbers as fields;
2. ``columns()`` returning its table with unit-carrying names (:func:`column_name` helps);
3. ``plot(self, ax=None)`` starting with ``ax = new_axes(ax)`` (or :func:`panel_axes`) and
   returning the Axes;
4. ``_unexported = ("model", ...)`` for fields that are not data, ``_exported_properties`` for
   derived numbers worth keeping in ``to_dict``;
5. ``status``/``message`` (fields or properties) if the computation can stop early;
6. for gridded results, ``grid()`` returning a :class:`Grid` (``to_xarray`` then works);
7. a case in ``tests/test_result_contract.py``.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar, Union

import numpy as np

from .io import atomic_path
from .units import unit_of

__all__ = ["Record", "Result", "Variable", "Grid", "optional_import", "jsonable", "nan_from_none", "write_json",
           "write_csv", "read_csv", "column_name", "new_axes", "panel_axes"]

#: A file path as the writers accept it.
PathLike = Union[str, "os.PathLike[str]"]

_ASCII_UNITS = {"µA/cm²": "uA_per_cm2", "mS/cm²": "mS_per_cm2", "µF/cm²": "uF_per_cm2", "°C": "degC"}


def optional_import(module: str, feature: str, extra: str = "tables") -> ModuleType:
    """Import the optional dependency ``module`` for ``feature``, or raise an ImportError that
    names the extra to install (``pip install "hhdyn[tables]"``)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{feature} needs the optional package {module!r}: "
                          f'pip install "hhdyn[{extra}]" (or pip install {module})') from None


@dataclass(frozen=True)
class Variable:
    """One named array of a gridded result.

    ``dims`` names its axes (one per dimension of ``values``), ``unit`` is its unit in the
    workbench's conventions (``"mV"``, ``"ms"``, ``"µA/cm²"``, ``"Hz"``; ``""`` when
    dimensionless) and ``long_name`` says what it is.
    """

    dims: tuple[str, ...]
    values: Any
    unit: str = ""
    long_name: str = ""

    def __post_init__(self) -> None:
        values = np.asarray(self.values)
        if values.ndim != len(self.dims):
            raise ValueError(f"a variable with dims {self.dims} needs {len(self.dims)}-dimensional values, "
                             f"got shape {values.shape}")
        object.__setattr__(self, "dims", tuple(self.dims))
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Grid:
    """A gridded result as named arrays: ``coords`` (the axes: parameters, time, compartments),
    ``data`` (the measured arrays over them) and ``attrs`` (scalars: method, model name,
    status, message). Every dimension a data variable uses should have a coordinate."""

    coords: dict[str, Variable]
    data: dict[str, Variable]
    attrs: dict[str, Any] = field(default_factory=dict)


def column_name(name: str, unit: str | None = None) -> str:
    """A CSV column name carrying its unit: ``name_unit`` in ASCII, bare when dimensionless.

    ``unit`` defaults to :func:`hhdyn.units.unit_of` ``(name)``.

    >>> column_name("V"), column_name("n"), column_name("I_ext"), column_name("gK")
    ('V_mV', 'n', 'I_ext_uA_per_cm2', 'gK_mS_per_cm2')
    """
    unit = unit_of(name) if unit is None else unit
    if not unit:
        return name
    return f"{name}_{_ASCII_UNITS.get(unit, unit)}"


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (see the module docstring for the conventions).

    Results and records become their :meth:`~Record.to_dict`; other dataclasses a dict of their
    fields; mappings dicts with string keys; arrays, tuples and lists lists; NaN and ±inf
    ``None``; anything else (a callable inside a stimulus, say) its ``repr`` text. Fields that
    are not data at all (the model object) are left out by the results (``_unexported``).
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (complex, np.complexfloating)):
        return [jsonable(value.real), jsonable(value.imag)]
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return [jsonable(v) for v in value.tolist()]
        return jsonable(value.tolist())
    if isinstance(value, Record):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    return repr(value)


def nan_from_none(value: Any) -> Any:
    """Undo the NaN convention of :func:`jsonable`: ``None`` → NaN, recursively in lists.

    >>> nan_from_none([1.0, None, [None, 2.0]])
    [1.0, nan, [nan, 2.0]]
    """
    if value is None:
        return math.nan
    if isinstance(value, list):
        return [nan_from_none(v) for v in value]
    return value


def write_json(data: Any, path: PathLike | None = None) -> str:
    """``json.dumps`` of :func:`jsonable` ``(data)`` (strict JSON); written atomically to ``path`` if given."""
    text = json.dumps(jsonable(data), indent=1, allow_nan=False)
    if path is not None:
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return text


def _cell(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value


def write_csv(path: PathLike, columns: Mapping) -> None:
    """Write ``columns`` (name → 1-D sequence, all of one length) as CSV, atomically.

    Floats are written with ``repr`` (exact round trip; ``nan``/``inf`` as such), integers and
    booleans as integers (booleans 0/1), anything else as its ``str``.
    """
    names = [str(n) for n in columns]
    values = [np.asarray(v) for v in columns.values()]
    for name, v in zip(names, values):
        if v.ndim != 1:
            raise ValueError(f"column {name!r} must be one-dimensional, got shape {v.shape}")
    lengths = {v.shape[0] for v in values}
    if len(lengths) > 1:
        detail = ", ".join(f"{n}: {v.shape[0]}" for n, v in zip(names, values))
        raise ValueError(f"all columns must have the same length, got {detail}")
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in zip(*(v.tolist() for v in values)):
            writer.writerow([_cell(c) for c in row])


def read_csv(path: PathLike) -> dict[str, np.ndarray]:
    """Read a CSV written by :func:`write_csv` (or any result's ``to_csv``): name → ndarray,
    float where every non-empty cell parses as a number (empty cells, a column another branch
    of a diagram lacks, read as NaN), else str."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise ValueError(f"{str(path)!r} is empty; expected a header row")
    header, body = rows[0], rows[1:]
    out = {}
    for j, name in enumerate(header):
        cells = [r[j] if j < len(r) else "" for r in body]
        try:
            values = [float(c) if c != "" else math.nan for c in cells]
        except ValueError:
            out[name] = np.array(cells, dtype=str)
            continue
        out[name] = np.array(values, dtype=float) if any(c != "" for c in cells) or not cells else \
            np.array(cells, dtype=str)
    return out


class Record:
    """A plain-data part of a result: ``to_dict()`` from the dataclass fields, ``to_json()``.

    Subclasses list fields that are not data (models, callables) in ``_unexported``.
    """

    #: Dataclass fields left out of :meth:`to_dict` (models, morphologies, callables).
    _unexported: ClassVar[tuple] = ()
    #: Properties added to :meth:`to_dict` besides the fields.
    _exported_properties: ClassVar[tuple] = ()

    def to_dict(self) -> dict:
        """The fields (and ``status``/``message`` when present) as JSON-ready data."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]  # every Record subclass is a dataclass
        data = {f.name: getattr(self, f.name) for f in fields if f.name not in self._unexported}
        for name in ("status", "message", *self._exported_properties):
            if name not in data and hasattr(type(self), name):
                data[name] = getattr(self, name)
        return jsonable(data)

    def to_json(self, path: PathLike | None = None) -> str:
        """:meth:`to_dict` as JSON text; also written atomically to ``path`` when given."""
        return write_json(self.to_dict(), path)


class Result(Record):
    """Base of every result: ``plot``, ``columns``/``to_csv``/``to_dataframe``, ``to_dict``/``to_json``,
    and for gridded results ``grid``/``to_xarray``."""

    def columns(self) -> dict:
        """The result's table: column name (with unit) → 1-D array."""
        raise NotImplementedError(f"{type(self).__name__} does not define columns()")

    def to_csv(self, path: PathLike) -> None:
        """Write :meth:`columns` as CSV atomically (see :func:`write_csv`)."""
        write_csv(path, self.columns())

    def to_dataframe(self) -> Any:
        """:meth:`columns` as a ``pandas.DataFrame``: the same column names (with their units) and
        the same numbers. Needs pandas (``pip install "hhdyn[tables]"``)."""
        pd = optional_import("pandas", "to_dataframe")
        return pd.DataFrame({name: np.asarray(values) for name, values in self.columns().items()})

    def grid(self) -> Grid:
        """The result as named arrays over its dimensions (a :class:`Grid`); gridded results only."""
        raise NotImplementedError(f"{type(self).__name__} is a table, not a grid: use columns() or to_dataframe()")

    def to_xarray(self) -> Any:
        """:meth:`grid` as an ``xarray.Dataset``: coordinates and data variables with ``units`` and
        ``long_name`` attributes, the grid's ``attrs`` as the dataset's. Needs xarray
        (``pip install "hhdyn[tables]"``)."""
        xr = optional_import("xarray", "to_xarray")
        g = self.grid()

        def entry(v: Variable) -> tuple:
            return (v.dims, v.values, {"units": v.unit, "long_name": v.long_name})

        attrs = {k: (jsonable(v) if not isinstance(v, (int, float, str)) else v) for k, v in g.attrs.items()}
        return xr.Dataset({k: entry(v) for k, v in g.data.items()},
                          coords={k: entry(v) for k, v in g.coords.items()}, attrs=attrs)

    def plot(self, ax: Any = None) -> Any:
        """Draw the result on ``ax`` (created if None) and return the Axes."""
        raise NotImplementedError(f"{type(self).__name__} does not define plot()")


def new_axes(ax: Any = None, figsize: tuple[float, float] = (6, 4)) -> Any:
    """``ax``, or the Axes of a new constrained-layout figure of ``figsize`` when None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def panel_axes(ax: Any, n: int, figsize: tuple[float, float] = (12, 4.5), **subplot_kw: Any) -> list:
    """``n`` Axes for a multi-panel plot: new figure (``ax=None``), new panels on a given Figure,
    or the given sequence of ``n`` Axes (``subplot_kw`` then unused). ValueError otherwise."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if ax is None:
        _, axes = plt.subplots(1, n, figsize=figsize, layout="constrained", squeeze=False, **subplot_kw)
        return list(axes[0])
    if isinstance(ax, Figure):
        axes = ax.subplots(1, n, squeeze=False, **subplot_kw)
        return list(axes[0])
    axes = list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n:
        raise ValueError(f"this plot needs {n} Axes, got {len(axes)}; pass a Figure, {n} Axes or None")
    return axes

