"""Benchmark: start-up time of ``import hhdyn, analysis`` and of ``hhdyn --help`` (issue 18).

Baseline: a process that imports only what any numerical session imports anyway,
``python -c "import numpy, scipy.optimize, scipy.special"``. Each side is a whole process (Python
start-up included), run alternately, median of ``--repeat`` runs (default 7) after one warm-up
round. Target: both ratios <= 1.3x. Wall and CPU seconds are shown; on a shared machine the CPU
ratio is the steadier one.

The ``hhdyn --help`` side runs the console script's entry point, ``hhdyn.app.cli:main``, through
the same interpreter (so it measures hhdyn, not the venv's script wrapper).

    python benchmarks/startup.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, ratio_line  # noqa: E402

TARGET = 1.3
ROOT = Path(__file__).resolve().parent.parent

BASELINE = "import numpy, scipy.optimize, scipy.special"
IMPORT = "import hhdyn, analysis"
HELP = "import sys; from hhdyn.app.cli import main; sys.argv = ['hhdyn', '--help']; sys.exit(main())"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="timed runs of each command (>= 5)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        raise SystemExit(f"startup.py: --repeat must be >= 1, got {args.repeat}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg")
    py = sys.executable
    t = alternate({"baseline": [py, "-c", BASELINE], "import": [py, "-c", IMPORT], "help": [py, "-c", HELP]},
                  args.repeat, env=env, cwd=str(ROOT))
    print(f"start-up, whole processes, median of {args.repeat} alternating runs "
          f"(baseline: python -c \"{BASELINE}\")")
    print(ratio_line("import hhdyn, analysis", t["import"], t["baseline"], TARGET))
    print(ratio_line("hhdyn --help", t["help"], t["baseline"], TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
