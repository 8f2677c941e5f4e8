"""The convex experiments of arXiv:2510.04988 reproduced with one command.

``amtoolkit reproduce convex`` runs the protocol of Sec. 4.1 / Figure 3 (logistic
regression on LIBSVM datasets, λ = 0, step size 1/L, x_0 = 0) and the quadratic of
Sec. 3.1 / Figure 1, and writes a results file and a Markdown table; the command then
draws both figures through :func:`amtoolkit.figures.build`, the one builder of every paper
figure.

Each (problem, protocol parameters) is run once: its row and curves go to a store
(:data:`DEFAULT_STORE`, one Parquet file each, written atomically), which ``amtoolkit
figures`` reads too, so a figure that one command computed is not computed again by the
other.

Per dataset and regularisation ``reg`` (mean logistic loss + reg/2‖w‖²):

* one batched ``mgd`` run over :data:`GRID` (20 β in [0, 0.999]; β = 0 is GD and 0.9 is
  the usual default), and β* = the grid value with the lowest final loss (Sec. 4.1's
  criterion);
* one batched ``am_mgd`` run (Algorithm 1, deterministic column) over
  ``beta_max`` ∈ :data:`AM_BETA_MAX`; the one judged is ``beta_max = 1`` (Algorithm 1
  line 6's clip to [0, 1]; Sec. 4.1 does not state β_max).

Budget: every method runs the same number of steps T per problem, the number of steps the
fastest AM-MGD run needs to reach a relative gap of :data:`FLOOR` (so that no final gap
of AM-MGD sits at round-off), capped at ``max_steps``.

That protocol tunes only β, at a step where EMA momentum cannot accelerate. Beside it, with
``fair_grid > 0`` (the command's default 16), each row also holds the fair protocol of
:mod:`amtoolkit.reproduce.fair` at the same budget T: GD, heavy ball, EMA MGD, Nesterov
(known μ) and AM-MGD, each over ``fair_grid`` configurations of its step (and β): columns
``fair gap <method>``, ``fair steps to 1e-6 <method>``, ``fair best baseline`` and the
outcomes ``fair vs best`` (final gap) and ``fair speed vs best`` (steps to a 1e-6 relative
gap, which separates methods that all reach round-off).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import optimizers
from .._checks import check_int, check_out_path, check_positive
from ..datasets import find_libsvm, load_problem, registry
from ..problems import Quadratic
from ..runner.run import run
from ..sweeps.store import read_job_meta, write_job
from .fair import BASELINES, fair_protocol, outcome, speed_outcome

__all__ = ["GRID", "AM_BETA_MAX", "DEFAULT_STORE", "default_datasets", "convex_problem", "quadratic_problem",
           "reproduce_convex"]

#: the store of protocol runs shared by ``amtoolkit reproduce convex`` and ``amtoolkit figures``
DEFAULT_STORE = "results/figures"
#: part of each stored run's key: bump it when the protocol's computation changes
FORMAT = 1

GRID = np.unique(np.concatenate([np.linspace(0.0, 0.9, 10), 1.0 - np.geomspace(0.1, 1e-3, 11)]))
AM_BETA_MAX = (0.9, 0.99, 1.0)
JUDGED = AM_BETA_MAX.index(1.0)  # the run of the batched am_mgd that is judged (β_max = 1)
REL_GAP = 1e-6  # the "steps to" column
FLOOR = 1e-10  # the budget: steps for the fastest AM-MGD run to this relative gap
ROUND_OFF = 1e-14  # absolute gaps at or below this are ties at round-off
REGS = (1e-3, 1e-5)
FIG3_DATASETS = ("a1a", "w1a", "mushrooms", "phishing")
CONDITIONS = (1e2, 1e3, 1e4)
# Datasets left out of the default list: the test splits (*.t, the same problems as their
# training files) and the four largest training files (> 20000 rows; pass them with
# --datasets, about 40 ms per step for the 23 runs on 2 shared cores).
LARGE = ("a8a", "a9a", "w8a", "ijcnn1")


def default_datasets() -> list[str]:
    """The registered training files present locally (``$AMTOOLKIT_DATA`` or the cache),
    without the test splits and the four largest files (module constant ``LARGE``)."""
    out = []
    for name in registry():
        if name.endswith(".t") or name in LARGE:
            continue
        try:
            find_libsvm(name, download=False)
        except FileNotFoundError:
            continue
        out.append(name)
    return out


def _steps_to(gap: np.ndarray, rel: float) -> float:
    hit = np.flatnonzero(gap <= rel * gap[0])
    return float(hit[0]) if hit.size else np.nan


def _am_runs(problem, lr, max_steps, f_star, floor):
    """The batched AM-MGD run, stopped once its best run reaches ``floor`` (absolute)."""

    def stop(t, state):  # the optimizer keeps f(x_t) as f_prev: no extra evaluation
        return bool(np.min(state.buffers["f_prev"]) - f_star <= floor)

    opt = optimizers.am_mgd(lr=lr, beta_max=np.asarray(AM_BETA_MAX))
    return run(opt, problem, max_steps, f_star=f_star, callback=stop)


def _fair_columns(row: dict, problem, steps: int, fair_grid: int) -> None:
    """The fair protocol at the same budget, beside the paper's (module docstring)."""
    fair = fair_protocol(problem, steps, fair_grid)
    for method, r in fair.items():
        row[f"fair gap {method}"] = r["gap"]
        row[f"fair steps to 1e-6 {method}"] = r["steps_to_1e-6"]
    best = min(BASELINES, key=lambda m: (fair[m]["gap"], np.nan_to_num(fair[m]["steps_to_1e-6"], nan=np.inf)))
    fastest = min(BASELINES, key=lambda m: np.nan_to_num(fair[m]["steps_to_1e-6"], nan=np.inf))
    row["fair best baseline"] = best
    row["fair vs best"] = outcome(fair["AM-MGD"]["gap"], fair[best]["gap"])
    row["fair speed vs best"] = speed_outcome(fair["AM-MGD"]["steps_to_1e-6"], fair[fastest]["steps_to_1e-6"])


