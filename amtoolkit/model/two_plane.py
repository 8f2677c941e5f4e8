"""The two-plane proximal model of Adaptive Memory momentum (arXiv:2510.04988, §3).

Pure array math, batched over leading axes: scalars per run have shape ``(...)``,
vectors ``(..., d)``; reductions are over the last axis. Notation: ``f = f(x_t)``,
``f_hat`` the value of the memory plane at ``x_t``, ``g = ∇f(x_t)``, ``d = d_t`` the
previous direction (``x_t = x_{t-1} - η d_t``), ``lr = η``, ``lam = λ ≥ 0``.

General (preconditioned, Eq. 14) form, which is Eq. 9 when ``P = I`` and ``mu = 0``::

    min_x  max{f + gᵀu, f_hat + dᵀu} + (1/2η)‖u‖²_P̃ + λ⟨P d, u⟩ + (μ/2)‖x_t + u‖²_P̃,
    u = x - x_t,   P̃ = (I + λP) P   (P̃ = (1+λ) I when P = I).

Its dual in the multiplier β of the memory plane (Eq. 11 when P = I, μ = 0)::

    max_{0≤β≤1} (1-β) f + β f_hat - η/(2(1+μη)) ‖s(β) + μ P̃ x_t‖²_{P̃⁻¹} + (μ/2)‖x_t‖²_P̃,
    s(β) = (1-β) g + β d + λ P d.

Setting the derivative to zero gives the closed form (Eq. 12; Eq. 14's with the sign
of the μ-term that the QP solver confirms, see docs/guide/errata.md)::

    β* = [ -μ⟨x_t, d-g⟩ + (1+μη)(f_hat - f)/η - ⟨d-g, g + λPd⟩_{P̃⁻¹} ] / ‖d-g‖²_{P̃⁻¹}.
"""

from __future__ import annotations

from .._checks import check_finite_array, check_nonnegative, check_positive, check_range
from ..backend import as_column, namespace

__all__ = [
    "model_value",
    "prox_objective",
    "dual_objective",
    "beta_star",
    "beta_star_from_gap",
    "direction",
    "step",
    "first_order_gap",
    "clip_beta",
]


def _dot(a, b):
    """Inner product over the last axis (``vecdot``: no temporary vector)."""
    return namespace(a, b).vecdot(a, b, axis=-1)


def model_value(x, x_t, f, f_hat, g, d):
    """The two-plane model of Eq. 8, ``f_t^m(x) = max{f + gᵀ(x - x_t), f_hat + dᵀ(x - x_t)}``.

    The gradient plane at ``x_t`` and the memory plane, whose slope is the previous
    direction; with ``f_hat > f`` the model overestimates f at ``x_t`` (Sec. 3.2).

    Parameters
    ----------
    x : ndarray of shape (..., d)
        Where the model is evaluated.
    x_t : ndarray of shape (..., d)
        The current iterate.
    f, f_hat : float or ndarray of shape (...)
        ``f(x_t)`` and the memory plane's value at ``x_t``.
    g : ndarray of shape (..., d)
        The gradient ``∇f(x_t)``, slope of the gradient plane.
    d : ndarray of shape (..., d)
        The previous direction ``d_t = (x_{t-1} - x_t)/η``, slope of the memory plane.

    Returns
    -------
    ndarray of shape (...)
        ``f_t^m(x)``.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 8 and Sec. 3.2.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.model import two_plane
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> x_t = np.zeros(2)
    >>> float(two_plane.model_value(x_t, x_t, 1.0, 1.5, g, d))  # max(f, f_hat) at x_t
    1.5
    """
    xp = namespace(x, g)
    u = x - x_t
    return xp.maximum(f + _dot(g, u), f_hat + _dot(d, u))


