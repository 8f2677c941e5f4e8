"""Experiments: the run loop, the minimize façade, sweeps and result storage."""

from .minimize import minimize
from .run import History, RunError, package_versions, run
from .store import load_results, save_history
from .sweep import sweep

__all__ = ["run", "History", "RunError", "minimize", "save_history", "package_versions", "sweep",
           "load_results"]
