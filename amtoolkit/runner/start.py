"""What is settled when a run starts: step sizes given as ``"c/L"``, and warnings about
settings that run but do not mean what they seem."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..optimizers.base import Optimizer, get, relative_lr
from ..problems.base import Problem

__all__ = ["resolve_lr", "warn_minibatch_offset"]

# methods whose offset compares f at two consecutive iterates, and their stochastic form
_STOCHASTIC_FORM = {"am_mgd": "am_msgd (offset η_{t-1} g_tᵀd_t, no second loss)",
                    "am_adamw": "am_adamw(offset='first_order')"}


def resolve_lr(optimizer: Optimizer, problem: Problem) -> tuple[Optimizer, Any]:
    """``(optimizer, lr_given)``: an optimizer built with ``lr="c/L"`` (or a list of such
    strings) is rebuilt with ``lr = c / problem.smoothness``; ``lr_given`` is the string(s)
    as given, ``None`` when ``lr`` was not relative (the optimizer is then returned as is)."""
    given = optimizer.hyper.get("lr")
    coeff = relative_lr(given)
    if coeff is None:
        return optimizer, None
    smoothness = getattr(problem, "smoothness", None)
    if smoothness is None:
        raise ValueError(f"lr={given!r} needs the smoothness constant L of the problem, which "
                         f"{problem.name} does not provide; give lr as a number (minimize: or "
                         f"options['smoothness'])")
    lr = coeff / float(smoothness) if np.ndim(coeff) == 0 else np.asarray(coeff) / float(smoothness)
    try:
        resolved = get(optimizer.name, **{**optimizer.hyper, "lr": lr})
    except (ValueError, TypeError) as err:
        raise ValueError(f"lr={given!r}: {optimizer.name} cannot be rebuilt from its hyperparameters "
                         f"({err}); give lr as a number") from None
    lr_given = given if isinstance(given, str) else [str(v) for v in np.ravel(np.asarray(given, dtype=object))]
    return resolved, lr_given


def warn_minibatch_offset(optimizer: Optimizer, batch_size: int | None) -> None:
    """Warn when a method whose β uses ``f(x_{t-1}) - f(x_t)`` runs on minibatches: the two
    losses then come from two different minibatches, so the offset is mostly sampling noise."""
    if batch_size and "loss" in optimizer.needs:
        alternative = _STOCHASTIC_FORM.get(optimizer.name)
        warnings.warn(f"{optimizer.name} with batch_size={batch_size}: its offset f(x_(t-1)) - f(x_t) "
                      f"subtracts the losses of two different minibatches"
                      + (f"; use {alternative} for minibatch runs" if alternative else ""),
                      UserWarning, stacklevel=3)
