"""Adaptive Memory momentum (arXiv:2510.04988): AM-MGD, AM-MSGD and AM-AdamW.

Each step solves the two-plane proximal model (Eq. 8-9) in closed form
(:mod:`amtoolkit.model.two_plane`): β_t from Eq. 12 (Eq. 14 for AM-AdamW), clipped as in
Algorithm 1 line 6, then ``d_{t+1} = ((β+λ) d_t + (1-β) g_t)/(1+λ)`` and
``x_{t+1} = x_t - η d_{t+1}`` (Eq. 13, Algorithm 1 lines 7-8). Algorithm 1 line 1 starts
with ``d_0 = g_0``, so the first step is a gradient step.

Algorithm 1 has two columns. The deterministic one (AM-MGD) clips β to [0, 1]
(line 6, left); the stochastic one (AM-MSGD) clips to [0, β_max,t] with β_max < 1
(line 6, right; 0.9 in Sec. 4) and replaces the loss difference by its first-order
estimate (line 5, Sec. 3.4). Here both accept ``beta_max`` in the closed [0, 1]
(a float, an array of shape (K,) or a schedule ``beta_max(t)``): ``am_mgd`` defaults
to 1 (the left column), ``am_msgd`` to 0.9.

The memory-plane offset ``f_hat(x_t) - f(x_t)`` is chosen by ``offset``:

* ``"previous"``: ``f_hat(x_t) = f(x_{t-1})`` (Sec. 3.2, the paper's overestimation;
  AM-MGD, Algorithm 1 line 4). AM-MSGD uses its first-order estimate
  ``η_{t-1} g_tᵀ d_t`` (line 5) and needs no second loss value.
* ``"bundle"``: the classical aggregate ``f_hat(x_{t+1}) = f_t^m(x_{t+1}) ≤ f(x_t)``
  (Sec. 3.2, the bundle-method alternative the paper compares against).
* ``"distance"``: ``f_hat = f + ⟨x_t - x*, d_t - g_t⟩`` for problems with a known x*, which
  makes β* the coefficient minimising ``‖x_{t+1} - x*‖²`` (an amtoolkit diagnostic).

Variants (Sec. 4.5): ``"clip"``: ``β = max(β_AM, β_min)``; ``"reset"``: ``β = high`` if
``β_AM ≥ θ`` else ``low`` (0.9 / 0.1, θ = 0.7 in the paper).

Recorded per step (per run): ``beta`` (used), ``beta_am`` (the clipped closed form before
the variant), ``beta_raw`` (unclipped), ``offset_gap`` (the ``f_hat - f`` used) and, for
AM-MGD/AM-MSGD, ``effective_momentum = (β+λ)/(1+λ)``, the weight of ``d_t`` in ``d_{t+1}``.
"""

from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np

from .._checks import check_choice, check_nonnegative, check_positive, check_range, check_unit_interval
from ..backend import namespace
from ..model import two_plane
from .adamw import check_betas
from .base import UNIT_INTERVAL, Optimizer, Range, check_lr, make_state, register

__all__ = ["am_mgd", "am_msgd", "am_adamw", "adamw_preconditioner"]

#: the memory-plane offsets (module docstring) and the variants of Sec. 4.5
OFFSETS = {"previous", "bundle", "distance"}
VARIANTS = {"am", "clip", "reset"}
#: the entries of ``state.info`` recorded besides lr and beta
COLUMNS = ("beta_am", "beta_raw", "effective_momentum", "offset_gap")
ADAMW_COLUMNS = ("beta_am", "beta_raw", "offset_gap")

Hyper = Union[float, np.ndarray]
Schedule = Union[Hyper, Callable[[int], Any]]


def _check_variant(variant, beta_min, theta, high, low, beta_max) -> None:
    check_choice("variant", variant, VARIANTS)
    if variant == "clip":
        if beta_min is None:
            raise ValueError("variant='clip' needs beta_min in [0, beta_max]")
        check_unit_interval("beta_min", beta_min, high_closed=True)
        bmax = beta_max(0) if callable(beta_max) else beta_max
        if np.any(np.asarray(beta_min) > np.asarray(bmax)):
            raise ValueError(f"beta_min must be <= beta_max, got beta_min={beta_min!r} > "
                             f"beta_max={bmax!r}")
    elif beta_min is not None:
        raise ValueError("beta_min is only used with variant='clip'")
    if variant == "reset":
        if theta is None:
            raise ValueError("variant='reset' needs theta in [0, 1] (0.7 in the paper)")
        check_range("theta", theta, 0.0, 1.0)
        check_unit_interval("high", high, high_closed=True)
        check_unit_interval("low", low, high_closed=True)
    elif theta is not None:
        raise ValueError("theta is only used with variant='reset'")