def prox_objective(x, x_t, f, f_hat, g, d, lr, lam=0.0, P=None, mu=0.0):
    """The proximal objective of Eq. 9 (``P = None``, ``mu = 0``) or Eq. 14, evaluated at ``x``.

    With ``u = x - x_t`` and ``P̃ = (I + λP) P`` (``(1+λ) I`` without P)::

        f_t^m(x) + (1/2η)‖u‖²_P̃ + λ⟨P d, u⟩ + (μ/2)‖x‖²_P̃

    (Eq. 9 writes the linear term as ``(λ/η)⟨x_{t-1} - x_t, u⟩``, which is ``λ⟨d, u⟩``).

    Parameters
    ----------
    x : ndarray of shape (..., d)
        Where the objective is evaluated.
    x_t : ndarray of shape (..., d)
        The current iterate.
    f, f_hat : float or ndarray of shape (...)
        ``f(x_t)`` and the memory plane's value at ``x_t``.
    g : ndarray of shape (..., d)
        The gradient ``∇f(x_t)``, slope of the gradient plane.
    d : ndarray of shape (..., d)
        The previous direction ``d_t = (x_{t-1} - x_t)/η``, slope of the memory plane.
    lr : float or ndarray
        The step size η > 0.
    lam : float or ndarray, default 0.0
        λ ≥ 0, the pull towards the previous direction (Eq. 9, Eq. 14).
    P : ndarray of shape (..., d) or None, default None
        The diagonal preconditioner ``P_t`` (positive entries) of Eq. 14; None is the
        Euclidean case of Eq. 9.
    mu : float or ndarray, default 0.0
        Decoupled weight decay μ ≥ 0 of Eq. 14.

    Returns
    -------
    ndarray of shape (...)
        The objective at ``x``.

    See Also
    --------
    dual_objective : Its dual in β; the two agree at the optimum.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 9 and Eq. 14 (Sec. 3.3).

    Examples
    --------
    At ``x_t`` only the model is left:

    >>> import numpy as np
    >>> from amtoolkit.model import two_plane
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> x_t = np.array([2.0, -1.0])
    >>> float(two_plane.prox_objective(x_t, x_t, 1.0, 1.5, g, d, lr=1.0))
    1.5
    """
    u = x - x_t
    Pt = _p_tilde(P, lam)
    lin_d = d if P is None else P * d
    out = model_value(x, x_t, f, f_hat, g, d) + _dot(u, Pt * u) / (2.0 * lr) + lam * _dot(lin_d, u)
    if _nonzero(mu):
        out = out + 0.5 * mu * _dot(x, Pt * x)
    return out


def dual_objective(beta, f, f_hat, g, d, lr, lam=0.0, P=None, mu=0.0, x_t=None):
    """The dual of Eq. 9 in the memory plane's multiplier β (Eq. 11), or the dual of Eq. 14.

    With ``s(β) = (1-β) g + β d + λ P d`` (module docstring)::

        (1-β) f + β f_hat - η/(2(1+μη)) ‖s(β) + μ P̃ x_t‖²_P̃⁻¹ + (μ/2)‖x_t‖²_P̃

    which for ``P = None`` and ``mu = 0`` is Eq. 11,
    ``(1-β) f + β f_hat - η/(2(1+λ)) ‖(1-β) g + β d + λ d‖²``.

    Parameters
    ----------
    beta : float or ndarray of shape (...)
        The multiplier β.
    f, f_hat : float or ndarray of shape (...)
        ``f(x_t)`` and the memory plane's value at ``x_t``.
    g : ndarray of shape (..., d)
        The gradient at ``x_t``.
    d : ndarray of shape (..., d)
        The previous direction ``d_t``.
    lr : float or ndarray
        The step size η > 0.
    lam : float or ndarray, default 0.0
        λ ≥ 0, the pull towards the previous direction (Eq. 9, Eq. 14).
    P : ndarray of shape (..., d) or None, default None
        The diagonal preconditioner ``P_t`` (positive entries) of Eq. 14; None is the
        Euclidean case of Eq. 9.
    mu : float or ndarray, default 0.0
        Decoupled weight decay μ ≥ 0 of Eq. 14.
    x_t : ndarray of shape (..., d) or None, default None
        The iterate; needed when ``mu`` is not 0.

    Returns
    -------
    ndarray of shape (...)
        The dual objective at ``beta``.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework for
    Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 11, and the dual of Eq. 14 derived
    in this module's docstring.

    Examples
    --------
    Strong duality: at β* the dual equals the proximal objective at the step it gives.

    >>> import numpy as np
    >>> from amtoolkit.model import two_plane
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> x_t = np.array([2.0, -1.0])
    >>> beta = two_plane.beta_star(1.0, 1.5, g, d, lr=1.0)
    >>> x_next = two_plane.step(x_t, two_plane.direction(beta, g, d), lr=1.0)
    >>> primal = two_plane.prox_objective(x_next, x_t, 1.0, 1.5, g, d, lr=1.0)
    >>> print(float(two_plane.dual_objective(beta, 1.0, 1.5, g, d, lr=1.0)), float(primal))
    1.0625 1.0625
    """
    Pt = _p_tilde(P, lam)
    lin_d = d if P is None else P * d
    s = (1.0 - as_column(beta)) * g + as_column(beta) * d + lam * lin_d
    if _nonzero(mu):
        s = s + mu * Pt * x_t
    out = (1.0 - beta) * f + beta * f_hat - lr / (2.0 * (1.0 + mu * lr)) * _dot(s, s / Pt)
    if _nonzero(mu):
        out = out + 0.5 * mu * _dot(x_t, Pt * x_t)
    return out


