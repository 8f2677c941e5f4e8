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


OKABE_ITO = {"#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#000000", "#f0e442"}


def _panel_curves(labels, panels=3):
    import numpy as np
    import pandas as pd

    steps = np.arange(50)
    return {f"problem {i}": pd.concat([pd.DataFrame({"label": lab, "step": steps, "gap": np.exp(-steps / (j + 3)),
                                                     "beta": 0.9 if lab.startswith("AM") else np.nan})
                                       for j, lab in enumerate(labels)], ignore_index=True) for i in range(panels)}


def test_paper_panels_fit_two_columns_with_one_okabe_ito_style_per_method():
    """Issue 21 usability: fig3/fig1 were 14.2 and 10.6 in wide, in matplotlib's default red
    and green, with GD hidden under MGD 0.9. Now: two columns wide, Okabe–Ito colours, one
    colour and line style per method in every panel, GD dotted over MGD 0.9 dashed."""
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from amtoolkit.plotting.reproduction import paper_panels
    from amtoolkit.plotting.style import TWO_COLUMN

    labels = ["GD", "MGD 0.9", "MGD β*=0.96", "AM-MGD 1"]
    for panels in (3, 4):
        fig = paper_panels(_panel_curves(labels, panels))
        assert fig.get_size_inches()[0] <= TWO_COLUMN + 1e-9
        styles = {}
        for ax in fig.axes[:panels]:  # the gap panels
            for line in ax.get_lines():
                colour = mcolors.to_hex(line.get_color())
                assert colour in OKABE_ITO, colour
                styles.setdefault(line.get_label(), set()).add((colour, line.get_linestyle()))
        assert all(len(v) == 1 for v in styles.values()), styles  # the same in every panel
        assert len({next(iter(v)) for v in styles.values()}) == len(labels)  # and distinct
        assert next(iter(styles["GD"]))[1] != next(iter(styles["MGD 0.9"]))[1]
        plt.close(fig)


def test_the_demo_panels_keep_a_label_s_colour_across_panels():
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from amtoolkit.plotting.figures import gap_and_beta_panels

    curves = _panel_curves(["MGD 0.9", "AM-MGD 1"], 2)
    curves["problem 1"] = curves["problem 1"].iloc[::-1]  # the other order in the second panel
    fig = gap_and_beta_panels(curves)
    colours = [{ln.get_label(): mcolors.to_hex(ln.get_color()) for ln in ax.get_lines()} for ax in fig.axes[:2]]
    assert colours[0] == colours[1] and set(colours[0].values()) <= OKABE_ITO
    plt.close(fig)
