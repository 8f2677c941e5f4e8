"""Cost of Adaptive Memory: closed form vs cvxpy, per-step time against MGD, peak memory.

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_am.py

Targets (issue 3): the closed-form β at least 1000x faster than one cvxpy solve;
AM-MGD and AM-MSGD time per step / MGD's <= 1.10 on the logistic benchmark of
bench_step.py; no extra vector of size d in an AM run beyond MGD's.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of, interleaved_best, largest_libsvm  # noqa: E402  (first: it pins BLAS to one thread)

import numpy as np

import amtoolkit as amt  # noqa: E402
from amtoolkit.model import two_plane  # noqa: E402
from amtoolkit.validate import solve_dual  # noqa: E402


def closed_form_vs_cvxpy(dim: int = 1000, repeats: int = 20) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    g, d = rng.standard_normal((2, dim))
    closed = best_of(lambda: [two_plane.beta_star(1.0, 1.1, g, d, 0.1, 0.1) for _ in range(1000)], 5) / 1000
    solver = best_of(lambda: solve_dual(1.0, 1.1, g, d, 0.1, 0.1), 3)
    return closed, solver


def per_step_ratio(problem, steps: int, repeats: int) -> dict[str, float]:
    x0 = np.zeros(problem.dim)
    lr = 1.0 / problem.smoothness
    fns = {name: (lambda opt=amt.optimizers.get(name, **hyper): amt.run(opt, problem, steps, x0=x0, f_star=None))
           for name, hyper in (("mgd", dict(lr=lr, beta=0.9)), ("am_mgd", dict(lr=lr)), ("am_msgd", dict(lr=lr)))}
    best = interleaved_best(fns, repeats)
    base = best.pop("mgd")
    return {"mgd [ms/step]": base / (steps + 1) * 1e3, **{name: t / base for name, t in best.items()}}


def peak_state_memory(dim: int = 1_000_000, steps: int = 5) -> dict[str, float]:
    """Peak traced memory of the optimizer loop alone (no problem), in vectors of size d."""
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(dim) for _ in range(steps)]
    out = {}
    for name, hyper in (("mgd", dict(lr=0.1, beta=0.9)), ("am_mgd", dict(lr=0.1)), ("am_msgd", dict(lr=0.1))):
        opt = amt.optimizers.get(name, **hyper)
        kw = {"loss": 1.0} if "loss" in opt.needs else {}
        tracemalloc.start()
        state = opt.init(np.zeros(dim))
        for g in grads:
            state = opt.update(state, g, **kw)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[name] = peak / (8 * dim)
        del state
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    closed, solver = closed_form_vs_cvxpy()
    print(f"closed-form beta (d=1000): {closed * 1e6:.1f} us; cvxpy/Clarabel dual solve: {solver * 1e3:.1f} ms; "
          f"ratio {solver / closed:.0f}x")

    name = largest_libsvm()
    problem = amt.load_problem(name, reg=1e-3) if name else amt.load_problem("breast_cancer")
    label = name or "breast_cancer (AMTOOLKIT_DATA not set)"
    ratios = per_step_ratio(problem, args.steps, args.repeats)
    print(f"logistic {label}: mgd {ratios['mgd [ms/step]']:.3f} ms/step; time per step / MGD's: "
          f"am_mgd {ratios['am_mgd']:.3f}, am_msgd {ratios['am_msgd']:.3f}")

    mem = peak_state_memory()
    print("peak memory of 5 updates from init, in vectors of size d (d = 1e6): "
          + ", ".join(f"{k} {v:.2f}" for k, v in mem.items()))


if __name__ == "__main__":
    main()
