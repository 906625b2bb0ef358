"""Passive cable theory and action-potential propagation (conduction velocity, collision,
refractoriness), the ``hhdyn axon`` command and the axon gallery figures."""
import math
import re

import numpy as np
import pytest

from analysis.propagation import (
    attenuation_sealed,
    collision,
    conduction_velocity,
    end_stimulus,
    hh_axon,
    input_resistance_sealed_MOhm,
    length_constant_um,
    measure_conduction_velocity,
    passive_cable_check,
    refractoriness,
    velocity_vs_diameter,
)
from hhdyn.stimuli import Step

#: Speed of the exact travelling wave of the HH equations, squid axon at 18.5 °C (m/s).
V_SQUID_18_5 = 18.73
#: The same axon at 6.3 °C (m/s).
V_SQUID_6_3 = 12.31


def test_cable_theory_formulas():
    # squid axon membrane at rest (leak only): λ = √(d·Rm/(4Ra)) = √(0.0476·3333.3/141.6) cm
    lam = length_constant_um(476.0, 35.4, 0.3)
    assert lam == pytest.approx(math.sqrt(0.0476 * (1000 / 0.3) / (4 * 35.4)) * 1e4, rel=1e-12)
    assert lam == pytest.approx(10585.6, rel=1e-5)
    # long cable: R_in → R_∞ = 4·Ra·λ/(π d²)
    R_inf = 4 * 100.0 * length_constant_um(2.0, 100.0, 0.1) * 1e-4 / (math.pi * (2e-4) ** 2) * 1e-6
    assert input_resistance_sealed_MOhm(1e6, 2.0, 100.0, 0.1) == pytest.approx(R_inf, rel=1e-12)
    assert attenuation_sealed(0.0, 5.0, 2.0) == 1.0
    assert attenuation_sealed(5.0, 5.0, 2.0) == pytest.approx(1 / math.cosh(2.5))
    with pytest.raises(ValueError, match="diameter_um"):
        length_constant_um(0.0, 100.0, 0.1)


@pytest.mark.parametrize("how", ["run", "linear"])
def test_passive_sealed_cable_matches_theory(how):
    """Acceptance: 200 compartments over L = 1000 µm = 1.41 λ; attenuation and input resistance
    within 1 % of cosh((L−x)/λ)/cosh(L/λ) and R_∞·coth(L/λ) (measured: 0.31 % for both)."""
    check = passive_cable_check(length_um=1000.0, diameter_um=2.0, Ra_ohm_cm=100.0, g_m_mS_per_cm2=0.1,
                                n_segments=200, how=how)
    assert check.n_segments == 200
    assert check.max_attenuation_error < 0.01
    assert check.input_resistance_error < 0.01
    assert check.ratio[-1] < 0.5  # a real attenuation is being compared
    # and the error is discretization error: halving the segment count roughly doubles it
    coarse = passive_cable_check(n_segments=100, how="linear")
    assert 1.6 < coarse.input_resistance_error / check.input_resistance_error < 2.4


def test_squid_axon_velocity_at_18_5_celsius():
    """Acceptance: within 1 % of 18.73 m/s (default resolution: λ/40 ≈ 134 µm, dt = 0.01 ms)."""
    result = measure_conduction_velocity(length_cm=5.0, diameter_um=476.0, Ra_ohm_cm=35.4, celsius=18.5,
                                         converge=False)
    assert result.velocity_m_per_s == pytest.approx(V_SQUID_18_5, rel=0.01)
    assert result.x_a_um > 1e4 and result.x_b_um < 4e4  # measured away from the ends
    # arrival times are linear in x between the measuring points (a travelling wave)
    mid = (result.x_um > result.x_a_um) & (result.x_um < result.x_b_um)
    slope, _ = np.polyfit(result.x_um[mid], result.arrival_ms[mid], 1)
    assert 1e-3 / slope == pytest.approx(result.velocity_m_per_s, rel=2e-3)


