"""Gallery: hhdyn against NEURON on a reconstructed cell (only where the NEURON peer venv
exists — otherwise this module registers nothing for it), and the convergence of the
conduction velocity in dx and dt (always)."""
from __future__ import annotations

from pathlib import Path

from . import figure


def _reconstruction() -> Path | None:
    """The synthetic reconstruction shipped with the tests (tests/data/make_test_neuron.py): in
    the source tree next to this package, or under the working directory (an installed package
    rendered from a checkout, as ``pip install . && hhdyn gallery`` does)."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        path = root / "tests" / "data" / "test_neuron.swc"
        if path.is_file():
            return path
    return None


RECONSTRUCTION = _reconstruction()


@figure("axon_velocity_convergence", "Conduction velocity of the squid axon converged in dx and dt: the four "
        "Crank–Nicolson runs, their Richardson extrapolation with its error bar, and the second-order decay of the error")
def axon_velocity_convergence():
    import matplotlib.pyplot as plt
    import numpy as np

    from analysis.propagation import measure_conduction_velocity

    result = measure_conduction_velocity(celsius=18.5)
    segments, dts, velocities = np.array(result.refinements).T
    v_star, err = result.velocity_m_per_s, result.error_m_per_s
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for h in np.unique(segments)[::-1]:
        on = segments == h
        left.plot(dts[on] ** 2, velocities[on], "o-", label=f"segments {h:.3g} µm")
    left.errorbar([0.0], [v_star], yerr=[err], fmt="k*", ms=10, capsize=4,
                  label=f"extrapolated {v_star:.4f} ± {err:.1g} m/s")
    left.axhline(18.7319, color="C3", lw=0.8, ls="--", label="travelling wave 18.7319 m/s")
    left.set_xlabel("dt² (ms²)")
    left.set_ylabel("velocity (m/s)")
    left.set_title("squid axon, 476 µm, 35.4 Ω·cm, 18.5 °C", fontsize="small")
    left.legend(frameon=False, fontsize="x-small")
    coarse = segments == segments.max()
    v_c, dt_c = velocities[coarse], dts[coarse]
    v_dt0 = v_c[-1] + (v_c[-1] - v_c[-2]) / 3  # extrapolated in dt at the coarse segments
    right.loglog(dt_c, np.abs(v_c - v_dt0), "o-", label=f"|v(dt) − v(dt→0)|, segments {segments.max():.3g} µm")
    right.loglog(dt_c, np.abs(v_c[0] - v_dt0) * (dt_c / dt_c[0]) ** 2, "k:", label="∝ dt²")
    right.axhline(err, color="0.5", lw=0.8, ls="--", label="estimated error of v*")
    right.set_xlabel("dt (ms)")
    right.set_ylabel("error (m/s)")
    right.legend(frameon=False, fontsize="x-small")
    return fig


def _register_neuron_figure() -> None:
    from analysis.neuron_peer import neuron_python

    if neuron_python(check_import=False) is None or RECONSTRUCTION is None:
        return

    @figure("neuron_vs_hhdyn_reconstruction", "The same reconstructed cell in NEURON and in hhdyn (one description, "
            "matched segments, dt 0.025 ms, Crank–Nicolson): voltage at the soma and at a distal dendrite")
    def neuron_vs_hhdyn_reconstruction():
        import matplotlib.pyplot as plt

        from analysis.neuron_peer import compare_with_neuron, reconstructed_cell

        cmp = compare_with_neuron(reconstructed_cell(RECONSTRUCTION), "cn", 0.025, 50.0)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), layout="constrained", sharex=True)
        cmp.plot(top)
        for k, label in enumerate(cmp.ours.labels):
            bottom.plot(cmp.ours.t, cmp.ours.V[k] - cmp.neuron.V[k], color=f"C{k}", label=label)
        bottom.set_xlabel("t (ms)")
        bottom.set_ylabel("V_hhdyn − V_NEURON (mV)")
        bottom.legend(frameon=False, fontsize="x-small")
        return fig


_register_neuron_figure()
