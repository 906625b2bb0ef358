"""``hhdyn axon``: conduction velocity of an HH axon (the squid giant axon by default)."""
from __future__ import annotations

from ._common import finite_float, output_path, positive_float

NAME = "axon"
HELP = "simulate a spike travelling along an HH axon and print its conduction velocity (converged in dx and dt)"


def add_arguments(parser) -> None:
    parser.add_argument("--length-cm", type=positive_float, default=None, metavar="CM",
                        help="axon length, cm (default 16 length constants, 8.6 cm for the squid axon; "
                             "5 cm with --single-run)")
    parser.add_argument("--diameter-um", type=positive_float, default=476.0, metavar="UM",
                        help="axon diameter, µm (default 476, the squid giant axon)")
    parser.add_argument("--celsius", type=finite_float, default=18.5, metavar="DEG_C", help="temperature, °C (default 18.5)")
    parser.add_argument("--ra", dest="Ra", type=positive_float, default=35.4, metavar="OHM_CM",
                        help="axial resistivity, Ω·cm (default 35.4)")
    parser.add_argument("--segment-um", type=positive_float, default=None, metavar="UM",
                        help="compartment length, µm (default λ/40)")
    parser.add_argument("--dt", type=positive_float, default=0.01, metavar="MS",
                        help="time step, ms (default 0.01; the coarsest of the refinements unless --single-run)")
    parser.add_argument("--single-run", action="store_true",
                        help="one run at the given segment length and dt, not extrapolated to dx, dt -> 0")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save a kymograph and voltage traces here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the voltage of every compartment here")


def run(args) -> int:
    from analysis.propagation import measure_conduction_velocity

    plot, csv = output_path(args.plot), output_path(args.csv)
    result = measure_conduction_velocity(
        length_cm=args.length_cm, diameter_um=args.diameter_um, Ra_ohm_cm=args.Ra, celsius=args.celsius,
        segment_um=args.segment_um, dt=args.dt, converge=not args.single_run,
    )
    n = len(result.x_um)
    print(f"HH axon: length {result.length_cm:g} cm, diameter {args.diameter_um:g} µm, Ra {args.Ra:g} Ω·cm, "
          f"{args.celsius:g} °C; finest run {n} compartments of {result.segment_um:.4g} µm, dt {result.dt:g} ms")
    print(f"measured between {result.x_a_um * 1e-4:.4g} cm and {result.x_b_um * 1e-4:.4g} cm")
    print(result.message)
    for segment, tau, v in result.refinements if len(result.refinements) > 1 else ():
        print(f"  segments {segment:.4g} µm, dt {tau:g} ms: {v:.5f} m/s")
    print(f"conduction velocity: {result.velocity_m_per_s:.4f} m/s")
    if result.error_m_per_s == result.error_m_per_s:  # not NaN
        print(f"estimated error: {result.error_m_per_s:.2g} m/s")
    if csv:
        result.result.to_csv(csv)
        print(f"wrote {csv}")
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from hhdyn.io import atomic_path

        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), layout="constrained", sharex=True)
        result.result.kymograph(top)
        top.set_title(f"conduction velocity {result.velocity_m_per_s:.3f} m/s", fontsize="small")
        result.result.plot(bottom)
        with atomic_path(plot) as tmp:
            fig.savefig(tmp, dpi=110, format=plot.suffix.lstrip(".") or "png")
        plt.close(fig)
        print(f"wrote {plot}")
    return 0
