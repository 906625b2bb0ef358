"""analysis.compare (reduced vs full), the gallery figures and the `hhdyn compare` / `hhdyn fi` CLI."""
import csv
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import analysis  # noqa: E402
from analysis.comparison import Comparison  # noqa: E402
from hhdyn import HodgkinHuxley  # noqa: E402
from reductions import fast_m  # noqa: E402

HH = HodgkinHuxley()


@pytest.mark.slow
def test_compare_hh_with_fast_m_end_to_end_to_csv(tmp_path):
    result = analysis.compare(HH, fast_m(HH))
    assert isinstance(result, Comparison)
    path = tmp_path / "compare.csv"
    result.to_csv(path)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_name = {r["quantity"]: r for r in rows}
    assert list(rows[0]) == ["quantity", "unit", "full", "reduced", "abs_diff", "rel_diff"]
    for name in ("resting potential", "rheobase (100 ms step)", "threshold (1 ms pulse)",
                 "absolute refractory period", "relative refractory period end", "F–I onset current (up sweep)",
                 "F–I rate at onset", "spike peak", "spike half-width"):
        assert name in by_name
    # fast_m has exactly the equilibria of HH: same resting potential
    assert float(by_name["resting potential"]["abs_diff"]) == pytest.approx(0.0, abs=1e-9)
    # the full model's column holds the HH values measured by the experiments
    assert float(by_name["rheobase (100 ms step)"]["full"]) == pytest.approx(2.24, abs=0.01)
    assert float(by_name["threshold (1 ms pulse)"]["full"]) == pytest.approx(6.92, abs=0.01)
    assert float(by_name["F–I onset current (up sweep)"]["full"]) == 10.0
    # differences are reduced − full, relative to |full|
    for r in result.rows:
        if math.isfinite(r.full) and math.isfinite(r.reduced) and r.full != 0:
            assert r.abs_diff == pytest.approx(r.reduced - r.full)
            assert r.rel_diff == pytest.approx((r.reduced - r.full) / abs(r.full))
    # continuation rows: Hopf points of the equilibria and the fold of cycles where firing starts
    assert float(by_name["Hopf 1 I_ext"]["full"]) == pytest.approx(9.7754, abs=1e-3)
    assert float(by_name["Hopf 1 I_ext"]["reduced"]) == pytest.approx(7.743, abs=1e-2)
    assert float(by_name["onset of stable cycles (LPC, continuation)"]["full"]) == pytest.approx(6.2603, abs=1e-3)
    assert float(by_name["lowest steady rate, 1000/period at onset"]["full"]) == pytest.approx(50.26, abs=0.05)
    table = result.table()
    assert "rheobase" in table and "reduced" in table
    fig = result.plot()[0].figure
    assert len(fig.axes) == 2
    assert fig.axes[1].get_xlabel() == "V (mV)" and fig.axes[1].get_ylabel() == "n"
    plt.close(fig)


def test_compare_rejects_models_without_voltage_and_bad_ranges():
    from reductions import FitzHughNagumo

    with pytest.raises(ValueError, match="reduced"):
        analysis.compare(HH, FitzHughNagumo())
    with pytest.raises(ValueError, match="fi_currents"):
        analysis.compare(HH, fast_m(HH), fi_currents=[5.0, 1.0])
    with pytest.raises(ValueError, match="hopf_range"):
        analysis.compare(HH, fast_m(HH), hopf_range=(10.0, 0.0))


def test_gallery_registers_issue_3_figures():
    from hhdyn.app.gallery import registry

    names = registry()
    for name in ("reductions_traces", "hh_on_vn_plane", "strength_duration", "fi_hysteresis", "h_n_relation"):
        assert name in names


def test_gallery_phase_plane_figure_renders():
    from hhdyn.app.gallery import registry

    fig = registry()["hh_on_vn_plane"].make()
    assert len(fig.axes) == 2
    plt.close(fig)


# ------------------------------------------------------------------ CLI
def test_cli_fi_writes_csv_and_plot(run_cli, tmp_path):
    proc = run_cli("fi", "--range", "0", "12", "--step", "4", "--ramp-rate", "0.1", "--plot", "out.png",
                   "--csv", "out.csv", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.png").stat().st_size > 1000
    data = np.genfromtxt(tmp_path / "out.csv", delimiter=",", names=True)
    np.testing.assert_allclose(data["I_ext_uA_per_cm2"], [0.0, 4.0, 8.0, 12.0])
    assert data["rate_up_Hz"][-1] > 60.0 and data["rate_up_Hz"][0] == 0.0
    assert data["rate_down_Hz"][2] > 40.0  # bistable at 8 µA/cm²: still firing on the way down
    assert "bistable band: [8, 8]" in proc.stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (("fi", "--range", "50", "0"), "--range"),
        (("fi", "--range", "5", "5"), "--range"),
        (("fi", "--step", "0"), "--step"),
        (("fi", "--csv", "missing_dir/x.csv"), "missing_dir"),
        (("compare", "--reduced", "bogus"), "--reduced"),
        (("compare", "--reduced", "h_plus_n", "--c", "2"), "c must lie in"),
        (("compare", "--reduced", "fhn", "--model", "fhn"), "--model"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(run_cli, args, needle):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hhdyn: error:")
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_compare_fhn(run_cli, tmp_path):
    proc = run_cli("compare", "--reduced", "fhn", "--no-refractory", "--csv", "cmp.csv", "--plot", "cmp.png",
                   "--quiet")
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "cmp.csv", newline="") as handle:
        rows = {r["quantity"]: r for r in csv.DictReader(handle)}
    assert "absolute refractory period" not in rows
    # the FHN caricature of the h + n = 0.8 model rests within 1 mV of that model (−65.19 mV)
    assert float(rows["resting potential"]["reduced"]) == pytest.approx(-65.19, abs=1.0)
    assert float(rows["resting potential"]["full"]) == pytest.approx(-65.0, abs=0.01)
    assert (tmp_path / "cmp.png").stat().st_size > 1000
    assert "FHN (anchored) fit" in proc.stdout
