"""Saving and loading result tables (long format, one row per run and step).

The sweep store keeps one Parquet file per job (``write_job``), which ``load_results``
reads back as one table. (One run is written by :func:`amtoolkit.runner.history.save_history`.)

Layout of a store ``out``:

* ``<key>.parquet``: one job (a key is 20 hex digits); once a sweep holds more than
  :data:`SPLIT_AT` jobs, new ones go to ``<key[:2]>/<key>.parquet`` (256 subfolders),
  and both places are read;
* each job file carries its job's metadata (config, status, host, versions, and a
  per-run summary: the last row of each run) in its Parquet schema metadata, so that
  ``amtoolkit results`` reads only the footers;
* ``_failed/<key>.json``: the failure record of a job that failed (error, status
  ``failed`` or ``timeout``, host, attempts, time); removed when the job is stored;
* ``_damaged/``: job files that did not verify, set aside (never deleted) by the sweep
  that then recomputes them;
* ``.amtoolkit.lock``: held by the sweep writing into the store.

A store is a local folder, or any URL that :func:`pyarrow.fs.FileSystem.from_uri` knows
(``file://``, ``s3://``, ``gs://``...) or, failing that, fsspec does (``memory://``...):
see :func:`open_url`. A local folder is written through a temporary file and
``os.replace``; a URL store through one upload per file (an object store's PUT is atomic:
no temporary object, no rename), except ``file://``, which keeps the rename.

Every reader verifies what it reads: a file that is not an amtoolkit job file, or whose
footer does not parse, or whose metadata names another key, is reported with its path
and never counted as done or mixed into the results.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

import numpy as np
import pandas as pd

from ..runner.history import JOB_META, _jsonable, read_job_meta

__all__ = ["write_job", "stored_keys", "read_job_meta", "load_results", "best_configs", "JOB_META", "SUMMARY_META",
           "job_files", "scan_store", "read_summaries", "DamagedJobFile", "SPLIT_AT", "RemoteStore", "open_url",
           "location", "is_url"]

#: number of job files beyond which a sweep writes new ones into ``<key[:2]>/`` subfolders
SPLIT_AT = 4096
FAILED_DIR = "_failed"
DAMAGED_DIR = "_damaged"
_KEY = re.compile(r"^[0-9a-f]{20}$")
_PREFIX = re.compile(r"^[0-9a-f]{2}$")


class DamagedJobFile(ValueError):
    """A file in a sweep store that is not a readable amtoolkit job file; the message names it."""


#: reader threads for a URL store, whose reads wait on the network rather than the CPU
_REMOTE_THREADS = 16


def _threads() -> int:
    """Reader threads: one per core beyond the first, at most 16 (1, i.e. serial, on 2 cores)."""
    return max(1, min(16, (os.cpu_count() or 1) - 1))


# -- the sweep store: one Parquet file per job -------------------------------------------


def _strict_json(obj) -> str:
    """JSON with NaN/inf written as null (strict JSON)."""
    return json.dumps(_jsonable(obj), allow_nan=False)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a temporary file beside it and ``os.replace``,
    with the permissions of a normally created file (0o666 less the umask)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# -- stores at a URL -------------------------------------------------------------------------


class RemoteStore:
    """A store at a URL: the URL as given, its pyarrow file system and the path in it.

    Pickles as its URL (a Dask or loky worker resolves the URL itself). ``local`` is the
    folder when the file system is the local one (a ``file://`` URL)."""

    __slots__ = ("url", "fs", "base", "local")

    def __init__(self, url: str, fs, base: str):
        import pyarrow.fs as pafs

        self.url, self.fs, self.base = url, fs, base.rstrip("/") or "/"
        self.local = Path(self.base) if isinstance(fs, pafs.LocalFileSystem) else None

    def path(self, *parts: str) -> str:
        return "/".join([self.base.rstrip("/"), *parts]) if parts else self.base

    def __reduce__(self):
        return open_url, (self.url,)

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RemoteStore) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


Store = Union[Path, RemoteStore]


