"""``hhdyn prc``: phase response curve of the stable limit cycle (adjoint or direct method)."""
from __future__ import annotations

import argparse

from ._common import add_model_arguments, finite_float, model_from_args, output_path, positive_float

NAME = "prc"
HELP = "phase response curve of the stable limit cycle (adjoint of the variational equation, or pulses)"


def _phases(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def add_arguments(parser) -> None:
    add_model_arguments(parser)
    parser.add_argument("--method", choices=("adjoint", "direct"), default="adjoint",
                        help="adjoint equation (default) or direct pulses at each phase")
    parser.add_argument("--phases", type=_phases, default=50, metavar="N", help="number of phases (default 50)")
    parser.add_argument("--pulse", type=positive_float, default=0.2, metavar="MV",
                        help="direct method: voltage kick ΔV = Q/C, mV (default 0.2)")
    parser.add_argument("--engine", choices=("scipy", "compiled"), default="scipy",
                        help="direct method: scipy DOP853 runs (default) or compiled batch members")
    parser.add_argument("--threshold", type=finite_float, default=None, metavar="MV",
                        help="V at phase 0 (upward crossing); default the middle of the orbit's V range")
    parser.add_argument("--form", choices=("time", "phase", "charge"), default="time",
                        help="plotted form: ms/mV (default), rad/mV, or ms per nC/cm²")
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the PRC figure here")
    parser.add_argument("--csv", default=None, metavar="CSV", help="save the PRC table here")
    parser.add_argument("--json", default=None, metavar="JSON", help="save the PRC as JSON here")


def run(args) -> int:
    from analysis.prc import phase_response

    plot, csv, js = output_path(args.plot), output_path(args.csv), output_path(args.json)
    model = model_from_args(args)
    if model.state_names[0] != "V":
        raise ValueError(f"--model: {args.model} has no membrane potential V first (states "
                         f"{', '.join(model.state_names)})")
    prc = phase_response(model, n_phases=args.phases, method=args.method, pulse_mV=args.pulse,
                         threshold=args.threshold, engine=args.engine)
    print(f"{prc.model_name}: PRC ({prc.method}) of the cycle with period {prc.period:.6g} ms "
          f"({prc.frequency_hz:.4g} Hz), phase 0 at V = {prc.threshold:.4g} mV upwards")
    print(f"type {prc.prc_type} (negative/positive area {prc.negative_fraction:.3g}); "
          f"Z_V in [{prc.Z_V.min():.4g}, {prc.Z_V.max():.4g}] ms/mV")
    if prc.method == "adjoint":
        print(f"checks: max |Z·f − 1| = {prc.normalization_error:.2g}, periodicity {prc.periodicity_error:.2g}")
    for path, write in ((csv, prc.to_csv), (js, prc.to_json)):
        if path:
            write(path)
            print(f"wrote {path}")
    if plot:
        _save(prc.plot(form=args.form).figure, plot)
        print(f"wrote {plot}")
    return 0


def _save(fig, path) -> None:
    import matplotlib.pyplot as plt

    from hhdyn.io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
