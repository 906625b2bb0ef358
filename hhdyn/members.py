"""Per-member parameter arrays of a batch (shared by :mod:`hhdyn.batch` and :mod:`hhdyn.engine`)."""
from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = ["member_params"]


def member_params(model, params: Mapping | None, n_members: int | None = None) -> tuple[dict, int]:
    """Per-member parameter arrays: validated overrides (shape (N,)) and N.

    Every value is checked by the model itself (``model.with_params``) so that impossible values
    (negative capacitance or conductance, NaN, unknown names) raise ValueError naming the
    parameter, before anything is compiled.
    """
    params = dict(params or {})
    arrays = {}
    sizes = set()
    for name, value in params.items():
        if name not in model.params:
            raise ValueError(f"unknown parameter {name!r}; known parameters: {', '.join(model.params)}")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name!r} must be numbers, got {value!r}") from None
        if arr.ndim > 1:
            raise ValueError(f"parameter {name!r} must be a scalar or a 1-D array, got shape {arr.shape}")
        if arr.ndim == 1:
            if arr.size == 0:
                raise ValueError(f"parameter {name!r} is an empty array: nothing to simulate")
            sizes.add(arr.size)
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(f"parameter {name!r} must be finite, got {arr.flat[np.flatnonzero(bad)[0]]!r}")
        for v in np.unique(arr):
            model.with_params(**{name: float(v)})  # the model's own validation, naming the parameter
        arrays[name] = arr
    if n_members is not None:
        sizes.add(n_members)
    if len(sizes) > 1:
        raise ValueError(f"parameter arrays (and y0) must have one common length, got lengths {sorted(sizes)}")
    n = sizes.pop() if sizes else 1
    return {k: np.broadcast_to(v, (n,)).astype(float) for k, v in arrays.items()}, n