def is_url(out) -> bool:
    """Whether ``out`` names a URL store (``scheme://...``) rather than a local folder."""
    return isinstance(out, RemoteStore) or (isinstance(out, str) and re.match(r"^[A-Za-z][\w+.-]*://", out) is not None)


_OPENED: dict[str, RemoteStore] = {}


def open_url(url: str, name: str = "out") -> RemoteStore:
    """The file system of a store URL.

    :meth:`pyarrow.fs.FileSystem.from_uri` is asked first (``file://``, ``s3://``,
    ``gs://``, ``hdfs://``, ``abfs://``), then fsspec for the protocols pyarrow lacks
    (``memory://``, ``sftp://``...), whose file system is wrapped in
    ``PyFileSystem(FSSpecHandler(fs))``. Cached per process: a worker resolves each URL
    once. Nothing is contacted here; :func:`check_url_store` checks that the store can
    be reached.

    Parameters
    ----------
    url : str
        ``scheme://...``, e.g. ``"s3://bucket/prefix"`` or ``"file:///data/runs"``.
    name : str, default "out"
        The parameter named in the errors.

    Returns
    -------
    RemoteStore

    Raises
    ------
    ValueError
        Naming ``name`` and the URL, for an unknown protocol, or a protocol whose package
        is not installed (the message names the package).
    """
    got = _OPENED.get(url)
    if got is not None:
        return got
    import pyarrow.fs as pafs

    try:
        fs, base = _arrow_from_uri(url)
    except Exception as arrow_err:  # ArrowInvalid (unknown type, a bad query), OSError (no libjvm)...
        try:
            from fsspec.core import url_to_fs
        except ImportError:
            raise ValueError(f"{name}: pyarrow cannot open {url!r} ({arrow_err}), and fsspec, which knows more "
                             f"protocols, is not installed (pip install fsspec)") from None
        try:
            ffs, base = url_to_fs(url)
        except ImportError as err:  # e.g. "Install s3fs to access S3"
            raise ValueError(f"{name}: {url!r} needs a package that is not installed: {err}") from None
        except Exception as err:  # "Protocol not known", a malformed URL
            if "not known" in str(err):
                scheme = url.split("://", 1)[0]
                raise ValueError(f"{name}: cannot open the store {url!r}: unknown protocol {scheme!r}, which "
                                 f"neither pyarrow's file systems nor fsspec's know (fsspec.available_protocols() "
                                 f"lists fsspec's); a local folder is given without a scheme") from None
            raise ValueError(f"{name}: cannot open the store {url!r}: {type(err).__name__}: {err} (pyarrow: "
                             f"{arrow_err})") from None
        fs = pafs.PyFileSystem(pafs.FSSpecHandler(ffs))
    got = _OPENED[url] = RemoteStore(url, fs, base)
    return got


def _arrow_from_uri(url: str):
    import pyarrow.fs as pafs

    return pafs.FileSystem.from_uri(url)


def location(out: str | os.PathLike | RemoteStore) -> Store:
    """A local folder as a ``Path``, a URL as its :class:`RemoteStore`."""
    if isinstance(out, RemoteStore):
        return out
    if is_url(out):
        return open_url(out)
    return Path(out)


def check_url_store(name: str, url: str, create: bool = True) -> RemoteStore:
    """Open the store ``url`` (:func:`open_url`) and check, before any job runs, that it
    can be reached and is not a file.

    Parameters
    ----------
    name : str
        The parameter named in the errors (``"out"``, ``"directory"``).
    url : str
        The store's URL.
    create : bool, default True
        Create its folder if missing (not on an object store, whose prefixes need none).

    Returns
    -------
    RemoteStore

    Raises
    ------
    ValueError
        Naming ``name`` and the URL: an unknown protocol, a missing package, a store that
        cannot be reached (no such bucket, no permission, no answer), or a file.
    FileNotFoundError
        Without ``create``, when nothing is stored at ``url``.
    """
    import pyarrow.fs as pafs

    loc = open_url(url, name)
    try:
        info = loc.fs.get_file_info(loc.base)
        if create and info.type == pafs.FileType.NotFound and not _object_store(loc.fs):
            loc.fs.create_dir(loc.base, recursive=True)
    except Exception as err:  # OSError (unreachable, no such bucket, no permission), ArrowInvalid...
        raise ValueError(f"{name}: the store {url!r} cannot be reached: {type(err).__name__}: {err}") from None
    if info.type == pafs.FileType.File:
        raise ValueError(f"{name} must be a folder, but {url!r} is a file")
    if not create and info.type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"directory: no sweep store at {url}")
    return loc


