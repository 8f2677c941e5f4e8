"""Convergence bounds of the AM paper (arXiv:2510.04988), as printed and as corrected."""

from __future__ import annotations

import math

from .._checks import check_int, check_nonnegative, check_positive, check_range


def am_theorem_3_3(x0_dist_sq: float, G: float, T: int) -> float:
    """AM paper Theorem 3.3 (arXiv:2510.04988, §3.5, Eq. 17): convex f_i, stochastic gradients
    with E‖∇f_i‖² ≤ G² (Assumption 3.2), AM-MSGD (Algorithm 1) with β_max = 1/T and
    η = 1/√T, averaged iterate x̄_T = (1/T) Σ_{t=1}^T x_t:
    ``E[f(x̄_T) - f*] ≤ (½‖x_0 - x*‖² + G²)/√T``.

    Guarantee: **upper** (as printed; no proof was checked here). Checked against runs by
    :func:`amtoolkit.theory.check_theorem_3_3`.
    """
    check_nonnegative("x0_dist_sq", x0_dist_sq)
    check_nonnegative("G", G)
    T = check_int("T", T)
    return (0.5 * x0_dist_sq + G * G) / math.sqrt(T)


FORMS = ("printed", "corrected")


def am_theorem_3_4(decrease: float, L: float, G: float, c: float, T: int, printed: bool | None = None,
                   *, form: str | None = None) -> float:
    """AM paper Theorem 3.4 (arXiv:2510.04988, §3.5, Eq. 18): L-smooth f (Assumption 3.1),
    E‖∇f_i‖² ≤ G² (Assumption 3.2), η = 1/√T, β_max = cη with 0 < c < 1:
    ``min_t E‖∇f(x_t)‖² ≤ (E[f(x_0) - f(x_T)] + (L+1)G²/(2(c-1)))/√T``.

    ``form="printed"`` returns Eq. 18 as printed, whose second term is negative for every
    allowed c (docs/errata.md); ``form="corrected"`` returns the erratum's ``2(1-c)``
    (a sign correction checked against runs, not a proof). ``form`` must be given;
    the older ``printed=True/False`` is accepted for the same choice.
    """
    if form is None and printed is not None:
        form = "printed" if printed else "corrected"
    elif printed is not None and form != ("printed" if printed else "corrected"):
        raise ValueError(f"printed={printed!r} contradicts form={form!r}; pass form only")
    if form not in FORMS:
        raise ValueError(f"form must be 'printed' (Eq. 18 as printed, negative second term) or "
                         f"'corrected' (the erratum's 2(1-c)), got {form!r}")
    check_positive("L", L)
    check_nonnegative("G", G)
    check_range("c", c, 0.0, 1.0, low_closed=False, high_closed=False)
    T = check_int("T", T)
    denom = 2.0 * (c - 1.0) if form == "printed" else 2.0 * (1.0 - c)
    return (decrease + (L + 1.0) * G * G / denom) / math.sqrt(T)
