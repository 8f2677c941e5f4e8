"""LIBSVM binary-classification datasets: registry, search path, downloads and caches.

A name is looked up, in this order, as

1. an explicit path (anything that exists on disk, or contains a path separator); a
   file whose name is a registered file name (``a9a``, ``ijcnn1.t.bz2``, ...) is checked
   against the registry's sha256, so a truncated copy is refused;
2. ``$AMTOOLKIT_DATA/<file>`` or ``$AMTOOLKIT_DATA/libsvm/<file>`` (a directory, or several
   joined by ``os.pathsep``: the LIBSVM folder, or the data folder that holds it);
3. the user cache ``$AMTOOLKIT_CACHE`` or ``$XDG_CACHE_HOME/amtoolkit/libsvm``
   (default ``~/.cache/amtoolkit/libsvm``);
4. a download with pooch from the LIBSVM site into the user cache, when the registry
   has a URL for it, verified against the registry's sha256 (a file that does not
   match is not kept); ``.bz2`` files are decompressed beside the download.

Files are parsed by scikit-learn's ``load_svmlight_file``; labels are mapped to
{-1, +1} (the smaller label becomes -1). Parsed data are cached in
``<cache>/parsed/<sha256>-<n_features>-v1.npz``, keyed by the file's sha256, so a second
load (in any process) reads arrays instead of parsing text.

pooch takes no file locks: fetch the datasets of a parallel sweep ahead with
``amtoolkit fetch NAME...`` (or :func:`fetch`).
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..problems.logistic import map_labels

__all__ = ["DatasetInfo", "registry", "find_libsvm", "load_libsvm", "fetch", "cache_dir", "sha256sum"]

PARSED_FORMAT = 1  # bump when the layout of the parsed-data cache changes


@dataclass(frozen=True)
class DatasetInfo:
    """One row of the LIBSVM registry (``amtoolkit/data/libsvm_registry.tsv``).

    Attributes
    ----------
    name : str
        The registered name.
    file : str
        The file name (``.bz2`` files are decompressed beside the download).
    n_samples, n_features : int
        n and the LIBSVM site's d (passed to the parser so train and test agree).
    labels : str
        The label counts, e.g. ``"+1:7841 -1:24720"``.
    nnz : int
        Stored entries.
    bytes : int
        The file's size.
    sha256 : str
        The file's checksum.
    status : str
        ``"original"`` or the kind of variant of the registered copy.
    url : str
        Where to download it (empty where the registered copy differs from the site's).
    """

    name: str
    file: str
    n_samples: int
    n_features: int
    labels: str
    nnz: int
    bytes: int
    sha256: str
    status: str
    url: str


@lru_cache(maxsize=1)
def registry() -> dict[str, DatasetInfo]:
    """The registry of known binary LIBSVM datasets, by name.

    Returns
    -------
    dict of str to DatasetInfo
        Read once from the packaged registry file.

    Examples
    --------
    >>> from amtoolkit.datasets import registry
    >>> info = registry()["a9a"]
    >>> info.n_samples, info.n_features
    (32561, 123)
    """
    text = resources.files("amtoolkit").joinpath("data/libsvm_registry.tsv").read_text()
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    out = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        out[row["name"]] = DatasetInfo(
            name=row["name"], file=row["file"], n_samples=int(row["n_samples"]),
            n_features=int(row["n_features"]), labels=row["labels"], nnz=int(row["nnz"]),
            bytes=int(row["bytes"]), sha256=row["sha256"], status=row["status"], url=row["url"])
    return out


def cache_dir() -> Path:
    """The user cache directory for downloaded datasets.

    ``$AMTOOLKIT_CACHE`` if set, else ``$XDG_CACHE_HOME/amtoolkit/libsvm`` (default
    ``~/.cache/amtoolkit/libsvm``).

    Returns
    -------
    pathlib.Path
        The folder (not created here).
    """
    if os.environ.get("AMTOOLKIT_CACHE"):
        return Path(os.environ["AMTOOLKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "amtoolkit" / "libsvm"


def sha256sum(path: str | os.PathLike) -> str:
    """The hex sha256 digest of a file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> from amtoolkit.datasets import sha256sum
    >>> path = os.path.join(tempfile.mkdtemp(), "abc.txt")
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(b"abc")
    >>> sha256sum(path)
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _verify(path: Path, info: DatasetInfo) -> None:
    digest = sha256sum(path)
    if digest != info.sha256:
        raise ValueError(f"checksum mismatch for LIBSVM dataset {info.name!r} at {path}: sha256 "
                         f"{digest} (expected {info.sha256} from the registry). The file is "
                         f"truncated, corrupt or a different version: remove it (or give a file that is a "
                         f"different dataset on purpose a name that is not registered).")


def _pooch_fetch(info: DatasetInfo) -> Path:
    """Download ``info`` into the cache with pooch (a no-op when a verified copy is
    there, so a cached file is served offline); ``.bz2`` is decompressed beside it."""
    import pooch

    processor = pooch.Decompress(name=info.file[:-4]) if info.file.endswith(".bz2") else None
    try:
        path = pooch.retrieve(info.url, known_hash=f"sha256:{info.sha256}", fname=info.file,
                              path=cache_dir(), processor=processor, progressbar=False)
    except ValueError as err:
        if "hash" not in str(err):
            raise
        # pooch removed the download that did not match
        raise ValueError(f"checksum mismatch for LIBSVM dataset {info.name!r} downloaded from "
                         f"{info.url} (expected sha256 {info.sha256} from the registry); no file "
                         f"was kept. ({err})") from None
    return Path(path)


def _by_file() -> dict[str, DatasetInfo]:
    return {info.file: info for info in registry().values()}


def find_libsvm(name_or_path: str | os.PathLike, download: bool = True) -> tuple[Path, DatasetInfo | None]:
    """Locate a dataset file by name or path, in the order of the module docstring.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A registered name or a file path.
    download : bool, default True
        Whether a registered dataset with a URL may be downloaded into the user cache.

    Returns
    -------
    path : pathlib.Path
        The file.
    info : DatasetInfo or None
        Its registry row (None for an unregistered file).

    Raises
    ------
    TypeError
        If ``name_or_path`` is not a string or path.
    FileNotFoundError
        Naming every place it looked.
    ValueError
        For a file whose sha256 differs from the registry's.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a dataset name or a file path, got "
                        f"{type(name_or_path).__name__}")
    raw = os.fspath(name_or_path)
    reg = registry()
    info = reg.get(raw)
    looked: list[str] = []
    as_path = Path(raw).expanduser()
    if info is None and (as_path.exists() or os.sep in raw or raw.startswith(".")):
        if not as_path.is_file():
            raise FileNotFoundError(f"name_or_path: no LIBSVM file at {as_path} (and "
                                    f"{raw!r} is not a registered dataset name)")
        known = _by_file().get(as_path.name)
        if known is not None:  # a copy of a registered file: it must be that file
            _verify(as_path, known)
        return as_path, known
    if info is None:
        known = ", ".join(sorted(reg))
        raise FileNotFoundError(f"name_or_path: {raw!r} is neither an existing file nor a "
                                f"registered LIBSVM dataset. Known names: {known}")
    for d in filter(None, os.environ.get("AMTOOLKIT_DATA", "").split(os.pathsep)):
        # the LIBSVM folder itself, or a data folder that holds it as libsvm/ (beside
        # fashion-mnist/, mnist-5k/ and text/)
        for cand in (Path(d).expanduser() / info.file, Path(d).expanduser() / "libsvm" / info.file):
            looked.append(f"$AMTOOLKIT_DATA: {cand}")
            if cand.is_file():
                _verify(cand, info)
                return cand, info
    if not os.environ.get("AMTOOLKIT_DATA"):
        looked.append("$AMTOOLKIT_DATA: (not set)")
    cached = cache_dir() / info.file
    looked.append(f"user cache: {cached}")
    if download and info.url:
        try:
            return _pooch_fetch(info), info
        except OSError as err:  # requests' errors are OSErrors
            looked.append(f"download {info.url}: failed ({err})")
    else:
        if cached.is_file():
            _verify(cached, info)
            return cached, info
        looked.append("download: " + ("disabled" if not download else
                                      f"no URL (the registered copy is {info.status})"))
    raise FileNotFoundError(f"LIBSVM dataset {raw!r} ({info.file}) not found. Looked in:\n  "
                            + "\n  ".join(looked)
                            + "\nSet AMTOOLKIT_DATA to a folder holding it, or pass its path.")


def fetch(names: list[str] | None = None) -> dict[str, Path]:
    """Make registered datasets available before a parallel run: found locally or downloaded.

    Each is found in ``$AMTOOLKIT_DATA`` or the cache, or downloaded (pooch takes no file
    locks, so a parallel sweep should fetch first).

    Parameters
    ----------
    names : list of str or None, default None
        Registered names; None means every registered dataset that has a URL or is already
        present.

    Returns
    -------
    dict of str to pathlib.Path
        ``name → path``.

    Raises
    ------
    TypeError
        If ``names`` is a string or not iterable.
    ValueError
        If a name is not registered, or a file's sha256 differs from the registry's.
    FileNotFoundError
        If a dataset can be neither found nor downloaded.
    """
    if names is None:
        out = {}
        for name, info in registry().items():
            try:
                out[name] = find_libsvm(name, download=bool(info.url))[0]
            except FileNotFoundError:
                if info.url:
                    raise
        return out
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise TypeError(f"names must be a list of registered dataset names (or None), got {names!r}")
    unknown = [n for n in names if n not in registry()]
    if unknown:
        raise ValueError(f"names: {unknown[0]!r} is not a registered dataset; known: {', '.join(registry())}")
    return {name: find_libsvm(name)[0] for name in names}


def _parse(path: Path, n_features: int | None) -> tuple[sp.csr_matrix, np.ndarray]:
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(str(path), n_features=n_features, dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"name_or_path: {path} is not a valid LIBSVM file ({err}); each line must "
                         f"read '<label> <index>:<value> ...' with 1-based increasing indices") from None
    return X.tocsr(), map_labels(y)


@lru_cache(maxsize=16)
def _load_cached(path: str, sha256: str, n_features: int | None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Parsed ``(X, y)``: from this process's memory, the on-disk parsed cache, or the text."""
    store = cache_dir() / "parsed" / f"{sha256}-{n_features or 'auto'}-v{PARSED_FORMAT}.npz"
    try:
        with np.load(store, allow_pickle=False) as z:
            X = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            return X, z["y"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # absent or damaged: parse again
        pass
    X, y = _parse(Path(path), n_features)
    tmp = None
    try:  # written atomically: concurrent workers may parse the same file
        store.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store.parent, prefix=".parsed.", suffix=".npz")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, data=X.data, indices=X.indices, indptr=X.indptr, shape=np.asarray(X.shape), y=y)
        os.replace(tmp, store)
    except OSError:  # a read-only cache only costs the next load a parse
        pass
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
    return X, y


