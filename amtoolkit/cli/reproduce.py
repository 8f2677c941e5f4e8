"""``amtoolkit demo`` (the main job) and ``amtoolkit reproduce convex`` (AM Sec. 4.1, Fig. 1/3)."""

from __future__ import annotations

from .._checks import check_int, check_out_path
from ..reproduce.convex import DEFAULT_STORE
from ._common import fail


def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="the main job: AM-MGD against MGD on a quadratic and "
                                         "on breast_cancer; prints a table and writes a figure")
    p.add_argument("--steps", type=int, default=None, help="steps per problem (default: per problem)")
    p.add_argument("--figures", default="figures", help="output folder (default: figures)")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from ..reproduce.demo import main as demo_main

    try:
        if args.steps is not None:
            check_int("steps (--steps)", args.steps)
        check_out_path("figures (--figures)", args.figures, folder=True)
    except (ValueError, TypeError) as err:
        return fail(err)
    return demo_main(steps=args.steps, figures=args.figures)


def _add_reproduce(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce the paper's convex experiments (arXiv:2510.04988 "
                                         "Sec. 4.1 / Figure 3, and Figure 1's quadratics)")
    p.add_argument("experiment", choices=["convex", "deep"],
                   help="which experiment: convex (AM Sec. 4.1) or deep (the deep-learning claims of both "
                        "papers at small scale; needs PyTorch)")
    p.add_argument("--datasets", nargs="+", default=None, metavar="NAME",
                   help="LIBSVM names (default: every registered training file present, "
                        "without the test splits and a8a, a9a, w8a, ijcnn1)")
    p.add_argument("--reg", nargs="+", type=float, default=[1e-3, 1e-5], metavar="VALUE",
                   help="L2 regularisation values (default: 1e-3 1e-5)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="convex: folder of results.csv, quadratic.csv and table.md (default: reproduction); "
                        "deep: the job store, one Parquet file per job (default: reproduction/deep)")
    p.add_argument("--protocol", nargs="+", default=None, metavar="ID",
                   help="deep: protocols to run (default all): am-4.2 am-4.6 am-4.3 am-4.4 rllc rllc-law")
    p.add_argument("--seeds", type=int, default=None, help="deep: seeds of the AM Sec. 4.2 comparison "
                                                          "(default 3 with --quick, 5 without)")
    p.add_argument("--quick", action="store_true", help="deep: the small set (about 5 minutes on 2 cores)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="deep: torch device (default cpu)")
    p.add_argument("--report", default="docs/reproduction-deep.md", metavar="FILE",
                   help="deep: the Markdown report (default: docs/reproduction-deep.md)")
    p.add_argument("--figures", default="figures", metavar="DIR",
                   help="folder of fig3_libsvm and fig1_quadratic (.pdf, .png) (default: figures)")
    p.add_argument("--store", default=DEFAULT_STORE, metavar="DIR",
                   help="the runs, one Parquet file per problem, shared with 'amtoolkit figures' "
                        f"(default: {DEFAULT_STORE})")
    p.add_argument("--max-steps", type=int, default=4000,
                   help="step cap per dataset (default: 4000)")
    p.add_argument("--quadratic-steps", type=int, default=20000,
                   help="step cap per quadratic (default: 20000)")
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel worker processes (default: 2 for convex, 1 for deep); deep: the sweep "
                        "engine's loky workers, or the Dask workers with --scheduler local")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="deep: run the training jobs on Dask: 'local' (a LocalCluster of --jobs workers) or "
                        "the address tcp://HOST:PORT of a running scheduler (default: no Dask)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="deep: seconds per training job; a job past it is cut, not stored, and reported")
    p.add_argument("--claims", default="docs", metavar="DIR",
                   help="deep: where the claims ledger's records go, DIR/deep/<key>.json (default: docs, "
                        "the folder 'amtoolkit claims' reads); 'none': not written")
    p.add_argument("--fair-grid", type=int, default=16, metavar="N",
                   help="configurations per method of the fair protocol run beside the paper's (every "
                        "method's step tuned on the same grid, amtoolkit.reproduce.fair); 0: the paper's "
                        "protocol alone (default: 16)")
    p.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args) -> int:
    """The protocol's tables, then its two figures through the one figure builder (which reads
    the runs just stored). Exit codes: 0 done, 1 a figure failed (the tables are written),
    2 bad input."""
    import time

    import pandas as pd

    from ..figures import FiguresFailed, build
    from ..figures.figureset import reproduction_configs
    from ..reproduce.convex import reproduce_convex, summary_markdown

    if args.experiment == "deep":
        return cmd_reproduce_deep(args)
    if args.out is None:
        args.out = "reproduction"
    if args.jobs is None:
        args.jobs = 2
    for name in ("scheduler", "timeout"):
        if getattr(args, name) is not None:
            return fail(f"--{name} is an option of 'reproduce deep' only")
    t0 = time.perf_counter()
    try:
        check_out_path("figures (--figures)", args.figures, folder=True)
        table = reproduce_convex(args.datasets, args.reg, out=args.out, store=args.store,
                                 max_steps=args.max_steps, quadratic_steps=args.quadratic_steps,
                                 jobs=args.jobs, fair_grid=args.fair_grid)
    except (ValueError, TypeError, FileNotFoundError) as err:
        return fail(err)
    cpu = table.cpu_seconds.sum() + pd.read_csv(f"{args.out}/quadratic.csv").cpu_seconds.sum()
    print(summary_markdown(table))
    configs = reproduction_configs(list(table.problem.unique()), args.reg, args.max_steps, args.quadratic_steps)
    try:
        build(list(configs), out=args.figures, results=args.store, configs=configs, log=None)
    except FiguresFailed as err:
        return fail(f"{err} (the tables are in {args.out}/)", code=1)
    print(f"wrote {args.out}/results.csv, {args.out}/quadratic.csv, {args.out}/table.md and "
          f"{args.figures}/fig3_libsvm, {args.figures}/fig1_quadratic (.pdf, .png); "
          f"{time.perf_counter() - t0:.1f} s wall, {cpu:.1f} s CPU in the runs")
    return 0


