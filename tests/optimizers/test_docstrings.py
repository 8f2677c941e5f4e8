"""The public API documents what it takes and what it returns, in numpydoc form.

For every registered optimizer constructor (``amtoolkit.optimizers.available()``) and every
public function (``__all__``) defined in ``amtoolkit.model``, ``memory``, ``theory``,
``problems``, ``datasets``, ``validate`` and ``backend``: the docstring parses with numpydoc without a warning, every parameter of the
signature has a ``name : type`` entry in its Parameters section, and a function that returns
a value has a Returns section. A registered constructor also cites its source (References)
and carries an example (Examples).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import warnings

import pytest
from numpydoc.docscrape import FunctionDoc

import amtoolkit
from amtoolkit import backend, datasets, memory, model, optimizers, problems, theory, validate


def _parsed(fn) -> FunctionDoc:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns on unknown sections and malformed ones
        return FunctionDoc(fn)


def _documented(doc: FunctionDoc) -> dict[str, str]:
    """``name -> type`` of the Parameters section (``a, b : float`` documents both)."""
    out = {}
    for param in doc["Parameters"]:
        for name in param.name.split(","):
            out[name.strip().lstrip("*")] = param.type
    return out


def _returns_a_value(fn) -> bool:
    """True when the function's own body (not a nested function) returns something."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    body = tree.body[0]

    def walk(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(child, ast.Return) and child.value is not None and not (
                    isinstance(child.value, ast.Constant) and child.value.value is None):
                return True
            if walk(child):
                return True
        return False

    return walk(body)


def _public_functions(package) -> list:
    """The functions of ``package.__all__`` defined inside the package (not re-exported ones)."""
    out = []
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.isfunction(obj) and (obj.__module__ + ".").startswith(package.__name__ + "."):
            out.append(pytest.param(obj, id=f"{package.__name__.split('.')[-1]}.{name}"))
    return out


CONSTRUCTORS = [pytest.param(getattr(optimizers, name), id=f"optimizers.{name}") for name in optimizers.available()]
FUNCTIONS = CONSTRUCTORS + [p for package in (model, memory, theory, problems, datasets, validate, backend)
                            for p in _public_functions(package)]


def test_every_registered_optimizer_is_a_public_function():
    for name in optimizers.available():
        assert inspect.isfunction(getattr(optimizers, name, None)), name
    assert len(CONSTRUCTORS) >= 10 and len(FUNCTIONS) > len(CONSTRUCTORS) + 25


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_every_parameter_is_documented_with_its_type(fn):
    doc = _parsed(fn)
    documented = _documented(doc)
    for name, param in inspect.signature(fn).parameters.items():
        assert name in documented, f"{fn.__qualname__}: parameter {name!r} is not in its Parameters section"
        if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):  # numpydoc leaves **kwargs untyped
            assert documented[name].strip(), f"{fn.__qualname__}: parameter {name!r} has no type ('{name} : type')"
    extra = set(documented) - set(inspect.signature(fn).parameters)
    assert not extra, f"{fn.__qualname__} documents parameters it does not take: {sorted(extra)}"
    assert doc["Summary"] and len(doc["Summary"]) == 1, f"{fn.__qualname__}: the summary must be one line"


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_a_returned_value_is_documented(fn):
    if _returns_a_value(fn):
        assert _parsed(fn)["Returns"], f"{fn.__qualname__} returns a value but has no Returns section"


@pytest.mark.parametrize("fn", CONSTRUCTORS)
def test_registered_constructors_cite_their_source_and_show_an_example(fn):
    doc = _parsed(fn)
    assert "".join(doc["References"]).strip(), f"{fn.__name__}: no source in References"
    assert any(line.lstrip().startswith(">>>") for line in doc["Examples"]), f"{fn.__name__}: no example"


def test_the_am_constructors_cite_the_paper_s_equations():
    for fn in (optimizers.am_mgd, optimizers.am_msgd, optimizers.am_adamw):
        refs = " ".join(_parsed(fn)["References"])
        assert "arXiv:2510.04988" in refs and "Algorithm 1" in refs and "Eq. 1" in refs, fn.__name__
    assert "arXiv:2402.15262" in " ".join(_parsed(optimizers.rllc)["References"])


def test_the_checks_see_a_missing_parameter_and_a_missing_returns():
    """The helpers above fail on a docstring that omits a parameter or its Returns."""

    def bad(a, b=1):
        """Add.

        Parameters
        ----------
        a : float
            The first.
        """
        return a + b

    assert "b" not in _documented(_parsed(bad)) and _returns_a_value(bad) and not _parsed(bad)["Returns"]
    assert amtoolkit.optimizers is optimizers
