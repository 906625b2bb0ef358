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
    seconds: float = 1.0  # rough compute time on one core, warm caches: the parallel render starts long ones first


_REGISTRY: dict[str, GalleryFigure] = {}


def figure(name: str, description: str, *, seconds: float = 1.0):
    """Register a function returning a matplotlib Figure as gallery figure ``name``.

    ``seconds``: roughly how long it takes to compute on one core with warm caches (measured); a
    parallel render (:func:`_render_parallel`) starts the longest figures first, so that no long
    one is left running alone at the end."""

    def decorate(make):
        if name in _REGISTRY and _REGISTRY[name].make is not make:
            raise ValueError(f"gallery figure {name!r} is registered twice")
        _REGISTRY[name] = GalleryFigure(name, description, make, float(seconds))
        return make

    return decorate


def registry() -> dict[str, GalleryFigure]:
    """All registered figures by name (importing every gallery module first)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(_REGISTRY.items()))


def render(out_dir="figures", names=None, progress: Callable[[str], None] | None = None, jobs: int = 1) -> list[Path]:
    """Render the registered figures (all, or ``names``) as PNGs into ``out_dir``.

    Each file is written atomically and byte-for-byte reproducibly (no date or version in the
    PNG, matplotlib's ``svg.hashsalt`` fixed, numpy's global random state seeded per figure). A
    full render keeps ``index.md`` (the figures with their descriptions) valid after every figure,
    so an interrupted run leaves an index of what it finished (and of older renders still there).
    ``progress`` receives a line when each figure starts and when it is written (seconds taken).

    ``jobs`` > 1 computes the figures in that many worker processes (:func:`_render_parallel`);
    the PNGs are the same as with ``jobs=1``, which computes them one after another here.
    """
    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"jobs must be a whole number ≥ 1, got {jobs!r}")
    figures = registry()
    if names:
        unknown = [n for n in names if n not in figures]
        if unknown:
            raise ValueError(f"unknown gallery figure {unknown[0]!r}; known: {', '.join(figures)}")
        figures = {n: figures[n] for n in names}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = list(figures.values())
    if jobs > 1 and len(items) > 1:
        return _render_parallel(items, out, progress, min(jobs, len(items)), write_all=names is None)
    written = []
    for i, item in enumerate(items, start=1):
        label = f"[{i}/{len(items)}]"
        png, seconds = _compute_png(item, label, progress, first=i == 1)
        written.append(_store(out, item.name, png, label, seconds, progress, write_all=names is None))
    return written


def _compute_png(item: GalleryFigure, label: str, progress, first: bool = False) -> tuple[bytes, float]:
    """(PNG bytes of figure ``item``, seconds taken), announcing it and its progress to ``progress``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from hhdyn.io import reproducible_metadata

    start = time.perf_counter()
    if progress:
        progress(f"{label} computing {item.name} ..."
                 + (" (a first run also compiles the numba kernels, up to a minute)" if first else ""))
    with matplotlib.rc_context({"svg.hashsalt": "hhdyn", "path.simplify": True}), \
            _heartbeat(progress, f"{label} … still computing {item.name}"):
        np.random.seed(0)
        fig = item.make()
        buffer = io.BytesIO()
        try:
            fig.savefig(buffer, dpi=110, format="png", metadata=reproducible_metadata("png"))
        finally:
            plt.close(fig)
    return buffer.getvalue(), time.perf_counter() - start


def _store(out: Path, name: str, png: bytes, label: str, seconds: float, progress, write_all: bool) -> Path:
    """Write ``png`` as ``out/name.png`` (atomically; an identical picture is left untouched), then
    the index when the whole gallery is rendered."""
    from hhdyn.io import atomic_path

    path = out / f"{name}.png"
    unchanged = same_pixels(path, png)
    if not unchanged:
        with atomic_path(path) as tmp:
            tmp.write_bytes(png)
    if progress:
        progress(f"{label} {'unchanged' if unchanged else 'wrote'} {path} ({seconds:.1f} s)")
    if write_all:
        write_index(out)
    return path


