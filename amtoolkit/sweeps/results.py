"""Reading a sweep store: the long table, the per-run summaries, the best configurations.

* :func:`load_results` reads the job files (only the asked columns and rows, with
  threads) into one long table, one row per run and recorded step;
* :func:`read_summaries` reads the last row of every run from the files' metadata only,
  through the store's summary index (``.amtoolkit.summaries``), which it brings up to
  date from the footers of the files that changed;
* :func:`best_configs` turns the summaries into one row per problem and method
  (``amtoolkit results``).

Every reader verifies what it reads: a file that is not an amtoolkit job file, or whose
footer does not parse, or whose metadata names another key, is reported with its path and
never mixed into the results.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..runner.history import JOB_META
from .locations import RemoteStore, Store, atomic_write_bytes, check_url_store, location, put_bytes, _remote_listing
from .store import (_PREFIX, _REMOTE_THREADS, SUMMARY_META, DamagedJobFile, _footer, _footer_value, _imap, _job_stem, _map,
                    job_files, verify_job_file)

__all__ = ["load_results", "read_summaries", "update_index", "best_configs", "COLUMNS", "INDEX_FILE"]

# -- reading -----------------------------------------------------------------------------


def _store_files(directory: Store) -> list[Path | str]:
    if isinstance(directory, RemoteStore):
        try:
            check_url_store("directory", directory.url, create=False)
        except ValueError as err:
            raise FileNotFoundError(str(err)) from None
    elif not directory.is_dir():
        raise FileNotFoundError(f"directory: no sweep store at {directory}")
    files = job_files(directory)
    if not files:
        raise FileNotFoundError(f"directory: {directory} holds no job files (*.parquet)")
    return [files[k] for k in sorted(files)]


_META_KEY = re.compile(rb'^\{"key": "([^"\\]*)"')


def _meta_key(raw: bytes) -> Any:
    """The ``key`` of a job file's metadata (JSON bytes): read from its start where the
    writer put it (no parsing of the rest), else from the parsed JSON; ``None`` when the
    metadata is not a JSON object."""
    got = _META_KEY.match(raw)
    if got is not None:
        return got.group(1).decode()
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    return meta.get("key") if isinstance(meta, dict) else None


def _stem(path: Path | str) -> str:
    name = path.name if isinstance(path, Path) else str(path).rsplit("/", 1)[-1]
    return name[:-8] if name.endswith(".parquet") else name


def _foreign(path: Path | str, key: Any) -> str | None:
    """The reason to skip ``path`` when its metadata names another job than its file
    name (a copied or renamed job file: its rows are another file's), else ``None``."""
    stem = _stem(path)
    if key is None or key == stem:  # (a file written outside a sweep may name no key)
        return None
    return (f"{path}: its metadata names the job {key!r}, not {stem!r} (its file name): a copied or "
            f"renamed job file")


def _warn_skipped(directory: Path, bad: list[str], n_good: int) -> None:
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        warnings.warn(f"{len(bad)} file(s) in {directory} skipped: {shown} (a sweep run again on this "
                      f"folder sets damaged job files aside and recomputes them)", RuntimeWarning, stacklevel=3)
    if not n_good:
        raise FileNotFoundError(f"directory: {directory} holds no amtoolkit job files ({len(bad)} "
                                f"*.parquet file(s), none written by a sweep)")


def _as_filters(where: Mapping | None, filters: Mapping) -> dict[str, list]:
    merged = dict(where or {})
    for col, want in filters.items():
        if col in merged:
            raise ValueError(f"filters: column {col!r} is given both in where and as a keyword")
        merged[col] = want
    return {col: (list(want) if isinstance(want, (list, tuple, set, frozenset, np.ndarray)) else [want])
            for col, want in merged.items()}


def _mask(table, filters: dict[str, list]):
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = None
    for col, allowed in filters.items():
        values = [v for v in allowed if v is not None and not (isinstance(v, float) and np.isnan(v))]
        column = table.column(col)
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        try:
            m = pc.is_in(column, value_set=pa.array(values, type=kind)) if values else \
                pa.array(np.zeros(len(table), bool))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # e.g. a string asked of a number column
            m = pa.array(np.zeros(len(table), bool))
        if len(values) < len(allowed):  # None / NaN in the list: keep the missing values too
            m = pc.or_(pc.fill_null(m, False), pc.is_null(column, nan_is_null=True))
        m = pc.fill_null(m, False)
        mask = m if mask is None else pc.and_(mask, m)
    return mask


def _numpy_parts(table) -> dict | None:
    """A small table as NumPy parts, ``{column: array}`` or ``{column: (codes, values)}`` for
    a dictionary column; ``None`` when a column holds nulls or another type."""
    import pyarrow as pa

    parts = {}
    for name, column in zip(table.column_names, table.columns):
        if column.null_count:
            return None
        kind = column.type
        if pa.types.is_dictionary(kind):
            arr = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            parts[name] = (arr.indices.to_numpy().copy(), arr.dictionary.to_pylist())
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            parts[name] = column.to_numpy().copy()  # a copy: the Arrow buffers are freed now
        else:
            return None
    return parts


def _rows(parts: dict) -> int:
    first = next(iter(parts.values()))
    return len(first[0] if isinstance(first, tuple) else first)


class _Filler:
    """Consecutive files with the same NumPy-part columns, copied straight into
    preallocated columns: no per-file copies wait for a final concatenation (whose freed
    small blocks the C heap keeps: measured +870 MB for 3 columns of 20,000 files, against
    the 335 MB of the result). Capacity: the first file's rows times the files left,
    grown 1.5x when exceeded, trimmed at the end."""

    def __init__(self, parts: dict, n_left: int):
        self.names = tuple(parts)
        self.dtypes = {k: None if isinstance(p, tuple) else p.dtype for k, p in parts.items()}
        self.n, self.cap = 0, max(1, _rows(parts) * max(1, n_left))
        self.cols = {k: np.empty(self.cap, np.int32 if d is None else d) for k, d in self.dtypes.items()}
        self.index: dict[str, dict] = {k: {} for k, d in self.dtypes.items() if d is None}
        self.add(parts)

    def fits(self, parts: dict) -> bool:
        return tuple(parts) == self.names and all(
            (d is None) == isinstance(parts[k], tuple) and (d is None or parts[k].dtype == d)
            for k, d in self.dtypes.items())

    def add(self, parts: dict) -> None:
        rows = _rows(parts)
        if self.n + rows > self.cap:
            self.cap = max(int(self.cap * 1.5), self.n + rows)
            for k, col in self.cols.items():
                grown = np.empty(self.cap, col.dtype)
                grown[:self.n] = col[:self.n]
                self.cols[k] = grown
        end = self.n + rows
        for k, p in parts.items():
            if isinstance(p, tuple):
                local, values = p
                index = self.index[k]
                lut = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int32,
                                  count=len(values))
                self.cols[k][self.n:end] = lut[local] if len(values) else local
            else:
                self.cols[k][self.n:end] = p
        self.n = end

    def columns(self, keep: list[str]) -> dict:
        """The columns ``keep`` (NumPy arrays; Categoricals for the dictionary columns)."""
        data = {}
        for k in keep:
            col = self.cols.pop(k)[:self.n]
            if k in self.index:
                cats = list(self.index[k])
                dtype = np.int8 if len(cats) < 2 ** 7 else np.int16 if len(cats) < 2 ** 15 else np.int32
                data[k] = pd.Categorical.from_codes(col.astype(dtype), dtype=pd.CategoricalDtype(cats), validate=False)
            else:
                data[k] = col.copy() if self.n < 0.75 * len(col.base if col.base is not None else col) else col
        self.cols.clear()
        return data

    def table(self):
        """All the columns as an Arrow table (dictionary columns with int32 indices, as
        ``pc.dictionary_encode`` gives them, so that it concatenates with read tables)."""
        import pyarrow as pa

        data = {}
        for k in self.names:
            col = self.cols.pop(k)[:self.n]
            data[k] = pa.DictionaryArray.from_arrays(pa.array(col), pa.array(list(self.index[k]))) \
                if k in self.index else pa.array(col)
        return pa.table(data)


