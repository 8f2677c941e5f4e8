import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from amtoolkit import memory  # noqa: E402
from amtoolkit.plotting import gap_and_beta_figure, impulse_response_figure  # noqa: E402


@pytest.fixture
def saved(monkeypatch):
    """The figures the builders save, kept open for reading their data back."""
    figures = []
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        if self not in figures:
            figures.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return figures


def _lines(ax):
    return {line.get_label(): (np.asarray(line.get_xdata()), np.asarray(line.get_ydata())) for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def test_impulse_response_figure_plots_the_weights(tmp_path, saved):
    """Each panel holds the weight of g_{t-j} in each unit: 0.9^j and [j = 0] for M(0.9)+M(0.0),
    0.8^j and j·0.8^(j-1) for J(0.8,2) (binomial weights of a Jordan chain)."""
    mems = ("M(0.9)+M(0.0)", "J(0.8,2)")
    responses = {m: memory.impulse_response(memory.parse_memory(m), 20) for m in mems}
    png = impulse_response_figure(responses, tmp_path / "imp")
    assert png == tmp_path / "imp.png" and png.is_file() and (tmp_path / "imp.pdf").is_file()
    (fig,) = saved
    j = np.arange(20)
    expected = {"M(0.9)+M(0.0)": [0.9 ** j, (j == 0).astype(float)],
                "J(0.8,2)": [0.8 ** j, j * 0.8 ** np.maximum(j - 1, 0)]}
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == list(mems)
    for ax, mem in zip(axes, mems):
        lines = _lines(ax)
        assert sorted(lines) == ["unit 0", "unit 1"]
        for i, ref in enumerate(expected[mem]):
            x, y = lines[f"unit {i}"]
            np.testing.assert_array_equal(x, j)
            np.testing.assert_allclose(y, ref, rtol=1e-12)


def test_gap_and_beta_figure_plots_gaps_and_adaptive_betas(tmp_path, saved):
    frame = pd.DataFrame({"label": ["a"] * 3 + ["b"] * 3, "step": [0, 1, 2] * 2,
                          "gap": [1.0, 0.1, 0.0, 1.0, 0.5, 0.25], "beta": [0.0, 0.5, 0.9] + [np.nan] * 3,
                          "adaptive": [True] * 3 + [False] * 3})
    png = gap_and_beta_figure({"p": frame}, tmp_path / "g")
    assert png.is_file() and (tmp_path / "g.pdf").is_file()
    (fig,) = saved
    top, bottom = fig.axes[:2]
    assert top.get_title() == "p" and top.get_yscale() == "log"
    gaps = _lines(top)
    assert sorted(gaps) == ["a", "b"]
    np.testing.assert_array_equal(gaps["a"][0], [0, 1, 2])
    np.testing.assert_array_equal(gaps["a"][1], [1.0, 0.1, 1e-16])  # a zero gap is drawn at the floor
    np.testing.assert_array_equal(gaps["b"][1], [1.0, 0.5, 0.25])
    betas = _lines(bottom)
    assert list(betas) == ["a"]  # only the adaptive run's β
    np.testing.assert_array_equal(betas["a"][1], [0.0, 0.5, 0.9])