def _object_store(fs) -> bool:
    """An object store: no folders to create, PUT is atomic."""
    import pyarrow.fs as pafs

    if isinstance(fs, pafs.PyFileSystem):
        protocol = getattr(getattr(fs.handler, "fs", None), "protocol", "")
        protocol = protocol if isinstance(protocol, str) else protocol[0]
        return protocol in ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "oss", "memory")
    return type(fs).__name__ in ("S3FileSystem", "GcsFileSystem", "AzureFileSystem")


def _read_bytes(loc: RemoteStore, path: str) -> bytes:
    with loc.fs.open_input_stream(path) as fh:
        return fh.read()


def put_bytes(loc: RemoteStore, path: str, data: bytes) -> None:
    """``data`` into ``path`` whole: one upload, which an object store makes visible at
    once (atomic PUT); through a temporary file and a rename on the local file system."""
    if loc.local is not None:
        atomic_write_bytes(Path(path), data)
        return
    with loc.fs.open_output_stream(path) as fh:
        fh.write(data)


def delete_file(loc: Store, relative: str) -> None:
    """Remove ``out/<relative>`` if it exists."""
    if isinstance(loc, Path):
        (loc / relative).unlink(missing_ok=True)
        return
    try:
        loc.fs.delete_file(loc.path(relative))
    except FileNotFoundError:
        pass


def _remote_listing(loc: RemoteStore, folder: str = "") -> list:
    """The file infos under ``out/<folder>`` (recursive: one listing call on an object store)."""
    import pyarrow.fs as pafs

    base = loc.path(folder) if folder else loc.base
    return loc.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))


def job_path(out: str | os.PathLike, key: str, split: bool = False) -> Path:
    """Where the job ``key`` is written: ``out/<key>.parquet``, or ``out/<key[:2]>/<key>.parquet``
    in a split store."""
    return Path(out) / key[:2] / f"{key}.parquet" if split else Path(out) / f"{key}.parquet"


def _job_table(frame: pd.DataFrame, meta: dict, summary: dict | None):
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    extra = {JOB_META: _strict_json(meta).encode()}
    if summary is not None:
        extra[SUMMARY_META] = _strict_json(summary).encode()
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})


_MADE: set = set()  # the split subfolders this process has made in URL stores


def write_job(out: str | os.PathLike | RemoteStore, key: str, frame: pd.DataFrame, meta: dict, *,
              split: bool = False, summary: dict | None = None) -> Path | str:
    """Write one job's long table to ``<out>/<key>.parquet`` (``<out>/<key[:2]>/`` with
    ``split``), with ``meta`` in the file's schema metadata.

    Atomic: the table goes to a hidden temporary file beside the target that
    ``os.replace`` renames, so a reader (or a resumed sweep) never sees a half-written
    job. The file gets normal permissions (0o666 less the umask; ``mkstemp`` alone
    gives 0o600). ``summary`` (:func:`run_summary`) goes to its own metadata entry, which
    ``amtoolkit results`` reads without parsing the rest.

    ``out`` may be a URL (:func:`open_url`): the file is then serialised in memory and
    uploaded whole in one request (an object store's PUT is atomic: no temporary object,
    no rename); a ``file://`` URL keeps the temporary file and the rename.
    Returns the file's path (in the URL's file system for a URL).
    """
    import pyarrow.parquet as pq

    table = _job_table(frame, meta, summary)
    loc = location(out)
    if isinstance(loc, RemoteStore):
        import pyarrow as pa

        path = loc.path(key[:2], f"{key}.parquet") if split else loc.path(f"{key}.parquet")
        if split and not _object_store(loc.fs) and (loc.url, key[:2]) not in _MADE:
            loc.fs.create_dir(loc.path(key[:2]), recursive=True)
            _MADE.add((loc.url, key[:2]))
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, use_dictionary=False)
        put_bytes(loc, path, sink.getvalue().to_pybytes() if loc.local is not None else sink.getvalue())
        return path
    path = job_path(loc, key, split)
    if split:
        path.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, use_dictionary=False)  # faster to write, files slightly larger
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _relative(loc: RemoteStore, path: str) -> str:
    base = loc.base.rstrip("/")
    return path[len(base):].lstrip("/") if path.startswith(base) else path


