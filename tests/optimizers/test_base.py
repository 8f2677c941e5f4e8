"""The optimizer records of amtoolkit.optimizers.base: ranges, bound hyperparameters,
batch shapes and the registry's help lines, against values written out here."""

import inspect

import numpy as np
import pytest

from amtoolkit import optimizers as O
from amtoolkit.optimizers.base import POSITIVE, UNIT_INTERVAL, Range, make_state


@pytest.mark.parametrize("low_closed, high_closed", [(True, True), (True, False), (False, True), (False, False)])
def test_range_accepts_exactly_its_interval(low_closed, high_closed):
    r = Range(0.0, 1.0, low_closed=low_closed, high_closed=high_closed)
    for value, inside in ((0.0, low_closed), (1.0, high_closed), (0.5, True), (-1e-300, False),
                          (1.0 + 1e-15, False)):
        if inside:
            assert r.check("x", value) == value
        else:
            with pytest.raises(ValueError, match="x must lie in"):
                r.check("x", value)
    assert Range().check("x", -7.5) == -7.5  # no bounds: any finite real
    assert UNIT_INTERVAL.check("beta", 1.0) == 1.0
    with pytest.raises(ValueError):
        POSITIVE.check("lr", 0.0)


def test_a_schedule_is_called_once_per_step():
    calls = []

    def lr(t):
        calls.append(t)
        return 0.1 * (t + 1)

    hyper = make_state(np.zeros((2, 3)), {"lr": lr}).hyper
    assert hyper.row_at("lr", 4) == pytest.approx(0.5) and hyper.col_at("lr", 4) == pytest.approx(0.5)
    assert hyper.row_at("lr", 4) == pytest.approx(0.5)
    assert calls == [4]
    hyper.col_at("lr", 5)
    assert calls == [4, 5]


def test_per_run_schedule_gives_rows_and_columns():
    hyper = make_state(np.zeros((2, 3)), {"lr": lambda t: np.array([0.1, 0.2])}).hyper
    assert hyper.row_at("lr", 0).shape == (2,) and hyper.col_at("lr", 0).shape == (2, 1)
    np.testing.assert_array_equal(hyper.col_at("lr", 0)[:, 0], [0.1, 0.2])


def test_batch_shape_reads_vector_hyperparameters_without_their_last_axis():
    assert O.rllc(lr=0.1, law0=np.eye(2)).batch_shape == (2,)  # two laws of k = 2 units
    assert O.rllc(lr=0.1, law0=[1.0, 0.0]).batch_shape == ()
    assert O.adamw(betas=(np.array([0.9, 0.8, 0.7]), 0.999)).batch_shape == (3,)
    assert O.heavy_ball(lr=lambda t: np.array([0.1, 0.2]), beta=0.5).batch_shape == (2,)
    assert O.gd(lr="1/L").batch_shape == ()
    assert O.gd(lr=lambda t: [0.1][t]).batch_shape == ()  # a 1-step schedule: read at step 0 only


def test_state_dtype_is_the_iterate_s():
    assert O.gd(lr=0.1).init(np.zeros(3, dtype=np.float32)).dtype == np.float32


def test_signature_help_is_the_signature_and_the_first_paragraph():
    assert O.signature_help("gd") == "gd(lr=0.1): Gradient descent: ``x ← x - η g``."
    for name in O.available():  # every line: name(defaults): the docstring's first paragraph, on one line
        fn = getattr(O, name)
        sig = ", ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
                        for p in inspect.signature(fn).parameters.values())
        first = " ".join(inspect.getdoc(fn).split("\n\n")[0].split())
        assert O.signature_help(name) == f"{name}({sig}): {first}"
