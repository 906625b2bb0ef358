"""The layer contracts of ``pyproject.toml`` ([tool.importlinter]) hold, and they have teeth.

The contracts are checked with import-linter's ``lint-imports`` on the source tree: once as it is
(must pass), and once on a copy in which a model-layer module imports ``analysis`` (must fail, and
the report must name the offending import). ``.ci/run`` also runs ``lint-imports`` itself.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hhdyn", "reductions", "analysis")

pytest.importorskip("importlinter", reason="import-linter is in the test extras")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(tree))
    lint = Path(sys.executable).with_name("lint-imports")
    cmd = [str(lint)] if lint.exists() else [sys.executable, "-m", "importlinter.cli"]
    return subprocess.run(cmd + ["--config", str(tree / "pyproject.toml"), "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300)


def _copy_tree(dest: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_layer_contracts_are_kept():
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout, proc.stdout


@pytest.mark.parametrize("module, statement, upward", [
    ("hhdyn/rates.py", "import analysis.branch", "analysis.branch"),
    ("hhdyn/simulation.py", "from reductions import fast_m", "reductions"),
    ("reductions/fast_m.py", "import analysis", "analysis"),
    ("hhdyn/model.py", "from hhdyn.app import catalog", "hhdyn.app"),
])
def test_an_upward_import_breaks_the_contracts(tmp_path, module, statement, upward):
    tree = _copy_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{statement}  # an upward import, for the test\n")
    proc = _lint(tree)
    assert proc.returncode != 0, proc.stdout
    assert "BROKEN" in proc.stdout
    assert module.replace("/", ".").removesuffix(".py") in proc.stdout
    assert upward.split(".")[0] in proc.stdout
