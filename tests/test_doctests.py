"""The Examples sections of the docstrings run as doctests.

Every module of the ``amtoolkit`` package whose source holds ``>>>`` is found by walking the
package (so a module added later is picked up without editing this file), imported, and its
examples are run with ``NORMALIZE_WHITESPACE | ELLIPSIS``, NumPy's print options fixed,
NumPy's global random generator seeded and the dataset cache in a temporary folder. A module that cannot be imported fails its test:
nothing is skipped. ``__main__`` modules are left out (importing one runs the command line).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import amtoolkit

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
PRINT_OPTIONS = dict(precision=8, suppress=False, linewidth=88, threshold=1000, edgeitems=3,
                     floatmode="maxprec", sign="-", legacy=False)


def _unimportable(name: str) -> None:
    raise ImportError(f"{name} cannot be imported, so its examples cannot run")  # walk_packages would skip it


def _modules_with_examples() -> list[str]:
    """Names of the package's modules whose source contains '>>>', in sorted order."""
    names = [amtoolkit.__name__]
    names += [info.name for info in pkgutil.walk_packages(amtoolkit.__path__, prefix="amtoolkit.",
                                                          onerror=_unimportable)]
    found = []
    for name in names:
        if name.rsplit(".", 1)[-1] == "__main__":
            continue
        spec = importlib.util.find_spec(name)
        origin = getattr(spec, "origin", None)
        if origin and origin.endswith(".py") and ">>>" in Path(origin).read_text(encoding="utf-8"):
            found.append(name)
    return sorted(found)


MODULES = _modules_with_examples()


def test_the_walk_finds_the_documented_modules():
    """The walk reaches nested modules: those below hold Examples (a failing walk finds none)."""
    for name in ("amtoolkit.model.two_plane", "amtoolkit.optimizers.adaptive_memory",
                 "amtoolkit.theory.spectral", "amtoolkit.memory.propagators"):
        assert name in MODULES, name


@pytest.fixture
def fixed_numpy(tmp_path, monkeypatch):
    """Fixed print options and seed; the parsed-data cache of the dataset examples in tmp_path."""
    monkeypatch.setenv("AMTOOLKIT_CACHE", str(tmp_path / "cache"))
    saved = np.get_printoptions()
    state = np.random.get_state()
    np.set_printoptions(**PRINT_OPTIONS)
    np.random.seed(0)
    try:
        yield
    finally:
        np.set_printoptions(**saved)
        np.random.set_state(state)


@pytest.mark.parametrize("name", MODULES)
def test_examples_of(name, fixed_numpy):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    # objects imported from another module are left to that module (doctest's own rule)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name} contains '>>>' but doctest finds no example in it"
    failures = []
    for test in tests:
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=True)
        if result.failed:
            failures.append("".join(out))
    assert not failures, "\n".join(failures)
