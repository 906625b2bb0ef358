"""Where a test-time peer tool lives: its own virtual environment, run as a subprocess.

Peers (NEURON, AUTO-07p through bifpy) are never imported by hhdyn. Each is installed into a
separate venv by ``tests/peers/setup_*.sh`` (one recipe, ``tests/peers/setup_peer.sh``), at
``~/.cache/hhdyn/<name>`` unless an environment variable names another directory; the peer's
module (``analysis.neuron_peer``, ``analysis.auto_peer``) runs its runner script with that venv's
Python, JSON in and JSON out.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["PeerEnv"]


@lru_cache(maxsize=8)
def _imports(python: str, module: str) -> bool:
    """Does ``python -c "import module"`` succeed? (one short subprocess per pair, cached)"""
    try:
        done = subprocess.run([python, "-c", f"import {module}"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@dataclass(frozen=True)
class PeerEnv:
    """A peer's venv: ``env_var`` names its directory (default ``~/.cache/hhdyn/<dirname>``);
    ``module`` is what must import there for the peer to count as installed."""

    env_var: str
    dirname: str
    module: str

    def path(self) -> Path:
        return Path(os.environ.get(self.env_var) or Path.home() / ".cache" / "hhdyn" / self.dirname)

    def python(self, check_import: bool = True) -> Path | None:
        """The venv's Python if it exists (and, with ``check_import``, imports ``module``), else None."""
        python = self.path() / "bin" / "python"
        if python.is_file() and (not check_import or _imports(str(python), self.module)):
            return python
        return None
