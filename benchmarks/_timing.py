"""Small timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import time
from pathlib import Path


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
