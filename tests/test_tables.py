"""Results as tables: ``to_dataframe()`` (pandas) and ``to_xarray()`` (xarray), both optional.

Every number must survive the conversion exactly (``==``, not approximately): the DataFrame's
columns are the result's own fields, and the Dataset's variables are the arrays the result
holds, with their units as ``units`` attributes. Column names carry units (``t_ms``, ``V_mV``,
``I_ext_uA_per_cm2``, ``rate_up_Hz``). Without pandas/xarray the methods raise an ImportError
that names the ``tables`` extra.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as np
import pytest

import analysis
import hhdyn
import reductions
from hhdyn.results import Grid, Result, Variable, optional_import
from hhdyn.stimuli import Step

pd = pytest.importorskip("pandas")
HH = hhdyn.HodgkinHuxley()


def _same(a, b):
    """Exact equality, NaN equal to NaN, dtype-agnostic between bool/int/float."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        np.testing.assert_array_equal(a.astype(float), b.astype(float))
    else:
        assert (a == b).all()


@pytest.fixture(scope="module")
def trajectory():
    return hhdyn.simulate(HH, 5.0, stimulus=Step(1.0, 1.0, 20.0), dt=0.1)


@pytest.fixture(scope="module")
def batch():
    return hhdyn.simulate_batch(HH, 30.0, params={"I_ext": [0.0, 10.0, 20.0]}, method="rk4", record=1.0)


@pytest.fixture(scope="module")
def sweep2d():
    return analysis.sweep(HH, {"I_ext": [0.0, 20.0], "gK": [30.0, 36.0, 40.0]}, measure="count", progress=False,
                          method="rk4", t_end=60.0)


@pytest.fixture(scope="module")
def cable_run():
    from hhdyn.cable import CableModel
    from hhdyn.morphology import cable

    return CableModel(cable(1000.0, 2.0, 8), HH).run(3.0, 0.05, injections={0: Step(0.0, 0.5, 0.5)})


# ------------------------------------------------------------------------ to_dataframe
def test_trajectory_dataframe_is_its_fields_with_units_in_the_names(trajectory):
    df = trajectory.to_dataframe()
    assert list(df.columns) == ["t_ms", "V_mV", "m", "h", "n", "I_applied_uA_per_cm2"]
    _same(df["t_ms"], trajectory.t)
    for k, name in enumerate(("V_mV", "m", "h", "n")):
        _same(df[name], trajectory.y[k])
    # the applied current is I_ext + the stimulus, written out independently here
    _same(df["I_applied_uA_per_cm2"], Step(1.0, 1.0, 20.0)(trajectory.t) + 0.0)


def test_fixed_points_dataframe():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", reductions.ReductionWarning)
        fps = analysis.fixed_points(reductions.h_plus_n(HH), {"I_ext": 5.0})
    df = fps.to_dataframe()
    assert len(df) == len(fps)
    assert "V_mV" in df.columns and "n" in df.columns
    _same(df["V_mV"], [fp["V"] for fp in fps])
    _same(df["n"], [fp["n"] for fp in fps])
    assert list(df["kind"]) == [fp.kind for fp in fps]


def test_fi_curve_dataframe():
    fi = analysis.fi_curve(HH, currents=[0.0, 10.0], settle_ms=20.0, measure_ms=60.0, ramp_rate=None)
    df = fi.to_dataframe()
    assert any(c.startswith("I_ext") and c.endswith("uA_per_cm2") for c in df.columns)
    current = next(c for c in df.columns if c.startswith("I_ext"))
    _same(df[current], fi.currents)
    for col in df.columns:
        _same(df[col], fi.columns()[col])
    assert any(c.endswith("_Hz") for c in df.columns)


def test_comparison_dataframe_rows():
    cmp = analysis.compare(HH, reductions.fast_m(HH), fi_currents=[0.0, 10.0], refractory=False, hopf_range=None,
                           trace_ms=15.0)
    df = cmp.to_dataframe()
    assert list(df.columns) == ["quantity", "unit", "full", "reduced", "abs_diff", "rel_diff"]
    assert list(df["quantity"]) == [row.quantity for row in cmp.rows]
    _same(df["full"], [row.full for row in cmp.rows])
    _same(df["reduced"], [row.reduced for row in cmp.rows])
    # the difference, recomputed here from the two columns
    _same(df["abs_diff"], df["reduced"].to_numpy() - df["full"].to_numpy())  # abs_diff = reduced − full


