"""Test problems: convex quadratics and L2-regularised logistic regression."""

from .base import FunctionProblem, Problem
from .logistic import LogisticRegression, make_logistic_data, map_labels
from .lrp import lrp_counterexample
from .quadratic import Quadratic

__all__ = ["Problem", "FunctionProblem", "Quadratic", "LogisticRegression",
           "make_logistic_data", "map_labels", "lrp_counterexample"]
