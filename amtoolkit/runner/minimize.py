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
    """Minimise ``fun`` from ``x0`` with a registered method, in the shape of ``scipy.optimize.minimize``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float`` for a 1-D float array ``x``.
    x0 : array_like
        The start, a non-empty finite 1-D array.
    jac : callable
        ``jac(x) -> array`` of the shape of ``x``, the gradient.
    method : str, default "am_mgd"
        A name of :func:`amtoolkit.optimizers.available` (AM-MGD: Algorithm 1 of
        arXiv:2510.04988, left column).
    options : dict, optional
        The method's hyperparameters plus ``maxiter`` (default 1000), ``gtol`` (stop when
        ‖∇f‖ ≤ gtol, default 1e-8) and ``smoothness`` (the constant L that ``lr="c/L"``
        divides by).

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, success, message`` and the run's ``history``;
        ``status`` 0 converged, 1 maxiter reached, 2 diverged.

    Raises
    ------
    TypeError, ValueError
        Bad options or ``x0`` (before any evaluation).
    RunError
        ``fun`` or ``jac`` raised; chained to it, ``.history`` holds the iterations so far.
    RunInterrupted
        Ctrl-C (a ``KeyboardInterrupt``); ``.history`` holds the iterations so far.

    Examples
    --------
    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> res = amt.minimize(lambda x: float(x @ x), np.ones(3), jac=lambda x: 2 * x,
    ...                    method="am_mgd", options={"lr": 0.25})
    >>> res.success, bool(np.allclose(res.x, 0.0, atol=1e-8))
    (True, True)
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
