"""Models by name, for the command line and the gallery."""
from __future__ import annotations

from typing import Callable

__all__ = ["MODELS", "MODEL_FILE_SUFFIXES", "make_model", "model_argument"]

#: file suffixes that ``make_model`` (and so ``--model PATH``) loads instead of a catalog name
MODEL_FILE_SUFFIXES = (".ode", ".nml", ".json")


def _hh():
    from hhdyn.squid import HodgkinHuxley

    return HodgkinHuxley()


def _hh1952():
    from hhdyn.squid import HodgkinHuxley1952

    return HodgkinHuxley1952()


def _fast_m():
    from reductions import fast_m

    return fast_m(_hh())


def _h_plus_n():
    from reductions import h_plus_n

    return h_plus_n(_hh())


def _fhn():
    from reductions import FitzHughNagumo

    return FitzHughNagumo()


def _ml(which):
    def factory():
        from hhdyn.neurons import MorrisLecar

        return MorrisLecar(which)

    return factory


def _wb():
    from hhdyn.neurons import WangBuzsaki

    return WangBuzsaki()


#: name → (factory, description)
MODELS: dict[str, tuple[Callable, str]] = {
    "hh": (_hh, "Hodgkin-Huxley squid axon, modern convention (V, m, h, n)"),
    "hh1952": (_hh1952, "Hodgkin-Huxley in the 1952 sign convention"),
    "fast_m": (_fast_m, "HH with m = m_inf(V): 3D (V, h, n)"),
    "h_plus_n": (_h_plus_n, "Rinzel's 2D reduction (V, n): m = m_inf(V), h = 0.8 - n"),
    "fhn": (_fhn, "FitzHugh-Nagumo (v, w), a=0.7, b=0.8, eps=0.08"),
    "ml_hopf": (_ml("hopf"), "Morris-Lecar (V, w), Rinzel-Ermentrout Hopf set: gCa 4.4, V3 2, V4 30, phi 0.04"),
    "ml_snic": (_ml("snic"), "Morris-Lecar (V, w), SNIC set (class 1): gCa 4, V3 12, V4 17.4, phi 1/15"),
    "ml_homoclinic": (_ml("homoclinic"), "Morris-Lecar (V, w), homoclinic set: gCa 4, V3 12, V4 17.4, phi 0.23"),
    "wang_buzsaki": (_wb, "Wang-Buzsaki interneuron (V, h, n), m = m_inf(V), phi 5 (class 1)"),
}


def _is_path(name) -> bool:
    from pathlib import Path

    return str(name).lower().endswith(MODEL_FILE_SUFFIXES) or Path(str(name)).is_file()


def model_argument(value: str) -> str:
    """argparse ``type=`` for ``--model``: a catalog name or a model file path (checked here)."""
    import argparse
    from pathlib import Path

    if value in MODELS:
        return value
    if _is_path(value):
        if not Path(value).is_file():
            raise argparse.ArgumentTypeError(f"model file {value!r} does not exist")
        return value
    raise argparse.ArgumentTypeError(
        f"unknown model {value!r}; choose one of {', '.join(sorted(MODELS))} or give a model file "
        f"({', '.join(MODEL_FILE_SUFFIXES)})")


def make_model(name: str, **params):
    """Build the catalogued model ``name``, or load the model file ``name`` (``.ode``, ``.nml``,
    ``.json``; see :func:`hhdyn.load_model`), with parameter overrides (ValueError when unknown)."""
    if name not in MODELS and _is_path(name):
        from hhdyn.model_files import load_model

        model = load_model(name)
        return model.with_params(**params) if params else model
    try:
        factory = MODELS[name][0]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)} "
                         f"or give a model file ({', '.join(MODEL_FILE_SUFFIXES)})") from None
    model = factory()
    return model.with_params(**params) if params else model
