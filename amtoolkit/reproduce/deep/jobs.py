"""One deep-learning job: the data, the training loop, the job as a sweep task (:class:`DeepJob`), and
:func:`run_jobs`, which runs a list of them through :func:`amtoolkit.sweep`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from ...sweeps.engine import sweep
from ...sweeps.store import DamagedJobFile, job_files, run_summary, verify_job_file, write_job
from ...torch import RLLC, AdaptiveMemoryAdamW, AdaptiveMemorySGD
from ...torch.models import make_model

FORMAT = 1  # bump when a job's table changes meaning (it is part of the key)

# ----------------------------------------------------------------------------- data


_CACHE: dict = {}


def _images(dataset: str, n_train: int | None, n_test: int | None):
    key = ("img", dataset, n_train, n_test)
    if key not in _CACHE:
        from ...datasets import load_images

        Xtr, ytr = load_images(dataset, "train")
        Xte, yte = load_images(dataset, "test")
        # fixed (seed-0) subsets, the same for every job
        rng = np.random.default_rng(0)
        if n_train and n_train < len(ytr):
            idx = np.sort(rng.permutation(len(ytr))[:n_train])
            Xtr, ytr = Xtr[idx], ytr[idx]
        if n_test and n_test < len(yte):
            idx = np.sort(rng.permutation(len(yte))[:n_test])
            Xte, yte = Xte[idx], yte[idx]
        _CACHE[key] = tuple(torch.from_numpy(a) for a in (Xtr, ytr, Xte, yte))
    return _CACHE[key]


def _text(context: int, windows: int = 128):
    key = ("text", context, windows)
    if key not in _CACHE:
        from ...datasets import encode_chars, load_text

        text = load_text("shakespeare")
        ids, vocab = encode_chars(text)
        cut = int(len(ids) * 0.9)
        tr, te = torch.from_numpy(ids[:cut]), torch.from_numpy(ids[cut:])
        g = torch.Generator().manual_seed(0)
        starts = torch.randint(0, len(te) - context - 1, (windows,), generator=g)  # fixed validation windows
        val = torch.stack([te[s:s + context + 1] for s in starts.tolist()])
        _CACHE[key] = (tr, val, len(vocab))
    return _CACHE[key]


# ----------------------------------------------------------------------------- one job


def _hash(config: dict) -> str:
    """20 hex digits of the sha256 of the canonical JSON of ``config`` with :data:`FORMAT`."""
    return hashlib.sha256(json.dumps({**config, "format": FORMAT}, sort_keys=True).encode()).hexdigest()[:20]


def job_key(job: dict) -> str:
    """The store key of a job dict: 20 hex digits of the sha256 of the canonical JSON (with
    :data:`FORMAT`) of ``DeepJob.from_dict(job).config()``, the job with its defaults filled in
    (so a dict that omits a default and one that spells it out share a key, the key
    :func:`run_jobs` stores it under). The stores written before the jobs ran on the sweep
    engine were named by the first 16 of them; :func:`run_jobs` adopts those files.

    Raises
    ------
    ValueError
        For a job :meth:`DeepJob.from_dict` refuses.
    """
    return _hash(DeepJob.from_dict(job).config())


_IMAGE_ONLY, _LM_ONLY = ("n_train", "n_test"), ("context", "val_windows")
TASKS = ("image", "lm")
METHODS = ("sgd", "msgd", "momentum", "adam", "am-sgd", "adamw", "am-adamw", "rllc")
SCHEDULES = ("constant", "cosine")
_REQUIRED = ("protocol", "task", "dataset", "model", "method", "hp", "seed", "steps", "batch", "eval_every")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)  # a Python int: the key is its JSON


def _check_job(job) -> None:
    """Refuse, naming the field, a job dict :func:`run_job` could not run or would run to a
    meaningless table (every check is on a value, none changes it)."""
    from ...datasets.images import IMAGE_DATASETS
    from ...torch.models import MODELS

    if not isinstance(job, dict):
        raise TypeError(f"job must be a dict, got {type(job).__name__}")
    missing = [k for k in _REQUIRED if k not in job]
    if missing:
        raise ValueError(f"job: missing keys {missing}; required: {list(_REQUIRED)}")

    def allowed(name, options):
        if job[name] not in options:
            raise ValueError(f"job[{name!r}] must be one of {options}, got {job[name]!r}")

    allowed("task", TASKS)
    allowed("method", METHODS)
    if not isinstance(job["protocol"], str):
        raise ValueError(f"job['protocol'] must be a str, got {job['protocol']!r}")
    if job["task"] == "image":
        allowed("dataset", IMAGE_DATASETS)
        allowed("model", tuple(m for m in MODELS if m != "char-transformer"))
    else:
        allowed("dataset", ("shakespeare",))
        allowed("model", ("char-transformer",))
    if "schedule" in job:
        allowed("schedule", SCHEDULES)
    for name in ("steps", "batch", "eval_every"):
        if not _is_int(job[name]) or job[name] < 1:
            raise ValueError(f"job[{name!r}] must be an int >= 1, got {job[name]!r}")
    for name, lowest, nullable in (("seed", 0, False), ("warmup", 0, False), ("n_train", 1, True),
                                   ("n_test", 1, True), ("context", 1, False), ("val_windows", 1, False)):
        if name not in job or (nullable and job[name] is None):
            continue
        if not _is_int(job[name]) or job[name] < lowest:
            raise ValueError(f"job[{name!r}] must be an int >= {lowest}" + (" or None" if nullable else "")
                             + f", got {job[name]!r}")
    hp = job["hp"]
    if not isinstance(hp, dict) or not all(isinstance(k, str) for k in hp):
        raise ValueError(f"job['hp'] must be a dict of hyperparameters by name, got {hp!r}")
    lr = hp.get("lr")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)) or not 0 < lr < math.inf:
        raise ValueError(f"job['hp']['lr'] must be a positive finite number, got {lr!r}")


@dataclass(frozen=True)
class DeepJob:
    """One training job, a task job of :func:`amtoolkit.sweep` (module docstring of
    :mod:`amtoolkit.sweeps.engine`).

    The fields are those of the job dicts that :func:`run_job` takes (``hp`` as a tuple of
    ``(name, value)`` pairs, so that the job is hashable); ``device`` and ``timeout``
    (seconds, or None) do not enter the key or equality. Build one with
    :meth:`from_dict`.
    """

    protocol: str
    task: str
    dataset: str
    model: str
    method: str
    hp: tuple
    seed: int
    steps: int
    batch: int
    eval_every: int
    schedule: str = "constant"
    warmup: int = 0
    n_train: int | None = None
    n_test: int | None = None
    context: int | None = None
    val_windows: int | None = None
    device: str = dataclasses.field(default="cpu", compare=False)
    timeout: float | None = dataclasses.field(default=None, compare=False)

    @classmethod
    def from_dict(cls, job: dict, device: str = "cpu", timeout: float | None = None) -> "DeepJob":
        """The job of a dict as :func:`run_job` takes it.

        Raises
        ------
        ValueError
            For an unknown or missing key, or a value :func:`run_job` cannot run: ``task``
            not in :data:`TASKS`, ``method`` not in :data:`METHODS`, a ``dataset`` or
            ``model`` the task has not, ``schedule`` not in :data:`SCHEDULES`, ``steps``,
            ``batch`` or ``eval_every`` not an int >= 1, ``seed``/``warmup`` not an int
            >= 0, ``hp`` without a positive finite ``lr``.
        TypeError
            When ``job`` is not a dict.
        """
        if not isinstance(job, dict):
            raise TypeError(f"job must be a dict, got {type(job).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"device", "timeout"}
        extra = set(job) - known
        if extra:
            raise ValueError(f"job: unknown keys {sorted(extra)}; allowed: {sorted(known)}")
        _check_job(job)
        return cls(**{**job, "hp": tuple(job["hp"].items())}, device=device, timeout=timeout)

    def config(self) -> dict:
        """The job dict (JSON; the same dict :func:`job_key` hashes)."""
        skip = _LM_ONLY if self.task == "image" else _IMAGE_ONLY
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("device", "timeout") and f.name not in skip}
        out["hp"] = dict(self.hp)
        return out

    @property
    def key(self) -> str:
        """:func:`job_key` of :meth:`config`."""
        return _hash(self.config())

    @property
    def label(self) -> str:
        """Readable: ``"am-4.2 msgd fashion-mnist lr=0.1 seed 3"``."""
        hp = dict(self.hp)
        extra = " ".join(f"{k}={v}" for k, v in hp.items() if k != "lr")
        return (f"{self.protocol} {self.method} {self.dataset} lr={hp.get('lr')}" + (f" {extra}" if extra else "")
                + f" seed {self.seed}")

    def execute(self, deadline: float | None = None) -> tuple[pd.DataFrame, dict]:
        """Train on one torch thread (set here and restored) and return ``(table, info)``;
        ``info["status"]`` is ``"ok"``, ``"diverged"``, or ``"timeout"`` when
        ``time.perf_counter()`` passed ``deadline`` between two steps."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            frame, cut = _train(self.config(), self.device, deadline)
        finally:
            torch.set_num_threads(threads)
        if cut:
            return frame, {"status": "timeout"}
        return frame, {"status": "diverged" if frame["diverged"].any() else "ok", "kind": "deep", "format": FORMAT,
                       "device": self.device, "torch": torch.__version__}


