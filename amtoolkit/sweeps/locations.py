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

__all__ = ["RemoteStore", "Store", "is_url", "open_url", "location", "check_url_store", "put_bytes",
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