def load_results(directory: str | os.PathLike | RemoteStore, columns: Iterable[str] | None = None,
                 where: Mapping[str, Any] | None = None, *, threads: int | None = None,
                 **filters) -> pd.DataFrame:
    """All jobs stored in ``directory`` as one long DataFrame.

    Parameters
    ----------
    directory : str or os.PathLike
        The ``out`` folder of a sweep, or its URL (``s3://bucket/prefix``, ``file:///...``,
        any URL pyarrow or fsspec knows: :func:`open_url`).
    columns : str or iterable of str, optional
        Read only these columns (default: all), in this order; each is in the result,
        missing (NaN) in the rows of files that lack it. Each file reads only what is
        asked.
    where : mapping, optional
        Keep the rows whose column equals a value, or is in a list/tuple/set of values
        (``None`` or NaN in the list also keep missing values, including the rows of a
        file that lacks the column); the same as ``filters``.
    threads : int, optional
        Threads reading the files (default: one per core beyond the first, at most 16,
        so serial on 2 cores; 16 for a URL store, whose reads wait on the network).
    **filters
        ``load_results("out", method="mgd", seed=[0, 1], hp_beta=0.9)``.

    Returns
    -------
    pandas.DataFrame
        One row per run and recorded step. Each row carries its job's key (``job``), the
        problem's parameters (``pb_*``) and the hyperparameters (``hp_*``); a column that
        only some jobs have is missing (NaN/None) in the others.

    Raises
    ------
    FileNotFoundError
        If ``directory`` does not exist, or holds no amtoolkit job file.
    ValueError
        If a filter or a requested column is in no stored job, ``columns`` is empty or
        ``threads`` is not an integer >= 1.
    TypeError
        If ``columns`` is not a name or an iterable of names.

    Warns
    -----
    RuntimeWarning
        Naming each ``*.parquet`` file skipped because it is damaged or not a job file of
        a sweep, and when the filters match no row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        elif isinstance(columns, Iterable) and not isinstance(columns, (bytes, Mapping)):
            columns = list(columns)
        else:
            raise TypeError(f"columns must be a column name or an iterable of column names, got "
                            f"{type(columns).__name__} {columns!r}")
        odd = [c for c in columns if not isinstance(c, str)]
        if odd:
            raise TypeError(f"columns: column names are str, got {odd[0]!r} ({type(odd[0]).__name__})")
        if not columns:
            raise ValueError("columns must name at least one column (None reads them all), got []")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be an integer >= 1 or None, got {threads!r}")
    directory = location(directory)
    remote = isinstance(directory, RemoteStore)
    flt = _as_filters(where, filters)
    keeps_missing = {col: any(v is None or (isinstance(v, float) and np.isnan(v)) for v in want)
                     for col, want in flt.items()}
    paths = _store_files(directory)

    def read(path):
        """(column names, table or None, error): one pass per file, footer and table. The
        file is opened here (``pa.OSFile``: pyarrow's path resolution costs a third of a
        small file's read) and closed at once."""
        try:
            source = directory.fs.open_input_file(path) if remote else pa.OSFile(str(path))
        except Exception as err:
            return None, None, f"{path}: not a readable Parquet file ({type(err).__name__}: {err})"
        with source:
            return read_open(path, source)

    def read_open(path, source):
        try:
            pf = pq.ParquetFile(source)
            schema = pf.schema_arrow
        except Exception as err:
            return None, None, f"{path}: not a readable Parquet file ({type(err).__name__}: {err})"
        if JOB_META not in (schema.metadata or {}):
            return None, None, f"{path}: not an amtoolkit job file (no {JOB_META.decode()!r} metadata)"
        foreign = _foreign(path, _meta_key(schema.metadata[JOB_META]))
        if foreign is not None:
            return None, None, foreign
        names = schema.names
        if "job" not in names:
            return None, None, f"{path}: not a sweep job file (no 'job' column)"
        if any(col not in names and not keeps_missing[col] for col in flt):  # a filter on a column it lacks:
            return names, None, None  # all its values are missing, kept only with None/NaN in the list
        want = None if columns is None else [c for c in dict.fromkeys([*columns, *flt]) if c in names]
        try:
            table = pf.read(columns=want, use_threads=False)
        except Exception as err:
            return None, None, f"{path}: its table could not be read ({type(err).__name__}: {err})"
        present = {col: allowed for col, allowed in flt.items() if col in names}
        if present:
            table = table.filter(_mask(table, present))
        for i, fld in enumerate(table.schema):  # strings (method, job, pb_name...) as categoricals:
            if pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type):  # 20x less memory
                table = table.set_column(i, fld.name, pc.dictionary_encode(table.column(i)))
        if columns is not None:  # a few columns: to NumPy at once, so no Arrow copy waits for the end
            parts = _numpy_parts(table)
            if parts:  # (not an empty table: no column asked is in this file)
                return names, parts, None
        return names, table.replace_schema_metadata(None), None

    bad: list[str] = []
    stored: dict[str, None] = {}
    blocks: list = []  # _Filler (runs of files with the same NumPy columns) and Arrow tables, in file order
    n_read = 0
    for i, (names, got, error) in enumerate(_imap(read, paths, threads or (_REMOTE_THREADS if remote else None))):
        if names is None:
            bad.append(error)
            continue
        n_read += 1
        stored.update(dict.fromkeys(names))
        if got is None:
            continue
        if isinstance(got, dict):
            if blocks and isinstance(blocks[-1], _Filler) and blocks[-1].fits(got):
                blocks[-1].add(got)
            else:
                blocks.append(_Filler(got, len(paths) - i))
        else:
            blocks.append(got)
    _warn_skipped(directory, bad, n_read)
    unknown = sorted(set(flt) - set(stored)) or sorted(set(columns or []) - set(stored))
    if unknown:
        what = "filters" if set(flt) - set(stored) else "columns"
        raise ValueError(f"{what}: unknown column {unknown[0]!r}; the stored columns are "
                         f"{', '.join(sorted(stored))}")
    order = list(stored) if columns is None else columns
    if len(blocks) == 1 and isinstance(blocks[0], _Filler):
        only = blocks.pop()
        frame = pd.DataFrame(only.columns([c for c in order if c in only.names]), copy=False)
    elif blocks:
        tables = [b.table() if isinstance(b, _Filler) else b for b in blocks]
        blocks.clear()
        table = pa.concat_tables(tables, promote_options="permissive").unify_dictionaries()
        del tables  # let to_pandas free each Arrow column as it converts it
        frame = table.to_pandas(self_destruct=True, split_blocks=True)
        del table
    else:
        frame = pd.DataFrame(columns=order)
    if columns is None:
        order = [c for c in order if c in frame.columns]
    for col in order:  # an asked column that no matching file has: all missing
        if col not in frame.columns:
            frame[col] = np.nan
    if list(frame.columns) != order:
        frame = frame[order]
    if flt and frame.empty:
        warnings.warn(f"load_results: no row of {directory} matches the filters "
                      f"{ {k: v if len(v) > 1 else v[0] for k, v in flt.items()} }", RuntimeWarning, stacklevel=2)
    return frame


