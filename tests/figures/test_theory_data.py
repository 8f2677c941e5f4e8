"""The theory figures' numbers (figures.theory_data) and their build through figures.build."""

import numpy as np
import pytest

from amtoolkit.theory import spectral_rate


def test_rate_vs_beta_data_agrees_with_the_calculators():
    pytest.importorskip("PEPit")
    from amtoolkit.figures.theory_data import L, MU, rate_vs_beta_data

    frame = rate_vs_beta_data(quick=True)
    spectrum = [MU, 0.5 * (MU + L), L]
    assert np.allclose(frame["spectral"], spectral_rate("heavy_ball", 1 / L, frame["beta"].to_numpy(), spectrum))
    points = frame.dropna(subset=["measured"])
    assert len(points) == 4
    assert np.all(np.abs(points["measured"] - points["spectral"]) <= 1e-3)
    # at β = 0 heavy ball is GD with lr = 1/L ≤ 2/(L+μ): its worst case is (1 - μ/L) per step, tight
    assert points["pep"].iloc[0] == pytest.approx(1 - MU / L, abs=1e-4)


@pytest.mark.slow
def test_build_writes_the_four_figures(tmp_path):
    """The theory group is built by the one figure builder (there is no second one): four
    PDF + PNG pairs, each drawn from its stored table."""
    pytest.importorskip("PEPit")
    from amtoolkit.figures import build
    from amtoolkit.figures.theory_data import L

    small = {"theory_rate_vs_beta": {"lr": 1 / L, "n_pep": 3}, "theory_heatmap": {"mu": 1.0, "L": 100.0, "size": 60},
             "theory_thm33": {"T": [100, 400], "seeds": [0]}, "theory_lrp": {"steps": 30}}
    written = build(["theory"], tmp_path / "figs", tmp_path / "store", configs=small, log=None)
    assert list(written) == ["theory_rate_vs_beta", "theory_heatmap", "theory_thm33", "theory_lrp"]
    for name, (pdf, png) in written.items():
        assert png.stat().st_size > 10_000 and pdf.is_file(), name
    assert len(list((tmp_path / "store").glob("theory_*.parquet"))) == 4