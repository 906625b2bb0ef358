"""hhdyn — a dynamical-systems workbench for the Hodgkin–Huxley model and its reductions.

Public names load with their submodule on first use (:mod:`hhdyn._lazy`), so that ``import
hhdyn`` and ``hhdyn --help`` stay cheap; ``hhdyn.<submodule>`` works as after an import.
"""
from __future__ import annotations

from ._lazy import lazy_exports

# ``hhdyn.equations`` is the function, not the module: load it now so that a later
# ``import hhdyn.equations`` (hhdyn.xpp does one) cannot rebind the package attribute to the module.
from .equations import EquationError, EquationModel, equations  # noqa: F401

__version__ = "0.1.0"  # the one place of the version (pyproject.toml reads it)

#: Public name → the submodule that defines it (each name has one source).
_SOURCES = {
    "batch": ("BatchResult", "simulate_batch"),
    "channels": ("Channel",),
    "equations": ("EquationError", "EquationModel", "equations"),
    "gates": ("Gate",),
    "model": ("ConductanceModel", "Instantaneous", "LinearInGate"),
    "model_files": ("ModelFileError", "load_model", "save_model"),
    "neurons": ("MORRIS_LECAR_SETS", "MorrisLecar", "WangBuzsaki"),
    "params": ("Params",),
    "protocol": ("ODEModel", "finite_difference_jacobian"),
    "rates": ("ConstantRate", "ExpLinearRate", "ExpRate", "FunctionRate", "InfTauRate", "SechRate", "SigmoidRate",
              "TanhRate"),
    "simulation": ("SimulationError", "Trajectory", "UnstableStartWarning", "simulate"),
    "spikes": ("SpikeDetector", "VoltageConvention"),
    "squid": ("HodgkinHuxley", "HodgkinHuxley1952", "squid_gates", "to_1952_voltage", "to_modern_voltage"),
    "xpp": ("OdeFileError", "read_ode", "to_ode"),
}

__all__ = sorted({name for names in _SOURCES.values() for name in names} | {"stimuli"})

__getattr__, __dir__ = lazy_exports(__name__, _SOURCES, globals(), __all__)