def _apply_variant(beta_am, h, variant):
    xp = namespace(beta_am)
    if variant == "clip":
        return xp.maximum(beta_am, h.row("beta_min"))
    if variant == "reset":
        return xp.where(beta_am >= h.row("theta"), h.row("high") + 0.0 * beta_am,
                        h.row("low") + 0.0 * beta_am)
    return beta_am


def _am(name, lr, lam, beta_max, offset, variant, beta_min, theta, high, low, first_order):
    check_lr(lr)
    check_nonnegative("lam", lam)
    if callable(beta_max):
        check_unit_interval("beta_max (the schedule's value at step 0)", beta_max(0), high_closed=True)
    else:
        check_unit_interval("beta_max", beta_max, high_closed=True)
    check_choice("offset", offset, OFFSETS)
    _check_variant(variant, beta_min, theta, high, low, beta_max)
    hyper = {"lr": lr, "lam": lam, "beta_max": beta_max, "offset": offset, "variant": variant,
             "beta_min": beta_min, "theta": theta, "high": high, "low": low}
    needs_loss = (offset == "previous" and not first_order) or offset == "bundle"
    needs = frozenset({"loss"} if needs_loss else set()) | frozenset({"x_star"} if offset == "distance" else set())

    def init(x0):
        return make_state(x0, {k: v for k, v in hyper.items() if k not in ("offset", "variant")},
                          {"d": None, "f_prev": None, "fhat_next": None, "lr_prev": None},
                          ranges={"beta_max": UNIT_INTERVAL})

    def update(state, grad, *, loss=None, x_star=None):
        if needs_loss and loss is None:
            raise TypeError(f"{name} with offset={offset!r} needs the loss: update(state, grad, loss=f(x))")
        if offset == "distance" and x_star is None:
            raise TypeError(f"{name} with offset='distance' needs x_star: update(state, grad, x_star=...)")
        xp = namespace(grad)
        h, t, buf = state.hyper, state.step, state.buffers
        lr_row, lr_col = h.row_at("lr", t), h.col_at("lr", t)
        lam_row, lam_col = h.row("lam"), h.col("lam")
        bmax = h.row_at("beta_max", t)  # β_max,t: a schedule's value is checked in [0, 1] (base.Range)
        x = state.x
        d = grad if t == 0 else buf["d"]  # Algorithm 1 line 1: d_0 = g_0
        if t == 0:
            gap = 0.0  # irrelevant: d = g makes β immaterial
        elif offset == "distance":
            gap = xp.vecdot(x - x_star, d - grad, axis=-1)
        elif offset == "bundle":
            gap = buf["fhat_next"] - loss
        elif first_order:
            gap = two_plane.first_order_gap(grad, d, buf["lr_prev"])
        else:
            gap = buf["f_prev"] - loss
        beta_raw, _ = two_plane.beta_star_from_gap(gap, grad, d, lr_row, lam_row)
        beta_am = two_plane.clip_beta(beta_raw, bmax)
        beta = _apply_variant(beta_am, h, variant)
        d_new = two_plane.direction(beta, grad, d, lam_col)
        x_new = two_plane.step(x, d_new, lr_col)
        new_buf = {"d": d_new, "lr_prev": lr_row}
        if needs_loss:
            new_buf["f_prev"] = loss
        if offset == "bundle":
            # f_t^m(x_{t+1}) with x_{t+1} - x_t = -η d_{t+1}
            fhat = loss + gap
            new_buf["fhat_next"] = xp.maximum(loss - lr_row * xp.vecdot(grad, d_new, axis=-1),
                                              fhat - lr_row * xp.vecdot(d, d_new, axis=-1))
        info = {"lr": lr_row, "beta": beta, "beta_am": beta_am, "beta_raw": beta_raw,
                "effective_momentum": (beta + lam_row) / (1.0 + lam_row), "offset_gap": gap,
                "lam": lam_row, "beta_max": bmax}
        return state.replace(x=x_new, step=t + 1, buffers=new_buf, info=info)

    return Optimizer(name, hyper, init, update, needs=needs, columns=COLUMNS)


