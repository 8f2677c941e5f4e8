"""Input validation at the public boundary: every error names the parameter and the
allowed range."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .backend import to_numpy


def _as_float_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float array; refuses what NumPy would silently convert or widen:
    strings, booleans, tuples (a tuple is not a batch: use a list or an array),
    complex numbers and arrays of objects."""
    if isinstance(value, (str, bytes, bool, np.bool_, tuple, complex, np.complexfloating)) \
            or callable(value) or value is None:
        raise TypeError(f"{name} must be a real number or a list/array of real numbers, got "
                        f"{type(value).__name__} {value!r}")
    try:
        raw = np.asarray(to_numpy(value))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}") from None
    if raw.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold real numbers, got dtype {raw.dtype} ({value!r})")
    arr = raw.astype(float)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array of shape (K,) (one value per "
                         f"configuration), got shape {arr.shape}")
    return arr


def check_range(name: str, value: Any, low: float | None = None, high: float | None = None,
                low_closed: bool = True, high_closed: bool = True) -> Any:
    """Check that every entry of ``value`` is finite and in the interval; return ``value``."""
    if isinstance(value, float) and math.isfinite(value) and \
            (low is None or (value >= low if low_closed else value > low)) and \
            (high is None or (value <= high if high_closed else value < high)):
        return value  # the common case, a float in range, without building an array
    arr = _as_float_array(name, value)
    if arr.ndim and arr.size == 0:  # an empty batch would run nothing, without a word
        raise ValueError(f"{name} must hold at least one value, got an empty {type(value).__name__}")
    lo_s = "-inf" if low is None else repr(low)
    hi_s = "inf" if high is None else repr(high)
    interval = f"{'[' if low_closed and low is not None else '('}{lo_s}, {hi_s}{']' if high_closed and high is not None else ')'}"
    ok = np.isfinite(arr)
    if low is not None:
        ok &= (arr >= low) if low_closed else (arr > low)
    if high is not None:
        ok &= (arr <= high) if high_closed else (arr < high)
    if not np.all(ok):
        bad = arr[~ok] if arr.ndim else arr
        raise ValueError(f"{name} must lie in {interval}, got {np.ravel(bad)[0].item()!r}"
                         + ("" if arr.ndim == 0 else f" (in {arr.tolist()})"))
    return value


def check_positive(name: str, value: Any) -> Any:
    return check_range(name, value, 0.0, None, low_closed=False)


def check_nonnegative(name: str, value: Any) -> Any:
    return check_range(name, value, 0.0, None)


def check_unit_interval(name: str, value: Any, high_closed: bool = False) -> Any:
    """``value`` in [0, 1) (default) or [0, 1]."""
    return check_range(name, value, 0.0, 1.0, high_closed=high_closed)


def check_real(name: str, value: Any, low: float | None = None, high: float | None = None,
               low_closed: bool = True, high_closed: bool = True) -> float:
    """A single finite real number (not an array) in the interval; returned as a float."""
    arr = _as_float_array(name, value)
    if arr.ndim:
        raise TypeError(f"{name} must be a single real number, got shape {arr.shape}")
    check_range(name, arr, low, high, low_closed, high_closed)
    return float(arr)


def meta_path(path: Path) -> Path:
    """``<path>.meta.json``: where a history's metadata sits beside its CSV."""
    return path.with_name(path.name + ".meta.json")


def check_fits_memory(name: str, n_bytes: float, what: str) -> None:
    """Refuse, before allocating, an array larger than this machine's physical memory."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        total = 2 ** 40
    if n_bytes > total:
        raise ValueError(f"{name}: {what} would need {n_bytes / 2 ** 30:.3g} GiB, more than this "
                          f"machine's {total / 2 ** 30:.3g} GiB of memory")


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_finite_array(name: str, x: Any) -> None:
    """Raise when an array holds NaN or inf."""
    arr = to_numpy(x)
    if arr.dtype.kind not in "fciub":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite; it holds {n_bad} NaN or inf entr"
                         f"{'y' if n_bad == 1 else 'ies'}")


def check_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (a NumPy bool too); not 0/1 or a string such as "no"."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name: str, value: Any, choices) -> Any:
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_out_path(name: str, path: str | os.PathLike, folder: bool = False) -> Path:
    """Check before any computing that ``path`` (a file, or a folder when ``folder``) can be
    written: its folder is created if missing; a directory where a file is expected, a file
    where a folder is expected, or a read-only folder is refused."""
    p = Path(path)
    if folder:
        if p.exists() and not p.is_dir():
            raise ValueError(f"{name} must be a folder, but {str(p)!r} is a file")
        target = p
    else:
        if p.is_dir() or str(path).endswith(("/", os.sep)):
            raise ValueError(f"{name} must be a file path, but {str(p)!r} is a directory")
        target = p.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"{name}: cannot create the folder {str(target)!r}: {err.strerror}") from None
    if not os.access(target, os.W_OK):
        raise ValueError(f"{name}: the folder {str(target)!r} is not writable")
    if not folder:
        for f in (p, meta_path(p)):
            if f.is_dir() or (f.exists() and not os.access(f, os.W_OK)):
                raise ValueError(f"{name}: {str(f)!r} exists and cannot be written as a file")
    return p
