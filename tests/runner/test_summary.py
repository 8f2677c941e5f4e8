"""History.summary and the derived columns, against values computed by hand."""

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit import optimizers as O


@pytest.fixture
def quad():
    return amt.Quadratic.random(dim=20, cond=100, seed=0)


def test_summary_equals_values_computed_by_hand(quad):
    # run 0 reaches a relative gap of 1e-6, run 1 (tiny step) never does
    h = amt.run(O.mgd(lr=np.array([1.0, 1e-3]) / quad.smoothness, beta=[0.9, 0.5]), quad, steps=400)
    s = h.summary(tol=1e-6)
    f = h.frame
    assert list(s.run) == [0, 1]
    for r in (0, 1):
        rows = f[f.run == r]
        gap = rows.loss.to_numpy() - quad.f_star
        rel = gap / gap[0]
        hit = np.flatnonzero(rel <= 1e-6)
        row = s.iloc[r]
        assert row.final_loss == rows.loss.iloc[-1]
        assert row.final_gap == pytest.approx(gap[-1], rel=1e-9, abs=1e-12)
        assert row.final_rel_gap == pytest.approx(rel[-1], rel=1e-9, abs=1e-12)
        assert row.min_gap == pytest.approx(gap.min(), rel=1e-9, abs=1e-12)
        assert row.max_rel_gap == pytest.approx(rel.max(), rel=1e-12)
        assert row.mean_beta == pytest.approx(rows.beta.iloc[:-1].mean())
        assert row.steps == 400 and row.status == "finished"
        if hit.size:
            assert row.steps_to_tol == rows.step.iloc[hit[0]]
        else:
            assert pd.isna(row.steps_to_tol)
    assert s.steps_to_tol.notna().tolist() == [True, False]
    assert list(s.label) == [f"mgd(lr={1 / quad.smoothness:g}, beta=0.9)",
                             f"mgd(lr={1e-3 / quad.smoothness:g}, beta=0.5)"]


def test_summary_mean_beta_of_am_and_nan_without_beta(quad):
    am = amt.run(O.am_mgd(lr="1/L"), quad, steps=60)
    f = am.frame
    assert am.summary().mean_beta.iloc[0] == pytest.approx(f.beta[f.step < 60].mean())
    assert am.summary().label.iloc[0].startswith("am_mgd(lr=1/L")
    assert np.isnan(amt.run(O.gd(lr=0.1), quad, steps=5).summary().mean_beta.iloc[0])


def test_summary_overshoot_and_divergence(quad):
    h = amt.run(O.gd(lr=np.array([2.5, 0.5]) / quad.smoothness), quad, steps=3000)
    s = h.summary()
    assert s.status.tolist() == ["diverged", "finished"]
    assert s.max_rel_gap.iloc[0] > 1 and s.max_rel_gap.iloc[1] == 1.0  # gd at 0.5/L descends


@pytest.mark.parametrize("tol", [0.0, -1.0, float("nan"), "x"])
def test_summary_bad_tol(quad, tol):
    h = amt.run(O.gd(), quad, steps=2)
    with pytest.raises((ValueError, TypeError), match="tol"):
        h.summary(tol=tol)


def test_rel_gap_and_dist_to_opt_against_a_hand_loop(quad):
    lr = 0.5 / quad.smoothness
    h = amt.run(O.gd(lr=lr), quad, steps=30)
    A, b, x_star = quad.A, quad.b, np.linalg.solve(quad.A, -quad.b)
    x, dist = np.zeros(quad.dim), []
    for _ in range(31):
        dist.append(np.linalg.norm(x - x_star))
        x = x - lr * (A @ x + b)
    np.testing.assert_allclose(h.frame.dist_to_opt, dist, rtol=1e-10)
    np.testing.assert_allclose(h.frame.rel_gap, h.frame.gap / h.frame.gap.iloc[0], rtol=1e-15)
    assert "dist_to_opt" not in amt.run(O.gd(lr=lr), quad, steps=3, dist_to_opt=False).frame
    assert "dist_to_opt" not in amt.run(O.gd(lr=lr), quad, steps=3, f_star=None).frame
    with pytest.raises(TypeError, match="dist_to_opt must be True or False, got 'yes'"):
        amt.run(O.gd(lr=lr), quad, steps=3, dist_to_opt="yes")


