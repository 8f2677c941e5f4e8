"""Experiments: the run loop, the minimize façade, grids, summaries and result storage."""

from .grid import grid
from .history_io import concat, load_history
from .minimize import minimize
from .run import History, package_versions, run
from .store import save_history

__all__ = ["run", "History", "minimize", "save_history", "package_versions", "grid", "load_history",
           "concat"]
