"""Closed forms of theory.rates against spectral_rate (an independent eigenvalue
computation) and against explicit runs of the update rules."""

import math

import numpy as np
import pytest

from amtoolkit.theory import (gd_bound_convex, gd_rate, ghadimi_heavy_ball, nag_bound, nag_bound_convex, nag_rate,
                              polyak_heavy_ball, spectral_rate, triple_momentum)

KAPPAS = [4.0, 25.0, 100.0, 1e4]


@pytest.mark.parametrize("kappa", KAPPAS)
def test_polyak_closed_form_equals_spectral_rate(kappa):
    lr, beta, rate = polyak_heavy_ball(1.0, kappa)
    sq = math.sqrt(kappa)
    assert rate == pytest.approx((sq - 1) / (sq + 1), abs=1e-15)
    assert beta == pytest.approx(rate ** 2, abs=1e-15)
    spectrum = np.linspace(1.0, kappa, 11)
    assert abs(spectral_rate("heavy_ball", lr, beta, spectrum) - rate) <= 1e-10


@pytest.mark.parametrize("kappa", KAPPAS)
def test_nag_rate_equals_spectral_rate_at_lr_one_over_L(kappa):
    sq = math.sqrt(kappa)
    beta = (sq - 1) / (sq + 1)
    spectrum = np.linspace(1.0, kappa, 11)
    assert abs(spectral_rate("nag", 1.0 / kappa, beta, spectrum) - nag_rate(1.0, kappa)) <= 1e-10
    assert nag_rate(1.0, kappa) == pytest.approx(1 - 1 / sq)


@pytest.mark.parametrize("lr", [0.001, 0.015, 0.0198, 0.025])
def test_gd_rate_equals_spectral_rate(lr):
    assert abs(spectral_rate("gd", lr, 0.0, [1.0, 30.0, 100.0]) - gd_rate(lr, 1.0, 100.0)) <= 1e-10
    assert gd_rate(lr, 1.0, 100.0) == max(abs(1 - lr), abs(1 - 100 * lr))


def test_convex_bounds_hold_on_runs():
    # convex quadratic ½ Σ λ_i x_i² with λ from 1e-4 to L = 1, ‖x_0 - x*‖² = 1: written-out GD and
    # Nesterov (β_t = t/(t+3)) loops; the bounds hold at every t and are not vacuous
    lam = np.geomspace(1e-4, 1.0, 40)
    x0 = np.ones(40) / np.sqrt(40)
    for lr in (1.0, 0.5):
        x, worst = x0.copy(), 0.0
        for t in range(1, 300):
            x = x - lr * lam * x
            f, bound = 0.5 * np.sum(lam * x ** 2), gd_bound_convex(lr, 1.0, 1.0, t)
            assert f <= bound * (1 + 1e-12)
            worst = max(worst, f / bound)
        assert worst > 0.05
    x = y = x0.copy()
    worst = 0.0
    for t in range(300):
        x_new = y - lam * y
        y = x_new + t / (t + 3.0) * (x_new - x)
        x = x_new
        f, bound = 0.5 * np.sum(lam * x ** 2), nag_bound_convex(1.0, 1.0, t + 1)
        assert f <= bound * (1 + 1e-12)
        worst = max(worst, f / bound)
    assert worst > 0.01


def test_nag_bound_holds_on_a_strongly_convex_quadratic_run():
    mu, L = 1.0, 50.0
    lam = np.array([mu, 7.0, L])
    sq = math.sqrt(L / mu)
    beta = (sq - 1) / (sq + 1)
    x = y = np.ones(3)
    gap0, d0 = 0.5 * np.sum(lam), 3.0
    for t in range(1, 200):
        x_new = y - lam * y / L
        y = x_new + beta * (x_new - x)
        x = x_new
        assert 0.5 * np.sum(lam * x ** 2) <= nag_bound(mu, L, gap0, d0, t) * (1 + 1e-12)


def test_triple_momentum_rate_on_quadratics():
    # the TMM iteration on 1-D quadratics: its spectral radius is at most ρ = 1 - 1/√κ
    mu, L = 1.0, 100.0
    p = triple_momentum(mu, L)
    for lam in np.linspace(mu, L, 41):
        a = p["lr"] * lam
        # x_{t+1} = x_t + β(x_t - x_{t-1}) - α λ (x_t + γ(x_t - x_{t-1}))
        M = np.array([[1 + p["beta"] - a * (1 + p["gamma"]), -p["beta"] + a * p["gamma"]], [1.0, 0.0]])
        assert np.abs(np.linalg.eigvals(M)).max() <= p["rate"] + 1e-9
    assert p["rate"] == pytest.approx(0.9)


