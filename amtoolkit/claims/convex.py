"""The convex claim of AM Sec. 4.1 under two protocols, and its transfer beyond LIBSVM.

**The paper's protocol** (AM Sec. 4.1 / Figure 3; ``amtoolkit reproduce convex``): λ = 0,
step 1/L, MGD in the EMA form (Eq. 1) with β tuned on a 20-point grid (β*), AM-MGD
(Algorithm 1, deterministic column, β clipped to [0, 1]) untuned; budget T = the steps
the fastest AM-MGD run needs to a relative gap of 1e-10, capped at ``max_steps``.
Imported through :mod:`amtoolkit.claims._paper` (one place).

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

**Transfer** (:func:`problem_specs`): the 11 LIBSVM training files, scikit-learn's
bundled binary tasks raw and standardised, and seeded synthetic logistic problems
(dense / sparse, well / ill-conditioned), each at reg 1e-3 and 1e-5, plus the
quadratics of Figure 1.
"""

from __future__ import annotations

import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .. import optimizers
from .. import run as _run
from .._checks import check_int
from ..problems import LogisticRegression, Quadratic
from . import _paper

__all__ = ["METHODS", "BASELINES", "ProblemSpec", "step_grid", "split_grid", "beta_grid", "method_grid",
           "fair_protocol", "fingerprint", "compare", "outcome", "speed_outcome", "problem_specs", "study",
           "family_verdicts"]

METHODS = ("GD", "HB (torch SGD)", "EMA MGD", "NAG (known μ)", "AM-MGD")
BASELINES = METHODS[:-1]
C_RANGE = (0.25, 16.0)
ONE_MINUS_BETA = (0.3, 0.003)
ROUND_OFF = 1e-14
REL_GAP = 1e-6
REGS = (1e-3, 1e-5)


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