@register("am_mgd")
def am_mgd(lr: Schedule = 0.5, lam: Hyper = 0.0, beta_max: Schedule = 1.0, offset: str = "previous",
           variant: str = "am", beta_min: Hyper | None = None, theta: Hyper | None = None,
           high: Hyper = 0.9, low: Hyper = 0.1) -> Optimizer:
    """AM-MGD: momentum whose coefficient β_t solves the two-plane model (Algorithm 1, left column).

    Each step builds the model of Eq. 8 from the gradient plane at ``x_t`` and the memory
    plane of slope ``d_t = (x_{t-1} - x_t)/η``, takes its proximal step (Eq. 9) in closed
    form and writes it as momentum::

        β_t = clip_[0, β_max]( [(1+λ)(f_hat(x_t) - f(x_t))/η - ⟨d_t - g_t, g_t + λ d_t⟩]
                               / ‖d_t - g_t‖² )                                   (Eq. 12)
        d_{t+1} = ((β_t + λ) d_t + (1 - β_t) g_t)/(1 + λ),  x_{t+1} = x_t - η d_{t+1}  (Eq. 13)

    with ``f_hat(x_t) = f(x_{t-1})`` (Sec. 3.2) and ``d_0 = g_0`` (Algorithm 1 line 1), so
    the first step is a gradient step. ``update`` needs the loss:
    ``update(state, g, loss=f)``.

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.5
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). The paper's convex step sizes are in
        its supplement, which is not available here; 0.5 is amtoolkit's default.
    lam : float or ndarray of shape (K,), default 0.0
        λ ≥ 0, the proximal pull towards the previous direction (Eq. 9); 0 as in the
        convex runs of Sec. 4.1 (Figure 3's caption).
    beta_max : float, ndarray of shape (K,) or callable, default 1.0
        Upper clip of β, in [0, 1] (Algorithm 1 line 6): a float, one value per
        configuration, or a schedule ``beta_max(t)`` (β_max,t; Theorem 3.3 takes 1/T,
        Theorem 3.4 cη) whose value is checked at every step. The default 1 is the left
        column of line 6 and the Clip_[0,1] of Eq. 12.
    offset : {"previous", "bundle", "distance"}, default "previous"
        The memory plane's offset ``f_hat(x_t) - f(x_t)`` in Eq. 12:

        * ``"previous"``: ``f_hat(x_t) = f(x_{t-1})``, the overestimate of Sec. 3.2
          (Algorithm 1 line 4).
        * ``"bundle"``: the classical aggregate ``f_hat(x_{t+1}) = f_t^m(x_{t+1})``
          (Eq. 8's model at the new point, at most ``f(x_t)``), the bundle-method choice
          that Sec. 3.2 sets aside in favour of the overestimate; needs the loss.
        * ``"distance"``: ``f_hat - f = ⟨x_t - x*, d_t - g_t⟩``, which makes β* the
          coefficient minimising ``‖x_{t+1} - x*‖²`` (an amtoolkit diagnostic for problems
          with a known minimiser; ``update`` then needs ``x_star``).
    variant : {"am", "clip", "reset"}, default "am"
        ``"am"``: Algorithm 1. The two policies of Sec. 4.5: ``"clip"``:
        ``β = max(β_AM, beta_min)``; ``"reset"``: ``β = high`` where ``β_AM ≥ theta``, else
        ``low``.
    beta_min : float, ndarray of shape (K,) or None, default None
        Lower bound of the ``"clip"`` variant, in [0, beta_max] (required by it, refused by
        the others). With a ``beta_max`` schedule this is checked at t = 0 only; β_min wins
        where a later β_max,t is lower.
    theta : float, ndarray of shape (K,) or None, default None
        Threshold θ in [0, 1] of the ``"reset"`` variant (required by it, refused by the
        others; 0.7 in Sec. 4.5's Figure 6).
    high, low : float or ndarray of shape (K,), default 0.9 and 0.1
        The two values in [0, 1] of the ``"reset"`` variant (0.9 and 0.1 in Sec. 4.5).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad, *, loss=None, x_star=None)``; ``needs``
        names the keywords this configuration requires. ``state.info`` records, per run,
        ``beta`` (the β used), ``beta_am`` (the clipped closed form before the variant),
        ``beta_raw`` (unclipped), ``offset_gap`` (the ``f_hat - f`` used) and
        ``effective_momentum = (β+λ)/(1+λ)``, the weight of ``d_t`` in ``d_{t+1}``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 (or a malformed ``"c/L"``), ``lam`` is negative, ``beta_max``
        (a schedule's value at step 0) is outside [0, 1], ``offset`` or ``variant`` is not
        one of its choices, or the variant's parameters are missing, out of [0, 1], given to
        another variant, or ``beta_min > beta_max``.
    TypeError
        If a hyperparameter is not a real number or an array of them. ``update`` raises it
        when the loss (``offset="previous"`` or ``"bundle"``) or ``x_star``
        (``offset="distance"``) is not passed.

    See Also
    --------
    am_msgd : The stochastic column of Algorithm 1.
    amtoolkit.model.beta_star : Eq. 12 on its own, with input checks.
    amtoolkit.validate.validate_history : The steps of a run checked against a QP solver.

    Notes
    -----
    With the defaults (``lam = 0``, ``beta_max = 1``, ``offset = "previous"``) this is
    Algorithm 1 lines 1-4 and 6-8 as printed for AM-MGD, β clipped to [0, 1]. Sec. 4.1
    states λ = 0 (Figure 3) but not β_max; Sec. 4.2 runs AM-MGD with β_max = 0.9 and
    λ = 0.1. β = 1 with λ = 0 keeps ``d_{t+1} = d_t``.

    Readings where the paper is silent or ambiguous:

    * Algorithm 1 starts its loop at t = 1 without defining ``x_1``; the first step here is
      ``x_1 = x_0 - η d_0`` with ``d_0 = g_0`` (line 7 gives ``d_1 = g_0`` for any β).
    * Where ``d_t = g_t`` Eq. 12 divides by zero; every β gives the same step (Eq. 13), and β = 0
      is recorded [choice].
    * With a step-size schedule the memory plane's slope is ``(x_{t-1} - x_t)/η_{t-1}``,
      the direction actually taken, and Eq. 12 is evaluated with the current η_t.

    On a convex f with λ = 0, a constant η and this offset, convexity makes the numerator
    of Eq. 12 at least ``‖g_t‖²``, so the lower clip is reached only on non-convex
    problems, with a schedule, or when rounding dominates ``f(x_{t-1}) - f(x_t)``
    (docs/guide/errata.md, Readings).

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 8-9 (model), Eq. 12
    (β*), Eq. 13 (update), Algorithm 1 lines 1-8, Sec. 3.4 (stochastic column), Sec. 4.5
    (variants).

    Examples
    --------
    Two steps on ``f(x) = ½(x_1² + 4x_2²)``; the second β is Eq. 12 written by hand
    (λ = 0, ``d_1 = g_0``, ``f_hat(x_1) = f(x_0)``):

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    >>> opt = amt.optimizers.am_mgd(lr=0.2)
    >>> sorted(opt.needs)
    ['loss']
    >>> state = opt.init(np.ones(2))
    >>> f0, g0 = q.value_and_grad(state.x)
    >>> state = opt.update(state, g0, loss=f0)  # d_0 = g_0: a gradient step
    >>> print(state.x)
    [0.8 0.2]
    >>> f1, g1 = q.value_and_grad(state.x)
    >>> hand = ((f0 - f1) / 0.2 - (g0 - g1) @ g1) / ((g0 - g1) @ (g0 - g1))
    >>> state = opt.update(state, g1, loss=f1)
    >>> print(round(float(state.info["beta"]), 6), round(float(hand), 6))
    0.756809 0.756809
    """
    return _am("am_mgd", lr, lam, beta_max, offset, variant, beta_min, theta, high, low, first_order=False)


