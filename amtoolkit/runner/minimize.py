"""A ``scipy.optimize.minimize``-style façade over the registered optimizers."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy.optimize import OptimizeResult

from .. import optimizers
from .._checks import check_finite_array, check_int, check_positive
from ..problems.base import FunctionProblem, check_real_dtype
from .run import STATUS_CONVERGED, STATUS_DIVERGED, run


def minimize(fun: Callable, x0, jac: Callable | None = None, method: str = "am_mgd",
             options: dict[str, Any] | None = None) -> OptimizeResult:
    """Minimise ``fun`` from ``x0`` with a registered method (``amtoolkit.optimizers.available()``).

    ``options`` holds the method's hyperparameters plus ``maxiter`` (default 1000),
    ``gtol`` (stop when ‖∇f‖ ≤ gtol, default 1e-8) and ``smoothness`` (the constant L
    that ``lr="c/L"`` divides by). Returns a
    ``scipy.optimize.OptimizeResult`` with ``x, fun, jac, nit, nfev, njev, status,
    success, message`` and the run's ``history``. ``status``: 0 converged, 1 maxiter
    reached, 2 diverged. An exception raised by ``fun`` or ``jac`` comes out as
    :class:`amtoolkit.RunError` (chained to it) holding the iterations so far; Ctrl-C as
    :class:`amtoolkit.RunInterrupted` (a ``KeyboardInterrupt``) holding them too.
    """
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict of hyperparameters plus maxiter/gtol, got {options!r}")
    options = dict(options or {})
    maxiter = check_int("options['maxiter']", options.pop("maxiter", 1000))
    gtol = check_positive("options['gtol']", options.pop("gtol", 1e-8))
    smoothness = options.pop("smoothness", None)  # L, for lr="c/L"
    x0 = np.asarray(x0)
    check_real_dtype("x0", x0)
    x0 = x0.astype(float)
    if x0.ndim != 1 or x0.shape[0] == 0:
        raise ValueError(f"x0 must be a non-empty 1-D array, got shape {x0.shape}")
    check_finite_array("x0", x0)
    problem = FunctionProblem(fun, jac, x0.shape[0], name=getattr(fun, "__name__", "function"))
    if smoothness is not None:
        problem.smoothness = float(check_positive("options['smoothness']", smoothness))
    opt = optimizers.get(method, **options)
    hist = run(opt, problem, steps=maxiter, x0=x0, gtol=gtol, f_star=None)
    status = hist.status[0]
    last = hist.frame.iloc[-1]
    code, message = {
        STATUS_CONVERGED: (0, f"gradient norm below gtol={gtol:g}"),
        STATUS_DIVERGED: (2, "diverged: a non-finite loss or iterate"),
    }.get(status, (1, f"maximum number of iterations ({maxiter}) reached"))
    x = np.asarray(hist.x)
    if status == STATUS_CONVERGED:
        f_final, g_final = last["loss"], np.asarray(jac(x), dtype=float)
    else:
        f_final, g_final = float(fun(x)), np.asarray(jac(x), dtype=float)
    return OptimizeResult(x=x, fun=float(f_final), jac=g_final, nit=int(last["step"]),
                          nfev=problem.nfev, njev=problem.njev, status=code,
                          success=code == 0, message=message, history=hist)