def _optimizer(params, method: str, hp: dict):
    lr = hp["lr"]
    if method == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if method == "msgd":  # the AM paper's baseline (Sec. 4.2): dampening 0.9, same lr as AM
        return torch.optim.SGD(params, lr=lr, momentum=0.9, dampening=0.9)
    if method == "momentum":  # classical momentum SGD (RLLC's baseline)
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if method == "adam":
        return torch.optim.Adam(params, lr=lr)
    if method == "am-sgd":
        return AdaptiveMemorySGD(params, lr=lr, lam=hp.get("lam", 0.1), beta_max=hp.get("beta_max", 0.9))
    if method == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=hp.get("weight_decay", 0.01))
    if method == "am-adamw":
        variant = hp.get("variant", "am")
        extra = {"beta_min": hp["beta_min"]} if variant == "clip" else \
            {"theta": hp["theta"], "high": hp.get("high", 0.9), "low": hp.get("low", 0.1)} if variant == "reset" else {}
        return AdaptiveMemoryAdamW(params, lr=lr, weight_decay=hp.get("weight_decay", 0.01), lam=hp.get("lam", 0.1),
                                   beta_max=hp.get("beta_max", 0.9), variant=variant, **extra)
    if method == "rllc":
        return RLLC(params, lr=lr, memory=hp["memory"], c2=hp["c2"])
    raise ValueError(f"method must be one of sgd, msgd, momentum, adam, am-sgd, adamw, am-adamw, rllc; got {method!r}")


