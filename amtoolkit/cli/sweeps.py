"""``amtoolkit sweep`` (a TOML spec into a resumable store), ``amtoolkit results`` (its best
configurations) and ``amtoolkit fetch`` (the datasets a sweep needs, before it starts)."""

from __future__ import annotations

import sys

import numpy as np

from ._common import fail, parse_value


def _add_sweep(sub) -> None:
    p = sub.add_parser("sweep", help="run a grid of problems x optimizers x seeds from a TOML spec "
                                     "into a resumable Parquet store")
    p.add_argument("spec", help="the sweep spec (TOML); see docs/guide/sweeps.md")
    p.add_argument("--out", required=True, metavar="DIR_OR_URL",
                   help="the store: one Parquet file per job, in a folder or at a URL (s3://bucket/prefix, "
                        "file:///path, any URL of pyarrow's or fsspec's file systems but memory://, which "
                        "ends with the command)")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (joblib/loky; default 1), or the number of Dask workers "
                        "with --scheduler local (default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on Dask: tcp://HOST:PORT of a running scheduler, or 'local' to start "
                        "a LocalCluster (pip install 'amtoolkit[distributed]')")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="run every job again and overwrite the stored ones (default: skip them)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="time budget per job (overrides [sweep] timeout); a job cut by it is recorded "
                        "in DIR/_failed with status 'timeout', never stored")
    p.add_argument("--max-failures", type=int, default=None, metavar="N",
                   help="do not run again a job that has failed N times (default: retry every time)")
    p.add_argument("--retry-failed", action="store_true",
                   help="run again the jobs that reached --max-failures")
    p.add_argument("--worker-wait", type=float, default=60.0, metavar="SECONDS",
                   help="Dask: stop when no worker is left for this long (default 60)")
    p.add_argument("--fetch-on-workers", action="store_true",
                   help="Dask: fetch the spec's registered datasets on every worker before the jobs")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    import warnings

    from ..sweeps import sweep
    from ..sweeps.engine import StoreLocked

    if args.out.lower().startswith("memory://"):
        return fail(f"--out: {args.out!r} is a memory:// store, which lives in this process only: "
                    f"everything stored would be lost when the command ends; give a folder or the URL of a "
                    f"store that outlives it (file:///..., s3://...)")
    try:
        with warnings.catch_warnings():  # the report below says it (the failures on stderr)
            warnings.filterwarnings("ignore", message=r".*job\(s\) failed and were not stored", category=RuntimeWarning)
            report = sweep(args.spec, args.out, jobs=args.jobs, scheduler=args.scheduler, resume=args.resume,
                           timeout=args.timeout, max_failures=args.max_failures, retry_failed=args.retry_failed,
                           worker_wait=args.worker_wait, fetch_on_workers=args.fetch_on_workers)
    except (ValueError, TypeError, OSError, ImportError, StoreLocked) as err:
        return fail(err)
    for key, error in report.failed.items():
        print(f"job {key} failed (not stored):\n{error}", file=sys.stderr)
    print(report)
    if report.interrupted:
        return 130
    return 1 if report.failed or report.stopped or report.given_up else 0


def _add_results(sub) -> None:
    p = sub.add_parser("results", help="the best configuration per problem and method in a sweep "
                                       "store, with its final gaps (read from the files' metadata only; "
                                       "the columns are defined under the table)")
    p.add_argument("dir", help="the --out folder (or URL) of a sweep")
    p.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                   help="keep only the runs whose last row has this value, e.g. --where method=mgd "
                        "(repeatable; the columns of load_results)")
    p.set_defaults(func=cmd_results)


def cmd_results(args) -> int:
    """Reads only the per-run summaries in the job files' metadata (not the tables)."""
    from ..sweeps.results import COLUMNS, best_configs, read_summaries

    try:
        filters = {}
        for item in args.where:
            if "=" not in item:
                raise ValueError(f"--where expects COLUMN=VALUE, got {item!r}")
            key, value = item.split("=", 1)
            parsed = parse_value(value)
            filters[key] = value if isinstance(parsed, (tuple, np.ndarray)) else parsed
        final = read_summaries(args.dir)
        for col, want in filters.items():
            if col not in final:
                raise ValueError(f"--where: unknown column {col!r}; the stored columns are "
                                 f"{', '.join(sorted(final.columns))}")
            final = final[final[col].isin(list(want) if isinstance(want, (list, tuple)) else [want])]
        if final.empty:
            raise ValueError(f"--where: no run in {args.dir} matches {' '.join(args.where)}")
        table = best_configs(final)
    except (ValueError, OSError) as err:
        return fail(err)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("\ncolumns:")
    for name, text in COLUMNS.items():
        print(f"  {name:<13} {text}")
    edge = table[table["edge"] != ""]
    if len(edge):
        print(f"\nwarning: {len(edge)} best configuration(s) lie at the edge of their grid (column edge): "
              f"the optimum may lie outside it; widen the grid", file=sys.stderr)
    return 0


def _add_fetch(sub) -> None:
    p = sub.add_parser("fetch", help="download registered LIBSVM datasets into the cache (before a "
                                     "parallel sweep: pooch takes no file locks)")
    p.add_argument("names", nargs="*", metavar="NAME", help="registered dataset names")
    p.add_argument("--all", action="store_true", help="every registered dataset")
    p.set_defaults(func=cmd_fetch)


def cmd_fetch(args) -> int:
    from ..datasets.libsvm import fetch, registry

    if bool(args.names) == args.all:
        print("amtoolkit: error: fetch takes dataset names or --all (one of them, not both)", file=sys.stderr)
        return 2
    try:
        paths = fetch(None if args.all else args.names)
    except (ValueError, OSError) as err:
        return fail(err)
    for name in (paths if not args.all else registry()):
        print(f"{name}\t{paths[name]}" if name in paths else
              f"{name}\tskipped: not found, and the registry has no URL ({registry()[name].status})")
    return 0


def register(sub) -> None:
    _add_sweep(sub)
    _add_results(sub)
    _add_fetch(sub)
