"""Write the API reference pages (``docs/api/*.rst``): one page per public module.

A module is public when no part of its dotted name starts with an underscore; the application
layer (``hhdyn.app``: CLI, catalog, gallery) is left out. Each module page is an
``automodule`` with its members (its ``__all__`` when it has one). A package's page holds its
docstring and the list of its modules; the names a package re-exports are documented once, on
the page of the module that defines them. ``conf.py`` calls :func:`write_pages` on every build.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

PACKAGES = ("hhdyn", "reductions", "analysis")
EXCLUDE = ("hhdyn.app", "hhdyn.__main__")


def public_modules(package: str) -> list[str]:
    """Dotted names of the public modules of ``package`` (the package first)."""
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        name = info.name
        if any(part.startswith("_") for part in name.split(".")):
            continue
        if any(name == e or name.startswith(e + ".") for e in EXCLUDE):
            continue
        names.append(name)
    return sorted(names)


def documented_elsewhere(name: str, obj, public: set[str]) -> bool:
    """Whether ``obj`` (exported by a package as ``name``) is documented on the page of the public
    module that defines it (its ``__all__`` lists it, or it has no ``__all__``)."""
    home = getattr(obj, "__module__", None)
    if home not in public:
        return False
    mod = importlib.import_module(home)
    return name in getattr(mod, "__all__", [name])


def package_members(package: str, public: set[str]) -> list[str]:
    """The names of ``package.__all__`` documented on the package's own page: those defined in
    the package itself or in a private module (no other page shows them)."""
    mod = importlib.import_module(package)
    out = []
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        if (callable(obj) or isinstance(obj, type)) and not documented_elsewhere(name, obj, public - {package}):
            out.append(name)
    return out


def _page(module: str, is_package: bool, children: list[str], members: list[str] = ()) -> str:
    title = f"``{module}``"
    lines = [title, "=" * len(title), ""]
    if is_package:
        lines += [f".. automodule:: {module}", "   :no-members:", ""]
        pkg = importlib.import_module(module)
        for name in members:
            kind = "autoclass" if isinstance(getattr(pkg, name), type) else "autofunction"
            lines += [f".. {kind}:: {module}.{name}", ""]
        if children:
            lines += [".. toctree::", "   :maxdepth: 1", ""] + [f"   {c}" for c in children] + [""]
    else:
        lines += [f".. automodule:: {module}", ""]
    return "\n".join(lines)


def write_pages(directory) -> list[str]:
    """(Re)write one page per public module and ``index.rst``; return the module names."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    all_modules = []
    tops = []
    for package in PACKAGES:
        modules = public_modules(package)
        all_modules += modules
    public = set(all_modules)
    for package in PACKAGES:
        modules = [m for m in all_modules if m == package or m.startswith(package + ".")]
        for module in modules:
            mod = importlib.import_module(module)
            is_package = hasattr(mod, "__path__")
            children = [m for m in modules if m != module and m.rsplit(".", 1)[0] == module]
            members = package_members(module, public) if is_package else []
            text = _page(module, is_package, children, members)
            path = directory / f"{module}.rst"
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
        tops.append(package)
    index = ("API reference\n=============\n\nGenerated from the docstrings. The three packages are the "
             "layers of the workbench: the model layer ``hhdyn``, the model transformations "
             "``reductions`` and the analysis tools ``analysis`` (imports only point down).\n\n"
             ".. toctree::\n   :maxdepth: 2\n\n" + "".join(f"   {p}\n" for p in tops))
    path = directory / "index.rst"
    if not path.exists() or path.read_text() != index:
        path.write_text(index)
    for stale in directory.glob("*.rst"):
        if stale.stem not in all_modules and stale.name != "index.rst":
            stale.unlink()
    return all_modules
