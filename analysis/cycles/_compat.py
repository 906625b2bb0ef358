"""The shared result types of :mod:`analysis.branch` (SpecialPoint, BranchBase)."""
from __future__ import annotations

from analysis.branch import _MARKERS as MARKERS  # noqa: F401
from analysis.branch import BranchBase, SpecialPoint  # noqa: F401
