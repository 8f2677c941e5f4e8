"""Fig. 2: the drawn planes are the model's planes (Eq. 8), the marked point minimises Eq. 9."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402

from amtoolkit.figures.figureset import FIGURES, _results  # noqa: E402
from amtoolkit.model import two_plane  # noqa: E402
from amtoolkit.plotting.model import two_plane_figure  # noqa: E402

CFG = dict(FIGURES["fig2"].config)


@pytest.fixture(scope="module")
def artists():
    fig = two_plane_figure(_results("fig2", CFG, None))
    found = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            found[line.get_gid()] = (line.get_xdata(), line.get_ydata())
    plt.close(fig)
    return found


def _f(x):
    return np.log(np.cosh(x))


def _planes():
    """The two planes of Eq. 8 written out, with f = log cosh: (value at x_t, slope) each."""
    x_prev, x_t, lr = CFG["x_prev"], CFG["x_t"], CFG["lr"]
    d = (x_prev - x_t) / lr
    return {"gradient plane": (_f(x_t), np.tanh(x_t)),
            "memory plane (over)": (_f(x_prev), d),
            "memory plane (under)": (_f(x_prev) + np.tanh(x_prev) * (x_t - x_prev), d)}


def test_drawn_planes_are_the_models_planes(artists):
    x_t = CFG["x_t"]
    for name, (value, slope) in _planes().items():
        x, y = artists[name]
        assert len(x) > 100
        np.testing.assert_allclose(y, value + slope * (x - x_t), rtol=0, atol=1e-12)
    x, y = artists["f"]
    np.testing.assert_allclose(y, _f(x), atol=1e-14)
    over, under = _planes()["memory plane (over)"][0], _planes()["memory plane (under)"][0]
    assert over > _f(x_t) > under  # one plane overestimates f(x_t), the other underestimates it


@pytest.mark.parametrize("side", ["over", "under"])
def test_marked_point_is_the_proximal_minimiser(artists, side):
    x_prev, x_t, lr, lam = CFG["x_prev"], CFG["x_t"], CFG["lr"], CFG["lam"]
    f_hat = _planes()[f"memory plane ({side})"][0]
    d = np.array([(x_prev - x_t) / lr])

    def objective(x):  # x: scalar or (n,) points
        x = np.asarray(x, dtype=float)
        out = two_plane.prox_objective(x[..., None], np.array([x_t]), _f(x_t), f_hat,
                                       np.array([np.tanh(x_t)]), d, lr, lam)
        return float(out) if out.ndim == 0 else out

    grid = np.linspace(-3.0, 5.0, 80001)  # brute force, then polished on the bracket
    coarse = grid[np.argmin(objective(grid))]
    best = minimize_scalar(objective, bounds=(coarse - 1e-3, coarse + 1e-3), method="bounded",
                           options={"xatol": 1e-12}).x
    (mx,), (my,) = artists[f"argmin ({side})"]
    assert mx == pytest.approx(best, abs=1e-6)
    assert my == pytest.approx(objective(best), abs=1e-10)
    (lx,), (ly,) = artists[f"x_{{t+1}} ({side})"]  # the landing point, drawn on f
    assert lx == mx and ly == pytest.approx(_f(mx), abs=1e-14)
    px, py = artists[f"prox ({side})"]  # the drawn objective is Eq. 9 and is minimal at the mark
    np.testing.assert_allclose(py, objective(px), atol=1e-12)
    assert py.min() >= my - 1e-12


def test_overestimating_plane_lands_closer_to_the_minimiser(artists):
    """The configuration shows the paper's point (Fig. 2, right): x* = 0 for log cosh."""
    (over,), _ = artists["argmin (over)"]
    (under,), _ = artists["argmin (under)"]
    assert abs(over) < 0.1 < abs(under)
