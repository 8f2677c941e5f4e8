"""amt.run(..., seeds=[...]) against single runs."""

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O


@pytest.fixture(scope="module")
def problem():
    return amt.load_problem("synthetic", n_samples=300, n_features=8)


def test_seeds_equal_single_runs_with_unique_ids(problem):
    opt = O.mgd(lr=0.5, beta=[0.0, 0.9])  # K = 2 configurations per seed
    h = amt.run(opt, problem, steps=30, batch_size=32, seeds=[0, 1, 2])
    assert h.n_runs == 6 and sorted(h.frame.run.unique()) == list(range(6))
    assert h.meta["seed"] == [0, 1, 2] and np.shape(h.x) == (6, problem.dim)
    assert h.optimizer.hyper == opt.hyper
    for i, seed in enumerate([0, 1, 2]):
        single = amt.run(opt, problem, steps=30, batch_size=32, seed=seed)
        part = h.frame[h.frame.run.isin([2 * i, 2 * i + 1])].reset_index(drop=True)
        assert (part.seed == seed).all()
        part = part.assign(run=part.run - 2 * i)
        pd.testing.assert_frame_equal(part.drop(columns="time"), single.frame.drop(columns="time"))
        np.testing.assert_array_equal(h.x[2 * i:2 * i + 2], single.x)
    # the seeds do differ (different minibatches)
    assert not np.array_equal(h.frame[h.frame.run == 0].loss, h.frame[h.frame.run == 2].loss)


def test_seeds_without_minibatches_warn(problem):
    with pytest.warns(UserWarning, match="identical"):
        h = amt.run(O.gd(lr=0.5), problem, steps=3, seeds=[0, 1])
    assert h.frame.groupby("run").seed.first().tolist() == [0, 1]


@pytest.mark.parametrize("seeds, err", [(3, TypeError), ([], ValueError), ([0, 0], ValueError),
                                        ([-1], ValueError), ([0.5], ValueError), ([True], ValueError)])
def test_bad_seeds(problem, seeds, err):
    with pytest.raises(err, match="seeds"):
        amt.run(O.gd(), problem, steps=2, batch_size=8, seeds=seeds)
