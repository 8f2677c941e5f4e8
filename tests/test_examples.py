"""The example notebooks (percent-cell scripts in examples/) run, at small sizes."""

import runpy
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_there_are_three_examples_in_percent_cell_form():
    jupytext = pytest.importorskip("jupytext")
    assert [p.name for p in EXAMPLES] == ["libsvm_study.py", "quadratic_study.py", "theory_study.py"]
    for path in EXAMPLES:
        notebook = jupytext.read(path, fmt="py:percent")
        kinds = [cell.cell_type for cell in notebook.cells]
        assert kinds[0] == "markdown" and kinds.count("code") >= 3, path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path, monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("AMTOOLKIT_EXAMPLES_SMALL", "1")
    monkeypatch.setenv("AMTOOLKIT_EXAMPLE_STORE", str(tmp_path / "store"))
    monkeypatch.chdir(tmp_path)
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
