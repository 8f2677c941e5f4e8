"""The fair-baseline protocol on a tiny problem against a grid search written here."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit.claims import convex


def _problem():
    X, y = amt.problems.make_logistic_data(80, 5, seed=1)
    return amt.LogisticRegression(X, y, reg=1e-2)


def _final_gap(method, cfg, p, T):
    """One configuration of ``method`` as a plain loop written from its definition: its
    final gap and its first step at a 1e-6 relative gap (NaN if none)."""
    x, f_star, L = np.zeros(p.dim), p.f_star, p.smoothness
    lr, beta = cfg["lr"], cfg["beta"]
    x_prev, b, d = x.copy(), None, None
    y = x.copy()
    curve = [float(p.value(x) - f_star)]
    for _ in range(T):
        if method == "GD":
            x = x - lr * p.grad(x)
        elif method == "HB (torch SGD)":  # torch.optim.SGD(lr, momentum=β)
            g = p.grad(x)
            b = g if b is None else beta * b + g
            x = x - lr * b
        elif method == "EMA MGD":  # AM Eq. 1
            g = p.grad(x)
            d = g if d is None else beta * d + (1 - beta) * g
            x = x - lr * d
        elif method == "NAG (known μ)":  # x+ = y - lr∇f(y), y+ = x+ + β(x+ - x); loss at y
            x_new = y - lr * p.grad(y)
            y = x_new + beta * (x_new - x)
            x = x_new
        elif method == "AM-MGD":  # Algorithm 1, λ = 0, β ∈ [0, 1]
            g = p.grad(x)
            if d is None:
                d_new = g
            else:
                e = d - g
                den = e @ e
                bt = 0.0 if den == 0 else min(max(((p.value(x_prev) - p.value(x)) / lr - e @ g) / den, 0.0), 1.0)
                d_new = bt * d + (1 - bt) * g
            x_prev, d = x, d_new
            x = x - lr * d
        curve.append(float(p.value(y if method == "NAG (known μ)" else x) - f_star))
    hit = np.flatnonzero(np.array(curve) <= 1e-6 * curve[0])
    return curve[-1], (float(hit[0]) if hit.size else np.nan)


def test_every_method_gets_the_same_number_of_grid_points():
    for n in (4, 12, 16):
        sizes = {m: len(convex.method_grid(m, n, 2.0, 0.01)[1]) for m in convex.METHODS}
        assert set(sizes.values()) == {n}, sizes
    assert convex.split_grid(16) == (4, 4) and convex.split_grid(12) == (4, 3) and convex.split_grid(7) == (7, 1)
    c = convex.step_grid(5)
    assert c[0] == pytest.approx(0.25) and c[-1] == pytest.approx(16.0)


def test_fair_protocol_matches_a_hand_written_grid_search():
    p, T, n = _problem(), 60, 4
    got = convex.fair_protocol(p, T, n)
    for m in convex.METHODS:
        _, configs = convex.method_grid(m, n, p.smoothness, p.reg)
        gaps, steps = zip(*(_final_gap(m, cfg, p, T) for cfg in configs))
        best = int(np.argmin(gaps))
        np.testing.assert_allclose(got[m]["gaps"], gaps, rtol=1e-7, atol=1e-14, err_msg=m)
        assert got[m]["gap"] == pytest.approx(gaps[best], rel=1e-7), m
        assert got[m]["c"] == configs[best]["c"] and got[m]["lr"] == configs[best]["lr"], m
        # the fewest steps to a 1e-6 relative gap over the grid
        assert got[m]["steps_to_1e-6"] == np.nanmin(steps), m
    # Nesterov's β from the known μ: (1 - √(μ lr))/(1 + √(μ lr))
    _, cfg = convex.method_grid("NAG (known μ)", n, p.smoothness, p.reg)
    q = np.sqrt(p.reg * cfg[0]["lr"])
    assert cfg[0]["beta"] == pytest.approx((1 - q) / (1 + q))


def test_round_off_ties_are_broken_by_speed():
    """On a problem every method solves to round-off within T, the reported configuration is
    the fastest of those at round-off."""
    got = convex.fair_protocol(_problem(), 600, 4, methods=["GD"])["GD"]
    at_roundoff = [i for i, g in enumerate(got["gaps"]) if g <= convex.ROUND_OFF]
    assert len(at_roundoff) >= 2
    assert got["c"] == got["c_fast"] and got["gap"] <= convex.ROUND_OFF


def test_outcome_rule():
    assert convex.outcome(1e-6, 3e-6) == "win"
    assert convex.outcome(3e-6, 1e-6) == "loss"
    assert convex.outcome(1e-6, 1.5e-6) == "par"
    assert convex.outcome(1e-15, 1e-16) == "tie"
    assert convex.outcome(1e-6, 0.0) == "loss"
    assert convex.speed_outcome(100, 300) == "win" and convex.speed_outcome(300, 100) == "loss"
    assert convex.speed_outcome(150, 100) == "par" and convex.speed_outcome(np.nan, np.nan) == "par"
    assert convex.speed_outcome(np.nan, 100) == "loss" and convex.speed_outcome(100, np.nan) == "win"


def test_compare_runs_both_protocols_on_one_problem():
    spec = convex.problem_specs("quick")[-1]  # the quadratic: the cheapest
    row = convex.compare(spec, 4)
    assert row["T"] <= 300 and row["paper vs β*"] in ("win", "par", "loss", "tie")
    base = {m: row[f"fair gap {m}"] for m in convex.BASELINES}
    assert row["fair gap best baseline"] == min(base.values())
    assert row["fair vs best"] == convex.outcome(row["fair gap AM-MGD"], min(base.values()))
    # the paper's MGD β* is on the β grid at step 1/L: never better than the fair EMA MGD's best by much
    assert row["paper gap MGD β*"] >= 0 and row["paper gap AM-MGD"] >= 0


def test_problem_specs():
    full = convex.problem_specs("full", datasets=["heart_scale"])
    fams = {s.family for s in full}
    assert fams == {"LIBSVM", "scikit-learn raw", "scikit-learn standardised", "synthetic dense well-conditioned",
                    "synthetic dense ill-conditioned", "synthetic sparse well-conditioned",
                    "synthetic sparse ill-conditioned", "quadratic (Figure 1)"}
    sparse_ill = next(s for s in full if s.family == "synthetic sparse ill-conditioned").build()
    import scipy.sparse as sp

    assert sp.issparse(sparse_ill.X)
    raw = next(s for s in full if s.name == "wine (raw)").build()
    std = next(s for s in full if s.name == "wine (std)").build()
    assert raw.smoothness > 100 * std.smoothness  # raw features are badly scaled
    np.testing.assert_allclose(np.asarray(std.X).mean(axis=0), 0, atol=1e-12)
    with pytest.raises(ValueError, match="tier must be"):
        convex.problem_specs("medium")
    with pytest.raises(ValueError, match="method must be one of"):
        convex.method_grid("adam", 4, 1.0, 0.1)
