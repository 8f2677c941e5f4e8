"""Adaptive Memory momentum (arXiv:2510.04988): AM-MGD, AM-MSGD and AM-AdamW.

Each step solves the two-plane proximal model (Eq. 8-9) in closed form
(:mod:`amtoolkit.model.two_plane`): β_t = clip(β*, 0, β_max) from Eq. 12 (Eq. 14 for
AM-AdamW), then ``d_{t+1} = ((β+λ) d_t + (1-β) g_t)/(1+λ)`` and ``x_{t+1} = x_t - η d_{t+1}``
(Eq. 13). Algorithm 1 starts with ``d_0 = g_0``, so the first step is a gradient step.

The memory-plane offset ``f_hat(x_t) - f(x_t)`` is chosen by ``offset``:

* ``"previous"``: ``f_hat(x_t) = f(x_{t-1})`` (the paper's overestimation; AM-MGD). AM-MSGD
  uses its first-order estimate ``η_{t-1} g_tᵀ d_t`` and needs no second loss value.
* ``"bundle"``: the classical aggregate ``f_hat(x_{t+1}) = f_t^m(x_{t+1}) ≤ f(x_t)``.
* ``"distance"``: ``f_hat = f + ⟨x_t - x*, d_t - g_t⟩`` for problems with a known x*, which
  makes β* the coefficient minimising ``‖x_{t+1} - x*‖²``.

Variants (Sec. 4.5): ``"clip"``: ``β = max(β_AM, β_min)``; ``"reset"``: ``β = high`` if
``β_AM ≥ θ`` else ``low`` (0.9 / 0.1, θ = 0.7 in the paper).

Recorded per step: ``beta`` (used), ``beta_am`` (the clipped closed form before the
variant), ``beta_raw`` (unclipped), ``effective_momentum = (β+λ)/(1+λ)`` and ``offset_gap``
(the ``f_hat - f`` used).
"""

from __future__ import annotations

import numpy as np

from .._checks import check_choice, check_nonnegative, check_positive, check_range, check_unit_interval
from ..backend import as_column, namespace
from ..model import two_plane
from .adamw import check_betas
from .base import Optimizer, check_lr, make_state, register

__all__ = ["am_mgd", "am_msgd", "am_adamw"]

OFFSETS = {"previous", "bundle", "distance"}
VARIANTS = {"am", "clip", "reset"}
COLUMNS = ("beta_am", "beta_raw", "effective_momentum", "offset_gap")


def _check_common(lr, lam, beta_max, offset, variant, beta_min, theta, high, low):
    check_lr(lr)
    check_nonnegative("lam", lam)
    check_unit_interval("beta_max", beta_max)
    check_choice("offset", offset, OFFSETS)
    check_choice("variant", variant, VARIANTS)
    if variant == "clip":
        if beta_min is None:
            raise ValueError("variant='clip' needs beta_min in [0, beta_max]")
        check_unit_interval("beta_min", beta_min)
        if np.any(np.asarray(beta_min) > np.asarray(beta_max)):
            raise ValueError(f"beta_min must be <= beta_max, got beta_min={beta_min!r} > "
                             f"beta_max={beta_max!r}")
    elif beta_min is not None:
        raise ValueError("beta_min is only used with variant='clip'")
    if variant == "reset":
        if theta is None:
            raise ValueError("variant='reset' needs theta in [0, 1] (0.7 in the paper)")
        check_range("theta", theta, 0.0, 1.0)
        check_unit_interval("high", high)
        check_unit_interval("low", low)
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
    _check_common(lr, lam, beta_max, offset, variant, beta_min, theta, high, low)
    hyper = {"lr": lr, "lam": lam, "beta_max": beta_max, "offset": offset, "variant": variant,
             "beta_min": beta_min, "theta": theta, "high": high, "low": low}
    needs_loss = (offset == "previous" and not first_order) or offset == "bundle"
    needs = frozenset({"loss"} if needs_loss else set()) | frozenset({"x_star"} if offset == "distance" else set())

    def init(x0):
        return make_state(x0, {k: v for k, v in hyper.items() if k not in ("offset", "variant")},
                          {"d": None, "f_prev": None, "fhat_next": None, "lr_prev": None})

    def update(state, grad, *, loss=None, x_star=None):
        if needs_loss and loss is None:
            raise TypeError(f"{name} with offset={offset!r} needs the loss: update(state, grad, loss=f(x))")
        if offset == "distance" and x_star is None:
            raise TypeError(f"{name} with offset='distance' needs x_star: update(state, grad, x_star=...)")
        xp = namespace(grad)
        h, t, buf = state.hyper, state.step, state.buffers
        lr_row, lr_col = h.row_at("lr", t), h.col_at("lr", t)
        lam_row, lam_col = h.row("lam"), h.col("lam")
        x = state.x
        d = grad if t == 0 else buf["d"]  # Algorithm 1: d_0 = g_0
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
        beta_am = two_plane.clip_beta(beta_raw, h.row("beta_max"))
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
                "lam": lam_row, "beta_max": h.row("beta_max")}
        return state.replace(x=x_new, step=t + 1, buffers=new_buf, info=info)

    return Optimizer(name, hyper, init, update, needs=needs, columns=COLUMNS)


