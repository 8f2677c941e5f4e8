"""The AM paper's convergence theorems (arXiv:2510.04988, §3.5) checked against runs.

These run optimizers, so they live in ``reproduce`` (``theory`` stays pure math) and are
attached by the package root as ``amtoolkit.theory.check_theorem_3_3`` / ``check_theorem_3_4``.

Settings common to both (Algorithm 1, AM-MSGD column): minibatches of ``batch_size``
samples (1 by default: the f_i of the finite sum), constant η = 1/√T, β clipped to
[0, β_max], ``x_0 = problem.default_x0()``, one run per seed.

[choice] λ = 0. The theorems do not state λ. With λ > 0 the effective momentum
(β+λ)/(1+λ) of Eq. 13 is at least λ/(1+λ) whatever β_max is, so β_max = 1/T (or cη)
would not limit the memory, which is what the analysis relies on; λ = 0 is the only value
under which β_max does that. ``lam`` can be changed to test other values.

[choice] G² (Assumption 3.2) is estimated on the runs: the largest over the iterates
visited (all steps, all seeds) of the per-sample mean ``(1/n) Σ_i ‖∇f_i(x_t)‖²``.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd

from .._checks import check_fits_memory, check_int, check_range
from ..optimizers import am_msgd
from ..problems.base import Problem
from ..theory.bounds import am_theorem_3_3, am_theorem_3_4
from ..runner.run import run

__all__ = ["check_theorem_3_3", "check_theorem_3_4"]


def _horizons(T) -> list[int]:
    Ts = [T] if isinstance(T, (int, np.integer)) and not isinstance(T, bool) else list(T)
    if not Ts:
        raise ValueError("T must be an integer >= 2 or a non-empty list of them")
    return [check_int("T", t, minimum=2) for t in Ts]


def _seeds(seeds) -> list[int]:
    seeds = [seeds] if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool) else list(seeds)
    if not seeds:
        raise ValueError("seeds must be a non-empty list of integers")
    return [check_int("seed", s, minimum=0) for s in seeds]


def _iterates(problem: Problem, lr: float, beta_max: float, lam: float, T: int, seed: int,
              batch_size: int | None) -> np.ndarray:
    """x_0, ..., x_T of one AM-MSGD run, shape (T+1, d)."""
    xs = [np.asarray(problem.default_x0(), dtype=float)]
    opt = am_msgd(lr=lr, lam=lam, beta_max=beta_max)
    run(opt, problem, T, batch_size=batch_size, seed=seed, f_star=None, eval_every=T,
        callback=lambda t, state: xs.append(np.array(state.x, dtype=float)))
    return np.stack(xs)


def _mean_sq_sample_grad(problem: Problem, X: np.ndarray) -> np.ndarray:
    """``(1/n) Σ_i ‖∇f_i(x)‖²`` for each row x of X (``‖∇f(x)‖²`` without samples)."""
    if problem.n_samples is None:
        return np.sum(problem.grad(X) ** 2, axis=-1)
    total = np.zeros(X.shape[0])
    for i in range(problem.n_samples):
        total += np.sum(problem.grad(X, np.array([i])) ** 2, axis=-1)
    return total / problem.n_samples


def _check_problem(problem, Ts: list[int]) -> None:
    """The problem's type, and the memory of the kept iterates (``(T+1)·d`` floats per run),
    before any run starts."""
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an amtoolkit Problem, got {type(problem).__name__}")
    check_fits_memory("T", 8.0 * (max(Ts) + 1) * problem.dim, f"keeping the {max(Ts) + 1} iterates "
                      f"x_0..x_T of dimension {problem.dim}")


def check_theorem_3_3(problem: Problem, T: int | Iterable[int], seeds: int | Iterable[int] = (0, 1, 2),
                      batch_size: int | None = 1, lam: float = 0.0) -> pd.DataFrame:
    """AM Theorem 3.3 (Eq. 17, convex f_i) against AM-MSGD runs with β_max = 1/T, η = 1/√T.

    Parameters
    ----------
    problem : Problem
        A finite sum of convex f_i with a known x* and f* (e.g. logistic regression).
    T : int or list of int
        Horizons (each ≥ 2); one set of runs per horizon.
    seeds : int or list of int, default (0, 1, 2)
        Minibatch seeds; the expectation of Eq. 17 is estimated by their mean.
    batch_size : int or None, default 1
        Samples per stochastic gradient (1: the f_i of the finite sum; None: full gradients).
    lam : float, default 0.0
        λ ≥ 0 of Eq. 13 (the theorem does not state it; see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per T: ``measured_gap`` (the seeds' mean of ``f(x̄_T) - f*`` with
        x̄_T = (1/T) Σ_{t=1}^T x_t), ``bound`` = ``(½‖x_0 - x*‖² + G²)/√T`` with G² estimated
        as in the module docstring, ``slack = bound - measured_gap`` (≥ 0 when the runs agree
        with the theorem), ``ratio = measured_gap / bound``, ``G2``, ``dist0_sq``, ``seeds``.

    Raises
    ------
    TypeError
        ``problem`` is not a Problem, or ``T``/``seeds`` hold non-integers.
    ValueError
        ``T < 2``, a negative seed or ``lam``, an empty list, or iterates that would not fit
        in memory ((T+1)·d floats are kept per run).

    References
    ----------
    arXiv:2510.04988, Sec. 3.5, Theorem 3.3 (Eq. 17) and Algorithm 1 (AM-MSGD column).
    """
    Ts, seeds = _horizons(T), _seeds(seeds)
    _check_problem(problem, Ts)
    check_range("lam", lam, 0.0, None)
    x_star, f_star = np.asarray(problem.x_star, dtype=float), problem.f_star
    dist0_sq = float(np.sum((np.asarray(problem.default_x0(), dtype=float) - x_star) ** 2))
    rows = []
    for t_hor in Ts:
        gaps, G2 = [], 0.0
        for seed in seeds:
            X = _iterates(problem, 1.0 / math.sqrt(t_hor), 1.0 / t_hor, lam, t_hor, seed, batch_size)
            gaps.append(float(problem.value(X[1:].mean(axis=0))) - f_star)
            G2 = max(G2, float(_mean_sq_sample_grad(problem, X).max()))
        bound = am_theorem_3_3(dist0_sq, math.sqrt(G2), t_hor)
        gap = float(np.mean(gaps))
        rows.append({"T": t_hor, "measured_gap": gap, "bound": bound, "slack": bound - gap,
                     "ratio": gap / bound, "G2": G2, "dist0_sq": dist0_sq, "seeds": len(seeds)})
    return pd.DataFrame(rows)


def check_theorem_3_4(problem: Problem, T: int | Iterable[int], seeds: int | Iterable[int] = (0, 1, 2),
                      c: float = 0.5, batch_size: int | None = 1, lam: float = 0.0) -> pd.DataFrame:
    """AM Theorem 3.4 (Eq. 18, L-smooth f) against AM-MSGD runs with η = 1/√T, β_max = cη.

    Parameters
    ----------
    problem : Problem
        An L-smooth finite sum (``problem.smoothness`` is L).
    T : int or list of int
        Horizons (each ≥ 2).
    seeds : int or list of int, default (0, 1, 2)
        Minibatch seeds; expectations are their means.
    c : float, default 0.5
        The constant of β_max = cη, in (0, 1) as the theorem requires.
    batch_size : int or None, default 1
        Samples per stochastic gradient.
    lam : float, default 0.0
        λ ≥ 0 of Eq. 13.

    Returns
    -------
    pandas.DataFrame
        One row per T: ``measured`` = ``min_{0≤t<T}`` of the seeds' mean of ``‖∇f(x_t)‖²``
        (full gradients); ``bound_printed`` and ``bound_corrected`` from
        :func:`~amtoolkit.theory.am_theorem_3_4` with ``form="printed"`` and
        ``form="corrected"`` (the erratum's 2(1-c), a sign correction; no proof was checked),
        with ``E[f(x_0) - f(x_T)]`` the seeds' mean and G² as in the module docstring;
        ``slack_printed`` / ``slack_corrected`` (bound minus measured), ``decrease``, ``G2``,
        ``L``, ``c``, ``seeds``.

    Raises
    ------
    TypeError
        ``problem`` is not a Problem, or ``T``/``seeds`` hold non-integers.
    ValueError
        ``T < 2``, ``c`` outside (0, 1), a negative seed or ``lam``, or iterates that would
        not fit in memory.

    References
    ----------
    arXiv:2510.04988, Sec. 3.5, Theorem 3.4 (Eq. 18); docs/guide/errata.md for 2(c-1).
    """
    Ts, seeds = _horizons(T), _seeds(seeds)
    _check_problem(problem, Ts)
    check_range("c", c, 0.0, 1.0, low_closed=False, high_closed=False)
    check_range("lam", lam, 0.0, None)
    L = float(problem.smoothness)
    rows = []
    for t_hor in Ts:
        lr = 1.0 / math.sqrt(t_hor)
        grad_sq, decrease, G2 = 0.0, [], 0.0
        for seed in seeds:
            X = _iterates(problem, lr, c * lr, lam, t_hor, seed, batch_size)
            grad_sq = grad_sq + np.sum(problem.grad(X[:-1]) ** 2, axis=-1) / len(seeds)
            f = problem.value(X[[0, -1]])
            decrease.append(float(f[0] - f[1]))
            G2 = max(G2, float(_mean_sq_sample_grad(problem, X).max()))
        measured = float(np.min(grad_sq))
        dec = float(np.mean(decrease))
        b_p = am_theorem_3_4(dec, L, math.sqrt(G2), c, t_hor, form="printed")
        b_c = am_theorem_3_4(dec, L, math.sqrt(G2), c, t_hor, form="corrected")
        rows.append({"T": t_hor, "measured": measured, "bound_printed": b_p, "bound_corrected": b_c,
                     "slack_printed": b_p - measured, "slack_corrected": b_c - measured,
                     "decrease": dec, "G2": G2, "L": L, "c": c, "seeds": len(seeds)})
    frame = pd.DataFrame(rows)
    frame.attrs["note"] = ("bound_corrected uses 2(1-c) in place of the printed 2(c-1): an erratum "
                           "proposed from runs (docs/guide/errata.md); no proof was checked")
    return frame