def _lr_factor(step: int, steps: int, schedule: str, warmup: int) -> float:
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "cosine":
        span = max(steps - warmup, 1)
        return 0.5 * (1 + math.cos(math.pi * min(step - warmup, span) / span))
    return 1.0


def run_job(job: dict, device: str = "cpu") -> pd.DataFrame:
    """Train one job (in this process, on the current torch threads) and return its long
    table (module docstring).

    Parameters
    ----------
    job : dict
        Keys ``task`` ("image" or "lm"), ``dataset``, ``model``, ``method``, ``hp`` (with
        ``lr``), ``seed``, ``steps``, ``batch``, ``eval_every``, ``schedule`` ("cosine" or
        "constant"), ``warmup`` (steps), and for images ``n_train``/``n_test`` (None: all).
    device : {"cpu", "cuda"}, default "cpu"

    Returns
    -------
    pandas.DataFrame
        One row per evaluation (steps ``eval_every, 2·eval_every, …, steps``), plus the
        job's columns ``protocol, dataset, model, method, seed`` and ``hp_*``. A run whose
        loss becomes non-finite stops with ``diverged`` True in its last row.
    """
    return _train(job, device, None)[0]


def _train(job: dict, device: str, deadline: float | None) -> tuple[pd.DataFrame, bool]:
    """:func:`run_job`, stopped between two steps once ``time.perf_counter() > deadline``
    (then ``(rows so far, True)``)."""
    dev = torch.device(device)
    seed, steps, batch, every = job["seed"], job["steps"], job["batch"], job["eval_every"]
    g = torch.Generator().manual_seed(10_000 + seed)
    if job["task"] == "image":
        Xtr, ytr, Xte, yte = _images(job["dataset"], job.get("n_train"), job.get("n_test"))
        model = make_model(job["model"], tuple(Xtr.shape[1:]), 10, seed=seed).to(dev)
        Xte_d, yte_d = Xte.to(dev), yte.to(dev)
        n = len(ytr)

        def batch_loss():
            idx = torch.randint(0, n, (batch,), generator=g)
            return F.cross_entropy(model(Xtr[idx].to(dev)), ytr[idx].to(dev))

        def evaluate():
            model.eval()
            with torch.no_grad():
                out = torch.cat([model(Xte_d[i:i + 1000]) for i in range(0, len(yte_d), 1000)])
            model.train()
            return F.cross_entropy(out, yte_d).item(), (out.argmax(1) == yte_d).float().mean().item()
    else:
        ctx = job.get("context", 64)
        tr, val, vocab = _text(ctx, job.get("val_windows", 128))
        model = make_model("char-transformer", n_classes=vocab, seed=seed, context=ctx).to(dev)
        val_d = val.to(dev)
        n = len(tr)

        def batch_loss():
            starts = torch.randint(0, n - ctx - 1, (batch,), generator=g)
            w = torch.stack([tr[s:s + ctx + 1] for s in starts.tolist()]).to(dev)
            return F.cross_entropy(model(w[:, :-1]).reshape(-1, vocab), w[:, 1:].reshape(-1))

        def evaluate():
            model.eval()
            with torch.no_grad():
                loss = F.cross_entropy(model(val_d[:, :-1]).reshape(-1, vocab), val_d[:, 1:].reshape(-1)).item()
            model.train()
            return loss, float("nan")
    opt = _optimizer(model.parameters(), job["method"], job["hp"])
    base_lr = job["hp"]["lr"]
    is_am = isinstance(opt, (AdaptiveMemorySGD, AdaptiveMemoryAdamW))
    rows, losses, t0, seen_beta = [], [], time.perf_counter(), 0
    cap = job["hp"].get("beta_max", 0.9)
    diverged = cut = False
    for step in range(steps):
        if deadline is not None and time.perf_counter() > deadline:
            cut = True
            break
        lr = base_lr * _lr_factor(step, steps, job.get("schedule", "constant"), job.get("warmup", 0))
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = batch_loss()
        lv = loss.item()
        if not math.isfinite(lv):
            diverged = True
        else:
            loss.backward()
            opt.step()
            losses.append(lv)
        if diverged or (step + 1) % every == 0 or step + 1 == steps:
            test_loss, test_acc = evaluate() if not diverged else (float("nan"), float("nan"))
            if diverged or not math.isfinite(test_loss):
                diverged = True
            row = {"step": step + 1, "epoch": (step + 1) * batch / n, "train_loss": float(np.mean(losses)) if losses else float("nan"),
                   "test_loss": test_loss, "test_acc": test_acc, "lr": lr}
            if is_am:
                beta = opt.beta_history()[:, 0].double().cpu().numpy()[seen_beta:]
                seen_beta += len(beta)
                row.update(beta_mean=float(beta.mean()) if beta.size else np.nan,
                           beta_min=float(beta.min()) if beta.size else np.nan,
                           beta_max=float(beta.max()) if beta.size else np.nan,
                           beta_at_cap=float((beta >= cap - 1e-6).mean()) if beta.size else np.nan)
            if isinstance(opt, RLLC):
                hist = opt.law_history()
                if len(hist):
                    for i, v in enumerate(hist[-1, 0].double().cpu().tolist()):
                        row[f"law_{i}"] = v
            row["time"] = time.perf_counter() - t0
            row["diverged"] = diverged
            rows.append(row)
            losses = []
            if diverged:
                break
    frame = pd.DataFrame(rows)
    for col in ("protocol", "dataset", "model", "method", "seed"):
        frame[col] = job.get(col, job["task"] if col == "dataset" else None)
    for k, v in job["hp"].items():
        frame[f"hp_{k}"] = v
    frame["batch"] = batch
    frame["warmup"] = job.get("warmup", 0)
    return frame, cut


