"""Property tests (hypothesis) of the run invariants; the references are single runs and
an update loop written here over the public ``init``/``update``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import amtoolkit as amt
from amtoolkit import optimizers as O

Q = amt.Quadratic.random(dim=5, cond=20, seed=3)
LOG = amt.load_problem("synthetic", reg=1e-2, n_samples=60, n_features=4)
# derandomized: the same examples on every run, so CI cannot fail on a draw nobody can replay
SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

METHODS = {  # name -> hyperparameters drawn per run (lr as a multiple of 1/L)
    "gd": lambda lr, b: dict(lr=lr),
    "mgd": lambda lr, b: dict(lr=lr, beta=b),
    "heavy_ball": lambda lr, b: dict(lr=lr, beta=b),
    "sgd": lambda lr, b: dict(lr=lr, momentum=b),
    "nag": lambda lr, b: dict(lr=lr, beta=b),
    "am_mgd": lambda lr, b: dict(lr=lr, beta_max=b),
    "am_adamw": lambda lr, b: dict(lr=lr * 0.1, beta_max=b),
    "adamw": lambda lr, b: dict(lr=lr * 0.1),
}
lrs = st.floats(0.05, 3.0)   # times 1/L: from slow to diverging
betas = st.floats(0.0, 0.95)


def _replay(opt, problem, x0, steps):
    """x_t after ``steps`` updates, by a loop over the public API."""
    state = opt.init(x0)
    for _ in range(steps):
        f, g = problem.value_and_grad(state.x)
        kw = {"loss": f} if "loss" in opt.needs else {}
        state = opt.update(state, g, **kw)
    return np.asarray(opt.params(state))


@SETTINGS
@given(name=st.sampled_from(sorted(METHODS)), lr=st.lists(lrs, min_size=2, max_size=3),
       beta=betas, steps=st.integers(1, 60), gtol=st.sampled_from([None, 1e-3]))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_batched_run_equals_single_runs(name, lr, beta, steps, gtol):
    lr = np.array(lr) / Q.smoothness
    batched = amt.run(O.get(name, **METHODS[name](lr, beta)), Q, steps, gtol=gtol)
    for k in range(len(lr)):
        single = amt.run(O.get(name, **METHODS[name](float(lr[k]), beta)), Q, steps, gtol=gtol)
        assert batched.status[k] == single.status[0]
        rows = batched.frame[batched.frame.run == k]
        assert list(rows.step) == list(single.frame.step)
        # the AM methods' batched β* (a where() over runs) and the single run's scalar branch
        # round differently, and 60 steps can amplify that to 1e-9 (test_registry's BATCH_TOL)
        tol = 1e-8 if name.startswith("am_") else 1e-9
        np.testing.assert_allclose(rows.loss, single.frame.loss, rtol=tol, atol=1e-12)
        np.testing.assert_allclose(batched.x[k], single.x, rtol=tol, atol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), batch_size=st.integers(1, 60), steps=st.integers(1, 40),
       name=st.sampled_from(["sgd", "am_msgd", "adamw"]))
def test_same_seed_gives_identical_frames(seed, batch_size, steps, name):
    runs = [amt.run(O.get(name, lr=0.05), LOG, steps, batch_size=batch_size, seed=seed) for _ in range(2)]
    a, b = (h.frame.drop(columns="time") for h in runs)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    np.testing.assert_array_equal(runs[0].x, runs[1].x)


@SETTINGS
@given(dtype=st.sampled_from([np.float32, np.float64]), name=st.sampled_from(sorted(METHODS) + ["rllc"]),
       sparse=st.booleans(), steps=st.integers(1, 20))
def test_dtype_of_x0_is_kept(dtype, name, sparse, steps):
    X, y = amt.problems.make_logistic_data(30, 4, seed=1, density=0.5 if sparse else 1.0)
    p = amt.LogisticRegression(X, y)
    x0 = np.full(4, 0.1, dtype=dtype)
    h = amt.run(O.get(name), p, steps, x0=x0)
    assert h.x.dtype == dtype and h.state.x.dtype == dtype and h.meta["dtype"] == np.dtype(dtype).name


@SETTINGS
@given(name=st.sampled_from(sorted(METHODS)), lr=lrs, beta=betas, steps=st.integers(1, 50),
       record_every=st.integers(1, 30), gtol=st.sampled_from([None, 1e-2]), stop_at=st.integers(0, 100))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_history_x_is_the_last_recorded_iterate(name, lr, beta, steps, record_every, gtol, stop_at):
    opt = O.get(name, **METHODS[name](lr / Q.smoothness, beta))
    x0 = np.ones(Q.dim)
    h = amt.run(opt, Q, steps, x0=x0, gtol=gtol, record_every=record_every,
                callback=lambda t, state: t == stop_at)
    last = h.frame.iloc[-1]
    x_ref = _replay(opt, Q, x0, int(last.step))
    np.testing.assert_allclose(h.x, x_ref, rtol=1e-12, atol=1e-14)
    assert np.all(np.isfinite(h.x))
    if np.isfinite(last.loss):
        assert float(Q.value(x_ref)) == pytest.approx(last.loss, rel=1e-12, abs=1e-12) or name == "nag"
    status = h.status[0]
    if status == "finished":
        assert int(last.step) == steps
    elif status == "stopped":
        assert int(last.step) == stop_at < steps
    elif status == "converged":
        assert last.grad_norm <= gtol
    else:  # diverged: the next iterate (or this loss) is not finite, or the run ended exploded
        assert status == "diverged"
        first = h.frame.iloc[0]
        exploded = int(last.step) == steps and (last.grad_norm > 1e8 * first.grad_norm
                                                or last.gap > 1e8 * first.gap)
        nxt = _replay(opt, Q, x0, int(last.step) + 1)
        assert exploded or not (np.isfinite(last.loss) and np.all(np.isfinite(nxt)))
