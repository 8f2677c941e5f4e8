"""Experiments: the run loop, the minimize façade and result storage."""

from .minimize import minimize
from .run import History, package_versions, run
from .store import save_history

__all__ = ["run", "History", "minimize", "save_history", "package_versions"]
