"""The gallery's scripts (examples/, sphinx-gallery format) run at small sizes and draw."""

import ast
import re
import runpy
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def cells(path: Path) -> tuple[str, list[str]]:
    """The module docstring and the cells after it (split at ``# %%`` lines), as
    sphinx-gallery reads them."""
    source = path.read_text()
    tree = ast.parse(source)
    doc = ast.get_docstring(tree, clean=False)
    first = tree.body[0]
    assert doc is not None and isinstance(first, ast.Expr), f"{path.name}: no module docstring first"
    rest = "\n".join(source.splitlines()[first.end_lineno:])
    return doc, [c for c in re.split(r"^# %%.*$", rest, flags=re.M)[1:]]


def is_code(cell: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in cell.splitlines())


def test_examples_are_gallery_scripts():
    assert len(EXAMPLES) >= 3, [p.name for p in EXAMPLES]
    for path in EXAMPLES:
        doc, body = cells(path)
        lines = doc.strip("\n").splitlines()
        # an RST title: a line underlined with '=' at least as long
        assert len(lines) >= 2 and lines[0].strip() and set(lines[1].strip()) == {"="} \
            and len(lines[1].strip()) >= len(lines[0].strip()), f"{path.name}: no RST title"
        assert sum(map(is_code, body)) >= 3, f"{path.name}: fewer than 3 code cells"
        # a text cell is a comment block: no cell mixes a bare text line into code
        ast.parse(path.read_text())


def test_cell_splitter_counts_code_and_text_cells(tmp_path):
    script = tmp_path / "s.py"
    script.write_text('"""\nT\n=\n"""\n\n# %%\n# text only\n\n# %%\n# text\nx = 1\n\n# %%\ny = 2\n')
    doc, body = cells(script)
    assert doc.strip().splitlines() == ["T", "="]
    assert [is_code(c) for c in body] == [False, True, True]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_and_draws(path, monkeypatch, tmp_path, request):
    import matplotlib.pyplot as plt

    if "libsvm" in path.stem:
        request.getfixturevalue("data_dir")  # the LIBSVM files (AMTOOLKIT_DATA; set on CI)

    monkeypatch.setenv("AMTOOLKIT_EXAMPLES_SMALL", "1")
    monkeypatch.setenv("AMTOOLKIT_EXAMPLE_STORE", str(tmp_path / "store"))
    monkeypatch.chdir(tmp_path)
    plt.close("all")
    try:
        runpy.run_path(str(path), run_name="__main__")
        figures = [plt.figure(n) for n in plt.get_fignums()]
        assert figures, f"{path.name} draws no figure"
        assert any(ax.has_data() for fig in figures for ax in fig.axes), f"{path.name}: empty axes"
    finally:
        plt.close("all")
