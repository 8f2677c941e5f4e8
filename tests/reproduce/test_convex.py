"""The reproduction protocol (Sec. 4.1 of arXiv:2510.04988) on two small LIBSVM sets:
every table entry against independent single runs, f* against scikit-learn."""

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit import optimizers as O
from amtoolkit.reproduce import convex as R

NAMES = ["heart_scale", "breast-cancer_scale"]


def _final_gap(opt, problem, steps, f_star):
    g = amt.run(opt, problem, steps, f_star=f_star).frame.gap.to_numpy()
    hit = np.flatnonzero(g <= 1e-6 * g[0])
    return g[-1], (float(hit[0]) if hit.size else np.nan)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    from tests.conftest import libsvm_dir

    if libsvm_dir() is None:
        pytest.skip("AMTOOLKIT_DATA is not set to the LIBSVM data folder")
    out = tmp_path_factory.mktemp("rep")
    t = R.reproduce_convex(NAMES, [1e-3], out=out, store=out / "store", max_steps=600, quadratic_steps=40, jobs=1,
                           fair_grid=4)
    return t, out


def test_every_entry_is_the_single_run_it_names(table):
    t, _ = table
    assert list(t.problem) == NAMES
    for row in t.to_dict("records"):
        p = amt.load_problem(row["problem"], reg=1e-3)
        T, lr, fs = row["steps"], 1.0 / p.smoothness, row["f_star"]
        # β* = the grid value with the lowest final loss, from 20 single runs
        finals = [amt.run(O.mgd(lr=lr, beta=b), p, T, f_star=fs).frame.loss.iloc[-1] for b in R.GRID]
        assert row["beta_star"] == R.GRID[int(np.argmin(finals))]
        refs = {"GD": O.gd(lr=lr), "MGD 0.9": O.mgd(lr=lr, beta=0.9),
                "MGD β*": O.mgd(lr=lr, beta=row["beta_star"])}
        refs |= {f"AM-MGD {b:g}": O.am_mgd(lr=lr, beta_max=b) for b in R.AM_BETA_MAX}
        for label, opt in refs.items():
            gap, hit = _final_gap(opt, p, T, fs)
            assert row[f"gap {label}"] == pytest.approx(gap, rel=1e-9, abs=1e-15), label
            np.testing.assert_equal(row[f"steps to 1e-6 {label}"], hit)
        # the budget: the fastest AM-MGD run reaches the 1e-10 relative gap at T, not before
        gap0 = float(p.value(np.zeros(p.dim))) - fs
        am = amt.run(O.am_mgd(lr=lr, beta_max=np.array(R.AM_BETA_MAX)), p, T, f_star=fs).frame
        best = am.groupby("step").gap.min().to_numpy()
        assert best[T] <= R.FLOOR * gap0 < best[T - 1] or T == 600
        assert best[T] > 100 * R.ROUND_OFF  # well above round-off
        ratio = row["gap AM-MGD 1"] / row["gap MGD 0.9"]
        assert row["vs 0.9"] == ("win" if ratio <= 0.5 else "loss" if ratio >= 2 else "par")


def test_f_star_agrees_with_scikit_learn(table):
    from sklearn.linear_model import LogisticRegression

    t, _ = table
    for row in t.to_dict("records"):
        p = amt.load_problem(row["problem"], reg=1e-3)
        clf = LogisticRegression(C=1.0 / (p.n_samples * 1e-3), fit_intercept=False, tol=1e-12,
                                 max_iter=10000).fit(p.X, p.y)
        assert row["f_star"] == pytest.approx(float(p.value(clf.coef_.ravel())), abs=1e-9)
        assert row["f_star"] <= float(p.value(clf.coef_.ravel())) + 1e-15


def test_outputs_are_written(table):
    t, out = table
    back = pd.read_csv(out / "results.csv")
    np.testing.assert_allclose(back["gap AM-MGD 1"], t["gap AM-MGD 1"], rtol=1e-12)
    md = (out / "table.md").read_text()
    assert md.count("| heart_scale |") == 2 and "Verdicts" in md and "Quadratics" in md  # both protocols
    assert len(pd.read_csv(out / "quadratic.csv")) == 3
    # one stored run per (problem, reg) and per quadratic, each with its row and curves
    stored = sorted(p.name.split("-")[0] for p in (out / "store").glob("*.parquet"))
    assert stored == ["convex"] * 2 + ["quadratic"] * 3


