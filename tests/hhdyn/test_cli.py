"""The installed ``hhdyn`` command: simulate, gallery, and one-line errors with exit code 2."""
import csv

import pytest


def test_simulate_writes_plot_and_csv(run_cli, tmp_path):
    result = run_cli("simulate", "--I", "10", "--t-end", "100", "--plot", tmp_path / "out.png",
                     "--csv", tmp_path / "out.csv")
    assert result.returncode == 0, result.stderr
    assert "7 spikes" in result.stdout
    assert (tmp_path / "out.png").stat().st_size > 5000
    rows = list(csv.reader(open(tmp_path / "out.csv")))
    assert rows[0][:2] == ["t_ms", "V_mV"] and len(rows) == 10002


def test_simulate_with_model_param_and_step(run_cli, tmp_path):
    result = run_cli("simulate", "--model", "h_plus_n", "--param", "gK=36", "--step", "5,1,20", "--t-end", "30",
                     "--csv", tmp_path / "o.csv")
    assert result.returncode == 0, result.stderr
    assert "1 spikes" in result.stdout


@pytest.mark.parametrize("args, needle", [
    (["simulate", "--param", "gXX=3"], "gXX"),
    (["simulate", "--I", "ten"], "ten"),
    (["simulate", "--t-end", "-5"], "-5"),
    (["simulate", "--step", "1,-2,3"], "-2"),
    (["simulate", "--step", "1,2"], "ONSET,DURATION,AMPLITUDE"),
    (["simulate", "--plot", "/nonexistent-dir/out.png"], "/nonexistent-dir"),
    (["simulate", "--model", "nope"], "nope"),
    (["simulate", "--param", "C=-1"], "'C'"),
    (["gallery", "--only", "no_such_figure"], "no_such_figure"),
])
def test_bad_input_is_one_line_and_exit_code_2(run_cli, args, needle):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0] and "Traceback" not in result.stderr


def test_output_under_a_file_is_refused_before_any_work(run_cli, tmp_path):
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    result = run_cli("simulate", "--t-end", "5", "--csv", blocker / "o.csv")
    assert result.returncode == 2 and "plain-file" in result.stderr
    assert blocker.read_text() == "not a folder"


def test_help_for_each_command(run_cli):
    for command in ("simulate", "gallery"):
        result = run_cli(command, "--help")
        assert result.returncode == 0 and "usage: hhdyn" in result.stdout


@pytest.mark.slow
def test_gallery_writes_non_empty_pngs(run_cli, tmp_path):
    result = run_cli("gallery", "--out", tmp_path / "gal")
    assert result.returncode == 0, result.stderr
    pngs = sorted((tmp_path / "gal").glob("*.png"))
    assert len(pngs) >= 4
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert (tmp_path / "gal" / "index.md").exists()
