"""The fair protocol for the convex claim of AM Sec. 4.1: every method tuned on the same grid.

**The fair protocol** (issue 20), at the same budget T per problem: every method gets the
same number ``n_grid`` of configurations, run as one batched run, and is judged by its
best final gap f(x_T) - f*:

* ``GD``: ``gd(lr = c/L)``, c on :func:`step_grid` (``n_grid`` points);
* ``AM-MGD``: ``am_mgd(lr = c/L)`` (λ = 0, β_max = 1), the same c grid;
* ``NAG (known μ)``: ``nag(lr = c/L, β = (1 - √(μ·lr))/(1 + √(μ·lr)))``, the same c grid,
  μ the problem's strong-convexity constant (``reg`` for logistic regression, λ_min for a
  quadratic); the loss is recorded at the gradient point y_t (``record="y"``);
* ``HB (torch SGD)``: ``sgd(lr = c/L, momentum = β)``, PyTorch's heavy ball, on the
  product of ``n_lr`` steps c and ``n_beta`` coefficients β (:func:`split_grid`);
* ``EMA MGD``: ``mgd(lr = c/((1-β)L), β)``, the papers' EMA form with lr and β tuned
  jointly on the same product grid, c being the effective step lr·(1-β) (the EMA form
  with lr = c/L at β → 1 takes steps (1-β)c/L, which no grid over β alone can undo).

Steps c span [1/4, 16] on a log scale: 1/L is the paper's step, 4/L about Polyak's
heavy-ball step 4/(√L+√μ)², and L is an upper bound of the curvature of a logistic loss,
so longer steps can pay. β spans 1 - [0.3, 0.003] on a log scale.

Outcomes per problem, for AM-MGD against a baseline, by final gap at the same T: ``win``
(AM-MGD at least 2× lower), ``loss`` (at least 2× higher), ``par`` (within 2×), ``tie``
(both at or below the round-off level 1e-14). Where the tuned methods all reach round-off
within T, speed tells them apart: ``speed_outcome`` compares the fewest steps to a 1e-6
relative gap (AM-MGD's fastest configuration against the fastest baseline's), with the
same factor 2.

Used side by side with the paper's protocol by ``amtoolkit reproduce convex`` (its ``fair``
columns), by the demo's second table and by the claims ledger (:mod:`amtoolkit.claims.convex`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import optimizers
from .._checks import check_int
from ..runner.run import run as _run

__all__ = ["METHODS", "BASELINES", "step_grid", "split_grid", "beta_grid", "method_grid", "fair_protocol",
           "outcome", "speed_outcome"]


METHODS = ("GD", "HB (torch SGD)", "EMA MGD", "NAG (known μ)", "AM-MGD")
BASELINES = METHODS[:-1]
C_RANGE = (0.25, 16.0)
ONE_MINUS_BETA = (0.3, 0.003)
ROUND_OFF = 1e-14
REL_GAP = 1e-6


def step_grid(n: int) -> np.ndarray:
    """``n`` step multipliers c (lr = c/L) log-spaced on [1/4, 16]."""
    n = check_int("n", n)
    return np.geomspace(*C_RANGE, n) if n > 1 else np.array([1.0])


def beta_grid(n: int) -> np.ndarray:
    """``n`` momentum coefficients β = 1 - (log-spaced values on [0.003, 0.3])."""
    n = check_int("n", n)
    return 1.0 - np.geomspace(*ONE_MINUS_BETA, n) if n > 1 else np.array([0.9])


def split_grid(n_grid: int) -> tuple[int, int]:
    """``(n_lr, n_beta)`` with ``n_lr · n_beta = n_grid`` and the two as close as possible
    (n_lr ≥ n_beta): a joint grid with as many points as a 1-D one."""
    n_grid = check_int("n_grid", n_grid)
    n_beta = max(b for b in range(1, int(np.sqrt(n_grid)) + 1) if n_grid % b == 0)
    return n_grid // n_beta, n_beta


def method_grid(method: str, n_grid: int, L: float, mu: float) -> tuple[Any, list[dict]]:
    """The batched optimizer of ``method`` over its ``n_grid`` configurations, and the
    configurations (``c``, ``lr``, ``beta``) in the order of its runs."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method in ("HB (torch SGD)", "EMA MGD"):
        n_lr, n_beta = split_grid(n_grid)
        c, beta = (a.ravel() for a in np.meshgrid(step_grid(n_lr), beta_grid(n_beta), indexing="ij"))
        lr = c / L if method == "HB (torch SGD)" else c / ((1.0 - beta) * L)
        opt = (optimizers.sgd(lr=lr, momentum=beta) if method == "HB (torch SGD)"
               else optimizers.mgd(lr=lr, beta=beta))
    else:
        c = step_grid(n_grid)
        lr = c / L
        beta = np.full_like(c, np.nan)
        if method == "GD":
            opt = optimizers.gd(lr=lr)
        elif method == "AM-MGD":
            opt = optimizers.am_mgd(lr=lr, lam=0.0, beta_max=1.0)
        else:
            q = np.sqrt(np.clip(mu * lr, 0.0, 1.0))
            beta = (1.0 - q) / (1.0 + q)
            opt = optimizers.nag(lr=lr, beta=beta, record="y")
    configs = [{"c": float(ci), "lr": float(li), "beta": float(bi)} for ci, li, bi in zip(c, lr, beta)]
    return opt, configs


