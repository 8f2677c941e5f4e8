"""``amtoolkit reproduce deep`` on a few steps: tables, determinism, the store, the verdict rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'amtoolkit[torch]')")

from amtoolkit.reproduce import deep  # noqa: E402
from amtoolkit.reproduce.deep import jobs as deep_jobs  # noqa: E402
from amtoolkit.reproduce.deep import protocols as deep_protocols  # noqa: E402

TINY = deep.Scale(seeds=2, am_tasks=[("digits", "cnn", None, None, 6, 16)], lr_grid=[0.1, 0.4],
                  ablation_task=("digits", "cnn", None, None), lam_grid=[0.0, 0.1, 10.0], batch_grid=[16, 64],
                  ablation_epochs=0.2, lr_range=[0.1, 0.4], lm_steps=4, lm_batch=2, lm_lrs=[1e-2], lm_seeds=1,
                  rllc_tasks=[("digits", "mlp", None, None)], rllc_steps=6, rllc_seeds=2, eval_points=2, timing_steps=2,
                  lm_val_windows=4)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from tests.conftest import libsvm_dir

    if libsvm_dir() is None:  # the text corpus is found through AMTOOLKIT_DATA
        pytest.skip("AMTOOLKIT_DATA is not set to the LIBSVM data folder (CI sets it to ../shared/data/libsvm)")
    root = tmp_path_factory.mktemp("deep")
    result = deep.reproduce_deep(None, out=root / "store", figures=root / "fig", report=root / "report.md",
                                 scale=TINY, progress=False, claims=root / "claims")
    return result, root


def test_every_protocol_has_its_table_figure_and_verdicts(tiny_run):
    result, root = tiny_run
    assert [s.protocol for s in result.sections] == list(deep.PROTOCOLS)
    by = {s.protocol: s for s in result.sections}
    assert list(by["am-4.2"].table.columns[:4]) == ["task", "method", "final train loss (mean)", "test acc % (mean)"]
    assert len(by["am-4.2"].table) == 2 and (by["am-4.2"].table["seeds"] == 2).all()
    t46 = by["am-4.6"].table
    assert (t46.ablation == "λ").sum() == 3 and (t46.ablation == "batch").sum() == 4 and (t46.ablation == "lr").sum() == 4
    t43 = by["am-4.3"].table
    assert sorted(t43["warm-up steps"].dropna().unique()) == [0, 1]
    assert (t43.part == "warm-up grid").sum() == 1 * 2 * 2 and (t43.part == "Table 6").sum() == 4
    t44 = by["am-4.4"].table
    assert len(t44) == 8 and set(t44.method) == {"msgd", "am-sgd", "adamw", "am-adamw"}
    # Sec. 4.4: AM keeps the baseline's state (momentum buffer; AdamW's two moments)
    for model in ("cnn", "char-transformer"):
        s = t44[t44.model == model].set_index("method")["state bytes"]
        n = t44[t44.model == model]["parameters"].iloc[0]
        assert s["msgd"] == s["am-sgd"] == 4 * n
        assert s["adamw"] - 4 * 2 * n in (0, 4 * len(list(deep_jobs.make_model(model, n_classes=84).parameters())))
    assert len(by["rllc"].table) == 7 and by["rllc"].figure.endswith("dl_rllc")
    assert {"L_0", "L_1", "L_2"} <= set(by["rllc-law"].table.columns)
    for s in result.sections:
        assert s.verdicts and all(len(v) == 3 for v in s.verdicts)
        if s.figure:
            assert (root / "fig" / f"{s.figure.rsplit('/', 1)[-1]}.png").stat().st_size < 200_000
    text = (root / "report.md").read_text()
    for s in result.sections:
        assert s.source in text
    assert "Closing note" in text and "| total |" in text


def test_store_is_read_with_load_results_and_jobs_are_not_rerun(tiny_run, monkeypatch):
    import amtoolkit as amt

    result, root = tiny_run
    frame = amt.load_results(root / "store")
    assert {"step", "train_loss", "test_loss", "test_acc", "lr", "time", "method", "seed", "job"} <= set(frame.columns)
    am = frame[frame.method == "am-sgd"]
    assert am[["beta_mean", "beta_min", "beta_max", "beta_at_cap"]].notna().all().all()
    assert ((am.beta_min >= 0) & (am.beta_max <= 0.9 + 1e-6)).all()
    assert frame[frame.method == "rllc"][["law_0", "law_1"]].notna().all().all()

    def boom(*a, **k):
        raise AssertionError("a stored job was run again")

    monkeypatch.setattr(deep_jobs, "_train", boom)
    again = deep.reproduce_deep(["am-4.2", "rllc"], out=root / "store", figures=None, report=None, scale=TINY,
                                progress=False, claims=None)
    assert [s.protocol for s in again.sections] == ["am-4.2", "rllc"] and not again.failed
    assert again.sections[0].verdicts == result.sections[0].verdicts  # the same numbers, read back
    # every stored file is an engine job file: verified, named by its key, with its config
    files = amt.sweeps.store.job_files(root / "store")
    assert set(frame["job"]) == set(files) and all(len(k) == 20 for k in files)
    for key, path in list(files.items())[:3]:
        meta = amt.sweeps.store.verify_job_file(path, key)
        assert deep.job_key(meta["config"]) == key and meta["kind"] == "deep" and meta["status"] in ("ok", "diverged")


def _job(method, hp, seed=0, task="image"):
    if task == "lm":
        return deep_protocols._lm_job(method, hp["lr"], False, seed, TINY, **{k: v for k, v in hp.items() if k != "lr"})
    return deep_protocols._image_job("test", "digits", "mlp", None, None, method, hp, seed, 6, 16, TINY)


@pytest.mark.parametrize("method,hp,task", [("am-sgd", {"lr": 0.3, "lam": 0.1, "beta_max": 0.9}, "image"),
                                            ("rllc", {"lr": 0.01, "memory": "J(0.9,2)", "c2": 0.01}, "image"),
                                            ("am-adamw", {"lr": 3e-3, "variant": "reset", "theta": 0.7}, "lm")])
def test_same_seed_same_numbers(data_dir, method, hp, task):
    a, b = deep.run_job(_job(method, hp, 0, task)), deep.run_job(_job(method, hp, 0, task))
    cols = [col for col in a.columns if col != "time"]
    assert a[cols].equals(b[cols]) and np.isfinite(a["train_loss"]).all()
    if task == "image":  # another seed: other initial weights and batches
        c = deep.run_job(_job(method, hp, 1, task))
        assert not np.allclose(a["train_loss"], c["train_loss"])
    assert deep.job_key(_job(method, hp, 0, task)) != deep.job_key(_job(method, hp, 1, task))


def test_msgd_job_is_torch_sgd_with_dampening_on_the_cosine_schedule(data_dir):
    """Independent loop from the protocol's description: SGD(momentum 0.9, dampening 0.9), cosine lr."""
    frame = deep.run_job(_job("msgd", {"lr": 0.3}))
    Xtr, ytr, _, _ = deep_jobs._images("digits", None, None)
    model = deep_jobs.make_model("mlp", (1, 8, 8), seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9, dampening=0.9)
    g = torch.Generator().manual_seed(10_000)
    losses = []
    for t in range(6):
        for group in opt.param_groups:
            group["lr"] = 0.3 * 0.5 * (1 + math.cos(math.pi * t / 6))
        idx = torch.randint(0, len(ytr), (16,), generator=g)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(frame["train_loss"], [np.mean(losses[:3]), np.mean(losses[3:])], rtol=1e-6)
    assert frame["step"].tolist() == [3, 6]


