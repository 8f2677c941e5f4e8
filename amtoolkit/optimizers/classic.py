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

    One step is ``x_{t+1} = x_t - η ∇f(x_t)``: the baseline that the momentum methods
    extend (heavy ball and mgd with β = 0 are this method).

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). The default is amtoolkit's.

    Returns
    -------
    Optimizer
        The pair ``init(x0)``, ``update(state, grad)``; ``state.info["beta"]`` is NaN (no
        momentum coefficient).

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 and finite, has more than one axis, or is a string that is not
        of the form ``"c/L"`` with c > 0 (a schedule is checked at step 0 here, then at
        every step of a run).
    TypeError
        If ``lr`` is not a real number, an array of them, a callable or a ``"c/L"`` string
        (e.g. the string ``"0.1"``, a bool, a tuple).

    See Also
    --------
    amtoolkit.theory.gd_rate : Its tight rate on smooth strongly convex functions.

    References
    ----------
    B. T. Polyak, Introduction to Optimization, Optimization Software, 1987, Sec. 1.4.

    Examples
    --------
    One step from (1, 1), where the gradient is (1, 4):

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))  # f(x) = ½(x_1² + 4x_2²)
    >>> opt = amt.optimizers.gd(lr=0.1)
    >>> state = opt.init(np.array([1.0, 1.0]))
    >>> state = opt.update(state, q.grad(state.x))
    >>> print(state.x, state.step)
    [0.9 0.6] 1
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
    """Polyak's heavy ball (AM paper Eq. 4): ``x_{t+1} = x_t - η g_t + β (x_t - x_{t-1})``.

    The previous iterate starts as ``x_{-1} = x_0``, so the first step is a gradient step.
    At the parameters of :func:`amtoolkit.theory.polyak_heavy_ball` it is the fastest fixed
    method on quadratics, but it does not converge on every smooth strongly convex function
    (:func:`amtoolkit.problems.lrp_counterexample`).

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). The default is amtoolkit's.
    beta : float or ndarray of shape (K,), default 0.9
        Momentum coefficient β in [0, 1) (the range of Eq. 4; 0.9 is the customary value
        that the AM paper's introduction names).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad)``; ``state.buffers["x_prev"]`` holds
        ``x_{t-1}`` and ``state.info["beta"]`` is β.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 and finite, has more than one axis, or is a string that is not
        of the form ``"c/L"`` with c > 0 (a schedule is checked at step 0 here, then at
        every step of a run); if ``beta`` is outside [0, 1).
    TypeError
        If ``lr`` is not a real number, an array of them, a callable or a ``"c/L"`` string (e.g.
        the string ``"0.1"``, a bool, a tuple); also if ``beta`` is not a real number or an
        array of them.

    See Also
    --------
    mgd : The EMA form of Eq. 1/5, heavy ball with step η(1-β) from the second step on.
    amtoolkit.theory.polyak_heavy_ball : Its optimal parameters on quadratics.

    References
    ----------
    B. T. Polyak, Some methods of speeding up the convergence of iteration methods, USSR
    Comput. Math. Math. Phys. 4(5), 1964.

    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 4 (Sec. 2.1).

    Examples
    --------
    Two steps, the second written out: ``x_2 = x_1 - η g_1 + β (x_1 - x_0)``.

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))  # f(x) = ½(x_1² + 4x_2²)
    >>> opt = amt.optimizers.heavy_ball(lr=0.1, beta=0.5)
    >>> x0 = np.array([1.0, 1.0])
    >>> s1 = opt.update(opt.init(x0), q.grad(x0))
    >>> s2 = opt.update(s1, q.grad(s1.x))
    >>> print(s1.x, s2.x)
    [0.9 0.6] [0.76 0.16]
    >>> bool(np.allclose(s2.x, s1.x - 0.1 * q.grad(s1.x) + 0.5 * (s1.x - x0)))
    True
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
    """Momentum in the papers' EMA form (AM paper Eq. 1/5): ``d_{t+1} = β d_t + (1-β) g_t``.

    The step is ``x_{t+1} = x_t - η d_{t+1}``. The first direction is ``d_1 = g_0``
    (PyTorch's first-step buffer), so the first step is a gradient step. It equals
    ``sgd(momentum=β, dampening=β)``, and heavy ball with step ``η(1-β)`` from the second
    step on; it is AM-MGD with the adaptive β_t replaced by a constant (Eq. 13 with λ = 0).

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). The default is amtoolkit's.
    beta : float or ndarray of shape (K,), default 0.9
        EMA coefficient β in [0, 1) (0.9, the fixed value the AM paper compares against
        in Sec. 4.1).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad)``; ``state.buffers["d"]`` is ``d_{t+1}``
        and ``state.info["beta"]`` is β.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 and finite, has more than one axis, or is a string that is not
        of the form ``"c/L"`` with c > 0 (a schedule is checked at step 0 here, then at
        every step of a run); if ``beta`` is outside [0, 1).
    TypeError
        If ``lr`` is not a real number, an array of them, a callable or a ``"c/L"`` string (e.g.
        the string ``"0.1"``, a bool, a tuple); also if ``beta`` is not a real number or an
        array of them.

    See Also
    --------
    am_mgd : The same update with β_t from the two-plane model (Eq. 12-13).
    sgd : PyTorch's form; ``sgd(momentum=β, dampening=β)`` is this method.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 1 and Eq. 5.

    Examples
    --------
    The same iterates as PyTorch's SGD with ``dampening = momentum``:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))  # f(x) = ½(x_1² + 4x_2²)
    >>> a = amt.optimizers.mgd(lr=0.1, beta=0.9)
    >>> b = amt.optimizers.sgd(lr=0.1, momentum=0.9, dampening=0.9)
    >>> sa, sb = a.init(np.ones(2)), b.init(np.ones(2))
    >>> for _ in range(5):
    ...     sa, sb = a.update(sa, q.grad(sa.x)), b.update(sb, q.grad(sb.x))
    >>> bool(np.allclose(sa.x, sb.x, rtol=0, atol=1e-15))
    True
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
    """Exactly ``torch.optim.SGD`` (momentum, dampening, Nesterov, coupled weight decay).

    With ``g ← g + wd·x`` (coupled L2 decay), the first buffer is ``b = g`` (no dampening),
    then ``b ← μ b + (1-τ) g``; the step is ``g + μ b`` with Nesterov, else ``b``;
    ``x ← x - lr·step``. With ``momentum = 0`` the step is ``g``.

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). The default is amtoolkit's.
    momentum : float or ndarray of shape (K,), default 0.0
        μ in [0, 1); recorded as ``beta``. The defaults of ``momentum``, ``dampening``,
        ``nesterov`` and ``weight_decay`` are PyTorch's.
    dampening : float or ndarray of shape (K,), default 0.0
        τ in [0, 1]; ``momentum = dampening = β`` is ``mgd(beta=β)`` (AM paper Eq. 5; the
        paper's MGD baselines set PyTorch's dampening to 0.9, Sec. 4.2).
    nesterov : bool, default False
        ``True`` for the Nesterov step ``g + μ b`` (needs μ > 0 and τ = 0, as PyTorch).
    weight_decay : float or ndarray of shape (K,), default 0.0
        L2 coefficient ``wd ≥ 0`` added to the gradient (coupled, as PyTorch).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad)``; ``state.buffers["b"]`` is the momentum
        buffer (None without momentum) and ``state.info["beta"]`` is μ.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 and finite, has more than one axis, or is a string that is not
        of the form ``"c/L"`` with c > 0 (a schedule is checked at step 0 here, then at
        every step of a run); if ``momentum`` is outside [0, 1), ``dampening`` outside [0, 1],
        ``weight_decay`` negative, or ``nesterov=True`` with a momentum of 0 or a nonzero
        dampening.
    TypeError
        If ``lr`` is not a real number, an array of them, a callable or a ``"c/L"`` string
        (e.g. the string ``"0.1"``, a bool, a tuple); also if ``nesterov`` is not a bool, or another
        hyperparameter is not a real number or an array of them.

    See Also
    --------
    mgd : The EMA form of Eq. 1/5 (``momentum = dampening = β``).
    nag : Nesterov's method in its textbook form.

    References
    ----------
    PyTorch documentation, ``torch.optim.SGD`` (its algorithm box), and Sutskever, Martens,
    Dahl and Hinton, On the importance of initialization and momentum in deep learning,
    ICML 2013, for the Nesterov form.

    Examples
    --------
    Coupled weight decay is gradient descent on ``f + (wd/2)‖x‖²``:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))  # f(x) = ½(x_1² + 4x_2²)
    >>> opt = amt.optimizers.sgd(lr=0.1, weight_decay=0.5)
    >>> state = opt.update(opt.init(np.ones(2)), q.grad(np.ones(2)))
    >>> print(state.x, np.ones(2) - 0.1 * (q.grad(np.ones(2)) + 0.5 * np.ones(2)))
    [0.85 0.55] [0.85 0.55]
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
    """Nesterov's accelerated gradient: a gradient step from ``y_t``, then an extrapolation.

    One step is ``x_{t+1} = y_t - η ∇f(y_t)``, ``y_{t+1} = x_{t+1} + β_t (x_{t+1} - x_t)``.
    It starts from ``y_0 = x_0``, with a constant β or, when ``beta is None``, the convex
    schedule ``β_t = t/(t+3)``. The gradient is taken at ``y_t``, so ``state.x`` is
    ``y_t``; the iterate ``x_t`` is ``state.buffers["x"]`` (``optimizer.params(state)``).
    PyTorch's form is ``sgd(momentum=β, nesterov=True)``.

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        Step size η > 0: a float, one value per configuration (K runs at once), a schedule
        ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c divided by the problem's
        smoothness constant, resolved when the run starts). The default is amtoolkit's.
    beta : float, ndarray of shape (K,) or None, default None
        Constant β in [0, 1), or ``None`` for ``β_t = t/(t+3)`` (the schedule whose
        guarantee is :func:`amtoolkit.theory.nag_bound_convex`).
    record : {"y", "x"}, default "y"
        Where ``amtoolkit.run`` records ``loss`` and ``grad_norm``: ``"y"`` at the gradient
        point ``y_t``, which costs nothing beyond the step's own oracle call; ``"x"`` at the
        iterate ``x_t``, the point the convergence guarantees are about and the one other
        methods record (a like-for-like plot), at the price of a second oracle call per
        step. ``gtol`` then tests ``‖∇f(x_t)‖``.

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad)`` with ``grad`` taken at ``state.x = y_t``;
        ``params(state)`` is ``x_t`` and ``state.info["beta"]`` the β_t used.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 and finite, has more than one axis, or is a string that is not
        of the form ``"c/L"`` with c > 0 (a schedule is checked at step 0 here, then at
        every step of a run); if ``beta`` is outside [0, 1), or ``record`` is not ``"y"`` or ``"x"``.
    TypeError
        If ``lr`` is not a real number, an array of them, a callable or a ``"c/L"`` string (e.g.
        the string ``"0.1"``, a bool, a tuple); also if ``beta`` is not None, a real number or
        an array of them.

    See Also
    --------
    amtoolkit.theory.nag_rate : The rate at its strongly convex parameters.
    amtoolkit.theory.nag_bound_convex : The O(1/t²) bound of the schedule ``β_t = t/(t+3)``.

    References
    ----------
    Y. Nesterov, A method for solving the convex programming problem with convergence rate
    O(1/k²), Dokl. Akad. Nauk SSSR 269, 1983 (reference 44 of arXiv:2510.04988).

    Examples
    --------
    The default schedule β_t = t/(t+3), and the iterate apart from the gradient point:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))  # f(x) = ½(x_1² + 4x_2²)
    >>> opt = amt.optimizers.nag(lr=0.05)
    >>> state = opt.init(np.ones(2))
    >>> for _ in range(3):
    ...     state = opt.update(state, q.grad(state.x))
    ...     print(state.info["beta"], state.x, opt.params(state))
    0.0 [0.95 0.8 ] [0.95 0.8 ]
    0.25 [0.890625 0.6     ] [0.9025 0.64  ]
    0.4 [0.82353125 0.416     ] [0.84609375 0.48      ]
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
