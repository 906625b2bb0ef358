"""NeuroML2 channels and cells: round trips, a file built by libNeuroML itself, errors."""
from pathlib import Path

import numpy as np
import pytest

neuroml = pytest.importorskip("neuroml")
import neuroml.writers  # noqa: E402

import hhdyn  # noqa: E402
from analysis.continuation import continue_equilibria  # noqa: E402
from hhdyn.neuroml import NeuroMLError, read_channels, read_neuroml, write_neuroml  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
V_GRID = np.concatenate([np.linspace(-150.0, 100.0, 2501), [-40.0, -55.0, -40.0 + 1e-12, -55.0 - 1e-12]])


def build_hh_with_libneuroml(path):
    """The HH squid axon written with libNeuroML's builders only (independent of hhdyn's writer)."""
    doc = neuroml.NeuroMLDocument(id="hh_squid")
    q10 = dict(type="q10ExpTemp", q10_factor="3", experimental_temp="6.3 degC")
    na = neuroml.IonChannelHH(id="naChan", conductance="10pS", species="na")
    na.gate_hh_rates.append(neuroml.GateHHRates(
        id="m", instances=3, q10_settings=neuroml.Q10Settings(**q10),
        forward_rate=neuroml.HHRate(type="HHExpLinearRate", rate="1per_ms", midpoint="-40mV", scale="10mV"),
        reverse_rate=neuroml.HHRate(type="HHExpRate", rate="4per_ms", midpoint="-65mV", scale="-18mV")))
    na.gate_hh_rates.append(neuroml.GateHHRates(
        id="h", instances=1, q10_settings=neuroml.Q10Settings(**q10),
        forward_rate=neuroml.HHRate(type="HHExpRate", rate="0.07per_ms", midpoint="-65mV", scale="-20mV"),
        reverse_rate=neuroml.HHRate(type="HHSigmoidRate", rate="1per_ms", midpoint="-35mV", scale="10mV")))
    k = neuroml.IonChannelHH(id="kChan", conductance="10pS", species="k")
    k.gate_hh_rates.append(neuroml.GateHHRates(
        id="n", instances=4, q10_settings=neuroml.Q10Settings(**q10),
        forward_rate=neuroml.HHRate(type="HHExpLinearRate", rate="0.1per_ms", midpoint="-55mV", scale="10mV"),
        reverse_rate=neuroml.HHRate(type="HHExpRate", rate="0.125per_ms", midpoint="-65mV", scale="-80mV")))
    leak = neuroml.IonChannel(id="passiveChan", type="ionChannelPassive", conductance="10pS")
    doc.ion_channel_hhs.extend([na, k])
    doc.ion_channel.append(leak)
    mp = neuroml.MembraneProperties(
        channel_densities=[
            neuroml.ChannelDensity(id="Na", ion_channel="naChan", cond_density="120.0 mS_per_cm2", erev="50.0 mV", ion="na"),
            neuroml.ChannelDensity(id="K", ion_channel="kChan", cond_density="360 S_per_m2", erev="-77mV", ion="k"),
            neuroml.ChannelDensity(id="L", ion_channel="passiveChan", cond_density="3.0 S_per_m2",
                                   erev="-54.387mV", ion="non_specific")],
        specific_capacitances=[neuroml.SpecificCapacitance(value="1.0 uF_per_cm2")],
        init_memb_potentials=[neuroml.InitMembPotential(value="-65mV")])
    seg = neuroml.Segment(id=0, name="soma", proximal=neuroml.Point3DWithDiam(x=0, y=0, z=0, diameter=17.8),
                          distal=neuroml.Point3DWithDiam(x=0, y=0, z=17.8, diameter=17.8))
    cell = neuroml.Cell(id="hhcell", morphology=neuroml.Morphology(id="morph", segments=[seg]),
                        biophysical_properties=neuroml.BiophysicalProperties(id="bio", membrane_properties=mp))
    doc.cells.append(cell)
    neuroml.writers.NeuroMLWriter.write(doc, str(path))
    return path


def _rates_equal(a, b):
    for g in b.gates:
        for r in ("alpha", "beta"):
            np.testing.assert_allclose(getattr(a.gates[g], r)(V_GRID), getattr(b.gates[g], r)(V_GRID), rtol=1e-12, atol=0)
            np.testing.assert_allclose(getattr(a.gates[g], r).deriv(V_GRID), getattr(b.gates[g], r).deriv(V_GRID),
                                       rtol=1e-12, atol=1e-300)


