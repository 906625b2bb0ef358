"""Numerical continuation: one core (:mod:`.core`) and one problem per mathematical object.

=================  ==========================================================================
module             contents
=================  ==========================================================================
``core``           the pseudo-arclength loop: predictor, Moore–Penrose and chord correctors,
                   step control, event location, stops, progress; the contract for a problem
``settings``       :class:`Settings` (ds, ds_min, ds_max, max_points, direction, tol) and
                   :class:`Status`, shared by every ``continue_*``
``equilibria``     :func:`continue_equilibria` (LP, H, BP), :func:`locate_hopf`,
                   :func:`locate_fold`, :func:`find_equilibrium`, :func:`bifurcation_diagram`
``codim2``         :func:`continue_hopf`, :func:`continue_fold` (BT, GH, CP)
``switching``      :func:`~.switching.switch_branch` (BP; PD and BPC of cycles), the algebraic
                   branching equation (:func:`~.switching.branching_tangents`)
=================  ==========================================================================

Periodic orbits (collocation) are the problem of :mod:`analysis.cycles`, on the same core.
"""
from .codim2 import continue_fold, continue_hopf
from .equilibria import (bialternate_test, bifurcation_diagram, continue_equilibria, find_equilibrium, locate_fold,
                         locate_hopf)
from .settings import Settings, Status

__all__ = ["continue_equilibria", "continue_hopf", "continue_fold", "locate_hopf", "locate_fold", "find_equilibrium",
           "bifurcation_diagram", "bialternate_test", "Settings", "Status"]
