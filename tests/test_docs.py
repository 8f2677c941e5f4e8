"""The documentation: the API reference covers the public API, the pages' examples run,
their links resolve, and they cite nothing outside the repository.

The Sphinx build itself (``python -m sphinx -W -b html docs docs/_build/html``) runs in
``.ci/run``, after the tests.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def public_modules() -> dict[str, object]:
    """The subpackages (and modules) that ``amtoolkit.__all__`` lists, derived, not hard-coded."""
    import amtoolkit

    return {name: getattr(amtoolkit, name) for name in amtoolkit.__all__
            if inspect.ismodule(getattr(amtoolkit, name))}


GENERATE = """
import runpy, sys
import sphinx.locale
from sphinx.ext.autosummary import generate as g

docs, out = sys.argv[1], sys.argv[2]
conf = runpy.run_path(docs + "/conf.py")  # writes generated/_subpackages*.rst, as a build does
app = g.DummyApplication(sphinx.locale.get_translator())
app.config.templates_path.append(docs + "/_templates")
app.config.autosummary_ignore_module_all = conf["autosummary_ignore_module_all"]
app.config.autosummary_context = conf["autosummary_context"]
sources = [docs + "/" + name for name in conf["autosummary_generate"]]
g.generate_autosummary_docs(sources, out, ".rst", imported_members=conf["autosummary_imported_members"],
                            app=app)
"""


def test_api_reference_names_every_public_name(tmp_path):
    """Generate the autosummary pages as the build does (docs/conf.py's settings and
    templates) and find a page for every public name; the subpackages come from
    ``amtoolkit.__all__``, not from a list kept here."""
    pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e '.[dev,docs]')")
    import amtoolkit

    out = tmp_path / "generated"
    proc = subprocess.run([sys.executable, "-c", GENERATE, str(DOCS), str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Failed to import" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    pages = {p.stem: p.read_text() for p in out.glob("*.rst")}

    modules = public_modules()
    assert modules, "amtoolkit.__all__ lists no subpackage"
    missing = []
    for name in amtoolkit.__all__:
        if name != "__version__" and f"amtoolkit.{name}" not in pages:
            missing.append(name)
    for sub, mod in modules.items():
        page = pages.get(f"amtoolkit.{sub}", "")
        assert f".. automodule:: amtoolkit.{sub}" in page, f"no page for amtoolkit.{sub}"
        for name in mod.__all__:
            if f"amtoolkit.{sub}.{name}" in pages:
                continue
            # a name the top level re-exports is documented there, and linked from here
            if getattr(amtoolkit, name, None) is getattr(mod, name) and f"amtoolkit.{name}" in pages \
                    and f"~amtoolkit.{name}" in page:
                continue
            missing.append(f"{sub}.{name}")
    assert not missing, f"the API reference (docs/api.rst) has no page for {sorted(missing)}"
    # one object, one page: two pages would describe it twice (a warning, an error under -W)
    twice = [f"amtoolkit.{name} and amtoolkit.{sub}.{name}" for name in amtoolkit.__all__
             for sub, mod in modules.items()
             if name in getattr(mod, "__all__", ()) and getattr(mod, name) is getattr(amtoolkit, name, None)
             and f"amtoolkit.{sub}.{name}" in pages]
    assert not twice, f"documented twice: {twice}"
    # each page documents its object (autofunction, autoclass, ...), not an empty stub
    for stem, text in pages.items():
        assert re.search(r"^\.\. (auto\w+|automodule)::", text, re.M), stem


def markdown_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted((DOCS / "guide").glob("*.md"))]


def test_docs_cite_nothing_outside_the_repository():
    import amtoolkit

    files = [*markdown_pages(), *sorted(DOCS.glob("*.rst")), DOCS / "conf.py",
             *sorted((ROOT / "examples").glob("*.py")),
             *sorted(Path(amtoolkit.__file__).parent.rglob("*.py"))]
    assert (DOCS / "guide" / "runs.md") in files
    for path in files:
        text = path.read_text()
        for bad in ("DESIGN", "shared/papers", "/work/"):
            assert bad not in text, f"{path.relative_to(ROOT)} refers to {bad!r}, outside the repository"


def test_relative_links_of_the_pages_resolve():
    link = re.compile(r"\]\(([^)\s]+)\)")
    broken = []
    for path in markdown_pages():
        for target in link.findall(path.read_text()):
            if "://" in target or target.startswith("#"):
                continue
            if target.split("/")[-2:-1] == ["auto_examples"] or "/auto_examples/" in target:
                # the gallery's pages exist once sphinx-gallery has run (the docs build): the
                # sources they come from are examples/*.py
                assert (ROOT / "examples").is_dir() and list((ROOT / "examples").glob("*.py")), target
                continue
            if not (path.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, broken


def getting_started_code() -> str:
    text = (DOCS / "getting_started.md").read_text()
    section = text[text.index("## A first run in Python"):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_getting_started_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(getting_started_code(), "getting_started.md", "exec"), ns)
    h, s, back, both, q = ns["h"], ns["s"], ns["back"], ns["both"], ns["q"]
    # what the comments promise
    assert h.n_runs == 6 and np.shape(h.x) == (6, 50)
    np.testing.assert_array_equal(h.final().hp_lr, np.repeat([1.0, 0.5], 3) / q.smoothness)
    assert "steps_to_tol" in capsys.readouterr().out
    assert s.n_runs == 3 and sorted(s.frame.seed.unique()) == [0, 1, 2]
    assert (tmp_path / "results" / "am_msgd.csv.meta.json").is_file()
    assert back.optimizer is not None and back.frame.equals(s.frame)
    assert both.n_runs == 9 and sorted(both.frame.run.unique()) == list(range(9))
    # minimize: heavy ball at lr = 1/L for 500 steps, against the exact minimiser
    res = ns["res"]
    assert res.x.shape == (50,)
    assert q.value(res.x) - q.f_star < q.value(np.zeros(50)) - q.f_star

