import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from amtoolkit import memory  # noqa: E402
from amtoolkit.plotting import gap_and_beta_figure, impulse_response_figure  # noqa: E402


def test_impulse_response_figure_writes_pdf_and_png(tmp_path):
    responses = {m: memory.impulse_response(memory.parse_memory(m), 20) for m in ("M(0.9)+M(0.0)", "J(0.8,2)")}
    png = impulse_response_figure(responses, tmp_path / "imp")
    assert png.stat().st_size > 5_000 and (tmp_path / "imp.pdf").stat().st_size > 1_000


def test_gap_and_beta_figure_handles_zero_gaps(tmp_path):
    frame = pd.DataFrame({"label": ["a"] * 3 + ["b"] * 3, "step": [0, 1, 2] * 2,
                          "gap": [1.0, 0.1, 0.0, 1.0, 0.5, 0.25], "beta": [0.0, 0.5, 0.9] + [np.nan] * 3,
                          "adaptive": [True] * 3 + [False] * 3})
    png = gap_and_beta_figure({"p": frame}, tmp_path / "g")
    assert png.is_file() and (tmp_path / "g.pdf").is_file()
