"""Start-up stays light (issue 18): heavy libraries load where they are first needed.

Each check runs in a fresh interpreter and looks at ``sys.modules`` afterwards. ``scipy.sparse``
and ``scipy.linalg`` are not on the list: ``scipy.optimize`` (which the model layer needs for its
root finders, and which is the benchmark's baseline) imports them itself.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HEAVY = ("numba", "llvmlite", "matplotlib", "networkx", "contourpy", "sympy", "scipy.integrate", "scipy.signal",
         "scipy.stats", "scipy.interpolate", "hhdyn._cable_kernel", "hhdyn.cable", "hhdyn.morphology")


def loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return the HEAVY modules present in sys.modules afterwards."""
    probe = (f"{code}\nimport json, sys\n"
             f"print('@@' + json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("MPLBACKEND", None)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("@@")]
    assert lines, f"probe failed (exit {out.returncode}):\n{out.stderr[-2000:]}"
    return json.loads(lines[-1][2:])


def test_import_hhdyn_and_analysis_loads_no_heavy_module():
    assert loaded_after("import hhdyn, analysis") == []


def test_everyday_tools_load_no_heavy_module():
    code = ("import reductions\nfrom hhdyn import HodgkinHuxley, simulate\n"
            "from analysis import continue_equilibria, continue_cycles, fixed_points, PhasePlane, compare")
    assert loaded_after(code) == []


def test_hhdyn_help_loads_no_heavy_module():
    # the console script's entry point; argparse exits 0 after printing the help
    code = ("import sys\nfrom hhdyn.app.cli import main\nsys.argv = ['hhdyn', '--help']\n"
            "try:\n    main()\nexcept SystemExit as stop:\n    assert stop.code in (0, None), stop.code")
    assert loaded_after(code) == []


@pytest.mark.parametrize("name", ["continue_equilibria", "fixed_points", "sweep", "hh_axon", "Explorer"])
def test_lazy_names_resolve_to_their_source(name):
    import importlib

    import analysis

    value = getattr(analysis, name)
    assert name in analysis.__all__ and name in dir(analysis)
    module = importlib.import_module(value.__module__)
    assert getattr(module, name) is value


def test_analysis_sweep_stays_the_function_after_importing_the_module():
    import importlib

    import analysis

    importlib.import_module("analysis.sweep")
    assert callable(analysis.sweep) and analysis.sweep.__name__ == "sweep"


def test_unknown_name_is_an_attribute_error():
    import analysis

    with pytest.raises(AttributeError, match="no_such_tool"):
        analysis.no_such_tool


def test_first_compilation_is_announced_through_the_callback(tmp_path):
    code = f"""
import sys
from hhdyn.compile_notice import set_announcer, compile_stats
lines = []
set_announcer(lines.append, heartbeat=60)
assert "numba" not in sys.modules, "setting the announcer must not import numba"
import numba

@numba.njit(cache=True)
def twice(x):
    return 2.0 * x

assert twice(1.5) == 3.0
stats = compile_stats()
assert stats["count"] == 1 and stats["kernels"][0][0] == "twice", stats
assert lines[0].startswith("compiling twice") and lines[-1].startswith("compiled twice in "), lines
twice(2.5)  # compiled already: silent
assert len(lines) == 2, lines
"""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    script = tmp_path / "probe.py"  # numba's cache=True needs a file, not -c
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_announcer_rejects_bad_input():
    from hhdyn.compile_notice import set_announcer

    with pytest.raises(ValueError, match="callable"):
        set_announcer("stderr")
    with pytest.raises(ValueError, match="heartbeat"):
        set_announcer(print, heartbeat=0)


def test_every_hhdyn_name_resolves_to_its_source():
    import importlib

    import hhdyn

    names = [(module, name) for module, names in hhdyn._SOURCES.items() for name in names]
    assert sorted([name for _, name in names] + ["stimuli"]) == sorted(hhdyn.__all__)
    for module, name in names:
        assert name in dir(hhdyn)
        assert getattr(hhdyn, name) is getattr(importlib.import_module(f"hhdyn.{module}"), name), name
    assert hhdyn.stimuli is importlib.import_module("hhdyn.stimuli")


def test_hhdyn_equations_stays_the_function_after_importing_the_module():
    # hhdyn.xpp imports hhdyn.equations; the package attribute must stay the function
    code = ("import hhdyn.xpp, hhdyn.equations, hhdyn\n"
            "assert callable(hhdyn.equations) and hhdyn.equations.__name__ == 'equations', hhdyn.equations\n"
            "assert hhdyn.read_ode is hhdyn.xpp.read_ode")
    assert loaded_after(code) == []


def test_hhdyn_help_does_not_load_the_model_layer():
    # the cheap path of issue 18: argparse help needs none of the models or scipy.optimize
    probe = ("import sys\nfrom hhdyn.app.cli import main\nsys.argv = ['hhdyn', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print('@@', sorted(m for m in ('scipy.optimize', 'hhdyn.model', 'hhdyn.squid') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "@@ []" in out.stdout, out.stdout[-500:] + out.stderr[-2000:]


def test_a_name_with_two_sources_is_refused():
    from hhdyn._lazy import lazy_exports

    with pytest.raises(ValueError, match="'f' has two sources"):
        lazy_exports("pkg", {"a": ("f",), "b": ("f",)}, {}, ["f"])
