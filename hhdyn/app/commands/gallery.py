"""``hhdyn gallery``: render every registered figure."""
from __future__ import annotations

import sys

NAME = "gallery"
HELP = "render the gallery of canonical figures (PNG) into a folder"


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="figures", metavar="DIR", help="output folder (default: figures)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME", help="render only these figures")
    parser.add_argument("--list", action="store_true", help="list the registered figures and exit")


def run(args) -> int:
    from pathlib import Path

    from ..gallery import registry, render

    if args.list:
        for item in registry().values():
            print(f"{item.name:32s} {item.description}")
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {args.out!r} exists and is not a folder")
    written = render(out, args.only, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"wrote {len(written)} figures to {out}/")
    return 0
