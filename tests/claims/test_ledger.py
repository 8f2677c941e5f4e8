"""The ledger is complete and every check runs at the quick tier; the report covers it."""

import json
from pathlib import Path
import re

import pytest

from amtoolkit.claims import checks, verdicts
from amtoolkit.claims.command import main, register
from amtoolkit.claims.ledger import FIELDS, KINDS, load_ledger, papers
from amtoolkit.claims.runner import run_claims

@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick-tier run of the whole ledger (shared by the tests of this module)."""
    out = tmp_path_factory.mktemp("claims")
    return out, run_claims("quick", out=out)


def test_every_entry_has_every_field_and_ids_are_unique():
    claims = load_ledger()
    assert len(claims) >= 40
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids))
    refs = papers()
    for c in claims:
        for f in FIELDS:
            assert isinstance(getattr(c, f), str) and getattr(c, f).strip(), (c.id, f)
        assert c.kind in KINDS and c.paper in refs
        assert c.check in checks.CHECKS and c.rule in verdicts.RULES
        assert re.fullmatch(r"(am|rllc)-[a-z0-9.\-]+", c.id), c.id
        assert c.id.startswith(c.paper.lower() + "-")


def test_the_ledger_covers_the_parts_of_both_papers():
    """Every part of the papers named in issue 20 has at least one entry (by its source)."""
    claims = load_ledger()
    am = " ".join(c.source for c in claims if c.paper == "AM")
    for part in ["Abstract", "Sec. 3.1", "Sec. 3.2", "Sec. 3.3", "Sec. 3.4", "Algorithm 1", "Theorem 3.3",
                 "Theorem 3.4", "Sec. 4.1", "Sec. 4.2", "Sec. 4.3", "Sec. 4.4", "Sec. 4.5", "Table 6",
                 "Sec. 4.6", "Figure 1", "Figure 3", "Figure 5", "Figure 7", "Eq. 10", "Eq. 12", "Eq. 14"]:
        assert part in am, part
    rllc = {c.id for c in claims if c.paper == "RLLC"}
    for cid in ["rllc-special-case-sgd", "rllc-special-case-momentum", "rllc-special-case-nag",
                "rllc-lemma-3.8-orthogonal", "rllc-real-jordan-form", "rllc-abstract-outperforms"]:
        assert cid in rllc
    kinds = {c.kind for c in claims}
    assert kinds == set(KINDS)


def test_bad_ledgers_are_refused(tmp_path):
    good = ('[papers]\nAM = "x"\n[[claim]]\nid = "am-a"\npaper = "AM"\nsource = "s"\nclaim = "c"\n'
            'kind = "math"\ncheck = "am_first_step"\nscale = "s"\ncannot_show = "-"\nrule = "agree"\n')
    p = tmp_path / "l.toml"
    p.write_text(good)
    assert load_ledger(p)[0].id == "am-a"
    for old, new, match in [('kind = "math"', 'kind = "maths"', "kind must be one of"),
                            ('check = "am_first_step"', 'check = "nope"', "unknown check 'nope'"),
                            ('rule = "agree"', 'rule = "nope"', "unknown rule 'nope'"),
                            ('paper = "AM"', 'paper = "XX"', "paper must be one of"),
                            ('claim = "c"\n', '', "field 'claim' must be a non-empty string")]:
        p.write_text(good.replace(old, new))
        with pytest.raises(ValueError, match=match):
            load_ledger(p)
    p.write_text(good + good.split("[[claim]]\n")[0].replace('[papers]\nAM = "x"\n', "") + "[[claim]]\n"
                 + good.split("[[claim]]\n")[1])
    with pytest.raises(ValueError, match="duplicate id 'am-a'"):
        load_ledger(p)


def test_every_check_runs_at_the_quick_tier(quick):
    out, results = quick
    assert [r["id"] for r in results] == [c.id for c in load_ledger()]
    errors = {r["id"]: r["error"] for r in results if r["error"]}
    assert not errors, errors
    for r in results:
        assert r["verdict"] in verdicts.VERDICTS
        if r["check"] not in ("none", "stored_result"):
            assert r["summary"], r["id"]
    # claims checked exactly (math) must hold at any tier
    by_id = {r["id"]: r for r in results}
    for cid in ["rllc-special-case-sgd", "rllc-special-case-momentum", "rllc-special-case-nag",
                "rllc-lemma-3.8-orthogonal", "rllc-real-jordan-form", "rllc-complex-momentum",
                "am-eq11-13-closed-form", "am-sec3.3-reduces", "am-alg1-first-step", "am-sec3.4-first-order"]:
        assert by_id[cid]["verdict"] == verdicts.HOLDS, (cid, by_id[cid]["reason"])
    for cid in ["am-eq10-printed", "am-sec3.3-amadamw-sign", "am-sec3.5-thm-3.4"]:
        assert by_id[cid]["verdict"] == verdicts.FAILS, (cid, by_id[cid]["reason"])
    assert by_id["am-sec4.3-llm"]["verdict"] == verdicts.UNTESTABLE


def test_the_report_covers_every_claim(quick):
    out, results = quick
    md = (out / "claims.md").read_text()
    data = json.loads((out / "claims.json").read_text())
    assert "amtoolkit claims --tier quick" in md
    for r in results:
        assert f"| {r['id']} |" in md
    assert [c["id"] for c in data["claims"]] == [r["id"] for r in results]
    assert sum(data["counts"].values()) == len(results)
    assert "## The convex claim under both protocols" in md
    assert len(data["convex"]) == 4  # the quick tier's four problems


def test_stored_study_is_reused_only_when_current(quick, tmp_path):
    out, _ = quick
    meta = json.loads((out / "claims.convex-quick.json").read_text())
    assert len(meta["table"]) == 4
    ctx = checks.Context(tier="quick", results=out)
    stored = ctx._stored_study(meta["n_grid"], meta["fingerprint"])
    fresh = checks.Context(tier="quick")
    fresh.cache["study"] = stored
    assert stored.shape == (4, len(meta["table"][0]))
    assert stored["fair beta GD"].dtype == float and stored["reg"].isna().sum() == 1  # the quadratic
    assert checks.convex_claim(fresh, protocol="fair")["family"] == "scikit-learn standardised"
    assert ctx._stored_study(meta["n_grid"], "0" * 16) is None
    assert ctx._stored_study(meta["n_grid"] + 1, meta["fingerprint"]) is None


def test_count_records_without_outcome_are_not_used(tmp_path):
    """Review finding 4: a JSON of bare comparison counts (no ``outcome``, no format, no scale)
    once gave plain "holds" for an ImageNet-scale claim; it is now refused, saying why."""
    import amtoolkit

    (tmp_path / "deep").mkdir()
    ctx = checks.Context(tier="quick", results=tmp_path)
    assert "no stored result" in checks.stored_result(ctx, key="k")["why"]
    for rec in ({"amtoolkit": amtoolkit.__version__, "win": 1, "par": 0, "loss": 0, "tie": 0},
                {"amtoolkit": amtoolkit.__version__, "what": "AM-MSGD", "win": 3, "par": 1, "loss": 0, "tie": 0,
                 "losses": [], "command": "amtoolkit reproduce deep", "format": 3, "key": "k"}):
        (tmp_path / "deep" / "k.json").write_text(json.dumps(rec))
        m = checks.stored_result(ctx, key="k")
        assert "stored" not in m and "no 'outcome'" in m["why"]
        v, why = verdicts.apply_rule("stored", m, {"reason": "r"})
        assert v == verdicts.UNTESTABLE and why.startswith("r (")
    # the rule itself never turns counts into a verdict either
    assert verdicts.apply_rule("stored", {"stored": {"win": 5}}, {"reason": "r"})[0] == verdicts.UNTESTABLE


def test_command_register_only_and_errors(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd")
    register(sub)
    args = parser.parse_args(["claims", "--tier", "quick", "--only", "rllc-special-case-nag", "--out",
                              str(tmp_path), "--quiet"])
    assert args.func(args) == 0
    assert "rllc-special-case-nag" in capsys.readouterr().out
    data = json.loads((tmp_path / "claims.json").read_text())
    assert [c["id"] for c in data["claims"]] == ["rllc-special-case-nag"]
    assert data["claims"][0]["verdict"] == "holds"
    assert main(["--only", "no-such-claim", "--out", str(tmp_path), "--quiet"]) == 2
    assert "unknown claim id" in capsys.readouterr().err
    assert main(["--list"]) == 0
    assert "am-sec4.1-convex-fair" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--tier", "medium"])


def _small_scale_record(key, outcome, parts=None, **kw):
    import amtoolkit
    from amtoolkit.claims.deepcode import deep_fingerprint

    hold = {"claim": "digits: AM beats the baseline", "verdict": "holds at this scale (3/3 seeds)",
            "outcome": "holds", "evidence": "AM − baseline", "seeds": 3,
            "paired": {"n": 3, "mean": 0.02, "min": 0.01, "max": 0.03, "lo": 0.0, "hi": 0.04,
                       "differences": [0.01, 0.02, 0.03]}}
    fail = {"claim": "fashion: AM beats the baseline", "verdict": "reversed at this scale (3/3 seeds against)",
            "outcome": "fails", "evidence": "AM − baseline", "seeds": 3, "paired": None}
    if parts is None:
        parts = [hold] if outcome == "holds" else [hold, fail]
    else:
        parts = [{"holds": hold, "fails": fail}.get(o, {**hold, "claim": f"part {i}", "outcome": o,
                                                         "verdict": "one seed"}) | {"claim": f"part {i}"}
                 for i, o in enumerate(parts)]
    return {"format": 3, "key": key, "amtoolkit": amtoolkit.__version__, "fingerprint": deep_fingerprint(),
            "tier": "full", "outcome": outcome,
            "verdict": {"holds": "holds at small scale", "fails": "does not hold at this scale",
                        "partly": f"holds only in part at small scale (1 of {len(parts)} parts)"}[outcome],
            "seeds": 3, "scale": "CPU, full scale: digits CNN 600 steps; 3 seed(s)", "parts": parts,
            "command": "amtoolkit reproduce deep --protocol am-4.2", "quick": False, **kw}


def test_small_scale_deep_records_give_scaled_verdicts(tmp_path):
    """A record of `reproduce deep` → never plain "holds"; the scale and the command in the reason;
    a record of another version, format or key is not used."""
    (tmp_path / "deep").mkdir()
    ctx = checks.Context(tier="quick", results=tmp_path)
    path = tmp_path / "deep" / "am-sec4.2-image.json"
    expect = {"holds": verdicts.CONDITIONS, "partly": verdicts.FAILS, "fails": verdicts.FAILS}
    for outcome, verdict in expect.items():
        path.write_text(json.dumps(_small_scale_record("am-sec4.2-image", outcome)))
        m = checks.stored_result(ctx, key="am-sec4.2-image")
        v, why = verdicts.apply_rule("stored", m, {"reason": "no record"})
        assert v == verdict, (outcome, why)
        assert "CPU, full scale: digits CNN" in why
        assert why.startswith({"holds": "holds at small scale", "partly": "does not hold at this scale",
                               "fails": "does not hold at this scale"}[outcome])
        assert ("fashion: AM beats the baseline" in why) == (outcome != "holds")
        assert m["summary"] == "stored by `amtoolkit reproduce deep --protocol am-4.2`"
    for stale in ({"amtoolkit": "0.0.0"}, {"format": 2}, {"key": "am-sec4.3-llm"}, {"outcome": "maybe"},
                  {"fingerprint": "0" * 16}, {"tier": "huge"}):
        path.write_text(json.dumps({**_small_scale_record("am-sec4.2-image", "holds"), **stale}))
        m = checks.stored_result(ctx, key="am-sec4.2-image")
        assert "stored" not in m and m["why"], stale
        v, why = verdicts.apply_rule("stored", m, {"reason": "no record"})
        assert v == verdicts.UNTESTABLE and why.startswith("no record (") and str(path) in why
    path.write_text("{not json")
    assert "not valid JSON" in checks.stored_result(ctx, key="am-sec4.2-image")["why"]
    # through the runner: the ledger entry that names this key
    path.write_text(json.dumps(_small_scale_record("am-sec4.2-image", "holds")))
    (r,) = run_claims(only=["am-sec4.2-image-classification"], out=None, results=tmp_path)
    assert r["verdict"] == verdicts.CONDITIONS and r["reason"].startswith("holds at small scale (CPU")


def test_partly_holds_with_conditions_only_when_no_part_fails(tmp_path):
    """Review finding 4: "partly" was "holds with conditions" even with 3 of 4 parts failing.
    Now a failing part makes it "does not hold" (naming the failing parts); parts without a
    verdict (one seed) next to holding ones still give "holds with conditions"."""
    (tmp_path / "deep").mkdir()
    ctx = checks.Context(tier="quick", results=tmp_path)
    path = tmp_path / "deep" / "am-sec4.2-image.json"
    for parts, verdict in ((["holds", "fails", "fails", "fails"], verdicts.FAILS),
                           (["holds", "holds", "holds", "fails"], verdicts.FAILS),
                           (["holds", "none"], verdicts.CONDITIONS)):
        path.write_text(json.dumps(_small_scale_record("am-sec4.2-image", "partly", parts=parts)))
        v, why = verdicts.apply_rule("stored", checks.stored_result(ctx, key="am-sec4.2-image"), {"reason": "r"})
        assert v == verdict, (parts, why)
        n_fail = parts.count("fails")
        if n_fail:
            assert why.startswith(f"does not hold at this scale: {n_fail} of {len(parts)} parts fail")
            assert all(f"part {i}" in why for i, o in enumerate(parts) if o == "fails")
        else:
            assert why.startswith("holds only in part") and "part 1: one seed" in why


def test_deep_records_of_other_code_or_a_smaller_tier_are_refused(tmp_path):
    """Review finding 5: a record is checked against the code fingerprint, and a quick record
    is not used by the full tier (in the quick tier its verdict says "quick scale")."""
    from amtoolkit.claims import deepcode

    (tmp_path / "deep").mkdir()
    path = tmp_path / "deep" / "am-sec4.2-image.json"
    quick, full = checks.Context(tier="quick", results=tmp_path), checks.Context(tier="full", results=tmp_path)
    path.write_text(json.dumps(_small_scale_record("am-sec4.2-image", "holds", fingerprint="0123456789abcdef")))
    for ctx in (quick, full):
        why = checks.stored_result(ctx, key="am-sec4.2-image")["why"]
        assert "other training code" in why and "0123456789abcdef" in why and deepcode.deep_fingerprint() in why
    path.write_text(json.dumps(_small_scale_record("am-sec4.2-image", "holds", tier="quick", quick=True)))
    m = checks.stored_result(full, key="am-sec4.2-image")
    assert "stored" not in m and "quick-scale record" in m["why"]
    v, why = verdicts.apply_rule("stored", checks.stored_result(quick, key="am-sec4.2-image"), {"reason": "r"})
    assert v == verdicts.CONDITIONS and "quick scale" in why
    path.write_text(json.dumps(_small_scale_record("am-sec4.2-image", "holds")))
    v, why = verdicts.apply_rule("stored", checks.stored_result(full, key="am-sec4.2-image"), {"reason": "r"})
    assert v == verdicts.CONDITIONS and "quick scale" not in why and "custom scale" not in why


def test_deep_fingerprint_follows_the_code_not_the_docstrings(tmp_path, monkeypatch):
    """The fingerprint hashes the training code of DEEP_FINGERPRINTED: an edit of a docstring or
    a comment leaves it, an edit of the code changes it."""
    import shutil

    from amtoolkit.claims import deepcode

    root = tmp_path / "amtoolkit"
    for entry in deepcode.DEEP_FINGERPRINTED:
        (root / entry).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(deepcode.__file__).parent.parent / entry, root / entry)
    (root / "claims").mkdir()
    fake = root / "claims" / "deepcode.py"
    fake.write_text("")
    monkeypatch.setattr(deepcode, "__file__", str(fake))
    base = deepcode.deep_fingerprint()
    jobs = root / "reproduce" / "deep" / "jobs.py"
    src = jobs.read_text()
    assert 'FORMAT = 1  #' in src and '"""One deep-learning job' in src
    jobs.write_text(src.replace('"""One deep-learning job', '"""Edited: one deep-learning job')
                    .replace("FORMAT = 1  #", "FORMAT = 1  # edited comment;"))
    assert deepcode.deep_fingerprint() == base
    jobs.write_text(src.replace("manual_seed(10_000 + seed)", "manual_seed(10_001 + seed)"))
    assert deepcode.deep_fingerprint() != base
    monkeypatch.undo()
    assert deepcode.deep_fingerprint() == base  # the copy is the installed code
