"""The record of a run (:class:`History`), written to and read back from disk, and several
histories joined into one.

``load_history`` reads the CSV + ``.meta.json`` pair that ``History.to_csv`` writes, or a
Parquet file with the same columns whose schema metadata holds the same JSON under the key
``b"amtoolkit"``. When the metadata allows it (a registered method, plain hyperparameters,
a recorded start ``x0``), the optimizer and ``x0`` are rebuilt so that the history can be
replayed (``amtoolkit.validate.validate_history``); otherwise both are ``None`` and a
warning says why.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import platform
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._checks import meta_path
from ..backend import to_numpy
from ..optimizers.base import Optimizer, OptState

__all__ = ["History", "RunError", "RunInterrupted", "package_versions", "save_history", "load_history", "concat", "x0_record",
           "PARQUET_META_KEY", "JOB_META", "read_job_meta"]

PARQUET_META_KEY = b"amtoolkit"
JOB_META = b"amtoolkit.job"  # key of a sweep job's metadata (JSON) in its Parquet schema
_X0_MAX_STORED = 10_000  # entries of x0 kept in the metadata (beyond: not replayable)


def package_versions(*extra: str) -> dict[str, str]:
    """Versions of Python, numpy, scipy, pandas and amtoolkit, and of each distribution named
    in ``extra`` (read from its installed metadata without importing it; "not installed"
    when absent)."""
    import importlib.metadata

    import scipy

    from .._version import __version__

    out = {"python": platform.python_version(), "numpy": np.__version__,
           "scipy": scipy.__version__, "pandas": pd.__version__, "amtoolkit": __version__}
    for name in extra:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class History:
    """The record of one (batched) run, as :func:`amtoolkit.run` returns it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The long table: one row per (run, recorded step), configuration in columns.
    x : array
        Per run, the iterate of its last recorded row, in the namespace of ``x0`` (shape
        ``(d,)`` or ``(K, d)``); ``None`` for a history read from a file.
    state : OptState or None
        The optimizer's last state (all runs of a batch).
    status : list of str
        Per run: ``finished``, ``converged`` (gtol reached), ``diverged`` (non-finite loss,
        gradient or iterate, or ending with its gradient norm or gap above
        ``DIVERGENCE_GROWTH = 1e8`` times its start's; see :func:`amtoolkit.run`), ``stopped`` (by the callback), ``interrupted`` (Ctrl-C; see
        :class:`RunInterrupted`) or ``failed`` (an exception; see :class:`RunError`).
    meta : dict
        Method, hyperparameters, problem, seed, package versions, the recorded start.
    optimizer : Optimizer or None
        The optimizer the run used (rebuilt when read from a file, if it can be).
    x0 : array or None
        The start, for replays such as :func:`amtoolkit.validate.validate_history`.

    See Also
    --------
    amtoolkit.load_history, amtoolkit.concat
    """

    frame: pd.DataFrame
    x: Any
    state: OptState | None
    status: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    optimizer: Optimizer | None = None
    x0: Any = None

    def __repr__(self) -> str:
        return (f"History(method={self.meta.get('method')!r}, problem={self.meta.get('problem')!r}, "
                f"runs={self.n_runs}, rows={len(self.frame)}, status={self.status})")

    @property
    def n_runs(self) -> int:
        return len(self.status)

    def final(self) -> pd.DataFrame:
        """The last recorded row of every run."""
        return self.frame.groupby("run", sort=True).tail(1).reset_index(drop=True)

    def to_csv(self, path) -> None:
        save_history(self, path)

    def summary(self, tol: float = 1e-6) -> pd.DataFrame:
        """One row per run: label, final loss/gap/relative gap, steps to ``rel_gap ≤ tol``,
        minimum gap, overshoot, mean β_t, status (:func:`amtoolkit.runner.summary.summary`)."""
        from .summary import summary

        return summary(self.frame, tol)

    @classmethod
    def from_file(cls, path) -> "History":
        """Read what ``to_csv`` or the results store wrote (:func:`amtoolkit.load_history`)."""
        return load_history(path)

    def plot(self, **kw):
        """``amt.plot(self, **kw)``: e.g. ``h.plot(y="beta")``; returns the Axes."""
        from ..plotting import plot

        return plot(self, **kw)


class RunError(RuntimeError):
    """A run stopped by an exception (from the problem, the optimizer, a schedule or the
    callback). ``__cause__`` is that exception; ``history`` holds every row recorded
    before it, with status ``failed`` for the runs that were still going."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run. It is a ``KeyboardInterrupt``, so it goes on through every caller
    that runs several runs (a sweep, a figure, the demo, the seeds of ``run(seeds=...)``),
    none of which may take a cut run for a finished one; ``history`` holds every row recorded
    before it, with status ``interrupted`` for the runs that were still going."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def _per_run(values: np.ndarray, run_idx: np.ndarray):
    """A per-run configuration column spread over the rows: float64 for numbers, a
    categorical (one byte per row) for strings, booleans and None."""
    if values.dtype != object:
        return values[run_idx]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return pd.Categorical.from_codes(codes.astype(np.int8 if len(uniques) < 127 else np.int32)[run_idx],
                                     categories=uniques if len(uniques) else pd.Index([], dtype=object))


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
    NaN and inf are written as ``null``).

    Atomic: both go to temporary files beside the targets, renamed once both are written, so a
    failed write (a full disk, a quota) leaves no half file and the caller still holds the
    history; the ``OSError`` names the path."""
    import tempfile

    path = Path(path)
    meta = json.dumps(_jsonable({**history.meta, "status": history.status}), indent=2, allow_nan=False)
    temps = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for target in (path, meta_path(path)):
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            temps.append((tmp, target))
        history.frame.to_csv(temps[0][0], index=False)
        Path(temps[1][0]).write_text(meta)
        for tmp, target in temps:
            os.replace(tmp, target)
    except OSError as err:
        raise OSError(err.errno, f"could not write the history to {path}: {err.strerror or err}") from err
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.remove(tmp)
    return path


def read_job_meta(path: str | os.PathLike) -> dict:
    """The metadata of a stored job: config, status, wall time, versions, run meta."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    if JOB_META not in meta:
        raise ValueError(f"path: {path} is not an amtoolkit job file (no {JOB_META.decode()!r} metadata)")
    return json.loads(meta[JOB_META])


