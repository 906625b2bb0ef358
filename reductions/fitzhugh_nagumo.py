"""The FitzHugh–Nagumo model, the geometric caricature of the HH reductions."""
from __future__ import annotations

import numpy as np

from hhdyn.engine.expressions import Equations
from hhdyn.protocol import ODEModel

__all__ = ["FitzHughNagumo"]

#: The equations, written once: ``FitzHughNagumo.rhs``/``jacobian`` evaluate these strings with
#: NumPy and the compiled engine (:mod:`hhdyn.engine`) pastes them into its kernels.
EQUATIONS = Equations(
    state_names=("v", "w"),
    param_names=("a", "b", "eps", "I_ext"),
    rhs={"v": "v - v*v*v/3.0 - w + I_ext", "w": "eps*(v + a - b*w)"},
    jacobian={("v", "v"): "1.0 - v*v", ("v", "w"): "-1.0", ("w", "v"): "eps", ("w", "w"): "-eps*b"},
)


class FitzHughNagumo(ODEModel):
    """FitzHugh–Nagumo model (dimensionless)

        dv/dt = v − v³/3 − w + I_ext
        dw/dt = eps·(v + a − b·w)

    with the classical values a = 0.7, b = 0.8, eps = 0.08. Its equilibria solve the cubic
    −v³/3 + (1 − 1/b)v + I_ext − a/b = 0 with w = (v + a)/b.
    """

    state_names = ("v", "w")

    def __init__(self, a: float = 0.7, b: float = 0.8, eps: float = 0.08, I_ext: float = 0.0):
        self.name = "FitzHugh-Nagumo"
        super().__init__({"a": a, "b": b, "eps": eps, "I_ext": I_ext})

    def _validate(self, p):
        if p["eps"] <= 0:
            raise ValueError(f"parameter 'eps' must be > 0, got {p['eps']}")
        if p["b"] == 0:
            raise ValueError("parameter 'b' must be non-zero")

    @classmethod
    def engine_equations(cls) -> Equations:
        """The right-hand side and Jacobian as expression strings (the one source of both)."""
        return EQUATIONS

    def rhs(self, y, params=None):
        """(v − v³/3 − w + I_ext, eps·(v + a − b·w)), evaluated from :data:`EQUATIONS`."""
        return EQUATIONS.rhs_values(y, self._resolve(params))

    def jacobian(self, y, params=None):
        """[[1 − v², −1], [eps, −eps·b]], evaluated from :data:`EQUATIONS`."""
        return EQUATIONS.jacobian_values(y, self._resolve(params))

    def dfdp(self, y, name, params=None):
        p = self._resolve(params)
        y = np.asarray(y, dtype=float)
        v, w = y
        zero = np.zeros_like(v)
        derivs = {
            "I_ext": (zero + 1.0, zero),
            "a": (zero, zero + p["eps"]),
            "b": (zero, -p["eps"] * w),
            "eps": (zero, v + p["a"] - p["b"] * w),
        }
        if name not in derivs:
            raise ValueError(f"unknown parameter {name!r}; known parameters: {', '.join(p)}")
        return np.stack(derivs[name])

    def equilibria(self, params=None) -> np.ndarray:
        """All equilibria, shape (k, 2), sorted by v: real roots of the cubic, Newton-polished."""
        p = self._resolve(params)
        a, b, I = p["a"], p["b"], p["I_ext"]
        roots = np.roots([-1.0 / 3.0, 0.0, 1.0 - 1.0 / b, I - a / b])
        scale = max(1.0, np.max(np.abs(roots)))
        real = np.sort(roots[np.abs(roots.imag) <= 1e-7 * scale].real)
        for _ in range(3):  # Newton polish on the cubic
            g = -real**3 / 3.0 + (1.0 - 1.0 / b) * real + I - a / b
            dg = -real**2 + (1.0 - 1.0 / b)
            real = real - np.where(dg != 0, g / np.where(dg != 0, dg, 1.0), 0.0)
        real = np.unique(np.round(real, 12))
        return np.column_stack([real, (real + a) / b])

    def resting_state(self, params=None) -> np.ndarray:
        """The stable equilibrium with the lowest v (else the lowest-v equilibrium)."""
        p = self._resolve(params)
        eq = self.equilibria(p)
        for state in eq:
            if np.all(np.linalg.eigvals(self.jacobian(state, p)).real < 0):
                return state
        return eq[0]
