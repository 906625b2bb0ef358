"""Measure the first ``hhdyn gallery`` on a fresh machine: empty caches, a timeline of its output (issue 18).

Runs ``hhdyn gallery --out <tmp>/figures`` with every cache pointed at empty temporary folders
(``HHDYN_KERNEL_CACHE``, ``NUMBA_CACHE_DIR``, and ``MPLCONFIGDIR``, where matplotlib builds its
font cache; byte code is not counted, as ``pip install`` compiles it at install time), stamps every line
it writes (stdout and stderr) with the elapsed seconds, and reports the total time, the longest
silent stretch and the numba kernels compiled (the CLI announces each compilation on stderr).
Targets: total <= 40 s, no silent stretch > 5 s.

    python benchmarks/first_run.py                  # with this interpreter's environment
    python benchmarks/first_run.py --fresh-venv     # also a new venv with `pip install .` (slow)
    python benchmarks/first_run.py -- --only hh_action_potential    # arguments for `hhdyn gallery`
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOTAL_TARGET_S, SILENCE_TARGET_S = 40.0, 5.0


def fresh_venv(folder: Path) -> Path:
    """A new venv in ``folder`` with hhdyn installed from this checkout; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    py = folder / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(ROOT)], check=True)
    return py


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh-venv", action="store_true", help="install into a new venv first (not timed)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (figures, caches)")
    ap.add_argument("gallery_args", nargs="*", help="extra arguments for `hhdyn gallery` (after --)")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hhdyn-first-run-"))
    py = Path(sys.executable)
    env = dict(os.environ, MPLBACKEND="Agg")
    if args.fresh_venv:
        py = fresh_venv(tmp / "venv")
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    for var, sub in (("HHDYN_KERNEL_CACHE", "kernels"), ("NUMBA_CACHE_DIR", "numba"), ("MPLCONFIGDIR", "mpl")):
        env[var] = str(tmp / sub)
    cmd = [str(py), "-c", "import sys; from hhdyn.app.cli import main; sys.exit(main())", "gallery",
           "--out", str(tmp / "figures"), *args.gallery_args]
    start = last = time.perf_counter()
    longest, longest_at, kernels = 0.0, "start", []
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in proc.stdout:
        now = time.perf_counter()
        if now - last > longest:
            longest, longest_at = now - last, f"before line at {now - start:.1f} s"
        last = now
        line = line.rstrip("\n")
        print(f"[{now - start:6.1f} s] {line}", flush=True)
        m = re.search(r"compiled (\S+) in ([0-9.]+) s", line)
        if m:
            kernels.append((m.group(1), float(m.group(2))))
    code = proc.wait()
    end = time.perf_counter()
    if end - last > longest:
        longest, longest_at = end - last, "at the end"
    total = end - start
    print(f"\nfirst `hhdyn gallery`, empty caches: {total:.1f} s (target <= {TOTAL_TARGET_S:g} s: "
          f"{'met' if total <= TOTAL_TARGET_S else 'NOT met'}), exit {code}")
    print(f"longest silent stretch: {longest:.1f} s {longest_at} (target <= {SILENCE_TARGET_S:g} s: "
          f"{'met' if longest <= SILENCE_TARGET_S else 'NOT met'})")
    print(f"numba kernels compiled: {len(kernels)}, {sum(s for _, s in kernels):.1f} s in all")
    for name, seconds in sorted(kernels, key=lambda k: -k[1]):
        print(f"  {name:<40} {seconds:6.1f} s")
    if args.keep:
        print(f"kept {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
