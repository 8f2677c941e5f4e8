"""LIBSVM binary-classification datasets: registry, search path, cache and checksums.

A name is looked up, in this order, as

1. an explicit path (anything that exists on disk, or contains a path separator);
2. ``$AMTOOLKIT_DATA/<file>`` (a directory, or several joined by ``os.pathsep``);
3. the user cache ``$AMTOOLKIT_CACHE`` or ``$XDG_CACHE_HOME/amtoolkit/libsvm``
   (default ``~/.cache/amtoolkit/libsvm``);
4. a download from the LIBSVM site into the user cache, when online and when the
   registry has a URL for it, verified against the registry's sha256.

Files are parsed by scikit-learn's ``load_svmlight_file``; labels are mapped to
{-1, +1} (the smaller label becomes -1).
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

from ..problems.logistic import map_labels

__all__ = ["DatasetInfo", "registry", "find_libsvm", "load_libsvm", "cache_dir", "sha256sum"]


@dataclass(frozen=True)
class DatasetInfo:
    """One registry row (``amtoolkit/data/libsvm_registry.tsv``)."""

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
    """The registry of known binary LIBSVM datasets, by name."""
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
    """The user cache directory for downloaded datasets."""
    if os.environ.get("AMTOOLKIT_CACHE"):
        return Path(os.environ["AMTOOLKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "amtoolkit" / "libsvm"


def sha256sum(path: str | os.PathLike) -> str:
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
                         f"corrupt or a different version; remove it or pass its path explicitly.")


def _download(info: DatasetInfo, dest: Path, timeout: float = 30.0) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".")
    try:
        with urllib.request.urlopen(info.url, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(resp, out)
        _verify(Path(tmp), info)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def find_libsvm(name_or_path: str | os.PathLike, download: bool = True) -> tuple[Path, DatasetInfo | None]:
    """Locate a dataset file; return ``(path, registry info or None)``.

    Raises ``FileNotFoundError`` naming every place it looked.
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
        if as_path.is_file():
            return as_path, None
        raise FileNotFoundError(f"name_or_path: no LIBSVM file at {as_path} (and "
                                f"{raw!r} is not a registered dataset name)")
    if info is None:
        known = ", ".join(sorted(reg))
        raise FileNotFoundError(f"name_or_path: {raw!r} is neither an existing file nor a "
                                f"registered LIBSVM dataset. Known names: {known}")
    for d in filter(None, os.environ.get("AMTOOLKIT_DATA", "").split(os.pathsep)):
        cand = Path(d).expanduser() / info.file
        looked.append(f"$AMTOOLKIT_DATA: {cand}")
        if cand.is_file():
            _verify(cand, info)
            return cand, info
    if not os.environ.get("AMTOOLKIT_DATA"):
        looked.append("$AMTOOLKIT_DATA: (not set)")
    cached = cache_dir() / info.file
    looked.append(f"user cache: {cached}")
    if cached.is_file():
        _verify(cached, info)
        return cached, info
    if download and info.url:
        try:
            return _download(info, cached), info
        except OSError as err:
            looked.append(f"download {info.url}: failed ({err})")
    else:
        looked.append("download: " + ("disabled" if not download else
                                      f"no URL (the registered copy is {info.status})"))
    raise FileNotFoundError(f"LIBSVM dataset {raw!r} ({info.file}) not found. Looked in:\n  "
                            + "\n  ".join(looked)
                            + "\nSet AMTOOLKIT_DATA to a folder holding it, or pass its path.")


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float, n_features: int | None) -> tuple[sp.csr_matrix, np.ndarray]:
    try:
        X, y = load_svmlight_file(path, n_features=n_features, dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"name_or_path: {path} is not a valid LIBSVM file ({err}); each line must "
                         f"read '<label> <index>:<value> ...' with 1-based increasing indices") from None
    return X.tocsr(), map_labels(y)


def load_libsvm(name_or_path: str | os.PathLike, n_features: int | None = None,
                download: bool = True) -> tuple[sp.csr_matrix, np.ndarray]:
    """Load a binary LIBSVM dataset as ``(X, y)``: CSR float64 ``X``, ``y`` in {-1, +1}.

    ``n_features`` defaults to the registry's d for registered names (so that a train
    and a test split have the same width), and to the largest index in the file
    otherwise.
    """
    path, info = find_libsvm(name_or_path, download=download)
    if n_features is None and info is not None:
        n_features = info.n_features
    if n_features is not None:
        from .._checks import check_int

        n_features = check_int("n_features", n_features)
    X, y = _load_cached(str(path), path.stat().st_mtime, n_features)
    return X.copy(), y.copy()
