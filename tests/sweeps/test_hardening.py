"""Task jobs that return something unexpected, keys that are not keys, stores whose files
lie about their key, stale summary indexes, odd URLs: each is a named failure or a
warning, never a crashed sweep, lost rows or a wrong answer."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit.sweeps import engine, locations, results, store

from .test_task_jobs import GradientDescentJob

GOOD = [GradientDescentJob(1.0, 0.1), GradientDescentJob(2.0, 0.1)]


@dataclasses.dataclass(frozen=True)
class Returns(GradientDescentJob):
    """Returns ``what`` (a callable of nothing) instead of training."""

    what: object = None

    def execute(self, deadline):
        return self.what()


def _two_rows(**info):
    return lambda: (pd.DataFrame({"step": [0, 1], "x": [1.0, 0.5]}), info)


BAD_RETURNS = {
    "none": lambda: (None, {}),
    "not a pair": lambda: pd.DataFrame({"x": [1.0]}),
    "mixed column": lambda: (pd.DataFrame({"step": [0, 1], "v": [1, "a"]}), {"status": "ok"}),
    "unknown status": _two_rows(status="exploded"),
    "engine key": _two_rows(status="ok", state="running"),
    "empty": lambda: (pd.DataFrame({"x": []}), {}),
    "info not a dict": lambda: (pd.DataFrame({"x": [1.0]}), ["ok"]),
}


@pytest.mark.parametrize("kind,jobs", [(kind, 1) for kind in sorted(BAD_RETURNS)] + [("mixed column", 2)])
def test_a_task_job_returning_nonsense_fails_alone_with_a_record(tmp_path, kind, jobs):
    bad = Returns(3.0, 0.1, what=BAD_RETURNS[kind])
    with pytest.warns(RuntimeWarning, match="1 job.s. failed"):
        report = amt.sweep([GOOD[0], bad, GOOD[1]], tmp_path, jobs=jobs, progress=False)
    assert report.stored == 2 and set(report.failed) == {bad.key}  # the jobs after it still ran
    record = json.loads((tmp_path / "_failed" / f"{bad.key}.json").read_text())
    assert record["status"] == "failed" and "not stored" in record["error"]
    assert store.stored_keys(tmp_path) == {j.key for j in GOOD}
    frame = amt.load_results(tmp_path)
    for job in GOOD:  # the rows of the good jobs, exactly
        x = frame.loc[frame["job"] == job.key].sort_values("step")["x"].to_numpy()
        np.testing.assert_allclose(x, (1 - job.lr * job.a) ** np.arange(6), rtol=1e-15)


def test_run_job_turns_a_table_that_cannot_be_written_into_a_failure(tmp_path):
    # a worker that sees the store writes itself: a write that raises is a failed outcome
    job = GOOD[0]
    with engine._store_lock(tmp_path) as token:
        orig = engine.write_job

        def broken(*args, **kw):
            raise TypeError("cannot convert")

        engine.write_job = broken
        try:
            out = engine.run_job(job, {"path": str(tmp_path), "token": token, "worker": False})
        finally:
            engine.write_job = orig
    assert out["state"] == "failed" and "cannot convert" in out["error"]


def test_a_timeout_status_without_a_timeout_and_with_a_step_is_named(tmp_path):
    untimed = Returns(3.0, 0.1, what=_two_rows(status="timeout"))
    cut = Returns(4.0, 0.1, what=_two_rows(status="timeout", step=7, steps=20))
    timed = dataclasses.replace(cut, timeout=5.0)
    with pytest.warns(RuntimeWarning, match="failed"):
        report = amt.sweep([untimed, timed], tmp_path, progress=False)
    assert report.timed_out == {untimed.key, timed.key} and report.stored == 0
    assert "no timeout was set" in report.failed[untimed.key]
    assert "5 s budget and was cut at step 7 of 20" in report.failed[timed.key]


@pytest.mark.parametrize("key", ["ABC", "A" * 20, "g" * 20, "0" * 19, 12345678901234567890])
def test_a_task_job_key_must_be_20_lowercase_hex(tmp_path, key):
    @dataclasses.dataclass(frozen=True)
    class KeyJob(GradientDescentJob):
        @property
        def key(self):
            return key

    with pytest.raises(ValueError, match=r"spec\[1\].*20 lowercase hex"):
        amt.sweep([GOOD[0], KeyJob(1.0, 0.2)], tmp_path, progress=False)
    assert not list(tmp_path.iterdir())


def test_a_task_job_label_must_be_a_str(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class LabelJob(GradientDescentJob):
        label: object = 3

    with pytest.raises(TypeError, match=r"spec\[0\].*label is a str"):
        amt.sweep([LabelJob(1.0, 0.2)], tmp_path, progress=False)


# -- readers: a file whose metadata names another job -------------------------------------


@pytest.mark.parametrize("name", ["ffffffffffffffffffff", "copy-of-a-job"])
def test_a_copied_job_file_is_skipped_by_both_readers_and_never_duplicated(tmp_path, name):
    amt.sweep(GOOD, tmp_path, progress=False)
    original = store.job_files(tmp_path)[GOOD[0].key]
    shutil.copy(original, tmp_path / f"{name}.parquet")
    for index in (True, True, True, False):  # the index is rewritten by each call: it must not grow
        with pytest.warns(RuntimeWarning, match=rf"{name}.parquet: its metadata names the job '{GOOD[0].key}'"):
            got = results.read_summaries(tmp_path, index=index)
        assert sorted(got["job"]) == sorted(j.key for j in GOOD)  # one run per job, once each
    with pytest.warns(RuntimeWarning, match=rf"{name}.parquet: its metadata names the job"):
        frame = amt.load_results(tmp_path)
    assert frame.groupby("job", observed=True).size().to_dict() == {j.key: 6 for j in GOOD}


def test_a_file_without_a_key_whose_rows_name_another_job_is_read_once_per_call(tmp_path):
    amt.sweep(GOOD, tmp_path, progress=False)
    frame = amt.load_results(tmp_path, job=GOOD[0].key)
    frame["job"] = frame["job"].astype(str)
    store.write_job(tmp_path, "written-by-hand", frame, {"state": "done"},  # no key in its metadata
                    summary=store.run_summary(frame))
    counts = [len(results.read_summaries(tmp_path)) for _ in range(3)]
    assert counts == [3, 3, 3]  # the two jobs, and the hand-written file once
    pd.testing.assert_frame_equal(results.read_summaries(tmp_path), results.read_summaries(tmp_path, index=False))


# -- the summary index on URL stores --------------------------------------------------------


def _same_size_rewrite(data: bytes) -> bytes:
    """The job file with one digit of the loss in its summary metadata changed: another
    summary, the same size (the footer's key-value metadata has no checksum)."""
    at = data.index(store.SUMMARY_META)
    at = data.index(b'"loss": ', at) + len(b'"loss": ')
    while not data[at:at + 1].isdigit() or data[at:at + 1] in b"09":
        at += 1
    return data[:at] + bytes([data[at] + 1]) + data[at + 1:]


def _tiny_spec():
    return {"sweep": {"steps": 4, "seeds": [0]}, "problems": [{"name": "quadratic", "dim": 3, "cond": 10.0}],
            "optimizers": [{"name": "mgd", "lr": "1/L", "beta": [0.0, 0.5]}]}


def test_the_index_never_answers_for_a_file_without_a_modification_time(monkeypatch):
    import fsspec

    monkeypatch.setattr(engine, "LOCK_SETTLE", 0.0)
    url = f"memory://amt-hardening-{id(monkeypatch):x}/store"
    try:
        amt.sweep(_tiny_spec(), url, progress=False)
        before = results.read_summaries(url)
        fs = fsspec.filesystem("memory")
        path = url[len("memory:/"):] + "/" + sorted(store.stored_keys(url))[0] + ".parquet"
        data = fs.cat_file(path)
        fs.pipe_file(path, _same_size_rewrite(data))
        assert len(fs.cat_file(path)) == len(data)
        got = results.read_summaries(url)
        pd.testing.assert_frame_equal(got, results.read_summaries(url, index=False))
        assert not np.array_equal(got["loss"].to_numpy(), before["loss"].to_numpy())
    finally:
        fs = fsspec.filesystem("memory")
        if fs.exists(url[len("memory:/"):]):
            fs.rm(url[len("memory:/"):], recursive=True)


def test_the_index_never_answers_for_a_recent_file_of_a_coarse_clock_store(tmp_path, monkeypatch):
    import os
    import time

    import pyarrow.fs as pafs

    url = (tmp_path / "s").as_uri()
    amt.sweep(_tiny_spec(), url, progress=False)
    real = results._remote_listing

    def whole_seconds(loc, folder=""):  # an object store's LastModified: 1 s resolution
        return [pafs.FileInfo(i.path, i.type, mtime=pd.Timestamp(i.mtime_ns // 10**9 * 10**9, unit="ns"),
                              size=i.size) if i.mtime_ns is not None else i for i in real(loc, folder)]

    monkeypatch.setattr(results, "_remote_listing", whole_seconds)
    monkeypatch.setattr(results, "SETTLE_SECONDS", 60.0, raising=False)  # "recent" whatever the machine's load
    now = time.time()
    for path in store.job_files(tmp_path / "s").values():
        os.utime(path, (now, now))
    before = results.read_summaries(url)
    path = store.job_files(tmp_path / "s")[sorted(store.stored_keys(url))[0]]
    path.write_bytes(_same_size_rewrite(path.read_bytes()))  # rewritten within the same second
    os.utime(path, (now, now))
    got = results.read_summaries(url)
    pd.testing.assert_frame_equal(got, results.read_summaries(url, index=False))
    assert not np.array_equal(got["loss"].to_numpy(), before["loss"].to_numpy())


# -- load_results on a store of spec jobs and task jobs ------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed")
    amt.sweep(_tiny_spec(), out, progress=False)
    amt.sweep(GOOD, out, progress=False)
    return out


def test_a_filter_with_none_keeps_the_files_that_lack_its_column(mixed):
    every = amt.load_results(mixed)
    spec_rows = every["method"].notna()  # the task jobs have no method column
    assert 0 < spec_rows.sum() < len(every)
    got = amt.load_results(mixed, method=["mgd", None])
    assert len(got) == len(every)
    assert len(amt.load_results(mixed, method=[None])) == (~spec_rows).sum()
    assert len(amt.load_results(mixed, method="mgd")) == spec_rows.sum()  # without None: only those that have it


def test_asked_columns_are_always_returned(mixed):
    got = amt.load_results(mixed, columns=["x", "step"], where={"method": ["mgd"]})
    assert list(got.columns) == ["x", "step"] and got["x"].isna().all() and len(got) > 0
    both = amt.load_results(mixed, columns=["x", "step", "loss"])
    assert list(both.columns) == ["x", "step", "loss"]
    assert both["x"].notna().sum() == 12 and both["loss"].notna().sum() == len(both) - 12  # 2 task jobs x 6 rows


@pytest.mark.parametrize("kw, exc, match", [
    ({"columns": []}, ValueError, "columns must name at least one column"),
    ({"columns": 5}, TypeError, "columns must be a column name or an iterable"),
    ({"columns": ["x", 3]}, TypeError, "columns: column names are str, got 3"),
    ({"threads": "x"}, ValueError, "threads must be an integer >= 1 or None, got 'x'"),
    ({"threads": -1}, ValueError, "threads must be an integer >= 1 or None, got -1"),
    ({"threads": 0}, ValueError, "threads must be"),
])
def test_load_results_arguments_are_checked(mixed, kw, exc, match):
    with pytest.raises(exc, match=match):
        amt.load_results(mixed, **kw)


# -- store URLs ----------------------------------------------------------------------------


@pytest.fixture
def fresh_urls(monkeypatch):
    monkeypatch.setattr(locations, "_OPENED", {})


@pytest.mark.parametrize("form", ["file://localhost{}", "file://LOCALHOST{}", "file://{}"])
def test_file_localhost_urls_are_the_local_path(tmp_path, monkeypatch, fresh_urls, form):
    monkeypatch.chdir(tmp_path)  # a cwd-relative folder would appear here
    target = tmp_path / "store a"
    loc = locations.open_url(form.format(str(target)))
    assert loc.local == target and loc.base == str(target)
    report = amt.sweep([GOOD[0]], form.format(str(target)), progress=False)
    assert report.stored == 1 and store.stored_keys(target) == {GOOD[0].key}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store a"]


def test_a_file_url_of_another_host_is_refused(fresh_urls):
    with pytest.raises(ValueError, match=r"out: 'file://\*\*\*@otherhost/x' names the host 'otherhost'"):
        locations.open_url("file://me:pw@otherhost/x")
    with pytest.raises(ValueError, match="names the host 'server'"):
        amt.sweep([GOOD[0]], "file://server/share/x", progress=False)


def test_a_local_path_fsspec_resolves_is_on_pyarrows_local_file_system(tmp_path, fresh_urls, monkeypatch):
    import pyarrow as pa
    import pyarrow.fs as pafs

    def unknown(url):  # pyarrow without a file system for this URL: fsspec's local one is found
        raise pa.ArrowInvalid(f"Unrecognized filesystem type in URI: {url}")

    monkeypatch.setattr(locations, "_arrow_from_uri", unknown)
    loc = locations.open_url(f"local://{tmp_path}")
    assert isinstance(loc.fs, pafs.LocalFileSystem) and loc.local == tmp_path


def test_a_pyarrow_store_that_cannot_be_reached_is_said_so_without_its_secret(fresh_urls, monkeypatch):
    seen = []

    def unreachable(url):
        seen.append(url)
        raise OSError(f"When resolving region for bucket 'nonexistent-bucket' of {url}: Could not resolve host")

    monkeypatch.setattr(locations, "_arrow_from_uri", unreachable)
    url = "s3://AKIDKEY:s3cr%2Fet@nonexistent-bucket/prefix"
    with pytest.raises(ValueError) as err:
        locations.open_url(url)
    text = str(err.value)
    assert seen == [url] and "cannot be reached" in text and "Could not resolve host" in text
    assert "Install s3fs" not in text and "package that is not installed" not in text
    for secret in ("AKIDKEY", "s3cr", "s3cr/et", "s3cr%2Fet"):
        assert secret not in text
    assert "'s3://***@nonexistent-bucket/prefix'" in text


def test_a_url_store_is_shown_without_its_user_information(tmp_path, fresh_urls):
    url = f"file://localhost{tmp_path}/s"
    loc = locations.open_url(url)
    assert str(loc) == url and locations.redact("s3://K:S@b/p") == "s3://***@b/p" == str(
        locations.RemoteStore("s3://K:S@b/p", loc.fs, "/b/p"))
    assert repr(locations.RemoteStore("s3://K:SECRET@b/p", loc.fs, "/b/p")) == "RemoteStore('s3://***@b/p')"


def test_gcs_stores_retry_for_a_bounded_time(fresh_urls):
    import datetime

    loc = locations.open_url("gs://some-bucket/prefix")
    assert loc.fs.__reduce__()[1][0]["retry_time_limit"] == datetime.timedelta(seconds=locations.GCS_RETRY_SECONDS)
    own = locations.open_url("gs://some-bucket/prefix?retry_limit_seconds=3")
    assert own.fs.__reduce__()[1][0]["retry_time_limit"] == datetime.timedelta(seconds=3)


def test_a_split_url_store_removed_and_swept_again_in_one_process_is_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "SPLIT_AT", 0)  # every job into its <key[:2]>/ folder
    url = (tmp_path / "s").as_uri()
    for _ in range(2):
        report = amt.sweep(GOOD, url, progress=False)
        assert report.stored == 2 and not report.failed
        assert sorted(p.parent.name for p in store.job_files(tmp_path / "s").values()) == sorted(
            j.key[:2] for j in GOOD)
        shutil.rmtree(tmp_path / "s")


def test_summaries_of_a_mixed_store_are_the_same_with_and_without_the_index(mixed):
    with_index = results.read_summaries(mixed)
    task_rows = with_index["x"].notna()
    assert task_rows.sum() == 2 and with_index.loc[task_rows, "batch_size"].isna().all()
    pd.testing.assert_frame_equal(with_index, results.read_summaries(mixed, index=False))
    pd.testing.assert_frame_equal(results.read_summaries(mixed), with_index)  # answered from the index


def test_the_cli_refuses_a_memory_store_for_sweep(tmp_path, capsys):
    from amtoolkit import cli

    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nsteps = 3\nseeds = [0]\n[[problems]]\nname = "quadratic"\ndim = 3\n'
                    '[[optimizers]]\nname = "mgd"\nlr = "1/L"\n')
    assert cli.main(["sweep", str(spec), "--out", "memory://gone/x"]) == 2
    err = capsys.readouterr().err
    assert "--out: 'memory://gone/x' is a memory:// store" in err and "lost when the command ends" in err
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "kept")]) == 0
    assert store.stored_keys(tmp_path / "kept")
