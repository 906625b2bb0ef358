"""The gallery of canonical figures, rendered by ``hhdyn.app.gallery``.

Each module in this package registers its figures with :func:`figure`:

    @figure("hh_action_potential", "A single HH action potential and its gates")
    def hh_action_potential():
        fig, ax = plt.subplots(...)
        ...
        return fig

Modules are discovered automatically (every module of ``hhdyn.app.gallery`` is imported), so a new
figure is one new function in a new or existing module.
"""
from __future__ import annotations

import importlib
import io
import pkgutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..ticker import ticking

__all__ = ["figure", "registry", "render", "GalleryFigure"]


@dataclass(frozen=True)
class GalleryFigure:
    name: str
    description: str
    make: Callable


_REGISTRY: dict[str, GalleryFigure] = {}


def figure(name: str, description: str):
    """Register a function returning a matplotlib Figure as gallery figure ``name``."""

    def decorate(make):
        if name in _REGISTRY and _REGISTRY[name].make is not make:
            raise ValueError(f"gallery figure {name!r} is registered twice")
        _REGISTRY[name] = GalleryFigure(name, description, make)
        return make

    return decorate


def registry() -> dict[str, GalleryFigure]:
    """All registered figures by name (importing every gallery module first)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(_REGISTRY.items()))


def render(out_dir="figures", names=None, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Render the registered figures (all, or ``names``) as PNGs into ``out_dir``.

    Each file is written atomically and byte-for-byte reproducibly (no date or version in the
    PNG, matplotlib's ``svg.hashsalt`` fixed, numpy's global random state seeded per figure). A
    full render keeps ``index.md`` (the figures with their descriptions) valid after every figure,
    so an interrupted run leaves an index of what it finished (and of older renders still there).
    ``progress`` receives a line when each figure starts and when it is written (seconds taken).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from hhdyn.io import atomic_path, reproducible_metadata

    figures = registry()
    if names:
        unknown = [n for n in names if n not in figures]
        if unknown:
            raise ValueError(f"unknown gallery figure {unknown[0]!r}; known: {', '.join(figures)}")
        figures = {n: figures[n] for n in names}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, item in enumerate(figures.values(), start=1):
        start = time.perf_counter()
        if progress:
            progress(f"[{i}/{len(figures)}] computing {item.name} ..."
                     + (" (a first run also compiles the numba kernels, up to a minute)" if i == 1 else ""))
        with matplotlib.rc_context({"svg.hashsalt": "hhdyn", "path.simplify": True}), \
                _heartbeat(progress, f"[{i}/{len(figures)}] … still computing {item.name}"):
            np.random.seed(0)
            fig = item.make()
            path = out / f"{item.name}.png"
            buffer = io.BytesIO()
            try:
                fig.savefig(buffer, dpi=110, format="png", metadata=reproducible_metadata("png"))
            finally:
                plt.close(fig)
        png = buffer.getvalue()
        unchanged = same_pixels(path, png)
        if not unchanged:
            with atomic_path(path) as tmp:
                tmp.write_bytes(png)
        written.append(path)
        if progress:
            verb = "unchanged" if unchanged else "wrote"
            progress(f"[{i}/{len(figures)}] {verb} {path} ({time.perf_counter() - start:.1f} s)")
        if names is None:
            write_index(out)
    return written


#: Seconds between "still computing" lines while one figure is computed (no long silent stretch).
HEARTBEAT_S = 4.0


@contextmanager
def _heartbeat(progress, label: str):
    """While the block runs, send ``"<label>: <elapsed> s"`` to ``progress`` every HEARTBEAT_S seconds."""
    if progress is None:
        yield
        return
    with ticking(lambda elapsed: progress(f"{label}: {elapsed:.0f} s"), HEARTBEAT_S):
        yield


def same_pixels(path, png: bytes) -> bool:
    """Does the existing PNG at ``path`` show exactly the pixels of ``png``? (Then it is kept as it
    is, so a re-render leaves a committed gallery byte for byte unchanged.)"""
    import matplotlib.image as mpimg
    import numpy as np

    path = Path(path)
    if not path.is_file():
        return False
    if path.read_bytes() == png:
        return True
    try:
        old = mpimg.imread(path, format="png")
    except (OSError, ValueError, SyntaxError):
        return False
    new = mpimg.imread(io.BytesIO(png), format="png")
    return old.shape == new.shape and bool(np.array_equal(old, new))


def write_index(out_dir) -> Path:
    """Write ``out_dir/index.md`` listing every registered figure whose PNG is in ``out_dir``."""
    from hhdyn.io import atomic_path

    out = Path(out_dir)
    present = [f for f in registry().values() if (out / f"{f.name}.png").exists()]
    lines = ["# hhdyn gallery", "", "Rendered by `hhdyn gallery`.", ""]
    lines += [f"## {f.name}\n\n{f.description}\n\n![{f.name}]({f.name}.png)\n" for f in present]
    with atomic_path(out / "index.md") as tmp:
        tmp.write_text("\n".join(lines))
    return out / "index.md"
