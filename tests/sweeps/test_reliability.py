"""Issue 21 on the sweep store: every store verifies what it reads, every input is checked
up front, and ``amtoolkit results`` speaks the names of ``load_results``.

References: a recomputed job is compared with a direct ``amt.run`` of its configuration;
the best configuration with a plain loop over the stored final gaps.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit.sweeps.spec import SpecError, expand
from amtoolkit.sweeps import results


def tiny_spec(seeds=(0, 1), steps=6):
    return {"sweep": {"steps": steps, "seeds": list(seeds)}, "problems": [{"name": "quadratic", "dim": 5, "cond": 10.0}],
            "optimizers": [{"name": "gd", "lr": "1/L"}]}


def direct_loss(seed, steps=6):
    problem = amt.Quadratic.random(dim=5, cond=10.0, seed=seed)
    return amt.run(amt.optimizers.get("gd", lr=1.0 / problem.smoothness), problem, steps, seed=seed).frame.loss.to_numpy()


def test_damaged_job_file_is_set_aside_and_recomputed(tmp_path):
    """Item 3: a truncated job file counted as done; resume never reran it and
    load_results failed for the whole store."""
    out = tmp_path / "out"
    amt.sweep(tiny_spec(), out, progress=False)
    job = expand(tiny_spec())[1]
    path = out / f"{job.key}.parquet"
    path.write_bytes(path.read_bytes()[:200])  # a writer killed by the disk, or a bad copy
    with pytest.warns(RuntimeWarning, match=str(path.name)):
        report = amt.sweep(tiny_spec(), out, progress=False)
    assert report.stored == 1 and report.skipped == 1 and report.set_aside == [str(path)]
    assert (out / "_damaged" / f"{job.key}.parquet.damaged").stat().st_size == 200  # kept, not deleted
    df = amt.load_results(out)
    np.testing.assert_allclose(df[df.job == job.key].loss.to_numpy(), direct_loss(1), rtol=1e-12)


def test_load_results_skips_a_damaged_file_naming_it(tmp_path):
    out = tmp_path / "out"
    amt.sweep(tiny_spec(), out, progress=False)
    path = out / f"{expand(tiny_spec())[0].key}.parquet"
    path.write_bytes(b"PAR1 this is not a table")
    with pytest.warns(RuntimeWarning, match=f"1 file\\(s\\) in .* skipped: {path}: not a readable Parquet"):
        df = amt.load_results(out)
    np.testing.assert_allclose(df.loss.to_numpy(), direct_loss(1), rtol=1e-12)


def test_stray_parquet_is_not_mixed_in_and_results_on_a_wrong_folder_fails_cleanly(tmp_path, capsys):
    """Item 5: any Parquet file was read (mixed in silently), and `amtoolkit results` on
    a folder of other Parquet files crashed with KeyError 'job'."""
    out = tmp_path / "out"
    amt.sweep(tiny_spec(seeds=[0]), out, progress=False)
    stray = pd.DataFrame({"run": [0, 0], "step": [0, 1], "loss": [5.0, 4.0], "method": "gd"})
    stray.to_parquet(out / "notes.parquet")
    with pytest.warns(RuntimeWarning, match="notes.parquet: not an amtoolkit job file"):
        df = amt.load_results(out)
    assert len(df) == 7 and set(df.job) == {expand(tiny_spec(seeds=[0]))[0].key}
    other = tmp_path / "other"
    other.mkdir()
    stray.to_parquet(other / "a.parquet")
    with pytest.warns(RuntimeWarning):
        assert cli.main(["results", str(other)]) == 2
    assert "holds no amtoolkit job files" in capsys.readouterr().err


@pytest.mark.parametrize("problem, sweep_extra, match", [
    ({"name": "quadratic", "cond": 0.5}, {}, r"#1 \(quadratic\): cond must be >= 1"),
    ({"name": "breast_cancer", "reg": -1}, {}, r"#1 \(breast_cancer\): reg must be >= 0"),
    ({"name": "breast_cancer"}, {"batch_size": 600}, r"batch_size must be in \[1, n_samples=569\]"),
    ({"name": "synthetic", "n_samples": 50, "batch_size": 64}, {}, r"n_samples=50\] for synthetic, got 64"),
    ({"name": "synthetic", "density": 0.0}, {}, r"density must be in \(0, 1\]"),
    ({"name": "synthetic", "noise": -1.0}, {}, r"noise must be >= 0"),
])
def test_problem_parameters_are_checked_before_the_sweep(tmp_path, problem, sweep_extra, match):
    """Item 7: these failed every job at run time although the spec is said to be checked first."""
    spec = {"sweep": {"steps": 3, **sweep_extra}, "problems": [problem], "optimizers": [{"name": "gd"}]}
    with pytest.raises(SpecError, match=match):
        amt.sweep(spec, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("change, match", [
    (lambda s: s["problems"].append({"name": "quadratic", "dim": 5, "cond": 10}), r"entries #1 and #2 \(quadratic\)"),
    (lambda s: s["problems"].__setitem__(0, {"name": "synthetic", "reg": [1e-3, 0.001]}), r"entry #1 \(synthetic\) holds"),
    (lambda s: s["optimizers"].append({"name": "gd", "lr": "1/L"}), r"\[\[optimizers\]\]: entries #1 and #2 \(gd\)"),
])
def test_duplicate_spec_entries_are_refused(change, match):
    """A duplicated entry ran its jobs twice."""
    spec = tiny_spec()
    change(spec)
    with pytest.raises(SpecError, match=match):
        expand(spec)


def test_filters_that_match_nothing_warn(tmp_path):
    amt.sweep(tiny_spec(seeds=[0]), tmp_path, progress=False)
    with pytest.warns(RuntimeWarning, match="no row of .* matches the filters"):
        df = amt.load_results(tmp_path, method="mgd")
    assert df.empty and "loss" in df.columns
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(amt.load_results(tmp_path, method="gd")) == 7


def test_results_names_sorts_defines_columns_and_flags_the_edge(tmp_path, capsys):
    """`amtoolkit results` used other problem names than load_results, did not sort, did
    not define its columns, and did not flag a best value at the end of its grid."""
    spec = {"sweep": {"steps": 25, "seeds": [0, 1]},
            "problems": [{"name": "quadratic", "dim": 6, "cond": 30.0}, {"name": "breast_cancer"}],
            "optimizers": [{"name": "mgd", "lr": "1/L", "beta": [0.0, 0.3, 0.6]}]}
    amt.sweep(spec, tmp_path, progress=False)
    assert cli.main(["results", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    header = lines[0].split()
    assert header[:2] == ["pb_name", "pb_cond"] and {"final_gap", "worst_gap", "runs", "edge"} <= set(header)
    rows = [ln.split()[0] for ln in lines[1:3]]
    assert rows == sorted(rows) == ["breast_cancer", "quadratic"]
    for col in ("final_gap", "worst_gap", "runs", "edge", "configuration"):
        assert any(ln.strip().startswith(col) for ln in lines), col  # each column defined
    # the reference: the best beta per problem by a plain loop; flagged when it is 0.0 or 0.6
    df = amt.load_results(tmp_path)
    for name, line in zip(rows, lines[1:3]):
        final = {}
        for _, r in df[df.pb_name == name].groupby(["job", "run"]):
            final.setdefault(r.hp_beta.iloc[-1], []).append(r.gap.iloc[-1])
        best = min(final, key=lambda b: np.median(final[b]))
        assert f"beta={best:.4g}" in line
        assert ("beta at its" in line) == (best in (0.0, 0.6))
    assert ("edge of their grid" in captured.err) == any("beta at its" in ln for ln in lines[1:3])


def test_best_configs_flags_a_best_value_at_the_end_of_its_grid():
    rows = []
    for run, (beta, gap) in enumerate([(0.1, 3.0), (0.5, 1.0), (0.9, 2.0)]):
        rows.append({"job": "j", "run": run, "step": 5, "loss": 1.0, "gap": gap, "method": "mgd",
                     "pb_name": "quadratic", "hp_beta": beta, "lr_c": np.nan})
    inside = results.best_configs(pd.DataFrame(rows))
    assert inside.configuration[0] == "beta=0.5" and inside.edge[0] == ""
    rows[2]["gap"] = 0.5
    edge = results.best_configs(pd.DataFrame(rows))
    assert edge.configuration[0] == "beta=0.9" and edge.edge[0] == "beta at its largest"


def test_a_binary_spec_and_a_seed_beyond_int64_are_refused_naming_them(tmp_path):
    """Issue 21, items 15 and the smaller ones: a binary spec gave a bare UnicodeDecodeError,
    and seeds ≥ 2**64 failed every job at run time."""
    import amtoolkit as amt
    from amtoolkit.sweeps.spec import SpecError

    spec = tmp_path / "spec.toml"
    spec.write_bytes(b"\x00\x01\xff\xfe")
    with pytest.raises(SpecError, match=f"spec: {spec} is not valid TOML"):
        amt.sweep(spec, tmp_path / "st")
    bad = {"sweep": {"steps": 5, "seeds": [0, 2 ** 64]}, "problems": [{"name": "quadratic", "dim": 5}],
           "optimizers": [{"name": "gd", "lr": "1/L"}]}
    with pytest.raises(SpecError, match=r"seeds must be integers in \[0, 2\*\*63 - 1\]"):
        amt.sweep(bad, tmp_path / "st")
    assert not (tmp_path / "st").exists()


def test_a_write_that_fails_keeps_the_computed_table(tmp_path, monkeypatch):
    """Issue 21, item 16: a full disk after the output check lost the computed job. Now the
    sweep stops, reports it, and hands the table back in SweepReport.unwritten."""
    import errno

    import amtoolkit as amt
    from amtoolkit.sweeps import engine

    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(engine, "write_job", full_disk)
    spec = {"sweep": {"steps": 5, "seeds": [0, 1, 2]}, "problems": [{"name": "quadratic", "dim": 5}],
            "optimizers": [{"name": "gd", "lr": "1/L"}]}
    with pytest.warns(RuntimeWarning):
        report = amt.sweep(spec, tmp_path / "st", progress=False)
    assert report.stored == 0 and len(report.unwritten) == 1 and "No space left" in report.stopped
    [(frame, meta)] = report.unwritten.values()
    ref = amt.run(amt.optimizers.gd(lr="1/L"), amt.Quadratic.random(dim=5, seed=meta["config"]["seed"]), 5)
    assert list(frame.loss) == list(ref.frame.loss)
