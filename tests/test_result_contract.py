"""The result contract (:mod:`hhdyn.results`) checked on a small real instance of every result class.

For each result: ``plot()`` returns an Axes (or, for the documented multi-panel results, a list of
Axes); ``to_csv`` writes a file whose numbers read back exactly equal to the result's own fields
(not merely to its ``columns()``); ``to_json``/``to_dict`` hold the same numbers (NaN and ±inf as
``null``); ``status``/``message`` exist on the results whose computation can end early. The
continuation classes of :mod:`analysis.branch` and :mod:`analysis.cycles.branch` are checked with
the same questions through their own API. A last test walks the public names of ``hhdyn``,
``reductions`` and ``analysis``: every public dataclass is classified here and no two public
classes share a name.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import math
import pkgutil
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import analysis  # noqa: E402
import hhdyn  # noqa: E402
import reductions  # noqa: E402
from hhdyn.results import Record, Result, jsonable, nan_from_none, read_csv  # noqa: E402
from hhdyn.stimuli import Step  # noqa: E402

HH = hhdyn.HodgkinHuxley()


# ---------------------------------------------------------------------------------- instances
class _Lazy(dict):
    """Builds each instance on first use, so a failing builder fails only its own tests."""

    def __init__(self, builders):
        super().__init__()
        self.builders = builders

    def __missing__(self, name):
        value = self.builders[name](self)
        self[name] = value
        return value


def _fhn():
    return reductions.FitzHughNagumo()


def _hpn1():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", reductions.ReductionWarning)
        return reductions.h_plus_n(HH, c=1.0)


def _bistable_plane():
    return analysis.PhasePlane(reductions.FitzHughNagumo(a=0.0, b=2.0, eps=0.08), "v", "w", (-2.5, 2.5),
                               (-1.5, 1.5), t_max=100.0)


def _cable_run():
    from hhdyn.cable import CableModel
    from hhdyn.morphology import cable

    return CableModel(cable(1000.0, 2.0, 8), HH).run(3.0, 0.05, injections={0: Step(0.0, 0.5, 0.5)})


def _fhn_branch(got):
    return analysis.continue_equilibria(got["fhn"], "I_ext", (0.0, 2.0))


BUILDERS = {
    "fhn": lambda got: _fhn(),
    "hpn1": lambda got: _hpn1(),
    "plane": lambda got: _bistable_plane(),
    # hhdyn
    "Trajectory": lambda got: hhdyn.simulate(HH, 5.0, stimulus=Step(1.0, 1.0, 20.0), dt=0.1),
    "BatchResult": lambda got: hhdyn.simulate_batch(HH, 30.0, params={"I_ext": [0.0, 10.0, 20.0]}, method="rk4",
                                                    record=1.0),
    "VoltageClampResult": lambda got: __import__("hhdyn.clamp", fromlist=["voltage_clamp"]).voltage_clamp(
        HH, [-25.0, 5.0], duration=2.0, t_hold=0.2, dt=0.1),
    "CableResult": lambda got: _cable_run(),
    # analysis: equilibria, I–V, nullclines, phase plane
    "FixedPoints": lambda got: analysis.fixed_points(got["hpn1"], {"I_ext": 5.0}),
    "FixedPoint": lambda got: got["FixedPoints"][0],
    "Fold": lambda got: got["IVCurves"].folds[0],
    "IVCurves": lambda got: analysis.iv_curves(got["hpn1"], {"I_ext": 5.0}),
    "Nullclines": lambda got: analysis.nullclines(got["fhn"]),
    "Nullcline": lambda got: got["Nullclines"][0],
    "Orbit": lambda got: got["plane"].trajectory((0.1, 0.0), 20.0),
    "Manifold": lambda got: got["plane"].separatrices()[0],
    "LimitCycle": lambda got: analysis.PhasePlane(reductions.FitzHughNagumo(I_ext=0.5), t_max=300.0).limit_cycles()[0],
    # excitability
    "ThresholdResult": lambda got: analysis.threshold(HH, 1.0, tol=0.05),
    "StrengthDurationResult": lambda got: analysis.strength_duration(HH, (0.5, 2.0), rel_tol=0.02,
                                                                     rheobase_duration_ms=30.0),
    "RefractoryResult": lambda got: analysis.refractory_periods(
        HH, analysis.RefractoryProtocol(max_interval_ms=16.0, scan_step_ms=4.0, interval_tol_ms=0.5),
        recovery_curve=True),
    "FICurve": lambda got: analysis.fi_curve(HH, currents=[0.0, 10.0], settle_ms=20.0, measure_ms=60.0,
                                             ramp_rate=None),
    "FIPoint": lambda got: _fi_point(),
    "AnodeBreakResult": lambda got: analysis.anode_break(HH, -10.0, 10.0, observe_ms=20.0, find_threshold=False),
    "ActionPotential": lambda got: analysis.action_potential(HH, amplitude=20.0, window_ms=8.0),
    "Comparison": lambda got: analysis.compare(HH, reductions.fast_m(HH), fi_currents=[0.0, 10.0],
                                               refractory=False, hopf_range=None, trace_ms=15.0),
    "ComparisonRow": lambda got: got["Comparison"].rows[0],
    # propagation
    "PassiveCableCheck": lambda got: analysis.passive_cable_check(n_segments=20, how="linear"),
    "VelocityResult": lambda got: analysis.measure_conduction_velocity(length_cm=3.0, segment_um=500.0,
                                                                       record_dt=0.05),
    "VelocityDiameterResult": lambda got: analysis.velocity_vs_diameter((238.0, 476.0), length_cm=3.0,
                                                                        segment_um=500.0),
    "CollisionResult": lambda got: analysis.collision(length_cm=3.0, segment_um=500.0, t_end_ms=5.0),
    "AxonRefractoryResult": lambda got: analysis.refractoriness((3.0, 10.0), length_cm=3.0, segment_um=500.0),
    # sweeps, cycles, fits
    "SweepResult": lambda got: analysis.sweep(HH, {"I_ext": [0.0, 20.0]}, measure="count", progress=False,
                                                  method="rk4", t_end=100.0),
    "FiringOnset": lambda got: analysis.firing_onset(got["fhn"], window=(0.0, 2.0), equilibria=got["Branch"]),
    "HNFit": lambda got: reductions.fit_h_n_relation(HH, I_ext=10.0, transient_ms=40.0, n_cycles=1),
    "FHNFit": lambda got: reductions.fhn_from(reductions.h_plus_n(HH)),
    # the core helper's continuation classes
    "Branch": _fhn_branch,
    "SpecialPoint": lambda got: got["Branch"].points("H")[0],
    "CycleBranch": lambda got: got["FiringOnset"].branch,
    "CodimTwoCurve": lambda got: analysis.continue_hopf(got["fhn"], got["Branch"].points("H")[0], "a",
                                                        window=(-5.0, 5.0), window2=(0.0, 1.5), ds_max=0.05,
                                                        max_points=60),
    "BifurcationDiagram": lambda got: analysis.BifurcationDiagram([got["Branch"], got["CycleBranch"]]),
    # phase response and excitability class
    "PeriodicOrbit": lambda got: analysis.limit_cycle(reductions.FitzHughNagumo(I_ext=0.5)),
    "PhaseResponse": lambda got: analysis.phase_response(None, cycle=got["PeriodicOrbit"], n_phases=20),
    "OnsetClass": lambda got: analysis.excitability_class(got["FICurve"]),
}


def _fi_point():
    from analysis.excitability import FIPoint

    return FIPoint(10.0, 68.5, 4, 100.0, np.array([-60.0, 0.05, 0.6, 0.3]), False)


@pytest.fixture(scope="module")
def got():
    instances = _Lazy(BUILDERS)
    yield instances
    plt.close("all")


# Expected table of each result, written straight from its fields: column → values.
def _pairs(mapping_of_arrays, suffix):
    return {f"{k}{suffix}": v for k, v in mapping_of_arrays.items()}


EXPECTED_COLUMNS = {
    "Trajectory": lambda r: {"t_ms": r.t, "V_mV": r.y[0], "m": r.y[1], "h": r.y[2], "n": r.y[3],
                             "I_applied_uA_per_cm2": float(r.model.params["I_ext"]) + Step(1.0, 1.0, 20.0)(r.t)},
    "BatchResult": lambda r: {"I_ext": r.params["I_ext"], "spike_count": r.spike_counts,
                              "mean_rate_Hz": r.spike_counts * (1000.0 / r.t_end), "status": r.status},
    "VoltageClampResult": lambda r: {"command_mV": np.repeat(r.commands, r.t.size), "t_ms": np.tile(r.t, 2),
                                     "g_Na_mS_per_cm2": r.conductances["Na"].ravel(),
                                     "I_K_uA_per_cm2": r.currents["K"].ravel()},
    "CableResult": lambda r: {"t_ms": r.t, **{f"V_{n}_mV": r.V[i] for i, n in enumerate(r.nodes)}},
    "FixedPoints": lambda r: {"V_mV": [fp.state[0] for fp in r], "n": [fp.state[1] for fp in r],
                              "kind": [fp.kind for fp in r], "n_unstable": [fp.n_unstable for fp in r],
                              "eig0_re": [fp.eigenvalues[0].real for fp in r],
                              "eig1_im": [fp.eigenvalues[1].imag for fp in r]},
    "FixedPoint": lambda r: {"V_mV": [r.state[0]], "n": [r.state[1]], "kind": [r.kind], "residual": [r.residual],
                             "eig1_re": [r.eigenvalues[1].real]},
    "IVCurves": lambda r: {"V_mV": r.V, "I_ss_uA_per_cm2": r.I_ss, "I_inst_uA_per_cm2": r.I_inst},
    "Nullclines": lambda r: {"nullcline_of": [c.variable for c in r for _ in c.points],
                             "v": np.concatenate([c.points[:, 0] for c in r]),
                             "w": np.concatenate([c.points[:, 1] for c in r])},
    "Nullcline": lambda r: {"branch": np.concatenate([[b] * len(s) for b, s in enumerate(r.segments)]),
                            "v": r.points[:, 0], "w": r.points[:, 1]},
    "Orbit": lambda r: {"t_ms": r.t, "y0": r.y[0], "y1": r.y[1]},
    "Manifold": lambda r: {"t_ms": r.orbit.t, "v": r.orbit.y[0], "w": r.orbit.y[1]},
    "LimitCycle": lambda r: {"t_ms": r.t, "y0": r.y[0], "y1": r.y[1]},
    "ThresholdResult": lambda r: {"t_ms": r.t, "V_below_mV": r.V_below, "V_above_mV": r.V_above},
    "StrengthDurationResult": lambda r: {"duration_ms": r.durations_ms, "threshold_uA_per_cm2": r.thresholds,
                                         "charge_nC_per_cm2": r.thresholds * r.durations_ms},
    "RefractoryResult": lambda r: {"interval_ms": r.recovery_intervals_ms,
                                   "test_threshold_uA_per_cm2": r.recovery_thresholds},
    "FICurve": lambda r: {"I_ext_uA_per_cm2": r.currents, "rate_up_Hz": r.rate_up, "rate_down_Hz": r.rate_down,
                          "amplitude_up_mV": r.amplitude_up},
    "AnodeBreakResult": lambda r: {"t_ms": r.t, "V_mV": r.V},
    "ActionPotential": lambda r: {"t_ms": r.t, "V_mV": r.V},
    "Comparison": lambda r: {"quantity": [x.quantity for x in r.rows], "full": [x.full for x in r.rows],
                             "reduced": [x.reduced for x in r.rows],
                             "abs_diff": [x.reduced - x.full for x in r.rows]},
    "PassiveCableCheck": lambda r: {"x_um": r.x_um, "dV_mV": r.dV_mV, "ratio": r.ratio,
                                    "ratio_analytic": r.ratio_analytic},
    "VelocityResult": lambda r: {"x_um": r.x_um, "arrival_ms": r.arrival_ms},
    "VelocityDiameterResult": lambda r: {"diameter_um": r.diameters_um, "velocity_m_per_s": r.velocities_m_per_s},
    "CollisionResult": lambda r: {"x_um": r.x_um, "spike_count": r.spike_counts},
    "AxonRefractoryResult": lambda r: {"interval_ms": r.intervals_ms, "propagated": r.propagated.astype(float),
                                       "velocity_m_per_s": r.velocity_m_per_s},
    "SweepResult": lambda r: {"I_ext": r.axes[0], "count": r.values, "failed": r.failed.astype(float)},
    "FiringOnset": lambda r: {"hopf_I_ext_uA_per_cm2": [r.hopf], "onset_I_ext_uA_per_cm2": [r.onset],
                              "kind": [r.kind], "period_ms": [r.period_ms], "rate_Hz": [r.rate_hz]},
    "HNFit": lambda r: {"n": r.n, "h": r.h, "h_fit": r.c + r.slope * r.n},
    "FHNFit": lambda r: {"V_mV": r.V, "v_nullcline": r.v_nullcline, "recovery_nullcline": r.recovery_nullcline},
    "PeriodicOrbit": lambda r: {"t_ms": np.linspace(0.0, r.period, 200),
                                "v": r.state(np.linspace(0.0, r.period, 200))[0],
                                "w": r.state(np.linspace(0.0, r.period, 200))[1]},
    "PhaseResponse": lambda r: {"phase": r.phase, "t_ms": r.phase * r.period, "Z_V_ms_per_mV": r.Z_V,
                                "phase_advance_rad_per_mV": 2 * math.pi * r.Z_V / r.period,
                                "per_charge_ms_per_nC_per_cm2": r.Z_V / r.C, "Z_w_ms": r.Z[1]},
    "OnsetClass": lambda r: {"I_ext_uA_per_cm2": r.currents, "rate_Hz": r.rates,
                             "rate_fit_Hz": np.where(r.currents > r.I_c,
                                                     r.amplitude * np.abs(r.currents - r.I_c) ** r.exponent, np.nan)},
}

#: Results drawn on several panels: plot() returns the list of their Axes (documented).
MULTI_PANEL = {"VoltageClampResult": 2, "Comparison": 2}
#: Results whose computation can end early: they must carry status (int, or per-member ints) and message.
WITH_STATUS = {"Trajectory", "BatchResult", "SweepResult", "Orbit", "Manifold", "Comparison", "FiringOnset",
               "Branch", "CycleBranch", "CodimTwoCurve"}
#: Parts of a result: to_dict/to_json only.
RECORDS = {"Fold", "FIPoint", "ComparisonRow"}
#: The core helper's continuation results, checked through their own API.
CORE = {"Branch", "CycleBranch", "CodimTwoCurve", "CycleCurve", "BifurcationDiagram", "SpecialPoint"}
#: Abstract bases of covered results (a Result subclass with no instances of its own).
ABSTRACT = {"BranchBase"}
RESULTS = sorted(EXPECTED_COLUMNS)


# ---------------------------------------------------------------------------------- comparisons
def _as_expected(values):
    """Expected numbers as they come back from CSV/JSON: floats, non-finite kept (CSV) ."""
    return np.asarray(values, dtype=float)


def _assert_column(back, expected, name):
    expected = np.asarray(expected)
    if expected.dtype.kind in "US" or expected.dtype == object:
        assert back.tolist() == [str(v) for v in expected.tolist()], name
    else:
        # exact equality, NaN == NaN (repr of a float reads back as the same float)
        np.testing.assert_array_equal(back, _as_expected(expected), err_msg=name)


def _json_number(x):
    """A JSON value with the null convention undone, as a float array (complex pairs stay pairs)."""
    return np.asarray(nan_from_none(x), dtype=float)


def _finite_or_nan(a):
    a = np.asarray(a, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def _assert_json_equal(data, value, where):
    """``data`` (parsed JSON) holds exactly the numbers of ``value`` (a field of a result)."""
    if isinstance(value, Record) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        fields = [f.name for f in dataclasses.fields(value) if f.name not in getattr(value, "_unexported", ())]
        if isinstance(value, Record) and not all(name in data for name in fields):  # a layout of its own
            assert type(value).to_dict is not Record.to_dict, f"{where}: fields missing from to_dict"
            assert data == json.loads(json.dumps(value.to_dict())), where
            return
        for name in fields:
            assert name in data, f"{where}.{name} missing from to_dict"
            _assert_json_equal(data[name], getattr(value, name), f"{where}.{name}")
        return
    if isinstance(value, dict):
        assert set(map(str, value)) == set(data), where
        for k, v in value.items():
            _assert_json_equal(data[str(k)], v, f"{where}[{k!r}]")
        return
    if isinstance(value, np.ndarray) and value.dtype.kind == "c":
        got = _json_number(data)
        np.testing.assert_array_equal(got[..., 0], _finite_or_nan(value.real), err_msg=where)
        np.testing.assert_array_equal(got[..., 1], _finite_or_nan(value.imag), err_msg=where)
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        np.testing.assert_array_equal(_json_number(data), _finite_or_nan(value) if value.size else
                                      np.asarray(value, dtype=float), err_msg=where)
        return
    if isinstance(value, (list, tuple)):
        assert isinstance(data, list) and len(data) == len(value), where
        for k, (d, v) in enumerate(zip(data, value)):
            _assert_json_equal(d, v, f"{where}[{k}]")
        return
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        assert data == (bool(value) if isinstance(value, np.bool_) else value), where
        return
    if isinstance(value, (int, np.integer)):
        assert data == int(value), where
        return
    if isinstance(value, (float, np.floating)):
        v = float(value)
        assert (data is None and not math.isfinite(v)) or data == v, f"{where}: {data!r} != {v!r}"
        return
    if hasattr(value, "to_dict"):  # a core branch nested in a result
        assert data == json.loads(json.dumps(jsonable(value.to_dict()))), where
        return
    assert isinstance(data, str), f"{where}: {type(value).__name__} should be exported as text"


def _check_plot(result, name):
    out = result.plot()
    if name in MULTI_PANEL:
        assert len(out) == MULTI_PANEL[name] and all(isinstance(a, Axes) for a in out)
        assert all(a.figure is out[0].figure for a in out)
    else:
        assert isinstance(out, Axes), f"{name}.plot() returned {type(out).__name__}"
        # and it draws onto a given Axes, returning that one
        _, ax = plt.subplots()
        assert result.plot(ax=ax) is ax
    plt.close("all")


# ---------------------------------------------------------------------------------- the contract
@pytest.mark.parametrize("name", RESULTS)
def test_result_is_a_Result(got, name):
    assert isinstance(got[name], Result), f"{name} does not derive from hhdyn.results.Result"


@pytest.mark.parametrize("name", RESULTS)
def test_plot_returns_the_axes(got, name):
    _check_plot(got[name], name)


@pytest.mark.parametrize("name", RESULTS)
def test_csv_round_trip_equals_the_fields(got, name, tmp_path):
    result = got[name]
    path = tmp_path / f"{name}.csv"
    result.to_csv(path)
    assert not list(tmp_path.glob(f".{name}.csv*")), "a temporary file was left behind"
    back = read_csv(path)
    assert list(back) == list(result.columns()), "the header is the columns() names, in order"
    expected = EXPECTED_COLUMNS[name](result)
    for column, values in expected.items():
        assert column in back, f"{name}: no column {column!r} in {list(back)}"
        _assert_column(back[column], values, f"{name}.{column}")
    lengths = {len(v) for v in back.values()}
    assert len(lengths) <= 1


@pytest.mark.parametrize("name", RESULTS + sorted(RECORDS))
def test_json_round_trip_equals_the_fields(got, name, tmp_path):
    result = got[name]
    path = tmp_path / f"{name}.json"
    text = result.to_json(path)
    assert path.read_text() == text
    data = json.loads(text)  # strict JSON: no NaN/Infinity tokens
    assert "NaN" not in text and "Infinity" not in text
    assert data == json.loads(json.dumps(result.to_dict()))
    if name == "FixedPoints":  # a sequence result: its points under "fixed_points"
        for d, fp in zip(data["fixed_points"], result):
            _assert_json_equal(d, fp, "FixedPoints.fixed_points")
        _assert_json_equal(data["folds"], list(result.folds), "FixedPoints.folds")
        return
    _assert_json_equal(data, result, name)


@pytest.mark.parametrize("name", sorted(WITH_STATUS))
def test_status_and_message_where_the_computation_can_end_early(got, name):
    result = got[name]
    status = np.asarray(result.status)
    assert status.dtype.kind == "i", f"{name}.status must be integer, got {status.dtype}"
    assert isinstance(result.message, str) and result.message
    if status.ndim == 0:
        assert result.to_dict()["status"] == int(status)
    assert result.to_dict()["message"] == result.message


def test_statuses_say_what_happened(got):
    """Known outcomes: everything finished, except the orbit that was sent out of the window."""
    assert got["Trajectory"].status == 0
    assert np.all(got["BatchResult"].status == 0)
    assert got["SweepResult"].status == 0 and "all 2 grid points" in got["SweepResult"].message
    assert got["Comparison"].status == 0
    plane = got["plane"]
    escaping = plane.trajectory((2.4, 1.4), 200.0)  # far outside the basins: leaves the window
    inside = got["Orbit"]
    assert (escaping.status, inside.status) == (int(escaping.left_window), int(inside.left_window))


def test_json_nan_convention_is_null_both_ways():
    assert jsonable([1.0, math.nan, math.inf, -math.inf, np.float32(2.5)]) == [1.0, None, None, None, 2.5]
    assert jsonable(np.array([1 + 2j])) == [[1.0, 2.0]]
    back = nan_from_none([None, [1.0, None]])
    assert math.isnan(back[0]) and back[1][0] == 1.0 and math.isnan(back[1][1])


# ---------------------------------------------------------------------------------- core branches
@pytest.mark.parametrize("name", ["Branch", "CycleBranch", "CodimTwoCurve", "BifurcationDiagram"])
def test_core_continuation_results(got, name, tmp_path):
    result = got[name]
    y = got["Branch"].state_names[0]
    assert isinstance(result.plot() if name == "CodimTwoCurve" else result.plot(y=y), Axes)
    plt.close("all")
    path = tmp_path / f"{name}.csv"
    result.to_csv(path)
    back = read_csv(path)
    branches = result.branches if name == "BifurcationDiagram" else [result]
    rows = 0
    for k, b in enumerate(branches):
        sel = back["branch"] == k if "branch" in back else np.ones(len(back[b.param_name]), dtype=bool)
        np.testing.assert_array_equal(back[b.param_name][sel], b.param)
        rows += len(b.param)
        if hasattr(b, "period"):
            np.testing.assert_array_equal(back["period"][sel], b.period)
        if getattr(b, "param2_name", ""):
            np.testing.assert_array_equal(back[b.param2_name][sel], b.param2)
        elif getattr(b, "states", None) is not None:
            np.testing.assert_array_equal(back[b.state_names[0]][sel], b.states[:, 0])
    assert len(next(iter(back.values()))) == rows
    text = result.to_json(tmp_path / f"{name}.json")
    data = json.loads(text)
    for d, b in zip(data["branches"] if name == "BifurcationDiagram" else [data], branches):
        np.testing.assert_array_equal(_json_number(d["columns"][b.param_name]), b.param)
        assert d["status"] == b.status and d["message"] == b.message


def test_core_special_point_to_dict(got):
    sp = got["SpecialPoint"]
    branch = got["Branch"]
    d = json.loads(json.dumps(sp.to_dict(branch.param_name, branch.state_names)))
    assert d["kind"] == "H" and d["param"] == sp.param
    assert [d["state"][n] for n in branch.state_names] == [float(v) for v in sp.state]


# ---------------------------------------------------------------------------------- names
def _public_classes():
    """(qualified public name, class) for every class reachable from the three packages' public names."""
    out = []
    for package in (hhdyn, reductions, analysis):
        modules = [package] + [importlib.import_module(m.name) for m in
                               pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                               if not any(part.startswith("_") for part in m.name.split("."))
                               and "pydstool_env" not in m.name]
        for module in modules:
            names = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
            for n in names:
                obj = getattr(module, n, None)
                if inspect.isclass(obj) and obj.__module__.split(".")[0] in ("hhdyn", "reductions", "analysis"):
                    out.append((f"{module.__name__}.{n}", obj))
    return out


