"""lr="c/L" resolved when the run starts, and the minibatch warning of am_mgd."""

import warnings

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit import optimizers as O

# every registered optimizer, with the settings that run on a small quadratic
EXTRA = {"rllc": {"c2": 0.0}}


@pytest.fixture
def quad():
    return amt.Quadratic.random(dim=10, cond=30, seed=1)


def _numbers(h):
    return h.frame.drop(columns=["time", "lr_given"], errors="ignore")


@pytest.mark.parametrize("name", O.available())
def test_one_over_L_is_bit_identical_to_the_float(name, quad):
    a = amt.run(O.get(name, lr="1/L", **EXTRA.get(name, {})), quad, steps=15)
    b = amt.run(O.get(name, lr=1 / quad.smoothness, **EXTRA.get(name, {})), quad, steps=15)
    pd.testing.assert_frame_equal(_numbers(a), _numbers(b), check_exact=True)
    assert a.meta["lr_given"] == "1/L" and b.meta["lr_given"] is None
    assert a.meta["hyper"]["lr"] == 1 / quad.smoothness  # recorded as resolved, too
    assert set(a.frame.lr_given) == {"1/L"} and "lr_given" not in b.frame


def test_relative_lr_on_logistic_and_batched_strings():
    p = amt.load_problem("synthetic", n_samples=200, n_features=5)
    a = amt.run(O.mgd(lr=["0.5/L", "2/L"], beta=0.9), p, steps=20)
    b = amt.run(O.mgd(lr=np.array([0.5, 2.0]) / p.smoothness, beta=0.9), p, steps=20)
    pd.testing.assert_frame_equal(_numbers(a), _numbers(b), check_exact=True)
    assert list(a.final().lr_given) == ["0.5/L", "2/L"]


def test_minimize_accepts_relative_lr(quad):
    fun, jac = quad.value, quad.grad
    x0 = np.zeros(quad.dim)
    a = amt.minimize(fun, x0, jac, "heavy_ball", {"lr": "1/L", "smoothness": quad.smoothness, "maxiter": 30})
    b = amt.minimize(fun, x0, jac, "heavy_ball", {"lr": 1 / quad.smoothness, "maxiter": 30})
    assert np.array_equal(a.x, b.x) and a.nit == b.nit
    with pytest.raises(ValueError, match=r"lr='1/L' needs the smoothness constant.*options\['smoothness'\]"):
        amt.minimize(fun, x0, jac, "gd", {"lr": "1/L"})
    with pytest.raises(ValueError, match="smoothness"):
        amt.minimize(fun, x0, jac, "gd", {"lr": "1/L", "smoothness": -1.0})


def test_cli_set_relative_lr_equals_the_float(quad, tmp_path):
    q = amt.Quadratic.random(dim=12, cond=50, seed=3)  # what --dim 12 --cond 50 --seed 3 builds
    args = ["run", "--dim", "12", "--cond", "50", "--seed", "3", "--optimizer", "mgd", "--steps", "25"]
    assert cli.main(args + ["--set", "lr=0.5/L", "--out", str(tmp_path / "a.csv")]) == 0
    assert cli.main(args + ["--set", f"lr={0.5 / q.smoothness!r}", "--out", str(tmp_path / "b.csv")]) == 0
    a = pd.read_csv(tmp_path / "a.csv")
    b = pd.read_csv(tmp_path / "b.csv")
    assert np.array_equal(a.loss, b.loss) and np.array_equal(a.hp_lr, b.hp_lr)
    assert set(a.lr_given) == {"0.5/L"}


@pytest.mark.parametrize("name", O.available())
@pytest.mark.parametrize("bad", ["abc/L", "1/M", "0/L", "-1/L", "inf/L", "1e400/L", "1/L/L", ["1/L", "x/L"]])
def test_bad_relative_lr_is_refused_at_construction(name, bad):
    with pytest.raises(ValueError, match=r"lr=.*'c/L' with a number c > 0"):
        O.get(name, lr=bad)


def test_relative_lr_needs_a_smoothness_constant():
    p = amt.problems.base.FunctionProblem(lambda x: (x ** 2).sum(-1), lambda x: 2 * x, 3)
    with pytest.raises(ValueError, match="does not provide"):
        amt.run(O.gd(lr="1/L"), p, steps=2)


def test_am_mgd_minibatch_warns_and_points_to_am_msgd():
    p = amt.load_problem("synthetic", n_samples=200, n_features=5)
    with pytest.warns(UserWarning, match=r"am_mgd with batch_size=16.*two different minibatches.*am_msgd"):
        amt.run(O.am_mgd(lr=0.5), p, steps=3, batch_size=16)
    with pytest.warns(UserWarning, match=r"offset='first_order'"):
        amt.run(O.am_adamw(offset="previous"), p, steps=3, batch_size=16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        amt.run(O.am_msgd(lr=0.5), p, steps=3, batch_size=16)  # first-order offset: no warning
        amt.run(O.am_mgd(lr=0.5), p, steps=3)  # full gradients: no warning
