"""Task jobs (module docstring of amtoolkit.sweeps.engine): any frozen dataclass with key,
label, timeout, config() and execute(deadline) runs on the sweep engines and store."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt


@dataclasses.dataclass(frozen=True)
class GradientDescentJob:
    """x_(k+1) = x_k - lr·a·x_k on f(x) = a x²/2 from x_0 = 1: x_k = (1 - lr·a)^k exactly."""

    a: float
    lr: float
    steps: int = 5
    fail: bool = False
    sleep: float = 0.0
    timeout: float | None = dataclasses.field(default=None, compare=False)

    def config(self) -> dict:
        return {"a": self.a, "lr": self.lr, "steps": self.steps, "fail": self.fail, "sleep": self.sleep}

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.config(), sort_keys=True).encode()).hexdigest()[:20]

    @property
    def label(self) -> str:
        return f"gd a={self.a}"

    def execute(self, deadline):
        if self.fail:
            raise FloatingPointError("this job fails on purpose")
        x, rows = 1.0, []
        for k in range(self.steps + 1):
            rows.append({"step": k, "x": x})
            if deadline is not None and time.perf_counter() > deadline:
                return pd.DataFrame(rows), {"status": "timeout"}
            time.sleep(self.sleep)
            x -= self.lr * self.a * x
        return pd.DataFrame(rows), {"status": "ok", "kind": "toy"}


JOBS = [GradientDescentJob(a, lr) for a in (1.0, 2.0) for lr in (0.1, 0.3)]


def _check_store(out):
    frame = amt.load_results(out)
    assert sorted(frame["job"].unique()) == sorted(j.key for j in JOBS)
    for job in JOBS:
        rows = frame[frame["job"] == job.key].sort_values("step")
        np.testing.assert_allclose(rows["x"], (1 - job.lr * job.a) ** rows["step"].to_numpy(), rtol=1e-15)
    return frame


@pytest.mark.parametrize("jobs", [1, 2])
def test_task_jobs_run_store_and_resume(tmp_path, jobs):
    report = amt.sweep(JOBS, tmp_path, jobs=jobs, progress=False)
    assert report.stored == len(JOBS) and not report.failed
    _check_store(tmp_path)
    summaries = amt.sweeps.results.read_summaries(tmp_path)  # one run each: the last row
    assert sorted(summaries["step"]) == [5] * len(JOBS)
    meta = amt.sweeps.store.verify_job_file(amt.sweeps.store.job_files(tmp_path)[JOBS[0].key])
    assert meta["config"] == JOBS[0].config() and meta["kind"] == "toy" and meta["status"] == "ok"
    again = amt.sweep(JOBS, tmp_path, jobs=jobs, progress=False)
    assert again.stored == 0 and again.skipped == len(JOBS)


def test_failing_and_timed_out_task_jobs_are_recorded_not_stored(tmp_path):
    bad = GradientDescentJob(1.0, 0.1, fail=True)
    slow = GradientDescentJob(1.0, 0.2, steps=50, sleep=0.01)
    with pytest.warns(RuntimeWarning, match="2 job"):
        report = amt.sweep([bad, slow], tmp_path, timeout=0.05, progress=False, max_failures=1)
    assert report.stored == 0
    assert "FloatingPointError" in report.failed[bad.key]
    assert report.timed_out == {slow.key}
    records = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "_failed").glob("*.json")}
    assert records[slow.key]["status"] == "timeout" and records[bad.key]["attempts"] == 1
    again = amt.sweep([bad, slow], tmp_path, progress=False, max_failures=1)
    assert set(again.given_up) == {bad.key, slow.key} and again.stored == 0


def test_task_job_list_is_checked(tmp_path):
    with pytest.raises(ValueError, match="same key"):
        amt.sweep([JOBS[0], JOBS[0]], tmp_path, progress=False)

    class NotADataclass:
        key, label, timeout = "k" * 20, "x", None

        def config(self):
            return {}

        def execute(self, deadline):
            return pd.DataFrame(), {}

    with pytest.raises(TypeError, match=r"spec\[1\].*not a dataclass"):
        amt.sweep([JOBS[0], NotADataclass()], tmp_path, progress=False)
    with pytest.raises(TypeError, match="lacks key"):
        amt.sweep([dataclasses.make_dataclass("Bare", [])()], tmp_path, progress=False)
    assert not list(tmp_path.iterdir())  # refused before anything is created
