"""Periodic orbits: continuation by orthogonal collocation, Floquet multipliers, folds of cycles.

>>> import hhdyn, analysis                                           # doctest: +SKIP
>>> hh = hhdyn.HodgkinHuxley()
>>> eq = analysis.continue_equilibria(hh, param="I_ext", window=(0.0, 200.0))
>>> h1 = eq.points("H")[0]
>>> cycles = analysis.continue_cycles(h1, hh, window=(0.0, 200.0))
>>> cycles.points("LPC")[0].param          # onset of repetitive firing, ≈ 6.26 µA/cm²
>>> pd = min(cycles.points("PD"), key=lambda p: p.param)              # I ≈ 7.8453
>>> doubled = analysis.switch_branch(pd, hh, branch=cycles)         # the period-2T cycles
>>> analysis.cycle_normal_form(pd, cycles, hh)["criticality"]      # "subcritical"
"""
from .branch import CycleBranch
from .collocation import CollocationSystem
from .continuation import continue_cycles, cycle_from_trajectory
from .cycle_curves import CycleCurve, continue_lpc
from .diagram import FiringOnset, cycle_branches, firing_onset, plot_with_period
from .floquet import floquet_multipliers, monodromy
from .homoclinic import continue_homoclinic
from .normal_form import cycle_normal_form, with_criticality
from .ns_curves import continue_ns
from .pd_curves import continue_pd

__all__ = ["continue_cycles", "continue_lpc", "continue_pd", "continue_ns", "continue_homoclinic", "CycleCurve", "CycleBranch", "cycle_branches",
           "plot_with_period", "firing_onset", "FiringOnset", "CollocationSystem", "floquet_multipliers", "monodromy",
           "cycle_from_trajectory", "cycle_normal_form", "with_criticality"]
