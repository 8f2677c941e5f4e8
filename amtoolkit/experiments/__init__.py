"""Experiments: the run loop, the minimize façade and result storage."""

from .minimize import minimize
from .run import History, RunError, package_versions, run
from .store import save_history

__all__ = ["run", "History", "RunError", "minimize", "save_history", "package_versions"]