def test_paired_differences_and_verdicts():
    import pandas as pd

    a, b = pd.Series([1.0, 2.0, 3.0]), pd.Series([0.5, 1.0, 1.5])
    p = deep.paired(a, b)  # differences 0.5, 1, 1.5: mean 1, sd 0.5, t(0.975, 2) = 4.3027
    assert p["mean"] == 1.0 and p["min"] == 0.5 and p["max"] == 1.5
    assert p["hi"] == pytest.approx(1 + 4.302652729911275 * 0.5 / math.sqrt(3))
    assert deep.verdict(p, "pos").startswith("holds") and deep.verdict(p, "neg").startswith("reversed")
    mixed = deep.paired(pd.Series([1.0, -1.0]), pd.Series([0.0, 0.0]))
    assert deep.verdict(mixed, "pos") == "not shown: 1 seed(s) for, 1 against, of 2"
    tied = deep.paired(pd.Series([0.0, -1.0, 0.0]), pd.Series([0.0, 0.0, 0.0]))
    assert deep.verdict(tied, "pos") == "not shown: 0 seed(s) for, 1 against, 2 tied, of 3"
    assert deep.verdict(deep.paired(pd.Series([1.0]), pd.Series([0.0])), "pos").startswith("one seed")


def test_bad_inputs():
    with pytest.raises(ValueError, match="protocol"):
        deep.reproduce_deep(["am-9.9"], report=None, figures=None)
    with pytest.raises(ValueError, match="device"):
        deep.reproduce_deep(["am-4.4"], device="tpu", report=None, figures=None)
    with pytest.raises(ValueError, match="seeds"):
        deep.reproduce_deep(["am-4.4"], seeds=0, report=None, figures=None)
    for kw, match in (({"jobs": 0}, "jobs must"), ({"jobs": True}, "jobs must"), ({"scheduler": "x"}, "scheduler"),
                      ({"timeout": 0}, "timeout"), ({"timeout": float("inf")}, "timeout")):
        with pytest.raises(ValueError, match=match):
            deep.reproduce_deep(["am-4.4"], report=None, figures=None, claims=None, **kw)
    with pytest.raises(ValueError, match="method"):
        deep_jobs._optimizer([torch.zeros(1, requires_grad=True)], "lion", {"lr": 0.1})


