"""``hhdyn fi``: F–I curve swept up from rest and down from firing, with the bistable band."""
from __future__ import annotations

from ._common import add_model_arguments, finite_float, model_from_args, output_path, positive_float

NAME = "fi"
HELP = "F-I curve (steady firing rate against I_ext), swept up and down, with the bistable band"


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--range", nargs=2, type=finite_float, default=(0.0, 50.0), metavar=("START", "STOP"),
                        help="current range, µA/cm² (default 0 50)")
    parser.add_argument("--step", type=positive_float, default=1.0, metavar="UA_PER_CM2",
                        help="current step, µA/cm² (default 1)")
    parser.add_argument("--sweep", choices=("both", "up"), default="both",
                        help="sweep up from rest and back down (both, default) or only up")
    parser.add_argument("--settle", type=positive_float, default=60.0, metavar="MS",
                        help="time to settle at each current before measuring, ms (default 60)")
    parser.add_argument("--measure", type=positive_float, default=120.0, metavar="MS",
                        help="measurement window at each current, ms (default 120)")
    parser.add_argument("--ramp-rate", type=positive_float, default=0.02, metavar="UA_PER_CM2_PER_MS",
                        help="rate at which I_ext moves between currents, µA/cm²/ms (default 0.02)")
    parser.add_argument("--prominence", type=positive_float, default=5.0, metavar="MV",
                        help="minimum peak prominence counted as a spike, mV (default 5)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the F-I figure here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the F-I table here")
    parser.add_argument("--quiet", action="store_true", help="no per-current progress on stderr")


def run(args) -> int:
    import sys

    from analysis.excitability import fi_curve

    start, stop = args.range
    if not start < stop:
        raise ValueError(f"--range: START must be < STOP, got {start:g} {stop:g}")
    plot, csv = output_path(args.plot), output_path(args.csv)
    model = model_from_args(args)
    if "V" not in model.state_names:
        raise ValueError(f"--model: {args.model} has no membrane potential V (states {', '.join(model.state_names)})")
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    curve = fi_curve(model, start, stop, args.step, sweep=args.sweep, settle_ms=args.settle,
                     measure_ms=args.measure, ramp_rate=args.ramp_rate, min_prominence_mV=args.prominence,
                     progress=progress)
    print(f"{model.name}: F-I curve, {curve.currents.size} currents from {start:g} to {stop:g} µA/cm²")
    print(f"{'I_ext':>8} {'up (Hz)':>10} {'down (Hz)':>10}")
    for I, up, down in zip(curve.currents, curve.rate_up, curve.rate_down):
        print(f"{I:8.3g} {up:10.2f} {down:10.2f}")
    print(f"onset (up sweep): {curve.onset_current:g} µA/cm² at {curve.onset_rate:.2f} Hz")
    if curve.bistable_band is None:
        print("bistable band: none found on this grid")
    else:
        print(f"bistable band: [{curve.bistable_band[0]:g}, {curve.bistable_band[1]:g}] µA/cm²")
    if csv:
        curve.to_csv(csv)
        print(f"wrote {csv}")
    if plot:
        _save(curve.plot().figure, plot)
        print(f"wrote {plot}")
    return 0


def _save(fig, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hhdyn.io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
