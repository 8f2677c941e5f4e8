"""The AM step written for cvxpy: primal epigraph QP and dual QP, solved with Clarabel.

Both are solved on data rescaled to order 1: with ``σ = max(‖g‖, ‖d‖)`` the step is
``u = s_u z`` with ``s_u = η σ / (p̃ (1+μη))`` (``p̃`` the mean of P̃'s diagonal) and the
objective (minus ``f``) is divided by ``s_f = σ s_u``. Multipliers are unchanged by
this scaling; β and ``x_{t+1}`` are compared with the closed forms of
:mod:`amtoolkit.model.two_plane`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_finite_array, check_real
from ..model import two_plane
from ..problems.base import check_real_dtype

__all__ = ["StepCheck", "check_step", "solve_primal", "solve_dual", "validate_history", "default_tol"]


@dataclass
class StepCheck:
    """One AM step checked against the QP solver, all in the original scale.

    Attributes
    ----------
    beta_closed : float
        β from the closed form (Eq. 12, or Eq. 14's).
    beta_qp : float
        The maximiser of the dual QP.
    beta_mult : float
        The multiplier of the memory-plane constraint in the primal QP.
    x_closed, x_qp : ndarray
        ``x_{t+1}`` from the closed form and from the primal QP.
    primal_value, dual_value : float
        The optimal values of the two QPs.
    beta_error : float
        ``max(|β_closed - β_qp|, |β_closed - β_mult|)``.
    x_error : float
        ``‖x_closed - x_qp‖/(1 + ‖x_closed‖)``.
    duality_gap : float
        ``|primal - dual|/(1 + |primal|)``.
    stationarity : float
        ``‖∇_u Lagrangian‖`` at the primal solution, in scaled units.
    complementarity : float
        The largest multiplier × constraint slack, in scaled units.
    status : str
        ``"optimal"`` or the two solvers' statuses.
    solve_time : float
        Seconds in the two solves.
    objective_error : float
        ``|model(closed-form step) - primal optimum|/(1 + |optimum|)``.
    beta_determined : bool
        False where ``d = g``: every β then gives the same step.
    """

    beta_closed: float
    beta_qp: float          # maximiser of the dual QP
    beta_mult: float        # multiplier of the memory-plane constraint in the primal
    x_closed: np.ndarray
    x_qp: np.ndarray
    primal_value: float
    dual_value: float
    beta_error: float       # max(|β_closed - β_qp|, |β_closed - β_mult|)
    x_error: float          # ‖x_closed - x_qp‖ / (1 + ‖x_closed‖)
    duality_gap: float      # |primal - dual| / (1 + |primal|)
    stationarity: float     # ‖∇_u Lagrangian‖ at the primal solution, scaled units
    complementarity: float  # max multiplier × constraint slack, scaled units
    status: str
    solve_time: float
    objective_error: float = np.nan  # |model(closed-form step) - primal optimum| / (1 + |optimum|)
    beta_determined: bool = True     # False where d = g: every β gives the same step

    def ok(self, tol: float = 1e-6) -> bool:
        """Whether the closed form agrees with the solver to ``tol``.

        β is compared only where it is determined; ``x_{t+1}``, the duality gap and the
        model value at the closed-form step always are.

        Parameters
        ----------
        tol : float, default 1e-6
            The tolerance on every error.

        Returns
        -------
        bool or numpy.bool_
            True when the status is optimal and every error is at most ``tol``.
        """
        return (self.status == "optimal" and (self.beta_error <= tol or not self.beta_determined)
                and self.x_error <= tol and self.duality_gap <= tol and self.objective_error <= tol)


def _require_cvxpy():
    try:
        import cvxpy as cp
    except ImportError as err:  # pragma: no cover
        raise ImportError("amtoolkit.validate needs cvxpy (pip install cvxpy clarabel)") from err
    if "CLARABEL" not in cp.installed_solvers():  # pragma: no cover
        raise ImportError("amtoolkit.validate needs the Clarabel solver (pip install clarabel)")
    return cp


def _vector(name: str, value, n: int | None = None) -> np.ndarray:
    arr = np.asarray(value)
    check_real_dtype(name, arr)
    arr = arr.astype(float)
    if arr.ndim != 1 or arr.size == 0 or (n is not None and arr.shape != (n,)):
        raise ValueError(f"{name} must be a non-empty 1-D array" + (f" of shape ({n},)" if n else "")
                         + f", got shape {arr.shape}")
    check_finite_array(name, arr)
    return arr


def _check_inputs(f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t) -> tuple:
    """Every input of one AM step, checked before cvxpy sees it (a NaN or an all-zero model
    would otherwise surface as a cvxpy DCPError)."""
    f, f_hat = check_real("f", f), check_real("f_hat", f_hat)
    g = _vector("g", g)
    n = g.shape[0]
    d = _vector("d", d, n)
    if not (np.any(g) or np.any(d)):
        raise ValueError("g and d must not both be zero: the model is then flat and the step "
                         "u = 0 has no multiplier to check")
    lr = check_real("lr", lr, 0.0, None, low_closed=False)
    lam = check_real("lam", lam, 0.0, None)
    beta_max = check_real("beta_max", beta_max, 0.0, 1.0)
    mu = check_real("mu", mu, 0.0, None)
    if P is not None:
        P = _vector("P", P, n)
        if np.any(P <= 0):
            raise ValueError(f"P must hold positive entries (a diagonal preconditioner), got min {P.min()!r}")
    x_t = None if x_t is None else _vector("x_t", x_t, n)
    return f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t


def _scaled_data(f, f_hat, g, d, lr, lam, P, mu, x_t):
    n = g.shape[-1]
    P = np.ones(n) if P is None else P
    Pt = (1.0 + lam * P) * P
    x_t = np.zeros(n) if x_t is None else x_t
    sigma = max(np.linalg.norm(g), np.linalg.norm(d), np.sqrt(mu) * np.linalg.norm(Pt * x_t), 1e-300)
    s_u = lr * sigma / (np.mean(Pt) * (1.0 + mu * lr))
    s_f = sigma * s_u
    return dict(g=g / sigma, d=d / sigma, c=(f_hat - f) / s_f, P=P, Pt=Pt, x_t=x_t, lam=lam, mu=mu,
                lr=lr, s_u=s_u, s_f=s_f, sigma=sigma, f=f)


def _quad_terms(cp, z, D):
    """The scaled non-plane part of the primal objective in z."""
    s_u, s_f, lr, Pt = D["s_u"], D["s_f"], D["lr"], D["Pt"]
    obj = (s_u ** 2 / (2.0 * lr * s_f)) * cp.sum(cp.multiply(Pt, cp.square(z)))
    obj += D["lam"] * (D["P"] * D["d"]) @ z
    if D["mu"]:
        xs = D["x_t"] / s_u  # x_t in units of s_u
        obj += (D["mu"] * s_u ** 2 / (2.0 * s_f)) * cp.sum(cp.multiply(Pt, cp.square(z + xs)))
    return obj


def solve_primal(f, f_hat, g, d, lr, lam=0.0, beta_max=1.0, P=None, mu=0.0, x_t=None):
    """Eq. 9 (or Eq. 14) as an epigraph QP solved by Clarabel: the step and β from the multipliers.

    With ``beta_max = 1`` the two planes are two constraints ``r ≥ plane``; with
    ``beta_max < 1`` the capped model ``a + β_max·max(0, b - a)`` is used, whose constraint
    ``s ≥ b - a`` has the multiplier β ∈ [0, β_max]. The data are rescaled to order 1
    (module docstring).

    Parameters
    ----------
    f, f_hat : float
        ``f(x_t)`` and the memory plane's value at ``x_t``.
    g : array_like of shape (d,)
        The gradient at ``x_t``.
    d : array_like of shape (d,)
        The previous direction ``d_t`` (``g`` and ``d`` not both zero).
    lr : float
        The step size η > 0.
    lam : float, default 0.0
        λ ≥ 0.
    beta_max : float, default 1.0
        The upper clip of β, in [0, 1].
    P : array_like of shape (d,) or None, default None
        The diagonal preconditioner of Eq. 14 (positive entries); None for Eq. 9.
    mu : float, default 0.0
        Decoupled weight decay μ ≥ 0 (Eq. 14).
    x_t : array_like of shape (d,) or None, default None
        The iterate (the origin when None); it matters only when ``mu`` is not 0.

    Returns
    -------
    u : ndarray of shape (d,) or None
        The step ``x_{t+1} - x_t`` (None when the solve is not optimal).
    beta : float
        The memory plane's multiplier (NaN when not optimal).
    value : float
        The optimal value (NaN when not optimal).
    info : dict
        ``status`` and ``solve_time``; when optimal also ``stationarity`` and
        ``complementarity``.

    Raises
    ------
    ValueError
        If an input is not finite or out of its range, ``g`` and ``d`` are both zero, a
        vector is not 1-D of the length of ``g``, or ``P`` has a non-positive entry.
    TypeError
        If a scalar is not a single real number, or an array is complex or not numeric.
    ImportError
        If cvxpy or the Clarabel solver is missing.

    References
    ----------
    K. Topollai and A. Choromanska, arXiv:2510.04988, 2025: Eq. 8-9 (model and proximal step),
    Eq. 14 (preconditioned form).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import validate
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> u, beta, value, info = validate.solve_primal(1.0, 1.5, g, d, lr=1.0)
    >>> print(np.round(u, 6), round(beta, 6), round(float(value), 6), info["status"])
    [-0.25 -0.75] 0.75 1.0625 optimal
    """
    cp = _require_cvxpy()
    f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t = _check_inputs(f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t)
    D = _scaled_data(f, f_hat, g, d, lr, lam, P, mu, x_t)
    n = D["g"].shape[0]
    z = cp.Variable(n)
    a = D["g"] @ z  # (s_u σ / s_f) = 1 by the choice of scales
    b = D["c"] + D["d"] @ z
    if beta_max >= 1.0:
        r = cp.Variable()
        cons = [r >= a, r >= b]
        obj = r + _quad_terms(cp, z, D)
    else:
        s = cp.Variable()
        cons = [s >= b - a, s >= 0]
        obj = a + beta_max * s + _quad_terms(cp, z, D)
    prob = cp.Problem(cp.Minimize(obj), cons)
    t0 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
               tol_ktratio=1e-10)
    elapsed = time.perf_counter() - t0
    if prob.status != cp.OPTIMAL:
        return None, np.nan, np.nan, dict(status=prob.status, solve_time=elapsed)
    beta = float(cons[1].dual_value) if beta_max >= 1.0 else float(cons[0].dual_value)
    zv = np.asarray(z.value)
    # KKT: stationarity of the Lagrangian in z, complementary slackness.
    grad_quad = (D["s_u"] ** 2 / (lr * D["s_f"])) * D["Pt"] * zv + D["lam"] * D["P"] * D["d"]
    if mu:
        grad_quad = grad_quad + (mu * D["s_u"] ** 2 / D["s_f"]) * D["Pt"] * (zv + D["x_t"] / D["s_u"])
    stat = np.linalg.norm((1 - beta) * D["g"] + beta * D["d"] + grad_quad)
    if beta_max >= 1.0:
        rv = float(r.value)
        comp = max(abs((1 - beta) * (rv - float(a.value))), abs(beta * (rv - float(b.value))))
    else:
        sv = float(s.value)
        comp = max(abs(beta * (sv - float((b - a).value))), abs(float(cons[1].dual_value) * sv))
    value = D["f"] + D["s_f"] * float(prob.value)
    return D["s_u"] * zv, beta, value, dict(status="optimal", solve_time=elapsed,
                                            stationarity=float(stat), complementarity=float(comp))


def solve_dual(f, f_hat, g, d, lr, lam=0.0, beta_max=1.0, P=None, mu=0.0, x_t=None):
    """Eq. 11 (or the dual of Eq. 14) as a concave QP in β ∈ [0, β_max], solved by Clarabel.

    Parameters
    ----------
    f, f_hat : float
        ``f(x_t)`` and the memory plane's value at ``x_t``.
    g : array_like of shape (d,)
        The gradient at ``x_t``.
    d : array_like of shape (d,)
        The previous direction ``d_t`` (``g`` and ``d`` not both zero).
    lr : float
        The step size η > 0.
    lam : float, default 0.0
        λ ≥ 0.
    beta_max : float, default 1.0
        The upper clip of β, in [0, 1].
    P : array_like of shape (d,) or None, default None
        The diagonal preconditioner of Eq. 14 (positive entries); None for Eq. 9.
    mu : float, default 0.0
        Decoupled weight decay μ ≥ 0 (Eq. 14).
    x_t : array_like of shape (d,) or None, default None
        The iterate (the origin when None); it matters only when ``mu`` is not 0.

    Returns
    -------
    beta : float
        The maximiser (NaN when the solve is not optimal).
    value : float
        The optimal value (NaN when not optimal).
    info : dict
        ``status`` and ``solve_time``.

    Raises
    ------
    ValueError
        If an input is not finite or out of its range, ``g`` and ``d`` are both zero, a
        vector is not 1-D of the length of ``g``, or ``P`` has a non-positive entry.
    TypeError
        If a scalar is not a single real number, or an array is complex or not numeric.
    ImportError
        If cvxpy or the Clarabel solver is missing.

    References
    ----------
    K. Topollai and A. Choromanska, arXiv:2510.04988, 2025: Eq. 11 (dual QP), Sec. 3.3 (dual of Eq. 14).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import validate
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> beta, value, info = validate.solve_dual(1.0, 1.5, g, d, lr=1.0)
    >>> round(beta, 6), round(float(value), 6)
    (0.75, 1.0625)
    """
    cp = _require_cvxpy()
    f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t = _check_inputs(f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t)
    D = _scaled_data(f, f_hat, g, d, lr, lam, P, mu, x_t)
    beta = cp.Variable()
    s = (1 - beta) * D["g"] + beta * D["d"] + D["lam"] * D["P"] * D["d"]
    # scaled: s_f⁻¹ · η σ²/(2(1+μη)) ‖s + μ P̃ x_t/σ‖²_{P̃⁻¹}
    if mu:
        s = s + mu * D["Pt"] * D["x_t"] / D["sigma"]
    coef = lr * D["sigma"] ** 2 / (2.0 * (1.0 + mu * lr) * D["s_f"])
    obj = beta * D["c"] - coef * cp.sum(cp.multiply(1.0 / D["Pt"], cp.square(s)))
    const = (0.5 * mu * float(D["x_t"] @ (D["Pt"] * D["x_t"])) / D["s_f"]) if mu else 0.0
    prob = cp.Problem(cp.Maximize(obj), [beta >= 0, beta <= beta_max])
    t0 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    elapsed = time.perf_counter() - t0
    if prob.status != cp.OPTIMAL:
        return np.nan, np.nan, dict(status=prob.status, solve_time=elapsed)
    return float(beta.value), D["f"] + D["s_f"] * (float(prob.value) + const), \
        dict(status="optimal", solve_time=elapsed)


def check_step(f_t, f_hat, g, d, lr, lam=0.0, beta_max=1.0, P=None, mu=0.0, x_t=None) -> StepCheck:
    """Compare the closed form of one AM step (Eq. 12-13, or Eq. 14) with the primal and dual QPs.

    Where ``d = g`` (to rounding) the two planes are parallel, every β gives the same step
    (Eq. 13), and the closed form's β is arbitrary: ``beta_determined`` is then False and
    :meth:`StepCheck.ok` compares ``x_{t+1}`` and the model's value at the closed-form
    step with the QP's optimum instead of β.

    Parameters
    ----------
    f_t : float
        ``f(x_t)``.
    f_hat : float
        The memory plane's value at ``x_t``.
    g : array_like of shape (d,)
        The gradient at ``x_t``.
    d : array_like of shape (d,)
        The previous direction ``d_t`` (``g`` and ``d`` not both zero).
    lr : float
        The step size η > 0.
    lam : float, default 0.0
        λ ≥ 0.
    beta_max : float, default 1.0
        The upper clip of β, in [0, 1].
    P : array_like of shape (d,) or None, default None
        The diagonal preconditioner of Eq. 14 (positive entries); None for Eq. 9.
    mu : float, default 0.0
        Decoupled weight decay μ ≥ 0 (Eq. 14).
    x_t : array_like of shape (d,) or None, default None
        The iterate (the origin when None).

    Returns
    -------
    StepCheck
        The two β, the two steps and the errors.

    Raises
    ------
    ValueError
        If an input is not finite or out of its range, ``g`` and ``d`` are both zero, a
        vector is not 1-D of the length of ``g``, or ``P`` has a non-positive entry.
    TypeError
        If a scalar is not a single real number, or an array is complex or not numeric.
    ImportError
        If cvxpy or the Clarabel solver is missing.

    See Also
    --------
    amtoolkit.model.beta_star : The closed form checked here.
    validate_history : Every few steps of a recorded run.

    References
    ----------
    K. Topollai and A. Choromanska, arXiv:2510.04988, 2025: Eq. 9, 11, 12, 13 and 14.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import validate
    >>> g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    >>> check = validate.check_step(1.0, 1.5, g, d, lr=1.0)
    >>> bool(check.ok()), round(check.beta_closed, 6), round(check.beta_qp, 6)
    (True, 0.75, 0.75)
    """
    f_t, f_hat, g, d, lr, lam, beta_max, P_arr, mu, x_t = _check_inputs(f_t, f_hat, g, d, lr, lam,
                                                                         beta_max, P, mu, x_t)
    x_t = np.zeros_like(g) if x_t is None else x_t
    beta_c = float(two_plane.beta_star(f_t, f_hat, g, d, lr, lam, beta_max, P_arr, mu, x_t))
    x_c = two_plane.step(x_t, two_plane.direction(beta_c, g, d, lam, P_arr), lr, P_arr, mu)
    u, beta_m, pval, pinfo = solve_primal(f_t, f_hat, g, d, lr, lam, beta_max, P_arr, mu, x_t)
    beta_q, dval, dinfo = solve_dual(f_t, f_hat, g, d, lr, lam, beta_max, P_arr, mu, x_t)
    status = "optimal" if pinfo["status"] == dinfo["status"] == "optimal" else \
        f"primal {pinfo['status']}, dual {dinfo['status']}"
    x_q = x_t + u if u is not None else np.full_like(g, np.nan)
    model_c = _model_value(f_t, f_hat, g, d, lr, lam, beta_max, P_arr, mu, x_t, x_c - x_t)
    scale = max(np.linalg.norm(g), np.linalg.norm(d))
    return StepCheck(
        beta_closed=beta_c, beta_qp=beta_q, beta_mult=beta_m, x_closed=x_c, x_qp=x_q,
        primal_value=pval, dual_value=dval,
        beta_error=max(abs(beta_c - beta_q), abs(beta_c - beta_m)),
        x_error=float(np.linalg.norm(x_c - x_q) / (1.0 + np.linalg.norm(x_c))),
        duality_gap=abs(pval - dval) / (1.0 + abs(pval)),
        stationarity=pinfo.get("stationarity", np.nan),
        complementarity=pinfo.get("complementarity", np.nan),
        status=status, solve_time=pinfo["solve_time"] + dinfo["solve_time"],
        objective_error=abs(model_c - pval) / (1.0 + abs(pval)),
        beta_determined=bool(np.linalg.norm(d - g) > 1e-12 * scale))


def _model_value(f, f_hat, g, d, lr, lam, beta_max, P, mu, x_t, u) -> float:
    """The primal objective of :func:`solve_primal` at the step ``u`` (original scale)."""
    P = np.ones_like(g) if P is None else P
    Pt = (1.0 + lam * P) * P
    c = f_hat - f
    if beta_max >= 1.0:
        planes = max(g @ u, c + d @ u)
    else:
        planes = g @ u + beta_max * max(0.0, c + (d - g) @ u)
    return float(f + planes + (Pt * u) @ u / (2.0 * lr) + lam * (P * d) @ u
                 + 0.5 * mu * (Pt * (u + x_t)) @ (u + x_t))


#: where :func:`validate_history` takes the QPs' data from
SOURCES = ("recomputed", "recorded")


class _Recomputed:
    """The offset f̂(x_t) - f(x_t), the previous direction d_t and AM-AdamW's preconditioner
    P_t, rebuilt step by step from the problem and the replayed iterates only.

    d_t = (x_{t-1} - x_t)/η_{t-1} (Eq. 13), or P_{t-1}((x_{t-1} - (1+μη_{t-1}) x_t))/η_{t-1} for
    AM-AdamW (Eq. 14's step solved for d_t); d_0 = g_0 (Algorithm 1), 0 for AM-AdamW (Adam's
    first moment). Offsets: ``f(x_{t-1}) - f(x_t)`` (Sec. 3.2), its first-order form
    ``g_tᵀ(x_{t-1} - x_t)`` (Sec. 3.4), the aggregate plane
    ``f̂(x_t) = max{f_{t-1} + g_{t-1}ᵀu, f̂(x_{t-1}) + d_{t-1}ᵀu}``, ``u = x_t - x_{t-1}``
    (bundle; Eq. 8's model at the new point), or ``⟨x_t - x*, d_t - g_t⟩`` (distance).
    P_t = (1 - β_max^t)(eps + sqrt(v_t/(1-β2^t))) with v_t the EMA of g² (Sec. 3.3, β_1 read
    as β_max; t counts from 1).
    """

    def __init__(self, opt, x_star):
        hp = opt.hyper
        self.adamw = opt.name == "am_adamw"
        self.kind = hp["offset"]
        if self.kind == "previous" and opt.name == "am_msgd":
            self.kind = "first_order"  # AM-MSGD's f(x_{t-1}) is its first-order estimate
        self.hp, self.x_star = hp, x_star
        self.lam = float(hp["lam"])
        self.mu = float(hp.get("weight_decay", 0.0)) if self.adamw else 0.0
        self.x_prev = self.f_prev = self.g_prev = self.d_prev = self.fhat = self.P_prev = None
        self.v = 0.0

    def at(self, name, t):
        """A hyperparameter at step t (a schedule is evaluated there)."""
        value = self.hp[name]
        return float(value(t) if callable(value) else value)

    def lr(self, t):
        return self.at("lr", t)

    def step(self, t, x, f, g):
        """(gap, d_t, P_t, η_t, μ) at x_t; call once per step, in order."""
        P = None
        if self.adamw:
            b2 = float(self.hp["beta2"])
            self.v = b2 * self.v + (1.0 - b2) * g * g
            bias = 1.0 - float(self.hp["beta_max"]) ** (t + 1)  # Sec. 3.3's 1 - β_1^t, β_1 = β_max
            P = bias * (float(self.hp["eps"]) + np.sqrt(self.v / (1.0 - b2 ** (t + 1))))
        if t == 0:
            d = np.zeros_like(g) if self.adamw else g
            gap, fhat = 0.0, f
        else:
            lr_prev, u = self.lr(t - 1), x - self.x_prev
            if self.adamw:
                d = self.P_prev * (self.x_prev - (1.0 + self.mu * lr_prev) * x) / lr_prev
            else:
                d = -u / lr_prev
            fhat = None
            if self.kind == "previous":
                gap = self.f_prev - f
            elif self.kind == "first_order":
                gap = float(g @ -u)
            elif self.kind == "bundle":
                fhat = max(self.f_prev + self.g_prev @ u, self.fhat + self.d_prev @ u)
                gap = fhat - f
            else:
                gap = float((x - self.x_star) @ (d - g))
        self.x_prev, self.f_prev, self.g_prev, self.d_prev, self.fhat, self.P_prev = x, f, g, d, fhat, P
        return gap, d, P, self.lr(t), self.mu


#: the default tolerance of the ``ok`` column for a float64 run
TOL_FLOAT64 = 1e-6


def default_tol(dtype) -> float:
    """The default tolerance of :func:`validate_history` for a run computed in ``dtype``.

    The optimizer computes β and ``x_{t+1}`` in the run's precision, and β divides the
    offset by ``η‖d_t - g_t‖²`` (Eq. 12), so its error is a few hundred times the unit
    round-off where the planes are close. ``1e-6`` for float64 (where ``ε ≈ 2.2e-16`` leaves
    room for that cancellation); ``1e4·ε = 1.2e-3`` for float32 (the errors measured on
    float32 runs reach 2e-5, ``tests/validate/test_replay.py``).

    Parameters
    ----------
    dtype : numpy dtype or str
        The run's floating dtype (``history.meta["dtype"]``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``dtype`` is neither float32 nor float64.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return TOL_FLOAT64 if dtype == np.float64 else 1e4 * float(np.finfo(dtype).eps)


@dataclass
class _Replay:
    """What :func:`validate_history` replays, checked up front (:func:`_replay_plan`)."""

    opt: Any
    x0: np.ndarray
    dtype: np.dtype
    last_step: int                 # the last recorded step: the replay runs steps 0..last_step
    losses: dict                   # recorded step -> recorded loss (the minibatch loss with batches)
    batch_size: int | None
    seed: int


def _cannot(reason: str, allowed: str) -> ValueError:
    return ValueError(f"validate_history cannot replay this history: {reason}. It replays {allowed}")


_ALLOWED = ("one run of am_mgd, am_msgd or am_adamw with the adaptive β, as amt.run returned it "
            "(or as load_history read it back with its metadata), on the problem it ran on")


def _replay_plan(history, problem) -> _Replay:
    """Every reason a history cannot be replayed, checked before anything is solved.

    The principle: validate_history either replays the run exactly as ``amt.run`` computed
    it (same optimizer, start, dtype, minibatches and steps) or refuses up front and says
    why; a mismatch found during the replay is then a real disagreement, never a replay
    the tool could not do.
    """
    from ..problems.base import Problem
    from ..runner.history import History, _rebuild

    if not isinstance(history, History):
        raise TypeError(f"history must be an amtoolkit History, got {type(history).__name__}")
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an amtoolkit Problem, got {type(problem).__name__}")
    meta = history.meta if isinstance(history.meta, dict) else {}
    if history.n_runs != 1:
        batched = history.optimizer is not None and bool(history.optimizer.batch_shape)
        raise _cannot(f"it holds {history.n_runs} runs" + (" (a batched optimizer)" if batched else
                      " (several histories joined by concat or run(seeds=...))")
                      + "; validate each run's own History", _ALLOWED)
    method = history.optimizer.name if history.optimizer is not None else meta.get("method")
    if method is None:
        raise _cannot("it has no metadata (meta['method'] is missing) and no optimizer, so the run "
                      "is unknown", _ALLOWED)
    if not (isinstance(method, str) and method.startswith("am_")):
        raise ValueError(f"validate_history needs a history of an AM optimizer (am_mgd, am_msgd, "
                         f"am_adamw), got {method!r}")
    opt, x0 = history.optimizer, history.x0
    if opt is None:
        _, _, why = _rebuild(meta, 1)
        raise _cannot(f"history.optimizer is None: {why or 'it was not kept'}; validate the History "
                      "that amt.run returned (it keeps the optimizer, schedules included)", _ALLOWED)
    if opt.hyper.get("beta") is not None:
        raise ValueError(f"validate_history needs an adaptive AM run; this {opt.name} has a fixed "
                         f"beta={opt.hyper['beta']!r}")
    if opt.batch_shape:
        raise _cannot(f"its optimizer holds {opt.batch_shape[0]} configurations", _ALLOWED)
    if x0 is None:
        raise _cannot("its start x0 was not recorded (history.x0 is None)", _ALLOWED)
    from ..backend import to_numpy
    x0 = np.asarray(to_numpy(x0))
    if x0.ndim == 2 and x0.shape[0] == 1:  # the start of a one-run concat
        x0 = x0[0]
    if x0.shape != (problem.dim,):
        raise _cannot(f"its start x0 has shape {x0.shape} and the problem {problem.name!r} has "
                      f"dimension {problem.dim}", _ALLOWED)
    for key, mine in problem.describe().items():
        if key in meta and meta[key] != mine:
            raise _cannot(f"it ran on {key}={meta[key]!r}, and the problem given has {key}={mine!r}", _ALLOWED)
    dtype = np.dtype(meta.get("dtype", x0.dtype if x0.dtype.kind == "f" else "float64"))
    if dtype not in (np.float32, np.float64):
        raise _cannot(f"its dtype is {dtype}: a replay compares at the run's round-off, and only float32 "
                      f"and float64 leave a meaningful tolerance (float16's ε is 9.8e-4)",
                      _ALLOWED + " in float32 or float64")
    frame = history.frame
    missing = [c for c in ("step", "loss") if c not in frame.columns]
    if missing or frame.empty:
        raise _cannot(f"its table has no {missing or 'rows'}", _ALLOWED)
    steps = frame["step"].to_numpy()
    if np.any(np.diff(steps) <= 0) or steps[0] != 0:
        raise _cannot("its steps do not increase from 0 (rows were dropped or reordered)", _ALLOWED)
    batch_size = meta.get("batch_size")
    seed = meta.get("seed", 0)
    if batch_size:
        if problem.n_samples is None:
            raise _cannot(f"it ran with batch_size={batch_size} and {problem.name} has no samples", _ALLOWED)
        if not isinstance(seed, (int, np.integer)):
            raise _cannot(f"its minibatch seed is {seed!r}, not one integer: the batches it used are "
                          "unknown", _ALLOWED)
    return _Replay(opt, x0.astype(dtype), dtype, int(steps[-1]), dict(zip(steps.tolist(), frame["loss"].to_numpy())),
                   int(batch_size) if batch_size else None, int(seed))


def validate_history(history, problem, every: int = 10, tol: float | None = None,
                     source: str = "recomputed") -> pd.DataFrame:
    """Replay a recorded single AM run and check every ``every``-th step against cvxpy.

    The replay re-runs the history's optimizer from its ``x0``, in the run's dtype, on the
    minibatches the run drew (``problem.sampler(batch_size, seed)``, one batch per step as
    :func:`amtoolkit.run` draws them), every step, and asserts that it reproduces every
    recorded loss (the recorded rows, whatever ``record_every`` was). Each checked step solves
    the primal and dual QPs of Eq. 9 (Eq. 14 for AM-AdamW) built on the gradient (and, with
    minibatches, the batch loss) the optimizer saw, and compares the β (before a clip/reset
    variant) and ``x_{t+1}`` that the optimizer produced with their solutions. For AM-MSGD
    on minibatches this is the model of Sec. 3.4: the plane of the batch gradient
    ``∇f(x_t, s_t)`` and the first-order offset on the same batch.

    Parameters
    ----------
    history : History
        A single run of ``am_mgd``, ``am_msgd`` or ``am_adamw`` with the adaptive β, with its
        optimizer and start (as :func:`amtoolkit.run` returns it, or as
        :func:`amtoolkit.load_history` reads it back when it can rebuild them); full
        gradients or minibatches, any ``record_every``, float64 or float32 (not float16).
    problem : Problem
        The problem it ran on (with ``x_star`` for ``offset="distance"``).
    every : int, default 10
        Check the steps ``1 ≤ t < T`` with ``t % every == 0`` (``T`` the last recorded
        step); ≥ 1. A step need not have been recorded: the replay computes every step.
    tol : float or None, default None
        The tolerance of the ``ok`` column on β and ``x_{t+1}``; None:
        :func:`default_tol` of the run's dtype (1e-6 for float64, 1.2e-3 for float32).
    source : {"recomputed", "recorded"}, default "recomputed"
        Where the QPs' data come from:

        * ``"recomputed"``: the offset ``f_hat - f``, the previous direction ``d_t`` and the
          preconditioner ``P_t`` are rebuilt from the problem and the replayed iterates,
          so a wrong offset or preconditioner in the optimizer shows;
        * ``"recorded"``: the optimizer's own ``offset_gap``, ``d`` buffer and
          preconditioner are used; this checks only the closed form given those values.

    Returns
    -------
    pandas.DataFrame
        One row per checked step: ``step``, ``beta_closed`` (the optimizer's),
        ``beta_qp``, ``beta_error``, ``x_error`` (NaN for the clip/reset variants, whose
        step is not the model's minimiser), ``duality_gap``, ``stationarity``,
        ``complementarity``, ``status``, ``ok``, ``solve_time``.

    Raises
    ------
    ValueError
        Up front, naming the reason, if the history cannot be replayed: it is not of an AM
        optimizer or has a fixed ``beta``; it holds several runs (a batched optimizer or a
        concat); its optimizer or start is unknown (no metadata, or a schedule that
        ``load_history`` could not rebuild); it ran on another problem (name or dimension),
        on minibatches of a problem without samples, or in a dtype other than float32 and
        float64. Also if ``source``, ``every`` or
        ``tol`` is out of its range.
    TypeError
        If ``history`` is not a History or ``problem`` not a Problem.
    RuntimeError
        If the replay does not reproduce a recorded loss (to ``100·ε`` of the run's dtype,
        relative): the run was not computed by this optimizer from this start.

    Notes
    -----
    The recomputed offsets difference consecutive iterates, so they are exact only while
    the steps stay well above the rounding of x (about ε‖x‖); check runs before they
    converge to machine precision. The replay stops at the first non-finite loss or
    gradient (a diverged run): steps from there on are not checked.

    References
    ----------
    K. Topollai and A. Choromanska, arXiv:2510.04988, 2025: Eq. 9, 11-14, Sec. 3.2 and 3.4
    (offsets; Sec. 3.4 the minibatch model), Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    >>> history = amt.run(amt.optimizers.am_mgd(lr=0.2), q, 21, x0=np.ones(2))
    >>> table = amt.validate.validate_history(history, q, every=10)
    >>> table["step"].tolist(), bool(table["ok"].all())
    ([10, 20], True)
    """
    from ..optimizers.adaptive_memory import adamw_preconditioner

    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be an integer >= 1, got {every!r}")
    every = int(every)
    plan = _replay_plan(history, problem)
    tol = default_tol(plan.dtype) if tol is None else check_real("tol", tol, 0.0, None, low_closed=False)
    rtol = 100.0 * float(np.finfo(plan.dtype).eps)
    opt = plan.opt
    variant = opt.hyper.get("variant", "am")
    x_star = np.asarray(problem.x_star, dtype=plan.dtype) if "x_star" in opt.needs else None
    sampler = problem.sampler(plan.batch_size, plan.seed) if plan.batch_size else None
    rebuild = _Recomputed(opt, x_star)
    state = opt.init(plan.x0)
    rows = []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(plan.last_step + 1):
            batch = next(sampler) if sampler is not None else None
            loss, g = problem.value_and_grad(state.x, batch)
            f_t = float(loss)
            if t in plan.losses:
                want = float(plan.losses[t])
                if not (np.isclose(f_t, want, rtol=rtol, atol=1e-300) or (np.isnan(f_t) and np.isnan(want))):
                    raise RuntimeError(f"the replay does not reproduce the recorded loss at step {t}: "
                                       f"{f_t!r} against {want!r} (relative tolerance {rtol:.1e}): the "
                                       f"history was not computed by this optimizer from this start on "
                                       f"this problem")
            if t == plan.last_step or not (np.isfinite(f_t) and np.all(np.isfinite(g))):
                break
            kw = {}
            if "loss" in opt.needs:
                kw["loss"] = loss  # as amt.run passes it: the problem's value, in the run's dtype
            if x_star is not None:
                kw["x_star"] = x_star
            x_t = np.asarray(state.x, float)
            g64 = np.asarray(g, float)
            new = opt.update(state, g, **kw)
            info = new.info
            gap, d, P, lr, mu = rebuild.step(t, x_t, f_t, g64)
            if t >= 1 and t % every == 0:
                if source == "recorded":
                    gap, d, P = float(info["offset_gap"]), np.asarray(state.buffers["d"], float), \
                        (adamw_preconditioner(new) if opt.name == "am_adamw" else None)
                    lr, mu = float(info["lr"]), float(info.get("mu", 0.0))
                chk = check_step(f_t, f_t + float(gap), g64, d, lr, rebuild.lam, rebuild.at("beta_max", t),
                                 P=None if P is None else np.asarray(P, float), mu=mu, x_t=x_t)
                # The optimizer's own β and x_{t+1} are what is checked. With variant clip or
                # reset the step uses a modified β, so only β_AM (before the variant) is compared.
                beta_opt = float(info["beta_am"])
                x_new = np.asarray(new.x, float)
                x_err = float(np.linalg.norm(x_new - chk.x_qp) / (1 + np.linalg.norm(x_new))) \
                    if variant == "am" else np.nan
                b_err = max(abs(beta_opt - chk.beta_qp), abs(beta_opt - chk.beta_mult))
                rows.append(dict(step=t, beta_closed=beta_opt, beta_qp=chk.beta_qp, beta_error=b_err,
                                 x_error=x_err, duality_gap=chk.duality_gap, stationarity=chk.stationarity,
                                 complementarity=chk.complementarity, status=chk.status,
                                 ok=chk.status == "optimal" and b_err <= tol and not x_err > tol,
                                 solve_time=chk.solve_time))
            state = new
    return pd.DataFrame(rows, columns=["step", "beta_closed", "beta_qp", "beta_error", "x_error", "duality_gap",
                                       "stationarity", "complementarity", "status", "ok", "solve_time"])
