"""Generate tests/data/test_neuron.swc: a small synthetic reconstruction for the tests.

    python tests/data/make_test_neuron.py        # rewrites test_neuron.swc (deterministic)

A NeuroMorpho-style three-point soma (radius 8 µm), an axon and basal and apical dendrites that
branch a few times, grown as random walks (numpy seed 16) whose radii taper along each branch —
about 300 points. It imitates the look of a NeuroMorpho file; it is not a real cell.
"""
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("test_neuron.swc")


def grow(rng, rows, parent, start, direction, radius, kind, depth, n_points):
    """Append a branch of ``n_points`` (id type x y z r parent) rows; branch again at its end."""
    pos, d = np.array(start, float), np.array(direction, float) / np.linalg.norm(direction)
    for _ in range(n_points):
        d = d + 0.25 * rng.normal(size=3)
        d /= np.linalg.norm(d)
        pos = pos + rng.uniform(4.0, 9.0) * d
        radius = max(0.25, radius * 0.985)
        rows.append((len(rows) + 1, kind, *np.round(pos, 3), round(radius, 3), parent))
        parent = len(rows)
    if depth > 0:
        for turn in (-0.6, 0.6):
            new = d + turn * np.cross(d, [0.0, 0.0, 1.0]) + 0.1 * rng.normal(size=3)
            grow(rng, rows, parent, pos, new, radius * 0.8, kind, depth - 1, int(rng.integers(8, 16)))


def main():
    rng = np.random.default_rng(16)
    r = 8.0
    rows = [(1, 1, 0.0, 0.0, 0.0, r, -1), (2, 1, 0.0, -r, 0.0, r, 1), (3, 1, 0.0, r, 0.0, r, 1)]
    grow(rng, rows, 1, (0.0, -r, 0.0), (0, -1, 0), 0.6, 2, 1, 30)        # axon
    grow(rng, rows, 1, (0.0, r, 0.0), (0, 1, 0), 2.0, 4, 2, 20)          # apical dendrite
    grow(rng, rows, 1, (r, 0.0, 0.0), (1, 0.2, 0), 1.2, 3, 2, 12)        # basal dendrites
    grow(rng, rows, 1, (-r, 0.0, 0.0), (-1, -0.3, 0), 1.0, 3, 1, 14)
    lines = ["# test_neuron.swc: synthetic reconstruction made by tests/data/make_test_neuron.py (seed 16)",
             "# three-point soma (NeuroMorpho convention), radius 8 um; types 1 soma, 2 axon, 3 dend, 4 apic"]
    lines += [f"{i} {t} {x:g} {y:g} {z:g} {rad:g} {p}" for i, t, x, y, z, rad, p in rows]
    OUT.write_text("\n".join(lines) + "\n")
    return len(rows)


if __name__ == "__main__":
    print(f"wrote {OUT} ({main()} points)")
