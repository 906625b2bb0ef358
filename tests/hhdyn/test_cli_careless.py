"""Careless command lines (issue 16): each is refused up front with one line naming the bad value and
exit 2, nothing left behind — or gives a correct result. Run in-process through ``main(argv)``."""
from __future__ import annotations

import csv
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from hhdyn.app.cli import main


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


REFUSED = [
    # tracebacks and crashes (item 2): (argv, a word the error must name)
    (["simulate", "--t-end", "1e9"], "--t-end"),
    (["simulate", "--dt", "1e-9"], "--dt"),
    (["simulate", "--param", "gK=1e308"], "gK"),
    (["fi", "--range", "0", "1e9"], "--range"),
    (["fi", "--step", "1e-9"], "--step"),
    (["fi", "--measure", "1e9"], "--measure"),
    (["fi", "--ramp-rate", "1e-12"], "--ramp-rate"),
    (["phaseplane", "--density", "100000"], "--density"),
    (["phaseplane", "--model", "hh", "--others", "m=nan,h=0.6"], "nan"),
    (["bifurcation", "--vary", "C", "--range", "0", "2"], "C=0"),
    (["bifurcation", "--max-step", "1e9"], "--max-step"),
    (["axon", "--dt", "1e-9"], "--dt"),
    # hangs (item 3)
    (["simulate", "--t-end", "1e6", "--csv", "o.csv"], "--t-end"),
    (["bifurcation", "--cycles", "--ntst", "100000"], "--ntst"),
    (["axon", "--length-cm", "1e6"], "--length-cm"),
    (["axon", "--diameter-um", "1e-9"], "--diameter-um"),
    (["axon", "--ra", "1e12"], "--ra"),
    (["axon", "--segment-um", "1e-3"], "--segment-um"),
    (["simulate", "--param", "C=1e-300", "--t-end", "0.05", "--dt", "0.001"], "C"),
    # physically meaningless (item 5)
    (["simulate", "--param", "T=-300"], "absolute zero"),
    (["simulate", "--param", "T=1e6"], "T=1e+06"),
    (["phaseplane", "--model", "hh", "--others", "m=5,h=0.6"], "m=5"),
    (["phaseplane", "--model", "h_plus_n", "--trajectory=-50,5"], "n=5"),
    (["simulate", "--dt", "1000", "--t-end", "10"], "--dt"),
    (["axon", "--celsius", "-300"], "--celsius"),
    (["axon", "--segment-um", "1e9"], "--segment-um"),
    (["axon", "--dt", "10"], "--dt"),
    (["simulate", "--plot", "o.png", "--csv", "o.png"], "o.png"),
    (["fi", "--prominence", "1e9"], "--prominence"),
    # vocabulary (issue 11 item 6)
    (["bifurcation", "--param", "I_ext"], "NAME=VALUE"),
    (["bifurcation", "--vary", "nope", "--range", "0", "1"], "nope"),
    (["explore", "--model", "h_plus_n"], "interactive"),
]


