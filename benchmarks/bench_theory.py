"""Theory calculators' speed (issue 9 targets):

* ``spectral_rate`` over a 200×200 (lr, β) grid with 1000 eigenvalues: < 1 s;
* one PEPit solve, heavy ball, n = 10, on the smooth strongly convex class: < 5 s.

    python benchmarks/bench_theory.py [--repeats 5]

Also timed, for reference: the same grid without the endpoint reduction (every eigenvalue's
2×2 radius, in chunks), and ``linear_memory_rate`` on a 200-point lr grid. PEPit solves are
timed through the uncached ``_solve`` (building the SDP included). Best of ``--repeats``
interleaved rounds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved_best  # noqa: E402  (first: it pins BLAS to one thread)

import numpy as np

from amtoolkit import theory  # noqa: E402
from amtoolkit.theory.pep import _solve  # noqa: E402  (the uncached solve)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    mu, L = 1.0, 100.0
    eig = np.linspace(mu, L, 1000)
    lrs = np.linspace(4.0 / L / 200, 4.0 / L, 200)[:, None]
    betas = np.linspace(0.0, 0.99, 200)[None, :]
    lr_p, beta_p, _ = theory.polyak_heavy_ball(1.0, 25.0)

    def all_eigenvalues():
        return np.max([theory.spectral_radius("heavy_ball", lrs[..., None], betas[..., None], chunk).max(axis=-1)
                       for chunk in np.array_split(eig, 20)], axis=0)

    fns = {
        "spectral_rate 200x200, 1000 eigenvalues": lambda: theory.spectral_rate("heavy_ball", lrs, betas, eig),
        "  same, every eigenvalue (no reduction)": all_eigenvalues,
        "linear_memory_rate M(0.9)+M(0), 200 lr, 1000 eig": lambda: theory.linear_memory_rate(
            "M(0.9)+M(0.0)", [1.0, 0.0], lrs[:, 0], eig),
        "PEPit heavy ball n=10, smooth strongly convex": lambda: _solve(
            "heavy_ball", 1.0, 25.0, lr_p, beta_p, 10, "smooth_strongly_convex"),
    }
    assert np.allclose(all_eigenvalues(), theory.spectral_rate("heavy_ball", lrs, betas, eig), atol=1e-12)
    best = interleaved_best(fns, args.repeats)
    solve = _solve("heavy_ball", 1.0, 25.0, lr_p, beta_p, 10, "smooth_strongly_convex")
    print(f"{'what':52s} best [s]   target")
    targets = {"spectral_rate 200x200, 1000 eigenvalues": "< 1",
               "PEPit heavy ball n=10, smooth strongly convex": "< 5"}
    for name, t in best.items():
        print(f"{name:52s} {t:8.4f}   {targets.get(name, '')}")
    print(f"PEPit solver: {solve.solver} ({solve.status}), worst |x_10-x*|^2/|x_0-x*|^2 = {solve.value:.6g}")


if __name__ == "__main__":
    main()
