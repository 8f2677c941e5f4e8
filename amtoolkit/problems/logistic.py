"""L2-regularised logistic regression.

``f(w) = (1/n) Σ_i log(1 + exp(-y_i a_iᵀw)) + (reg/2)‖w‖²`` with labels in {-1, +1};
the same minimiser as scikit-learn's
``LogisticRegression(C=1/(n·reg), fit_intercept=False)``.
"""

from __future__ import annotations

import warnings
from functools import cached_property

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from .._checks import check_finite_array, check_nonnegative
from ..backend import is_numpy, namespace, to_numpy
from .base import Problem, check_real_dtype


def map_labels(y) -> np.ndarray:
    """Map a two-class label vector to {-1, +1}: the smaller label becomes -1.

    0/1 → -1/+1, 1/2 → -1/+1, -1/1 unchanged.

    Parameters
    ----------
    y : array_like
        The labels (raveled).

    Returns
    -------
    ndarray of float64
        The labels in {-1, +1}.

    Raises
    ------
    ValueError
        If ``y`` is empty, holds NaN or inf or non-numeric labels, or does not hold exactly
        two classes.
    TypeError
        If ``y`` is complex.

    Examples
    --------
    >>> from amtoolkit.problems import map_labels
    >>> print(map_labels([0, 1, 1]), map_labels([1, 2]))
    [-1.  1.  1.] [-1.  1.]
    """
    y = np.asarray(to_numpy(y)).ravel()
    if y.dtype.kind == "c":
        raise TypeError(f"y must hold real labels, got the complex dtype {y.dtype}")
    if y.size == 0:
        raise ValueError("y must hold at least one label, got an empty array")
    try:
        check_finite_array("y", y.astype(float))
    except (TypeError, ValueError) as err:
        raise ValueError(f"y must hold finite numeric labels: {err}") from None
    classes = np.unique(y)
    if classes.size != 2:
        raise ValueError(f"y must hold exactly two classes for binary logistic regression, "
                         f"got {classes.size}: {classes[:5].tolist()}")
    return np.where(y == classes[1], 1.0, -1.0)


