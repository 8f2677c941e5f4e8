"""Tight worst cases of fixed momentum methods by performance estimation (PEPit).

The performance estimation problem (Drori & Teboulle 2014; Taylor, Hendrickx & Glineur
2017) asks for the largest ``‖x_n - x*‖²`` after n steps over every function of a class
and every start with ``‖x_0 - x*‖² ≤ 1``, and writes it as a semidefinite program that
PEPit (Goujaud et al., arXiv:2201.04040) builds and hands to an SDP solver. The value is
the **tight** worst case over the class (up to the solver's accuracy), for this n.

Caveats:

* The solver is Clarabel, called explicitly through cvxpy. When Clarabel fails or reports
  an inexact solution, SCS is tried and the result says so (``solver == "SCS"``). SCS is a
  first-order solver: it is run with tolerances 1e-8 and, **where it reports "optimal"**, is
  accurate to about 1e-5 (relative) in the values tested, against about 1e-8 for Clarabel.
* Neither is accurate where both report ``optimal_inaccurate``: for heavy ball at Polyak's
  parameters (κ = 100) after n = 10 steps, SCS's value moves from 1784 to 1263 when the
  step size changes in its 7th digit, and over quadratics (n = 10) from 2.92 to 3.56. Such a
  result is returned with its status (``WorstCase.status``, ``WorstCase.accurate`` False)
  and a :class:`InaccurateWorstCase` warning; the CLI prints the status and flags it. A
  solver stopped at its iteration cap (``user_limit``) or without a value
  (``unbounded_inaccurate``) gives no result at all; whether a hard case comes out
  ``optimal`` or ``optimal_inaccurate`` can depend on the BLAS kernel.
  The principle: a number is never reported without the solver status that qualifies it.
* For μ = L the class is ``{L/2·‖x - x*‖² + c}`` (PEPit's interpolation conditions divide
  by 1 - μ/L): the worst case is then computed exactly, ``solver == "exact"``.
* ``function_class="quadratic"`` uses PEPit's ``SmoothStronglyConvexQuadraticFunction``,
  the functions ``½ xᵀQx`` with μI ⪯ Q ⪯ LI: it fixes x* = 0 and f* = 0 (no linear
  term; PEPit issue #97). For distance ratios this loses nothing, since a linear term
  only moves x*, but it does for function values, which this module does not report.
  This class is numerically delicate: for heavy ball at Polyak's parameters with κ = 25 and
  n = 8, Clarabel fails and SCS at cvxpy's default tolerances returns 0.0205, where the
  exact worst case over such quadratics (a 1-D maximisation,
  :func:`~amtoolkit.theory.quadratic_worst_case`) is 0.3128; SCS at 1e-8 gives
  0.3128. The result therefore carries that exact value as ``exact``, and a
  ``RuntimeWarning`` is raised when the two differ by more than ``1e-4·max(1, exact)``
  (absolute below 1, relative above).
* The SDP grows with n (its Gram matrix is about (n+2)×(n+2) with O(n²) interpolation
  constraints); ``n`` is limited to 30, beyond which solves get slow and inaccurate.
* This module imports PEPit and cvxpy lazily; it is the only part of
  :mod:`amtoolkit.theory` that calls a solver.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from typing import NamedTuple

from .._checks import check_choice
from .spectral import check_worst_case_args, quadratic_worst_case

__all__ = ["WorstCase", "worst_case", "MAX_STEPS", "FUNCTION_CLASSES", "InaccurateWorstCase"]

class InaccurateWorstCase(RuntimeWarning):
    """The SDP solvers did not report "optimal": the worst-case value is not reliable."""


#: the largest n of a PEPit solve (the SDP grows as n²)
MAX_STEPS = 30
#: the function classes of :func:`worst_case`
FUNCTION_CLASSES = ("smooth_strongly_convex", "quadratic")
PEP_METHODS = ("gd", "heavy_ball", "mgd", "nag")
# SCS with cvxpy's default tolerances returned 0.0205 where the answer is 0.313 (module docstring)
SOLVER_OPTIONS = {"CLARABEL": {}, "SCS": {"eps_abs": 1e-8, "eps_rel": 1e-8, "max_iters": 200_000}}


class WorstCase(NamedTuple):
    """The result of :func:`worst_case`: the worst ratio, the solver that found it and the check value.

    Attributes
    ----------
    value : float
        The worst ``‖x_n - x*‖²/‖x_0 - x*‖²`` after ``n`` steps.
    n : int
        The number of steps.
    solver : str
        ``"CLARABEL"``, ``"SCS"`` (the fallback) or ``"exact"`` (μ = L, no solver).
    status : str
        The solver's status: ``"optimal"``, or ``"optimal_inaccurate"`` where no solver
        reached its tolerances (then :attr:`accurate` is False).
    seconds : float
        The solve's wall time (of the first, uncached call).
    exact : float
        For the quadratic class, the solver-free value of
        :func:`~amtoolkit.theory.quadratic_worst_case` (NaN for the other class).

    Examples
    --------
    >>> from amtoolkit.theory import WorstCase
    >>> round(WorstCase(0.6561, 2, "CLARABEL", "optimal", 0.0).rate, 12)  # 0.6561^(1/4)
    0.9
    """

    value: float
    n: int
    solver: str
    status: str
    seconds: float
    exact: float = float("nan")

    @property
    def accurate(self) -> bool:
        """Whether the solver reported ``"optimal"`` (its tolerances were met)."""
        return self.status == "optimal"

    @property
    def rate(self) -> float:
        """``value^(1/(2n))``: the average per-step contraction of ‖x - x*‖ over n steps."""
        return float(max(self.value, 0.0) ** (0.5 / self.n))


def _iterates(method: str, func, x0, lr: float, beta: float, n: int):
    """n steps of ``method`` in PEPit's expressions, from the same starts as
    :mod:`amtoolkit.optimizers.classic`; returns the iterate x_n."""
    x, x_prev = x0, x0
    if method in ("gd", "heavy_ball"):
        for _ in range(n):
            x, x_prev = x - lr * func.gradient(x) + beta * (x - x_prev), x
        return x
    if method == "mgd":  # d_1 = g_0, then d_{t+1} = β d_t + (1-β) g_t; x_{t+1} = x_t - η d_{t+1}
        d = None
        for _ in range(n):
            g = func.gradient(x)
            d = g if d is None else beta * d + (1.0 - beta) * g
            x = x - lr * d
        return x
    y = x0  # nag: x_{t+1} = y_t - η∇f(y_t), y_{t+1} = x_{t+1} + β(x_{t+1} - x_t), y_0 = x_0
    for _ in range(n):
        x_new = y - lr * func.gradient(y)
        y = x_new + beta * (x_new - x)
        x = x_new
    return x


def _solve(method: str, mu: float, L: float, lr: float, beta: float, n: int, function_class: str) -> WorstCase:
    import cvxpy
    from PEPit import PEP
    from PEPit.functions import SmoothStronglyConvexFunction, SmoothStronglyConvexQuadraticFunction

    cls = SmoothStronglyConvexFunction if function_class == "smooth_strongly_convex" \
        else SmoothStronglyConvexQuadraticFunction
    last_error, inexact, statuses = None, [], []
    for solver in ("CLARABEL", "SCS"):
        problem = PEP()
        func = problem.declare_function(cls, mu=mu, L=L)
        xs = func.stationary_point()
        x0 = problem.set_initial_point()
        problem.set_initial_condition((x0 - xs) ** 2 <= 1)
        xn = _iterates(method, func, x0, lr, beta, n)
        problem.set_performance_metric((xn - xs) ** 2)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "solution may be inaccurate": checked below
                value = problem.solve(wrapper="cvxpy", solver=solver, verbose=0, **SOLVER_OPTIONS[solver])
        except cvxpy.error.SolverError as err:
            last_error = err
            statuses.append(f"{solver}: {err}")
            continue
        status = str(problem.wrapper.prob.status)
        statuses.append(f"{solver}: {status}")
        # a value counts only where the solver calls it (nearly) optimal: not SCS's
        # "unbounded_inaccurate" (value None), nor a "user_limit" (stopped at its iteration cap)
        if status not in ("optimal", "optimal_inaccurate") or value is None or not math.isfinite(float(value)):
            continue
        result = WorstCase(float(value), n, solver, status, time.perf_counter() - t0)
        if status == "optimal":
            return result
        inexact.append(result)
    if inexact:  # no solver met its tolerances: the first inexact value, with its status
        return inexact[0]
    raise RuntimeError(f"PEPit: neither Clarabel nor SCS solved the worst case of {method} with mu={mu}, "
                       f"L={L}, lr={lr}, beta={beta}, n={n} on {function_class} ({'; '.join(statuses)})"
                       + (f": {last_error}" if last_error else ""))


_cached_solve = functools.lru_cache(maxsize=512)(_solve)


def worst_case(method: str, mu: float, L: float, lr: float, beta: float, n: int,
               function_class: str = "smooth_strongly_convex") -> WorstCase:
    """The tight worst ``‖x_n - x*‖²/‖x_0 - x*‖²`` of a fixed momentum method over a class (PEPit).

    ``method`` is ``gd``, ``heavy_ball``, ``mgd`` or ``nag`` with constant β, as in
    :mod:`amtoolkit.optimizers.classic`, from the same starts; the performance estimation
    problem over all functions of the class and all starts with ``‖x_0 - x*‖² ≤ 1`` is
    solved as an SDP (module docstring).

    Parameters
    ----------
    method : {"gd", "heavy_ball", "mgd", "nag"}
        The method.
    mu, L : float
        The class constants, 0 < μ ≤ L.
    lr : float
        The step size η > 0.
    beta : float
        The momentum β in [0, 1) (0 for ``gd``).
    n : int
        The number of steps, 1 ≤ n ≤ 30.
    function_class : {"smooth_strongly_convex", "quadratic"}, default "smooth_strongly_convex"
        L-smooth μ-strongly convex functions, or quadratics with spectrum in [μ, L]
        (caveat in the module docstring).

    Returns
    -------
    WorstCase
        ``(value, n, solver, status, seconds, exact)``.

    Raises
    ------
    ValueError
        If a value is out of its range, ``beta`` is not 0 for ``gd``, ``function_class``
        is not one of the two, ``n`` > 30, or κ = L/μ exceeds
        :data:`~amtoolkit.theory.rates.MAX_KAPPA`.
    TypeError
        If ``n`` is not an integer, or another value not a real number.
    RuntimeError
        If neither Clarabel nor SCS returns a value (their statuses are named).

    Warns
    -----
    InaccurateWorstCase
        When no solver reported "optimal" (``result.accurate`` is False): the value is
        the first inexact one, with its status.
    RuntimeWarning
        For the quadratic class, when the solver's value and the exact one differ by more
        than ``1e-4·max(1, exact)``.

    Notes
    -----
    Guarantee: **tight** for this n (a solver's value, accurate to about 1e-8 with
    Clarabel, 1e-5 with SCS, where the status is "optimal"; no accuracy is claimed for
    "optimal_inaccurate"). For μ = L the value is exact (``solver == "exact"``). Results
    are cached per argument tuple.

    References
    ----------
    A. Taylor, J. Hendrickx and F. Glineur, Smooth strongly convex interpolation and exact
    worst-case performance of first-order methods, Math. Program. 161, 2017; B. Goujaud et
    al., PEPit, arXiv:2201.04040.

    Examples
    --------
    Gradient descent's worst case over the class is its tight rate squared, per step:

    >>> from amtoolkit.theory import gd_rate, worst_case
    >>> result = worst_case("gd", mu=1.0, L=10.0, lr=0.1, beta=0.0, n=2)
    >>> round(result.value, 6), round(gd_rate(0.1, 1.0, 10.0) ** 4, 6)
    (0.6561, 0.6561)
    """
    n = check_worst_case_args(method, PEP_METHODS, mu, L, lr, beta, n)
    check_choice("function_class", function_class, FUNCTION_CLASSES)
    if n > MAX_STEPS:
        raise ValueError(f"n must be <= {MAX_STEPS} for a PEPit solve (the SDP grows as n² and "
                         f"the solvers become slow and inaccurate), got n={n}")
    from .rates import _check_mu_L

    _check_mu_L(mu, L)
    if mu == L:  # the class is {L/2·‖x - x*‖² + c}; PEPit divides by 1 - mu/L
        exact = quadratic_worst_case(method, mu, L, lr, beta, n)
        return WorstCase(exact, n, "exact", "optimal", 0.0, exact)
    result = _cached_solve(method, float(mu), float(L), float(lr), float(beta), n, function_class)
    if not result.accurate:
        warnings.warn(f"PEPit's worst case of {method} (mu={mu}, L={L}, lr={lr}, beta={beta}, n={n}, "
                      f"{function_class}) is inaccurate: {result.solver} reported {result.status!r} and "
                      f"the value {result.value:.6g} may be off by 10% or more (module docstring)",
                      InaccurateWorstCase, stacklevel=2)
    if function_class == "quadratic":
        exact = quadratic_worst_case(method, mu, L, lr, beta, n)
        result = result._replace(exact=exact)
        if abs(result.value - exact) > 1e-4 * max(1.0, exact):
            warnings.warn(f"PEPit's quadratic class gave {result.value:.6g} for {method} (lr={lr}, "
                          f"beta={beta}, n={n}) but the exact worst case over quadratics with "
                          f"spectrum in [{mu}, {L}] is {exact:.6g} (see the module docstring)",
                          RuntimeWarning, stacklevel=2)
    return result
