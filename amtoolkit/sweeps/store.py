"""Saving and loading result tables (long format, one row per run and step).

The sweep store keeps one Parquet file per job (``write_job``), which ``load_results``
reads back as one table. (One run is written by :func:`amtoolkit.runner.history.save_history`.)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..runner.history import JOB_META, _jsonable, read_job_meta

__all__ = ["write_job", "stored_keys", "read_job_meta", "load_results", "best_configs", "JOB_META"]


# -- the sweep store: one Parquet file per job -------------------------------------------


def _strict_json(obj) -> str:
    """JSON with NaN/inf written as null (strict JSON)."""
    return json.dumps(_jsonable(obj), allow_nan=False)


def write_job(out: str | os.PathLike, key: str, frame: pd.DataFrame, meta: dict) -> Path:
    """Write one job's long table to ``<out>/<key>.parquet``, with ``meta`` in the
    file's schema metadata.

    Atomic: the table goes to a hidden temporary file in ``out`` that ``os.replace``
    renames, so a reader (or a resumed sweep) never sees a half-written job.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           JOB_META: _strict_json(meta).encode()})
    path = Path(out) / f"{key}.parquet"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, use_dictionary=False)  # faster to write, files slightly larger
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def stored_keys(out: str | os.PathLike) -> set[str]:
    """Keys of the jobs stored in ``out`` (empty when the folder does not exist)."""
    out = Path(out)
    return {p.stem for p in out.glob("*.parquet")} if out.is_dir() else set()


def load_results(directory: str | os.PathLike, **filters) -> pd.DataFrame:
    """All jobs stored in ``directory`` as one long DataFrame.

    ``filters`` keep the rows whose column equals a value, or is in a list/tuple/set of
    values: ``load_results("out", method="mgd", seed=[0, 1], hp_beta=0.9)``. Each row
    carries its job's key (``job``), the problem's parameters (``pb_*``) and the
    hyperparameters (``hp_*``).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"directory: no sweep store at {directory}")
    files = sorted(directory.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"directory: {directory} holds no job files (*.parquet)")
    frames, columns = [], set()
    for path in files:
        frame = pd.read_parquet(path)
        columns.update(frame.columns)
        for col, want in filters.items():
            if col not in frame:
                frame = frame.iloc[:0]
                break
            allowed = list(want) if isinstance(want, (list, tuple, set)) else [want]
            frame = frame[frame[col].isin(allowed)]
        frames.append(frame)
    unknown = sorted(set(filters) - columns)
    if unknown:
        raise ValueError(f"filters: unknown column {unknown[0]!r}; the stored columns are "
                         f"{', '.join(sorted(columns))}")
    return pd.concat(frames, ignore_index=True)


def _text(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def best_configs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per problem and method, the configuration with the smallest median final gap over
    seeds (the final loss where no gap is known; a run that did not end finite counts as
    +inf), with the worst final gap of that configuration and the number of runs.

    ``configuration`` lists the hyperparameters that vary in the method's grid (``lr``
    as ``c/L`` where it was given so); ``problem`` the problem's parameters.
    """
    pb = sorted(c for c in frame.columns if c.startswith("pb_"))
    hp = sorted(c for c in frame.columns if c.startswith("hp_") or c == "lr_c")
    final = frame.groupby(["job", "run"], sort=False).tail(1).copy()
    value = final["gap"] if final["gap"].notna().any() else final["loss"]
    final["final"] = value.where(np.isfinite(value.to_numpy(dtype=float)), np.inf)
    if "lr_c" in final and "hp_lr" in final:  # "c/L" is one configuration whatever each seed's L
        final.loc[final["lr_c"].notna(), "hp_lr"] = np.nan
    keys = pb + ["method"]
    per_config = (final.groupby(keys + hp, dropna=False, sort=False)["final"]
                  .agg(final_gap="median", worst_gap="max", runs="size").reset_index())
    rows = []
    for _, group in per_config.groupby(keys, dropna=False, sort=False):
        best = group.loc[group["final_gap"].idxmin()]
        varies = [c for c in hp if group[c].nunique(dropna=False) > 1]
        parts = []
        for c in varies:
            if (c == "hp_lr" and pd.notna(best.get("lr_c"))) or (c == "lr_c" and pd.isna(best[c])):
                continue
            parts.append(f"lr={_text(best[c])}/L" if c == "lr_c" else f"{c[3:]}={_text(best[c])}")
        params = [f"{c[3:]}={_text(best[c])}" for c in pb if c != "pb_name" and pd.notna(best[c])]
        rows.append({"problem": f"{best.get('pb_name', '')} " + " ".join(params),
                     "method": best["method"], "configuration": " ".join(parts) or "(one)",
                     "final_gap": best["final_gap"], "worst_gap": best["worst_gap"], "runs": best["runs"]})
    return pd.DataFrame(rows)