# ---------------------------------------------------------------------------- parallel rendering
# A first gallery, one figure after another on 2 idle cores, took 87 s: 46 s of computation that
# every later gallery repeats, and 41 s more because the periodic-Schur Floquet kernels run as plain
# Python until they are compiled (5 s went to compiling the others). So the figures are computed
# in worker processes, and one worker starts by compiling those kernels
# into numba's disk cache (≈ 8 s) — the others switch to them as soon as the cache is written
# (:func:`analysis.cycles.periodic_schur.kernels_compiled`) —, and another by compiling the kernels
# several figures share (HH's batch and cable kernels), which two workers otherwise compiled at
# the same time. The figures are then started longest first (``GalleryFigure.seconds``), so that
# no long one runs alone at the end. Workers send their progress lines through a queue; the
# parent writes the files and the index, so writing stays in one process.
_WORKER_PROGRESS = None


def _worker_init(queue) -> None:
    global _WORKER_PROGRESS
    from hhdyn.compile_notice import set_announcer

    _WORKER_PROGRESS = queue.put
    set_announcer(lambda line: queue.put(f"hhdyn: {line}"))


def _worker_compute(name: str, label: str, first: bool) -> tuple[bytes, float]:
    return _compute_png(registry()[name], label, _WORKER_PROGRESS, first=first)


def _worker_compile_floquet() -> None:
    """Compile the periodic-Schur kernels into numba's disk cache unless they are there already."""
    from analysis.cycles import periodic_schur

    if periodic_schur.kernels_compiled():
        return
    start = time.perf_counter()
    if _WORKER_PROGRESS:
        _WORKER_PROGRESS("hhdyn: compiling the periodic-Schur Floquet kernels in one worker (≈ 10 s, first run "
                         "only, cached afterwards; the figures meanwhile use the same code as plain Python)")
    periodic_schur.compile_kernels()
    if _WORKER_PROGRESS:
        _WORKER_PROGRESS(f"hhdyn: compiled the periodic-Schur Floquet kernels in {time.perf_counter() - start:.1f} s")


def _worker_compile_shared() -> None:
    """Compile (or load from numba's disk cache) the kernels that several figures share — HH's
    Dormand–Prince batch kernel (the F–I curves, the firing-rate map; ≈ 5 s to compile) and HH's
    cable kernel (the axon figures; ≈ 1.5 s) — in one worker before those figures start: else two
    workers can compile the same kernel at the same time."""
    from hhdyn.batch import simulate_batch
    from hhdyn.cable import CableModel
    from hhdyn.morphology import cable
    from hhdyn.squid import HodgkinHuxley

    simulate_batch(HodgkinHuxley(), 1.0)
    CableModel(cable(100.0, 10.0, 2), HodgkinHuxley()).run(0.1, 0.01)


def _render_parallel(items, out: Path, progress, jobs: int, write_all: bool) -> list[Path]:
    """:func:`render` with ``jobs`` worker processes computing the PNGs (forked where the platform
    can, else spawned); returns the paths in the order of ``items``. On an error or Ctrl-C the
    workers are stopped and the exception propagates; the files written so far are complete."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor, as_completed

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    queue = ctx.Queue()

    def relay():
        while (line := queue.get()) is not None:
            if progress:
                progress(line)

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    labels = {item.name: f"[{i}/{len(items)}]" for i, item in enumerate(items, start=1)}
    paths: dict[str, Path] = {}
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_worker_init, initargs=(queue,))
    try:
        warm = [pool.submit(_worker_compile_floquet), pool.submit(_worker_compile_shared)]
        longest_first = sorted(items, key=lambda item: -item.seconds)
        futures = {pool.submit(_worker_compute, item.name, labels[item.name], item is items[0]): item.name
                   for item in longest_first}
        for future in as_completed(futures):
            name = futures[future]
            png, seconds = future.result()
            paths[name] = _store(out, name, png, labels[name], seconds, progress, write_all)
        for task in warm:
            task.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        queue.put(None)
        relay_thread.join(timeout=5.0)
    return [paths[item.name] for item in items]


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
