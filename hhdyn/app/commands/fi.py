"""``hhdyn fi``: F–I curve swept up from rest and down from firing, with the bistable band."""
from __future__ import annotations

import math

from ._common import add_model_arguments, bounded_float, check_work, model_from_args, outputs, save_figure

NAME = "fi"
HELP = "F-I curve (steady firing rate against I_ext), swept up and down, with the bistable band"

CURRENT = bounded_float(-1e4, 1e4, "µA/cm²", lo_open=False)
DURATION = bounded_float(0.0, 1e5, "ms")
#: Most currents on one curve, and most model time integrated (ms): the default curve integrates
#: about 2.3e4 ms (≈ 20 s); the limit is about 20 times that.
MAX_CURRENTS = 2000
MAX_MODEL_MS = 5e5


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--range", nargs=2, type=CURRENT, default=(0.0, 50.0), metavar=("START", "STOP"),
                        help="current range, µA/cm² (default 0 50)")
    parser.add_argument("--step", type=bounded_float(0.0, 1e4, "µA/cm²"), default=1.0, metavar="UA_PER_CM2",
                        help=f"current step, µA/cm² (default 1; at most {MAX_CURRENTS} currents)")
    parser.add_argument("--sweep", choices=("both", "up"), default="both",
                        help="sweep up from rest and back down (both, default) or only up")
    parser.add_argument("--settle", type=DURATION, default=60.0, metavar="MS",
                        help="time to settle at each current before measuring, ms (default 60)")
    parser.add_argument("--measure", type=DURATION, default=120.0, metavar="MS",
                        help="measurement window at each current, ms (default 120)")
    parser.add_argument("--ramp-rate", type=bounded_float(0.0, 1e6, "µA/cm²/ms"), default=0.02,
                        metavar="UA_PER_CM2_PER_MS",
                        help="rate at which I_ext moves between currents, µA/cm²/ms (default 0.02)")
    parser.add_argument("--prominence", type=bounded_float(0.0, 300.0, "mV"), default=5.0, metavar="MV",
                        help="minimum peak prominence counted as a spike, mV (default 5; an HH spike is ~100)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the F-I figure here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the F-I table here")
    parser.add_argument("--quiet", action="store_true", help="no per-current progress on stderr")


def estimated_model_ms(start, stop, step, sweep, settle, measure, ramp_rate, escape_ms=400.0) -> tuple[float, float]:
    """(number of currents, model time integrated in ms) of an F-I curve, before running it:
    each current settles, is measured and may be given ``escape_ms`` to leave an unstable rest;
    between currents I_ext ramps at ``ramp_rate``."""
    n = math.floor((stop - start) / step + 1e-9) + 1
    sweeps = 2 if sweep == "both" else 1
    return n, sweeps * (n * (settle + measure + escape_ms) + (stop - start) / ramp_rate)


def _rate(value: float) -> str:
    """A rate column entry: Hz, or '-' where nothing was measured (e.g. the down sweep of --sweep up)."""
    return f"{value:10.2f}" if math.isfinite(value) else f"{'-':>10}"


def run(args) -> int:
    import sys

    from analysis.excitability import fi_curve

    start, stop = args.range
    if not start < stop:
        raise ValueError(f"--range: START must be < STOP, got {start:g} {stop:g}")
    n, model_ms = estimated_model_ms(start, stop, args.step, args.sweep, args.settle, args.measure, args.ramp_rate)
    check_work(n, MAX_CURRENTS, f"--range {start:g} {stop:g} in --step {args.step:g}",
               f"use a --step of at least {(stop - start) / (MAX_CURRENTS - 1):.3g} µA/cm² or a narrower --range")
    check_work(model_ms, MAX_MODEL_MS, "an F-I curve that integrates this many ms of model time",
               "use fewer currents (--step, --range), shorter --settle/--measure, a faster --ramp-rate, "
               "or --sweep up")
    plot, csv = outputs(plot=args.plot, csv=args.csv)
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
        print(f"{I:8.3g} {_rate(up)} {_rate(down)}")
    if math.isfinite(curve.onset_current):
        print(f"onset (up sweep): {curve.onset_current:g} µA/cm² at {curve.onset_rate:.2f} Hz")
    else:
        print(f"onset (up sweep): no firing found between {start:g} and {stop:g} µA/cm² "
              f"(peaks of at least --prominence {args.prominence:g} mV)")
    try:
        print(f"excitability {curve.onset_class().message}")
    except ValueError as exc:  # nothing quiet or nothing firing on the up sweep
        print(f"excitability class: not determined ({exc})")
    if curve.bistable_band is None:
        print("bistable band: none found on this grid")
    else:
        print(f"bistable band: [{curve.bistable_band[0]:g}, {curve.bistable_band[1]:g}] µA/cm²")
    if csv:
        curve.to_csv(csv)
        print(f"wrote {csv}")
    if plot:
        save_figure(curve.plot().figure, plot)
        print(f"wrote {plot}")
    return 0
