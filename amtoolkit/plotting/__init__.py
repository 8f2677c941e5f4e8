"""Plotting: ``amt.plot`` / ``amt.plot_results`` for interactive study, the paper style, and
the figure builders of ``amtoolkit figures``. Plotting draws given tables; it never runs an
optimizer and never reads a results store."""

from .api import best_configs, curves, draw_bands, plot, plot_results
from .figures import gap_and_beta_figure, impulse_response_figure
from .style import ONE_COLUMN, STYLE_FILE, TWO_COLUMN, figsize

__all__ = ["plot", "plot_results", "best_configs", "curves", "draw_bands", "gap_and_beta_figure",
           "impulse_response_figure", "STYLE_FILE", "ONE_COLUMN", "TWO_COLUMN", "figsize"]
