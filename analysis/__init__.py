"""Analysis tools; every function takes a model of the protocol in :mod:`hhdyn.protocol`.

==================  ==========================================================================
module              what
==================  ==========================================================================
equilibria          ``fixed_points``: all equilibria with Jacobian, eigenvalues, classification
nullcline_curves    ``nullclines`` of 2D models (and quasi-nullclines of projections)
phaseplane          ``PhasePlane``: direction field, nullclines, orbits, separatrices, cycles
iv                  ``iv_curves``: steady-state and instantaneous I–V curves
explorer            ``Explorer``: the interactive phase-plane window
continuation        one continuation core and its problems: ``continue_equilibria`` (LP, H, BP),
                    ``continue_hopf``, ``continue_fold`` (BT, GH, CP); ``Settings``, ``Status``;
                    ``switch_branch``: onto the other branch at BP, PD (period 2T) and BPC
lyapunov            first Lyapunov coefficient of Hopf points
cycles              ``continue_cycles``: periodic orbits by collocation, Floquet, LPC/PD/NS;
                    ``cycle_normal_form``/``with_criticality``: PD and LPC coefficients
branch              ``Branch``, ``SpecialPoint``, ``BifurcationDiagram``
excitability        threshold, rheobase, strength–duration, refractoriness, F–I, anode break
comparison          ``compare``: reduced versus full model, side by side
propagation         cable theory and conduction velocity of multi-compartment axons
prc, onset_class    ``phase_response`` (adjoint/direct PRCs), ``excitability_class`` (1 or 2)
pydstool_export     ``to_pydstool``: specifications for PyDSTool (cross-checks)
sweep               ``sweep``: parameter grids on the batch engine (``SweepResult``)
==================  ==========================================================================

Every name below is imported explicitly, so each public name has exactly one source. Results
follow one contract (:mod:`hhdyn.results`): ``plot(ax=None)``, ``columns``/``to_csv``,
``to_dict``/``to_json``, ``status``/``message`` where the computation can end early.

Note: ``analysis.sweep`` is the function; import the module's other names from it directly,
``from analysis.sweep import SweepResult, MEASURES``.
"""
from __future__ import annotations

from hhdyn._lazy import lazy_exports

# ``analysis.sweep`` is the function, not the module: load it now so that a later
# ``import analysis.sweep`` cannot rebind the package attribute to the module (it is light).
from .sweep import SweepResult, sweep

#: Public name → the submodule that defines it (each name has one source).
_SOURCES = {
    "branch": ("BifurcationDiagram", "Branch", "BranchBase", "CodimTwoCurve", "SpecialPoint"),
    "comparison": ("Comparison", "ComparisonRow", "compare"),
    "continuation": ("Settings", "Status", "bifurcation_diagram", "continue_equilibria", "continue_fold",
        "continue_hopf", "find_equilibrium", "locate_fold", "locate_hopf"),
    "continuation.switching": ("switch_branch",),
    "cycles.normal_form": ("cycle_normal_form", "with_criticality"),
    "cycles.pd_curves": ("continue_pd",),
    "cycles.ns_curves": ("continue_ns",),
    "cycles": ("CollocationSystem", "CycleBranch", "CycleCurve", "FiringOnset", "continue_cycles", "continue_homoclinic",
        "continue_lpc", "cycle_branches", "cycle_from_trajectory", "firing_onset", "floquet_multipliers", "monodromy", "plot_with_period"),
    "equilibria": ("FixedPoint", "FixedPoints", "Fold", "classify", "fixed_points", "is_conductance_based"),
    "excitability": ("ActionPotential", "AnodeBreakResult", "FICurve", "FIPoint", "RefractoryProtocol",
        "RefractoryResult", "SpikeDetector", "StrengthDurationResult", "ThresholdResult", "action_potential",
        "anode_break", "fi_curve", "refractory_periods", "rheobase", "strength_duration", "threshold"),
    "explorer": ("Explorer", "default_slider_range"),
    "iv": ("IVCurves", "iv_curves"),
    "lyapunov": ("HopfNormalForm", "first_lyapunov_coefficient", "hopf_eigenvectors", "multilinear_B",
        "multilinear_C"),
    "nullcline_curves": ("Nullcline", "Nullclines", "Plane", "default_limits", "nullclines"),
    "phaseplane": ("LimitCycle", "Manifold", "Orbit", "PhasePlane"),
    "propagation": ("AxonRefractoryResult", "CollisionResult", "PassiveCableCheck", "VelocityDiameterResult",
        "VelocityResult", "attenuation_sealed", "collision", "conduction_velocity", "end_stimulus", "hh_axon",
        "input_resistance_sealed_MOhm", "length_constant_um", "measure_conduction_velocity",
        "passive_cable_check", "refractoriness", "velocity_vs_diameter"),
    "onset_class": ("OnsetClass", "excitability_class", "fit_onset_power_law", "bifurcation_class"),
    "prc": ("TYPE_II_FRACTION", "PeriodicOrbit", "PhaseResponse", "limit_cycle", "phase_response"),
    "pydstool_export": ("to_pydstool", "write_pydstool_script"),
    "sweep": ("SweepResult", "sweep"),
}