@register("am_msgd")
def am_msgd(lr: Schedule = 0.1, lam: Hyper = 0.1, beta_max: Schedule = 0.9, offset: str = "previous",
            variant: str = "am", beta_min: Hyper | None = None, theta: Hyper | None = None,
            high: Hyper = 0.9, low: Hyper = 0.1) -> Optimizer:
    """AM-MSGD: Algorithm 1's stochastic column, with a first-order offset and β clipped to [0, β_max].

    The loss difference of Eq. 12 is replaced by its first-order estimate
    ``f_hat - f ≈ g_tᵀ(x_{t-1} - x_t) = η_{t-1} g_tᵀ d_t`` (Sec. 3.4, Algorithm 1 line 5),
    so Eq. 12 reads ``β* = [(1+λ)(η_{t-1}/η_t) g_tᵀd_t - ⟨d_t - g_t, g_t + λ d_t⟩]/‖d_t - g_t‖²``,
    which for a constant η is ``(1+λ)‖g_t‖²/‖d_t - g_t‖² - λ``. No second loss evaluation is
    needed. β is clipped to [0, β_max,t] (line 6, right column), then Eq. 13 as in
    :func:`am_mgd`.

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). 0.1 is amtoolkit's default (the
        paper's step sizes are in its supplement).
    lam : float or ndarray of shape (K,), default 0.1
        λ ≥ 0 (Eq. 9); 0.1 as in the paper's deep-learning runs (Sec. 4.2 and the λ
        ablation of Sec. 4.6).
    beta_max : float, ndarray of shape (K,) or callable, default 0.9
        Upper clip of β, in [0, 1] (Algorithm 1 line 6, right column, asks β_max < 1; 0.9
        in the experiments of Sec. 4, as Sec. 3.4 says): a float, one value per
        configuration, or a schedule ``beta_max(t)`` (β_max,t; Theorem 3.3 takes 1/T,
        Theorem 3.4 cη) whose value is checked at every step.
    offset : {"previous", "bundle", "distance"}, default "previous"
        The memory plane's offset ``f_hat(x_t) - f(x_t)`` in Eq. 12:

        * ``"previous"``: AM-MSGD uses its first-order estimate ``η_{t-1} g_tᵀd_t``
          (line 5) and needs no loss.
        * ``"bundle"``: the classical aggregate ``f_hat(x_{t+1}) = f_t^m(x_{t+1})``
          (Eq. 8's model at the new point, at most ``f(x_t)``), the bundle-method choice
          that Sec. 3.2 sets aside in favour of the overestimate; needs the loss.
        * ``"distance"``: ``f_hat - f = ⟨x_t - x*, d_t - g_t⟩``, which makes β* the
          coefficient minimising ``‖x_{t+1} - x*‖²`` (an amtoolkit diagnostic for problems
          with a known minimiser; ``update`` then needs ``x_star``).
    variant : {"am", "clip", "reset"}, default "am"
        ``"am"``: Algorithm 1. The two policies of Sec. 4.5: ``"clip"``:
        ``β = max(β_AM, beta_min)``; ``"reset"``: ``β = high`` where ``β_AM ≥ theta``, else
        ``low``.
    beta_min : float, ndarray of shape (K,) or None, default None
        Lower bound of the ``"clip"`` variant, in [0, beta_max] (required by it, refused by
        the others). With a ``beta_max`` schedule this is checked at t = 0 only; β_min wins
        where a later β_max,t is lower.
    theta : float, ndarray of shape (K,) or None, default None
        Threshold θ in [0, 1] of the ``"reset"`` variant (required by it, refused by the
        others; 0.7 in Sec. 4.5's Figure 6).
    high, low : float or ndarray of shape (K,), default 0.9 and 0.1
        The two values in [0, 1] of the ``"reset"`` variant (0.9 and 0.1 in Sec. 4.5).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad, *, loss=None, x_star=None)``; ``needs``
        names the keywords this configuration requires. ``state.info`` records, per run,
        ``beta`` (the β used), ``beta_am`` (the clipped closed form before the variant),
        ``beta_raw`` (unclipped), ``offset_gap`` (the ``f_hat - f`` used) and
        ``effective_momentum = (β+λ)/(1+λ)``, the weight of ``d_t`` in ``d_{t+1}``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 (or a malformed ``"c/L"``), ``lam`` is negative, ``beta_max``
        (a schedule's value at step 0) is outside [0, 1], ``offset`` or ``variant`` is not
        one of its choices, or the variant's parameters are missing, out of [0, 1], given to
        another variant, or ``beta_min > beta_max``.
    TypeError
        If a hyperparameter is not a real number or an array of them. ``update`` raises it
        when the loss (``offset="previous"`` or ``"bundle"``) or ``x_star``
        (``offset="distance"``) is not passed.

    See Also
    --------
    am_mgd : The deterministic column, with ``f_hat(x_t) = f(x_{t-1})``.
    amtoolkit.theory.am_theorem_3_3 : The convex guarantee of this method.
    amtoolkit.theory.am_theorem_3_4 : The non-convex guarantee, as printed and corrected.

    Notes
    -----
    Sec. 3.4 writes the estimate for a fixed η; with a schedule the ratio
    ``η_{t-1}/η_t`` above comes from ``x_{t-1} - x_t = η_{t-1} d_t`` [reading]. Where
    ``d_t = g_t`` Eq. 12 divides by zero and β = 0 is recorded [choice]; the first step
    (``d_0 = g_0``) is a gradient step.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 8-9 (model), Eq. 12
    (β*), Eq. 13 (update), Algorithm 1 lines 1-8, Sec. 3.4 (stochastic column), Sec. 4.5
    (variants).

    Examples
    --------
    The second β against ``(1+λ)‖g‖²/‖d - g‖² - λ`` (constant η), then clipped to β_max:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    >>> opt = amt.optimizers.am_msgd(lr=0.1, lam=0.1, beta_max=0.9)
    >>> sorted(opt.needs)
    []
    >>> state = opt.update(opt.init(np.ones(2)), q.grad(np.ones(2)))
    >>> g, d = q.grad(state.x), state.buffers["d"]
    >>> state = opt.update(state, g)
    >>> hand = 1.1 * (g @ g) / ((d - g) @ (d - g)) - 0.1
    >>> print(round(float(state.info["beta_raw"]), 6), round(float(hand), 6), state.info["beta"])
    2.712062 2.712062 0.9
    """
    return _am("am_msgd", lr, lam, beta_max, offset, variant, beta_min, theta, high, low, first_order=True)


