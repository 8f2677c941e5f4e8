"""The convex claim of AM Sec. 4.1 under two protocols, and its transfer beyond LIBSVM.

**The paper's protocol** (AM Sec. 4.1 / Figure 3; ``amtoolkit reproduce convex``): λ = 0,
step 1/L, MGD in the EMA form (Eq. 1) with β tuned on a 20-point grid (β*), AM-MGD
(Algorithm 1, deterministic column, β clipped to [0, 1]) untuned; budget T = the steps
the fastest AM-MGD run needs to a relative gap of 1e-10, capped at ``max_steps``.
Imported through :mod:`amtoolkit.claims._paper` (one place).

**The fair protocol** lives in :mod:`amtoolkit.reproduce.fair` (its docstring lists the grids).

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

from ..reproduce.fair import (BASELINES, METHODS, ROUND_OFF, _strong_convexity, beta_grid,  # noqa: F401
                            fair_protocol, method_grid, outcome, speed_outcome, split_grid, step_grid)
from .._checks import check_int
from ..problems import LogisticRegression, Quadratic
from . import _paper

REGS = (1e-3, 1e-5)

__all__ = ["METHODS", "BASELINES", "ProblemSpec", "step_grid", "split_grid", "beta_grid", "method_grid",
           "fair_protocol", "fingerprint", "compare", "outcome", "speed_outcome", "problem_specs", "study",
           "family_verdicts"]

#: the code that decides the study's numbers: a change elsewhere (a figure, the CLI, a
#: docstring, where a dataset file is found: the files are checked by their sha256) does not
#: make the stored study stale
FINGERPRINTED = ("model", "optimizers", "problems", "datasets/builtin.py", "runner/run.py",
                 "runner/start.py", "runner/summary.py", "backend.py", "_checks.py", "reproduce/convex.py",
                 "reproduce/fair.py", "claims/convex.py", "claims/_paper.py")


def _code_only(source: str) -> str:
    """The module's syntax tree without docstrings, as text: what the interpreter runs."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


def fingerprint() -> str:
    """A hash of the code the study runs (the modules of :data:`FINGERPRINTED`, docstrings
    and comments left out): a stored study is current when its fingerprint equals this."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for entry in FINGERPRINTED:
        paths = sorted((root / entry).rglob("*.py")) if (root / entry).is_dir() else [root / entry]
        for p in paths:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(_code_only(p.read_text()).encode())
    return h.hexdigest()[:16]


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