def x0_record(x0) -> Any:
    """What the metadata keeps of the start: ``"zeros"``, the values (up to 10 000
    entries, as nested lists), or ``None`` (not stored)."""
    arr = np.asarray(to_numpy(x0), dtype=float)
    if not np.any(arr):
        return "zeros"
    return arr.tolist() if arr.size <= _X0_MAX_STORED else None


def _json_object(text: str | bytes, where: Path, what: str) -> dict:
    """``text`` parsed as a JSON object; a ValueError naming ``where`` otherwise."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{where}: its {what} is not valid JSON ({err})") from err
    if not isinstance(value, dict):
        raise ValueError(f"{where}: its {what} must be a JSON object, got {type(value).__name__} {value!r:.60}")
    return value


def _read(path: Path) -> tuple[pd.DataFrame, dict]:
    """The table and the metadata of a history file; every damaged part is a ValueError that
    names the file."""
    if path.suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as err:
            raise ValueError(f"{path}: not a readable Parquet file ({err})") from err
        schema_meta = table.schema.metadata or {}
        if PARQUET_META_KEY not in schema_meta and JOB_META in schema_meta:  # a sweep store job
            job = _json_object(schema_meta[JOB_META], path, "job metadata")
            return table.to_pandas(), {**job.get("run", {}), "status": job.get("status")}
        raw = schema_meta.get(PARQUET_META_KEY)
        return table.to_pandas(), (_json_object(raw, path, "metadata") if raw else {})
    sidecar = meta_path(path)
    meta = _json_object(sidecar.read_bytes(), sidecar, "content") if sidecar.exists() else {}
    # pandas 3 parses floats exactly by default; pandas 2 needs the round-trip parser
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    try:
        return pd.read_csv(path, **exact), meta
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a result table written by History.to_csv ({type(err).__name__}: "
                         f"{err})") from err


def _restore_object_columns(frame: pd.DataFrame, hyper: dict | list) -> None:
    """Hyperparameter columns that held None, strings or booleans come back from CSV as
    NaN / inferred dtypes: restore them as the object columns ``run`` writes. A concatenated
    history keeps one ``hyper`` per joined history (a list): each is restored."""
    if isinstance(hyper, list):
        for one in hyper:
            if isinstance(one, dict):
                _restore_object_columns(frame, one)
        return
    for name, value in hyper.items():
        items = [(f"{name}_{i}", v) for i, v in enumerate(value)] if isinstance(value, list) else [(name, value)]
        for key, v in items:
            col = f"hp_{key}"
            if col not in frame or not (v is None or isinstance(v, (str, bool))):
                continue
            if isinstance(v, bool):  # (a concatenated history leaves other runs' rows empty)
                words = {"true": True, "false": False}
                frame[col] = np.array([words.get(str(c).lower()) for c in frame[col]], dtype=object)
            elif v is None:
                frame[col] = np.full(len(frame), None, dtype=object)


def _restore_categoricals(frame: pd.DataFrame) -> None:
    """The text columns that ``run`` writes as categoricals (method, problem, status and the
    non-numeric hyperparameters) come back from CSV as strings: make them categoricals again."""
    for col in frame.columns:
        if (col in ("method", "problem", "status") or col.startswith("hp_")) \
                and not pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = _per_run(frame[col].to_numpy(dtype=object), np.arange(len(frame)))


def _rebuild(meta: dict, n_runs: int) -> tuple[Any, Any, str | None]:
    """``(optimizer, x0, None)`` for a replayable run, else ``(None, None, reason)``."""
    from .. import optimizers
    from ..optimizers.base import _REGISTRY

    method, hyper = meta.get("method"), meta.get("hyper")
    if isinstance(method, list) or isinstance(hyper, list):
        return None, None, (f"it joins {len(method) if isinstance(method, list) else len(hyper)} histories "
                            "of different methods or hyperparameters (amtoolkit.concat); replay each one")
    if method not in optimizers.available() or not isinstance(hyper, dict):
        return None, None, f"method {method!r} with hyperparameters {hyper!r} is not a registered optimizer"
    params = inspect.signature(_REGISTRY[method]).parameters
    kwargs = {}
    for name, value in hyper.items():
        if isinstance(value, list):
            default = params[name].default if name in params else None
            value = tuple(value) if isinstance(default, tuple) else np.asarray(value, dtype=float)
        kwargs[name] = value
    try:
        opt = optimizers.get(method, **kwargs)
    except (ValueError, TypeError) as err:  # e.g. a schedule, stored as its repr
        return None, None, (f"{method} cannot be rebuilt from the recorded hyperparameters, where "
                            f"schedules are kept only as their repr: {err}")
    x0, dim = meta.get("x0"), meta.get("dim")
    if x0 == "zeros" and dim is not None:
        return opt, np.zeros((n_runs, int(dim)) if opt.batch_shape else (int(dim),)), None
    if isinstance(x0, list):
        return opt, np.asarray(x0, dtype=float), None
    return None, None, "the start x0 was not recorded"


def load_history(path) -> "History":
    """Read back a history written by ``History.to_csv`` or stored by a sweep.

    Parameters
    ----------
    path : str or os.PathLike
        A CSV written by :meth:`History.to_csv` (with its ``<path>.meta.json``), or a
        Parquet file whose schema metadata holds the same JSON under ``b"amtoolkit"`` (a
        sweep store's job file is read too).

    Returns
    -------
    History
        Frame, metadata and statuses as written; ``x`` and ``state`` are not stored
        (``None``); ``optimizer`` and ``x0`` are rebuilt when the run is replayable, else
        ``None`` with a warning that says why (a schedule, a concatenation of different
        methods, an unrecorded start).

    Raises
    ------
    FileNotFoundError
        ``path`` is not a file.
    ValueError
        A damaged or foreign file (not JSON, not an object, an empty or binary table, missing
        columns, statuses that do not match the runs); the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file (expected a CSV written by "
                                f"History.to_csv or a Parquet results file)")
    frame, meta = _read(path)
    missing = {"run", "step", "loss"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} is not a result table: it lacks the column(s) {sorted(missing)}")
    _restore_object_columns(frame, meta.get("hyper") or {})
    _restore_categoricals(frame)
    status = meta.pop("status", None)
    n_runs = int(frame["run"].nunique())
    if status is None:
        status = list(frame.groupby("run", sort=True)["status"].last()) if "status" in frame else \
            ["finished"] * n_runs
    if not isinstance(status, list) or len(status) != n_runs:
        raise ValueError(f"{path}: its metadata gives the status {status!r} for a table of {n_runs} run(s)")
    optimizer, x0, reason = _rebuild(meta, len(status))
    if reason is not None:
        warnings.warn(f"{path}: the run cannot be replayed ({reason}); history.optimizer and "
                      f"history.x0 are None", UserWarning, stacklevel=2)
    return History(frame=frame, x=None, state=None, status=list(status), meta=meta,
                   optimizer=optimizer, x0=x0)


def _same(values: list) -> bool:
    first = json.dumps(_jsonable(values[0]), sort_keys=True)
    return all(json.dumps(_jsonable(v), sort_keys=True) == first for v in values[1:])


def _stack_rows(arrays: list):
    """``(runs, d)``; ``None`` when one is missing or the dimensions differ."""
    if any(a is None for a in arrays) or len({np.shape(a)[-1] for a in arrays}) > 1:
        return None
    return np.concatenate([np.reshape(np.asarray(to_numpy(a), dtype=float), (-1, np.shape(a)[-1]))
                           for a in arrays])


def concat(histories: Sequence["History"]) -> "History":
    """One History from several, e.g. the seeds or the methods of a study.

    Parameters
    ----------
    histories : list of History
        At least one.

    Returns
    -------
    History
        ``run`` ids renumbered to stay unique (in order), statuses joined, final iterates
        and starts stacked to ``(runs, d)`` (``None`` when one is missing or the dimensions
        differ). Metadata entries equal in all histories are kept; the others become a list
        with one entry per history (e.g. ``meta["seed"] = [0, 1, 2]``). ``optimizer`` is kept
        when all histories have the same method and hyperparameters; ``state`` is ``None``.
        It writes and reads back like any history (:func:`load_history`).

    Raises
    ------
    TypeError
        ``histories`` is empty or holds something else than a History.

    Examples
    --------
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    >>> h = amt.concat([amt.run(amt.optimizers.gd(lr=0.1), q, 10),
    ...                 amt.run(amt.optimizers.mgd(lr=0.1, beta=0.5), q, 10)])
    >>> h.n_runs, h.meta["method"]
    (2, ['gd', 'mgd'])
    """
    histories = list(histories)
    if not histories or not all(isinstance(h, History) for h in histories):
        raise TypeError(f"histories must be a non-empty list of History, got "
                        f"{[type(h).__name__ for h in histories]}")
    frames, offset = [], 0
    for h in histories:
        f = h.frame.copy()
        f["run"] = f["run"].to_numpy() + offset
        frames.append(f)
        offset += h.n_runs
    keys = list(dict.fromkeys(k for h in histories for k in h.meta))
    meta = {}
    for key in keys:
        values = [h.meta.get(key) for h in histories]
        meta[key] = values[0] if _same(values) else values
    opts = [h.optimizer for h in histories]
    same_opt = None not in opts and _same([(o.name, dict(o.hyper)) for o in opts])
    optimizer = opts[0] if same_opt else None
    frame = pd.concat(frames, ignore_index=True)
    _restore_categoricals(frame)  # pd.concat of unequal categoricals gives plain strings
    return History(frame=frame, x=_stack_rows([h.x for h in histories]),
                   state=None if len(histories) > 1 else histories[0].state,
                   status=[s for h in histories for s in h.status], meta=meta, optimizer=optimizer,
                   x0=_stack_rows([h.x0 for h in histories]))