def job_files(out: str | os.PathLike | RemoteStore) -> dict[str, Path | str]:
    """Every ``*.parquet`` file of a store, by stem: ``out/*.parquet`` and
    ``out/<2 hex digits>/*.parquet`` (empty when the folder does not exist). For a URL
    store, the paths are in its file system (one recursive listing)."""
    loc = location(out)
    if isinstance(loc, RemoteStore):
        import pyarrow.fs as pafs

        files = {}
        for info in _remote_listing(loc):
            if info.type != pafs.FileType.File:
                continue
            parts = _relative(loc, info.path).split("/")
            name = parts[-1]
            if (len(parts) == 1 or (len(parts) == 2 and _PREFIX.match(parts[0]))) \
                    and name.endswith(".parquet") and not name.startswith("."):
                files[name[:-8]] = info.path
        return files
    out = loc
    if not out.is_dir():
        return {}
    files = {}
    with os.scandir(out) as it:
        for entry in it:
            if entry.name.endswith(".parquet") and not entry.name.startswith("."):
                files[entry.name[:-8]] = Path(entry.path)
            elif _PREFIX.match(entry.name) and entry.is_dir():
                with os.scandir(entry.path) as sub:
                    for e in sub:
                        if e.name.endswith(".parquet") and not e.name.startswith("."):
                            files[e.name[:-8]] = Path(e.path)
    return files


def stored_keys(out: str | os.PathLike | RemoteStore) -> set[str]:
    """Keys of the jobs stored in ``out`` (empty when the folder does not exist). Does
    not verify the files: :func:`scan_store` does."""
    return set(job_files(out))


SUMMARY_META = b"amtoolkit.summary"  # the per-run summary (JSON), beside JOB_META


def _footer(path: Path | str, fs=None) -> bytes:
    """The footer (Thrift FileMetaData) bytes of a Parquet file (``path`` in the file system
    ``fs``, local by default); raises ``ValueError`` for a file that is not Parquet or is
    truncated."""
    if fs is not None:
        return _remote_footer(path, fs)
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        if size < 12:
            raise ValueError(f"{size} bytes, too short for Parquet")
        fh.seek(0)
        head = fh.read(4)
        fh.seek(-8, 2)
        tail = fh.read(8)
        n = int.from_bytes(tail[:4], "little")
        if head != b"PAR1" or tail[4:] != b"PAR1" or n > size - 12:
            raise ValueError("no Parquet magic bytes (truncated or not Parquet)")
        fh.seek(-8 - n, 2)
        return fh.read(n)


def _remote_footer(path: str, fs) -> bytes:
    """:func:`_footer` in a pyarrow file system: the last 64 KiB in one ranged read (one
    request on an object store, where most footers fit), more only when needed."""
    with fs.open_input_file(path) as fh:
        size = fh.size()
        if size < 12:
            raise ValueError(f"{size} bytes, too short for Parquet")
        head = fh.read_at(4, 0)
        start = max(0, size - 65536)
        tail = fh.read_at(size - start, start)
        n = int.from_bytes(tail[-8:-4], "little")
        if head != b"PAR1" or tail[-4:] != b"PAR1" or n > size - 12:
            raise ValueError("no Parquet magic bytes (truncated or not Parquet)")
        if n + 8 <= len(tail):
            return bytes(tail[len(tail) - 8 - n:len(tail) - 8])
        return bytes(fh.read_at(n, size - 8 - n))


