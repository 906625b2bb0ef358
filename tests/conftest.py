"""Shared test helpers: running the installed ``hhdyn`` command."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _hhdyn_executable():
    beside = Path(sys.executable).parent / "hhdyn"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("hhdyn")
    return [found] if found else [sys.executable, "-m", "hhdyn"]


@pytest.fixture
def run_cli(tmp_path):
    """Run the installed ``hhdyn`` with arguments; returns the CompletedProcess."""

    def run(*args, timeout=600):
        env = dict(os.environ, MPLBACKEND="Agg")
        return subprocess.run(_hhdyn_executable() + [str(a) for a in args], capture_output=True, text=True,
                              timeout=timeout, cwd=tmp_path, env=env)

    return run
