"""Mutation testing: plant single-line faults in the math and check that the tests see them.

Each mutant changes one AST node of one module (an arithmetic or comparison operator, a
numeric constant, ``min``/``max``, a boolean operator, a negated ``if``, a dropped
decorator); the mutated module is written into a scratch copy of the repository and the
module's own test files run there with ``pytest -x`` (in a child forked from a process that
has already imported the dependencies). A mutant is *killed* when the tests fail (or hang
past five times the unmutated run). Mutants listed in ``EQUIVALENT`` change no observable result; they are
reported with their reason and left out of the kill rate.

    python tools/mutation.py amtoolkit/model/two_plane.py amtoolkit/memory/propagators.py
    python tools/mutation.py amtoolkit/optimizers/rllc.py --list      # mutants only, no run
    python tools/mutation.py amtoolkit/optimizers/classic.py --jobs 2 --out results/mut.csv

Not mutated: docstrings, error messages, default values of parameters, and input checks
(an ``if`` whose body only raises), which the bad-input tests cover.
"""

from __future__ import annotations

import argparse
import ast
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The tests that exercise each module (fast ones first: pytest -x stops at the first failure).
_REF = "tests/optimizers/test_references.py::"
RLLC_LOOP = _REF + "test_rllc_c2_positive_equals_numpy_loop"
LSTSQ = [_REF + "test_memory_lstsq_is_numpy_pinv_with_the_same_cutoff", _REF + "test_memory_lstsq_ridge_is_its_formula",
         _REF + "test_batched_memory_lstsq_uses_each_memory_s_own_cutoff"]
TESTS = {
    "amtoolkit/model/two_plane.py": ["tests/optimizers/test_references.py", "tests/optimizers/test_adaptive_memory.py",
                                     "tests/model/test_two_plane.py", "tests/model/test_errata.py",
                                     "tests/validate/test_cvx.py"],
    "amtoolkit/memory/propagators.py": ["tests/memory/test_propagators.py", RLLC_LOOP, "tests/optimizers/test_rllc.py"],
    "amtoolkit/optimizers/classic.py": ["tests/optimizers/test_classic.py", "tests/optimizers/test_registry.py",
                                        "tests/test_errors.py"],
    "amtoolkit/optimizers/adamw.py": ["tests/optimizers/test_classic.py", "tests/optimizers/test_adaptive_memory.py",
                                      "tests/optimizers/test_registry.py", "tests/test_errors.py"],
    "amtoolkit/optimizers/rllc.py": [RLLC_LOOP, _REF + "test_rllc_with_c2_equal_to_one_is_corrected", *LSTSQ,
                                     "tests/optimizers/test_rllc.py",
                                     "tests/optimizers/test_registry.py", "tests/test_errors.py"],
    "amtoolkit/optimizers/adaptive_memory.py": ["tests/optimizers/test_references.py",
                                                "tests/optimizers/test_adaptive_memory.py",
                                                "tests/optimizers/test_registry.py", "tests/validate/test_cvx.py"],
    "amtoolkit/optimizers/base.py": ["tests/optimizers/test_base.py", "tests/optimizers/test_registry.py", "tests/optimizers/test_classic.py",
                                     "tests/optimizers/test_adaptive_memory.py", "tests/optimizers/test_rllc.py",
                                     "tests/test_errors.py", "tests/reliability/test_bad_inputs.py",
                                     "tests/runner/test_run.py", "tests/runner/test_start.py",
                                     "tests/reliability/test_defects.py::test_schedule_value_is_checked_at_every_step",
                                     "tests/reliability/test_defects.py::test_declared_range_is_checked_for_any_schedule"],
    "amtoolkit/optimizers/schedules.py": ["tests/optimizers/test_classic.py", "tests/optimizers/test_registry.py",
                                          "tests/reliability/test_bad_inputs.py",
                                          "tests/runner/test_history_io.py"],
    "amtoolkit/theory/__init__.py": ["tests/reproduce/test_theorems.py"],
    "amtoolkit/theory/bounds.py": ["tests/theory", "tests/model/test_errata.py"],
    "amtoolkit/theory/rates.py": ["tests/theory/test_rates.py", "tests/theory/test_spectral.py",
                                  "tests/theory/test_rate_cli.py"],
    "amtoolkit/theory/spectral.py": ["tests/theory/test_spectral.py", "tests/theory/test_pep.py",
                                     "tests/theory/test_rate_cli.py"],
    "amtoolkit/theory/measure.py": ["tests/theory/test_measure.py", "tests/theory/test_spectral.py"],
    "amtoolkit/theory/pep.py": ["tests/theory/test_pep.py", "tests/theory/test_rate_cli.py"],
}

