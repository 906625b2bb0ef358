"""The optional MorphIO reader (``from_swc(..., reader="morphio")``), for where MorphIO is installed.

MorphIO (the Blue Brain Project's morphology reader) parses the file and applies its own
checks; its soma and sections are turned back into SWC rows (ids renumbered 1…n in MorphIO's
order; a child section's first point, which repeats its parent's last point, is dropped) and
handed to :func:`hhdyn.swc.read_swc`, so both readers produce the same :class:`SWCData` and
the same soma classification. Line numbers in later messages are those rows, not the file's.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from .swc import SWCData, SWCError, read_swc

__all__ = ["read_swc_morphio", "morphio_available"]


def morphio_available() -> bool:
    try:
        import morphio  # noqa: F401
    except ImportError:
        return False
    return True


def read_swc_morphio(source, *, require_soma: bool = True) -> SWCData:
    """Read an SWC file with MorphIO; ValueError if MorphIO is missing or ``source`` is not a path,
    :class:`SWCError` (naming the file) if MorphIO rejects it."""
    try:
        import morphio
    except ImportError:
        raise ValueError("reader='morphio' needs MorphIO (`pip install morphio`); the default reader='builtin' "
                         "needs nothing") from None
    if not isinstance(source, (str, Path)):
        raise ValueError(f"reader='morphio' reads files only; got {type(source).__name__} (use reader='builtin')")
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"cannot read SWC file {str(path)!r}: no such file")
    try:
        morph = morphio.Morphology(str(path), morphio.Option.no_modifier)
    except Exception as err:  # MorphIO's RawDataError, SomaError, ... (no common base class)
        raise SWCError(f"{path}: MorphIO cannot read it: {str(err).strip().splitlines()[0] if str(err) else err}") from None
    rows: list[str] = []
    soma_pts = np.asarray(morph.soma.points, dtype=float).reshape(-1, 3)
    soma_d = np.asarray(morph.soma.diameters, dtype=float).ravel()
    three_point = "THREE_POINT" in str(morph.soma_type)
    for k, (p, d) in enumerate(zip(soma_pts, soma_d)):
        parent = -1 if k == 0 else (1 if three_point else k)
        rows.append(f"{k + 1} 1 {float(p[0])!r} {float(p[1])!r} {float(p[2])!r} {float(d) / 2!r} {parent}")
    soma_row = 1 if rows else -1
    last_row: dict[int, int] = {}
    for sec in morph.iter():
        pts = np.asarray(sec.points, dtype=float)
        diam = np.asarray(sec.diameters, dtype=float)
        parent = soma_row if sec.is_root else last_row[sec.parent.id]
        start = 0 if sec.is_root else 1
        for p, d in zip(pts[start:], diam[start:]):
            rows.append(f"{len(rows) + 1} {int(sec.type)} {float(p[0])!r} {float(p[1])!r} {float(p[2])!r} {float(d) / 2!r} {parent}")
            parent = len(rows)
        last_row[sec.id] = parent
    data = read_swc(rows, require_soma=require_soma)
    return replace(data, source=f"{path} (via MorphIO)")
