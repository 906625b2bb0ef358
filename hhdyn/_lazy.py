"""Public names of a package loaded on first use (PEP 562), so that importing the package is cheap.

A package declares which submodule defines each public name; ``package.Name`` imports that
submodule the first time it is asked for and caches the value in the package's namespace.
``package.submodule`` works too, as after ``import package.submodule``. Used by :mod:`hhdyn` (so
that ``hhdyn --help`` does not load scipy) and by :mod:`analysis`.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, sources: dict[str, tuple[str, ...]], namespace: dict[str, Any],
                 public: list[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``(__getattr__, __dir__)`` pair of a package whose names load lazily.

    ``sources`` maps a submodule (relative to ``package``, dots allowed) to the public names it
    defines; each name must have exactly one source. ``namespace`` is the package's ``globals()``
    (loaded values are stored there, so each is looked up once); ``public`` is its ``__all__``.
    """
    module_of: dict[str, str] = {}
    for module, names in sources.items():
        for name in names:
            if name in module_of:
                raise ValueError(f"{package}: {name!r} has two sources, {module_of[name]!r} and {module!r}")
            module_of[name] = module

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is not None:
            value = getattr(importlib.import_module(f"{package}.{module}"), name)
        elif not name.startswith("__"):
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{package}.{name}":
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__
