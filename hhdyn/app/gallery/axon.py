"""Gallery: action potentials travelling along the squid giant axon (multi-compartment HH)."""
from __future__ import annotations

from functools import lru_cache

from . import figure


@lru_cache(maxsize=1)
def _squid_run():
    from analysis.propagation import measure_conduction_velocity

    return measure_conduction_velocity(length_cm=5.0, diameter_um=476.0, celsius=18.5, dt=0.01, converge=False)


@figure("axon_kymograph", "Space-time plot of an action potential travelling along the squid giant axon "
        "(476 µm, Ra 35.4 Ω·cm, HH at 18.5 °C), and its arrival time vs distance")
def axon_kymograph():
    import matplotlib.pyplot as plt

    result = _squid_run()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained", width_ratios=(3, 2))
    result.result.kymograph(left)
    left.set_title("V(x, t) after a pulse at x = 0", fontsize="small")
    result.plot(right)
    return fig


@figure("axon_traces", "Voltage at several positions along the squid giant axon: the same spike, later "
        "and later (overshoot larger at the stimulated and sealed ends)")
def axon_traces():
    import matplotlib.pyplot as plt

    result = _squid_run()
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    result.result.plot(ax, n_traces=6)
    for line in ax.get_lines():  # compartment centres (0.992 cm …) labelled to 0.1 cm
        cm = float(line.get_label().split()[0])
        line.set_label(f"{cm:.1f} cm")
    ax.legend(frameon=False, title="distance from root", fontsize="small")
    ax.set_xlim(0, 5)
    ax.set_title(f"conduction velocity {result.velocity_m_per_s:.2f} m/s (exact travelling wave: 18.73 m/s)",
                 fontsize="small")
    return fig


@figure("axon_velocity_diameter", "Conduction velocity of an unmyelinated HH axon vs diameter: v ∝ √d")
def axon_velocity_diameter():
    import matplotlib.pyplot as plt

    from analysis.propagation import velocity_vs_diameter

    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    diameters = (60.0, 119.0, 238.0, 476.0)
    result = velocity_vs_diameter(diameters, length_cm=3.0, segment_um=250.0, dt=0.01)
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    result.plot(ax)
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_locator(FixedLocator(diameters))  # one labelled tick per simulated diameter
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(NullFormatter())
    if ax.get_yscale() == "log":
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
    return fig


@figure("axon_collision", "Two spikes started at both ends of an axon meet and annihilate (refractory wakes)")
def axon_collision():
    import matplotlib.pyplot as plt

    from analysis.propagation import collision

    result = collision(length_cm=3.0, t_end_ms=6.0)
    fig, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    result.plot(ax)
    return fig