def test_batch_dataframe(batch):
    df = batch.to_dataframe()
    _same(df["I_ext"], [0.0, 10.0, 20.0])
    _same(df["spike_count"], batch.spike_counts)
    _same(df["mean_rate_Hz"], batch.spike_counts * (1000.0 / 30.0))
    _same(df["status"], batch.status)


# ------------------------------------------------------------------------ to_xarray
xr = pytest.importorskip("xarray")


def test_sweep_to_xarray_keeps_the_grid(sweep2d):
    ds = sweep2d.to_xarray()
    assert ds["count"].dims == ("I_ext", "gK")
    _same(ds["I_ext"], [0.0, 20.0])
    _same(ds["gK"], [30.0, 36.0, 40.0])
    _same(ds["count"], sweep2d.values)
    _same(ds["failed"], sweep2d.failed)
    assert ds["I_ext"].attrs["units"] == "µA/cm²" and ds["gK"].attrs["units"] == "mS/cm²"
    # the same numbers as the flat table, row by row (C order, last parameter fastest)
    table = sweep2d.to_dataframe()
    _same(ds["count"].values.ravel(), table["count"])
    _same(np.repeat([0.0, 20.0], 3), table["I_ext"])
    assert ds.attrs["status"] == sweep2d.status and ds.attrs["message"] == sweep2d.message


def test_batch_to_xarray(batch):
    ds = batch.to_xarray()
    _same(ds["I_ext"], [0.0, 10.0, 20.0])
    assert ds["I_ext"].dims == ("member",) and ds["I_ext"].attrs["units"] == "µA/cm²"
    _same(ds["spike_count"], batch.spike_counts)
    assert ds["mean_rate"].attrs["units"] == "Hz"
    for k, name in enumerate(batch.state_names):
        _same(ds[f"final_{name}"], batch.final_state[k])
        _same(ds[name], batch.traces[:, k, :])
        assert ds[name].dims == ("member", "t")
    assert ds["V"].attrs["units"] == "mV" and ds["n"].attrs["units"] == ""
    _same(ds["t"], batch.t)
    assert ds["t"].attrs["units"] == "ms"


def test_cable_to_xarray(cable_run):
    ds = cable_run.to_xarray()
    assert ds["V"].dims == ("compartment", "t")
    _same(ds["V"], cable_run.V)
    _same(ds["t"], cable_run.t)
    _same(ds["distance"], cable_run.distance_um)
    assert list(ds["compartment"].values) == [str(n) for n in cable_run.nodes]
    assert ds["V"].attrs["units"] == "mV" and ds["distance"].attrs["units"] == "µm"
    # a compartment's trace by label, as the result's own trace()
    _same(ds["V"].sel(compartment=str(cable_run.nodes[3])), cable_run.trace(cable_run.nodes[3]))
    # 8 compartments of 1000/8 = 125 µm: path distances 0, 125, 250, ... µm from the root compartment
    np.testing.assert_allclose(ds["distance"].values, 125.0 * np.arange(8), rtol=0, atol=1e-9)


def test_tabular_results_are_not_grids(trajectory):
    with pytest.raises(NotImplementedError, match="to_dataframe"):
        trajectory.to_xarray()


def test_variable_checks_its_dimensions():
    with pytest.raises(ValueError, match="2-dimensional"):
        Variable(("a", "b"), np.zeros(3))


# ------------------------------------------------------------------------ missing extras
def test_missing_package_names_the_extra(monkeypatch, trajectory, sweep2d):
    real_import = builtins.__import__

    def no_tables(name, *args, **kwargs):
        if name.split(".")[0] in ("pandas", "xarray"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    import importlib
    import sys

    monkeypatch.setattr(builtins, "__import__", no_tables)
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: no_tables(name))
    monkeypatch.delitem(sys.modules, "pandas", raising=False)
    with pytest.raises(ImportError, match=r'hhdyn\[tables\]'):
        trajectory.to_dataframe()
    with pytest.raises(ImportError, match=r'hhdyn\[tables\]'):
        sweep2d.to_xarray()
    with pytest.raises(ImportError, match="to_xarray needs the optional package 'xarray'"):
        optional_import("xarray", "to_xarray")


