"""Sweep throughput and the store at scale (issues 10 and 22).

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_sweep.py [--big] [--naive]

Prints, as Markdown tables:

* throughput per engine: a 48-job sweep (quadratic d = 50, 16 configurations, 100
  steps) with ``jobs=1``, loky ``jobs=2`` and a 2-worker Dask ``LocalCluster`` (workers
  started and warmed by a 2-job sweep before the timing): jobs/s, and the calling
  process's CPU time per job (with the Dask scheduler, which runs in this process);
* the per-job overhead: CPU time of ``execute_job`` with the run replaced by a stored
  result (so the figure is the sweep's own cost around ``amt.run``: problem cache,
  optimizer, columns, metadata and per-run summary), and of writing the job's file;
* store reading at 300, 2,000 (and with ``--big`` 20,000) jobs of 976 rows (16 runs x 61
  rows, the sweep's 32 columns): ``amtoolkit results`` twice (the first call reads every
  footer and writes the summary index, the second reads the index), ``load_results``
  of 3 columns and of every column, each in a fresh process, wall time and peak RSS
  above the process's RSS after imports; and 3 columns of the 2,000-job store through
  its ``file://`` URL (the URL-store code path). The stores are synthetic (one real job's table
  written under N keys; beyond 4,096 jobs split by key prefix, as the sweep does).

``--naive`` adds the issue-10 comparison with a naive loop of single runs (slow).
Targets (issue 22): results on 2,000 jobs <= 1 s; 3 columns of 2,000 jobs <= 2 s; of
20,000 jobs <= 20 s and <= 1 GB; execute_job minus the run <= 3 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved_best  # noqa: E402  (first: it pins BLAS to one thread)

import amtoolkit as amt  # noqa: E402
from amtoolkit.datasets import libsvm  # noqa: E402
from amtoolkit.sweeps.spec import expand, grid_hyper  # noqa: E402
from amtoolkit.sweeps.engine import _problem, build_problem  # noqa: E402

LRS = ["0.125/L", "0.25/L", "0.5/L", "1/L"]


def make_spec(steps: int, dataset: str) -> dict:
    return {"sweep": {"steps": steps, "seeds": [0, 1, 2]},
            "problems": [{"name": "quadratic", "dim": 100, "cond": 1e3},
                         {"name": "quadratic", "dim": 300, "cond": 1e4},
                         {"name": "breast_cancer", "reg": 1e-3},
                         {"name": dataset, "reg": 1e-3}],
            "optimizers": [{"name": "mgd", "lr": LRS, "beta": [0.0, 0.5, 0.9, 0.99]},
                           {"name": "heavy_ball", "lr": LRS, "beta": [0.0, 0.5, 0.9, 0.99]},
                           {"name": "am_mgd", "lr": LRS, "lam": [0.0, 0.1, 0.5, 1.0]}]}


def naive_loop(jobs) -> int:
    """Every configuration of every job as its own amt.run (problems built once each)."""
    n = 0
    for job in jobs:
        problem = build_problem(job.problem, job.seed)
        for config in job.grid:
            opt = amt.optimizers.get(job.optimizer, **grid_hyper((config,), problem.smoothness))
            amt.run(opt, problem, job.steps, seed=job.seed)
            n += 1
    return n


def batched_runs(jobs) -> None:
    """The sweep's batched runs, without the sweep machinery and the store."""
    for job in jobs:
        problem = build_problem(job.problem, job.seed)
        amt.run(amt.optimizers.get(job.optimizer, **grid_hyper(job.grid, problem.smoothness)),
                problem, job.steps, seed=job.seed)


def dataset_load(name: str) -> tuple[float, float]:
    """(cold, warm) seconds: parsing the text, then reading the parsed-data cache, each
    with this process's in-memory cache emptied first."""
    with tempfile.TemporaryDirectory() as cache:
        os.environ["AMTOOLKIT_CACHE"] = cache
        times = []
        for _ in range(2):
            libsvm._load_cached.cache_clear()
            t0 = time.perf_counter()
            libsvm.load_libsvm(name)
            times.append(time.perf_counter() - t0)
        del os.environ["AMTOOLKIT_CACHE"]
    return times[0], times[1]


