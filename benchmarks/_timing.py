"""Timing whole processes for the start-up and whole-run benchmarks.

A command is timed from ``fork`` to exit: wall seconds (``time.perf_counter``) and CPU seconds
(user + system of the child and its children, from ``os.wait4``'s resource usage). On a shared
machine the CPU seconds are the steadier number; both are reported. Commands are run alternately
(A, B, A, B, ...) so that a change of machine load hits both sides alike, and the median is taken.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field


@dataclass
class Timing:
    """Wall and CPU seconds of each run of one command."""
    label: str
    wall: list = field(default_factory=list)
    cpu: list = field(default_factory=list)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def run_once(argv, env=None, cwd=None, capture=True):
    """Run ``argv`` once; return (wall seconds, stdout text). Raises RuntimeError on a non-zero exit."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None, text=True)
    out, err = proc.communicate() if capture else ("", "")
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited with {proc.returncode}:\n{(err or '')[-2000:]}")
    return wall, out or ""


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children."""
    usage = os.times()
    return usage.children_user + usage.children_system


def alternate(commands: dict, repeat: int, env=None, cwd=None, warmup: int = 1, on_output=None) -> dict:
    """Run each command of ``{label: argv}`` ``repeat`` times, alternating; return ``{label: Timing}``.

    ``warmup`` rounds are run first and not counted (they fill the OS file cache and any compiled
    kernel cache). ``on_output(label, stdout)``, if given, sees the output of every run."""
    timings = {label: Timing(label) for label in commands}
    for round_ in range(warmup + repeat):
        for label, argv in commands.items():
            c0 = children_cpu()
            wall, out = run_once(argv, env=env, cwd=cwd)
            cpu = children_cpu() - c0
            if on_output is not None:
                on_output(label, out)
            if round_ >= warmup:
                timings[label].wall.append(wall)
                timings[label].cpu.append(cpu)
    return timings


def ratio_line(name: str, t: Timing, base: Timing, target: float | None = None) -> str:
    """One table row: medians of both and the ratios (wall and CPU), and whether the target is met."""
    rw, rc = t.wall_median / base.wall_median, t.cpu_median / base.cpu_median
    verdict = ""
    if target is not None:
        verdict = (f"  target <= {target:g}x: wall {'met' if rw <= target else 'NOT met'}, "
                   f"CPU {'met' if rc <= target else 'NOT met'}")
    return (f"{name:<28} {t.wall_median:7.3f} s wall {t.cpu_median:7.3f} s CPU | baseline "
            f"{base.wall_median:7.3f} s wall {base.cpu_median:7.3f} s CPU | ratio {rw:5.2f}x wall "
            f"{rc:5.2f}x CPU{verdict}")