def test_figures_and_the_cli_reuse_the_stored_runs(table, tmp_path, oracle_calls, capsys):
    """fig1/fig3 have one builder, and it reads the runs that reproduce_convex stored: neither
    ``figures.build`` nor ``amtoolkit reproduce convex`` on the same store runs a step again, and
    the stored curves are the protocol's own (the row's final gap is the curve's last point)."""
    from amtoolkit.figures import build
    from amtoolkit.figures.figureset import FIGURES, _results, reproduction_configs

    t, out = table
    store, figs = out / "store", tmp_path / "figs"
    configs = reproduction_configs(NAMES, [1e-3], 600, 40)
    assert configs["fig3_libsvm"]["datasets"] == NAMES and set(configs) == {"fig3_libsvm", "fig1_quadratic"}
    build(list(configs), figs, store, configs=configs, log=None)
    assert oracle_calls["n"] == 0
    for stem in ("fig3_libsvm", "fig1_quadratic"):
        assert (figs / f"{stem}.png").stat().st_size > 10_000 and (figs / f"{stem}.pdf").is_file()
    curves = _results("fig3_libsvm", configs["fig3_libsvm"], store)
    for row in t.itertuples():
        am = curves[(curves.panel == f"{row.problem}, reg=0.001") & (curves.label == "AM-MGD 1")]
        assert am.gap.iloc[-1] == t.set_index("problem").loc[row.problem, "gap AM-MGD 1"]
    assert set(FIGURES) >= set(configs)
    args = ["reproduce", "convex", "--datasets", *NAMES, "--reg", "1e-3", "--out", str(tmp_path / "o"),
            "--figures", str(tmp_path / "f"), "--store", str(store), "--max-steps", "600",
            "--quadratic-steps", "40", "--jobs", "1", "--fair-grid", "4"]
    assert cli.main(args) == 0
    assert oracle_calls["n"] == 0 and (tmp_path / "f" / "fig3_libsvm.png").is_file()
    back = pd.read_csv(tmp_path / "o" / "results.csv")
    np.testing.assert_array_equal(back["gap AM-MGD 1"], t["gap AM-MGD 1"])


def test_a_damaged_stored_run_is_computed_again(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"x": 1.0, "nothing": float("nan")}, pd.DataFrame({"step": [0, 1], "gap": [1.0, 0.5]})

    params = {"problem": "p", "reg": 1e-3}
    row, curves = R._stored(tmp_path, "convex", params, compute)
    again, curves2 = R._stored(tmp_path, "convex", params, compute)
    assert len(calls) == 1 and again["x"] == 1.0 and np.isnan(again["nothing"]) and curves2.equals(curves)
    [path] = tmp_path.glob("convex-*.parquet")
    path.write_bytes(path.read_bytes()[:50])  # cut
    R._stored(tmp_path, "convex", params, compute)
    assert len(calls) == 2 and R._stored(tmp_path, "convex", params, compute)[0]["x"] == 1.0 and len(calls) == 2
    R._stored(tmp_path, "convex", {**params, "reg": 1e-5}, compute)  # other parameters: another run
    assert len(calls) == 3


def test_cli_bad_input(tmp_path, capsys):
    assert cli.main(["reproduce", "convex", "--datasets", "no_such_set", "--out", str(tmp_path)]) == 2
    assert "no_such_set" in capsys.readouterr().err
    assert cli.main(["reproduce", "convex", "--datasets", "heart_scale", "--max-steps", "0",
                     "--out", str(tmp_path)]) == 2
    assert "max_steps must be an integer >= 1" in capsys.readouterr().err
    assert cli.main(["reproduce", "convex", "--reg", "-1", "--out", str(tmp_path)]) == 2
    assert "reg must lie in" in capsys.readouterr().err
    for datasets, regs, exc, match in [
        (["heart_scale"], [], ValueError, "regs must hold distinct"),
        (["heart_scale"], [1e-3, 1e-3], ValueError, "regs must hold distinct"),
        (["heart_scale", "heart_scale"], [1e-3], ValueError, "datasets must be distinct"),
        ("heart_scale", [1e-3], TypeError, "datasets must be a list"),  # not its characters
        (["heart_scale"], 1e-3, TypeError, "regs must be a list"),
    ]:
        with pytest.raises(exc, match=match):
            R.reproduce_convex(datasets, regs, out=tmp_path)


