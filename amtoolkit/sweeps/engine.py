"""Sweeps: execute the jobs of a spec into a resumable Parquet store.

The second half of a sweep (:mod:`.spec` builds the jobs). :func:`execute_job` is the
one function every engine runs; the engines only map it over the pending jobs:

* in-process, one job after another (``jobs=1``, the default);
* joblib/loky worker processes (``jobs=N``);
* a Dask distributed cluster through joblib's ``dask`` backend (``scheduler="tcp://HOST:PORT"``
  for an existing cluster, ``"local"`` to start a ``LocalCluster`` of ``jobs`` workers).

Workers return their tables and the calling process writes them, one file per job
(:func:`amtoolkit.sweeps.store.write_job`), so workers need no shared file
system. Every job runs with one BLAS thread in every engine, which makes the stored
numbers bit-identical whatever the engine (the ``time`` column aside). A job whose
run raises, or is interrupted, is reported and never stored; a stored job is skipped
when the sweep is run again.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import traceback
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
from threadpoolctl import threadpool_limits

from .. import optimizers
from .._checks import check_out_path
from ..datasets import load_problem
from ..problems import Quadratic
from ..runner.history import package_versions
from ..runner.run import STATUS_FAILED, STATUS_INTERRUPTED, STATUS_STOPPED, run
from .spec import Job, expand, grid_hyper, parse_lr
from .store import stored_keys, write_job

__all__ = ["sweep", "execute_job", "SweepReport", "build_problem"]


@dataclass
class SweepReport:
    """What a call of :func:`sweep` did: jobs in the spec, skipped because already stored,
    stored by this call, failed (key → error text), and whether Ctrl-C stopped it."""

    out: Path
    total: int
    skipped: int = 0
    stored: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def missing(self) -> int:
        return self.total - self.skipped - self.stored

    def __str__(self) -> str:
        text = (f"{self.stored} job(s) stored in {self.out} by this call, {self.skipped} already "
                f"stored, {self.missing} of {self.total} missing")
        if self.failed:
            text += f"; {len(self.failed)} failed (not stored)"
        if self.interrupted:
            text += "; interrupted: run the same sweep again to resume"
        return text


@lru_cache(maxsize=8)
def _problem(problem_json: str, seed: int):
    pb = json.loads(problem_json)
    name = pb.pop("name")
    if name == "quadratic":
        return Quadratic.random(seed=seed, **pb)
    if name == "synthetic":
        reg = pb.pop("reg")
        return load_problem(name, reg=reg, seed=seed, **pb)
    return load_problem(name, **pb)


def build_problem(problem: Mapping[str, Any], seed: int):
    """The problem of a job. Cached per process (8 problems): a worker that runs several
    jobs on one dataset loads and parses it, and computes its smoothness and ``f_star``,
    once. The seed only matters for generated problems (``quadratic``, ``synthetic``)."""
    generated = problem["name"] in ("quadratic", "synthetic")
    return _problem(json.dumps(dict(problem), sort_keys=True), seed if generated else 0)


def execute_job(job: Job, step_bar: bool = False) -> tuple[str, Any, dict | None, str | None]:
    """Run one job: ``(key, frame, meta, None)``, or ``(key, None, None, error)`` when it
    failed. Raises ``KeyboardInterrupt`` when the run was interrupted.

    The grid is one batched ``amt.run`` (K configurations); the frame gets the columns
    ``job`` (the key), ``pb_<param>`` (the problem's parameters) and ``lr_c`` (c of an
    ``lr = "c/L"``, NaN otherwise). ``step_bar`` shows the steps of a job that lasts
    more than a second (in-process engine).
    """
    t0 = time.perf_counter()
    bar = None
    try:
        with threadpool_limits(limits=1):
            problem = build_problem(job.problem, job.seed)
            relative = any(isinstance(g.get("lr"), str) for g in job.grid)
            smoothness = float(problem.smoothness) if relative else 1.0
            opt = optimizers.get(job.optimizer, **grid_hyper(job.grid, smoothness))
            callback = None
            if step_bar:
                from tqdm.auto import tqdm

                bar = tqdm(total=job.steps, delay=1.0, leave=False, unit="step",
                           desc=f"{job.optimizer} on {job.problem['name']}")

                def advance(t, state) -> None:  # observes only: tqdm.update's True would stop the run
                    bar.update()

                callback = advance
            history = run(opt, problem, job.steps, batch_size=job.batch_size, seed=job.seed,
                          gtol=job.gtol, callback=callback)
    except Exception as err:  # a failed job is reported, never stored (benchopt's FailedRun)
        if isinstance(err.__cause__ or err.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from err
        return job.key, None, None, traceback.format_exc(limit=-3)
    finally:
        if bar is not None:
            bar.close()
    cut = sorted(set(history.status) & {STATUS_STOPPED, STATUS_INTERRUPTED, STATUS_FAILED})
    if cut:  # a run cut before its horizon is never stored as a finished job
        return job.key, None, None, (f"the job's runs ended {', '.join(cut)} at step "
                                     f"{int(history.frame.step.max())} of {job.steps}; not stored")
    frame = history.frame
    at = next((i for i, c in enumerate(frame.columns) if c.startswith("hp_")), len(frame.columns))
    for name, value in reversed(job.problem.items()):  # problem parameters next to the hp_ columns
        frame.insert(at, f"pb_{name}", value)
    lr_c = np.asarray([parse_lr(g.get("lr"), "lr") or np.nan for g in job.grid], dtype=float)
    frame["lr_c"] = lr_c[frame["run"].to_numpy()]
    frame["job"] = job.key
    meta = {"key": job.key, "config": job.config(), "state": "done", "status": history.status,
            "wall_time": time.perf_counter() - t0, "host": socket.gethostname(),
            "versions": package_versions("pyarrow", "joblib", "dask"), "run": history.meta}
    return job.key, frame, meta, None


@contextlib.contextmanager
def _dask_client(scheduler: str, n_workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        raise ImportError("scheduler needs dask.distributed: pip install 'amtoolkit[distributed]'") from None
    if scheduler == "local":
        with LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
    else:
        with Client(scheduler) as client:
            yield client


def _engine(jobs: list[Job], n_jobs: int | None, scheduler: str | None, step_bar: bool) -> Iterator[tuple]:
    """``execute_job`` over ``jobs``, results in completion order."""
    if scheduler is None and (n_jobs or 1) == 1:
        for job in jobs:
            yield execute_job(job, step_bar=step_bar)
        return
    from joblib import Parallel, delayed, parallel_config

    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            stack.enter_context(_dask_client(scheduler, n_jobs))
            stack.enter_context(parallel_config(backend="dask"))
            n_jobs = -1
        else:
            stack.enter_context(parallel_config(backend="loky", inner_max_num_threads=1))
        stack.enter_context(warnings.catch_warnings())  # joblib's note on tasks cancelled by Ctrl-C
        warnings.filterwarnings("ignore", message=".*tasks which were still being processed", category=UserWarning)
        yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(execute_job)(job) for job in jobs)


def sweep(spec: Mapping | str | os.PathLike, out: str | os.PathLike, *, jobs: int | None = None,
          scheduler: str | None = None, resume: bool = True, progress: bool = True) -> SweepReport:
    """Run every job of ``spec`` (a dict, or the path of a TOML file; see
    :mod:`amtoolkit.sweeps.spec`) and store each in ``out/<key>.parquet``.

    Parameters
    ----------
    jobs:      worker processes (joblib/loky); with ``scheduler="local"`` the number of
               Dask workers (default: 1 locally, all cores for ``"local"``); ignored
               with a ``tcp://`` address (the cluster has its workers).
    scheduler: ``None`` (local engines), ``"local"`` (start a Dask ``LocalCluster``) or
               the address ``"tcp://HOST:PORT"`` of a running Dask scheduler.
    resume:    skip the jobs already stored (default); ``False`` runs and overwrites them.
    progress:  a tqdm bar counting jobs.

    Ctrl-C stops the sweep: the jobs finished so far are stored, the report says how
    many, and calling ``sweep`` again resumes. Load the results with
    :func:`amtoolkit.load_results`.
    """
    all_jobs = expand(spec)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or
                                  not (scheduler == "local" or "://" in scheduler)):
        raise ValueError(f"scheduler must be 'local' or a Dask scheduler address 'tcp://HOST:PORT', "
                         f"got {scheduler!r}")
    out = check_out_path("out", out, folder=True)
    done = stored_keys(out) if resume else set()
    pending = [j for j in all_jobs if j.key not in done]
    report = SweepReport(out=out, total=len(all_jobs), skipped=len(all_jobs) - len(pending))
    if not pending:
        return report
    from tqdm.auto import tqdm

    with tqdm(total=len(pending), unit="job", desc="sweep", disable=not progress) as bar:
        try:
            for key, frame, meta, error in _engine(pending, jobs, scheduler, progress):
                if error is None:
                    write_job(out, key, frame, meta)
                    report.stored += 1
                else:
                    report.failed[key] = error
                bar.update()
        except KeyboardInterrupt:
            report.interrupted = True
            if resume:  # exact even when Ctrl-C came between a write and its count
                report.stored = len(stored_keys(out) & {job.key for job in pending})
    if report.failed:
        warnings.warn(f"{len(report.failed)} job(s) failed and were not stored (see "
                      f"SweepReport.failed); running the sweep again retries them", RuntimeWarning)
    return report

