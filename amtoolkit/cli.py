"""Command line: ``amtoolkit run ...``, ``amtoolkit list``, ``amtoolkit demo``.

Each subcommand is a function ``cmd_<name>(args) -> int`` bound with ``set_defaults(func=...)``.
"""

from __future__ import annotations

import argparse
import inspect
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

    return demo_main(steps=args.steps, figures=args.figures)


def cmd_run(args) -> int:
    try:
        hyper = _parse_hyper(args.hyper)
        crossed = _parse_grid(args.grid)
        if crossed and any(np.ndim(v) == 1 and k not in crossed for k, v in hyper.items()):
            raise ValueError("--set lists (paired) cannot be combined with --grid (crossed): give "
                             "every swept hyperparameter with --grid")
        hyper.update(crossed)
        opt = optimizers.get(args.optimizer, **hyper)
        problem = build_problem(args.problem, dim=args.dim, cond=args.cond, reg=args.reg, seed=args.seed)
        from .experiments import run

        history = run(opt, problem, steps=args.steps, batch_size=args.batch_size, seed=args.seed)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"amtoolkit: error: {err}", file=sys.stderr)
        return 2
    print(f"{opt.name} on {problem.name}, {args.steps} steps"
          + (f", batch size {args.batch_size}" if args.batch_size else ""))
    print(history.summary().to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.out:
        history.to_csv(args.out)
        print(f"wrote {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
