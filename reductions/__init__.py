"""Reductions of conductance-based models; each returns a model of the same protocol."""
from .fast_m import fast_m
from .fitzhugh_nagumo import FitzHughNagumo
from .fits import FHNFit, FitzHughNagumoHH, HNFit, fhn_from, fit_h_n_relation, v_nullcline
from .h_plus_n import ReductionWarning, h_plus_n, steady_state_iv_is_monotone

__all__ = [
    "fast_m",
    "h_plus_n",
    "FitzHughNagumo",
    "ReductionWarning",
    "steady_state_iv_is_monotone",
    "fit_h_n_relation",
    "HNFit",
    "fhn_from",
    "FHNFit",
    "FitzHughNagumoHH",
    "v_nullcline",
]
