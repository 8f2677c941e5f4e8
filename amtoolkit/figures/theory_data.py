"""The numbers of the four theory figures (``amtoolkit figures --only theory``, drawn by
:mod:`amtoolkit.plotting.theory` through :func:`amtoolkit.figures.build`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import theory
from ..optimizers import heavy_ball
from ..problems import Quadratic, lrp_counterexample
from ..runner.run import run

__all__ = ["rate_vs_beta_data", "heatmap_data", "theorem_3_3_data", "lrp_data"]

MU, L = 1.0, 25.0  # κ = 25 for the rate figures


def rate_vs_beta_data(lr: float = 1.0 / L, n_pep: int = 10, quick: bool = False) -> pd.DataFrame:
    """Heavy ball at fixed ``lr``, β on a grid: the spectral rate on quadratics with
    spectrum in [μ, L]; the PEPit worst case over L-smooth μ-strongly convex functions
    after ``n_pep`` steps, as ``value^(1/(2n))``; the measured rate of runs on the diagonal
    quadratic with eigenvalues {μ, (μ+L)/2, L} (x_0 = 1, f* = 0), fitted by
    :func:`amtoolkit.theory.measured_rate` on the last 100 of 600 steps."""
    dense = np.linspace(0.0, 0.95, 40 if quick else 191)
    coarse = np.linspace(0.0, 0.9, 4 if quick else 10)
    spectrum = np.array([MU, 0.5 * (MU + L), L])
    q = Quadratic(np.diag(spectrum), np.zeros(3))
    h = run(heavy_ball(lr=lr, beta=coarse), q, 600, x0=np.ones(3))
    measured = theory.measured_rate(h, window=100).to_numpy()
    pep = [theory.worst_case("heavy_ball", MU, L, lr, float(b), n_pep).rate for b in coarse]
    frame = pd.DataFrame({"beta": dense, "spectral": theory.spectral_rate("heavy_ball", lr, dense, spectrum)})
    points = pd.DataFrame({"beta": coarse, "spectral": theory.spectral_rate("heavy_ball", lr, coarse, spectrum),
                           "pep": pep, "measured": measured})
    return pd.concat([frame, points]).sort_values("beta", kind="stable").reset_index(drop=True)


def heatmap_data(mu: float = 1.0, L: float = 100.0, size: int = 200):  # noqa: N803
    """Spectral rate of heavy ball over lr ∈ (0, 4/L] × β ∈ [0, 0.99], and Polyak's optimum."""
    lrs = np.linspace(4.0 / L / size, 4.0 / L, size)
    betas = np.linspace(0.0, 0.99, size)
    rates = theory.spectral_rate("heavy_ball", lrs[:, None], betas[None, :], [mu, L])
    p_lr, p_beta, _ = theory.polyak_heavy_ball(mu, L)
    return lrs, betas, rates, (p_lr, p_beta)


def theorem_3_3_data(Ts=(100, 316, 1000, 3162, 10000), seeds=(0, 1)) -> pd.DataFrame:
    """:func:`amtoolkit.theory.check_theorem_3_3` on breast_cancer (reg = 1e-3)."""
    from ..datasets import load_problem

    return theory.check_theorem_3_3(load_problem("breast_cancer", reg=1e-3), T=list(Ts), seeds=list(seeds))


def lrp_data(steps: int = 60) -> dict[str, np.ndarray]:
    """Iterates from x_0 = 3.3 on the LRP function (μ = 1, L = 25): heavy ball at Polyak's
    (1/9, 4/9), and the globally convergent heavy ball at lr = 1/(2L)."""
    p = lrp_counterexample(MU, L)
    lr_p, beta_p, _ = theory.polyak_heavy_ball(MU, L)
    lr_g = 0.5 / L
    beta_g, _ = theory.ghadimi_heavy_ball(lr_g, MU, L)
    out = {}
    for label, lr, beta in ((f"Polyak: lr = {lr_p:.4g}, beta = {beta_p:.4g}", lr_p, beta_p),
                            (f"Ghadimi et al.: lr = {lr_g:.4g}, beta = {beta_g:.4g}", lr_g, beta_g)):
        xs = [3.3]
        run(heavy_ball(lr=lr, beta=beta), p, steps, x0=np.array([3.3]),
            callback=lambda t, s: xs.append(float(s.x[0])))
        out[label] = np.array(xs)
    return out
