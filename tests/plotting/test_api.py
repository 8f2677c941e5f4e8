import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import amtoolkit as amt  # noqa: E402
from amtoolkit import optimizers as O  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def quad():
    return amt.Quadratic.random(dim=10, cond=10.0, seed=1)


def _lines(ax):
    return {line.get_label(): (line.get_xdata(), line.get_ydata()) for line in ax.get_lines()}


def test_plot_history_draws_the_recorded_gap_on_a_log_scale(quad):
    h = amt.run(O.gd(lr=1.0 / quad.smoothness), quad, 60)
    ax = amt.plot(h)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), h.frame["step"])
    np.testing.assert_array_equal(line.get_ydata(), h.frame["gap"])
    assert ax.get_yscale() == "log"  # the gap spans more than two decades
    h.plot(y="grad_norm", ax=ax)  # History.plot is amt.plot
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), h.frame["grad_norm"])


def test_plot_batched_history_one_line_per_run_labelled_by_hyperparameters(quad):
    betas = np.array([0.0, 0.5, 0.9])
    h = amt.run(O.mgd(lr=1.0 / quad.smoothness, beta=betas), quad, 40)
    ax = amt.plot(h, y="loss", logy=False)
    lines = _lines(ax)
    assert set(lines) == {"β=0", "β=0.5", "β=0.9"}
    assert ax.get_yscale() == "linear"
    for k, beta in enumerate(betas):
        rows = h.frame[h.frame["run"] == k]
        x, y = lines[f"β={beta:g}"]
        np.testing.assert_array_equal(x, rows["step"])
        np.testing.assert_array_equal(y, rows["loss"])


def test_plot_frame_with_hue_colours_by_column_and_skips_nan_rows():
    problem = amt.load_problem("breast_cancer", reg=1e-2)
    lr = 1.0 / problem.smoothness
    frames = [amt.run(O.mgd(lr=lr, beta=0.9), problem, 30, batch_size=32, seed=s, eval_every=5).frame
              for s in (0, 1)] + [amt.run(O.gd(lr=lr), problem, 30).frame]
    frame = pd.concat(frames, ignore_index=True)
    ax = amt.plot(frame, hue="method")
    lines = ax.get_lines()
    assert len(lines) == 3
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    assert [ln.get_label() for ln in lines] == ["method=mgd", "_nolegend_", "method=gd"]
    seed1 = frames[1][frames[1]["gap"].notna()]  # minibatch runs: the full loss at 0, 1, 2, 4, ... and every 5 steps
    np.testing.assert_array_equal(lines[1].get_xdata(), seed1["step"])
    np.testing.assert_array_equal(lines[1].get_ydata(), seed1["gap"])
    assert list(seed1["step"]) == sorted({0, 1, 2, 4, 8, 16} | set(range(0, 31, 5)))
    assert frames[1]["gap"].isna().any()  # the NaN rows were skipped, not drawn


def test_plot_results_best_configuration_median_and_band_against_a_pandas_loop():
    problem = amt.load_problem("breast_cancer", reg=1e-2)
    lr = 1.0 / problem.smoothness
    parts = []
    for seed in (0, 1, 2):
        parts.append(amt.run(O.mgd(lr=lr, beta=np.array([0.0, 0.5, 0.9])), problem, 40, batch_size=32,
                             seed=seed, eval_every=4).frame)
        parts.append(amt.run(O.gd(lr=np.array([0.3 * lr, lr])), problem, 40, batch_size=32, seed=seed,
                             eval_every=4).frame)
    frame = pd.concat(parts, ignore_index=True)
    ax = amt.plot_results(frame)
    # The reference: per method and configuration, the median over seeds of the final gap.
    expected = {}
    for method, hp in (("mgd", "hp_beta"), ("gd", "hp_lr")):
        rows = frame[(frame["method"] == method) & frame["gap"].notna()]
        final = rows.groupby([hp, "seed"])["gap"].last().groupby(level=0).median()
        best = final.idxmin()
        chosen = rows[rows[hp] == best]
        expected[method] = (best, chosen.pivot(index="step", columns="seed", values="gap"))
    lines = ax.get_lines()
    assert len(lines) == 2 and len(ax.collections) == 2
    for line, band, method in zip(lines, ax.collections, ("mgd", "gd")):
        best, table = expected[method]
        symbol = "β" if method == "mgd" else "η"
        assert line.get_label() == f"{method} {symbol}={best:.3g}"
        np.testing.assert_array_equal(line.get_xdata(), table.index)
        np.testing.assert_allclose(line.get_ydata(), table.median(axis=1))
        verts = band.get_paths()[0].vertices
        for step, lo, hi in zip(table.index, table.min(axis=1), table.max(axis=1)):
            at = verts[np.isclose(verts[:, 0], step), 1]
            assert np.isclose(at, lo).any() and np.isclose(at, hi).any()


