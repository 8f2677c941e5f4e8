"""Command line: ``amtoolkit COMMAND ...`` (also ``python -m amtoolkit``).

One module per command group, each with ``register(subparsers)``, which adds its
subcommands and binds each to its ``cmd_<name>(args) -> int`` with ``set_defaults(func=...)``:

* :mod:`.run`: ``run``, ``list``;
* :mod:`.reproduce`: ``demo``, ``reproduce``;
* :mod:`.theory`: ``rate``;
* :mod:`.figures`: ``figures``;
* :mod:`.sweeps`: ``sweep``, ``results``, ``fetch``;
* :mod:`.claims`: ``claims``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from . import claims, figures, reproduce, run, sweeps, theory
from .run import build_problem

__all__ = ["main", "make_parser", "build_problem", "COMMAND_GROUPS"]

#: the command groups, in the order of ``amtoolkit --help``
COMMAND_GROUPS = (run, reproduce, theory, figures, sweeps, claims)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amtoolkit", description="Adaptive-memory momentum toolkit: run optimizers on "
        "quadratics and LIBSVM logistic regression.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")  # the commands write figure files, never show them
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:  # outside a run's loop (a run returns its rows itself)
        print("amtoolkit: interrupted", file=sys.stderr)
        return 130
