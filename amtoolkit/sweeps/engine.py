"""Sweeps: execute the jobs of a spec into a resumable Parquet store.

The second half of a sweep (:mod:`.spec` builds the jobs). :func:`execute_job` is the
one function every engine runs; the engines only map it over the pending jobs:

* in-process, one job after another (``jobs=1``, the default);
* joblib/loky worker processes (``jobs=N``);
* a Dask distributed cluster on Dask futures (``Client.submit`` / ``as_completed``):
  ``scheduler="tcp://HOST:PORT"`` for an existing cluster, ``"local"`` to start a
  ``LocalCluster`` of ``jobs`` workers. A job that kills its worker is reported as
  failed with the worker's address; when no worker is left for ``worker_wait``
  seconds the sweep stops and says so.

The store is a local folder or a URL (``s3://bucket/prefix``, ``file:///...``, any URL
pyarrow's or fsspec's file systems know: :func:`amtoolkit.sweeps.locations.open_url`).
Workers write their own result files when they see the store (they resolve the URL
themselves and read the lock file of this sweep with its token: a shared file system, or
an object store they can reach), and return only a status; otherwise (``memory://``, a
folder they do not share) they return the table and the calling process writes it. Every job
runs with one BLAS thread (set once per worker process), which makes the stored numbers
bit-identical whatever the engine (the ``time`` column aside).

A job whose run raises, is cut by its ``timeout``, or is interrupted, is never stored:
a failure record (``out/_failed/<key>.json``: error, status, host, attempts, time) is
kept instead, and the job is retried by the next call unless it has failed
``max_failures`` times (``retry_failed`` tries those again). A stored job is verified
and skipped when the sweep is run again; a damaged one is set aside and recomputed.

Besides the jobs of a spec (:class:`~amtoolkit.sweeps.spec.Job`), :func:`sweep` runs any
list of *task jobs*: frozen dataclasses with a ``key`` (the file name, a hash of the
config: 20 lowercase hex digits), a ``label`` (a str, the readable part of the Dask key),
``config()`` (JSON, stored with the table), a ``timeout`` field (seconds or None;
``sweep(timeout=...)`` replaces it) and ``execute(deadline)``, which returns the job's
long table (a DataFrame with rows) and a dict of metadata (its ``"status"``: ``"ok"``,
``"diverged"``, or ``"timeout"`` when it stopped at ``deadline``, a
``time.perf_counter()`` value or None; optionally ``"step"`` and ``"steps"``, named in
the message of a cut job; never the keys the engine sets, :data:`ENGINE_KEYS`). A task
job that returns anything else fails alone, with a failure record.
:class:`amtoolkit.reproduce.deep.DeepJob` is one: the deep-learning protocols run on the
same engines, store and failure records as the convex sweeps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .. import optimizers
from .._checks import check_out_path
from ..datasets import load_problem
from ..problems import Quadratic
from ..runner.history import package_versions
from ..runner.run import STATUS_FAILED, STATUS_INTERRUPTED, STATUS_STOPPED, run
from .spec import Job, expand, grid_hyper, parse_lr
from .locations import (RemoteStore, _object_store, _read_bytes, _remote_listing, atomic_write_bytes, check_url_store,
                        delete_file, is_url, location, put_bytes)
from .results import update_index
from .store import (_KEY, DAMAGED_DIR, FAILED_DIR, SPLIT_AT, _job_table, job_files, remove_stale_temporaries, run_summary, scan_store,
                    stored_keys, write_job)

__all__ = ["sweep", "execute_job", "run_job", "SweepReport", "build_problem", "StoreLocked"]

LOCK_FILE = ".amtoolkit.lock"
#: the versions compared between the caller and each worker
CHECKED_VERSIONS = ("python", "numpy", "scipy", "pandas", "amtoolkit", "pyarrow")


class StoreLocked(RuntimeError):
    """Another sweep holds the store's lock file; the message names it and its holder."""


