"""Read and validate the claims ledger (``amtoolkit/claims/ledger.toml``, packaged data)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 (tomli is a dependency there)
    import tomli as tomllib

__all__ = ["Claim", "FIELDS", "KINDS", "load_ledger", "papers"]

FIELDS = ("id", "paper", "source", "claim", "kind", "check", "scale", "cannot_show", "rule")
OPTIONAL = ("args", "rule_args")
KINDS = ("math", "theorem", "experiment", "cost")


@dataclass(frozen=True)
class Claim:
    """One ledger entry (the fields are described at the top of ledger.toml)."""

    id: str
    paper: str
    source: str
    claim: str
    kind: str
    check: str
    scale: str
    cannot_show: str
    rule: str
    args: dict[str, Any] = field(default_factory=dict)
    rule_args: dict[str, Any] = field(default_factory=dict)

    @property
    def command(self) -> str:
        """The command that checks this claim alone (at the full tier)."""
        return f"amtoolkit claims --tier full --only {self.id}"


def _read(path: str | Path | None) -> dict:
    if path is None:
        text = resources.files("amtoolkit.claims").joinpath("ledger.toml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return tomllib.loads(text)


def papers(path: str | Path | None = None) -> dict[str, str]:
    """The ``[papers]`` table: key → full reference."""
    return dict(_read(path).get("papers", {}))


def load_ledger(path: str | Path | None = None) -> list[Claim]:
    """The ledger's claims, in file order, validated: every field present and a non-empty
    string, ids unique, ``kind`` one of :data:`KINDS`, ``paper`` a key of ``[papers]``,
    ``check`` a registered check and ``rule`` a registered verdict rule.

    Parameters
    ----------
    path : str or Path, optional
        Another ledger file (default: the packaged ``ledger.toml``).

    Raises
    ------
    ValueError
        Naming the entry and the field that is missing or wrong.
    """
    from .checks import CHECKS
    from .verdicts import RULES

    data = _read(path)
    refs = data.get("papers", {})
    out, seen = [], set()
    for i, entry in enumerate(data.get("claim", [])):
        where = f"ledger entry {i} ({entry.get('id', '?')!r})"
        unknown = set(entry) - set(FIELDS) - set(OPTIONAL)
        if unknown:
            raise ValueError(f"{where}: unknown fields {sorted(unknown)}; allowed: {FIELDS + OPTIONAL}")
        for f in FIELDS:
            if not isinstance(entry.get(f), str) or not entry[f].strip():
                raise ValueError(f"{where}: field {f!r} must be a non-empty string, got {entry.get(f)!r}")
        for f in OPTIONAL:
            if not isinstance(entry.get(f, {}), dict):
                raise ValueError(f"{where}: field {f!r} must be a table, got {entry[f]!r}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: duplicate id {entry['id']!r}")
        seen.add(entry["id"])
        if entry["kind"] not in KINDS:
            raise ValueError(f"{where}: kind must be one of {KINDS}, got {entry['kind']!r}")
        if entry["paper"] not in refs:
            raise ValueError(f"{where}: paper must be one of {sorted(refs)}, got {entry['paper']!r}")
        if entry["check"] not in CHECKS:
            raise ValueError(f"{where}: unknown check {entry['check']!r}; known: {sorted(CHECKS)}")
        if entry["rule"] not in RULES:
            raise ValueError(f"{where}: unknown rule {entry['rule']!r}; known: {sorted(RULES)}")
        out.append(Claim(**{k: entry[k] for k in FIELDS}, args=dict(entry.get("args", {})),
                         rule_args=dict(entry.get("rule_args", {}))))
    if not out:
        raise ValueError("the ledger holds no [[claim]] entry")
    return out
