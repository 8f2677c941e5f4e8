"""load_history / History.from_file / concat: round trips and replays."""

import json

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.runner.history import _jsonable


@pytest.fixture(scope="module")
def quad():
    return amt.Quadratic.random(dim=8, cond=20, seed=0)


@pytest.mark.parametrize("opt", [O.am_mgd(lr="1/L"), O.sgd(lr=0.1, momentum=0.9, nesterov=True),
                                 O.adamw(lr=0.05), O.rllc(lr=0.1, c2=1e-4), O.mgd(beta=[0.0, 0.9])],
                         ids=["am_mgd", "sgd", "adamw", "rllc", "batched"])
def test_csv_round_trip_is_exact(opt, quad, tmp_path):
    h = amt.run(opt, quad, steps=25)
    h.to_csv(tmp_path / "h.csv")
    g = amt.load_history(tmp_path / "h.csv")
    pd.testing.assert_frame_equal(g.frame, h.frame, check_exact=True)
    assert g.meta == _jsonable(h.meta) and g.status == h.status
    assert g.optimizer.name == h.optimizer.name and g.optimizer.hyper.keys() == h.optimizer.hyper.keys()
    np.testing.assert_array_equal(g.x0, h.x0)
    pd.testing.assert_frame_equal(amt.History.from_file(tmp_path / "h.csv").frame, h.frame)


def test_validate_history_accepts_a_reloaded_am_run(quad, tmp_path):
    x0 = np.linspace(-1.0, 1.0, quad.dim)  # a start that is not the default: stored in the metadata
    h = amt.run(O.am_mgd(lr="1/L"), quad, steps=40, x0=x0)
    h.to_csv(tmp_path / "am.csv")
    g = amt.load_history(tmp_path / "am.csv")
    report = amt.validate.validate_history(g, quad, every=10)
    assert len(report) == 3 and report.ok.all()


