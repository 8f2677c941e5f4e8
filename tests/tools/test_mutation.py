"""tools/mutation.py: its tables match the code, and its mutants are the single faults it says."""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("amt_mutation_tool", ROOT / "tools" / "mutation.py")
mutation = sys.modules["amt_mutation_tool"] = importlib.util.module_from_spec(_spec)  # (for its dataclass)
_spec.loader.exec_module(mutation)


def test_every_module_and_test_path_in_TESTS_exists():
    for module, tests in mutation.TESTS.items():
        assert (ROOT / module).is_file(), module
        for t in tests:
            assert (ROOT / t.split("::")[0]).exists(), t


def test_every_math_module_with_mutation_sites_has_tests():
    # the scope: model/, optimizers/, memory/ and theory/
    modules = sorted(str(p.relative_to(ROOT)) for pkg in ("model", "optimizers", "memory", "theory")
                     for p in (ROOT / "amtoolkit" / pkg).glob("*.py"))
    untested = [m for m in modules if mutation.mutants(m) and m not in mutation.TESTS]
    assert not untested


@pytest.mark.parametrize("module", sorted({key[0] for key in mutation.EQUIVALENT}))
def test_every_equivalent_mutant_still_exists(module):
    # an entry whose line was rewritten would silently stop applying
    keys = {m.key for m in mutation.mutants(module)}
    stale = [key for key in mutation.EQUIVALENT if key[0] == module and key not in keys]
    assert not stale


SOURCE = '''
def f(x, y=2.0):
    """doc 1 + 1"""
    if x < 0:
        raise ValueError(f"x must be >= 0, got {x + 1}")
    return max(x * y, 1.0)
'''


def test_mutants_are_single_changes_and_skip_checks_docstrings_and_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    (tmp_path / "m.py").write_text(SOURCE)
    found = {(m.source_line, m.mutation) for m in mutation.mutants("m.py")}
    assert found == {("return max(x * y, 1.0)", "* -> /"), ("return max(x * y, 1.0)", "max -> min"),
                     ("return max(x * y, 1.0)", "1.0 -> 2.0")}
    for m in mutation.mutants("m.py"):
        changed = ast.unparse(ast.parse(mutation.mutated_source("m.py", m.index)))
        diff = [(a, b) for a, b in zip(ast.unparse(ast.parse(SOURCE)).splitlines(), changed.splitlines(),
                                       strict=True) if a != b]
        assert len(diff) == 1 and "return" in diff[0][1]