class LogisticRegression(Problem):
    """L2-regularised logistic regression: the mean logistic loss plus ``(reg/2)‖w‖²``.

    ``f(w) = (1/n) Σ_i log(1 + exp(-y_i a_iᵀw)) + (reg/2)‖w‖²`` with labels in {-1, +1},
    the model of the AM paper's convex experiments (Sec. 4.1, whose text states no
    regularisation); the same minimiser as
    scikit-learn's ``LogisticRegression(C=1/(n·reg), fit_intercept=False)``. Batched over
    leading axes of ``w``; ``value_and_grad(w, batch=idx)`` evaluates the minibatch loss on
    the rows ``idx`` (mean over the batch, plus the full penalty). The loss is computed as
    ``max(-m, 0) + log1p(exp(-|m|))`` for margins ``m = y aᵀw``, which does not overflow
    for any finite margin.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix of shape (n, d)
        The design matrix, dense or sparse (kept as CSR), finite and real.
    y : array_like of shape (n,)
        Two-class labels (mapped by :func:`map_labels`).
    reg : float, default 1e-3
        The L2 coefficient ≥ 0 (the strong-convexity constant).
    name : str or None, default None
        A label (default ``"logistic(n=...,d=...)"``).

    Raises
    ------
    ValueError
        If ``reg`` is negative, ``X`` is not 2-D or not finite, or ``y`` does not hold one
        label per row of two classes.
    TypeError
        If ``X`` or ``y`` is complex or not numeric.

    Notes
    -----
    ``x_star`` and ``f_star`` come from SciPy's L-BFGS polished by Newton steps to
    ``‖∇f‖ ≤ 1e-10`` (computed once; a RuntimeWarning says when that is not reached).

    Examples
    --------
    At w = 0 every margin is 0 and the loss is log 2:

    >>> import numpy as np
    >>> from amtoolkit.problems import LogisticRegression
    >>> p = LogisticRegression(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), [0, 1, 1], reg=0.1)
    >>> f, g = p.value_and_grad(np.zeros(2))
    >>> print(bool(np.isclose(f, np.log(2))), g)
    True [ 0.         -0.33333333]
    """

    def __init__(self, X, y, reg: float = 1e-3, *, name: str | None = None) -> None:
        super().__init__()
        check_nonnegative("reg", reg)
        if sp.issparse(X):
            check_real_dtype("X", X)
            X = sp.csr_matrix(X, dtype=np.float64)
            X.sort_indices()
            check_finite_array("X", X.data)
        else:
            X = np.asarray(to_numpy(X))
            check_real_dtype("X", X)
            X = X.astype(np.float64)
            if X.ndim != 2:
                raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}")
            check_finite_array("X", X)
        y = np.asarray(to_numpy(y))
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be a 1-D array with one label per row of X "
                             f"(length {X.shape[0]}), got shape {y.shape}")
        self.X, self.y, self.reg = X, map_labels(y), float(reg)
        self.n_samples, self.dim = X.shape
        self.name = name or f"logistic(n={self.n_samples},d={self.dim})"

    # -- oracle ---------------------------------------------------------------------
    def _numpy_data(self) -> tuple:
        return (self.X, self.y)

    def _mirror(self, a, like):
        if sp.issparse(a):
            if is_numpy(like):
                return a if a.dtype == like.dtype else a.astype(like.dtype)  # keep float32 iterates float32
            xp = namespace(like)
            try:  # CuPy keeps the matrix sparse.
                import cupyx.scipy.sparse as csp

                if xp.__name__.startswith(("cupy", "array_api_compat.cupy")):
                    return csp.csr_matrix(a.astype(np.dtype(str(like.dtype))))
            except ImportError:
                pass
            a = a.toarray()
        return super()._mirror(a, like)

    def _margins(self, x, X, y):
        if sp.issparse(X) or _is_cupy_sparse(X):
            lead = x.shape[:-1]
            x2 = x.reshape((-1, self.dim))
            z = (X @ x2.T).T
            return y * z.reshape(lead + (X.shape[0],))
        return y * (x @ X.T)

    def _rows_times(self, s, X):
        if sp.issparse(X) or _is_cupy_sparse(X):
            lead = s.shape[:-1]
            s2 = s.reshape((-1, X.shape[0]))
            return (X.T @ s2.T).T.reshape(lead + (self.dim,))
        return s @ X

    def _value_and_grad(self, x, data, batch):
        xp, X, y = data
        if batch is not None:
            idx = np.asarray(to_numpy(batch))
            if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= self.n_samples:
                raise ValueError(f"batch must be a non-empty 1-D array of row indices in "
                                 f"[0, {self.n_samples}), got {idx!r}")
            if sp.issparse(X) or _is_cupy_sparse(X):
                X = X[idx]
                y = y[idx] if is_numpy(y) else xp.take(y, xp.asarray(idx, device=y.device), axis=0)
            else:
                idx_x = xp.asarray(idx, device=x.device) if not is_numpy(x) else idx
                X = xp.take(X, idx_x, axis=0)
                y = xp.take(y, idx_x, axis=0)
        n = X.shape[0]
        m = self._margins(x, X, y)
        e = xp.exp(-xp.abs(m))
        loss = xp.sum(xp.where(m < 0, -m, 0.0) + xp.log1p(e), axis=-1) / n
        # sigmoid(-m), stable for both signs of m
        s = xp.where(m >= 0, e, 1.0) / (1.0 + e)
        g = self._rows_times((-1.0 / n) * (y * s), X)
        if self.reg:
            loss = loss + (0.5 * self.reg) * xp.sum(x * x, axis=-1)
            g = g + self.reg * x
        return loss, g

    # -- reference quantities ---------------------------------------------------------
    @cached_property
    def smoothness(self) -> float:
        """``‖X‖₂²/(4n) + reg``, an upper bound on the Hessian's largest eigenvalue."""
        X = self.X
        if min(X.shape) <= 2000:
            gram = (X.T @ X) if X.shape[0] >= X.shape[1] else (X @ X.T)
            gram = gram.toarray() if sp.issparse(gram) else gram
            top = float(np.linalg.eigvalsh(gram)[-1])
        else:
            top = float(scipy.sparse.linalg.svds(X, k=1, return_singular_vectors=False)[0] ** 2)
        return top / (4.0 * self.n_samples) + self.reg

    @property
    def strong_convexity(self) -> float:
        """``reg`` (a lower bound on the Hessian's smallest eigenvalue)."""
        return self.reg

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        m = self.y * (self.X @ w)
        s = 0.5 / (1.0 + np.cosh(m))  # σ(m)σ(-m), stable
        X = self.X
        weighted = X.multiply(s[:, None]).tocsr() if sp.issparse(X) else X * s[:, None]
        H = X.T @ weighted
        H = H.toarray() if sp.issparse(H) else np.asarray(H)
        return H / self.n_samples + self.reg * np.eye(self.dim)

    @cached_property
    def _solution(self) -> tuple[np.ndarray, float]:
        """Minimiser by SciPy L-BFGS polished by Newton steps to ‖∇f‖ ≤ 1e-10 (computed once)."""

        def fg(w):
            f, g = self.value_and_grad(w)
            return float(f), np.asarray(g)

        res = scipy.optimize.minimize(fg, np.zeros(self.dim), jac=True, method="L-BFGS-B",
                                      options={"maxiter": 20000, "gtol": 1e-12, "ftol": 0.0,
                                               "maxcor": 30})
        w = res.x
        f, g = fg(w)
        # Polish with a few Newton steps: L-BFGS alone stalls near 1e-9 in ‖∇f‖.
        for _ in range(30):
            if np.linalg.norm(g) <= 1e-12 or self.dim > 5000:
                break
            step = np.linalg.solve(self._hessian(w), g)
            w_new = w - step
            f_new, g_new = fg(w_new)
            if not np.linalg.norm(g_new) < np.linalg.norm(g):
                break
            w, f, g = w_new, f_new, g_new
        if np.linalg.norm(g) > 1e-10:
            warnings.warn(f"{self.name}: f_star computed to ‖∇f‖ = {np.linalg.norm(g):.2e} only "
                          f"(target 1e-10); reg={self.reg} may be too small", RuntimeWarning)
        return w, f

    def describe(self) -> dict:
        """Name, dimension, number of samples and ``reg``, for a run's metadata."""
        return {"problem": self.name, "dim": self.dim, "n_samples": self.n_samples,
                "reg": self.reg}