def _compare(problem, name: str, reg: float, max_steps: int, keep_curves: bool, extra=(), fair_grid: int = 0):
    """One row of the table (and the curves of GD, MGD 0.9, MGD β*, AM-MGD with β_max = 1
    and MGD with the β's in ``extra`` when asked)."""
    t0 = time.perf_counter()
    f_star, lr = float(problem.f_star), 1.0 / problem.smoothness
    gap0 = float(problem.value(problem.default_x0())) - f_star
    am = _am_runs(problem, lr, max_steps, f_star, FLOOR * gap0)
    steps = int(am.frame.step.max())
    fixed = run(optimizers.mgd(lr=lr, beta=GRID), problem, steps, f_star=f_star)
    final = fixed.final()
    ok = final[np.isfinite(final.loss)]
    best = ok.sort_values(["loss", "hp_beta"]).iloc[0]  # lowest final loss (Sec. 4.1)
    runs = {"GD": 0, "MGD 0.9": int(np.flatnonzero(GRID == 0.9)[0]), "MGD β*": int(best["run"])}
    runs |= {f"MGD {b:g}": int(np.flatnonzero(np.isclose(GRID, b))[0]) for b in extra}
    gaps = {k: fixed.frame[fixed.frame.run == r].gap.to_numpy() for k, r in runs.items()}
    for i, bmax in enumerate(AM_BETA_MAX):
        gaps[f"AM-MGD {bmax:g}"] = am.frame[am.frame.run == i].gap.to_numpy()
    row = {"problem": name, "reg": reg, "n": getattr(problem, "n_samples", None), "d": problem.dim,
           "L": problem.smoothness, "f_star": f_star, "steps": steps, "beta_star": float(best["hp_beta"])}
    for label, g in gaps.items():
        row[f"gap {label}"] = float(g[-1])
        row[f"steps to 1e-6 {label}"] = _steps_to(g, REL_GAP)
    beta_judged = am.frame[am.frame.run == JUDGED].beta
    row["AM β_t mean"] = float(np.nanmean(beta_judged.iloc[1:-1]))
    row["AM β_t = 1 share"] = float(np.mean(beta_judged.iloc[1:-1] == 1.0))
    _judge(row)
    if fair_grid:
        _fair_columns(row, problem, steps, fair_grid)
    row["wall_seconds"] = time.perf_counter() - t0
    curves = None
    if keep_curves:
        beta_am = beta_judged.to_numpy()
        names = {"MGD β*": f"MGD β*={row['beta_star']:.3g}"}
        curves = pd.concat([pd.DataFrame({"label": names.get(k, k), "step": np.arange(len(g)), "gap": g,
                                          "beta": beta_am if k == "AM-MGD 1" else np.nan})
                            for k, g in gaps.items() if not k.startswith("AM") or k == "AM-MGD 1"],
                           ignore_index=True)
    return row, curves