def test_no_two_public_classes_share_a_name():
    by_name = {}
    for where, cls in _public_classes():
        by_name.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(defs) for name, defs in by_name.items() if len(defs) > 1}
    assert not clashes, f"public classes sharing a name: {clashes}"


def test_analysis_exports_are_explicit_and_complete():
    source = inspect.getsource(analysis)
    assert "import *" not in source
    assert analysis.sweep is importlib.import_module("analysis.sweep").sweep
    assert analysis.RefractoryResult is analysis.refractory_periods.__globals__["RefractoryResult"]
    assert analysis.AxonRefractoryResult.__module__ == "analysis.propagation"
    for name in analysis.__all__:
        assert hasattr(analysis, name), name
    assert len(set(analysis.__all__)) == len(analysis.__all__)


def test_every_public_result_class_is_covered():
    """Every public class deriving from Result/Record is in this file's lists; every other public
    dataclass is an input or a model, named here as such."""
    inputs = {"Gate", "Channel", "Instantaneous", "LinearInGate", "ExpRate", "SigmoidRate", "ExpLinearRate",
              "ConstantRate", "FunctionRate", "Constant", "Step", "PulseTrain", "Ramp", "Sum", "Function",
              "OrnsteinUhlenbeck", "WhiteNoise", "CurrentInjection", "CableState", "Declaration", "Equations",
              "RefractoryProtocol", "SpikeDetector", "GalleryFigure",
              "VoltageConvention", "IVP", "Outcome",  # these two: what simulate hands a Method and gets back
              "Grid", "Variable"}  # the parts of Result.grid() (to_xarray), as a Record is of a result
    inputs |= {"Settings", "StepPolicy", "Section", "PeerCell", "PeerEnv"}
    inputs |= {"InfTauRate", "SechRate", "TanhRate"}  # rate families of the class-1 neurons
    # values passed between numerical building blocks, not results handed to a user: the
    # continuation core's run and points, a Newton solve, a periodic Schur form, a parsed SWC file
    building_blocks = {"Run", "Point", "CyclePoint", "Event", "NewtonResult", "PeriodicSchur", "SWCData",
                       "InfinitePeriodEnd"}
    # results that do not follow the contract yet (named in the closing note of issue 11)
    not_yet = {"HopfNormalForm", "PeerComparison", "PeerTraces", "AutoPoint"} | building_blocks
    covered = set(RESULTS) | RECORDS | CORE | ABSTRACT
    missing, unclassified = set(), set()
    for _, cls in _public_classes():
        if cls in (Record, Result):
            continue
        if issubclass(cls, Record) and cls.__name__ not in covered:
            missing.add(cls.__name__)
        elif dataclasses.is_dataclass(cls) and cls.__name__ not in covered | inputs | not_yet:
            unclassified.add(cls.__name__)
    assert not missing, f"result classes without a contract case here: {sorted(missing)}"
    assert not unclassified, f"public dataclasses neither results nor known inputs: {sorted(unclassified)}"


def test_write_csv_is_exact_and_rejects_ragged_columns(tmp_path):
    from hhdyn.results import column_name, write_csv

    values = np.array([0.1, 1 / 3, -2.5e-300, math.nan, math.inf, -math.inf])
    write_csv(tmp_path / "x.csv", {"t_ms": values, "flag": values > 0, "label": np.array(list("abcdef"))})
    back = read_csv(tmp_path / "x.csv")
    np.testing.assert_array_equal(back["t_ms"], values)  # bit-exact, non-finite included
    assert back["flag"].tolist() == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
    assert back["label"].tolist() == list("abcdef")
    with pytest.raises(ValueError, match="same length"):
        write_csv(tmp_path / "y.csv", {"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(ValueError, match="one-dimensional"):
        write_csv(tmp_path / "y.csv", {"a": np.zeros((2, 2))})
    assert not (tmp_path / "y.csv").exists()
    assert [column_name(n) for n in ("V", "h", "I_ext", "gNa", "EK", "C", "t")] == [
        "V_mV", "h", "I_ext_uA_per_cm2", "gNa_mS_per_cm2", "EK_mV", "C_uF_per_cm2", "t_ms"]
