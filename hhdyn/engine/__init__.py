"""The compiled simulation engine: numba kernels generated from each model's declaration.

>>> from hhdyn.engine import compiled
>>> kernels = compiled(HodgkinHuxley())      # generated, cached on disk, imported once

See :mod:`hhdyn.engine.declare` (model → equations as source lines), :mod:`hhdyn.engine.codegen`
(kernels: batch RHS, RK4, Rush–Larsen, Dormand–Prince 5(4) with spike detection and recording)
and :mod:`hhdyn.engine.mathlib` (the vectorizable exp and rate shapes). The user-facing entry
point is :func:`hhdyn.batch.simulate_batch`.
"""
from __future__ import annotations

from .codegen import BLOCK, ENGINE_VERSION, STATUS, cache_dir, kernels_for
from .declare import Declaration, UnsupportedModelError, coefficient_matrix, declare, register

__all__ = [
    "compiled",
    "declare",
    "register",
    "Declaration",
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
