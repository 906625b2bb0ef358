"""``hhdyn compare``: a reduction of HH against the full model, experiment by experiment."""
from __future__ import annotations

from ._common import add_model_arguments, bounded_float, model_from_args, outputs, save_figure

NAME = "compare"
HELP = "compare a reduction (fast_m, h_plus_n, fhn) with the full model: rest, thresholds, refractoriness, F-I, spike"

REDUCTIONS = ("fast_m", "h_plus_n", "fhn")


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--reduced", required=True, choices=REDUCTIONS,
                        help="fast_m: m = m_inf(V); h_plus_n: Rinzel's 2D model; fhn: FitzHugh-Nagumo fitted "
                             "to the h_plus_n nullclines")
    parser.add_argument("--c", type=bounded_float(-10.0, 10.0, lo_open=False), default=0.8, help="h_plus_n/fhn: h = c + slope*n (default 0.8)")
    parser.add_argument("--slope", type=bounded_float(-10.0, 10.0, lo_open=False), default=-1.0, help="h_plus_n/fhn: slope (default -1)")
    parser.add_argument("--no-refractory", action="store_true", help="skip the paired-pulse refractory periods")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the comparison table here")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the traces and (V, n) figure here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def reduce(full, which: str, c: float = 0.8, slope: float = -1.0):
    """The named reduction of ``full`` (ValueError for a model without gates m, h, n)."""
    import warnings

    from reductions import fast_m, fhn_from, h_plus_n

    gates = set(getattr(full, "dynamic_gates", ()))
    if not {"m", "h", "n"} <= gates:
        raise ValueError(f"--model: {full.name} has no gates m, h, n to reduce")
    if which == "fast_m":
        return fast_m(full)
    if which not in ("h_plus_n", "fhn"):
        raise ValueError(f"--reduced: unknown reduction {which!r}; choose one of {', '.join(REDUCTIONS)}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        planar = h_plus_n(full, c=c, slope=slope)
    for w in caught:
        import sys

        print(f"hhdyn: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    return planar if which == "h_plus_n" else fhn_from(planar).model


def run(args) -> int:
    import sys

    from analysis.comparison import compare

    plot, csv = outputs(plot=args.plot, csv=args.csv)
    full = model_from_args(args)
    progress = None if args.quiet else (lambda line: print(f"hhdyn compare: {line}", file=sys.stderr, flush=True))
    reduced = reduce(full, args.reduced, args.c, args.slope)
    result = compare(full, reduced, refractory=not args.no_refractory, progress=progress)
    print(result.table())
    if csv:
        result.to_csv(csv)
        print(f"wrote {csv}")
    if plot:
        save_figure(result.plot()[0].figure, plot)
        print(f"wrote {plot}")
    return 0
