"""``hhdyn simulate``: integrate a model and save its trace."""
from __future__ import annotations

from ._common import add_model_arguments, finite_float, model_from_args, output_path, positive_float

NAME = "simulate"
HELP = "simulate a model under a constant current and/or a current step"


def _step(text: str):
    import argparse

    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected ONSET,DURATION,AMPLITUDE, got {text!r}")
    onset, duration, amplitude = (finite_float(p) for p in parts)
    if duration <= 0:
        raise argparse.ArgumentTypeError(f"step duration must be positive, got {parts[1]!r}")
    return onset, duration, amplitude


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--I", dest="I", type=finite_float, default=None, metavar="UA_PER_CM2",
                        help="constant applied current I_ext, µA/cm²")
    parser.add_argument("--t-end", type=positive_float, default=100.0, metavar="MS", help="duration, ms (default 100)")
    parser.add_argument("--step", type=_step, action="append", default=[], metavar="ONSET,DURATION,AMPLITUDE",
                        help="add a current step (ms, ms, µA/cm²); repeatable")
    parser.add_argument("--dt", type=positive_float, default=0.01, metavar="MS", help="output sampling, ms")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save a voltage plot here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the trajectory here")


def run(args) -> int:
    from hhdyn.simulation import simulate
    from hhdyn.stimuli import Step

    plot, csv = output_path(args.plot), output_path(args.csv)
    extra = {} if args.I is None else {"I_ext": args.I}
    model = model_from_args(args)
    rest = model.resting_state()  # start from rest without the applied current
    model = model.with_params(**extra) if extra else model
    stimulus = None
    for onset, duration, amplitude in args.step:
        step = Step(onset, duration, amplitude)
        stimulus = step if stimulus is None else stimulus + step
    traj = simulate(model, args.t_end, stimulus=stimulus, y0=rest, dt=args.dt)
    first = traj.state_names[0]
    spikes = traj.spike_times(variable=first) if first == "V" else []
    print(f"{model.name}: {len(spikes)} spikes in {args.t_end:g} ms"
          + (f", rate {traj.firing_rate():.2f} Hz" if len(spikes) > 1 else ""))
    if csv:
        traj.to_csv(csv, currents=hasattr(model, "channel_currents"))
        print(f"wrote {csv}")
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from hhdyn.io import atomic_path

        ax = traj.plot(states=(first,))
        with atomic_path(plot) as tmp:
            ax.figure.savefig(tmp, dpi=110, format=plot.suffix.lstrip(".") or "png")
        plt.close(ax.figure)
        print(f"wrote {plot}")
    return 0