# Equivalent mutants: (module, original line stripped, mutation) -> why no test can see it.
_RLLC, _MEM = "amtoolkit/optimizers/rllc.py", "amtoolkit/memory/propagators.py"
_AT_CUTOFF = "differs only for a value exactly equal to the cutoff"
_AM = "amtoolkit/optimizers/adaptive_memory.py"
_ZERO_TERM = "0.0 * beta_am only gives the constant the batch shape: adding or subtracting 0 is the same"
_PLACEHOLDER = "a placeholder divisor that only avoids a division by zero; the outer where() drops it"
_SPEC, _PEP = "amtoolkit/theory/spectral.py", "amtoolkit/theory/pep.py"
_SNAP = 'disc = np.where(np.abs(disc) <= 8.0 * np.finfo(float).eps * (trace * trace + 4.0 * np.abs(det)), 0.0, disc)'
_SNAP_WHY = ("a change of the double-root snap within a few ulps: the snap must exceed the rounding error "
             "of τ² - 4δ (at most 2ε(τ² + 4|δ|) on the tests' double roots); a discriminant between the "
             "two thresholds is itself rounding noise, so both answers are as accurate (to √(9ε))")
_ZERO_SHAPE = "0.0 * x only gives the result its broadcast shape: adding or subtracting 0 is the same"
_NM = "scipy.optimize.minimize"
_NM_BOTH = (f"Nelder-Mead ({_NM}) stops only when both xatol and fatol are met: loosening one leaves the "
            "other binding")
_PENALTY = ("the barrier of the Nelder-Mead search: an infeasible point is rejected either way (only the "
            "boundary values u = 0 and β = 1 themselves differ, where the rate is 1 or undefined)")
