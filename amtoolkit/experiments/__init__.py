"""Experiments: the run loop, the minimize façade and result storage."""

from .minimize import minimize
from .run import History, package_versions, run
from .store import load_frame, save_history

__all__ = ["run", "History", "minimize", "save_history", "load_frame", "package_versions"]
