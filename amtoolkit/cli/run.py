"""``amtoolkit run`` (one optimizer, or a batched grid, on a problem) and ``amtoolkit list``."""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from typing import Sequence

import numpy as np

from .. import optimizers
from .._checks import check_int, check_out_path
from ._common import fail, parse_hyper


def _parse_grid(items: Sequence[str]) -> dict:
    """``--grid NAME=V1,V2,...`` (repeatable) → the crossed product of the values, as the
    per-run arrays of :func:`amtoolkit.grid`."""
    from ..runner.grid import grid

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
    from ..datasets import load_problem
    from ..problems import Quadratic

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


def register(sub) -> None:
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


def cmd_list(args) -> int:
    from ..datasets import registry
    from ..datasets.builtin import load_breast_cancer
    from ..problems import make_logistic_data

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


def cmd_run(args) -> int:
    """Exit codes: 0 done (any status but interrupted), 1 the run failed (the rows so far are
    written), 2 bad input (nothing computed), 130 interrupted (the rows so far are written)."""
    from ..runner import RunError, RunInterrupted, run

    try:  # every option is checked before the problem is built (a dataset may be parsed or fetched)
        check_int("steps (--steps)", args.steps)
        check_int("record_every (--record-every)", args.record_every)
        if args.batch_size is not None:
            check_int("batch_size (--batch-size)", args.batch_size)
        if args.out is not None:
            if not args.out.strip():
                raise ValueError("out (--out) must name a file, got an empty string")
            check_out_path("out (--out)", args.out)
        hyper = parse_hyper(args.hyper)
        crossed = _parse_grid(args.grid)
        if crossed and any(np.ndim(v) == 1 and k not in crossed for k, v in hyper.items()):
            raise ValueError("--set lists (paired) cannot be combined with --grid (crossed): give "
                             "every swept hyperparameter with --grid")
        both = sorted(set(hyper) & set(crossed))
        if both:  # the --set value would be silently replaced by the grid
            raise ValueError(f"{', '.join(both)} given both by --set and by --grid: give it once")
        hyper.update(crossed)
        opt = optimizers.get(args.optimizer, **hyper)
        problem = build_problem(args.problem, dim=args.dim, cond=args.cond, reg=args.reg, seed=args.seed)
    except (ValueError, TypeError, FileNotFoundError) as err:
        return fail(err)
    print(f"{opt.name} on {problem.name}, {args.steps} steps"
          + (f", batch size {args.batch_size}" if args.batch_size else ""), flush=True)
    code = 0
    try:
        history = run(opt, problem, steps=args.steps, batch_size=args.batch_size, seed=args.seed,
                      record_every=args.record_every)
    except (ValueError, TypeError) as err:  # bad input found by run before any step
        return fail(err)
    except RunError as err:
        fail(err)
        history, code = err.history, 1
    except RunInterrupted as err:
        print("amtoolkit: interrupted", file=sys.stderr)
        history, code = err.history, 130
    if len(history.frame):
        print(history.summary().to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.out is not None:
        try:
            history.to_csv(args.out)
            print(f"wrote {args.out} ({len(history.frame)} rows)")
        except OSError as err:  # the rows are kept: written where a write can still succeed
            import tempfile

            fd, rescue = tempfile.mkstemp(prefix="amtoolkit-run-", suffix=".csv")
            os.close(fd)
            history.to_csv(rescue)
            fail(f"{err}; the {len(history.frame)} rows were written to {rescue} instead")
            code = code or 1
    return code
