"""Fits that make the reductions explicit and measurable.

- :func:`fit_h_n_relation`: the least-squares line h = c + slope·n along the full HH limit
  cycle (the constants of :func:`reductions.h_plus_n`).
- :func:`fhn_from`: a FitzHugh–Nagumo model in HH units (mV, ms) whose cubic V-nullcline and
  linear recovery nullcline are fitted to the nullclines of a 2D reduction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hhdyn.engine.expressions import Equations
from hhdyn.protocol import ODEModel
from hhdyn.results import Result, new_axes
from hhdyn.validation import check_number

__all__ = ["HNFit", "fit_h_n_relation", "FHNFit", "FitzHughNagumoHH", "fhn_from", "v_nullcline"]


# ------------------------------------------------------------------------------ h + n ≈ c
@dataclass(frozen=True)
class HNFit(Result):
    """Least-squares line h ≈ c + slope·n along a limit cycle of the full model.

    ``rms_residual`` and ``max_residual`` are the root-mean-square and largest |h − (c + slope·n)|
    over the samples (uniform in time over ``n_cycles`` whole periods); ``r_squared`` is the
    coefficient of determination. ``period_ms`` is the cycle period found. Table
    (:meth:`columns`): the cycle samples ``n``, ``h`` and the fitted line ``h_fit`` = c + slope·n.
    """

    c: float
    slope: float
    rms_residual: float
    max_residual: float
    r_squared: float
    I_ext: float
    period_ms: float
    n_samples: int
    n: np.ndarray = field(repr=False)
    h: np.ndarray = field(repr=False)

    def columns(self) -> dict:
        return {"n": self.n, "h": self.h, "h_fit": self.c + self.slope * np.asarray(self.n)}

    def plot(self, ax=None):
        """The (n, h) cycle and the fitted line, with Rinzel's h = 0.8 − n for reference; returns the Axes."""
        ax = new_axes(ax, figsize=(5, 4))
        ax.plot(self.n, self.h, color="C0", lw=1.5, label=f"HH limit cycle, I_ext = {self.I_ext:g}")
        grid = np.linspace(self.n.min(), self.n.max(), 50)
        ax.plot(grid, self.c + self.slope * grid, color="C3", ls="--",
                label=f"fit h = {self.c:.3f} {'+' if self.slope >= 0 else '−'} {abs(self.slope):.3f}·n "
                      f"(rms {self.rms_residual:.3f})")
        ax.plot(grid, 0.8 - grid, color="0.5", ls=":", label="h = 0.8 − n (Rinzel 1985)")
        ax.set_xlabel("n")
        ax.set_ylabel("h")
        ax.legend(frameon=False, fontsize="small")
        return ax


