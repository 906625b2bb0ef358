"""Cross-check of Hodgkin-Huxley bifurcations against PyDSTool's PyCont.

PyDSTool runs in a Python 3.9 side env (``analysis.pydstool_env``); the
tests marked ``pydstool`` build it on first use (about 20 s with PyPI access)
and skip when pyenv's Python 3.9.18 is missing.

Reference values (standard HH, V in mV, 6.3 degC rates): Hopf points at
I_ext = 9.78 and 154.5 uA/cm^2; the cycle branch born at the first Hopf point
turns at a fold of cycles (LPC) near I_ext = 6.26.
"""

import pytest

import analysis.pydstool_env as pydstool_env
from analysis.continuation import continue_equilibria
from analysis.pydstool_export import to_pydstool
from hhdyn import HodgkinHuxley

HOPF_1, HOPF_2, LPC = 9.78, 154.5, 6.26


def hh_spec():
    """The HH model under test, exported by :func:`analysis.pydstool_export.to_pydstool`."""
    return to_pydstool(HodgkinHuxley(I_ext=-10.0))


def _task(**extra):
    """EP-C over I_ext in [-10, 200], seeded; ``extra`` overrides/extends it."""
    task = {"free_param": "I_ext", "start": -10.0, "stop": 200.0, "seed": 0,
            "max_step": 2.0, "cycles": False, "ntst": 50, "ncol": 4}
    task.update(extra)
    return task


@pytest.fixture(scope="module")
def side_env():
    """The built PyDSTool side env (skips without pyenv's Python 3.9.18)."""
    if pydstool_env.find_python39() is None:
        pytest.skip("PyDSTool cross-check needs pyenv's Python %s "
                    "(`pyenv install %s`)" % (pydstool_env.PYTHON_VERSION,
                                               pydstool_env.PYTHON_VERSION))
    try:
        return pydstool_env.ensure_env()
    except pydstool_env.PyDSToolUnavailable as exc:
        pytest.skip(f"PyDSTool side env cannot be built: {str(exc).splitlines()[0]}")


@pytest.fixture(scope="module")
def equilibria(side_env):
    """PyCont EP-C result for the HH spec."""
    return pydstool_env.run_pycont(hh_spec(), _task(), env_path=side_env)


@pytest.fixture(scope="module")
def cycles(side_env):
    """PyCont EP-C + LC-C (ntst=50, ncol=4) result for the HH spec."""
    return pydstool_env.run_pycont(hh_spec(), _task(cycles=True), env_path=side_env)


def _params(points, kind):
    """Parameter values of the special points of one kind."""
    return [p["param"] for p in points if p["kind"] == kind]


def _interp(x, xs, ys):
    """Linear interpolation of ys(xs) at x (xs increasing)."""
    i = next(k for k in range(1, len(xs)) if xs[k] >= x)
    t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return ys[i - 1] + t * (ys[i] - ys[i - 1])


@pytest.mark.pydstool
def test_pycont_finds_both_hopf_points(equilibria):
    hopf = _params(equilibria["special_points"], "H")
    assert len(hopf) == 2, equilibria["special_points"]
    assert hopf[0] == pytest.approx(HOPF_1, abs=0.02)
    assert hopf[1] == pytest.approx(HOPF_2, abs=0.1)
    # PyCont's randomised Hopf test agrees with eigenvalue crossings
    assert len(equilibria["eigen_hopf_brackets"]) == 2


@pytest.mark.pydstool
def test_pycont_branch_spans_window_from_rest(equilibria):
    branch = equilibria["branch"]
    assert branch["param"][0] == pytest.approx(-10.0)
    assert branch["param"][-1] == pytest.approx(200.0, abs=1e-6)
    assert all(b > a for a, b in zip(branch["param"], branch["param"][1:]))
    assert _interp(0.0, branch["param"], branch["V"]) == pytest.approx(-65.0, abs=0.1)
    assert _params(equilibria["special_points"], "LP") == []


@pytest.mark.pydstool
@pytest.mark.slow
def test_pycont_cycle_branch_turns_at_lpc(cycles):
    assert cycles["cycles"]["from"] == "H1"
    lpc = _params(cycles["cycles"]["special_points"], "LPC")
    assert lpc, cycles["cycles"]["special_points"]
    assert min(lpc) == pytest.approx(LPC, abs=0.02)
    assert cycles["timings"]["lc_c_s"] > 0


@pytest.mark.pydstool
def test_runner_failure_carries_stderr_tail(side_env):
    spec = hh_spec()
    spec["ics"]["V"] = float("nan")  # no equilibrium to start from
    with pytest.raises(pydstool_env.PyContRunError, match="did not converge"):
        pydstool_env.run_pycont(spec, _task(), env_path=side_env)


def test_find_python39_none_without_pyenv(monkeypatch, tmp_path):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "nope"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pydstool_env.find_python39() is None


def test_ensure_env_explains_missing_python(monkeypatch, tmp_path):
    monkeypatch.setattr(pydstool_env, "find_python39", lambda: None)
    with pytest.raises(pydstool_env.PyDSToolUnavailable, match="pyenv install 3.9.18"):
        pydstool_env.ensure_env(tmp_path / "env")
    assert not (tmp_path / "env").exists()


def test_ensure_env_never_replaces_foreign_directory(monkeypatch, tmp_path):
    monkeypatch.setattr(pydstool_env, "find_python39", lambda: "/bin/false")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(pydstool_env.PyDSToolUnavailable, match="not a PyDSTool side env"):
        pydstool_env.ensure_env(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_env_path_override(monkeypatch, tmp_path):
    monkeypatch.setenv(pydstool_env.ENV_VAR, str(tmp_path / "side"))
    assert pydstool_env.default_env_path() == tmp_path / "side"


@pytest.mark.pydstool
def test_exported_hh_hopf_points_match_ours(equilibria):
    """PyCont's Hopf points of the exported model agree with our continuation to 1e-4 in I_ext."""
    theirs = sorted(_params(equilibria["special_points"], "H"))
    ours = [p.param for p in continue_equilibria(HodgkinHuxley(I_ext=-10.0), "I_ext", (-10.0, 200.0)).points("H")]
    assert len(theirs) == 2 and len(ours) == 2
    for a, b in zip(ours, theirs):
        assert abs(a - b) < 1e-4
    assert not _params(equilibria["special_points"], "LP")
