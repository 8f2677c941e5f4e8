"""RLLC: retrospective learning-law correction over linear memory (arXiv:2402.15262).

State: parameters θ, memory M ∈ R^{d×k} (units as columns), learning law L ∈ R^k.
One step (the order is a [choice]: the correction uses the memory that made the
previous step, before the memory absorbs the new gradient; docs/guide/rllc.md says why)::

    g ← ∇f(θ)
    L ← L + c2 · M⁺ g          # retrospective correction
    M ← M A + g bᵀ             # linear memory (amtoolkit.memory)
    θ ← θ - c1 · M L

[choices] M starts at 0 and L at ``law0`` (default e_1); ``M⁺g`` is the least-squares
solution of ``min ‖M z - g‖``: by default by an SVD of M with the relative cutoff
``rcond`` on its singular values, or through the k×k Gram matrix ``MᵀM`` (``rcond²`` on
the Gram's eigenvalues), or by ridge ``(MᵀM + ridge·I)⁻¹Mᵀg``; directions with
singular values below the cutoff are dropped, so a rank-deficient M gives a bounded
correction where ``numpy.linalg.pinv``'s 1e-15 cutoff does not. ``skip_until_full_rank``
applies no correction while M has fewer than k independent columns.

With ``c2 = 0`` and ``M(μ) + M(0.0)``: ``law0 = (0, 1)`` is gd, ``(1, 0)`` is
``sgd(momentum=μ)`` and ``(μ, 1)`` is ``sgd(momentum=μ, nesterov=True)``.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_choice, check_nonnegative, check_range
from ..backend import asarray_like, namespace
from ..memory import LinearMemory, parse_memory
from ..memory.propagators import spectral_radius
from .base import Optimizer, check_lr, make_state, register

__all__ = ["rllc", "memory_lstsq"]


def memory_lstsq(M, g, method: str = "svd", rcond: float = 1e-7, ridge: float = 0.0):
    """The least-squares coefficients ``z = M⁺ g`` of a gradient in the memory units.

    Solves ``min_z ‖M z - g‖`` with the cutoff of the module docstring: by an SVD of M,
    dropping singular values below ``rcond·s_max`` (``method="svd"``), or through the k×k
    Gram matrix ``MᵀM``, dropping eigenvalues below ``rcond²·w_max`` and, with
    ``ridge > 0``, solving ``(MᵀM + ridge·I) z = Mᵀg`` on the rest. No input checks: this
    is the optimizer's per-step path (:func:`rllc` checks its arguments).

    Parameters
    ----------
    M : ndarray of shape (..., d, k)
        The memory, units as columns.
    g : ndarray of shape (..., d)
        The gradient.
    method : {"svd", "gram"}, default "svd"
        Any value other than ``"svd"`` takes the Gram path.
    rcond : float, default 1e-7
        Relative cutoff on the singular values of M.
    ridge : float, default 0.0
        Added to the kept Gram eigenvalues (Gram path only).

    Returns
    -------
    z : ndarray of shape (..., k)
        The coefficients.
    full_rank : ndarray of bool, shape (...)
        True where no direction was dropped (M has full column rank at this cutoff).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.optimizers import memory_lstsq
    >>> M = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> z, full = memory_lstsq(M, np.array([1.0, 2.0, 3.0]))
    >>> print(np.round(z, 12), bool(full))
    [1. 2.] True
    """
    xp = namespace(M, g)
    Mt = xp.matrix_transpose(M)
    if method == "svd":
        U, S, Vh = xp.linalg.svd(M, full_matrices=False)
        smax = xp.max(S, axis=-1, keepdims=True)
        keep = S > rcond * smax
        coef = xp.where(keep, (xp.matrix_transpose(U) @ g[..., None])[..., 0] / xp.where(keep, S, 1.0), 0.0)
        z = (xp.matrix_transpose(Vh) @ coef[..., None])[..., 0]
        return z, xp.all(keep, axis=-1)
    G = Mt @ M
    rhs = (Mt @ g[..., None])[..., 0]
    w, V = xp.linalg.eigh(G)
    wmax = xp.max(w, axis=-1, keepdims=True)
    keep = w > (rcond * rcond) * wmax
    inv = xp.where(keep, 1.0 / (xp.where(keep, w, 1.0) + ridge), 0.0)
    z = (V @ (inv * (xp.matrix_transpose(V) @ rhs[..., None])[..., 0])[..., None])[..., 0]
    return z, xp.all(keep, axis=-1)


@register("rllc")
def rllc(lr=0.1, memory="M(0.9)+M(0.0)", c2=0.0, law0=None, pinv="svd", rcond=1e-7, ridge=0.0,
         skip_until_full_rank=False, allow_unstable=False) -> Optimizer:
    """RLLC: a linear memory ``M ← M A + g bᵀ`` and a learning law L corrected by ``c2 · M⁺g``.

    One step, in this order (module docstring): ``L ← L + c2 · M⁺ g`` (the retrospective
    correction, with the memory that made the previous step), ``M ← M A + g bᵀ`` (linear
    memory, :mod:`amtoolkit.memory`), ``θ ← θ - c1 · M L``.

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable or str, default 0.1
        c1 > 0, the learning rate of ``θ ← θ - c1 M L``: a float, one value per configuration (K
        runs at once), a schedule ``lr(t)`` of the step count t = 0, 1, ..., or ``"c/L"`` (c
        divided by the problem's smoothness constant, resolved when the run starts).
    memory : LinearMemory or str, default "M(0.9)+M(0.0)"
        The linear memory (A, b): a :class:`amtoolkit.memory.LinearMemory` or a string
        such as ``"M(0.9)+M(0.0)"`` (momentum units), ``"J(0.9,2)"`` (Jordan block),
        ``"C(0.9,0.3)"`` (complex momentum); k units in all. The default is the
        ``M(0.9) ⊕ M(0.0)`` optimizer of the RLLC paper's Figure 2 (as its summary describes
        it).
    c2 : float or ndarray of shape (K,), default 0.0
        The meta learning rate c2 ≥ 0 of the retrospective correction; ``c2 = 0`` keeps
        ``L = law0`` (a fixed linear-memory method). The default 0 is amtoolkit's: the
        available summary gives no value.
    law0 : array_like of shape (k,) or (K, k), or None, default None
        The initial learning law L_0 ∈ R^k, the weight of each memory unit in the step;
        None is e_1 (the first unit only). With ``c2 = 0`` and ``memory = M(μ) + M(0.0)``
        (a momentum unit and the current gradient), ``law0 = (0, 1)`` is gradient descent,
        ``(1, 0)`` PyTorch's heavy ball ``sgd(momentum=μ)`` and ``(μ, 1)`` Nesterov
        ``sgd(momentum=μ, nesterov=True)``.
    pinv : {"svd", "gram", "ridge"}, default "svd"
        How ``M⁺g`` is computed: ``"svd"`` (an orthogonal change of the memory basis leaves
        the trajectory unchanged to rounding), ``"gram"`` (through ``MᵀM``: same cost, but
        it squares cond(M), so the trajectory depends on the basis at the 1e-3 level after
        tens of steps; docs/guide/rllc.md) or ``"ridge"``.
    rcond : float, default 1e-7
        Relative cutoff in (0, 1) on the singular values of M (amtoolkit's choice).
    ridge : float, default 0.0
        > 0 with ``pinv="ridge"``: ``(MᵀM + ridge·I)⁻¹Mᵀg``; 0 otherwise.
    skip_until_full_rank : bool, default False
        Apply no correction while M has rank < k (the linear-invariance lemma needs full
        column rank).
    allow_unstable : bool, default False
        Accept a memory whose propagator A has spectral radius > 1 (refused by default: its
        units grow geometrically and the run ends at a huge loss).

    Returns
    -------
    Optimizer
        ``init(x0)`` and ``update(state, grad)``; buffers ``M`` (shape (..., d, k)), ``L``,
        ``A``, ``b``; ``state.info`` records the law ``law``, the norm of the correction
        ``correction`` and ``full_rank``.

    Raises
    ------
    ValueError
        If ``lr`` is not > 0 (or a malformed ``"c/L"``), ``memory`` cannot be parsed or has
        spectral radius > 1 without ``allow_unstable``, ``c2`` or ``ridge`` is negative,
        ``pinv`` is not one of its choices, ``rcond`` is outside (0, 1), ``pinv="ridge"``
        comes without ``ridge > 0`` (or ``ridge`` without it), or ``law0`` is not finite or
        not of shape (k,) or (K, k). ``init`` raises it when k exceeds the dimension d or
        ``law0`` does not match the batch of ``x0``.
    TypeError
        If ``skip_until_full_rank`` or ``allow_unstable`` is not a bool, or a
        hyperparameter is not a real number or an array of them.

    See Also
    --------
    amtoolkit.memory.parse_memory : The string form of a memory.
    amtoolkit.theory.linear_memory_rate : The exact rate with ``c2 = 0`` on quadratics.

    Notes
    -----
    Only the paper's summary was available: the step order, the initial state (M = 0,
    L = ``law0``) and the pseudo-inverse with its cutoff are amtoolkit's choices
    (docs/guide/rllc.md). The SVD cutoff drops directions whose singular values are below
    ``rcond·s_max``, so a rank-deficient M gives a bounded correction where
    ``numpy.linalg.pinv``'s 1e-15 cutoff does not.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: linear memory, the learning law and its retrospective correction
    ``L ← L + c2 M⁺g``, ``θ ← θ - c1 M L`` (the RLLC functional form, Definition 3.2 in the
    paper's summary), and the linear-invariance lemma (Lemma 3.8).

    Examples
    --------
    With its defaults (``c2 = 0``, ``law0 = e_1`` on ``M(0.9)+M(0.0)``) it is PyTorch's
    heavy ball ``sgd(momentum=0.9)``:

    >>> import numpy as np
    >>> import amtoolkit as amt
    >>> q = amt.Quadratic(np.diag([1.0, 4.0]), np.zeros(2))
    >>> a, b = amt.optimizers.rllc(lr=0.05), amt.optimizers.sgd(lr=0.05, momentum=0.9)
    >>> sa, sb = a.init(np.ones(2)), b.init(np.ones(2))
    >>> for _ in range(10):
    ...     sa, sb = a.update(sa, q.grad(sa.x)), b.update(sb, q.grad(sb.x))
    >>> bool(np.allclose(sa.x, sb.x, rtol=1e-12, atol=0))
    True
    """
    check_lr(lr)
    mem: LinearMemory = parse_memory(memory)
    k = mem.k
    check_bool("allow_unstable", allow_unstable)
    radius = spectral_radius(mem)
    if radius > 1.0 + 1e-12 and not allow_unstable:
        raise ValueError(f"memory {mem} has a propagator A of spectral radius {radius:.6g} > 1: its "
                         f"units grow geometrically and the run diverges; pass allow_unstable=True "
                         f"to run it anyway")
    check_nonnegative("c2", c2)
    check_choice("pinv", pinv, {"gram", "svd", "ridge"})
    check_range("rcond", rcond, 0.0, 1.0, low_closed=False, high_closed=False)
    check_nonnegative("ridge", ridge)
    if pinv == "ridge" and not ridge > 0:
        raise ValueError("pinv='ridge' needs ridge > 0")
    if pinv != "ridge" and ridge:
        raise ValueError("ridge is only used with pinv='ridge'")
    if law0 is None:
        law0 = np.eye(k)[0]
    law0 = np.asarray(law0, dtype=float)
    if law0.ndim not in (1, 2) or law0.shape[-1] != k:
        raise ValueError(f"law0 must have shape ({k},) or (K, {k}) for a memory of k={k} units "
                         f"({mem}), got {law0.shape}")
    if not np.all(np.isfinite(law0)):
        raise ValueError("law0 must be finite")
    check_bool("skip_until_full_rank", skip_until_full_rank)
    method = "gram" if pinv == "ridge" else pinv
    correcting = bool(np.any(np.asarray(c2) != 0))
    hyper = {"lr": lr, "memory": str(mem), "c2": c2, "law0": law0, "pinv": pinv, "rcond": rcond,
             "ridge": ridge, "skip_until_full_rank": bool(skip_until_full_rank)}

    def init(x0):
        d = x0.shape[-1]
        if k > d:
            raise ValueError(f"memory has k={k} units but the iterate has d={d} coordinates; "
                             f"RLLC needs k <= d (M must be able to reach full column rank)")
        xp = namespace(x0)
        lead = tuple(x0.shape[:-1])
        try:
            L = asarray_like(np.broadcast_to(law0, lead + (k,)).copy(), x0)
        except ValueError:
            raise ValueError(f"law0 of shape {law0.shape} does not match x0 of shape {x0.shape}") from None
        M = xp.zeros(lead + (d, k), dtype=x0.dtype, device=x0.device)
        return make_state(x0, {"lr": lr, "c2": c2},
                          {"M": M, "L": L, "A": asarray_like(mem.A, x0), "b": asarray_like(mem.b, x0)})

    def update(state, grad):
        xp = namespace(grad)
        h, t, buf = state.hyper, state.step, state.buffers
        M, L = buf["M"], buf["L"]
        correction = 0.0  # the run loop broadcasts scalars to every run
        full = False
        if correcting and t > 0:
            z, full = memory_lstsq(M, grad, method, rcond, ridge)
            if skip_until_full_rank:
                z = xp.where(full[..., None], z, 0.0)
            delta = h.col("c2") * z
            L = L + delta
            correction = xp.linalg.vector_norm(delta, axis=-1)
        M = M @ buf["A"] + grad[..., :, None] * buf["b"]
        x = state.x - h.col_at("lr", t) * (M @ L[..., None])[..., 0]
        info = {"lr": h.row_at("lr", t), "beta": float("nan"), "law": L, "correction": correction,
                "full_rank": full}
        return state.replace(x=x, step=t + 1, buffers={**buf, "M": M, "L": L}, info=info)

    return Optimizer("rllc", hyper, init, update, columns=("law", "correction"), vectors=frozenset({"law0"}))