def test_ghadimi_heavy_ball_bound_holds_on_the_lrp_function():
    from amtoolkit.problems import lrp_counterexample

    p = lrp_counterexample()
    lr = 1 / 50
    beta, rate = ghadimi_heavy_ball(lr, 1.0, 25.0)
    assert beta == pytest.approx(math.sqrt((1 - lr) * (1 - 25 * lr)))
    x = x_prev = np.array([3.3])
    f0 = float(p.value(x))
    for t in range(1, 200):
        x, x_prev = x - lr * p.grad(x) + beta * (x - x_prev), x
        assert float(p.value(x)) <= rate ** t * f0 * (1 + 1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: gd_rate(0.0, 1.0, 2.0), "lr must lie in"),
    (lambda: gd_rate(0.1, 3.0, 2.0), "mu must be <= L"),
    (lambda: polyak_heavy_ball(-1.0, 2.0), "mu must lie in"),
    (lambda: ghadimi_heavy_ball(0.6, 1.0, 2.0), r"lr must lie in \(0.0, 0.5\]"),
    (lambda: gd_bound_convex(0.1, 1.0, 1.0, 0), "t must be an integer >= 1"),
    (lambda: nag_bound(1.0, 4.0, -1.0, 1.0, 3), "gap0 must lie in"),
])
def test_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_classical_formulas_at_hand_computed_values():
    """μ = 1/4, L = 9 (κ = 36, √κ = 6), worked out by hand; μ ≠ 1 and odd step sizes so
    that a swapped product and quotient, or a wrong constant, changes the value."""
    from fractions import Fraction as F

    from amtoolkit.theory import polyak_heavy_ball, triple_momentum

    mu, L = 0.25, 9.0
    assert nag_rate(mu, L) == pytest.approx(5 / 6, rel=1e-14)
    lr, beta, rate = polyak_heavy_ball(mu, L)
    assert (lr, beta, rate) == pytest.approx((4 / 3.5 ** 2, 25 / 49, 5 / 7), rel=1e-14)
    tm = triple_momentum(mu, L)
    assert (tm["lr"], tm["beta"], tm["gamma"], tm["rate"]) == pytest.approx((11 / 54, 25 / 42, 25 / 77, 5 / 6),
                                                                            rel=1e-14)
    assert gd_rate(0.1, mu, L) == pytest.approx(0.975, rel=1e-14)
    assert gd_bound_convex(0.1, L, 3.0, 5) == pytest.approx(3.0, rel=1e-14)  # 3/(2·0.1·5)
    assert gd_bound_convex(1.0 / L, L, 3.0, 5) == pytest.approx(2.7, rel=1e-14)  # η = 1/L allowed
    for bad in (0.0, 1.5 / L):
        with pytest.raises(ValueError, match="lr"):
            gd_bound_convex(bad, L, 3.0, 5)
    assert nag_bound(mu, L, 2.0, 3.0, 4) == pytest.approx(float(F(5, 6) ** 4 * F(19, 8)), rel=1e-14)
    assert nag_bound(mu, L, 2.0, 3.0, 0) == pytest.approx(2.375, rel=1e-14)  # t = 0: f_0 - f* + μ/2‖x_0 - x*‖²
    assert nag_bound_convex(L, 3.0, 5) == pytest.approx(1.5, rel=1e-14)  # 2·9·3/6²
    assert nag_bound_convex(L, 3.0, 0) == pytest.approx(54.0, rel=1e-14)
    beta_g, rate_g = ghadimi_heavy_ball(0.1, mu, L)
    assert (beta_g, rate_g) == pytest.approx((math.sqrt(0.975 * 0.1), 0.975), rel=1e-14)


@pytest.mark.parametrize("call, name", [
    (lambda T: T.nag_rate(2.0, 1.0), "mu"),
    (lambda T: T.nag_bound_convex(-1.0, 1.0, 3), "L"),
    (lambda T: T.triple_momentum(0.0, 1.0), "mu"),
    (lambda T: T.spectral_radius("nope", 0.1, 0.5, [1.0, 2.0]), "method"),
    (lambda T: T.optimal_parameters("heavy_ball", []), "eigenvalues"),
    (lambda T: T.optimal_parameters("nope", [1.0, 2.0]), "method"),
])
def test_more_calculators_refuse_bad_input_naming_it(call, name):
    from amtoolkit import theory

    with pytest.raises(ValueError, match=name):
        call(theory)
