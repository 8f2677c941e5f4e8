import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.model import two_plane


def _logistic():
    X, y = amt.problems.make_logistic_data(80, 6, seed=0)
    return amt.LogisticRegression(X, y, reg=1e-2)


def _quadratic():
    return amt.Quadratic.random(dim=20, cond=100, seed=3)


def _interior(report, beta_max):
    b = report.beta_closed
    return float(((b > 1e-6) & (b < beta_max - 1e-6)).mean())


# Runs whose β is strictly inside (0, β_max) on most checked steps, so that the QPs check the
# interior closed form and not only the clipped ends, and whose steps stay well above the
# rounding of the iterates (the recomputed offsets difference them).
RUNS = {
    "quadratic-previous": (_quadratic, 1.8, dict(lam=0.0, beta_max=0.999, offset="previous")),
    "breast_cancer-previous": (lambda: amt.load_problem("breast_cancer", reg=1e-3), 1.8,
                               dict(lam=1.0, beta_max=0.999, offset="previous")),
    "logistic-bundle": (_logistic, 1.5, dict(lam=10.0, beta_max=0.95, offset="bundle")),
    "quadratic-distance": (_quadratic, 1.0, dict(lam=5.0, beta_max=0.95, offset="distance")),
}


@pytest.mark.parametrize("run", sorted(RUNS))
def test_validate_200_step_am_mgd_run(run):
    make, lr_factor, kw = RUNS[run]
    p = make()
    h = amt.run(O.am_mgd(lr=lr_factor / p.smoothness, **kw), p, 200, x0=np.full(p.dim, 0.3))
    report = amt.validate.validate_history(h, p, every=10)
    assert len(report) == 19
    assert report.ok.all(), report[~report.ok]
    assert (report.status == "optimal").all()
    assert report.beta_error.max() <= 1e-6 and report.x_error.max() <= 1e-6
    assert _interior(report, kw["beta_max"]) > 0.5


def _am_msgd_history(steps):
    q = _quadratic()
    return amt.run(O.am_msgd(lr=1.0 / q.smoothness, lam=0.1, beta_max=0.999), q, steps, x0=np.full(20, 0.3)), q


def test_validate_am_msgd_run():
    h, q = _am_msgd_history(100)
    report = amt.validate.validate_history(h, q, every=5)
    assert report.ok.all(), report[~report.ok]
    assert _interior(report, 0.999) > 0.5


def _am_adamw_history(offset):
    X, y = amt.problems.make_logistic_data(80, 6, seed=0)
    p = amt.LogisticRegression(X, y, reg=1e-2)
    h = amt.run(O.am_adamw(lr=0.05, lam=0.5, weight_decay=0.05, offset=offset), p, 100, x0=np.full(6, 0.5))
    return h, p


def _passed(report, n_checked):
    """Every one of the ``n_checked`` steps (100 steps, every 3rd from step 3: 33) agrees with
    the QP, the step x_{t+1} included (an empty report or a NaN x_error would pass ``ok``)."""
    assert len(report) == n_checked
    assert report.ok.all(), report[~report.ok]
    assert report.x_error.notna().all() and report.x_error.max() <= 1e-6


def test_validate_am_adamw_run_previous_offset():
    h, p = _am_adamw_history("previous")
    report = amt.validate.validate_history(h, p, every=3)
    _passed(report, 33)
    assert _interior(report, 0.9) > 0.25  # β strictly inside (0, β_max) on a good share of the checked steps


def test_validate_am_adamw_run_first_order_offset():
    h, p = _am_adamw_history("first_order")
    _passed(amt.validate.validate_history(h, p, every=3), 33)


def test_recorded_source_checks_the_closed_form_only():
    h, p = _am_adamw_history("first_order")
    _passed(amt.validate.validate_history(h, p, every=3, source="recorded"), 33)


def test_recomputed_source_sees_a_wrong_offset(monkeypatch):
    """An optimizer whose offset is off by a factor of 2 passes the "recorded" check (its β is
    the closed form of its own wrong offset) and fails the "recomputed" one."""
    right = two_plane.first_order_gap
    monkeypatch.setattr(two_plane, "first_order_gap", lambda *a, **k: 2.0 * right(*a, **k))
    h, q = _am_msgd_history(60)
    recorded, recomputed = (amt.validate.validate_history(h, q, every=5, source=src)
                            for src in ("recorded", "recomputed"))
    assert len(recorded) == len(recomputed) == 11
    assert recorded.ok.all() and not recomputed.ok.any()


def test_validate_history_refuses_other_methods():
    q = amt.Quadratic.random(dim=5, seed=0)
    with pytest.raises(ValueError, match="needs a history of an AM optimizer"):
        amt.validate.validate_history(amt.run(O.mgd(), q, 5), q)


@pytest.mark.parametrize("kw, pattern", [
    (dict(source="optimizer"), r"source must be one of \('recomputed', 'recorded'\), got 'optimizer'"),
    (dict(every=0), "every must be an integer >= 1, got 0"),
])
def test_validate_history_bad_input(kw, pattern):
    q = amt.Quadratic.random(dim=5, seed=0)
    with pytest.raises(ValueError, match=pattern):
        amt.validate.validate_history(amt.run(O.am_mgd(), q, 5), q, **kw)


def test_validate_history_refuses_a_fixed_beta():
    q = amt.Quadratic.random(dim=5, seed=0)
    with pytest.raises(ValueError, match="needs an adaptive AM run; this am_adamw has a fixed beta=0.9"):
        amt.validate.validate_history(amt.run(O.am_adamw(beta=0.9), q, 5), q)


def test_validate_reset_variant_checks_beta_am_only():
    q = amt.Quadratic.random(dim=10, cond=100, seed=0)
    h = amt.run(O.am_msgd(lr=0.5, lam=0.1, variant="reset", theta=0.7), q, 40)
    report = amt.validate.validate_history(h, q, every=4)
    assert report.ok.all() and report.x_error.isna().all()
