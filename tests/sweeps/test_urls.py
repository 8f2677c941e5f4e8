"""Issue 22, item 2: a sweep store at any URL of pyarrow's or fsspec's file systems.

``memory://`` (fsspec's in-process store, the stand-in for an object store: atomic PUT,
no rename, no O_EXCL) and ``file://`` (pyarrow's local file system, which every worker
process can reach). The reference is always the same sweep stored in a plain local
folder, compared bit for bit (the ``time`` column aside).
"""

import importlib
import json
import uuid

import fsspec
import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit.sweeps.spec import expand

engine = importlib.import_module("amtoolkit.sweeps.engine")
store = importlib.import_module("amtoolkit.sweeps.store")
results = importlib.import_module("amtoolkit.sweeps.results")
locations = importlib.import_module("amtoolkit.sweeps.locations")


def tiny_spec(seeds=(0, 1), steps=6):
    return {"sweep": {"steps": steps, "seeds": list(seeds)},
            "problems": [{"name": "quadratic", "dim": 5, "cond": 10.0}],
            "optimizers": [{"name": "mgd", "lr": "1/L", "beta": [0.0, 0.5]}]}


def table(out, **kw):
    df = amt.load_results(out, **kw)
    return df.drop(columns="time", errors="ignore").sort_values(["job", "run", "step"]).reset_index(drop=True)


@pytest.fixture
def mem(monkeypatch):
    """A fresh memory:// store URL, removed afterwards; the lock's settle time shortened."""
    monkeypatch.setattr(engine, "LOCK_SETTLE", 0.0)
    name = f"amt-test-{uuid.uuid4().hex[:8]}"
    yield f"memory://{name}/store"
    fs = fsspec.filesystem("memory")
    if fs.exists(f"/{name}"):
        fs.rm(f"/{name}", recursive=True)


def memory_files(url):
    fs = fsspec.filesystem("memory")
    return sorted(p["name"].rsplit("/", 1)[-1] for p in fs.find(url[len("memory:/"):], withdirs=False, detail=True)
                  .values()) if fs.exists(url[len("memory:/"):]) else []


