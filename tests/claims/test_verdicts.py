"""Verdict rules on constructed measurements."""

import pytest

from amtoolkit.claims.verdicts import CONDITIONS, FAILS, HOLDS, UNTESTABLE, apply_rule


def test_agree():
    assert apply_rule("agree", {"max_error": 1e-13}, {"tol": 1e-12})[0] == HOLDS
    assert apply_rule("agree", {"max_error": 1e-11}, {"tol": 1e-12})[0] == FAILS
    assert apply_rule("agree", {"max_error": float("nan")}, {"tol": 1e-12})[0] == FAILS
    v, why = apply_rule("agree", {"max_error": 0.0}, {"tol": 1e-12, "condition": "for λ = 0"})
    assert v == CONDITIONS and "for λ = 0" in why
    with pytest.raises(KeyError, match="max_error"):
        apply_rule("agree", {"other": 1.0}, {"tol": 1.0})


def test_printed_vs_verified():
    assert apply_rule("printed_vs_verified", {"printed_error": 1e-9, "verified_error": 1e-9}, {"tol": 1e-6})[0] == HOLDS
    v, why = apply_rule("printed_vs_verified", {"printed_error": 0.3, "verified_error": 1e-9}, {"tol": 1e-6})
    assert v == FAILS and "corrected form agrees" in why
    v, why = apply_rule("printed_vs_verified", {"printed_error": 0.3, "verified_error": 0.2}, {"tol": 1e-6})
    assert v == FAILS and "neither" in why


def test_bound():
    assert apply_rule("bound", {"min_slack": 0.0})[0] == HOLDS
    assert apply_rule("bound", {"min_slack": -1e-3})[0] == FAILS
    assert apply_rule("bound", {"s": 2.0}, {"key": "s", "condition": "on runs"})[0] == CONDITIONS


@pytest.mark.parametrize("counts, verdict", [
    ({"win": 5, "tie": 1}, HOLDS),
    ({"win": 3, "par": 2}, CONDITIONS),
    ({"win": 3, "loss": 2, "losses": ["a", "b"]}, CONDITIONS),
    ({"win": 2, "loss": 2}, FAILS),
    ({"win": 0, "par": 4}, FAILS),
    ({"loss": 1}, FAILS),
    ({"tie": 3}, FAILS),
    ({}, UNTESTABLE),
])
def test_comparison(counts, verdict):
    assert apply_rule("comparison", counts)[0] == verdict


def test_comparison_names_the_losses():
    _, why = apply_rule("comparison", {"win": 3, "loss": 1, "losses": ["wine (raw) reg 0.001"]})
    assert "loses on wine (raw) reg 0.001" in why and "wins 3/4" in why


def test_families():
    assert apply_rule("families", {"families": {"a": HOLDS, "b": HOLDS}})[0] == HOLDS
    v, why = apply_rule("families", {"families": {"a": HOLDS, "b": FAILS}})
    assert v == CONDITIONS and "fails on b" in why and "holds on a" in why
    assert apply_rule("families", {"families": {"a": FAILS, "b": FAILS}})[0] == FAILS
    assert apply_rule("families", {"families": {"a": CONDITIONS}})[0] == CONDITIONS


def test_share_and_at_most():
    assert apply_rule("share", {"share": 1.0}, {"at_least": 1.0})[0] == HOLDS
    assert apply_rule("share", {"share": 0.4}, {"at_least": 1.0})[0] == CONDITIONS
    assert apply_rule("share", {"share": 0.0}, {"at_least": 1.0})[0] == FAILS
    assert apply_rule("at_most", {"r": 1.05}, {"key": "r", "limit": 1.1, "loose": 1.5})[0] == HOLDS
    assert apply_rule("at_most", {"r": 1.3}, {"key": "r", "limit": 1.1, "loose": 1.5})[0] == CONDITIONS
    assert apply_rule("at_most", {"r": 2.0}, {"key": "r", "limit": 1.1, "loose": 1.5})[0] == FAILS


def test_not_testable_stored_and_skipped():
    assert apply_rule("not_testable", {}, {"reason": "GPU"}) == (UNTESTABLE, "GPU")
    v, why = apply_rule("stored", {"why": "no file"}, {"reason": "needs deep"})
    assert v == UNTESTABLE and "needs deep" in why and "no file" in why
    # bare comparison counts (no outcome, no scale) are not a verdict (review finding 4: they gave plain holds)
    v, why = apply_rule("stored", {"stored": {"win": 2, "loss": 0}}, {"reason": "r"})
    assert v == UNTESTABLE and why == "r (the stored result has no small-scale outcome)"
    v, why = apply_rule("agree", {"skipped": "cvxpy missing"}, {"tol": 1.0})
    assert v == UNTESTABLE and "cvxpy missing" in why
    with pytest.raises(KeyError, match="unknown verdict rule"):
        apply_rule("nope", {})


def test_stored_small_scale_outcomes():
    """The outcomes of `reproduce deep`'s records: never plain holds; one seed says so."""
    def rec(outcome, parts):
        return {"stored": {"outcome": outcome, "verdict": f"v-{outcome}", "scale": "CPU, digits", "parts": parts,
                           "command": "amtoolkit reproduce deep"}}

    one = [{"claim": "λ pins β_t", "verdict": "seen (one seed)", "outcome": "holds", "seeds": 1}]
    none = [{"claim": "lr 0.01", "verdict": "one seed: no verdict (tie)", "outcome": "none", "seeds": 1}]
    assert apply_rule("stored", rec("holds-one-seed", one), {"reason": "r"}) == (
        CONDITIONS, "v-holds-one-seed (CPU, digits)")
    v, why = apply_rule("stored", rec("none", none), {"reason": "r"})
    assert v == UNTESTABLE and "lr 0.01: one seed: no verdict (tie)" in why
    many = [{"claim": f"c{i}", "verdict": "reversed", "outcome": "fails", "seeds": 2} for i in range(6)]
    v, why = apply_rule("stored", rec("fails", many), {"reason": "r"})
    assert v == FAILS and "c3: reversed" in why and "c4" not in why and "and 2 more" in why
    assert apply_rule("stored", rec("bogus", []), {"reason": "r"})[0] == UNTESTABLE
