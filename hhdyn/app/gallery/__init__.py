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
import pkgutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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

    Each file is written atomically; an ``index.md`` lists the figures with their descriptions.
    ``progress`` receives two lines per figure: its name before rendering, then the file and
    the seconds taken.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.io import atomic_path

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
        if progress:  # announced first, so a slow figure (or a first-run compile) is never a silent wait
            progress(f"[{i}/{len(figures)}] rendering {item.name} ...")
        fig = item.make()
        path = out / f"{item.name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)
        written.append(path)
        if progress:
            progress(f"[{i}/{len(figures)}] {path} ({time.perf_counter() - start:.1f} s)")
    if names is None:
        lines = ["# hhdyn gallery", "", "Rendered by `hhdyn gallery`.", ""]
        lines += [f"## {f.name}\n\n{f.description}\n\n![{f.name}]({f.name}.png)\n" for f in figures.values()]
        with atomic_path(out / "index.md") as tmp:
            tmp.write_text("\n".join(lines))
    return written
