"""Array namespace, dtype and device helpers.

All numerical code in amtoolkit is written against the Python array API standard.
The namespace is taken from the inputs (``array_api_compat.array_namespace``), and
dtype and device are inferred from the arrays, never hard-coded. SciPy (sparse
matrices, L-BFGS, eigen-solvers) is a NumPy-only boundary: cross it with
:func:`to_numpy` and come back with :func:`asarray_like`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import array_api_compat

__all__ = [
    "namespace",
    "to_numpy",
    "asarray_like",
    "device_of",
    "is_numpy",
    "as_column",
]


_NAMESPACES: dict[tuple, Any] = {}
_NUMPY_IS_STANDARD = int(np.__version__.split(".")[0]) >= 2


def namespace(*arrays: Any):
    """The array namespace of the given arrays (NumPy for Python scalars and sparse matrices).

    Cached by the tuple of argument types: this sits on every step's hot path, and
    array-api-compat's own lookup costs about 10 µs. For NumPy >= 2 arrays this is
    ``numpy`` itself (array-api-compat's wrappers add 5-15 µs per call).

    Parameters
    ----------
    *arrays : array or scalar or None
        The arrays; None, Python scalars and SciPy sparse matrices are ignored.

    Returns
    -------
    module
        The namespace (``numpy``, ``array_api_strict``, CuPy's, ...).

    Raises
    ------
    TypeError
        If the arrays come from different namespaces, or one is not an array.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.backend import namespace
    >>> namespace(np.ones(2), 1.0) is np
    True
    """
    key = tuple(type(a) for a in arrays)
    xp = _NAMESPACES.get(key)
    if xp is None:
        kept = tuple(a for a in arrays if a is not None and not isinstance(a, (int, float, complex))
                     and not _is_scipy_sparse(a))
        xp = array_api_compat.array_namespace(*kept) if kept else \
            array_api_compat.array_namespace(np.empty(0))
        # By name: the submodule array_api_compat.numpy is not imported before it is needed
        # (a first call with array-api-strict or CuPy arrays must not touch it).
        if getattr(xp, "__name__", "") == "array_api_compat.numpy" and _NUMPY_IS_STANDARD:
            xp = np  # NumPy >= 2 implements the standard; its own functions are 2-10x faster
        _NAMESPACES[key] = xp
    return xp


def _is_scipy_sparse(a: Any) -> bool:
    import scipy.sparse as sp

    return sp.issparse(a)


def is_numpy(x: Any) -> bool:
    """True for NumPy arrays and NumPy scalars.

    Parameters
    ----------
    x : object
        Anything.

    Returns
    -------
    bool
        Whether ``x`` is a NumPy array or scalar.
    """
    return array_api_compat.is_numpy_array(x) or isinstance(x, np.generic)


def device_of(x: Any):
    """The device of an array (``"cpu"`` for NumPy).

    Parameters
    ----------
    x : array
        An array of any array-API namespace.

    Returns
    -------
    object
        Its device.
    """
    return array_api_compat.device(x)


def to_numpy(x: Any) -> np.ndarray:
    """Any array-API array as NumPy, without a copy where possible.

    Parameters
    ----------
    x : array, scalar, list or tuple
        CuPy arrays are copied to the host; others go through DLPack or ``np.asarray``.

    Returns
    -------
    ndarray
        The values.

    Examples
    --------
    >>> from amtoolkit.backend import to_numpy
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (int, float, bool, np.generic, list, tuple)):
        return np.asarray(x)
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if hasattr(x, "__dlpack__"):
        try:
            return np.from_dlpack(x)
        except (TypeError, RuntimeError, BufferError):
            pass
    return np.asarray(x)


def asarray_like(value: Any, like: Any, dtype: Any = None):
    """``value`` as an array of the namespace, device and (floating) dtype of ``like``.

    Parameters
    ----------
    value : array_like
        The values; arrays of another namespace cross through NumPy.
    like : array
        The template.
    dtype : dtype or None, default None
        The dtype (``like.dtype`` when None).

    Returns
    -------
    array
        In the namespace and on the device of ``like``.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.backend import asarray_like
    >>> asarray_like(1.5, np.ones(2, dtype=np.float32)).dtype
    dtype('float32')
    """
    xp = namespace(like)
    if dtype is None:
        dtype = like.dtype
    if not isinstance(value, (int, float, bool, list, tuple)) and not is_numpy(value) \
            and namespace(value) is not xp:
        value = to_numpy(value)
    if is_numpy(value) and not array_api_compat.is_numpy_array(like):
        # Cross the boundary through a NumPy array of the right dtype.
        value = np.asarray(value, dtype=to_numpy(xp.zeros((), dtype=dtype)).dtype)
    return xp.asarray(value, dtype=dtype, device=device_of(like))


def as_column(a: Any) -> Any:
    """A per-run scalar of shape ``(...)`` as ``(..., 1)``, to broadcast against ``(..., d)``.

    Python and 0-d scalars are returned as they are.

    Parameters
    ----------
    a : array or scalar
        The per-run values.

    Returns
    -------
    array or scalar
        With a trailing axis of length 1 (arrays of at least one axis).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.backend import as_column
    >>> as_column(np.ones(3)).shape, as_column(0.5)
    ((3, 1), 0.5)
    """
    return a[..., None] if getattr(a, "ndim", 0) > 0 else a
