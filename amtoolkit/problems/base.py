"""The problem interface shared by quadratics, logistic regression and user functions.

A problem evaluates ``value`` (shape ``(...)``) and ``grad`` (shape ``(..., d)``) on
iterates batched over leading axes, in the array namespace of the iterate. Its data
is held in NumPy and mirrored once per (namespace, dtype, device) on first use, so a
problem built on the CPU runs unchanged on array-api-strict or CuPy iterates.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .._checks import check_finite_array, check_int
from ..backend import asarray_like, namespace


class Problem:
    """Base class of the problems: a batched oracle for ``value`` and ``grad`` in any namespace.

    Subclasses implement ``_numpy_data()`` (their arrays, mirrored once per namespace,
    dtype and device on first use) and ``_value_and_grad(x, data, batch)``; problems with a
    known minimiser override ``_solution``.

    Attributes
    ----------
    name : str
        A label for tables and plots.
    dim : int
        The dimension d of the iterates ``(..., d)``.
    n_samples : int or None
        The number of samples (None for problems without samples, which refuse ``batch``).
    """

    name: str = "problem"
    dim: int
    n_samples: int | None = None

    def __init__(self) -> None:
        self._mirrors: dict[tuple, tuple] = {}

    # -- data mirrored in the iterate's namespace -------------------------------
    def _numpy_data(self) -> tuple:
        raise NotImplementedError

    def _data_like(self, x) -> tuple:
        """``(xp, *data)`` in the namespace, dtype and device of ``x`` (cached)."""
        key = (type(x), x.dtype, getattr(x, "device", None) if not isinstance(x, np.ndarray) else None)
        data = self._mirrors.get(key)
        if data is None:
            data = (namespace(x),) + tuple(self._mirror(a, x) for a in self._numpy_data())
            self._mirrors[key] = data
        return data

    def _mirror(self, a, like):
        if a is None or isinstance(a, (int, float)):
            return a
        return asarray_like(a, like)

    def _check_x(self, x) -> None:
        shape = getattr(x, "shape", None)
        if shape is None or len(shape) < 1 or shape[-1] != self.dim:
            raise ValueError(f"x must have shape (..., {self.dim}) for this problem, got "
                             f"{shape if shape is not None else type(x).__name__}")

    # -- oracle -------------------------------------------------------------------
    def value_and_grad(self, x, batch=None):
        """Loss and gradient at ``x``, batched over leading axes.

        Parameters
        ----------
        x : ndarray of shape (..., d)
            The points, in any array-API namespace.
        batch : array_like of int or None, default None
            Sample indices of a minibatch (problems with samples only).

        Returns
        -------
        value : ndarray of shape (...)
            The loss.
        grad : ndarray of shape (..., d)
            Its gradient.

        Raises
        ------
        ValueError
            If ``x`` does not have shape (..., d), or ``batch`` is given to a problem
            without samples.
        """
        self._check_x(x)
        if batch is not None and self.n_samples is None:
            raise ValueError(f"batch is not supported by {type(self).__name__}: it has no samples")
        return self._value_and_grad(x, self._data_like(x), batch)

    def value(self, x, batch=None):
        """The loss at ``x`` (``value_and_grad(x, batch)[0]``)."""
        return self.value_and_grad(x, batch)[0]

    def grad(self, x, batch=None):
        """The gradient at ``x`` (``value_and_grad(x, batch)[1]``)."""
        return self.value_and_grad(x, batch)[1]

    def _value_and_grad(self, x, data, batch):
        raise NotImplementedError

    # -- minibatches ----------------------------------------------------------------
    def sampler(self, batch_size: int, seed: int = 0) -> Iterator[np.ndarray]:
        """Seeded minibatch indices: shuffled epochs cut into consecutive chunks.

        Sampling is without replacement inside an epoch; the last incomplete chunk of an
        epoch is merged into the next permutation.

        Parameters
        ----------
        batch_size : int
            Samples per batch, in [1, n_samples].
        seed : int, default 0
            The seed of the permutations, ≥ 0.

        Yields
        ------
        ndarray of int64, shape (batch_size,)
            The indices of one batch.

        Raises
        ------
        ValueError
            If the problem has no samples, ``batch_size`` is outside [1, n_samples] or
            ``seed`` is negative.
        TypeError
            If ``batch_size`` or ``seed`` is not an integer.
        """
        if self.n_samples is None:
            raise ValueError(f"batch_size is not supported by {type(self).__name__}: it has no samples")
        n = self.n_samples
        batch_size = check_int("batch_size", batch_size)
        seed = check_int("seed", seed, 0)
        if batch_size > n:
            raise ValueError(f"batch_size must be in [1, n_samples={n}], got {batch_size}")
        rng = np.random.default_rng(seed)
        pool = np.empty(0, dtype=np.int64)
        while True:
            while pool.size < batch_size:
                pool = np.concatenate([pool, rng.permutation(n)])
            yield pool[:batch_size]
            pool = pool[batch_size:]

    # -- reference quantities ------------------------------------------------------
    @property
    def _solution(self) -> tuple:
        """``(x_star, f_star)``; subclasses that know them override this (cached)."""
        raise AttributeError(f"{type(self).__name__} has no known minimiser x_star / optimal value f_star")

    @property
    def x_star(self):
        """The minimiser (a copy); AttributeError where it is not known."""
        return self._solution[0].copy()

    @property
    def f_star(self) -> float:
        """The optimal value ``f(x_star)``."""
        return float(self._solution[1])

    def has_x_star(self) -> bool:
        """Whether the minimiser is known (and exists)."""
        try:
            self.x_star
        except (AttributeError, ValueError):
            return False
        return True

    def describe(self) -> dict[str, Any]:
        """The problem's name and dimension, for a run's metadata."""
        return {"problem": self.name, "dim": self.dim}

    def default_x0(self):
        """The origin, in float64 NumPy."""
        return np.zeros(self.dim)


class FunctionProblem(Problem):
    """A problem given by user callables ``fun(x)`` and ``jac(x)`` (used by :func:`amtoolkit.minimize`).

    Parameters
    ----------
    fun : callable
        ``fun(x)``: one real number per point of ``x``.
    jac : callable
        ``jac(x)``: the gradient, an array of the shape of ``x`` (no finite differences:
        the methods are first-order).
    dim : int
        The dimension d ≥ 1.
    name : str, default "function"
        A label.

    Attributes
    ----------
    nfev, njev : int
        The number of calls of ``fun`` and ``jac``.

    Raises
    ------
    TypeError
        If ``fun`` or ``jac`` is not callable, or ``dim`` not an integer.
    ValueError
        If ``jac`` is None or True, or ``dim`` < 1. The oracle raises it when ``jac``
        returns a wrong shape or ``fun`` more than one number per point.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.problems import FunctionProblem
    >>> p = FunctionProblem(lambda x: x @ x, lambda x: 2 * x, dim=2)
    >>> f, g = p.value_and_grad(np.ones(2))
    >>> print(f, g, p.nfev)
    2.0 [2. 2.] 1
    """

    def __init__(self, fun, jac, dim: int, name: str = "function") -> None:
        super().__init__()
        if not callable(fun):
            raise TypeError(f"fun must be callable, got {type(fun).__name__}")
        if jac is None or jac is True:
            raise ValueError("jac must be a callable returning the gradient; the methods here "
                             "are first-order (finite differences are not provided)")
        if not callable(jac):
            raise TypeError(f"jac must be callable, got {type(jac).__name__}")
        self.fun, self.jac, self.dim, self.name = fun, jac, check_int("dim", dim), name
        self.nfev = 0
        self.njev = 0

    def _numpy_data(self) -> tuple:
        return ()

    def _value_and_grad(self, x, data, batch):
        xp = data[0]
        self.nfev += 1
        self.njev += 1
        f = xp.asarray(self.fun(x), dtype=x.dtype)
        g = xp.asarray(self.jac(x), dtype=x.dtype)
        if g.shape != x.shape:  # a scalar or a wrong length would broadcast silently
            raise ValueError(f"jac must return the gradient, an array of shape {x.shape} like x, "
                             f"got shape {g.shape}")
        if f.shape != x.shape[:-1]:
            raise ValueError(f"fun must return one real number per point, got shape {f.shape}")
        return f, g


def check_real_dtype(name: str, arr) -> None:
    """Refuse complex, string and object arrays; integer and boolean (0/1) data are accepted.

    NumPy would drop an imaginary part with only a warning.

    Parameters
    ----------
    name : str
        The name used in the message.
    arr : ndarray or scipy.sparse matrix
        The data.

    Raises
    ------
    TypeError
        If the dtype is complex or not numeric.
    """
    kind = np.dtype(arr.dtype).kind
    if kind == "c":
        raise TypeError(f"{name} must be real, got the complex dtype {arr.dtype} (take .real "
                        f"explicitly if the imaginary part is meant to be dropped)")
    if kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")


def as_float_matrix(name: str, a, ndim: int) -> np.ndarray:
    """A validated float64 NumPy copy of an input array of the given rank.

    Parameters
    ----------
    name : str
        The name used in messages.
    a : array_like
        The data (any array-API array).
    ndim : int
        The required number of axes.

    Returns
    -------
    ndarray of float64
        The copy.

    Raises
    ------
    TypeError
        If ``a`` is not real and numeric.
    ValueError
        If ``a`` does not have ``ndim`` axes or holds NaN or inf.
    """
    from ..backend import to_numpy

    try:
        raw = np.asarray(to_numpy(a))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real numeric array") from None
    check_real_dtype(name, raw)
    arr = raw.astype(np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    check_finite_array(name, arr)
    return arr
