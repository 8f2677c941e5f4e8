"""Verdict rules: measurements (a dict from a check function) → a verdict and why.

Four verdicts: ``holds``, ``holds with conditions``, ``does not hold``, ``not testable here``.
Each rule is a pure function ``rule(measured, **args) -> (verdict, reason)``, named in the
ledger (``rule = "agree"``, ``rule_args = {tol = 1e-10}``) and registered in :data:`RULES`.
A check that could not run (e.g. a data folder is missing) reports ``{"skipped": why}``;
every rule then answers ``not testable here`` with that reason.
"""

from __future__ import annotations

import math
from typing import Any, Callable

HOLDS = "holds"
CONDITIONS = "holds with conditions"
FAILS = "does not hold"
UNTESTABLE = "not testable here"
VERDICTS = (HOLDS, CONDITIONS, FAILS, UNTESTABLE)

Rule = Callable[..., tuple[str, str]]
RULES: dict[str, Rule] = {}

__all__ = ["HOLDS", "CONDITIONS", "FAILS", "UNTESTABLE", "VERDICTS", "RULES", "rule", "apply_rule"]


def rule(fn: Rule) -> Rule:
    """Register ``fn`` under its name."""
    RULES[fn.__name__] = fn
    return fn


def _num(measured: dict, key: str) -> float:
    if key not in measured:
        raise KeyError(f"the measurements lack {key!r} (have {sorted(measured)})")
    return float(measured[key])


@rule
def agree(measured: dict, tol: float, key: str = "max_error", condition: str = "") -> tuple[str, str]:
    """``holds`` when ``measured[key] ≤ tol`` (two computations of the same thing agree),
    ``holds with conditions`` instead when ``condition`` names the conditions under which
    the agreement was shown; ``does not hold`` otherwise."""
    err = _num(measured, key)
    if math.isfinite(err) and err <= tol:
        if condition:
            return CONDITIONS, f"{key} = {err:.2e} ≤ {tol:g}, {condition}"
        return HOLDS, f"{key} = {err:.2e} ≤ {tol:g}"
    return FAILS, f"{key} = {err:.2e} > {tol:g}"


@rule
def printed_vs_verified(measured: dict, tol: float) -> tuple[str, str]:
    """For a formula as printed against a solver: ``holds`` when the printed form agrees
    (``printed_error ≤ tol``); ``does not hold`` when it does not (the reason says whether
    the verified form, ``verified_error``, agrees instead)."""
    p, v = _num(measured, "printed_error"), _num(measured, "verified_error")
    if p <= tol:
        return HOLDS, f"printed form agrees ({p:.1e} ≤ {tol:g})"
    fix = f"the corrected form agrees ({v:.1e})" if v <= tol else f"neither form agrees ({v:.1e})"
    return FAILS, f"printed form is off by {p:.2e} > {tol:g}; {fix}"


@rule
def bound(measured: dict, key: str = "min_slack", condition: str = "") -> tuple[str, str]:
    """A bound against runs: ``holds`` (or ``holds with conditions`` when ``condition`` is
    given) when the smallest slack ``bound - measured`` is ≥ 0, else ``does not hold``."""
    s = _num(measured, key)
    if s >= 0:
        return (CONDITIONS, f"{key} = {s:.3g} ≥ 0, {condition}") if condition else (HOLDS, f"{key} = {s:.3g} ≥ 0")
    return FAILS, f"{key} = {s:.3g} < 0: the measured value exceeds the bound"


@rule
def comparison(measured: dict, what: str = "AM-MGD") -> tuple[str, str]:
    """Outcomes of a comparison over problems (``win``/``par``/``loss``/``tie`` counts and
    ``losses``, the problems lost): ``holds`` when every problem is a win or a tie and
    there is at least one win; ``holds with conditions`` when there are wins and no losses,
    or more wins than losses (the reason lists the losses); ``does not hold`` otherwise
    (in particular with no win: ties at round-off do not show one method ahead)."""
    w, p, lo, t = (int(measured.get(k, 0)) for k in ("win", "par", "loss", "tie"))
    n = w + p + lo + t
    if n == 0:
        return UNTESTABLE, "no problem was measured"
    text = f"{what} wins {w}/{n}, par {p}, loses {lo}, ties {t}"
    lost = measured.get("losses") or []
    if lost:
        text += "; loses on " + ", ".join(lost[:8]) + (f" and {len(lost) - 8} more" if len(lost) > 8 else "")
    if w == 0:
        return FAILS, text + ("" if lo else " (no win)")
    if w + t == n:
        return HOLDS, text
    if w > 0 and (lo == 0 or w > lo):
        return CONDITIONS, text
    return FAILS, text


@rule
def families(measured: dict) -> tuple[str, str]:
    """Per-family verdicts (``families``: name → verdict from :func:`comparison`):
    ``holds`` when the claim holds in every family, ``does not hold`` when it holds
    (with or without conditions) in none, else ``holds with conditions`` naming where it
    fails."""
    fams: dict[str, str] = measured["families"]
    if not fams:
        return UNTESTABLE, "no family was measured"
    good = [f for f, v in fams.items() if v == HOLDS]
    partial = [f for f, v in fams.items() if v == CONDITIONS]
    bad = [f for f, v in fams.items() if v == FAILS]
    text = (f"holds on {', '.join(good) or 'none'}; with conditions on {', '.join(partial) or 'none'}; "
            f"fails on {', '.join(bad) or 'none'}")
    if len(good) == len(fams):
        return HOLDS, text
    if not good and not partial:
        return FAILS, text
    return CONDITIONS, text