def naive_comparison(args) -> None:
    folder = os.environ.get("AMTOOLKIT_DATA")
    dataset = "a1a" if folder and (Path(folder) / "a1a").is_file() else "synthetic"
    spec = make_spec(args.steps, dataset)
    jobs = expand(spec)
    n_runs = sum(len(j.grid) for j in jobs)
    print(f"grid: {len(jobs)} jobs, {n_runs} runs of {args.steps} steps; problems: quadratic d=100, "
          f"quadratic d=300, breast_cancer, {dataset}")
    for pb, seed in {(tuple(sorted(j.problem.items())), j.seed) for j in jobs}:  # warm the problem cache
        build_problem(dict(pb), seed).smoothness
    base = Path(tempfile.mkdtemp(prefix="bench_sweep."))
    counter = iter(range(10**6))

    def fresh_sweep(**kw):
        def go():
            _problem.cache_clear()  # every way builds its problems itself
            amt.sweep(spec, base / f"out{next(counter)}", progress=False, **kw)
        return go

    def naive():
        _problem.cache_clear()
        naive_loop(jobs)

    def batched():
        _problem.cache_clear()
        batched_runs(jobs)

    def cluster_only():
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as c, \
                Client(c) as client:
            client.run(lambda: __import__("amtoolkit"))  # what the first job on a worker pays

    ways = {"naive loop (576 runs)": naive, "batched runs, no store": batched,
            "sweep --jobs 1": fresh_sweep(jobs=1), "sweep --jobs 2": fresh_sweep(jobs=2),
            "sweep, Dask LocalCluster (2 workers)": fresh_sweep(jobs=2, scheduler="local"),
            "(Dask LocalCluster start, import, stop only)": cluster_only}
    best = interleaved_best(ways, args.rounds)
    done = base / "out0"
    t0 = time.perf_counter()
    report = amt.sweep(spec, done, progress=False)
    resume = time.perf_counter() - t0
    assert report.skipped == len(jobs) and report.stored == 0
    overhead = (best["sweep --jobs 1"] - best["batched runs, no store"]) / len(jobs)

    naive_t = best["naive loop (576 runs)"]
    print("\n| way | wall [s] | speed-up vs naive |\n|---|---|---|")
    for name, t in best.items():
        print(f"| {name} | {t:.2f} | {'' if name.startswith('(') else f'{naive_t / t:.1f}x'} |")
    print(f"| resume a completed sweep | {resume:.3f} | |")
    print(f"\nper-job overhead of the sweep and the store (jobs=1 minus batched runs, / {len(jobs)}): "
          f"{1e3 * overhead:.1f} ms")
    if folder and (Path(folder) / "a9a").is_file():
        cold, warm = dataset_load("a9a")
        print(f"a9a load: cold (parse) {1e3 * cold:.0f} ms, warm (parsed cache) {1e3 * warm:.0f} ms, "
              f"{cold / warm:.0f}x")
    print(f"targets: sweep >= 5x naive: {naive_t / best['sweep --jobs 1']:.1f}x (jobs=1), "
          f"resume < 1 s: {resume:.3f} s, overhead < 50 ms: {1e3 * overhead:.1f} ms")



# -- issue 22 ------------------------------------------------------------------------------

SMALL = {"sweep": {"steps": 100, "seeds": list(range(48))},
         "problems": [{"name": "quadratic", "dim": 50, "cond": 1e3}],
         "optimizers": [{"name": "mgd", "lr": LRS, "beta": [0.0, 0.5, 0.9, 0.99]}]}


def throughput(base: Path) -> None:
    from distributed import LocalCluster

    n = len(expand(SMALL))
    rows = []
    warm = {**SMALL, "sweep": {"steps": 5, "seeds": [0, 1]}}
    amt.sweep(warm, base / "warm-loky", jobs=2, progress=False)  # start loky's reusable workers first
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        amt.sweep(warm, base / "warm-dask", scheduler=cluster.scheduler_address, progress=False)
        for name, kw in (("in-process (jobs=1)", {"jobs": 1}), ("loky (jobs=2)", {"jobs": 2}),
                         ("Dask LocalCluster, 2 workers (started before)", {"scheduler": cluster.scheduler_address})):
            out = base / f"tp-{len(rows)}"
            c0, t0 = time.process_time(), time.perf_counter()
            report = amt.sweep(SMALL, out, progress=False, **kw)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            assert report.stored == n, report
            rows.append((name, wall, n / wall, 1e3 * cpu / n))
    print(f"\n### Throughput per engine ({n} jobs, 16 configurations x 100 steps on a quadratic d = 50)\n")
    print("| engine | wall [s] | jobs/s | caller CPU per job [ms] |\n|---|---|---|---|")
    for name, wall, rate, cpu in rows:
        print(f"| {name} | {wall:.2f} | {rate:.1f} | {cpu:.2f} |")


def overhead(base: Path) -> None:
    import numpy as np

    from amtoolkit.sweeps import engine
    from amtoolkit.sweeps.store import write_job

    base.mkdir(parents=True, exist_ok=True)
    job = expand(SMALL)[0]
    engine._limit_blas_once()
    key, frame, meta, _ = engine.execute_job(job)
    real = engine.run
    history = real(amt.optimizers.get(job.optimizer, **grid_hyper(job.grid, build_problem(job.problem, 0).smoothness)),
                   build_problem(job.problem, 0), job.steps, seed=job.seed)

    class Stored:
        pass

    def stored(*a, **k):
        h = Stored()
        h.frame, h.status, h.meta = history.frame.copy(), history.status, history.meta
        return h

    clock = time.thread_time  # CPU time: the machine's other load does not count
    runs, outs, writes = [], [], []
    for i in range(200):
        t = clock()
        real(amt.optimizers.get(job.optimizer, **grid_hyper(job.grid, build_problem(job.problem, 0).smoothness)),
             build_problem(job.problem, 0), job.steps, seed=job.seed)
        runs.append(clock() - t)
        engine.run = stored
        try:
            t = clock()
            engine.execute_job(job)
            outs.append(clock() - t)
        finally:
            engine.run = real
        t = clock()
        write_job(base, f"{i:020x}", frame, meta)
        writes.append(clock() - t)
    copy = []
    for _ in range(200):
        t = clock()
        stored()
        copy.append(clock() - t)
    med = lambda v: 1e3 * float(np.median(v))  # noqa: E731
    print(f"\n### Per-job overhead (CPU time, median of 200; one job = {len(job.grid)} configurations x "
          f"{job.steps} steps, {len(frame)} rows)\n")
    print("| part | CPU [ms] |\n|---|---|")
    print(f"| the run itself (`amt.run`) | {med(runs):.2f} |")
    print(f"| `execute_job` minus the run (target <= 3 ms) | {med(outs) - med(copy):.2f} |")
    print(f"| writing the job's file (`write_job`) | {med(writes):.2f} |")