@register("am_mgd")
def am_mgd(lr=0.5, lam=0.0, beta_max=0.9, offset="previous", variant="am", beta_min=None,
           theta=None, high=0.9, low=0.1) -> Optimizer:
    """AM-MGD (Algorithm 1, deterministic): β_t from Eq. 12 with ``f_hat(x_t) = f(x_{t-1})``.

    Defaults follow the paper's deterministic convex experiments (its Figure 3):
    ``lam = 0``, ``beta_max = 0.9``. ``update`` needs the loss: ``update(state, g, loss=f)``.
    """
    return _am("am_mgd", lr, lam, beta_max, offset, variant, beta_min, theta, high, low, first_order=False)


@register("am_msgd")
def am_msgd(lr=0.1, lam=0.1, beta_max=0.9, offset="previous", variant="am", beta_min=None,
            theta=None, high=0.9, low=0.1) -> Optimizer:
    """AM-MSGD (stochastic): ``f_hat - f ≈ η_{t-1} g_tᵀ d_t``, so Eq. 12 reads
    ``β* = [(1+λ)(η_{t-1}/η_t) gᵀd - ⟨d-g, g+λd⟩]/‖d-g‖²``, which for a constant η is
    ``(1+λ)‖g‖²/‖d-g‖² - λ``; no second loss evaluation is needed.

    Defaults follow the paper's stochastic experiments: ``lam = 0.1``, ``beta_max = 0.9``.
    """
    return _am("am_msgd", lr, lam, beta_max, offset, variant, beta_min, theta, high, low, first_order=True)


