"""Command line: ``amtoolkit run ...``, ``amtoolkit list``, ``amtoolkit demo``.

Each subcommand is a function ``cmd_<name>(args) -> int`` bound with ``set_defaults(func=...)``.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from typing import Sequence

import numpy as np

from . import optimizers
from ._checks import check_int, check_out_path


def _parse_value(text: str):
    """``0.5`` → float; ``0.1,0.5`` → array (a batched sweep); ``true``/``false``;
    ``a:b`` → tuple (e.g. ``betas=0.9:0.999``); anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    if ":" in text:
        return tuple(_parse_value(p) for p in text.split(":"))
    parts = text.split(",")
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        return text
    return vals[0] if len(vals) == 1 else np.asarray(vals)


def _parse_hyper(items: Sequence[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if key in out:
            raise ValueError(f"--set {key} is given twice")
        out[key] = _parse_value(value)
    return out


def _parse_grid(items: Sequence[str]) -> dict:
    """``--grid NAME=V1,V2,...`` (repeatable) → the crossed product of the values, as the
    per-run arrays of :func:`amtoolkit.experiments.grid.grid`."""
    from .experiments.grid import grid

    axes = {}
    for item in items:
        key, _, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not key or not value:
            raise ValueError(f"--grid expects NAME=V1,V2,..., got {item!r}")
        if key in axes:
            raise ValueError(f"--grid {key} is given twice")
        parts = [p.strip() for p in value.split(",")]
        try:
            axes[key] = [float(p) for p in parts]
        except ValueError:
            axes[key] = parts  # e.g. lr=1/L,0.5/L; grid() says what is allowed
    return grid(**axes) if axes else {}


def build_problem(name: str, *, dim: int | None = None, cond: float | None = None,
                  reg: float | None = None, seed: int = 0):
    """``quadratic`` (random, ``dim``/``cond``/``seed``; defaults 100 and 1e3), ``breast_cancer``,
    ``synthetic`` (its data drawn with ``seed``, as in a sweep) or a LIBSVM name or path
    (logistic regression with ``reg``, default :func:`~amtoolkit.datasets.load_problem`'s).
    An option that does not apply to the problem is refused."""
    from .datasets import load_problem
    from .problems import Quadratic

    if not isinstance(name, str) or not name:
        raise ValueError(f"problem must be a non-empty name or path, got {name!r}")
    if name == "quadratic":
        if reg is not None:
            raise ValueError(f"reg (--reg) applies to logistic problems only, not to {name!r}")
        return Quadratic.random(dim=100 if dim is None else dim, cond=1e3 if cond is None else cond, seed=seed)
    unused = [flag for flag, value in (("dim (--dim)", dim), ("cond (--cond)", cond)) if value is not None]
    if unused:
        raise ValueError(f"{' and '.join(unused)} appl{'ies' if len(unused) == 1 else 'y'} to --problem "
                         f"quadratic only, not to {name!r}")
    kwargs = {"seed": seed} if name == "synthetic" else {}
    return load_problem(name, **({} if reg is None else {"reg": reg}), **kwargs)


def _optimizer_epilog() -> str:
    lines = ["optimizers and their hyperparameters (set with --set NAME=VALUE):"]
    lines += ["  " + optimizers.signature_help(name) for name in optimizers.available()]
    lines += ["", "A comma-separated value (--set beta=0,0.5,0.9) runs one batched configuration per",
              "entry; several such --set lists are PAIRED entry by entry (--set lr=0.1,0.5 --set",
              "beta=0,0.9: 2 runs). --grid NAME=V1,V2,... values are CROSSED (--grid lr=0.1,0.5",
              "--grid beta=0,0.5,0.9: 6 runs); --set scalars apply to every run of the grid.",
              "A colon builds a tuple (--set betas=0.9:0.999). lr=c/L (e.g. lr=1/L, lr=0.5/L) is c",
              "divided by the problem's smoothness constant L."]
    return "\n".join(lines)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amtoolkit", description="Adaptive-memory momentum toolkit: run optimizers on "
        "quadratics and LIBSVM logistic regression.")
    sub = parser.add_subparsers(dest="command", required=True)

    p_run = sub.add_parser("run", help="run one optimizer (or a batched grid) on a problem",
                           epilog=_optimizer_epilog(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    p_run.add_argument("--problem", default="quadratic",
                       help="quadratic | breast_cancer | synthetic | a LIBSVM name (a9a, w8a, ...) "
                            "or path (default: quadratic)")
    p_run.add_argument("--optimizer", default="mgd",
                       help=f"one of: {', '.join(optimizers.available())} (default: mgd)")
    p_run.add_argument("--set", dest="hyper", action="append", default=[], metavar="NAME=VALUE",
                       help="a hyperparameter of the optimizer, e.g. --set lr=0.5 or lr=1/L "
                            "(repeatable; comma lists are paired, see below)")
    p_run.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                       help="sweep a hyperparameter over the crossed product of all --grid "
                            "options, in one batched run (repeatable)")
    p_run.add_argument("--steps", type=int, default=500, help="number of updates (default: 500)")
    p_run.add_argument("--batch-size", type=int, default=None,
                       help="minibatch size for logistic problems (default: full gradient)")
    p_run.add_argument("--seed", type=int, default=0,
                       help="seed of the generated quadratic and of the minibatch sampler (default: 0)")
    p_run.add_argument("--dim", type=int, default=None, help="quadratic only: dimension (default: 100)")
    p_run.add_argument("--cond", type=float, default=None,
                       help="quadratic only: condition number (default: 1e3)")
    p_run.add_argument("--reg", type=float, default=None,
                       help="logistic only: L2 regularisation reg (default: 1e-3)")
    p_run.add_argument("--record-every", type=int, default=1,
                       help="record one row every this many steps (default: 1)")
    p_run.add_argument("--out", default=None, metavar="FILE.csv",
                       help="write the long result table (and FILE.csv.meta.json); also written "
                            "with the rows so far when the run fails or is interrupted")
    p_run.set_defaults(func=cmd_run)

    p_list = sub.add_parser("list", help="list the optimizers and the registered LIBSVM datasets")
    p_list.set_defaults(func=cmd_list)

    p_demo = sub.add_parser("demo", help="the main job: AM-MGD against MGD on a quadratic and "
                                         "on breast_cancer; prints a table and writes a figure")
    p_demo.add_argument("--steps", type=int, default=None, help="steps per problem (default: per problem)")
    p_demo.add_argument("--figures", default="figures", help="output folder (default: figures)")
    p_demo.set_defaults(func=cmd_demo)

    # Further subcommands: one `_add_<name>(sub)` each, defined next to its `cmd_<name>`.
    _add_rate(sub)
    _add_figures(sub)
    _add_sweep(sub)
    _add_results(sub)
    _add_fetch(sub)
    _add_reproduce(sub)
    return parser


def cmd_list(args) -> int:
    from .datasets import registry
    from .datasets.builtin import load_breast_cancer
    from .problems import make_logistic_data

    print(_optimizer_epilog())
    n_bc, d_bc = load_breast_cancer()[0].shape
    print("\nbuilt-in problems (offline; --problem NAME):")
    print(f"  {'quadratic':22s} n=-       d=--dim   generated ½xᵀAx + bᵀx (--dim, --cond, --seed)")
    print(f"  {'breast_cancer':22s} n={n_bc:<7d} d={d_bc:<4d}  scikit-learn's breast-cancer data, "
          f"standardised (not LIBSVM's breast-cancer_scale)")
    defaults = inspect.signature(make_logistic_data).parameters
    n_syn, d_syn = defaults["n_samples"].default, defaults["n_features"].default
    print(f"  {'synthetic':22s} n={n_syn:<7d} d={d_syn:<4d}  generated logistic data (make_logistic_data)")
    print("\nLIBSVM datasets (source: the LIBSVM site; found through $AMTOOLKIT_DATA, the user "
          "cache, or downloaded):")
    for info in registry().values():
        print(f"  {info.name:22s} n={info.n_samples:<7d} d={info.n_features:<4d}  {info.status}")
    return 0


def cmd_demo(args) -> int:
    from .experiments.demo import main as demo_main

    try:
        if args.steps is not None:
            check_int("steps (--steps)", args.steps)
        check_out_path("figures (--figures)", args.figures, folder=True)
    except (ValueError, TypeError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    return demo_main(steps=args.steps, figures=args.figures)


def cmd_run(args) -> int:
    """Exit codes: 0 done (any status but interrupted), 1 the run failed (the rows so far are
    written), 2 bad input (nothing computed), 130 interrupted (the rows so far are written)."""
    from .experiments import RunError, run

    try:  # every option is checked before the problem is built (a dataset may be parsed or fetched)
        check_int("steps (--steps)", args.steps)
        check_int("record_every (--record-every)", args.record_every)
        if args.batch_size is not None:
            check_int("batch_size (--batch-size)", args.batch_size)
        if args.out:
            check_out_path("out (--out)", args.out)
        hyper = _parse_hyper(args.hyper)
        crossed = _parse_grid(args.grid)
        if crossed and any(np.ndim(v) == 1 and k not in crossed for k, v in hyper.items()):
            raise ValueError("--set lists (paired) cannot be combined with --grid (crossed): give "
                             "every swept hyperparameter with --grid")
        hyper.update(crossed)
        opt = optimizers.get(args.optimizer, **hyper)
        problem = build_problem(args.problem, dim=args.dim, cond=args.cond, reg=args.reg, seed=args.seed)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    print(f"{opt.name} on {problem.name}, {args.steps} steps"
          + (f", batch size {args.batch_size}" if args.batch_size else ""), flush=True)
    code = 0
    try:
        history = run(opt, problem, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                      record_every=args.record_every)
    except (ValueError, TypeError) as err:  # bad input found by run before any step
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    except RunError as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        history, code = err.history, 1
    if code == 0 and "interrupted" in history.status:
        print("amtoolkit: interrupted", file=sys.stderr)
        code = 130
    if len(history.frame):
        print(history.summary().to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.out:
        history.to_csv(args.out)
        print(f"wrote {args.out} ({len(history.frame)} rows)")
    return code


def _add_rate(sub) -> None:
    p = sub.add_parser("rate", help="classical, spectral (exact on quadratics) and PEPit worst-case "
                                    "rates of a momentum method on L-smooth, mu-strongly convex functions")
    p.add_argument("--method", default="heavy_ball", choices=["gd", "heavy_ball", "mgd", "nag"],
                   help="the method (mgd: the EMA form d <- beta d + (1-beta) g; default: heavy_ball)")
    p.add_argument("--mu", type=float, required=True, help="strong convexity constant (> 0)")
    p.add_argument("--L", type=float, required=True, help="smoothness constant (>= mu)")
    p.add_argument("--lr", type=float, default=None, help="step size (with --beta; default: optimal)")
    p.add_argument("--beta", type=float, default=None, help="momentum (with --lr; default: optimal)")
    p.add_argument("--pep", type=int, default=None, metavar="N",
                   help="also the PEPit worst case after N steps (N <= 30)")
    p.add_argument("--function-class", default="smooth_strongly_convex",
                   choices=["smooth_strongly_convex", "quadratic"], help="class for --pep")
    p.set_defaults(func=cmd_rate)


def _classical(method: str, mu: float, L: float, lr: float) -> tuple[float, str]:
    from . import theory

    if method == "gd":
        return theory.gd_rate(lr, mu, L), "max(|1-lr mu|, |1-lr L|), distance, at this lr"
    if method == "nag":
        return theory.nag_rate(mu, L), "1 - 1/sqrt(kappa), Nesterov at lr = 1/L, beta = (sqrt(k)-1)/(sqrt(k)+1)"
    p_lr, p_beta, rate = theory.polyak_heavy_ball(mu, L)
    if method == "mgd":
        p_lr = p_lr / (1.0 - p_beta)  # mgd(lr, beta) is heavy ball with step lr(1-beta)
    return rate, f"Polyak, quadratics only, at lr = {p_lr:.6g}, beta = {p_beta:.6g}"


def cmd_rate(args) -> int:
    from . import theory

    try:
        if (args.lr is None) != (args.beta is None) and args.method != "gd":
            raise ValueError("give both --lr and --beta, or neither (then the optimal pair is used)")
        if args.method == "gd" and args.beta not in (None, 0.0):
            raise ValueError(f"--beta must be 0 or omitted for gd, got {args.beta}")
        theory.rates._check_mu_L(args.mu, args.L)
        spectrum = [args.mu, args.L]
        if args.lr is None:
            lr, beta, _ = theory.optimal_parameters(args.method, spectrum)
            how = "optimal on the spectrum [mu, L], by search"
        else:
            lr, beta, how = args.lr, (args.beta or 0.0), "given"
        classical, source = _classical(args.method, args.mu, args.L, lr)
        spectral = theory.spectral_rate(args.method, lr, beta, spectrum)
        wc = None
        if args.pep is not None:
            wc = theory.worst_case(args.method, args.mu, args.L, lr, beta, args.pep, args.function_class)
    except (ValueError, TypeError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    print(f"{args.method}, mu = {args.mu:.6g}, L = {args.L:.6g} (kappa = {args.L / args.mu:.6g}); "
          f"lr = {lr:.6g}, beta = {beta:.6g} ({how})")
    print(f"  classical   {classical:<12.6g} {source}")
    print(f"  spectral    {spectral:<12.6g} exact asymptotic rate on quadratics with spectrum in [mu, L]")
    if wc is not None:
        print(f"  worst case  {wc.rate:<12.6g} PEPit over {args.function_class}, n = {args.pep}: worst "
              f"|x_n - x*|^2/|x_0 - x*|^2 = {wc.value:.6g} (solver {wc.solver}); shown: its 1/(2n) power")
    return 0


def _add_figures(sub) -> None:
    from .experiments.figureset import DEFAULT_RESULTS, FIGURES

    p = sub.add_parser("figures", help="write every figure of figures/ (PDF + PNG); runs are cached "
                                       "under --results, so a second call only re-plots",
                       epilog="figures:\n" + "\n".join(f"  {f.name:14s} {f.what} [{f.paper}]"
                                                         for f in FIGURES.values()),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="build only these figures (default: all)")
    p.add_argument("--out", default="figures", help="output folder (default: figures)")
    p.add_argument("--results", default=DEFAULT_RESULTS,
                   help=f"folder of the cached runs, one Parquet file per figure configuration "
                        f"(default: {DEFAULT_RESULTS})")
    p.set_defaults(func=cmd_figures)


def cmd_figures(args) -> int:
    import time

    from .experiments.figureset import FiguresFailed, build

    t0 = time.perf_counter()
    try:
        written = build(args.only, out=args.out, results=args.results)
    except (ValueError, TypeError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    except FiguresFailed as err:  # the others were drawn
        print(f"{len(err.written)} figure(s) in {args.out}/; amtoolkit: error: {err}", file=sys.stderr)
        return 1
    print(f"{len(written)} figure(s) in {args.out}/ ({time.perf_counter() - t0:.1f} s)")
    return 0


def _add_sweep(sub) -> None:
    p = sub.add_parser("sweep", help="run a grid of problems x optimizers x seeds from a TOML spec "
                                     "into a resumable Parquet store")
    p.add_argument("spec", help="the sweep spec (TOML); see the README section 'Sweeps'")
    p.add_argument("--out", required=True, metavar="DIR", help="the store: one Parquet file per job")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes (joblib/loky; default 1), or the number of Dask workers "
                        "with --scheduler local (default: all cores)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on Dask: tcp://HOST:PORT of a running scheduler, or 'local' to start "
                        "a LocalCluster (pip install 'amtoolkit[distributed]')")
    p.add_argument("--no-resume", dest="resume", action="store_false",
                   help="run every job again and overwrite the stored ones (default: skip them)")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args) -> int:
    from .experiments.sweep import sweep

    try:
        report = sweep(args.spec, args.out, jobs=args.jobs, scheduler=args.scheduler, resume=args.resume)
    except (ValueError, TypeError, OSError, ImportError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    for key, error in report.failed.items():
        print(f"job {key} failed (not stored):\n{error}", file=sys.stderr)
    print(report)
    return 130 if report.interrupted else 1 if report.failed else 0


def _add_results(sub) -> None:
    p = sub.add_parser("results", help="the best configuration per problem and method in a sweep "
                                       "store, with its final gaps")
    p.add_argument("dir", help="the --out folder of a sweep")
    p.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                   help="keep only rows with this value, e.g. --where method=mgd (repeatable)")
    p.set_defaults(func=cmd_results)


def cmd_results(args) -> int:
    from .experiments.store import best_configs, load_results

    try:
        filters = {}
        for item in args.where:
            if "=" not in item:
                raise ValueError(f"--where expects COLUMN=VALUE, got {item!r}")
            key, value = item.split("=", 1)
            parsed = _parse_value(value)
            filters[key] = value if isinstance(parsed, (tuple, np.ndarray)) else parsed
        table = best_configs(load_results(args.dir, **filters))
    except (ValueError, OSError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return 0


def _add_fetch(sub) -> None:
    p = sub.add_parser("fetch", help="download registered LIBSVM datasets into the cache (before a "
                                     "parallel sweep: pooch takes no file locks)")
    p.add_argument("names", nargs="*", metavar="NAME", help="registered dataset names")
    p.add_argument("--all", action="store_true", help="every registered dataset")
    p.set_defaults(func=cmd_fetch)


def cmd_fetch(args) -> int:
    from .datasets.libsvm import fetch, registry

    if bool(args.names) == args.all:
        print("amtoolkit: error: fetch takes dataset names or --all (one of them, not both)", file=sys.stderr)
        return 2
    try:
        paths = fetch(None if args.all else args.names)
    except (ValueError, OSError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    for name in (paths if not args.all else registry()):
        print(f"{name}\t{paths[name]}" if name in paths else
              f"{name}\tskipped: not found, and the registry has no URL ({registry()[name].status})")
    return 0


def _add_reproduce(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce the paper's convex experiments (arXiv:2510.04988 "
                                         "Sec. 4.1 / Figure 3, and Figure 1's quadratics)")
    p.add_argument("experiment", choices=["convex"], help="which experiment (convex)")
    p.add_argument("--datasets", nargs="+", default=None, metavar="NAME",
                   help="LIBSVM names (default: every registered training file present, "
                        "without the test splits and a8a, a9a, w8a, ijcnn1)")
    p.add_argument("--reg", nargs="+", type=float, default=[1e-3, 1e-5], metavar="VALUE",
                   help="L2 regularisation values (default: 1e-3 1e-5)")
    p.add_argument("--out", default="reproduction", metavar="DIR",
                   help="folder of results.csv, quadratic.csv and table.md (default: reproduction)")
    p.add_argument("--figures", default="figures", metavar="DIR",
                   help="folder of fig3_libsvm and fig1_quadratic (.pdf, .png) (default: figures)")
    p.add_argument("--max-steps", type=int, default=4000,
                   help="step cap per dataset (default: 4000)")
    p.add_argument("--quadratic-steps", type=int, default=20000,
                   help="step cap per quadratic (default: 20000)")
    p.add_argument("--jobs", type=int, default=2, help="parallel worker processes (default: 2)")
    p.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args) -> int:
    import time

    from .experiments.reproduce import reproduce_convex, summary_markdown

    import pandas as pd

    t0 = time.perf_counter()
    try:
        table = reproduce_convex(args.datasets, args.reg, out=args.out, figures=args.figures,
                                 max_steps=args.max_steps, quadratic_steps=args.quadratic_steps,
                                 jobs=args.jobs)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    cpu = table.cpu_seconds.sum() + pd.read_csv(f"{args.out}/quadratic.csv").cpu_seconds.sum()
    print(summary_markdown(table))
    print(f"wrote {args.out}/results.csv, {args.out}/quadratic.csv, {args.out}/table.md and "
          f"{args.figures}/fig3_libsvm, {args.figures}/fig1_quadratic (.pdf, .png); "
          f"{time.perf_counter() - t0:.1f} s wall, {cpu:.1f} s CPU in the runs")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")  # the commands write figure files, never show them
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # outside a run's loop (a run returns its rows itself)
        print("amtoolkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