def load_libsvm(name_or_path: str | os.PathLike, n_features: int | None = None,
                download: bool = True) -> tuple[sp.csr_matrix, np.ndarray]:
    r"""Load a binary LIBSVM dataset as ``(X, y)``: CSR float64 ``X``, ``y`` in {-1, +1}.

    Parsed arrays are cached by the file's sha256 (module docstring), so a second load reads
    arrays instead of text.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A registered name or a file path (:func:`find_libsvm`).
    n_features : int or None, default None
        The number of columns ≥ 1; None is the registry's d for registered names (so that
        a train and a test split have the same width) and the largest index in the file
        otherwise.
    download : bool, default True
        Whether a registered dataset may be downloaded.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n, n_features)
        The features.
    y : ndarray of shape (n,)
        The labels, the smaller one mapped to -1.

    Raises
    ------
    FileNotFoundError
        If the dataset cannot be found (or downloaded).
    ValueError
        If a file's sha256 differs from the registry's, the file is not valid LIBSVM, its
        labels are not two classes, or ``n_features`` < 1.
    TypeError
        If ``n_features`` is not an integer.

    Examples
    --------
    >>> import os, tempfile
    >>> from amtoolkit.datasets import load_libsvm
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.svm")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("+1 1:0.5 3:1\n-1 2:2\n")
    >>> X, y = load_libsvm(path)
    >>> print(X.toarray(), y)
    [[0.5 0.  1. ]
     [0.  2.  0. ]] [ 1. -1.]
    """
    path, info = find_libsvm(name_or_path, download=download)
    if n_features is None and info is not None:
        n_features = info.n_features
    if n_features is not None:
        from .._checks import check_int

        n_features = check_int("n_features", n_features)
    digest = info.sha256 if info is not None else sha256sum(path)  # registered files were verified
    X, y = _load_cached(str(path), digest, n_features)
    return X.copy(), y.copy()
