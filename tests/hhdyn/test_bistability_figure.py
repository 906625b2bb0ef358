"""The bistability-region gallery figure and ``hhdyn bifurcation --two-param NAME --cycles``.

Reference values, independent of our code: HH (gK = 36 mS/cm², T = 6.3 °C) has its fold of cycles
at I_ext = 6.26032 µA/cm² and its first (subcritical) Hopf point at 9.77544 µA/cm² (AUTO-07p, the
issue's values); the shaded band's edges at gK = 36 and at T = 6.3 must be these two currents.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

LPC_HH, HOPF_HH = 6.26032, 9.77544  # µA/cm², AUTO-07p

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.app.gallery import registry

    item = registry()["bistability_region"]
    fig = item.make()
    yield item, fig
    plt.close(fig)


def _band_edges_at(ax, value2):
    """I_ext range of the shaded region's boundary vertices at p2 = value2."""
    from matplotlib.collections import PolyCollection

    (fill,) = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_label().startswith("bistable")]
    xy = np.concatenate([p.vertices for p in fill.get_paths()])
    x = xy[np.abs(xy[:, 1] - value2) < 1e-12, 0]
    return float(x.min()), float(x.max())


def test_registered_and_renders_with_both_curves_gh_and_band(rendered, tmp_path):
    item, fig = rendered
    assert "bistab" in item.description and "µA/cm²" in item.description
    axes = fig.axes
    assert len(axes) == 6
    for ax in axes:  # every panel: a Hopf curve, units on the axes
        labels = [line.get_label() for line in ax.get_lines()]
        assert "Hopf curve (H)" in labels
        assert ax.get_xlabel() == "I_ext (µA/cm²)"
        assert ax.get_ylabel() in ("gK (mS/cm²)", "T (°C)")
    for ax in (axes[0], axes[3], axes[4]):  # HH in gK and T, fast-m in T: LPC curve, GH, band
        labels = [line.get_label() for line in ax.get_lines()]
        assert "fold of cycles (LPC)" in labels and "GH" in labels
        assert any(c.get_label().startswith("bistable") for c in ax.collections)
    for ax in (axes[1], axes[2], axes[5]):  # fast-m in gK, h + n (canard folds) in gK and T: LPC curve and band
        assert "fold of cycles (LPC)" in [line.get_label() for line in ax.get_lines()]
        assert any(c.get_label().startswith("bistable") for c in ax.collections)
    assert "CPC" in [line.get_label() for line in axes[0].get_lines()]  # HH's LPC curve in gK has cusps
    fig.savefig(tmp_path / "b.png", dpi=50)
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("panel, value2", [(0, 36.0), (3, 6.3)])
def test_band_at_the_one_parameter_values(rendered, panel, value2):
    _, fig = rendered
    lo, hi = _band_edges_at(fig.axes[panel], value2)
    assert abs(lo - LPC_HH) < 1e-4 and abs(hi - HOPF_HH) < 1e-4


def test_band_closes_at_the_gh_point():
    """The band of HH in (I_ext, gK) ends at the GH point of the Hopf curve, where the LPC curve ends too."""
    from hhdyn.app.gallery.bistability import bistability_curves, bistable_band, bistable_region
    from hhdyn.squid import HodgkinHuxley

    hh = HodgkinHuxley()
    hopf, lpc, note = bistability_curves(hh, "T")
    assert lpc is not None, note
    q, i_lpc, i_hopf = bistable_band(lpc, hopf, 6.3)
    (gh,) = hopf.points("GH")
    # the top of the band: the GH point (or the LPC curve's last point, extrapolated to it just below)
    assert gh.info["T"] - 1e-3 < q[-1] <= gh.info["T"]
    assert abs(i_lpc[-1] - gh.param) < 0.5 and abs(i_hopf[-1] - gh.param) < 0.5
    end = lpc.special_points[-1]
    assert end.kind == "GH" and abs(end.param - gh.param) < 1e-2 and abs(end.info["T"] - gh.info["T"]) < 1e-2
    # the bound, with the figure's settings (NTST = 50, NCOL = 4): the LPC curve's GH end
    # (extrapolated to zero amplitude) against the Hopf curve's GH (l1 = 0 on the Hopf system)
    assert abs(end.param - gh.param) < 1e-4 and abs(end.info["T"] - gh.info["T"]) < 1e-4
    inside = q < gh.info["T"] - 0.5
    assert np.all(i_lpc[inside] < i_hopf[inside])
    # the region on the GH side is bounded by both curves up to the GH point itself
    upper = bistable_region(lpc, hopf, 6.3)[0]
    assert np.any(np.all(upper == [gh.param, gh.info["T"]], axis=1))
    assert np.any(np.all(np.abs(upper - [LPC_HH, 6.3]) < [1e-4, 1e-12], axis=1))
    assert np.any(np.all(np.abs(upper - [HOPF_HH, 6.3]) < [1e-4, 1e-12], axis=1))
    assert upper[:, 1].min() == pytest.approx(6.3, abs=1e-12)


def test_gh_ends_agree_in_gk_with_the_figures_settings():
    """HH in (I_ext, gK): where the LPC curve ends at the Hopf curve's GH point, both agree to 1e-4
    in both parameters (the issue's bound; the figure's NTST = 50, NCOL = 4)."""
    from hhdyn.app.gallery.bistability import bistability_curves
    from hhdyn.squid import HodgkinHuxley

    hopf, lpc, note = bistability_curves(HodgkinHuxley(), "gK")
    assert lpc is not None, note
    end = lpc.special_points[-1]
    (gh,) = hopf.points("GH")
    assert end.kind == "GH"
    assert abs(end.param - gh.param) < 1e-4 and abs(end.info["gK"] - gh.info["gK"]) < 1e-4


def test_cli_two_param_cycles_writes_both_curves(tmp_path, run_cli):
    proc = run_cli("bifurcation", "--range", "0", "12", "--two-param", "gK", "--range2", "20", "60", "--cycles",
                   "--json", str(tmp_path / "out.json"), "--csv", str(tmp_path / "out.csv"),
                   "--plot", str(tmp_path / "out.png"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "out.json").read_text())
    kinds = [b["kind"] for b in data["branches"]]
    assert kinds == ["EP", "LC", "H", "LPC"]
    lpc = data["branches"][3]
    assert np.any(np.abs(np.array(lpc["columns"]["gK"]) - 36.0) < 1e-12)
    at36 = np.array(lpc["columns"]["I_ext"])[np.abs(np.array(lpc["columns"]["gK"]) - 36.0) < 1e-12]
    assert np.all(np.abs(at36 - LPC_HH) < 1e-4)
    csv_kinds = {line.split(",")[1] for line in (tmp_path / "out.csv").read_text().splitlines()[1:]}
    assert {"H", "LPC"} <= csv_kinds
    assert (tmp_path / "out.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, message", [
    (("--model", "fhn", "--range", "0", "0.2", "--two-param", "b", "--cycles"), "no fold of cycles (LPC)"),
    (("--two-param", "gX", "--cycles", "--range", "0", "12"), "unknown parameter 'gX'"),
])
def test_cli_bad_input_exit_2_one_line(args, message, capsys):
    from hhdyn.app.cli import main

    assert main(["bifurcation", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hhdyn: error:") and message in err
    assert err.count("\n") == 1
