"""The paper style shipped with amtoolkit (``amtoolkit.mplstyle``) and paper widths.

Every figure of :mod:`amtoolkit.plotting` is drawn under this style: Times-like serif
text and math (STIX, shipped with matplotlib, so no LaTeX is needed), the Okabe–Ito
colour-blind-safe palette, 8 pt text. ``figsize`` gives sizes for the one-column
(3.25 in) and two-column (6.75 in) widths of the common two-column paper templates.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STYLE_FILE", "ONE_COLUMN", "TWO_COLUMN", "figsize", "use", "context"]

STYLE_FILE = Path(__file__).with_name("amtoolkit.mplstyle")
ONE_COLUMN = 3.25  # inches
TWO_COLUMN = 6.75  # inches


def figsize(columns: int = 1, aspect: float = 0.68) -> tuple[float, float]:
    """``(width, height)`` in inches: ``columns`` 1 or 2 paper columns, ``height = aspect·width``."""
    if columns not in (1, 2):
        raise ValueError(f"columns must be 1 or 2, got {columns!r}")
    if not aspect > 0:
        raise ValueError(f"aspect must be > 0, got {aspect!r}")
    width = ONE_COLUMN if columns == 1 else TWO_COLUMN
    return width, aspect * width


def use() -> None:
    """Apply the style to matplotlib's global settings."""
    import matplotlib.pyplot as plt

    plt.style.use(STYLE_FILE)


def context():
    """A context manager that applies the style only inside its ``with`` block."""
    import matplotlib.pyplot as plt

    return plt.style.context(STYLE_FILE)
