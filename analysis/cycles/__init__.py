"""Periodic orbits: continuation by orthogonal collocation, Floquet multipliers, folds of cycles.

>>> import hhdyn, analysis                                           # doctest: +SKIP
>>> hh = hhdyn.HodgkinHuxley()
>>> eq = analysis.continue_equilibria(hh, param="I_ext", window=(0.0, 200.0))
>>> h1 = eq.points("H")[0]
>>> cycles = analysis.continue_cycles(h1, hh, window=(0.0, 200.0))
>>> cycles.points("LPC")[0].param          # onset of repetitive firing, ≈ 6.26 µA/cm²
"""
from .branch import CycleBranch
from .collocation import CollocationSystem
from .continuation import continue_cycles, cycle_from_trajectory
from .cycle_curves import CycleCurve, continue_lpc
from .diagram import FiringOnset, cycle_branches, firing_onset, plot_with_period
from .floquet import floquet_multipliers, monodromy

__all__ = ["continue_cycles", "continue_lpc", "CycleCurve", "CycleBranch", "cycle_branches", "plot_with_period", "firing_onset", "FiringOnset",
           "CollocationSystem",
           "floquet_multipliers", "monodromy", "cycle_from_trajectory"]