def _is_cupy_sparse(X) -> bool:
    return type(X).__module__.startswith("cupyx.scipy.sparse")


def make_logistic_data(n_samples: int = 500, n_features: int = 20, seed: int = 0,
                       noise: float = 1.0, density: float = 1.0):
    """Seeded synthetic binary data: Gaussian features, labels from a noisy random linear model.

    Parameters
    ----------
    n_samples : int, default 500
        The number of rows ≥ 2.
    n_features : int, default 20
        The number of columns ≥ 1.
    seed : int, default 0
        The seed, ≥ 0.
    noise : float, default 1.0
        Scales the logit (≥ 0; 0 gives noiseless labels).
    density : float, default 1.0
        The fraction of nonzero features, in (0, 1]; below 1 ``X`` is sparse CSR.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        The features.
    y : ndarray of shape (n_samples,)
        Labels in {-1, +1}, both present.

    Raises
    ------
    ValueError
        If a value is out of its range, or the data would not fit in memory.
    TypeError
        If ``n_samples``, ``n_features`` or ``seed`` is not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.problems import make_logistic_data
    >>> X, y = make_logistic_data(n_samples=50, n_features=3, seed=0)
    >>> X.shape, np.unique(y).tolist()
    ((50, 3), [-1.0, 1.0])
    """
    from .._checks import check_fits_memory, check_int, check_range

    n_samples = check_int("n_samples", n_samples, 2)
    n_features = check_int("n_features", n_features)
    seed = check_int("seed", seed, 0)
    check_fits_memory("n_samples", 8.0 * n_samples * n_features * 3,
                      f"a dense {n_samples}×{n_features} design matrix and copies")
    check_range("noise", noise, 0.0, None)
    check_range("density", density, 0.0, 1.0, low_closed=False)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    if density < 1.0:
        X = X * (rng.random(X.shape) < density)
    w = rng.standard_normal(n_features) / np.sqrt(n_features * density)
    logits = X @ w
    p = 1.0 / (1.0 + np.exp(-logits / max(noise, 1e-12)))
    y = np.where(rng.random(n_samples) < p, 1.0, -1.0)
    if np.unique(y).size < 2:
        y[0] = -y[0]
    return (sp.csr_matrix(X) if density < 1.0 else X), y