def fingerprint() -> str:
    """A hash of the code the study runs (every module of amtoolkit except the rest of
    the claims package): a stored study is current when its fingerprint equals this."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        if p.parent.name == "claims" and p.name not in ("convex.py", "_paper.py"):
            continue
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


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


# --------------------------------------------------------------------------------------
# problems


@dataclass(frozen=True)
class ProblemSpec:
    """A problem of the study: ``name``, ``family``, ``reg`` and how to build it
    (``builder(*args)``; picklable, so specs run in worker processes)."""

    name: str
    family: str
    reg: float
    builder: Callable[..., Any]
    args: tuple = field(default=())
    max_steps: int = 4000

    def build(self):
        return self.builder(*self.args)


def _libsvm(name: str, reg: float):
    from ..datasets import load_problem

    return load_problem(name, reg=reg)


def _sklearn_task(task: str) -> tuple[np.ndarray, np.ndarray]:
    import sklearn.datasets as skd

    if task == "breast_cancer":
        d = skd.load_breast_cancer()
        return d.data, np.where(d.target == 1, 1.0, -1.0)
    if task == "wine":  # cultivar 0 against the other two
        d = skd.load_wine()
        return d.data, np.where(d.target == 0, 1.0, -1.0)
    if task == "iris":  # versicolor against the rest (not linearly separable)
        d = skd.load_iris()
        return d.data, np.where(d.target == 1, 1.0, -1.0)
    if task == "digits":  # digits 0-4 against 5-9
        d = skd.load_digits()
        return d.data, np.where(d.target < 5, 1.0, -1.0)
    raise ValueError(f"unknown scikit-learn task {task!r}")


SKLEARN_TASKS = ("breast_cancer", "wine", "iris", "digits")


def _sklearn(task: str, standardise: bool, reg: float):
    X, y = _sklearn_task(task)
    X = np.asarray(X, dtype=float)
    if standardise:
        sd = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return LogisticRegression(X, y, reg=reg, name=f"{task} ({'std' if standardise else 'raw'})")


def _synthetic(kind: str, conditioning: str, seed: int, reg: float, n: int, d: int):
    """Seeded logistic data (:func:`amtoolkit.problems.make_logistic_data`): ``dense`` or
    ``sparse`` (5% non-zeros); ``ill`` scales the features by a log-spaced factor from 1
    to 1e-2 (κ of XᵀX about 1e4 times the well-conditioned one)."""
    import scipy.sparse as sp

    from ..problems import make_logistic_data

    X, y = make_logistic_data(n_samples=n, n_features=d, seed=seed, density=1.0 if kind == "dense" else 0.05)
    if conditioning == "ill":
        scale = np.geomspace(1.0, 1e-2, d)
        X = X @ sp.diags(scale) if sp.issparse(X) else X * scale
        if sp.issparse(X):
            X = sp.csr_matrix(X)
    return LogisticRegression(X, y, reg=reg, name=f"synthetic {kind}/{conditioning} seed {seed}")


def _quadratic(cond: float, dim: int, seed: int):
    return Quadratic.random(dim=dim, cond=cond, seed=seed)


def problem_specs(tier: str = "full", regs: Sequence[float] = REGS, datasets: Sequence[str] | None = None,
                  seeds: Sequence[int] = (0, 1)) -> list[ProblemSpec]:
    """The problems of the study. ``tier="full"``: the LIBSVM training files
    (``datasets``, default those of ``reproduce convex``), the four scikit-learn tasks
    raw and standardised, four synthetic families × ``seeds``, each at every ``reg``,
    and Figure 1's quadratics (κ = 1e2, 1e3, 1e4; d = 100). ``tier="quick"``: one problem
    per family kind, small (for CI)."""
    if tier not in ("quick", "full"):
        raise ValueError(f"tier must be 'quick' or 'full', got {tier!r}")
    specs: list[ProblemSpec] = []
    if tier == "quick":
        specs.append(ProblemSpec("breast_cancer (std)", "scikit-learn standardised", 1e-3, _sklearn,
                                 ("breast_cancer", True, 1e-3), 300))
        specs.append(ProblemSpec("wine (raw)", "scikit-learn raw", 1e-3, _sklearn, ("wine", False, 1e-3), 300))
        specs.append(ProblemSpec("synthetic dense/ill seed 0", "synthetic dense ill-conditioned", 1e-3,
                                 _synthetic, ("dense", "ill", 0, 1e-3, 300, 20), 300))
        specs.append(ProblemSpec("quadratic κ=1e2", "quadratic (Figure 1)", float("nan"), _quadratic,
                                 (1e2, 30, 0), 300))
        return specs
    names = list(_paper.default_datasets() if datasets is None else datasets)
    for reg in regs:
        specs += [ProblemSpec(n, "LIBSVM", reg, _libsvm, (n, reg)) for n in names]
        for std in (False, True):
            fam = "scikit-learn standardised" if std else "scikit-learn raw"
            specs += [ProblemSpec(f"{t} ({'std' if std else 'raw'})", fam, reg, _sklearn, (t, std, reg))
                      for t in SKLEARN_TASKS]
        for kind, n, d in (("dense", 1000, 50), ("sparse", 2000, 200)):
            for cond in ("well", "ill"):
                fam = f"synthetic {kind} {cond}-conditioned"
                specs += [ProblemSpec(f"synthetic {kind}/{cond} seed {s}", fam, reg, _synthetic,
                                      (kind, cond, s, reg, n, d)) for s in seeds]
    specs += [ProblemSpec(f"quadratic κ={c:.0e}", "quadratic (Figure 1)", float("nan"), _quadratic,
                          (c, 100, 0), 20000) for c in (1e2, 1e3, 1e4)]
    return specs


# --------------------------------------------------------------------------------------
# one problem, both protocols


def compare(spec: ProblemSpec, n_grid: int, max_steps: int | None = None) -> dict:
    """Both protocols on one problem: one row (flat dict) with the paper's row (budget T,
    β*, gaps of MGD 0.9 / β* and untuned AM-MGD) and the fair protocol's best gap and
    configuration per method, the outcomes and the CPU seconds."""
    cpu = time.process_time()
    problem = spec.build()
    T_cap = spec.max_steps if max_steps is None else min(max_steps, spec.max_steps)
    paper = _paper.paper_row(problem, spec.name, spec.reg, T_cap)
    T = int(paper["steps"])
    fair = fair_protocol(problem, T, n_grid)
    row: dict[str, Any] = {"problem": spec.name, "family": spec.family, "reg": spec.reg,
                           "n": getattr(problem, "n_samples", None), "d": int(problem.dim),
                           "L": float(problem.smoothness), "mu": _strong_convexity(problem), "T": T,
                           "n_grid": int(n_grid), "beta_star": float(paper["beta_star"]),
                           "paper gap GD": float(paper["gap GD"]),
                           "paper gap MGD 0.9": float(paper["gap MGD 0.9"]),
                           "paper gap MGD β*": float(paper["gap MGD β*"]),
                           "paper gap AM-MGD": float(paper["gap AM-MGD 1"])}
    row["paper vs 0.9"] = outcome(row["paper gap AM-MGD"], row["paper gap MGD 0.9"])
    row["paper vs β*"] = outcome(row["paper gap AM-MGD"], row["paper gap MGD β*"])
    for m, r in fair.items():
        row[f"fair gap {m}"] = r["gap"]
        row[f"fair c {m}"] = r["c"]
        row[f"fair beta {m}"] = r["beta"]
        row[f"fair steps {m}"] = r["steps_to_1e-6"]
        row[f"fair c_fast {m}"] = r["c_fast"]
        row[f"fair beta_fast {m}"] = r["beta_fast"]
        row[f"fair diverged {m}"] = r["diverged"]
    base = {m: fair[m]["gap"] for m in BASELINES}
    best = min(base, key=base.get)
    row["fair best baseline"] = best
    row["fair gap best baseline"] = base[best]
    row["fair vs best"] = outcome(fair["AM-MGD"]["gap"], base[best])
    # speed: steps to a 1e-6 relative gap, AM-MGD's fastest configuration against the fastest baseline's
    speed = {m: fair[m]["steps_to_1e-6"] for m in BASELINES}
    fastest = min(speed, key=lambda m: speed[m] if np.isfinite(speed[m]) else np.inf)
    row["fair fastest baseline"] = fastest
    row["fair speed vs fastest"] = speed_outcome(fair["AM-MGD"]["steps_to_1e-6"], speed[fastest])
    for m in BASELINES:
        row[f"fair vs {m}"] = outcome(fair["AM-MGD"]["gap"], base[m])
    # the untuned AM-MGD of the paper's protocol against the tuned baselines
    row["untuned AM vs best"] = outcome(row["paper gap AM-MGD"], base[best])
    row["cpu_seconds"] = time.process_time() - cpu
    return row


def study(specs: Sequence[ProblemSpec], n_grid: int, jobs: int = 1, max_steps: int | None = None,
          progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """:func:`compare` on every spec (in ``jobs`` worker processes), one row each, in spec order."""
    jobs = check_int("jobs", jobs)
    n_grid = check_int("n_grid", n_grid)
    if jobs == 1:
        rows = []
        for s in specs:
            rows.append(compare(s, n_grid, max_steps))
            if progress:
                progress(f"{s.name} reg={s.reg:g}: {rows[-1]['cpu_seconds']:.1f} CPU-s")
        return pd.DataFrame(rows)
    from joblib import Parallel, delayed

    rows = Parallel(n_jobs=jobs)(delayed(compare)(s, n_grid, max_steps) for s in specs)
    return pd.DataFrame(rows)


def family_verdicts(table: pd.DataFrame, column: str) -> dict[str, dict]:
    """Per family: counts of ``win`` / ``par`` / ``loss`` / ``tie`` in ``column`` and the
    problems AM-MGD loses on."""
    out = {}
    for fam, sub in table.groupby("family", sort=False):
        counts = {o: int((sub[column] == o).sum()) for o in ("win", "par", "loss", "tie")}
        losses = [f"{p}" + ("" if not np.isfinite(r) else f" reg {r:g}")
                  for p, r, o in zip(sub.problem, sub.reg, sub[column]) if o == "loss"]
        out[str(fam)] = {**counts, "n": len(sub), "losses": losses}
    return out