def test_squid_axon_velocity_converges():
    """Acceptance: halving segment length and dt changes the velocity by < 1 %; the converged
    value is within 1 % of 18.73 m/s (measured 18.708 → 18.719 m/s)."""
    coarse = measure_conduction_velocity(segment_um=250.0, dt=0.01, converge=False).velocity_m_per_s
    fine = measure_conduction_velocity(segment_um=125.0, dt=0.005, converge=False).velocity_m_per_s
    assert abs(fine / coarse - 1) < 0.01
    assert abs(fine / coarse - 1) < 0.002
    assert fine == pytest.approx(V_SQUID_18_5, rel=0.01)
    assert fine == pytest.approx(V_SQUID_18_5, rel=0.002)


def test_squid_axon_velocity_at_6_3_celsius():
    result = measure_conduction_velocity(celsius=6.3, length_cm=5.0, converge=False)
    assert result.velocity_m_per_s == pytest.approx(V_SQUID_6_3, rel=0.01)


# travelling-wave velocities of the squid axon (476 µm, 35.4 Ω·cm), converged to ~1e-5
V_WAVE_18_5 = 18.7319
V_WAVE_6_3 = 12.3138


@pytest.mark.slow
@pytest.mark.parametrize("celsius,exact", [(18.5, V_WAVE_18_5), (6.3, V_WAVE_6_3)])
def test_default_velocity_is_converged_with_an_error_that_covers_it(celsius, exact):
    """Acceptance (issue 17.2): the default call is converged in dx and dt to 0.02 % and its
    error estimate covers the true error."""
    result = measure_conduction_velocity(celsius=celsius)
    assert result.velocity_m_per_s == pytest.approx(exact, rel=2e-4)
    assert abs(result.velocity_m_per_s - exact) <= result.error_m_per_s
    assert result.error_m_per_s < 2e-4 * exact
    assert result.converged_by == "richardson" and len(result.refinements) == 4
    segments, dts, velocities = np.array(result.refinements).T
    assert result.segment_um == segments.min() and result.dt == dts.min()
    # the scheme is second order in dt: successive dt halvings shrink the change 4-fold
    assert (velocities[0] - velocities[1]) / (velocities[1] - velocities[2]) == pytest.approx(4.0, rel=0.15)
    assert "Richardson" in result.message and "steady wave" in result.message


@pytest.mark.slow
def test_converged_velocity_scales_exactly_as_root_of_d_over_Ra():
    """The cable equation depends on x only through x·√(4Ra/d): v ∝ √(d/Ra) exactly, so a
    quarter of the diameter halves the converged velocity, within the two error estimates."""
    thin = measure_conduction_velocity(diameter_um=119.0)
    assert 2 * thin.velocity_m_per_s == pytest.approx(V_WAVE_18_5, abs=2 * thin.error_m_per_s)
    assert abs(2 * thin.velocity_m_per_s - V_WAVE_18_5) < 2e-4 * V_WAVE_18_5


def test_converged_velocity_needs_crank_nicolson_and_short_axons_say_so():
    with pytest.raises(ValueError, match="method must be 'cn'"):
        measure_conduction_velocity(method="be")
    short = measure_conduction_velocity(length_cm=3.0, segment_um=500.0, dt=0.02)
    assert "between ¼ and ¾" in short.message and short.length_cm == 3.0
    assert np.isfinite(short.error_m_per_s)
    single = measure_conduction_velocity(length_cm=3.0, segment_um=500.0, dt=0.02, converge=False)
    assert single.converged_by == "single run" and np.isnan(single.error_m_per_s)
    assert single.refinements == ((single.segment_um, 0.02, single.velocity_m_per_s),)


def test_velocity_scales_as_square_root_of_diameter():
    """Acceptance: v ∝ √d within 3 % over a 4× range of diameters (same segments and dt)."""
    result = velocity_vs_diameter((119.0, 238.0, 476.0), length_cm=3.0, segment_um=250.0, dt=0.01)
    v = result.velocities_m_per_s
    assert v[2] / v[0] == pytest.approx(2.0, rel=0.03)
    assert result.sqrt_law_deviation() < 0.03
    assert result.exponent == pytest.approx(0.5, abs=0.015)