@dataclass
class SweepReport:
    """What a call of :func:`sweep` did.

    ``out`` the store (a URL without its user information); ``total`` jobs in the spec; ``skipped`` because already stored; ``stored`` by this
    call; ``failed`` (key → error text) by this call, of which ``timed_out`` (keys) were
    cut by their time budget; ``given_up`` (key → failure record) not run because they
    failed ``max_failures`` times; ``set_aside`` (paths) damaged job files moved into
    ``out/_damaged`` and recomputed; ``removed_tmp`` stale temporary files removed;
    ``stopped`` why the engine stopped early (a dead worker pool, no Dask worker left, a
    write that failed), and whether Ctrl-C ``interrupted`` it; ``unwritten`` (key →
    ``(frame, meta)``) the computed tables that could not be written (a full disk, a quota),
    kept in memory for the caller instead of lost; ``version_mismatch`` (host → package →
    ``(worker's, caller's)``) the workers whose package versions differ from the caller's
    (:data:`CHECKED_VERSIONS`; on Dask checked before any job is sent, else as results
    arrive), each also reported once by a ``RuntimeWarning``.
    """

    out: Path | str
    total: int
    skipped: int = 0
    stored: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    timed_out: set[str] = field(default_factory=set)
    given_up: dict[str, dict] = field(default_factory=dict)
    set_aside: list[str] = field(default_factory=list)
    removed_tmp: int = 0
    stopped: str | None = None
    interrupted: bool = False
    unwritten: dict[str, tuple] = field(default_factory=dict)
    version_mismatch: dict[str, dict] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return self.total - self.skipped - self.stored

    def __str__(self) -> str:
        text = (f"{self.stored} job(s) stored in {self.out} by this call, {self.skipped} already "
                f"stored, {self.missing} of {self.total} missing")
        if self.failed:
            text += f"; {len(self.failed)} failed (not stored"
            text += f", {len(self.timed_out)} of them cut by the timeout)" if self.timed_out else ")"
        if self.given_up:
            text += (f"; {len(self.given_up)} not run: they failed max_failures times already "
                     f"(--retry-failed runs them again)")
        if self.set_aside:
            text += f"; {len(self.set_aside)} damaged file(s) set aside in {DAMAGED_DIR}/ and recomputed"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        if self.interrupted:
            text += "; interrupted: run the same sweep again to resume"
        return text


# -- one job -----------------------------------------------------------------------------


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


@lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    """This process's package versions, looked up once (not per job)."""
    return package_versions("pyarrow", "joblib", "dask")


@lru_cache(maxsize=256)
def _one_category(value: str) -> pd.CategoricalDtype:
    """The dtype of a one-value string column that recurs from job to job (the problem's
    name...): building a CategoricalDtype costs 0.1 ms."""
    return pd.CategoricalDtype([value])


@lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname()


_BLAS_SET = False  # True in a process whose BLAS is limited to one thread for good


def _limit_blas_once() -> None:
    """One BLAS thread for the rest of this worker process (threadpoolctl inspects the
    loaded libraries, 3-7 ms: once per worker, not per job)."""
    global _BLAS_SET
    if not _BLAS_SET:
        threadpool_limits(limits=1)
        _BLAS_SET = True


@contextlib.contextmanager
def _one_blas_thread():
    """One BLAS thread for a block of the calling process (restored after it)."""
    global _BLAS_SET
    if _BLAS_SET:
        yield
        return
    with threadpool_limits(limits=1):
        _BLAS_SET = True
        try:
            yield
        finally:
            _BLAS_SET = False


