"""Convergence bounds of the AM paper (arXiv:2510.04988), as printed and as corrected."""

from __future__ import annotations

import math

from .._checks import check_int, check_nonnegative, check_positive, check_range


def am_theorem_3_3(x0_dist_sq: float, G: float, T: int) -> float:
    """Theorem 3.3 (convex, E‖∇f_i‖² ≤ G², averaged iterate, β_max = 1/T, η = 1/√T):
    ``E[f(x̄_T) - f*] ≤ (½‖x_0 - x*‖² + G²)/√T``."""
    check_nonnegative("x0_dist_sq", x0_dist_sq)
    check_nonnegative("G", G)
    T = check_int("T", T)
    return (0.5 * x0_dist_sq + G * G) / math.sqrt(T)


def am_theorem_3_4(decrease: float, L: float, G: float, c: float, T: int, printed: bool = True) -> float:
    """Theorem 3.4 (L-smooth, η = 1/√T, β_max = cη, 0 < c < 1):
    ``min_t E‖∇f(x_t)‖² ≤ (E[f(x_0) - f(x_T)] + (L+1)G²/(2(c-1)))/√T`` as printed.

    With 0 < c < 1 the printed second term is negative (docs/errata.md); ``printed=False``
    returns the form with ``2(1-c)``, which is what the erratum proposes.
    """
    check_positive("L", L)
    check_nonnegative("G", G)
    check_range("c", c, 0.0, 1.0, low_closed=False, high_closed=False)
    T = check_int("T", T)
    denom = 2.0 * (c - 1.0) if printed else 2.0 * (1.0 - c)
    return (decrease + (L + 1.0) * G * G / denom) / math.sqrt(T)