def _outcome(am_gap: float, other: float) -> tuple[str, str]:
    """``(outcome, text)``: outcome ``win``/``loss`` when AM-MGD's final gap is at least 2×
    lower/higher, ``par`` within a factor 2, ``tie`` when both are at round-off."""
    if max(am_gap, other) <= ROUND_OFF:
        return "tie", "tie (both at round-off)"
    r = am_gap / other if other > 0 else np.inf
    if r <= 0.5:
        return "win", f"wins ({1 / r:.3g}× lower gap)"
    if r >= 2.0:
        return "loss", f"LOSES ({r:.3g}× higher gap)"
    return "par", f"par (gap ratio {r:.2f})"


def _judge(row: dict) -> None:
    """Adds ``vs 0.9``, ``vs β*`` and the one-line ``verdict`` of AM-MGD (β_max = 1)."""
    am = row["gap AM-MGD 1"]
    (row["vs 0.9"], t09), (row["vs β*"], tbest) = (_outcome(am, row["gap MGD 0.9"]),
                                                  _outcome(am, row["gap MGD β*"]))
    row["verdict"] = f"vs β=0.9: {t09}; vs β*={row['beta_star']:.3g}: {tbest}"


def _stored(store, kind: str, params: dict, compute, fair_grid: int = 0) -> tuple[dict, pd.DataFrame]:
    """``compute() -> (row, curves)``, or what an earlier call stored under ``store`` for the same
    ``kind`` and ``params`` (``<store>/<kind>-<hash>.parquet``: the curves as the table, the row
    in its metadata). A damaged or foreign file is computed again and replaced. The fair
    protocol's grid is not part of the key (the curves do not depend on it): a stored row is
    reused when it was computed with ``fair_grid`` configurations, or when none are asked."""
    if store is None:
        return compute()
    text = json.dumps({"kind": kind, "params": params, "format": FORMAT}, sort_keys=True)
    key = f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    path = Path(store) / f"{key}.parquet"
    if path.is_file():
        try:
            meta = read_job_meta(path)
            if meta.get("kind") == kind and meta.get("params") == params and meta.get("format") == FORMAT \
                    and (not fair_grid or meta.get("fair_grid", 0) == fair_grid):
                row = {k: (np.nan if v is None else v) for k, v in meta["row"].items()}
                return row, pd.read_parquet(path)
        except Exception:  # noqa: BLE001 - a damaged file is recomputed below and replaced
            pass
    row, curves = compute()
    Path(store).mkdir(parents=True, exist_ok=True)
    write_job(store, key, curves, {"kind": kind, "params": params, "format": FORMAT, "row": row,
                                   "fair_grid": int(fair_grid)})
    return row, curves


def convex_problem(name: str, reg: float, max_steps: int = 4000, keep_curves: bool = False,
                   store: str | Path | None = None, fair_grid: int = 0):
    """The protocol of Sec. 4.1 on one LIBSVM dataset: ``(row, curves or None)``; the row's
    ``cpu_seconds`` counts loading, f*, and both runs. With ``store`` (a folder), the result is
    read from there when an earlier call stored it, else computed and stored (curves
    included)."""
    def compute():
        cpu = time.process_time()
        row, curves = _compare(load_problem(name, reg=reg), name, reg, max_steps, keep_curves or store is not None,
                               fair_grid=fair_grid)
        row["cpu_seconds"] = time.process_time() - cpu
        return row, curves

    params = {"problem": name, "reg": float(reg), "max_steps": int(max_steps)}
    row, curves = _stored(store, "convex", params, compute, fair_grid)
    return row, (curves if keep_curves else None)


def quadratic_problem(cond: float, max_steps: int = 20000, dim: int = 100, seed: int = 0,
                      store: str | Path | None = None, fair_grid: int = 0):
    """Figure 1's setting (Sec. 3.1) with the same protocol: a random quadratic with
    condition number ``cond`` (log-spaced spectrum in [1/cond, 1], b ~ N(0, I)); the curves
    add MGD with β = 0.5 and 0.99 to the four methods of Figure 3. ``store`` as in
    :func:`convex_problem`."""
    def compute():
        cpu = time.process_time()
        q = Quadratic.random(dim=dim, cond=cond, seed=seed)
        row, curves = _compare(q, q.name, np.nan, max_steps, True, extra=(0.5, 0.99), fair_grid=fair_grid)
        row["cpu_seconds"] = time.process_time() - cpu
        return row, curves

    params = {"cond": float(cond), "max_steps": int(max_steps), "dim": int(dim), "seed": int(seed)}
    return _stored(store, "quadratic", params, compute, fair_grid)


