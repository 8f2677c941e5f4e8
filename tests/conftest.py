"""Shared fixtures: the array backends and the LIBSVM data folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

BACKENDS = ["numpy", "array_api_strict"]


@pytest.fixture(params=BACKENDS)
def xp(request):
    """The array namespace under test: NumPy, and array-api-strict (the standard only)."""
    if request.param == "numpy":
        import array_api_compat.numpy as xp_np

        return xp_np
    strict = pytest.importorskip("array_api_strict", reason="array-api-strict is not installed "
                                 "(pip install -e '.[dev]')")
    return strict


def libsvm_dir() -> Path | None:
    raw = os.environ.get("AMTOOLKIT_DATA")
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_dir() else None


@pytest.fixture
def data_dir():
    """The folder of real LIBSVM files; tests using it skip when it is not set."""
    path = libsvm_dir()
    if path is None:
        pytest.skip("AMTOOLKIT_DATA is not set to the LIBSVM data folder (CI sets it to "
                    "../shared/data/libsvm)")
    return path


def to_np(a):
    from amtoolkit.backend import to_numpy

    return np.asarray(to_numpy(a))
