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
    (lambda: quadratic_worst_case("gd", 1.0, 25.0, 0.04, 0.5, 5), "beta must be 0 for method='gd'"),
])
def test_bad_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_spectral_radius_checks_its_own_inputs_and_gd_ignores_beta():
    for kwargs, match in (({"lr": 0.0}, "lr must be > 0"), ({"beta": 1.0}, r"beta must lie in \[0, 1\)")):
        args = {"lr": 0.1, "beta": 0.5, **kwargs}
        with pytest.raises(ValueError, match=match):
            spectral_radius("heavy_ball", args["lr"], args["beta"], 1.0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        linear_memory_rate("M(0.5)+M(0.0)", [1.0, 0.0], -0.1, [1.0])
    lam = np.array([0.5, 2.0, 30.0])
    np.testing.assert_allclose(spectral_radius("gd", 0.1, 0.5, lam), np.abs(1 - 0.1 * lam), rtol=1e-15)


@pytest.mark.parametrize("method", ["gd", "heavy_ball", "mgd", "nag"])
def test_a_zero_eigenvalue_has_rate_one(method):
    # a flat direction (λ = 0) never contracts: its iteration matrix has the eigenvalue 1
    beta = 0.0 if method == "gd" else 0.6
    assert np.abs(np.linalg.eigvals(_matrix(method, 0.1, beta, 0.0))).max() == pytest.approx(1.0, abs=1e-15)
    assert spectral_radius(method, 0.1, beta, 0.0) == pytest.approx(1.0, abs=1e-15)
    assert spectral_rate(method, 0.1, beta, [0.0, 1.0, 4.0]) == pytest.approx(1.0, abs=1e-15)
    assert linear_memory_rate("M(0.6)+M(0.0)", [1.0, 0.0], 0.1, [0.0, 1.0]) == pytest.approx(1.0, abs=1e-12)


def test_double_roots_are_exact():
    # heavy ball at ηλ = (1 ± √β)² has the double root ±√β. For these β, τ² - 4δ rounds to
    # +ε/2·(τ² + 4δ) instead of 0, and its square root would add an error of about 1e-8
    for beta in (0.5, 0.6, 0.7):
        for lr in ((1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2):
            assert spectral_rate("heavy_ball", lr, beta, [1.0]) == pytest.approx(np.sqrt(beta), abs=1e-14)


def test_a_near_double_root_with_a_small_trace_is_not_snapped():
    """τ = 1e-3, τ² - 4δ = 1e-16: a real gap, 1e-10 of τ², far above rounding. The rate
    (τ + √(τ² - 4δ))/2 of the float inputs, computed exactly here with 50 digits."""
    from decimal import Decimal, getcontext

    getcontext().prec = 50
    beta = (1e-6 - 1e-16) / 4
    lr = 1 + beta - 1e-3
    trace, det = 1 + Decimal(beta) - Decimal(lr), Decimal(beta)
    exact = (abs(trace) + max(trace * trace - 4 * det, Decimal(0)).sqrt()) / 2
    # to 1e-7: the float τ = 1 + β - η carries an error of 1e-16 (1e-3 of the gap's root);
    # a snap (the rate τ/2) would be off by 1e-5
    assert spectral_radius("heavy_ball", lr, beta, 1.0) == pytest.approx(float(exact), rel=1e-7)


def test_scalars_give_floats_and_a_row_of_steps_gives_a_row_of_rates():
    spectrum = [1.0, 3.0, 9.0]
    lrs = np.array([0.05, 0.1, 0.2])
    for rate in (lambda lr: spectral_rate("nag", lr, 0.3, spectrum),
                 lambda lr: linear_memory_rate("M(0.3)+M(0.0)", [0.3, 1.0], lr, spectrum)):
        assert isinstance(rate(0.1), float)
        row = rate(lrs)
        assert isinstance(row, np.ndarray) and row.shape == (3,)
        np.testing.assert_allclose(row, [rate(float(lr)) for lr in lrs], rtol=1e-14)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1e4])  # 1e4: β* = 0.96, the search meets β < 1
