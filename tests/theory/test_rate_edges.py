"""`amtoolkit rate` and theory.worst_case at the edges (issue 21, item 11).

Principles: every input is checked up front and a bad one exits 2 with a message naming its
flag; a number is never reported without the solver status that qualifies it (an
"optimal_inaccurate" worst case carries its status, warns, and the CLI flags it); μ = L, where
PEPit's interpolation conditions divide by 1 - μ/L, is the class {L/2·‖x - x*‖² + c} and is
computed exactly. References: loops written from the methods' definitions on f = L/2·x².
"""

import warnings

import pytest

from amtoolkit import theory
from amtoolkit.cli import main
from amtoolkit.theory.pep import InaccurateWorstCase


def _on_quadratic(method, L, lr, beta, n):
    """‖x_n‖² from x_0 = 1 on f = L/2·x², written from the update rules (as optimizers.classic)."""
    x = x_prev = y = 1.0
    for _ in range(n):
        if method == "heavy_ball":
            x, x_prev = x - lr * L * x + beta * (x - x_prev), x
        else:  # nag
            x_new = y - lr * L * y
            y, x = x_new + beta * (x_new - x), x_new
    return x * x


@pytest.mark.parametrize("method, lr, beta", [("heavy_ball", 0.5, 0.3), ("nag", 0.7, 0.5)])
def test_mu_equal_to_L_is_the_exact_quadratic_worst_case(method, lr, beta):
    result = theory.worst_case(method, 2.0, 2.0, lr, beta, 5)
    assert result.solver == "exact" and result.accurate
    assert result.value == pytest.approx(_on_quadratic(method, 2.0, lr, beta, 5), rel=1e-12)


def test_cli_mu_equal_to_L_with_pep_prints_the_exact_value(capsys):
    assert main(["rate", "--method", "heavy_ball", "--mu", "1", "--L", "1", "--lr", "0.5", "--beta", "0.3",
                 "--pep", "5"]) == 0
    out = capsys.readouterr().out
    assert "solver exact, status optimal" in out
    value = float(out.split("x_0 - x*|^2 = ")[1].split()[0])
    assert value == pytest.approx(_on_quadratic("heavy_ball", 1.0, 0.5, 0.3, 5), rel=1e-5)


def test_an_unstable_nag_gives_its_worst_case_not_a_nonetype_error():
    """NAG at η = 1 on L = 4 (unstable): SCS returned no value ("unbounded_inaccurate"), which
    was a NoneType error. The worst case over the class is at least the quadratic L/2·x²'s
    72² = 5184 (the loop above), and PEPit finds that quadratic; whether Clarabel calls it
    "optimal" or "optimal_inaccurate" depends on the BLAS kernel, and ``accurate`` says which."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InaccurateWorstCase)
        result = theory.worst_case("nag", 1.0, 4.0, 1.0, 0.5, 3)
    assert _on_quadratic("nag", 4.0, 1.0, 0.5, 3) == 5184.0
    assert result.value == pytest.approx(5184.0, rel=1e-3)
    assert result.accurate == (result.status == "optimal")


@pytest.fixture
def capped_solvers(monkeypatch):
    """Clarabel stopped after 1 iteration ("user_limit": no answer) and SCS after 10
    ("optimal_inaccurate", 0.468 where the tight value (9/11)⁴ is 0.448, under both BLAS
    kernels tried): a solve that meets no tolerance, deterministically. The cache is cleared
    before and after, so no other test sees these results."""
    from amtoolkit.theory import pep

    monkeypatch.setitem(pep.SOLVER_OPTIONS, "CLARABEL", {"max_iter": 1})
    monkeypatch.setitem(pep.SOLVER_OPTIONS, "SCS", {"eps_abs": 1e-8, "eps_rel": 1e-8, "max_iters": 10})
    pep._cached_solve.cache_clear()
    yield
    pep._cached_solve.cache_clear()


def test_an_inaccurate_solve_carries_its_status_and_warns(capped_solvers):
    with pytest.warns(InaccurateWorstCase, match="SCS reported 'optimal_inaccurate'"):
        result = theory.worst_case("gd", 1.0, 10.0, 2 / 11, 0.0, 2)
    assert result.solver == "SCS" and result.status == "optimal_inaccurate" and not result.accurate
    assert abs(result.value - (9 / 11) ** 4) > 1e-5 * (9 / 11) ** 4  # beyond the accuracy claimed for "optimal"


def test_cli_flags_an_inaccurate_worst_case(capped_solvers, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InaccurateWorstCase)  # the CLI says it in its output instead
        assert main(["rate", "--method", "gd", "--mu", "1", "--L", "10", "--lr", str(2 / 11), "--pep", "2"]) == 0
    cap = capsys.readouterr()
    assert "(solver SCS, status optimal_inaccurate INACCURATE)" in cap.out
    assert "the PEPit worst case is inaccurate: SCS reported 'optimal_inaccurate'" in cap.err


def test_an_accurate_solve_shows_its_status(capsys):
    assert main(["rate", "--method", "gd", "--mu", "1", "--L", "10", "--lr", str(2 / 11), "--pep", "2"]) == 0
    out = capsys.readouterr().out
    assert "status optimal)" in out and "INACCURATE" not in out


@pytest.mark.parametrize("argv, flag, match", [
    (["--mu", "1e-300", "--L", "1e300"], "--mu, --L", r"kappa = L/mu must be at most 1/eps = 4.5e\+15"),
    (["--mu", "5e-324", "--L", "1e-310"], "--mu, --L", "mu must be at least 2.23e-308"),
    (["--mu", "nan", "--L", "1"], "--mu", "mu must lie in"),
    (["--mu", "1", "--L", "inf"], "--L", "L must lie in"),
    (["--mu", "1", "--L", "4", "--lr", "-1", "--beta", "0.5"], "--lr", "lr must lie in"),
    (["--mu", "1", "--L", "4", "--lr", "0.1", "--beta", "1"], "--beta", r"beta must lie in \[0.0, 1.0\)"),
    (["--mu", "1", "--L", "4", "--pep", "0"], "--pep", "n must be >= 1"),
    (["--mu", "1", "--L", "4", "--pep", "31"], "--pep", "n must be <= 30"),
])
def test_every_bad_input_exits_2_naming_its_flag(argv, flag, match, capsys):
    assert main(["rate"] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"amtoolkit: error: {flag}: ")
    assert __import__("re").search(match, err)


def test_the_library_refuses_a_kappa_that_rounds_every_rate_to_1():
    with pytest.raises(ValueError, match="kappa = L/mu must be at most"):
        theory.polyak_heavy_ball(1e-300, 1e300)
    assert theory.gd_rate(2 / (1 + 1e15), 1.0, 1e15) < 1.0  # κ = 1e15 is still allowed