def beta_star_from_gap(gap, g, d, lr, lam=0.0, P=None, mu=0.0, x_t=None):
    """The unclipped maximiser β of the dual (Eq. 12, or Eq. 14's form), given ``gap = f_hat - f``.

    ``β = [(1+λ)(1+μη) gap/η - ⟨d - g, g + λd⟩ - (1+λ)μ⟨x_t, d - g⟩]/‖d - g‖²`` without a
    preconditioner; with P the inner products and the norm are in ``P̃⁻¹`` (module
    docstring). No input checks: this is the optimizers' per-step path.

    Parameters
    ----------
    gap : float or ndarray of shape (...)
        The memory plane's offset ``f_hat(x_t) - f(x_t)``.
    g : ndarray of shape (..., d)
        The gradient at ``x_t``.
    d : ndarray of shape (..., d)
        The previous direction ``d_t``.
    lr : float or ndarray of shape (...)
        The step size η > 0.
    lam : float or ndarray, default 0.0
        λ ≥ 0, the pull towards the previous direction (Eq. 9, Eq. 14).
    P : ndarray of shape (..., d) or None, default None
        The diagonal preconditioner ``P_t`` (positive entries) of Eq. 14; None is the
        Euclidean case of Eq. 9.
    mu : float or ndarray, default 0.0
        Decoupled weight decay μ ≥ 0 of Eq. 14.
    x_t : ndarray of shape (..., d) or None, default None
        The iterate; needed when ``mu`` is not 0.

    Returns
    -------
    beta : ndarray of shape (...)
        The unclipped maximiser; 0 where the denominator is 0.
    denominator : ndarray of shape (...)
        ``‖d - g‖²_P̃⁻¹`` (``‖d - g‖²`` without P).

    Notes
    -----
    Where ``‖d - g‖²_P̃⁻¹ = 0`` the update does not depend on β (Eq. 13 gives
    ``d_{t+1} = g = d``) and β is 0 [choice: Eq. 12 divides by zero there].

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework for
    Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 12, Eq. 14 and its closed form in
    Sec. 3.3 (with the sign of the μ-term corrected, docs/guide/errata.md entry 1).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.model import two_plane
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> beta, den = two_plane.beta_star_from_gap(2.0, g, d, lr=1.0)  # (2 + 1)/2
    >>> print(float(beta), float(den))
    1.5 2.0
    """
    xp = namespace(g, d)
    diff = d - g
    if P is None:
        # P̃ = (1+λ) I: multiply the equation through by (1+λ) (Eq. 12).
        den = _dot(diff, diff)
        inner = _dot(diff, g) + (lam * _dot(diff, d) if _nonzero(lam) else 0.0)
        num = (1.0 + lam) * (1.0 + mu * lr) * gap / lr - inner
        if _nonzero(mu):
            num = num - (1.0 + lam) * mu * _dot(x_t, diff)
    else:
        Pt = (1.0 + lam * P) * P
        w = diff / Pt
        den = _dot(diff, w)
        num = (1.0 + mu * lr) * gap / lr - _dot(w, g + lam * P * d)
        if _nonzero(mu):
            num = num - mu * _dot(x_t, diff)
    if getattr(den, "ndim", 0) == 0:  # one configuration: a branch is cheaper than where()
        return (num / den if den > 0 else xp.zeros_like(num)), den
    safe = den > 0
    beta = xp.where(safe, num / xp.where(safe, den, 1.0), xp.zeros_like(num))
    return beta, den


