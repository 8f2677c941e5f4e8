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
    """Base class. Subclasses implement ``_value_and_grad(x, data, batch)``."""

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
        """Loss and gradient at ``x`` (shape ``(..., d)``); ``batch`` selects samples."""
        self._check_x(x)
        if batch is not None and self.n_samples is None:
            raise ValueError(f"batch is not supported by {type(self).__name__}: it has no samples")
        return self._value_and_grad(x, self._data_like(x), batch)

    def value(self, x, batch=None):
        return self.value_and_grad(x, batch)[0]

    def grad(self, x, batch=None):
        return self.value_and_grad(x, batch)[1]

    def _value_and_grad(self, x, data, batch):
        raise NotImplementedError

    # -- minibatches ----------------------------------------------------------------
    def sampler(self, batch_size: int, seed: int = 0) -> Iterator[np.ndarray]:
        """Seeded minibatch indices: shuffled epochs, consecutive chunks, without
        replacement inside an epoch (the last incomplete chunk of an epoch is merged
        into the next permutation)."""
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
        """The minimiser (a copy)."""
        return self._solution[0].copy()

    @property
    def f_star(self) -> float:
        return float(self._solution[1])

    def has_x_star(self) -> bool:
        try:
            self.x_star
        except (AttributeError, ValueError):
            return False
        return True

    def describe(self) -> dict[str, Any]:
        return {"problem": self.name, "dim": self.dim}

    def default_x0(self):
        """The origin, in float64 NumPy."""
        return np.zeros(self.dim)


class FunctionProblem(Problem):
    """A problem given by user callables ``fun(x)`` and ``jac(x)`` on 1-D NumPy-like
    arrays (used by :func:`amtoolkit.minimize`)."""

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
    """Refuse complex, string and object arrays (NumPy would drop an imaginary part with
    only a warning); integer and boolean (0/1) data are accepted."""
    kind = np.dtype(arr.dtype).kind
    if kind == "c":
        raise TypeError(f"{name} must be real, got the complex dtype {arr.dtype} (take .real "
                        f"explicitly if the imaginary part is meant to be dropped)")
    if kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")


def as_float_matrix(name: str, a, ndim: int) -> np.ndarray:
    """Validated float64 NumPy copy of an input array of the given rank."""
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
