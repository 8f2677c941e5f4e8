"""spectral_rate / linear_memory_rate against explicit iteration matrices (numpy.linalg.eigvals)
and against measured rates of amtoolkit's own optimizers on quadratics of known spectrum."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit.memory import parse_memory
from amtoolkit.theory import (linear_memory_rate, measured_rate, optimal_parameters, polyak_heavy_ball,
                              quadratic_worst_case, spectral_radius, spectral_rate)


def _matrix(method, lr, beta, lam):
    """The iteration matrix written from the update rules (state (e_t, e_{t-1}) or (e, d))."""
    if method == "gd":
        return np.array([[1 - lr * lam]])
    if method == "heavy_ball":
        return np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]])
    if method == "mgd":  # d' = β d + (1-β) λ e ; e' = e - η d'
        return np.array([[1 - lr * (1 - beta) * lam, -lr * beta], [(1 - beta) * lam, beta]])
    a = 1 - lr * lam  # nag: e' = a((1+β) e - β e_prev)
    return np.array([[(1 + beta) * a, -beta * a], [1.0, 0.0]])


@pytest.mark.parametrize("method", ["gd", "heavy_ball", "mgd", "nag"])
def test_spectral_rate_is_the_largest_eigenvalue_of_explicit_matrices(method):
    rng = np.random.default_rng(1)
    spectrum = np.sort(rng.uniform(0.05, 10.0, 25))
    for _ in range(40):
        lr = rng.uniform(0.0, 0.5)
        beta = 0.0 if method == "gd" else rng.uniform(0.0, 0.99)
        ref = max(np.abs(np.linalg.eigvals(_matrix(method, lr, beta, lam))).max() for lam in spectrum)
        assert spectral_rate(method, lr, beta, spectrum) == pytest.approx(ref, rel=1e-9, abs=1e-12)


def test_spectral_rate_broadcasts_over_a_grid():
    lrs, betas = np.linspace(0.01, 0.2, 7)[:, None], np.linspace(0, 0.9, 5)[None, :]
    grid = spectral_rate("heavy_ball", lrs, betas, [1.0, 4.0, 9.0])
    assert grid.shape == (7, 5)
    assert grid[3, 2] == spectral_rate("heavy_ball", lrs[3, 0], betas[0, 2], [1.0, 4.0, 9.0])
    per = spectral_radius("nag", 0.1, 0.5, np.array([1.0, 2.0]))
    assert per.shape == (2,)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.8])
def test_linear_memory_rate_matches_heavy_ball_and_nag(beta):
    spectrum = np.linspace(0.5, 20.0, 9)
    mem = f"M({beta})+M(0.0)"
    for lr in (0.01, 0.05, 0.12):
        assert linear_memory_rate(mem, [1.0, 0.0], lr, spectrum) == pytest.approx(
            spectral_rate("heavy_ball", lr, beta, spectrum), abs=1e-10)
        assert linear_memory_rate(mem, [beta, 1.0], lr, spectrum) == pytest.approx(
            spectral_rate("nag", lr, beta, spectrum), abs=1e-10)


def test_optimal_parameters_recover_polyak():
    lr, beta, rate = optimal_parameters("heavy_ball", np.linspace(1.0, 100.0, 5))
    p_lr, p_beta, p_rate = polyak_heavy_ball(1.0, 100.0)
    assert rate == pytest.approx(p_rate, abs=1e-6)
    assert lr == pytest.approx(p_lr, rel=1e-3) and beta == pytest.approx(p_beta, abs=1e-3)
    lr, _, rate = optimal_parameters("gd", [1.0, 100.0])
    assert lr == pytest.approx(2 / 101, rel=1e-6) and rate == pytest.approx(99 / 101, abs=1e-9)


def _quadratic(spectrum):
    # b = 0, c = 0: f* = 0 and the gap ½xᵀAx has no cancellation, so it can be fitted down to 1e-200
    return amt.Quadratic(np.diag(spectrum), np.zeros(len(spectrum)))


# (optimizer, spectral method, lr, beta, steps): real dominant modes, so the log-gap is straight
RUNS = [
    ("gd", {"lr": 0.15}, 0.0, 400),
    ("heavy_ball", {"lr": 0.1, "beta": 0.1}, 0.1, 400),
    ("mgd", {"lr": 0.2, "beta": 0.3}, 0.3, 400),
    ("nag", {"lr": 0.1, "beta": 0.2}, 0.2, 400),
]


@pytest.mark.parametrize("name, hyper, beta, steps", RUNS)
def test_measured_rate_of_runs_equals_spectral_rate(name, hyper, beta, steps):
    spectrum = np.array([0.2, 1.0, 3.0, 5.0])
    h = amt.run(amt.optimizers.get(name, **hyper), _quadratic(spectrum), steps, x0=np.ones(4))
    # (nag records the loss at y_t, where its gradient is taken: same asymptotic rate as x_t)
    measured = measured_rate(h, window=150).iloc[0]
    assert abs(measured - spectral_rate(name, hyper["lr"], beta, spectrum)) <= 1e-3


def test_measured_rate_of_an_rllc_run_equals_linear_memory_rate():
    spectrum = np.array([0.2, 1.0, 3.0, 5.0])
    mem, law, lr = "J(0.3,2)", [1.0, 0.5], 0.05
    opt = amt.optimizers.rllc(lr=lr, memory=mem, c2=0.0, law0=law)
    h = amt.run(opt, _quadratic(spectrum), 500, x0=np.ones(4))
    expected = linear_memory_rate(parse_memory(mem), law, lr, spectrum)
    assert expected < 0.999
    assert abs(measured_rate(h, window=150).iloc[0] - expected) <= 1e-3


def test_quadratic_worst_case_is_attained_by_a_run():
    # a diagonal quadratic holds every eigenvalue of a mesh: coordinate i of x_n is p_n(λ_i).
    # Here the worst eigenvalue is interior (about 24.08), so the refinement matters.
    lams = np.linspace(1.0, 25.0, 201)
    h = amt.run(amt.optimizers.heavy_ball(lr=0.1, beta=0.6), _quadratic(lams), 7, x0=np.ones(lams.size))
    best = float(np.max(h.x ** 2))
    value = quadratic_worst_case("heavy_ball", 1.0, 25.0, 0.1, 0.6, 7)
    assert best <= value * (1 + 1e-12)
    assert value == pytest.approx(best, rel=1e-3)
    # a finer mesh of the same polynomial, evaluated by the recursion written out here
    lam = np.linspace(1.0, 25.0, 200001)
    e = prev = np.ones_like(lam)
    for _ in range(7):
        e, prev = (1.6 - 0.1 * lam) * e - 0.6 * prev, e
    assert value == pytest.approx(float(np.max(e ** 2)), rel=1e-9)


@pytest.mark.parametrize("call, match", [
    (lambda: spectral_rate("adam", 0.1, 0.5, [1.0]), "method must be one of"),
    (lambda: spectral_rate("heavy_ball", 0.1, 1.0, [1.0]), r"beta must lie in \[0, 1\)"),
    (lambda: spectral_rate("heavy_ball", -0.1, 0.5, [1.0]), "lr must be > 0"),
    (lambda: spectral_rate("heavy_ball", 0.1, 0.5, []), "eigenvalues must be a non-empty 1-D array"),
    (lambda: spectral_rate("heavy_ball", 0.1, 0.5, [-1.0, 2.0]), "eigenvalues must be >= 0"),
    (lambda: spectral_rate("gd", 0.1, 0.0, [np.nan]), "eigenvalues must be finite"),
    (lambda: linear_memory_rate("M(0.5)+M(0.0)", [1.0], 0.1, [1.0]), r"law must have shape \(2,\)"),
    (lambda: quadratic_worst_case("nag", 2.0, 1.0, 0.1, 0.5, 3), "mu must be <= L"),
    (lambda: quadratic_worst_case("nag", 1.0, 2.0, 0.1, 0.5, 0), "n must be an integer >= 1"),
    (lambda: quadratic_worst_case("nag", 1.0, 2.0, 0.0, 0.5, 3), "lr must lie in"),
])
def test_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda h: measured_rate(h, window=2), "window must be an integer >= 3"),
    (lambda h: measured_rate(h, column="distance"), "column 'distance' is not in the history"),
    (lambda h: measured_rate(h.frame.values), "history must be an amtoolkit History or its DataFrame"),
    (lambda h: measured_rate(h, exponent=0.0), "exponent must lie in"),
])
def test_measured_rate_bad_inputs(call, match):
    h = amt.run(amt.optimizers.gd(lr=0.1), _quadratic([1.0, 2.0]), 10, x0=np.ones(2))
    with pytest.raises((ValueError, TypeError), match=match):
        call(h)


def test_measured_rate_is_nan_without_enough_positive_values():
    h = amt.run(amt.optimizers.gd(lr=0.1), _quadratic([1.0, 2.0]), 10, x0=np.ones(2), f_star=None)
    assert np.isnan(measured_rate(h).iloc[0])
