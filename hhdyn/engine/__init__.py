"""The compiled simulation engine: numba kernels generated from each model's declaration.

>>> from hhdyn.engine import compiled, compiled_jacobian
>>> kernels = compiled(HodgkinHuxley())      # generated, cached on disk, imported once
>>> jac = compiled_jacobian(HodgkinHuxley())
>>> J = jac(Y, {"I_ext": I})                 # exact ∂f/∂y, (n, n, N) for Y of shape (n, N)

See :mod:`hhdyn.engine.declare` (model → equations as source lines), :mod:`hhdyn.engine.codegen`
(kernels: batch RHS and Jacobian, RK4, Rush–Larsen, Dormand–Prince 5(4) with spike detection and
recording; one kernel per method, with or without a stimulus), :mod:`hhdyn.engine.blocks`
(blocks of members on a thread pool), :mod:`hhdyn.engine.expressions` (equations as expression
strings, for models that are not conductance-based) and :mod:`hhdyn.engine.mathlib` (the
vectorizable exp and rate shapes). The user-facing entry point is :func:`hhdyn.batch.simulate_batch`.
"""
from __future__ import annotations

import numpy as np

from ..members import member_params
from .codegen import BLOCK, ENGINE_VERSION, STATUS, cache_dir, kernels_for
from .declare import Declaration, UnsupportedModelError, coefficient_matrix, declare, register
from .expressions import Equations

__all__ = [
    "compiled",
    "compiled_rhs",
    "compiled_jacobian",
    "CompiledFunction",
    "declare",
    "register",
    "Declaration",
    "Equations",
    "UnsupportedModelError",
    "coefficient_matrix",
    "cache_dir",
    "kernels_for",
    "STATUS",
    "BLOCK",
    "ENGINE_VERSION",
]


def compiled(model):
    """The kernel module for ``model``'s structure (shared by all models of that structure)."""
    return kernels_for(declare(model))


class CompiledFunction:
    """dy/dt or ∂f/∂y of one model evaluated by its generated kernel, batched over members.

    ``f(Y, params=None)``: ``Y`` of shape (n,) or (n, N); ``params`` a mapping of parameter
    overrides, each a scalar or an array of shape (N,) (validated by the model, like
    :func:`hhdyn.simulate_batch`). Returns (n,) / (n, N) for the right-hand side and
    (n, n) / (n, n, N) for the Jacobian, equal to ``model.rhs`` / ``model.jacobian``.
    """

    def __init__(self, model, kind: str):
        if kind not in ("rhs", "jacobian"):
            raise ValueError(f"kind must be 'rhs' or 'jacobian', got {kind!r}")
        decl = declare(model)
        if kind == "jacobian" and decl.jacobian is None:
            raise UnsupportedModelError(f"{decl.name}: the engine declaration has no Jacobian")
        self.model = model
        self.kind = kind
        self._decl = decl
        self._kernel = getattr(kernels_for(decl), "jac_batch" if kind == "jacobian" else "rhs_batch")
        self._base = {k: float(v) for k, v in model.params.items()}

    def __repr__(self):
        return f"CompiledFunction({self._decl.name!r}, kind={self.kind!r})"

    def __call__(self, Y, params=None):
        Y = np.asarray(Y, dtype=float)
        n = len(self._decl.state_names)
        if Y.ndim not in (1, 2) or Y.shape[0] != n:
            raise ValueError(f"Y must have shape ({n},) or ({n}, N) for states {self._decl.state_names}, "
                             f"got {Y.shape}")
        Y2 = np.ascontiguousarray(Y.reshape(n, -1))
        N = Y2.shape[1]
        overrides, _ = member_params(self.model, params, N) if params else ({}, N)
        values = {k: np.full(N, v) for k, v in self._base.items()}
        values.update(overrides)
        K = coefficient_matrix(self._decl, values)
        out = np.empty((n, n, N) if self.kind == "jacobian" else (n, N))
        self._kernel(Y2, K, np.zeros(N), out)
        return out[..., 0] if Y.ndim == 1 else out


def compiled_rhs(model) -> CompiledFunction:
    """The generated right-hand side of ``model``: ``f(Y, params=None) -> dY/dt`` (see
    :class:`CompiledFunction`)."""
    return CompiledFunction(model, "rhs")


def compiled_jacobian(model) -> CompiledFunction:
    """The generated exact Jacobian of ``model``: ``J(Y, params=None) -> ∂f/∂y`` (see
    :class:`CompiledFunction`)."""
    return CompiledFunction(model, "jacobian")