def check_local_out(name: str, out) -> Path:
    """``out`` as a local :class:`~pathlib.Path`; a URL (``scheme://...``) is refused naming
    ``name``: the deep jobs and their legacy-store adoption read and write a local folder
    (``Path("memory://x")`` would silently become the local folder ``memory:/x``)."""
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(out).__name__}")
    text = os.fspath(out)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "://" in text:
        raise ValueError(f"{name} must be a local folder: the deep-learning jobs are not stored at URLs, got "
                         f"{text.split('://', 1)[0]}://... ({name}={text!r})")
    return Path(text)


def check_run_options(device: str = "cpu", workers: int = 1, timeout: float | None = None) -> None:
    """Check the engine options of :func:`run_jobs` up front, naming each: ``device``
    ("cpu", "cuda" or "cuda:N", CUDA available), ``workers`` (int >= 1), ``timeout`` (None or
    a positive finite number of seconds)."""
    if not isinstance(device, str) or not (device in ("cpu", "cuda") or (
            device.startswith("cuda:") and device[5:].isdigit())):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device: {device!r} was asked for, but torch.cuda.is_available() is False")
        if ":" in device and int(device[5:]) >= torch.cuda.device_count():
            raise ValueError(f"device: {device!r}, but there are {torch.cuda.device_count()} CUDA device(s)")
    if not _is_int(workers) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(f"timeout must be None or a number of seconds, got {type(timeout).__name__} {timeout!r}")
        if not 0 < timeout < math.inf:  # NaN fails too
            raise ValueError(f"timeout must be a positive finite number of seconds per job, got {timeout!r}")


