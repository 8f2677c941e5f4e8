"""Input checks of the PyTorch optimizers: every error names the parameter, the value and
what is allowed (the same messages as :mod:`amtoolkit._checks`, without NumPy arrays)."""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

__all__ = ["check_real", "check_lr", "check_schedule_or_real", "check_choice", "check_flag", "scope_columns"]


def _interval(low, high, low_closed, high_closed) -> str:
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    return f"{'[' if low_closed and low is not None else '('}{lo}, {hi}{']' if high_closed and high is not None else ')'}"


def check_real(name: str, value: Any, low: float | None = None, high: float | None = None,
               low_closed: bool = True, high_closed: bool = True) -> float:
    """A finite real Python number in the interval, returned as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    ok = math.isfinite(v) and (low is None or (v >= low if low_closed else v > low)) \
        and (high is None or (v <= high if high_closed else v < high))
    if not ok:
        raise ValueError(f"{name} must lie in {_interval(low, high, low_closed, high_closed)}, got {value!r}")
    return v


def check_lr(name: str, value: Any) -> Any:
    """``lr > 0``: a float or a one-element tensor (read once here, never inside ``step``)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a float or a one-element tensor, got a tensor of shape "
                             f"{tuple(value.shape)}")
        if not value.dtype.is_floating_point:
            raise TypeError(f"{name} must be a floating tensor, got dtype {value.dtype}")
        check_real(name, float(value.detach().cpu().reshape(())), 0.0, None, low_closed=False)
        return value
    check_real(name, value, 0.0, None, low_closed=False)
    return float(value)


def check_schedule_or_real(name: str, value: Any, low: float, high: float) -> Any:
    """A real number in [low, high] or a callable of the step count whose value at 0 is."""
    if callable(value):
        check_real(f"{name} (the schedule's value at step 0)", value(0), low, high)
        return value
    return check_real(name, value, low, high)


def schedule_value(name: str, value: Any, step: int, low: float, high: float) -> float:
    """The value of a float-or-schedule hyperparameter at ``step``, checked (host side)."""
    if callable(value):
        out = value(step)
        return check_real(f"{name} schedule at step {step}", out, low, high)
    return value


def check_choice(name: str, value: Any, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return value


def check_flag(name: str, value: Any, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False{' or None' if allow_none else ''}, got {value!r}")
    return value


def check_callable(name: str, value: Any) -> Callable | None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be a callable or None, got {type(value).__name__} {value!r}")
    return value


def check_optimizer_wide(param_group: dict, wide: dict) -> None:
    """Refuse a parameter group that sets an optimizer-wide option (``wide``: name → the
    optimizer's value) to another value. Such keys may appear in a group only with the
    optimizer's own value (``ZeroRedundancyOptimizer`` copies every keyword into its groups)."""
    for key, value in wide.items():
        if key in param_group and param_group[key] is not value and param_group[key] != value:
            raise ValueError(f"{key} is set for the whole optimizer, not per parameter group "
                             f"(got {key}={param_group[key]!r} in a group, {value!r} for the optimizer)")


def scope_columns(scope: str, param_groups: list) -> int:
    """Columns of a recorded coefficient (β_t, the RLLC law): one for the ``"global"``
    scope, one per parameter group, or one per parameter tensor."""
    if scope == "global":
        return 1
    if scope == "group":
        return len(param_groups)
    return sum(len(g["params"]) for g in param_groups)