_OPTS = 'options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})'
EQUIVALENT: dict[tuple[str, str, str], str] = {
    (_SPEC, _SNAP, "<= -> <"): _AT_CUTOFF,
    (_SPEC, _SNAP, "8.0 -> 9.0"): _SNAP_WHY,
    (_SPEC, _SNAP, "4.0 -> 5.0"): _SNAP_WHY,
    (_SPEC, "return np.abs(1.0 - lr * lam) + 0.0 * beta", "+ -> -"): _ZERO_SHAPE,
    (_SPEC, "return _radius_2x2(1.0 + beta - lr * lam, beta + 0.0 * lam)", "+ -> -"): _ZERO_SHAPE,
    (_SPEC, "return _radius_2x2(1.0 + beta - lr * (1.0 - beta) * lam, beta + 0.0 * lam)", "+ -> -"):
        _ZERO_SHAPE,
    (_SPEC, "if uu <= 0 or not 0 <= bb < 1:", "<= -> <"): _PENALTY,
    (_SPEC, "if uu <= 0 or not 0 <= bb < 1:", "< -> <="): _PENALTY,
    (_SPEC, "return 10.0", "10.0 -> 11.0"): _PENALTY + "; any penalty above the start's rate rejects it",
    (_SPEC, _OPTS, "1e-10 -> 1.0000000001"): _NM_BOTH,
    (_SPEC, _OPTS, "1e-12 -> 1.000000000001"): _NM_BOTH,
    (_SPEC, 'betas = np.linspace(0.0, 0.999, grid)[None, :] if method != "gd" else np.zeros((1, 1))',
     "1 -> 2 (#2)"): "gd's grid of momenta is β = 0; two equal columns give the same minimum",
    (_SPEC, 'return u_ / L / (1.0 - b_) if method == "mgd" else u_ / L', "- -> +"):
        "another parametrisation of mgd's step for the search (lr = u/(L(1+β))); the rate is minimised "
        "over the same (lr, β), and the result is converted with the same function",
    (_PEP, "if abs(result.value - exact) > 1e-4 * max(1.0, exact):", "> -> >="): _AT_CUTOFF,
    (_PEP, "problem.set_initial_condition((x0 - xs) ** 2 <= 1)", "<= -> <"):
        "PEPit builds the same (non-strict) constraint for < and <= (Expression.__lt__)",
    (_AM, 'return xp.where(beta_am >= h.row("theta"), h.row("high") + 0.0 * beta_am,', "+ -> -"): _ZERO_TERM,
    (_AM, 'h.row("low") + 0.0 * beta_am)', "+ -> -"): _ZERO_TERM,
    ("amtoolkit/model/two_plane.py",
     'if getattr(den, "ndim", 0) == 0:  # one configuration: a branch is cheaper than where()', "0 -> 1 (#2)"):
        "the default of getattr is never used: den is a vecdot result, which has ndim",
    ("amtoolkit/model/two_plane.py",
     "beta = xp.where(safe, num / xp.where(safe, den, 1.0), xp.zeros_like(num))", "1.0 -> 2.0"):
        _PLACEHOLDER,
    (_RLLC, "coef = xp.where(keep, (xp.matrix_transpose(U) @ g[..., None])[..., 0] / xp.where(keep, S, 1.0), 0.0)",
     "1.0 -> 2.0"): _PLACEHOLDER,
    (_RLLC, "inv = xp.where(keep, 1.0 / (xp.where(keep, w, 1.0) + ridge), 0.0)", "1.0 -> 2.0 (#2)"): _PLACEHOLDER,
    (_RLLC, "if correcting and t > 0:", "> -> >="):
        "at t = 0, M = 0: every singular value is 0 and none is kept, so M⁺g = 0 and full_rank is "
        "False, as without the correction",
    (_RLLC, "if correcting and t > 0:", "and -> or"):
        "c2 = 0 makes the correction c2·M⁺g = 0, and at t = 0 M = 0 gives M⁺g = 0: θ, L and every "
        "recorded column are unchanged (only the unrecorded info flag full_rank at c2 = 0 is computed)",
    (_MEM, "n = N.shape[0]", "0 -> 1"): "N is square",
    (_MEM, "return self.A.shape[0]", "0 -> 1"): "A is square (checked in __post_init__)",
    (_MEM, "existing = [c[level - 1] for c in chains if len(c) >= level]", ">= -> >"):
        "every chain present at a level was built at a higher one, so it is longer than the level",
    (_MEM, "elif lam.imag > 0:", "> -> >="):
        "reached only by a cluster farther than tol from its conjugate, so |Im λ| > tol/2 > 0",
    (_MEM, "if abs(lam - lam.conjugate()) <= tol:", "<= -> <"): _AT_CUTOFF,
    (_MEM, "members = [v] + [w for w in remaining if abs(w - v) <= tol]", "<= -> <"): _AT_CUTOFF,
    (_MEM, "kernels.append(vh[np.sum(sv > tol):].conj().T)", "> -> >="): _AT_CUTOFF,
}

_SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
             ast.Pow: ast.Mult, ast.MatMult: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
_SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
             ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_SWAP_NAME = {"max": "min", "min": "max", "maximum": "minimum", "minimum": "maximum", "any": "all", "all": "any"}
_OP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@",
            ast.FloorDiv: "//", ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
            ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
            ast.NotIn: "not in", ast.And: "and", ast.Or: "or"}


