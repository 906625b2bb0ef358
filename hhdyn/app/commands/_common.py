"""The command line's shared vocabulary: argument types, the one ``NAME=VALUE`` parser, model
parameters checked against physical ranges, outputs checked before any work, work-size limits
and a progress line for long work."""
from __future__ import annotations

import argparse
import math
import sys
from contextlib import contextmanager
from pathlib import Path

from ..ticker import ticking
from ..catalog import MODELS, make_model, model_argument
from hhdyn.io import check_writable, reproducible_metadata
from hhdyn.units import unit_of

__all__ = [
    "finite_float", "positive_float", "bounded_float", "bounded_int", "parse_param", "parse_assignments",
    "add_model_arguments", "model_from_args", "check_params", "PLAUSIBLE", "check_state",
    "output_path", "outputs", "save_figure", "check_work", "working",
]


# ------------------------------------------------------------------ argument types
def finite_float(text: str) -> float:
    """argparse type: a finite number."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value


def bounded_float(lo: float, hi: float, unit: str = "", *, lo_open: bool = True):
    """argparse type: a finite number in (lo, hi] (or [lo, hi] with ``lo_open=False``)."""
    of = f" {unit}" if unit else ""

    def parse(text: str) -> float:
        value = finite_float(text)
        if (value <= lo if lo_open else value < lo) or value > hi:
            left = "(" if lo_open else "["
            raise argparse.ArgumentTypeError(f"must be in {left}{lo:g}, {hi:g}]{of}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def bounded_int(lo: int, hi: int):
    """argparse type: an integer in [lo, hi]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer in {lo}..{hi}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def parse_param(text: str) -> tuple[str, float]:
    """argparse type for ``NAME=VALUE`` (the one parser of every ``--param``-like option)."""
    name, sep, value = str(text).partition("=")
    name = name.strip()
    if not sep and name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. gK=30), got {text!r} (to choose the "
                                         "continued parameter of 'hhdyn bifurcation' use --vary NAME)")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. gK=30), got {text!r}")
    try:
        return name, finite_float(value.strip())
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{name}: {err}") from None


def parse_assignments(text: str, option: str) -> dict[str, float]:
    """``NAME=VALUE,NAME=VALUE,...`` → dict, with :func:`parse_param` for each item (ValueError
    naming ``option``)."""
    values = {}
    for item in str(text).split(","):
        try:
            name, value = parse_param(item)
        except argparse.ArgumentTypeError as err:
            raise ValueError(f"{option}: {err}") from None
        values[name] = value
    return values


# ------------------------------------------------------------------ models and parameters
#: Physically meaningful range of a parameter, by unit (see :func:`hhdyn.units.unit_of`), with
#: the reason shown when a value falls outside. Temperature: above absolute zero and below the
#: boiling point of water (HH rates scale as 3^((T − 6.3)/10), so far outside the kinetics are
#: meaningless and the equations overflow).
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "°C": (-273.15, 100.0, "a temperature above absolute zero (-273.15 °C) and at most 100 °C"),
    "µF/cm²": (1e-3, 1e3, "a membrane capacitance between 0.001 and 1000 µF/cm² (biological membranes: ~1)"),
    "mS/cm²": (0.0, 1e4, "a conductance between 0 and 10000 mS/cm²"),
    "mV": (-1000.0, 1000.0, "a potential between -1000 and 1000 mV"),
    "µA/cm²": (-1e4, 1e4, "a current density between -10000 and 10000 µA/cm²"),
}
_DIMENSIONLESS = (-1e6, 1e6, "a value between -1e6 and 1e6")


def check_params(params: dict, option: str = "--param") -> None:
    """ValueError naming ``option``, the parameter and its meaningful range if a value is outside it."""
    for name, value in params.items():
        unit = unit_of(name)
        lo, hi, what = PLAUSIBLE.get(unit, _DIMENSIONLESS)
        inside = lo < value <= hi if unit == "°C" else lo <= value <= hi
        if not inside:
            raise ValueError(f"{option} {name}={value:g}: {name!r} must be {what}")


def add_model_arguments(parser) -> None:
    parser.add_argument("--model", default="hh", type=model_argument,
                        help=f"model: {', '.join(sorted(MODELS))} or a .ode/.nml/.json file (default: hh)")
    parser.add_argument("--param", action="append", default=[], type=parse_param, metavar="NAME=VALUE",
                        help="set a model parameter, e.g. --param gK=30 (repeatable; mV, mS/cm², µF/cm², "
                             "µA/cm², °C)")


