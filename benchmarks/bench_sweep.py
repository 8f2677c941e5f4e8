"""Sweep throughput: the naive loop of single runs against the sweep's engines.

    AMTOOLKIT_DATA=../shared/data/libsvm python benchmarks/bench_sweep.py

Grid (issue 10): 4 problems x 3 methods x 16 configurations x 3 seeds, 300 steps, run
four ways: 576 single ``amt.run`` calls; ``sweep`` with ``jobs=1``; with ``jobs=2``
(joblib/loky); on a 2-worker Dask ``LocalCluster`` (started inside the timing). Also
timed: the 36 batched ``amt.run`` calls of the sweep without the store (to isolate the
per-job overhead of the sweep and the store), starting a 2-worker LocalCluster that
imports amtoolkit (the fixed cost inside the Dask figure), resuming a completed sweep,
and a9a's cold (parse the text) and warm (parsed-data cache) loads.

Targets: sweep >= 5x faster than the naive loop; resume < 1 s; per-job overhead,
store included, < 50 ms. The ways are timed in interleaved rounds (best of each), so
that the load of a shared machine hits them alike.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
