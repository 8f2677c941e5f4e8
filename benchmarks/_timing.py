"""Small timing helpers shared by the benchmark scripts. Import it before numpy: it pins
BLAS to one thread (on a 2-core machine threaded BLAS makes per-step timings vary by ±15%)."""

from __future__ import annotations

import os
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def best_of(fn, repeats: int = 5) -> float:
    """Best wall time of ``repeats`` calls of ``fn`` (seconds)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def largest_libsvm() -> str | None:
    """The registered dataset with the most non-zeros that is present in $AMTOOLKIT_DATA."""
    from amtoolkit.datasets import registry

    folder = os.environ.get("AMTOOLKIT_DATA")
    if not folder:
        return None
    present = [info for info in registry().values() if (Path(folder) / info.file).is_file()]
    return max(present, key=lambda info: info.nnz).name if present else None


def interleaved_best(fns: dict, rounds: int) -> dict:
    """Best wall time of each callable over ``rounds`` rounds, timing every callable once
    per round: slow drifts of the machine (memory bandwidth, other load) then hit all of
    them alike, which sequential ``best_of`` calls do not guarantee."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = min(best[name], best_of(fn, 1))
    return best