def model_from_args(args, **extra):
    """The model named by ``--model`` with ``--param`` (and ``extra``) applied, each checked."""
    params = dict(args.param)
    check_params(params)
    params.update(extra)
    model = make_model(args.model, **params)
    unknown = [n for n in dict(args.param) if n not in model.params]
    if unknown:  # make_model already refuses these; keep the message pointing at the flag
        raise ValueError(f"--param: unknown parameter {unknown[0]!r} of {model.name}; known: {', '.join(model.params)}")
    return model


def check_state(model, values: dict, option: str) -> None:
    """ValueError if a state value is meaningless: gates (every state but V/v/w-like potentials of
    conductance-based models) are open fractions in [0, 1]; potentials within ±1000 mV."""
    gates = set(getattr(model, "dynamic_gates", ()))
    for name, value in values.items():
        if name not in model.state_names:
            raise ValueError(f"{option}: {name!r} is not a state of {model.name}; states: {', '.join(model.state_names)}")
        if name in gates and not 0.0 <= value <= 1.0:
            raise ValueError(f"{option}: gate {name}={value:g} must be an open fraction in [0, 1]")
        if name == "V" and not -1000.0 <= value <= 1000.0:
            raise ValueError(f"{option}: V={value:g} mV must be between -1000 and 1000 mV")


# ------------------------------------------------------------------ outputs
def output_path(path, option: str = ""):
    """Check early (before any long computation) that an output file can be written."""
    if path is None:
        return None
    try:
        return check_writable(path)
    except ValueError as err:
        raise ValueError(f"{option} {err}".strip()) from None


#: Output options that take a matplotlib figure (their suffix picks the format).
IMAGE_OPTIONS = ("plot", "save")


def check_image_format(path, option: str) -> None:
    """ValueError unless matplotlib can write the format named by ``path``'s suffix (none: PNG)."""
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = Path(path).suffix.lstrip(".").lower()
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt and fmt not in supported:
        raise ValueError(f"{option} {str(path)!r}: matplotlib cannot write .{fmt} files; use one of "
                         + ", ".join(f".{f}" for f in sorted(supported)))


def outputs(**paths):
    """Check every output (keyword = option name without dashes) before work starts, and that no
    two options name the same file; returns the checked paths in order (None where not given)."""
    checked, seen = [], {}
    for key, path in paths.items():
        option = "--" + key.replace("_", "-")
        p = output_path(path, option)
        if p is not None and key in IMAGE_OPTIONS:
            check_image_format(p, option)
        if p is not None:
            real = Path(p).resolve()
            if real in seen:
                raise ValueError(f"{seen[real]} and {option} both name {str(p)!r}; one output would overwrite "
                                 "the other: give each its own file")
            seen[real] = option
        checked.append(p)
    return checked


def save_figure(fig, path, dpi: int = 110) -> None:
    """Save ``fig`` atomically at ``path`` (format from the suffix, PNG by default) and close it.
    No date or software version is written into the file, so equal figures give equal bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.io import atomic_path

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=fmt, metadata=reproducible_metadata(fmt))
    finally:
        plt.close(fig)


# ------------------------------------------------------------------ work size and progress
def check_work(size: float, limit: float, what: str, how: str) -> None:
    """Refuse work of estimated ``size`` above ``limit`` before it starts (ValueError naming both)."""
    if not math.isfinite(size) or size > limit:
        raise ValueError(f"refusing {what}: estimated {size:.3g}, the limit is {limit:.3g}; {how}")


@contextmanager
def working(what: str, quiet: bool = False, delay: float = 2.0):
    """While the block runs, show on stderr that ``what`` is being computed: one updating line with
    the elapsed time on a terminal (cleared at the end), a line every 30 s otherwise."""
    if quiet:
        yield
        return
    stream = sys.stderr
    tty = hasattr(stream, "isatty") and stream.isatty()
    shown = [False]

    def tick(elapsed):
        line = f"hhdyn: {what} ... {elapsed:.0f} s (Ctrl-C stops cleanly)"
        stream.write(f"\r{line}" if tty else line + "\n")
        stream.flush()
        shown[0] = True

    try:
        with ticking(tick, 1.0 if tty else 30.0, first=delay if tty else 30.0):
            yield
    finally:
        if tty and shown[0]:
            stream.write("\r\033[K")
            stream.flush()
