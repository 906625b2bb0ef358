"""Benchmark: reading a 200 000-line SWC file (issue 16 item 8: < 2 s and < 200 MB).

Baseline: the per-line Python reader of the first milestone took 11–14 s and 0.9 GB for this
size. Each row below runs in a fresh subprocess and reports wall time and the process's peak
resident memory *above* the memory of the same process after its imports (so the ~100 MB of
numpy/scipy/networkx are not counted):

* ``read_swc``      — parse and check the file into arrays (:func:`hhdyn.swc.read_swc`);
* ``from_swc nseg`` — read and build NEURON's section discretization, nseg = 1 per section;
* ``from_swc points`` — read and build one compartment per point (200 000 compartments; the
  arrays are built with numpy, the networkx graph only when ``Morphology.graph`` is read).

Every row also prints its time and memory as a ratio to the ``read_swc`` row of the same run
(the baseline: parsing alone), so the cost of building the compartments is read off directly.
Before the vectorized build (issue 16 item 8), on the same file: ``from_swc nseg`` 2–4.6 s /
84 MB, ``from_swc points`` 5–11 s / 327–398 MB.

The file is a synthetic tree (three-point soma, random-walk branches of 50–150 points) written
to a temporary folder. Run: python benchmarks/swc_read.py [--lines N] [--skip-points]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_S, TARGET_MB = 2.0, 200.0


def write_tree(path: Path, n_lines: int, seed: int = 8) -> None:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_lines + 1)
    parent = np.empty(n_lines, dtype=np.int64)
    types = np.full(n_lines, 3)
    parent[:3] = (-1, 1, 1)
    types[:3] = 1
    xyz = np.zeros((n_lines, 3))
    xyz[1], xyz[2] = (0, -10, 0), (0, 10, 0)
    radius = np.full(n_lines, 0.5)
    radius[:3] = 10.0
    i = 3
    while i < n_lines:
        length = int(rng.integers(50, 150))
        stop = min(n_lines, i + length)
        parent[i] = 1 if i < 40 else int(rng.integers(4, i + 1))
        parent[i + 1:stop] = ids[i:stop - 1]
        types[i:stop] = rng.choice([2, 3, 4])
        steps = rng.normal(size=(stop - i, 3)) + rng.normal(size=3) * 2
        start = xyz[parent[i] - 1]
        xyz[i:stop] = start + np.cumsum(steps, axis=0)
        radius[i:stop] = np.linspace(1.5, 0.3, stop - i)
        i = stop
    with open(path, "w") as handle:
        handle.write("# synthetic tree for benchmarks/swc_read.py\n")
        for row in zip(ids, types, *xyz.T.round(3), radius.round(3), parent):
            handle.write("%d %d %g %g %g %g %d\n" % row)


CHILD = r"""
import json, resource, sys, time
import numpy, scipy.sparse.csgraph, networkx
from hhdyn.morphology import from_swc
from hhdyn.swc import read_swc
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
path, what = sys.argv[1], sys.argv[2]
read_swc(["1 1 0 0 0 1 -1"])  # warm up lazy imports
base = rss_mb()
start = time.perf_counter()
if what == "read_swc":
    n = len(read_swc(path))
elif what == "from_swc nseg":
    n = len(from_swc(path, nseg=1))
else:
    n = len(from_swc(path))
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": rss_mb() - base, "items": n}))
"""


def measure(path: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), what], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--skip-points", action="store_true", help="skip the one-compartment-per-point discretization")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.swc"
        t0 = time.perf_counter()
        write_tree(path, args.lines)
        print(f"wrote {args.lines} lines ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        rows = ["read_swc", "from_swc nseg"] + ([] if args.skip_points else ["from_swc points"])
        print(f"{'what':<18}{'seconds':>9}{'peak MB':>9}{'items':>9}{'s/read':>8}{'MB/read':>9}"
              f"   target < {TARGET_S:g} s, < {TARGET_MB:g} MB; ratios against read_swc")
        ok = True
        base = None
        for what in rows:
            r = min((measure(path, what) for _ in range(3)), key=lambda r: r["seconds"])
            base = base or r
            flag = "" if (r["seconds"] < TARGET_S and r["peak_mb"] < TARGET_MB) else "  (over target)"
            ok = ok and not flag
            print(f"{what:<18}{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}{r['items']:>9}"
                  f"{r['seconds'] / base['seconds']:>8.1f}{r['peak_mb'] / max(base['peak_mb'], 1.0):>9.1f}{flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
