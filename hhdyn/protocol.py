"""The model protocol every analysis tool relies on, and a small base class implementing it.

A model is any object with

* ``state_names`` — tuple of state names, e.g. ``("V", "m", "h", "n")``;
* ``params`` — an immutable :class:`~hhdyn.params.Params` (``I_ext`` among them);
* ``with_params(**changes)`` — a new model with some parameters changed;
* ``rhs(y, params=None)`` — dy/dt for ``y`` of shape ``(n,)`` or ``(n, N)``;
* ``jacobian(y, params=None)`` — exact ∂f/∂y, shape ``(n, n)`` or ``(n, n, N)``;
* ``dfdp(y, name, params=None)`` — ∂f/∂(parameter ``name``), shape like ``y``.

``params`` arguments accept a full :class:`Params` or a mapping of overrides, so a continuation
can evaluate at a trial parameter without building a new model.

Built on the protocol, for every model: :func:`hhdyn.newton.solve_equilibria` (the one damped
Newton for f(y) = 0, one start or many) and :func:`hhdyn.newton.batch_jacobian` (Jacobians at
many states, ``Y`` (n, N) → (N, n, n)).
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np

from .params import Params

__all__ = ["ODEModel", "finite_difference_jacobian"]


class ODEModel:
    """Base class: parameter handling, ``with_params`` and finite-difference ``dfdp``.

    Subclasses set ``state_names`` and implement ``rhs`` (and ``jacobian`` for analysis tools
    that need it), and may override :meth:`_validate` to reject impossible parameter values.
    """

    state_names: tuple[str, ...] = ()
    name: str = "model"

    def __init__(self, params: Mapping):
        self._params = Params(params)
        self._validate(self._params)

    @property
    def params(self) -> Params:
        """The model's parameters (immutable)."""
        return self._params

    @property
    def n_states(self) -> int:
        return len(self.state_names)

    def with_params(self, **changes) -> "ODEModel":
        """A copy of the model with the named parameters changed (unknown names: ValueError)."""
        new_params = self._params.replace(**changes)
        self._validate(new_params)
        new = copy.copy(self)
        new._params = new_params
        return new

    def _validate(self, params: Params) -> None:
        """Raise ValueError naming a parameter whose value is impossible."""

    def _resolve(self, params) -> Params:
        if params is None:
            return self._params
        if isinstance(params, Params) and params.keys() == self._params.keys():
            return params
        return self._params.replace(**params)

    def state_index(self, name: str) -> int:
        """Position of state ``name`` in ``y``; ValueError naming the valid ones otherwise."""
        try:
            return self.state_names.index(name)
        except ValueError:
            raise ValueError(
                f"{name!r} is not a state of {self.name}; states are {', '.join(self.state_names)}"
            ) from None

    def check_state(self, y0) -> np.ndarray:
        """A user-given initial state as a float array of shape (n_states,); ValueError naming
        the expected shape, or the first non-finite entry, otherwise. Models refine it (a
        :class:`~hhdyn.model.ConductanceModel` also refuses gate values outside [0, 1])."""
        y0 = np.asarray(y0, dtype=float)
        if y0.shape != (self.n_states,):
            raise ValueError(f"y0 must have shape ({self.n_states},) for states {self.state_names}, got {y0.shape}")
        bad = np.flatnonzero(~np.isfinite(y0))
        if bad.size:
            raise ValueError(f"y0 must be finite, got {self.state_names[bad[0]]} = {y0[bad[0]]}")
        return y0

    def _check_shape(self, y) -> np.ndarray:
        """``y`` as floats, ValueError unless its shape is (n,) or (n, ...) for the n states."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 0 or y.shape[0] != self.n_states:
            raise ValueError(f"the state must have shape ({self.n_states},) or ({self.n_states}, N) for states "
                             f"{self.state_names}, got shape {y.shape}")
        return y

    def rhs(self, y, params=None):
        raise NotImplementedError

    def dfdp(self, y, name: str, params=None):
        """∂f/∂p by a central difference with step 1e-6·max(1, |p|) (subclasses do better)."""
        p = self._resolve(params)
        if name not in p:
            raise ValueError(f"unknown parameter {name!r}; known parameters: {', '.join(p)}")
        h = 1e-6 * max(1.0, abs(p[name]))
        up = self.rhs(y, p.replace(**{name: p[name] + h}))
        down = self.rhs(y, p.replace(**{name: p[name] - h}))
        return (up - down) / (2.0 * h)

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r} states={self.state_names} {self._params!r}>"


def finite_difference_jacobian(model, y, params=None, rel_step: float = 1e-6) -> np.ndarray:
    """Central-difference ∂f/∂y of ``model.rhs`` at one state ``y`` (shape ``(n,)``).

    The step for component i is ``rel_step·max(1, |y_i|)``. Used to check analytic Jacobians
    and for user models that have none.
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    J = np.empty((n, n))
    for i in range(n):
        h = rel_step * max(1.0, abs(y[i]))
        e = np.zeros(n)
        e[i] = h
        J[:, i] = (model.rhs(y + e, params) - model.rhs(y - e, params)) / (2.0 * h)
    return J
