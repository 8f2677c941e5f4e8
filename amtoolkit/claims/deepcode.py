"""The code fingerprint of the deep-learning claim records (``<results>/deep/<key>.json``).

``amtoolkit reproduce deep`` writes :func:`deep_fingerprint` into each claim record
(:func:`amtoolkit.reproduce.deep.claim_records`) and the check ``stored_result``
(:mod:`amtoolkit.claims.checks`) uses a record only when its fingerprint is the current
code's: a record made by other training code is not reported as a verdict of this code.

The fingerprint covers the code that determines a job's numbers and its verdicts
(:data:`DEEP_FINGERPRINTED`: the deep jobs and protocols, the torch optimizers and models,
the image and text loaders),
with docstrings and comments left out (as :func:`amtoolkit.claims.convex.fingerprint`), so
an edit of the documentation does not make a record stale. It is not part of a job's store
key: stored jobs stay valid across such edits, and a changed training loop is caught here
(and by :data:`amtoolkit.reproduce.deep.FORMAT` for the jobs).

This module imports neither torch nor the deep package: it reads their source files
(with the docstring-stripping reader of :mod:`amtoolkit.claims.convex`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .convex import _code_only

__all__ = ["DEEP_FINGERPRINTED", "deep_fingerprint"]

#: the modules (relative to the amtoolkit package) whose code decides a deep claim record's numbers
DEEP_FINGERPRINTED = ("reproduce/deep/jobs.py", "reproduce/deep/protocols.py", "torch/_am.py", "torch/_ops.py",
                      "torch/_rllc.py", "torch/_checks.py", "torch/models.py", "datasets/images.py",
                      "datasets/text.py")


def deep_fingerprint() -> str:
    """16 hex digits of the sha256 of the code of :data:`DEEP_FINGERPRINTED` (each module's
    path and its syntax tree without docstrings).

    Returns
    -------
    str
        The fingerprint of the current code; a claim record is current when its
        ``fingerprint`` equals it.
    """
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for entry in DEEP_FINGERPRINTED:
        h.update(entry.encode())
        h.update(_code_only((root / entry).read_text(encoding="utf-8")).encode())
    return h.hexdigest()[:16]
