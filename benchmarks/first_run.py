"""Measure the first ``hhdyn gallery`` on a fresh machine: empty caches, a timeline of its output (issue 18).

Runs ``hhdyn gallery --out <tmp>/figures`` with every cache pointed at empty temporary folders
(``HHDYN_KERNEL_CACHE``, ``NUMBA_CACHE_DIR``, and ``MPLCONFIGDIR``, where matplotlib builds its
font cache; byte code is not counted, as ``pip install`` compiles it at install time), stamps every line
it writes (stdout and stderr) with the elapsed seconds, and reports the total time, the longest
silent stretch and the numba kernels compiled (the CLI announces each compilation on stderr).
Targets: total <= 40 s, no silent stretch > 5 s.

With ``--baseline DIR`` (another checkout, e.g. the main branch) both are measured in the same run,
alternately (baseline, this, baseline, this, … ``--repeat`` times, each with new empty caches),
and the ratios of the medians are printed: on a shared machine the ratio is the number to read.

    python benchmarks/first_run.py                  # with this interpreter's environment
    python benchmarks/first_run.py --fresh-venv     # also a new venv with `pip install .` (slow)
    python benchmarks/first_run.py --baseline /path/to/main --repeat 2
    python benchmarks/first_run.py -- --only hh_action_potential    # arguments for `hhdyn gallery`
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOTAL_TARGET_S, SILENCE_TARGET_S = 40.0, 5.0


@dataclass
class FirstRun:
    """One first ``hhdyn gallery``: total and longest silent stretch (s), CPU seconds of the process
    (user + system, all threads: steadier than wall time on a loaded machine), compiled kernels, exit code."""
    total: float
    cpu: float
    longest: float
    longest_at: str
    kernels: list = field(default_factory=list)
    code: int = 0


def fresh_venv(folder: Path, source: Path) -> Path:
    """A new venv in ``folder`` with hhdyn installed from ``source``; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    py = folder / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(source)], check=True)
    return py


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def measure(py: Path, source: Path | None, tmp: Path, gallery_args, label: str, echo: bool) -> FirstRun:
    """Run the gallery once with empty caches under ``tmp``; ``source`` goes on PYTHONPATH (None:
    the installed package of ``py``)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
    for var, sub in (("HHDYN_KERNEL_CACHE", "kernels"), ("NUMBA_CACHE_DIR", "numba"), ("MPLCONFIGDIR", "mpl")):
        shutil.rmtree(tmp / sub, ignore_errors=True)
        env[var] = str(tmp / sub)
    shutil.rmtree(tmp / "figures", ignore_errors=True)
    cmd = [str(py), "-c", "import sys; from hhdyn.app.cli import main; sys.exit(main())", "gallery",
           "--out", str(tmp / "figures"), *gallery_args]
    cpu0 = _children_cpu()
    start = last = time.perf_counter()
    longest, longest_at, kernels = 0.0, "start", []
    proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1)
    for line in proc.stdout:
        now = time.perf_counter()
        if now - last > longest:
            longest, longest_at = now - last, f"before line at {now - start:.1f} s: {line.strip()[:70]!r}"
        last = now
        line = line.rstrip("\n")
        if echo:
            print(f"[{label} {now - start:6.1f} s] {line}", flush=True)
        m = re.search(r"compiled (\S+) in ([0-9.]+) s", line)
        if m:
            kernels.append((m.group(1), float(m.group(2))))
    code = proc.wait()
    end = time.perf_counter()
    if end - last > longest:
        longest, longest_at = end - last, "at the end"
    return FirstRun(end - start, _children_cpu() - cpu0, longest, longest_at, kernels, code)


def report(label: str, run: FirstRun) -> None:
    print(f"\n{label}: first `hhdyn gallery`, empty caches: {run.total:.1f} s wall, {run.cpu:.1f} s CPU (target <= {TOTAL_TARGET_S:g} s: "
          f"{'met' if run.total <= TOTAL_TARGET_S else 'NOT met'}), exit {run.code}")
    print(f"  longest silent stretch: {run.longest:.1f} s {run.longest_at} (target <= {SILENCE_TARGET_S:g} s: "
          f"{'met' if run.longest <= SILENCE_TARGET_S else 'NOT met'})")
    print(f"  numba kernels compiled: {len(run.kernels)}, {sum(s for _, s in run.kernels):.1f} s in all")
    for name, seconds in sorted(run.kernels, key=lambda k: -k[1])[:12]:
        print(f"    {name:<40} {seconds:6.1f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh-venv", action="store_true", help="install into a new venv first (not timed)")
    ap.add_argument("--baseline", type=Path, default=None, metavar="DIR",
                    help="another checkout measured alternately in the same run (ratios printed)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds (each side once per round; medians)")
    ap.add_argument("--quiet", action="store_true", help="do not echo the gallery's output")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (figures, caches)")
    ap.add_argument("gallery_args", nargs="*", help="extra arguments for `hhdyn gallery` (after --)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hhdyn-first-run-"))
    sides = {"this": ROOT}
    if args.baseline is not None:
        sides = {"baseline": args.baseline.resolve(), "this": ROOT}
    setups = {}
    for label, source in sides.items():
        if args.fresh_venv:
            setups[label] = (fresh_venv(tmp / f"venv-{label}", source), None)
        else:
            setups[label] = (Path(sys.executable), source)
    runs = {label: [] for label in sides}
    codes = []
    for round_ in range(args.repeat):
        for label, (py, source) in setups.items():
            folder = tmp / label
            folder.mkdir(exist_ok=True)
            run = measure(py, source, folder, args.gallery_args, label, not args.quiet)
            runs[label].append(run)
            codes.append(run.code)
            report(f"{label} ({sides[label]}), round {round_ + 1}", run)
    print()
    for label, rs in runs.items():
        print(f"{label:<9} median of {len(rs)}: total {statistics.median(r.total for r in rs):6.1f} s wall "
              f"{statistics.median(r.cpu for r in rs):6.1f} s CPU, "
              f"longest silence {statistics.median(r.longest for r in rs):5.1f} s, "
              f"compiling {statistics.median(sum(s for _, s in r.kernels) for r in rs):5.1f} s "
              f"({statistics.median(len(r.kernels) for r in rs):g} kernels)")
    if args.baseline is not None:
        b, t = runs["baseline"], runs["this"]
        ratio = statistics.median(r.total for r in t) / statistics.median(r.total for r in b)
        cratio = (statistics.median(sum(s for _, s in r.kernels) for r in t)
                  / max(1e-9, statistics.median(sum(s for _, s in r.kernels) for r in b)))
        cpu_ratio = statistics.median(r.cpu for r in t) / statistics.median(r.cpu for r in b)
        print(f"ratio this / baseline: total {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU, compile time {cratio:.2f}x")
    if args.keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
