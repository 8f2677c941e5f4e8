"""Convergence bounds (pure math)."""

from .bounds import am_theorem_3_3, am_theorem_3_4

__all__ = ["am_theorem_3_3", "am_theorem_3_4"]
