"""Convex quadratics ``f(x) = ½ xᵀAx + bᵀx + c`` with exact reference quantities."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .._checks import check_choice, check_fits_memory, check_int, check_range
from .base import Problem, as_float_matrix


class Quadratic(Problem):
    """The convex quadratic ``f(x) = ½ xᵀAx + bᵀx + c`` with exact reference quantities.

    ``value`` and ``grad = A x + b`` are batched over leading axes of ``x``;
    ``smoothness`` is λ_max(A), ``strong_convexity`` λ_min(A) (0 when singular),
    ``x_star`` solves ``A x = -b`` (least norm) and ``f_star = c + ½ bᵀx_star``. The
    AM paper's motivating example (Sec. 3.1, Figure 1) is of this form.

    Parameters
    ----------
    A : array_like of shape (d, d)
        Symmetric (to 1e-10·max|A|) positive semi-definite matrix; symmetrised.
    b : array_like of shape (d,)
        The linear term.
    c : float, default 0.0
        The constant.
    name : str or None, default None
        A label (default ``"quadratic(d=...)"``).

    Raises
    ------
    ValueError
        If ``A`` is not square, symmetric or positive semi-definite, ``b`` does not have
        shape (d,), or a value is not finite. ``x_star`` raises it when A is singular and
        b is not in its range (f is unbounded below).
    TypeError
        If ``A`` or ``b`` is not a real numeric array, or ``c`` not a real number.

    See Also
    --------
    Quadratic.random : A random instance with a given condition number.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.problems import Quadratic
    >>> q = Quadratic(np.diag([1.0, 4.0]), np.array([1.0, -4.0]), c=0.5)
    >>> print(q.value(np.zeros(2)), q.grad(np.zeros(2)), q.x_star, q.f_star)
    0.5 [ 1. -4.] [-1.  1.] -2.0
    >>> q.smoothness, q.strong_convexity
    (4.0, 1.0)
    """

    def __init__(self, A, b, c: float = 0.0, *, name: str | None = None,
                 _eigh: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        super().__init__()
        A = as_float_matrix("A", A, 2)
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        d = A.shape[0]
        b = as_float_matrix("b", b, 1)
        if b.shape != (d,):
            raise ValueError(f"b must have shape ({d},) to match A, got {b.shape}")
        check_range("c", c)
        scale = max(np.max(np.abs(A)), np.finfo(float).tiny)
        asym = np.max(np.abs(A - A.T))
        if asym > 1e-10 * scale:
            raise ValueError(f"A must be symmetric: max |A - Aᵀ| = {asym:.3g} "
                             f"(allowed: <= 1e-10·max|A| = {1e-10 * scale:.3g})")
        A = 0.5 * (A + A.T)
        if _eigh is None:
            _eigh = np.linalg.eigh(A)
        eigvals, eigvecs = _eigh
        if eigvals[0] < -1e-10 * max(abs(eigvals[-1]), 1.0):
            raise ValueError(f"A must be positive semi-definite: its smallest eigenvalue is "
                             f"{eigvals[0]:.3g} < 0")
        self.A, self.b, self.c = A, b, float(c)
        self.dim = d
        self._eigvals = np.clip(eigvals, 0.0, None)
        self._eigvecs = eigvecs
        self.name = name or f"quadratic(d={d})"

    @classmethod
    def random(cls, dim: int = 50, cond: float = 1e3, seed: int = 0,
               spectrum: str = "log", smoothness: float = 1.0) -> "Quadratic":
        """A random quadratic with eigenvalues in [smoothness/cond, smoothness].

        The eigenvectors are a Haar-random orthogonal matrix, ``b ~ N(0, I)``, ``c = 0``.

        Parameters
        ----------
        dim : int, default 50
            The dimension ≥ 1 (one eigenvalue, ``smoothness``, when 1).
        cond : float, default 1e3
            The condition number κ ≥ 1.
        seed : int, default 0
            The seed, ≥ 0.
        spectrum : {"log", "uniform"}, default "log"
            Eigenvalues spaced geometrically or evenly.
        smoothness : float, default 1.0
            The largest eigenvalue L > 0.

        Returns
        -------
        Quadratic
            Named ``"quadratic(d=...,cond=...,spectrum)"``.

        Raises
        ------
        ValueError
            If a value is out of its range, ``spectrum`` is not one of the two, or the
            matrix would not fit in memory.
        TypeError
            If ``dim`` or ``seed`` is not an integer.

        Examples
        --------
        >>> from amtoolkit.problems import Quadratic
        >>> q = Quadratic.random(dim=5, cond=10.0, seed=0)
        >>> round(q.smoothness, 12), round(q.strong_convexity, 12), q.name
        (1.0, 0.1, 'quadratic(d=5,cond=10,log)')
        """
        dim = check_int("dim", dim)
        seed = check_int("seed", seed, 0)
        check_fits_memory("dim", 8.0 * dim * dim * 4, f"a dense {dim}×{dim} quadratic (A, its "
                          f"eigenvectors and copies)")
        check_range("cond", cond, 1.0, None)
        check_choice("spectrum", spectrum, {"log", "uniform"})
        check_range("smoothness", smoothness, 0.0, None, low_closed=False)
        rng = np.random.default_rng(seed)
        mu = smoothness / cond
        if dim == 1:
            eig = np.array([smoothness])
        elif spectrum == "log":
            eig = np.geomspace(mu, smoothness, dim)
        else:
            eig = np.linspace(mu, smoothness, dim)
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        q = q * np.sign(np.diag(r))
        A = (q * eig) @ q.T
        b = rng.standard_normal(dim)
        return cls(A, b, 0.0, name=f"quadratic(d={dim},cond={cond:g},{spectrum})",
                   _eigh=(eig, q))

    def _numpy_data(self) -> tuple:
        return (self.A, self.b)

    def _value_and_grad(self, x, data, batch):
        xp, A, b = data
        Ax = x @ A
        g = Ax + b
        f = 0.5 * xp.sum(x * Ax, axis=-1) + xp.sum(x * b, axis=-1) + self.c
        return f, g

    @property
    def smoothness(self) -> float:
        """λ_max(A), the smoothness constant L."""
        return float(self._eigvals[-1])

    @property
    def strong_convexity(self) -> float:
        """λ_min(A), the strong-convexity constant μ (0 when A is singular)."""
        return float(self._eigvals[0])

    @cached_property
    def _solution(self) -> tuple[np.ndarray, float]:
        lam, V = self._eigvals, self._eigvecs
        tol = 1e-12 * max(lam[-1], 1.0)
        coef = V.T @ self.b
        inv = np.where(lam > tol, 1.0 / np.where(lam > tol, lam, 1.0), 0.0)
        x = -V @ (inv * coef)
        residual = np.linalg.norm(self.A @ x + self.b)
        if residual > 1e-8 * max(np.linalg.norm(self.b), 1.0):
            raise ValueError("this quadratic is unbounded below (A is singular and b is not in "
                             "its range): x_star and f_star do not exist")
        return x, float(self.c + 0.5 * self.b @ x)

    def describe(self) -> dict:
        """Name, dimension, smoothness and strong convexity, for a run's metadata."""
        return {"problem": self.name, "dim": self.dim, "smoothness": self.smoothness,
                "strong_convexity": self.strong_convexity}
