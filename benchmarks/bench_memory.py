"""Peak memory of ``amtoolkit.run`` per recorded row, for every registered optimizer.

    python benchmarks/bench_memory.py [--steps 2000] [--dim 500]

tracemalloc's peak over one ``run`` call (everything the call allocates, its result
table included) grows linearly with the recorded rows; the table reports the slope
between runs of ``steps`` and ``2·steps`` steps (the intercept is the fixed cost:
problem mirrors, optimizer state, buffer chunks), after one warm-up run. Target (issue 8): at most 300 B per recorded row for every
optimizer, whatever its per-step ``info`` holds (am_adamw's preconditioner is of size d).
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import amtoolkit as amt  # noqa: E402

SETTINGS = {  # a converging, non-diverging setting for each method
    "gd": dict(lr=0.1), "heavy_ball": dict(lr=0.1), "mgd": dict(lr=0.1), "sgd": dict(lr=0.1, momentum=0.9),
    "nag": dict(lr=0.1), "adamw": dict(lr=1e-3), "am_mgd": dict(lr=0.5), "am_msgd": dict(lr=0.1),
    "am_adamw": dict(lr=1e-3), "rllc": dict(lr=0.1),
}
TARGET = 300.0


def peak_bytes(opt, problem, steps: int) -> tuple[int, int]:
    """(peak bytes during run, recorded rows)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    hist = amt.run(opt, problem, steps, f_star=None)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, len(hist.frame)


def measure(steps: int, dim: int) -> list[tuple[str, int, float]]:
    problem = amt.Quadratic.random(dim=dim, cond=10.0, seed=0)
    problem.value_and_grad(np.zeros(dim))  # mirror the data before measuring
    rows = []
    for name in amt.optimizers.available():
        opt = amt.optimizers.get(name, **SETTINGS.get(name, {}))
        peak_bytes(opt, problem, 10)  # warm-up: first-call imports and caches
        peak_small, rows_small = peak_bytes(opt, problem, steps)
        peak, n_rows = peak_bytes(opt, problem, 2 * steps)
        rows.append((name, n_rows, (peak - peak_small) / (n_rows - rows_small)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=500)
    args = parser.parse_args()
    print(f"peak bytes per recorded row of amt.run, quadratic d={args.dim}, {args.steps} and {2 * args.steps} steps "
          f"(target <= {TARGET:.0f} B)")
    print(f"{'optimizer':12s}{'rows':>8s}{'B/row':>10s}  ok")
    worst = 0.0
    for name, n_rows, per_row in measure(args.steps, args.dim):
        worst = max(worst, per_row)
        print(f"{name:12s}{n_rows:8d}{per_row:10.1f}  {'yes' if per_row <= TARGET else 'NO'}")
    print(f"worst: {worst:.1f} B/row")


if __name__ == "__main__":
    main()