class DeepJobsFailed(RuntimeError):
    """Some jobs of a protocol failed or were cut by the timeout (the others are stored).

    ``failed``: key → error text (with the job's label); ``frame``: the rows of the jobs
    that finished; ``report``: the :class:`~amtoolkit.sweeps.engine.SweepReport`.
    """

    def __init__(self, message: str, failed: dict, frame: pd.DataFrame, report: Any = None):
        super().__init__(message)
        self.failed, self.frame, self.report = failed, frame, report


def _adopt_legacy(out: Path) -> int:
    """Rename the job files that ``run_jobs`` wrote before it ran on the sweep engine
    (``<16 hex>.parquet``, metadata without ``key``) to the engine's 20-hex key, when their
    stored config hashes (with the current :data:`FORMAT`) to a key that starts with their
    name; returns how many. Other files are left alone."""
    adopted = 0
    for stem, path in job_files(out).items():
        if len(stem) != 16:
            continue
        try:
            meta = verify_job_file(path)
        except DamagedJobFile:
            continue
        if meta.get("kind") != "deep" or meta.get("format") != FORMAT or not isinstance(meta.get("config"), dict):
            continue
        try:
            key = job_key(meta["config"])
        except (ValueError, TypeError):  # not a job this code runs
            continue
        if not key.startswith(stem):
            continue
        frame = pd.read_parquet(path)
        frame["job"] = key
        write_job(out, key, frame, {**meta, "key": key, "state": "done", "wall_time": meta.get("wall"),
                                    "legacy_key": stem}, summary=run_summary(frame))
        path.unlink()
        adopted += 1
    return adopted