def _fair_markdown(table: pd.DataFrame) -> str:
    """The fair protocol's counts and table (module docstring)."""
    from .fair import METHODS

    n = len(table)
    gap = {o: int((table["fair vs best"] == o).sum()) for o in ("win", "par", "loss", "tie")}
    speed = {o: int((table["fair speed vs best"] == o).sum()) for o in ("win", "par", "loss")}
    lines = [f"The fair protocol beside it (every method's step tuned on the same grid, same T): AM-MGD "
             f"against the best baseline by final gap wins {gap['win']}/{n}, par {gap['par']}, loses "
             f"{gap['loss']}, ties at round-off {gap['tie']}; by steps to a 1e-6 relative gap wins "
             f"{speed['win']}/{n}, par {speed['par']}, loses {speed['loss']}.", ""]
    head = ["dataset", "reg"] + [f"{m} gap / →1e-6" for m in METHODS] + ["best baseline", "gap", "speed"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        cells = [str(r["problem"]), "–" if pd.isna(r["reg"]) else f"{r['reg']:g}"]
        for m in METHODS:
            steps = r[f"fair steps to 1e-6 {m}"]
            cells.append(f"{r[f'fair gap {m}']:.1e} / " + ("never" if not np.isfinite(steps) else f"{int(steps)}"))
        cells += [str(r["fair best baseline"]), str(r["fair vs best"]), str(r["fair speed vs best"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_markdown(table: pd.DataFrame) -> str:
    """The counts, the full table and one verdict per row, as Markdown."""
    n = len(table)
    count = {(k, o): int((table[k] == o).sum()) for k in ("vs 0.9", "vs β*") for o in ("win", "loss")}
    lines = [f"AM-MGD (β_max = 1) against MGD β = 0.9: wins {count['vs 0.9', 'win']}/{n}, loses "
             f"{count['vs 0.9', 'loss']}/{n}; against the grid-tuned β*: wins {count['vs β*', 'win']}/{n}, "
             f"loses {count['vs β*', 'loss']}/{n} (win/loss: final gap at least 2× lower/higher "
             "at the same budget T).", ""]
    cols = ["problem", "reg", "n", "d", "steps", "beta_star", "gap GD", "gap MGD 0.9", "gap MGD β*",
            "gap AM-MGD 0.9", "gap AM-MGD 0.99", "gap AM-MGD 1", "steps to 1e-6 MGD 0.9",
            "steps to 1e-6 MGD β*", "steps to 1e-6 AM-MGD 1", "AM β_t = 1 share"]
    head = ["dataset", "reg", "n", "d", "T", "β*", "GD", "MGD 0.9", "MGD β*", "AM 0.9", "AM 0.99",
            "AM 1", "→1e-6 MGD 0.9", "→1e-6 β*", "→1e-6 AM 1", "AM β_t=1"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for _, r in table.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if v is None or (isinstance(v, float) and np.isnan(v) and c in ("reg", "n")):
                cells.append("–")
            elif c.startswith("gap"):
                cells.append(f"{v:.2e}")
            elif c.startswith("steps to"):
                cells.append("never" if not np.isfinite(v) else f"{int(v)}")
            elif c in ("reg",):
                cells.append(f"{v:g}")
            elif c == "beta_star":
                cells.append(f"{v:.3g}")
            elif c == "AM β_t = 1 share":
                cells.append(f"{100 * v:.0f}%")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    if "fair vs best" in table:
        lines += ["", _fair_markdown(table)]
    lines += ["", "Verdicts (AM-MGD with β_max = 1, by final gap at the same budget T):", ""]
    lines += [f"* {r.problem}" + ("" if np.isnan(r.reg) else f", reg {r.reg:g}") + f": {r.verdict}"
              for r in table.itertuples()]
    return "\n".join(lines) + "\n"


def _collect(fn, tasks: list[tuple], jobs: int, partial: Path) -> list:
    """``fn(*task)`` for every task (``(row, curves)`` each), in parallel, in task order. Each
    result's row is added to ``partial`` (CSV) as soon as it arrives, so a failure or an
    interrupt keeps every finished row; ``partial`` is removed once all are in."""
    from joblib import Parallel, delayed

    def tagged(i, *args):
        return i, fn(*args)

    done: dict[int, Any] = {}
    for i, result in Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(tagged)(i, *task) for i, task in enumerate(tasks)):
        done[i] = result
        pd.DataFrame([done[j][0] for j in sorted(done)]).to_csv(partial, index=False)
    partial.unlink()
    return [done[i] for i in range(len(tasks))]


def reproduce_convex(datasets: Sequence[str] | None = None, regs: Sequence[float] = REGS,
                     out: str | Path = "reproduction", store: str | Path | None = DEFAULT_STORE,
                     max_steps: int = 4000, quadratic_steps: int = 20000, jobs: int = 2,
                     fair_grid: int = 16) -> pd.DataFrame:
    """Run AM Sec. 4.1's convex protocol on every (dataset, reg) and on Figure 1's quadratics.

    Parameters
    ----------
    datasets : list of str, optional
        Registered LIBSVM names (default: :func:`default_datasets`, the training files present
        without the test splits and the four largest).
    regs : list of float, default (1e-3, 1e-5)
        Distinct L2 regularisations > 0.
    out : str or os.PathLike, default "reproduction"
        Folder of ``results.csv``, ``quadratic.csv`` and ``table.md``.
    store : str, os.PathLike or None, default "results/figures"
        Every run's row and curves, shared with :func:`amtoolkit.figures.build` (figures
        ``fig3_libsvm`` and ``fig1_quadratic``, see
        :func:`amtoolkit.figures.figureset.reproduction_configs`), which finds them there
        instead of running them again; ``None``: not kept.
    max_steps, quadratic_steps : int, default 4000, 20000
        Step caps per dataset and per quadratic (the budget rule is in the module docstring).
    jobs : int, default 2
        Worker processes.
    fair_grid : int, default 16
        Configurations per method of the fair protocol run beside the paper's
        (:mod:`amtoolkit.reproduce.fair`); 0: the paper's protocol alone.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, reg): final gaps, steps to a 1e-6 relative gap, β*, the budget
        T, the verdicts ``vs 0.9`` / ``vs β*`` and, with ``fair_grid``, the fair columns.

    Raises
    ------
    TypeError, ValueError, FileNotFoundError
        Bad arguments or a dataset not found, before any run.
    KeyboardInterrupt
        Ctrl-C: the rows finished so far stay in ``<out>/results.partial.csv``
        (``quadratic.partial.csv``), as they do when a run fails.
    """
    max_steps = check_int("max_steps", max_steps)
    fair_grid = check_int("fair_grid", fair_grid, minimum=0)
    quadratic_steps = check_int("quadratic_steps", quadratic_steps)
    jobs = check_int("jobs", jobs)
    for arg, value in (("regs", regs), ("datasets", datasets)):
        if isinstance(value, (str, bytes)) or (value is not None and not hasattr(value, "__iter__")):
            raise TypeError(f"{arg} must be a list, got {value!r}")
    regs = [float(check_positive("reg", r)) for r in regs]
    if not regs or len(set(regs)) < len(regs):
        raise ValueError(f"regs must hold distinct regularisation values, got {regs}")
    names = list(default_datasets() if datasets is None else datasets)
    if len(set(names)) < len(names):
        raise ValueError(f"datasets must be distinct, got {names}")
    if not names:
        raise ValueError("datasets: none given and no registered LIBSVM file found; set "
                         "AMTOOLKIT_DATA to the folder of the LIBSVM files")
    for name in names:  # fail before any long computation
        find_libsvm(name, download=False)
    out = check_out_path("out", out, folder=True)
    store = None if store is None else check_out_path("store", store, folder=True)
    tasks = [(n, r) for r in regs for n in names]
    # the largest problems first, so that the parallel workers finish together
    tasks.sort(key=lambda t: -registry()[t[0]].nnz if t[0] in registry() else 0)
    results = _collect(convex_problem, [(n, r, max_steps, False, store, fair_grid) for n, r in tasks], jobs,
                       out / "results.partial.csv")
    order = {(n, r): i for i, (n, r) in enumerate((n, r) for r in regs for n in names)}
    pairs = sorted(zip(tasks, results), key=lambda p: order[p[0]])
    table = pd.DataFrame([row for _, (row, _) in pairs])
    table.to_csv(out / "results.csv", index=False)  # kept if the quadratics below fail
    quad = _collect(quadratic_problem, [(c, quadratic_steps, 100, 0, store, fair_grid) for c in CONDITIONS], jobs,
                    out / "quadratic.partial.csv")
    quad_table = pd.DataFrame([r for r, _ in quad])
    quad_table.to_csv(out / "quadratic.csv", index=False)
    (out / "table.md").write_text(summary_markdown(table) + "\nQuadratics (Figure 1):\n\n"
                                  + summary_markdown(quad_table))
    return table
