"""``hhdyn gallery``: render every registered figure."""
from __future__ import annotations

import sys

NAME = "gallery"
HELP = "render the gallery of canonical figures (PNG) into a folder"


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="figures", metavar="DIR", help="output folder (default: figures)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME", help="render only these figures")
    parser.add_argument("--list", action="store_true", help="list the registered figures and exit")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes computing figures in parallel (default: the CPUs available, "
                             "at most 4; 1 computes them one after another)")


def run(args) -> int:
    from pathlib import Path

    from ..gallery import registry, render

    from hhdyn.io import check_writable

    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise ValueError(f"--jobs must be ≥ 1, got {args.jobs}")
    figures = registry()
    unknown = [n for n in args.only or () if n not in figures]
    if unknown:
        raise ValueError(f"--only: unknown gallery figure {unknown[0]!r}; known: {', '.join(figures)}")
    if args.list:
        for item in figures.values():
            if not args.only or item.name in args.only:
                print(f"{item.name:32s} {item.description}")
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {args.out!r} exists and is not a folder")
    if out.is_dir():  # every file it will write must be writable before the first figure is computed
        names = [*(args.only or figures), *([] if args.only else ["index"])]
        for name in names:
            target = out / (f"{name}.md" if name == "index" else f"{name}.png")
            try:
                check_writable(target)
            except ValueError as err:
                raise ValueError(f"--out: {err}") from None
    else:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(f"--out {args.out!r} cannot be created ({err.strerror}); choose a writable folder") from None
    written = render(out, args.only, jobs=jobs, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"wrote {len(written)} figures to {out}/")
    return 0


def default_jobs() -> int:
    """The CPUs this process may use (``os.sched_getaffinity`` where it exists), at most 4."""
    import os

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, 4))