def run_jobs(jobs: list[dict], out: str | os.PathLike, device: str = "cpu", progress: bool = True,
             desc: str = "jobs", *, workers: int = 1, scheduler: str | None = None,
             timeout: float | None = None) -> pd.DataFrame:
    """Run the jobs through :func:`amtoolkit.sweep` (a stored job is verified and read back,
    not rerun) and return their rows.

    Parameters
    ----------
    jobs : list of dict
        Jobs as for :func:`run_job` (each becomes a :class:`DeepJob`).
    out : str or os.PathLike
        The store (created if missing).
    device : str, default "cpu"
    progress : bool, default True
        The sweep's tqdm bar (jobs, with the ETA).
    desc : str
        What the jobs are, for messages.
    workers : int, default 1
        ``jobs`` of :func:`amtoolkit.sweep`: 1 in-process, N loky worker processes, or the
        number of Dask workers with ``scheduler="local"``.
    scheduler : str, optional
        ``"local"`` or ``"tcp://HOST:PORT"``: run on Dask.
    timeout : float, optional
        Seconds per job; a job past it is cut between two steps and not stored.

    Returns
    -------
    pandas.DataFrame
        All jobs' rows, in the order of ``jobs``, with the ``job`` key column (a job listed
        twice, e.g. the λ = 0.1 run of one ablation that is the tuned-lr run of another, is
        run and returned once).

    Raises
    ------
    ValueError
        Before any job runs: for a URL ``out`` (the deep jobs are stored in a local folder
        only), a ``device`` that is not "cpu", "cuda" or "cuda:N" (or CUDA that is not
        available), ``workers`` not an int >= 1, a ``timeout`` that is not a positive finite
        number of seconds, or a job :meth:`DeepJob.from_dict` refuses.
    TypeError
        For a ``timeout`` that is not a number, or a job that is not a dict.
    DeepJobsFailed
        When a job failed or was cut (its error is in the message and in
        ``<out>/_failed/``; every other job is stored, and their rows are in the
        exception's ``frame``).
    KeyboardInterrupt
        When the sweep was interrupted (the jobs finished so far are stored).
    """
    import warnings

    out = check_local_out("out", out)
    check_run_options(device=device, workers=workers, timeout=timeout)
    tasks = list({t.key: t for t in (DeepJob.from_dict(j, device=device, timeout=timeout) for j in jobs)}.values())
    if out.is_dir():
        _adopt_legacy(out)
    with warnings.catch_warnings():  # the failures are raised below, with the labels
        warnings.filterwarnings("ignore", message=r".*job\(s\) failed and were not stored", category=RuntimeWarning)
        report = sweep(tasks, out, jobs=workers, scheduler=scheduler, progress=progress)
    if report.interrupted:
        raise KeyboardInterrupt(str(report))
    files = job_files(out)
    frames, failed = [], {}
    for t in tasks:
        if t.key in report.unwritten:  # computed, but the disk refused it: keep the rows
            frames.append(report.unwritten[t.key][0])
        elif t.key in files and t.key not in report.failed:
            frames.append(pd.read_parquet(files[t.key]))
        else:
            why = report.failed.get(t.key) or (report.given_up.get(t.key) or {}).get("error") or \
                (report.stopped and f"not run: {report.stopped}") or "not stored"
            failed[t.key] = f"{t.label}: {str(why).strip().splitlines()[-1] if why else why}"
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if "job" in frame:
        frame["job"] = frame["job"].astype(str)
    if failed:
        raise DeepJobsFailed(f"{desc}: {len(failed)} of {len(tasks)} job(s) failed or were cut, not stored "
                             f"(failure records in {out / '_failed'}; running again retries them): "
                             + "; ".join(list(failed.values())[:5]) + (" ..." if len(failed) > 5 else ""),
                             failed, frame, report)
    return frame


class _Runner:
    """What the protocols call to run a list of job dicts: :func:`run_jobs` with the
    store, device, engine and timeout of the command."""

    def __init__(self, out, device="cpu", progress=True, workers=1, scheduler=None, timeout=None):
        self.out, self.device, self.progress = out, device, progress
        self.workers, self.scheduler, self.timeout = workers, scheduler, timeout

    def __call__(self, jobs: list[dict], desc: str) -> pd.DataFrame:
        if self.progress:
            print(f"[reproduce deep] {desc}: {len(jobs)} job(s)", flush=True)
        return run_jobs(jobs, self.out, self.device, self.progress, desc, workers=self.workers,
                        scheduler=self.scheduler, timeout=self.timeout)
