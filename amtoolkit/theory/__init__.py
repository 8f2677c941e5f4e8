"""Convergence theory for momentum methods, side by side (docs/guide/theory.md):

* classical guarantees (:mod:`.rates`),
* exact rates of fixed linear methods on quadratics (:mod:`.spectral`),
* tight worst cases over a function class with PEPit (:mod:`.pep`, the only module that
  calls a solver; PEPit is imported lazily),
* rates measured on runs (:mod:`.measure`),
* the AM paper's Theorems 3.3/3.4 (:mod:`.bounds`) and their checks against runs,
  ``check_theorem_3_3`` / ``check_theorem_3_4``, which run optimizers and therefore live
  in :mod:`amtoolkit.reproduce.theorems`; the package root ``amtoolkit`` attaches them here
  as ``amtoolkit.theory.check_theorem_3_3``, so that this package imports no run loop.
"""

from .bounds import am_theorem_3_3, am_theorem_3_4
from .measure import RoundoffWarning, measured_rate
from .pep import InaccurateWorstCase, WorstCase, worst_case
from .rates import (gd_bound_convex, gd_rate, ghadimi_heavy_ball, nag_bound, nag_bound_convex, nag_rate,
                    polyak_heavy_ball, triple_momentum)
from .spectral import linear_memory_rate, optimal_parameters, quadratic_worst_case, spectral_radius, spectral_rate

__all__ = ["am_theorem_3_3", "am_theorem_3_4", "check_theorem_3_3", "check_theorem_3_4",
           "gd_rate", "gd_bound_convex", "polyak_heavy_ball", "nag_rate", "nag_bound", "nag_bound_convex",
           "triple_momentum", "ghadimi_heavy_ball", "spectral_radius", "spectral_rate", "linear_memory_rate",
           "optimal_parameters", "quadratic_worst_case", "worst_case", "WorstCase", "InaccurateWorstCase",
           "measured_rate", "RoundoffWarning"]

