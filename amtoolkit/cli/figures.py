"""``amtoolkit figures``: every paper figure of figures/, through :func:`amtoolkit.figures.build`."""

from __future__ import annotations

import argparse
import sys

from ._common import fail


def register(sub) -> None:
    from ..figures.figureset import DEFAULT_RESULTS, FIGURES

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

    from ..figures import FiguresFailed, build

    t0 = time.perf_counter()
    try:
        written = build(args.only, out=args.out, results=args.results)
    except (ValueError, TypeError) as err:
        return fail(err)
    except FiguresFailed as err:  # the others were drawn
        print(f"{len(err.written)} figure(s) in {args.out}/; amtoolkit: error: {err}", file=sys.stderr)
        return 1
    print(f"{len(written)} figure(s) in {args.out}/ ({time.perf_counter() - t0:.1f} s)")
    return 0
