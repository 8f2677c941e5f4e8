"""RLLC memories against sgd, heavy_ball and nag at the same learning rate (docs/guide/rllc.md).

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/compare_rllc.py

Learning rate 1/L for every method, 500 steps, from x0 = 0. RLLC runs the meta learning
rate c2 ∈ {0, 0.01·lr, 0.1·lr} as one batched run per memory. Prints a Markdown table
(final gap, steps to a 1e-6 relative gap, the largest gap along the run relative to
the initial one, which shows transient blow-ups, and status).
"""

from __future__ import annotations

import argparse

import numpy as np

import amtoolkit as amt
from amtoolkit import optimizers as O

MEMORIES = [("M(0.9)+M(0.0)", (1.0, 0.0)), ("M(0.9)+M(0.8)+M(0.7)", (1 / 3, 1 / 3, 1 / 3)),
            ("J(0.9,2)", (1.0, 0.0)), ("C(0.9,0.3)", (1.0, 0.0))]
C2_FACTORS = (0.0, 0.01, 0.1)


def _row(frame, method, config):
    gap = frame["gap"].to_numpy()
    hit = np.nonzero(gap <= 1e-6 * gap[0])[0]
    worst = np.max(gap) / gap[0]
    return (f"| {method} | {config} | {gap[-1]:.2e} | {hit[0] if hit.size else 'never'} | {worst:.2g} | "
            f"{frame['status'].iloc[-1]} |")


def compare(problem, steps: int) -> list[str]:
    lr = 1.0 / problem.smoothness
    rows = []
    for method, opt, config in [
        ("sgd", O.sgd(lr=lr), "momentum 0 (gd)"),
        ("sgd", O.sgd(lr=lr, momentum=0.9), "momentum 0.9 (PyTorch heavy ball)"),
        ("heavy_ball", O.heavy_ball(lr=lr, beta=0.9), "beta 0.9"),
        ("nag", O.nag(lr=lr), "beta_t = t/(t+3)"),
    ]:
        rows.append(_row(amt.run(opt, problem, steps).frame, method, config))
    for memory, law0 in MEMORIES:
        c2 = lr * np.array(C2_FACTORS)
        h = amt.run(O.rllc(lr=lr, memory=memory, law0=law0, c2=c2), problem, steps)
        for k, factor in enumerate(C2_FACTORS):
            law = ", ".join(f"{v:.3g}" for v in law0)
            rows.append(_row(h.frame[h.frame.run == k], "rllc", f"{memory}, law0 ({law}), c2 = {factor:g}·lr"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--libsvm", default="a9a", help="LIBSVM dataset (default a9a, reg 1e-3)")
    parser.add_argument("--figure", default="figures/rllc_memories",
                        help="impulse responses of the memories (PDF + PNG stem)")
    args = parser.parse_args()
    from amtoolkit.memory import impulse_response, parse_memory
    from amtoolkit.plotting import impulse_response_figure

    path = impulse_response_figure({m: impulse_response(parse_memory(m), 40) for m, _ in MEMORIES}, args.figure)
    print(f"figure: {path}")
    problems = [("quadratic d=100, κ=1e3 (seed 0)", amt.Quadratic.random(dim=100, cond=1e3, seed=0)),
                (f"{args.libsvm} logistic, reg=1e-3", amt.load_problem(args.libsvm, reg=1e-3))]
    for title, problem in problems:
        print(f"\n### {title}: lr = 1/L = {1 / problem.smoothness:.4g}, {args.steps} steps\n")
        print("| method | configuration | final gap | steps to 1e-6 rel. gap | max gap / gap₀ | status |")
        print("|---|---|---|---|---|---|")
        print("\n".join(compare(problem, args.steps)))


if __name__ == "__main__":
    main()
