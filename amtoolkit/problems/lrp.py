"""The one-dimensional counterexample of Lessard, Recht & Packard (arXiv:1408.3595),
a piecewise quadratic, L-smooth and μ-strongly convex function on which the heavy ball
with Polyak's parameters (tuned for quadratics) does not converge."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive
from .base import Problem

__all__ = ["LRPCounterexample", "lrp_counterexample"]


class LRPCounterexample(Problem):
    """``f(x) = L/2 x²`` for x < 1, ``μ/2 x² + (L-μ)x - (L-μ)/2`` for 1 ≤ x < 2 and
    ``L/2 x² - (L-μ)x + 3(L-μ)/2`` for x ≥ 2 (one coordinate; with μ = 1, L = 25 it is
    the paper's function). Its gradient ``Lx``, ``μx + L - μ``, ``Lx - (L - μ)`` is
    continuous and has slopes in {μ, L}, so f is L-smooth and μ-strongly convex;
    x* = 0, f* = 0.

    With κ = 25, heavy ball at Polyak's η = 1/9, β = 4/9 from x_0 = 3.3 settles on a
    3-cycle (tested in tests/problems/test_lrp.py).
    """

    def __init__(self, mu: float = 1.0, L: float = 25.0) -> None:
        super().__init__()
        check_positive("mu", mu)
        check_positive("L", L)
        if not mu < L:
            raise ValueError(f"mu must be < L (the pieces need different curvatures), got mu={mu!r}, L={L!r}")
        self.mu, self.L = float(mu), float(L)
        self.dim = 1
        self.name = f"lrp(mu={mu:g},L={L:g})"

    def _numpy_data(self) -> tuple:
        return ()

    def _value_and_grad(self, x, data, batch):
        xp = data[0]
        mu, L, s = self.mu, self.L, self.L - self.mu
        z = x[..., 0]
        low, mid = z < 1.0, (z >= 1.0) & (z < 2.0)
        f = xp.where(low, 0.5 * L * z * z,
                     xp.where(mid, 0.5 * mu * z * z + s * z - 0.5 * s, 0.5 * L * z * z - s * z + 1.5 * s))
        g = xp.where(low, L * z, xp.where(mid, mu * z + s, L * z - s))
        return f, g[..., None]

    @property
    def smoothness(self) -> float:
        return self.L

    @property
    def strong_convexity(self) -> float:
        return self.mu

    @property
    def _solution(self) -> tuple[np.ndarray, float]:
        return np.zeros(1), 0.0

    def describe(self) -> dict:
        return {"problem": self.name, "dim": 1, "smoothness": self.L, "strong_convexity": self.mu}

    def default_x0(self):
        """x_0 = 3.3, the paper's start."""
        return np.array([3.3])


def lrp_counterexample(mu: float = 1.0, L: float = 25.0) -> LRPCounterexample:
    """The Lessard-Recht-Packard counterexample (arXiv:1408.3595) as a problem."""
    return LRPCounterexample(mu, L)
