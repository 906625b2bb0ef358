"""``hhdyn explore``: the interactive phase-plane explorer (sliders, click to launch)."""
from __future__ import annotations

import argparse

from ._common import add_model_arguments, finite_float, model_from_args, output_path, parse_param, positive_float
from .phaseplane import add_plane_arguments, pair, plane_others

NAME = "explore"
HELP = "interactive phase plane: sliders for I_ext and parameters, click to launch trajectories"


def _slider(text: str):
    name, sep, rng = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"expected NAME or NAME=LO:HI, got {text!r}")
    if not sep:
        return name.strip(), None
    parts = rng.split(":")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected NAME=LO:HI, got {text!r}")
    return name.strip(), (finite_float(parts[0]), finite_float(parts[1]))


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--I", dest="I", type=finite_float, default=None, metavar="UA_PER_CM2",
                        help="initial applied current I_ext")
    add_plane_arguments(parser)
    parser.add_argument("--slider", type=_slider, action="append", default=[], metavar="NAME[=LO:HI]",
                        help="add a slider for a parameter (I_ext always has one); repeatable")
    parser.add_argument("--t-end", type=positive_float, default=100.0, metavar="T", help="trajectory duration")
    parser.add_argument("--save", default=None, metavar="PNG",
                        help="headless: apply --set and --click, save the window as an image and exit")
    parser.add_argument("--set", type=parse_param, action="append", default=[], metavar="NAME=VALUE",
                        help="with --save: move a slider to this value first (repeatable)")
    parser.add_argument("--click", type=pair, action="append", default=[], metavar="X,Y",
                        help="with --save: launch a trajectory from this point, e.g. --click=-50,0.4 "
                             "(repeatable)")


def run(args) -> int:
    save = output_path(args.save)
    if (args.set or args.click) and not save:
        raise ValueError("--set and --click need --save (they script the headless explorer)")
    import matplotlib

    if save:
        matplotlib.use("Agg")
    from analysis.explorer import Explorer

    model = model_from_args(args)
    if args.I is not None:
        model = model.with_params(I_ext=args.I)
    sliders = dict(args.slider)  # name -> (lo, hi) or None for the default range
    explorer = Explorer(model, args.x, args.y, args.xlim, args.ylim, others=plane_others(args, model),
                        sliders=sliders, t_end=args.t_end)
    if save:
        for name, value in args.set:
            if name not in explorer.sliders:
                raise ValueError(f"--set: {name!r} has no slider; sliders are {', '.join(explorer.sliders)}")
            explorer.sliders[name].set_val(value)
        for x, y in args.click:
            explorer.launch(x, y)
        from hhdyn.io import atomic_path

        with atomic_path(save) as tmp:
            explorer.figure.savefig(tmp, dpi=100, format=save.suffix.lstrip(".") or "png")
        kinds = ", ".join(fp.kind for fp in explorer.phase_plane.fixed_points()) or "none"
        print(f"{model.name}: " + ", ".join(f"{k} = {explorer.params[k]:g}" for k in explorer.sliders)
              + f"; fixed points: {kinds}; {len(explorer.trajectories)} trajectories")
        print(f"wrote {save}")
        return 0
    explorer.show()
    return 0