@pytest.mark.parametrize("args, message", [
    (["--jobs", "0"], "jobs must be an integer >= 1"),
    (["--quadratic-steps", "0"], "quadratic_steps must be an integer >= 1"),
    (["--out", "FILE"], "out must be a folder, but .* is a file"),
    (["--figures", "FILE"], r"figures \(--figures\) must be a folder, but .* is a file"),
    (["--store", "FILE"], "store must be a folder, but .* is a file"),
])
def test_cli_output_and_count_flags_are_checked_before_any_run(tmp_path, capsys, monkeypatch, args, message):
    """Bad counts and output folders are refused before the first run (none may start)."""
    import re

    (tmp_path / "FILE").write_text("")
    args = [str(tmp_path / "FILE") if a == "FILE" else a for a in args]
    monkeypatch.setattr(R, "convex_problem", lambda *a, **k: pytest.fail("a run started"))
    base = ["reproduce", "convex", "--datasets", "heart_scale", "--out", str(tmp_path / "o"),
            "--figures", str(tmp_path / "f")]
    assert cli.main(base + args) == 2
    assert re.search(message, capsys.readouterr().err)


def _row_or_fail(i):
    if i == 2:
        raise RuntimeError("the third problem fails")
    return {"problem": f"p{i}", "value": i * 1.5}, None


def test_a_failing_problem_keeps_the_rows_finished_before_it(tmp_path):
    from amtoolkit.reproduce.convex import _collect

    partial = tmp_path / "results.partial.csv"
    with pytest.raises(RuntimeError, match="third problem"):
        _collect(_row_or_fail, [(0,), (1,), (2,), (3,)], 1, partial)
    kept = pd.read_csv(partial)
    assert list(kept["problem"]) == ["p0", "p1"] and list(kept["value"]) == [0.0, 1.5]
    # all in: in task order, and the partial file is gone
    rows = _collect(_row_or_fail, [(3,), (0,), (1,)], 2, partial)
    assert [r["problem"] for r, _ in rows] == ["p3", "p0", "p1"] and not partial.exists()


def test_the_fair_protocol_stands_beside_the_paper_s(table):
    """Issue 20: each row holds the fair protocol at the same budget T, computed here again from
    amtoolkit.reproduce.fair (whose grids tests/claims check against a hand-written search),
    and table.md prints both protocols' counts."""
    from amtoolkit.reproduce.fair import BASELINES, METHODS, fair_protocol, outcome

    t, out = table
    for row in t.to_dict("records"):
        p = amt.load_problem(row["problem"], reg=1e-3)
        fair = fair_protocol(p, row["steps"], 4)
        for m in METHODS:
            assert row[f"fair gap {m}"] == pytest.approx(fair[m]["gap"], rel=1e-12, abs=0)
            np.testing.assert_equal(row[f"fair steps to 1e-6 {m}"], fair[m]["steps_to_1e-6"])
        best = row["fair best baseline"]
        assert best in BASELINES and fair[best]["gap"] == min(fair[b]["gap"] for b in BASELINES)
        assert row["fair vs best"] == outcome(fair["AM-MGD"]["gap"], fair[best]["gap"])
    md = (out / "table.md").read_text()
    assert "The fair protocol beside it" in md and md.count("| heart_scale |") == 2


@pytest.mark.parametrize("value", ["-1", "x"])
def test_cli_fair_grid_is_checked_before_any_run(tmp_path, capsys, monkeypatch, value):
    monkeypatch.setattr(R, "convex_problem", lambda *a, **k: pytest.fail("a run started"))
    args = ["reproduce", "convex", "--datasets", "heart_scale", "--out", str(tmp_path / "o"),
            "--figures", str(tmp_path / "f"), "--fair-grid", value]
    if value == "x":  # argparse's own refusal
        with pytest.raises(SystemExit):
            cli.main(args)
        assert "--fair-grid" in capsys.readouterr().err
    else:
        assert cli.main(args) == 2
        assert "fair_grid must be an integer >= 0, got -1" in capsys.readouterr().err
