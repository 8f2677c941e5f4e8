"""Crossed hyperparameter grids as the per-run arrays that ``optimizers.get`` takes."""

from __future__ import annotations

import itertools

import numpy as np

from ..optimizers.base import relative_lr

__all__ = ["grid"]


def grid(**axes) -> dict[str, np.ndarray]:
    """The crossed product of the given values, one array of shape (K,) per name, with
    K the product of the lengths; the first name varies slowest (``itertools.product``
    order): ``grid(lr=[0.1, 0.5], beta=[0, 0.5, 0.9])`` gives K = 6 runs,
    ``lr = [0.1, 0.1, 0.1, 0.5, 0.5, 0.5]``, ``beta = [0, 0.5, 0.9, 0, 0.5, 0.9]``; pass it
    on as ``optimizers.get("mgd", **grid(...))``. Values are numbers, or ``"c/L"``
    strings for ``lr`` (resolved when the run starts)."""
    if not axes:
        raise ValueError("grid needs at least one hyperparameter, e.g. grid(lr=[0.1, 0.5])")
    values = {}
    for name, vals in axes.items():
        if isinstance(vals, (str, bytes)) or np.ndim(vals) != 1 or len(vals) == 0:
            raise ValueError(f"grid: {name} must be a non-empty list of values, got {vals!r}")
        if name == "lr" and relative_lr(list(vals)) is not None:
            values[name] = list(vals)
            continue
        try:
            arr = np.asarray(vals, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"grid: {name} must hold numbers (only numeric hyperparameters can "
                             f"be batched; loop over choices such as strings), got {vals!r}") from None
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"grid: {name} must hold finite numbers, got {vals!r}")
        values[name] = list(arr)
    rows = list(itertools.product(*values.values()))
    return {name: np.asarray([row[i] for row in rows]) for i, name in enumerate(values)}
