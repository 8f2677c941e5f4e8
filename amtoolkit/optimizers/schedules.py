"""Learning-rate schedules: callables of the step count ``t = 0, 1, ...``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .._checks import check_int, check_nonnegative, check_positive

__all__ = ["constant", "cosine", "linear_warmup"]


@dataclass(frozen=True)
class Schedule:
    """A named schedule (a plain callable works too); its repr is its configuration."""

    fn: Callable[[int], Any]
    label: str

    def __call__(self, step: int):
        return self.fn(step)

    def __repr__(self) -> str:
        return self.label


def constant(lr: float) -> Schedule:
    """``η_t = lr``."""
    check_positive("lr", lr)
    return Schedule(lambda t: lr, f"constant({lr!r})")


def cosine(lr: float, total_steps: int, lr_min: float = 0.0) -> Schedule:
    """``η_t = lr_min + (lr - lr_min)(1 + cos(π min(t, T)/T))/2``."""
    check_positive("lr", lr)
    total_steps = check_int("total_steps", total_steps)
    check_nonnegative("lr_min", lr_min)

    def fn(t):
        frac = min(t, total_steps) / total_steps
        return lr_min + (lr - lr_min) * 0.5 * (1.0 + math.cos(math.pi * frac))

    return Schedule(fn, f"cosine({lr!r}, total_steps={total_steps}, lr_min={lr_min!r})")


def linear_warmup(lr: float, warmup_steps: int, after: Callable[[int], Any] | None = None) -> Schedule:
    """``η_t = lr (t+1)/W`` for ``t < W``, then ``after(t - W)`` (default ``lr``)."""
    check_positive("lr", lr)
    warmup_steps = check_int("warmup_steps", warmup_steps)

    def fn(t):
        if t < warmup_steps:
            return lr * (t + 1) / warmup_steps
        return lr if after is None else after(t - warmup_steps)

    return Schedule(fn, f"linear_warmup({lr!r}, warmup_steps={warmup_steps}, after={after!r})")
