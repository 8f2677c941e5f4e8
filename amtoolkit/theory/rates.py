"""Classical convergence guarantees of first-order methods on L-smooth, μ-strongly convex
(or merely convex) functions, κ = L/μ. Pure math.

Each function states its setting, the kind of guarantee (**tight** or an **upper** bound)
and its source. "Rate" means a per-step contraction factor ρ: the quantity named in the
docstring is at most ``C ρ^t`` after t steps.
"""

from __future__ import annotations

import math

from .._checks import check_int, check_nonnegative, check_positive, check_range

__all__ = ["gd_rate", "gd_bound_convex", "polyak_heavy_ball", "nag_rate", "nag_bound",
           "nag_bound_convex", "triple_momentum", "ghadimi_heavy_ball"]


def _check_mu_L(mu: float, L: float) -> float:
    check_positive("mu", mu)
    check_positive("L", L)
    if mu > L:
        raise ValueError(f"mu must be <= L (strong convexity below smoothness), got mu={mu!r} > L={L!r}")
    return L / mu


def gd_rate(lr: float, mu: float, L: float) -> float:
    """Gradient descent ``x_{t+1} = x_t - η∇f(x_t)``: ``‖x_t - x*‖ ≤ ρ^t ‖x_0 - x*‖`` with
    ``ρ = max(|1 - ημ|, |1 - ηL|)``.

    Setting: L-smooth, μ-strongly convex f, any η > 0 (ρ < 1 iff η < 2/L).
    Guarantee: **tight** (attained by the quadratic with eigenvalues μ and L).
    Source: Polyak, *Introduction to Optimization* (1987), §1.4; minimised by
    η = 2/(μ+L), where ρ = (κ-1)/(κ+1).
    """
    check_positive("lr", lr)
    _check_mu_L(mu, L)
    return max(abs(1.0 - lr * mu), abs(1.0 - lr * L))


def gd_bound_convex(lr: float, L: float, dist0_sq: float, t: int) -> float:
    """Gradient descent on a convex L-smooth f with 0 < η ≤ 1/L:
    ``f(x_t) - f* ≤ ‖x_0 - x*‖²/(2ηt)`` (``dist0_sq`` = ‖x_0 - x*‖²).

    Guarantee: **upper**, O(1/t); at η = 1/L the tight worst case is
    L‖x_0 - x*‖²/(4t+2) (Drori & Teboulle 2014), about half of this bound.
    Source: the standard descent-lemma argument, e.g. Garrigos & Gower, *Handbook of
    convergence theorems for (stochastic) gradient methods*, arXiv:2301.11235, §3.
    """
    check_positive("L", L)
    check_range("lr", lr, 0.0, 1.0 / L, low_closed=False)
    check_nonnegative("dist0_sq", dist0_sq)
    t = check_int("t", t)
    return dist0_sq / (2.0 * lr * t)


def polyak_heavy_ball(mu: float, L: float) -> tuple[float, float, float]:
    """Polyak's heavy ball ``x_{t+1} = x_t - η∇f(x_t) + β(x_t - x_{t-1})`` at its optimal
    parameters for quadratics: returns ``(η, β, ρ)`` with η = 4/(√L+√μ)²,
    β = ((√κ-1)/(√κ+1))², ρ = (√κ-1)/(√κ+1).

    Setting: strongly convex **quadratics** with spectrum in [μ, L]; ρ is the asymptotic
    rate (the spectral radius of the iteration; ``‖x_t - x*‖ ≤ C t ρ^t``).
    Guarantee: **tight** on quadratics; it does **not** hold on the smooth strongly convex
    class (:func:`amtoolkit.problems.lrp_counterexample` is a function on which these
    parameters cycle). Source: Polyak (1964), *Some methods of speeding up the convergence
    of iteration methods*; Polyak, *Introduction to Optimization* (1987), §3.2.
    """
    kappa = _check_mu_L(mu, L)
    sq = math.sqrt(kappa)
    rate = (sq - 1.0) / (sq + 1.0)
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate * rate, rate


def nag_rate(mu: float, L: float) -> float:
    """Nesterov's method with constant momentum (η = 1/L, β = (√κ-1)/(√κ+1)): ρ = 1 - 1/√κ
    for ``f(x_t) - f* + μ/2‖·‖²`` (see :func:`nag_bound`).

    Setting: L-smooth, μ-strongly convex f. Guarantee: **upper** on the class. On
    quadratics ρ is also the spectral rate of ‖x_t - x*‖ at these parameters (a double
    root at λ = μ), so there the gap contracts as ρ^(2t): the gap bound is not tight.
    Source: Nesterov, *Lectures on Convex Optimization* (2018), §2.2 (constant step scheme
    for strongly convex functions).
    """
    kappa = _check_mu_L(mu, L)
    return 1.0 - 1.0 / math.sqrt(kappa)