@pytest.mark.parametrize("argv, needle", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_careless_input_is_one_line_exit_2_and_nothing_written(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    code, out, err = run(argv, capsys)
    assert time.monotonic() - start < 20
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hhdyn: error:") and needle in lines[0], err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["simulate", "--I", "-1e3", "--t-end", "1"],
    ["simulate", "--I", "-1E+1", "--t-end", "1"],
    ["fi", "--range", "-1e1", "-5e0", "--step", "5", "--settle", "5", "--measure", "5", "--sweep", "up", "--quiet"],
    ["bifurcation", "--model", "fhn", "--range", "-1e2", "0"],
    ["phaseplane", "--model", "fhn", "--trajectory", "-1e0,0.5", "--t-end", "5"],
])
def test_negative_numbers_in_exponent_form_are_values(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code == 0, err


def test_version_is_the_package_metadata(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        from hhdyn.app.cli import build_parser

        build_parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"hhdyn {version('hhdyn')}"
    assert main(["--version"]) == 0


def test_read_only_existing_output_is_refused_before_work(capsys, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("keep me")
    target.chmod(0o444)
    code, out, err = run(["simulate", "--t-end", "5", "--csv", target], capsys)
    assert code == 2 and "read-only" in err and "out.csv" in err and out == ""
    assert target.read_text() == "keep me" and stat.S_IMODE(target.stat().st_mode) == 0o444
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_existing_writable_output_keeps_its_mode(capsys, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o600)
    code, _, err = run(["simulate", "--t-end", "2", "--csv", target], capsys)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_text().startswith("t_ms")


def test_csv_column_shows_the_applied_current(capsys, tmp_path):
    target = tmp_path / "o.csv"
    code, out, err = run(["simulate", "--I", "10", "--t-end", "2", "--csv", target], capsys)
    assert code == 0, err
    rows = list(csv.DictReader(open(target)))
    column = next(k for k in rows[0] if k.startswith("I_applied"))
    assert {float(r[column]) for r in rows} == {10.0}


def test_fi_without_firing_says_so_instead_of_nan(capsys):
    code, out, err = run(["fi", "--range", "0", "2", "--step", "1", "--settle", "5", "--measure", "20",
                          "--sweep", "up", "--quiet"], capsys)
    assert code == 0, err
    assert "nan" not in out.lower() and "no firing found" in out


def test_phaseplane_finds_both_cycles_of_h_plus_n_at_8(capsys):
    # Rinzel's reduction at I = 8 is bistable: stable rest inside an unstable cycle inside the stable
    # spiking cycle (the gallery's phaseplane_h_plus_n figure and Rinzel & Ermentrout's analysis)
    code, out, err = run(["phaseplane", "--model", "h_plus_n", "--I", "8", "--cycles"], capsys)
    assert code == 0, err
    assert "unstable limit cycle" in out and "  stable limit cycle" in out


def test_unexpected_exception_is_one_line_with_the_internal_code(capsys, monkeypatch):
    from hhdyn.app.commands import simulate

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(simulate, "run", broken)
    code, out, err = run(["simulate"], capsys)
    assert code == 3 and err.count("\n") == 1 and "internal error" in err and "KeyError" in err


def test_keyboard_interrupt_exits_130_and_leaves_nothing(capsys, monkeypatch, tmp_path):
    from hhdyn.simulation import Trajectory

    def interrupted(self, path, currents=False):
        from hhdyn.io import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt

    monkeypatch.setattr(Trajectory, "to_csv", interrupted)
    code, out, err = run(["simulate", "--t-end", "2", "--csv", tmp_path / "o.csv"], capsys)
    assert code == 130 and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_sigterm_removes_the_temporary_file(tmp_path):
    script = (
        "import sys, time\n"
        "from hhdyn.app import cli\n"
        "from hhdyn.simulation import Trajectory\n"
        "from hhdyn.io import atomic_path\n"
        "def slow(self, path, currents=False):\n"
        "    with atomic_path(path) as tmp:\n"
        "        tmp.write_text('half'); print('writing', flush=True); time.sleep(60)\n"
        "Trajectory.to_csv = slow\n"
        "sys.exit(cli.main(['simulate', '--t-end', '2', '--csv', sys.argv[1]]))\n"
    )
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "o.csv")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("writing"):
            break
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "SIGTERM" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_interrupted_gallery_leaves_a_valid_index(tmp_path, monkeypatch):
    from hhdyn.app import gallery

    figures = gallery.registry()
    names = list(figures)[:2]
    calls = []

    def progress(line):
        calls.append(line)
        if len(calls) == 3:  # the second figure starts: interrupt it
            raise KeyboardInterrupt

    import matplotlib.pyplot as plt

    def tiny():
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.plot([0, 1])
        return fig

    monkeypatch.setattr(gallery, "registry", lambda: {n: gallery.GalleryFigure(n, f"about {n}", tiny)
                                                      for n in names})
    with pytest.raises(KeyboardInterrupt):
        gallery.render(tmp_path, None, progress=progress)
    index = (tmp_path / "index.md").read_text()
    assert f"![{names[0]}]({names[0]}.png)" in index and names[1] not in index
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["index.md", f"{names[0]}.png"])


def test_gallery_renders_byte_for_byte_twice(tmp_path):
    from hhdyn.app import gallery

    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        gallery.render(out, ["passive_membrane"])
    assert (a / "passive_membrane.png").read_bytes() == (b / "passive_membrane.png").read_bytes()
    before = (a / "passive_membrane.png").stat().st_mtime_ns
    gallery.render(a, ["passive_membrane"])  # an unchanged figure is not rewritten
    assert (a / "passive_membrane.png").stat().st_mtime_ns == before


def _spike_count(out: str) -> int:
    return int(out.split(":")[1].split("spikes")[0])


def test_hh1952_counts_spikes_like_the_modern_model(capsys):
    # I_1952 = -I_ext: +10 µA/cm² in the 1952 convention hyperpolarizes, exactly as -10 in the modern one
    code, out_1952, err = run(["simulate", "--model", "hh1952", "--I", "10", "--t-end", "50"], capsys)
    assert code == 0, err
    code, out_modern, err = run(["simulate", "--model", "hh", "--I", "-10", "--t-end", "50"], capsys)
    assert code == 0, err
    assert _spike_count(out_1952) == _spike_count(out_modern) == 0


@pytest.mark.parametrize("argv, needle", [
    (["compare", "--reduced", "fhn", "--c", "nan"], "--c"),
    (["compare", "--reduced", "h_plus_n", "--param", "T=-274"], "absolute zero"),
    (["axon", "--param", "T=3"], "--celsius"),
    (["axon", "--param", "gX=1"], "gX"),
    (["gallery", "--list", "--only", "nope"], "nope"),
    (["simulate", "--plot", "o.xyz"], ".xyz"),
    (["phaseplane", "--model", "fhn", "--others", "v=1"], "--others"),
    (["bifurcation", "--model", "fhn", "--range", "0", "1", "--range2", "1e308", "0"], "--two-param"),
])
def test_more_careless_input(argv, needle, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and needle in err and out == ""
    assert list(tmp_path.iterdir()) == []


def test_gallery_names_a_long_figure_while_it_computes(tmp_path, monkeypatch):
    """A figure that takes longer than the heartbeat is announced again while it computes (issue 18:
    no silent stretch), and nothing is sent after it is written."""
    import time

    import matplotlib.pyplot as plt

    from hhdyn.app import gallery

    def slow():
        time.sleep(0.5)
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.plot([0, 1])
        return fig

    monkeypatch.setattr(gallery, "HEARTBEAT_S", 0.1)
    monkeypatch.setattr(gallery, "registry", lambda: {"slow": gallery.GalleryFigure("slow", "slow", slow)})
    lines = []
    gallery.render(tmp_path, None, progress=lines.append)
    time.sleep(0.3)
    assert "computing slow" in lines[0] and "wrote" in lines[-1]
    beats = lines[1:-1]
    assert len(beats) >= 2 and all("still computing slow" in b for b in beats), lines


def test_gallery_in_worker_processes_writes_the_same_pictures(tmp_path):
    """jobs=2 computes figures in two worker processes (issue 18: a first gallery ≤ 40 s on 2
    cores); the PNGs, the index and the order of the returned paths are those of jobs=1."""
    from hhdyn.app import gallery

    names = ["passive_membrane", "iv_curves", "voltage_clamp"]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    lines = []
    assert gallery.render(serial, names) == [serial / f"{n}.png" for n in names]
    assert gallery.render(parallel, names, progress=lines.append, jobs=2) == [parallel / f"{n}.png" for n in names]
    for n in names:
        assert (serial / f"{n}.png").read_bytes() == (parallel / f"{n}.png").read_bytes()
    for n in names:  # each figure is announced by its worker and reported written by the parent
        assert any(f"computing {n}" in line for line in lines) and any(f"wrote {parallel / n}.png" in line
                                                                        for line in lines), lines


def test_parallel_gallery_starts_the_longest_figures_first(tmp_path, monkeypatch):
    """With workers, the figures start in the order of their ``seconds`` hints, longest first (so
    that no long figure is left running alone at the end); the paths come back in registry order."""
    import matplotlib.pyplot as plt

    from hhdyn.app import gallery

    def taking(seconds):  # a figure that takes a tenth of its hint: starts are then ordered, not a race
        def make():
            time.sleep(seconds / 10.0)
            fig, ax = plt.subplots(figsize=(1, 1))
            ax.plot([0, 1])
            return fig
        return make

    hints = {"a_short": 0.1, "b_long": 5.0, "c_middle": 2.0, "d_short": 0.2}
    monkeypatch.setattr(gallery, "registry",
                        lambda: {n: gallery.GalleryFigure(n, n, taking(s), s) for n, s in hints.items()})
    lines = []
    assert gallery.render(tmp_path, None, progress=lines.append, jobs=2) == [tmp_path / f"{n}.png" for n in hints]
    started = [n for line in lines for n in hints if f"computing {n} " in line]
    assert sorted(started) == sorted(hints)
    # the two longest are taken first (one per worker); the short ones only after one of them
    assert set(started[:2]) == {"b_long", "c_middle"}, lines


@pytest.mark.parametrize("jobs", [0, -1, 1.5])
def test_gallery_refuses_a_bad_number_of_jobs(jobs, tmp_path):
    from hhdyn.app import gallery

    with pytest.raises(ValueError, match="jobs"):
        gallery.render(tmp_path / "out", ["passive_membrane"], jobs=jobs)
    assert not (tmp_path / "out").exists()


def test_gallery_cli_refuses_zero_jobs(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["gallery", "--jobs", "0", "--only", "passive_membrane"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--jobs" in err and out == ""
    assert list(tmp_path.iterdir()) == []