@dataclass
class Mutant:
    module: str
    index: int       # the index-th mutation site of the module, in ast.walk order
    line: int
    source_line: str
    mutation: str
    status: str = "not run"  # killed | survived | timeout | equivalent | not run
    seconds: float = 0.0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.source_line, self.mutation)


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes left alone: raise statements and input checks, docstrings, f-strings,
    __all__, annotations and default values of parameters."""
    skip: set[int] = set()

    def mark(node):
        skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.JoinedStr)):
            mark(node)
        elif isinstance(node, ast.If) and all(isinstance(b, ast.Raise) for b in node.body) and not node.orelse:
            mark(node)  # an input check: the bad-input tests' business, not the math's
        elif isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body and \
                isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            mark(node.body[0])
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            mark(node)
        elif isinstance(node, (ast.AnnAssign, ast.arg)) and node.annotation is not None:
            mark(node.annotation)
        if isinstance(node, ast.FunctionDef):
            for default in node.args.defaults + node.args.kw_defaults:
                if default is not None:  # default values are API choices, not math
                    mark(default)
            if node.returns is not None:
                mark(node.returns)
    return skip


def _sites(tree: ast.AST):
    """Yield (node, apply, description): ``apply(node)`` mutates that node in place."""
    skip = _skipped_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _SWAP_BIN:
            new = _SWAP_BIN[type(node.op)]
            yield node, (lambda n, new=new: setattr(n, "op", new())), \
                f"{_OP_TEXT[type(node.op)]} -> {_OP_TEXT[new]}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield node, (lambda n: setattr(n, "op", ast.UAdd())), "-x -> +x"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, (lambda n: setattr(n, "op", ast.UAdd()) or setattr(n, "operand", ast.Call(
                ast.Name("bool", ast.Load()), [n.operand], []))), "not x -> x"
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _SWAP_CMP:
                    new = _SWAP_CMP[type(op)]
                    yield node, (lambda n, i=i, new=new: n.ops.__setitem__(i, new())), \
                        f"{_OP_TEXT[type(op)]} -> {_OP_TEXT[new]}"
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, (lambda n, new=new: setattr(n, "op", new())), \
                f"{_OP_TEXT[type(node.op)]} -> {_OP_TEXT[new]}"
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            new_value = node.value + 1
            yield node, (lambda n, v=new_value: setattr(n, "value", v)), f"{node.value!r} -> {new_value!r}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, (lambda n: setattr(n, "value", not n.value)), f"{node.value} -> {not node.value}"
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in _SWAP_NAME:
                attr = "id" if isinstance(node, ast.Name) else "attr"
                yield node, (lambda n, a=attr, v=_SWAP_NAME[name]: setattr(n, a, v)), \
                    f"{name} -> {_SWAP_NAME[name]}"
        elif isinstance(node, ast.If):
            yield node, (lambda n: setattr(n, "test", ast.UnaryOp(ast.Not(), n.test))), "if c -> if not c"
        elif isinstance(node, ast.FunctionDef):
            for i, dec in enumerate(node.decorator_list):
                yield node, (lambda n, i=i: n.decorator_list.pop(i)), f"drop @{ast.unparse(dec)}"


def mutants(module: str, text: str | None = None) -> list[Mutant]:
    text = (ROOT / module).read_text() if text is None else text
    lines = text.splitlines()
    out, seen = [], {}
    for i, (node, _, desc) in enumerate(_sites(ast.parse(text))):
        line = lines[node.lineno - 1].strip()
        seen[(line, desc)] = seen.get((line, desc), 0) + 1
        if seen[(line, desc)] > 1:  # the same change at another place of the same line
            desc = f"{desc} (#{seen[(line, desc)]})"
        out.append(Mutant(module, i, node.lineno, line, desc))
    for m in out:
        if m.key in EQUIVALENT:
            m.status = "equivalent"
    return out


def mutated_source(module: str, index: int, text: str | None = None) -> str:
    tree = ast.parse((ROOT / module).read_text() if text is None else text)
    for i, (node, apply, _) in enumerate(_sites(tree)):
        if i == index:
            apply(node)
            return ast.unparse(ast.fix_missing_locations(tree))
    raise IndexError(f"{module} has no mutation site {index}")


def _scratch_copy() -> Path:
    """A copy of the tracked and untracked (not ignored) files of the repository."""
    dest = Path(tempfile.mkdtemp(prefix="amt-mutation-"))
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


# Imported once by the parent so that each forked pytest starts without their import cost;
# amtoolkit and the tests are imported afresh by every child, from its scratch copy.
PRELOAD = ("numpy", "scipy.linalg", "scipy.optimize", "pandas", "cvxpy", "clarabel", "sklearn.datasets",
           "matplotlib.pyplot", "torch", "torch.optim", "array_api_strict", "array_api_compat", "hypothesis", "pytest", "tqdm")


def _preload() -> None:
    import importlib

    os.environ.pop("CI", None)  # the mutants run the plain suite, not CI's skip-is-failure mode
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _fork_pytest(where: Path, tests: list[str]) -> int:
    """Start ``pytest -x -q tests`` in a forked child rooted at ``where``; return its pid."""
    pid = os.fork()
    if pid:
        return pid
    try:  # child
        import pytest

        sys.dont_write_bytecode = True  # mutants of equal size must not reuse a stale .pyc
        os.chdir(where)
        sys.path.insert(0, str(where))
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--no-header", *tests]))
    except BaseException:
        code = 99
    os._exit(code)


def _poll(pid: int, started: float, timeout: float) -> str | None:
    """The child's verdict once it has ended (killing it past ``timeout``), else None."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
    if time.perf_counter() - started > timeout:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return "timeout"
    return None