def clip_beta(beta, beta_max=1.0):
    """``clip(β, 0, β_max)``, the clip of Algorithm 1 line 6.

    Parameters
    ----------
    beta : ndarray or float
        The unclipped coefficients.
    beta_max : float or ndarray of the batch shape, default 1.0
        The upper bound (1 in AM-MGD's column, β_max,t in AM-MSGD's). Not checked.

    Returns
    -------
    ndarray
        β clipped to [0, β_max].

    References
    ----------
    arXiv:2510.04988 (AM paper), Algorithm 1 line 6 and Eq. 12's Clip_[0,1].

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.model import clip_beta
    >>> print(clip_beta(np.array([-0.2, 0.5, 1.3]), 0.9))
    [0.  0.5 0.9]
    """
    xp = namespace(beta)
    return xp.minimum(xp.maximum(beta, 0.0), beta_max)


def beta_star(f, f_hat, g, d, lr, lam=0.0, beta_max=1.0, P=None, mu=0.0, x_t=None):
    """The adaptive momentum coefficient β* of Eq. 12, clipped to [0, β_max], with input checks.

    ``β* = clip_[0, β_max]([(λ+1)(f_hat - f)/η - ⟨d - g, g + λd⟩]/‖d - g‖²)``, 0 where
    ``d = g``; with ``P``, ``mu`` and ``x_t`` the closed form after Eq. 14 (Sec. 3.3),
    whose μ-term has the sign the QP solver confirms (docs/guide/errata.md, entry 1).

    Parameters
    ----------
    f, f_hat : float or ndarray of shape (...)
        ``f(x_t)`` and the memory plane's value at ``x_t`` (``f(x_{t-1})`` in AM-MGD).
    g : ndarray of shape (..., d)
        The gradient at ``x_t``.
    d : ndarray of shape (..., d)
        The previous direction ``d_t = (x_{t-1} - x_t)/η``.
    lr : float or ndarray of shape (...)
        The step size η > 0.
    lam : float or ndarray, default 0.0
        λ ≥ 0 (Eq. 9).
    beta_max : float or ndarray of the batch shape, default 1.0
        The upper clip, in [0, 1] (Algorithm 1 line 6).
    P : ndarray of shape (..., d) or None, default None
        The diagonal preconditioner of Eq. 14; None for Eq. 12.
    mu : float or ndarray, default 0.0
        Decoupled weight decay μ ≥ 0 (Eq. 14).
    x_t : ndarray of shape (..., d) or None, default None
        The iterate; needed when ``mu`` is not 0.

    Returns
    -------
    ndarray of shape (...)
        β* in [0, β_max].

    Raises
    ------
    ValueError
        If ``lr`` is not > 0, ``lam`` or ``mu`` is negative, or ``beta_max`` is outside
        [0, 1] (or any of them is not finite), or ``f``, ``f_hat``, ``g`` or ``d`` hold NaN
        or inf (which would otherwise come out as β = NaN).
    TypeError
        If one of these is not a real number or an array of them.

    See Also
    --------
    beta_star_from_gap : The unchecked, unclipped form the optimizers call.
    amtoolkit.validate.check_step : The same β from a QP solver.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework for
    Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 11 (dual), Eq. 12 (closed form),
    Algorithm 1 lines 4 and 6, Sec. 3.3 (Eq. 14).

    Examples
    --------
    With ``g = (1, 0)``, ``d = (0, 1)``, ``f = 1``, ``f_hat = 1.5``, η = 1, λ = 0, Eq. 12 is
    ``(0.5 - ⟨d - g, g⟩)/‖d - g‖² = (0.5 + 1)/2 = 0.75``:

    >>> import numpy as np
    >>> from amtoolkit.model import two_plane
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> float(two_plane.beta_star(1.0, 1.5, g, d, lr=1.0))
    0.75
    >>> float(two_plane.beta_star(1.0, 3.0, g, d, lr=1.0))  # (2 + 1)/2, clipped to 1
    1.0
    """
    check_positive("lr", lr)
    check_nonnegative("lam", lam)
    check_nonnegative("mu", mu)
    check_range("beta_max", beta_max, 0.0, 1.0)
    for name, value in (("f", f), ("f_hat", f_hat), ("g", g), ("d", d)):  # a NaN would come out as β
        check_finite_array(name, value)
    beta, _ = beta_star_from_gap(f_hat - f, g, d, lr, lam, P, mu, x_t)
    return clip_beta(beta, beta_max)


