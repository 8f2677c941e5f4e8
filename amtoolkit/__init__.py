"""amtoolkit: momentum methods whose memory adapts online (NumPy/SciPy, array API).

See README.md for the three commands (install, main job, tests) and DESIGN §9 for
the public API.
"""

__version__ = "0.1.0"

from . import backend, datasets, memory, model, optimizers, problems, theory, validate
from .datasets import load_problem
from .experiments import History, RunError, load_results, minimize, run, sweep
from .problems import LogisticRegression, Quadratic
from .plotting import plot, plot_results

__all__ = ["__version__", "backend", "datasets", "memory", "model", "theory", "optimizers", "problems", "validate", "Quadratic",
           "LogisticRegression", "load_problem", "run", "minimize", "History", "RunError", "plot",
           "plot_results", "sweep", "load_results"]
