"""The package's shape: no import cycle, no import pointing upward, pure math free of I/O,
plotting that only draws frames, a public API that keeps its names, and ``python -m amtoolkit``."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import amtoolkit as amt

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("amt_layout_tool", ROOT / "tools" / "layout.py")
layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout)

EDGES = layout.import_edges()


def test_the_checker_finds_a_cycle_and_an_upward_edge():
    edges = {("amtoolkit.a", "amtoolkit.b"), ("amtoolkit.b", "amtoolkit.c"), ("amtoolkit.c", "amtoolkit.a"),
             ("amtoolkit.d", "amtoolkit.a")}
    assert layout.cycles(edges) == [["amtoolkit.a", "amtoolkit.b", "amtoolkit.c"]]
    # the edge that the old layout had: theory (pure math) -> the theorem checks (runs)
    assert layout.upward_edges({("amtoolkit.theory", "amtoolkit.reproduce.theorems"),
                                ("amtoolkit.reproduce.theorems", "amtoolkit.theory")}) == \
        [("amtoolkit.theory", "amtoolkit.reproduce.theorems")]


def test_the_checker_reads_lazy_and_relative_imports(tmp_path):
    pkg = tmp_path / "amtoolkit"
    (pkg / "model").mkdir(parents=True)
    (pkg / "runner").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model" / "__init__.py").write_text("")
    (pkg / "runner" / "__init__.py").write_text("from .run import run\n")
    (pkg / "runner" / "run.py").write_text("def run():\n    from ..model import two_plane\n")
    (pkg / "model" / "two_plane.py").write_text("def f():\n    from ..runner.run import run\n")
    edges = layout.import_edges(pkg)
    assert {("amtoolkit.runner.run", "amtoolkit.model.two_plane"),
            ("amtoolkit.model.two_plane", "amtoolkit.runner.run")} <= edges
    assert layout.cycles(edges) == [["amtoolkit.model.two_plane", "amtoolkit.runner.run"]]


def test_no_import_cycle():
    assert layout.cycles(EDGES) == []


def test_every_module_has_a_layer_and_no_import_points_upward():
    for name in layout.modules():
        layout.layer(name)  # raises for a package missing from LAYERS
    assert layout.upward_edges(EDGES) == []


IO_MODULES = {"os", "io", "json", "pathlib", "pickle", "tempfile", "shutil", "csv", "socket", "urllib",
              "pyarrow", "pooch", "matplotlib", "joblib", "dask", "tqdm", "cvxpy", "PEPit", "requests"}


def _imported_top_levels(path: Path) -> set[str]:
    import ast

    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", ["model", "memory", "theory"])
def test_pure_math_imports_no_io(package):
    for path in sorted((ROOT / "amtoolkit" / package).glob("*.py")):
        if path.name == "pep.py":  # the one solver call (PEPit, cvxpy), imported lazily
            continue
        assert not _imported_top_levels(path) & IO_MODULES, path.name
    # and nothing in them reaches a module that does I/O inside amtoolkit
    allowed = ("amtoolkit._checks", "amtoolkit.backend", "amtoolkit.model", "amtoolkit.memory", "amtoolkit.theory")
    for a, b in EDGES:
        if a.startswith(f"amtoolkit.{package}"):
            assert b.startswith(allowed), (a, b)


def test_plotting_only_draws_frames():
    """plotting imports nothing of amtoolkit but itself and the helpers: no run loop, no
    optimizer, no store (the figure command joins them)."""
    for a, b in EDGES:
        if a.startswith("amtoolkit.plotting"):
            assert b.startswith(("amtoolkit.plotting", "amtoolkit._version", "amtoolkit._checks")), (a, b)


PUBLIC = {
    "run": "amtoolkit.runner.run", "History": "amtoolkit.runner.history", "RunError": "amtoolkit.runner.history",
    "minimize": "amtoolkit.runner.minimize", "grid": "amtoolkit.runner.grid", "concat": "amtoolkit.runner.history",
    "load_history": "amtoolkit.runner.history", "sweep": "amtoolkit.sweeps.engine",
    "load_results": "amtoolkit.sweeps.results", "plot": "amtoolkit.plotting.api", "plot_results": "amtoolkit.plotting.api",
    "Quadratic": "amtoolkit.problems.quadratic", "LogisticRegression": "amtoolkit.problems.logistic",
    "load_problem": "amtoolkit.datasets",
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_api_keeps_its_names(name):
    obj = getattr(amt, name)
    assert obj.__module__.startswith(PUBLIC[name]) and name in amt.__all__


def test_public_api_of_the_subpackages():
    """The names of the design's public API (scripts rely on them) resolve to what they were."""
    from amtoolkit.reproduce.theorems import check_theorem_3_3, check_theorem_3_4

    assert amt.theory.check_theorem_3_3 is check_theorem_3_3 and amt.theory.check_theorem_3_4 is check_theorem_3_4
    for dotted in ("optimizers.get", "optimizers.am_mgd", "optimizers.am_msgd", "optimizers.am_adamw",
                   "optimizers.rllc", "validate.check_step", "validate.validate_history", "memory.direct_sum",
                   "memory.real_jordan_form", "memory.change_basis", "theory.spectral_rate", "theory.worst_case",
                   "theory.measured_rate", "theory.polyak_heavy_ball", "problems.lrp_counterexample",
                   "datasets.load_libsvm", "figures.build", "reproduce.reproduce_convex", "sweeps.expand",
                   "runner.save_history"):
        sub, attr = dotted.split(".")
        assert callable(getattr(getattr(amt, sub), attr)), dotted
    for sub in amt.__all__:
        mod = getattr(amt, sub)
        if isinstance(mod, type(amt)):
            assert importlib.import_module(f"amtoolkit.{sub}") is mod
            for name in getattr(mod, "__all__", []):
                assert hasattr(mod, name), f"amtoolkit.{sub}.__all__ names {name}, which it lacks"


def test_python_dash_m_amtoolkit_is_the_cli(capsys):
    from amtoolkit import cli

    proc = subprocess.run([sys.executable, "-m", "amtoolkit", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    subcommands = sorted(cli.make_parser()._subparsers._group_actions[0].choices)
    assert {"run", "list", "demo", "reproduce", "rate", "figures", "sweep", "results", "fetch"} <= set(subcommands)
    for name in subcommands:
        assert name in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "amtoolkit", "list"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert cli.main(["list"]) == 0
    assert proc.returncode == 0 and proc.stdout == capsys.readouterr().out


def test_each_command_group_registers_its_own_commands():
    """One module per command group: each adds only its subcommands, bound to its functions."""
    import argparse

    from amtoolkit import cli

    seen = set()
    for group in cli.COMMAND_GROUPS:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        group.register(sub)
        names = set(sub.choices)
        assert names and not names & seen, group.__name__
        seen |= names
        for name, p in sub.choices.items():
            assert p.get_default("func").__module__ == group.__name__, name
