"""``hhdyn bifurcation``: the equilibrium diagram of a model in one parameter (AUTO/MatCont style)."""
from __future__ import annotations

import sys

from ._common import (add_model_arguments, bounded_int, check_params, check_work, finite_float, model_from_args,
                      outputs, positive_float, save_figure, working)

NAME = "bifurcation"
HELP = "continue equilibria in one parameter (--vary): fold (LP) and Hopf (H) points with l1"

#: Most pseudo-arclength steps the window may need at --max-step (the branch has at most 5000 points).
MAX_STEPS = 5000
#: Largest collocation mesh for --cycles: the Newton system has ntst·ncol·n_states unknowns.
MAX_NTST = 400


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--vary", default="I_ext", metavar="NAME",
                        help="the continued parameter (default: I_ext, µA/cm²); --param NAME=VALUE sets the "
                             "others")
    parser.add_argument("--range", nargs=2, type=finite_float, default=None, metavar=("START", "STOP"),
                        help="window of the --vary parameter: start (where the branch begins) and stop; "
                             "default -10 200 for I_ext")
    parser.add_argument("--max-step", type=positive_float, default=None, metavar="STEP",
                        help="maximum pseudo-arclength step (default: window/40; at most the window)")
    parser.add_argument("--two-param", default=None, metavar="NAME",
                        help="also continue every H and LP point in (VARY, NAME); with --cycles also the folds of "
                             "cycles (LPC) where stable cycles begin (the edge of the bistable band)")
    parser.add_argument("--range2", nargs=2, type=finite_float, default=None, metavar=("LOW", "HIGH"),
                        help="window of the second parameter (default: 0 to 3x its value)")
    parser.add_argument("--cycles", action="store_true",
                        help="also continue the periodic orbits born at the Hopf points (collocation; LPC, PD, NS)")
    parser.add_argument("--ntst", type=bounded_int(10, MAX_NTST), default=50, metavar="N",
                        help=f"collocation mesh intervals for --cycles, 10-{MAX_NTST} (default 50)")
    parser.add_argument("--ncol", type=bounded_int(2, 7), default=4, metavar="N",
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


def _lpc_curves(model, param, param2, cycle_branches, *, window, window2, ntst, ncol) -> list:
    """LPC curves in (param, param2) from the folds of cycles at which stable cycles begin (a stable
    orbit next to the fold on its branch); one curve per fold not already on a computed curve."""
    import numpy as np

    from analysis.cycles.cycle_curves import continue_lpc

    folds = []
    for cycles in cycle_branches:
        stable = np.asarray(cycles.stable, dtype=bool)
        folds += [(p, cycles) for p in cycles.points("LPC") if stable[max(p.index - 1, 0): p.index + 2].any()]
    if not folds:
        raise ValueError(f"--cycles with --two-param: {model.name} has no fold of cycles (LPC) where stable cycles "
                         f"begin in this --range, so there is no LPC curve to follow; widen --range or drop --cycles")
    value2 = float(model.params[param2])
    curves = []
    for point, cycles in sorted(folds, key=lambda f: f[0].param):
        if any(_passes_through(c, point.param, value2) for c in curves):
            continue
        with working(f"continuing the fold of cycles at {param}={point.param:.6g} in ({param}, {param2})"):
            curves.append(continue_lpc(model, point, param2, param=param, branch=cycles, window=window,
                                       window2=window2, ntst=ntst, ncol=ncol))
        print(f"LPC curve from {param}={point.param:.6g}: {len(curves[-1].param)} points; "
              f"{' '.join(str(curves[-1].message).split())}")
    return curves


def run(args) -> int:
    from analysis.branch import BifurcationDiagram
    from analysis.continuation import continue_fold, continue_hopf
    from analysis.continuation import continue_equilibria

    plot, json_path, csv_path = outputs(plot=args.plot, json=args.json, csv=args.csv)
    model = model_from_args(args)
    param = args.vary
    if param not in model.params:
        raise ValueError(f"--vary: unknown parameter {param!r} of {model.name}; known: {', '.join(model.params)}")
    if args.y is not None and args.y not in model.state_names:
        raise ValueError(f"--y: {args.y!r} is not a state of {model.name}; states: {', '.join(model.state_names)}")
    if args.range2 is not None and not args.two_param:
        raise ValueError("--range2 is the window of the second parameter: it needs --two-param NAME")
    if args.two_param:
        if args.two_param not in model.params:
            raise ValueError(f"--two-param: unknown parameter {args.two_param!r}; known: {', '.join(model.params)}")
        if args.two_param == param:
            raise ValueError(f"--two-param must differ from --vary, got {param!r} twice")
        value = float(model.params[args.two_param])
        bounds2 = tuple(args.range2) if args.range2 else (
            (0.0, 3.0 * value) if value > 0 else (-abs(value) - 10, abs(value) + 10))
        if not bounds2[0] < bounds2[1] or not bounds2[0] <= value <= bounds2[1]:
            raise ValueError(f"--range2 {bounds2[0]:g} {bounds2[1]:g} must be increasing and contain "
                             f"{args.two_param}={value:g}")
        for bound in bounds2:
            check_params({args.two_param: bound}, "--range2")
    if args.range is None:
        if param != "I_ext":
            raise ValueError(f"--range START STOP is required for --vary {param}")
        start, stop = -10.0, 200.0
    else:
        start, stop = args.range
    if start == stop:
        raise ValueError(f"--range: start == stop == {start:g}; give two different values")
    for bound in (start, stop):
        check_params({param: bound}, "--range")
    span = abs(stop - start)
    if args.max_step is not None and span > 0:
        if args.max_step > span:
            raise ValueError(f"--max-step {args.max_step:g} is larger than the window |STOP - START| = {span:g}; "
                             f"use at most {span:g} (default {span / 40:g})")
        check_work(span / args.max_step, MAX_STEPS, f"--max-step {args.max_step:g} over a window of {span:g}",
                   f"use --max-step of at least {span / MAX_STEPS:.3g}")
    with working(f"continuing the equilibria of {model.name} in {param}"):
        branch = continue_equilibria(model, param, (min(start, stop), max(start, stop)),
                                     direction=1 if stop > start else -1, ds_max=args.max_step)
    branches = [branch]
    print(f"{branch.model_name}: {len(branch.param)} points, {param} from {start:g} to {stop:g}; "
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
                branches.append(follow(model, point, args.two_param, param=param, window=(lo - span, hi + span),
                                       window2=bounds2, ds_max=max(span, bounds2[1] - bounds2[0]) / 40.0))
    if args.two_param and args.cycles:
        from analysis.cycles import CycleBranch

        branches.extend(_lpc_curves(model, param, args.two_param, [b for b in branches if isinstance(b, CycleBranch)],
                                    window=(lo - span, hi + span), window2=bounds2, ntst=args.ntst, ncol=args.ncol))
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
        save_figure(fig, plot)
        print(f"wrote {plot}")
    failed = [b for b in branches if b.status < 0]
    for b in failed:
        print(f"hhdyn: {b.kind} branch ended early: {' '.join(str(b.message).split())}", file=sys.stderr)
    return 1 if failed else 0
