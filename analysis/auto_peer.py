"""AUTO-07p as a peer: the same model continued by hhdyn and by AUTO-07p (through bifpy).

The model goes to AUTO as the plain-data equations of :func:`analysis.pydstool_export.to_pydstool`
(generated from the model's own declaration); ``_auto_runner.py`` runs in the AUTO peer venv as
a subprocess (JSON in, JSON out), compiles them with bifpy (``transpile=True``: Fortran with the
exact Jacobian) and returns AUTO's labelled points. hhdyn never imports bifpy.

The peer venv is built by ``bash tests/peers/setup_auto.sh`` at ``~/.cache/hhdyn/auto-peer`` (or
``$HHDYN_AUTO_PEER``); :func:`auto_python` finds it, or returns None.

Labels: AUTO's point types are mapped to hhdyn's (AUTO/MatCont) names by stage — on equilibria
FOLD → "LP", HOPF_BIFURCATION → "H", BRANCH_POINT → "BP"; on cycles FOLD → "LPC",
PERIOD_DOUBLING → "PD", TORUS → "NS", BRANCH_POINT → "BPC"; on a Hopf curve continued in
(a, b) AUTO's FOLD is an extremum of a, "LP_p1" when a is hhdyn's first parameter, else "LP_p2"
(see :mod:`analysis.continuation.codim2`), GENERALIZED_HOPF → "GH", BOGDANOV_TAKENS → "BT",
ZERO_HOPF → "ZH". End points are "EP", user values "UZ".
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .peer_env import PeerEnv

__all__ = ["ENV_VAR", "auto_python", "AutoPoint", "AutoPeerError", "run_auto", "auto_equilibria", "auto_cycles",
           "auto_hopf_curve"]

ENV_VAR = "HHDYN_AUTO_PEER"
RUNNER = Path(__file__).with_name("_auto_runner.py")

_COMMON = {"END_POINT": "EP", "USER_SPECIFIED_VALUE": "UZ", "ABNORMAL_TERMINATION": "MX"}
_LABELS = {
    "equilibria": {"FOLD": "LP", "HOPF_BIFURCATION": "H", "BRANCH_POINT": "BP"},
    "cycles": {"FOLD": "LPC", "PERIOD_DOUBLING": "PD", "TORUS": "NS", "BRANCH_POINT": "BPC"},
    "curve": {"GENERALIZED_HOPF": "GH", "BOGDANOV_TAKENS": "BT", "ZERO_HOPF": "ZH", "CUSP": "CP"},
}
_LABELS["refine"] = _LABELS["cycles"]


class AutoPeerError(RuntimeError):
    """The AUTO peer could not run (missing venv, failed subprocess)."""


_PEER = PeerEnv(ENV_VAR, "auto-peer", "bifpy.auto")


def _default_env() -> Path:
    return _PEER.path()


def auto_python(check_import: bool = True) -> Path | None:
    """The peer venv's Python if it exists (and, with ``check_import``, imports bifpy — one
    short subprocess, cached), else None."""
    return _PEER.python(check_import)


@dataclass(frozen=True)
class AutoPoint:
    """One labelled point of an AUTO run: hhdyn's ``kind``, AUTO's point type (``auto_type``),
    the ``stage`` it came from ("equilibria", "cycles", "refine", "curve"), the parameters by
    name (``period`` too on cycles), the state (equilibria; on cycles AUTO's max over the orbit)
    and the Floquet multipliers (cycles)."""

    kind: str
    auto_type: str
    stage: str
    params: dict = field(default_factory=dict)
    state: tuple = ()
    period: float | None = None
    multipliers: tuple = ()

    def __getitem__(self, name: str) -> float:
        return self.params[name]


def _point(raw: dict, first: str | None, curve_icu: tuple | None) -> AutoPoint:
    stage, t = raw["stage"], raw["type"]
    kind = _COMMON.get(t) or _LABELS[stage].get(t)
    if kind is None and stage == "curve" and t == "FOLD":
        kind = "LP_p1" if curve_icu[0] == first else "LP_p2"
    return AutoPoint(kind or t, t, stage, dict(raw["params"]), tuple(raw["state"]), raw.get("period"),
                     tuple(complex(re, im) for re, im in raw["multipliers"]))


def run_auto(model, runs, *, timeout: float = 900.0) -> list:
    """Run AUTO on ``model`` for each run description (see ``_auto_runner.py``); returns one list
    of :class:`AutoPoint` per run. Raises :class:`AutoPeerError` when the peer is missing or fails."""
    from .pydstool_export import to_pydstool

    python = auto_python()
    if python is None:
        raise AutoPeerError(f"no AUTO peer venv at {_default_env()}: run `bash tests/peers/setup_auto.sh` "
                            f"(or set ${ENV_VAR})")
    request = {"model": to_pydstool(model), "runs": list(runs)}
    try:
        done = subprocess.run([str(python), str(RUNNER)], input=json.dumps(request), capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AutoPeerError(f"the AUTO runner took longer than {timeout:g} s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise AutoPeerError(f"the AUTO runner failed (exit {done.returncode}):\n{tail}")
    result = json.loads(done.stdout)
    out = []
    for run, raw_points in zip(runs, result["runs"]):
        icu = tuple(run.get("icu", ())) or None
        out.append([_point(r, run.get("first", run["param"]), icu) for r in raw_points])
    return out


def auto_equilibria(model, param: str = "I_ext", window=(-10.0, 200.0), **options) -> list:
    """AUTO's labelled points on the equilibria of ``model`` in ``param`` (from the model's own
    value; ``options``: ``ds``, ``eq_dsmax``, ``nmx``)."""
    return run_auto(model, [{"kind": "equilibria", "param": param, "window": list(window), **options}])[0]


def auto_cycles(model, param: str = "I_ext", window=(0.0, 200.0), *, dsmax: float = 0.5, ntst: int = 80,
                refine=(), **options) -> list:
    """AUTO's labelled points on the cycles born at the first Hopf point of the equilibria in
    ``param``, and of the fine restarts from the folds of cycles nearest each value in ``refine``."""
    run = {"kind": "cycles", "param": param, "window": list(window), "dsmax": dsmax, "ntst": ntst,
           "refine": [{"near": float(v)} for v in refine], **options}
    return run_auto(model, [run])[0]


def auto_hopf_curve(model, param: str, param2: str, *, extremum_of: str, window=(-10.0, 200.0), bounds=None,
                    **options) -> list:
    """AUTO's labelled points on the curve of the first Hopf point (of the equilibria in
    ``param``) in (``param``, ``param2``); AUTO's LP on it is an extremum of ``extremum_of``
    (one of the two), labelled "LP_p1" or "LP_p2" like hhdyn's. ``bounds``: {name: (lo, hi)}."""
    if extremum_of not in (param, param2):
        raise ValueError(f"extremum_of must be {param!r} or {param2!r}, got {extremum_of!r}")
    other = param2 if extremum_of == param else param
    run = {"kind": "hopf_curve", "param": param, "first": param, "window": list(window),
           "icu": [extremum_of, other], "bounds": {k: list(v) for k, v in (bounds or {}).items()}, **options}
    return run_auto(model, [run])[0]
