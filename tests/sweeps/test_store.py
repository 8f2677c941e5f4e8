"""The Parquet job store: atomic writes, strict metadata, keys, loading and filters."""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from amtoolkit.sweeps import store
from amtoolkit.sweeps import results


def _frame(job="k1", n=3):
    return pd.DataFrame({"run": np.zeros(n, int), "step": np.arange(n), "loss": np.linspace(1, 0, n),
                         "method": "mgd", "hp_beta": 0.5, "pb_name": "quadratic", "job": job})


def test_write_job_round_trip_with_strict_metadata(tmp_path):
    meta = {"key": "k1", "status": ["finished"], "f_star": float("nan"), "x": np.float64(2.0),
            "nested": {"inf": float("inf"), "v": [1.0, float("-inf")]}}
    path = store.write_job(tmp_path, "k1", _frame(), meta)
    assert path == tmp_path / "k1.parquet"
    pd.testing.assert_frame_equal(pq.read_table(path).to_pandas(), _frame())
    raw = pq.read_schema(path).metadata[store.JOB_META].decode()
    assert "NaN" not in raw and "Infinity" not in raw
    assert json.loads(raw) == store.read_job_meta(path) == {
        "key": "k1", "status": ["finished"], "f_star": None, "x": 2.0,
        "nested": {"inf": None, "v": [1.0, None]}}
    assert store.stored_keys(tmp_path) == {"k1"}


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(table, where, **kwargs):
        open(where, "wb").write(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write_job(tmp_path, "k1", _frame(), {})
    assert list(tmp_path.iterdir()) == [] and store.stored_keys(tmp_path) == set()


def test_stored_keys_ignore_temporary_files(tmp_path):
    (tmp_path / ".k2.abc.tmp").write_bytes(b"partial")
    store.write_job(tmp_path, "k1", _frame(), {})
    assert store.stored_keys(tmp_path) == {"k1"}
    assert store.stored_keys(tmp_path / "missing") == set()


def test_load_results_concatenates_and_filters(tmp_path):
    store.write_job(tmp_path, "a", _frame("a", 3), {})
    other = _frame("b", 2).assign(method="am_mgd", hp_lam=0.1).drop(columns="hp_beta")
    store.write_job(tmp_path, "b", other, {})
    df = results.load_results(tmp_path)
    assert len(df) == 5 and set(df.job) == {"a", "b"}
    assert df.loc[df.job == "b", "hp_beta"].isna().all() and df.loc[df.job == "a", "hp_lam"].isna().all()
    assert len(results.load_results(tmp_path, method="am_mgd")) == 2
    assert len(results.load_results(tmp_path, method=["mgd", "am_mgd"], step=[0, 1])) == 4
    assert len(results.load_results(tmp_path, hp_lam=0.1)) == 2  # a column only some jobs have


@pytest.mark.parametrize("bad, exc, match", [
    ("missing", FileNotFoundError, "directory: no sweep store"),
    ("empty", FileNotFoundError, "holds no job files"),
])
def test_load_results_errors(tmp_path, bad, exc, match):
    (tmp_path / "empty").mkdir()
    with pytest.raises(exc, match=match):
        results.load_results(tmp_path / bad)


def test_read_job_meta_refuses_foreign_parquet(tmp_path):
    pq.write_table(pq.read_table(store.write_job(tmp_path, "k", _frame(), {})).replace_schema_metadata({}),
                   tmp_path / "foreign.parquet")
    with pytest.raises(ValueError, match="not an amtoolkit job file"):
        store.read_job_meta(tmp_path / "foreign.parquet")


def test_best_configs_medians_over_seeds_and_groups_c_over_L():
    """Hand-made final gaps: per seed L differs (hp_lr differs) but lr = c/L is one
    configuration; a run that ends non-finite counts as +inf."""
    rows = []
    for seed, L in ((0, 1.0), (1, 2.0), (2, 4.0)):
        for run, (c, beta, gap) in enumerate([(1.0, 0.5, [3.0, 2.0, 4.0][seed]),
                                              (0.5, 0.5, [1.0, np.nan, 9.0][seed])]):
            rows.append({"job": f"j{seed}", "run": run, "step": 0, "loss": 1.0, "gap": 10.0, "method": "mgd",
                         "seed": seed, "pb_name": "synthetic", "pb_reg": 1e-3, "hp_lr": c / L, "hp_beta": beta,
                         "lr_c": c})
            rows.append(dict(rows[-1], step=1, gap=gap))
    table = results.best_configs(pd.DataFrame(rows))
    assert len(table) == 1
    best = table.iloc[0]
    # lr=1/L: gaps 3, 2, 4 -> median 3; lr=0.5/L: 1, inf, 9 -> median 9
    assert best.configuration == "lr=1/L" and best.final_gap == 3.0 and best.worst_gap == 4.0
    assert best.runs == 3 and best.pb_name == "synthetic" and best.pb_reg == 1e-3  # load_results' names
    assert best.edge == "lr at its largest"  # 1/L is the largest of {0.5/L, 1/L}


def test_load_results_columns_agree_with_the_full_table(tmp_path):
    """The column-subset reader (NumPy parts, or Arrow where columns differ between jobs
    or hold nulls) gives the rows and values of the full table."""
    store.write_job(tmp_path, "a", _frame("a", 3), {})
    other = _frame("b", 2).assign(method="am_mgd", hp_lam=0.1).drop(columns="hp_beta")
    store.write_job(tmp_path, "b", other, {})
    full = results.load_results(tmp_path).sort_values(["job", "step"]).reset_index(drop=True)
    for cols in (["job", "step", "loss"], ["job", "hp_lam", "loss"], ["method", "step"]):
        part = results.load_results(tmp_path, columns=cols)
        assert list(part.columns) == cols
        key = ["job", "step"] if "job" in cols and "step" in cols else None
        got = part.sort_values(key).reset_index(drop=True) if key else part
        ref = full[cols] if key else full[cols].sort_values(cols).reset_index(drop=True)
        got = got if key else got.sort_values(cols).reset_index(drop=True)
        for c in cols:
            assert got[c].astype(object).where(got[c].notna(), None).tolist() == \
                ref[c].astype(object).where(ref[c].notna(), None).tolist(), c
