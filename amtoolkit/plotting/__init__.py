"""Paper-style matplotlib figure builders (they draw, they never compute)."""

from .figures import gap_and_beta_figure, impulse_response_figure

__all__ = ["gap_and_beta_figure", "impulse_response_figure"]
