"""The figures of ``amtoolkit reproduce convex``: Figure 3 (LIBSVM) and Figure 1 (quadratics)
of arXiv:2510.04988, in the paper's layout (loss gap against step, one panel per problem),
with the AM-MGD β_t underneath."""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from .figures import gap_and_beta_panels

__all__ = ["paper_panels", "paper_style"]


#: one colour (Okabe–Ito, as the style promises) and one line style per method, the same in
#: every panel: GD and MGD β = 0.9 nearly coincide at step 1/L (EMA momentum), so the dotted
#: GD line stays visible over the dashed one
_STYLES = {"GD": {"color": "#000000", "ls": ":"}, "MGD 0.9": {"color": "#0072B2", "ls": "--"},
           "MGD 0.5": {"color": "#56B4E9", "ls": "--"}, "MGD 0.99": {"color": "#E69F00", "ls": "--"}}
_BETA_STAR = {"color": "#009E73", "ls": "-."}
_AM = {"color": "#D55E00", "ls": "-"}


def paper_style(label: str) -> dict:
    """The line style of a method of Figures 1 and 3: AM-MGD solid vermilion, β* dash-dot
    green, GD dotted black, the fixed β's dashed."""
    if label.startswith("AM"):
        return dict(_AM)
    if "β*" in label:
        return dict(_BETA_STAR)
    return dict(_STYLES.get(label, {"color": "#CC79A7", "ls": "--"}))


def paper_panels(curves: Mapping[str, pd.DataFrame]):
    """:func:`amtoolkit.plotting.figures.gap_and_beta_panels` with Figure 3's methods styled by
    :func:`paper_style` (``curves[title]``: columns ``label, step, gap, beta``). Returns the
    Figure."""
    return gap_and_beta_panels(curves, LEGEND, paper_style)


LEGEND = {"AM-MGD 1": "AM-MGD (β_max=1)"}
