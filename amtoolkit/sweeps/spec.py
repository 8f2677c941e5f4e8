"""Sweep specifications: parse a TOML (or dict) spec and expand it into jobs.

This is the first half of a sweep (the second, :mod:`amtoolkit.sweeps.engine`,
executes the jobs). No problem is built and nothing runs here, so a spec is checked
before any computing starts: its keys and values, and that each problem name is built
in, registered or an existing file (whether a file parses is found when its jobs run).

A spec has one ``[sweep]`` table and arrays of ``[[problems]]`` and ``[[optimizers]]``::

    [sweep]
    steps = 300          # required
    seeds = [0, 1]       # default [0]
    batch_size = 64      # optional (minibatches for logistic problems)
    gtol = 1e-10         # optional (stop a run when ||grad|| <= gtol)
    timeout = 600        # optional: seconds per job; a job cut by it is recorded as a
                         # failure with status "timeout", never stored

    [[problems]]
    name = "quadratic"   # dim, cond, spectrum
    dim = 50
    cond = 1e3
    [[problems]]
    name = "breast_cancer"   # or "synthetic", a LIBSVM name or path: reg (and batch_size)
    reg = [1e-3, 1e-4]       # a list in a problem: one problem per value

    [[optimizers]]
    name = "mgd"
    lr = "1/L"               # a float, or "c/L": c over the problem's smoothness L
    beta = [0.0, 0.5, 0.9]   # a list is a grid axis; several axes form their product

A *job* is one (problem, optimizer, seed); the product of its optimizer's axes is its
grid of K configurations, which the executor runs as one batched ``amt.run``. The seed
draws the instance of a generated problem (``quadratic``, ``synthetic``) and the
minibatches, as ``amtoolkit run --seed`` does.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .. import optimizers
from .._checks import check_fits_memory
from ..optimizers.base import relative_lr

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Job", "SpecError", "load_spec", "expand", "parse_lr", "grid_hyper"]

FORMAT = 1  # bump when the meaning of a stored job's config changes
SWEEP_KEYS = {"steps", "seeds", "batch_size", "gtol", "timeout"}
# Problem parameters and their defaults (those of the CLI and of the constructors).
QUADRATIC = {"dim": 100, "cond": 1e3, "spectrum": "log"}
LOGISTIC = {"reg": 1e-3}
SPECTRA = ("log", "uniform")
SYNTHETIC = {**LOGISTIC, "n_samples": 500, "n_features": 20, "noise": 1.0, "density": 1.0}


class SpecError(ValueError):
    """A sweep spec that cannot be run; the message names the section and the key."""


@dataclass(frozen=True)
class Job:
    """One (problem, optimizer, seed) with its grid of K hyperparameter configurations.

    ``problem`` holds ``name`` and the problem's parameters; ``grid`` is a tuple of K
    dicts (``lr`` may still be a ``"c/L"`` string, resolved against the built problem).
    """

    problem: Mapping[str, Any]
    optimizer: str
    grid: tuple
    seed: int
    steps: int
    batch_size: int | None = None
    gtol: float | None = None
    #: seconds the job may run (``[sweep] timeout``); not part of the config or the key
    timeout: float | None = field(default=None, compare=False)

    def config(self) -> dict:
        """The canonical, JSON-serialisable description of the job."""
        grid = [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()} for g in self.grid]
        return {"format": FORMAT, "problem": dict(self.problem), "optimizer": self.optimizer,
                "grid": grid, "seed": self.seed, "steps": self.steps, "batch_size": self.batch_size,
                "gtol": self.gtol}

    @property
    def label(self) -> str:
        """A readable name (the Dask task key's prefix): optimizer, problem, seed."""
        return f"{self.optimizer}-{Path(str(self.problem['name'])).name}-seed{self.seed}"

    @property
    def key(self) -> str:
        """Hash of the canonical config: the job's file name in the store."""
        text = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def parse_lr(value: Any, where: str) -> float | None:
    """``c`` for a learning rate ``"c/L"``; ``None`` for a number; raises otherwise."""
    if isinstance(value, str):
        try:  # the one parser of "c/L", that of the optimizers
            return float(relative_lr(value))
        except (TypeError, ValueError):
            raise SpecError(f"{where}: lr must be a positive number or a string 'c/L' with c > 0 "
                            f"(e.g. '1/L', '0.5/L'), got {value!r}") from None
    return None


def load_spec(spec: Mapping | str | os.PathLike) -> dict:
    """A spec as a dict: ``spec`` itself, or the TOML file it names."""
    if isinstance(spec, Mapping):
        return dict(spec)
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"spec must be a dict or the path of a TOML file, got {type(spec).__name__}")
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"spec: no TOML file at {path}")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:  # a binary file too, named
        raise SpecError(f"spec: {path} is not valid TOML ({type(err).__name__}: {err})") from None


