"""The figures of ``amtoolkit reproduce convex``: Figure 3 (LIBSVM) and Figure 1 (quadratics)
of arXiv:2510.04988, in the paper's layout (loss gap against step, one panel per problem),
with the AM-MGD β_t underneath."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from .figures import gap_and_beta_panels

__all__ = ["paper_panels"]


def _color(label: str):
    """AM-MGD in red as in the paper's Figure 3; β* green, GD grey, MGD 0.9 blue."""
    if label.startswith("AM"):
        return "tab:red"
    if "β*" in label:
        return "tab:green"
    return {"GD": "0.45", "MGD 0.9": "tab:blue", "MGD 0.5": "tab:purple", "MGD 0.99": "tab:orange"}.get(label)


def paper_panels(curves: Mapping[str, pd.DataFrame]):
    """:func:`amtoolkit.plotting.figures.gap_and_beta_panels` with Figure 3's colours and
    legend (``curves[title]``: columns ``label, step, gap, beta``). Returns the Figure."""
    return gap_and_beta_panels(curves, LEGEND, _color)


LEGEND = {"AM-MGD 1": "AM-MGD (β_max=1)"}