def _wait(pid: int, started: float, timeout: float) -> str:
    while (verdict := _poll(pid, started, timeout)) is None:
        time.sleep(0.05)
    return verdict


def run(modules: list[str], jobs: int = 1, tests: list[str] | None = None, verbose: bool = True,
        previous: dict | None = None, out: str | None = None) -> list[Mutant]:
    """Run the mutants of ``modules``; ``previous`` maps mutant keys to the verdicts of an
    earlier run, whose killed mutants are kept and not run again. With ``out``, one CSV row
    per mutant is written (and flushed) as soon as its verdict is known, so an interrupted
    run keeps every verdict so far and ``--rerun out`` goes on from there."""
    _preload()
    results: list[Mutant] = []
    sink = None
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        sink = open(out, "w", newline="")  # noqa: SIM115 (closed in the finally below)
        writer = csv.writer(sink)
        writer.writerow(["module", "line", "mutation", "source_line", "status", "seconds"])

    def record(m: Mutant) -> None:
        if sink is not None:
            writer.writerow([m.module, m.line, m.mutation, m.source_line, m.status, f"{m.seconds:.2f}"])
            sink.flush()

    try:
        for module in modules:
            results.extend(_run_module(module, jobs, tests, verbose, previous, record))
    finally:
        if sink is not None:
            sink.close()
    return results


def _run_module(module: str, jobs: int, tests: list[str] | None, verbose: bool, previous: dict | None,
                record) -> list[Mutant]:
    original = (ROOT / module).read_text()  # mutants are made from this text, even if the file is edited
    todo = mutants(module, original)
    if not todo:
        if verbose:
            print(f"{module}: no mutation sites", flush=True)
        return todo
    selected = [t for t in (tests or TESTS.get(module, [])) if (ROOT / t.split('::')[0]).exists()]
    if not selected:
        raise SystemExit(f"no tests known for {module}; pass --tests")
    for m in todo:
        if m.status != "equivalent" and (previous or {}).get(m.key) in ("killed", "timeout"):
            m.status = previous[m.key]
        if m.status != "not run":
            record(m)
    slots = [_scratch_copy() for _ in range(max(1, jobs))]
    try:
        for where in slots:
            (where / module).write_text(original)
        t0 = time.perf_counter()
        status = _wait(_fork_pytest(slots[0], selected), t0, 1800)
        base = time.perf_counter() - t0
        if status != "survived":
            raise SystemExit(f"the tests of {module} do not pass unmutated ({status}); fix that first")
        timeout = max(60.0, 5 * base)
        if verbose:
            print(f"{module}: {len(todo)} mutants, unmutated tests {base:.1f} s", flush=True)
        running: dict[int, tuple[Mutant, Path, float]] = {}
        free, queue = list(slots), [m for m in todo if m.status == "not run"]
        while queue or running:
            while queue and free:
                m, where = queue.pop(0), free.pop()
                (where / module).write_text(mutated_source(module, m.index, original))
                running[_fork_pytest(where, selected)] = (m, where, time.perf_counter())
            finished = None
            while finished is None:
                for pid, (m, where, started) in running.items():
                    verdict = _poll(pid, started, timeout)
                    if verdict is not None:
                        finished = pid
                        m.status, m.seconds = verdict, time.perf_counter() - started
                        break
                else:
                    time.sleep(0.05)
            m, where, _ = running.pop(finished)
            (where / module).write_text(original)
            free.append(where)
            record(m)
            if verbose:
                print(f"  {m.status:9s} {module}:{m.line}: {m.mutation:22s} {m.source_line[:70]}", flush=True)
    finally:
        for path in slots:
            shutil.rmtree(path, ignore_errors=True)
    return todo


