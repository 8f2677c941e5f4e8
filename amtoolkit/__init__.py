"""amtoolkit: momentum methods whose memory adapts online (NumPy/SciPy, array API).

README.md gives the three commands (install, main job, tests) and the documentation site
(docs/) the user guide and the API reference. In short: build a problem (``Quadratic``,
``load_problem``), an optimizer (``optimizers.get``, ``grid`` for crossed sweeps), ``run``
it into a ``History`` (``summary()``, ``frame``, ``to_csv``), read it back with
``load_history`` and join several with ``concat``; ``sweep`` many runs into a store that
``load_results`` reads; ``validate`` checks AM steps against cvxpy, ``plot`` draws.

The packages, lowest layer first (``tools/layout.py`` checks that imports only point down):
``model``, ``memory``, ``theory`` (pure math); ``problems``, ``optimizers``, ``datasets``,
``plotting`` (drawing of frames); ``validate``, ``runner`` (one run); ``sweeps`` (many
runs); ``reproduce`` (the papers' protocols); ``figures`` (the paper figures); ``cli``.
"""

from ._version import __version__
from . import backend, datasets, memory, model, optimizers, plotting, problems, theory, validate
from . import figures, reproduce, runner, sweeps
from .datasets import load_problem
from .problems import LogisticRegression, Quadratic
from .plotting import plot, plot_results
from .reproduce.theorems import check_theorem_3_3, check_theorem_3_4
from .runner import History, RunError, RunInterrupted, concat, grid, load_history, minimize, run
from .sweeps import load_results, sweep

# the theorem checks run optimizers, so they live in reproduce/; amt.theory names them too
theory.check_theorem_3_3, theory.check_theorem_3_4 = check_theorem_3_3, check_theorem_3_4
del check_theorem_3_3, check_theorem_3_4

__all__ = ["__version__", "backend", "datasets", "memory", "model", "theory", "optimizers", "plotting",
           "problems", "validate", "runner", "sweeps", "reproduce", "figures", "Quadratic",
           "LogisticRegression", "load_problem", "run", "minimize", "History", "RunError", "RunInterrupted", "grid",
           "load_history", "concat", "sweep", "load_results", "plot", "plot_results"]
