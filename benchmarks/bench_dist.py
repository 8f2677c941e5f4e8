"""Cost of the ``dist_to_opt`` column (‖x_t - x*‖, one extra O(K·d) pass per step):
time of ``amt.run`` with ``dist_to_opt=True`` over ``dist_to_opt=False``, in interleaved
rounds, on quadratics of several sizes and on the largest LIBSVM file present.

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_dist.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved_best, largest_libsvm  # noqa: E402  (first: it pins BLAS to one thread)

import amtoolkit as amt  # noqa: E402


def ratio(problem, steps: int, rounds: int, K: int = 1) -> float:
    opt = amt.optimizers.mgd(lr="1/L", beta=[0.9] * K if K > 1 else 0.9)
    problem.x_star  # solve once, outside the timings
    best = interleaved_best({flag: (lambda flag=flag: amt.run(opt, problem, steps, dist_to_opt=flag))
                             for flag in (False, True)}, rounds)
    return best[True] / best[False]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    cases = {f"quadratic d={d}": (amt.Quadratic.random(dim=d, cond=1e3, seed=0), 1) for d in (50, 2000)}
    cases["quadratic d=2000, K=16"] = (cases["quadratic d=2000"][0], 16)
    name = largest_libsvm()
    if name:
        p = amt.load_problem(name)
        cases[f"logistic {name} (n={p.n_samples}, d={p.dim})"] = (p, 1)
    for label, (problem, K) in cases.items():
        print(f"{label}: time with dist_to_opt / without = {ratio(problem, args.steps, args.rounds, K):.3f}")


if __name__ == "__main__":
    main()
