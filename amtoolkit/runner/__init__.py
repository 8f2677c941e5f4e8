"""One run and its record: the run loop (:func:`run`), :class:`History` with its files
(``to_csv``, :func:`load_history`, :func:`concat`), grids of hyperparameters, the
one-row-per-run summary and the :func:`minimize` façade."""

from .grid import grid
from .history import History, RunError, RunInterrupted, concat, load_history, package_versions, save_history
from .minimize import minimize
from .run import run

__all__ = ["run", "History", "RunError", "RunInterrupted", "minimize", "save_history", "package_versions", "grid",
           "load_history", "concat"]