__all__ = [
    # equilibria, nullclines, phase planes, I–V curves
    "FixedPoint", "FixedPoints", "Fold", "fixed_points", "classify", "is_conductance_based",
    "Nullcline", "Nullclines", "nullclines", "Plane", "default_limits",
    "PhasePlane", "Orbit", "Manifold", "LimitCycle",
    "IVCurves", "iv_curves",
    "Explorer", "default_slider_range",
    # continuation
    "SpecialPoint", "BranchBase", "Branch", "BifurcationDiagram", "CodimTwoCurve",
    "continue_equilibria", "locate_hopf", "locate_fold", "find_equilibrium", "bifurcation_diagram",
    "continue_hopf", "continue_fold",
    "Settings", "Status",
    "HopfNormalForm", "first_lyapunov_coefficient", "multilinear_B", "multilinear_C", "hopf_eigenvectors",
    "continue_cycles", "CycleBranch", "cycle_branches", "plot_with_period", "firing_onset", "FiringOnset",
    "continue_homoclinic", "continue_lpc", "continue_pd", "continue_ns", "CycleCurve",
    "CollocationSystem", "floquet_multipliers", "monodromy", "cycle_from_trajectory",
    "switch_branch", "cycle_normal_form", "with_criticality",
    # excitability and comparison
    "SpikeDetector", "ThresholdResult", "threshold", "rheobase", "StrengthDurationResult", "strength_duration",
    "RefractoryProtocol", "RefractoryResult", "refractory_periods", "FIPoint", "FICurve", "fi_curve",
    "AnodeBreakResult", "anode_break", "ActionPotential", "action_potential",
    "ComparisonRow", "Comparison", "compare",
    # propagation
    "length_constant_um", "input_resistance_sealed_MOhm", "attenuation_sealed", "PassiveCableCheck",
    "passive_cable_check", "hh_axon", "end_stimulus", "conduction_velocity", "VelocityResult",
    "measure_conduction_velocity", "VelocityDiameterResult", "velocity_vs_diameter", "CollisionResult", "collision",
    "AxonRefractoryResult", "refractoriness",
    # phase response and the excitability class
    "PhaseResponse", "PeriodicOrbit", "phase_response", "limit_cycle", "TYPE_II_FRACTION",
    "OnsetClass", "excitability_class", "fit_onset_power_law", "bifurcation_class",
    # sweeps and interop
    "sweep", "SweepResult",
    "to_pydstool", "write_pydstool_script",
]


__getattr__, __dir__ = lazy_exports(__name__, _SOURCES, globals(), __all__)