def nag_bound(mu: float, L: float, gap0: float, dist0_sq: float, t: int) -> float:
    """``f(x_t) - f* ≤ (1 - 1/√κ)^t (f(x_0) - f* + μ/2‖x_0 - x*‖²)`` for Nesterov's method
    with η = 1/L, β = (√κ-1)/(√κ+1) (``gap0`` = f(x_0) - f*, ``dist0_sq`` = ‖x_0 - x*‖²).

    Guarantee: **upper**. Source: Nesterov (2018), §2.2; d'Aspremont, Scieur & Taylor,
    *Acceleration Methods* (2021, arXiv:2101.09545), §4.
    """
    rate = nag_rate(mu, L)
    check_nonnegative("gap0", gap0)
    check_nonnegative("dist0_sq", dist0_sq)
    t = check_int("t", t, minimum=0)
    return rate ** t * (gap0 + 0.5 * mu * dist0_sq)


def nag_bound_convex(L: float, dist0_sq: float, t: int) -> float:
    """``f(x_t) - f* ≤ 2L‖x_0 - x*‖²/(t+1)²`` for Nesterov's method on a convex L-smooth f
    (η = 1/L; momentum β = (k-1)/(k+2) at the k-th iterate, which is ``nag(beta=None)``'s
    β_t = t/(t+3) with k = t+1; FISTA's schedule gives the same bound).

    Guarantee: **upper** (O(1/t²), optimal order). Source: Su, Boyd & Candès, JMLR 17
    (2016), Thm 6; Beck & Teboulle, FISTA (2009), Thm 4.4.
    """
    check_positive("L", L)
    check_nonnegative("dist0_sq", dist0_sq)
    t = check_int("t", t, minimum=0)
    return 2.0 * L * dist0_sq / (t + 1.0) ** 2


def triple_momentum(mu: float, L: float) -> dict[str, float]:
    """The triple momentum method of Van Scoy, Freeman & Lynch (2018):
    ``x_{t+1} = x_t + β(x_t - x_{t-1}) - α∇f(y_t)``, ``y_t = x_t + γ(x_t - x_{t-1})``,
    with ρ = 1 - 1/√κ, α = (1+ρ)/L, β = ρ²/(2-ρ), γ = ρ²/((1+ρ)(2-ρ)).

    The guarantee is stated for the output ``x̂_t = (1+δ)ξ_t - δξ_{t-1}``, δ = ρ²/(1-ρ²),
    of this recursion (ξ = the x above); ξ itself converges at the same rate ρ.

    Returns ``{"lr": α, "beta": β, "gamma": γ, "rate": ρ}``. Setting: L-smooth,
    μ-strongly convex f (the whole class). Guarantee: **upper**, ``‖x_t - x*‖ ≤ C ρ^t``,
    the fastest known for the class. Source: Van Scoy, Freeman & Lynch, IEEE Control
    Systems Letters 2(1), 2018, Thm 1.
    """
    kappa = _check_mu_L(mu, L)
    rho = 1.0 - 1.0 / math.sqrt(kappa)
    return {"lr": (1.0 + rho) / L, "beta": rho * rho / (2.0 - rho),
            "gamma": rho * rho / ((1.0 + rho) * (2.0 - rho)), "rate": rho}


def ghadimi_heavy_ball(lr: float, mu: float, L: float) -> tuple[float, float]:
    """The heavy ball that converges on the whole smooth strongly convex class: for
    0 < η ≤ 1/L, β = √((1-ημ)(1-ηL)); returns ``(β, ρ)`` with ρ = 1 - ημ, the rate of
    ``f(x_t) - f* ≤ ρ^t (f(x_0) - f*)`` (from x_{-1} = x_0).

    Guarantee: **upper**. Source: Ghadimi, Feyzmahdavian & Johansson, *Global convergence
    of the heavy-ball method for convex optimization*, ECC 2015 (arXiv:1412.7457), Thm 4
    (also PEPit's example ``wc_heavy_ball_momentum``).
    """
    _check_mu_L(mu, L)
    check_range("lr", lr, 0.0, 1.0 / L, low_closed=False)
    return math.sqrt((1.0 - lr * mu) * (1.0 - lr * L)), 1.0 - lr * mu
