"""Analysis tools; every function takes a model of the protocol in :mod:`hhdyn.protocol`.

Public names are exported from the submodules' ``__all__`` and loaded on first use.
"""
from __future__ import annotations

import importlib
import pkgutil


def _public_modules():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_") and info.name != "pydstool_env":
            yield importlib.import_module(f"{__name__}.{info.name}")


def __getattr__(name):
    for module in _public_modules():
        if name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__():
    names = set(globals())
    for module in _public_modules():
        names.update(getattr(module, "__all__", ()))
    return sorted(names)