def test_parquet_with_metadata_in_the_schema_loads(quad, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (Parquet results)")

    h = amt.run(O.am_mgd(lr=0.5), quad, steps=30)
    path = tmp_path / "h.parquet"
    h.frame.to_parquet(path, index=False)
    table = pq.read_table(path)
    meta = {**h.meta, "status": h.status}
    table = table.replace_schema_metadata({**table.schema.metadata,
                                           b"amtoolkit": json.dumps(_jsonable(meta)).encode()})
    pq.write_table(table, path)
    g = amt.load_history(path)
    pd.testing.assert_frame_equal(g.frame, h.frame, check_exact=True)
    assert g.meta == _jsonable(h.meta) and g.status == h.status
    report = amt.validate.validate_history(g, quad, every=10)
    assert len(report) > 0 and report.ok.all()


def test_a_sweep_store_job_file_loads_and_replays(tmp_path):
    """What the sweep store writes (one Parquet file per job) reloads as a History that
    validate_history accepts, with the same rows as load_results and the direct run."""
    spec = {"sweep": {"steps": 30, "seeds": [0]},
            "problems": [{"name": "quadratic", "dim": 8, "cond": 20.0}],
            "optimizers": [{"name": "am_mgd", "lr": "1/L"}]}
    amt.sweep(spec, out=tmp_path / "store", jobs=1, progress=False)
    (path,) = sorted((tmp_path / "store").glob("*.parquet"))
    g = amt.load_history(path)
    stored = amt.load_results(tmp_path / "store")
    np.testing.assert_array_equal(g.frame["loss"], stored["loss"])
    problem = amt.Quadratic.random(dim=8, cond=20.0, seed=0)
    direct = amt.run(O.am_mgd(lr=1.0 / problem.smoothness), problem, 30)
    np.testing.assert_array_equal(g.frame["loss"], direct.frame["loss"])
    assert g.status == ["finished"] and g.optimizer.name == "am_mgd"
    report = amt.validate.validate_history(g, problem, every=10)
    assert len(report) == 2 and report.ok.all()  # steps 10 and 20


def test_not_replayable_runs_say_why(quad, tmp_path):
    h = amt.run(O.gd(lr=lambda t: 0.1 / (1 + t)), quad, steps=5)
    h.to_csv(tmp_path / "s.csv")
    with pytest.warns(UserWarning, match="cannot be replayed.*schedules"):
        g = amt.load_history(tmp_path / "s.csv")
    assert g.optimizer is None and g.x0 is None
    pd.testing.assert_frame_equal(g.frame, h.frame)
    with pytest.raises(ValueError, match="validate_history needs"):
        amt.validate.validate_history(g, quad)


def test_load_history_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        amt.load_history(tmp_path / "missing.csv")
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['loss', 'run', 'step'\]"):
        amt.load_history(tmp_path / "x.csv")


def test_concat_makes_unique_run_ids(quad, tmp_path):
    a = amt.run(O.mgd(beta=[0.0, 0.5]), quad, steps=10)
    b = amt.run(O.gd(lr=0.2), quad, steps=12)
    b.to_csv(tmp_path / "b.csv")
    c = amt.concat([a, amt.load_history(tmp_path / "b.csv")])
    assert c.n_runs == 3 and c.status == a.status + b.status
    assert c.frame.groupby("run").method.first().tolist() == ["mgd", "mgd", "gd"]
    part = c.frame[c.frame.run == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(part[b.frame.columns].assign(run=0), b.frame, check_dtype=False,
                                  check_categorical=False)  # text columns: the union's categories
    assert part.hp_beta.isna().all()  # a column of the other history only
    assert c.meta["method"] == ["mgd", "gd"] and c.meta["problem"] == a.meta["problem"]
    assert c.x is None and c.optimizer is None  # the reloaded run has no final iterate
    s = c.summary()
    assert list(s.run) == [0, 1, 2] and s.label.iloc[2].startswith("gd(")
    with pytest.raises(TypeError, match="histories"):
        amt.concat([])
    with pytest.raises(TypeError, match="histories"):
        amt.concat([a, a.frame])


def test_reloaded_history_feeds_the_figure_builder(quad, tmp_path):
    h = amt.run(O.am_mgd(lr="1/L"), quad, steps=20)
    h.to_csv(tmp_path / "h.csv")
    g = amt.load_history(tmp_path / "h.csv")
    frame = g.frame.merge(g.summary()[["run", "label"]], on="run").assign(adaptive=True)
    png = amt.plotting.gap_and_beta_figure({"quadratic": frame}, tmp_path / "fig")
    assert png.exists() and png.stat().st_size > 0


def test_a_concatenated_history_reads_back(tmp_path):
    """Issue 21, item 4: concat → to_csv → load_history failed with AttributeError ('list'
    object has no attribute 'items'). Its frame comes back equal; it is not replayable when the
    joined runs differ (a warning says why), and is when they are the same method."""
    import warnings

    q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    mixed = amt.concat([amt.run(O.gd(lr=0.1), q, 10), amt.run(O.sgd(lr=0.1, nesterov=True, momentum=0.5), q, 10)])
    mixed.to_csv(tmp_path / "mixed.csv")
    with pytest.warns(UserWarning, match="joins 2 histories of different methods"):
        back = amt.load_history(tmp_path / "mixed.csv")
    assert back.frame.equals(mixed.frame) and back.status == mixed.status and back.optimizer is None
    assert list(back.frame.hp_nesterov.dropna().unique()) == [True]  # the boolean column restored
    same = amt.concat([amt.run(O.gd(lr=0.1), q, 10), amt.run(O.gd(lr=0.1), q, 10)])
    same.to_csv(tmp_path / "same.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = amt.load_history(tmp_path / "same.csv")
    assert again.optimizer.name == "gd" and again.frame.equals(same.frame)


@pytest.mark.parametrize("meta, match", [
    ("[1]", "must be a JSON object, got list"),
    ("", "is not valid JSON"),
    (b"\x00\xff\xfe", "is not valid JSON"),
    ('{"status": ["finished", "finished"]}', "gives the status .* for a table of 1 run"),
])
def test_a_damaged_metadata_file_is_named_in_the_error(tmp_path, meta, match):
    """Issue 21, item 15: a bare AttributeError / JSONDecodeError / UnicodeDecodeError before."""
    q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    path = tmp_path / "h.csv"
    amt.run(O.gd(lr=0.1), q, 5).to_csv(path)
    sidecar = tmp_path / "h.csv.meta.json"
    sidecar.write_bytes(meta if isinstance(meta, bytes) else meta.encode())
    with pytest.raises(ValueError, match=match) as info:
        amt.load_history(path)
    assert "h.csv" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff\xfe" * 10])
def test_an_empty_or_binary_table_is_named_in_the_error(tmp_path, content):
    for name in ("h.csv", "h.parquet"):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=f"{name}: not a") as info:
            amt.load_history(path)
        assert str(path) in str(info.value)
