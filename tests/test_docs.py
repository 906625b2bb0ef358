"""The documentation site: every registered gallery figure and every public name is in it.

Marked ``docs``; skipped when Sphinx is not installed. It reads the site that
``docs/build.sh`` wrote to ``docs/_build/html`` (as ``.ci/run`` does), or — when
``HHDYN_DOCS_BUILD=1`` and no build exists — builds into a temporary folder first
(a few minutes: every gallery figure is drawn and every tutorial executed).
Also checks the packaging metadata that the site and citations rely on.
"""
from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
import tomllib
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))



@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx")
    built = Path(os.environ.get("HHDYN_DOCS_HTML", DOCS / "_build" / "html"))
    if (built / "objects.inv").exists():
        return built
    if os.environ.get("HHDYN_DOCS_BUILD") != "1":
        pytest.skip(f"no built site at {built}: run docs/build.sh first (or set HHDYN_DOCS_BUILD=1)")
    out = tmp_path_factory.mktemp("html")
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", str(DOCS), str(out)],
                   check=True, env={**os.environ, "MPLBACKEND": "Agg"})
    return out


def _inventory(html: Path) -> set[str]:
    """Names of the Python objects in the site's ``objects.inv`` (Sphinx inventory v2)."""
    data = (html / "objects.inv").read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    names = set()
    for line in zlib.decompress(data[header_end:]).decode().splitlines():
        name, domain_role = line.split(" ", 2)[:2]
        if domain_role.startswith("py:"):
            names.add(name)
    return names


@pytest.mark.docs
def test_every_registered_figure_is_in_the_gallery(html):
    from hhdyn.app.gallery import registry

    index = (html / "auto_gallery" / "index.html").read_text()
    for name, item in registry().items():
        page = html / "auto_gallery" / f"plot_{name}.html"
        assert page.exists(), f"gallery figure {name!r} has no page"
        text = page.read_text()
        assert re.search(rf'<img[^>]+sphx_glr_plot_{name}_001\.png', text), f"{name!r}: no rendered image"
        assert (html / "_images" / f"sphx_glr_plot_{name}_001.png").exists()
        first_words = " ".join(item.description.split()[:4])
        assert first_words.split()[0] in text, f"{name!r}: description missing"
        assert f"plot_{name}.html" in index


@pytest.mark.docs
def test_every_public_name_is_in_the_api_reference(html):
    import api_pages

    documented = _inventory(html)
    missing = []
    for package in api_pages.PACKAGES:
        for module_name in api_pages.public_modules(package):
            module = importlib.import_module(module_name)
            names = getattr(module, "__all__", None)
            if names is None:
                names = [n for n, v in vars(module).items() if not n.startswith("_") and callable(v)
                         and getattr(v, "__module__", None) == module_name]
            for name in names:
                obj = getattr(module, name)
                # functions and classes (a numba intrinsic or constant is not documented by autodoc)
                if not (inspect.isroutine(obj) or inspect.isclass(obj)):
                    continue
                defining = getattr(obj, "__module__", module_name)
                candidates = {f"{module_name}.{name}", f"{defining}.{name}"}
                if not candidates & documented:
                    missing.append(f"{module_name}.{name}")
    assert not missing, f"not in the API reference: {missing}"


@pytest.mark.docs
def test_tutorials_were_executed(html):
    for page in ("01_hh_model", "02_h_plus_n", "03_bifurcations", "04_reduced_vs_full", "05_multicompartment"):
        text = (html / "tutorials" / f"{page}.html").read_text()
        assert "cell_output" in text, f"{page}: no outputs (not executed?)"
        assert "Traceback" not in text, f"{page}: an error in the output"
        assert "<img" in text, f"{page}: no figure"


@pytest.mark.docs
def test_the_mapping_page_names_the_labels(html):
    text = (html / "coming_from.html").read_text()
    for label in ("HB", "LP", "BP", "PD", "TR", "EP-C", "LC-C", "H-C2", "LP-C", "init_EP_EP", "LPC", "NS", "BT",
                  "GH", "CP", "continue_equilibria", "continue_cycles", "continue_hopf", "continue_fold"):
        assert label in text, label


def test_version_has_one_source_and_citation_agrees():
    import hhdyn

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hhdyn.__version__"}
    assert meta["project"]["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf"^version: {re.escape(hhdyn.__version__)}$", cff, flags=re.M)
    for package in ("hhdyn", "analysis", "reductions"):
        assert (ROOT / package / "py.typed").exists()


EXPLORER_UNDER_IPYMPL = """
import matplotlib
matplotlib.use("module://ipympl.backend_nbagg")
import warnings
from analysis import Explorer
from hhdyn import HodgkinHuxley
from reductions import h_plus_n
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = h_plus_n(HodgkinHuxley())
ex = Explorer(model)
ex.set_param("I_ext", 8.0)
ex.launch(-50.0, 0.4)
print(type(ex.figure.canvas).__module__, ex.params["I_ext"], len(ex.trajectories))
"""


def test_explorer_constructs_under_the_ipympl_widget_backend():
    """What ``%matplotlib widget`` gives in Jupyter, headless (in a subprocess: the backend is global)."""
    pytest.importorskip("ipympl")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("MPLBACKEND", None)
    run = subprocess.run([sys.executable, "-c", EXPLORER_UNDER_IPYMPL], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["ipympl.backend_nbagg", "8.0", "1"]