def fit_h_n_relation(model, I_ext: float = 10.0, *, transient_ms: float = 100.0, n_cycles: int = 3,
                     dt: float = 0.01, h: str = "h", n: str = "n", rtol: float = 1e-8, atol: float = 1e-9) -> HNFit:
    """Least-squares line h = c + slope·n along the full model's limit cycle at ``I_ext``.

    The model is integrated from rest at I_ext = 0 with I_ext switched on (default 10 µA/cm²,
    where HH fires at ≈ 68 Hz), the first ``transient_ms`` are discarded, and ``n_cycles``
    whole periods (between upward 0 mV crossings of V) are sampled every ``dt`` ms. The line
    minimizes Σ (h_i − c − slope·n_i)² over these time-uniform samples. For HH at 10 µA/cm²
    the result is close to h ≈ 0.87 − 1.1·n (compare Rinzel's 0.8 − n).
    """
    from hhdyn.simulation import simulate

    I_ext = float(I_ext)
    if not math.isfinite(I_ext):
        raise ValueError(f"I_ext must be finite, got {I_ext!r}")
    transient_ms = check_number("transient_ms", transient_ms, positive=True)
    if int(n_cycles) != n_cycles or n_cycles < 1:
        raise ValueError(f"n_cycles must be a positive integer, got {n_cycles!r}")
    for role, name in (("h", h), ("n", n)):
        if name not in model.state_names:
            raise ValueError(f"{role}: {name!r} is not a state of {model.name}; states are "
                             f"{', '.join(model.state_names)}")
    rest = model.with_params(I_ext=0.0).resting_state()
    driven = model.with_params(I_ext=I_ext)
    # first a transient, then enough time for n_cycles + 1 periods (HH periods are < 30 ms)
    probe = simulate(driven, transient_ms + 40.0 * (n_cycles + 1), y0=rest, dt=dt, rtol=rtol, atol=atol)
    spikes = probe.spike_times()
    spikes = spikes[spikes >= transient_ms]
    if spikes.size < n_cycles + 1:
        raise ValueError(f"I_ext: {model.name} does not fire repetitively at I_ext = {I_ext:g} µA/cm² "
                         f"(found {spikes.size} spikes after the transient)")
    t0, t1 = spikes[0], spikes[n_cycles]
    mask = (probe.t >= t0) & (probe.t < t1)
    nn, hh = probe[n][mask], probe[h][mask]
    A = np.column_stack([np.ones_like(nn), nn])
    (c, slope), *_ = np.linalg.lstsq(A, hh, rcond=None)
    residual = hh - (c + slope * nn)
    r2 = 1.0 - np.sum(residual**2) / np.sum((hh - hh.mean()) ** 2)
    return HNFit(float(c), float(slope), float(np.sqrt(np.mean(residual**2))), float(np.max(np.abs(residual))),
                 float(r2), I_ext, float((t1 - t0) / n_cycles), int(nn.size), nn, hh)


# ------------------------------------------------------------------------------ FHN in HH units
def v_nullcline(model2d, V, x_range=(0.0, 1.0), n_grid: int = 401, params=None) -> np.ndarray:
    """The V-nullcline x(V) of a 2D model (states V, x): the root of f_V(V, x) = 0 in ``x_range``.

    Roots are bracketed on a grid of ``n_grid`` values of x and refined by bisection (to
    1e-13); where f_V has no root in the range the value is NaN; where it has several, the
    lowest is returned.
    """
    V = np.atleast_1d(np.asarray(V, dtype=float))
    xs = np.linspace(x_range[0], x_range[1], n_grid)
    VV, XX = np.meshgrid(V, xs, indexing="ij")
    f = model2d.rhs(np.stack([VV.ravel(), XX.ravel()]), params)[0].reshape(VV.shape)
    change = np.sign(f[:, :-1]) * np.sign(f[:, 1:]) <= 0
    has = change.any(axis=1)
    k = np.argmax(change, axis=1)
    lo, hi = xs[k].copy(), xs[np.minimum(k + 1, n_grid - 1)].copy()
    f_lo = f[np.arange(V.size), k]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f_mid = model2d.rhs(np.stack([V, mid]), params)[0]
        same = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(same, mid, lo)
        f_lo = np.where(same, f_mid, f_lo)
        hi = np.where(same, hi, mid)
    return np.where(has, 0.5 * (lo + hi), np.nan)


#: The equations of :class:`FitzHughNagumoHH`, written once: its ``rhs``/``jacobian`` evaluate
#: these strings with NumPy and the compiled engine (:mod:`hhdyn.engine`) pastes them into kernels.
FHN_HH_EQUATIONS = Equations(
    state_names=("V", "w"),
    param_names=("C", "I_ext", "I_fit", "gamma", "tau_w", "V_mid", "V_scale", "p0", "p1", "p2", "p3", "q0", "q1"),
    definitions=(("u", "(V - V_mid)/V_scale"),),
    rhs={"V": "gamma*(p0 + u*(p1 + u*(p2 + u*p3)) - w) + (I_ext - I_fit)/C",
         "w": "(q0 + q1*u - w)/tau_w"},
    jacobian={("V", "V"): "gamma*(p1 + u*(2.0*p2 + 3.0*u*p3))/V_scale", ("V", "w"): "-gamma",
              ("w", "V"): "q1/(V_scale*tau_w)", ("w", "w"): "-1.0/tau_w"},
)


