"""The README's "Using it" example runs as written."""

from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _using_it_code() -> str:
    text = README.read_text()
    section = text[text.index("## Using it"):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_using_it_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(_using_it_code(), str(README), "exec"), ns)
    h, s, back, both, q = ns["h"], ns["s"], ns["back"], ns["both"], ns["q"]
    # what the comments promise
    assert h.n_runs == 6 and np.shape(h.x) == (6, 50)
    np.testing.assert_array_equal(h.final().hp_lr, np.repeat([1.0, 0.5], 3) / q.smoothness)
    assert "steps_to_tol" in capsys.readouterr().out
    assert s.n_runs == 3 and sorted(s.frame.seed.unique()) == [0, 1, 2]
    assert back.optimizer is not None and back.frame.equals(s.frame)
    assert both.n_runs == 9 and sorted(both.frame.run.unique()) == list(range(9))
    assert ns["res"].x.shape == (50,)


def test_api_page_lists_every_public_name():
    import importlib
    import re

    import amtoolkit

    text = (README.parent / "docs" / "api.md").read_text()
    named = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", text))
    missing = {name for name in amtoolkit.__all__ if name not in named and name != "__version__"}
    for sub in ("backend", "datasets", "memory", "model", "problems", "theory", "validate", "plotting",
                "optimizers", "runner", "sweeps", "reproduce", "figures"):
        mod = importlib.import_module(f"amtoolkit.{sub}")
        missing |= {f"{sub}.{name}" for name in mod.__all__ if name not in named}
    assert not missing, f"docs/api.md does not name {sorted(missing)}"


def test_docs_cite_nothing_outside_the_repository():
    import amtoolkit

    files = [README, *sorted((README.parent / "docs").glob("*.md")),
             *sorted(Path(amtoolkit.__file__).parent.rglob("*.py"))]
    for path in files:
        text = path.read_text()
        for bad in ("DESIGN", "shared/papers", "/work/"):
            assert bad not in text, f"{path.name} refers to {bad!r}, outside the repository"


def test_list_shows_builtin_problems_and_libsvm_datasets_with_n_and_d(capsys):
    from sklearn.datasets import load_breast_cancer

    from amtoolkit import cli
    from amtoolkit.datasets import registry

    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    n, d = load_breast_cancer().data.shape
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()}
    assert f"n={n} " in lines["breast_cancer"] and f"d={d} " in lines["breast_cancer"]
    assert "scikit-learn" in lines["breast_cancer"] and "quadratic" in lines and "synthetic" in lines
    for info in registry().values():
        assert f"n={info.n_samples} " in lines[info.name] and f"d={info.n_features} " in lines[info.name]
    assert "LIBSVM" in out
