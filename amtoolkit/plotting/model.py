"""Drawing of the two-plane model (AM paper, Fig. 2 analogue) from precomputed values.

The values come from :mod:`amtoolkit.figures.figureset` (computed with
:mod:`amtoolkit.model.two_plane`); this module only draws them. The frame has the
columns ``kind`` (``"curve"`` or ``"point"``), ``name``, ``x``, ``y`` and ``beta``:

* curves: ``f``, ``gradient plane``, ``memory plane (over)``, ``memory plane (under)``
  (the two planes of Eq. 8 with an overestimating and an underestimating offset),
  ``prox (over)``, ``prox (under)`` (the objective of Eq. 9 for each);
* points: ``x_t``, ``x_{t-1}``, ``x*`` on f; ``x_{t+1} (over)``, ``x_{t+1} (under)`` (where
  each proximal step lands, on f); ``argmin (over)``, ``argmin (under)`` (the same
  points on the proximal objectives, with the β of Eq. 12 in ``beta``).

Every artist carries its ``name`` as ``gid``, so the drawn data can be read back.
"""

from __future__ import annotations

import pandas as pd

from .figures import _pyplot
from .style import figsize

__all__ = ["two_plane_figure"]

_COLOURS = {"over": "C1", "under": "C0"}


def _curve(data: pd.DataFrame, name: str):
    rows = data[(data["kind"] == "curve") & (data["name"] == name)]
    if rows.empty:
        raise ValueError(f"the two-plane data has no curve named {name!r}")
    return rows["x"].to_numpy(), rows["y"].to_numpy()


def _point(data: pd.DataFrame, name: str):
    rows = data[(data["kind"] == "point") & (data["name"] == name)]
    if len(rows) != 1:
        raise ValueError(f"the two-plane data needs exactly one point named {name!r}, got {len(rows)}")
    return rows.iloc[0]


def two_plane_figure(data: pd.DataFrame):
    """Left: f, the gradient plane and the two memory planes, with where each proximal step
    lands; right: the two proximal objectives and their minimisers. Returns the Figure."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize(2, 0.36))
    x, y = _curve(data, "f")
    left.plot(x, y, color="k", lw=1.6, label="$f$", gid="f")
    left.plot(*_curve(data, "gradient plane"), color="0.45", ls="--", label="gradient plane", gid="gradient plane")
    for side, text in (("over", r"memory plane, $\hat f(x_t) = f(x_{t-1}) > f(x_t)$"),
                       ("under", r"memory plane, $\hat f(x_t) \leq f(x_t)$ (cutting plane)")):
        name = f"memory plane ({side})"
        left.plot(*_curve(data, name), color=_COLOURS[side], ls="--", label=text, gid=name)
        land = _point(data, f"x_{{t+1}} ({side})")
        left.plot([land.x], [land.y], marker="*", ms=9, color=_COLOURS[side], ls="none",
                  gid=f"x_{{t+1}} ({side})")
        px, py = _curve(data, f"prox ({side})")
        right.plot(px, py, color=_COLOURS[side], gid=f"prox ({side})",
                   label=f"Eq. 9 objective, {side}estimating plane")
        arg = _point(data, f"argmin ({side})")
        right.plot([arg.x], [arg.y], marker="*", ms=9, color=_COLOURS[side], ls="none",
                   gid=f"argmin ({side})", label=rf"$x_{{t+1}}$, $\beta_t = {arg.beta:.2f}$")
    for name, text in (("x_{t-1}", r"$x_{t-1}$"), ("x_t", r"$x_t$"), ("x*", r"$x^\star$")):
        p = _point(data, name)
        left.plot([p.x], [p.y], "o", color="k", ms=3.5, gid=name)
        left.annotate(text, (p.x, p.y), textcoords="offset points", xytext=(-4, 6) if name == "x*" else (3, -9))
        if name == "x*":
            right.axvline(p.x, color="k", lw=0.6, ls=":", gid="x* line")
    left.set_ylim(min(y) - 0.3 * (max(y) - min(y)), max(y) + 0.1 * (max(y) - min(y)))
    left.set_xlabel("$x$")
    left.set_title("two-plane model (Eq. 8) and where the step lands")
    left.legend(loc="upper left")
    right.set_xlabel("$x$")
    right.set_title("proximal objective (Eq. 9) and its minimiser")
    right.legend(loc="upper left")
    return fig
