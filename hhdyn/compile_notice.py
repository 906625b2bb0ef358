"""Announce first-run compilation of numba kernels through a callback (issue 18).

The compiled kernels (:mod:`hhdyn.engine.codegen`, the cable kernel) are compiled by numba on
their first call and cached on disk (``$HHDYN_KERNEL_CACHE``, ``$NUMBA_CACHE_DIR``), so only a
fresh machine pays for it — but then a call can sit silent for many seconds. This module turns
numba's own ``"numba:compile"`` events (broadcast only on a cache miss, i.e. a real compilation)
into one-line messages handed to a callback:

    compiling dopri5_blocks (hhdyn_kernel_1a2b…) — first run only, cached afterwards
    … still compiling dopri5_blocks: 8 s
    compiled dopri5_blocks in 9.4 s (3 kernels compiled so far, 21.0 s)

Nothing is printed unless a callback is set: the library stays silent, the CLI passes a function
that writes to stderr. Setting the callback does not import numba; the listener is registered
when numba is first imported (an import hook on ``numba.core.event``), or at once if numba is
already loaded. Nested compilations (kernels called by the one being compiled) are counted in
the outer one.

    >>> from hhdyn.compile_notice import set_announcer, compile_stats
    >>> set_announcer(lambda line: print(line, file=sys.stderr))     # doctest: +SKIP
    >>> compile_stats()        # {'count': 3, 'seconds': 21.0, 'kernels': [(name, s), ...]}  # doctest: +SKIP
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import threading
import time
from typing import Callable

__all__ = ["set_announcer", "compile_stats", "HEARTBEAT_S"]

#: Seconds between "still compiling" lines during one long compilation.
HEARTBEAT_S = 4.0

_STATE = {"callback": None, "heartbeat": HEARTBEAT_S, "listener": None}
_STATS = {"count": 0, "seconds": 0.0, "kernels": []}
_LOCK = threading.Lock()


def set_announcer(callback: Callable[[str], None] | None, *, heartbeat: float = HEARTBEAT_S) -> None:
    """Send a line to ``callback(line)`` when a numba kernel starts and ends compiling (None: silence).

    ``heartbeat`` (s, > 0) is the interval of the "still compiling" lines during a long compilation
    (they come from a timer thread, so the callback must be thread-safe; writing to stderr is)."""
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be callable or None, got {type(callback).__name__}")
    if not heartbeat > 0:
        raise ValueError(f"heartbeat must be > 0 seconds, got {heartbeat!r}")
    _STATE["callback"], _STATE["heartbeat"] = callback, float(heartbeat)
    if callback is not None:
        _install()


def compile_stats() -> dict:
    """Compilations seen since the announcer was set: ``count``, total ``seconds``, and
    ``kernels``, a list of (name, seconds) in order."""
    with _LOCK:
        return {"count": _STATS["count"], "seconds": _STATS["seconds"], "kernels": list(_STATS["kernels"])}


def _announce(line: str) -> None:
    callback = _STATE["callback"]
    if callback is not None:
        callback(line)


def _kernel_name(event) -> tuple[str, str]:
    dispatcher = (event.data or {}).get("dispatcher")
    func = getattr(dispatcher, "py_func", None)
    name = getattr(func, "__qualname__", None) or str(dispatcher)
    module = getattr(func, "__module__", "") or ""
    if module.startswith("hhdyn_kernel_"):
        module = module[:19] + "…"
    return name, module


def _make_listener(event_module):
    """The numba listener (its base class lives in numba, so it is made once numba is loaded)."""

    class CompileListener(event_module.Listener):
        def __init__(self):
            self.depth = 0
            self.started = 0.0
            self.timer = None

        def _tick(self, name):
            elapsed = time.perf_counter() - self.started
            _announce(f"… still compiling {name}: {elapsed:.0f} s")
            self._arm(name)

        def _arm(self, name):
            self.timer = threading.Timer(_STATE["heartbeat"], self._tick, args=(name,))
            self.timer.daemon = True
            self.timer.start()

        def on_start(self, event):
            self.depth += 1
            if self.depth > 1:
                return
            name, module = _kernel_name(event)
            self.started = time.perf_counter()
            where = f" ({module})" if module else ""
            _announce(f"compiling {name}{where} — first run only, cached afterwards")
            self._arm(name)

        def on_end(self, event):
            self.depth -= 1
            if self.depth > 0:
                return
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            name, _ = _kernel_name(event)
            seconds = time.perf_counter() - self.started
            with _LOCK:
                _STATS["count"] += 1
                _STATS["seconds"] += seconds
                _STATS["kernels"].append((name, seconds))
                count, total = _STATS["count"], _STATS["seconds"]
            _announce(f"compiled {name} in {seconds:.1f} s ({count} kernel{'s' * (count != 1)} "
                      f"compiled so far, {total:.1f} s)")

    return CompileListener()


def _register(event_module) -> None:
    if _STATE["listener"] is None:
        _STATE["listener"] = _make_listener(event_module)
        event_module.register("numba:compile", _STATE["listener"])


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Registers the listener right after ``numba.core.event`` is executed (numba's first import)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "numba.core.event":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            _register(module)

        spec.loader.exec_module = exec_then_register
        return spec


def _install() -> None:
    if _STATE["listener"] is not None:
        return
    if "numba.core.event" in sys.modules:
        _register(sys.modules["numba.core.event"])
    elif not any(isinstance(f, _RegisterAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())