def test_a_memory_store_matches_a_local_folder_and_resumes(tmp_path, mem, monkeypatch):
    spec = tiny_spec()
    amt.sweep(spec, tmp_path / "local", progress=False)
    report = amt.sweep(spec, mem, progress=False)
    keys = sorted(j.key for j in expand(spec))
    assert report.stored == 2 and str(report.out) == mem
    # no lock, no temporary object left; the summary index beside the jobs
    assert memory_files(mem) == [results.INDEX_FILE, *(f"{k}.parquet" for k in keys)]
    pd.testing.assert_frame_equal(table(mem), table(tmp_path / "local"))
    calls = []
    real = engine.run_job
    monkeypatch.setattr(engine, "run_job", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = amt.sweep(spec, mem, progress=False)
    assert calls == [] and again.skipped == 2 and again.stored == 0
    part = amt.load_results(mem, columns=["step", "loss"], where={"hp_beta": 0.5}, seed=1)
    full = table(tmp_path / "local")
    ref = full[(full.hp_beta == 0.5) & (full.seed == 1)][["step", "loss"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), ref)
    summaries = results.read_summaries(mem).sort_values(["job", "run"]).reset_index(drop=True)
    last = full.groupby(["job", "run"]).tail(1).reset_index(drop=True)
    pd.testing.assert_series_equal(summaries.loss, last.loss)


def test_failure_records_and_damaged_files_live_in_the_url_store(mem, monkeypatch):
    spec = tiny_spec(seeds=[0])
    key = expand(spec)[0].key
    with monkeypatch.context() as m:
        m.setattr(engine, "run_job", lambda job, *a, **k: {"key": job.key, "state": "failed", "error": "boom",
                                                            "host": "node3"})
        for attempt in (1, 2):
            with pytest.warns(RuntimeWarning, match=f"{mem}/_failed"):
                amt.sweep(spec, mem, progress=False, max_failures=2)
            fs = fsspec.filesystem("memory")
            record = json.loads(fs.cat(f"{mem[len('memory:/'):]}/_failed/{key}.json"))
            assert record["attempts"] == attempt and record["host"] == "node3" and record["error"] == "on node3: boom"
        given_up = amt.sweep(spec, mem, progress=False, max_failures=2)
        assert list(given_up.given_up) == [key]
    assert amt.sweep(spec, mem, progress=False, retry_failed=True, max_failures=2).stored == 1
    assert memory_files(mem) == [results.INDEX_FILE, f"{key}.parquet"]  # the record is gone
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{mem[len('memory:/'):]}/{key}.parquet", b"PAR1 a truncated upload")
    with pytest.warns(RuntimeWarning, match="did not verify"):
        report = amt.sweep(spec, mem, progress=False)
    assert report.stored == 1 and len(report.set_aside) == 1
    assert memory_files(mem) == [results.INDEX_FILE, f"{key}.parquet", f"{key}.parquet.damaged"]
    assert table(mem).loss.notna().all()


def test_the_lock_object_refuses_a_second_sweep_and_a_simultaneous_one(mem, monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "run_job", lambda *a, **k: calls.append(a))
    loc = locations.check_url_store("out", mem)
    with engine._store_lock(loc):
        with pytest.raises(engine.StoreLocked, match="is being written by another sweep .*lock object"):
            amt.sweep(tiny_spec(), mem, progress=False)
    assert memory_files(mem) == []  # released
    real = engine.put_bytes

    def another_sweep_writes_too(loc, path, data):  # the other's PUT lands after ours
        real(loc, path, data)
        if path.endswith(engine.LOCK_FILE):
            real(loc, path, json.dumps({"host": "node9", "pid": 1, "token": "theirs", "started": "now"}).encode())

    monkeypatch.setattr(engine, "put_bytes", another_sweep_writes_too)
    with pytest.raises(engine.StoreLocked, match="at the same moment \\(host node9"):
        amt.sweep(tiny_spec(), mem, progress=False)
    assert calls == []


def test_loky_workers_write_to_a_file_url_and_the_caller_writes_a_memory_store(tmp_path, mem, monkeypatch):
    spec = tiny_spec()
    amt.sweep(spec, tmp_path / "local", progress=False)
    url = (tmp_path / "shared").as_uri()
    with monkeypatch.context() as m:  # workers resolve file:// themselves and write
        m.setattr(engine, "write_job", lambda *a, **k: pytest.fail("the caller wrote a job"))
        assert amt.sweep(spec, url, jobs=2, progress=False).stored == 2
    pd.testing.assert_frame_equal(table(url), table(tmp_path / "local"))
    assert sorted(store.stored_keys(tmp_path / "shared")) == sorted(j.key for j in expand(spec))
    stale = tmp_path / "shared" / ".0123456789abcdef0123.parquet.xyz.tmp"  # a writer killed mid-write
    stale.write_bytes(b"PAR1 half")
    again = amt.sweep(spec, url, progress=False)  # in-process, resumed through the URL
    assert again.skipped == 2 and again.removed_tmp == 1 and not stale.exists()
    pd.testing.assert_frame_equal(table(url, columns=["job", "run", "step", "loss"], where={"seed": 1}),
                                  table(tmp_path / "local", columns=["job", "run", "step", "loss"], where={"seed": 1}))
    written = []
    real = engine.write_job
    monkeypatch.setattr(engine, "write_job", lambda *a, **k: written.append(a[1]) or real(*a, **k))
    assert amt.sweep(spec, mem, jobs=2, progress=False).stored == 2  # memory:// of another process is empty
    assert sorted(written) == sorted(j.key for j in expand(spec))
    pd.testing.assert_frame_equal(table(mem), table(tmp_path / "local"))


def test_cli_sweep_and_results_on_a_url(tmp_path, mem, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nsteps = 5\nseeds = [0, 1]\n[[problems]]\nname = "quadratic"\ndim = 4\n'
                    '[[optimizers]]\nname = "mgd"\nlr = "1/L"\nbeta = [0.0, 0.9]\n')
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "local")]) == 0
    assert cli.main(["results", str(tmp_path / "local")]) == 0
    capsys.readouterr()
    assert cli.main(["sweep", str(spec), "--out", mem]) == 2  # gone when the command ends: refused
    assert "--out: " in capsys.readouterr().err and not memory_files(mem)
    assert amt.sweep(str(spec), mem, progress=False).stored == 2  # (one job per seed)
    assert cli.main(["results", str(tmp_path / "local")]) == 0
    expected = capsys.readouterr().out
    assert cli.main(["results", mem]) == 0
    assert capsys.readouterr().out == expected and "mgd" in expected
    assert cli.main(["results", mem + "-nothing"]) == 2
    assert "no sweep store at" in capsys.readouterr().err


