"""RLLC time per step (k = 4 memory units) divided by MGD's, on the logistic benchmark of
bench_step.py (the registered LIBSVM file with the most non-zeros).

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_rllc.py

Target (issue 4): <= 1.2; the extra work is O(k d + k³) against O(nnz) for the gradient.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import amtoolkit as amt  # noqa: E402
from _timing import best_of, largest_libsvm  # noqa: E402


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
    base = best_of(lambda: amt.run(amt.optimizers.mgd(lr=lr, beta=0.9), problem, args.steps, x0=x0, f_star=None),
                   args.repeats)
    print(f"logistic {name or 'breast_cancer'} (n={problem.n_samples}, d={problem.dim}); "
          f"mgd {base / (args.steps + 1) * 1e3:.3f} ms/step")
    for pinv in ("gram", "svd"):
        opt = amt.optimizers.rllc(lr=lr, memory=memory, law0=(0.25, 0.25, 0.25, 0.25), c2=0.01 * lr, pinv=pinv)
        t = best_of(lambda: amt.run(opt, problem, args.steps, x0=x0, f_star=None), args.repeats)
        print(f"rllc k=4 ({memory}, pinv={pinv}): time per step / MGD's = {t / base:.3f}")


if __name__ == "__main__":
    main()
