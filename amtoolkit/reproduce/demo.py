"""The main job: AM-MGD against MGD with fixed β on a quadratic and on breast_cancer.

For each problem (step size 1/L): MGD with β ∈ {0, 0.5, 0.9, 0.99}; the best fixed β
from a 40-point grid on [0, 0.999] (denser near 1; the paper's β*, chosen by final gap), run as one
batched sweep; and AM-MGD as Algorithm 1's deterministic column prints it (arXiv:2510.04988:
λ = 0, β clipped to [0, 1], line 6), next to AM-MGD clipped at β_max = 0.9 (the stochastic
column's bound) in the same batched run. The table gives, for the AM runs, the mean β_t,
the share of steps at the cap and the first step with β_t < 0.5 (a "soft restart", Sec. 4.5).
Prints a table and writes figures/demo.{pdf,png}.

That first table is the paper's protocol (Sec. 4.1): every method at step 1/L, where EMA
momentum cannot accelerate, so only β is tuned. A second table puts the fair protocol beside
it (:mod:`amtoolkit.reproduce.fair`): GD, heavy ball, EMA MGD, Nesterov (known μ) and AM-MGD,
each with its step (and β) tuned on the same 16-point grid at the same budget.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .. import optimizers
from ..datasets import load_problem
from ..problems import Quadratic
from ..runner.run import run
from .fair import METHODS, fair_protocol

FIXED_BETAS = (0.0, 0.5, 0.9, 0.99)
FAIR_GRID = 16  # configurations per method in the fair table
GRID = np.unique(np.concatenate([np.linspace(0.0, 0.9, 10), 1.0 - np.geomspace(0.1, 1e-3, 30)]))
REL_GAP = 1e-6
AM_BETA_MAX = (1.0, 0.9)  # Algorithm 1's AM-MGD clip first


def _steps_to(gap: np.ndarray, rel: float = REL_GAP):
    hit = np.nonzero(gap <= rel * gap[0])[0]
    return int(hit[0]) if hit.size else None


def compare(problem, steps: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the comparison on one problem; return (summary table, long frame for plots)."""
    lr = 1.0 / problem.smoothness
    rows, curves = [], []

    def add(label, frame, adaptive, beta_text, cap=None):
        gap = frame["gap"].to_numpy()
        hit = _steps_to(gap)
        beta = frame["beta"].to_numpy()[1:-1]
        drop = np.flatnonzero(beta < 0.5)
        rows.append({"method": label, "beta": beta_text, "final_gap": f"{gap[-1]:.3e}",
                     "steps_to_1e-6_rel_gap": "never" if hit is None else str(hit),
                     "mean_beta_t": f"{np.mean(beta):.3f}" if adaptive else "",
                     "at_cap": f"{100 * np.mean(beta == cap):.1f}%" if adaptive else "",
                     "first_beta_t<0.5": (str(drop[0] + 1) if drop.size else "never") if adaptive else ""})
        curves.append(frame.assign(label=label, adaptive=adaptive)[["label", "step", "gap", "beta", "adaptive"]])

    # One batched run over the listed βs and the grid; the best fixed β is read off it.
    betas = np.unique(np.concatenate([FIXED_BETAS, GRID]))
    sweep = run(optimizers.mgd(lr=lr, beta=betas), problem, steps)
    runs = {run_id: rows for run_id, rows in sweep.frame.groupby("run")}
    for beta in FIXED_BETAS:
        add(f"MGD β={beta:g}", runs[int(np.flatnonzero(betas == beta)[0])], False, f"{beta:g}")
    final = sweep.final()
    best_row = final[np.isfinite(final.gap)].sort_values("gap").iloc[0]
    best = float(best_row["hp_beta"])
    add(f"MGD best β*={best:.3f}", runs[int(best_row["run"])], False, f"{best:.3f} (grid)")
    am = run(optimizers.am_mgd(lr=lr, beta_max=np.asarray(AM_BETA_MAX)), problem, steps)
    for i, beta_max in enumerate(AM_BETA_MAX):
        add(f"AM-MGD β_max={beta_max:g}", am.frame[am.frame.run == i], True, "adaptive", beta_max)
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)


def fair_table(problem, steps: int, n_grid: int = FAIR_GRID) -> pd.DataFrame:
    """The fair protocol on ``problem``: per method, the best final gap over its ``n_grid``
    configurations, its step c/L (and β), and the fewest steps any configuration needs to a
    1e-6 relative gap; sorted by those steps."""
    fair = fair_protocol(problem, steps, n_grid)
    rows = [{"method": m, "final_gap": f"{r['gap']:.3e}", "step c (lr = c/L)": f"{r['c']:.3g}",
             "beta": "" if not np.isfinite(r["beta"]) else f"{r['beta']:.3g}",
             "steps_to_1e-6_rel_gap": "never" if not np.isfinite(r["steps_to_1e-6"]) else str(int(r["steps_to_1e-6"])),
             "_order": r["steps_to_1e-6"] if np.isfinite(r["steps_to_1e-6"]) else np.inf}
            for m, r in fair.items() if m in METHODS]
    return pd.DataFrame(rows).sort_values("_order", kind="stable").drop(columns="_order")


def main(steps: int | None = None, figures: str = "figures") -> int:
    from ..plotting import gap_and_beta_figure

    t0 = time.perf_counter()
    problems = {
        "quadratic d=100, κ=1e3": (Quadratic.random(dim=100, cond=1e3, seed=0), steps or 8000),
        "breast_cancer logistic, reg=1e-3": (load_problem("breast_cancer", reg=1e-3), steps or 8000),
    }
    curves = {}
    for title, (problem, n_steps) in problems.items():
        table, frame = compare(problem, n_steps)
        curves[title] = frame
        print(f"\n{title}: step size 1/L, {n_steps} steps, gap = f(x_t) - f* (the paper's protocol)")
        print(table.to_string(index=False))
        print(f"\nthe same, every method's step tuned too ({FAIR_GRID} configurations each, {n_steps} steps; "
              "heavy ball and EMA MGD tune lr and β jointly):")
        print(fair_table(problem, n_steps).to_string(index=False))
    path = gap_and_beta_figure(curves, f"{figures}/demo")
    print(f"\nfigure: {path} (and .pdf); {time.perf_counter() - t0:.1f} s")
    return 0