def test_hh_round_trip_gives_the_same_model(tmp_path):
    hh = hhdyn.HodgkinHuxley(T=18.5, gK=30.0)
    write_neuroml(hh, tmp_path / "hh.nml")
    back = read_neuroml(tmp_path / "hh.nml")
    assert back.state_names == hh.state_names and back.params == hh.params
    _rates_equal(back, hh)
    Y = np.vstack([V_GRID, np.full_like(V_GRID, 0.1), np.full_like(V_GRID, 0.6), np.full_like(V_GRID, 0.3)])
    np.testing.assert_allclose(back.rhs(Y), hh.rhs(Y), rtol=1e-12, atol=1e-12)
    channels = read_channels(tmp_path / "hh.nml")
    assert sorted(channels) == ["K", "L", "Na"] and [p for _, p in channels["Na"].gates] == [3.0, 1.0]


def test_inf_tau_gates_round_trip(tmp_path):
    a = hhdyn.Gate.from_inf_tau("a", hhdyn.SigmoidRate(1.0, -20.0, 9.0), hhdyn.ConstantRate(3.5), q10=2.0, T_ref=22.0)
    cell = hhdyn.ConductanceModel([hhdyn.Channel("KA", 20.0, -80.0, ((a, 3),)), hhdyn.Channel("L", 0.1, -65.0)],
                                  T=22.0, name="A cell")
    write_neuroml(cell, tmp_path / "a.nml")
    back = read_neuroml(tmp_path / "a.nml")
    _rates_equal(back, cell)
    assert back.params == cell.params


@pytest.mark.parametrize("where", ["tmp", "data"])
def test_libneuroml_built_file_gives_hh_rest_and_hopf_points(tmp_path, where):
    path = build_hh_with_libneuroml(tmp_path / "hh_cell.nml") if where == "tmp" else DATA / "hh_cell.nml"
    model = read_neuroml(path)
    hh = hhdyn.HodgkinHuxley()
    assert model.state_names == ("V", "m", "h", "n")
    np.testing.assert_allclose(model.resting_state(), hh.resting_state(), rtol=0, atol=1e-10)
    a = continue_equilibria(model, "I_ext", (-10.0, 200.0)).points("H")
    b = continue_equilibria(hh, "I_ext", (-10.0, 200.0)).points("H")
    assert len(a) == len(b) == 2
    for p, q in zip(a, b):
        assert abs(p.param - q.param) < 1e-8
    # Rinzel (1978): Hopf bifurcations of the HH equations at I ≈ 9.78 and 154.5 µA/cm²
    assert abs(a[0].param - 9.78) < 0.01 and abs(a[1].param - 154.5) < 0.1


def test_load_model_and_make_model_read_nml():
    from hhdyn.app.catalog import make_model

    assert make_model(str(DATA / "hh_cell.nml"), I_ext=10.0).params["I_ext"] == 10.0


def test_malformed_file_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.nml"
    bad.write_text('<neuroml xmlns="http://www.neuroml.org/schema/neuroml2">\n  <cell id="x">\n</neuroml>\n')
    with pytest.raises(NeuroMLError, match=r"bad.nml:3: malformed XML"):
        read_neuroml(bad)


def test_unsupported_components_are_named(tmp_path):
    text = (DATA / "hh_cell.nml").read_text()
    bad = tmp_path / "custom.nml"
    bad.write_text(text.replace('type="HHExpRate" rate="4per_ms"', 'type="myCustomRate" rate="4per_ms"'))
    with pytest.raises(NeuroMLError) as info:
        read_neuroml(bad)
    msg = str(info.value)
    assert "myCustomRate" in msg and "naChan" in msg and msg.startswith(f"{bad}:")
    bad.write_text(text.replace('q10ExpTemp', 'q10Fixed'))
    with pytest.raises(NeuroMLError, match="q10Fixed"):
        read_neuroml(bad)


def test_reduced_models_are_refused_for_export(tmp_path):
    from reductions import fast_m

    with pytest.raises(ValueError, match="not dynamic"):
        write_neuroml(fast_m(hhdyn.HodgkinHuxley()), tmp_path / "r.nml")
    assert list(tmp_path.iterdir()) == []
