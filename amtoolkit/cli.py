"""Command line: ``amtoolkit run ...``, ``amtoolkit list``, ``amtoolkit demo``.

Each subcommand is a function ``cmd_<name>(args) -> int`` bound with ``set_defaults(func=...)``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

import numpy as np

from . import optimizers


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
            raise SystemExit(f"amtoolkit: --set expects NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip().replace("-", "_")] = _parse_value(value)
    return out


def build_problem(name: str, *, dim: int = 100, cond: float = 1e3, reg: float = 1e-3, seed: int = 0):
    """``quadratic`` (random, ``dim``/``cond``/``seed``), ``breast_cancer``,
    ``synthetic`` or a LIBSVM name or path (logistic regression with ``reg``)."""
    from .datasets import load_problem
    from .problems import Quadratic

    if name == "quadratic":
        return Quadratic.random(dim=dim, cond=cond, seed=seed)
    return load_problem(name, reg=reg)


def _optimizer_epilog() -> str:
    lines = ["optimizers and their hyperparameters (set with --set NAME=VALUE):"]
    lines += ["  " + optimizers.signature_help(name) for name in optimizers.available()]
    lines += ["", "A comma-separated value (--set beta=0,0.5,0.9) runs one batched configuration per",
              "entry; a colon builds a tuple (--set betas=0.9:0.999)."]
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
                       help="a hyperparameter of the optimizer, e.g. --set lr=0.5 (repeatable)")
    p_run.add_argument("--steps", type=int, default=500, help="number of updates (default: 500)")
    p_run.add_argument("--batch-size", type=int, default=None,
                       help="minibatch size for logistic problems (default: full gradient)")
    p_run.add_argument("--seed", type=int, default=0,
                       help="seed of the generated quadratic and of the minibatch sampler (default: 0)")
    p_run.add_argument("--dim", type=int, default=100, help="quadratic: dimension (default: 100)")
    p_run.add_argument("--cond", type=float, default=1e3,
                       help="quadratic: condition number (default: 1e3)")
    p_run.add_argument("--reg", type=float, default=1e-3,
                       help="logistic: L2 regularisation reg (default: 1e-3)")
    p_run.add_argument("--out", default=None, metavar="FILE.csv",
                       help="write the long result table (and FILE.csv.meta.json)")
    p_run.set_defaults(func=cmd_run)

    p_list = sub.add_parser("list", help="list the optimizers and the registered LIBSVM datasets")
    p_list.set_defaults(func=cmd_list)

    p_demo = sub.add_parser("demo", help="the main job: AM-MGD against MGD on a quadratic and "
                                         "on breast_cancer; prints a table and writes a figure")
    p_demo.add_argument("--steps", type=int, default=None, help="steps per problem (default: per problem)")
    p_demo.add_argument("--figures", default="figures", help="output folder (default: figures)")
    p_demo.set_defaults(func=cmd_demo)

    # Further subcommands: one `_add_<name>(sub)` each, defined next to its `cmd_<name>`.
    _add_reproduce(sub)
    return parser


def _summary(history) -> str:
    final = history.final()
    cols = [c for c in ("run", "step", "loss", "gap", "grad_norm", "status") if c in final]
    hp = [c for c in final.columns if c.startswith("hp_") and final[c].nunique() > 1]
    return final[hp + cols].to_string(index=False, float_format=lambda v: f"{v:.6g}")


def cmd_list(args) -> int:
    from .datasets import registry

    print(_optimizer_epilog())
    print("\nregistered LIBSVM datasets (found through $AMTOOLKIT_DATA, the user cache, or downloaded):")
    for info in registry().values():
        print(f"  {info.name:22s} n={info.n_samples:<7d} d={info.n_features:<4d} {info.status}")
    return 0


def cmd_demo(args) -> int:
    from .experiments.demo import main as demo_main

    return demo_main(steps=args.steps, figures=args.figures)


def cmd_run(args) -> int:
    try:
        hyper = _parse_hyper(args.hyper)
        opt = optimizers.get(args.optimizer, **hyper)
        problem = build_problem(args.problem, dim=args.dim, cond=args.cond, reg=args.reg, seed=args.seed)
        from .experiments import run

        history = run(opt, problem, steps=args.steps, batch_size=args.batch_size, seed=args.seed)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    print(f"{opt.name} on {problem.name}, {args.steps} steps"
          + (f", batch size {args.batch_size}" if args.batch_size else ""))
    print(_summary(history))
    if args.out:
        history.to_csv(args.out)
        print(f"wrote {args.out}")
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
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
