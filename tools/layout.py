"""The package's shape, measured: import edges, cycles, upward edges, sizes, longest functions.

Every ``import`` / ``from ... import`` inside the package counts as an edge, at module level
or inside a function (a lazy import is still a dependency). Modules are grouped in layers
(``LAYERS``, lowest first); an edge from a lower layer to a higher one points upward.

    python tools/layout.py            # the table of the current tree
    python tools/layout.py --json     # the same, as JSON

``tests/test_layout.py`` uses it to fail on any import cycle and on any upward edge.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "amtoolkit"

#: lowest first; a module imports only from its own layer or lower ones. The first match
#: of a module's dotted name (after ``amtoolkit.``) against a prefix decides its layer.
LAYERS: list[tuple[str, ...]] = [
    ("_checks", "_version", "backend"),                                          # helpers
    ("model", "memory", "theory"),                                     # pure math
    ("problems", "optimizers", "datasets", "plotting"),                # objects, data, drawing
    ("validate", "runner"),                                            # one run
    ("sweeps", "torch"),                                               # many runs
    ("figures", "reproduce", "claims"),                                # paper artefacts
    ("cli", "__main__", "__init__"),                                   # entry points
]
#: the old layout, for before/after figures
LAYERS_OLD: list[tuple[str, ...]] = LAYERS[:3] + [("validate",), ("experiments",), ("cli", "__main__", "__init__")]


def module_name(path: Path, package: Path = PACKAGE) -> str:
    rel = path.relative_to(package.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def _resolve(current: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    base = current.split(".") if is_pkg else current.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def import_edges(package: Path = PACKAGE) -> set[tuple[str, str]]:
    """``(importer, imported)`` pairs between modules of the package (a package's
    ``__init__`` stands for the package)."""
    mods = modules(package)
    top = package.name
    edges = set()
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_pkg, node)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for t in targets:
                if not (t == top or t.startswith(top + ".")):
                    continue
                # the longest module name that t starts with
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name and not (is_pkg is False and t == top and name.startswith(top)):
                    edges.add((name, t))
    # `from . import x` inside a package's __init__ is its own business; an edge to the
    # package root from a submodule (``from .. import __version__``) points at __init__
    return edges


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def layer(name: str, layers=LAYERS) -> int:
    rest = name.split(".", 1)[1] if "." in name else "__init__"
    head = rest.split(".")[0]
    for i, group in enumerate(layers):
        if head in group:
            return i
    raise KeyError(f"module {name} is in no layer of tools/layout.py: add its package to LAYERS")


def upward_edges(edges, layers=LAYERS) -> list[tuple[str, str]]:
    # a package's own __init__ re-exporting its submodules is not upward
    return sorted((a, b) for a, b in edges
                  if layer(a, layers) < layer(b, layers) and not b.startswith(a + "."))


def package_lines(package: Path = PACKAGE) -> dict[str, int]:
    out = defaultdict(int)
    for name, path in modules(package).items():
        parts = name.split(".")
        key = parts[1] if len(parts) > 2 or (len(parts) == 2 and path.name == "__init__.py") else \
            (parts[1] if len(parts) == 2 else "__init__")
        out[key] += len(path.read_text().splitlines())
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def longest_functions(package: Path = PACKAGE, n: int = 5) -> list[tuple[int, str]]:
    """The ``n`` longest functions, in lines of code: the ``def`` to its last line, without
    its docstring (documentation is not length)."""
    found = []
    for name, path in modules(package).items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                        and isinstance(first.value.value, str):
                    length -= first.end_lineno - first.lineno + 1
                found.append((length, f"{name}.{node.name}"))
    return sorted(found, reverse=True)[:n]


def report(package: Path = PACKAGE, layers=LAYERS) -> dict:
    edges = import_edges(package)
    return {"lines": package_lines(package), "total_lines": sum(package_lines(package).values()),
            "edges": len(edges), "cycles": cycles(edges),
            "upward_edges": [list(e) for e in upward_edges(edges, layers)],
            "longest_functions": longest_functions(package)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--old-layers", action="store_true", help="group modules as before the split of experiments/")
    ap.add_argument("--package", type=Path, default=PACKAGE)
    args = ap.parse_args(argv)
    rep = report(args.package, LAYERS_OLD if args.old_layers else LAYERS)
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    print("lines per package:", ", ".join(f"{k} {v}" for k, v in rep["lines"].items()), f"(total {rep['total_lines']})")
    print(f"import edges: {rep['edges']}; cycles: {len(rep['cycles'])}; upward edges: {len(rep['upward_edges'])}")
    for c in rep["cycles"]:
        print("  cycle:", " <-> ".join(c))
    for a, b in rep["upward_edges"]:
        print(f"  upward: {a} -> {b}")
    print("longest functions:", "; ".join(f"{name} ({n} lines)" for n, name in rep["longest_functions"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