def make_store(folder: Path, n: int, frame, meta) -> None:
    from amtoolkit.sweeps.store import SPLIT_AT, write_job

    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    split = n > SPLIT_AT
    meta = dict(meta)
    summary = meta.pop("summary")
    for i in range(n):
        key = hashlib.sha1(str(i).encode()).hexdigest()[:20]  # spread over the 256 prefixes, as real keys
        frame["job"] = key
        write_job(folder, key, frame, {**meta, "key": key}, split=split,
                  summary={**summary, "columns": {**summary["columns"], "job": key}})


READ = """
import time
t_start = time.perf_counter()
import json, resource, sys, warnings
from amtoolkit import cli
from amtoolkit.sweeps.results import load_results
import contextlib, io
folder, what = sys.argv[1], sys.argv[2]
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r0 = rss()
t0 = time.perf_counter()
if what == "results":
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["results", folder]) == 0
elif what in ("3 columns", "3 columns, file:// URL"):
    df = load_results(folder, columns=["job", "step", "loss"])
else:
    df = load_results(folder)
print(json.dumps({"s": time.perf_counter() - t0, "mb": rss() - r0, "import": t0 - t_start}))
"""


def store_reads(base: Path, sizes: list[int]) -> None:
    from amtoolkit.sweeps import engine

    spec = {"sweep": {"steps": 60, "seeds": [0]}, "problems": [{"name": "quadratic", "dim": 50}],
            "optimizers": [{"name": "mgd", "lr": LRS, "beta": [0.0, 0.5, 0.9, 0.99]}]}
    _, frame, meta, _ = engine.execute_job(expand(spec)[0])
    print(f"\n### Reading the store (jobs of {len(frame)} rows x {frame.shape[1]} columns; each read in a "
          f"fresh process; peak RSS above the RSS after imports)\n")
    print("| jobs | `amtoolkit results`, first call: footers, builds the index [s] | `amtoolkit results`, "
          "with the index [s] (+ imports [s]) | `load_results`, 3 columns [s] / [MB] | "
          "`load_results`, all [s] / [MB] |")
    print("|---|---|---|---|---|")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    url_line = ""
    for n in sizes:
        folder = base / f"store-{n}"
        make_store(folder, n, frame.copy(), meta)
        cells = []
        for what in ("results", "results again", "3 columns", "all"):
            if what == "all" and n > 2000:
                cells.append("(not run: about 3 GB)")
                continue
            got = read_in_fresh_process(folder, what.replace(" again", ""), env)
            cells.append(f"{got['s']:.2f}" if what == "results" else
                         f"{got['s']:.2f} (+ {got['import']:.2f})" if what == "results again" else
                         f"{got['s']:.2f} / {got['mb']:.0f}")
        print(f"| {n:,} | " + " | ".join(cells) + " |")
        if n == 2000:
            url = read_in_fresh_process(folder.as_uri(), "3 columns", env)
            url_line = (f"\n`load_results`, 3 columns of the 2,000-job store through its `file://` URL "
                        f"(pyarrow's file system, 16 threads): {url['s']:.2f} s / {url['mb']:.0f} MB")
    print(url_line)


def read_in_fresh_process(folder, what: str, env: dict) -> dict:
    import json
    import subprocess

    proc = subprocess.run([sys.executable, "-c", READ, str(folder), what], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300, help="--naive: steps per run")
    ap.add_argument("--rounds", type=int, default=2, help="--naive: interleaved rounds")
    ap.add_argument("--naive", action="store_true", help="also the issue-10 comparison with a naive loop")
    ap.add_argument("--big", action="store_true", help="also a 20,000-job store (about 2 minutes to write)")
    ap.add_argument("--only", choices=["throughput", "overhead", "store"], default=None)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench_sweep."))
    print(f"amtoolkit {amt.__version__}; {os.cpu_count()} cores; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.naive:
        naive_comparison(args)
    if args.only in (None, "throughput"):
        throughput(base)
    if args.only in (None, "overhead"):
        overhead(base / "overhead")
    if args.only in (None, "store"):
        store_reads(base, [300, 2000] + ([20000] if args.big else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