def _strong_convexity(problem) -> float:
    mu = getattr(problem, "strong_convexity", None)
    if mu is None or not np.isfinite(mu) or mu <= 0:
        mu = getattr(problem, "reg", 0.0)
    return float(mu)


def _steps_to(gap: np.ndarray, rel: float = REL_GAP) -> float:
    hit = np.flatnonzero(gap <= rel * gap[0])
    return float(hit[0]) if hit.size else float("nan")


def fair_protocol(problem, steps: int, n_grid: int, methods: Sequence[str] = METHODS) -> dict[str, dict]:
    """Run every method of the fair protocol on ``problem`` for ``steps`` steps, each over
    its ``n_grid`` configurations in one batched run.

    Returns, per method: the best configuration by final gap (``gap``, ``c``, ``lr``,
    ``beta``; among configurations at round-off, ≤ :data:`ROUND_OFF`, the one that first
    reaches a 1e-6 relative gap), ``steps_to_1e-6``, the fewest steps any configuration
    needs to a 1e-6 relative gap (NaN: none within ``steps``) with that configuration's
    ``c_fast`` and ``beta_fast``, ``diverged`` (configurations that did not end finite) and
    ``gaps`` (every configuration's final gap, in grid order)."""
    steps = check_int("steps", steps)
    L, mu = float(problem.smoothness), _strong_convexity(problem)
    f_star = float(problem.f_star)
    out = {}
    for method in methods:
        opt, configs = method_grid(method, n_grid, L, mu)
        h = amt_run(opt, problem, steps, f_star=f_star)
        final = h.final().sort_values("run")
        gaps = final["gap"].to_numpy(dtype=float)
        last_step = final["step"].to_numpy()
        ok = np.isfinite(gaps) & (last_step == steps)
        gaps = np.where(ok, gaps, np.inf)
        to = np.array([_steps_to(h.frame.loc[h.frame.run == r, "gap"].to_numpy(dtype=float)) if ok[r] else np.nan
                       for r in range(len(configs))])
        to_key = np.where(np.isfinite(to), to, np.inf)
        if gaps.min() <= ROUND_OFF:  # several at round-off: the fastest of them
            best = int(np.argmin(np.where(gaps <= ROUND_OFF, to_key, np.inf)))
        else:
            best = int(np.argmin(gaps))
        fast = int(np.argmin(to_key))
        out[method] = {**configs[best], "gap": float(gaps[best]), "steps_to_1e-6": float(to[fast]),
                       "c_fast": configs[fast]["c"], "beta_fast": configs[fast]["beta"],
                       "diverged": int((~ok).sum()), "gaps": [float(g) for g in gaps]}
    return out


def amt_run(opt, problem, steps, f_star):
    """``amtoolkit.run`` without the distance column (not needed here)."""
    return _run(opt, problem, steps, f_star=f_star, dist_to_opt=False)




def outcome(am_gap: float, other_gap: float, round_off: float = ROUND_OFF) -> str:
    """``win`` / ``loss`` when AM-MGD's final gap is at least 2× lower / higher than the
    other's, ``par`` within a factor 2, ``tie`` when both are at or below ``round_off``."""
    if not np.isfinite(am_gap) and not np.isfinite(other_gap):
        return "par"
    if max(am_gap, other_gap) <= round_off:
        return "tie"
    if other_gap <= 0:
        return "loss"
    r = am_gap / other_gap
    if r <= 0.5:
        return "win"
    if r >= 2.0:
        return "loss"
    return "par"


def speed_outcome(am_steps: float, other_steps: float) -> str:
    """By steps to a 1e-6 relative gap (NaN: not reached): ``win`` / ``loss`` when AM-MGD
    needs at most half / at least twice the other's steps (or only one reaches it),
    ``par`` otherwise (also when neither does)."""
    a, o = (float(v) if np.isfinite(v) else np.inf for v in (am_steps, other_steps))
    if a == o == np.inf:
        return "par"
    if a <= 0.5 * o:
        return "win"
    if a >= 2.0 * o:
        return "loss"
    return "par"