def _precond(h, v, k):
    """P of Sec. 3.3 after k >= 1 second-moment updates (β_1: the fixed beta, or β_max at the
    step k - 1 that made the k-th update; a ``beta_max`` schedule is evaluated there)."""
    b1 = h.col_at("beta_max", k - 1) if h.row("beta") is None else h.col("beta")
    b2 = h.col("beta2")
    return (1.0 - b1 ** k) * (namespace(v).sqrt(v / (1.0 - b2 ** k)) + h.col("eps"))


def adamw_preconditioner(state):
    """The diagonal P_t (Sec. 3.3) that ``am_adamw`` used in the update that returned ``state``.

    ``P_t = (1 - β_1^t)(eps + sqrt(v_t/(1 - β2^t)))``, recomputed from the stored second
    moment ``v_t`` and the step count (P is not kept in the state); β_1 is ``beta_max`` (a
    schedule's value at the step of that update, ``state.step - 1``), or the fixed ``beta``
    when one was given.

    Parameters
    ----------
    state : OptState
        A state returned by an :func:`am_adamw` optimizer's ``update`` (step ≥ 1).

    Returns
    -------
    ndarray
        P_t, with the shape, namespace and dtype of ``state.x``.

    Raises
    ------
    ValueError
        If ``state`` has no second moment ``v`` in its buffers (it is not an ``am_adamw``
        state) or has not been updated yet.

    References
    ----------
    arXiv:2510.04988 (AM paper), Sec. 3.3: the Adam preconditioner of AM-AdamW.

    Examples
    --------
    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> opt = amt.optimizers.am_adamw(lr=0.01, beta_max=0.9, beta2=0.999, eps=1e-8)
    >>> state = opt.update(opt.init(np.ones(2)), np.array([1.0, 4.0]))
    >>> P = amt.optimizers.adaptive_memory.adamw_preconditioner(state)
    >>> v = 0.001 * np.array([1.0, 16.0])
    >>> bool(np.allclose(P, 0.1 * (1e-8 + np.sqrt(v / 0.001))))
    True
    """
    buffers = getattr(state, "buffers", None)
    if not isinstance(buffers, dict) or "v" not in buffers or getattr(state, "step", 0) < 1:
        raise ValueError("state must be an am_adamw state after at least one update (it holds the "
                         f"second moment v), got {type(state).__name__} with buffers "
                         f"{sorted(buffers) if isinstance(buffers, dict) else buffers!r}")
    return _precond(state.hyper, buffers["v"], state.step)




