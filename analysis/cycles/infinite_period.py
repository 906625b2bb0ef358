"""The end of a cycle branch at infinite period: SNIC or saddle homoclinic (HOM).

As a branch of periodic orbits approaches an orbit of infinite period, the orbit spends most of
its period near one equilibrium x*. :func:`infinite_period_end` names that end from the last
orbit of the branch:

1. the orbit point of slowest speed |f(x)| is the place where the time is spent;
2. **HOM** — Newton's method at the last parameter value converges from it to a nearby
   hyperbolic saddle (real eigenvalues λᵤ > 0 > λₛ) whose unstable time 1/λᵤ is short
   against the period (λᵤ·T ≥ 20). Near a saddle homoclinic orbit at p_hom the period grows
   logarithmically (Shilnikov)

       T ≈ −ln|p − p_hom| / λᵤ + c   ⇔   |p − p_hom| = C·exp(−λᵤ·T),

   fitted on the last branch points for (p_hom, C) (λᵤ from the saddle's Jacobian) and, for a
   check, with λᵤ free (``lambda_u_fit``);
3. **SNIC** — otherwise the orbit passes through the ghost of a saddle-node: the point on the
   equilibrium curve f(x, p) = 0 nearest to the slow point (Moore–Penrose Newton, the core's
   :func:`~analysis.continuation.core.moore_penrose`) is continued (``continue_equilibria``)
   through its fold LP (f = 0, det f_x = 0, located to ~1e-10). Near a saddle-node on an
   invariant circle at p_SN the period grows like

       T ≈ π / √(a·|p − p_SN|)    (a: the normal form ẋ = a·(p − p_SN)/… + x²'s scale),

   checked by the exponent of the log–log fit log T = log A + e·log|p − p_SN| (e → −½) and
   a = (π/A)².

Units: p in the parameter's units (µA/cm² for I_ext), T and 1/λ in the model's time unit (ms).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["InfinitePeriodEnd", "infinite_period_end", "slowest_point", "fit_snic_law", "fit_homoclinic_law"]

#: a saddle's unstable time 1/λᵤ must be this many times shorter than the period for "HOM"
SADDLE_TIMES = 20.0


@dataclass(frozen=True)
class InfinitePeriodEnd:
    """How a cycle branch ends at infinite period.

    ``kind`` "SNIC" or "HOM"; ``param`` the end value p_SN (the located LP of the equilibria)
    or p_hom (the fitted limit); ``state`` the saddle-node or saddle; ``eigenvalues`` of its
    Jacobian; ``law``: for SNIC ``{"a", "exponent", "A"}`` (T ≈ A·|p − p_SN|^exponent, a =
    (π/A)²), for HOM ``{"lambda_u", "lambda_u_fit", "C"}`` (|p − p_hom| = C·exp(−λᵤT));
    ``distance`` = |p_last − param|; ``n_fit`` the number of branch points fitted.
    """

    kind: str
    param: float
    state: np.ndarray
    eigenvalues: np.ndarray
    law: dict = field(default_factory=dict)
    distance: float = math.nan
    n_fit: int = 0

    def describe(self, name: str) -> str:
        """One sentence for a branch message."""
        if self.kind == "SNIC":
            return (f"the orbit approaches a saddle-node on an invariant circle (SNIC: an orbit homoclinic to "
                    f"the saddle-node) at the fold of the "
                    f"equilibria {name}={self.param:.8g}: T ≈ π/√(a·|{name} − {self.param:.8g}|) with "
                    f"a={self.law['a']:.4g} (fitted exponent {self.law['exponent']:.4f})")
        return (f"the orbit approaches a saddle homoclinic orbit (HOM) at {name}={self.param:.8g}: "
                f"T ≈ −ln|{name} − {self.param:.8g}|/λᵤ with λᵤ={self.law['lambda_u']:.4g} "
                f"(fitted {self.law['lambda_u_fit']:.4g})")


def slowest_point(model, param, p, U) -> np.ndarray:
    """The node of orbit profile ``U`` (N, n) where the speed |f(x, p)| is smallest."""
    F = np.asarray(model.rhs(np.asarray(U, float).T, {param: float(p)}), dtype=float)
    return np.asarray(U[int(np.argmin(np.linalg.norm(F, axis=0)))], dtype=float).copy()


def fit_snic_law(p, T, p_sn) -> dict:
    """Least-squares fit log T = log A + e·log|p − p_SN|; returns {"exponent": e, "A", "a": (π/A)²}."""
    d = np.abs(np.asarray(p, float) - p_sn)
    ok = d > 0
    if ok.sum() < 2:
        raise ValueError("fit_snic_law: need two branch points away from p_SN")
    e, logA = np.polyfit(np.log(d[ok]), np.log(np.asarray(T, float)[ok]), 1)
    A = float(np.exp(logA))
    # a from the leading law with the exponent held at −1/2 (T·√d = π/√a)
    c = float(np.median(np.asarray(T, float)[ok] * np.sqrt(d[ok])))
    return {"exponent": float(e), "A": A, "a": (math.pi / c) ** 2}


def fit_homoclinic_law(p, T, lambda_u) -> dict:
    """Fit |p − p_hom| = C·exp(−λ·T) on the branch points whose distance to the last one lies
    between 1e-7·(1 + |p|) (above the corrector's noise) and 0.1·(1 + |p|): the slope of
    ln|p − p_last| against T gives ``lambda_u_fit``; with λᵤ (from the saddle) held, the
    intercept gives C and p_hom = p_last − sign·C·exp(−λᵤ·T_last).
    Returns {"p_hom", "C", "lambda_u", "lambda_u_fit"} (NaN fit with fewer than 3 usable points)."""
    p = np.asarray(p, float)
    T = np.asarray(T, float)
    p_last, T_last = float(p[-1]), float(T[-1])
    d = np.abs(p - p_last)
    ok = (d > 1e-7 * (1.0 + abs(p_last))) & (d < 0.1 * (1.0 + abs(p_last)))
    if ok.sum() < 3:
        return {"p_hom": p_last, "C": math.nan, "lambda_u": float(lambda_u), "lambda_u_fit": math.nan}
    slope, _ = np.polyfit(T[ok], np.log(d[ok]), 1)
    logC = float(np.mean(np.log(d[ok]) + lambda_u * T[ok]))
    sign = float(np.sign(np.median(p[ok] - p_last)))
    p_hom = p_last - sign * math.exp(logC - lambda_u * T_last)
    return {"p_hom": float(p_hom), "C": math.exp(logC), "lambda_u": float(lambda_u), "lambda_u_fit": float(-slope)}


def _near(x, y, scale) -> bool:
    return bool(np.all(np.abs(np.asarray(x) - np.asarray(y)) <= 0.05 * scale))


def _saddle_at(model, param, p, x_slow, scale):
    """A hyperbolic saddle near ``x_slow`` at ``p`` → (x, eigenvalues, λᵤ) or None."""
    from hhdyn.newton import solve_equilibria

    res = solve_equilibria(model, x_slow, {param: float(p)})
    if not bool(np.all(res.converged)) or not _near(res.y, x_slow, scale):
        return None
    x = np.asarray(res.y, float)
    lam = np.linalg.eigvals(np.asarray(model.jacobian(x, {param: float(p)}), float))
    real = lam[np.abs(lam.imag) <= 1e-12 * (1.0 + np.abs(lam.real))].real
    if not (np.any(real > 0) and np.any(real < 0)) or np.sum(lam.real > 0) != 1:
        return None
    return x, lam, float(real.max())


def folds_near(model, param, p, x_slow, *, width_of=lambda p0, p: max(1.0, 10.0 * abs(p0 - p)),
               first_only: bool = False, max_points: int = 300) -> list:
    """Folds (LP) of the equilibrium curve through the equilibrium nearest to (x_slow, p).

    That equilibrium is found by a Moore–Penrose correction from (x_slow, p); the curve is then
    continued both ways over p₀ ± ``width_of(p₀, p)`` and its LP points are returned (with
    ``first_only``, only the first fold met in each direction). An empty list when no
    equilibrium is found near (x_slow, p) or the curve has no fold there.
    """
    from ..continuation.core import moore_penrose
    from ..continuation.equilibria import continue_equilibria

    n = x_slow.size

    def F(u):
        return np.asarray(model.rhs(u[:n], {param: u[n]}), float)

    def DF(u):
        pars = {param: u[n]}
        return np.column_stack([np.asarray(model.jacobian(u[:n], pars), float),
                                np.asarray(model.dfdp(u[:n], param, pars), float)])

    f = F(np.append(x_slow, p))
    v = np.append(f / np.linalg.norm(f), 0.0) if np.linalg.norm(f) > 0 else np.eye(n + 1)[0]
    got = moore_penrose(F, DF, np.append(x_slow, p), v, tol=1e-10, max_iter=30)
    if got is None:
        return []
    x0, p0 = got[0][:n], float(got[0][n])
    width = width_of(p0, p)
    folds = []
    for direction in (1, -1):
        try:
            eq = continue_equilibria(model, param, (p0 - width, p0 + width), start=p0, y0=x0, detect=("LP",),
                                     lyapunov=False, direction=direction, max_points=max_points)
        except ValueError:
            continue
        folds.extend(eq.points("LP")[:1] if first_only else eq.points("LP"))
    return folds


def _fold_near(model, param, p, x_slow, scale):
    """The fold (LP) of the equilibrium curve nearest to (x_slow, p) → SpecialPoint or None."""
    near = [sp for sp in folds_near(model, param, p, x_slow) if _near(sp.state, x_slow, scale)]
    return min(near, key=lambda sp: abs(sp.param - p), default=None)


def infinite_period_end(model, param, p, T, U, *, n_fit: int = 12) -> InfinitePeriodEnd | None:
    """Name the end of a cycle branch at infinite period (see the module docstring).

    ``p``, ``T``: the branch's parameter values and periods (the last ``n_fit`` are fitted);
    ``U`` (N, n): the node values of its last orbit. Returns an :class:`InfinitePeriodEnd`, or
    None when the orbit approaches neither a saddle-node nor a hyperbolic saddle.
    """
    p = np.asarray(p, float)
    T = np.asarray(T, float)
    U = np.asarray(U, float)
    if p.size < 3:
        return None
    p_last, T_last = float(p[-1]), float(T[-1])
    scale = np.maximum(np.ptp(U, axis=0), 1e-12)
    x_slow = slowest_point(model, param, p_last, U)
    k = min(n_fit, p.size)
    pf, Tf = p[-k:], T[-k:]
    saddle = _saddle_at(model, param, p_last, x_slow, scale)
    if saddle is not None and saddle[2] * T_last >= SADDLE_TIMES:
        x, lam, lam_u = saddle
        law = fit_homoclinic_law(p, T, lam_u)
        p_hom = law.pop("p_hom")
        return InfinitePeriodEnd("HOM", p_hom, x, lam, law, abs(p_last - p_hom), int(p.size))
    fold = _fold_near(model, param, p_last, x_slow, scale)
    if fold is None:
        return None
    lam = np.linalg.eigvals(np.asarray(model.jacobian(fold.state, {param: fold.param}), float))
    law = fit_snic_law(pf, Tf, fold.param)
    return InfinitePeriodEnd("SNIC", float(fold.param), np.asarray(fold.state, float).copy(), lam, law,
                             abs(p_last - fold.param), k)
