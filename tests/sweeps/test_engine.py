"""Sweeps: spec expansion, the store, resume, engines and interruption.

References: each stored run is compared with a direct single ``amt.run`` of the same
configuration, built in the test from the spec's values; engines are compared with
the in-process engine bit for bit.
"""

import glob
import importlib
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit.sweeps.spec import SpecError, expand

spec_mod = importlib.import_module("amtoolkit.sweeps.spec")
sweep_mod = importlib.import_module("amtoolkit.sweeps.engine")  # the module, not the function

ISSUE_SPEC = """
[sweep]
steps = 30
seeds = [0, 1]
[[problems]]
name = "quadratic"
dim = 50
cond = 1e3
[[problems]]
name = "breast_cancer"
reg = 1e-3
[[optimizers]]
name = "mgd"
lr = "1/L"
beta = [0.0, 0.5, 0.9, 0.99]
[[optimizers]]
name = "am_mgd"
lr = "1/L"
"""


def small_spec(steps=20, seeds=(0, 1)):
    return {"sweep": {"steps": steps, "seeds": list(seeds)},
            "problems": [{"name": "quadratic", "dim": 8, "cond": 50.0}, {"name": "breast_cancer"}],
            "optimizers": [{"name": "mgd", "lr": "0.5/L", "beta": [0.0, 0.9]},
                           {"name": "am_mgd", "lr": ["1/L", 0.2], "lam": [0.0, 0.1]}]}