def grid_hyper(grid: tuple, smoothness: float) -> dict:
    """The keyword arguments of ``optimizers.get`` for a grid of K configurations:
    ``"c/L"`` becomes ``c / smoothness``; a key that varies becomes an array of shape
    ``(K,)`` (a tuple of such arrays for tuple values such as ``betas``), a constant stays
    a scalar."""

    def value(v):
        c = parse_lr(v, "lr")
        return v if c is None else c / smoothness

    out = {}
    for key in grid[0]:
        vals = [value(g[key]) if key == "lr" else g[key] for g in grid]
        if all(g[key] == grid[0][key] for g in grid):
            out[key] = vals[0]
        elif isinstance(vals[0], tuple):
            out[key] = tuple(np.asarray(col, dtype=float) for col in zip(*vals))
        else:
            out[key] = np.asarray(vals, dtype=float)
    return out


def _float(v):
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_keys(table: Mapping, allowed: set, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}")


def _int(value, key: str, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{where}: {key} must be an integer >= {minimum}, got {value!r}")
    return value


def _tables(spec: Mapping, name: str) -> list:
    tables = spec.get(name)
    if not isinstance(tables, list) or not tables or not all(isinstance(t, Mapping) for t in tables):
        raise SpecError(f"spec: [[{name}]] must be a non-empty array of tables, got {tables!r}")
    return tables


def _problems(tables: list, sweep_batch: int | None) -> list[tuple[dict, int | None, int]]:
    out = []
    for i, table in enumerate(tables):
        name = table.get("name")
        where = f"[[problems]] #{i + 1}" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(name, str) or not name:
            raise SpecError(f"{where}: name must be a string (quadratic, breast_cancer, synthetic, "
                            f"a LIBSVM name or path), got {name!r}")
        if name not in ("quadratic", "synthetic", "breast_cancer"):
            from ..datasets import registry

            if name not in registry() and not Path(name).is_file():
                raise SpecError(f"{where}: {name!r} is neither a built-in problem (quadratic, breast_cancer, "
                                f"synthetic), a registered LIBSVM name nor an existing file")
        defaults = QUADRATIC if name == "quadratic" else SYNTHETIC if name == "synthetic" else LOGISTIC
        _check_keys(table, set(defaults) | {"name"} | ({"batch_size"} if name != "quadratic" else set()), where)
        params = {**defaults, **{k: v for k, v in table.items() if k != "name"}}
        for key, value in params.items():
            values = value if isinstance(value, list) else [value]
            ok = all(v in SPECTRA for v in values) if key == "spectrum" else all(_is_number(v) for v in values)
            if not values or not ok:
                kind = "'log' or 'uniform'" if key == "spectrum" else "a number"
                raise SpecError(f"{where}: {key} must be {kind}, or a non-empty list of such values "
                                f"(a grid axis), got {value!r}")
        if "batch_size" not in params and sweep_batch is not None and name != "quadratic":
            params["batch_size"] = sweep_batch
        axes = [(k, v if isinstance(v, list) else [v]) for k, v in sorted(params.items())]
        for combo in itertools.product(*(v for _, v in axes)):
            pb = {"name": name, **{k: _float(v) if isinstance(defaults.get(k), float) else v
                                   for (k, _), v in zip(axes, combo)}}
            for key in ("dim", "n_samples", "n_features"):
                if key in pb:
                    _int(pb[key], key, where, 1)
            batch = pb.pop("batch_size", None)
            batch = None if batch is None else _int(batch, "batch_size", where, 1)
            _check_problem(pb, batch, where)
            out.append((pb, batch, i))
    return out


def _n_samples(pb: Mapping) -> int | None:
    """The number of samples of a logistic problem, where it is known without loading it."""
    if pb["name"] == "breast_cancer":
        return 569
    if pb["name"] == "synthetic":
        return pb["n_samples"]
    from ..datasets import registry

    info = registry().get(pb["name"])
    return None if info is None else int(info.n_samples)


def _check_problem(pb: Mapping, batch: int | None, where: str) -> None:
    """The ranges the problem constructors check at run time, checked here, before any job
    runs (issue 21, item 7): a bad value would otherwise fail every job of the sweep."""
    def need(key: str, ok: bool, allowed: str) -> None:
        if not ok:
            raise SpecError(f"{where}: {key} must be {allowed}, got {pb[key]!r}")

    if pb["name"] == "quadratic":
        need("cond", pb["cond"] >= 1, ">= 1 (the condition number L/mu)")
        try:
            check_fits_memory("dim", 8.0 * pb["dim"] ** 2 * 4, f"a dense {pb['dim']}x{pb['dim']} quadratic")
        except ValueError as err:
            raise SpecError(f"{where}: {err}") from None
        return
    need("reg", pb["reg"] >= 0, ">= 0 (the L2 coefficient)")
    if pb["name"] == "synthetic":
        need("n_samples", pb["n_samples"] >= 2, "an integer >= 2")
        need("noise", pb["noise"] >= 0, ">= 0")
        need("density", 0 < pb["density"] <= 1, "in (0, 1]")
        try:
            check_fits_memory("n_samples", 8.0 * pb["n_samples"] * pb["n_features"] * 3,
                              f"a {pb['n_samples']}x{pb['n_features']} synthetic data set")
        except ValueError as err:
            raise SpecError(f"{where}: {err}") from None
    n = _n_samples(pb)
    if batch is not None and n is not None and batch > n:
        raise SpecError(f"{where}: batch_size must be in [1, n_samples={n}] for {pb['name']}, got {batch}")


def _axis(key: str, value, default, where: str) -> list:
    """The values a hyperparameter takes: one value, or a grid axis (a list)."""
    if isinstance(default, tuple):  # e.g. betas = [0.9, 0.999] is one tuple value
        if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
            values = [tuple(v) for v in value]
        elif isinstance(value, list):
            values = [tuple(value)]
        else:
            values = [value]
        for v in values:
            if not (isinstance(v, tuple) and len(v) == len(default) and all(map(_is_number, v))):
                raise SpecError(f"{where}: {key} must be a list of {len(default)} numbers, or a list "
                                f"of such lists (a grid axis), got {value!r}")
        return values
    if isinstance(default, float):  # 1 and 1.0 are one value (and one job key)
        value = [_float(v) for v in value] if isinstance(value, list) else _float(value)
    if not isinstance(value, list):
        if key == "lr":
            parse_lr(value, where)
        if isinstance(value, (Mapping, list)):
            raise SpecError(f"{where}: {key} must be a number, a string or a boolean, got {value!r}")
        return [value]
    if not value or len(set(map(repr, value))) != len(value):
        raise SpecError(f"{where}: grid axis {key} must be a non-empty list of distinct values, got {value!r}")
    for v in value:
        if key == "lr" and isinstance(v, str):
            parse_lr(v, where)
        elif not _is_number(v):
            kind = "numbers or 'c/L' strings" if key == "lr" else "numbers"
            raise SpecError(f"{where}: grid axis {key} must be a list of {kind} (it is batched in one "
                            f"run), got {v!r} in {value!r}; put other values in separate "
                            f"[[optimizers]] entries")
    return list(value)


def _grids(tables: list) -> list[tuple[str, tuple]]:
    out = []
    for i, table in enumerate(tables):
        name = table.get("name")
        where = f"[[optimizers]] #{i + 1}" + (f" ({name})" if isinstance(name, str) else "")
        if not isinstance(name, str) or name.replace("-", "_") not in optimizers.available():
            raise SpecError(f"{where}: unknown optimizer name {name!r}; available: "
                            f"{', '.join(optimizers.available())}")
        name = name.replace("-", "_")
        params = inspect.signature(getattr(optimizers, name)).parameters
        _check_keys(table, set(params) | {"name"}, where)
        axes = [(k, _axis(k, v, params[k].default, where)) for k, v in sorted(table.items()) if k != "name"]
        grid = tuple(dict(zip((k for k, _ in axes), combo)) for combo in itertools.product(*(v for _, v in axes)))
        try:  # the constructor's own checks, with a placeholder smoothness L = 1
            optimizers.get(name, **grid_hyper(grid, 1.0))
        except (TypeError, ValueError) as err:
            raise SpecError(f"{where}: {err}") from None
        out.append((name, grid))
    return out


def expand(spec: Mapping | str | os.PathLike) -> list[Job]:
    """The jobs of a spec (problem-major, so that jobs on one problem are adjacent).

    Raises :class:`SpecError` naming the section and the key for an unknown key or
    section, an unknown optimizer, an axis of the wrong type, or an ``lr`` string that
    is not ``"c/L"``.
    """
    spec = load_spec(spec)
    _check_keys(spec, {"sweep", "problems", "optimizers"}, "spec (top level)")
    head = spec.get("sweep")
    if not isinstance(head, Mapping):
        raise SpecError("spec: a [sweep] table with at least 'steps' is required")
    _check_keys(head, SWEEP_KEYS, "[sweep]")
    if "steps" not in head:
        raise SpecError("[sweep]: steps is required (the number of updates per run)")
    steps = _int(head["steps"], "steps", "[sweep]", 1)
    seeds = head.get("seeds", [0])
    seeds = [_int(s, "seeds", "[sweep]", 0) for s in (seeds if isinstance(seeds, list) else [seeds])]
    if any(s >= 2 ** 63 for s in seeds):  # a run keeps its seed as int64
        raise SpecError(f"[sweep]: seeds must be integers in [0, 2**63 - 1], got {seeds!r}")
    if not seeds or len(set(seeds)) != len(seeds):
        raise SpecError(f"[sweep]: seeds must be a non-empty list of distinct integers, got {seeds!r}")
    batch = head.get("batch_size")
    if batch is not None:
        _int(batch, "batch_size", "[sweep]", 1)
    gtol = head.get("gtol")
    if gtol is not None and not (_is_number(gtol) and gtol > 0):
        raise SpecError(f"[sweep]: gtol must be a positive number, got {gtol!r}")
    timeout = head.get("timeout")
    if timeout is not None and not (_is_number(timeout) and timeout > 0):
        raise SpecError(f"[sweep]: timeout must be a positive number of seconds per job, got {timeout!r}")
    problems = _problems(_tables(spec, "problems"), batch)
    grids = _grids(_tables(spec, "optimizers"))
    _no_duplicates([((pb, bs), i, pb["name"]) for pb, bs, i in problems], "problems")
    _no_duplicates([(g, i, g[0]) for i, g in enumerate(grids)], "optimizers")
    return [Job(problem=pb, optimizer=name, grid=grid, seed=seed, steps=steps, batch_size=bs,
                gtol=None if gtol is None else float(gtol),
                timeout=None if timeout is None else float(timeout))
            for pb, bs, _ in problems for seed in seeds for name, grid in grids]


def _no_duplicates(items: list, section: str) -> None:
    """Two entries (or two values of one list) that expand to the same problem, or to the
    same optimizer grid, would run the same jobs twice: refuse them, naming both entries.
    ``items``: (value, entry index, name)."""
    seen: dict[str, int] = {}
    for value, i, name in items:
        text = json.dumps(value, sort_keys=True, default=list)
        if text in seen:
            which = (f"entry #{i + 1} ({name}) holds the same problem twice" if seen[text] == i else
                     f"entries #{seen[text] + 1} and #{i + 1} ({name}) are the same")
            raise SpecError(f"[[{section}]]: {which} once defaults are filled in and lists expanded, "
                            f"so its jobs would run twice; remove the duplicate")
        seen[text] = i
