"""Issue 22: sweeps at cluster scale. A job that kills its worker, no worker left, a
timeout, failure records and --max-failures, a stale .tmp, two sweeps on one folder,
file permissions, workers writing their own files, the per-worker BLAS limit and version
lookup, the metadata summaries and the split store.

Every Dask cluster here listens on 127.0.0.1 only. References: stored losses are compared
with a direct ``amt.run``, or with the in-process engine bit for bit.
"""

import importlib
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit.sweeps.spec import expand

engine = importlib.import_module("amtoolkit.sweeps.engine")
store = importlib.import_module("amtoolkit.sweeps.store")


def tiny_spec(seeds=(0, 1), steps=6, **extra):
    return {"sweep": {"steps": steps, "seeds": list(seeds), **extra},
            "problems": [{"name": "quadratic", "dim": 5, "cond": 10.0}],
            "optimizers": [{"name": "gd", "lr": "1/L"}]}


def table(out):
    return amt.load_results(out).drop(columns="time").sort_values(["job", "run", "step"]).reset_index(drop=True)


def crash_on_seed_1(job, store=None, step_bar=False):
    """A job that kills the process running it (seed 1); the others run normally."""
    if job.seed == 1:
        os._exit(3)
    return engine.run_job(job, store, step_bar)


@pytest.fixture
def by_value():
    """Ship this module's functions to worker processes by value."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


# -- timeout and failure records ---------------------------------------------------------
def test_timeout_is_a_failure_record_never_a_stored_job(tmp_path):
    spec = tiny_spec(seeds=[0], steps=10**7, timeout=0.3)
    t0 = time.perf_counter()
    with pytest.warns(RuntimeWarning, match="1 job\\(s\\) failed"):
        report = amt.sweep(spec, tmp_path, progress=False)
    assert time.perf_counter() - t0 < 30
    key = expand(spec)[0].key
    assert report.stored == 0 and report.timed_out == {key} and "0.3 s budget" in report.failed[key]
    assert store.job_files(tmp_path) == {}
    record = json.loads((tmp_path / "_failed" / f"{key}.json").read_text())
    assert record["status"] == "timeout" and record["attempts"] == 1 and record["host"]
    assert record["time"].endswith("+00:00") and "cut at step" in record["error"]


def test_max_failures_stops_retrying_and_retry_failed_runs_again(tmp_path, monkeypatch):
    broken = tmp_path / "broken.svm"
    broken.write_text("not\nLIBSVM\n")
    spec = {"sweep": {"steps": 3}, "problems": [{"name": str(broken)}], "optimizers": [{"name": "gd"}]}
    out = tmp_path / "out"
    key = expand(spec)[0].key
    for attempt in (1, 2):
        with pytest.warns(RuntimeWarning):
            report = amt.sweep(spec, out, progress=False, max_failures=2)
        assert list(report.failed) == [key] and "not a valid LIBSVM file" in report.failed[key]
        assert json.loads((out / "_failed" / f"{key}.json").read_text())["attempts"] == attempt
    calls = []
    real = engine.run_job
    monkeypatch.setattr(engine, "run_job", lambda *a, **k: calls.append(a) or real(*a, **k))
    report = amt.sweep(spec, out, progress=False, max_failures=2)
    assert calls == [] and list(report.given_up) == [key] and report.missing == 1
    assert "failed max_failures times" in str(report)
    with pytest.warns(RuntimeWarning):
        report = amt.sweep(spec, out, progress=False, max_failures=2, retry_failed=True)
    assert len(calls) == 1 and json.loads((out / "_failed" / f"{key}.json").read_text())["attempts"] == 3


def test_a_stored_job_clears_its_failure_record(tmp_path, monkeypatch):
    spec = tiny_spec(seeds=[0])
    key = expand(spec)[0].key
    with monkeypatch.context() as m:
        m.setattr(engine, "run_job", lambda job, *a, **k: {"key": job.key, "state": "failed", "error": "boom",
                                                            "host": "node3"})
        with pytest.warns(RuntimeWarning):
            report = amt.sweep(spec, tmp_path, progress=False)
    assert report.failed == {key: "on node3: boom"}
    assert json.loads((tmp_path / "_failed" / f"{key}.json").read_text())["host"] == "node3"
    assert amt.sweep(spec, tmp_path, progress=False).stored == 1
    assert not (tmp_path / "_failed" / f"{key}.json").exists()


# -- hygiene -----------------------------------------------------------------------------
def test_stale_tmp_is_removed_on_resume_and_files_have_normal_permissions(tmp_path):
    amt.sweep(tiny_spec(), tmp_path, progress=False)
    stale = tmp_path / ".0123456789abcdef0123.xyz.tmp"
    stale.write_bytes(b"PAR1 half a file")
    report = amt.sweep(tiny_spec(), tmp_path, progress=False)
    assert report.removed_tmp == 1 and not stale.exists() and report.skipped == 2
    mask = os.umask(0)
    os.umask(mask)
    for path in store.job_files(tmp_path).values():
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # mkstemp alone gives 0o600


def test_a_second_sweep_on_the_same_folder_is_refused(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(engine, "run_job", lambda *a, **k: calls.append(a))
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nsteps = 3\n[[problems]]\nname = "quadratic"\ndim = 3\n[[optimizers]]\nname = "gd"\n')
    out = tmp_path / "out"
    out.mkdir()
    with engine._store_lock(out):  # what a running sweep holds
        with pytest.raises(engine.StoreLocked, match=f"is being written by another sweep .*pid {os.getpid()}"):
            amt.sweep(spec, out, progress=False)
        assert cli.main(["sweep", str(spec), "--out", str(out)]) == 2
        assert "being written by another sweep" in capsys.readouterr().err
    assert calls == [] and not (out / engine.LOCK_FILE).exists()


def test_a_lock_left_by_a_dead_sweep_is_taken_over(tmp_path):
    import subprocess

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / engine.LOCK_FILE).write_text(json.dumps({"host": engine._host(), "pid": int(dead.stdout),
                                                          "token": "x", "started": "then"}))
    with pytest.warns(RuntimeWarning, match="left by a sweep that is gone"):
        report = amt.sweep(tiny_spec(seeds=[0]), tmp_path, progress=False)
    assert report.stored == 1 and not (tmp_path / engine.LOCK_FILE).exists()


def test_worker_versions_are_checked_against_the_callers(tmp_path, monkeypatch):
    real = engine.run_job

    def old_numpy(job, store=None, step_bar=False):
        out = real(job, store, step_bar)
        return {**out, "host": "node7", "versions": {**out["versions"], "numpy": "1.0.0"}}

    monkeypatch.setattr(engine, "run_job", old_numpy)
    with pytest.warns(RuntimeWarning, match=f"worker on host node7 runs numpy 1.0.0 \\(the caller: {np.__version__}\\)"):
        report = amt.sweep(tiny_spec(), tmp_path, progress=False)
    assert report.stored == 2 and report.version_mismatch == {"node7": {"numpy": ("1.0.0", np.__version__)}}


def test_dask_worker_versions_are_checked_before_any_job_is_sent(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    log = tmp_path / "order.txt"  # the worker gets pickled copies of these functions: a file keeps the order
    real_run_job = engine.run_job

    def logging_run_job(job, store=None, step_bar=False):
        with open(log, "a") as fh:
            fh.write("job\n")
        return real_run_job(job, store, step_bar)

    def old_pandas_host():
        with open(log, "a") as fh:
            fh.write("versions\n")
        return "node9", {**engine._versions(), "pandas": "0.1.0"}

    monkeypatch.setattr(engine, "run_job", logging_run_job)
    monkeypatch.setattr(engine, "_host_versions", old_pandas_host)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with pytest.warns(RuntimeWarning, match=f"worker on host node9 runs pandas 0.1.0 \\(the caller: {pd.__version__}\\)"):
            report = amt.sweep(tiny_spec(), tmp_path / "store", scheduler=cluster.scheduler_address, progress=False)
    assert report.stored == 2
    assert log.read_text().split() == ["versions", "job", "job"]  # asked before any job was sent
    assert report.version_mismatch == {"node9": {"pandas": ("0.1.0", pd.__version__)}}


# -- overhead ----------------------------------------------------------------------------
def test_blas_limit_and_versions_are_set_once_not_per_job(tmp_path, monkeypatch):
    limits, versions = [], []
    real_limits, real_versions = engine.threadpool_limits, engine.package_versions
    monkeypatch.setattr(engine, "threadpool_limits", lambda **k: limits.append(k) or real_limits(**k))
    monkeypatch.setattr(engine, "package_versions", lambda *a: versions.append(a) or real_versions(*a))
    engine._versions.cache_clear()
    monkeypatch.setattr(engine, "_BLAS_SET", False)  # (an in-process Dask worker of another test sets it)
    report = amt.sweep(tiny_spec(seeds=[0, 1, 2, 3]), tmp_path, progress=False)
    assert report.stored == 4 and len(limits) == 1 and len(versions) == 1


# -- workers write; the store reads fast -------------------------------------------------
def test_loky_workers_write_their_own_files(tmp_path, monkeypatch):
    amt.sweep(tiny_spec(), tmp_path / "one", progress=False)
    monkeypatch.setattr(engine, "write_job", lambda *a, **k: pytest.fail("the caller wrote a job"))
    report = amt.sweep(tiny_spec(), tmp_path / "two", jobs=2, progress=False)
    assert report.stored == 2
    pd.testing.assert_frame_equal(table(tmp_path / "one"), table(tmp_path / "two"))


def test_a_worker_that_cannot_see_the_store_returns_the_table(tmp_path):
    job = expand(tiny_spec(seeds=[0]))[0]
    outcome = engine.run_job(job, {"path": str(tmp_path), "token": "not this store", "worker": False})
    assert outcome["state"] == "returned" and store.job_files(tmp_path) == {}
    np.testing.assert_allclose(outcome["frame"].loss.to_numpy(), amt.run(
        amt.optimizers.get("gd", lr=1 / amt.Quadratic.random(dim=5, cond=10.0, seed=0).smoothness),
        amt.Quadratic.random(dim=5, cond=10.0, seed=0), 6).frame.loss.to_numpy(), rtol=1e-12)


def test_results_reads_only_the_metadata_and_load_results_only_what_is_asked(tmp_path, monkeypatch, capsys):
    spec = {"sweep": {"steps": 8, "seeds": [0, 1]}, "problems": [{"name": "quadratic", "dim": 5, "cond": 10.0}],
            "optimizers": [{"name": "mgd", "lr": "1/L", "beta": [0.0, 0.5]}]}
    amt.sweep(spec, tmp_path, progress=False)
    full = amt.load_results(tmp_path)
    assert cli.main(["results", str(tmp_path)]) == 0
    expected = capsys.readouterr().out

    def no_table(*a, **k):
        raise AssertionError("a table was read")

    with monkeypatch.context() as m:
        m.setattr(pq.ParquetFile, "read", no_table)
        m.setattr(pq, "read_table", no_table)
        assert cli.main(["results", str(tmp_path)]) == 0
    assert capsys.readouterr().out == expected
    part = amt.load_results(tmp_path, columns=["step", "loss"], where={"hp_beta": 0.5}, seed=1)
    ref = full[(full.hp_beta == 0.5) & (full.seed == 1)][["step", "loss"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), ref)
    with pytest.raises(ValueError, match="columns: unknown column 'nope'"):
        amt.load_results(tmp_path, columns=["nope"])


def test_a_large_store_is_split_by_key_prefix(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "SPLIT_AT", 2)
    spec = tiny_spec(seeds=[0, 1, 2])
    report = amt.sweep(spec, tmp_path, progress=False)
    keys = [j.key for j in expand(spec)]
    assert report.stored == 3 and all((tmp_path / k[:2] / f"{k}.parquet").is_file() for k in keys)
    assert amt.sweep(spec, tmp_path, progress=False).skipped == 3
    df = amt.load_results(tmp_path)
    np.testing.assert_allclose(df[df.seed == 2].loss.to_numpy(), amt.run(
        amt.optimizers.get("gd", lr=1 / amt.Quadratic.random(dim=5, cond=10.0, seed=2).smoothness),
        amt.Quadratic.random(dim=5, cond=10.0, seed=2), 6, seed=2).frame.loss.to_numpy(), rtol=1e-12)


# -- dead workers ------------------------------------------------------------------------
def test_a_loky_worker_death_ends_with_the_normal_summary(tmp_path, monkeypatch, by_value):
    monkeypatch.setattr(engine, "run_job", crash_on_seed_1)
    report = amt.sweep(tiny_spec(seeds=[1]), tmp_path, jobs=2, progress=False)
    assert report.stopped and "worker process died abruptly" in report.stopped
    assert report.missing == 1 and "stopped:" in str(report)


def test_a_dask_job_that_kills_its_worker_is_reported_with_the_address(tmp_path, monkeypatch, by_value):
    distributed = pytest.importorskip("distributed")
    import dask

    monkeypatch.setattr(engine, "run_job", crash_on_seed_1)
    # two workers, so that the other job does not die with the crash as a bystander
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None) as cluster:
        t0 = time.perf_counter()
        with pytest.warns(RuntimeWarning, match="1 job\\(s\\) failed"):
            report = amt.sweep(tiny_spec(), tmp_path, scheduler=cluster.scheduler_address, progress=False)
        assert time.perf_counter() - t0 < 60
    crashed = expand(tiny_spec())[1]
    assert report.stored == 1 and list(report.failed) == [crashed.key]
    error = report.failed[crashed.key]
    assert "killed its worker tcp://127.0.0.1:" in error and f"gd-quadratic-seed1-{crashed.key}" in error
    record = json.loads((tmp_path / "_failed" / f"{crashed.key}.json").read_text())
    assert record["worker"].startswith("tcp://127.0.0.1:") and record["attempts"] == 1


def test_no_dask_worker_left_stops_after_the_stated_wait(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, host="127.0.0.1", protocol="tcp://",
                                  dashboard_address=None) as cluster:
        t0 = time.perf_counter()
        with pytest.warns(RuntimeWarning, match="no Dask worker left for 0.5 s"):
            report = amt.sweep(tiny_spec(), tmp_path, scheduler=cluster.scheduler_address, progress=False,
                               worker_wait=0.5)
        assert time.perf_counter() - t0 < 20
    assert report.stored == 0 and report.missing == 2 and "2 job(s) not run" in report.stopped


def test_fetch_on_workers_names_the_worker_that_lacks_a_dataset(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from amtoolkit.datasets import libsvm

    asked = []

    def no_network(names):
        asked.append(list(names))
        raise FileNotFoundError(f"{names[0]}: not in the cache and no network")

    monkeypatch.setattr(libsvm, "fetch", no_network)  # the workers run in this process here
    spec = {"sweep": {"steps": 2}, "problems": [{"name": "a1a"}, {"name": "quadratic", "dim": 3}],
            "optimizers": [{"name": "gd"}]}
    with distributed.LocalCluster(n_workers=1, processes=False, host="127.0.0.1", protocol="tcp://",
                                  dashboard_address=None) as cluster:
        with pytest.raises(OSError, match=r"fetch on the Dask workers failed: worker tcp://127\.0\.0\.1:\d+: "
                                          r"FileNotFoundError: a1a: not in the cache"):
            amt.sweep(spec, tmp_path, scheduler=cluster.scheduler_address, progress=False, fetch_on_workers=True)
    assert asked == [["a1a"]] and store.job_files(tmp_path) == {}