def _footer_value(footer: bytes, name: bytes) -> bytes | None:
    """The value of the key-value metadata entry ``name``, found in the footer bytes
    without building the schema (a Thrift compact KeyValue: 0x18, len, key, 0x18, varint
    len, value); ``None`` when absent or not in that form (then ask pyarrow)."""
    needle = b"\x18" + bytes([len(name)]) + name + b"\x18"
    at = footer.find(needle)
    if at < 0:
        return None
    i, length, shift = at + len(needle), 0, 0
    while i < len(footer):  # the value's length, a varint
        byte = footer[i]
        length |= (byte & 0x7F) << shift
        i += 1
        shift += 7
        if not byte & 0x80:
            break
    return footer[i:i + length] if i + length <= len(footer) else None


def _footer_job_meta(path: Path | str, fs=None) -> bytes | None:
    return _footer_value(_footer(path, fs), JOB_META)


def verify_job_file(path: Path | str, key: str | None = None, fs=None) -> dict:
    """The job metadata of ``path`` (in the file system ``fs``, local by default); raises
    :class:`DamagedJobFile` naming the file when its footer does not parse, it carries no
    amtoolkit job metadata, the metadata is not a JSON object, or it names another key
    than ``key``."""
    import pyarrow.parquet as pq

    try:
        raw = _footer_job_meta(path, fs)
        if raw is None:
            raw = (pq.read_schema(path, filesystem=fs).metadata or {}).get(JOB_META)
    except Exception as err:  # ArrowInvalid, OSError...: the file is damaged or not Parquet
        raise DamagedJobFile(f"{path}: not a readable Parquet file ({type(err).__name__}: {err})") from None
    if raw is None:
        raise DamagedJobFile(f"{path}: not an amtoolkit job file (no {JOB_META.decode()!r} metadata)")
    try:
        meta = json.loads(raw)
    except ValueError as err:
        raise DamagedJobFile(f"{path}: its job metadata is not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise DamagedJobFile(f"{path}: its job metadata is not a JSON object, got {type(meta).__name__}")
    if key is not None and meta.get("key") != key:
        raise DamagedJobFile(f"{path}: its metadata names the job {meta.get('key')!r}, not {key!r}")
    return meta


def scan_store(out: str | os.PathLike | RemoteStore, set_aside: bool = False) -> tuple[dict[str, dict], dict[str, str]]:
    """Verify every job file of a sweep store (footers only, in threads).

    Returns ``(good, bad)``: the metadata of each verified job by key, and the reason of
    each file that did not verify, by path. With ``set_aside``, each bad file whose name
    is a job key (a damaged job, which the sweep then recomputes) is moved into
    ``out/_damaged/``, never deleted; a file whose name is not a key (a foreign file) is
    left where it is and ignored. ``out`` may be a URL (:func:`open_url`).
    """
    loc = location(out)
    remote = isinstance(loc, RemoteStore)
    fs = loc.fs if remote else None
    files = job_files(loc)
    good, bad = {}, {}

    def check(item):
        stem, path = item
        try:
            return stem, path, verify_job_file(path, stem if _KEY.match(stem) else None, fs), None
        except DamagedJobFile as err:
            return stem, path, None, str(err)

    items = list(files.items())
    results = _map(check, items, _REMOTE_THREADS if remote else None)
    for stem, path, meta, error in results:
        if error is None and _KEY.match(stem) and meta.get("state", "done") == "done":
            good[stem] = meta
            continue
        if error is None:
            error = (f"{path}: not a job of a sweep (its name is not a job key)" if not _KEY.match(stem)
                     else f"{path}: its state is {meta.get('state')!r}, not 'done'")
        bad[str(path)] = error
        if set_aside and _KEY.match(stem) and remote:
            name = str(path).rsplit("/", 1)[-1]
            if not _object_store(fs):
                fs.create_dir(loc.path(DAMAGED_DIR), recursive=True)
            fs.move(str(path), loc.path(DAMAGED_DIR, f"{name}.damaged"))
        elif set_aside and _KEY.match(stem):
            target = Path(out) / DAMAGED_DIR
            target.mkdir(exist_ok=True)
            os.replace(path, target / f"{path.name}.damaged")
    return good, bad


def remove_stale_temporaries(out: str | os.PathLike | RemoteStore) -> list[Path | str]:
    """Remove the ``.<key>.*.tmp`` files a killed writer left behind (call only while
    holding the store's lock: a running writer's temporary file looks the same). A URL
    store has them only on the local file system (``file://``): an upload leaves none."""
    loc = location(out)
    if isinstance(loc, RemoteStore):
        if loc.local is None:
            return []
        out = loc.local
    else:
        out = loc
    removed = []
    for folder in [out, *(p for p in out.iterdir() if p.is_dir() and _PREFIX.match(p.name))] if out.is_dir() else []:
        for path in folder.glob(".*.tmp"):
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:  # pragma: no cover - removed meanwhile
                pass
    return removed


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


def _imap(fn, items: list, threads: int | None):
    """:func:`_map`, its results yielded in order as they come (so a consumer can free each)."""
    threads = threads or _threads()
    if threads <= 1 or len(items) < (2 if threads >= _REMOTE_THREADS else 64):
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(threads) as pool:
        yield from pool.map(fn, items)


def _map(fn, items: list, threads: int | None) -> list:
    """``fn`` over ``items``, in threads when there are several cores (on two cores the
    GIL hand-offs cost more than they give: measured 1.6 s threaded against 1.3 s serial
    for 2,000 files)."""
    threads = threads or _threads()
    if threads <= 1 or len(items) < (2 if threads >= _REMOTE_THREADS else 64):
        return list(map(fn, items))
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


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
    columns : iterable of str, optional
        Read only these columns (default: all). Each file reads only what is asked.
    where : mapping, optional
        Keep the rows whose column equals a value, or is in a list/tuple/set of values
        (``None`` or NaN in the list also keep missing values); the same as ``filters``.
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
        If a filter or a requested column is in no stored job.

    Warns
    -----
    RuntimeWarning
        Naming each ``*.parquet`` file skipped because it is damaged or not a job file of
        a sweep, and when the filters match no row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    directory = location(directory)
    remote = isinstance(directory, RemoteStore)
    flt = _as_filters(where, filters)
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
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
        names = schema.names
        if "job" not in names:
            return None, None, f"{path}: not a sweep job file (no 'job' column)"
        if any(col not in names for col in flt):  # a filter on a column this job lacks
            return names, None, None
        want = None if columns is None else [c for c in dict.fromkeys([*columns, *flt]) if c in names]
        try:
            table = pf.read(columns=want, use_threads=False)
        except Exception as err:
            return None, None, f"{path}: its table could not be read ({type(err).__name__}: {err})"
        if flt:
            table = table.filter(_mask(table, flt))
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
        frame = pd.DataFrame(columns=[c for c in order if c in stored])
    want = [c for c in order if c in frame.columns]
    if list(frame.columns) != want:
        frame = frame[want]
    if flt and frame.empty:
        warnings.warn(f"load_results: no row of {directory} matches the filters "
                      f"{ {k: v if len(v) > 1 else v[0] for k, v in flt.items()} }", RuntimeWarning, stacklevel=2)
    return frame


INDEX_FILE = ".amtoolkit.summaries"  # a Parquet file; hidden and without .parquet: never taken for a job
_INDEX_META = b"amtoolkit.index"
_INDEX_FORMAT = 1


def _signed_files(loc: Store) -> dict[str, tuple[Path | str, tuple]]:
    """Every ``*.parquet`` file of a store with its signature, by stem: ``(inode, size,
    mtime_ns)`` locally (a rewrite through ``os.replace`` always changes the inode),
    ``(size, mtime_ns)`` in a URL store (from the one listing)."""
    if isinstance(loc, RemoteStore):
        import pyarrow.fs as pafs

        out = {}
        for info in _remote_listing(loc):
            if info.type != pafs.FileType.File:
                continue
            parts = _relative(loc, info.path).split("/")
            name = parts[-1]
            if (len(parts) == 1 or (len(parts) == 2 and _PREFIX.match(parts[0]))) \
                    and name.endswith(".parquet") and not name.startswith("."):
                out[name[:-8]] = (info.path, (info.size, info.mtime_ns))
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


def _summary_frame(results: list) -> pd.DataFrame | None:
    groups: dict[tuple, list] = {}
    for got, _ in results:
        if got is not None:
            groups.setdefault(got[0], []).append(got[1])
    if not groups:
        return None
    frames = [pd.DataFrame({c: [v for part in parts for v in part[i]] for i, c in enumerate(cols)})
              for cols, parts in groups.items()]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    for col in frame.columns:  # JSON null back to NaN in the numeric columns
        if frame[col].dtype == object:
            values = frame[col].dropna()
            if len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                frame[col] = frame[col].astype(float)
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
    answered from a stale index.
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
        keep = {k for k, (_, sig) in entries.items() if old[1].get(k) == sig}
    todo_keys = [k for k in sorted(entries) if k not in keep]
    todo = [entries[k][0] for k in todo_keys]

    def one(path):
        try:
            footer = _footer(path, fs)
        except (OSError, ValueError) as err:
            return None, f"{path}: not a readable Parquet file ({err})"
        raw = _footer_value(footer, SUMMARY_META)
        if raw is not None and JOB_META in footer:
            try:
                summary = json.loads(raw)
                n, cols = int(summary["n"]), summary["columns"]
                return (tuple(cols), [v if isinstance(v, list) else [v] * n for v in cols.values()]), None
            except (ValueError, KeyError, TypeError) as err:
                return None, f"{path}: its summary metadata is damaged ({err})"
        try:  # written before summaries existed: the job metadata, else the table's last rows
            meta = verify_job_file(path, fs=fs)
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
    fresh = _summary_frame(results)
    if fresh is not None and (not index or "job" not in fresh):
        return fresh.sort_values("job", kind="stable", ignore_index=True) if "job" in fresh else fresh
    if fresh is None and old is not None and len(keep) == len(old[1]):
        return old[0].to_pandas()  # nothing changed: the index as it is
    try:
        parts = []
        if old is not None and keep:
            import pyarrow.compute as pc

            parts.append(old[0].filter(pc.is_in(old[0].column("job"), value_set=pa.array(sorted(keep)))))
        if fresh is not None:
            parts.append(pa.Table.from_pandas(fresh, preserve_index=False))
        table = pa.concat_tables(parts, promote_options="permissive").replace_schema_metadata(None)
        table = table.take(pc_sort_job(table))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):  # columns that do not fit one table
        return read_summaries(directory, index=False)
    indexed = set(keep)
    for stem, (got, _) in zip(todo_keys, results):  # a file is indexed under its job key only
        if got is not None and "job" in got[0] and set(got[1][got[0].index("job")]) == {stem}:
            indexed.add(stem)
    _write_index(directory, table, {k: entries[k][1] for k in indexed})
    return table.to_pandas()


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


