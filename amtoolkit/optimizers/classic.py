"""Baselines: gd, heavy-ball (AM paper Eq. 4), mgd (EMA momentum, Eq. 5), sgd (PyTorch)
and nag.

Notation: step size η (``lr``: a float, an array of shape (K,), a schedule of the step
count, or ``"c/L"``, i.e. c divided by the problem's smoothness constant, resolved when
the run starts), coefficient β, gradient ``g_t = ∇f(x_t)``.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_nonnegative, check_unit_interval
from ..backend import namespace
from .base import Optimizer, check_lr, make_state, register

__all__ = ["gd", "heavy_ball", "mgd", "sgd", "nag"]


@register("gd")
def gd(lr=0.1) -> Optimizer:
    """Gradient descent: ``x ← x - η g``.

    lr: step size η (float > 0, array of shape (K,), schedule, or ``"c/L"``).
    """
    check_lr(lr)

    def init(x0):
        return make_state(x0, {"lr": lr})

    def update(state, grad):
        h = state.hyper
        x = state.x - h.col_at("lr", state.step) * grad
        return state.replace(x=x, step=state.step + 1,
                             info={"lr": h.row_at("lr", state.step), "beta": float("nan")})

    return Optimizer("gd", {"lr": lr}, init, update)


@register("heavy_ball")
def heavy_ball(lr=0.1, beta=0.9) -> Optimizer:
    """Polyak's heavy ball (AM paper Eq. 4): ``x_{t+1} = x_t - η g_t + β (x_t - x_{t-1})``,
    with ``x_{-1} = x_0``.

    lr:   step size η (float > 0, array of shape (K,), schedule, or ``"c/L"``).
    beta: momentum coefficient β in [0, 1) (float or array of shape (K,)).
    """
    check_lr(lr)
    check_unit_interval("beta", beta)

    def init(x0):
        return make_state(x0, {"lr": lr, "beta": beta}, {"x_prev": x0})

    def update(state, grad):
        h, t = state.hyper, state.step
        x = state.x
        x_new = x - h.col_at("lr", t) * grad + h.col("beta") * (x - state.buffers["x_prev"])
        return state.replace(x=x_new, step=t + 1, buffers={"x_prev": x},
                             info={"lr": h.row_at("lr", t), "beta": h.row("beta")})

    return Optimizer("heavy_ball", {"lr": lr, "beta": beta}, init, update)


@register("mgd")
def mgd(lr=0.1, beta=0.9) -> Optimizer:
    """Momentum in the papers' EMA form (AM Eq. 1/5): ``d_{t+1} = β d_t + (1-β) g_t``,
    ``x_{t+1} = x_t - η d_{t+1}``, with ``d_1 = g_0`` (PyTorch's first-step buffer).

    Equal to ``sgd(momentum=β, dampening=β)``, and to heavy-ball with step ``η(1-β)``
    from the second step on.

    lr:   step size η (float > 0, array of shape (K,), schedule, or ``"c/L"``).
    beta: EMA coefficient β in [0, 1) (float or array of shape (K,)).
    """
    check_lr(lr)
    check_unit_interval("beta", beta)

    def init(x0):
        return make_state(x0, {"lr": lr, "beta": beta}, {"d": None})

    def update(state, grad):
        h, t = state.hyper, state.step
        beta_c = h.col("beta")
        d = grad if t == 0 else beta_c * state.buffers["d"] + (1.0 - beta_c) * grad
        x = state.x - h.col_at("lr", t) * d
        return state.replace(x=x, step=t + 1, buffers={"d": d},
                             info={"lr": h.row_at("lr", t), "beta": h.row("beta")})

    return Optimizer("mgd", {"lr": lr, "beta": beta}, init, update)


@register("sgd")
def sgd(lr=0.1, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0) -> Optimizer:
    """Exactly ``torch.optim.SGD``: ``g ← g + wd·x``; the first buffer is ``b = g``
    (no dampening), then ``b ← μ b + (1-τ) g``; the step is ``g + μ b`` with Nesterov,
    else ``b``; ``x ← x - lr·step``. With ``momentum = 0`` the step is ``g``.

    lr:           step size (float > 0, array of shape (K,), schedule, or ``"c/L"``).
    momentum:     μ in [0, 1) (float or array of shape (K,)); recorded as ``beta``.
    dampening:    τ in [0, 1]; ``momentum = dampening = β`` is ``mgd(beta=β)``.
    nesterov:     ``True`` for the Nesterov step ``g + μ b`` (needs μ > 0, τ = 0).
    weight_decay: L2 coefficient ``wd ≥ 0`` added to the gradient (coupled, as PyTorch).
    """
    check_lr(lr)
    check_unit_interval("momentum", momentum)
    check_unit_interval("dampening", dampening, high_closed=True)
    check_nonnegative("weight_decay", weight_decay)
    check_bool("nesterov", nesterov)
    if nesterov and (np.any(np.asarray(momentum) <= 0) or np.any(np.asarray(dampening) != 0)):
        raise ValueError("nesterov=True requires momentum > 0 and dampening = 0 "
                         "(as torch.optim.SGD)")
    hyper = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay}
    no_momentum = bool(np.all(np.asarray(momentum) == 0))
    mixed_momentum = not no_momentum and bool(np.any(np.asarray(momentum) == 0))
    has_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(x0):
        return make_state(x0, hyper, {"b": None})

    def update(state, grad):
        h, t = state.hyper, state.step
        x = state.x
        if has_decay:
            grad = grad + h.col("weight_decay") * x
        b = None
        if no_momentum:
            step = grad
        else:
            mu = h.col("momentum")
            b = grad if t == 0 else mu * state.buffers["b"] + (1.0 - h.col("dampening")) * grad
            step = grad + mu * b if nesterov else b
            if mixed_momentum:  # batched runs mixing momentum 0 and > 0
                step = namespace(x).where(mu == 0, grad, step)
        x_new = x - h.col_at("lr", t) * step
        return state.replace(x=x_new, step=t + 1, buffers={"b": b},
                             info={"lr": h.row_at("lr", t), "beta": h.row("momentum")})

    return Optimizer("sgd", {**hyper, "nesterov": bool(nesterov)}, init, update)


@register("nag")
def nag(lr=0.1, beta=None, record="y") -> Optimizer:
    """Nesterov's accelerated gradient:
    ``x_{t+1} = y_t - η ∇f(y_t)``, ``y_{t+1} = x_{t+1} + β_t (x_{t+1} - x_t)``, ``y_0 = x_0``,
    with constant β or, when ``beta is None``, the convex schedule ``β_t = t/(t+3)``.

    The gradient is taken at ``y_t``, so ``state.x`` is ``y_t``; the iterate ``x_t`` is
    ``state.buffers["x"]`` (``optimizer.params(state)``). PyTorch's form is
    ``sgd(momentum=β, nesterov=True)``.

    lr:     step size η (float > 0, array of shape (K,), schedule, or ``"c/L"``).
    beta:   constant β in [0, 1) (float or array of shape (K,)), or ``None`` for
            ``β_t = t/(t+3)``.
    record: where ``amtoolkit.run`` records ``loss`` and ``grad_norm``: ``"y"`` (default)
            at the gradient point ``y_t``, which costs nothing beyond the step's own
            oracle call; ``"x"`` at the iterate ``x_t``, the point the convergence
            guarantees are about and the one other methods record (a like-for-like
            plot), at the price of a second oracle call per step. ``gtol`` then tests
            ``‖∇f(x_t)‖``.
    """
    check_lr(lr)
    if beta is not None:
        check_unit_interval("beta", beta)
    if record not in ("y", "x"):
        raise ValueError(f"record must be 'y' (loss at the gradient point y_t) or 'x' (at the "
                         f"iterate x_t), got {record!r}")

    def init(x0):
        return make_state(x0, {"lr": lr, "beta": beta}, {"x": x0})

    def update(state, grad):
        h, t = state.hyper, state.step
        x_new = state.x - h.col_at("lr", t) * grad
        if beta is None:
            beta_row = beta_col = t / (t + 3.0)
        else:
            beta_row, beta_col = h.row("beta"), h.col("beta")
        y = x_new + beta_col * (x_new - state.buffers["x"])
        return state.replace(x=y, step=t + 1, buffers={"x": x_new},
                             info={"lr": h.row_at("lr", t), "beta": beta_row})

    return Optimizer("nag", {"lr": lr, "beta": beta, "record": record}, init, update,
                     iterate=lambda state: state.buffers["x"])
