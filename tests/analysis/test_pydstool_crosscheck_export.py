"""Cross-check: HH exported with to_pydstool, continued by PyDSTool's PyCont (EP-C), vs ours.

Runs in the Python 3.9 side env of :mod:`analysis.pydstool_env`; skips cleanly without pyenv's
Python 3.9.18 or when the env cannot be built. PyCont's Hopf test uses numpy's RNG, which the
runner seeds; its printed l1 is wrong in sign and scale, so only locations are compared.
"""
from __future__ import annotations

import pytest

import hhdyn
from analysis.continuation import continue_equilibria
from analysis.pydstool_export import to_pydstool

pytestmark = pytest.mark.pydstool


@pytest.fixture(scope="module")
def side_env():
    import analysis.pydstool_env as env

    if env.find_python39() is None:
        pytest.skip(f"PyDSTool cross-check needs pyenv's Python {env.PYTHON_VERSION}; skipped")
    try:
        return env.ensure_env()
    except env.PyDSToolUnavailable as exc:
        pytest.skip(f"PyDSTool side env cannot be built: {str(exc).splitlines()[0]}")


def test_exported_hh_hopf_points_match_pycont(side_env):
    import analysis.pydstool_env as env

    start, stop = -10.0, 200.0
    model = hhdyn.HodgkinHuxley(I_ext=start)
    spec = to_pydstool(model)
    result = env.run_pycont(spec, {"free_param": "I_ext", "start": start, "stop": stop, "seed": 0,
                                   "max_step": 2.0}, env_path=side_env)
    theirs = sorted(p["param"] for p in result["special_points"] if p["kind"] == "H")
    ours = [p.param for p in continue_equilibria(model, "I_ext", start, stop).points("H")]
    assert len(theirs) == 2 and len(ours) == 2
    for a, b in zip(ours, theirs):
        assert abs(a - b) < 1e-4
    assert not [p for p in result["special_points"] if p["kind"] == "LP"]