def _count_row(label: str, ms: list[Mutant]) -> str:
    killed = sum(m.status in ("killed", "timeout") for m in ms)
    equiv = sum(m.status == "equivalent" for m in ms)
    survived = sum(m.status == "survived" for m in ms)
    rate = killed / max(1, killed + survived)
    return f"{label:42s} {len(ms):7d} {killed:7d} {survived:9d} {equiv:11d}  {100 * rate:8.1f}%"


def summary(results: list[Mutant]) -> str:
    rows = ["module                                     mutants  killed  survived  equivalent  kill rate"]
    modules = list(dict.fromkeys(m.module for m in results))
    rows += [_count_row(module, [m for m in results if m.module == module]) for module in modules]
    if len(modules) > 1:
        rows.append(_count_row("all", results))
    surv = [m for m in results if m.status == "survived"]
    if surv:
        rows += ["", "survivors:"] + [f"  {m.module}:{m.line}: {m.mutation:22s} {m.source_line}" for m in surv]
    eq = [m for m in results if m.status == "equivalent"]
    if eq:
        rows += ["", "equivalent (not counted):"] + \
            [f"  {m.module}:{m.line}: {m.mutation:22s} {m.source_line}\n      "
             f"{EQUIVALENT.get(m.key, '(no longer listed in EQUIVALENT: rerun this module)')}" for m in eq]
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths relative to the repository root")
    parser.add_argument("--tests", nargs="+", default=None, help="test paths (default: the module's entry of TESTS)")
    parser.add_argument("--jobs", type=int, default=1, help="parallel pytest processes (default 1)")
    parser.add_argument("--list", action="store_true", help="list the mutants without running them")
    parser.add_argument("--out", default=None,
                        help="write one CSV row per mutant, as each verdict comes (resume with --rerun)")
    parser.add_argument("--rerun", default=None, metavar="CSV",
                        help="a CSV of an earlier run: keep its killed mutants, run the others again")
    parser.add_argument("--summarize", nargs="+", default=None, metavar="CSV",
                        help="print the summary of earlier runs' CSVs (a later file wins for a mutant)")
    args = parser.parse_args(argv)
    if args.summarize:
        rows: dict = {}
        for path in args.summarize:
            with open(path, newline="") as fh:
                for r in csv.DictReader(fh):
                    rows[(r["module"], r["source_line"], r["mutation"])] = r
        # the verdicts that describe the code as it is now: rows of mutants that no longer exist
        # are left out, and a current mutant without a verdict makes the summary incomplete
        notes, incomplete = [], False
        for module in dict.fromkeys(key[0] for key in rows):
            now = {m.key for m in mutants(module)} if (ROOT / module).is_file() else set()
            gone = [k for k in rows if k[0] == module and k not in now]
            missing = [k for k in now if k not in rows]
            for k in gone:
                del rows[k]
            if gone:
                notes.append(f"{module}: {len(gone)} rows of an older version of the code left out")
            if missing:
                incomplete = True
                notes.append(f"{module}: {len(missing)} current mutants have no verdict: rerun this module")
        print(summary([Mutant(r["module"], -1, int(r["line"]), r["source_line"], r["mutation"], r["status"])
                       for r in rows.values()]))
        if notes:
            print("\n" + "\n".join(notes))
        return 1 if incomplete else 0
    if not args.modules:
        parser.error("give the modules to mutate (or --summarize CSV ...)")
    for module in args.modules:
        if not (ROOT / module).is_file():
            parser.error(f"{module} is not a file under {ROOT}")
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    if args.list:
        for module in args.modules:
            for m in mutants(module):
                print(f"{m.module}:{m.line}: {m.mutation:22s} {m.source_line}")
        return 0
    previous = None
    if args.rerun:
        with open(args.rerun, newline="") as fh:
            previous = {(r["module"], r["source_line"], r["mutation"]): r["status"] for r in csv.DictReader(fh)}
    results = run(args.modules, args.jobs, args.tests, previous=previous, out=args.out)
    print(summary(results))
    return 1 if any(m.status == "survived" for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
