"""``hhdyn bifurcation`` end to end (the installed executable)."""
from __future__ import annotations

import json

import pytest


def test_hh_diagram_png_and_json(tmp_path, run_cli):
    proc = run_cli("bifurcation", "--model", "hh", "--vary", "I_ext", "--range", "-10", "200",
                "--plot", str(tmp_path / "out.png"), "--json", str(tmp_path / "out.json"),
                "--csv", str(tmp_path / "out.csv"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "out.json").read_text())
    (branch,) = data["branches"]
    assert branch["kind"] == "EP" and branch["status"] == 0
    hopf = [p for p in branch["special_points"] if p["kind"] == "H"]
    assert len(hopf) == 2 and len(branch["special_points"]) == 2
    assert abs(hopf[0]["param"] - 9.7754) < 1e-3 and hopf[0]["info"]["l1"] > 0
    assert abs(hopf[1]["param"] - 154.522) < 1e-2 and hopf[1]["info"]["l1"] < 0
    assert branch["columns"]["I_ext"][0] == -10.0 and branch["columns"]["I_ext"][-1] == 200.0
    assert "subcritical" in proc.stdout and "supercritical" in proc.stdout
    assert (tmp_path / "out.csv").read_text().count(",H,") == 2


def test_two_parameter_curves(tmp_path, run_cli):
    proc = run_cli("bifurcation", "--model", "fhn", "--range", "0", "2", "--two-param", "b", "--range2", "0.1", "1.5",
                "--json", str(tmp_path / "fhn.json"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "fhn.json").read_text())
    kinds = [b["kind"] for b in data["branches"]]
    assert kinds == ["EP", "H", "H"]  # one Hopf curve from each Hopf point
    for curve in data["branches"][1:]:
        (gh,) = [p for p in curve["special_points"] if p["kind"] == "GH"]
        assert abs(gh["info"]["l1"]) < 1e-8
        assert abs(gh["info"]["b"] - 0.5104) < 1e-3


@pytest.mark.parametrize("args, message", [
    (("--vary", "I_app", "--range", "0", "10"), "unknown parameter 'I_app'"),
    (("--range", "5", "5"), "start == stop"),
    (("--range", "0", "nan"), "not a finite number"),
    (("--vary", "gK", ), "--range START STOP is required"),
    (("--plot", "/nonexistent-folder/x.png"), "does not exist"),
    (("--param", "gK=-3"), "gK"),
    (("--two-param", "gX"), "unknown parameter 'gX'"),
    (("--two-param", "gK", "--range2", "40", "50"), "contain gK=36"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    from hhdyn.app.cli import main

    assert main(["bifurcation", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hhdyn: error:") and message in err
    assert err.count("\n") == 1


def test_bad_input_through_the_executable(run_cli):
    proc = run_cli("bifurcation", "--vary", "I_app", "--range", "0", "10")
    assert proc.returncode == 2
    assert proc.stderr.startswith("hhdyn: error:") and "unknown parameter 'I_app'" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_cycles_flag_adds_the_cycle_branch_with_its_folds(tmp_path, run_cli):
    proc = run_cli("bifurcation", "--model", "hh", "--cycles", "--json", str(tmp_path / "out.json"),
                "--plot", str(tmp_path / "out.png"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "out.json").read_text())
    kinds = [b["kind"] for b in data["branches"]]
    assert kinds == ["EP", "LC"]
    lpc = sorted(p["param"] for p in data["branches"][1]["special_points"] if p["kind"] == "LPC")
    assert abs(lpc[0] - 6.2603) < 1e-3


@pytest.mark.parametrize("flag, value", [("--ncol", "9"), ("--ntst", "5")])
def test_bad_collocation_sizes_exit_2(flag, value, run_cli):
    proc = run_cli("bifurcation", "--cycles", flag, value)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and flag in proc.stderr
