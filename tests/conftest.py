"""Shared test helpers: running the installed ``hhdyn`` command; the hand-written Morris–Lecar
reference (``tests/ml_reference.py``) as the ``ml_reference`` fixture; the hand-written HH and its
integrated monodromy (``tests/hh_reference.py``) as ``hh_reference``."""
import importlib.util
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


def _load_helper(filename):
    """A helper module of the tests (``tests/<filename>``), loaded by path (the tests import in
    importlib mode: ``tests/`` is not on sys.path)."""
    spec = importlib.util.spec_from_file_location(f"hhdyn_tests_{Path(filename).stem}", Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ml_reference():
    """The module ``tests/ml_reference.py``: ``HandML(which, **overrides)``, ``SETS``, ``COMMON``."""
    return _load_helper("ml_reference.py")


@pytest.fixture(scope="session")
def hh_reference():
    """The module ``tests/hh_reference.py``: ``hh_rhs``, ``monodromies``, ``fold_multiplier``, ``flip_multiplier``."""
    return _load_helper("hh_reference.py")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``HHDYN_REQUIRE_PEERS="neuron pydstool xppaut auto"``, set by ``.ci/run``) a peer cross-check that
    skips — its peer environment missing or broken — fails instead: a check that never runs
    protects nothing."""
    outcome = yield
    report = outcome.get_result()
    required = set(os.environ.get("HHDYN_REQUIRE_PEERS", "").split())
    if report.skipped and required and any(item.get_closest_marker(m) for m in required):
        report.outcome = "failed"
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"peer cross-check skipped although HHDYN_REQUIRE_PEERS={os.environ['HHDYN_REQUIRE_PEERS']!r}: {reason}"


@pytest.fixture(scope="session")
def hh_cycle_branch():
    """HH (standard parameters): equilibria in I_ext over [0, 200] µA/cm², its Hopf points, and the
    cycle branch from the first one with user points at I_ext = 10, 20, 50 — one computation shared
    by the cycle tests and the Floquet-multiplier tests. Returns (model, equilibria, hopf points, cycles)."""
    import analysis
    import hhdyn
    from analysis.cycles import continue_cycles

    hh = hhdyn.HodgkinHuxley()
    eq = analysis.continue_equilibria(hh, param="I_ext", window=(0.0, 200.0))
    hopf = [p for p in eq.special_points if p.kind == "H"]
    return hh, eq, hopf, continue_cycles(hopf[0], hh, window=(0.0, 200.0), values=(10.0, 20.0, 50.0))
