"""The claims ledger: every claim of the AM and RLLC papers, its check and its verdict.

``amtoolkit claims [--tier quick|full] [--only ID ...] [--out DIR]`` runs the checks named in
``ledger.toml`` (packaged with amtoolkit), applies each entry's verdict rule and writes
``claims.md`` and ``claims.json``. The modules:

* :mod:`.ledger`   reads and validates the ledger (:func:`load_ledger`);
* :mod:`.checks`   the check functions, by name;
* :mod:`.verdicts` the verdict rules, by name;
* :mod:`.convex`   the convex claim under the paper's protocol and under fair baselines,
  and its transfer to other data;
* :mod:`.deepcode` the code fingerprint of the deep-learning claim records;
* :mod:`.runner`   runs the ledger and writes the report (:func:`run_claims`);
* :mod:`.command`  the ``claims`` subcommand (``register(subparsers)``, ``main(argv)``).

Submodules are imported on first use, so ``import amtoolkit.claims`` is cheap.
"""

from __future__ import annotations

import importlib

__all__ = ["load_ledger", "run_claims", "Claim", "VERDICTS"]

_LAZY = {"load_ledger": "ledger", "Claim": "ledger", "run_claims": "runner", "VERDICTS": "verdicts"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
