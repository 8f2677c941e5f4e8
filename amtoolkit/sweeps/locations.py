"""Where a sweep store lives: a local folder or a URL.

A local folder is a :class:`pathlib.Path`, written through a temporary file and
``os.replace`` (:func:`atomic_write_bytes`). A URL is a :class:`RemoteStore`: any URL that
:func:`pyarrow.fs.FileSystem.from_uri` knows (``file://``, ``s3://``, ``gs://``...) or,
failing that, fsspec does (``memory://``...), written by one upload per file
(:func:`put_bytes`: an object store's PUT is atomic, so no temporary object and no rename;
``file://`` keeps the rename). :func:`check_url_store` checks, before any job runs, that a
URL store can be reached.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Union

__all__ = ["RemoteStore", "Store", "is_url", "open_url", "redact", "location", "check_url_store", "put_bytes",
           "delete_file", "atomic_write_bytes"]

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

    def __str__(self) -> str:  # without user information (a secret key)
        return redact(self.url)

    def __repr__(self) -> str:
        return f"RemoteStore({redact(self.url)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RemoteStore) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


Store = Union[Path, RemoteStore]


def is_url(out) -> bool:
    """Whether ``out`` names a URL store (``scheme://...``) rather than a local folder."""
    return isinstance(out, RemoteStore) or (isinstance(out, str) and re.match(r"^[A-Za-z][\w+.-]*://", out) is not None)


_OPENED: dict[str, RemoteStore] = {}
_USERINFO = re.compile(r"^([A-Za-z][\w+.-]*://)([^/@?#]*)@")
#: seconds a ``gs://`` store retries a request before it gives up (pyarrow's default: 15 min)
GCS_RETRY_SECONDS = 20.0


def redact(url: str) -> str:
    """``url`` with its user information (``s3://KEY:SECRET@bucket``) replaced by ``***``:
    the form of a URL that messages and reports show."""
    return _USERINFO.sub(r"\1***@", str(url))


def _scrub(text: str, url: str) -> str:
    """``text`` (an error message) with the user information of ``url``, whole and in its
    parts, replaced by ``***``."""
    got = _USERINFO.match(str(url))
    if got is None:
        return text
    from urllib.parse import unquote

    info = got.group(2)
    secrets = {info, unquote(info), *info.split(":"), *unquote(info).split(":")} - {""}
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _local_file_url(url: str, name: str) -> str:
    """A ``file://`` URL as ``file:///path``: ``file://localhost/path`` is the same file;
    another host is refused (it would be taken as a folder of the working directory)."""
    rest = url[len("file://"):]
    if rest[:10].lower() == "localhost/":
        rest = rest[len("localhost"):]
    if not rest.startswith("/"):
        host = rest.split("/", 1)[0]
        raise ValueError(f"{name}: {redact(url)!r} names the host {host.rsplit('@', 1)[-1]!r}; a "
                         f"file:// URL is a path of this machine: file:///path or file://localhost/path")
    return "file://" + rest


def open_url(url: str, name: str = "out") -> RemoteStore:
    """The file system of a store URL.

    :meth:`pyarrow.fs.FileSystem.from_uri` is asked first (``file://``, ``s3://``,
    ``gs://``, ``hdfs://``, ``abfs://``), then fsspec for the protocols pyarrow does not
    know (``memory://``, ``sftp://``...), whose file system is wrapped in
    ``PyFileSystem(FSSpecHandler(fs))``. ``file://localhost/path`` is ``file:///path``,
    and a ``file://`` path pyarrow cannot parse (an unencoded space) is taken as it is,
    on pyarrow's local file system. A ``gs://`` store retries a failing request for
    :data:`GCS_RETRY_SECONDS` (unless the URL sets ``retry_limit_seconds``). Cached per
    process: a worker resolves each URL once. Nothing is contacted here except by
    pyarrow's S3, which asks the bucket's region; :func:`check_url_store` checks that the
    store can be reached. Messages show the URL without its user information
    (:func:`redact`).

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
        Naming ``name`` and the URL, for an unknown protocol, a protocol whose package
        is not installed (the message names the package), a store pyarrow cannot reach
        (an S3 bucket whose region cannot be resolved), or a ``file://`` URL of another
        host.
    """
    got = _OPENED.get(url)
    if got is not None:
        return got
    import pyarrow as pa
    import pyarrow.fs as pafs

    shown = redact(url)
    scheme = url.split("://", 1)[0].lower()
    target = _local_file_url(url, name) if scheme == "file" else url
    try:
        fs, base = _arrow_from_uri(target)
    except pa.ArrowInvalid as arrow_err:
        if scheme == "file":  # a path pyarrow cannot parse as a URI: the path as written
            fs, base = pafs.LocalFileSystem(), target[len("file://"):]
        elif "Unrecognized filesystem" not in str(arrow_err):  # pyarrow's protocol, a malformed URL
            raise ValueError(f"{name}: cannot open the store {shown!r}: "
                             f"{_scrub(str(arrow_err), url)}") from None
        else:
            fs, base = _fsspec_fs(url, name, shown, arrow_err)
    except OSError as err:  # pyarrow knows the protocol but cannot reach the store (S3 region lookup...)
        raise ValueError(f"{name}: the store {shown!r} cannot be reached: {type(err).__name__}: "
                         f"{_scrub(str(err), url)}") from None
    except Exception as err:  # noqa: BLE001 - anything else pyarrow raises
        raise ValueError(f"{name}: cannot open the store {shown!r}: {type(err).__name__}: "
                         f"{_scrub(str(err), url)}") from None
    if type(fs).__name__ == "GcsFileSystem":
        fs = _gcs_with_retry_limit(fs)
    got = _OPENED[url] = RemoteStore(url, fs, base)
    return got


def _gcs_with_retry_limit(fs):
    """A pyarrow GCS file system that gives up after :data:`GCS_RETRY_SECONDS` (unless the
    URL set its own limit): pyarrow's default retries for 15 minutes, so an unreachable
    or missing bucket hung the check of the store."""
    import datetime

    try:
        rebuild, (options,) = fs.__reduce__()
        if options.get("retry_time_limit") is not None:
            return fs
        return rebuild({**options, "retry_time_limit": datetime.timedelta(seconds=GCS_RETRY_SECONDS)})
    except Exception:  # noqa: BLE001 - another pyarrow's options: keep its file system
        return fs


def _fsspec_fs(url: str, name: str, shown: str, arrow_err: Exception):
    """The fsspec file system of a URL pyarrow does not know, as a pyarrow file system;
    fsspec's local file system becomes pyarrow's (atomic writes, the ``O_EXCL`` lock)."""
    import pyarrow.fs as pafs

    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise ValueError(f"{name}: pyarrow cannot open {shown!r} ({_scrub(str(arrow_err), url)}), and fsspec, "
                         f"which knows more protocols, is not installed (pip install fsspec)") from None
    try:
        ffs, base = url_to_fs(url)
    except ImportError as err:  # e.g. "Install s3fs to access S3"
        raise ValueError(f"{name}: {shown!r} needs a package that is not installed: "
                         f"{_scrub(str(err), url)}") from None
    except Exception as err:  # "Protocol not known", a malformed URL
        if "not known" in str(err):
            scheme = url.split("://", 1)[0]
            raise ValueError(f"{name}: cannot open the store {shown!r}: unknown protocol {scheme!r}, which "
                             f"neither pyarrow's file systems nor fsspec's know (fsspec.available_protocols() "
                             f"lists fsspec's); a local folder is given without a scheme") from None
        raise ValueError(f"{name}: cannot open the store {shown!r}: {type(err).__name__}: "
                         f"{_scrub(str(err), url)} (pyarrow: {_scrub(str(arrow_err), url)})") from None
    protocol = getattr(ffs, "protocol", "")
    protocols = {protocol} if isinstance(protocol, str) else set(protocol)
    if protocols & {"file", "local"}:
        return pafs.LocalFileSystem(), base
    return pafs.PyFileSystem(pafs.FSSpecHandler(ffs)), base


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
        raise ValueError(f"{name}: the store {redact(url)!r} cannot be reached: {type(err).__name__}: "
                         f"{_scrub(str(err), url)}") from None
    if info.type == pafs.FileType.File:
        raise ValueError(f"{name} must be a folder, but {redact(url)!r} is a file")
    if not create and info.type == pafs.FileType.NotFound:
        raise FileNotFoundError(f"directory: no sweep store at {redact(url)}")
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