def test_grid_is_public_contract():
    assert issubclass(Grid, object) and hasattr(Result, "to_xarray") and hasattr(Result, "grid")


# ---------------------------------------------------------------- continuation branches as tables
@pytest.fixture(scope="module")
def continuation_results():
    from analysis.continuation import continue_equilibria, continue_hopf
    from analysis.cycles import continue_cycles

    fhn = reductions.FitzHughNagumo()
    eq = continue_equilibria(fhn, "I_ext", (0.0, 2.0))
    hopf = sorted(eq.points("H"), key=lambda p: p.param)[0]
    lc = continue_cycles(hopf, fhn, window=(0.0, 2.0))
    hh_eq = continue_equilibria(HH, "I_ext", (-10.0, 200.0))
    curve = continue_hopf(HH, hh_eq.points("H")[0], "gK", window=(-60.0, 300.0), window2=(0.0, 80.0), ds_max=6.0)
    return eq, lc, curve


def _csv_round_trip(result, tmp_path):
    """The DataFrame has the CSV's header, in order, and the numbers the CSV reads back."""
    from hhdyn.results import read_csv

    df = result.to_dataframe()
    path = tmp_path / f"{type(result).__name__}.csv"
    result.to_csv(path)
    header = path.read_text().splitlines()[0].split(",")
    assert list(df.columns) == header
    back = read_csv(path)
    for name in header:
        if df[name].dtype.kind in "biuf":
            _same(df[name].to_numpy(), back[name])
        else:
            assert list(df[name]) == list(back[name])
    return df


def test_branch_dataframe_is_its_csv(continuation_results, tmp_path):
    eq, _, _ = continuation_results
    df = _csv_round_trip(eq, tmp_path)
    assert len(df) == len(eq)
    _same(df["I_ext"], eq.param)
    for i, s in enumerate(eq.state_names):
        _same(df[s], eq.states[:, i])
    _same(df["eig0_re"], eq.eigenvalues[:, 0].real)
    _same(df["eig0_im"], eq.eigenvalues[:, 0].imag)
    _same(df["stable"], eq.stable)
    assert sorted(df["label"][df["label"] != ""]) == sorted(p.kind for p in eq.special_points)


def test_cycle_branch_dataframe_is_its_csv(continuation_results, tmp_path):
    _, lc, _ = continuation_results
    df = _csv_round_trip(lc, tmp_path)
    assert list(df.columns)[:3] == ["label", "I_ext", "period"]
    _same(df["period"], lc.period)
    _same(df[f"{lc.state_names[0]}_max"], lc.max(lc.state_names[0]))
    _same(df["mu0_re"], lc.multipliers[:, 0].real)
    assert {p.kind for p in lc.special_points} <= set(df["label"])


def test_codim_two_curve_and_diagram_dataframes(continuation_results, tmp_path):
    from analysis.branch import BifurcationDiagram

    eq, lc, curve = continuation_results
    df = _csv_round_trip(curve, tmp_path)
    _same(df["I_ext"], curve.param)
    _same(df["gK"], curve.param2)
    _same(df["l1"], curve.l1)
    diagram = BifurcationDiagram([eq, lc])
    dd = diagram.to_dataframe()
    assert len(dd) == len(eq) + len(lc)
    assert list(dd["branch"].unique()) == [0, 1] and list(dd["kind"].unique()) == ["EP", "LC"]
    on_eq = (dd["branch"] == 0).to_numpy()
    assert np.isnan(dd["period"].to_numpy()[on_eq]).all()
    _same(dd["period"].to_numpy()[~on_eq], lc.period)
    _same(dd["I_ext"], np.concatenate([eq.param, lc.param]))
    assert isinstance(diagram, Result) and isinstance(eq, Result) and isinstance(lc, Result)
