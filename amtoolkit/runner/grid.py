"""Crossed hyperparameter grids as the per-run arrays that ``optimizers.get`` takes."""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_fits_memory
from ..optimizers.base import relative_lr

__all__ = ["grid"]


def grid(**axes) -> dict[str, np.ndarray]:
    """The crossed product of the given values: one array of shape (K,) per name.

    K is the product of the lengths; the first name varies slowest (``itertools.product``
    order). Pass the result on as ``optimizers.get("mgd", **grid(...))``: K configurations
    then run as one batched run.

    Parameters
    ----------
    **axes : list of float, or of "c/L" strings for ``lr``
        One non-empty list of values per hyperparameter; ``"c/L"`` step sizes are resolved
        when the run starts (c divided by the problem's smoothness L).

    Returns
    -------
    dict of str to numpy.ndarray
        Per name, the K values of the crossed product (an object array for ``"c/L"`` strings).

    Raises
    ------
    TypeError, ValueError
        No axis, an empty or non-list axis, a value that is neither a finite number nor
        (for ``lr``) a ``"c/L"`` string, or a grid whose arrays would not fit in memory
        (checked before any is built).

    Examples
    --------
    >>> import amtoolkit as amt
    >>> g = amt.grid(lr=[0.1, 0.5], beta=[0.0, 0.5, 0.9])
    >>> g["lr"].tolist(), g["beta"].tolist()
    ([0.1, 0.1, 0.1, 0.5, 0.5, 0.5], [0.0, 0.5, 0.9, 0.0, 0.5, 0.9])
    """
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
    shape = tuple(len(v) for v in values.values())
    size = math.prod(shape)
    # the arrays themselves (8 bytes per entry, and as much for the index arrays), checked
    # before any is built: a Python list of product tuples ran out of memory at 1e8 points
    check_fits_memory("grid", 16.0 * size * len(shape), f"a grid of {size} configurations over {len(shape)} "
                      "hyperparameters")
    index = np.unravel_index(np.arange(size), shape)  # the first name varies slowest, as itertools.product
    return {name: np.asarray(vals, dtype=object if isinstance(vals[0], str) else float)[index[i]]
            for i, (name, vals) in enumerate(values.items())}