def execute_job(job: Job, step_bar: bool = False) -> tuple[str, Any, dict | None, str | None]:
    """Run one job: ``(key, frame, meta, None)``, or ``(key, None, info, error)`` when it
    failed (``info["status"]`` is ``"failed"``, or ``"timeout"`` when ``job.timeout``
    cut it). Raises ``KeyboardInterrupt`` when the run was interrupted.

    The grid is one batched ``amt.run`` (K configurations); the frame gets the columns
    ``job`` (the key), ``pb_<param>`` (the problem's parameters) and ``lr_c`` (c of an
    ``lr = "c/L"``, NaN otherwise); ``meta["summary"]`` holds the last row of each run
    (:func:`~amtoolkit.sweeps.store.run_summary`; written to its own metadata entry).
    ``step_bar`` shows the steps of a job that lasts more than a second (in-process
    engine).
    """
    if not isinstance(job, Job):
        return _execute_task(job)
    t0 = time.perf_counter()
    bar = None
    deadline = None if job.timeout is None else t0 + job.timeout
    timed_out = False
    try:
        with _one_blas_thread():
            problem = build_problem(job.problem, job.seed)
            relative = any(isinstance(g.get("lr"), str) for g in job.grid)
            smoothness = float(problem.smoothness) if relative else 1.0
            opt = optimizers.get(job.optimizer, **grid_hyper(job.grid, smoothness))
            if step_bar:
                from tqdm.auto import tqdm

                bar = tqdm(total=job.steps, delay=1.0, leave=False, unit="step",
                           desc=f"{job.optimizer} on {job.problem['name']}")

            def callback(t, state) -> bool | None:
                # returns True (stop) only at the deadline; tqdm.update's return value is ignored
                nonlocal timed_out
                if bar is not None:
                    bar.update()
                if deadline is not None and time.perf_counter() > deadline:
                    timed_out = True
                    return True
                return None

            use = callback if (bar is not None or deadline is not None) else None
            history = run(opt, problem, job.steps, batch_size=job.batch_size, seed=job.seed,
                          gtol=job.gtol, callback=use)
    except Exception as err:  # a failed job is reported, never stored (benchopt's FailedRun)
        if isinstance(err.__cause__ or err.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from err
        return job.key, None, {"status": "failed"}, traceback.format_exc(limit=-3)
    finally:
        if bar is not None:
            bar.close()
    if timed_out:  # cut by the time budget: a failure record, never a stored job
        step = int(history.frame.step.max())
        return job.key, None, {"status": "timeout"}, (
            f"timeout: the job ran past its {job.timeout:g} s budget and was cut at step {step} of "
            f"{job.steps}; not stored")
    cut = sorted(set(history.status) & {STATUS_STOPPED, STATUS_INTERRUPTED, STATUS_FAILED})
    if cut:  # a run cut before its horizon is never stored as a finished job
        return job.key, None, {"status": "failed"}, (
            f"the job's runs ended {', '.join(cut)} at step {int(history.frame.step.max())} of "
            f"{job.steps}; not stored")
    frame = history.frame
    n, columns = len(frame), list(frame.columns)
    at = next((i for i, c in enumerate(columns) if c.startswith("hp_")), len(columns))
    zeros = np.zeros(n, np.int8)

    def constant(value):  # a string column as a one-category Categorical: no per-row inference
        return pd.Categorical.from_codes(zeros, dtype=_one_category(value), validate=False) \
            if isinstance(value, str) else np.full(n, value)

    items = list(frame.items())
    data = dict(items[:at])
    for name, value in job.problem.items():  # problem parameters next to the hp_ columns
        data[f"pb_{name}"] = constant(value)
    data.update(items[at:])
    lr_c = np.asarray([parse_lr(g.get("lr"), "lr") or np.nan for g in job.grid], dtype=float)
    data["lr_c"] = lr_c[frame["run"].to_numpy()]
    data["job"] = pd.Categorical.from_codes(zeros, [job.key])  # one key per job: no cached dtype
    summary = run_summary(data)  # from the columns: no Series built per column
    frame = pd.DataFrame(data, copy=False)  # one construction, not one insert per column
    meta = {"key": job.key, "config": job.config(), "state": "done", "status": history.status,
            "wall_time": time.perf_counter() - t0, "host": _host(), "versions": _versions(),
            "run": history.meta, "summary": summary}
    return job.key, frame, meta, None


#: the metadata keys the engine sets; a task job's ``info`` may not set them
ENGINE_KEYS = ("key", "state", "config", "summary", "status", "host", "versions", "wall_time")
#: the statuses a task job may report
TASK_STATUSES = ("ok", "diverged", "timeout")


def _task_failure(job, text: str) -> tuple[str, None, dict, str]:
    return job.key, None, {"status": "failed"}, f"the task job {job.label!r} {text}; not stored"


def _execute_task(job) -> tuple[str, Any, dict | None, str | None]:
    """:func:`execute_job` for a task job (module docstring): ``job.execute(deadline)``
    under one BLAS thread; its table gets the ``job`` column and its metadata the
    engine's (key, config, host, versions, wall time, per-run summary).

    What ``execute`` returns is checked: a ``(DataFrame, dict)`` pair with at least one
    row, a ``status`` among :data:`TASK_STATUSES` (default ``"ok"``), no key of
    :data:`ENGINE_KEYS` besides ``status`` in the dict, and a table and metadata that
    convert to a Parquet job file; anything else is a failed job (a failure record),
    never a crash of the sweep. ``info`` may carry ``step`` and ``steps`` (the step it
    reached and the planned steps): the message of a timed-out job then says where it
    was cut.
    """
    t0 = time.perf_counter()
    deadline = None if job.timeout is None else t0 + job.timeout
    try:
        with _one_blas_thread():
            got = job.execute(deadline)
    except Exception as err:  # reported, never stored
        if isinstance(err, KeyboardInterrupt) or isinstance(err.__cause__ or err.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from err
        return job.key, None, {"status": "failed"}, traceback.format_exc(limit=-3)
    if not isinstance(got, tuple) or len(got) != 2:
        return _task_failure(job, f"returned {type(got).__name__}, not a (DataFrame, dict) pair")
    frame, info = got
    if not isinstance(info, Mapping) and info is not None:
        return _task_failure(job, f"returned info of type {type(info).__name__}, not a dict")
    info = dict(info or {})
    status = info.pop("status", "ok")
    if status not in TASK_STATUSES:
        return _task_failure(job, f"reported status {status!r}; a task job's status is one of "
                                  f"{', '.join(map(repr, TASK_STATUSES))}")
    if status == "timeout":
        where = ""
        if info.get("step") is not None:
            where = f" at step {info['step']}" + (f" of {info['steps']}" if info.get("steps") is not None else "")
        budget = (f"ran past its {job.timeout:g} s budget and was cut{where}" if job.timeout is not None
                  else f"reported status 'timeout'{where} (no timeout was set)")
        return job.key, None, {"status": "timeout"}, f"timeout: the job {budget}; not stored"
    if not isinstance(frame, pd.DataFrame):
        return _task_failure(job, f"returned a table of type {type(frame).__name__}, not a pandas DataFrame")
    if frame.empty:
        return _task_failure(job, "returned an empty table")
    clash = sorted(set(info) & set(ENGINE_KEYS))
    if clash:
        return _task_failure(job, f"returned info that sets {', '.join(map(repr, clash))}, which the engine "
                                  f"sets (a task job's info may not set {', '.join(ENGINE_KEYS[:-1])} or "
                                  f"{ENGINE_KEYS[-1]} other than status)")
    try:
        frame = frame.assign(job=pd.Categorical.from_codes(np.zeros(len(frame), np.int8), [job.key]))
        meta = {"key": job.key, "config": job.config(), "state": "done", "status": status,
                "wall_time": time.perf_counter() - t0, "host": _host(), "versions": _versions(), **info,
                "summary": run_summary(frame)}
        _job_table(frame, {k: v for k, v in meta.items() if k != "summary"}, meta["summary"])  # converts, or fails here
    except Exception as err:  # noqa: BLE001 - a column of mixed types, a config that is not JSON...
        return _task_failure(job, f"returned a table or metadata that cannot be stored ({type(err).__name__}: {err})")
    return job.key, frame, meta, None


def _reachable(store: Mapping) -> bool:
    """Whether this process sees the caller's store: its lock file holds the caller's token.
    A URL store is resolved here, by the worker itself (a ``memory://`` store of another
    process is empty here: the caller writes)."""
    try:
        loc = location(store["path"])
        if isinstance(loc, RemoteStore):
            raw = _read_bytes(loc, loc.path(LOCK_FILE))
        else:
            with open(loc / LOCK_FILE, "rb") as fh:
                raw = fh.read()
        return json.loads(raw).get("token") == store["token"]
    except Exception:  # noqa: BLE001 - OSError, a bad JSON, a URL this worker cannot open: not reachable
        return False


def run_job(job: Job, store: Mapping | None = None, step_bar: bool = False) -> dict:
    """What a worker runs: :func:`execute_job` with one BLAS thread set once per process;
    when it sees the store (``store``: path, lock token, split), it writes the job's file
    itself and returns only a status.

    Returns a dict: ``key``, ``state`` (``"stored"``, ``"returned"`` with ``frame`` and
    ``meta`` for the caller to write, ``"failed"`` or ``"timeout"`` with ``error``),
    ``host``, ``pid``, ``versions`` and ``seconds``.
    """
    if store is not None and store.get("worker"):
        _limit_blas_once()
    t0 = time.perf_counter()
    key, frame, meta, error = execute_job(job, step_bar=step_bar)
    out = {"key": key, "host": _host(), "pid": os.getpid(), "versions": _versions()}
    if error is not None:
        out.update(state=meta["status"], error=error)
    elif store is not None and _reachable(store):
        try:
            written = dict(meta)
            write_job(store["path"], key, frame, written, split=store.get("split", False),
                      summary=written.pop("summary", None))
            out["state"] = "stored"
        except OSError:  # the worker cannot write: the caller writes (or keeps) the table
            out.update(state="returned", frame=frame, meta=meta)
        except Exception as err:  # noqa: BLE001 - a table or metadata that does not convert: a failed job
            out.update(state="failed", error=f"the job's table could not be written ({type(err).__name__}: {err}); "
                                             f"not stored")
    else:
        out.update(state="returned", frame=frame, meta=meta)
    out["seconds"] = time.perf_counter() - t0
    return out


# -- the store: lock, failure records ----------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's live process
        return True
    return True


#: seconds between writing a URL store's lock object and reading it back
LOCK_SETTLE = 0.2


@contextlib.contextmanager
def _store_lock(out: Path | RemoteStore) -> Iterator[str]:
    """Hold ``out/.amtoolkit.lock`` for the sweep; yields its token. A lock left by a
    process of this host that no longer exists is taken over (with a warning); a live
    one raises :class:`StoreLocked`. A local folder (or ``file://`` URL) is locked with
    ``O_EXCL``; other URL stores with :func:`_object_lock`."""
    if isinstance(out, RemoteStore):
        if out.local is None:
            with _object_lock(out) as token:
                yield token
            return
        out = out.local
    path = out / LOCK_FILE
    token = uuid.uuid4().hex
    info = {"host": _host(), "pid": os.getpid(), "token": token,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            try:
                other = json.loads(path.read_text())
                holder = f"host {other['host']}, pid {other['pid']}, since {other['started']}"
            except (OSError, ValueError, KeyError, TypeError):
                other, holder = None, "an unreadable lock"
                if time.time() - path.stat().st_mtime < 10:  # being written right now
                    time.sleep(0.2)
                    continue
            if other is None or (other.get("host") == _host() and not _pid_alive(int(other.get("pid", -1)))):
                warnings.warn(f"out: {path} was left by a sweep that is gone ({holder}); taking it over",
                              RuntimeWarning, stacklevel=4)
                path.unlink(missing_ok=True)
                continue
            raise StoreLocked(f"out: {out} is being written by another sweep ({holder}; lock file {path}). "
                              f"Wait for it to end, or delete the lock file if that sweep is gone") from None
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh)
        break
    else:  # pragma: no cover - a lock that keeps reappearing
        raise StoreLocked(f"out: could not take the lock file {path}")
    try:
        yield token
    finally:
        try:
            if json.loads(path.read_text()).get("token") == token:
                path.unlink()
        except (OSError, ValueError):  # pragma: no cover
            pass


def _holder(other: Mapping) -> str:
    return f"host {other.get('host')}, pid {other.get('pid')}, since {other.get('started')}"


@contextlib.contextmanager
def _object_lock(loc: RemoteStore) -> Iterator[str]:
    """The lock of a store in an object store, which has no ``O_EXCL``: if no lock object
    exists, write one with a fresh token, wait :data:`LOCK_SETTLE` seconds and read it
    back; the sweep goes on only if its own token is there.

    The race left: two sweeps that both find no lock, and whose write/read-back windows
    do not overlap, both go on (each reads back its own token; the later write replaced
    the earlier). On a store with read-after-write consistency (S3 since 2020, GCS) the
    window is the time between one sweep's check and its write, a few milliseconds;
    jobs are then computed twice and the last write of each file wins (the files are
    identical bar the ``time`` column). A lock of a dead process of this host is taken
    over; one of another host is never (its pid cannot be checked from here).
    """
    import pyarrow.fs as pafs

    path = loc.path(LOCK_FILE)
    token = uuid.uuid4().hex
    info = {"host": _host(), "pid": os.getpid(), "token": token,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for _ in range(3):
        if loc.fs.get_file_info(path).type != pafs.FileType.NotFound:
            try:
                other = json.loads(_read_bytes(loc, path))
                holder = _holder(other)
            except (OSError, ValueError, KeyError, TypeError):
                other, holder = None, "an unreadable lock"
            if other is None or (other.get("host") == _host() and not _pid_alive(int(other.get("pid", -1)))):
                warnings.warn(f"out: {path} was left by a sweep that is gone ({holder}); taking it over",
                              RuntimeWarning, stacklevel=4)
                delete_file(loc, LOCK_FILE)
                continue
            raise StoreLocked(f"out: {loc} is being written by another sweep ({holder}; lock object {path}). "
                              f"Wait for it to end, or delete the lock object if that sweep is gone")
        put_bytes(loc, path, json.dumps(info).encode())
        time.sleep(LOCK_SETTLE)
        try:
            back = json.loads(_read_bytes(loc, path))
        except (OSError, ValueError):
            back = {}
        if back.get("token") != token:
            raise StoreLocked(f"out: {loc} was locked by another sweep at the same moment ("
                              f"{_holder(back) if 'host' in back else 'unknown holder'}); run this one later")
        break
    else:  # pragma: no cover - a lock that keeps reappearing
        raise StoreLocked(f"out: could not take the lock object {path}")
    try:
        yield token
    finally:
        try:
            if json.loads(_read_bytes(loc, path)).get("token") == token:
                delete_file(loc, LOCK_FILE)
        except (OSError, ValueError):  # pragma: no cover
            pass


def _failure_records(out: Path | RemoteStore) -> dict[str, dict]:
    if isinstance(out, RemoteStore):
        import pyarrow.fs as pafs

        records = {}
        for info in _remote_listing(out, FAILED_DIR):
            if info.type == pafs.FileType.File and info.base_name.endswith(".json"):
                try:
                    record = json.loads(_read_bytes(out, info.path))
                    records[info.base_name[:-5]] = record if isinstance(record, dict) else {}
                except (OSError, ValueError):
                    records[info.base_name[:-5]] = {}
        return records
    folder = out / FAILED_DIR
    records = {}
    if folder.is_dir():
        for path in folder.glob("*.json"):
            try:
                record = json.loads(path.read_text())
                records[path.stem] = record if isinstance(record, dict) else {}
            except (OSError, ValueError):
                records[path.stem] = {}  # unreadable: counts as one attempt of unknown cause
    return records


def _write_failure(out: Path | RemoteStore, key: str, outcome: Mapping, previous: Mapping | None) -> dict:
    record = {"key": key, "status": outcome["state"], "error": outcome["error"],
              "host": outcome.get("host"), "worker": outcome.get("worker"), "pid": outcome.get("pid"),
              "attempts": int((previous or {}).get("attempts", 0)) + 1,
              "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "seconds": outcome.get("seconds")}
    data = json.dumps(record, indent=1).encode()
    if isinstance(out, RemoteStore):
        if not _object_store(out.fs):
            out.fs.create_dir(out.path(FAILED_DIR), recursive=True)
        put_bytes(out, out.path(FAILED_DIR, f"{key}.json"), data)
        return record
    (out / FAILED_DIR).mkdir(exist_ok=True)
    atomic_write_bytes(out / FAILED_DIR / f"{key}.json", data)
    return record


# -- engines -----------------------------------------------------------------------------


def _dask_key(job) -> str:
    label = re.sub(r"[^\w.-]", "_", job.label)
    return f"{label}-{job.key}"


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


def _fetch_on_worker(names: list[str]) -> str | None:
    """Run on each Dask worker: fetch the registered datasets; the error text, or None."""
    try:
        from ..datasets.libsvm import fetch

        fetch(names)
    except Exception as err:  # noqa: BLE001 - reported with the worker's host
        return f"{type(err).__name__}: {err}"
    return None


def _host_versions() -> tuple[str, dict[str, str]]:
    """Run on each Dask worker before any job: its host and package versions."""
    return _host(), _versions()


def _check_versions(report: SweepReport, host: str | None, theirs: Mapping | None, caller: Mapping,
                    stacklevel: int) -> None:
    """Record and warn (once per host) when ``theirs`` differs from ``caller`` in a package
    of :data:`CHECKED_VERSIONS`."""
    theirs = theirs or {}
    diff = {k: (theirs.get(k), caller.get(k)) for k in CHECKED_VERSIONS
            if k in theirs and theirs.get(k) != caller.get(k)}
    if diff and host not in report.version_mismatch:
        report.version_mismatch[host] = diff
        warnings.warn(f"sweep: the worker on host {host} runs "
                      + ", ".join(f"{k} {a} (the caller: {b})" for k, (a, b) in diff.items())
                      + "; its results may differ from the caller's", RuntimeWarning, stacklevel=stacklevel + 1)


def _dask_outcomes(jobs: list[Job], store: dict, scheduler: str, n_jobs: int | None, worker_wait: float,
                   fetch_names: list[str] | None, report: SweepReport) -> Iterator[dict]:
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    with _dask_client(scheduler, n_jobs) as client:
        if fetch_names:
            answers = client.run(_fetch_on_worker, fetch_names)
            lacking = {w: e for w, e in answers.items() if e is not None}
            if lacking:
                raise OSError("fetch on the Dask workers failed: " + "; ".join(
                    f"worker {w}: {e}" for w, e in lacking.items()))
        caller = _versions()
        for host, theirs in client.run(_host_versions).values():  # before any job is sent
            _check_versions(report, host, theirs, caller, stacklevel=6)
        futures = {client.submit(run_job, job, store, key=_dask_key(job), pure=False): job for job in jobs}
        done = as_completed(futures)
        idle_since = None
        last_check = 0.0
        try:
            while not done.is_empty():
                batch = done.next_batch(block=False)
                if not batch:
                    now = time.monotonic()
                    if now - last_check > 0.5:
                        last_check = now
                        if client.nthreads():
                            idle_since = None
                        elif idle_since is None:
                            idle_since = now
                        elif now - idle_since > worker_wait:
                            report.stopped = (f"no Dask worker left for {worker_wait:g} s at {scheduler}; "
                                              f"{done.count()} job(s) not run")
                            warnings.warn(f"sweep: {report.stopped}", RuntimeWarning, stacklevel=4)
                            return
                    time.sleep(0.02)
                    continue
                for future in batch:
                    job = futures.pop(future)
                    try:
                        yield future.result()
                    except KilledWorker as err:
                        address = getattr(err.last_worker, "address", "?")
                        deaths = err.allowed_failures + 1
                        yield {"key": job.key, "state": "failed", "worker": address, "host": address,
                               "error": f"the job killed its worker {address} ({deaths} worker death(s) "
                                        f"while it ran; Dask task {future.key})"}
                    except Exception as err:  # noqa: BLE001 - e.g. a task that could not be unpickled
                        yield {"key": job.key, "state": "failed", "host": None,
                               "error": f"{type(err).__name__}: {err} (Dask task {future.key})"}
        finally:
            for future in futures:
                future.cancel()


def _loky_outcomes(jobs: list[Job], store: dict, n_jobs: int, report: SweepReport) -> Iterator[dict]:
    from joblib import Parallel, delayed, parallel_config
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    with parallel_config(backend="loky", inner_max_num_threads=1), warnings.catch_warnings():
        # joblib's note on tasks cancelled by Ctrl-C
        warnings.filterwarnings("ignore", message=".*tasks which were still being processed", category=UserWarning)
        try:
            yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(run_job)(job, store) for job in jobs)
        except TerminatedWorkerError as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            report.stopped = (f"a worker process died abruptly (a job crashed it, or it ran out of memory): "
                              f"{first}; the jobs that were running are not stored")


def _outcomes(jobs: list[Job], store: dict, n_jobs: int | None, scheduler: str | None, step_bar: bool,
              worker_wait: float, fetch_names: list[str] | None, report: SweepReport) -> Iterator[dict]:
    """``run_job`` over ``jobs``, outcomes in completion order."""
    if scheduler is None and (n_jobs or 1) == 1:
        with _one_blas_thread():
            for job in jobs:
                yield run_job(job, {**store, "worker": False}, step_bar=step_bar)
        return
    if scheduler is None:
        yield from _loky_outcomes(jobs, store, n_jobs, report)
    else:
        yield from _dask_outcomes(jobs, store, scheduler, n_jobs, worker_wait, fetch_names, report)


def _registered_names(jobs: list[Job]) -> list[str]:
    from ..datasets import registry

    names = {str(j.problem["name"]) for j in jobs if isinstance(j, Job)}
    return sorted(n for n in names if n in registry())


# -- the sweep ---------------------------------------------------------------------------

_TASK_API = ("key", "label", "timeout", "config", "execute")  # a frozen dataclass


def _job_list(spec) -> list:
    """The jobs of a spec, or a checked list of jobs (each a spec Job or a task job)."""
    if not isinstance(spec, (list, tuple)):
        return expand(spec)
    seen: dict[str, int] = {}
    for i, job in enumerate(spec):
        if not isinstance(job, Job):
            lacking = [a for a in _TASK_API if not hasattr(job, a)]
            if not dataclasses.is_dataclass(job) or lacking:
                raise TypeError(f"spec[{i}]: a task job is a dataclass with {', '.join(_TASK_API)} (module "
                                f"docstring of amtoolkit.sweeps.engine); got {type(job).__name__}"
                                + (f", which lacks {', '.join(lacking)}" if lacking else ", not a dataclass"))
            if not isinstance(job.key, str) or not _KEY.match(job.key):
                raise ValueError(f"spec[{i}]: a task job's key is its file name, 20 lowercase hex digits (e.g. "
                                 f"the first 20 of a SHA-256 of its config); got {job.key!r}")
            if not isinstance(job.label, str):
                raise TypeError(f"spec[{i}]: a task job's label is a str, got {type(job.label).__name__} "
                                f"{job.label!r}")
        if job.key in seen:
            raise ValueError(f"spec: jobs {seen[job.key]} and {i} have the same key {job.key} (the same job twice)")
        seen[job.key] = i
    return list(spec)



def sweep(spec: Mapping | str | os.PathLike, out: str | os.PathLike, *, jobs: int | None = None,
          scheduler: str | None = None, resume: bool = True, progress: bool = True,
          timeout: float | None = None, max_failures: int | None = None, retry_failed: bool = False,
          worker_wait: float = 60.0, fetch_on_workers: bool = False) -> SweepReport:
    """Run every job of ``spec`` and store each in ``out/<key>.parquet``.

    Parameters
    ----------
    spec : dict, str, os.PathLike or list
        The spec, or the path of a TOML file (see :mod:`amtoolkit.sweeps.spec`). It is
        checked whole (keys, values, problem parameters, duplicates) before any job runs.
        Or a list of jobs: spec jobs, or task jobs (module docstring) such as
        :class:`amtoolkit.reproduce.deep.DeepJob`.
    out : str or os.PathLike
        The store: a folder (created), or a URL that pyarrow or fsspec knows
        (``s3://bucket/prefix``, ``gs://...``, ``file:///...``, ``memory://...``; see
        :func:`amtoolkit.sweeps.locations.open_url`), checked to be reachable before any job
        runs. Workers that can open the URL write their own files. One sweep at a time
        writes into it (a lock file; on an object store a lock object, with the race
        stated in :func:`_object_lock`).
    jobs : int, optional
        Worker processes (joblib/loky); with ``scheduler="local"`` the number of Dask
        workers (default: 1 locally, all cores for ``"local"``); ignored with a
        ``tcp://`` address (the cluster has its workers).
    scheduler : str, optional
        ``None`` (local engines), ``"local"`` (start a Dask ``LocalCluster``) or the
        address ``"tcp://HOST:PORT"`` of a running Dask scheduler.
    resume : bool, default True
        Skip the jobs already stored (each verified; a damaged file is set aside in
        ``out/_damaged`` and its job recomputed); ``False`` runs and overwrites them.
    progress : bool, default True
        A tqdm bar counting jobs.
    timeout : float, optional
        Seconds per job (overrides ``[sweep] timeout``); a job cut by it is recorded as
        a failure with status ``"timeout"``, never stored.
    max_failures : int, optional
        Do not run again a job that has failed this many times (its failure record in
        ``out/_failed`` counts the attempts). Default: failed jobs are retried.
    retry_failed : bool, default False
        Run the jobs that reached ``max_failures`` again.
    worker_wait : float, default 60
        Dask: seconds without any worker after which the sweep stops.
    fetch_on_workers : bool, default False
        Dask: fetch the registered LIBSVM datasets of the spec on every worker first;
        a worker that cannot is named in the error.

    Returns
    -------
    SweepReport

    Raises
    ------
    SpecError, ValueError, TypeError
        A bad spec or argument (named), before anything is created.
    StoreLocked
        Another sweep is writing into ``out``.

    Notes
    -----
    Ctrl-C stops the sweep: the jobs finished so far are stored, the report says how
    many, and calling ``sweep`` again resumes. Load the results with
    :func:`amtoolkit.load_results`.
    """
    all_jobs = _job_list(spec)
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or
                                  not (scheduler == "local" or "://" in scheduler)):
        raise ValueError(f"scheduler must be 'local' or a Dask scheduler address 'tcp://HOST:PORT', "
                         f"got {scheduler!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0 or timeout == float("inf")):
        raise ValueError(f"timeout must be a positive number of seconds per job, got {timeout!r}")
    if max_failures is not None and (isinstance(max_failures, bool) or not isinstance(max_failures, int)
                                     or max_failures < 1):
        raise ValueError(f"max_failures must be an integer >= 1 or None, got {max_failures!r}")
    if isinstance(worker_wait, bool) or not isinstance(worker_wait, (int, float)) or not worker_wait >= 0:
        raise ValueError(f"worker_wait must be a number of seconds >= 0, got {worker_wait!r}")
    if fetch_on_workers and scheduler is None:
        raise ValueError("fetch_on_workers needs a Dask scheduler (local engines share this machine's cache)")
    if timeout is not None:  # spec jobs and task jobs are frozen dataclasses with a timeout field
        all_jobs = [dataclasses.replace(j, timeout=float(timeout)) for j in all_jobs]
    if is_url(out):
        out = check_url_store("out", str(out))
    else:
        out = check_out_path("out", out, folder=True)
        out.mkdir(parents=True, exist_ok=True)
    with _store_lock(out) as token:
        return _sweep_locked(all_jobs, out, token, jobs, scheduler, resume, progress, max_failures,
                             retry_failed, worker_wait, fetch_on_workers)


def _sweep_locked(all_jobs, out, token, jobs, scheduler, resume, progress, max_failures, retry_failed,
                  worker_wait, fetch_on_workers) -> SweepReport:
    report = SweepReport(out=out if isinstance(out, Path) else str(out), total=len(all_jobs))  # (URL redacted)
    report.removed_tmp = len(remove_stale_temporaries(out))
    if resume:
        good, bad = scan_store(out, set_aside=True)
        report.set_aside = [p for p in bad if _KEY.match(Path(p).stem)]
        if bad:
            warnings.warn(f"sweep: {len(bad)} file(s) in {out} did not verify: " + "; ".join(list(bad.values())[:5])
                          + (" (damaged job files are set aside in " + DAMAGED_DIR + "/ and recomputed)"),
                          RuntimeWarning, stacklevel=3)
        done = set(good)
    else:
        done = set()
    records = _failure_records(out)
    pending = [j for j in all_jobs if j.key not in done]
    if max_failures is not None and not retry_failed:
        report.given_up = {j.key: records[j.key] for j in pending
                           if int(records.get(j.key, {}).get("attempts", 0) or 0) >= max_failures}
        pending = [j for j in pending if j.key not in report.given_up]
    report.skipped = len(all_jobs) - len(pending) - len(report.given_up)
    if not pending:
        return report
    n_files = len(job_files(out))
    store = {"path": str(out), "token": token, "split": n_files + len(pending) > SPLIT_AT, "worker": True}
    caller = _versions()
    fetch_names = _registered_names(pending) if fetch_on_workers else None
    from tqdm.auto import tqdm

    with tqdm(total=len(pending), unit="job", desc="sweep", disable=not progress) as bar:
        try:
            for outcome in _outcomes(pending, store, jobs, scheduler, progress, worker_wait, fetch_names, report):
                key = outcome["key"]
                _check_versions(report, outcome.get("host"), outcome.get("versions"), caller, stacklevel=3)
                if outcome["state"] == "returned":
                    meta = dict(outcome["meta"])
                    try:
                        write_job(out, key, outcome["frame"], meta, split=store["split"],
                                  summary=meta.pop("summary", None))
                    except OSError as err:  # full disk, quota: keep the table, stop computing more
                        report.unwritten[key] = (outcome["frame"], outcome["meta"])
                        report.failed[key] = f"computed but not stored: {err}"
                        report.stopped = (f"a write to {out} failed ({err}); the {len(report.unwritten)} "
                                          "computed table(s) are in SweepReport.unwritten")
                        bar.update()
                        break
                    except Exception as err:  # noqa: BLE001 - a table that does not convert: a failed job
                        outcome = {**outcome, "state": "failed",
                                   "error": f"the job's table could not be written ({type(err).__name__}: "
                                            f"{err}); not stored"}
                if outcome["state"] in ("stored", "returned"):
                    report.stored += 1
                    if key in records:
                        delete_file(out, f"{FAILED_DIR}/{key}.json")
                else:
                    where = outcome.get("worker") or outcome.get("host")
                    error = outcome["error"] if not where or where in outcome["error"] else \
                        f"on {where}: {outcome['error']}"
                    report.failed[key] = error
                    if outcome["state"] == "timeout":
                        report.timed_out.add(key)
                    records[key] = _write_failure(out, key, {**outcome, "error": error}, records.get(key))
                bar.update()
        except KeyboardInterrupt:
            report.interrupted = True
            if resume:  # exact even when Ctrl-C came between a write and its count
                report.stored = len(stored_keys(out) & {job.key for job in pending})
        finally:
            remove_stale_temporaries(out)  # those of workers killed mid-write
            if report.stored and not report.interrupted:  # (Ctrl-C: leave at once; readers rebuild it)
                update_index(out)  # the summaries of amtoolkit results, one file
    if report.failed:
        hint = (f"running the sweep again retries them (up to max_failures={max_failures} attempts)"
                if max_failures else "running the sweep again retries them")
        warnings.warn(f"{len(report.failed)} job(s) failed and were not stored (see SweepReport.failed "
                      f"and {out}/{FAILED_DIR}); {hint}", RuntimeWarning, stacklevel=2)
    return report
