
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from amtoolkit.cli import main  # noqa: E402
from amtoolkit.figures import figureset  # noqa: E402
from amtoolkit.figures.figureset import FIGURES, Figure, FiguresFailed, build  # noqa: E402
from amtoolkit.problems.base import Problem  # noqa: E402

SMALL = {"beta_traces": dict(FIGURES["beta_traces"].config, problem="breast_cancer", steps=30, batch_size=32)}


def test_cli_figures_only_fig2_writes_pdf_and_png(tmp_path, capsys):
    assert main(["figures", "--only", "fig2", "--out", str(tmp_path / "figs"),
                 "--results", str(tmp_path / "store")]) == 0
    assert (tmp_path / "figs" / "fig2.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "figs" / "fig2.png").read_bytes().startswith(b"\x89PNG")
    assert len(list((tmp_path / "store").glob("fig2-*.parquet"))) == 1
    assert "fig2:" in capsys.readouterr().out


def test_second_call_runs_no_optimizer_step(tmp_path, oracle_calls):
    store, out = tmp_path / "store", tmp_path / "figs"
    build(["beta_traces"], out, store, configs=SMALL, log=None)
    first = oracle_calls["n"]
    assert first >= 2 * 31  # two runs of 30 steps
    png = out / "beta_traces.png"
    png.unlink()
    build(["beta_traces"], out, store, configs=SMALL, log=None)
    assert oracle_calls["n"] == first  # only re-plotted
    assert png.is_file()
    files = list(store.iterdir())
    assert len(files) == 1 and files[0].suffix == ".parquet"  # no temporary file left behind
    stored = pd.read_parquet(files[0])
    assert set(stored["method"]) == {"am_mgd", "am_msgd"} and len(stored) == 2 * 31


def test_results_are_keyed_by_config_and_read_back_identically(tmp_path, oracle_calls):
    cfg = SMALL["beta_traces"]
    a = figureset._results("beta_traces", cfg, tmp_path)
    n = oracle_calls["n"]
    b = figureset._results("beta_traces", cfg, tmp_path)
    assert oracle_calls["n"] == n  # read back, not recomputed
    pd.testing.assert_frame_equal(a, b)
    figureset._results("beta_traces", dict(cfg, steps=20), tmp_path)
    assert len(list(tmp_path.glob("beta_traces-*.parquet"))) == 2


def test_restarts_are_downward_crossings_of_theta():
    beta = [0.0, 0.9, 0.95, 0.5, 0.8, 0.6, 0.6, np.nan]
    frame = pd.DataFrame({"method": "am", "seed": 0, "run": 0, "step": range(8), "beta": beta})
    assert list(figureset.restarts(frame, theta=0.7)["step"]) == [3, 5]


def test_lambda_summary_against_a_loop():
    rng = np.random.default_rng(0)
    rows = []
    for lam in (0.01, 1.0):
        for seed in (0, 1):
            beta = np.append(rng.choice([0.3, 0.9], size=9), np.nan)
            full = np.where(np.arange(10) % 3 == 0, rng.uniform(size=10), np.nan)
            rows.append(pd.DataFrame({"hp_lam": lam, "seed": seed, "hp_beta_max": 0.9, "beta": beta,
                                      "full_loss": full}))
    frame = pd.concat(rows)
    summary = figureset.lambda_summary(frame).set_index(["hp_lam", "seed"])
    for part in rows:
        key = (part["hp_lam"].iloc[0], part["seed"].iloc[0])
        b = part["beta"].to_numpy()[:-1]
        assert summary.loc[key, "at_beta_max"] == np.mean(b == 0.9)
        assert summary.loc[key, "final_loss"] == part["full_loss"].dropna().iloc[-1]


def test_qp_validation_table_agrees_with_cvxpy():
    table = FIGURES["qp_validation"].compute(dict(FIGURES["qp_validation"].config, instances=6))
    assert len(table) == 6 and set(table["form"]) == {"Eq. 12", "Eq. 14"}
    assert (table["status"] == "optimal").all()
    assert table["beta_error"].max() < 1e-6 and table["x_error"].max() < 1e-6


def test_a_failing_figure_does_not_cost_the_others(tmp_path, monkeypatch, capsys):
    def broken(config):
        raise FileNotFoundError("a9a is not in AMTOOLKIT_DATA")

    spec = FIGURES["fig2"]
    monkeypatch.setitem(FIGURES, "broken", Figure("broken", "x", "y", {}, broken, spec.draw))
    with pytest.raises(FiguresFailed, match="broken: FileNotFoundError: a9a is not") as info:
        build(["broken", "fig2"], tmp_path / "figs", tmp_path / "store", log=None)
    assert set(info.value.written) == {"fig2"} and (tmp_path / "figs" / "fig2.png").is_file()
    assert main(["figures", "--only", "broken", "fig2", "--out", str(tmp_path / "cli"),
                 "--results", str(tmp_path / "store")]) == 1
    assert "1 figure(s)" in capsys.readouterr().err and (tmp_path / "cli" / "fig2.pdf").is_file()


def test_build_bad_inputs():
    with pytest.raises(ValueError, match="unknown figure\\(s\\) 'fig9'; the figures are fig1_quadratic, fig2"):
        build(["fig9"])
    with pytest.raises(ValueError, match="configs names figures without a configuration: 'nope'"):
        build(["fig2"], configs={"nope": {}})
    with pytest.raises(ValueError, match="configs\\['fig2'\\] must have the keys"):
        build(["fig2"], configs={"fig2": {"lr": 1.0}})
    with pytest.raises(TypeError, match="names must be a list"):
        build("fig2")
    assert main(["figures", "--only", "fig9"]) == 2


def test_mixed_type_columns_are_stored_as_strings(tmp_path):
    frame = pd.DataFrame({"hp_memory": ["M(0.9)", 1.5, None], "hp_beta": [None, 0.9, np.nan]})
    out = figureset._storable(frame)
    assert list(out["hp_memory"][:2]) == ["M(0.9)", "1.5"] and pd.isna(out["hp_memory"][2])
    assert out["hp_beta"].equals(frame["hp_beta"])  # None and floats: Parquet holds them as they are
    out.to_parquet(tmp_path / "x.parquet")  # what pyarrow refuses without the conversion
    with pytest.raises(Exception):
        frame.to_parquet(tmp_path / "y.parquet")


def test_fig3_libsvm_draws_the_reproduction_protocols_curves(tmp_path, data_dir, monkeypatch):
    """fig3_libsvm through the figure store: the stored curves are those of the Sec. 4.1
    protocol (reproduce.convex_problem), the drawn lines carry them, a second build reads
    the store."""
    from amtoolkit.reproduce.convex import convex_problem

    config = {"fig3_libsvm": dict(datasets=["heart_scale"], reg=1e-3, max_steps=150)}
    build(["fig3_libsvm"], tmp_path / "figs", tmp_path / "store", configs=config, log=None)
    assert (tmp_path / "figs" / "fig3_libsvm.pdf").is_file() and (tmp_path / "figs" / "fig3_libsvm.png").is_file()
    stored = figureset._results("fig3_libsvm", config["fig3_libsvm"], tmp_path / "store")
    _, curves = convex_problem("heart_scale", 1e-3, 150, keep_curves=True)
    for label, rows in curves.groupby("label", sort=False):
        np.testing.assert_allclose(stored[stored.label == label].gap.to_numpy(), rows.gap.to_numpy(),
                                   rtol=1e-12, atol=0)
    fig = figureset._draw_reproduction(stored, config["fig3_libsvm"])
    top = fig.axes[0]
    drawn = {ln.get_label(): ln.get_ydata() for ln in top.get_lines()}
    am = curves[curves.label == "AM-MGD 1"].gap.clip(lower=1e-16).to_numpy()
    np.testing.assert_allclose(drawn["AM-MGD (β_max=1)"], am, rtol=1e-12)
    def no_oracle(*args, **kwargs):
        raise AssertionError("a re-plot from the store evaluated the problem")

    monkeypatch.setattr(Problem, "value_and_grad", no_oracle)
    build(["fig3_libsvm"], tmp_path / "figs", tmp_path / "store", configs=config, log=None)


def test_theory_group_goes_through_the_store(tmp_path, monkeypatch):
    """``--only theory`` names the four theory figures; the LRP figure draws the heavy-ball
    iterates of theory_figures.lrp_data, and a re-plot evaluates no problem."""
    from amtoolkit.figures.theory_data import lrp_data

    written = build(["theory_lrp"], tmp_path / "figs", tmp_path / "store", log=None)
    assert [p.name for p in written["theory_lrp"]] == ["theory_lrp.pdf", "theory_lrp.png"]
    stored = figureset._results("theory_lrp", FIGURES["theory_lrp"].config, tmp_path / "store")
    fig = figureset._draw_theory_lrp(stored, FIGURES["theory_lrp"].config)
    drawn = [ln.get_ydata() for ln in fig.axes[0].get_lines() if len(ln.get_ydata()) > 2]
    reference = lrp_data(60)
    assert len(drawn) == len(reference) == 2  # every trace drawn, each in full
    for xs, (label, ref) in zip(drawn, reference.items(), strict=True):
        np.testing.assert_allclose(xs, ref, rtol=1e-12, err_msg=label)

    def no_oracle(*args, **kwargs):
        raise AssertionError("a re-plot from the store evaluated the problem")

    monkeypatch.setattr(Problem, "value_and_grad", no_oracle)
    build(["theory_lrp"], tmp_path / "figs", tmp_path / "store", log=None)
    assert figureset.GROUPS["theory"] == tuple(n for n in FIGURES if n.startswith("theory_"))


def test_figures_output_folders_are_checked_before_computing(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["figures", "--only", "fig2", "--out", str(tmp_path / "file")]) == 2
    assert "out must be a folder" in capsys.readouterr().err
    assert main(["figures", "--only", "fig2", "--out", str(tmp_path / "f"),
                 "--results", str(tmp_path / "file")]) == 2
    assert "results must be a folder" in capsys.readouterr().err
    assert not list(tmp_path.glob("f/*"))  # nothing drawn


@pytest.mark.parametrize("damage", ["cut", "foreign", "other_config"])
def test_a_damaged_or_foreign_store_entry_is_set_aside_and_recomputed(tmp_path, oracle_calls, damage):
    """Issue 21, item 6: such an entry was read on every call and the figure failed for good.
    Now it is moved to <file>.damaged with a warning, and the table computed again."""
    store, out = tmp_path / "store", tmp_path / "figs"
    build(["beta_traces"], out, store, configs=SMALL, log=None)
    [path] = store.glob("*.parquet")
    good = pd.read_parquet(path)
    if damage == "cut":
        path.write_bytes(path.read_bytes()[:200])
    else:  # a valid job file of something else under this figure's name
        from amtoolkit.sweeps.store import write_job

        meta = {"figure": "variants" if damage == "foreign" else "beta_traces",
                "config": {**SMALL["beta_traces"], "steps": 99} if damage == "other_config" else {}}
        write_job(store, path.stem, good.head(3), meta)
    before = oracle_calls["n"]
    with pytest.warns(RuntimeWarning, match="is not a table of figure 'beta_traces'.*computed again"):
        build(["beta_traces"], out, store, configs=SMALL, log=None)
    assert oracle_calls["n"] > before  # recomputed
    assert path.with_name(path.name + ".damaged").is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(path).drop(columns="time"), good.drop(columns="time"))
    after = oracle_calls["n"]
    build(["beta_traces"], out, store, configs=SMALL, log=None)  # and from then on read, not recomputed
    assert oracle_calls["n"] == after


def test_a_failed_store_write_still_draws_the_figure(tmp_path, monkeypatch):
    """Issue 21, item 16: a write that fails after the output check (full disk, read-only
    folder) lost the computed table; now the figure is drawn from memory and a warning says
    that the table was not stored."""
    import errno

    from amtoolkit.sweeps import store as store_module

    def full_disk(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "write_job", full_disk)
    with pytest.warns(RuntimeWarning, match="could not be written .* drawn from memory, not stored"):
        written = build(["beta_traces"], tmp_path / "figs", tmp_path / "store", configs=SMALL, log=None)
    assert written["beta_traces"][1].stat().st_size > 10_000
    assert not list((tmp_path / "store").glob("*.parquet"))
