"""Two-parameter curves of Hopf and fold points: see :mod:`analysis.continuation.codim2`."""
from .continuation.codim2 import continue_fold, continue_hopf

__all__ = ["continue_hopf", "continue_fold"]
