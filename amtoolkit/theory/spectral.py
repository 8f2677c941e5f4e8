"""Exact asymptotic rates of fixed linear methods on quadratics. Pure math.

On ``f(x) = ½ xᵀAx + bᵀx`` a method with constant hyperparameters is a linear recursion
on the error ``e_t = x_t - x*``; in the eigenbasis of A it splits into one small
recursion per eigenvalue λ, whose iteration matrix T(λ) has spectral radius ρ(λ). The
error then behaves as ``ρ^t`` up to a polynomial factor, with ``ρ = max_λ ρ(λ)``: a
**tight** asymptotic rate for this quadratic (Polyak, *Introduction to Optimization*,
1987, ch. 3; Lessard, Recht & Packard, SIAM J. Optim. 26(1), 2016). It says nothing
about other functions of the same class (:mod:`amtoolkit.theory.pep` gives the worst case
over the class).

The 2×2 recursions (η = ``lr``, β = ``beta``, error per eigen-direction):

* ``gd``: ``e ← (1 - ηλ) e`` (1×1).
* ``heavy_ball``: ``e_{t+1} = (1 + β - ηλ) e_t - β e_{t-1}`` (AM paper Eq. 4):
  trace ``1 + β - ηλ``, determinant ``β``.
* ``mgd``, the EMA form of AM paper Eq. 1/5, ``d_{t+1} = β d_t + (1-β) λ e_t``,
  ``e_{t+1} = e_t - η d_{t+1}``: on (e, d) the matrix
  ``[[1 - η(1-β)λ, -ηβ], [(1-β)λ, β]]``, trace ``1 + β - η(1-β)λ``, determinant ``β``
  (heavy ball with step η(1-β)).
* ``nag`` with constant β (gradient at ``y_t = x_t + β(x_t - x_{t-1})``):
  ``e_{t+1} = (1-ηλ)((1+β) e_t - β e_{t-1})``: trace ``(1+β)(1-ηλ)``, determinant
  ``β(1-ηλ)``.

The eigenvalues of a 2×2 matrix come in closed form from its trace τ and determinant δ:
``z = (τ ± √(τ² - 4δ))/2``. For each method ρ(λ) is a quasi-convex function of an affine
function of λ (of τ for heavy ball and mgd, of ``1 - ηλ`` for nag and gd), so its
maximum over a spectrum is attained at the smallest or the largest eigenvalue:
:func:`spectral_rate` evaluates only those two (tested against the maximum over all
eigenvalues of explicit matrices). :func:`linear_memory_rate` has no such structure and
evaluates every eigenvalue.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from .._checks import check_choice, check_finite_array, check_int, check_positive, check_unit_interval
from ..memory import LinearMemory, parse_memory

__all__ = ["METHODS", "spectral_radius", "spectral_rate", "linear_memory_rate", "optimal_parameters",
           "quadratic_worst_case"]

#: the fixed methods whose 2×2 recursion is known (module docstring)
METHODS = ("gd", "heavy_ball", "mgd", "nag")


def _as_array(name: str, value, *, positive: bool = False, unit: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}") from None
    check_finite_array(name, arr)
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {arr[arr <= 0].ravel()[0]!r}")
    if unit and np.any((arr < 0) | (arr >= 1)):
        raise ValueError(f"{name} must lie in [0, 1), got {arr[(arr < 0) | (arr >= 1)].ravel()[0]!r}")
    return arr


def _eigenvalues(eigenvalues) -> np.ndarray:
    lam = _as_array("eigenvalues", eigenvalues)
    lam = np.atleast_1d(lam)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"eigenvalues must be a non-empty 1-D array (the spectrum of A), got shape {lam.shape}")
    if np.any(lam < 0):
        raise ValueError(f"eigenvalues must be >= 0 (a convex quadratic), got {lam[lam < 0][0]!r}")
    return lam


def _radius_2x2(trace: np.ndarray, det: np.ndarray) -> np.ndarray:
    """Spectral radius of real 2×2 matrices from trace τ and determinant δ (closed form).

    Real roots: ``½(|τ| + √(τ² - 4δ))``, which is ≥ √|δ| (the roots multiply to δ);
    complex roots: ``√δ``, which is > ½|τ|. So ρ = max(½(|τ| + √max(τ² - 4δ, 0)), √|δ|)
    in both cases."""
    disc = trace * trace - 4.0 * det
    # a double root computes as ±(rounding): snap it, else √(1e-16) errors of 1e-8 appear
    disc = np.where(np.abs(disc) <= 8.0 * np.finfo(float).eps * (trace * trace + 4.0 * np.abs(det)), 0.0, disc)
    return np.maximum(0.5 * (np.abs(trace) + np.sqrt(np.maximum(disc, 0.0))), np.sqrt(np.abs(det)))


def spectral_radius(method: str, lr, beta, eigenvalue) -> np.ndarray:
    """The spectral radius ρ(λ) of the iteration matrix of ``method`` for one eigenvalue λ of A.

    Evaluated in closed form from the trace and determinant of the method's 2×2 recursion
    (module docstring), broadcast elementwise over ``lr``, ``beta`` and ``eigenvalue``.

    Parameters
    ----------
    method : {"gd", "heavy_ball", "mgd", "nag"}
        The method, as in :mod:`amtoolkit.optimizers.classic` (nag with constant β).
    lr : float or ndarray
        The step size η > 0.
    beta : float or ndarray
        The momentum β in [0, 1); ignored for ``gd`` (pass 0).
    eigenvalue : float or ndarray
        The eigenvalue λ.

    Returns
    -------
    ndarray
        ρ(λ), of the broadcast shape of the inputs.

    Raises
    ------
    ValueError
        If ``method`` is not one of the four, ``lr`` is not > 0, ``beta`` is outside
        [0, 1), or an input is not finite.
    TypeError
        If an input is not a real number or an array of them.

    Examples
    --------
    mgd is heavy ball with step η(1-β), whose complex roots have modulus √β:

    >>> from amtoolkit.theory import spectral_radius
    >>> print(spectral_radius("mgd", 0.1, 0.9, [1.0, 10.0]))
    [0.9486833 0.9486833]
    """
    check_choice("method", method, METHODS)
    lr = _as_array("lr", lr, positive=True)
    beta = _as_array("beta", beta, unit=True)
    lam = _as_array("eigenvalue", eigenvalue)
    if method == "gd":
        return np.abs(1.0 - lr * lam) + 0.0 * beta
    if method == "heavy_ball":
        return _radius_2x2(1.0 + beta - lr * lam, beta + 0.0 * lam)
    if method == "mgd":
        return _radius_2x2(1.0 + beta - lr * (1.0 - beta) * lam, beta + 0.0 * lam)
    a = 1.0 - lr * lam
    return _radius_2x2((1.0 + beta) * a, beta * a)


def spectral_rate(method: str, lr, beta, eigenvalues) -> np.ndarray | float:
    """The exact asymptotic rate ``max_λ ρ(λ)`` of a fixed linear method on a quadratic.

    ``method`` is ``gd``, ``heavy_ball``, ``mgd`` or ``nag`` (module docstring) with step
    ``lr`` and momentum ``beta``; the error behaves as ρ^t up to a polynomial factor. ρ(λ)
    is quasi-convex in an affine function of λ, so only the smallest and the largest
    eigenvalue are evaluated. A rate ≥ 1 means the method does not converge on this
    quadratic.

    Parameters
    ----------
    method : {"gd", "heavy_ball", "mgd", "nag"}
        The method.
    lr : float or ndarray
        The step size η > 0; broadcasts against ``beta`` (e.g. a (200, 1) column of steps
        and a (1, 200) row of momenta give a (200, 200) map).
    beta : float or ndarray
        The momentum β in [0, 1) (0 for ``gd``).
    eigenvalues : array_like of shape (n,)
        The spectrum of the Hessian A, non-empty and ≥ 0.

    Returns
    -------
    float or ndarray
        The rate: a float for scalar ``lr`` and ``beta``, else of their broadcast shape.

    Raises
    ------
    ValueError
        If ``method`` is not one of the four, ``lr`` is not > 0, ``beta`` is outside
        [0, 1), ``eigenvalues`` is empty, not 1-D, negative or not finite.
    TypeError
        If an input is not a real number or an array of them.

    See Also
    --------
    optimal_parameters : The (lr, beta) minimising this rate.
    amtoolkit.theory.measured_rate : The rate measured on a run.

    Notes
    -----
    Guarantee: **tight** (asymptotic) for this quadratic; it says nothing about other
    functions of the same class (:func:`amtoolkit.theory.worst_case` gives the worst case
    over the class).

    References
    ----------
    B. T. Polyak, Introduction to Optimization, 1987, ch. 3; L. Lessard, B. Recht and
    A. Packard, Analysis and design of optimization algorithms via integral quadratic
    constraints, SIAM J. Optim. 26(1), 2016 (arXiv:1408.3595).

    Examples
    --------
    Gradient descent contracts by ``1 - ημ`` when ``ηL ≤ 1``; heavy ball at Polyak's
    parameters for κ = 25 by ``(√κ - 1)/(√κ + 1) = 2/3``:

    >>> from amtoolkit.theory import spectral_rate
    >>> spectral_rate("gd", 0.1, 0.0, [1.0, 5.0]) == 1 - 0.1 * 1.0
    True
    >>> round(float(spectral_rate("heavy_ball", 4 / 36, 4 / 9, [1.0, 25.0])), 6)
    0.666667
    """
    lam = _eigenvalues(eigenvalues)
    ends = np.array([lam.min(), lam.max()])
    lr, beta = _as_array("lr", lr), _as_array("beta", beta)  # ranges: checked by spectral_radius
    rho = spectral_radius(method, lr[..., None], beta[..., None], ends)
    out = rho.max(axis=-1)
    return float(out) if out.ndim == 0 else out


def _companion(memory: LinearMemory, law: np.ndarray, lr: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """(k+1)×(k+1) matrices on (e, mᵀ) for each broadcast (lr, λ)."""
    A, b = memory.A, memory.b
    k = memory.k
    shape = np.broadcast_shapes(lr.shape, lam.shape)
    lr_b, lam_b = np.broadcast_to(lr, shape)[..., None], np.broadcast_to(lam, shape)[..., None]
    C = np.zeros(shape + (k + 1, k + 1))
    C[..., 0, 0] = 1.0 - lr_b[..., 0] * lam_b[..., 0] * float(b @ law)
    C[..., 0, 1:] = -lr_b * (A @ law)
    C[..., 1:, 0] = lam_b * b
    C[..., 1:, 1:] = A.T
    return C


def linear_memory_rate(memory, law, lr, eigenvalues) -> np.ndarray | float:
    """The exact asymptotic rate of RLLC with a fixed learning law (``c2 = 0``) on a quadratic.

    Memory ``M ← M A + g bᵀ`` and step ``x ← x - η M L`` (:func:`amtoolkit.optimizers.rllc`).
    Per eigenvalue λ, one row m of M and the error e follow ``mᵀ ← Aᵀmᵀ + λ b e`` and
    ``e ← (1 - ηλ bᵀL) e - η (AL)ᵀ mᵀ``: a (k+1)×(k+1) companion matrix whose largest
    eigenvalue modulus is taken, then the maximum over λ (every eigenvalue is evaluated).

    Parameters
    ----------
    memory : LinearMemory or str
        The memory, or its string form (:func:`amtoolkit.memory.parse_memory`).
    law : array_like of shape (k,)
        The learning law L.
    lr : float or ndarray
        The step size η > 0 (an array broadcasts).
    eigenvalues : array_like of shape (n,)
        The spectrum of the Hessian, non-empty and ≥ 0.

    Returns
    -------
    float or ndarray
        The rate: a float for a scalar ``lr``, else of its shape.

    Raises
    ------
    ValueError
        If ``memory`` cannot be parsed, ``law`` does not have shape (k,), ``lr`` is not
        > 0, or ``eigenvalues`` is empty, negative or not finite.
    TypeError
        If an input is not a real number or an array of them.

    Notes
    -----
    With ``M(β)+M(0)``, law (1, 0) is heavy ball (step η, momentum β) and law (β, 1) is
    nag (tested against :func:`spectral_rate`). Guarantee: **tight** (asymptotic) for this
    quadratic.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, arXiv:2402.15262, for the memory form; the
    eigen-decomposition argument is that of :func:`spectral_rate`.

    Examples
    --------
    >>> from amtoolkit.theory import linear_memory_rate, spectral_rate
    >>> rllc = linear_memory_rate("M(0.9)+M(0.0)", [1.0, 0.0], 0.01, [1.0, 10.0])
    >>> round(rllc, 9), round(float(spectral_rate("heavy_ball", 0.01, 0.9, [1.0, 10.0])), 9)
    (0.948683298, 0.948683298)
    """
    mem = parse_memory(memory)
    law = _as_array("law", law)
    if law.shape != (mem.k,):
        raise ValueError(f"law must have shape ({mem.k},) for the memory {mem} (k={mem.k}), got {law.shape}")
    lr = _as_array("lr", lr, positive=True)
    lam = _eigenvalues(eigenvalues)
    C = _companion(mem, law, lr[..., None], lam)
    out = np.abs(np.linalg.eigvals(C)).max(axis=(-2, -1))
    return float(out) if out.ndim == 0 else out


def optimal_parameters(method: str, eigenvalues, grid: int = 120) -> tuple[float, float, float]:
    """The (lr, beta) minimising :func:`spectral_rate` on a spectrum, by grid search and Nelder-Mead.

    A ``grid × grid`` search over the step (scaled by the largest eigenvalue) and β is
    refined with Nelder-Mead from its best point.

    Parameters
    ----------
    method : {"gd", "heavy_ball", "mgd", "nag"}
        The method.
    eigenvalues : array_like of shape (n,)
        The spectrum, non-empty, ≥ 0, with a positive maximum.
    grid : int, default 120
        Points per axis of the initial search.

    Returns
    -------
    lr : float
        The step size.
    beta : float
        The momentum (0 for ``gd``).
    rate : float
        The rate at (lr, beta).

    Raises
    ------
    ValueError
        If ``method`` is not one of the four, or ``eigenvalues`` is empty, negative, not
        finite or all 0.

    Notes
    -----
    The search is numerical: for heavy ball it recovers Polyak's closed form
    (:func:`~amtoolkit.theory.polyak_heavy_ball`) to about 1e-6 in the rate.

    Examples
    --------
    >>> from amtoolkit.theory import optimal_parameters
    >>> [round(v, 5) for v in optimal_parameters("heavy_ball", [1.0, 25.0], grid=40)]
    [0.11111, 0.44444, 0.66667]
    """
    check_choice("method", method, METHODS)
    lam = _eigenvalues(eigenvalues)
    L = float(lam.max())
    if L <= 0:
        raise ValueError("eigenvalues must have a positive maximum")
    # search in u = step·L (mgd: its heavy-ball step η(1-β)·L), u in (0, 4]
    u = np.linspace(4.0 / grid, 4.0, grid)[:, None]
    betas = np.linspace(0.0, 0.999, grid)[None, :] if method != "gd" else np.zeros((1, 1))

    def to_lr(u_, b_):
        return u_ / L / (1.0 - b_) if method == "mgd" else u_ / L

    rates = spectral_rate(method, to_lr(u, betas), betas, lam)
    i, j = np.unravel_index(np.argmin(rates), rates.shape)
    u0, b0 = float(u[i, 0]), float(betas[0, j])

    def objective(p):
        uu, bb = p[0], (p[1] if method != "gd" else 0.0)
        if uu <= 0 or not 0 <= bb < 1:
            return 10.0
        return float(spectral_rate(method, to_lr(uu, bb), bb, lam))

    start = [u0, b0] if method != "gd" else [u0]
    res = scipy.optimize.minimize(objective, start, method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    uu = float(res.x[0])  # never worse than the start, a vertex of Nelder-Mead's first simplex
    bb = float(res.x[1]) if method != "gd" else 0.0
    lr = float(to_lr(uu, bb))
    return lr, bb, float(spectral_rate(method, lr, bb, lam))


def _error_polynomial(method: str, lr: float, beta: float, lam: np.ndarray, n: int) -> np.ndarray:
    """``p_n(λ)``: the error after n steps on the 1-D quadratic ``½λx²`` from ``e_0 = 1``,
    with the starts of :mod:`amtoolkit.optimizers.classic` (x_{-1} = x_0; mgd's d_1 = g_0;
    nag's y_0 = x_0)."""
    e = np.ones_like(lam)
    if method in ("gd", "heavy_ball"):
        prev = e
        for _ in range(n):
            e, prev = (1.0 + beta - lr * lam) * e - beta * prev, e
        return e
    if method == "mgd":
        d = lam  # d_0 := g_0 = λ e_0 (e_0 = 1), so that d_1 = β g_0 + (1-β) g_0 = g_0
        for _ in range(n):
            d = beta * d + (1.0 - beta) * lam * e
            e = e - lr * d
        return e
    y = e
    for _ in range(n):
        e_new = (1.0 - lr * lam) * y
        y, e = e_new + beta * (e_new - e), e_new
    return e


def check_worst_case_args(method: str, methods, mu: float, L: float, lr: float, beta: float,  # noqa: N803
                          n: int) -> int:
    """The shared input checks of the worst-case calculators; returns ``n`` as an int.

    Parameters
    ----------
    method : str
        The method, one of ``methods``.
    methods : sequence of str
        The allowed methods.
    mu, L : float
        0 < μ ≤ L.
    lr : float
        The step size > 0.
    beta : float
        The momentum in [0, 1) (0 for ``gd``).
    n : int
        The number of steps ≥ 1.

    Returns
    -------
    int
        ``n``.

    Raises
    ------
    ValueError
        If a value is out of its range, or ``beta`` is not 0 for ``gd``.
    TypeError
        If ``n`` is not an integer, or another value not a real number.
    """
    check_choice("method", method, methods)
    check_positive("mu", mu)
    check_positive("L", L)
    if mu > L:
        raise ValueError(f"mu must be <= L, got mu={mu!r} > L={L!r}")
    check_positive("lr", lr)
    check_unit_interval("beta", beta)
    if method == "gd" and beta != 0:
        raise ValueError(f"beta must be 0 for method='gd', got {beta!r}")
    return check_int("n", n)


def quadratic_worst_case(method: str, mu: float, L: float, lr: float, beta: float, n: int,
                         grid: int = 20001) -> float:
    """The exact worst ``‖x_n - x*‖²/‖x_0 - x*‖²`` after n steps over quadratics with spectrum in [μ, L].

    That is ``max_{λ∈[μ,L]} p_n(λ)²``, where p_n is the method's error polynomial
    (``x_n - x* = p_n(A)(x_0 - x*)``, equality at an eigenvector), from the starts of
    :mod:`amtoolkit.optimizers.classic`. It is maximised on a ``grid``-point mesh, then
    refined by a bounded scalar search around the best point.

    Parameters
    ----------
    method : {"gd", "heavy_ball", "mgd", "nag"}
        The method.
    mu, L : float
        The ends of the spectrum, 0 < μ ≤ L.
    lr : float
        The step size η > 0.
    beta : float
        The momentum β in [0, 1) (0 for ``gd``).
    n : int
        The number of steps ≥ 1.
    grid : int, default 20001
        Mesh points ≥ 3.

    Returns
    -------
    float
        The worst ratio.

    Raises
    ------
    ValueError
        If ``method`` is not one of the four, a value is out of its range, ``beta`` is not
        0 for ``gd``, or ``grid`` < 3.
    TypeError
        If ``n`` or ``grid`` is not an integer, or another value not a real number.

    Notes
    -----
    This is the value :func:`amtoolkit.theory.worst_case` should return for
    ``function_class="quadratic"``; it is independent of any SDP solver.

    Examples
    --------
    For gd with ``ηL ≤ 1`` the worst eigenvalue is μ: ``(1 - ημ)^(2n)``.

    >>> from amtoolkit.theory import quadratic_worst_case
    >>> round(quadratic_worst_case("gd", mu=1.0, L=10.0, lr=0.1, beta=0.0, n=5), 10)  # 0.9^10
    0.3486784401
    """
    n = check_worst_case_args(method, METHODS, mu, L, lr, beta, n)
    grid = check_int("grid", grid, minimum=3)
    lam = np.linspace(float(mu), float(L), grid)
    vals = _error_polynomial(method, lr, beta, lam, n) ** 2
    i = int(np.argmax(vals))
    lo, hi = lam[max(i - 1, 0)], lam[min(i + 1, grid - 1)]
    res = scipy.optimize.minimize_scalar(
        lambda x: -float(_error_polynomial(method, lr, beta, np.array([x]), n)[0] ** 2),
        bounds=(lo, hi), method="bounded", options={"xatol": 1e-14})
    return float(max(vals[i], -res.fun))
