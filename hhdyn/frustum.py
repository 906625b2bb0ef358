"""Membrane area and axial resistance of a neurite whose diameter varies linearly along it.

Between two 3-D points a distance ``ds`` apart with diameters d₁ and d₂ (µm) the neurite is a
frustum (a truncated cone). As NEURON integrates its ``pt3d`` lists (checked against its
``area()`` and ``ri()``):

    lateral area   A = π·(d₁ + d₂)/2 · √(ds² + ((d₂ − d₁)/2)²)            (µm²)
    axial factor   G = ∫ ds' / (π d(s')²/4) = 4·ds / (π·d₁·d₂)             (1/µm; ·1e4 → 1/cm)

so that the axial resistance is R = Ra·G (Ω, with Ra in Ω·cm and G in 1/cm). A path of several
frusta is handled by :func:`cumulative_integrals` (from 0 to any arc lengths) and
:func:`path_integrals` (over one interval [a, b]).
"""
from __future__ import annotations

import numpy as np

__all__ = ["frustum_area_um2", "frustum_axial_per_cm", "cumulative_integrals", "path_integrals"]


def frustum_area_um2(d1, d2, ds):
    """Lateral area π(d₁+d₂)/2·√(ds² + ((d₂−d₁)/2)²) in µm² (arrays broadcast)."""
    d1, d2, ds = (np.asarray(v, dtype=float) for v in (d1, d2, ds))
    return np.pi * 0.5 * (d1 + d2) * np.sqrt(ds * ds + 0.25 * (d2 - d1) ** 2)


def frustum_axial_per_cm(d1, d2, ds):
    """∫ds/(π d²/4) = 4·ds/(π d₁ d₂) in 1/cm (lengths in µm); times Ra (Ω·cm) gives Ω."""
    d1, d2, ds = (np.asarray(v, dtype=float) for v in (d1, d2, ds))
    return 4.0 * ds / (np.pi * d1 * d2) * 1e4


def cumulative_integrals(arc_um: np.ndarray, diam_um: np.ndarray, s_um) -> tuple[np.ndarray, np.ndarray]:
    """Area (µm²) and axial factor (1/cm) of the piecewise-linear neurite from arc length 0 to
    each ``s_um`` (µm, 0 ≤ s ≤ total length); ``arc_um`` non-decreasing from 0, ``diam_um`` the
    diameters at those points. The integral over [a, b] is the difference of the values at b
    and a."""
    arc = np.asarray(arc_um, dtype=float)
    diam = np.asarray(diam_um, dtype=float)
    s = np.asarray(s_um, dtype=float)
    d0, d1, ds = diam[:-1], diam[1:], np.diff(arc)
    cum_area = np.concatenate([[0.0], np.cumsum(frustum_area_um2(d0, d1, ds))])
    cum_axial = np.concatenate([[0.0], np.cumsum(frustum_axial_per_cm(d0, d1, ds))])
    k = np.clip(np.searchsorted(arc, s, side="right") - 1, 0, ds.size - 1)  # the piece holding s
    t = np.clip(s - arc[k], 0.0, ds[k])
    frac = np.divide(t, ds[k], out=np.zeros_like(t), where=ds[k] > 0)
    d_at = d0[k] + (d1[k] - d0[k]) * frac
    return (cum_area[k] + frustum_area_um2(d0[k], d_at, t),
            cum_axial[k] + frustum_axial_per_cm(d0[k], d_at, t))


def path_integrals(arc_um: np.ndarray, diam_um: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """Area (µm²) and axial factor (1/cm) of the piecewise-linear neurite between arc lengths
    a ≤ b (µm) — see :func:`cumulative_integrals`."""
    area, axial = cumulative_integrals(arc_um, diam_um, [a, b])
    return float(area[1] - area[0]), float(axial[1] - axial[0])
