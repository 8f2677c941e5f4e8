import bz2
import csv
import functools
import hashlib
import http.server
import shutil
import threading
from dataclasses import replace

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


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """Every test gets its own download and parsed-data cache."""
    monkeypatch.setenv("AMTOOLKIT_CACHE", str(tmp_path / "cache"))
    libsvm._load_cached.cache_clear()
    yield tmp_path / "cache"
    libsvm._load_cached.cache_clear()


@pytest.fixture
def http_dir(tmp_path):
    """A folder served over HTTP on 127.0.0.1 only: ``(folder, base_url, stop)``."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stopped = []

    def stop():
        if not stopped:
            server.shutdown()
            server.server_close()
            stopped.append(True)

    yield folder, f"http://127.0.0.1:{server.server_address[1]}", stop
    stop()


def test_download_is_verified_and_served_offline(monkeypatch, tmp_path, data_dir, http_dir, private_cache):
    """pooch downloads into the cache; a second load works with the server gone; a
    download with the wrong checksum raises and leaves no file."""
    folder, base, stop = http_dir
    shutil.copy(data_dir / "heart_scale", folder / "heart_scale")
    info = datasets.registry()["heart_scale"]
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.setitem(libsvm.registry(), "heart_scale", replace(info, url=f"{base}/heart_scale"))
    X, y = datasets.load_libsvm("heart_scale")
    assert (private_cache / "heart_scale").is_file()
    stop()  # offline from here on
    libsvm._load_cached.cache_clear()
    X2, y2 = datasets.load_libsvm("heart_scale")
    assert (X2 != X).nnz == 0 and np.array_equal(y, y2)

    gone = replace(datasets.registry()["a1a"], url=f"{base}/a1a")
    monkeypatch.setitem(libsvm.registry(), "a1a", gone)
    with pytest.raises(FileNotFoundError, match="download"):
        datasets.load_libsvm("a1a")  # not cached, and the server is down


def test_wrong_checksum_download_keeps_no_file(monkeypatch, tmp_path, http_dir, private_cache):
    folder, base, _ = http_dir
    (folder / "a1a").write_text("+1 1:1\n-1 2:1\n")
    info = datasets.registry()["a1a"]
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.setitem(libsvm.registry(), "a1a", replace(info, url=f"{base}/a1a"))
    with pytest.raises(ValueError, match="checksum mismatch") as err:
        datasets.load_libsvm("a1a")
    assert info.sha256 in str(err.value)
    assert not private_cache.exists() or not any(private_cache.rglob("*"))


def test_bz2_download_is_decompressed(monkeypatch, tmp_path, http_dir, private_cache):
    folder, base, _ = http_dir
    text = b"+1 1:0.5 3:1\n-1 2:0.25\n+1 3:-1\n"
    (folder / "tiny.bz2").write_bytes(bz2.compress(text))
    info = libsvm.DatasetInfo(name="tiny", file="tiny.bz2", n_samples=3, n_features=3, labels="",
                              nnz=4, bytes=0, sha256=hashlib.sha256((folder / "tiny.bz2").read_bytes()).hexdigest(),
                              status="original", url=f"{base}/tiny.bz2")
    monkeypatch.setenv("AMTOOLKIT_DATA", str(tmp_path / "empty"))
    monkeypatch.setitem(libsvm.registry(), "tiny", info)
    X, y = datasets.load_libsvm("tiny")
    assert (private_cache / "tiny").read_bytes() == text
    np.testing.assert_array_equal(X.toarray(), [[0.5, 0, 1], [0, 0.25, 0], [0, 0, -1]])
    np.testing.assert_array_equal(y, [1, -1, 1])


def test_truncated_copy_under_registered_name_is_refused(tmp_path, data_dir):
    """A path whose file name is a registered one is checked against the registry."""
    lines = (data_dir / "heart_scale").read_text().splitlines(keepends=True)
    (tmp_path / "heart_scale").write_text("".join(lines[:100]))
    with pytest.raises(ValueError, match="checksum mismatch.*heart_scale"):
        datasets.load_libsvm(tmp_path / "heart_scale")
    (tmp_path / "mine.svm").write_text("".join(lines[:100]))  # not a registered file name
    X, _ = datasets.load_libsvm(tmp_path / "mine.svm")
    assert X.shape[0] == 100
    Xf, _ = datasets.load_libsvm(data_dir / "heart_scale")  # the intact copy, by path
    assert Xf.shape == (270, 13)


def test_parsed_cache_is_keyed_by_sha256(monkeypatch, data_dir, private_cache):
    """The second load reads the parsed arrays (no text parsing) and equals scikit-learn's parse."""
    from sklearn.datasets import load_svmlight_file

    X, y = datasets.load_libsvm("heart_scale")
    info = datasets.registry()["heart_scale"]
    stored = list((private_cache / "parsed").glob(f"{info.sha256}-*.npz"))
    assert len(stored) == 1
    libsvm._load_cached.cache_clear()
    monkeypatch.setattr(libsvm, "_parse", lambda *a: pytest.fail("parsed the text again"))
    X2, y2 = datasets.load_libsvm("heart_scale")
    Xr, yr = load_svmlight_file(str(data_dir / "heart_scale"), n_features=info.n_features)
    np.testing.assert_array_equal(X2.toarray(), Xr.toarray())
    np.testing.assert_array_equal(y2, np.where(yr == yr.max(), 1.0, -1.0))
    assert (X2 != X).nnz == 0


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 truncated"])
def test_a_damaged_parsed_cache_is_parsed_again_and_replaced(data_dir, private_cache, damage):
    X, y = datasets.load_libsvm("heart_scale")
    (stored,) = (private_cache / "parsed").glob("*.npz")
    stored.write_bytes(damage)  # an empty file (EOFError) or a cut zip (BadZipFile)
    libsvm._load_cached.cache_clear()
    X2, y2 = datasets.load_libsvm("heart_scale")
    assert (X2 != X).nnz == 0 and np.array_equal(y2, y)
    assert stored.stat().st_size > 1000  # rewritten whole


def test_fetch_refuses_a_string_or_a_number():
    for names in ("a1a", 5):  # a string is not a list of names (its characters are not names)
        with pytest.raises(TypeError, match="names must be a list of registered dataset names"):
            libsvm.fetch(names)


def test_fetch_cli(data_dir, capsys, monkeypatch):
    from amtoolkit import cli

    assert cli.main(["fetch", "heart_scale", "a1a"]) == 0
    out = capsys.readouterr().out
    assert str(data_dir / "heart_scale") in out and str(data_dir / "a1a") in out
    assert cli.main(["fetch", "--all"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == len(datasets.registry())
    assert cli.main(["fetch", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    for args in (["fetch"], ["fetch", "a1a", "--all"]):  # names or --all: exactly one of them
        assert cli.main(args) == 2
        assert "fetch takes dataset names or --all" in capsys.readouterr().err


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
