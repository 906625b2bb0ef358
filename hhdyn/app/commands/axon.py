"""``hhdyn axon``: conduction velocity of an HH axon (the squid giant axon by default)."""
from __future__ import annotations

import math

from ._common import bounded_float, check_params, check_work, outputs, parse_param, save_figure, working

NAME = "axon"
HELP = "simulate a spike travelling along an HH axon and print its conduction velocity (converged in dx and dt)"

#: Largest compartments × time steps (the default squid axon needs ≈ 1.4e7, about 2 s).
MAX_WORK = 3e8
#: Largest compartment, in length constants: coarser meshes cannot resolve the spike's front.
MAX_SEGMENT_LAMBDA = 0.25
#: Largest time step, ms: the stimulus lasts 0.5 ms and the upstroke about as long.
MAX_DT = 0.05


def add_arguments(parser) -> None:
    parser.add_argument("--length-cm", type=bounded_float(0.0, 1e3, "cm"), default=None, metavar="CM",
                        help="axon length, cm (default 16 length constants, 8.6 cm for the squid axon; "
                             "5 cm with --single-run)")
    parser.add_argument("--diameter-um", type=bounded_float(0.01, 1e4, "µm", lo_open=False), default=476.0,
                        metavar="UM", help="axon diameter, µm (default 476, the squid giant axon)")
    parser.add_argument("--celsius", type=bounded_float(-273.15, 100.0, "°C"), default=18.5, metavar="DEG_C",
                        help="temperature, °C, above absolute zero and at most 100 (default 18.5)")
    parser.add_argument("--ra", dest="Ra", type=bounded_float(0.0, 1e6, "Ω·cm"), default=35.4, metavar="OHM_CM",
                        help="axial resistivity, Ω·cm (default 35.4)")
    parser.add_argument("--segment-um", type=bounded_float(0.0, 1e7, "µm"), default=None, metavar="UM",
                        help=f"compartment length, µm (default λ/40, at most {MAX_SEGMENT_LAMBDA:g} λ)")
    parser.add_argument("--dt", type=bounded_float(0.0, MAX_DT, "ms"), default=0.01, metavar="MS",
                        help=f"time step, ms (default 0.01, at most {MAX_DT:g}; the coarsest of the refinements "
                             "unless --single-run)")
    parser.add_argument("--single-run", action="store_true",
                        help="one run at the given segment length and dt, not extrapolated to dx, dt -> 0")
    parser.add_argument("--param", action="append", default=[], type=parse_param, metavar="NAME=VALUE",
                        help="set a parameter of the HH membrane, e.g. --param gK=30 (repeatable; the "
                             "temperature is --celsius)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save a kymograph and voltage traces here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the voltage of every compartment here")


def membrane_from_args(args):
    """The HH membrane at ``--celsius`` with ``--param`` applied (each checked)."""
    from hhdyn.squid import HodgkinHuxley

    params = dict(args.param)
    if "T" in params:
        raise ValueError("--param T=...: the axon's temperature is set by --celsius")
    check_params(params)
    membrane = HodgkinHuxley()
    unknown = [n for n in params if n not in membrane.params]
    if unknown:
        raise ValueError(f"--param: unknown parameter {unknown[0]!r} of the HH membrane; known: "
                         f"{', '.join(membrane.params)}")
    return membrane.with_params(**params, T=args.celsius)


def resting_length_constant_um(membrane, diameter_um: float, Ra_ohm_cm: float) -> float:
    """λ = √(d·R_m/(4·R_a)) (µm) of ``membrane``'s resting slope conductance (R_m = 1/g_slope)."""
    from analysis.propagation import length_constant_um

    g = float(membrane.steady_state_current_deriv(membrane.resting_state()[0]))
    return length_constant_um(diameter_um, Ra_ohm_cm, max(g, 1e-6))


def run(args) -> int:
    from analysis.propagation import STEADY_LENGTH_LAMBDA, measure_conduction_velocity

    plot, csv = outputs(plot=args.plot, csv=args.csv)
    membrane = membrane_from_args(args)
    lam = resting_length_constant_um(membrane, args.diameter_um, args.Ra)
    segment = lam / 40.0 if args.segment_um is None else args.segment_um
    if segment > MAX_SEGMENT_LAMBDA * lam:
        raise ValueError(f"--segment-um {segment:g} is longer than {MAX_SEGMENT_LAMBDA:g} length constants "
                         f"(λ = {lam:.4g} µm here), too coarse to resolve a spike; use at most "
                         f"{MAX_SEGMENT_LAMBDA * lam:.4g} µm, or leave it out (λ/40)")
    length_cm = args.length_cm
    if length_cm is None:
        length_cm = 5.0 if args.single_run else STEADY_LENGTH_LAMBDA * lam * 1e-4
    compartments = max(3, math.ceil(length_cm * 1e4 / segment))
    steps = (length_cm * 2.0 + 2.0) / args.dt  # a 5 m/s spike crosses the axon, plus 2 ms
    # the converged measurement runs (h, τ), (h, τ/2), (h, τ/4), (h/2, τ/4): at most 15× one run
    runs = 1 if args.single_run else 15
    check_work(runs * compartments * steps, MAX_WORK,
               f"an axon of {compartments:.3g} compartments × {steps:.3g} time steps"
               + ("" if args.single_run else " × 15 (the four refinements)"),
               "use a shorter --length-cm, a larger --dt or --segment-um, --single-run, or a thicker/less "
               "resistive axon (λ grows as √(diameter/Ra))")
    what = (f"simulating {compartments} compartments for {steps:.0f} steps" if args.single_run else
            f"simulating {compartments} compartments, four refinements in dx and dt")
    with working(what):
        result = measure_conduction_velocity(
            length_cm=args.length_cm, diameter_um=args.diameter_um, Ra_ohm_cm=args.Ra, celsius=args.celsius,
            segment_um=args.segment_um, dt=args.dt, membrane=membrane, converge=not args.single_run,
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

        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), layout="constrained", sharex=True)
        result.result.kymograph(top)
        top.set_title(f"conduction velocity {result.velocity_m_per_s:.3f} m/s", fontsize="small")
        result.result.plot(bottom)
        save_figure(fig, plot)
        print(f"wrote {plot}")
    return 0
