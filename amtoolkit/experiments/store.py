"""Saving and loading result tables (long format, one row per run and step)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def _jsonable(obj):
    """``obj`` in strict JSON types: non-finite floats become ``None`` (``null``)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.generic,)):
        return _jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    return repr(obj)


def save_history(history, path) -> Path:
    """Write ``history.frame`` to CSV and its metadata to ``<path>.meta.json`` (strict JSON:
    NaN and inf are written as ``null``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    history.frame.to_csv(path, index=False)
    meta = {**history.meta, "status": history.status}
    path.with_name(path.name + ".meta.json").write_text(json.dumps(_jsonable(meta), indent=2, allow_nan=False))
    return path
