"""``hhdyn bifurcation``: the equilibrium diagram of a model in one parameter (AUTO/MatCont style)."""
from __future__ import annotations


from ..catalog import MODELS, make_model
from ._common import finite_float, output_path, parse_param, positive_float

NAME = "bifurcation"
HELP = "continue equilibria in one parameter: fold (LP) and Hopf (H) points with l1"


def add_arguments(parser) -> None:
    parser.add_argument("--model", default="hh", choices=sorted(MODELS), help="model to use (default: hh)")
    parser.add_argument("--param", default="I_ext", metavar="NAME",
                        help="the continued parameter (default: I_ext, µA/cm²)")
    parser.add_argument("--range", nargs=2, type=finite_float, default=None, metavar=("START", "STOP"),
                        help="parameter window: start (where the branch begins) and stop; default -10 200 for I_ext")
    parser.add_argument("--set", action="append", default=[], type=parse_param, metavar="NAME=VALUE",
                        help="override a model parameter, e.g. --set gK=30 (repeatable)")
    parser.add_argument("--max-step", type=positive_float, default=None, metavar="STEP",
                        help="maximum pseudo-arclength step (default: window/40)")
    parser.add_argument("--two-param", default=None, metavar="NAME",
                        help="also continue every H and LP point in (PARAM, NAME)")
    parser.add_argument("--range2", nargs=2, type=finite_float, default=None, metavar=("LOW", "HIGH"),
                        help="window of the second parameter (default: 0 to 3x its value)")
    parser.add_argument("--cycles", action="store_true",
                        help="also continue the periodic orbits born at the Hopf points (collocation; LPC, PD, NS)")
    parser.add_argument("--ntst", type=int, default=50, metavar="N",
                        help="collocation mesh intervals for --cycles (default 50, at least 10)")
    parser.add_argument("--ncol", type=int, default=4, metavar="N",
                        help="collocation points per interval for --cycles, 2-7 (default 4)")
    parser.add_argument("--y", default=None, metavar="STATE", help="state on the y axis of the plot (default: V)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the diagram here")
    parser.add_argument("--json", default=None, metavar="JSON", help="save branches and special points here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the branch points here")


def _passes_through(curve, p1: float, p2: float) -> bool:
    """Does a codim-2 curve pass through (p1, p2)? (Two folds are often on one fold curve.)"""
    import numpy as np

    a, b = curve.param2[:-1] - p2, curve.param2[1:] - p2
    for i in np.flatnonzero(a * b <= 0):
        frac = a[i] / (a[i] - b[i]) if a[i] != b[i] else 0.0
        cross = curve.param[i] + frac * (curve.param[i + 1] - curve.param[i])
        if abs(cross - p1) < 1e-2 * (1.0 + abs(p1)):
            return True
    return False


def run(args) -> int:
    from analysis.branch import BifurcationDiagram
    from analysis.codim2 import continue_fold, continue_hopf
    from analysis.continuation import continue_equilibria

    plot, json_path, csv_path = output_path(args.plot), output_path(args.json), output_path(args.csv)
    if args.cycles and not 2 <= args.ncol <= 7:
        raise ValueError(f"--ncol must be an integer in 2..7, got {args.ncol}")
    if args.cycles and args.ntst < 10:
        raise ValueError(f"--ntst must be at least 10, got {args.ntst}")
    model = make_model(args.model, **dict(args.set))
    if args.two_param:
        if args.two_param not in model.params:
            raise ValueError(f"--two-param: unknown parameter {args.two_param!r}; known: {', '.join(model.params)}")
        if args.two_param == args.param:
            raise ValueError(f"--two-param must differ from --param, got {args.param!r} twice")
        value = float(model.params[args.two_param])
        bounds2 = tuple(args.range2) if args.range2 else (
            (0.0, 3.0 * value) if value > 0 else (-abs(value) - 10, abs(value) + 10))
        if not bounds2[0] < bounds2[1] or not bounds2[0] <= value <= bounds2[1]:
            raise ValueError(f"--range2 {bounds2[0]:g} {bounds2[1]:g} must be increasing and contain "
                             f"{args.two_param}={value:g}")
    if args.range is None:
        if args.param != "I_ext":
            raise ValueError(f"--range START STOP is required for --param {args.param}")
        start, stop = -10.0, 200.0
    else:
        start, stop = args.range
    if start == stop:
        raise ValueError(f"--range: start == stop == {start:g}; give two different values")
    branch = continue_equilibria(model, args.param, (min(start, stop), max(start, stop)),
                                 direction=1 if stop > start else -1, ds_max=args.max_step)
    branches = [branch]
    print(f"{branch.model_name}: {len(branch.param)} points, {args.param} from {start:g} to {stop:g}; "
          f"{branch.message}")
    if args.cycles:
        from analysis.cycles import cycle_branches

        branches.extend(cycle_branches(model, branch, ntst=args.ntst, ncol=args.ncol, report=print))
    if args.two_param:
        lo, hi = min(start, stop), max(start, stop)
        span = hi - lo
        for point in branch.special_points:
            follow = {"H": continue_hopf, "LP": continue_fold}.get(point.kind)
            if follow is not None and not any(c.kind == point.kind and _passes_through(c, point.param, value)
                                              for c in branches[1:]):
                branches.append(follow(model, point, args.two_param, param=args.param, window=(lo - span, hi + span),
                                       window2=bounds2, ds_max=max(span, bounds2[1] - bounds2[0]) / 40.0))
    diagram = BifurcationDiagram(branches)
    print(diagram.summary())
    if json_path:
        diagram.to_json(json_path)
        print(f"wrote {json_path}")
    if csv_path:
        diagram.to_csv(csv_path)
        print(f"wrote {csv_path}")
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from hhdyn.io import atomic_path

        from analysis.cycles import CycleBranch, plot_with_period

        y = args.y or branch.state_names[0]
        cycles = [b for b in branches if isinstance(b, CycleBranch)]
        codim2 = [b for b in branches[1:] if not isinstance(b, CycleBranch)]
        ncols = 1 + bool(cycles) + bool(codim2)
        fig, axes = plt.subplots(1, ncols, figsize=(6.5 * ncols, 4.5), squeeze=False)
        if cycles:
            plot_with_period(BifurcationDiagram([branch, *cycles]), y=y, axes=axes[0, :2])
        else:
            BifurcationDiagram([branch]).plot(ax=axes[0, 0], y=y)
        axes[0, 0].set_title(f"{branch.model_name}: equilibria" + (" and cycles" if cycles else ""), fontsize=10)
        if codim2:
            for curve in codim2:
                curve.plot(ax=axes[0, -1])
            axes[0, -1].legend(fontsize=8)
            axes[0, -1].set_title("codimension-two curves", fontsize=10)
        fig.tight_layout()
        with atomic_path(plot) as tmp:
            fig.savefig(tmp, dpi=110, format=plot.suffix.lstrip(".") or "png")
        plt.close(fig)
        print(f"wrote {plot}")
    return 0 if all(b.status >= 0 for b in branches) else 1
