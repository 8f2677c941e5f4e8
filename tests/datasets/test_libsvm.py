import csv
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from amtoolkit import datasets
from amtoolkit.datasets import libsvm


def _manifest(data_dir):
    return {r["name"]: r for r in csv.DictReader(open(data_dir / "MANIFEST.tsv"), delimiter="\t")}


def test_registry_matches_manifest(data_dir):
    reg = datasets.registry()
    man = _manifest(data_dir)
    assert set(reg) == set(man)
    for name, row in man.items():
        assert reg[name].sha256 == row["sha256"]
        assert reg[name].n_samples == int(row["n_samples"])


@pytest.mark.parametrize("name", ["a1a", "mushrooms", "phishing", "svmguide1", "heart_scale"])
def test_load_real_files(data_dir, name):
    row = _manifest(data_dir)[name]
    X, y = datasets.load_libsvm(name)
    assert X.shape == (int(row["n_samples"]), datasets.registry()[name].n_features)
    assert X.nnz == int(row["nnz"]) or X.nnz <= int(row["nnz"])  # explicit zeros are dropped
    counts = sorted(int(part.split(":")[1]) for part in row["labels"].split())
    assert sorted([(y == -1).sum(), (y == 1).sum()]) == counts
    assert set(np.unique(y)) == {-1.0, 1.0}


def test_load_by_path_and_compressed(data_dir):
    X, y = datasets.load_libsvm(str(data_dir / "heart_scale"))
    assert X.shape == (270, 13)
    Xt, yt = datasets.load_libsvm("ijcnn1.t")
    assert Xt.shape == (91701, 22) and (yt == 1).sum() == 8712


def test_missing_dataset_names_every_place(monkeypatch, tmp_path):
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("AMTOOLKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError) as err:
        datasets.load_libsvm("a9a", download=False)
    msg = str(err.value)
    assert "AMTOOLKIT_DATA" in msg and str(tmp_path / "cache") in msg and "download" in msg


def test_unknown_name_and_missing_path():
    with pytest.raises(FileNotFoundError, match="Known names"):
        datasets.load_libsvm("not_a_dataset")
    with pytest.raises(FileNotFoundError, match="no LIBSVM file"):
        datasets.load_libsvm("./missing/file.svm")


def test_checksum_mismatch(monkeypatch, tmp_path):
    (tmp_path / "heart_scale").write_text("+1 1:0.5\n-1 2:0.25\n")
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="checksum mismatch"):
        datasets.load_libsvm("heart_scale")


def test_malformed_line(tmp_path):
    bad = tmp_path / "bad.svm"
    bad.write_text("+1 1:0.5 2:0.3\n-1 1:abc\n")
    with pytest.raises(ValueError, match="not a valid LIBSVM file"):
        datasets.load_libsvm(bad)


def test_download_into_cache_is_verified(monkeypatch, tmp_path, data_dir):
    """A download (here from a file:// URL) lands in the cache only when its sha256 matches."""
    info = datasets.registry()["heart_scale"]
    good = replace(info, url=(data_dir / "heart_scale").resolve().as_uri())
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("AMTOOLKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(libsvm.registry(), "heart_scale", good)
    X, _ = datasets.load_libsvm("heart_scale")
    assert X.shape == (270, 13) and (tmp_path / "cache" / "heart_scale").is_file()
    corrupt = tmp_path / "corrupt"
    corrupt.write_text("+1 1:1\n")
    monkeypatch.setitem(libsvm.registry(), "heart_scale", replace(info, url=corrupt.as_uri()))
    (tmp_path / "cache" / "heart_scale").unlink()
    with pytest.raises(ValueError, match="checksum mismatch"):
        datasets.load_libsvm("heart_scale")
    assert not (tmp_path / "cache" / "heart_scale").exists()


def test_breast_cancer_builtin_is_standardised():
    X, y = datasets.load_breast_cancer()
    assert X.shape == (569, 30)
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(0), 1, rtol=1e-12)
    assert (y == 1).sum() == 357  # benign


def test_synthetic_generator_is_seeded():
    X1, y1 = datasets.make_logistic_data(100, 4, seed=5)
    X2, y2 = datasets.make_logistic_data(100, 4, seed=5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    Xs, _ = datasets.make_logistic_data(100, 40, seed=5, density=0.1)
    assert Xs.nnz < 0.2 * 100 * 40