def test_best_configs_counts_diverged_runs_as_worst():
    frame = pd.DataFrame({"method": "m", "seed": 0, "step": [0, 1] * 2, "gap": [1.0, 0.1, 1.0, 0.01],
                          "hp_lr": [1.0, 1.0, 2.0, 2.0],
                          "status": ["finished"] * 2 + ["diverged"] * 2})
    assert set(amt.plotting.best_configs(frame)["hp_lr"]) == {1.0}


def test_plotting_bad_inputs_name_the_parameter(quad):
    h = amt.run(O.gd(lr=0.1), quad, 3)
    with pytest.raises(ValueError, match="y='nope' is not a column"):
        amt.plot(h, y="nope")
    with pytest.raises(ValueError, match="hue='colour'"):
        amt.plot(h, hue="colour")
    with pytest.raises(TypeError, match="data must be a History or a pandas DataFrame"):
        amt.plot([1, 2, 3])
    two = pd.concat([h.frame, h.frame.assign(problem="other")])
    with pytest.raises(ValueError, match="plot_results draws one problem"):
        amt.plot_results(two)
    with pytest.raises(ValueError, match="by='family'"):
        amt.plot_results(h.frame, by="family")


def test_plotting_leaves_the_callers_matplotlib_settings_alone(quad):
    """The paper style applies inside amt.plot / plot_results only: the backend and the
    global rcParams a notebook or script chose are unchanged afterwards."""
    backend = matplotlib.get_backend()
    with matplotlib.rc_context({"font.size": 13.0, "font.family": ["sans-serif"]}):
        h = amt.run(O.mgd(lr=0.1, beta=np.array([0.5, 0.9])), quad, 20)
        ax = amt.plot(h)
        assert ax.xaxis.label.get_fontsize() != 13.0  # drawn in the paper style
        amt.plot_results(h.frame.assign(method="mgd"))
        assert matplotlib.rcParams["font.size"] == 13.0
        assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.get_backend() == backend
    plt.close("all")


def test_legends_leave_out_missing_hyperparameters_and_show_lr_as_given():
    """Issue 21 usability: a legend mixing gd and mgd showed 'gd β=nan', and plot_results
    showed η = 2.41 where lr = "1.5/L" was given."""
    import matplotlib.pyplot as plt

    q = amt.Quadratic.random(dim=10, cond=100, seed=0)
    both = amt.concat([amt.run(O.gd(lr="1.5/L"), q, 20), amt.run(O.mgd(lr="1/L", beta=0.9), q, 20)])
    for ax in (amt.plot(both), amt.plot_results(both.frame)):
        labels = ax.get_legend_handles_labels()[1]
        assert labels and not any("nan" in lab for lab in labels), labels
        plt.close(ax.figure)
    ax = amt.plot(amt.run(O.mgd(lr=["1/L", "1.5/L"], beta=0.9), q, 20))
    assert ax.get_legend_handles_labels()[1] == ["η=1/L", "η=1.5/L"]
    plt.close(ax.figure)
