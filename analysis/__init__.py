"""Analysis tools; every function takes a model of the protocol in :mod:`hhdyn.protocol`.

==================  ==========================================================================
module              what
==================  ==========================================================================
equilibria          ``fixed_points``: all equilibria with Jacobian, eigenvalues, classification
nullcline_curves    ``nullclines`` of 2D models (and quasi-nullclines of projections)
phaseplane          ``PhasePlane``: direction field, nullclines, orbits, separatrices, cycles
iv                  ``iv_curves``: steady-state and instantaneous I–V curves
explorer            ``Explorer``: the interactive phase-plane window
continuation        ``continue_equilibria``: pseudo-arclength continuation with LP, H, BP
lyapunov            first Lyapunov coefficient of Hopf points
codim2              ``continue_hopf``, ``continue_fold``: two-parameter curves (BT, GH, CP)
cycles              ``continue_cycles``: periodic orbits by collocation, Floquet, LPC/PD/NS
branch              ``Branch``, ``SpecialPoint``, ``BifurcationDiagram``
excitability        threshold, rheobase, strength–duration, refractoriness, F–I, anode break
comparison          ``compare``: reduced versus full model, side by side
propagation         cable theory and conduction velocity of multi-compartment axons
prc, onset_class    ``phase_response`` (adjoint/direct PRCs), ``excitability_class`` (1 or 2)
pydstool_export     ``to_pydstool``: specifications for PyDSTool (cross-checks)
==================  ==========================================================================
"""
from .branch import *  # noqa: F401,F403
from .codim2 import *  # noqa: F401,F403
from .comparison import *  # noqa: F401,F403
from .continuation import *  # noqa: F401,F403
from .cycles import *  # noqa: F401,F403
from .equilibria import *  # noqa: F401,F403
from .excitability import *  # noqa: F401,F403
from .explorer import *  # noqa: F401,F403
from .iv import *  # noqa: F401,F403
from .lyapunov import *  # noqa: F401,F403
from .nullcline_curves import *  # noqa: F401,F403
from .onset_class import *  # noqa: F401,F403
from .prc import *  # noqa: F401,F403
from .phaseplane import *  # noqa: F401,F403
from .propagation import *  # noqa: F401,F403
from .pydstool_export import *  # noqa: F401,F403
from . import (branch, codim2, comparison, continuation, cycles, equilibria, excitability, explorer, iv,
               lyapunov, nullcline_curves, onset_class, phaseplane, prc, propagation, pydstool_export)

__all__ = sorted(
    name
    for module in (branch, codim2, comparison, continuation, cycles, equilibria, excitability, explorer, iv,
                   lyapunov, nullcline_curves, onset_class, phaseplane, prc, propagation, pydstool_export)
    for name in module.__all__
)