def test_optimal_parameters_of_mgd_and_nag_are_the_closed_forms(kappa):
    spectrum = np.array([1.0, 0.5 * (1 + kappa), kappa])
    # mgd is heavy ball with step η(1-β): Polyak's parameters with η_mgd = η_hb/(1-β)
    p_lr, p_beta, p_rate = polyak_heavy_ball(1.0, kappa)
    lr, beta, rate = optimal_parameters("mgd", spectrum)
    assert rate == pytest.approx(p_rate, abs=1e-8)
    assert beta == pytest.approx(p_beta, abs=1e-5) and lr == pytest.approx(p_lr / (1 - p_beta), rel=1e-4)
    # nag with constant β on quadratics (Lessard, Recht & Packard 2016, §3.2):
    # η = 4/(3L+μ), β = (√(3κ+1)-2)/(√(3κ+1)+2), ρ = 1 - 2/√(3κ+1)
    q = np.sqrt(3 * kappa + 1)
    lr, beta, rate = optimal_parameters("nag", spectrum)
    assert rate == pytest.approx(1 - 2 / q, abs=1e-8)
    assert beta == pytest.approx((q - 2) / (q + 2), abs=1e-5) and lr == pytest.approx(4 / (3 * kappa + 1), rel=1e-4)
    # gd: η = 2/(μ+L); a single eigenvalue is solved exactly by η = 1/λ
    lr, beta, rate = optimal_parameters("gd", spectrum)
    assert (lr, beta) == (pytest.approx(2 / (1 + kappa), rel=1e-7), 0.0)
    lr, _, rate = optimal_parameters("gd", [2.0])
    assert lr == pytest.approx(0.5, rel=1e-7) and rate <= 1e-7


@pytest.mark.parametrize("method", ["heavy_ball", "mgd", "nag"])
def test_optimal_parameters_of_a_single_eigenvalue_solve_it_in_one_step(method):
    # κ = 1: β = 0 and η = 1/λ make the error 0 after one step; the search sits at β = 0
    lr, beta, rate = optimal_parameters(method, [2.0, 2.0])
    assert rate <= 1e-6 and beta <= 1e-6 and lr == pytest.approx(0.5, rel=1e-5)


def _error_after(method, lr, beta, lam, n):
    """e_n for e_0 = 1 (x_0 = 1, x* = 0) on ½λx², each method written from its update rule
    in amtoolkit.optimizers.classic."""
    x = np.ones_like(lam)
    if method == "mgd":  # d_1 = g_0, d_{t+1} = β d_t + (1-β) g_t, x_{t+1} = x_t - η d_{t+1}
        d = lam * x
        for t in range(n):
            d = d if t == 0 else beta * d + (1 - beta) * lam * x
            x = x - lr * d
        return x
    if method == "nag":  # x_{t+1} = y_t - η λ y_t, y_{t+1} = x_{t+1} + β(x_{t+1} - x_t), y_0 = x_0
        y = x
        for _ in range(n):
            x_new = y - lr * lam * y
            y, x = x_new + beta * (x_new - x), x_new
        return x
    prev = x  # gd / heavy ball, x_{-1} = x_0
    for _ in range(n):
        x, prev = x - lr * lam * x + beta * (x - prev), x
    return x


@pytest.mark.parametrize("method, mu, L, lr, beta, n, grid", [
    # a fine default mesh
    ("gd", 1.0, 10.0, 0.19, 0.0, 4, 20001),      # worst at λ = L (|1 - ηL| > |1 - ημ|)
    ("gd", 1.0, 10.0, 0.05, 0.0, 4, 20001),      # worst at λ = μ
    ("mgd", 1.0, 25.0, 0.06, 0.4, 6, 20001),
    ("nag", 1.0, 25.0, 0.06, 0.4, 6, 20001),
    # a 3-point mesh whose best point is an end, the true maximum inside its neighbour interval
    ("heavy_ball", 1.0, 25.0, 0.049, 0.93, 5, 3),
    ("nag", 0.5, 4.0, 0.284, 0.82, 5, 3),
    ("mgd", 0.5, 25.0, 0.082, 0.74, 5, 3),
    # an oscillating p_11 on an 8-point mesh: a search wider than the best point's two
    # neighbour intervals runs into the next local maximum (10× lower) and stays there
    ("nag", 0.5, 10.0, 0.126, 0.76, 11, 8),
])
def test_quadratic_worst_case_is_the_maximum_of_the_error_polynomial(method, mu, L, lr, beta, n, grid):
    lam = np.linspace(mu, L, 400001)
    reference = float(np.max(_error_after(method, lr, beta, lam, n) ** 2))
    assert quadratic_worst_case(method, mu, L, lr, beta, n, grid=grid) == pytest.approx(reference, rel=1e-9)


def test_quadratic_worst_case_of_mgd_is_attained_by_a_run():
    lams = np.linspace(1.0, 25.0, 101)
    h = amt.run(amt.optimizers.mgd(lr=0.06, beta=0.4), _quadratic(lams), 6, x0=np.ones(lams.size))
    np.testing.assert_allclose(h.x, _error_after("mgd", 0.06, 0.4, lams, 6), rtol=1e-12, atol=1e-15)
