"""The Shakespeare corpus loader and the character encoder."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from amtoolkit.datasets import encode_chars, load_text


@pytest.fixture
def text_dir(data_dir):
    root = Path(data_dir).resolve().parent / "text"
    assert root.is_dir(), root
    return root


def test_shakespeare_and_its_split(text_dir):
    text = load_text("shakespeare")
    with gzip.open(text_dir / "shakespeare.txt.gz", "rb") as fh:
        ref = fh.read().decode("utf-8")
    assert text == ref and len(text) == 5_057_282  # the README's size
    train, test = load_text("shakespeare", "train"), load_text("shakespeare", "test")
    assert train + test == text and len(train) == int(0.9 * len(text))


def test_truncated_text_is_refused(text_dir, tmp_path):
    bad = tmp_path / "shakespeare.txt.gz"
    bad.write_bytes((text_dir / "shakespeare.txt.gz").read_bytes()[:1000])
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        load_text("shakespeare", path=bad)
    assert str(bad) in str(err.value)


def test_encode_chars_round_trip():
    ids, vocab = encode_chars("to be, or not to be")
    assert ids.dtype == np.int64 and vocab == "".join(sorted(set("to be, or not to be")))
    assert "".join(vocab[i] for i in ids) == "to be, or not to be"
    with pytest.raises(ValueError, match="outside vocab"):
        encode_chars("xyz", vocab="xy")


def test_bad_inputs():
    with pytest.raises(ValueError, match="name"):
        load_text("c4")
    with pytest.raises(ValueError, match="split"):
        load_text("shakespeare", split="val")
