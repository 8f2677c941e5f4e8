"""Convergence bounds of the AM paper (arXiv:2510.04988), as printed and as corrected."""

from __future__ import annotations

import math

from .._checks import check_int, check_nonnegative, check_positive, check_range


def am_theorem_3_3(x0_dist_sq: float, G: float, T: int) -> float:
    """The bound of the AM paper's Theorem 3.3 (Eq. 17): ``E[f(x̄_T) - f*] ≤ (½‖x_0 - x*‖² + G²)/√T``.

    Setting: convex f_i with stochastic gradients bounded by ``E‖∇f_i‖² ≤ G²``
    (Assumption 3.2), AM-MSGD (Algorithm 1) with β_max = 1/T and η = 1/√T, averaged
    iterate ``x̄_T = (1/T) Σ_{t=1}^T x_t``.

    Parameters
    ----------
    x0_dist_sq : float
        ``‖x_0 - x*‖² ≥ 0``.
    G : float
        The gradient bound G ≥ 0 of Assumption 3.2.
    T : int
        The horizon T ≥ 1 (it also sets η and β_max).

    Returns
    -------
    float
        The right-hand side of Eq. 17.

    Raises
    ------
    ValueError
        If ``x0_dist_sq`` or ``G`` is negative or not finite, or ``T`` < 1.
    TypeError
        If ``T`` is not an integer, or another value not a real number.

    See Also
    --------
    amtoolkit.theory.check_theorem_3_3 : The bound against AM-MSGD runs.

    Notes
    -----
    Guarantee: **upper**, as printed (no proof was checked here).

    References
    ----------
    K. Topollai and A. Choromanska, arXiv:2510.04988, 2025: Sec. 3.5, Assumption 3.2,
    Theorem 3.3, Eq. 17.

    Examples
    --------
    >>> from amtoolkit.theory import am_theorem_3_3
    >>> am_theorem_3_3(x0_dist_sq=1.0, G=1.0, T=100)  # (0.5 + 1)/10
    0.15
    """
    check_nonnegative("x0_dist_sq", x0_dist_sq)
    check_nonnegative("G", G)
    T = check_int("T", T)
    return (0.5 * x0_dist_sq + G * G) / math.sqrt(T)


#: the forms of :func:`am_theorem_3_4`: Eq. 18 as printed, and with 2(1-c)
FORMS = ("printed", "corrected")


def am_theorem_3_4(decrease: float, L: float, G: float, c: float, T: int, printed: bool | None = None,
                   *, form: str | None = None) -> float:
    """The bound of the AM paper's Theorem 3.4 (Eq. 18), as printed or with its sign corrected.

    Setting: L-smooth f (Assumption 3.1), ``E‖∇f_i‖² ≤ G²`` (Assumption 3.2), AM-MSGD
    with η = 1/√T and β_max = cη, 0 < c < 1::

        min_t E‖∇f(x_t)‖² ≤ (E[f(x_0) - f(x_T)] + (L+1)G²/(2(c-1)))/√T      (Eq. 18)

    ``form="printed"`` returns Eq. 18 as printed, whose second term is negative for every
    allowed c (docs/guide/errata.md, entry 3); ``form="corrected"`` returns the erratum's
    ``2(1-c)`` (a sign correction checked against runs, not a proof).

    Parameters
    ----------
    decrease : float
        ``E[f(x_0) - f(x_T)]``.
    L : float
        The smoothness constant L > 0.
    G : float
        The gradient bound G ≥ 0.
    c : float
        The constant of β_max = cη, in (0, 1).
    T : int
        The horizon T ≥ 1.
    printed : bool or None, default None
        The older spelling of ``form``: True for ``"printed"``, False for ``"corrected"``.
    form : {"printed", "corrected"} or None, default None
        Which form to return; it must be given (or ``printed``).

    Returns
    -------
    float
        The right-hand side.

    Raises
    ------
    ValueError
        If neither ``form`` nor ``printed`` chooses a form, the two contradict each other,
        ``L`` is not > 0, ``G`` is negative, ``c`` is outside (0, 1) or ``T`` < 1.
    TypeError
        If ``T`` is not an integer, or another value not a real number.

    See Also
    --------
    amtoolkit.theory.check_theorem_3_4 : Both forms against AM-MSGD runs.

    Notes
    -----
    Guarantee: **upper** for the corrected form (a reading); the printed form can be
    negative, below a quantity that never is.

    References
    ----------
    K. Topollai and A. Choromanska, arXiv:2510.04988, 2025: Sec. 3.5, Assumptions 3.1-3.2,
    Theorem 3.4, Eq. 18.

    Examples
    --------
    With ``decrease = L = G = 1``, c = 0.5 and T = 100 the printed form is negative:

    >>> from amtoolkit.theory import am_theorem_3_4
    >>> am_theorem_3_4(1.0, 1.0, 1.0, 0.5, 100, form="printed")  # (1 + 2/(-1))/10
    -0.1
    >>> am_theorem_3_4(1.0, 1.0, 1.0, 0.5, 100, form="corrected")  # (1 + 2/1)/10
    0.3
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
