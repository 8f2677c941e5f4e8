"""Per-step cost of the baselines relative to one bare ``value_and_grad`` call, and the
speed-up of a batched K = 64 run over 64 single runs.

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_step.py

Targets (issue 2): ratio <= 1.15 for gd, mgd, heavy_ball and sgd; the batched
quadratic run at least 5x faster than 64 single runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of, interleaved_best, largest_libsvm  # noqa: E402  (first: it pins BLAS to one thread)

import numpy as np

import amtoolkit as amt  # noqa: E402

BASELINES = {
    "gd": dict(lr=0.1),
    "mgd": dict(lr=0.1, beta=0.9),
    "heavy_ball": dict(lr=0.1, beta=0.9),
    "sgd": dict(lr=0.1, momentum=0.9),
    "nag": dict(lr=0.1, beta=0.9),
    "adamw": dict(lr=1e-3),
}


def step_ratios(problem, steps: int, repeats: int) -> dict[str, float]:
    """Interleaved rounds: the bare oracle loop and each method's run, best over the rounds."""
    x0 = np.zeros(problem.dim) + 1e-3
    fns = {"bare": lambda: [problem.value_and_grad(x0) for _ in range(steps)]}
    for name, hyper in BASELINES.items():
        opt = amt.optimizers.get(name, **hyper)
        # steps - 1 updates + the final evaluation = `steps` oracle calls
        fns[name] = lambda opt=opt: amt.run(opt, problem, steps - 1, x0=x0, f_star=None)
    best = interleaved_best(fns, repeats)
    bare = best.pop("bare")
    return {"value_and_grad [ms]": bare / steps * 1e3, **{name: t / bare for name, t in best.items()}}


def batched_speedup(problem, steps: int, K: int = 64, repeats: int = 3) -> tuple[float, float, float]:
    lrs = np.linspace(0.1, 1.0, K)
    betas = np.linspace(0.0, 0.95, K)
    batched = best_of(lambda: amt.run(amt.optimizers.mgd(lr=lrs, beta=betas), problem, steps, f_star=None), repeats)
    single = best_of(lambda: [amt.run(amt.optimizers.mgd(lr=lrs[k], beta=betas[k]), problem, steps, f_star=None)
                              for k in range(K)], 1)
    return batched, single, single / batched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    problems = [("quadratic d=2000", amt.Quadratic.random(dim=2000, cond=1e3, seed=0))]
    name = largest_libsvm()
    if name is None:
        print("AMTOOLKIT_DATA not set: logistic benchmark on breast_cancer instead of the largest LIBSVM file")
        problems.append(("logistic breast_cancer", amt.load_problem("breast_cancer")))
    else:
        p = amt.load_problem(name, reg=1e-3)
        problems.append((f"logistic {name} (n={p.n_samples}, d={p.dim}, sparse)", p))

    print("time per step / time of one value_and_grad call")
    header = f"{'problem':45s}" + "".join(f"{k:>12s}" for k in ["grad [ms]", *BASELINES])
    print(header)
    for label, problem in problems:
        r = step_ratios(problem, args.steps, args.repeats)
        print(f"{label:45s}" + "".join(f"{v:12.3f}" for v in r.values()))

    batched, single, speedup = batched_speedup(problems[0][1], args.steps)
    print(f"\nmgd on the d=2000 quadratic, {args.steps} steps, K=64 configurations:")
    print(f"  one batched run {batched:.3f} s, 64 single runs {single:.3f} s, speed-up {speedup:.1f}x")


if __name__ == "__main__":
    main()