INDEX_FILE = ".amtoolkit.summaries"  # a Parquet file; hidden and without .parquet: never taken for a job
_INDEX_META = b"amtoolkit.index"
_INDEX_FORMAT = 2  # 2: the column __file names the file of each row (1 found them by job: a copy twice)


#: seconds: a file of a URL store modified this recently is not signed into the index
#: (an object store's modification times may have 1 s resolution: a rewrite within the
#: same second, of the same size, would look unchanged)
SETTLE_SECONDS = 2.0


def _signed_files(loc: Store) -> dict[str, tuple[Path | str, tuple | None]]:
    """Every ``*.parquet`` file of a store with its signature, by stem: ``(inode, size,
    mtime_ns)`` locally (a rewrite through ``os.replace`` always changes the inode),
    ``(size, mtime_ns)`` in a URL store (from the one listing). The signature is ``None``
    (never answered from the index) for a file of a URL store whose file system gives no
    modification time (fsspec's through pyarrow's ``FSSpecHandler``: ``memory://``,
    ``s3fs``, ``gcsfs``...), or whose modification time is within :data:`SETTLE_SECONDS`
    of now (the newest of this machine's clock and the store's newest modification time):
    such a file's footer is read on each call until it has settled."""
    if isinstance(loc, RemoteStore):
        import time

        import pyarrow.fs as pafs

        out, newest = {}, 0
        listing = _remote_listing(loc)
        for info in listing:
            if info.type == pafs.FileType.File and info.mtime_ns is not None:
                newest = max(newest, info.mtime_ns)
        settled = max(time.time_ns(), newest) - int(SETTLE_SECONDS * 1e9)
        for info in listing:
            stem = _job_stem(loc, info) if info.type == pafs.FileType.File else None
            if stem is not None:
                mtime = info.mtime_ns
                out[stem] = (info.path, (info.size, mtime) if mtime is not None and mtime <= settled else None)
        return out
    out = {}

    def add(entry):
        st = entry.stat()
        out[entry.name[:-8]] = (Path(entry.path), (st.st_ino, st.st_size, st.st_mtime_ns))

    with os.scandir(loc) as it:
        for entry in it:
            if entry.name.endswith(".parquet") and not entry.name.startswith("."):
                add(entry)
            elif _PREFIX.match(entry.name) and entry.is_dir():
                with os.scandir(entry.path) as sub:
                    for e in sub:
                        if e.name.endswith(".parquet") and not e.name.startswith("."):
                            add(e)
    return out