class FitzHughNagumoHH(ODEModel):
    """FitzHugh–Nagumo in HH units: V in mV, t in ms, w a recovery variable in units of n.

        dV/dt = γ·(P(u) − w) + (I_ext − I_fit)/C,         u = (V − V_mid)/V_scale
        dw/dt = (W(u) − w)/τ_w

    with the cubic P(u) = p0 + p1·u + p2·u² + p3·u³ (the V-nullcline at I_ext = I_fit is
    w = P) and the line W(u) = q0 + q1·u (the recovery nullcline). This is the classical FHN
    after an affine change of variables; the current enters as in HH, through 1/C. Built by
    :func:`fhn_from`. The Jacobian is exact; the equilibria are the real roots of a cubic.
    """

    state_names = ("V", "w")

    def __init__(self, *, C=1.0, I_ext=0.0, I_fit=0.0, gamma=50.0, tau_w=5.0, V_mid=-15.0, V_scale=55.0,
                 p0=0.5, p1=0.2, p2=-0.1, p3=-0.1, q0=0.6, q1=0.35, name="FitzHugh-Nagumo (HH units)"):
        self.name = name
        super().__init__(dict(C=C, I_ext=I_ext, I_fit=I_fit, gamma=gamma, tau_w=tau_w, V_mid=V_mid,
                              V_scale=V_scale, p0=p0, p1=p1, p2=p2, p3=p3, q0=q0, q1=q1))

    def _validate(self, p):
        for name in ("C", "gamma", "tau_w", "V_scale"):
            if not p[name] > 0:
                raise ValueError(f"parameter {name!r} must be > 0, got {p[name]}")

    @staticmethod
    def _cubic(p, u):
        return p["p0"] + u * (p["p1"] + u * (p["p2"] + u * p["p3"]))

    @staticmethod
    def _cubic_deriv(p, u):
        return p["p1"] + u * (2.0 * p["p2"] + 3.0 * u * p["p3"])

    @classmethod
    def engine_equations(cls) -> Equations:
        """The right-hand side and Jacobian as expression strings (the one source of both)."""
        return FHN_HH_EQUATIONS

    def rhs(self, y, params=None):
        """(γ·(P(u) − w) + (I_ext − I_fit)/C, (W(u) − w)/τ_w), evaluated from FHN_HH_EQUATIONS."""
        return FHN_HH_EQUATIONS.rhs_values(y, self._resolve(params))

    def jacobian(self, y, params=None):
        """[[γ·P'(u)/V_scale, −γ], [q1/(V_scale·τ_w), −1/τ_w]], evaluated from FHN_HH_EQUATIONS."""
        return FHN_HH_EQUATIONS.jacobian_values(y, self._resolve(params))

    def dfdp(self, y, name, params=None):
        p = self._resolve(params)
        if name == "I_ext":
            V = np.asarray(y, dtype=float)[0]
            return np.stack([np.ones_like(V) / p["C"], np.zeros_like(V)])
        return super().dfdp(y, name, params)

    def equilibria(self, params=None) -> np.ndarray:
        """All equilibria (k, 2) sorted by V: real roots of γ(P(u) − W(u)) + (I_ext − I_fit)/C = 0."""
        p = self._resolve(params)
        shift = (p["I_ext"] - p["I_fit"]) / (p["C"] * p["gamma"])
        coeffs = [p["p3"], p["p2"], p["p1"] - p["q1"], p["p0"] - p["q0"] + shift]
        roots = np.roots(coeffs) if p["p3"] != 0 else np.roots(coeffs[1:])
        scale = max(1.0, float(np.max(np.abs(roots)))) if roots.size else 1.0
        u = np.sort(roots[np.abs(roots.imag) <= 1e-9 * scale].real)
        for _ in range(3):  # Newton polish
            g = np.polyval(coeffs, u)
            dg = np.polyval(np.polyder(coeffs), u)
            u = u - np.where(dg != 0, g / np.where(dg != 0, dg, 1.0), 0.0)
        V = p["V_mid"] + p["V_scale"] * u
        return np.column_stack([V, p["q0"] + p["q1"] * u])

    def resting_state(self, params=None) -> np.ndarray:
        """The stable equilibrium with the lowest V (else the lowest-V equilibrium)."""
        p = self._resolve(params)
        eq = self.equilibria(p)
        if eq.size == 0:
            raise ValueError(f"{self.name} has no equilibrium at I_ext = {p['I_ext']}")
        for state in eq:
            if np.all(np.linalg.eigvals(self.jacobian(state, p)).real < 0):
                return state
        return eq[0]


