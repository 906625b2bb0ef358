"""Sphinx configuration of the hhdyn documentation (build: ``docs/build.sh``)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
# The notebook kernels (subprocesses) import the same source tree as this process.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
# Sphinx-gallery draws with Agg in this process; the notebook kernels must not inherit
# MPLBACKEND=Agg (they use the inline backend, which turns figures into images).
os.environ.pop("MPLBACKEND", None)
import matplotlib  # noqa: E402

matplotlib.use("Agg")

import api_pages  # noqa: E402  (docs/api_pages.py)
import generate_gallery  # noqa: E402  (docs/generate_gallery.py)

import hhdyn  # noqa: E402

# Every registered gallery figure gets its thin wrapper script before sphinx-gallery runs.
generate_gallery.write_wrappers(HERE / "gallery")
# ... and every public module its API page.
api_pages.write_pages(HERE / "api")

project = "hhdyn"
author = "The hhdyn authors"
copyright = "2026, the hhdyn authors"
release = hhdyn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "gallery", "**.ipynb_checkpoints", "auto_gallery/*.py", "auto_gallery/*.ipynb"]
templates_path = []

# --- API reference: autodoc + napoleon (numpy-style sections); docstrings are Unicode text.
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True,
                           "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # Attributes as fields of the class (dataclass fields are also members)
napoleon_custom_sections = [("Status", "params_style")]
# Docstrings quote code with ``double backquotes``; a single `x` is read as literal text too.
default_role = "code"

# --- gallery: one wrapper per registered figure (generated from hhdyn.app.gallery.registry()).
sphinx_gallery_conf = {
    "examples_dirs": ["gallery"],
    "gallery_dirs": ["auto_gallery"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
}

# --- tutorials: MyST markdown notebooks executed during the build.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
# "more than one target found": a bare name such as ``t`` or ``model`` in a napoleon type field
# matches attributes of several results; the link goes to the first, which is harmless.
suppress_warnings = ["mystnb.unknown_mime_type", "config.cache", "ref.python"]

# Maths: MathJax from its CDN by default; HHDYN_MATHJAX=<path or URL of MathJax.js> uses a local
# copy instead (offline machines, e.g. Debian's libjs-mathjax: /usr/share/javascript/mathjax/MathJax.js).
if os.environ.get("HHDYN_MATHJAX"):
    _mj = os.environ["HHDYN_MATHJAX"]
    mathjax_path = (_mj if "://" in _mj else Path(_mj).resolve().as_uri())
    if "MathJax.js" in mathjax_path and "?" not in mathjax_path:  # MathJax 2 needs a configuration
        mathjax_path += "?config=TeX-AMS-MML_HTMLorMML"
        # myst-nb marks notebook pages tex2jax_ignore and re-enables the math classes (MathJax 3 style)
        mathjax2_config = {"tex2jax": {"processClass": "tex2jax_process|mathjax_process|math|output_area"}}

html_theme = "pydata_sphinx_theme"
html_title = f"hhdyn {release}"
html_static_path = []
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}


# --- Faithful rendering of the docstrings as written (Unicode maths, plain-text conventions).
# The docstrings are plain text with numpy-style sections; three habits of plain text mean
# something else to reStructuredText, so they are translated before napoleon and docutils
# read them (the docstrings themselves stay as they are):
#   * |x| (absolute values, norms) would be a substitution reference: the bars are escaped;
#   * a free paragraph after a Parameters list would be read as more parameters: it starts
#     a "Notes" section;
#   * a section title's underline shorter than the (Unicode) title is lengthened.
import re  # noqa: E402

_SECTION = re.compile(r"^(Parameters|Other Parameters|Attributes|Returns|Yields|Raises|Warns|See Also|Notes|"
                      r"References|Examples|Methods)\s*$")
_PARAM_LINE = re.compile(r"^[\w*][\w*, ]*(\s:\s.*|\s*:\s*$|\s*)$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1+\s*$")


def _escape_bars(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("+") or (stripped.startswith("|") and stripped.rstrip().endswith("|")
                                     and stripped.count("|") >= 3):  # a grid table: keep
        return line
    parts = re.split(r"(``.*?``)", line)
    return "".join(p if p.startswith("``") else re.sub(r"(?<!\\)\|", r"\\|", p) for p in parts)


def _plain_text_to_rst(app, what, name, obj, options, lines):
    out = []
    in_params = False
    for i, line in enumerate(lines):
        if _UNDERLINE.match(line) and out and out[-1].strip() and len(line.rstrip()) < len(out[-1].rstrip()):
            line = line.rstrip()[0] * len(out[-1].rstrip())
        if _SECTION.match(line) and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]):
            in_params = line.strip() in ("Parameters", "Other Parameters", "Attributes")
        elif (in_params and line and not line[0].isspace() and out and not out[-1].strip()
              and not _UNDERLINE.match(line) and not _PARAM_LINE.match(line)):
            out += ["Notes", "-----"]
            in_params = False
        out.append(_escape_bars(line))
    lines[:] = out


def setup(app):
    app.connect("autodoc-process-docstring", _plain_text_to_rst, priority=400)
