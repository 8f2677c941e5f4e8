"""``amtoolkit claims``: every claim of both papers, its check and its verdict
(:mod:`amtoolkit.claims`), written to docs/claims.md and docs/claims.json."""

from __future__ import annotations


def register(sub) -> None:
    from ..claims.command import HELP, _add_arguments

    p = sub.add_parser("claims", help=HELP)
    _add_arguments(p)
    p.set_defaults(func=cmd_claims)


def cmd_claims(args) -> int:
    from ..claims.command import run_command

    return run_command(args)
