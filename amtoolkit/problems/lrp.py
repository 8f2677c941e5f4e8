"""The one-dimensional counterexample of Lessard, Recht & Packard (arXiv:1408.3595),
a piecewise quadratic, L-smooth and μ-strongly convex function on which the heavy ball
with Polyak's parameters (tuned for quadratics) does not converge."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive
from .base import Problem

__all__ = ["LRPCounterexample", "lrp_counterexample"]


class LRPCounterexample(Problem):
    """The piecewise quadratic of Lessard, Recht and Packard, where Polyak's heavy ball cycles.

    ``f(x) = (L/2) x²`` for x < 1, ``(μ/2) x² + (L-μ)x - (L-μ)/2`` for 1 ≤ x < 2 and
    ``(L/2) x² - (L-μ)x + 3(L-μ)/2`` for x ≥ 2 (one coordinate; with μ = 1, L = 25 it is
    the paper's function). Its gradient ``Lx``, ``μx + L - μ``, ``Lx - (L - μ)`` is
    continuous with slopes in {μ, L}, so f is L-smooth and μ-strongly convex; x* = 0,
    f* = 0.

    Parameters
    ----------
    mu : float, default 1.0
        μ > 0.
    L : float, default 25.0
        L > μ.

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0, or ``mu`` is not < ``L``.
    TypeError
        If a value is not a real number.

    Notes
    -----
    With κ = 25, heavy ball at Polyak's η = 1/9, β = 4/9 from x_0 = 3.3 settles on a
    3-cycle (tested in tests/problems/test_lrp.py).

    References
    ----------
    L. Lessard, B. Recht and A. Packard, Analysis and design of optimization algorithms via
    integral quadratic constraints, SIAM J. Optim. 26(1), 2016 (arXiv:1408.3595).
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
        """L."""
        return self.L

    @property
    def strong_convexity(self) -> float:
        """μ."""
        return self.mu

    @property
    def _solution(self) -> tuple[np.ndarray, float]:
        return np.zeros(1), 0.0

    def describe(self) -> dict:
        """Name, dimension, smoothness and strong convexity, for a run's metadata."""
        return {"problem": self.name, "dim": 1, "smoothness": self.L, "strong_convexity": self.mu}

    def default_x0(self):
        """x_0 = 3.3, the paper's start."""
        return np.array([3.3])


def lrp_counterexample(mu: float = 1.0, L: float = 25.0) -> LRPCounterexample:
    """The Lessard-Recht-Packard counterexample (arXiv:1408.3595) as a problem.

    Parameters
    ----------
    mu : float, default 1.0
        The strong-convexity constant μ > 0.
    L : float, default 25.0
        The smoothness constant L > μ.

    Returns
    -------
    LRPCounterexample
        The one-dimensional problem, with ``default_x0() = [3.3]``.

    Raises
    ------
    ValueError
        If ``mu`` or ``L`` is not > 0, or ``mu`` is not < ``L``.

    See Also
    --------
    amtoolkit.theory.polyak_heavy_ball : The parameters that cycle on it.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.problems import lrp_counterexample
    >>> f = lrp_counterexample(mu=1.0, L=25.0)
    >>> print(f.value(np.array([[0.5], [1.5], [3.3]])), f.x_star, f.f_star)
    [ 3.125 25.125 92.925] [0.] 0.0
    """
    return LRPCounterexample(mu, L)
