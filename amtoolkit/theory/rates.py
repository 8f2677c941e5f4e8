"""Classical convergence guarantees of first-order methods on L-smooth, μ-strongly convex
(or merely convex) functions, κ = L/μ. Pure math.

Each function states its setting, the kind of guarantee (**tight** or an **upper** bound)
and its source. "Rate" means a per-step contraction factor ρ: the quantity named in the
docstring is at most ``C ρ^t`` after t steps.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_int, check_nonnegative, check_positive, check_range

__all__ = ["gd_rate", "gd_bound_convex", "polyak_heavy_ball", "nag_rate", "nag_bound",
           "nag_bound_convex", "triple_momentum", "ghadimi_heavy_ball"]


#: the largest condition number κ = L/μ accepted: 1/ε of float64 (about 4.5e15). Beyond it
#: gradient descent's tight rate 1 - 2/(κ+1) rounds to 1 in float64, κ itself may overflow
#: (μ = 1e-300, L = 1e300 gave κ = inf and a NaN rate), and no rate printed says anything.
MAX_KAPPA = 1.0 / float(np.finfo(np.float64).eps)


def _check_mu_L(mu: float, L: float) -> float:
    """κ = L/μ after checking that μ and L are normal floats, μ ≤ L and κ ≤ :data:`MAX_KAPPA`
    (every rate is then a float < 1 for a convergent method, not NaN or a rounded 1)."""
    check_positive("mu", mu)
    check_positive("L", L)
    tiny = float(np.finfo(np.float64).tiny)
    for name, value in (("mu", mu), ("L", L)):
        if value < tiny:  # subnormal: 1/value, the scale of the step sizes, overflows
            raise ValueError(f"{name} must be at least {tiny:.3g} (the smallest normal float64), so that "
                             f"1/{name} is finite; got {value!r}")
    if mu > L:
        raise ValueError(f"mu must be <= L (strong convexity below smoothness), got mu={mu!r} > L={L!r}")
    kappa = L / mu
    if not kappa <= MAX_KAPPA:
        raise ValueError(f"kappa = L/mu must be at most 1/eps = {MAX_KAPPA:.3g} (float64): beyond it the rates "
                         f"1 - O(1/kappa) round to 1 and kappa may overflow; got mu={mu!r}, L={L!r} "
                         f"(kappa = {kappa:.3g})")
    return kappa


def gd_rate(lr: float, mu: float, L: float) -> float:
    """The tight rate ``ρ = max(|1 - ημ|, |1 - ηL|)`` of gradient descent on L-smooth μ-strongly convex f.

    ``‖x_t - x*‖ ≤ ρ^t ‖x_0 - x*‖`` for ``x_{t+1} = x_t - η∇f(x_t)``, any η > 0 (ρ < 1 iff
    η < 2/L); minimised by η = 2/(μ+L), where ρ = (κ-1)/(κ+1).

    Parameters
    ----------
    lr : float
        The step size η > 0.
    mu : float
        The strong-convexity constant μ > 0.
    L : float
        The smoothness constant L ≥ μ.

    Returns
    -------
    float
        ρ.

    Raises
    ------
    ValueError
        If ``lr``, ``mu`` or ``L`` is not > 0 and finite, or ``mu > L``.
    TypeError
        If a value is not a real number.

    Notes
    -----
    Guarantee: **tight** (attained by the quadratic with eigenvalues μ and L).

    References
    ----------
    B. T. Polyak, Introduction to Optimization, 1987, Sec. 1.4.

    Examples
    --------
    >>> from amtoolkit.theory import gd_rate
    >>> gd_rate(lr=0.1, mu=1.0, L=10.0)  # max(|1 - 0.1|, |1 - 1|)
    0.9
    """
    check_positive("lr", lr)
    _check_mu_L(mu, L)
    return max(abs(1.0 - lr * mu), abs(1.0 - lr * L))


def gd_bound_convex(lr: float, L: float, dist0_sq: float, t: int) -> float:
    """Gradient descent on a convex L-smooth f, 0 < η ≤ 1/L: ``f(x_t) - f* ≤ ‖x_0 - x*‖²/(2ηt)``.

    Parameters
    ----------
    lr : float
        The step size η in (0, 1/L].
    L : float
        The smoothness constant L > 0.
    dist0_sq : float
        ``‖x_0 - x*‖² ≥ 0``.
    t : int
        The step t ≥ 1.

    Returns
    -------
    float
        The bound on ``f(x_t) - f*``.

    Raises
    ------
    ValueError
        If ``L`` is not > 0, ``lr`` is outside (0, 1/L], ``dist0_sq`` is negative or
        ``t`` < 1.
    TypeError
        If ``t`` is not an integer, or another value not a real number.

    Notes
    -----
    Guarantee: **upper**, O(1/t); at η = 1/L the tight worst case is
    ``L‖x_0 - x*‖²/(4t+2)`` (Drori and Teboulle 2014), about half of this bound.

    References
    ----------
    The standard descent-lemma argument, e.g. G. Garrigos and R. M. Gower, Handbook of
    convergence theorems for (stochastic) gradient methods, arXiv:2301.11235, Sec. 3.

    Examples
    --------
    >>> from amtoolkit.theory import gd_bound_convex
    >>> gd_bound_convex(lr=0.1, L=10.0, dist0_sq=1.0, t=5)  # 1/(2·0.1·5)
    1.0
    """
    check_positive("L", L)
    check_range("lr", lr, 0.0, 1.0 / L, low_closed=False)
    check_nonnegative("dist0_sq", dist0_sq)
    t = check_int("t", t)
    return dist0_sq / (2.0 * lr * t)


def polyak_heavy_ball(mu: float, L: float) -> tuple[float, float, float]:
    """Polyak's heavy ball at its optimal parameters for quadratics: ``(η, β, ρ)``.

    ``x_{t+1} = x_t - η∇f(x_t) + β(x_t - x_{t-1})`` with η = 4/(√L+√μ)²,
    β = ((√κ-1)/(√κ+1))² and the rate ρ = (√κ-1)/(√κ+1), κ = L/μ.

    Parameters
    ----------
    mu : float
        The strong-convexity constant μ > 0.
    L : float
        The smoothness constant L ≥ μ.

    Returns
    -------
    lr : float
        η.
    beta : float
        β.
    rate : float
        ρ, the asymptotic rate (the spectral radius of the iteration;
        ``‖x_t - x*‖ ≤ C t ρ^t``).

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0 and finite, or ``mu > L``.
    TypeError
        If a value is not a real number.

    See Also
    --------
    amtoolkit.problems.lrp_counterexample : A smooth strongly convex function on which
        these parameters cycle.

    Notes
    -----
    Setting: strongly convex **quadratics** with spectrum in [μ, L]. Guarantee: **tight**
    on quadratics; it does **not** hold on the smooth strongly convex class.

    References
    ----------
    B. T. Polyak, Some methods of speeding up the convergence of iteration methods, 1964;
    B. T. Polyak, Introduction to Optimization, 1987, Sec. 3.2.

    Examples
    --------
    >>> from amtoolkit.theory import polyak_heavy_ball
    >>> [round(v, 6) for v in polyak_heavy_ball(mu=1.0, L=25.0)]  # 4/36, (4/6)², 4/6
    [0.111111, 0.444444, 0.666667]
    """
    kappa = _check_mu_L(mu, L)
    sq = math.sqrt(kappa)
    rate = (sq - 1.0) / (sq + 1.0)
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate * rate, rate


def nag_rate(mu: float, L: float) -> float:
    """The rate ρ = 1 - 1/√κ of Nesterov's method with constant momentum (η = 1/L, β = (√κ-1)/(√κ+1)).

    ρ contracts ``f(x_t) - f* + (μ/2)‖x_t - x*‖²`` (see :func:`nag_bound`).

    Parameters
    ----------
    mu : float
        The strong-convexity constant μ > 0.
    L : float
        The smoothness constant L ≥ μ.

    Returns
    -------
    float
        ρ.

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0 and finite, or ``mu > L``.
    TypeError
        If a value is not a real number.

    Notes
    -----
    Setting: L-smooth, μ-strongly convex f. Guarantee: **upper** on the class. On
    quadratics ρ is also the spectral rate of ‖x_t - x*‖ at these parameters (a double root
    at λ = μ), so there the gap contracts as ρ^(2t): the gap bound is not tight.

    References
    ----------
    Y. Nesterov, Lectures on Convex Optimization, 2018, Sec. 2.2 (the constant step scheme
    for strongly convex functions).

    Examples
    --------
    >>> from amtoolkit.theory import nag_rate
    >>> nag_rate(mu=1.0, L=100.0)
    0.9
    """
    kappa = _check_mu_L(mu, L)
    return 1.0 - 1.0 / math.sqrt(kappa)


def nag_bound(mu: float, L: float, gap0: float, dist0_sq: float, t: int) -> float:
    """``f(x_t) - f* ≤ (1 - 1/√κ)^t (f(x_0) - f* + (μ/2)‖x_0 - x*‖²)`` for Nesterov's method.

    With η = 1/L and β = (√κ-1)/(√κ+1).

    Parameters
    ----------
    mu : float
        The strong-convexity constant μ > 0.
    L : float
        The smoothness constant L ≥ μ.
    gap0 : float
        ``f(x_0) - f* ≥ 0``.
    dist0_sq : float
        ``‖x_0 - x*‖² ≥ 0``.
    t : int
        The step t ≥ 0.

    Returns
    -------
    float
        The bound on ``f(x_t) - f*``.

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0, ``mu > L``, ``gap0`` or ``dist0_sq`` is negative, or
        ``t`` < 0.
    TypeError
        If ``t`` is not an integer, or another value not a real number.

    Notes
    -----
    Guarantee: **upper**.

    References
    ----------
    Y. Nesterov, Lectures on Convex Optimization, 2018, Sec. 2.2; A. d'Aspremont,
    D. Scieur and A. Taylor, Acceleration Methods, arXiv:2101.09545, 2021, Sec. 4.

    Examples
    --------
    >>> from amtoolkit.theory import nag_bound
    >>> round(nag_bound(mu=1.0, L=100.0, gap0=1.0, dist0_sq=1.0, t=10), 10)  # 0.9^10 · 1.5
    0.5230176602
    """
    rate = nag_rate(mu, L)
    check_nonnegative("gap0", gap0)
    check_nonnegative("dist0_sq", dist0_sq)
    t = check_int("t", t, minimum=0)
    return rate ** t * (gap0 + 0.5 * mu * dist0_sq)


def nag_bound_convex(L: float, dist0_sq: float, t: int) -> float:
    """``f(x_t) - f* ≤ 2L‖x_0 - x*‖²/(t+1)²`` for Nesterov's method on a convex L-smooth f.

    With η = 1/L and momentum β = (k-1)/(k+2) at the k-th iterate, which is
    ``nag(beta=None)``'s β_t = t/(t+3) with k = t+1; FISTA's schedule gives the same bound.

    Parameters
    ----------
    L : float
        The smoothness constant L > 0.
    dist0_sq : float
        ``‖x_0 - x*‖² ≥ 0``.
    t : int
        The step t ≥ 0.

    Returns
    -------
    float
        The bound on ``f(x_t) - f*``.

    Raises
    ------
    ValueError
        If ``L`` is not > 0, ``dist0_sq`` is negative or ``t`` < 0.
    TypeError
        If ``t`` is not an integer, or another value not a real number.

    Notes
    -----
    Guarantee: **upper** (O(1/t²), the optimal order).

    References
    ----------
    W. Su, S. Boyd and E. J. Candès, JMLR 17, 2016, Theorem 6; A. Beck and M. Teboulle,
    FISTA, SIAM J. Imaging Sci. 2(1), 2009, Theorem 4.4.

    Examples
    --------
    >>> from amtoolkit.theory import nag_bound_convex
    >>> nag_bound_convex(L=1.0, dist0_sq=1.0, t=9)  # 2/10²
    0.02
    """
    check_positive("L", L)
    check_nonnegative("dist0_sq", dist0_sq)
    t = check_int("t", t, minimum=0)
    return 2.0 * L * dist0_sq / (t + 1.0) ** 2


def triple_momentum(mu: float, L: float) -> dict[str, float]:
    """The parameters and rate of the triple momentum method of Van Scoy, Freeman and Lynch.

    ``x_{t+1} = x_t + β(x_t - x_{t-1}) - α∇f(y_t)``, ``y_t = x_t + γ(x_t - x_{t-1})``,
    with ρ = 1 - 1/√κ, α = (1+ρ)/L, β = ρ²/(2-ρ), γ = ρ²/((1+ρ)(2-ρ)).

    Parameters
    ----------
    mu : float
        The strong-convexity constant μ > 0.
    L : float
        The smoothness constant L ≥ μ.

    Returns
    -------
    dict
        ``{"lr": α, "beta": β, "gamma": γ, "rate": ρ}``.

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0 and finite, or ``mu > L``.
    TypeError
        If a value is not a real number.

    Notes
    -----
    The guarantee is stated for the output ``x̂_t = (1+δ)ξ_t - δξ_{t-1}``, δ = ρ²/(1-ρ²),
    of this recursion (ξ is the x above); ξ itself converges at the same rate ρ. Setting:
    L-smooth, μ-strongly convex f (the whole class). Guarantee: **upper**,
    ``‖x_t - x*‖ ≤ C ρ^t``, the fastest known for the class.

    References
    ----------
    B. Van Scoy, R. A. Freeman and K. M. Lynch, The fastest known globally convergent
    first-order method for minimizing strongly convex functions, IEEE Control Systems
    Letters 2(1), 2018, Theorem 1.

    Examples
    --------
    >>> from amtoolkit.theory import triple_momentum
    >>> {k: round(v, 6) for k, v in triple_momentum(mu=1.0, L=100.0).items()}
    {'lr': 0.019, 'beta': 0.736364, 'gamma': 0.38756, 'rate': 0.9}
    """
    kappa = _check_mu_L(mu, L)
    rho = 1.0 - 1.0 / math.sqrt(kappa)
    return {"lr": (1.0 + rho) / L, "beta": rho * rho / (2.0 - rho),
            "gamma": rho * rho / ((1.0 + rho) * (2.0 - rho)), "rate": rho}


def ghadimi_heavy_ball(lr: float, mu: float, L: float) -> tuple[float, float]:
    """The heavy ball that converges on the whole smooth strongly convex class: ``(β, ρ)`` for η ≤ 1/L.

    β = √((1-ημ)(1-ηL)) and ρ = 1 - ημ, the rate of ``f(x_t) - f* ≤ ρ^t (f(x_0) - f*)``
    (from ``x_{-1} = x_0``).

    Parameters
    ----------
    lr : float
        The step size η in (0, 1/L].
    mu : float
        The strong-convexity constant μ > 0.
    L : float
        The smoothness constant L ≥ μ.

    Returns
    -------
    beta : float
        β.
    rate : float
        ρ.

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0, ``mu > L``, or ``lr`` is outside (0, 1/L].
    TypeError
        If a value is not a real number.

    Notes
    -----
    Guarantee: **upper**.

    References
    ----------
    E. Ghadimi, H. R. Feyzmahdavian and M. Johansson, Global convergence of the heavy-ball
    method for convex optimization, ECC 2015 (arXiv:1412.7457), Theorem 4; PEPit's
    example ``wc_heavy_ball_momentum``.

    Examples
    --------
    >>> from amtoolkit.theory import ghadimi_heavy_ball
    >>> [round(v, 6) for v in ghadimi_heavy_ball(lr=0.05, mu=1.0, L=10.0)]  # √(0.95·0.5), 0.95
    [0.689202, 0.95]
    """
    _check_mu_L(mu, L)
    check_range("lr", lr, 0.0, 1.0 / L, low_closed=False)
    return math.sqrt((1.0 - lr * mu) * (1.0 - lr * L)), 1.0 - lr * mu
