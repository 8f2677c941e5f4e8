"""The Lessard-Recht-Packard counterexample: the function itself, and heavy ball's 3-cycle."""

import math

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit.problems import lrp_counterexample
from amtoolkit.theory import ghadimi_heavy_ball, polyak_heavy_ball


def test_function_pieces_gradient_and_class_constants():
    p = lrp_counterexample(mu=1, L=25)
    # the paper's three pieces for μ = 1, L = 25
    ref = lambda x: 12.5 * x * x if x < 1 else (0.5 * x * x + 24 * x - 12 if x < 2 else 12.5 * x * x - 24 * x + 36)
    xs = np.linspace(-3, 4, 71)
    f = p.value(xs[:, None])
    assert np.allclose(f, [ref(x) for x in xs], rtol=0, atol=1e-12)
    # gradient = central difference of the value; slopes of the gradient within [μ, L]
    h = 1e-6
    g = p.grad(xs[:, None])[:, 0]
    fd = (p.value(xs[:, None] + h) - p.value(xs[:, None] - h)) / (2 * h)
    assert np.allclose(g, fd, atol=1e-5)
    slopes = np.diff(g) / np.diff(xs)
    assert slopes.min() >= 1 - 1e-9 and slopes.max() <= 25 + 1e-9
    assert p.f_star == 0 and p.x_star.tolist() == [0.0]
    assert (p.strong_convexity, p.smoothness) == (1.0, 25.0)


def test_polyak_heavy_ball_ends_in_a_three_cycle():
    p = lrp_counterexample()
    lr, beta, _ = polyak_heavy_ball(1.0, 25.0)
    assert (lr, beta) == pytest.approx((1 / 9, 4 / 9))
    xs = []
    amt.run(amt.optimizers.heavy_ball(lr=lr, beta=beta), p, 300, x0=np.array([3.3]),
            callback=lambda t, s: xs.append(float(s.x[0])))
    tail = np.array(xs[-9:])
    assert np.allclose(tail[3:], tail[:-3], atol=1e-10)              # period 3
    assert not np.isclose(tail[0], tail[1]) and not np.isclose(tail[1], tail[2])
    assert np.abs(tail).min() > 0.5                                   # far from x* = 0
    # the cycle from the same recursion written out, not through amt.run
    x = x_prev = 3.3
    for _ in range(300):
        x, x_prev = x - lr * float(p.grad(np.array([x]))[0]) + beta * (x - x_prev), x
    assert x == pytest.approx(xs[-1], abs=1e-9)


def test_globally_convergent_heavy_ball_converges():
    p = lrp_counterexample()
    lr = 1 / 50
    beta, rate = ghadimi_heavy_ball(lr, 1.0, 25.0)
    h = amt.run(amt.optimizers.heavy_ball(lr=lr, beta=beta), p, 300)
    gap = h.frame["gap"].to_numpy()
    assert gap[-1] <= rate ** 300 * gap[0]
    assert abs(h.x[0]) < 1e-10


@pytest.mark.parametrize("mu, L, match", [(0.0, 25.0, "mu must lie in"), (2.0, 2.0, "mu must be < L"),
                                          (1.0, math.inf, "L must lie in")])
def test_bad_inputs(mu, L, match):
    with pytest.raises(ValueError, match=match):
        lrp_counterexample(mu, L)
