"""Run a block kernel over a batch on a thread pool.

The generated kernels (:mod:`hhdyn.engine.codegen`) integrate the members of the blocks starting
in ``[lo_start, lo_stop)`` (``BLOCK`` members each) and release the GIL, so blocks run
concurrently on the threads of one ``concurrent.futures.ThreadPoolExecutor``. Each block reads
only its own columns and writes only its own members' outputs, so the results do not depend on
the number of threads or on the order in which blocks finish. (A numba ``parallel=True`` driver
did the same with ``prange`` but took seconds more to compile for every model structure.)

The number of threads is numba's ``NUMBA_NUM_THREADS`` (the cores, unless that variable is
set); a batch of one block runs on the calling thread.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["run_blocks", "n_threads"]

#: Tasks per thread a batch is split into (more tasks balance blocks of unequal cost).
TASKS_PER_THREAD = 4

_POOL: dict = {}
_POOL_LOCK = threading.Lock()


def n_threads() -> int:
    """Threads for the block kernels: numba's ``NUMBA_NUM_THREADS`` (default: the number of cores)."""
    from numba import config

    return max(1, int(config.NUMBA_NUM_THREADS))


def _pool(workers: int) -> ThreadPoolExecutor:
    with _POOL_LOCK:
        pool = _POOL.get(workers)
        if pool is None:
            pool = _POOL[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hhdyn-block")
        return pool


def run_blocks(kernel, n_members: int, block: int, *args) -> None:
    """Call ``kernel(lo_start, lo_stop, *args)`` so that every block of ``block`` members of the
    ``n_members`` is integrated exactly once, spread over :func:`n_threads` threads."""
    n_blocks = -(-n_members // block)
    workers = min(n_threads(), n_blocks)
    if workers <= 1:
        kernel(0, n_members, *args)
        return
    per_task = max(1, n_blocks // (TASKS_PER_THREAD * workers))
    bounds = [(b * block, min(n_members, (b + per_task) * block)) for b in range(0, n_blocks, per_task)]
    futures = [_pool(workers).submit(kernel, lo, hi, *args) for lo, hi in bounds]
    for f in futures:
        f.result()