@register("am_adamw")
def am_adamw(lr: Schedule = 1e-3, beta_max: Schedule = 0.9, beta2: float = 0.999, eps: float = 1e-8,
             weight_decay: Hyper = 1e-2, lam: Hyper = 0.1, offset: str = "first_order",
             beta: Hyper | None = None, variant: str = "am", beta_min: Hyper | None = None,
             theta: Hyper | None = None, high: Hyper = 0.9, low: Hyper = 0.1) -> Optimizer:
    """AM-AdamW: Adam's preconditioner and decoupled weight decay, with β_t from Eq. 14's closed form.

    With ``t`` the 1-based step, ``v_t = β2 v_{t-1} + (1-β2) g_t²`` and
    ``P_t = (1 - β_1^t) diag(eps + sqrt(v_t/(1-β2^t)))`` (Sec. 3.3), one step is (Eq. 14)::

        d_{t+1} = (λP_t + I)⁻¹((β_t I + λP_t) d_t + (1-β_t) g_t)
        x_{t+1} = (x_t - η P_t⁻¹ d_{t+1})/(1 + μη)

    with μ = ``weight_decay`` and β_t the maximiser of the dual of Eq. 14, clipped to
    [0, beta_max] (Algorithm 1 line 6)::

        β_t = [-μ⟨x_t, d_t - g_t⟩ + (1+μη)(f_hat - f)/η - ⟨d_t - g_t, g_t + λP_t d_t⟩_P̃⁻¹]
              / ‖d_t - g_t‖²_P̃⁻¹,        P̃ = (I + λP_t) P_t.

    The sign of the μ-term is the one the QP solver confirms (docs/guide/errata.md, entry 1;
    Sec. 3.3 prints ``+μ``).

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 1e-3
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). 1e-3 is ``torch.optim.AdamW``'s
        default.
    beta_max : float, ndarray of shape (K,) or callable, default 0.9
        Upper clip of β and Adam's β_1 in P_t, in [0, 1) (Algorithm 1 line 6; 0.9 in
        Sec. 4.2), or a schedule ``beta_max(t)`` of the step count t = 0, 1, ... (β_max,t,
        each value checked in [0, 1)); it also sets the bias factor of P_t (Notes).
    beta2 : float or ndarray of shape (K,), default 0.999
        Adam's second-moment decay β2 in [0, 1) (PyTorch's default).
    eps : float or ndarray of shape (K,), default 1e-8
        Adam's ε > 0 inside P_t (PyTorch's default).
    weight_decay : float or ndarray of shape (K,), default 1e-2
        Decoupled weight decay μ ≥ 0 (Eq. 14; PyTorch's AdamW default).
    lam : float or ndarray of shape (K,), default 0.1
        λ ≥ 0 (Eq. 14; 0.1 in the paper's experiments, Sec. 4.2).
    offset : {"first_order", "previous"}, default "first_order"
        ``"first_order"``: ``f_hat - f ≈ g_tᵀ(x_{t-1} - x_t) = η_{t-1} g_tᵀ(P_{t-1}⁻¹ d_t + μ x_t)``
        (Sec. 3.4 applied to Eq. 14), with the preconditioner ``P_{t-1}`` of the previous
        step (recomputed from the stored ``v_{t-1}``: no extra state); ``"previous"``:
        ``f_hat(x_t) = f(x_{t-1})`` (``update`` then needs the loss).
    beta : float, ndarray of shape (K,) or None, default None
        A fixed coefficient in [0, 1) instead of Eq. 14's β_t; with ``lam = 0`` and
        ``weight_decay = 0`` this is exactly :func:`adamw`.
    variant : {"am", "clip", "reset"}, default "am"
        As for :func:`am_mgd` (Sec. 4.5's AM-AdamW (Clip) and (Restart) rows); only with
        the adaptive β (``beta=None``).
    beta_min : float, ndarray of shape (K,) or None, default None
        Lower bound of the ``"clip"`` variant, in [0, beta_max].
    theta : float, ndarray of shape (K,) or None, default None
        Threshold θ in [0, 1] of the ``"reset"`` variant (0.7 in Sec. 4.5's Figure 6).
    high, low : float or ndarray of shape (K,), default 0.9 and 0.1
        The two values of the ``"reset"`` variant (0.9 and 0.1 in Sec. 4.5).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad, *, loss=None)``. ``state.info`` records
        ``beta``, ``beta_am``, ``beta_raw`` and ``offset_gap`` (NaN with a fixed ``beta``)
        and ``mu``. The weight of ``d_t`` in ``d_{t+1}`` is the vector
        ``(β+λP_i)/(1+λP_i)``, so no scalar ``effective_momentum`` is recorded.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0, ``beta_max`` or ``beta2`` is outside [0, 1), ``eps`` is not
        > 0, ``weight_decay`` or ``lam`` is negative, ``offset`` is not one of its choices,
        ``beta`` is outside [0, 1), a variant other than ``"am"`` comes with a fixed
        ``beta``, or the variant's parameters are missing, out of range or misplaced (as
        for :func:`am_mgd`).
    TypeError
        If a hyperparameter is not a real number, an array of them or (``lr``,
        ``beta_max``) a schedule. ``update`` raises it when ``offset="previous"`` and no
        loss is passed.

    See Also
    --------
    adamw : ``torch.optim.AdamW``, the fixed-β method this one adapts.
    adamw_preconditioner : The P_t of the last update, recomputed from a state.

    Notes
    -----
    Sec. 3.3 writes β_1 in P_t without defining it for AM-AdamW [reading]: it is taken as
    ``beta_max`` (the fixed ``beta`` when one is given), so that a run with β_t = β_max at
    every step is AdamW.

    With a ``beta_max`` schedule [reading]: the update at step t (0-based, the (t+1)-th)
    clips β_t to β_max,t and uses the bias factor ``1 - β_max,t^(t+1)`` in P_t, and the
    first-order offset's P_(t-1) is the preconditioner of the previous step, with
    ``1 - β_max,(t-1)^t``. The paper fixes β_max per run (Theorems 3.3 and 3.4 tie it to
    the horizon, 1/T and cη) and has no schedule for AM-AdamW; this is the choice that keeps
    P_(t-1) the P that made the step from x_(t-1), so the offset stays ``gᵀ(x_(t-1) - x_t)``.

    ``d_0 = 0`` (Adam's first moment). At the first step there is no previous point: the
    offset is 0, and Eq. 14 with ``d_0 = 0`` gives
    ``β_0 = 1 + μ⟨x_0, g_0⟩/‖g_0‖²_P̃⁻¹`` (1 when μ = 0), clipped to ``beta_max``: Adam's
    first step whenever β_0 reaches β_max (μ = 0, or μ⟨x_0, g_0⟩ not too negative; a β_0
    clipped to 0 makes the first step up to 1/(1 - β_max) times Adam's).

    The bias factor is the printed ``1 - β_1^t``, not the running product of the β_t used:
    when β_t drops below β_max early on, P_t over-corrects the bias of d (steps up to
    ``1/(1 - β_max^t)`` times too long); the factor is within 1e-2 of 1 after
    ``log(0.01)/log(β_max)`` steps (44 for 0.9).

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Sec. 3.3 and Eq. 14
    (preconditioned model and update), Sec. 3.4 (first-order offset), Algorithm 1 line 6
    (clip), Sec. 4.5 (variants).

    I. Loshchilov and F. Hutter, Decoupled Weight Decay Regularization, ICLR 2019
    (arXiv:1711.05101).

    Examples
    --------
    With a fixed β, λ = 0 and no decay it is AdamW:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    >>> am = amt.optimizers.am_adamw(lr=0.01, beta=0.9, lam=0.0, weight_decay=0.0)
    >>> adam = amt.optimizers.adamw(lr=0.01, weight_decay=0.0)
    >>> sa, sb = am.init(np.ones(2)), adam.init(np.ones(2))
    >>> for _ in range(5):
    ...     sa, sb = am.update(sa, q.grad(sa.x)), adam.update(sb, q.grad(sb.x))
    >>> bool(np.allclose(sa.x, sb.x, rtol=1e-12, atol=0))
    True
    """
    check_lr(lr)
    if callable(beta_max):
        check_unit_interval("beta_max (the schedule's value at step 0)", beta_max(0))
        check_betas((0.0, beta2))
    else:
        check_betas((beta_max, beta2))
    check_positive("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("lam", lam)
    check_choice("offset", offset, {"first_order", "previous"})
    fixed = beta is not None
    if fixed:
        check_unit_interval("beta", beta)
        if variant != "am":
            raise ValueError(f"variant={variant!r} needs the adaptive β (beta=None)")
    _check_variant(variant, beta_min, theta, high, low, beta_max)
    hyper = {"lr": lr, "beta_max": beta_max, "beta2": beta2, "eps": eps, "weight_decay": weight_decay,
             "lam": lam, "offset": offset, "beta": beta, "variant": variant, "beta_min": beta_min,
             "theta": theta, "high": high, "low": low}
    needs = frozenset({"loss"}) if offset == "previous" else frozenset()

    def init(x0):
        zeros = namespace(x0).zeros_like(x0)
        return make_state(x0, {k: v for k, v in hyper.items() if k not in ("offset", "variant")},
                          {"d": zeros, "v": zeros, "f_prev": None, "lr_prev": None},
                          ranges={"beta_max": Range(0.0, 1.0, high_closed=False)})

    def update(state, grad, *, loss=None):
        if offset == "previous" and loss is None:
            raise TypeError("am_adamw with offset='previous' needs the loss: update(state, grad, loss=f(x))")
        h, t, buf = state.hyper, state.step, state.buffers
        lr_row, lr_col = h.row_at("lr", t), h.col_at("lr", t)
        lam_row, lam_col = h.row("lam"), h.col("lam")
        mu_row, mu_col = h.row("weight_decay"), h.col("weight_decay")
        b2 = h.col("beta2")
        x, d = state.x, buf["d"]
        v = b2 * buf["v"] + (1.0 - b2) * (grad * grad)
        P = _precond(h, v, t + 1)
        if fixed:
            beta_used = h.row("beta")
            beta_raw = beta_am = gap = float("nan")
        else:
            if t == 0:
                gap = 0.0  # no x_{-1}; with d_0 = 0 the first-order offset is 0 as well
            elif offset == "previous":
                gap = buf["f_prev"] - loss
            else:  # g_tᵀ(x_{t-1} - x_t) with the P_{t-1} that made the step from x_{t-1}
                gap = two_plane.first_order_gap(grad, d, buf["lr_prev"], _precond(h, buf["v"], t), mu_col, x)
            beta_raw, _ = two_plane.beta_star_from_gap(gap, grad, d, lr_row, lam_col, P, mu_row, x)
            beta_am = two_plane.clip_beta(beta_raw, h.row_at("beta_max", t))
            beta_used = _apply_variant(beta_am, h, variant)
        d_new = two_plane.direction(beta_used, grad, d, lam_col, P)
        x_new = two_plane.step(x, d_new, lr_col, P, mu_col)
        new_buf = {"d": d_new, "v": v, "lr_prev": lr_row, "f_prev": loss}
        info = {"lr": lr_row, "beta": beta_used, "beta_am": beta_am, "beta_raw": beta_raw,
                "offset_gap": gap, "lam": lam_row, "beta_max": h.row_at("beta_max", t), "mu": mu_row}
        return state.replace(x=x_new, step=t + 1, buffers=new_buf, info=info)

    return Optimizer("am_adamw", hyper, init, update, needs=needs, columns=ADAMW_COLUMNS)
