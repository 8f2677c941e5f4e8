"""AdamW, exactly as ``torch.optim.AdamW`` (decoupled weight decay, bias corrections)."""

from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_nonnegative, check_positive, check_unit_interval
from ..backend import namespace
from .base import Optimizer, check_lr, make_state, register

__all__ = ["adamw", "check_betas"]


def check_betas(betas) -> tuple:
    """Check Adam's ``betas = (beta1, beta2)``, each in [0, 1).

    Parameters
    ----------
    betas : tuple or list of two floats or ndarrays of shape (K,)
        The first- and second-moment decays.

    Returns
    -------
    tuple
        ``(beta1, beta2)``, unchanged.

    Raises
    ------
    ValueError
        If ``betas`` is not a pair, or an entry is outside [0, 1).
    TypeError
        If an entry is not a real number or an array of them.

    Examples
    --------
    >>> from amtoolkit.optimizers.adamw import check_betas
    >>> check_betas([0.9, 0.999])
    (0.9, 0.999)
    """
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    check_unit_interval("betas[0] (beta1)", betas[0])
    check_unit_interval("betas[1] (beta2)", betas[1])
    return tuple(betas)


@register("adamw")
def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False) -> Optimizer:
    """Exactly ``torch.optim.AdamW``: Adam with decoupled weight decay and bias corrections.

    With ``t`` the 1-based step: ``x ← x(1 - η·wd)``; ``m ← β1 m + (1-β1) g``;
    ``v ← β2 v + (1-β2) g²``; ``x ← x - η/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps)``
    (``v`` replaced by its running maximum with ``amsgrad``). The fixed-momentum baseline
    of AM-AdamW (the AM paper's Sec. 3.3 and 4.3).

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 1e-3
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). 1e-3 is PyTorch's default.
    betas : tuple of two floats (or ndarrays of shape (K,)), default (0.9, 0.999)
        ``(β1, β2)``, each in [0, 1): the decays of the first and second moments
        (PyTorch's defaults).
    eps : float or ndarray of shape (K,), default 1e-8
        ``eps > 0`` added to the denominator (PyTorch's default).
    weight_decay : float or ndarray of shape (K,), default 1e-2
        Decoupled decay ``wd ≥ 0``: the iterate is multiplied by ``1 - η·wd`` (PyTorch's
        default).
    amsgrad : bool, default False
        ``True`` to use the running maximum of ``v``.

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad)``; buffers ``m``, ``v`` (and ``v_max``);
        ``state.info["beta"]`` is β1.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 (or a malformed ``"c/L"``), ``betas`` is not a pair or an
        entry is outside [0, 1), ``eps`` is not > 0 or ``weight_decay`` is negative.
    TypeError
        If ``amsgrad`` is not a bool, or a hyperparameter is not a real number or an array
        of them.

    See Also
    --------
    am_adamw : The same preconditioner with the momentum adapted by Eq. 14.

    References
    ----------
    I. Loshchilov and F. Hutter, Decoupled Weight Decay Regularization, ICLR 2019
    (arXiv:1711.05101); D. P. Kingma and J. Ba, Adam: A Method for Stochastic
    Optimization, arXiv:1412.6980; PyTorch documentation, ``torch.optim.AdamW``.

    Examples
    --------
    Adam's first step moves every coordinate by about η, whatever the gradient's scale:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> opt = amt.optimizers.adamw(lr=1e-3, weight_decay=0.0)
    >>> state = opt.update(opt.init(np.ones(2)), np.array([1.0, 4.0]))
    >>> print(np.round(1.0 - state.x, 6))
    [0.001 0.001]
    """
    check_lr(lr)
    beta1, beta2 = check_betas(betas)
    check_positive("eps", eps)
    check_nonnegative("weight_decay", weight_decay)
    check_bool("amsgrad", amsgrad)
    hyper = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay}
    has_decay = bool(np.any(np.asarray(weight_decay) != 0))

    def init(x0):
        xp = namespace(x0)
        zeros = xp.zeros_like(x0)
        return make_state(x0, hyper, {"m": zeros, "v": zeros, "v_max": zeros if amsgrad else None})

    def update(state, grad):
        xp = namespace(grad)
        h, t = state.hyper, state.step
        lr_c = h.col_at("lr", t)
        b1, b2 = h.col("beta1"), h.col("beta2")
        k = t + 1
        x = state.x * (1.0 - lr_c * h.col("weight_decay")) if has_decay else state.x
        m = b1 * state.buffers["m"] + (1.0 - b1) * grad
        v = b2 * state.buffers["v"] + (1.0 - b2) * (grad * grad)
        v_max = xp.maximum(state.buffers["v_max"], v) if amsgrad else None
        denom = xp.sqrt(v_max if amsgrad else v) / ((1.0 - b2 ** k) ** 0.5) + h.col("eps")
        x = x - (lr_c / (1.0 - b1 ** k)) * (m / denom)
        return state.replace(x=x, step=k, buffers={"m": m, "v": v, "v_max": v_max},
                             info={"lr": h.row_at("lr", t), "beta": h.row("beta1")})

    return Optimizer("adamw", {"lr": lr, "betas": (beta1, beta2), "eps": eps,
                               "weight_decay": weight_decay, "amsgrad": bool(amsgrad)}, init, update)
