"""measured_rate leaves the round-off floor out of its fit (issue 21, item 12).

The principle: a gap at the round-off floor ``4·eps·|f*|`` (flagged ``gap_at_roundoff`` by
amt.run) is rounding noise, not decay; the fit uses only the rows before a run first reaches
the floor, and a RoundoffWarning says how many rows were left out. The reference is an exact
geometric sequence (and gd on a 1-D quadratic, whose error contracts by exactly |1 - ηa|).
"""

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit.theory import measured_rate
from amtoolkit.theory.measure import RoundoffWarning


def _floored_geometric(rate=0.82, steps=100, level=1e-12):
    """gap_t = rate^(2t) floored at ``level`` as amt.run floors it; one noise row just above
    the floor after it was first reached, as round-off gives."""
    gap = rate ** (2.0 * np.arange(steps))
    low = gap < level
    gap = np.where(low, level, gap)
    first = int(np.argmax(low))
    gap[first + 3], low[first + 3] = 2.0 * level, False  # noise bouncing off the floor
    return pd.DataFrame({"run": 0, "step": np.arange(steps), "gap": gap, "gap_at_roundoff": low}), first


def test_an_exact_geometric_gap_that_reaches_the_floor_gives_its_rate():
    frame, first = _floored_geometric()
    assert 30 <= steps_left(frame, first) <= 40  # a good share of the window is at the floor
    with pytest.warns(RoundoffWarning, match=rf"{len(frame) - first} rows of 'gap' at or after the round-off floor"):
        rate = measured_rate(frame).iloc[0]
    assert rate == pytest.approx(0.82, rel=1e-12)
    # without the flag column the same values are fitted as they are: the plateau pulls the
    # rate up (0.856 here)
    assert measured_rate(frame.drop(columns="gap_at_roundoff")).iloc[0] > 0.85


def steps_left(frame, first):
    return len(frame) - first


def test_rel_gap_is_cut_at_the_floor_too_and_grad_norm_is_not():
    """rel_gap = gap/gap_0 decays as the gap, so its default exponent is 2 as the gap's."""
    frame, first = _floored_geometric()
    frame["rel_gap"] = frame["gap"] / frame["gap"].iloc[0]
    with pytest.warns(RoundoffWarning):
        assert measured_rate(frame, column="rel_gap").iloc[0] == pytest.approx(0.82, rel=1e-12)
    frame["grad_norm"] = 0.82 ** np.arange(len(frame))  # not floored: every row is fitted, no warning
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measured_rate(frame, column="grad_norm").iloc[0] == pytest.approx(0.82, rel=1e-12)


def test_gd_on_a_one_dimensional_quadratic_that_reaches_the_floor():
    # f = x² + 3x (f* = -2.25 ≠ 0, so the floor 4·eps·2.25 is reached at step 88 of 200):
    # the error contracts by |1 - 0.09·2| = 0.82 per step
    q = amt.Quadratic(np.array([[2.0]]), np.array([3.0]))
    h = amt.run(amt.optimizers.gd(lr=0.09), q, 200, x0=np.zeros(1))
    assert h.frame.gap_at_roundoff.sum() > 100
    with pytest.warns(RoundoffWarning):
        assert measured_rate(h).iloc[0] == pytest.approx(0.82, rel=1e-3)