def frame_of(out):
    """The stored table in a canonical row order, without the time column."""
    df = amt.load_results(out).drop(columns="time")
    return df.sort_values(["job", "run", "step"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def issue_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "spec.toml"
    path.write_text(ISSUE_SPEC)
    report = amt.sweep(path, out=folder / "out", progress=False)
    return path, folder / "out", report


def test_issue_spec_gives_8_files_and_runs_equal_direct_runs(issue_store):
    path, out, report = issue_store
    assert report.stored == 8 and not report.failed and report.missing == 0
    assert len(glob.glob(str(out / "*.parquet"))) == 8
    df = amt.load_results(out)
    # per seed and problem: mgd has 4 configurations, am_mgd 1; 31 rows per run
    assert len(df) == 2 * 2 * (4 + 1) * 31
    assert set(df.pb_name) == {"quadratic", "breast_cancer"}
    problems = {seed: amt.Quadratic.random(dim=50, cond=1e3, seed=seed) for seed in (0, 1)}
    problems["breast_cancer"] = amt.load_problem("breast_cancer", reg=1e-3)
    for (job, run), rows in df.groupby(["job", "run"]):
        first = rows.iloc[0]
        problem = problems[int(first.seed) if first.pb_name == "quadratic" else "breast_cancer"]
        hyper = {"lr": 1.0 / problem.smoothness}
        if first.method == "mgd":
            hyper["beta"] = float(first.hp_beta)
        direct = amt.run(amt.optimizers.get(first.method, **hyper), problem, 30, seed=int(first.seed)).frame
        np.testing.assert_allclose(rows.loss.to_numpy(), direct.loss.to_numpy(), rtol=1e-12, atol=0)
        np.testing.assert_allclose(rows.gap.to_numpy(), direct.gap.to_numpy(), rtol=1e-9, atol=1e-12)
        assert first.hp_lr == pytest.approx(hyper["lr"], rel=1e-15) and first.lr_c == 1.0


def test_running_again_executes_no_job(issue_store, monkeypatch):
    path, out, _ = issue_store
    before = {p: (p.stat().st_mtime_ns) for p in out.glob("*.parquet")}
    monkeypatch.setattr(sweep_mod, "execute_job", lambda *a, **k: pytest.fail("a stored job ran again"))
    report = amt.sweep(path, out=out, progress=False)
    assert report.skipped == 8 and report.stored == 0
    assert {p: p.stat().st_mtime_ns for p in out.glob("*.parquet")} == before


def test_store_metadata_and_filters(issue_store):
    from amtoolkit.sweeps.store import read_job_meta

    path, out, _ = issue_store
    for job in expand(path):
        meta = read_job_meta(out / f"{job.key}.parquet")
        assert meta["config"] == job.config() and meta["state"] == "done"
        assert meta["wall_time"] > 0 and meta["versions"]["numpy"] == np.__version__
        assert meta["versions"]["pyarrow"] == pyarrow.__version__  # the store's writer
        assert meta["status"] == ["finished"] * len(job.grid)
    mgd = amt.load_results(out, method="mgd", hp_beta=[0.0, 0.9])
    assert len(mgd) == 2 * 2 * 2 * 31 and set(mgd.hp_beta) == {0.0, 0.9}
    with pytest.raises(ValueError, match="unknown column 'nope'"):
        amt.load_results(out, nope=1)


def test_results_command_prints_best_configuration(issue_store, capsys):
    _, out, _ = issue_store
    df = amt.load_results(out)
    assert cli.main(["results", str(out)]) == 0
    text = capsys.readouterr().out
    # the reference, by a plain loop: median over seeds of the final gap per beta
    for pb in ("quadratic", "breast_cancer"):
        rows = df[(df.pb_name == pb) & (df.method == "mgd")]
        final = {}
        for (_, _), r in rows.groupby(["job", "run"]):
            final.setdefault(r.hp_beta.iloc[-1], []).append(r.gap.iloc[-1])
        best = min(final, key=lambda b: np.median(final[b]))
        line = next(ln for ln in text.splitlines() if ln.strip().startswith(pb) and " mgd " in ln)
        assert f"beta={best:.4g}" in line and f"{np.median(final[best]):.4g}" in line


def test_problems_are_loaded_once_per_worker(tmp_path, monkeypatch):
    calls = []
    real = sweep_mod.load_problem
    monkeypatch.setattr(sweep_mod, "load_problem", lambda *a, **k: calls.append(a) or real(*a, **k))
    sweep_mod._problem.cache_clear()
    report = amt.sweep(small_spec(steps=5), tmp_path, progress=False)
    assert report.stored == 8
    assert calls == [("breast_cancer",)]  # 4 jobs on breast_cancer, one load


def test_failed_job_is_reported_and_not_stored(tmp_path, capsys):
    spec = small_spec(steps=5, seeds=[0])
    broken = tmp_path / "broken.svm"  # a file (the spec accepts it) that is not LIBSVM data
    broken.write_text("this is not\na LIBSVM file\n")
    spec["problems"].append({"name": str(broken)})
    with pytest.warns(RuntimeWarning, match="2 job\\(s\\) failed and were not stored"):
        report = amt.sweep(spec, tmp_path / "out", progress=False)
    assert report.stored == 4 and len(report.failed) == 2 and report.missing == 2
    assert all("is not a valid LIBSVM file" in err for err in report.failed.values())
    assert len(list((tmp_path / "out").glob("*.parquet"))) == 4


def test_dask_local_cluster_is_bit_identical_to_jobs_1(tmp_path):
    pytest.importorskip("distributed")
    spec = small_spec()
    amt.sweep(spec, tmp_path / "one", jobs=1, progress=False)
    report = amt.sweep(spec, tmp_path / "dask", jobs=2, scheduler="local", progress=False)
    assert report.stored == 8
    pd.testing.assert_frame_equal(frame_of(tmp_path / "one"), frame_of(tmp_path / "dask"))


def test_existing_dask_scheduler_address(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = small_spec(seeds=[0])
    amt.sweep(spec, tmp_path / "one", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        report = amt.sweep(spec, tmp_path / "tcp", scheduler=cluster.scheduler_address, progress=False)
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:") and report.stored == 4
    pd.testing.assert_frame_equal(frame_of(tmp_path / "one"), frame_of(tmp_path / "tcp"))


def test_sigint_then_resume_has_no_duplicate_and_no_missing_job(tmp_path):
    """Ctrl-C during `amtoolkit sweep --jobs 2` (loky): exit 130, the finished jobs are
    stored, and resuming stores exactly the others."""
    spec = tmp_path / "spec.toml"
    spec.write_text('[sweep]\nsteps = 1000\nseeds = [0, 1, 2, 3, 4, 5]\n[[problems]]\nname = "quadratic"\n'
                    'dim = 60\n[[optimizers]]\nname = "mgd"\nlr = "1/L"\nbeta = [0.0, 0.5, 0.9]\n')
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "amtoolkit", "sweep", str(spec), "--out", str(out),
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list(out.glob("*.parquet")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    stored = len(list(out.glob("*.parquet")))
    assert proc.returncode == 130, stderr
    assert f"{stored} job(s) stored" in stdout and "interrupted" in stdout
    assert 0 < stored < 6, "the sweep was not interrupted in the middle; make its jobs longer"
    assert not list(out.glob(".*"))  # no temporary file left behind
    report = amt.sweep(spec, out, progress=False)
    assert report.skipped == stored and report.stored == 6 - stored
    df = frame_of(out)
    assert set(df.job) == {job.key for job in expand(spec)}
    assert not df.duplicated(["job", "run", "step"]).any() and len(df) == 6 * 3 * 1001


# -- the spec ---------------------------------------------------------------------------
def test_expand_products_and_canonical_keys():
    spec = {"sweep": {"steps": 10, "seeds": [3, 4], "batch_size": 16},
            "problems": [{"name": "quadratic", "dim": 5}, {"name": "synthetic", "reg": [1e-2, 1e-3]}],
            "optimizers": [{"name": "adamw", "lr": 0.01, "betas": [[0.9, 0.99], [0.8, 0.9]],
                            "weight_decay": [0.0, 0.1]}]}
    jobs = expand(spec)
    assert len(jobs) == 3 * 2 * 1
    assert [len(j.grid) for j in jobs] == [4] * 6
    assert {j.batch_size for j in jobs if j.problem["name"] == "synthetic"} == {16}
    assert {j.batch_size for j in jobs if j.problem["name"] == "quadratic"} == {None}
    assert jobs[0].problem == {"name": "quadratic", "dim": 5, "cond": 1e3, "spectrum": "log"}
    assert {(g["betas"], g["weight_decay"]) for g in jobs[0].grid} == \
        {((0.9, 0.99), 0.0), ((0.9, 0.99), 0.1), ((0.8, 0.9), 0.0), ((0.8, 0.9), 0.1)}
    assert len({j.key for j in jobs}) == 6
    explicit = dict(spec, problems=[{"name": "quadratic", "dim": 5, "cond": 1000}])
    assert expand(explicit)[0].key == jobs[0].key  # defaults written or not, 1000 or 1e3: same job
    hyper = spec_mod.grid_hyper(jobs[0].grid, 2.0)
    assert hyper["lr"] == 0.01 and [list(b) for b in hyper["betas"]] == [[0.9, 0.9, 0.8, 0.8], [0.99, 0.99, 0.9, 0.9]]
    assert spec_mod.grid_hyper(({"lr": "3/L"}, {"lr": 0.5}), 2.0)["lr"].tolist() == [1.5, 0.5]


@pytest.mark.parametrize("change, match", [
    (lambda s: s["sweep"].update(step=3), r"\[sweep\]: unknown key 'step'"),
    (lambda s: s.update(output="x"), r"top level\): unknown key 'output'"),
    (lambda s: s["problems"][0].update(dimm=3), r"\[\[problems\]\] #1 \(quadratic\): unknown key 'dimm'"),
    (lambda s: s["problems"][1].update(dim=3), r"#2 \(breast_cancer\): unknown key 'dim'"),
    (lambda s: s["optimizers"][0].update(betta=0.5), r"\[\[optimizers\]\] #1 \(mgd\): unknown key 'betta'"),
    (lambda s: s["optimizers"][0].update(name="mgdd"), r"unknown optimizer name 'mgdd'"),
    (lambda s: s["optimizers"][0].update(beta=["a", 0.5]), r"#1 \(mgd\): grid axis beta must be a list of numbers"),
    (lambda s: s["optimizers"][0].update(beta=[True, False]), r"grid axis beta must be a list of numbers"),
    (lambda s: s["optimizers"][0].update(beta=[0.5, 0.5]), r"grid axis beta must be a non-empty list of distinct"),
    (lambda s: s["optimizers"][0].update(beta={"a": 1}), r"beta must be a number"),
    (lambda s: s["optimizers"][0].update(beta=1.5), r"#1 \(mgd\): beta must lie in"),
    (lambda s: s["optimizers"][0].update(lr="0.5*L"), r"lr must be a positive number or a string 'c/L'"),
    (lambda s: s["optimizers"][0].update(lr=["1/L", "L/2"]), r"lr must be a positive number or a string 'c/L'"),
    (lambda s: s["optimizers"][0].update(lr="0/L"), r"'c/L' with c > 0"),
    (lambda s: s["optimizers"][1].update(betas=[0.9]), r"#2 \(adamw\): betas must be a list of 2 numbers"),
    (lambda s: s["problems"][0].update(cond="big"), r"cond must be a number"),
    (lambda s: s["problems"][0].update(spectrum="flat"), r"spectrum must be 'log' or 'uniform'"),
    (lambda s: s["problems"][0].update(dim=2.5), r"dim must be an integer >= 1"),
    (lambda s: s["problems"][0].update(name=3), r"name must be a string"),
    (lambda s: s["problems"][1].update(name="a9aa"), r"#2 \(a9aa\): 'a9aa' is neither a built-in problem"),
    (lambda s: s["sweep"].pop("steps"), r"\[sweep\]: steps is required"),
    (lambda s: s["sweep"].update(steps=0), r"steps must be an integer >= 1"),
    (lambda s: s["sweep"].update(seeds=[0, 0]), r"seeds must be a non-empty list of distinct"),
    (lambda s: s["sweep"].update(seeds=[-1]), r"seeds must be an integer >= 0"),
    (lambda s: s["sweep"].update(seeds=[[0]]), r"seeds must be an integer >= 0"),
    (lambda s: s["sweep"].update(gtol=-1.0), r"gtol must be a positive number"),
    (lambda s: s.update(problems=[]), r"\[\[problems\]\] must be a non-empty array"),
])
def test_spec_errors_name_section_and_key(change, match):
    spec = {"sweep": {"steps": 5}, "problems": [{"name": "quadratic"}, {"name": "breast_cancer"}],
            "optimizers": [{"name": "mgd", "lr": "1/L"}, {"name": "adamw"}]}
    change(spec)
    with pytest.raises(SpecError, match=match):
        expand(spec)


def test_spec_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\nsteps = 3")
    with pytest.raises(SpecError, match="not valid TOML"):
        expand(bad)
    with pytest.raises(FileNotFoundError, match="spec: no TOML file"):
        expand(tmp_path / "none.toml")
    with pytest.raises(TypeError, match="spec must be a dict or the path"):
        expand(3)


def test_sweep_argument_errors(tmp_path):
    spec = small_spec(steps=2)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="jobs must be an integer >= 1, got 0"):
        amt.sweep(spec, tmp_path / "o", jobs=0)
    with pytest.raises(ValueError, match="scheduler must be 'local' or a Dask scheduler address"):
        amt.sweep(spec, tmp_path / "o", scheduler="localhost:8786")
    with pytest.raises(ValueError, match="out must be a folder, but .* is a file"):
        amt.sweep(spec, tmp_path / "file")
    assert not (tmp_path / "o").exists()  # nothing created before the checks


def test_cli_sweep_and_results_errors(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nsteps = 2\n[[problems]]\nname = "quadratic"\n[[optimizers]]\nname = "nope"\n')
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert "unknown optimizer name 'nope'" in capsys.readouterr().err
    assert cli.main(["results", str(tmp_path / "none")]) == 2
    assert "no sweep store" in capsys.readouterr().err
    spec.write_text('[sweep]\nsteps = 2\n[[problems]]\nname = "quadratic"\ndim = 3\n[[optimizers]]\nname = "gd"\n')
    assert cli.main(["sweep", str(spec), "--out", str(tmp_path / "o")]) == 0
    assert "1 job(s) stored" in capsys.readouterr().out
    assert cli.main(["results", str(tmp_path / "o"), "--where", "method"]) == 2
    assert "--where expects COLUMN=VALUE" in capsys.readouterr().err
