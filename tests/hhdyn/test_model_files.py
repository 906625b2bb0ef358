"""JSON model files: exact round trips; make_model and --model accept paths."""
import json
from pathlib import Path

import numpy as np
import pytest

import hhdyn
from hhdyn.app.catalog import MODELS, make_model
from hhdyn.model_files import ModelFileError, load_model, save_model

DATA = Path(__file__).resolve().parents[1] / "data"


def _same(a, b, rng=np.random.default_rng(3)):
    assert type(a) is type(b)
    assert a.state_names == b.state_names and a.params == b.params and a.name == b.name
    y0 = a.resting_state()
    Y = y0[:, None] * (1 + 0.05 * rng.normal(size=(len(y0), 40)))
    assert np.array_equal(a.rhs(Y), b.rhs(Y))
    assert np.array_equal(a.jacobian(Y), b.jacobian(Y))
    assert np.array_equal(a.resting_state(), b.resting_state())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_catalog_models_round_trip_exactly(tmp_path, name):
    model = make_model(name)
    save_model(model, tmp_path / "m.json")
    _same(model, load_model(tmp_path / "m.json"))


def test_reduction_with_changed_parameters_and_inf_tau_gates(tmp_path):
    from reductions import fast_m, h_plus_n

    for model in (fast_m(hhdyn.HodgkinHuxley(T=18.5, gK=30.0)), h_plus_n(hhdyn.HodgkinHuxley()).with_params(I_ext=3.0)):
        save_model(model, tmp_path / "r.json")
        _same(model, load_model(tmp_path / "r.json"))
    k = hhdyn.Gate.from_inf_tau("k", hhdyn.SigmoidRate(1.0, -30.0, 8.0), hhdyn.ConstantRate(4.0), q10=1.0)
    cell = hhdyn.ConductanceModel([hhdyn.Channel("K", 10.0, -90.0, ((k, 1),)), hhdyn.Channel("L", 0.1, -70.0)],
                                  name="inf-tau cell")
    save_model(cell, tmp_path / "c.json")
    _same(cell, load_model(tmp_path / "c.json"))


def test_equation_model_round_trip(tmp_path):
    ml = hhdyn.read_ode(DATA / "morris_lecar.ode").with_params(I_ext=40.0)
    save_model(ml, tmp_path / "ml.json")
    back = load_model(tmp_path / "ml.json")
    _same(ml, back)
    assert back.options == ml.options and back.state_ranges == ml.state_ranges and back.aux_names == ml.aux_names


def test_bad_files_name_file_and_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "hhdyn-model", "version": 1,\n "kind": }')
    with pytest.raises(ModelFileError, match=r"bad.json:2: not valid JSON"):
        load_model(bad)
    bad.write_text(json.dumps({"format": "hhdyn-model", "version": 1, "kind": "class", "class": "os:system",
                               "params": {}}))
    with pytest.raises(ModelFileError, match="not in the packages"):
        load_model(bad)
    with pytest.raises(ValueError, match="cannot be saved"):
        save_model(hhdyn.ConductanceModel([hhdyn.Channel("X", 1.0, 0.0, ((hhdyn.Gate(
            "x", hhdyn.FunctionRate(lambda V: V * 0 + 1.0), hhdyn.ConstantRate(1.0)), 1),))]), tmp_path / "f.json")
    assert not (tmp_path / "f.json").exists() and not list(tmp_path.glob(".*tmp"))


def test_make_model_accepts_paths(tmp_path):
    save_model(hhdyn.HodgkinHuxley(), tmp_path / "hh.json")
    assert make_model(str(tmp_path / "hh.json"), I_ext=5.0).params["I_ext"] == 5.0
    assert make_model(str(DATA / "fhn.ode")).state_names == ("v", "w")
    with pytest.raises(ValueError, match="model file"):
        make_model("nonesuch")


def test_cli_model_path(run_cli, tmp_path):
    out = tmp_path / "t.csv"
    result = run_cli("simulate", "--model", DATA / "fhn.ode", "--t-end", "20", "--csv", out)
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines()[0].split(",")[1:3] == ["v", "w"]
    result = run_cli("simulate", "--model", tmp_path / "missing.ode", "--t-end", "20")
    assert result.returncode != 0 and "does not exist" in result.stderr