def test_spikes_from_both_ends_annihilate():
    single = hh_axon(3.0, 476.0, segment_um=250.0).morphology
    res = collision(length_cm=3.0, diameter_um=476.0, segment_um=250.0, t_end_ms=8.0)
    assert res.annihilated
    assert res.spike_counts[0] == 1 and res.spike_counts[-1] == 1  # nothing arrives at either end
    assert res.collision_um == pytest.approx(1.5e4, abs=2 * single.length_um[0])
    # control: the same stimulus from one end alone does reach the far end
    model = hh_axon(3.0, 476.0, segment_um=250.0)
    one = model.run(4.0, 0.01, injections={0: end_stimulus(model)})
    assert one.spike_counts()[-1] == 1
    # a delayed second spike collides off-centre, nearer the late end
    late = collision(length_cm=3.0, segment_um=250.0, t_end_ms=8.0, delay_ms=0.4)
    assert late.annihilated and late.collision_um > 1.5e4 + 0.5 * (18.0e3 * 0.4 / 2)  # expected shift v·delay/2


def test_refractoriness_along_the_axon():
    result = refractoriness((2.0, 3.0, 10.0), length_cm=3.0, segment_um=250.0)
    assert list(result.propagated) == [False, True, True]
    assert result.refractory_ms == 3.0
    # in the relative refractory period the second spike is slower
    assert result.velocity_m_per_s[1] < 0.95 * result.first_velocity_m_per_s
    assert result.velocity_m_per_s[2] == pytest.approx(result.first_velocity_m_per_s, rel=0.02)


def test_velocity_errors():
    with pytest.raises(ValueError, match="no spike propagated"):
        measure_conduction_velocity(length_cm=5.0, stimulus=Step(0.0, 0.5, 1.0), t_end_ms=4.0)
    with pytest.raises(ValueError, match="too short"):
        measure_conduction_velocity(length_cm=0.5)
    res = hh_axon(3.0, segment_um=500.0).run(1.0, 0.01)
    assert math.isnan(conduction_velocity(res, 10, 50))


def test_cli_axon_prints_velocity_and_writes_plot(tmp_path, run_cli):
    out = tmp_path / "out.png"
    proc = run_cli("axon", "--length-cm", "5", "--diameter-um", "476", "--celsius", "18.5", "--plot", out)
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"^conduction velocity: ([0-9.]+) m/s$", proc.stdout, re.M)
    assert match and float(match.group(1)) == pytest.approx(V_SQUID_18_5, rel=0.01)
    assert out.stat().st_size > 10_000
    assert re.search(r"^estimated error: [0-9.e-]+ m/s$", proc.stdout, re.M)
    single = run_cli("axon", "--length-cm", "3", "--segment-um", "500", "--single-run")
    assert single.returncode == 0 and "not extrapolated" in single.stdout and "estimated error" not in single.stdout


def test_cli_axon_bad_input(tmp_path, run_cli):
    proc = run_cli("axon", "--diameter-um", "0")
    assert proc.returncode == 2 and "diameter-um" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("axon", "--plot", tmp_path / "missing" / "x.png")
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_gallery_axon_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.app.gallery import axon

    for make in (axon.axon_kymograph, axon.axon_traces, axon.axon_velocity_diameter, axon.axon_collision):
        fig = make()
        assert fig.axes
        plt.close(fig)


@pytest.mark.slow
def test_gallery_velocity_convergence_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.app.gallery import neuron_peer

    fig = neuron_peer.axon_velocity_convergence()
    assert len(fig.axes) == 2
    plt.close(fig)


def test_results_plot_and_export(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check = passive_cable_check(n_segments=50, how="linear")
    check.to_csv(tmp_path / "passive.csv")
    assert (tmp_path / "passive.csv").read_text().splitlines()[0] == "x_um,dV_mV,ratio,ratio_analytic"
    assert len(check.plot().lines) == 2
    vel = measure_conduction_velocity(length_cm=3.0, segment_um=500.0, record_dt=0.05, converge=False)
    vel.to_csv(tmp_path / "arrival.csv")
    assert len((tmp_path / "arrival.csv").read_text().splitlines()) == 1 + len(vel.x_um)
    vel.plot()
    vel.kymograph()
    plt.close("all")
