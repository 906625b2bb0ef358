"""Neurons described as NEURON describes them — unbranched *sections* of ``nseg`` segments —
and their exact compartmental discretization as a :class:`~hhdyn.morphology.Morphology`.

A :class:`Section` is a list of 3-D points with diameters (µm), a parent section and the
position ``parent_x`` ∈ (0, 1] on the parent where it attaches, a region and a segment count.
:func:`morphology_from_sections` discretizes a tuple of sections exactly as NEURON's fixed-step
solver does (Hines & Carnevale, *The NEURON Book*, ch. 5), so that both tools integrate the
same linear system:

* a section of arc length L and ``nseg`` = n has n compartments ``"name[j]"`` centred at
  (j + ½)·L/n; the area of compartment j is the lateral frustum area of the piece
  [j·L/n, (j+1)·L/n] and the axial resistance between neighbouring centres is
  Ra·∫ ds/(π d(s)²/4), the diameter varying linearly between 3-D points (:mod:`hhdyn.frustum`);
* a child attached at ``parent_x = 1`` joins the parent's distal end. With one child there
  the two half-segment resistances are in series; with several, the end is a *junction*
  ``"name(1)"`` — a node with no membrane (NEURON's zero-area node) joined to the parent's
  last centre and to each child's first centre through their half segments;
* a child attached at 0 < x < 1 joins the centre of the parent's segment that contains x
  through its own half segment only (NEURON: "interior connection … connects straight to
  the point"); ``parent_x = 0`` is allowed on the root section only (its proximal end).

The d_lambda rule (NEURON's ``geom_nseg``): nseg = 2·⌊(L/(d_lambda·λ_f) + 0.9)/2⌋ + 1 with the
AC length constant at f = 100 Hz, λ_f = 10⁵·√(d/(4π·f·Ra·cm)) µm for a cylinder, and for a
tapered section L divided by Σ Δs/√(d₁ + d₂) · √2 · 10⁻⁵ · √(4π·f·Ra·cm) (NEURON's
``lambda_f``); d in µm, Ra in Ω·cm, cm in µF/cm².

:func:`sections_from_swc` turns an SWC reconstruction (:mod:`hhdyn.swc`) into sections as
NEURON's Import3d does: the soma (three-point, single-point, contour or cylinders) becomes the
root section ``"soma"``; every maximal unbranched run of non-soma points of one type becomes
a section ``"<region>_<k>"`` whose first point is its parent's last point (children of the
soma start at their own first point and attach at soma(0.5)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import networkx as nx
import numpy as np

from .frustum import cumulative_integrals
from .morphology import Morphology
from .swc import COINCIDENT_UM, SWCData, SWCError
from .validation import check_number

__all__ = [
    "Section",
    "lambda_f_um",
    "nseg_d_lambda",
    "discretize",
    "morphology_from_sections",
    "sections_from_swc",
    "segment_names",
]


@dataclass(frozen=True, eq=False)
class Section:
    """An unbranched neurite: ``points`` of shape (k ≥ 2, 4) holding x, y, z, diameter (µm).

    ``parent`` names the parent section (None for the root), ``parent_x`` ∈ (0, 1] where it
    attaches, ``region`` labels its compartments (membranes and overrides address it) and
    ``nseg`` is its number of segments (compartments).
    """

    name: str
    points: np.ndarray
    parent: str | None = None
    parent_x: float = 1.0
    region: str = "dend"
    nseg: int = 1

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or any(c in self.name for c in "[]()"):
            raise ValueError(f"a section name must be a non-empty string without brackets, got {self.name!r}")
        pts = np.array(self.points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 4 or pts.shape[0] < 2:
            raise ValueError(f"section {self.name!r}: points must have shape (k >= 2, 4) (x, y, z, diameter in µm), "
                             f"got shape {pts.shape}")
        if not np.all(np.isfinite(pts)):
            raise ValueError(f"section {self.name!r}: points must be finite numbers")
        if np.any(pts[:, 3] <= 0):
            k = int(np.flatnonzero(pts[:, 3] <= 0)[0])
            raise ValueError(f"section {self.name!r} has a zero or negative diameter ({pts[k, 3]:g} µm at point {k}); "
                             "every diameter must be positive")
        pts.setflags(write=False)
        object.__setattr__(self, "points", pts)
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts[:, :3], axis=0), axis=1))])
        arc.setflags(write=False)
        object.__setattr__(self, "_arc", arc)
        if not self.length_um > 0:
            raise ValueError(f"section {self.name!r} has zero length (all its points coincide); remove it or give "
                             "it distinct points")
        nseg = self.nseg
        if isinstance(nseg, bool) or not isinstance(nseg, (int, np.integer)) or nseg < 1:
            raise ValueError(f"section {self.name!r}: nseg must be an integer >= 1, got {nseg!r}")
        object.__setattr__(self, "nseg", int(nseg))
        x = check_number(f"parent_x of section {self.name!r}", self.parent_x)
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"section {self.name!r}: parent_x must lie in [0, 1], got {x!r}")
        object.__setattr__(self, "parent_x", x)

    @classmethod
    def cylinder(cls, name: str, length_um: float, diameter_um: float, *, parent: str | None = None,
                 parent_x: float = 1.0, region: str = "dend", nseg: int = 1,
                 origin=(0.0, 0.0, 0.0), direction=(1.0, 0.0, 0.0)) -> "Section":
        """A cylinder of the given length and diameter (NEURON's ``L``, ``diam``)."""
        length = check_number(f"length_um of section {name!r}", length_um, positive=True)
        diameter = check_number(f"diameter_um of section {name!r}", diameter_um, positive=True)
        o = np.asarray(origin, dtype=float)
        u = np.asarray(direction, dtype=float)
        u = u / np.linalg.norm(u)
        pts = np.array([[*o, diameter], [*(o + length * u), diameter]])
        return cls(name, pts, parent, parent_x, region, nseg)

    @property
    def arc_um(self) -> np.ndarray:
        """Arc length (µm) of each point from the first."""
        return self._arc

    @property
    def length_um(self) -> float:
        return float(self.arc_um[-1])

    def with_nseg(self, nseg: int) -> "Section":
        return replace(self, nseg=nseg)

    def to_dict(self) -> dict:
        """Plain JSON-able description (the form the NEURON peer reads)."""
        return {"name": self.name, "points": self.points.tolist(), "parent": self.parent,
                "parent_x": self.parent_x, "region": self.region, "nseg": self.nseg}


def segment_names(section: Section) -> list[str]:
    """Compartment names of a section's segments: ``"name[0]"`` … ``"name[nseg-1]"``."""
    return [f"{section.name}[{j}]" for j in range(section.nseg)]


# ---------------------------------------------------------------------- d_lambda
def lambda_f_um(section: Section, Ra_ohm_cm: float, cm_uF_per_cm2: float = 1.0, frequency_hz: float = 100.0) -> float:
    """NEURON's AC length constant λ_f (µm) of a section at ``frequency_hz`` (see module doc)."""
    Ra = check_number("Ra_ohm_cm", Ra_ohm_cm, positive=True)
    cm = check_number("cm_uF_per_cm2", cm_uF_per_cm2, positive=True)
    f = check_number("frequency_hz", frequency_hz, positive=True)
    arc = section.arc_um
    d = section.points[:, 3]
    lam = np.sum(np.diff(arc) / np.sqrt(d[:-1] + d[1:])) * math.sqrt(2.0) * 1e-5 * math.sqrt(4 * math.pi * f * Ra * cm)
    return section.length_um / lam


def nseg_d_lambda(section: Section, Ra_ohm_cm: float, d_lambda: float = 0.1, cm_uF_per_cm2: float = 1.0,
                  frequency_hz: float = 100.0) -> int:
    """The odd nseg of NEURON's d_lambda rule: 2·⌊(L/(d_lambda·λ_f) + 0.9)/2⌋ + 1."""
    d_lambda = check_number("d_lambda", d_lambda, positive=True)
    lam = lambda_f_um(section, Ra_ohm_cm, cm_uF_per_cm2, frequency_hz)
    return int((section.length_um / (d_lambda * lam) + 0.9) / 2) * 2 + 1


def discretize(sections: Sequence[Section], Ra_ohm_cm: float, *, nseg: int | None = None,
               d_lambda: float | None = None, cm_uF_per_cm2: float = 1.0,
               frequency_hz: float = 100.0) -> tuple[Section, ...]:
    """The sections with their nseg set: one count for all (``nseg``), the d_lambda rule
    (``d_lambda``, e.g. 0.1), or — with neither — each section's own."""
    if nseg is not None and d_lambda is not None:
        raise ValueError("give nseg or d_lambda, not both")
    out = []
    for sec in sections:
        if nseg is not None:
            if isinstance(nseg, bool) or not isinstance(nseg, (int, np.integer)) or nseg < 1:
                raise ValueError(f"nseg must be an integer >= 1, got {nseg!r}")
            sec = sec.with_nseg(int(nseg))
        elif d_lambda is not None:
            sec = sec.with_nseg(nseg_d_lambda(sec, Ra_ohm_cm, d_lambda, cm_uF_per_cm2, frequency_hz))
        out.append(sec)
    return tuple(out)


# ---------------------------------------------------------------------- discretization
def _ordered(sections: Sequence[Section]) -> list[Section]:
    """Sections parents-first; ValueError for a missing parent, no or several roots, a cycle."""
    by_name: dict[str, Section] = {}
    for sec in sections:
        if not isinstance(sec, Section):
            raise ValueError(f"sections must be Section objects, got {type(sec).__name__}")
        if sec.name in by_name:
            raise ValueError(f"two sections are named {sec.name!r}; names must be unique")
        by_name[sec.name] = sec
    if not by_name:
        raise ValueError("a neuron needs at least one section")
    roots = [s.name for s in by_name.values() if s.parent is None]
    if len(roots) != 1:
        raise ValueError(f"exactly one section must have no parent (the root), got {len(roots)}: {roots[:5]}")
    children: dict[str, list[Section]] = {}
    for sec in by_name.values():
        if sec.parent is not None:
            if sec.parent not in by_name:
                raise ValueError(f"section {sec.name!r} names parent {sec.parent!r}, which is not a section")
            if sec.parent_x == 0.0 and by_name[sec.parent].parent is not None:
                raise ValueError(f"section {sec.name!r} attaches at x = 0 of {sec.parent!r}, which is not the root "
                                 "section; attach it to the parent's parent instead (as NEURON does)")
            children.setdefault(sec.parent, []).append(sec)
    order = [by_name[roots[0]]]
    for sec in order:
        order.extend(children.get(sec.name, []))
    if len(order) != len(by_name):
        stray = sorted(set(by_name) - {s.name for s in order})[:5]
        raise ValueError(f"sections {stray} are not connected to the root section {roots[0]!r} (their parents form a cycle)")
    return order


def morphology_from_sections(sections: Sequence[Section], Ra_ohm_cm: float = 100.0) -> Morphology:
    """The compartments of the sections, discretized as NEURON does (see the module doc).

    The root compartment is the first segment of the root section. Node attributes add
    ``section`` (its name) and ``x`` (the segment centre, 0 … 1) to the usual ones.
    """
    order = _ordered(sections)
    g = nx.Graph()
    # per section: compartment names, proximal and distal half factors (1/cm)
    info: dict[str, dict] = {}
    for sec in order:
        n = sec.nseg
        arc, pts = sec.arc_um, sec.points
        L = float(arc[-1])
        h = L / n
        names = segment_names(sec)
        # cumulative area and axial factor at every segment boundary and centre, 0, ½h, h, …, L
        knots = np.arange(2 * n + 1) * (h / 2)
        knots[-1] = L
        area_c, axial_c = cumulative_integrals(arc, pts[:, 3], knots)
        area = np.diff(area_c[::2])
        left = (axial_c[1::2] - axial_c[0:-1:2]).tolist()
        right = (axial_c[2::2] - axial_c[1::2]).tolist()
        centres = knots[1::2]
        diam = np.interp(centres, arc, pts[:, 3])
        xyz = np.column_stack([np.interp(centres, arc, pts[:, k]) for k in range(3)])
        for j, name in enumerate(names):
            g.add_node(name, length_um=h, diameter_um=float(diam[j]), area_um2=float(area[j]), region=sec.region,
                       position=tuple(xyz[j].tolist()), section=sec.name, x=(j + 0.5) / n)
            if j:
                g.add_edge(names[j - 1], name, axial_geometry_per_cm=right[j - 1] + left[j])
        info[sec.name] = {"names": names, "left": left, "right": right, "sec": sec}
    kids: dict[tuple[str, str], list[Section]] = {}
    for sec in order[1:]:
        x = sec.parent_x
        end = "1" if x >= 1.0 else ("0" if x <= 0.0 else "interior")
        kids.setdefault((sec.parent, end), []).append(sec)
    for (pname, end), secs in kids.items():
        p = info[pname]
        if end == "interior":
            n = p["sec"].nseg
            for sec in secs:
                k = min(int(sec.parent_x * n), n - 1)
                g.add_edge(p["names"][k], info[sec.name]["names"][0], axial_geometry_per_cm=info[sec.name]["left"][0])
            continue
        last = -1 if end == "1" else 0
        half = p["right"][-1] if end == "1" else p["left"][0]
        if len(secs) == 1:
            child = info[secs[0].name]
            g.add_edge(p["names"][last], child["names"][0], axial_geometry_per_cm=half + child["left"][0])
            continue
        junction = f"{pname}({end})"
        pts = p["sec"].points[last]
        g.add_node(junction, length_um=0.0, diameter_um=float(pts[3]), junction=True, region=p["sec"].region,
                   position=tuple(float(v) for v in pts[:3]), section=pname, x=float(end))
        g.add_edge(p["names"][last], junction, axial_geometry_per_cm=half)
        for sec in secs:
            g.add_edge(junction, info[sec.name]["names"][0], axial_geometry_per_cm=info[sec.name]["left"][0])
    return Morphology(g, Ra_ohm_cm, root=info[order[0].name]["names"][0], copy=False)


# ---------------------------------------------------------------------- SWC → sections
def _soma_points(data: SWCData) -> tuple[np.ndarray, set[int]]:
    """The soma section's points (x, y, z, d) and the rows it consumes."""
    root = data.root
    c, r = data.xyz[root], float(data.radius[root])
    soma_rows = np.flatnonzero(data.types == 1)
    kind = data.soma_kind
    if kind == "single-point" or kind == "none":
        return np.array([[c[0] - r, c[1], c[2], 2 * r], [c[0] + r, c[1], c[2], 2 * r]]), {root}
    if kind == "three-point":
        b, e = (int(i) for i in soma_rows if i != root)
        return np.array([[*data.xyz[b], 2 * r], [*c, 2 * r], [*data.xyz[e], 2 * r]]), {root, b, e}
    if kind == "contour":
        pts = data.xyz[soma_rows]
        centre = pts.mean(axis=0)
        R = float(np.linalg.norm(pts - centre, axis=1).mean())
        axis = np.linalg.svd(pts - centre, full_matrices=False)[2][0]
        return np.array([[*(centre - R * axis), 2 * R], [*(centre + R * axis), 2 * R]]), set(int(i) for i in soma_rows)
    # cylinders: the chain of soma points from the root while each has exactly one soma child
    kids = data.children()
    chain = [root]
    while True:
        soma_kids = [int(k) for k in kids[chain[-1]] if data.types[k] == 1]
        if len(soma_kids) != 1:
            break
        chain.append(soma_kids[0])
    if len(chain) < 2:
        return np.array([[c[0] - r, c[1], c[2], 2 * r], [c[0] + r, c[1], c[2], 2 * r]]), {root}
    pts = np.column_stack([data.xyz[chain], 2 * data.radius[chain]])
    return pts, set(chain)


def sections_from_swc(data: SWCData) -> tuple[Section, ...]:
    """Sections of an SWC reconstruction (see the module doc); every nseg is 1 — set it with
    :func:`discretize`. A section of zero length raises :class:`SWCError` naming its lines."""
    kids = data.children()
    only_child = [k[0] if len(k) == 1 else -1 for k in kids]
    types = data.types.tolist()
    soma_pts, consumed = _soma_points(data)
    has_soma = data.soma_kind != "none"
    sections: list[Section] = []
    counts: dict[str, int] = {}
    # the section that owns each consumed row, and where on it the children attach
    owner: dict[int, tuple[str, float]] = {}
    if has_soma:
        try:
            sections.append(Section("soma", soma_pts, None, 1.0, "soma", 1))
        except ValueError as err:
            raise SWCError(f"{data.where(data.root)}: the soma is degenerate: {err}") from None
        for row in consumed:
            owner[row] = ("soma", 0.5)
    else:
        owner[data.root] = ("", 0.0)  # runs from the root start at the root point
    stack = [int(k) for row in sorted(consumed if has_soma else {data.root}) for k in kids[row] if int(k) not in consumed]
    stack.reverse()
    while stack:
        start = stack.pop()
        parent = int(data.parent_index[start])
        run = [start]
        while True:  # follow the only child while it has the same type (plain ints: fast)
            last = run[-1]
            nxt = only_child[last]
            if nxt < 0 or types[nxt] != types[last] or nxt in consumed:
                break
            run.append(nxt)
        region = data.region(start)
        counts[region] = counts.get(region, 0) + 1
        name = f"{region}_{counts[region] - 1}"
        pname, px = owner[parent]
        rows = run if (pname == "soma" and len(run) >= 2) else [parent] + run
        pts = np.column_stack([data.xyz[rows], 2 * data.radius[rows]])
        if pname == "":  # no soma: the first run from the root is the root section, later ones attach at its x = 0
            root_sec = next((s for s in sections if s.parent is None), None)
            pname, px = (None, 1.0) if root_sec is None else (root_sec.name, 0.0)
        try:
            sec = Section(name, pts, pname, px, region, 1)
            if sec.length_um < COINCIDENT_UM * len(rows):
                raise ValueError(f"section {name!r} has zero length (all its points coincide)")
        except ValueError as err:
            raise SWCError(f"{data.where(start)} to line {int(data.lines[run[-1]])}: {err}") from None
        sections.append(sec)
        for row in run:
            owner[row] = (name, 1.0)
        stack.extend(int(k) for k in reversed(kids[run[-1]]))
    if not sections:
        raise SWCError(f"{data.where(data.root)}: the tree is a single point that is not a soma; it has no section")
    return tuple(sections)
