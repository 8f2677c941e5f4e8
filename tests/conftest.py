"""Shared fixtures: the array backends and the LIBSVM data folder.

Under ``CI=true`` nothing but the GPU may be missing: ``AMTOOLKIT_DATA`` must name an
existing folder (the run stops before collecting otherwise), and a skipped test, or a
skipped test module, counts as a failure, except the tests marked ``gpu`` and the module
tests/test_gpu.py. Expected failures (xfail) stay what they are.
"""

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


GPU_MODULE = "tests/test_gpu.py"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_configure(config):
    if on_ci() and libsvm_dir() is None:
        raise pytest.UsageError(f"CI=true needs AMTOOLKIT_DATA set to the LIBSVM data folder; got "
                                f"{os.environ.get('AMTOOLKIT_DATA')!r}, which is not a folder")


def _skip_is_failure(report, allowed: bool) -> None:
    if on_ci() and report.skipped and not hasattr(report, "wasxfail") and not allowed:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where only the GPU tests may skip: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _skip_is_failure(outcome.get_result(), item.get_closest_marker("gpu") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _skip_is_failure(outcome.get_result(), collector.nodeid == GPU_MODULE)


def libsvm_dir() -> Path | None:
    raw = os.environ.get("AMTOOLKIT_DATA")
    if not raw:
        return None
    path = Path(raw)
    return path if path.is_dir() else None


@pytest.fixture
def data_dir():
    """The folder of real LIBSVM files; tests using it skip when it is not set (fail on CI)."""
    path = libsvm_dir()
    if path is None:
        pytest.skip("AMTOOLKIT_DATA is not set to the LIBSVM data folder (CI sets it to "
                    "../shared/data/libsvm)")
    return path


def to_np(a):
    from amtoolkit.backend import to_numpy

    return np.asarray(to_numpy(a))


@pytest.fixture
def oracle_calls(monkeypatch):
    """Count every gradient evaluation of every problem (an optimizer step needs one)."""
    from amtoolkit.problems.base import Problem

    calls = {"n": 0}
    original = Problem.value_and_grad

    def counted(self, x, batch=None):
        calls["n"] += 1
        return original(self, x, batch)

    monkeypatch.setattr(Problem, "value_and_grad", counted)
    return calls
