import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O

pytest.importorskip("cvxpy", reason="cvxpy is not installed")


@pytest.mark.parametrize("problem_name", ["quadratic", "breast_cancer"])
@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_validate_200_step_am_mgd_run(problem_name, lam):
    if problem_name == "quadratic":
        p = amt.Quadratic.random(dim=40, cond=1e3, seed=3)
        lr = 1.0
    else:
        p = amt.load_problem("breast_cancer", reg=1e-3)
        lr = 1.0 / p.smoothness
    h = amt.run(O.am_mgd(lr=lr, lam=lam, beta_max=0.95, offset="bundle" if lam else "previous"), p, 200)
    report = amt.validate.validate_history(h, p, every=10)
    assert len(report) == 19
    assert report.ok.all(), report[~report.ok]
    assert (report.status == "optimal").all()
    assert report.beta_error.max() <= 1e-6 and report.x_error.max() <= 1e-6


def test_validate_am_adamw_run():
    p = amt.load_problem("breast_cancer", reg=1e-3)
    h = amt.run(O.am_adamw(lr=0.05, lam=0.1, weight_decay=0.05), p, 60)
    report = amt.validate.validate_history(h, p, every=5)
    assert report.ok.all(), report[~report.ok]


def test_validate_history_refuses_other_methods():
    q = amt.Quadratic.random(dim=5, seed=0)
    with pytest.raises(ValueError, match="needs a history of an AM optimizer"):
        amt.validate.validate_history(amt.run(O.mgd(), q, 5), q)


def test_validate_reset_variant_checks_beta_am_only():
    q = amt.Quadratic.random(dim=10, cond=100, seed=0)
    h = amt.run(O.am_msgd(lr=0.5, lam=0.1, variant="reset", theta=0.7), q, 40)
    report = amt.validate.validate_history(h, q, every=4)
    assert report.ok.all() and report.x_error.isna().all()