@dataclass(frozen=True)
class FHNFit(Result):
    """A FitzHugh–Nagumo caricature of a 2D reduction, with the quality of its nullcline fits.

    ``model`` is the :class:`FitzHughNagumoHH`; the residuals are in units of the recovery
    variable (n): RMS and maximum |fit − nullcline| over ``V_window`` (cubic) and the
    recovery window (line), in mV.
    ``gamma`` (mV/ms per unit n) and ``tau_w`` (ms) are −∂f_V/∂n and τ_n at the 2D model's rest.
    ``to_dict`` gives the fitted model's parameters as ``model_params``. Table (:meth:`columns`):
    ``V_mV``, the 2D model's ``v_nullcline`` and ``recovery_nullcline`` (n) and the fitted
    ``cubic_fit`` and ``linear_fit`` on the same V grid.
    """

    _unexported = ("model",)
    _exported_properties = ("model_params",)

    model: FitzHughNagumoHH
    V_window: tuple
    V: np.ndarray = field(repr=False)
    v_nullcline: np.ndarray = field(repr=False)
    recovery_nullcline: np.ndarray = field(repr=False)
    cubic_rms: float = math.nan
    cubic_max: float = math.nan
    linear_rms: float = math.nan
    linear_max: float = math.nan
    gamma: float = math.nan
    tau_w: float = math.nan
    method: str = "anchored"

    @property
    def model_params(self) -> dict:
        """The fitted :class:`FitzHughNagumoHH` parameters, name → value."""
        return {k: float(v) for k, v in self.model.params.items()}

    def columns(self) -> dict:
        p = self.model.params
        u = (np.asarray(self.V) - p["V_mid"]) / p["V_scale"]
        return {"V_mV": self.V, "v_nullcline": self.v_nullcline, "recovery_nullcline": self.recovery_nullcline,
                "cubic_fit": FitzHughNagumoHH._cubic(p, u), "linear_fit": p["q0"] + p["q1"] * u}

    def plot(self, ax=None):
        """The 2D model's nullclines and the fitted cubic and line; returns the Axes."""
        ax = new_axes(ax, figsize=(6, 4))
        p = self.model.params
        u = (self.V - p["V_mid"]) / p["V_scale"]
        ax.plot(self.V, self.v_nullcline, color="C0", lw=2, label="2D model: dV/dt = 0")
        ax.plot(self.V, self.recovery_nullcline, color="C1", lw=2, label="2D model: dn/dt = 0")
        ax.plot(self.V, FitzHughNagumoHH._cubic(p, u), color="C0", ls="--",
                label=f"cubic fit (rms {self.cubic_rms:.3g})")
        ax.plot(self.V, p["q0"] + p["q1"] * u, color="C1", ls="--", label=f"linear fit (rms {self.linear_rms:.3g})")
        ax.set_xlabel("V (mV)")
        ax.set_ylabel("n, w")
        ax.set_title("FitzHugh–Nagumo fitted to the nullclines")
        ax.legend(frameon=False, fontsize="small")
        return ax


_FHN_METHODS = ("anchored", "knees", "lstsq")


def _knees(V, N):
    """(index of the lower knee, index of the upper knee) of an N-shaped nullcline sample."""
    interior_min = np.flatnonzero((N[1:-1] <= N[:-2]) & (N[1:-1] <= N[2:])) + 1
    if interior_min.size == 0:
        return None, None
    k1 = int(interior_min[np.argmin(N[interior_min])])
    after = np.flatnonzero((N[k1 + 1:-1] >= N[k1:-2]) & (N[k1 + 1:-1] >= N[k1 + 2:])) + k1 + 1
    k2 = int(after[np.argmax(N[after])]) if after.size else None
    return k1, k2