def test_gap_at_roundoff_is_floored_and_flagged():
    """A converged run: f(x_t) - f* is rounding noise of f, which c = 1e3 keeps near
    ulp(1e3) ≈ 1.1e-13, well inside the level 4·eps·|f*| ≈ 8.9e-13 (its sign is the BLAS
    kernel's business, so only its size is asserted)."""
    r = amt.Quadratic.random(dim=5, cond=3, seed=2)
    q = amt.Quadratic(r.A, r.b, c=1e3)
    h = amt.run(O.gd(lr=0.5), q, steps=200)
    f = h.frame
    level = 4 * np.finfo(float).eps * abs(q.f_star)
    raw = f.loss - q.f_star
    assert (raw.abs().iloc[-50:] < level / 2).all()  # converged: the margin this test relies on
    assert (f.gap > 0).all()
    np.testing.assert_array_equal(f.gap_at_roundoff, raw < level)
    np.testing.assert_array_equal(f.gap, np.maximum(raw, level))
    assert f.gap_at_roundoff.iloc[-50:].all() and not f.gap_at_roundoff.iloc[0]


def test_negative_and_tiny_gaps_are_floored_at_the_level():
    """The floor on a frame built by hand: negative, zero, sub-level, NaN and large raw gaps."""
    from amtoolkit.runner.summary import add_derived_columns
    f_star, eps = -2.0, np.finfo(float).eps
    level = 4 * eps * 2.0
    raw = np.array([5.0, 1e-3, level * 0.5, 0.0, -3 * level, np.nan])
    frame = pd.DataFrame({"run": 0, "step": np.arange(raw.size), "gap": raw})
    out = add_derived_columns(frame, f_star=f_star, eps=eps)
    np.testing.assert_array_equal(out.gap_at_roundoff, [False, False, True, True, True, False])
    np.testing.assert_array_equal(out.gap, [5.0, 1e-3, level, level, level, np.nan])
    np.testing.assert_allclose(out.rel_gap, out.gap / 5.0)


def test_final_row_carries_every_method_column(quad):
    h = amt.run(O.rllc(lr=0.5 / quad.smoothness, memory="M(0.9)+M(0.0)", c2=1e-4), quad, steps=10)
    last, before = h.frame.iloc[-1], h.frame.iloc[-2]
    cols = [c for c in h.frame if c.startswith(("law", "correction"))] + ["lr"]  # rllc has no β
    assert len(cols) > 2
    for c in cols:
        assert np.isfinite(last[c]) and last[c] == before[c]
    am = amt.run(O.am_mgd(), quad, steps=5).final()
    assert am[["beta", "beta_am", "beta_raw", "effective_momentum", "offset_gap"]].notna().all(axis=None)


def test_cli_run_prints_the_summary(capsys):
    assert cli.main(["run", "--dim", "10", "--set", "lr=1/L", "--set", "beta=0,0.9", "--steps", "30"]) == 0
    out = capsys.readouterr().out
    for word in ("steps_to_tol", "final_rel_gap", "max_rel_gap", "mean_beta", "mgd(lr=1/L, beta=0.9)"):
        assert word in out


def test_summary_does_not_change_with_record_every():
    """Issue 21, item 8: mean_beta was 0.979 with every row and 0.899 with record_every = 97,
    and steps_to_tol moved from 257 to 300. Now mean_beta is over every update whatever rows
    are kept, and steps_to_tol comes with the bracket [steps_to_tol_from, steps_to_tol] that
    holds the first step, exact when every step is recorded."""
    p = amt.load_problem("breast_cancer", reg=1e-3)
    q = amt.Quadratic.random(dim=20, cond=50, seed=0)
    for problem, opt in ((p, O.am_mgd(lr="1/L")), (q, O.am_mgd(lr="1/L"))):
        full = amt.run(opt, problem, 300).summary(tol=1e-6).iloc[0]
        for every in (7, 97, 100):
            sparse = amt.run(opt, problem, 300, record_every=every).summary(tol=1e-6).iloc[0]
            assert sparse.mean_beta == pytest.approx(full.mean_beta, rel=1e-12)
            if pd.isna(full.steps_to_tol):
                assert pd.isna(sparse.steps_to_tol)
                continue
            assert full.steps_to_tol_from == full.steps_to_tol
            assert sparse.steps_to_tol_from <= full.steps_to_tol <= sparse.steps_to_tol
            assert sparse.steps_to_tol - sparse.steps_to_tol_from < every
    betas = amt.run(O.am_mgd(lr="1/L"), q, 300).frame.beta.to_numpy()[:-1]
    assert full.mean_beta == pytest.approx(np.mean(betas), rel=1e-12)  # independent: the plain mean
