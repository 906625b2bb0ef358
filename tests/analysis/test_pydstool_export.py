"""to_pydstool: the exported text equations are the model's equations."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import hhdyn
from analysis.pydstool_export import to_pydstool, write_pydstool_script
from hhdyn.protocol import ODEModel
from reductions import FitzHughNagumo, fast_m, h_plus_n


def _evaluate(spec, state, pars=None):
    """Evaluate the spec's varspecs with plain Python (the way PyDSTool's python target does)."""
    env = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "pow": pow}
    env.update(spec["pars"] if pars is None else pars)
    for fname, (args, expr) in spec["fnspecs"].items():
        env[fname] = eval(f"lambda {', '.join(args)}: {expr}", env)  # noqa: S307 - test-only
    env.update(state)
    return {var: eval(expr, env) for var, expr in spec["varspecs"].items()}  # noqa: S307


def _models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hpn1 = h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)
    hh = hhdyn.HodgkinHuxley(T=18.5, I_ext=3.0)
    return [hh, hhdyn.HodgkinHuxley1952(), fast_m(hh), h_plus_n(hh), hpn1, FitzHughNagumo(I_ext=0.4)]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.name[:30])
def test_exported_equations_match_rhs(model):
    spec = to_pydstool(model)
    assert set(spec) == {"name", "varspecs", "fnspecs", "pars", "ics"}
    assert spec["name"].isidentifier()
    assert list(spec["varspecs"]) == list(model.state_names)
    assert spec["pars"] == {k: float(v) for k, v in model.params.items()}
    assert json.loads(json.dumps(spec)) == spec  # plain data
    for args, expr in spec["fnspecs"].values():
        assert isinstance(args, list) and isinstance(expr, str)
    rng = np.random.default_rng(1)
    rest = np.array([spec["ics"][v] for v in model.state_names])
    assert np.max(np.abs(model.rhs(rest))) < 1e-9
    for _ in range(20):
        y = rest + rng.normal(scale=[10.0] + [0.1] * (model.n_states - 1)) if model.state_names[0] == "V" \
            else rest + rng.normal(scale=0.5, size=model.n_states)
        got = _evaluate(spec, dict(zip(model.state_names, y)))
        want = model.rhs(y)
        assert np.allclose([got[v] for v in model.state_names], want, rtol=1e-12, atol=1e-12)


def test_parameters_are_live_in_the_export():
    """Changing a par in the spec changes the equations exactly as with_params does."""
    hh = hhdyn.HodgkinHuxley()
    spec = to_pydstool(hh)
    y = hh.resting_state() + np.array([3.0, 0.01, -0.02, 0.01])
    for name, value in (("gK", 20.0), ("T", 15.0), ("EL", -50.0), ("I_ext", 7.0)):
        pars = dict(spec["pars"], **{name: value})
        got = _evaluate(spec, dict(zip(hh.state_names, y)), pars)
        assert np.allclose([got[v] for v in hh.state_names], hh.with_params(**{name: value}).rhs(y), rtol=1e-12)


def test_unsupported_model_is_a_value_error():
    class Toy(ODEModel):
        state_names = ("x",)

        def __init__(self):
            super().__init__({"p": 1.0})

    with pytest.raises(ValueError, match="cannot export"):
        to_pydstool(Toy())


def test_write_script(tmp_path):
    path = tmp_path / "hh_pycont.py"
    write_pydstool_script(hhdyn.HodgkinHuxley(), path, param="I_ext", start=-10.0, stop=200.0)
    text = path.read_text()
    compile(text, str(path), "exec")
    assert "np.random.seed(0)" in text and "EP-C" in text and "import PyDSTool" in text
    assert "wrong sign" in text
    with pytest.raises(ValueError, match="start == stop"):
        write_pydstool_script(hhdyn.HodgkinHuxley(), tmp_path / "x.py", start=1.0, stop=1.0)
    with pytest.raises(ValueError, match="unknown parameter"):
        write_pydstool_script(hhdyn.HodgkinHuxley(), tmp_path / "x.py", param="Iapp", stop=1.0)
