"""Several seeds of one run, joined into one History."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from .history_io import concat

__all__ = ["run_seeds"]


def run_seeds(optimizer, problem, steps: int, seeds: Sequence[int], **kwargs):
    """``amtoolkit.run(optimizer, problem, steps, seed=s, **kwargs)`` for each ``s`` in
    ``seeds``, joined by :func:`amtoolkit.concat`: ``run`` ids are unique (seed by seed, the
    configurations of a batched optimizer inside each) and the ``seed`` column tells the
    seeds apart.

    The seeds run one after another, not batched: the minibatch sampler draws one set of
    indices per step for all runs of a batch, so runs with different seeds cannot share a
    batched call. The seed only drives that sampler; without ``batch_size`` every seed
    gives the same numbers (a warning says so).
    """
    from .run import run

    if isinstance(seeds, (int, np.integer)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of integers, got {seeds!r}")
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                            for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of integers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    if kwargs.get("batch_size") is None and len(seeds) > 1:
        warnings.warn("seeds only change the minibatch sampler; without batch_size the runs of "
                      f"seeds {seeds} are identical", UserWarning, stacklevel=3)
    return concat([run(optimizer, problem, steps, seed=int(s), **kwargs) for s in seeds])
