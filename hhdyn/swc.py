"""Reading SWC reconstructions (Cannon et al. 1998; the NeuroMorpho.Org standard) into arrays.

An SWC file is plain ASCII text; ``#`` starts a comment (a whole line or the rest of one). Every
other non-blank line holds seven fields

    id  type  x  y  z  radius  parent

with positions and radius in µm, integer ``id`` (≥ 0, unique), integer structure ``type``
(1 soma, 2 axon, 3 dendrite, 4 apical dendrite, others allowed) and ``parent`` the id of
another point, or −1 for the single root. The points must form one tree.

:func:`read_swc` parses a file (or an iterable of lines) with NumPy — one conversion of all
numbers at once and array-based graph checks, no per-point Python objects — and returns an
:class:`SWCData` of arrays in file order with each point's parent index and a topological
order (parents before children). Every malformed input raises one :class:`SWCError`
(a ValueError) whose message names the file, the line number and the problem.

The soma (points of type 1) is classified as NEURON's Import3d and NeuroMorpho.Org read it
(:attr:`SWCData.soma_kind`):

- ``"single-point"``: one point of radius r, a sphere of area 4πr²;
- ``"three-point"``: NeuroMorpho's convention (root centre c, two children at c ± r·u along an
  axis u, all of radius r), a cylinder of length 2r and diameter 2r, area 4πr² (the two outer
  points describe the same sphere; they are *not* extra membrane);
- ``"contour"``: ≥ 3 points forming a closed planar outline, a sphere of the mean distance of
  the outline points from their centroid (NeuroM's convention);
- ``"cylinders"``: any other chain of soma points, frusta between consecutive points.

A file without a soma is refused (:class:`SWCError`) unless ``require_soma=False``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SWCError", "SWCData", "read_swc", "SWC_REGIONS"]

#: Region names of the standard SWC structure types.
SWC_REGIONS = {0: "undefined", 1: "soma", 2: "axon", 3: "dend", 4: "apic"}

_MAX_INT = 2.0**53  # integers beyond this are not exactly representable as float64
#: Coordinates and radii beyond ±1e12 µm (1000 km) are refused as wrong units; so are radii
#: below 1e-6 µm. Within these bounds every derived length, area and resistance is finite.
MAX_MAGNITUDE_UM = 1e12
MIN_RADIUS_UM = 1e-6
#: Points closer than this to their parent (µm) count as the same point.
COINCIDENT_UM = 1e-9
_CHUNK = 16384  # data lines converted to numbers at a time


class SWCError(ValueError):
    """A malformed SWC file; the message names the file and the line number."""


@dataclass(frozen=True)
class SWCData:
    """The sample points of an SWC file, as arrays in file order.

    ``ids``, ``types``, ``parents`` (int64; parent −1 for the root), ``xyz`` (µm, shape (n, 3)),
    ``radius`` (µm), ``lines`` (1-based line numbers), ``parent_index`` (row of each point's
    parent, −1 for the root), ``order`` (rows, every parent before its children, root first),
    ``source`` (the file name or ``"SWC input"``) and ``soma_kind`` (see :mod:`hhdyn.swc`).
    """

    source: str
    ids: np.ndarray
    types: np.ndarray
    xyz: np.ndarray
    radius: np.ndarray
    parents: np.ndarray
    lines: np.ndarray
    parent_index: np.ndarray
    order: np.ndarray
    soma_kind: str

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def root(self) -> int:
        """Row of the root point."""
        return int(self.order[0])

    def region(self, row: int) -> str:
        t = int(self.types[row])
        return SWC_REGIONS.get(t, f"type{t}")

    def where(self, row: int) -> str:
        """``"<file>, line <n>"`` of a row, for messages."""
        return f"{self.source}, line {int(self.lines[row])}"

    def children(self) -> list[list[int]]:
        """Rows of the children of every row, in file order (plain lists of ints)."""
        kids: list[list[int]] = [[] for _ in range(len(self))]
        rows = np.flatnonzero(self.parent_index >= 0)
        for child, parent in zip(rows.tolist(), self.parent_index[rows].tolist()):
            kids[parent].append(child)
        return kids


# ---------------------------------------------------------------------- text
def _decode(data: bytes, where: str) -> str:
    """The text of an SWC file: UTF-8 (a BOM is skipped); binary and UTF-16 are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SWCError(f"{where}: the file is UTF-16 encoded; SWC files are ASCII text — save it as ASCII or UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise SWCError(f"{where}, line {line}: a NUL byte — this is a binary file, not SWC text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise SWCError(
            f"{where}, line {line}: byte 0x{data[err.start]:02x} is not UTF-8 text; SWC files are ASCII text"
        ) from None


def _split_lines(text: str) -> list[str]:
    """Lines ended by LF, CR LF or a lone CR (old Mac files)."""
    return re.split(r"\r\n?|\n", text) if "\r" in text else text.split("\n")


def _data_lines(lines, where: str):
    """Comment-stripped data lines and their line numbers; each must hold seven ASCII fields."""
    texts: list[str] = []
    numbers: list[int] = []
    for lineno, raw in enumerate(lines, start=1):
        if not isinstance(raw, str):
            raise SWCError(f"{where}, line {lineno}: expected a line of text, got {type(raw).__name__}")
        cut = raw.find("#")
        text = raw if cut < 0 else raw[:cut]
        fields = text.split()
        if not fields:
            continue
        if len(fields) != 7:
            raise SWCError(f"{where}, line {lineno}: expected 7 fields (id type x y z radius parent), "
                           f"got {len(fields)}: {raw.strip()[:80]!r}")
        if not text.isascii():
            raise SWCError(f"{where}, line {lineno}: non-ASCII character in the fields: {raw.strip()[:80]!r}")
        texts.append(text)
        numbers.append(lineno)
    return texts, numbers


def _parse_numbers(texts: list[str], numbers: list[int], where: str) -> np.ndarray:
    """An (n, 7) float array of the fields; a bad number is reported with its line."""
    table = np.empty((len(texts), 7))
    ok = True
    for start in range(0, len(texts), _CHUNK):  # chunks bound the memory of the string tokens
        try:
            values = np.array(" ".join(texts[start:start + _CHUNK]).split(), dtype=np.float64)
        except ValueError:
            ok = False
            break
        if values.size != 7 * len(texts[start:start + _CHUNK]):
            ok = False
            break
        table[start:start + _CHUNK] = values.reshape(-1, 7)
    if not ok:
        for text, lineno in zip(texts, numbers):
            for field in text.split():
                try:
                    float(field)
                except ValueError:
                    raise SWCError(f"{where}, line {lineno}: fields must be numbers (integer id, type and "
                                   f"parent), got {field[:40]!r}: {text.strip()[:80]!r}") from None
        raise SWCError(f"{where}: could not read the numbers")  # pragma: no cover - defensive
    return table


def _integers(column: np.ndarray, name: str, lines: np.ndarray, where: str) -> np.ndarray:
    bad = ~np.isfinite(column) | (column != np.round(column)) | (np.abs(column) > _MAX_INT)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {int(lines[k])}: {name} must be a finite integer, got {float(column[k])!r}")
    return column.astype(np.int64)


# ---------------------------------------------------------------------- reader
def read_swc(source, *, require_soma: bool = True) -> SWCData:
    """Parse an SWC file (a path) or an iterable of lines into :class:`SWCData`.

    Raises :class:`SWCError` naming the file and line for: a file that is binary, UTF-16 or not
    UTF-8; a line without exactly seven fields or with a non-number; a non-integer or
    non-finite id, type or parent; non-finite coordinates or radius; a radius ≤ 0; an id < 0
    or repeated; a parent < −1, equal to the point itself or never defined; no root or a
    second root (parent −1); points not connected to the root (their parents form a cycle);
    no sample points; no soma point (type 1) unless ``require_soma=False``.
    A path that cannot be read raises ValueError ("cannot read SWC file ...").
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        where = str(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ValueError(f"cannot read SWC file {where!r}: {err.strerror or err}") from None
        lines = _split_lines(_decode(data, where))
    else:
        where = "SWC input"
        if isinstance(source, bytes):
            lines = _split_lines(_decode(source, where))
        else:
            try:
                lines = list(source)
            except TypeError:
                raise ValueError(f"an SWC source must be a path or an iterable of lines, got {type(source).__name__}") from None
            lines = [ln[1:] if i == 0 and isinstance(ln, str) and ln.startswith("\ufeff") else ln
                     for i, ln in enumerate(lines)]
    texts, numbers = _data_lines(lines, where)
    if not texts:
        raise SWCError(f"{where}: no sample points")
    table = _parse_numbers(texts, numbers, where)
    line_no = np.asarray(numbers, dtype=np.int64)
    del texts
    ids = _integers(table[:, 0], "id", line_no, where)
    types = _integers(table[:, 1], "type", line_no, where)
    parents = _integers(table[:, 6], "parent", line_no, where)
    xyz = np.ascontiguousarray(table[:, 2:5])
    radius = table[:, 5].copy()
    bad = ~np.isfinite(table[:, 2:6]).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: coordinates and radius must be finite, got "
                       f"{table[k, 2:6].tolist()}")
    bad = np.abs(table[:, 2:6]).max(axis=1) > MAX_MAGNITUDE_UM
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: coordinates and radius must be below {MAX_MAGNITUDE_UM:g} µm "
                       f"in magnitude, got {table[k, 2:6].tolist()} (wrong units?)")
    bad = radius <= 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: radius must be positive, got {radius[k]:g}")
    bad = radius < MIN_RADIUS_UM
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: radius {radius[k]:g} µm is below {MIN_RADIUS_UM:g} µm "
                       "(wrong units?)")
    bad = ids < 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: id must be a non-negative integer, got {ids[k]}")
    n = ids.size
    by_id = np.argsort(ids, kind="stable")
    sorted_ids = ids[by_id]
    dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if dup.size:
        later = by_id[dup + 1]  # the second occurrence (stable sort keeps file order)
        k = int(later[np.argmin(line_no[later])])
        first = int(by_id[np.searchsorted(sorted_ids, ids[k])])
        raise SWCError(f"{where}, line {line_no[k]}: id {ids[k]} was already defined on line {line_no[first]}")
    bad = parents < -1
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: parent {parents[k]} of point {ids[k]} is invalid; "
                       "use -1 for the root or the id of another point")
    bad = parents == ids
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise SWCError(f"{where}, line {line_no[k]}: point {ids[k]} is its own parent")
    roots = np.flatnonzero(parents == -1)
    if roots.size > 1:
        raise SWCError(f"{where}, line {line_no[roots[1]]}: a second root (parent -1); the first is on line "
                       f"{line_no[roots[0]]} — a morphology must be one tree")
    has_parent = parents >= 0
    pos = np.searchsorted(sorted_ids, parents[has_parent])
    pos = np.minimum(pos, n - 1)
    found = sorted_ids[pos] == parents[has_parent]
    if not found.all():
        k = int(np.flatnonzero(has_parent)[np.flatnonzero(~found)[0]])
        raise SWCError(f"{where}, line {line_no[k]}: parent {parents[k]} of point {ids[k]} is not defined in the file")
    parent_index = np.full(n, -1, dtype=np.int64)
    parent_index[has_parent] = by_id[pos]
    if roots.size == 0:
        raise SWCError(f"{where}: no root point (parent -1); the points' parents form a cycle")
    order = _topological_order(parent_index, int(roots[0]))
    if order.size != n:
        reached = np.zeros(n, dtype=bool)
        reached[order] = True
        k = int(np.flatnonzero(~reached)[0])
        raise SWCError(f"{where}, line {line_no[k]}: point {ids[k]} is not connected to the root "
                       "(its parents form a cycle)")
    soma_kind = _soma_kind(types, xyz, radius, parent_index, int(roots[0]))
    if soma_kind == "none" and require_soma:
        raise SWCError(f"{where}: no soma (no point of type 1). Refusing to guess where the cell body is; "
                       "pass require_soma=False to load the tree anyway (its root point then becomes a sphere)")
    return SWCData(where, ids, types, xyz, radius, parents, line_no, parent_index, order, soma_kind)


def _topological_order(parent_index: np.ndarray, root: int) -> np.ndarray:
    """Rows reachable from ``root``, each after its parent (breadth first), as an array."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    n = parent_index.size
    kids = np.flatnonzero(parent_index >= 0)
    graph = csr_matrix((np.ones(kids.size), (parent_index[kids], kids)), shape=(n, n))
    return breadth_first_order(graph, root, directed=True, return_predecessors=False).astype(np.int64)


def _soma_kind(types, xyz, radius, parent_index, root) -> str:
    soma = np.flatnonzero(types == 1)
    if soma.size == 0:
        return "none"
    if soma.size == 1:
        return "single-point"
    if soma.size == 3 and types[root] == 1:
        others = soma[soma != root]
        r = radius[root]
        offsets = xyz[others] - xyz[root]
        if (np.all(parent_index[others] == root)
                and np.allclose(radius[others], r, rtol=1e-3)
                and np.allclose(np.linalg.norm(offsets, axis=1), r, rtol=1e-2)
                and np.allclose(offsets[0], -offsets[1], atol=1e-2 * r)):
            return "three-point"
    if soma.size >= 3:
        pts = xyz[soma]
        centroid = pts.mean(axis=0)
        spread = np.linalg.norm(pts - centroid, axis=1)
        # planar (smallest principal extent tiny) and closed (first and last points close)
        _, s, _ = np.linalg.svd(pts - centroid, full_matrices=False)
        closed = np.linalg.norm(pts[0] - pts[-1]) <= 0.5 * spread.mean()
        if closed and s[-1] <= 1e-6 * max(s[0], 1e-300) and spread.mean() > 0:
            return "contour"
    return "cylinders"
