"""``hhdyn phaseplane``: draw a model's phase plane and list its equilibria."""
from __future__ import annotations

import argparse

from ._common import (add_model_arguments, bounded_float, bounded_int, check_state, finite_float, model_from_args,
                      outputs, parse_assignments, save_figure, working)

NAME = "phaseplane"
HELP = "phase plane of a model: nullclines, fixed points with their stability, trajectories, manifolds"


def pair(text: str) -> tuple[float, float]:
    """argparse type for ``A,B`` (two finite numbers)."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected two numbers A,B, got {text!r}")
    a, b = finite_float(parts[0]), finite_float(parts[1])
    if max(abs(a), abs(b)) > 1e6:
        raise argparse.ArgumentTypeError(f"coordinates must be within ±1e6 (mV, gate fractions, ...), got {text!r}")
    return a, b


def window(text: str) -> tuple[float, float]:
    """argparse type for ``LO,HI`` with LO < HI."""
    lo, hi = pair(text)
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"expected LO,HI with LO < HI, got {text!r}")
    return lo, hi


CURRENT = bounded_float(-1e4, 1e4, "µA/cm²", lo_open=False)
DURATION = bounded_float(0.0, 1e4, "ms")


def add_plane_arguments(parser) -> None:
    """Arguments shared with ``hhdyn explore``: axes, window and projection."""
    parser.add_argument("--x", default=None, help="state on the horizontal axis (default V, or the first state)")
    parser.add_argument("--y", default=None, help="state on the vertical axis (default n, or the other state)")
    parser.add_argument("--xlim", type=window, default=None, metavar="LO,HI", help="horizontal window, e.g. --xlim=-90,50")
    parser.add_argument("--ylim", type=window, default=None, metavar="LO,HI", help="vertical window")
    parser.add_argument("--others", default=None, metavar="steady_state|NAME=VALUE,...",
                        help="models with more than two states: 'steady_state' (quasi-nullclines; the default "
                             "on the command line) or a slice like m=0.05,h=0.6")


def plane_others(args, model):
    """The ``others`` argument for a model from the command line (None for planar models)."""
    if model.n_states == 2:
        if args.others not in (None, "steady_state"):
            raise ValueError(f"--others {args.others!r}: {model.name} has only the two states "
                             f"{', '.join(model.state_names)}, so there is nothing to fix; leave --others out")
        return None
    if args.others in (None, "steady_state"):
        return "steady_state"
    values = parse_assignments(args.others, "--others (expected 'steady_state' or NAME=VALUE,...)")
    check_state(model, values, "--others")
    return values


def check_plane_points(model, plane, points, option: str) -> None:
    """ValueError if a point (X, Y) of the plane puts a gate outside [0, 1] (see check_state)."""
    for x, y in points:
        check_state(model, {plane.x: x, plane.y: y}, option)


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--I", dest="I", type=CURRENT, default=None, metavar="UA_PER_CM2",
                        help="applied current I_ext (µA/cm² for conductance-based models)")
    add_plane_arguments(parser)
    parser.add_argument("--trajectory", type=pair, action="append", default=[], metavar="X,Y",
                        help="draw a trajectory from this point of the plane, e.g. --trajectory=-50,0.4 (repeatable)")
    parser.add_argument("--t-end", type=DURATION, default=100.0, metavar="T",
                        help="duration of the trajectories (ms for conductance-based models; default 100)")
    parser.add_argument("--density", type=bounded_int(2, 200), default=20,
                        help="direction-field arrows per axis, 2-200 (default 20)")
    parser.add_argument("--streamlines", action="store_true", help="draw streamlines instead of arrows")
    parser.add_argument("--cycles", action="store_true", help="search for limit cycles (forward and backward)")
    parser.add_argument("--t-max", type=DURATION, default=400.0, metavar="T",
                        help="longest integration for the cycle and manifold searches (default 400)")
    parser.add_argument("--no-separatrices", action="store_true", help="do not draw manifolds of saddles")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the phase-plane figure here")
    parser.add_argument("--json", default=None, metavar="JSON", help="save the fixed points here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the nullcline points here")


def run(args) -> int:
    from analysis.phaseplane import PhasePlane

    plot, js, csv = outputs(plot=args.plot, json=args.json, csv=args.csv)
    model = model_from_args(args) if args.I is None else model_from_args(args, I_ext=args.I)
    others = plane_others(args, model)
    pp = PhasePlane(model, args.x, args.y, args.xlim, args.ylim, others=others, t_max=args.t_max)
    check_plane_points(model, pp, args.trajectory, "--trajectory")
    with working("finding the equilibria"):
        fps = pp.fixed_points()
    print(f"{model.name}, I_ext = {model.params['I_ext']:g}: plane ({pp.x}, {pp.y})"
          + (f", {pp.plane.describe()}" if pp.plane.is_projection else ""))
    if not len(fps):
        print("no equilibrium in the window")
    for fp in fps:
        coords = ", ".join(f"{n} = {v:.6g}" for n, v in zip(fp.state_names, fp.state))
        lead = fp.eigenvalues[0]
        print(f"  {fp.kind:15s} {coords}; leading eigenvalue {lead.real:.4g}{lead.imag:+.4g}i")
    for fold in fps.folds:
        print(f"  fold (LP) at V = {fold.V:.6g} mV, I_ext = {fold.I_fold:.8g}")
    with working("searching for limit cycles", quiet=not args.cycles):
        cycles = pp.limit_cycles(seeds=args.trajectory or None) if args.cycles else False
    if args.cycles:
        for c in cycles:
            print(f"  {'stable' if c.stable else 'unstable'} limit cycle, period {c.period:.6g}")
        if not cycles:
            print("  no limit cycle found")
    if js:
        fps.to_json(js)
        print(f"wrote {js}")
    if csv:
        pp.nullclines().to_csv(csv)
        print(f"wrote {csv}")
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        with working("drawing the phase plane"):
            ax = pp.plot(field="streamlines" if args.streamlines else "arrows", density=args.density,
                         trajectories=args.trajectory, t_end=args.t_end, separatrices=not args.no_separatrices,
                         limit_cycles=cycles)
            save_figure(ax.figure, plot)
        print(f"wrote {plot}")
    return 0