def test_reproduce_package_does_not_import_torch_code():
    import importlib
    import sys

    import amtoolkit.reproduce as rep

    importlib.reload(rep)
    assert "deep" not in rep.__all__ and not hasattr(rep, "reproduce_deep")
    assert "amtoolkit.reproduce.deep" in sys.modules  # imported here by this test module only


def test_cli(tmp_path, capsys, data_dir):
    from amtoolkit import cli

    base = ["reproduce", "deep", "--quick", "--out", str(tmp_path / "store"), "--figures", str(tmp_path / "fig"),
            "--report", str(tmp_path / "r.md"), "--claims", str(tmp_path / "claims")]
    assert cli.main([*base, "--protocol", "am-9"]) == 2
    assert "am-9" in capsys.readouterr().err
    assert cli.main([*base, "--seeds", "0"]) == 2
    assert cli.main([*base, "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err
    assert cli.main([*base, "--scheduler", "nowhere"]) == 2
    assert "--scheduler" in capsys.readouterr().err
    assert cli.main([*base, "--timeout", "-1"]) == 2
    assert "--timeout" in capsys.readouterr().err
    assert cli.main(["reproduce", "convex", "--scheduler", "local"]) == 2
    assert "deep" in capsys.readouterr().err
    assert cli.main([*base, "--protocol", "am-4.4"]) == 0
    out = capsys.readouterr().out
    assert "[am-4.4] cnn: am-sgd keeps the same optimizer state as msgd: holds" in out
    assert "AM Sec. 4.4" in (tmp_path / "r.md").read_text()


# ----------------------------------------------------------------------------- the sweep engine


def _tiny_jobs():
    return [_job("am-sgd", {"lr": 0.3, "lam": 0.1, "beta_max": 0.9}, 0), _job("msgd", {"lr": 0.3}, 1),
            _job("rllc", {"lr": 0.01, "memory": "M(0.9)+M(0.0)", "c2": 0.01}, 0)]


def test_deep_job_is_a_task_job_keyed_as_before():
    import dataclasses
    import hashlib
    import json

    job = _job("am-sgd", {"lr": 0.3, "lam": 0.1, "beta_max": 0.9}, 3)
    task = deep.DeepJob.from_dict(job, timeout=5.0)
    assert task.config() == job and dataclasses.is_dataclass(task)
    # the key of the stores written before the engine ran them: 16 hex digits of this hash
    old = hashlib.sha256(json.dumps({**job, "format": deep.FORMAT}, sort_keys=True).encode()).hexdigest()
    assert task.key == deep.job_key(job) == old[:20]
    assert task.label == "test am-sgd digits lr=0.3 lam=0.1 beta_max=0.9 seed 3"
    assert task == deep.DeepJob.from_dict(job, device="cuda") and hash(task) == hash(deep.DeepJob.from_dict(job))
    lm = deep_protocols._lm_job("adamw", 0.01, True, 0, TINY)
    assert deep.DeepJob.from_dict(lm).config() == lm
    with pytest.raises(ValueError, match="unknown keys"):
        deep.DeepJob.from_dict({**job, "lr": 0.1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.seed = 4


def test_execute_pins_one_thread_and_honours_the_deadline(data_dir, monkeypatch):
    import time

    task = deep.DeepJob.from_dict(_job("msgd", {"lr": 0.3}))
    seen = []
    real = deep_jobs._train
    monkeypatch.setattr(deep_jobs, "_train", lambda *a: (seen.append(torch.get_num_threads()), real(*a))[1])
    before = torch.get_num_threads()
    frame, info = task.execute(None)
    assert seen == [1] and torch.get_num_threads() == before
    assert info["status"] == "ok" and info["kind"] == "deep" and info["format"] == deep.FORMAT
    assert frame.drop(columns="time").equals(deep.run_job(_job("msgd", {"lr": 0.3})).drop(columns="time"))
    frame, info = task.execute(time.perf_counter() - 1)  # already past: cut before the first step
    assert info == {"status": "timeout"} and len(frame) == 0


def test_loky_workers_give_the_numbers_of_one_process(tmp_path, data_dir):
    jobs = _tiny_jobs()
    one = deep.run_jobs(jobs, tmp_path / "one", progress=False)
    two = deep.run_jobs(jobs, tmp_path / "two", progress=False, workers=2)
    cols = [c for c in one.columns if c != "time"]
    assert list(one["job"].unique()) == [deep.job_key(j) for j in jobs]  # in the order of the jobs
    assert one[cols].equals(two[cols])
    direct = deep.run_job(jobs[0])  # the engine changes nothing: the in-process loop's numbers
    np.testing.assert_array_equal(one.loc[one.job == deep.job_key(jobs[0]), "train_loss"], direct["train_loss"])


def test_dask_local_cluster(tmp_path, data_dir):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'amtoolkit[dask]')")
    import amtoolkit as amt

    jobs = _tiny_jobs()[:2]
    frame = deep.run_jobs(jobs, tmp_path / "dask", progress=False, workers=2, scheduler="local")
    ref = deep.run_job(jobs[1])
    got = frame[frame.job == deep.job_key(jobs[1])]
    np.testing.assert_array_equal(got["train_loss"], ref["train_loss"])
    assert set(amt.load_results(tmp_path / "dask")["job"]) == {deep.job_key(j) for j in jobs}


def test_failed_job_is_reported_with_its_label_and_the_others_are_kept(tmp_path, data_dir, monkeypatch):
    good, bad = _job("msgd", {"lr": 0.3}), _job("msgd", {"lr": 0.3}, seed=1)
    with pytest.raises(ValueError, match="method"):  # a job run_job cannot run is refused before any runs
        deep.run_jobs([good, _job("lion", {"lr": 0.3})], tmp_path, progress=False)
    real = deep_jobs._train

    def train(job, *a):
        if job["seed"] == 1:
            raise RuntimeError("the job broke")
        return real(job, *a)

    monkeypatch.setattr(deep_jobs, "_train", train)
    with pytest.raises(deep.DeepJobsFailed, match=r"1 of 2 job\(s\).*test msgd digits lr=0.3 seed 1.*job broke") as e:
        deep.run_jobs([good, bad], tmp_path, progress=False)
    monkeypatch.setattr(deep_jobs, "_train", real)
    assert list(e.value.failed) == [deep.job_key(bad)] and set(e.value.frame.job) == {deep.job_key(good)}
    assert (tmp_path / "_failed" / f"{deep.job_key(bad)}.json").exists()
    # a protocol whose jobs are cut by the timeout reports it; the others still run; no ledger record
    res = deep.reproduce_deep(["am-4.4", "rllc"], out=tmp_path / "t", figures=None, report=tmp_path / "r.md",
                              scale=TINY, progress=False, timeout=1e-9, claims=tmp_path / "claims")
    assert list(res.failed) == ["rllc"] and len(res.failed["rllc"]) == len(deep_protocols._rllc_jobs(TINY))
    assert res.sections[0].verdicts and "timeout" in res.sections[1].verdicts[0][2]
    assert not (tmp_path / "claims" / "deep" / "rllc-outperforms.json").exists()
    assert "not measured: jobs failed" in (tmp_path / "r.md").read_text()


def test_stores_written_before_the_engine_are_adopted(tmp_path, data_dir, monkeypatch):
    import amtoolkit as amt
    from amtoolkit.sweeps.store import write_job

    job = _job("msgd", {"lr": 0.3})
    old = deep.job_key(job)[:16]
    frame = deep.run_job(job).assign(job=old)
    write_job(tmp_path, old, frame, {"config": job, "status": "ok", "wall": 0.1, "kind": "deep",
                                     "format": deep.FORMAT})
    monkeypatch.setattr(deep_jobs, "_train", lambda *a: (_ for _ in ()).throw(AssertionError("rerun")))
    got = deep.run_jobs([job], tmp_path, progress=False)
    assert got.drop(columns="job").equals(frame.drop(columns="job")) and set(got.job) == {deep.job_key(job)}
    assert set(amt.sweeps.store.job_files(tmp_path)) == {deep.job_key(job)}


def test_claim_records_combine_the_parts():
    S = deep.Section
    part = deep_protocols._part

    def sec(protocol, claims, failed=None):
        return S(protocol, "t", "s", "c", "p", None, None, [], "–", claims=claims, scale=f"{protocol} scale",
                 failed=failed or {})

    p = deep.paired(pd.Series([1.0, 2.0]), pd.Series([0.0, 0.0]))
    h, f = part("a", "holds", "e", "holds", 2, p), part("b", "reversed", "e", "fails", 2, p)
    one = part("c", "seen (one seed)", "e", "holds", 1)
    recs = deep.claim_records([sec("am-4.2", {"am-sec4.2-image": [h, h], "am-abstract-deep": [h]}),
                               sec("am-4.6", {"am-sec4.6-lr": [one], "am-sec4.6-batch": [f]}),
                               sec("rllc", {"rllc-outperforms": [h, f]}, failed={"k": "boom"})],
                              ["am-4.2", "am-4.6", "rllc"], "amtoolkit reproduce deep", False, "cpu", None)
    assert set(recs) == {"am-sec4.2-image", "am-sec4.6-lr", "am-sec4.6-batch"}  # abstract needs am-4.3 too
    assert recs["am-sec4.2-image"]["outcome"] == "holds" and recs["am-sec4.2-image"]["seeds"] == 2
    assert recs["am-sec4.2-image"]["parts"][0]["paired"]["differences"] == [1.0, 2.0]
    assert recs["am-sec4.6-lr"]["outcome"] == "holds-one-seed" and recs["am-sec4.6-batch"]["outcome"] == "fails"
    mixed = deep.claim_records([sec("rllc", {"rllc-outperforms": [h, f, part("d", "one", "e", "none", 1)]})],
                               ["rllc"], "c", True, "cpu", None)["rllc-outperforms"]
    assert mixed["outcome"] == "partly" and mixed["verdict"].endswith("(1 of 3 parts)")
    assert deep.claim_records([sec("rllc", {"rllc-outperforms": [part("d", "one", "e", "none", 1)]})],
                              ["rllc"], "c", True, "cpu", None)["rllc-outperforms"]["outcome"] == "none"


def test_ledger_reads_the_verdicts_written_by_the_run(tiny_run):
    """Each claim record the run wrote is what the ledger reports, with the scale; the per-seed
    differences in it are those of the run's own tables."""
    import json

    import amtoolkit as amt
    from amtoolkit.claims import checks, verdicts
    from amtoolkit.claims.runner import run_claims

    result, root = tiny_run
    written = {p.stem: json.loads(p.read_text()) for p in (root / "claims" / "deep").glob("*.json")}
    assert set(written) == set(deep.CLAIM_KEYS) and sorted(result.claim_files) == sorted(
        str(root / "claims" / "deep" / f"{k}.json") for k in written)
    rec = written["am-sec4.2-image"]
    assert rec["format"] == deep.CLAIM_FORMAT == checks.DEEP_FORMAT_VERSION and rec["amtoolkit"] == amt.__version__
    assert rec["seeds"] == 2 and "digits CNN 6 steps" in rec["scale"] and rec["command"] == "amtoolkit reproduce deep"
    from amtoolkit.claims.deepcode import deep_fingerprint

    assert all(r["fingerprint"] == deep_fingerprint() and r["tier"] == "custom" for r in written.values())
    # the train-loss part: AM − baseline final train loss, seed by seed, from the store
    frame = amt.load_results(root / "store")
    last = frame[frame.protocol == "am-4.2"].sort_values("step").groupby(["method", "seed"]).tail(1)
    last = last[last.hp_lr == last[last.method == "am-sgd"].hp_lr.iloc[0]].set_index(["method", "seed"])
    diff = (last.loc["am-sgd", "train_loss"] - last.loc["msgd", "train_loss"]).sort_index().to_numpy()
    np.testing.assert_allclose(rec["parts"][0]["paired"]["differences"], diff, rtol=1e-12)
    ids = [c.id for c in amt.claims.load_ledger() if c.check == "stored_result"]
    expect = {"holds": verdicts.CONDITIONS, "holds-one-seed": verdicts.CONDITIONS, "partly": verdicts.CONDITIONS,
              "fails": verdicts.FAILS, "none": verdicts.UNTESTABLE}
    for rec in written.values():  # "partly" holds with conditions only when no part fails
        if rec["outcome"] == "partly" and any(x["outcome"] == "fails" for x in rec["parts"]):
            rec["outcome"] = "fails"
    for r in run_claims(only=ids, out=None, results=root / "claims"):
        key = r["args"]["key"]
        if key not in written:  # am-sec4.2-beta: no small-scale record
            assert r["verdict"] == verdicts.UNTESTABLE and "no stored result" in r["reason"]
            continue
        assert r["verdict"] == expect[written[key]["outcome"]] != verdicts.HOLDS, key
        assert written[key]["scale"] in r["reason"] and "custom scale" in r["reason"]
    # a --tier full ledger does not use these records: they are not of the full scale
    for r in run_claims("full", only=ids[:2], out=None, results=root / "claims"):
        assert r["verdict"] == verdicts.UNTESTABLE and "custom-scale record" in r["reason"]


# ----------------------------------------------------------------------------- review findings 5, 6, 7, 9

#: sha256 of the space-joined job keys of protocol_jobs(p, quick) for quick in (True, False) and p in
#: PROTOCOLS, as computed before the input checks were added: the stored jobs keep their keys
PROTOCOL_KEYS_SHA = "095e36d97262747a9715af4fcfd5e2384b099ce623c8f43873bc3e11e3a8c032"


def test_protocol_job_keys_are_unchanged():
    import hashlib

    keys = [deep.job_key(j) for q in (True, False) for p in deep.PROTOCOLS for j in deep.protocol_jobs(p, quick=q)]
    assert len(keys) == 322
    assert hashlib.sha256(" ".join(keys).encode()).hexdigest() == PROTOCOL_KEYS_SHA
    assert keys == [deep.DeepJob.from_dict(j).key for q in (True, False) for p in deep.PROTOCOLS
                    for j in deep.protocol_jobs(p, quick=q)]


def test_job_values_are_checked_and_the_key_fills_in_defaults():
    """Review finding 9: bad values were accepted (batch 0 stored as done with NaN loss) or
    crashed late (steps 0, eval_every 0); a dict without its defaults had another key than
    the job run_jobs stores."""
    import hashlib
    import json

    job = _job("msgd", {"lr": 0.3})
    for name, bad, match in (("batch", 0, "batch"), ("steps", 0, "steps"), ("eval_every", 0, "eval_every"),
                             ("steps", 2.0, "steps"), ("seed", -1, "seed"), ("task", "audio", "task"),
                             ("method", "lion", "method"), ("dataset", "cifar", "dataset"),
                             ("model", "char-transformer", "model"), ("schedule", "linear", "schedule"),
                             ("hp", {"lam": 0.1}, "lr"), ("hp", {"lr": float("nan")}, "lr"),
                             ("warmup", None, "warmup"), ("n_train", 0, "n_train")):
        with pytest.raises(ValueError, match=match):
            deep.DeepJob.from_dict({**job, name: bad})
        with pytest.raises(ValueError, match=match):
            deep.job_key({**job, name: bad})
    with pytest.raises(ValueError, match="missing keys.*'seed'"):
        deep.DeepJob.from_dict({k: v for k, v in job.items() if k != "seed"})
    with pytest.raises(TypeError, match="job must be a dict"):
        deep.DeepJob.from_dict([("seed", 0)])
    minimal = {k: job[k] for k in ("protocol", "task", "dataset", "model", "method", "hp", "seed", "steps",
                                   "batch", "eval_every")}
    full = {**minimal, "schedule": "constant", "warmup": 0, "n_train": None, "n_test": None}
    assert deep.job_key(minimal) == deep.DeepJob.from_dict(minimal).key == deep.job_key(full)
    ref = hashlib.sha256(json.dumps({**full, "format": deep.FORMAT}, sort_keys=True).encode()).hexdigest()[:20]
    assert deep.job_key(minimal) == ref


def test_run_jobs_checks_its_options_before_running(tmp_path, monkeypatch):
    """Review findings 9 and 7: timeout -1/nan/'5', workers 0, an unknown device and a URL
    store are refused up front, naming the parameter (no job runs, no local 'memory:' folder)."""
    monkeypatch.setattr(deep_jobs, "_train", lambda *a: (_ for _ in ()).throw(AssertionError("ran")))
    monkeypatch.chdir(tmp_path)
    jobs = [_job("msgd", {"lr": 0.3})]
    for kw, err, match in (({"timeout": -1}, ValueError, "timeout"), ({"timeout": float("nan")}, ValueError, "timeout"),
                           ({"timeout": "5"}, TypeError, "timeout"), ({"workers": 0}, ValueError, "workers"),
                           ({"workers": 1.5}, ValueError, "workers"), ({"device": "tpu"}, ValueError, "device"),
                           ({"device": "cuda:x"}, ValueError, "device")):
        with pytest.raises(err, match=match):
            deep.run_jobs(jobs, tmp_path / "s", progress=False, **kw)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device.*cuda:7"):
            deep.run_jobs(jobs, tmp_path / "s", progress=False, device="cuda:7")
    for url in ("memory://deepmem", "file:///tmp/x", "s3://bucket/x"):
        with pytest.raises(ValueError, match=r"out must be a local folder.*" + url.split(":")[0]):
            deep.run_jobs(jobs, url, progress=False)
        with pytest.raises(ValueError, match="out must be a local folder"):
            deep.reproduce_deep(["rllc"], out=url, figures=None, report=None, claims=None, scale=TINY, progress=False)
    with pytest.raises(ValueError, match="claims must be a local folder"):
        deep.reproduce_deep(["rllc"], out="s", figures=None, report=None, claims="memory://c", scale=TINY,
                            progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no 'memory:' folder


def test_output_paths_are_checked_before_any_training(tmp_path, monkeypatch, capsys):
    """Review finding 6: a report path that is a folder, a claims folder that is a file, a
    store that is a file, were found only after all the training (errors not naming them)."""
    from amtoolkit import cli

    monkeypatch.setattr(deep_jobs, "_train", lambda *a: (_ for _ in ()).throw(AssertionError("ran")))
    afile = tmp_path / "afile"
    afile.write_text("x")
    base = dict(out=tmp_path / "store", figures=None, report=None, claims=None, scale=TINY, progress=False)
    for kw, match in (({"report": tmp_path}, "report must be a file path"),
                      ({"report": afile / "r.md"}, "report: cannot create the folder"),
                      ({"claims": afile}, "claims: cannot create the folder"),
                      ({"figures": afile}, "figures must be a folder"),
                      ({"out": afile}, "out must be a folder")):
        with pytest.raises(ValueError, match=match):
            deep.reproduce_deep(["rllc"], **{**base, **kw})
    args = ["reproduce", "deep", "--protocol", "rllc", "--out", str(tmp_path / "store"), "--figures",
            str(tmp_path / "fig"), "--claims", str(tmp_path / "claims")]
    assert cli.main([*args, "--report", str(tmp_path)]) == 2
    assert "report (--report) must be a file path" in capsys.readouterr().err
    assert cli.main([*args[:-1], str(afile), "--report", str(tmp_path / "r.md")]) == 2
    assert "claims (--claims): cannot create the folder" in capsys.readouterr().err
    assert cli.main([*args, "--report", str(tmp_path / "r.md"), "--out", "memory://x"]) == 2
    assert "--out" in capsys.readouterr().err


def test_records_of_a_protocol_that_did_not_finish_are_removed(tmp_path, data_dir):
    """Review finding 5: a later run whose protocol failed left the older records in place (the
    ledger then reported them as current). Now they are deleted; the records of protocols
    that did not run stay."""
    folder = tmp_path / "claims" / "deep"
    folder.mkdir(parents=True)
    for key in ("rllc-outperforms", "rllc-figure5", "am-sec4.2-image", "rllc-figure2"):
        (folder / f"{key}.json").write_text("{}")
    res = deep.reproduce_deep(["rllc"], out=tmp_path / "store", figures=None, report=None, scale=TINY,
                              progress=False, timeout=1e-9, claims=tmp_path / "claims")
    assert list(res.failed) == ["rllc"] and res.claim_files == []
    assert sorted(p.stem for p in folder.glob("*.json")) == ["am-sec4.2-image", "rllc-figure2"]
    assert sorted(res.removed_claim_files) == sorted(str(folder / f"{k}.json")
                                                     for k in ("rllc-figure5", "rllc-outperforms"))
    assert not (folder / "rllc-figure5.json").exists()
