"""Issue 8: one test per defect; each failed before the fix."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit import optimizers as O
from amtoolkit.problems import FunctionProblem
from amtoolkit.validate import check_step


@pytest.fixture
def quad():
    return amt.Quadratic.random(dim=6, cond=10, seed=0)


def _failing_at(call: int, exc=RuntimeError("boom")):
    """f(x) = ½‖x‖² whose `call`-th evaluation raises (0-based)."""
    count = {"n": 0}

    def fun(x):
        if count["n"] == call:
            raise exc
        count["n"] += 1
        return 0.5 * float(np.sum(np.asarray(x) ** 2))

    return FunctionProblem(fun, lambda x: np.asarray(x, float), 3, name="half_sq")


# -- 1. memory ----------------------------------------------------------------------------------
def test_run_keeps_no_vector_of_size_d_per_step():
    d, steps = 20_000, 40
    problem = FunctionProblem(lambda x: 0.5 * float(x @ x), lambda x: x.copy(), d, name="sq")
    x0 = np.ones(d)
    tracemalloc.start()
    amt.run(O.am_adamw(lr=1e-3), problem, steps, x0=x0, f_star=None)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # The optimizer's state and temporaries are about 16 d-vectors; keeping am_adamw's
    # per-step info (its preconditioner) would add `steps` = 40 of them.
    assert peak < 25 * d * 8


def test_record_every_bounds_rows_and_keeps_the_same_values(quad):
    full = amt.run(O.mgd(lr=0.5, beta=0.5), quad, 100)
    thin = amt.run(O.mgd(lr=0.5, beta=0.5), quad, 100, record_every=30)
    assert list(thin.frame.step) == [0, 30, 60, 90, 100]
    ref = full.frame.set_index("step").loc[[0, 30, 60, 90, 100]]
    np.testing.assert_array_equal(thin.frame.loss, ref.loss)
    np.testing.assert_array_equal(thin.frame.beta.iloc[:-1], ref.beta.iloc[:-1])
    np.testing.assert_array_equal(thin.x, full.x)


# -- 2. array-api-strict first in a fresh process ---------------------------------------------
def test_strict_input_first_in_a_fresh_process():
    pytest.importorskip("array_api_strict")
    code = ("import array_api_strict as xps, amtoolkit as amt\n"
            "h = amt.run(amt.optimizers.gd(lr=0.5), amt.Quadratic.random(dim=3, cond=2), 5, x0=xps.zeros(3))\n"
            "print(h.status[0], type(h.x).__module__)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(amt.__file__).resolve().parents[1])}  # this checkout
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split()[0] == "finished" and "array_api_strict" in res.stdout


# -- 3. batched History.x of runs that stop early --------------------------------------------------
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the diverging run
def test_batched_x_of_converged_and_diverged_runs_equal_single_runs(quad):
    lrs = [0.5, 50.0, 1.0]
    batched = amt.run(O.gd(lr=np.array(lrs)), quad, 3000, gtol=1e-9)
    assert batched.status == ["converged", "diverged", "converged"]
    for k, lr in enumerate(lrs):
        single = amt.run(O.gd(lr=lr), quad, 3000, gtol=1e-9)
        assert single.status[0] == batched.status[k]
        np.testing.assert_allclose(batched.x[k], single.x, rtol=1e-12, atol=1e-14)
        assert np.all(np.isfinite(batched.x[k]))
        last = batched.frame[batched.frame.run == k].iloc[-1]
        assert last.loss == pytest.approx(quad.value(batched.x[k]), rel=1e-12) or not np.isfinite(last.loss)


# -- 4. checked before computing ------------------------------------------------------------------
def test_cli_out_directory_is_refused_before_the_run(tmp_path, capsys):
    assert cli.main(["run", "--steps", "5", "--dim", "5", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "out (--out)" in captured.err and "directory" in captured.err
    assert "mgd on" not in captured.out  # nothing ran


def test_cli_figures_file_is_refused(tmp_path, capsys):
    f = tmp_path / "a_file"
    f.write_text("")
    assert cli.main(["demo", "--steps", "5", "--figures", str(f)]) == 2
    assert "figures (--figures)" in capsys.readouterr().err


@pytest.mark.parametrize("value", [(0.1, 0.2), "0.5", 0.5 + 0.1j, True])
def test_tuple_string_complex_bool_hyperparameters_are_refused(value):
    with pytest.raises(TypeError, match="lr must be a real number"):
        O.gd(lr=value)  # a string that is not "c/L" included


def test_cli_colon_value_for_a_scalar_is_refused(capsys):
    assert cli.main(["run", "--dim", "5", "--steps", "5", "--optimizer", "gd", "--set", "lr=0.5:0.6"]) == 2
    assert "lr must be a real number" in capsys.readouterr().err


@pytest.mark.parametrize("bad, exc", [(-0.1, ValueError), (0.0, ValueError), (0, ValueError), (True, TypeError),
                                      (np.nan, ValueError), (np.inf, ValueError),
                                      ("0.1", TypeError), ((0.1, 0.1), TypeError)])
def test_schedule_value_is_checked_at_every_step(quad, bad, exc):
    sched = lambda t: 0.1 if t < 5 else bad  # noqa: E731
    with pytest.raises(amt.RunError) as info:
        amt.run(O.mgd(lr=sched, beta=0.5), quad, 20)
    cause = info.value.__cause__
    assert isinstance(cause, exc) and "lr schedule at step 5" in str(cause)
    assert list(info.value.history.frame.step) == [0, 1, 2, 3, 4]
    assert info.value.history.status == ["failed"]


def test_declared_range_is_checked_for_any_schedule():
    """The mechanism the constructors use: ``make_state(..., ranges=...)``."""
    from amtoolkit.optimizers.base import UNIT_INTERVAL, make_state

    beta = lambda t: 0.5 if t < 3 else 1.5  # noqa: E731
    state = make_state(np.zeros(2), {"lr": 0.1, "beta": beta}, ranges={"beta": UNIT_INTERVAL})
    assert state.hyper.row_at("beta", 2) == 0.5
    with pytest.raises(ValueError, match=r"beta schedule at step 3 must lie in \[0.0, 1.0\], got 1.5"):
        state.hyper.col_at("beta", 3)
    batched = make_state(np.zeros((2, 2)), {"lr": lambda t: np.array([0.1, -0.1 * t])})
    with pytest.raises(ValueError, match="lr schedule at step 1"):
        batched.hyper.row_at("lr", 1)
    # a hyperparameter without a declared range is only checked to be a finite real number
    free = make_state(np.zeros(2), {"lr": 0.1, "c": lambda t: -2.0 * t})
    assert free.hyper.row_at("c", 3) == -6.0
    with pytest.raises(ValueError, match="c schedule at step 0"):
        make_state(np.zeros(2), {"lr": 0.1, "c": lambda t: np.inf}).hyper.row_at("c", 0)
    # the shared ranges, the states and the optimizers are values: frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        UNIT_INTERVAL.high = 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.step = 7
    with pytest.raises(dataclasses.FrozenInstanceError):
        O.gd(lr=0.1).name = "sgd"


@pytest.mark.parametrize("memory", ["M(1.5)", "C(2,0)", "M(-3)", "M(0.9)+J(1.2,2)"])
def test_unstable_rllc_memory_is_refused_unless_allowed(memory):
    with pytest.raises(ValueError, match="spectral radius"):
        O.rllc(memory=memory)
    assert O.rllc(memory=memory, allow_unstable=True).name == "rllc"


def test_stable_memories_stay_accepted():
    for memory in ("M(0.9)+M(0.0)", "J(0.9,2)", "C(0.95,0.3)", "M(1.0)"):
        O.rllc(memory=memory)


def test_cli_flag_that_does_not_apply_is_refused(capsys):
    assert cli.main(["run", "--problem", "breast_cancer", "--dim", "5", "--steps", "3"]) == 2
    assert "dim (--dim) applies to --problem quadratic only" in capsys.readouterr().err
    assert cli.main(["run", "--problem", "quadratic", "--reg", "0.1", "--steps", "3"]) == 2
    assert "reg (--reg) applies to logistic problems only" in capsys.readouterr().err


def test_oversized_memory_is_refused_before_allocating():
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"memory: 'J\(0.9,100000\)'.*GiB"):
        O.rllc(memory="J(0.9,100000)")
    with pytest.raises(ValueError, match="dim: .*GiB"):
        amt.Quadratic.random(dim=10**7)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2 ** 20


# -- 5. every failure keeps the rows -----------------------------------------------------------------
def test_exception_in_user_function_keeps_rows():
    err = ValueError("user fun failed")
    with pytest.raises(amt.RunError) as info:
        amt.run(O.gd(lr=0.1), _failing_at(30, err), 100, x0=np.ones(3))
    assert info.value.__cause__ is err
    h = info.value.history
    assert list(h.frame.step) == list(range(30)) and h.status == ["failed"]
    x = np.ones(3) * 0.9 ** 29  # gd on ½‖x‖²: x_t = 0.9^t x_0; the last row is t = 29
    np.testing.assert_allclose(h.x, x, rtol=1e-12)


def test_bad_callback_keeps_rows(quad):
    def callback(step, state):
        if step == 3:
            return state.x["no such key"]

    with pytest.raises(amt.RunError, match="step 3") as info:
        amt.run(O.gd(lr=0.1), quad, 10, callback=callback)
    assert list(info.value.history.frame.step) == [0, 1, 2, 3]
    assert isinstance(info.value.__cause__, (IndexError, TypeError, KeyError, ValueError))


def test_cli_writes_partial_table_on_failure(tmp_path, monkeypatch, capsys):
    from amtoolkit.problems.quadratic import Quadratic

    original = Quadratic._value_and_grad
    calls = {"n": 0}

    def flaky(self, x, data, batch):
        calls["n"] += 1
        if calls["n"] > 12:
            raise FloatingPointError("simulated failure")
        return original(self, x, data, batch)

    monkeypatch.setattr(Quadratic, "_value_and_grad", flaky)
    out = tmp_path / "r.csv"
    code = cli.main(["run", "--dim", "5", "--steps", "100", "--out", str(out)])
    assert code == 1
    frame = pd.read_csv(out)
    assert list(frame.step) == list(range(12)) and set(frame.status) == {"failed"}
    assert "simulated failure" in capsys.readouterr().err


# -- 6. statuses ------------------------------------------------------------------------------------
def test_callback_stop_gives_stopped(quad):
    h = amt.run(O.gd(lr=0.1), quad, 50, callback=lambda step, state: step == 9)
    assert h.status == ["stopped"] and h.frame.step.max() == 9


def test_non_finite_loss_on_the_last_step_gives_diverged():
    steps = 10
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        return np.inf if calls["n"] == steps + 1 else float(x @ x)

    h = amt.run(O.gd(lr=0.1), FunctionProblem(fun, lambda x: 2 * x, 2), steps, x0=np.ones(2))
    assert h.status == ["diverged"]
    np.testing.assert_allclose(h.x, np.ones(2) * 0.8 ** steps)  # the iterate is finite


def test_meta_json_is_strict(tmp_path, quad):
    h = amt.run(O.gd(lr=0.1), quad, 5, f_star=None)
    h.to_csv(tmp_path / "r.csv")

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    meta = json.loads((tmp_path / "r.csv.meta.json").read_text(), parse_constant=refuse)
    assert meta["f_star"] is None and meta["status"] == ["finished"]


# -- 7. minibatch gap on every prefix ---------------------------------------------------------------
def test_interrupted_long_minibatch_run_has_gap_values():
    p = amt.load_problem("breast_cancer", reg=1e-2)

    def interrupt(step, state):
        if step == 40:
            raise KeyboardInterrupt

    with pytest.raises(amt.RunInterrupted) as info:
        amt.run(O.sgd(lr=0.1), p, 100_000, batch_size=16, callback=interrupt)
    h = info.value.history
    assert h.status == ["interrupted"]
    gaps = h.frame.dropna(subset=["gap"])
    assert list(gaps.step) == [0, 1, 2, 4, 8, 16, 32]
    np.testing.assert_allclose(gaps.full_loss, [float(p.value(x)) for x in
                                                _sgd_iterates(p, gaps.step.max(), 16)[gaps.step]])


def _sgd_iterates(p, last, batch_size):
    """Plain minibatch gradient descent written here, on the sampler's batches."""
    x, xs = np.zeros(p.dim), []
    sampler = p.sampler(batch_size, 0)
    for _ in range(last + 1):
        xs.append(x)
        x = x - 0.1 * p.grad(x, next(sampler))
    return np.array(xs)


