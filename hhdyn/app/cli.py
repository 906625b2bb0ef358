"""The ``hhdyn`` command line.

Sub-commands live in :mod:`hhdyn.app.commands`, one module each, discovered automatically. A module
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.

One vocabulary for every command: ``--param NAME=VALUE`` sets a model parameter (repeatable),
``--model NAME`` picks a catalogued model, ``--plot/--csv/--json PATH`` name outputs, which are
checked before any work starts.

Exit codes (also in ``hhdyn --help``):

* 0 — success;
* 1 — the computation ran but ended early (e.g. a continuation stopped); its message is printed;
* 2 — bad input, refused work, or a computation that failed: one line ``hhdyn: error: ...`` on
  stderr naming the bad value and what to do, never a traceback;
* 3 — an internal error (a bug in hhdyn): one line naming the exception; please report it;
* 130 / 143 — interrupted by Ctrl-C / terminated by SIGTERM; temporary files are removed and no
  output is left half-written.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import re
import signal
import sys
import warnings

from hhdyn.compile_notice import set_announcer

from . import commands as _commands

__all__ = ["main", "build_parser", "UsageError", "Terminated", "version", "EXIT_INTERNAL"]

EXIT_USAGE = 2
EXIT_INTERNAL = 3

#: A command-line word that is a (negative) number, not an option: argparse's own matcher only
#: knows plain decimals (``-5``, ``-.5``), so ``--I -1e3`` or ``--trajectory -50,0.4`` would be
#: taken for options. Anything starting with ``-`` and a digit (or ``-.`` and a digit), and the
#: words ``-inf``/``-nan``, is a value (so the value's type can reject it with a proper message).
NEGATIVE_NUMBER = re.compile(r"^-\.?\d|^-(inf|infinity|nan)$", re.IGNORECASE)


class UsageError(ValueError):
    """Bad command-line input; printed as one line, exit code 2."""


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that clean-up runs as for Ctrl-C."""


def version() -> str:
    """The installed package's version (single source: the package metadata)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version("hhdyn")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message):  # one line, exit 2 (argparse would print the usage too)
        if "unrecognized arguments" in message and "--set" in message.split():
            message += " (--set is now --param NAME=VALUE, in every command)"
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _load_commands():
    modules = []
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{_commands.__name__}.{info.name}"))
    return modules


_EPILOG = """\
every command: --model NAME picks a catalogued model, --param NAME=VALUE sets one of its parameters
(repeatable; units: mV, ms, mS/cm², µF/cm², µA/cm², °C).
exit codes: 0 success; 1 computation ended early (message printed); 2 bad input or failed
computation (one line on stderr); 3 internal error (please report); 130 Ctrl-C; 143 SIGTERM."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hhdyn", description="Dynamical-systems workbench for the Hodgkin-Huxley model.",
                     epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hhdyn {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _load_commands():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


@contextlib.contextmanager
def _sigterm_raises():
    """Turn SIGTERM into :class:`Terminated` in the main thread (no-op elsewhere)."""
    def handler(signum, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _fail(message: str, code: int) -> int:
    print(f"hhdyn: error: {message}", file=sys.stderr, flush=True)
    return code


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    with _sigterm_raises(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            parser = build_parser()
            try:
                args = parser.parse_args(argv)
            except SystemExit as done:  # --help, --version
                return int(done.code or 0) if not isinstance(done.code, str) else EXIT_USAGE
            if not getattr(args, "command", None):
                parser.print_help()
                return EXIT_USAGE
            set_announcer(lambda line: print(f"hhdyn: {line}", file=sys.stderr, flush=True))  # first-run compiles
            code = int(args._run(args) or 0)
            for w in caught:  # a successful run reports its warnings, one line each
                print(f"hhdyn: warning: {_one_line(w.message)}", file=sys.stderr)
            return code
        except KeyboardInterrupt:
            return _fail("interrupted (Ctrl-C); no output was left half-written", 130)
        except Terminated:
            return _fail("terminated (SIGTERM); no output was left half-written", 143)
        except RecursionError as err:
            return _fail(f"internal error: RecursionError: {_one_line(err)}; please report this", EXIT_INTERNAL)
        except (ValueError, OSError, ArithmeticError, RuntimeError, MemoryError, argparse.ArgumentTypeError) as err:
            # bad input, refused work, or a computation that failed (SimulationError, overflow,
            # a singular matrix, ...): the message names what went wrong
            if isinstance(err, MemoryError):
                return _fail("out of memory; ask for less work (shorter runs, coarser grids)", EXIT_USAGE)
            if isinstance(err, (ArithmeticError, RuntimeError)) and type(err).__module__ == "builtins":
                return _fail(f"the computation failed ({type(err).__name__}: {_one_line(err)}); "
                             "check the parameters and options for values far outside their usual range",
                             EXIT_USAGE)
            return _fail(_one_line(err), EXIT_USAGE)
        except Exception as err:  # noqa: BLE001 - never a traceback
            return _fail(f"internal error: {type(err).__name__}: {_one_line(err)}; please report this",
                         EXIT_INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