@register("am_adamw")
def am_adamw(lr=1e-3, beta_max=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, lam=0.1,
             offset="first_order", beta=None) -> Optimizer:
    """AM-AdamW (Sec. 3.3, Eq. 14): Adam's diagonal preconditioner
    ``P_t = (1 - Πβ) diag(eps + sqrt(v_t/(1-β2^t)))``, decoupled decay μ = ``weight_decay``,
    ``d_{t+1} = (λP + I)⁻¹((βI + λP) d_t + (1-β) g_t)``, ``x_{t+1} = (x_t - ηP⁻¹d_{t+1})/(1+μη)``.

    β_t comes from Eq. 14's closed form with the μ-term sign the QP solver confirms
    (``-μ⟨x_t, d_t - g_t⟩``, docs/errata.md). ``offset``: ``"first_order"``
    (``f_hat - f ≈ η_{t-1} gᵀ(P⁻¹d + μx)``, the default, no extra loss) or ``"previous"``
    (``f(x_{t-1})``, needs the loss). ``beta`` fixes the coefficient instead (with
    ``lam = 0`` and ``weight_decay = 0`` this is exactly ``adamw``).

    [choices] ``d_0 = 0`` (Adam's first moment) and β_0 = 0 in adaptive mode; the bias
    factor ``1 - Πβ`` is the running product of the β's used, with the current one taken
    as ``beta_max`` when P_t is formed (β_t is not known yet). Defaults: ``lam = 0.1``
    as in the paper's AdamW experiments.
    """
    check_lr(lr)
    check_unit_interval("beta_max", beta_max)
    check_betas((beta_max, beta2))
    check_positive("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_nonnegative("lam", lam)
    check_choice("offset", offset, {"first_order", "previous"})
    if beta is not None:
        check_unit_interval("beta", beta)
    hyper = {"lr": lr, "beta_max": beta_max, "beta2": beta2, "eps": eps, "weight_decay": weight_decay,
             "lam": lam, "offset": offset, "beta": beta}
    needs = frozenset({"loss"}) if offset == "previous" else frozenset()
    fixed = beta is not None

    def init(x0):
        xp = namespace(x0)
        zeros = xp.zeros_like(x0)
        ones = xp.ones(x0.shape[:-1], dtype=x0.dtype) if x0.ndim > 1 else 1.0
        return make_state(x0, {k: v for k, v in hyper.items() if k != "offset"},
                          {"d": zeros, "v": zeros, "prod": ones, "f_prev": None, "lr_prev": None})

    def update(state, grad, *, loss=None):
        if offset == "previous" and loss is None:
            raise TypeError("am_adamw with offset='previous' needs the loss: update(state, grad, loss=f(x))")
        xp = namespace(grad)
        h, t, buf = state.hyper, state.step, state.buffers
        lr_row, lr_col = h.row_at("lr", t), h.col_at("lr", t)
        lam_row, lam_col = h.row("lam"), h.col("lam")
        mu_row, mu_col = h.row("weight_decay"), h.col("weight_decay")
        b2 = h.col("beta2")
        x, d = state.x, buf["d"]
        v = b2 * buf["v"] + (1.0 - b2) * (grad * grad)
        # the current β enters the bias factor before it is known: beta_max bounds it [choice]
        current = h.row("beta") if fixed else (h.row("beta_max") if t > 0 else 0.0)
        bias1 = 1.0 - buf["prod"] * current
        P = as_column(bias1) * (xp.sqrt(v / (1.0 - b2 ** (t + 1))) + h.col("eps"))
        if fixed:
            beta_raw = beta_am = beta_used = h.row("beta")
            gap = 0.0
        else:
            if t == 0:
                gap = 0.0
            elif offset == "previous":
                gap = buf["f_prev"] - loss
            else:
                gap = two_plane.first_order_gap(grad, d, buf["lr_prev"], P, mu_col, x)
            beta_raw, _ = two_plane.beta_star_from_gap(gap, grad, d, lr_row, lam_col, P, mu_row, x)
            beta_am = two_plane.clip_beta(beta_raw, h.row("beta_max"))
            beta_used = beta_am if t > 0 else 0.0 * beta_am
        d_new = two_plane.direction(beta_used, grad, d, lam_col, P)
        x_new = two_plane.step(x, d_new, lr_col, P, mu_col)
        new_buf = {"d": d_new, "v": v, "prod": buf["prod"] * beta_used, "lr_prev": lr_row,
                   "f_prev": loss}
        info = {"lr": lr_row, "beta": beta_used, "beta_am": beta_am, "beta_raw": beta_raw,
                "effective_momentum": beta_used, "offset_gap": gap, "lam": lam_row, "beta_max": h.row("beta_max"),
                "mu": mu_row, "precond": P}
        return state.replace(x=x_new, step=t + 1, buffers=new_buf, info=info)

    return Optimizer("am_adamw", hyper, init, update, needs=needs, columns=COLUMNS)

