"""Derived systems of a model, as model-like objects that :func:`hhdyn.simulate` integrates.

Each wrapper answers the part of the model protocol that the integration loop uses
(``state_names``, ``n_states``, ``name``, ``params``, ``rhs(y, params=None)`` and, where the
model has one, ``jacobian``), so that every derived equation runs through the one loop:

* :class:`Reversed` — time reversed, dy/ds = −f(y) with s = −t (backward orbits);
* :class:`Stacked` — K copies of the model as one system of n·K states (one vectorized
  ``rhs`` call per step for K orbits);
* :class:`Variational` — the orbit with its fundamental matrix, x' = f(x), Φ' = f_x(x) Φ
  (n + n² states; Φ(t, 0) from Φ(0) = I, e.g. the monodromy matrix Φ(T, 0));
* :class:`AdjointAlong` — the adjoint equation Z' = −f_x(x(t))ᵀ Z along a given solution
  x(t), made autonomous by carrying t as a state (n + 1 states).
  ``Reversed(AdjointAlong(model, orbit))`` is the backward adjoint sweep: in s = T − t,
  (t, Z)' = (−1, f_x(x(t))ᵀ Z).

Units are the model's: states as the model's, t (and s) in ms for conductance-based models.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Reversed", "Stacked", "Variational", "AdjointAlong"]


class _Derived:
    """Common attributes: the wrapped model's parameters, a name saying what was derived."""

    def __init__(self, model, state_names, label: str):
        self.model = model
        self.state_names = tuple(state_names)
        self.n_states = len(self.state_names)
        self.name = f"{model.name} ({label})"
        self.params = model.params


class Reversed(_Derived):
    """The model with time reversed: dy/ds = −f(y), s = −t; the Jacobian is −f_y."""

    def __init__(self, model):
        super().__init__(model, model.state_names, "backward in time")
        if hasattr(model, "jacobian"):
            self.jacobian = lambda y, params=None: -model.jacobian(y, params)

    def rhs(self, y, params=None):
        return -self.model.rhs(y, params)


class Stacked(_Derived):
    """K copies of a model as one system of n·K states (y[a·K + k] is state a of copy k), so
    that one vectorized ``rhs`` call per step serves every orbit. Its Jacobian is block
    diagonal (one n×n block per copy, interleaved as the states are)."""

    def __init__(self, model, K: int):
        K = int(K)
        if K < 1:
            raise ValueError(f"K (the number of copies) must be a positive integer, got {K!r}")
        super().__init__(model, (f"{name}[{k}]" for name in model.state_names for k in range(K)), f"×{K}")
        self.K = K
        if hasattr(model, "jacobian"):
            self.jacobian = self._jacobian

    def rhs(self, Y, params=None):
        return self.model.rhs(Y.reshape(self.model.n_states, self.K), params).ravel()

    def _jacobian(self, Y, params=None):
        n, K = self.model.n_states, self.K
        J = self.model.jacobian(Y.reshape(n, K), params)
        out = np.zeros((n * K, n * K))
        idx = np.arange(K)
        for a in range(n):
            for b in range(n):
                out[a * K + idx, b * K + idx] = J[a, b]
        return out


class Variational(_Derived):
    """The flow with its variational equation: z = (x, vec Φ) (Φ row-major), with

        dx/dt = f(x),    dΦ/dt = f_x(x) Φ,

    so that from (x0, I) the state at t holds x(t) and Φ(t, 0) = ∂x(t)/∂x0 (n + n² states).
    Needs the model's analytic ``jacobian``; :meth:`split` unpacks a state."""

    def __init__(self, model):
        if not hasattr(model, "jacobian"):
            raise ValueError(f"{model.name} has no jacobian(): the variational equation needs f_x")
        n = model.n_states
        names = tuple(model.state_names) + tuple(f"Phi[{a},{b}]" for a in range(n) for b in range(n))
        super().__init__(model, names, "with variations")

    def initial(self, x0) -> np.ndarray:
        """(x0, I) flattened: the start of Φ(t, 0)."""
        x0 = np.asarray(x0, dtype=float)
        return np.concatenate([x0, np.eye(x0.size).ravel()])

    def split(self, z):
        """(x, Φ) from a state z."""
        n = self.model.n_states
        return z[:n], np.reshape(z[n:], (n, n))

    def rhs(self, z, params=None):
        x, Phi = self.split(z)
        return np.concatenate([self.model.rhs(x, params), (self.model.jacobian(x, params) @ Phi).ravel()])


class AdjointAlong(_Derived):
    """The adjoint of the variational equation along a given solution x(t) of the model, made
    autonomous by carrying the time as a state: z = (t, Z), with

        dt/dt = 1,    dZ/dt = −f_x(x(t))ᵀ Z

    (n + 1 states; ``orbit(t)`` → x(t), e.g. a dense output; Z·δx is conserved along δx' = f_x δx).
    Integrate it backward in time — the direction in which the adjoint of a stable orbit is
    stable — as ``Reversed(AdjointAlong(model, orbit))`` from (T, Z(T)): in s = T − t,
    (t, Z)' = (−1, f_x(x(t))ᵀ Z). The orbit is read, not integrated along: integrating x
    backward as well would amplify its errors by 1/|μ| for every Floquet multiplier μ (HH's
    fastest is ~1e-17). Needs the model's analytic ``jacobian``."""

    def __init__(self, model, orbit):
        if not hasattr(model, "jacobian"):
            raise ValueError(f"{model.name} has no jacobian(): the adjoint equation needs f_x")
        if not callable(orbit):
            raise ValueError(f"orbit must be a callable t -> x(t) (e.g. a dense output), got {orbit!r}")
        names = ("t",) + tuple(f"Z_{name}" for name in model.state_names)
        super().__init__(model, names, "adjoint along an orbit")
        self.orbit = orbit

    def rhs(self, z, params=None):
        x = self.orbit(z[0])
        return np.concatenate([[1.0], -self.model.jacobian(x, params).T @ z[1:]])
