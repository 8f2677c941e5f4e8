"""The figures of ``amtoolkit reproduce convex``: Figure 3 (LIBSVM) and Figure 1 (quadratics)
of arXiv:2510.04988, in the paper's layout (loss gap against step, one panel per problem),
with the AM-MGD β_t underneath."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from .figures import _pyplot, _save

__all__ = ["fig3_libsvm", "fig1_quadratic", "gap_and_beta_panels"]



def _color(label: str):
    """AM-MGD in red as in the paper's Figure 3; β* green, GD grey, MGD 0.9 blue."""
    if label.startswith("AM"):
        return "tab:red"
    if "β*" in label:
        return "tab:green"
    return {"GD": "0.45", "MGD 0.9": "tab:blue", "MGD 0.5": "tab:purple", "MGD 0.99": "tab:orange"}.get(label)


def gap_and_beta_panels(curves: Mapping[str, pd.DataFrame], legend: Mapping[str, str] | None = None):
    """Top row: ``gap`` (log) against step per label; bottom row: the AM run's β_t (the
    rows whose ``beta`` is not NaN); one column per entry of ``curves`` (columns
    ``label, step, gap, beta``). ``legend`` renames labels. Returns the Figure."""
    legend = dict(LEGEND if legend is None else legend)
    plt = _pyplot()
    n = len(curves)
    fig, axes = plt.subplots(2, n, figsize=(3.6 * n, 4.6), sharex="col", squeeze=False,
                             gridspec_kw={"height_ratios": [2.2, 1]})
    for col, (title, frame) in enumerate(curves.items()):
        top, bottom = axes[0, col], axes[1, col]
        for label, rows in frame.groupby("label", sort=False):
            adaptive = rows["beta"].notna().any()
            dense = len(rows) > 5000  # long runs: raster lines in the PDF (much faster to write)
            top.semilogy(rows["step"], rows["gap"].clip(lower=1e-16), lw=1.8 if adaptive else 1.1,
                         color=_color(label), label=legend.get(label, label), rasterized=dense)
            if adaptive:
                bottom.plot(rows["step"], rows["beta"], lw=0.8, color=_color(label), rasterized=dense)
        top.set_title(title, fontsize=9)
        top.grid(True, which="major", alpha=0.3)
        top.legend(fontsize=6)
        bottom.set_xlabel("step $t$")
        bottom.set_ylim(-0.05, 1.05)
        bottom.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel(r"$f(x_t) - f^\star$")
    axes[1, 0].set_ylabel(r"AM-MGD $\beta_t$")
    return fig


LEGEND = {"AM-MGD 1": "AM-MGD (β_max=1)"}


def fig3_libsvm(curves: Mapping[str, pd.DataFrame], path_stem: str | Path) -> Path:
    """Figure 3's layout: GD, MGD β = 0.9, MGD β* and AM-MGD (β_max = 1) per dataset.
    ``curves[title]`` has the columns ``label, step, gap, beta``; writes PDF and PNG."""
    return _save(gap_and_beta_panels(curves), path_stem)


def fig1_quadratic(curves: Mapping[str, pd.DataFrame], path_stem: str | Path) -> Path:
    """Figure 1's setting: fixed β (incl. the grid's β*) against AM-MGD, one panel per
    condition number; writes PDF and PNG."""
    return _save(gap_and_beta_panels(curves), path_stem)
