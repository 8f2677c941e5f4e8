"""amtoolkit: momentum methods whose memory adapts online (NumPy/SciPy, array API).

README.md gives the three commands (install, main job, tests); docs/api.md lists the
public API. In short: build a problem (``Quadratic``, ``load_problem``), an optimizer
(``optimizers.get``, ``grid`` for crossed sweeps), ``run`` it into a ``History``
(``summary()``, ``frame``, ``to_csv``), read it back with ``load_history`` and join
several with ``concat``; ``validate`` checks AM steps against cvxpy, ``plotting``
draws the figures.
"""

__version__ = "0.1.0"

from . import backend, datasets, memory, model, optimizers, plotting, problems, theory, validate
from .datasets import load_problem
from .experiments import History, RunError, concat, grid, load_history, load_results, minimize, run, sweep
from .problems import LogisticRegression, Quadratic
from .plotting import plot, plot_results

__all__ = ["__version__", "backend", "datasets", "memory", "model", "theory", "optimizers", "plotting",
           "problems", "validate", "Quadratic", "LogisticRegression", "load_problem", "run", "minimize",
           "History", "RunError", "grid", "load_history", "concat", "sweep", "load_results", "plot",
           "plot_results"]
