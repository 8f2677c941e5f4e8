"""Learning-rate schedules: callables of the step count ``t = 0, 1, ...``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .._checks import check_int, check_nonnegative, check_positive

__all__ = ["constant", "cosine", "linear_warmup"]


@dataclass(frozen=True)
class Schedule:
    """A named schedule: a callable of the step count whose repr is its configuration.

    A plain callable works wherever a schedule is accepted; this one prints as the call
    that built it, which keeps tables and plot legends readable.

    Parameters
    ----------
    fn : callable
        ``fn(t)``, the value at step ``t = 0, 1, ...``.
    label : str
        The repr, e.g. ``"cosine(0.1, total_steps=100, lr_min=0.0)"``.
    """

    fn: Callable[[int], Any]
    label: str

    def __call__(self, step: int):
        return self.fn(step)

    def __repr__(self) -> str:
        return self.label


def constant(lr: float) -> Schedule:
    """The constant schedule ``η_t = lr``.

    Parameters
    ----------
    lr : float
        The value, > 0.

    Returns
    -------
    Schedule
        ``t ↦ lr``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 and finite.
    TypeError
        If ``lr`` is not a real number.

    Examples
    --------
    >>> from amtoolkit.optimizers.schedules import constant
    >>> constant(0.1)(7), constant(0.1)
    (0.1, constant(0.1))
    """
    check_positive("lr", lr)
    return Schedule(lambda t: lr, f"constant({lr!r})")


def cosine(lr: float, total_steps: int, lr_min: float = 0.0) -> Schedule:
    """Cosine decay ``η_t = lr_min + (lr - lr_min)(1 + cos(π min(t, T)/T))/2`` over T = ``total_steps``.

    Parameters
    ----------
    lr : float
        The value at t = 0, > 0.
    total_steps : int
        T ≥ 1, the step at which ``lr_min`` is reached and kept.
    lr_min : float, default 0.0
        The final value, ≥ 0 (not checked against ``lr``). A schedule for ``lr`` must stay
        > 0: a run checks every value, so ``lr_min = 0`` fails at step T.

    Returns
    -------
    Schedule
        ``t ↦ η_t``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0, ``total_steps`` < 1 or ``lr_min`` < 0.
    TypeError
        If ``total_steps`` is not an integer, or ``lr`` or ``lr_min`` not a real number.

    Examples
    --------
    >>> from amtoolkit.optimizers.schedules import cosine
    >>> [round(cosine(1.0, total_steps=4)(t), 4) for t in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    check_positive("lr", lr)
    total_steps = check_int("total_steps", total_steps)
    check_nonnegative("lr_min", lr_min)

    def fn(t):
        frac = min(t, total_steps) / total_steps
        return lr_min + (lr - lr_min) * 0.5 * (1.0 + math.cos(math.pi * frac))

    return Schedule(fn, f"cosine({lr!r}, total_steps={total_steps}, lr_min={lr_min!r})")


def linear_warmup(lr: float, warmup_steps: int, after: Callable[[int], Any] | None = None) -> Schedule:
    """Linear warm-up ``η_t = lr (t+1)/W`` for ``t < W``, then ``after(t - W)`` (default ``lr``).

    Parameters
    ----------
    lr : float
        The value reached at the end of the warm-up, > 0.
    warmup_steps : int
        W ≥ 1.
    after : callable or None, default None
        The schedule after the warm-up, called with ``t - W``; None keeps ``lr``.

    Returns
    -------
    Schedule
        ``t ↦ η_t``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 or ``warmup_steps`` < 1.
    TypeError
        If ``warmup_steps`` is not an integer or ``lr`` not a real number.

    Examples
    --------
    >>> from amtoolkit.optimizers.schedules import cosine, linear_warmup
    >>> [linear_warmup(1.0, 4)(t) for t in range(6)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    >>> [round(linear_warmup(1.0, 2, after=cosine(1.0, 2))(t), 3) for t in range(5)]
    [0.5, 1.0, 1.0, 0.5, 0.0]
    """
    check_positive("lr", lr)
    warmup_steps = check_int("warmup_steps", warmup_steps)

    def fn(t):
        if t < warmup_steps:
            return lr * (t + 1) / warmup_steps
        return lr if after is None else after(t - warmup_steps)

    return Schedule(fn, f"linear_warmup({lr!r}, warmup_steps={warmup_steps}, after={after!r})")
