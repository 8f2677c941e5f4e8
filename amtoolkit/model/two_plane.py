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
of the μ-term that the QP solver confirms, see docs/errata.md)::

    β* = [ -μ⟨x_t, d-g⟩ + (1+μη)(f_hat - f)/η - ⟨d-g, g + λPd⟩_{P̃⁻¹} ] / ‖d-g‖²_{P̃⁻¹}.
"""

from __future__ import annotations

from .._checks import check_nonnegative, check_positive, check_range
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
    """Eq. 8: ``f_t^m(x) = max{f + gᵀ(x - x_t), f_hat + dᵀ(x - x_t)}``."""
    xp = namespace(x, g)
    u = x - x_t
    return xp.maximum(f + _dot(g, u), f_hat + _dot(d, u))


def prox_objective(x, x_t, f, f_hat, g, d, lr, lam=0.0, P=None, mu=0.0):
    """Eq. 9 (``P = None``, ``mu = 0``) or Eq. 14: the proximal objective at ``x``."""
    u = x - x_t
    Pt = _p_tilde(P, lam)
    lin_d = d if P is None else P * d
    out = model_value(x, x_t, f, f_hat, g, d) + _dot(u, Pt * u) / (2.0 * lr) + lam * _dot(lin_d, u)
    if _nonzero(mu):
        out = out + 0.5 * mu * _dot(x, Pt * x)
    return out


def dual_objective(beta, f, f_hat, g, d, lr, lam=0.0, P=None, mu=0.0, x_t=None):
    """Eq. 11 (``P = None``, ``mu = 0``) or the dual of Eq. 14, at ``beta`` (shape ``(...)``)."""
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
    """The unclipped maximiser of the dual, given ``gap = f_hat - f``.

    Returns ``(beta, denominator)``; where ``‖d - g‖²_{P̃⁻¹} = 0`` the update does not
    depend on β (Eq. 13 gives ``d_{t+1} = g = d``) and ``beta`` is 0 [choice: Eq. 12 is
    0/0 there]. No input checks: this is the optimizers' per-step path.
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
    """``clip(β, 0, β_max)``; ``beta_max`` a float or an array of the batch shape."""
    xp = namespace(beta)
    return xp.minimum(xp.maximum(beta, 0.0), beta_max)


def beta_star(f, f_hat, g, d, lr, lam=0.0, beta_max=1.0, P=None, mu=0.0, x_t=None):
    """Eq. 12 (or Eq. 14's form): ``β* = clip_[0, β_max]( [(λ+1)(f_hat - f)/η
    - ⟨d - g, g + λd⟩] / ‖d - g‖² )``; 0 where ``d = g``.

    The public entry point: ``lr`` must be > 0, ``lam`` and ``mu`` >= 0 and ``beta_max``
    in [0, 1] (Algorithm 1, line 6). The optimizers call the unchecked helpers
    :func:`beta_star_from_gap` and :func:`clip_beta` instead.
    """
    check_positive("lr", lr)
    check_nonnegative("lam", lam)
    check_nonnegative("mu", mu)
    check_range("beta_max", beta_max, 0.0, 1.0)
    beta, _ = beta_star_from_gap(f_hat - f, g, d, lr, lam, P, mu, x_t)
    return clip_beta(beta, beta_max)


def direction(beta, g, d, lam=0.0, P=None):
    """Eq. 13: ``d_{t+1} = ((β+λ) d + (1-β) g)/(1+λ)``; with a preconditioner
    ``d_{t+1} = (λP + I)⁻¹((βI + λP) d + (1-β) g)`` (Eq. 14)."""
    b = as_column(beta)
    if P is None:
        return ((b + lam) * d + (1.0 - b) * g) / (1.0 + lam)
    return ((b + lam * P) * d + (1.0 - b) * g) / (lam * P + 1.0)


def step(x_t, d_next, lr, P=None, mu=0.0):
    """``x_{t+1} = x_t - η d_{t+1}`` (Eq. 13), or ``(x_t - η P⁻¹ d_{t+1})/(1 + μη)`` (Eq. 14)."""
    x = x_t - lr * (d_next if P is None else d_next / P)
    return x / (1.0 + mu * lr) if _nonzero(mu) else x


def first_order_gap(g, d, lr_prev, P=None, mu=0.0, x_t=None):
    """The first-order estimate of Sec. 3.4, ``f_hat - f ≈ gᵀ(x_{t-1} - x_t)``: ``η_{t-1} gᵀd_t``
    (AM-MSGD, Algorithm 1 line 5), ``η_{t-1} gᵀ(P_{t-1}⁻¹d_t + μ x_t)`` with a preconditioner
    and decoupled decay (pass the P that made the step from ``x_{t-1}``)."""
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
