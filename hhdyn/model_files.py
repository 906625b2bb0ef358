"""Models saved as JSON files and loaded back: declared, reduced, from equations, by class.

>>> save_model(HodgkinHuxley(T=18.5), "hh.json")
>>> model = load_model("hh.json")          # the same model: rhs, Jacobian and parameters equal

File layout (``"format": "hhdyn-model"``, ``"version": 1``) by ``"kind"``:

* ``"conductance"`` — a :class:`~hhdyn.model.ConductanceModel`: ``C``, ``I_ext``, ``T``, the
  channels (name, g_max, E_rev as a number or the name of a shared parameter, gates with
  powers), each gate's two rates as ``{"family": <a rate class of hhdyn.rates>, <its fields>}``
  (e.g. ``{"family": "ExpRate", "A", "V_half", "k"}``; every family but ``FunctionRate``; or
  ``"x_inf"``/``"tau"`` for gates declared by their steady state and time constant), its q10 and T_ref, the gate forms of reductions
  (``{"form": "instantaneous"}`` or ``{"form": "linear", "of", "offset_param", "slope_param"}``),
  the extra parameters and all current parameter values;
* ``"equations"`` — an :class:`~hhdyn.equations.EquationModel`: its text declaration;
* ``"class"`` — any other model whose class lives in the ``hhdyn`` or ``reductions`` packages
  and can be built without arguments (e.g. :class:`reductions.FitzHughNagumo`): the class path
  and the parameter values, restored as ``cls().with_params(**params)``.

Numbers are written with Python's shortest round-trip repr, so the round trip is exact. The file
is written to a temporary name and moved into place, so a failure leaves nothing behind.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["save_model", "load_model", "model_to_dict", "model_from_dict", "ModelFileError"]

FORMAT = "hhdyn-model"
VERSION = 1
#: Packages from which a "class" model may be imported when loading.
TRUSTED_PACKAGES = ("hhdyn", "reductions")


class ModelFileError(ValueError):
    """A model file that cannot be read; the message names the file and the problem."""


# --------------------------------------------------------------------------- rates and gates
def _rate_family(name, where):
    """The rate class ``name`` of :mod:`hhdyn.rates` (any family but callables), or ValueError."""
    from . import rates

    cls = getattr(rates, str(name), None) if str(name) in rates.__all__ else None
    if cls is None or not dataclasses.is_dataclass(cls) or cls is rates.FunctionRate:
        raise ValueError(f"{where}: rate family {name!r} cannot be saved or loaded (a FunctionRate holds a "
                         "Python callable); write the model with hhdyn.equations")
    return cls


def _rate_to_dict(rate, where):
    """``{"family": class name, field: value, ...}``, nested for rates made of rates (x∞/τ)."""
    _rate_family(type(rate).__name__, where)
    out = {"family": type(rate).__name__}
    for f in dataclasses.fields(rate):
        value = getattr(rate, f.name)
        out[f.name] = _rate_to_dict(value, where) if dataclasses.is_dataclass(value) else value
    return out


def _rate_from_dict(d, where):
    if not isinstance(d, Mapping):
        raise ValueError(f"{where}: a rate must be an object with a 'family', got {d!r}")
    cls = _rate_family(d.get("family"), where)
    fields = {f.name for f in dataclasses.fields(cls)}
    given = set(d) - {"family"}
    if given != fields:
        raise ValueError(f"{where}: rate {d.get('family')} needs the fields {', '.join(sorted(fields))}, "
                         f"got {', '.join(sorted(given)) or 'none'}")
    return cls(**{k: _rate_from_dict(v, where) if isinstance(v, Mapping) else v for k, v in d.items() if k != "family"})


def _gate_to_dict(gate):
    out = {"name": gate.name, "q10": gate.q10, "T_ref": gate.T_ref}
    if gate.rate_scale is not None:
        out["rate_scale"] = gate.rate_scale
    a = gate.alpha
    if hasattr(a, "x_inf") and hasattr(a, "tau") and hasattr(a, "opening"):  # Gate.from_inf_tau
        out["x_inf"] = _rate_to_dict(a.x_inf, f"gate {gate.name!r}")
        out["tau"] = _rate_to_dict(a.tau, f"gate {gate.name!r}")
    else:
        out["alpha"] = _rate_to_dict(gate.alpha, f"gate {gate.name!r} alpha")
        out["beta"] = _rate_to_dict(gate.beta, f"gate {gate.name!r} beta")
    return out


def _gate_from_dict(d):
    from .gates import Gate

    where = f"gate {d.get('name')!r}"
    if "x_inf" in d:
        return Gate.from_inf_tau(d["name"], _rate_from_dict(d["x_inf"], where), _rate_from_dict(d["tau"], where),
                                 q10=float(d["q10"]), T_ref=float(d["T_ref"]), rate_scale=d.get("rate_scale"))
    return Gate(d["name"], _rate_from_dict(d["alpha"], where), _rate_from_dict(d["beta"], where),
                q10=float(d["q10"]), T_ref=float(d["T_ref"]), rate_scale=d.get("rate_scale"))


# --------------------------------------------------------------------------- models
def model_to_dict(model: Any) -> dict:
    """The JSON-ready description of ``model`` (see the module docstring)."""
    from .equations import EquationModel
    from .model import ConductanceModel, Instantaneous, LinearInGate
    from .protocol import ODEModel

    head = {"format": FORMAT, "version": VERSION, "name": getattr(model, "name", "model")}
    if isinstance(model, EquationModel):
        return {**head, "kind": "equations", "spec": model.spec()}
    if isinstance(model, ConductanceModel):
        forms = {}
        for g, form in model.gate_forms.items():
            if isinstance(form, Instantaneous):
                forms[g] = {"form": "instantaneous"}
            elif isinstance(form, LinearInGate):
                forms[g] = {"form": "linear", "of": form.of, "offset_param": form.offset_param,
                            "slope_param": form.slope_param}
            else:
                raise ValueError(f"gate form {form!r} of {g!r} cannot be saved")
        channels = [{"name": c.name, "g_max": c.g_max, "E_rev": c.E_rev,
                     "gates": [[g.name, p] for g, p in c.gates]} for c in model.channels]
        return {**head, "kind": "conductance", "gates": [_gate_to_dict(g) for g in model.gates.values()],
                "channels": channels, "gate_forms": forms, "params": dict(model.params)}
    if isinstance(model, ODEModel):
        cls = type(model)
        if cls.__module__.split(".")[0] not in TRUSTED_PACKAGES:
            raise ValueError(f"{cls.__module__}.{cls.__qualname__} is not a model class of hhdyn or reductions; "
                             "write the model with hhdyn.equations to save it")
        return {**head, "kind": "class", "class": f"{cls.__module__}:{cls.__qualname__}",
                "params": dict(model.params)}
    raise ValueError(f"cannot save {type(model).__name__} objects; expected a model of the hhdyn protocol")


def model_from_dict(data: dict) -> Any:
    """The model described by ``data`` (the inverse of :func:`model_to_dict`)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not an hhdyn model description (expected \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise ValueError(f"model file version {data.get('version')!r} is not supported (this is version {VERSION})")
    kind = data.get("kind")
    if kind == "equations":
        from .equations import EquationModel

        return EquationModel(data["spec"])
    if kind == "conductance":
        from .channels import Channel
        from .model import ConductanceModel, Instantaneous, LinearInGate

        gates = {g["name"]: _gate_from_dict(g) for g in data["gates"]}
        channels = []
        for c in data["channels"]:
            missing = [g for g, _ in c["gates"] if g not in gates]
            if missing:
                raise ValueError(f"channel {c['name']!r} uses gate {missing[0]!r}, which the file does not declare")
            channels.append(Channel(c["name"], float(c["g_max"]), c["E_rev"],
                                    tuple((gates[g], float(p)) for g, p in c["gates"])))
        forms: dict[str, Instantaneous | LinearInGate] = {}
        for g, f in data.get("gate_forms", {}).items():
            if f.get("form") == "instantaneous":
                forms[g] = Instantaneous()
            elif f.get("form") == "linear":
                forms[g] = LinearInGate(f["of"], f["offset_param"], f["slope_param"])
            else:
                raise ValueError(f"unknown gate form {f!r} of gate {g!r}")
        params = {k: float(v) for k, v in data["params"].items()}
        base = {"C", "I_ext", "T"} | {c.g_param for c in channels} | {c.E_param for c in channels
                                                                       if not isinstance(c.E_rev, str)}
        extra = {k: v for k, v in params.items() if k not in base}
        model = ConductanceModel(channels, C=params["C"], I_ext=params["I_ext"], T=params["T"],
                                 extra_params=extra, gate_forms=forms, name=data.get("name", "model"))
        return model.with_params(**params)
    if kind == "class":
        module, _, qualname = str(data.get("class", "")).partition(":")
        if module.split(".")[0] not in TRUSTED_PACKAGES or not qualname:
            raise ValueError(f"class {data.get('class')!r} is not in the packages {', '.join(TRUSTED_PACKAGES)}")
        from .protocol import ODEModel

        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if not (isinstance(obj, type) and issubclass(obj, ODEModel)):
            raise ValueError(f"{data['class']!r} is not a model class")
        return obj().with_params(**{k: float(v) for k, v in data["params"].items()})
    raise ValueError(f"unknown model kind {kind!r}; expected 'conductance', 'equations' or 'class'")


def _check_finite(obj, where="model"):
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"{where}: non-finite number {obj!r} cannot be saved")
    if isinstance(obj, dict):
        for k, v in obj.items():
            _check_finite(v, f"{where}.{k}")
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_finite(v, f"{where}[{i}]")


def save_model(model: Any, path: str | os.PathLike) -> Path:
    """Write ``model`` to ``path`` as JSON (atomically; see the module docstring)."""
    path = Path(path)
    data = model_to_dict(model)
    _check_finite(data)
    text = json.dumps(data, indent=1, allow_nan=False)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_model(path: str | os.PathLike) -> Any:
    """Load a model from a file: ``.json`` (this module), ``.ode`` (:func:`hhdyn.read_ode`) or
    ``.nml`` (:func:`hhdyn.neuroml.read_neuroml`). Errors name the file and the problem."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ode":
        from .xpp import read_ode

        return read_ode(path)
    if suffix in (".nml", ".xml"):
        from .neuroml import read_neuroml

        return read_neuroml(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    try:
        return model_from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: incomplete model description (missing or bad {exc})") from None
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
