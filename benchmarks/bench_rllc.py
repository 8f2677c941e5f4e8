"""RLLC time per step (k = 4 memory units) divided by MGD's, on the logistic benchmark of
bench_step.py (the registered LIBSVM file with the most non-zeros).

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_rllc.py

Target (issue 4): <= 1.2; the extra work is O(k d + k³) against O(nnz) for the gradient.
The methods are timed in interleaved rounds (best of each), since one method's run time
drifts by ±25% on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved_best, largest_libsvm  # noqa: E402  (first: it pins BLAS to one thread)

import numpy as np

import amtoolkit as amt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    name = largest_libsvm()
    problem = amt.load_problem(name, reg=1e-3) if name else amt.load_problem("breast_cancer")
    lr = 1.0 / problem.smoothness
    x0 = np.zeros(problem.dim)
    memory = "M(0.9)+M(0.8)+M(0.7)+M(0.0)"
    fns = {"mgd": lambda: amt.run(amt.optimizers.mgd(lr=lr, beta=0.9), problem, args.steps, x0=x0, f_star=None)}
    for pinv in ("gram", "svd"):
        # A setting whose run stays sane (it converges here): the logistic oracle's cost
        # depends on the iterate (huge margins make exp underflow to slow subnormals), so a
        # diverging law would be timed on a slower gradient, not on its own extra work.
        opt = amt.optimizers.rllc(lr=lr, memory=memory, law0=(1.0, 0.0, 0.0, 0.0), c2=1e-3 * lr, pinv=pinv)
        fns[pinv] = lambda opt=opt: amt.run(opt, problem, args.steps, x0=x0, f_star=None)
    best = interleaved_best(fns, args.repeats)  # rounds alternate the methods against drift
    base = best.pop("mgd")
    print(f"logistic {name or 'breast_cancer'} (n={problem.n_samples}, d={problem.dim}); "
          f"mgd {base / (args.steps + 1) * 1e3:.3f} ms/step")
    for pinv, t in best.items():
        print(f"rllc k=4 ({memory}, pinv={pinv}): time per step / MGD's = {t / base:.3f}")

if __name__ == "__main__":
    main()
