"""A cut run is never a finished result (issue 21, items 1, 2 and 10).

* A callback's return value stops a run only where that is meant: the sweep's step bar
  (``tqdm.update`` returns True when it redraws) no longer cuts jobs, and a job whose runs
  were cut (stopped, interrupted, failed) is never stored as done.
* Ctrl-C raises :class:`amtoolkit.RunInterrupted` (a KeyboardInterrupt) with the rows so far,
  so every caller that runs several runs stops too instead of carrying on with a cut run.
* ``run(seeds=...)`` keeps the finished seeds' rows when a later seed fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.problems.base import Problem


@pytest.fixture
def interrupt_after(monkeypatch):
    """``interrupt_after(n, exc)``: the n-th gradient evaluation from now raises ``exc``."""
    def arm(n: int, exc: type[BaseException] = KeyboardInterrupt):
        calls = {"n": 0}
        original = Problem.value_and_grad

        def counted(self, x, batch=None):
            calls["n"] += 1
            if calls["n"] == n:
                raise exc("injected")
            return original(self, x, batch)

        monkeypatch.setattr(Problem, "value_and_grad", counted)
        return calls
    return arm


SPEC = {"sweep": {"steps": 3000}, "problems": [{"name": "quadratic", "dim": 20}],
        "optimizers": [{"name": "gd", "lr": "1/L"}]}


class _RedrawingBar:
    """tqdm's contract: ``update`` returns True when it redraws (here: always)."""

    def __init__(self, *a, **k):
        self.n = 0

    def update(self, n=1):
        self.n += n
        return True

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_step_bar_does_not_cut_a_sweep_job(tmp_path, monkeypatch):
    """Issue 21, item 1: before, the run stopped at the bar's first redraw (status
    ``stopped``) and the job was stored as complete; now every step is there."""
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", _RedrawingBar)
    report = amt.sweep(SPEC, tmp_path / "st", progress=True)
    assert report.stored == 1 and report.missing == 0
    frame = amt.load_results(tmp_path / "st")
    assert frame.step.max() == 3000 and set(frame.status) == {"finished"}


def test_a_job_whose_run_was_cut_is_not_stored(tmp_path, monkeypatch):
    from amtoolkit.sweeps import engine

    real_run = engine.run
    monkeypatch.setattr(engine, "run", lambda *a, **k: real_run(*a, **{**k, "callback": lambda t, s: t == 5}))
    with pytest.warns(RuntimeWarning, match="1 job\\(s\\) failed"):
        report = amt.sweep(SPEC, tmp_path / "st", progress=False)
    assert report.stored == 0 and report.missing == 1
    [error] = report.failed.values()
    assert "ended stopped at step 5 of 3000" in error
    assert not list((tmp_path / "st").glob("*.parquet"))


def test_ctrl_c_in_a_later_seed_stops_run_seeds_and_keeps_the_rows(interrupt_after):
    q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    interrupt_after(31 + 11)  # seed 0: 31 evaluations; seed 1 is cut at its 11th
    with pytest.raises(amt.RunInterrupted) as info, pytest.warns(UserWarning, match="seeds only change"):
        amt.run(O.gd(lr=0.1), q, 30, seeds=[0, 1, 2])
    h = info.value.history
    assert h.status == ["finished", "interrupted"]
    assert list(h.frame.groupby("seed").step.max()) == [30, 9]


def test_a_failing_later_seed_keeps_the_finished_seeds_rows(interrupt_after):
    """Issue 21, item 10."""
    q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    interrupt_after(2 * 31 + 4, RuntimeError)
    with pytest.raises(amt.RunError) as info, pytest.warns(UserWarning, match="seeds only change"):
        amt.run(O.gd(lr=0.1), q, 30, seeds=[0, 1, 2])
    h = info.value.history
    assert h.status == ["finished", "finished", "failed"]
    assert list(h.frame.groupby("seed").step.max()) == [30, 30, 2]


def test_ctrl_c_goes_through_figures_and_nothing_is_cached(tmp_path, interrupt_after):
    """Issue 21, item 2: ``figures`` drew and cached the cut run."""
    from amtoolkit.figures import build
    from amtoolkit.figures.figureset import FIGURES

    cfg = {**FIGURES["beta_traces"].config, "steps": 30, "problem": "breast_cancer"}
    interrupt_after(20)
    with pytest.raises(KeyboardInterrupt):
        build(["beta_traces"], tmp_path / "figs", tmp_path / "store", configs={"beta_traces": cfg}, log=None)
    assert not list((tmp_path / "store").glob("*.parquet")) and not (tmp_path / "figs" / "beta_traces.png").exists()


def test_ctrl_c_goes_through_the_demo_and_the_theorem_check(interrupt_after):
    from amtoolkit.reproduce.demo import compare

    q = amt.Quadratic.random(dim=10, cond=100, seed=0)
    interrupt_after(50)
    with pytest.raises(KeyboardInterrupt):
        compare(q, 200)
    p = amt.load_problem("breast_cancer", reg=1e-2)
    interrupt_after(30)
    with pytest.raises(KeyboardInterrupt):
        amt.theory.check_theorem_3_3(p, T=[100], seeds=[0, 1])


def test_ctrl_c_in_reproduce_convex_keeps_the_partial_rows(tmp_path, interrupt_after, data_dir):
    """``reproduce convex --jobs 1`` wrote a cut run as a finished row and deleted
    results.partial.csv; now the first problem's row stays and no cut row is written."""
    from amtoolkit.reproduce import convex as R

    from amtoolkit.datasets import registry

    names = ["heart_scale", "breast-cancer_scale"]
    calls = interrupt_after(10 ** 9)  # count only: the first problem run (reproduce_convex runs the largest first)
    R.convex_problem(max(names, key=lambda n: registry()[n].nnz), 1e-3, 300)
    first = calls["n"]
    interrupt_after(first + 40)  # the second problem is cut
    with pytest.raises(KeyboardInterrupt):
        R.reproduce_convex(names, [1e-3], out=tmp_path, store=None, max_steps=300, quadratic_steps=20, jobs=1,
                           fair_grid=0)
    kept = pd.read_csv(tmp_path / "results.partial.csv")
    assert len(kept) == 1 and not (tmp_path / "results.csv").exists()
    assert np.isfinite(kept["gap AM-MGD 1"]).all()
