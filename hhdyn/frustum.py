"""Membrane area and axial resistance of a neurite whose diameter varies linearly along it.

Between two 3-D points a distance ``ds`` apart with diameters d₁ and d₂ (µm) the neurite is a
frustum (a truncated cone). As NEURON integrates its ``pt3d`` lists (checked against its
``area()`` and ``ri()``):

    lateral area   A = π·(d₁ + d₂)/2 · √(ds² + ((d₂ − d₁)/2)²)            (µm²)
    axial factor   G = ∫ ds' / (π d(s')²/4) = 4·ds / (π·d₁·d₂)             (1/µm; ·1e4 → 1/cm)

so that the axial resistance is R = Ra·G (Ω, with Ra in Ω·cm and G in 1/cm). A path of several
frusta is handled by :func:`path_integrals`, which integrates any interval [a, b] of arc length.
"""
from __future__ import annotations

import numpy as np

__all__ = ["frustum_area_um2", "frustum_axial_per_cm", "path_integrals"]


def frustum_area_um2(d1, d2, ds):
    """Lateral area π(d₁+d₂)/2·√(ds² + ((d₂−d₁)/2)²) in µm² (arrays broadcast)."""
    d1, d2, ds = (np.asarray(v, dtype=float) for v in (d1, d2, ds))
    return np.pi * 0.5 * (d1 + d2) * np.sqrt(ds * ds + 0.25 * (d2 - d1) ** 2)


def frustum_axial_per_cm(d1, d2, ds):
    """∫ds/(π d²/4) = 4·ds/(π d₁ d₂) in 1/cm (lengths in µm); times Ra (Ω·cm) gives Ω."""
    d1, d2, ds = (np.asarray(v, dtype=float) for v in (d1, d2, ds))
    return 4.0 * ds / (np.pi * d1 * d2) * 1e4


def path_integrals(arc_um: np.ndarray, diam_um: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """Area (µm²) and axial factor (1/cm) of the piecewise-linear neurite between arc lengths
    a ≤ b (µm); ``arc_um`` increasing from 0, ``diam_um`` the diameters at those points."""
    arc = np.asarray(arc_um, dtype=float)
    diam = np.asarray(diam_um, dtype=float)
    lo = np.clip(arc[:-1], a, b)
    hi = np.clip(arc[1:], a, b)
    keep = hi > lo
    if not keep.any():
        return 0.0, 0.0
    seg = np.flatnonzero(keep)  # pieces overlapping [a, b]; each has positive length
    lo, hi = lo[keep], hi[keep]
    s0, s1, d0, d1 = arc[seg], arc[seg + 1], diam[seg], diam[seg + 1]
    d_lo = d0 + (d1 - d0) * (lo - s0) / (s1 - s0)
    d_hi = d0 + (d1 - d0) * (hi - s0) / (s1 - s0)
    ds = hi - lo
    return float(frustum_area_um2(d_lo, d_hi, ds).sum()), float(frustum_axial_per_cm(d_lo, d_hi, ds).sum())