def fhn_from(model2d, V_window=(-70.0, 40.0), *, method: str = "anchored", recovery_window=None,
             n_points: int = 221, gamma: float | None = None, tau_w: float | None = None) -> FHNFit:
    """FitzHugh–Nagumo in HH units fitted to the nullclines of a 2D reduction (states V, x).

    The V-nullcline x = N(V) of ``model2d`` (at its own I_ext) is sampled on ``n_points``
    voltages in ``V_window`` (mV; default −70 to 40, where the V-nullcline of Rinzel's
    h + n = 0.8 model lies in [0, 1]) and replaced by a cubic P:

    - ``method="anchored"`` (default): P has its local minimum exactly at the lower knee
      (V₁, N₁) of N (which sets the threshold), P = N₁ + a(V − V₁)² + b(V − V₁)³, and a, b
      minimize Σ (P − N)² over the window;
    - ``"knees"``: P passes through both knees with zero slope there (Hermite cubic);
    - ``"lstsq"``: the plain least-squares cubic (ValueError if it is not N-shaped, which
      happens for the HH reductions: the left branch is too short in V).

    The recovery nullcline x = x∞(V) is replaced by the line through the 2D model's rest
    (V_r, x_r) whose slope minimizes the squared error over ``recovery_window`` (default the
    same window), so the caricature rests where the 2D model rests. The time scales are taken
    at rest: γ = −∂f_V/∂x and τ_w = 1/(−∂f_x/∂x) (or pass ``gamma``, mV/ms per unit x, and
    ``tau_w``, ms). The :class:`FHNFit` reports the RMS and maximum residuals of both fits over
    their windows (units of x); for Rinzel's model the cubic cannot follow the long, slowly
    falling right branch, and the residual says by how much.

    Limits of the caricature (measured by :func:`analysis.compare`): the current shifts the
    cubic uniformly by ΔI/(C·γ), whereas in the 2D model the shift shrinks at depolarized V
    (|∂f_V/∂x| grows there). With γ from rest the fitted FHN of Rinzel's model therefore
    oscillates only in a narrow band of I_ext (Hopf points ≈ 3.6 and 5.2 µA/cm²) and is in
    depolarization block at 10 µA/cm².
    """
    if getattr(model2d, "n_states", None) != 2 or model2d.state_names[0] != "V":
        raise ValueError(f"model2d must be a 2D model with states (V, x), got {getattr(model2d, 'state_names', None)}")
    if method not in _FHN_METHODS:
        raise ValueError(f"method must be one of {', '.join(_FHN_METHODS)}, got {method!r}")
    try:
        lo, hi = (float(v) for v in V_window)
    except (TypeError, ValueError):
        raise ValueError(f"V_window must be a pair (low, high) in mV, got {V_window!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"V_window must be (low, high) with low < high, got {V_window!r}")
    rw = V_window if recovery_window is None else recovery_window
    try:
        rlo, rhi = (float(v) for v in rw)
    except (TypeError, ValueError):
        raise ValueError(f"recovery_window must be a pair (low, high) in mV, got {recovery_window!r}") from None
    if not (math.isfinite(rlo) and math.isfinite(rhi) and rlo < rhi):
        raise ValueError(f"recovery_window must be (low, high) with low < high, got {recovery_window!r}")
    if int(n_points) != n_points or n_points < 10:
        raise ValueError(f"n_points must be an integer >= 10, got {n_points!r}")
    V = np.linspace(lo, hi, int(n_points))
    N = v_nullcline(model2d, V)
    if np.any(~np.isfinite(N)):
        bad = V[~np.isfinite(N)]
        raise ValueError(f"V_window: the V-nullcline of {model2d.name} leaves [0, 1] at V = {bad[0]:.4g} mV; "
                         "choose a narrower window")
    x_name = model2d.state_names[1]
    Vr = np.linspace(rlo, rhi, int(n_points))
    if x_name in getattr(model2d, "gates", {}):
        X = model2d.gates[x_name].steady_state(Vr)
        X_on_V = model2d.gates[x_name].steady_state(V)
    else:  # a general 2D model: the x-nullcline by root finding on f_x
        swapped = _SwapView(model2d)
        X = v_nullcline(swapped, Vr)
        X_on_V = v_nullcline(swapped, V)
    V_mid, V_scale = 0.5 * (lo + hi), 0.5 * (hi - lo)
    u = (V - V_mid) / V_scale
    P = np.polynomial.polynomial
    if method == "lstsq":
        cubic = P.polyfit(u, N, 3)
        if not (cubic[3] < 0 and cubic[2] ** 2 > 3 * cubic[1] * cubic[3]):
            raise ValueError("method: the least-squares cubic of the V-nullcline is not N-shaped on V_window "
                             f"(coefficients {np.round(cubic, 4).tolist()}); use method='anchored'")
    else:
        k1, k2 = _knees(V, N)
        if k1 is None or (method == "knees" and k2 is None):
            raise ValueError(f"V_window: the V-nullcline of {model2d.name} has no "
                             f"{'lower knee' if k1 is None else 'upper knee'} inside [{lo:g}, {hi:g}] mV")
        u1, N1 = u[k1], N[k1]
        if method == "knees":
            u2, N2 = u[k2], N[k2]
            # Hermite cubic: P(u1) = N1, P(u2) = N2, P'(u1) = P'(u2) = 0
            k = -6.0 * (N2 - N1) / (u2 - u1) ** 3
            deriv = k * P.polymul([-u1, 1.0], [-u2, 1.0])  # P' = k (u − u1)(u − u2)
            cubic = P.polyint(deriv)
            cubic[0] += N1 - P.polyval(u1, cubic)
        else:
            d = u - u1
            (a, b), *_ = np.linalg.lstsq(np.column_stack([d**2, d**3]), N - N1, rcond=None)
            if not b < 0:
                raise ValueError("V_window: the anchored cubic is not N-shaped on this window; widen it")
            # N1 + a (u − u1)² + b (u − u1)³ expanded in powers of u
            cubic = np.array([N1 + a * u1**2 - b * u1**3, -2 * a * u1 + 3 * b * u1**2, a - 3 * b * u1, b])
    cubic_res = P.polyval(u, cubic) - N
    rest = np.asarray(model2d.resting_state(), dtype=float)
    ur = (Vr - V_mid) / V_scale
    u_rest = (rest[0] - V_mid) / V_scale
    q1 = float(np.sum((ur - u_rest) * (X - rest[1])) / np.sum((ur - u_rest) ** 2))
    q0 = float(rest[1] - q1 * u_rest)
    line_res = q0 + q1 * ur - X
    J = model2d.jacobian(rest)
    gamma = -float(J[0, 1]) if gamma is None else check_number("gamma", gamma, positive=True)
    if tau_w is None:
        tau_w = 1.0 / -float(J[1, 1]) if J[1, 1] < 0 else -1.0
    else:
        tau_w = check_number("tau_w", tau_w, positive=True)
    if not (gamma > 0 and tau_w > 0):
        raise ValueError(f"model2d: at rest ∂f_V/∂x = {J[0, 1]:.4g} and ∂f_x/∂x = {J[1, 1]:.4g} do not have "
                         "the signs of an excitable voltage–recovery pair")
    C = float(model2d.params["C"]) if "C" in model2d.params else 1.0
    I_fit = float(model2d.params["I_ext"])
    fhn = FitzHughNagumoHH(C=C, I_ext=I_fit, I_fit=I_fit, gamma=gamma, tau_w=tau_w, V_mid=V_mid, V_scale=V_scale,
                           p0=float(cubic[0]), p1=float(cubic[1]), p2=float(cubic[2]), p3=float(cubic[3]),
                           q0=q0, q1=q1, name=f"FHN ({method}) fit of {model2d.name} on [{lo:g}, {hi:g}] mV")
    return FHNFit(fhn, (lo, hi), V, N, X_on_V, float(np.sqrt(np.mean(cubic_res**2))),
                  float(np.max(np.abs(cubic_res))), float(np.sqrt(np.mean(line_res**2))),
                  float(np.max(np.abs(line_res))), gamma, tau_w, method)


class _SwapView:
    """A 2D model whose first rhs component is the second one of the wrapped model."""

    def __init__(self, model):
        self._model = model

    def rhs(self, y, params=None):
        f = self._model.rhs(y, params)
        return np.stack([f[1], f[0]])
