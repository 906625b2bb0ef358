"""Run every benchmark in this folder, one after another: ``python benchmarks/run_all.py [NAME ...]``.

Each benchmark script prints its own table with ratios against the baseline it names. Timings
are wall-clock on this machine; run on an otherwise idle machine for stable numbers.
``cable_neuron`` compares with NEURON when its peer venv exists (``bash tests/peers/setup_neuron.sh``).
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if argv:
        unknown = [name for name in argv if not (HERE / f"{name}.py").exists()]
        if unknown:
            print(f"run_all: unknown benchmark {unknown[0]!r}; have {', '.join(p.stem for p in scripts)}",
                  file=sys.stderr)
            return 2
        scripts = [HERE / f"{name}.py" for name in argv]
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} " + "=" * max(0, 60 - len(script.stem)), flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(f"--- {script.stem}: exit {code}, {time.perf_counter() - start:.1f} s", flush=True)
        if code:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