# -- 8. validate and model edge cases ----------------------------------------------------------------
def test_check_step_with_d_equal_g_is_ok():
    g = np.array([1.0, -2.0, 0.5])
    for f_hat in (1.0, 1.3, 0.7):
        chk = check_step(1.0, f_hat, g, g.copy(), lr=0.1, lam=0.0, beta_max=0.9)
        assert chk.ok() and not chk.beta_determined
        np.testing.assert_allclose(chk.x_closed, -0.1 * g, atol=1e-12)  # x_{t+1} = x_t - η g


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(g=np.zeros(3), d=np.zeros(3)), "g and d must not both be zero"),
    (dict(g=np.array([1.0, np.nan, 0.0])), "g must be finite"),
    (dict(f_hat=np.nan), "f_hat must lie in"),
    (dict(lr=0.0), r"lr must lie in \(0.0, inf\)"),
    (dict(lam=-0.1), r"lam must lie in \[0.0, inf\)"),
    (dict(beta_max=1.5), r"beta_max must lie in \[0.0, 1.0\]"),
    (dict(beta_max=-0.1), r"beta_max must lie in \[0.0, 1.0\]"),
])
def test_check_step_refuses_bad_input(kwargs, pattern):
    args = dict(f_t=1.0, f_hat=1.2, g=np.array([1.0, 0.0, 0.5]), d=np.array([0.5, 1.0, 0.0]), lr=0.1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=pattern):
        check_step(**args)


