"""Gating variables: first-order two-state kinetics with voltage-dependent rates.

A gate x ∈ [0, 1] (the fraction of its particles in the permissive state) obeys

    dx/dt = φ(T)·s·(α(V)(1 − x) − β(V)x) = (x∞(V) − x)/τ(V)

with x∞ = α/(α + β), τ = 1/(φ·s·(α + β)), the temperature factor φ(T) = Q10^((T − T_ref)/10)
and an optional rate-scale parameter s (dimensionless, > 0; 1 when the gate names none): a gate
declared with ``rate_scale="phi"`` has both rates multiplied by the model parameter ``phi``, as
Morris–Lecar's φ or Wang–Buzsáki's φ = 5 scale only the gates they are given to. Hodgkin and
Huxley measured the squid rates at T_ref = 6.3 °C and Q10 = 3.

Gates are declared either by their rates α, β (see :mod:`hhdyn.rates`) or, as many later models
are published, by x∞(V) and τ(V) (:meth:`Gate.from_inf_tau`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rates import InfTauRate, Rate

__all__ = ["Gate"]


@dataclass(frozen=True)
class Gate:
    """A gating variable with opening rate ``alpha`` and closing rate ``beta`` (1/ms at T_ref).

    Parameters
    ----------
    name : str
        The state name, e.g. ``"m"``.
    alpha, beta : Rate
        Rate functions of V (mV) with ``__call__``, ``deriv`` and ``expression``.
    q10 : float
        Temperature coefficient of both rates (3 for the squid axon; 1 for none).
    T_ref : float
        Temperature (°C) at which ``alpha`` and ``beta`` were measured.
    rate_scale : str or None
        Name of a model parameter s (dimensionless, > 0) multiplying both rates on top of the
        temperature factor, e.g. ``"phi"``; None for none (s = 1).
    """

    name: str
    alpha: Rate
    beta: Rate
    q10: float = 3.0
    T_ref: float = 6.3
    rate_scale: str | None = None

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"gate name must be an identifier, got {self.name!r}")
        if not (np.isfinite(self.q10) and self.q10 > 0):
            raise ValueError(f"gate {self.name!r}: q10 must be positive, got {self.q10!r}")
        if self.rate_scale is not None and not (isinstance(self.rate_scale, str) and self.rate_scale.isidentifier()):
            raise ValueError(f"gate {self.name!r}: rate_scale must be a parameter name (an identifier) or None, "
                             f"got {self.rate_scale!r}")

    @classmethod
    def from_inf_tau(cls, name: str, x_inf: Rate, tau: Rate, q10: float = 3.0, T_ref: float = 6.3,
                     rate_scale: str | None = None):
        """A gate given by its steady state x∞(V) (dimensionless) and time constant τ(V) (ms).

        Internally α = x∞/τ and β = (1 − x∞)/τ (:class:`hhdyn.rates.InfTauRate`), so both forms
        share one code path.
        ``x_inf`` and ``tau`` are rate-like objects (value, ``deriv``, ``expression``): for
        example ``SigmoidRate(1.0, V_half, k)`` for a Boltzmann x∞ and ``ConstantRate(5.0)``
        for a constant τ of 5 ms. With a ``rate_scale`` s the time constant is τ/s.
        """
        return cls(name, InfTauRate(x_inf, tau, opening=True), InfTauRate(x_inf, tau, opening=False), q10, T_ref,
                   rate_scale)

    def phi(self, T):
        """Temperature factor φ(T) = q10^((T − T_ref)/10) multiplying both rates."""
        return self.q10 ** ((np.asarray(T, dtype=float) - self.T_ref) / 10.0)

    def rate_factor(self, params):
        """The whole factor φ(T)·s multiplying both rates, from a mapping of parameters holding
        ``"T"`` (°C) and the gate's ``rate_scale`` parameter s (values may be arrays)."""
        factor = self.phi(params["T"])
        return factor * params[self.rate_scale] if self.rate_scale is not None else factor

    def _declared_inf_tau(self):
        """(x∞, τ) of a gate declared by them (:meth:`from_inf_tau`: α = x∞/τ, β = (1 − x∞)/τ), else None."""
        a, b = self.alpha, self.beta
        if (isinstance(a, InfTauRate) and isinstance(b, InfTauRate) and a.opening and not b.opening
                and a.x_inf is b.x_inf and a.tau is b.tau):
            return a.x_inf, a.tau
        return None

    def steady_state(self, V):
        """x∞(V) = α/(α + β) (for a gate declared by x∞ and τ: x∞ itself — equal up to rounding,
        without evaluating x∞ and τ twice each)."""
        if self._declared_inf_tau() is not None:
            return np.asarray(self.alpha.x_inf(V), dtype=float)
        a, b = self.alpha(V), self.beta(V)
        return a / (a + b)

    def kinetics(self, V, x):
        """α(V)(1 − x) − β(V)x in 1/ms at T_ref (the rate of change without φ·s); for a gate declared
        by x∞ and τ, (x∞(V) − x)/τ(V) — equal up to rounding, with x∞ and τ evaluated once each."""
        inf_tau = self._declared_inf_tau()
        if inf_tau is not None:
            return (inf_tau[0](V) - x) / inf_tau[1](V)
        return self.alpha(V) * (1.0 - x) - self.beta(V) * x

    def steady_state_deriv(self, V):
        """dx∞/dV = (α'β − αβ')/(α + β)²."""
        a, b = self.alpha(V), self.beta(V)
        da, db = self.alpha.deriv(V), self.beta.deriv(V)
        return (da * b - a * db) / (a + b) ** 2

    def time_constant(self, V, T=None, scale=1.0):
        """τ(V) = 1/(φ(T)·s·(α + β)) in ms; at T_ref when ``T`` is None; ``scale`` = s, the value
        of the gate's rate-scale parameter (1 for none)."""
        phi = 1.0 if T is None else self.phi(T)
        return 1.0 / (phi * scale * (self.alpha(V) + self.beta(V)))

    def derivative(self, V, x, T=None, scale=1.0):
        """dx/dt = φ(T)·s·(α(V)(1 − x) − β(V)x) in 1/ms (``scale`` = s as in :meth:`time_constant`)."""
        phi = 1.0 if T is None else self.phi(T)
        return phi * scale * self.kinetics(V, x)