def _read_index(loc: Store):
    """The summary index of a store: ``(table, {key: signature})``, or ``None`` when it is
    missing, unreadable or of another format (then it is rebuilt)."""
    import pyarrow.parquet as pq

    try:
        if isinstance(loc, RemoteStore):
            table = pq.read_table(loc.path(INDEX_FILE), filesystem=loc.fs)
        else:
            path = loc / INDEX_FILE
            if not path.is_file():
                return None
            table = pq.read_table(path)
        meta = json.loads(table.schema.metadata[_INDEX_META])
        if meta.get("format") != _INDEX_FORMAT:
            return None
        return table, {k: tuple(v) for k, v in meta["signatures"].items()}
    except Exception:  # noqa: BLE001 - FileNotFoundError, a damaged index: rebuilt from the footers
        return None


def _write_index(loc: Store, table, signatures: dict) -> None:
    """Write the summary index (one upload, or a temporary file and a rename); a store
    this process cannot write keeps its old index, which readers then see is stale."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.dumps({"format": _INDEX_FORMAT, "signatures": {k: list(v) for k, v in signatures.items()}})
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _INDEX_META: meta.encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    try:
        if isinstance(loc, RemoteStore):
            put_bytes(loc, loc.path(INDEX_FILE), sink.getvalue() if loc.local is None else sink.getvalue().to_pybytes())
        else:
            atomic_write_bytes(loc / INDEX_FILE, sink.getvalue().to_pybytes())
    except OSError:  # a read-only store: no index, the footers are read each time
        pass


_FILE = "__file"  # the index's column of each row's file (its stem): the rows of a file are found by it


def _summary_frame(results: list, stems: list[str]) -> pd.DataFrame | None:
    groups: dict[tuple, list] = {}
    for stem, (got, _) in zip(stems, results):
        if got is not None:
            groups.setdefault(got[0], []).append((stem, got[1]))
    if not groups:
        return None
    frames = [pd.DataFrame({**{c: [v for _, part in parts for v in part[i]] for i, c in enumerate(cols)},
                            _FILE: [stem for stem, part in parts for _ in range(len(part[0]) if part else 0)]})
              for cols, parts in groups.items()]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    for col in frame.columns:  # JSON null back to NaN in the numeric columns
        if frame[col].dtype == object:
            values = frame[col].dropna()
            if len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                frame[col] = frame[col].astype(float)
            elif len(frames) > 1:  # the NaN pandas put in the rows of files without the column: None,
                frame[col] = frame[col].where(frame[col].notna(), None)  # as through Arrow (the index)
    return frame


def read_summaries(directory: str | os.PathLike | RemoteStore, *, index: bool = True) -> pd.DataFrame:
    """The last row of every run of every stored job, read from the files' metadata only
    (the job's table is read for a file written before summaries existed).

    Parameters
    ----------
    directory : str, os.PathLike or RemoteStore
        The store: a folder or a URL (:func:`open_url`).
    index : bool, default True
        Use and update the store's summary index (below); ``False`` reads every footer.

    Returns
    -------
    pandas.DataFrame
        Same columns and names as :func:`load_results`; one row per (job, run), sorted by
        job.

    Raises
    ------
    FileNotFoundError
        If ``directory`` does not exist or holds no amtoolkit job file.

    Warns
    -----
    RuntimeWarning
        Naming each file skipped because it does not verify.

    Notes
    -----
    With ``index`` (the default), the summaries come from the store's summary index
    (``out/.amtoolkit.summaries``, a Parquet file, written by the sweep at its end and by this
    function), for every job file whose signature is the one recorded there: its inode,
    size and modification time (size and modification time in a URL store), read from
    one listing. Only the footers of the other files are read, and the index is then
    rewritten. A job file that was rewritten, added or removed is therefore never
    answered from a stale index. In a URL store, a file without a modification time
    (the fsspec file systems: ``memory://``, ``s3fs``...) is never answered from the
    index, nor one modified within :data:`SETTLE_SECONDS` of the read (object stores
    keep modification times to the second, so a same-size rewrite within that second
    would otherwise look unchanged); their footers are read on each call.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = location(directory)
    fs = directory.fs if isinstance(directory, RemoteStore) else None
    _store_files(directory)  # the store exists and holds job files, or a named error
    entries = _signed_files(directory)
    old = _read_index(directory) if index else None
    keep = set()
    if old is not None:
        keep = {k for k, (_, sig) in entries.items() if sig is not None and old[1].get(k) == sig}
    todo_keys = [k for k in sorted(entries) if k not in keep]
    todo = [entries[k][0] for k in todo_keys]

    def one(path):
        try:
            footer = _footer(path, fs)
        except (OSError, ValueError) as err:
            return None, f"{path}: not a readable Parquet file ({err})"
        raw = _footer_value(footer, SUMMARY_META)
        raw_meta = _footer_value(footer, JOB_META)
        if raw is not None and raw_meta is not None:
            foreign = _foreign(path, _meta_key(raw_meta))
            if foreign is not None:
                return None, foreign
            try:
                summary = json.loads(raw)
                n, cols = int(summary["n"]), summary["columns"]
                return (tuple(cols), [v if isinstance(v, list) else [v] * n for v in cols.values()]), None
            except (ValueError, KeyError, TypeError) as err:
                return None, f"{path}: its summary metadata is damaged ({err})"
        try:  # written before summaries existed: the job metadata, else the table's last rows
            meta = verify_job_file(path, fs=fs)
            foreign = _foreign(path, meta.get("key"))
            if foreign is not None:
                return None, foreign
            frame = pq.read_table(path, filesystem=fs).to_pandas()
        except DamagedJobFile as err:
            return None, str(err)
        except Exception as err:
            return None, f"{path}: its table could not be read ({type(err).__name__}: {err})"
        if "job" not in frame or "run" not in frame:
            return None, f"{path}: not a sweep job file (no 'job' or 'run' column)"
        del meta
        last = frame.groupby("run", sort=False).tail(1)
        return (tuple(last.columns), [last[c].tolist() for c in last.columns]), None

    results = _map(one, todo, None if fs is None else _REMOTE_THREADS)
    bad = [error for got, error in results if got is None]
    _warn_skipped(directory, bad, len(keep) + len(results) - len(bad))
    fresh = _summary_frame(results, todo_keys)
    if fresh is not None and (not index or "job" not in fresh):
        fresh = fresh.drop(columns=_FILE)
        return fresh.sort_values("job", kind="stable", ignore_index=True) if "job" in fresh else fresh
    if fresh is None and old is not None and len(keep) == len(old[1]):
        return old[0].drop_columns([_FILE]).to_pandas()  # nothing changed: the index as it is
    try:
        parts = []
        if old is not None and keep:
            import pyarrow.compute as pc

            parts.append(old[0].filter(pc.is_in(old[0].column(_FILE), value_set=pa.array(sorted(keep)))))
        if fresh is not None:
            parts.append(pa.Table.from_pandas(fresh, preserve_index=False))
        table = pa.concat_tables(parts, promote_options="permissive").replace_schema_metadata(None)
        table = table.take(pc_sort_job(table))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):  # columns that do not fit one table
        return read_summaries(directory, index=False)
    indexed = set(keep) | {stem for stem, (got, _) in zip(todo_keys, results) if got is not None}
    _write_index(directory, table, {k: entries[k][1] for k in indexed if entries[k][1] is not None})  # rows found by _FILE: never twice
    return table.drop_columns([_FILE]).to_pandas()


def pc_sort_job(table):
    """Row order: by job key, stably (each job's runs in their order)."""
    import pyarrow.compute as pc

    return pc.sort_indices(table, sort_keys=[("job", "ascending")])


def update_index(out: str | os.PathLike | RemoteStore) -> None:
    """Bring the summary index of a store up to date (the sweep calls it at its end);
    quiet: a file that does not verify is the readers' to report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            read_summaries(out)
        except (FileNotFoundError, OSError, ValueError):
            pass


# -- the best configurations -------------------------------------------------------------


def _text(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


#: what each column of :func:`best_configs` (and of ``amtoolkit results``) means
COLUMNS = {
    "pb_*": "the problem (the same columns as load_results)",
    "method": "the optimizer",
    "configuration": "the best hyperparameters among those that vary in the method's grid "
                     "(lr as c/L where it was given so)",
    "final_gap": "median over seeds of the last recorded f(x) - f* (the last loss where f* is "
                 "unknown; a run that did not end finite counts as +inf); smallest wins",
    "worst_gap": "largest final gap over the seeds of that configuration",
    "runs": "runs (seeds) of that configuration",
    "edge": "the grid axes whose best value is the smallest or largest of the grid: the optimum may "
            "lie outside it, widen the grid",
}


def best_configs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per problem and method, the configuration with the smallest median final gap over
    seeds (the final loss where no gap is known; a run that did not end finite counts as
    +inf), with the worst final gap of that configuration and the number of runs.

    ``frame`` is a :func:`load_results` table, or its last rows (:func:`read_summaries`).
    The problem is given by the ``pb_*`` columns (the names of :func:`load_results`);
    ``configuration`` lists the hyperparameters that vary in the method's grid (``lr``
    as ``c/L`` where it was given so); ``edge`` names each of those whose best value is
    the smallest or largest of its grid (the optimum may lie beyond it). Rows are sorted
    by problem, then final gap. :data:`COLUMNS` defines each column.
    """
    pb = sorted(c for c in frame.columns if c.startswith("pb_"))
    pb = (["pb_name"] if "pb_name" in pb else []) + [c for c in pb if c != "pb_name"]
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
        parts, edge = [], []
        for c in varies:
            if (c == "hp_lr" and pd.notna(best.get("lr_c"))) or (c == "lr_c" and pd.isna(best[c])):
                continue
            name = "lr" if c == "lr_c" else c[3:]
            parts.append(f"lr={_text(best[c])}/L" if c == "lr_c" else f"{name}={_text(best[c])}")
            axis = pd.to_numeric(group[c], errors="coerce").dropna()
            if c == "lr_c" or c == "hp_lr":
                axis = axis[group.loc[axis.index, "lr_c" if c == "lr_c" else c].notna()]
            if len(axis.unique()) >= 2 and isinstance(best[c], (int, float, np.number)) and pd.notna(best[c]):
                if best[c] == axis.min():
                    edge.append(f"{name} at its smallest")
                elif best[c] == axis.max():
                    edge.append(f"{name} at its largest")
        row = {c: best[c] for c in pb}
        row.update({"method": best["method"], "configuration": " ".join(parts) or "(one)",
                    "final_gap": best["final_gap"], "worst_gap": best["worst_gap"], "runs": int(best["runs"]),
                    "edge": ", ".join(edge)})
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*pb, "method", "configuration", "final_gap", "worst_gap", "runs", "edge"])
    return table.sort_values([*pb, "final_gap", "method"], kind="stable", na_position="last").reset_index(drop=True)