# -- 9. dtype ---------------------------------------------------------------------------------------
def test_float32_stays_float32_on_sparse_logistic():
    X, y = amt.problems.make_logistic_data(60, 8, seed=0, density=0.4)
    assert sp.issparse(X)
    p = amt.LogisticRegression(X, y)
    x0 = np.full(8, 0.1, dtype=np.float32)
    loss, grad = p.value_and_grad(x0)
    assert loss.dtype == np.float32 and grad.dtype == np.float32
    h = amt.run(O.mgd(lr=0.5), p, 10, x0=x0)
    assert h.x.dtype == np.float32 and h.meta["dtype"] == "float32"
    dense = amt.LogisticRegression(X.toarray(), y)  # the dense path, float32 already
    np.testing.assert_allclose(h.x, amt.run(O.mgd(lr=0.5), dense, 10, x0=x0).x, rtol=1e-5)


# -- 10. silently mangled input -----------------------------------------------------------------------
@pytest.mark.parametrize("build, name", [
    (lambda: amt.Quadratic(np.eye(2) * (1 + 1j), np.zeros(2)), "A"),
    (lambda: amt.Quadratic(np.eye(2), np.array([1.0, 1j])), "b"),
    (lambda: amt.LogisticRegression(np.ones((4, 2)) * 1j, [0, 1, 0, 1]), "X"),
    (lambda: amt.LogisticRegression(sp.csr_matrix(np.ones((4, 2)) * 1j), [0, 1, 0, 1]), "X"),
])
def test_complex_data_is_refused(build, name):
    with pytest.raises(TypeError, match=f"{name} must be real"):
        build()


@pytest.mark.parametrize("seed, exc", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (None, TypeError)])
def test_seed_errors_name_seed(quad, seed, exc):
    for fn in (lambda: amt.Quadratic.random(3, seed=seed),
               lambda: amt.problems.make_logistic_data(10, 2, seed=seed),
               lambda: amt.run(O.gd(), quad, 3, seed=seed)):
        with pytest.raises(exc, match="seed must be an integer >= 0"):
            fn()
