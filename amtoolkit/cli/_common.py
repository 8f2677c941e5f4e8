"""What the command groups share: the error line and the parsing of NAME=VALUE options."""

from __future__ import annotations

import sys
from typing import Sequence

import numpy as np


def fail(err: BaseException | str, code: int = 2) -> int:
    """Print ``amtoolkit: error: ...`` on stderr and return the exit code (2: bad input)."""
    print(f"amtoolkit: error: {err}", file=sys.stderr)
    return code


def parse_value(text: str):
    """``0.5`` → float; ``0.1,0.5`` → array (a batched sweep); ``true``/``false``;
    ``a:b`` → tuple (e.g. ``betas=0.9:0.999``); anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    if ":" in text:
        return tuple(parse_value(p) for p in text.split(":"))
    parts = text.split(",")
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        return text
    return vals[0] if len(vals) == 1 else np.asarray(vals)


def parse_hyper(items: Sequence[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip().replace("-", "_")
        if key in out:
            raise ValueError(f"--set {key} is given twice")
        out[key] = parse_value(value)
    return out