def cmd_reproduce_deep(args) -> int:
    """``amtoolkit reproduce deep``: exit 0 done, 1 a protocol has failed jobs (the others are
    reported and stored), 2 bad input or PyTorch missing, 130 interrupted."""
    import sys
    import time

    try:
        from ..reproduce.deep import PROTOCOLS, reproduce_deep
    except ImportError as err:
        return fail(f"reproduce deep needs PyTorch: pip install 'amtoolkit[torch]' ({err})")
    t0 = time.perf_counter()
    out = args.out or "reproduction/deep"
    try:
        if args.seeds is not None:
            check_int("seeds (--seeds)", args.seeds)
        for p in args.protocol or []:
            if p not in PROTOCOLS:
                raise ValueError(f"--protocol: {p!r} is not one of {', '.join(PROTOCOLS)}")
        jobs = 1 if args.jobs is None else check_int("jobs (--jobs)", args.jobs)
        if args.scheduler is not None and not (args.scheduler == "local" or "://" in args.scheduler):
            raise ValueError(f"--scheduler: {args.scheduler!r} is neither 'local' nor a Dask scheduler address "
                             "tcp://HOST:PORT")
        if args.timeout is not None and not 0 < args.timeout < float("inf"):
            raise ValueError(f"--timeout: seconds per job must be a positive number, got {args.timeout!r}")
        if "://" in str(out):
            raise ValueError(f"--out: the deep-learning jobs are stored in a local folder, not at a URL, got {out!r}")
        check_out_path("figures (--figures)", args.figures, folder=True)
        check_out_path("report (--report)", args.report)
        claims = None if args.claims == "none" else args.claims
        if claims is not None:
            if "://" in claims:
                raise ValueError(f"--claims: a local folder, not a URL, got {claims!r}")
            check_out_path("claims (--claims)", f"{claims}/deep", folder=True)
        result = reproduce_deep(args.protocol, seeds=args.seeds, quick=args.quick, device=args.device, out=out,
                                figures=args.figures, report=args.report, jobs=jobs, scheduler=args.scheduler,
                                timeout=args.timeout, claims=claims)
    except (ValueError, TypeError, FileNotFoundError) as err:
        return fail(err)
    except KeyboardInterrupt:
        print(f"interrupted: the jobs finished so far are stored in {out}/ (the one cut is not); run the "
              f"same command again to resume", file=sys.stderr)
        return 130
    for s in result.sections:
        for claim, verdict, _ in s.verdicts:
            print(f"[{s.protocol}] {claim}: {verdict}")
    print(f"wrote {args.report}, {args.figures}/dl_*, {len(result.claim_files)} ledger record(s) in "
          f"{claims}/deep/ and the jobs in {out}/; {time.perf_counter() - t0:.1f} s wall")
    if result.removed_claim_files:
        print(f"removed {len(result.removed_claim_files)} stale ledger record(s) of protocols that did not finish: "
              + ", ".join(result.removed_claim_files), file=sys.stderr)
    if result.failed:
        for p, errors in result.failed.items():
            print(f"error: {p}: {len(errors)} job(s) failed (not stored; running the command again retries "
                  f"them): " + "; ".join(list(errors.values())[:3]), file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    _add_demo(sub)
    _add_reproduce(sub)
