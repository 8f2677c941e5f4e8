"""The image loaders: shapes, dtypes, normalisation, splits, checksums, both AMTOOLKIT_DATA settings."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from amtoolkit.datasets import find_data_file, load_images
from amtoolkit.datasets.images import FILES, data_roots


@pytest.fixture
def shared(data_dir):
    """../shared/data, the parent of the LIBSVM folder CI names in AMTOOLKIT_DATA."""
    root = Path(data_dir).resolve().parent
    assert (root / "fashion-mnist").is_dir() and (root / "mnist-5k").is_dir(), root
    return root


@pytest.mark.parametrize("setting", ["libsvm", "parent"])
def test_found_through_either_amtoolkit_data_setting(monkeypatch, shared, setting, tmp_path):
    monkeypatch.setenv("AMTOOLKIT_DATA", str(shared / "libsvm" if setting == "libsvm" else shared))
    monkeypatch.setenv("AMTOOLKIT_CACHE", str(tmp_path / "cache"))
    path = find_data_file("mnist_5k.csv.gz", download=False)
    assert path.resolve() == (shared / "mnist-5k" / "mnist_5k.csv.gz").resolve()
    assert shared / "fashion-mnist" in data_roots("fashion-mnist")


def test_libsvm_lookup_with_the_libsvm_setting(monkeypatch, shared):
    from amtoolkit.datasets import find_libsvm

    monkeypatch.setenv("AMTOOLKIT_DATA", str(shared / "libsvm"))
    path, info = find_libsvm("heart_scale", download=False)
    assert path.resolve() == (shared / "libsvm" / "heart_scale").resolve() and info.n_samples == 270


def test_libsvm_lookup_with_the_parent_setting(monkeypatch, shared):
    from amtoolkit.datasets import find_libsvm

    monkeypatch.setenv("AMTOOLKIT_DATA", str(shared))
    path, _ = find_libsvm("heart_scale", download=False)
    assert path.resolve() == (shared / "libsvm" / "heart_scale").resolve()


def test_mnist_5k_split_is_the_csv_stratified(shared):
    Xtr, ytr = load_images("mnist-5k", "train")
    Xte, yte = load_images("mnist-5k", "test")
    assert Xtr.shape == (4000, 1, 28, 28) and Xte.shape == (1000, 1, 28, 28)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert np.bincount(ytr).tolist() == [400] * 10 and np.bincount(yte).tolist() == [100] * 10
    # independent reference: the CSV read by the standard library, rows as a multiset
    with gzip.open(shared / "mnist-5k" / "mnist_5k.csv.gz", "rt") as fh:
        rows = sorted(tuple(int(v) for v in line.split(",")) for line in fh if line.strip())
    ours = np.concatenate([np.round(np.concatenate([Xtr, Xte]).reshape(5000, -1) * 255),
                           np.concatenate([ytr, yte])[:, None]], axis=1).astype(int)
    assert sorted(map(tuple, ours.tolist())) == rows
    assert not set(map(bytes, Xtr.reshape(4000, -1))) & set(map(bytes, Xte.reshape(1000, -1)))


def test_fashion_mnist_test_split(shared):
    X, y = load_images("fashion-mnist", "test")
    assert X.shape == (10000, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [1000] * 10  # the published test set is balanced
    # independent reference: the IDX header and bytes read directly
    with gzip.open(shared / "fashion-mnist" / "t10k-images-idx3-ubyte.gz", "rb") as fh:
        raw = fh.read()
    assert int.from_bytes(raw[:4], "big") == 2051
    first = np.frombuffer(raw[16:16 + 784], dtype=np.uint8).reshape(28, 28)
    np.testing.assert_array_equal(X[0, 0], first.astype(np.float32) / 255)


def test_digits_against_scikit_learn():
    from sklearn.datasets import load_digits

    Xtr, ytr = load_images("digits", "train")
    Xte, yte = load_images("digits", "test")
    assert Xtr.shape == (1437, 1, 8, 8) and Xte.shape == (360, 1, 8, 8)
    d = load_digits()
    assert np.sort(np.concatenate([ytr, yte])).tolist() == np.sort(d.target).tolist()
    assert Xtr.max() == 1.0 and np.isclose(Xtr.sum() + Xte.sum(), d.images.sum() / 16, rtol=1e-5)


def test_truncated_copy_is_refused_naming_the_file(shared, tmp_path):
    bad = tmp_path / "mnist_5k.csv.gz"
    data = (shared / "mnist-5k" / "mnist_5k.csv.gz").read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        load_images("mnist-5k", "train", path=tmp_path)
    assert str(bad) in str(err.value)


def test_wrong_file_in_amtoolkit_data_is_refused(monkeypatch, shared, tmp_path):
    (tmp_path / "fashion-mnist").mkdir()
    for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(shared / "fashion-mnist" / f, tmp_path / "fashion-mnist" / f)
    # a different file under a registered name
    shutil.copy(shared / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz",
                tmp_path / "fashion-mnist" / "t10k-images-idx3-ubyte.gz")
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz"):
        load_images("fashion-mnist", "test")


def test_missing_file_names_every_place(monkeypatch, tmp_path):
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("AMTOOLKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError) as err:
        find_data_file("mnist_5k.csv.gz", download=False)
    msg = str(err.value)
    assert str(tmp_path / "nowhere") in msg and str(tmp_path / "cache") in msg and "download" in msg


def test_bad_inputs():
    with pytest.raises(ValueError, match="name"):
        load_images("cifar10")
    with pytest.raises(ValueError, match="split"):
        load_images("digits", "valid")
    with pytest.raises(ValueError, match="file"):
        find_data_file("nope.gz")
    assert all(len(sha) == 64 for _, sha, _ in FILES.values())
