import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from amtoolkit.plotting import figures, style  # noqa: E402

# Okabe & Ito, "Color Universal Design" (2008): the colour-blind-safe palette.
OKABE_ITO = {"#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#000000", "#f0e442"}


def test_style_file_is_in_the_package_and_declared_as_package_data():
    assert style.STYLE_FILE.is_file() and style.STYLE_FILE.parent.name == "plotting"
    with open(style.STYLE_FILE.parents[2] / "pyproject.toml") as fh:
        assert "plotting/*.mplstyle" in fh.read()


def test_every_figure_builder_gets_the_paper_style():
    with plt.rc_context():
        plt.rcdefaults()
        figures._pyplot()  # what every figure builder calls first
        rc = matplotlib.rcParams
        assert rc["font.family"] == ["serif"] and rc["font.serif"][0] == "STIXGeneral"
        assert rc["mathtext.fontset"] == "stix"
        colours = {c.lower() for c in rc["axes.prop_cycle"].by_key()["color"]}
        assert colours == OKABE_ITO
        assert rc["font.size"] == 8


def test_paper_widths():
    assert style.figsize(1) == (3.25, pytest.approx(3.25 * 0.68))
    assert style.figsize(2, aspect=0.5) == (6.75, 3.375)
    with pytest.raises(ValueError, match="columns must be 1 or 2, got 3"):
        style.figsize(3)
    with pytest.raises(ValueError, match="aspect must be > 0"):
        style.figsize(1, aspect=0)


def test_save_writes_pdf_and_png_with_their_source(tmp_path):
    plt_ = figures._pyplot()
    fig, ax = plt_.subplots(figsize=style.figsize(1))
    ax.plot([0, 1], [1, 0])
    png = figures._save(fig, tmp_path / "x", source="amtoolkit figures --only x")
    assert png == tmp_path / "x.png" and (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")
    with Image.open(png) as img:
        assert img.info["Description"] == "amtoolkit figures --only x"
        assert img.size[0] == pytest.approx(3.25 * 200, rel=0.15)  # one column at savefig.dpi 200
    assert not plt.get_fignums()  # _save closes the figure


def test_an_unchanged_figure_is_rewritten_byte_for_byte(tmp_path):
    written = []
    for _ in range(2):
        fig, ax = figures._pyplot().subplots()
        ax.plot([0, 1], [1, 0])
        figures._save(fig, tmp_path / "same")
        written.append({ext: (tmp_path / f"same.{ext}").read_bytes() for ext in ("pdf", "png")})
    assert written[0] == written[1]
    assert b"/CreationDate" not in written[0]["pdf"]  # else the bytes change every second