def test_bad_urls_are_refused_before_any_job_naming_out(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "run_job", lambda *a, **k: calls.append(a))
    with pytest.raises(ValueError, match="out: cannot open the store 'nosuch://b/p': unknown protocol"):
        amt.sweep(tiny_spec(), "nosuch://b/p", progress=False)
    # an unreachable bucket (nothing listens on port 1); no credential lookup on the network
    for var, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(var, value)
    url = "s3://bucket/prefix?endpoint_override=127.0.0.1:1&scheme=http"
    with pytest.raises(ValueError, match="out: the store 's3://bucket/prefix.*' cannot be reached"):
        amt.sweep(tiny_spec(), url, progress=False)
    # a pyarrow without S3: fsspec's s3 needs s3fs, which is then named
    import pyarrow as pa

    def no_s3(uri):
        raise pa.ArrowInvalid(f"Unrecognized filesystem type in URI: {uri}")

    monkeypatch.setattr(locations, "_arrow_from_uri", no_s3)
    monkeypatch.setitem(__import__("sys").modules, "s3fs", None)
    monkeypatch.delitem(importlib.import_module("fsspec.registry")._registry, "s3", raising=False)
    monkeypatch.setattr(locations, "_OPENED", {})
    with pytest.raises(ValueError, match="out: 's3://other/p' needs a package that is not installed: .*s3fs"):
        amt.sweep(tiny_spec(), "s3://other/p", progress=False)
    assert calls == []
    file_in_the_way = tmp_path / "f"
    file_in_the_way.write_text("x")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="out must be a folder, but 'file://.*/f' is a file"):
        amt.sweep(tiny_spec(), file_in_the_way.as_uri(), progress=False)


# -- the summary index of amtoolkit results ---------------------------------------------------
def test_the_summary_index_answers_results_and_is_never_stale(tmp_path, monkeypatch):
    spec = tiny_spec(seeds=[0, 1, 2])
    amt.sweep(spec, tmp_path, progress=False)
    assert (tmp_path / results.INDEX_FILE).is_file()
    ref = results.read_summaries(tmp_path, index=False)
    full = table(tmp_path)
    last = full.groupby(["job", "run"]).tail(1).reset_index(drop=True)  # the reference: the tables' last rows
    pd.testing.assert_series_equal(ref.loss, last.loss)
    reads = []
    real = store._footer
    for module in (store, results):  # the index reader and the file verifier
        monkeypatch.setattr(module, "_footer", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    pd.testing.assert_frame_equal(results.read_summaries(tmp_path), ref)
    assert reads == []  # every summary came from the index
    key, gone = sorted(store.stored_keys(tmp_path))[:2]
    path = store.job_files(tmp_path)[key]
    frame = amt.load_results(tmp_path, job=key)
    frame["loss"] = frame["loss"] * 2.0  # the job rewritten with other numbers (as --no-resume does)
    store.write_job(tmp_path, key, frame, store.read_job_meta(path), summary=store.run_summary(frame))
    store.job_files(tmp_path)[gone].unlink()
    got = results.read_summaries(tmp_path)
    assert [p.stem for p in reads] == [key]  # only the rewritten file was read
    expected = ref[ref.job != gone].reset_index(drop=True)
    expected.loc[expected.job == key, "loss"] *= 2.0
    pd.testing.assert_frame_equal(got, expected)
    reads.clear()
    pd.testing.assert_frame_equal(results.read_summaries(tmp_path), expected)
    assert reads == []


def test_load_results_assembles_files_of_different_sizes_and_columns(tmp_path):
    """The files are copied into preallocated columns: a file longer than the first (the
    columns grow), files without an asked column (a new block), and filters; the
    reference is every file read whole by pyarrow and concatenated by pandas."""
    import pyarrow.parquet as pq

    spec = {"sweep": {"steps": 4, "seeds": [0, 1]}, "problems": [{"name": "quadratic", "dim": 4, "cond": 10.0}],
            "optimizers": [{"name": "gd", "lr": "1/L"}, {"name": "mgd", "lr": "1/L", "beta": [0.0, 0.5, 0.9]}]}
    amt.sweep(spec, tmp_path, progress=False)
    files = store.job_files(tmp_path)
    whole = pd.concat([pq.read_table(files[k]).to_pandas() for k in sorted(files)], ignore_index=True)
    assert whole.groupby("job").size().nunique() == 2  # 1-run and 3-run jobs, interleaved by key
    for columns, where in [(["job", "step", "loss"], {}), (["job", "loss", "hp_beta"], {}),
                           (["run", "loss"], {"step": [0, 4]})]:
        got = amt.load_results(tmp_path, columns=columns, where=where)
        ref = whole if not where else whole[whole.step.isin(where["step"])]
        ref = ref[[c for c in columns if c in ref]].reset_index(drop=True)
        assert list(got.columns) == list(ref.columns)
        for c in ref.columns:
            np.testing.assert_array_equal(got[c].astype(object if c == "job" else float).to_numpy(),
                                          ref[c].astype(object if c == "job" else float).to_numpy())
