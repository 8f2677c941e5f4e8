"""PEPit worst cases against known tight values and against the solver-free quadratic reduction."""

import inspect
import math
import warnings

import numpy as np
import pytest

pytest.importorskip("PEPit", reason="PEPit is not installed (pip install pepit)")

from amtoolkit.theory import polyak_heavy_ball, quadratic_worst_case, worst_case  # noqa: E402


@pytest.mark.parametrize("n", [1, 3])
def test_gd_at_two_over_L_plus_mu_is_tight(n):
    mu, L = 1.0, 10.0
    res = worst_case("gd", mu, L, 2 / (L + mu), 0.0, n)
    kappa = L / mu
    assert res.value == pytest.approx(((kappa - 1) / (kappa + 1)) ** (2 * n), abs=1e-4)
    assert res.solver == "CLARABEL" and res.status == "optimal"
    assert res.rate == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-4)


def test_polyak_heavy_ball_grows_on_the_class_and_shrinks_on_quadratics():
    lr, beta, _ = polyak_heavy_ball(1.0, 25.0)
    ssc = [worst_case("heavy_ball", 1.0, 25.0, lr, beta, n).value for n in (2, 4)]
    assert ssc[1] > ssc[0] > 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # PEPit must agree with the exact reduction here
        quad = [worst_case("heavy_ball", 1.0, 25.0, lr, beta, n, function_class="quadratic") for n in (2, 4)]
    assert quad[1].value < quad[0].value
    for q in quad:
        assert q.value == pytest.approx(q.exact, rel=1e-4)
    # ...and keeps shrinking (exact reduction, no solver)
    later = [quadratic_worst_case("heavy_ball", 1.0, 25.0, lr, beta, n) for n in (4, 10, 20)]
    assert later[0] > later[1] > later[2]


def test_quadratic_class_matches_the_exact_reduction_for_each_method():
    for method, beta in (("mgd", 0.4), ("nag", 0.4)):
        res = worst_case(method, 1.0, 25.0, 0.06, beta, 3, function_class="quadratic")
        assert res.value == pytest.approx(quadratic_worst_case(method, 1.0, 25.0, 0.06, beta, 3), rel=1e-5)


def test_results_are_cached():
    a = worst_case("heavy_ball", 1.0, 5.0, 0.2, 0.1, 2)
    b = worst_case("heavy_ball", 1.0, 5.0, 0.2, 0.1, 2)
    assert a is b


def test_worst_case_bounds_a_run_on_the_class():
    # a member of the class (the LRP function) cannot beat the worst case
    from amtoolkit.problems import lrp_counterexample

    lr, beta, _ = polyak_heavy_ball(1.0, 25.0)
    p = lrp_counterexample()
    x = x_prev = np.array([3.3])
    for _ in range(3):
        x, x_prev = x - lr * p.grad(x) + beta * (x - x_prev), x
    assert (x[0] / 3.3) ** 2 <= worst_case("heavy_ball", 1.0, 25.0, lr, beta, 3).value * (1 + 1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 31}, "n must be <= 30"),
    ({"n": 0}, "n must be an integer >= 1"),
    ({"function_class": "convex"}, "function_class must be one of"),
    ({"method": "adam"}, "method must be one of"),
    ({"mu": 2.0, "L": 1.0}, "mu must be <= L"),
    ({"beta": 1.0}, r"beta must lie in \[0.0, 1.0\)"),
    ({"method": "gd", "beta": 0.5}, "beta must be 0 for method='gd'"),
])
def test_bad_inputs(kwargs, match):
    args = {"method": "heavy_ball", "mu": 1.0, "L": 4.0, "lr": 0.1, "beta": 0.5, "n": 2, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        worst_case(**args)


def test_rate_property():
    res = worst_case("gd", 1.0, 4.0, 0.4, 0.0, 2)
    assert res.rate == pytest.approx(math.sqrt(res.value) ** (1 / 2))


def test_a_failing_clarabel_falls_back_to_scs(monkeypatch):
    from amtoolkit.theory import pep

    # one interior-point iteration: Clarabel stops short of "optimal", SCS takes over
    monkeypatch.setitem(pep.SOLVER_OPTIONS, "CLARABEL", {"max_iter": 1})
    res = pep._solve("gd", 1.0, 10.0, 2 / 11, 0.0, 2, "smooth_strongly_convex")
    assert res.solver == "SCS" and res.status == "optimal"
    assert res.value == pytest.approx((9 / 11) ** 4, rel=1e-5)


def test_a_solve_prints_nothing_and_times_itself(capsys):
    import time

    from amtoolkit.theory import pep

    t0 = time.perf_counter()
    res = pep._solve("nag", 1.0, 10.0, 0.1, 0.5, 2, "smooth_strongly_convex")  # not cached
    wall = time.perf_counter() - t0
    assert capsys.readouterr().out == ""
    assert 0.0 < res.seconds <= wall and res.solver == "CLARABEL"


@pytest.mark.parametrize("offset, warns", [
    (0.9e-4, False), (1.1e-4, True),      # exact < 1: the threshold is 1e-4 (absolute)
])
def test_quadratic_class_warns_when_the_solver_misses_the_exact_value(monkeypatch, offset, warns):
    from amtoolkit.theory import pep

    _check_warning(monkeypatch, pep, ("mgd", 1.0, 25.0, 0.06, 0.4, 3), offset, warns)


@pytest.mark.parametrize("scale, warns", [(0.9e-4, False), (1.1e-4, True)])
def test_the_warning_threshold_is_relative_above_one(monkeypatch, scale, warns):
    from amtoolkit.theory import pep

    # one step with ηL = 2.1 overshoots: exact worst case (1 - 2.1)² = 1.21, between 1 and 2
    args = ("heavy_ball", 1.0, 10.0, 0.21, 0.1, 1)
    exact = quadratic_worst_case(*args)
    assert 1.0 < exact < 2.0
    _check_warning(monkeypatch, pep, args, scale * exact, warns)


def _check_warning(monkeypatch, pep, args, offset, warns):
    exact = quadratic_worst_case(*args)
    fake = pep.WorstCase(exact + offset, args[-1], "CLARABEL", "optimal", 0.0)
    monkeypatch.setattr(pep, "_cached_solve", lambda *a: fake)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        res = worst_case(*args, function_class="quadratic")
    assert res.value == fake.value and res.exact == exact
    mine = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(mine) == int(warns)
    if warns:
        assert (mine[0].filename, mine[0].lineno) == (__file__, line)  # reported at the caller's line
