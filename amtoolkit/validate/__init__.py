"""Validation of the closed forms against generic QP solvers (cvxpy + Clarabel)."""

from .cvx import StepCheck, check_step, default_tol, solve_dual, solve_primal, validate_history

__all__ = ["StepCheck", "check_step", "default_tol", "solve_dual", "solve_primal", "validate_history"]
