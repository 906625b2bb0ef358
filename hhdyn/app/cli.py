"""The ``hhdyn`` command line.

Sub-commands live in :mod:`hhdyn.app.commands`, one module each, discovered automatically. A module
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. Bad input ends in
one line on stderr naming the problem and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from hhdyn.compile_notice import set_announcer

from . import commands as _commands

__all__ = ["main", "UsageError"]


class UsageError(ValueError):
    """Bad command-line input; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse would print the usage too)
        raise UsageError(message)


def _load_commands():
    modules = []
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{_commands.__name__}.{info.name}"))
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hhdyn", description="Dynamical-systems workbench for the Hodgkin-Huxley model.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _load_commands():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        set_announcer(lambda line: print(f"hhdyn: {line}", file=sys.stderr, flush=True))  # first-run compiles
        return int(args._run(args) or 0)
    except (UsageError, ValueError, OSError) as err:
        message = " ".join(str(err).split())
        print(f"hhdyn: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hhdyn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