def run_summary(frame: pd.DataFrame | Mapping[str, Any]) -> dict:
    """The per-run summary kept in a job file's metadata: the last row of each run, column
    by column, a column that is the same in every run as one value:
    ``{"n": runs, "columns": {name: value or [one value per run]}}``. A table without a
    ``run`` column (a task job's) is one run. ``frame`` may also be the columns of a table
    as a mapping (NumPy arrays, Categoricals or Series: no DataFrame is built)."""
    columns = frame.items() if isinstance(frame, pd.DataFrame) else frame.items()
    n_rows = len(frame) if isinstance(frame, pd.DataFrame) else len(next(iter(frame.values()), ()))
    run = np.asarray(frame["run"]) if "run" in frame else np.zeros(n_rows, np.int64)
    _, first = np.unique(run[::-1], return_index=True)
    idx = len(run) - 1 - first
    out = {}
    for name, col in columns:
        if isinstance(col, pd.Series):
            col = col.array
        if isinstance(col, pd.Categorical):
            codes = col.codes[idx]
            cats = col.categories.tolist()
            values = [cats[c] if c >= 0 else None for c in codes]
        else:
            values = np.asarray(col)[idx].tolist()
        same = all(type(v) is type(values[0]) and v == values[0] for v in values)
        out[str(name)] = values[0] if same else values
    return {"n": len(idx), "columns": out}


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
