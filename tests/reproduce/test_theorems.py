"""The AM theorems against AM-MSGD runs under their settings."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit.theory import am_theorem_3_3, check_theorem_3_3, check_theorem_3_4


@pytest.mark.slow
def test_theorem_3_3_holds_on_breast_cancer():
    p = amt.load_problem("breast_cancer", reg=1e-3)
    df = check_theorem_3_3(p, T=[1000, 4000], seeds=[0])
    assert list(df["T"]) == [1000, 4000]
    assert (df["measured_gap"] > 0).all()
    assert (df["measured_gap"] < df["bound"]).all()
    assert np.allclose(df["slack"], df["bound"] - df["measured_gap"])
    # the bound column is the formula of Eq. 17 with the reported inputs
    row = df.iloc[0]
    assert row["bound"] == pytest.approx(am_theorem_3_3(row["dist0_sq"], np.sqrt(row["G2"]), 1000))


def test_theorem_3_3_settings_and_G2_on_a_tiny_problem():
    # a deterministic quadratic: G² is the largest ‖∇f(x_t)‖², x̄_T the mean of x_1..x_T,
    # rebuilt here from a loop written from Algorithm 1 with λ = 0, β_max = 1/T, η = 1/√T
    q = amt.Quadratic(np.diag([1.0, 2.0]), np.array([-1.0, 1.0]))
    T = 50
    df = check_theorem_3_3(q, T=T, seeds=[0], batch_size=None)
    x, d, lr, bmax = np.zeros(2), None, 1 / np.sqrt(T), 1 / T
    xs, g2 = [], []
    for t in range(T):
        g = q.A @ x + q.b
        g2.append(g @ g)
        if t == 0:
            d = g
        else:
            dg = d - g
            beta = 0.0 if dg @ dg == 0 else min(max((g @ g) / (dg @ dg), 0.0), bmax)  # first-order Δf, λ = 0
            d = beta * d + (1 - beta) * g
        x = x - lr * d
        xs.append(x)
    g = q.A @ x + q.b
    g2.append(g @ g)
    xbar = np.mean(xs, axis=0)
    assert df["G2"].iloc[0] == pytest.approx(max(g2), rel=1e-12)
    assert df["measured_gap"].iloc[0] == pytest.approx(float(q.value(xbar)) - q.f_star, rel=1e-9)


def test_theorem_3_4_printed_is_violated_and_corrected_holds():
    p = amt.load_problem("breast_cancer", reg=1e-2)
    df = check_theorem_3_4(p, T=400, seeds=[0], c=0.5)
    row = df.iloc[0]
    assert row["bound_printed"] < 0 <= row["measured"]       # erratum: the printed form fails
    assert row["measured"] <= row["bound_corrected"]
    assert row["slack_corrected"] == pytest.approx(row["bound_corrected"] - row["measured"])
    assert "erratum" in df.attrs["note"]


@pytest.mark.parametrize("call, match", [
    (lambda q: check_theorem_3_3(q, T=1), "T must be an integer >= 2"),
    (lambda q: check_theorem_3_3(q, T=[], seeds=[0]), "T must be an integer >= 2 or a non-empty list"),
    (lambda q: check_theorem_3_3(q, T=10, seeds=[]), "seeds must be a non-empty list"),
    (lambda q: check_theorem_3_3("q", T=10), "problem must be an amtoolkit Problem"),
    (lambda q: check_theorem_3_4(q, T=10, c=1.0), r"c must lie in \(0.0, 1.0\)"),
    (lambda q: check_theorem_3_3(q, T=10, lam=-1.0), "lam must lie in"),
])
def test_bad_inputs(call, match):
    q = amt.Quadratic(np.eye(2), np.ones(2))
    with pytest.raises((ValueError, TypeError), match=match):
        call(q)


def test_a_horizon_whose_iterates_do_not_fit_is_refused_before_any_run(monkeypatch):
    """Issue 21, item 14: T = 1e9 kept every iterate until memory ran out; now it is refused up
    front (every iterate x_0..x_T is kept per run), naming T and the size."""
    import importlib

    import amtoolkit as amt

    run_module = importlib.import_module("amtoolkit.runner.run")  # the module (amtoolkit.runner.run is the function)

    monkeypatch.setattr(run_module, "_loop", lambda *a, **k: pytest.fail("a run started"))
    p = amt.load_problem("breast_cancer", reg=1e-2)
    for check in (amt.theory.check_theorem_3_3, amt.theory.check_theorem_3_4):
        with pytest.raises(ValueError, match=r"T: keeping the 1000000001 iterates x_0..x_T of dimension 30 "
                                             r"would need 224 GiB"):
            check(p, T=[100, 10 ** 9], seeds=[0])
