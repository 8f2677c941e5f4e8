"""``reproduce_deep``: run the protocols, write the Markdown report and the claim records the ledger reads."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..._checks import check_out_path
from ..._version import __version__
from ...claims.deepcode import deep_fingerprint
from .jobs import DeepJobsFailed, _Runner, check_local_out
from .protocols import FULL, PROTOCOLS, QUICK, RUNNERS, DeepResult, Scale, Section

CLAIM_FORMAT = 3  # the format of <claims>/deep/<key>.json (amtoolkit.claims.checks.DEEP_FORMAT_VERSION)
#: the ledger keys (``args.key`` of the ``stored_result`` entries of ledger.toml) each
#: written only when every protocol named here ran in the same call
CLAIM_KEYS = {"am-abstract-deep": ("am-4.2", "am-4.3"), "am-sec4.2-image": ("am-4.2",),
              "am-sec4.3-llm": ("am-4.3",), "am-sec4.3-warmup": ("am-4.3",), "am-sec4.5-table6": ("am-4.3",),
              "am-sec4.5-restarts": ("am-4.3",), "am-sec4.6-lambda": ("am-4.6",), "am-sec4.6-batch": ("am-4.6",),
              "am-sec4.6-lr": ("am-4.6",), "rllc-outperforms": ("rllc",), "rllc-figure5": ("rllc",),
              "rllc-figure2": ("rllc-law",), "rllc-figure3": ("rllc-law",)}

TIERS = {"--quick": "quick", "full": "full"}  # Scale.name → the record's "tier" (any other scale: "custom")


def claim_records(sections: list, ran: list[str], command: str, quick: bool, device: str,
                  report: str | None, tier: str | None = None) -> dict[str, dict]:
    """The ledger records (:data:`CLAIM_FORMAT`) of the claims whose protocols
    (:data:`CLAIM_KEYS`) all ran and finished.

    Each record: ``format``, ``key``, ``amtoolkit`` and ``torch`` versions, ``outcome``
    (``"holds"``: every part holds, with at least 2 seeds each; ``"holds-one-seed"``: every
    part holds, some on one seed; ``"partly"``: some parts hold; ``"fails"``: none holds;
    ``"none"``: no part has a verdict), ``verdict`` (the same in words, "at small scale"),
    ``parts`` (each: claim, verdict text, outcome, evidence, seeds, and ``paired``: the
    per-seed paired differences with their mean, min, max and 95 % t-interval, or null),
    ``seeds`` (the fewest of the parts), ``scale``, ``tier`` (``"quick"``: the ``--quick``
    sizes, ``"full"``, or ``"custom"``: other sizes; default from ``quick``), ``fingerprint``
    (:func:`amtoolkit.claims.deepcode.deep_fingerprint`, the code that made the numbers),
    ``protocols``, ``command``, ``quick``, ``device`` and ``report``. The ledger
    (``stored_result``) uses a record only while its fingerprint is the current code's, and
    a ``--tier full`` ledger only a ``"full"`` one.
    """
    tier = tier if tier is not None else ("quick" if quick else "full")
    if tier not in ("quick", "full", "custom"):
        raise ValueError(f"tier must be 'quick', 'full' or 'custom', got {tier!r}")
    fingerprint = deep_fingerprint()
    finished = {s.protocol: s for s in sections if not s.failed}
    records = {}
    for key, needs in CLAIM_KEYS.items():
        if not all(p in finished and p in ran for p in needs):
            continue
        parts = [part for p in needs for part in finished[p].claims.get(key, [])]
        if not parts:
            continue
        got = [x["outcome"] for x in parts]
        judged = [o for o in got if o != "none"]
        if not judged:
            result = "none"
        elif all(o == "holds" for o in got):
            result = "holds" if min(x["seeds"] for x in parts) >= 2 else "holds-one-seed"
        elif "holds" in judged:
            result = "partly"
        else:
            result = "fails"
        words = {"holds": "holds at small scale", "holds-one-seed": "seen at small scale, one seed",
                 "partly": f"holds only in part at small scale ({got.count('holds')} of {len(parts)} parts)",
                 "fails": "does not hold at this scale", "none": "no verdict at this scale"}[result]
        records[key] = {"format": CLAIM_FORMAT, "key": key, "amtoolkit": __version__, "torch": torch.__version__,
                        "outcome": result, "verdict": words, "seeds": min(x["seeds"] for x in parts),
                        "scale": "; ".join(finished[p].scale for p in needs), "tier": tier,
                        "fingerprint": fingerprint, "protocols": list(needs),
                        "parts": parts, "command": command, "quick": quick, "device": device, "report": report}
    return records


def _command(protocols, quick, seeds, device) -> str:
    """The command line that reruns these protocols (the engine options do not change the numbers)."""
    parts = ["amtoolkit reproduce deep"] + (["--quick"] if quick else [])
    if list(protocols) != list(PROTOCOLS):
        parts += ["--protocol", *protocols]
    if seeds is not None:
        parts += ["--seeds", str(seeds)]
    if device != "cpu":
        parts += ["--device", device]
    return " ".join(parts)


def reproduce_deep(protocols=None, seeds: int | None = None, quick: bool = False, device: str = "cpu",
                   out: str | os.PathLike = "reproduction/deep", figures: str | os.PathLike | None = "figures",
                   report: str | os.PathLike | None = "docs/reproduction-deep.md", progress: bool = True,
                   scale: Scale | None = None, jobs: int = 1, scheduler: str | None = None,
                   timeout: float | None = None, claims: str | os.PathLike | None = "docs") -> DeepResult:
    """Run the protocols, write the report, the ``dl_*`` figures and the ledger records.

    Parameters
    ----------
    protocols : list of str, optional
        A subset of :data:`PROTOCOLS` (default all).
    seeds : int, optional
        Seeds of the AM Sec. 4.2 comparison (default 3 quick, 5 full).
    quick : bool, default False
    device : {"cpu", "cuda"}
    out : path
        The job store.
    figures : path or None
        Where ``dl_*.png/pdf`` go (None: no figures).
    report : path or None
        The Markdown report (None: not written).
    progress : bool
        tqdm bars.
    scale : Scale, optional
        Override the sizes (tests).
    jobs : int, default 1
        Worker processes of the sweeps (loky), or Dask workers with ``scheduler="local"``.
        The numbers do not depend on it (one torch and one BLAS thread per job), the
        ``time`` columns aside.
    scheduler : str, optional
        ``"local"`` (a Dask ``LocalCluster`` of ``jobs`` workers) or ``"tcp://HOST:PORT"``
        (a running Dask scheduler); default: no Dask.
    timeout : float, optional
        Seconds per training job; a job past it is cut, not stored, and its protocol
        reports it.
    claims : path or None, default "docs"
        Where the ledger records go: ``<claims>/deep/<key>.json``, one per claim of
        :data:`CLAIM_KEYS` whose protocols ran (:func:`claim_records`); ``amtoolkit claims``
        reads them from its results folder (by default ``docs``). None: not written. The
        record of a claim whose protocol ran here but did not finish is deleted (it would
        be the verdict of an older run): ``DeepResult.removed_claim_files`` lists them.

    Returns
    -------
    DeepResult
        Its ``failed`` names the protocols that did not finish: a protocol with a failed
        job reports the failures in its section instead of verdicts (the finished jobs are
        stored; running again retries the failed ones).

    Raises
    ------
    ValueError
        Before any training: for an unknown protocol or device, a seeds or jobs count < 1,
        a scheduler that is not "local" or an address, a timeout that is not a positive
        number, a URL ``out``, ``claims`` or ``figures`` (local folders only), an ``out``
        that is a file, a ``report`` that is a folder or cannot be written, a ``claims`` or
        ``figures`` folder that is a file or cannot be written (the message names the
        parameter).
    """
    protocols = list(PROTOCOLS) if not protocols else list(protocols)
    for p in protocols:
        if p not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {p!r}")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' was asked for, but torch.cuda.is_available() is False")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not (scheduler == "local" or "://" in scheduler)):
        raise ValueError(f"scheduler must be 'local' or a Dask scheduler address 'tcp://HOST:PORT', got {scheduler!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 < timeout < float("inf")):
        raise ValueError(f"timeout must be a positive number of seconds per job, got {timeout!r}")
    # where the results go, checked before any training (each error names its parameter)
    check_local_out("out", out)
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"out must be a folder (the job store), but {os.fspath(out)!r} is a file")
    if report is not None:
        check_out_path("report", report)
    if claims is not None:
        check_local_out("claims", claims)
        check_out_path("claims", Path(claims) / "deep", folder=True)
    if figures is not None:
        check_local_out("figures", figures)
        check_out_path("figures", figures, folder=True)
    tier = "custom" if scale is not None else ("quick" if quick else "full")
    scale = scale or (QUICK if quick else FULL)
    if seeds is not None:
        if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
            raise ValueError(f"seeds must be an int >= 1, got {seeds!r}")
        scale = Scale(**{**scale.__dict__, "seeds": seeds})
    run = _Runner(out, device, progress, jobs, scheduler, timeout)
    sections, seconds, cpu = [], {}, {}
    for p in protocols:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            sections.append(RUNNERS[p](scale, run, figures))
        except DeepJobsFailed as err:  # the other protocols still run; this one reports its failures
            sections.append(Section(p, f"{p}: not finished", "–", "–", str(err), pd.DataFrame(), None,
                                    [(f"{p}: every claim", "not measured: jobs failed", str(err))],
                                    "–", failed=err.failed))
            if progress:
                print(f"[reproduce deep] {p}: {len(err.failed)} job(s) failed: {err}")
        seconds[p], cpu[p] = time.perf_counter() - t0, time.process_time() - c0
        if progress:
            print(f"[reproduce deep] {p}: {seconds[p]:.1f} s wall, {cpu[p]:.1f} s CPU (this process)")
    command = _command(protocols, quick, seeds, device)
    result = DeepResult(sections, seconds, os.fspath(out), quick, cpu, command=command)
    if report is not None:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        Path(report).write_text(markdown(result, scale))
    if claims is not None:
        folder = Path(claims) / "deep"
        failed = {s.protocol for s in sections if s.failed}
        records = claim_records(sections, protocols, command, quick, device,
                                None if report is None else os.fspath(report), tier=tier)
        for key, needs in CLAIM_KEYS.items():  # a record this run should have renewed but could not is stale
            stale = any(p in failed for p in needs) or (all(p in protocols for p in needs) and key not in records)
            path = folder / f"{key}.json"
            if stale and key not in records and path.exists():
                path.unlink()
                result.removed_claim_files.append(os.fspath(path))
                if progress:
                    print(f"[reproduce deep] removed the stale ledger record {path} (its protocol did not finish)")
        for key, rec in records.items():
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{key}.json"
            path.write_text(json.dumps(_json_ready(rec), indent=1, ensure_ascii=False, allow_nan=False) + "\n",
                            encoding="utf-8")
            result.claim_files.append(os.fspath(path))
    return result


def _json_ready(v):
    """NaN/inf → None, NumPy scalars → Python (strict JSON)."""
    if isinstance(v, dict):
        return {str(k): _json_ready(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_ready(x) for x in v]
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v


def _table_md(frame: pd.DataFrame) -> str:
    def f(v):
        if isinstance(v, (float, np.floating)):
            return "–" if not np.isfinite(v) else f"{v:.4g}"
        return str(v)

    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(f(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def markdown(result: DeepResult, scale: Scale) -> str:
    """The report ``docs/reproduction-deep.md``."""
    mode = "--quick" if result.quick else "(full)"
    total = sum(result.seconds.values())
    out = [f"# Deep-learning claims at small scale (`amtoolkit reproduce deep {mode}`)", "",
           f"Written by `{result.command or 'amtoolkit reproduce deep'}` on the current code (torch "
           f"{torch.__version__}, CPU, one thread per job). The papers ran CIFAR, ImageNet and C4 on GPUs; here every "
           "claim is tested on MNIST-5k / digits / Fashion-MNIST subsets and a 0.4M-parameter character LM on 2 CPU "
           "cores. A claim \"holds at this scale\" only when the sign of the per-seed paired difference holds for "
           "every seed; null and reversed results are reported as such. Seeds pair the runs: the same seed gives "
           "both methods the same initial weights and the same mini-batches.", "",
           f"Sources: AM = arXiv:2510.04988 (full text), RLLC = arXiv:2402.15262 (only a summary is available here: "
           f"the RLLC hyperparameters are amtoolkit's). Jobs are stored one Parquet file each in `{result.out}` "
           "(`amt.load_results`); each claim's verdict is also written to `docs/deep/<key>.json`, which "
           "`amtoolkit claims` reads (the [claims ledger](claims.md)).", ""]
    for s in result.sections:
        out += [f"## {s.title} ({s.source}; protocol `{s.protocol}`)", "", f"**Claim.** {s.claim}", "",
                f"**Protocol.** {s.setup}", ""] + ([_table_md(s.table), ""] if len(s.table.columns) else [])
        if s.figure:
            out += [f"![{s.protocol}](../figures/{Path(s.figure).name}.png)", "",
                    f"Figure: `figures/{Path(s.figure).name}.png` / `.pdf`.", ""]
        out += ["**Verdicts.**", "", "| claim | verdict | evidence |", "|---|---|---|"]
        out += [f"| {c} | {v} | {e} |" for c, v, e in s.verdicts]
        out += ["", f"**What this scale cannot show.** {s.cannot}", ""]
    out += ["## Closing note: verdicts and run times", "", "| protocol | claim | verdict |", "|---|---|---|"]
    for s in result.sections:
        out += [f"| {s.protocol} | {c} | {v} |" for c, v, _ in s.verdicts]
    cpu = result.cpu_seconds or {}
    out += ["", "| protocol | wall seconds | CPU seconds (this process) |", "|---|---|---|"]
    out += [f"| {p} | {t:.1f} | {cpu.get(p, float('nan')):.1f} |" for p, t in result.seconds.items()]
    out += [f"| total | {total:.1f} | {sum(cpu.values()):.1f} |", "",
            "Run times are measured on this machine: 2 cores shared with other work, one torch thread per job, so "
            "the wall time exceeds the CPU time when other processes compete for the cores (jobs read back from "
            "the store cost nothing; with `--jobs N` the CPU time of the worker processes is not counted). "
            "With data and a GPU, `amtoolkit reproduce deep --device cuda` runs the same jobs; "
            "the scale (models, steps, datasets) is set by `QUICK`/`FULL` in `amtoolkit/reproduce/deep/protocols.py`.", ""]
    return "\n".join(out)
