"""``hhdyn simulate``: integrate a model and save its trace."""
from __future__ import annotations

import argparse

from ._common import (add_model_arguments, bounded_float, check_work, finite_float, model_from_args, outputs,
                      positive_float, save_figure, working)

NAME = "simulate"
HELP = "simulate a model under a constant current and/or current steps"

#: Largest number of output samples (t_end/dt + 1): 5e6 samples of a 4-state model are 200 MB
#: in memory and ~0.5 GB of CSV.
MAX_SAMPLES = 5e6
#: Longest run, ms: the HH model integrates at roughly 1-2 ms of model time per ms of CPU when it
#: fires, so this is a few minutes.
MAX_T_END = 1e5
CURRENT = bounded_float(-1e4, 1e4, "µA/cm²", lo_open=False)


def _step(text: str):
    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected ONSET,DURATION,AMPLITUDE (ms, ms, µA/cm²), got {text!r}")
    onset, duration, amplitude = (finite_float(p) for p in parts)
    if onset < 0:
        raise argparse.ArgumentTypeError(f"step onset must be >= 0 ms, got {parts[0]!r}")
    if duration <= 0:
        raise argparse.ArgumentTypeError(f"step duration must be positive, got {parts[1]!r}")
    if abs(amplitude) > 1e4:
        raise argparse.ArgumentTypeError(f"step amplitude must be within ±10000 µA/cm², got {parts[2]!r}")
    return onset, duration, amplitude


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--I", dest="I", type=CURRENT, default=None, metavar="UA_PER_CM2",
                        help="constant applied current from t = 0, µA/cm² (starts from rest without it; "
                             "the CSV column I_applied_uA_per_cm2 shows I_ext + stimulus)")
    parser.add_argument("--t-end", type=positive_float, default=100.0, metavar="MS",
                        help=f"duration, ms (default 100, at most {MAX_T_END:g})")
    parser.add_argument("--step", type=_step, action="append", default=[], metavar="ONSET,DURATION,AMPLITUDE",
                        help="add a current step (ms, ms, µA/cm²); repeatable")
    parser.add_argument("--dt", type=positive_float, default=0.01, metavar="MS",
                        help=f"output sampling, ms (default 0.01; at least 10 and at most {MAX_SAMPLES:g} samples)")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save a voltage plot here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the trajectory here")


def run(args) -> int:
    from hhdyn.simulation import simulate
    from hhdyn.stimuli import Constant, Step

    plot, csv = outputs(plot=args.plot, csv=args.csv)
    if args.t_end > MAX_T_END:
        raise ValueError(f"--t-end {args.t_end:g} ms is longer than {MAX_T_END:g} ms (hours of integration); "
                         "simulate in pieces, or use hhdyn.simulation.simulate(..., engine='compiled') from Python")
    samples = args.t_end / args.dt + 1
    if samples < 10:
        raise ValueError(f"--dt {args.dt:g} ms keeps only {int(samples)} sample(s) of --t-end {args.t_end:g} ms; "
                         f"use --dt {args.t_end / 10:g} or less")
    check_work(samples, MAX_SAMPLES, f"--t-end {args.t_end:g} ms sampled every --dt {args.dt:g} ms",
               f"use a larger --dt (>= {args.t_end / MAX_SAMPLES:.3g} ms) or a shorter --t-end")
    for onset, _, _ in args.step:
        if onset >= args.t_end:
            raise ValueError(f"--step onset {onset:g} ms is not before --t-end {args.t_end:g} ms")
    model = model_from_args(args)
    rest = model.resting_state()  # start from rest without the applied current
    stimulus = None if args.I is None else Constant(args.I)
    for onset, duration, amplitude in args.step:
        step = Step(onset, duration, amplitude)
        stimulus = step if stimulus is None else stimulus + step
    with working(f"simulating {model.name} for {args.t_end:g} ms"):
        traj = simulate(model, args.t_end, stimulus=stimulus, y0=rest, dt=args.dt)
    if "V" in traj.state_names:
        spikes = traj.spike_times()
        print(f"{model.name}: {len(spikes)} spikes in {args.t_end:g} ms"
              + (f", rate {traj.firing_rate():.2f} Hz" if len(spikes) > 1 else ""))
    else:
        print(f"{model.name}: {args.t_end:g} ms simulated ({', '.join(traj.state_names)}; no membrane potential V)")
    if csv:
        with working(f"writing {csv}"):
            traj.to_csv(csv, currents=hasattr(model, "channel_currents"))
        print(f"wrote {csv}")
    if plot:
        save_figure(traj.plot(states=(traj.state_names[0],)).figure, plot)
        print(f"wrote {plot}")
    return 0
