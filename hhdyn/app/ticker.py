"""A clock for progress lines: call a function every few seconds while a block of work runs."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

__all__ = ["ticking"]


@contextmanager
def ticking(tick, period: float, first: float | None = None):
    """While the block runs, call ``tick(elapsed_s)`` every ``period`` seconds (the first call
    after ``first`` seconds, default ``period``) from a daemon thread; the thread is stopped and
    joined when the block ends, so no tick comes after it."""
    start, done = time.monotonic(), threading.Event()

    def beat():
        if done.wait(period if first is None else first):
            return
        while True:
            tick(time.monotonic() - start)
            if done.wait(period):
                return

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=1.0)
