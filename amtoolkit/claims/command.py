"""``amtoolkit claims``: run the claims ledger and write docs/claims.md and docs/claims.json.

Wire it into the CLI with ``register(subparsers)`` (adds the ``claims`` subcommand and sets
``func``); ``main(argv)`` runs it standalone.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

__all__ = ["register", "main", "run_command"]

HELP = "check every claim of the AM and RLLC papers and write claims.md / claims.json"


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tier", choices=("quick", "full"), default="quick",
                   help="quick: seconds per check, small problems (CI); full: the convex study on the 11 "
                        "LIBSVM sets (AMTOOLKIT_DATA) and the transfer families (tens of CPU-minutes)")
    p.add_argument("--only", nargs="+", metavar="ID", default=None, help="run only these claim ids")
    p.add_argument("--out", default="docs", metavar="DIR",
                   help="folder of claims.md and claims.json (default: docs)")
    p.add_argument("--results", default=None, metavar="DIR",
                   help="folder of stored results (convex study, deep/): default --out")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for the convex study (default 1)")
    p.add_argument("--list", action="store_true", help="list the claim ids and exit")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed ``claims`` command; 0 when every check ran, 1 when one failed."""
    from .ledger import load_ledger
    from .runner import run_claims

    if args.list:
        for c in load_ledger():
            print(f"{c.id}\t{c.kind}\t{c.paper} {c.source}")
        return 0
    if args.jobs < 1:
        print(f"error: --jobs must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2
    data = os.environ.get("AMTOOLKIT_DATA")
    if data and os.path.isabs(data):  # written relative to the working folder, as the docs do
        data = os.path.relpath(data)
    parts = ([f"AMTOOLKIT_DATA={data}"] if data and args.tier == "full" else []) \
        + ["amtoolkit claims", "--tier", args.tier] + (["--only", *args.only] if args.only else []) \
        + ["--out", str(args.out)] + (["--jobs", str(args.jobs)] if args.jobs > 1 else [])
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        results = run_claims(tier=args.tier, only=args.only, out=args.out, results=args.results,
                             jobs=args.jobs, command=" ".join(parts), log=log)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    width = max(len(r["id"]) for r in results)
    for r in results:
        print(f"{r['id']:<{width}}  {r['verdict']:<22}  {r['summary']}")
    print(f"wrote {args.out}/claims.md and {args.out}/claims.json")
    failed = [r["id"] for r in results if r["error"]]
    if failed:
        print(f"error: checks failed for {failed}", file=sys.stderr)
        return 1
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``claims`` subcommand to an ``argparse`` subparsers object; sets ``func``."""
    p = subparsers.add_parser("claims", help=HELP, description=HELP)
    _add_arguments(p)
    p.set_defaults(func=run_command)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``amtoolkit claims`` as a standalone program: ``main(["--tier", "quick"])``."""
    parser = argparse.ArgumentParser(prog="amtoolkit claims", description=HELP)
    _add_arguments(parser)
    return run_command(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
