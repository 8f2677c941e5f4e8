"""measured_rate against analytic geometric sequences and exact one-dimensional runs."""

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit.theory import measured_rate


def _frame(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"run": 0, "step": np.arange(n), **columns})


def test_geometric_gap_gives_its_square_root_and_drops_values_that_are_not_positive():
    # gap_t = 0.25^t: the error rate is 0.5 (exponent 2); the trailing exact 0 and the NaN
    # are dropped, not fitted as log(0) = -inf
    gap = [0.25 ** t for t in range(6)] + [0.0, np.nan]
    assert measured_rate(_frame(gap=gap)).iloc[0] == pytest.approx(0.5, rel=1e-12)
    # other columns use exponent 1 unless told
    assert measured_rate(_frame(grad_norm=gap), column="grad_norm").iloc[0] == pytest.approx(0.25, rel=1e-12)
    assert measured_rate(_frame(gap=gap), exponent=1.0).iloc[0] == pytest.approx(0.25, rel=1e-12)


def test_three_positive_rows_are_enough_two_are_not():
    assert measured_rate(_frame(gap=[1.0, 0.81, 0.6561])).iloc[0] == pytest.approx(0.9, rel=1e-12)
    assert np.isnan(measured_rate(_frame(gap=[1.0, 0.81, 0.0])).iloc[0])


def test_window_keeps_the_last_rows():
    # rate 0.5 for 5 steps, then 0.9: a window of 4 sees only the 0.9 tail
    g = np.concatenate([0.5 ** np.arange(5), 0.5 ** 4 * 0.9 ** np.arange(1, 5)])
    assert measured_rate(_frame(grad_norm=g), window=4, column="grad_norm").iloc[0] == pytest.approx(0.9, rel=1e-12)


def test_runs_are_measured_separately_and_indexed_in_increasing_order():
    frame = pd.concat([_frame(gap=0.64 ** np.arange(5)).assign(run=3),
                       _frame(gap=0.01 ** np.arange(5)).assign(run=1)])
    out = measured_rate(frame)
    assert list(out.index) == [1, 3]
    np.testing.assert_allclose(out.to_numpy(), [0.1, 0.8], rtol=1e-12)


def test_grad_norm_of_gd_on_a_one_dimensional_quadratic():
    # f = ½·3x²: the gradient norm of gd contracts by exactly |1 - 0.1·3| = 0.7 per step
    h = amt.run(amt.optimizers.gd(lr=0.1), amt.Quadratic(np.array([[3.0]]), np.zeros(1)), 30, x0=np.ones(1))
    assert measured_rate(h, column="grad_norm").iloc[0] == pytest.approx(0.7, rel=1e-9)
    assert measured_rate(h).iloc[0] == pytest.approx(0.7, rel=1e-9)  # gap ∝ 0.49^t, exponent 2


def _quadratic(spectrum):
    return amt.Quadratic(np.diag(spectrum), np.zeros(len(spectrum)))


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
