"""Sphinx configuration of the amtoolkit documentation.

Build, from the repository root (offline; ``-W`` turns every warning into an error)::

    AMTOOLKIT_DATA=../shared/data/libsvm python -m sphinx -W -b html docs docs/_build/html

The gallery executes every script of ``examples/`` at its small size
(``AMTOOLKIT_EXAMPLES_SMALL=1``), so a failing example fails the build.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document the checkout, not an installed copy
os.environ.setdefault("AMTOOLKIT_EXAMPLES_SMALL", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import amtoolkit  # noqa: E402

project = "amtoolkit"
author = "the amtoolkit authors"
copyright = "the amtoolkit authors"
release = version = amtoolkit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "sg_execution_times.rst",
                    "generated/_subpackages*.rst"]  # read through api.rst
templates_path = ["_templates"]

# -- API reference: autosummary pages generated from the docstrings -------------------
# api.rst lists the top-level names by topic; the table of subpackages is derived from
# amtoolkit.__all__ (every module it names), written to generated/_subpackages.rst and
# included by api.rst, so a new or renamed subpackage needs no edit here.
HERE = Path(__file__).resolve().parent
SUBPACKAGES = [name for name in amtoolkit.__all__ if inspect.ismodule(getattr(amtoolkit, name))]
# A subpackage's name that the top level re-exports (amtoolkit.problems.Quadratic is
# amtoolkit.Quadratic) is documented once, at the top level; the subpackage's page links
# there. Two pages would describe one class twice (a warning, so an error under -W).
TOPLEVEL_ALIASES = {
    f"amtoolkit.{sub}.{name}": f"amtoolkit.{name}"
    for sub in SUBPACKAGES for name in getattr(getattr(amtoolkit, sub), "__all__", ())
    if name in amtoolkit.__all__ and getattr(getattr(amtoolkit, sub), name) is getattr(amtoolkit, name)
}


def subpackage_table(toctree: str) -> str:
    """The autosummary table of the subpackages; its pages go to ``toctree``."""
    return (f".. currentmodule:: amtoolkit\n\n.. autosummary::\n   :toctree: {toctree}\n"
            "   :template: subpackage.rst\n\n" + "".join(f"   {name}\n" for name in SUBPACKAGES))


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


# Two copies of the table: api.rst includes the first (its toctree is relative to api.rst);
# autosummary scans the second for the pages to generate (there a toctree is relative to
# the scanned file's folder).
write_if_changed(HERE / "generated" / "_subpackages.rst", subpackage_table("generated"))
write_if_changed(HERE / "generated" / "_subpackages_stubs.rst", subpackage_table("."))

autosummary_generate = ["api.rst", "generated/_subpackages_stubs.rst"]
autosummary_context = {"toplevel_aliases": TOPLEVEL_ALIASES}
autosummary_ignore_module_all = False  # a subpackage's page lists exactly its __all__
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections give the types

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()  # -W must not fail on style checks

# -- Markdown pages ----------------------------------------------------------------------
myst_enable_extensions = ["colon_fence"]  # no dollarmath: the pages write math in Unicode, and `$` is a shell sign
myst_heading_anchors = 3

# -- Gallery: examples/ executed at build time -------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",  # relative to docs/
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # execute every example
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "plot_gallery": "True",
    "show_memory": False,
}

# -- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "amtoolkit"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "icon_links": [],
}
html_last_updated_fmt = None


# -- Docstrings not yet in numpydoc form ---------------------------------------------------
# These four docstrings list their fields as aligned ``name: text`` lines, which docutils
# reads as broken indentation (an error under -W). Until they are rewritten with numpydoc
# sections, their body is shown verbatim. The hook only acts on the objects named here,
# and only while their docstring has no numpydoc section (a line of dashes under a title).
LEGACY_DOCSTRINGS = {
    "amtoolkit.optimizers.Optimizer",
    "amtoolkit.optimizers.OptState",
    "amtoolkit.optimizers.nag",
}


def _has_numpydoc_section(lines: list[str]) -> bool:
    return any(i > 0 and set(line.strip()) == {"-"} and lines[i - 1].strip()
               for i, line in enumerate(lines))


def _legacy_docstring_verbatim(app, what, name, obj, options, lines):
    if name not in LEGACY_DOCSTRINGS or _has_numpydoc_section(lines):
        return
    try:
        end = lines.index("")  # the summary paragraph stays prose
    except ValueError:
        return
    body = lines[end + 1:]
    while body and not body[-1].strip():
        body.pop()
    if body:
        lines[end + 1:] = ["::", ""] + ["    " + line for line in body] + [""]


def _no_type_docstring_for_data(app, what, name, obj, options, lines):
    """A constant in ``__all__`` (``datasets.BUILTIN``, ``plotting.ONE_COLUMN``, ...) has no
    docstring of its own, and autodoc would show its type's (``tuple``'s, ``float``'s):
    show only the value instead."""
    if what in ("data", "attribute") and lines:
        own = inspect.getdoc(type(obj)) or ""
        if "\n".join(lines).strip() == own.strip():
            lines.clear()


def setup(app):
    app.connect("autodoc-process-docstring", _legacy_docstring_verbatim, priority=400)
    app.connect("autodoc-process-docstring", _no_type_docstring_for_data, priority=400)
