"""The theory figures' numbers (experiments.theory_figures) and their build."""

import numpy as np
import pytest

from amtoolkit.theory import spectral_rate


def test_rate_vs_beta_data_agrees_with_the_calculators():
    pytest.importorskip("PEPit")
    from amtoolkit.experiments.theory_figures import L, MU, rate_vs_beta_data

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
    pytest.importorskip("PEPit")
    from amtoolkit.experiments.theory_figures import build

    paths = build(tmp_path, quick=True)
    assert [p.name for p in paths] == ["theory_rate_vs_beta.png", "theory_heatmap.png", "theory_thm33.png",
                                       "theory_lrp.png"]
    for p in paths:
        assert p.stat().st_size > 10_000 and p.with_suffix(".pdf").is_file()