def direction(beta, g, d, lam=0.0, P=None):
    """The momentum update of Eq. 13, ``d_{t+1} = ((β+λ) d + (1-β) g)/(1+λ)``.

    With a preconditioner, ``d_{t+1} = (λP + I)⁻¹((βI + λP) d + (1-β) g)`` (Eq. 14).

    Parameters
    ----------
    beta : float or ndarray of shape (...)
        The coefficient β used (after clipping).
    g : ndarray of shape (..., d)
        The gradient at ``x_t``.
    d : ndarray of shape (..., d)
        The previous direction ``d_t``.
    lam : float or ndarray of shape (..., 1), default 0.0
        λ ≥ 0.
    P : ndarray of shape (..., d) or None, default None
        The diagonal preconditioner of Eq. 14.

    Returns
    -------
    ndarray of shape (..., d)
        ``d_{t+1}``.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 13, Algorithm 1 line 7, Eq. 14.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.model import two_plane
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> print(two_plane.direction(0.75, g, d))  # 0.75 d + 0.25 g
    [0.25 0.75]
    """
    b = as_column(beta)
    if P is None:
        return ((b + lam) * d + (1.0 - b) * g) / (1.0 + lam)
    return ((b + lam * P) * d + (1.0 - b) * g) / (lam * P + 1.0)


def step(x_t, d_next, lr, P=None, mu=0.0):
    """The iterate update of Eq. 13 (``x_{t+1} = x_t - η d_{t+1}``) or of Eq. 14.

    With a preconditioner and decoupled weight decay (Eq. 14) it is
    ``x_{t+1} = (x_t - η P⁻¹ d_{t+1})/(1 + μη)``.

    Parameters
    ----------
    x_t : ndarray of shape (..., d)
        The current iterate.
    d_next : ndarray of shape (..., d)
        The new direction ``d_{t+1}``.
    lr : float or ndarray of shape (..., 1)
        The step size η.
    P : ndarray of shape (..., d) or None, default None
        The diagonal preconditioner of Eq. 14.
    mu : float or ndarray of shape (..., 1), default 0.0
        Decoupled weight decay μ (Eq. 14).

    Returns
    -------
    ndarray of shape (..., d)
        ``x_{t+1}``.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Eq. 13, Algorithm 1 line 8, Eq. 14.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.model import step
    >>> print(step(np.array([2.0, -1.0]), np.array([0.25, 0.75]), lr=1.0))
    [ 1.75 -1.75]
    """
    x = x_t - lr * (d_next if P is None else d_next / P)
    return x / (1.0 + mu * lr) if _nonzero(mu) else x


def first_order_gap(g, d, lr_prev, P=None, mu=0.0, x_t=None):
    """The first-order offset of Sec. 3.4, ``f_hat - f ≈ gᵀ(x_{t-1} - x_t)``.

    That is ``η_{t-1} gᵀd_t`` (AM-MSGD, Algorithm 1 line 5), or
    ``η_{t-1} gᵀ(P_{t-1}⁻¹ d_t + μ x_t)`` with a preconditioner and decoupled decay, where
    ``x_{t-1} - x_t`` is Eq. 14's step solved backwards (pass the P that made the step
    from ``x_{t-1}``).

    Parameters
    ----------
    g : ndarray of shape (..., d)
        The gradient at ``x_t``.
    d : ndarray of shape (..., d)
        The direction ``d_t`` of the step from ``x_{t-1}``.
    lr_prev : float or ndarray of shape (...)
        The step size ``η_{t-1}`` of that step.
    P : ndarray of shape (..., d) or None, default None
        The preconditioner ``P_{t-1}`` of that step.
    mu : float or ndarray of shape (..., 1), default 0.0
        Decoupled weight decay μ.
    x_t : ndarray of shape (..., d) or None, default None
        The iterate; needed when ``mu`` is not 0.

    Returns
    -------
    ndarray of shape (...)
        The estimated offset.

    References
    ----------
    K. Topollai and A. Choromanska, Adaptive Memory Momentum via a Model-Based Framework
    for Deep Learning Optimization, arXiv:2510.04988, 2025: Sec. 3.4 and Algorithm 1 line 5.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.model import first_order_gap
    >>> float(first_order_gap(np.array([1.0, 2.0]), np.array([3.0, -1.0]), lr_prev=0.5))
    0.5
    """
    v = d if P is None else d / P
    if _nonzero(mu):
        v = v + mu * x_t
    return lr_prev * _dot(g, v)


def _p_tilde(P, lam):
    return (1.0 + lam) if P is None else (1.0 + lam * P) * P


def _nonzero(value) -> bool:
    if isinstance(value, (int, float)):
        return value != 0.0
    return True
