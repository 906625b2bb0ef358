"""`hhdyn phaseplane` and `hhdyn explore` end to end through the installed executable."""
from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_phaseplane_plot_and_json(tmp_path, run_cli):
    out, js = tmp_path / "pp.png", tmp_path / "fp.json"
    r = run_cli("phaseplane", "--model", "h_plus_n", "--I", "8", "--plot", str(out), "--json", str(js),
               "--trajectory=-50,0.35", "--t-end", "20")
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
    assert "stable focus" in r.stdout
    data = json.loads(js.read_text())
    assert data["params"]["I_ext"] == 8.0
    assert [d["kind"] for d in data["fixed_points"]] == ["stable focus"]
    assert data["fixed_points"][0]["V"] == pytest.approx(-60.4429, abs=1e-3)


def test_phaseplane_4d_model_is_projected(tmp_path, run_cli):
    r = run_cli("phaseplane", "--model", "hh", "--I", "10", "--csv", str(tmp_path / "nc.csv"))
    assert r.returncode == 0, r.stderr
    assert "projection of the 4D model" in r.stdout and "unstable focus" in r.stdout
    assert (tmp_path / "nc.csv").read_text().startswith("nullcline_of")


def test_phaseplane_fold_and_three_equilibria(run_cli):
    r = run_cli("phaseplane", "--model", "h_plus_n", "--param", "c=1", "--I", "14.605046494")
    assert r.returncode == 0, r.stderr
    assert "fold (LP)" in r.stdout


@pytest.mark.parametrize("args, needle", [
    (["--x", "q"], "x"),
    (["--xlim=10,-10"], "xlim"),
    (["--plot", "/nonexistent-dir/pp.png"], "nonexistent"),
    (["--model", "hh", "--others", "m=0.1"], "others"),
])
def test_phaseplane_bad_input_one_line_exit_2(args, needle, run_cli):
    r = run_cli("phaseplane", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hhdyn: error:") and needle in lines[0]


@pytest.mark.slow
def test_explore_headless_scripted(tmp_path, run_cli):
    out = tmp_path / "ex.png"
    r = run_cli("explore", "--model", "h_plus_n", "--slider", "gK=20:50", "--save", str(out),
               "--param", "I_ext=12", "--click=-50,0.4", "--t-end", "20")
    assert r.returncode == 0, r.stderr
    assert "I_ext = 12" in r.stdout and "unstable focus" in r.stdout and "1 trajectories" in r.stdout
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_explore_bad_input(run_cli):
    r = run_cli("explore", "--model", "h_plus_n", "--slider", "nope")
    assert r.returncode == 2 and "sliders" in r.stderr
    r = run_cli("explore", "--model", "h_plus_n", "--click=-50,0.4")
    assert r.returncode == 2 and "--save" in r.stderr
