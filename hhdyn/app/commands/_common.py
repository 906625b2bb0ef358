"""Argument helpers shared by the sub-commands."""
from __future__ import annotations

import argparse
import math

from ..catalog import MODELS, make_model, model_argument
from hhdyn.io import check_writable

__all__ = ["add_model_arguments", "model_from_args", "output_path", "finite_float", "parse_param"]


def finite_float(text: str) -> float:
    """argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
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


def parse_param(text: str) -> tuple[str, float]:
    """argparse type for ``NAME=VALUE``."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), finite_float(value)


def add_model_arguments(parser) -> None:
    parser.add_argument("--model", default="hh", type=model_argument,
                        help=f"model: {', '.join(sorted(MODELS))} or a .ode/.nml/.json file (default: hh)")
    parser.add_argument("--param", action="append", default=[], type=parse_param, metavar="NAME=VALUE",
                        help="override a model parameter, e.g. --param gK=30 (repeatable)")


def model_from_args(args, **extra):
    params = dict(args.param)
    params.update(extra)
    return make_model(args.model, **params)


def output_path(path):
    """Check early (before any long computation) that an output file can be written."""
    return None if path is None else check_writable(path)