@rule
def share(measured: dict, at_least: float, key: str = "share", condition: str = "") -> tuple[str, str]:
    """A share in [0, 1] (of problems, steps, ...): ``holds`` when ≥ ``at_least``,
    ``holds with conditions`` when > 0 (or when ``condition`` is given and it is ≥ at_least),
    ``does not hold`` at 0."""
    s = _num(measured, key)
    if s >= at_least:
        return (CONDITIONS, f"{key} = {s:.3g} ≥ {at_least:g}, {condition}") if condition else \
            (HOLDS, f"{key} = {s:.3g} ≥ {at_least:g}")
    if s > 0:
        return CONDITIONS, f"{key} = {s:.3g}, below {at_least:g}"
    return FAILS, f"{key} = 0"


@rule
def at_most(measured: dict, key: str, limit: float, loose: float | None = None) -> tuple[str, str]:
    """``holds`` when ``measured[key] ≤ limit``, ``holds with conditions`` when ≤ ``loose``,
    ``does not hold`` otherwise."""
    v = _num(measured, key)
    if v <= limit:
        return HOLDS, f"{key} = {v:.3g} ≤ {limit:g}"
    if loose is not None and v <= loose:
        return CONDITIONS, f"{key} = {v:.3g} in ({limit:g}, {loose:g}]"
    return FAILS, f"{key} = {v:.3g} > {loose if loose is not None else limit:g}"


@rule
def not_testable(measured: dict, reason: str) -> tuple[str, str]:
    """Always ``not testable here``, with ``reason``."""
    return UNTESTABLE, reason


#: outcome of a small-scale record (amtoolkit.reproduce.deep.claim_records) → verdict; "partly"
#: gives this only when no part fails (the other parts have no verdict), else "does not hold"
SMALL_SCALE = {"holds": CONDITIONS, "holds-one-seed": CONDITIONS, "partly": CONDITIONS, "fails": FAILS,
               "none": UNTESTABLE}


@rule
def stored(measured: dict, reason: str) -> tuple[str, str]:
    """Claims of the deep-learning experiments, from the stored result the check found.

    A small-scale record of ``amtoolkit reproduce deep`` (``outcome``): a claim made at
    CIFAR/ImageNet/LLaMA scale is never plain ``holds`` here. ``holds`` (the claimed sign
    in every seed of every part) and ``holds-one-seed`` give ``holds with conditions``, the
    condition being the scale; ``partly`` gives ``holds with conditions`` only when no part
    fails (the parts that do not hold have no verdict, e.g. one seed), and ``does not
    hold`` ("at this scale", naming the failing parts) when some part fails: a claim whose
    parts are contradicted is not reported as holding; ``fails`` gives ``does not hold``;
    ``none`` (no part has a verdict) gives ``not testable here``. The reason names the scale,
    "quick scale" for a ``--quick`` record, and the parts that do not hold (the check's
    summary names the command). Without a current stored record (the check's ``why``), or
    for a record without ``outcome``: ``not testable here`` with ``reason``.
    """
    s = measured.get("stored")
    if not s:
        return UNTESTABLE, reason + (f" ({measured['why']})" if measured.get("why") else "")
    if "outcome" not in s:
        return UNTESTABLE, f"{reason} (the stored result has no small-scale outcome)"
    if s["outcome"] not in SMALL_SCALE:
        return UNTESTABLE, f"{reason} (the stored outcome {s['outcome']!r} is not one of {sorted(SMALL_SCALE)})"
    parts = s.get("parts") or []
    tier = s.get("tier")
    where = s.get("scale", "scale not given") + {"quick": "; quick scale (a `reproduce deep --quick` record)",
                                                 "custom": "; custom scale (not the quick or full sizes)"}.get(tier, "")
    failing = [p.get("claim", "?") + ": " + str(p.get("verdict", "")) for p in parts if p.get("outcome") == "fails"]
    verdict = SMALL_SCALE[s["outcome"]]
    if s["outcome"] == "partly" and failing:
        verdict = FAILS
        text = (f"does not hold at this scale: {len(failing)} of {len(parts)} parts fail, "
                f"{sum(p.get('outcome') == 'holds' for p in parts)} hold ({where})")
    else:
        text = f"{s.get('verdict', s['outcome'])} ({where})"
    open_ = [p.get("claim", "?") + ": " + str(p.get("verdict", "")) for p in parts if p.get("outcome") != "holds"]
    if s["outcome"] in ("partly", "fails", "none") and open_:
        text += "; not holding: " + "; ".join(open_[:4]) + (f"; and {len(open_) - 4} more" if len(open_) > 4 else "")
    return verdict, text


def apply_rule(name: str, measured: dict[str, Any], args: dict[str, Any] | None = None) -> tuple[str, str]:
    """The verdict of rule ``name`` on ``measured``. A check that reported ``skipped`` is
    ``not testable here`` whatever the rule."""
    if name not in RULES:
        raise KeyError(f"unknown verdict rule {name!r}; known: {sorted(RULES)}")
    if measured.get("skipped"):
        return UNTESTABLE, f"check skipped: {measured['skipped']}"
    verdict, reason = RULES[name](measured, **(args or {}))
    if verdict not in VERDICTS:  # pragma: no cover - a rule bug
        raise ValueError(f"rule {name!r} returned {verdict!r}, not one of {VERDICTS}")
    return verdict, reason
