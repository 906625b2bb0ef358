"""``hhdyn explore``: the interactive phase-plane explorer (sliders, click to launch)."""
from __future__ import annotations

import argparse

from ._common import add_model_arguments, finite_float, model_from_args, outputs, save_figure
from .phaseplane import CURRENT, DURATION, add_plane_arguments, check_plane_points, pair, plane_others

NAME = "explore"
HELP = ("interactive phase plane: sliders for I_ext and parameters, click to launch trajectories "
        "(needs a display; --save renders headless)")

#: matplotlib backends that cannot open a window.
NON_INTERACTIVE = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def _slider(text: str):
    name, sep, rng = text.partition("=")
    name = name.strip()
    if not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME or NAME=LO:HI, got {text!r}")
    if not sep:
        return name, None
    parts = rng.split(":")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected NAME=LO:HI, got {text!r}")
    lo, hi = finite_float(parts[0]), finite_float(parts[1])
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"expected NAME=LO:HI with LO < HI, got {text!r}")
    return name, (lo, hi)


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--I", dest="I", type=CURRENT, default=None, metavar="UA_PER_CM2",
                        help="initial applied current I_ext")
    add_plane_arguments(parser)
    parser.add_argument("--slider", type=_slider, action="append", default=[], metavar="NAME[=LO:HI]",
                        help="add a slider for a parameter (I_ext always has one); it starts at the "
                             "parameter's value, which --param sets; repeatable")
    parser.add_argument("--t-end", type=DURATION, default=100.0, metavar="T", help="trajectory duration")
    parser.add_argument("--save", default=None, metavar="PNG",
                        help="headless: apply --param and --click, save the window as an image and exit")
    parser.add_argument("--click", type=pair, action="append", default=[], metavar="X,Y",
                        help="with --save: launch a trajectory from this point, e.g. --click=-50,0.4 "
                             "(repeatable)")


def interactive_backend() -> str | None:
    """The name of matplotlib's backend if it can open a window, else None."""
    import matplotlib.pyplot as plt

    backend = str(plt.get_backend()).lower()
    if backend in NON_INTERACTIVE or backend.startswith("module://matplotlib_inline"):
        return None
    return backend


def run(args) -> int:
    (save,) = outputs(save=args.save)
    if args.click and not save:
        raise ValueError("--click needs --save (it scripts the headless explorer)")
    model = model_from_args(args) if args.I is None else model_from_args(args, I_ext=args.I)
    sliders = dict(args.slider)  # name -> (lo, hi) or None for the default range
    for name in sliders:
        if name not in model.params:
            raise ValueError(f"--slider: unknown parameter {name!r} of {model.name}; sliders can be made for {', '.join(model.params)}")
    import matplotlib

    if save:
        matplotlib.use("Agg")
    elif interactive_backend() is None:
        raise ValueError(f"hhdyn explore needs an interactive matplotlib backend and a display, but the backend "
                         f"is {matplotlib.get_backend()!r}; run it on a desktop (or set MPLBACKEND=TkAgg/QtAgg), "
                         "or render headless with --save out.png")
    from analysis.explorer import Explorer

    explorer = Explorer(model, args.x, args.y, args.xlim, args.ylim, others=plane_others(args, model),
                        sliders=sliders, t_end=args.t_end)
    if save:
        check_plane_points(model, explorer.phase_plane, args.click, "--click")
        for x, y in args.click:
            explorer.launch(x, y)
        save_figure(explorer.figure, save, dpi=100)
        kinds = ", ".join(fp.kind for fp in explorer.phase_plane.fixed_points()) or "none"
        print(f"{model.name}: " + ", ".join(f"{k} = {explorer.params[k]:g}" for k in explorer.sliders)
              + f"; fixed points: {kinds}; {len(explorer.trajectories)} trajectories")
        print(f"wrote {save}")
        return 0
    explorer.show()
    return 0
