"""Experiments: the run loop, the minimize façade, grids, summaries, sweeps and result storage."""

from .grid import grid
from .history_io import concat, load_history
from .minimize import minimize
from .run import History, RunError, package_versions, run
from .store import load_results, save_history
from .sweep import sweep

__all__ = ["run", "History", "RunError", "minimize", "save_history", "package_versions", "grid",
           "load_history", "concat", "sweep", "load_results"]
