import numpy as np
import pandas as pd
import pytest
from scipy.optimize import OptimizeResult

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.runner.run import _CHUNK


@pytest.fixture
def quad():
    return amt.Quadratic.random(dim=10, cond=10, seed=0)


def test_frame_columns_and_rows(quad):
    h = amt.run(O.mgd(lr=0.5, beta=0.5), quad, steps=20)
    f = h.frame
    for col in ("run", "step", "loss", "gap", "grad_norm", "lr", "beta", "time", "method",
                "problem", "seed", "hp_lr", "hp_beta", "status"):
        assert col in f.columns
    assert list(f.step) == list(range(21))
    np.testing.assert_allclose(f.gap, f.loss - quad.f_star)
    assert f.beta.eq(0.5).all()  # the final row (no update) repeats the last update's beta
    assert (np.diff(f.time) >= 0).all()
    assert h.meta["versions"]["numpy"] == np.__version__
    # row t holds f(x_t): the last row is the final iterate
    assert f.loss.iloc[-1] == pytest.approx(quad.value(h.x))


def test_divergence_stops_one_run_and_keeps_its_rows(quad):
    h = amt.run(O.gd(lr=np.array([0.5, 50.0])), quad, steps=2000)
    assert h.status == ["finished", "diverged"]
    bad = h.frame[h.frame.run == 1]
    good = h.frame[h.frame.run == 0]
    assert len(good) == 2001 and 1 < len(bad) < 2001
    assert np.isfinite(bad.loss.iloc[:-1]).all() and not np.isfinite(bad.loss.iloc[-1])
    assert good.gap.iloc[-1] < 1e-10


def test_single_diverged_run_keeps_last_finite_iterate(quad):
    h = amt.run(O.gd(lr=50.0), quad, steps=5000)
    assert h.status == ["diverged"]
    assert np.all(np.isfinite(h.x))


def test_gtol_converged(quad):
    h = amt.run(O.gd(lr=1.0), quad, steps=10000, gtol=1e-8)
    assert h.status == ["converged"]
    assert h.frame.grad_norm.iloc[-1] <= 1e-8 < h.frame.grad_norm.iloc[-2]


def test_interrupt_keeps_history(quad):
    def stop(step, state):
        if step == 7:
            raise KeyboardInterrupt
    with pytest.raises(amt.RunInterrupted, match="at step 7 of 100") as info:
        amt.run(O.gd(lr=0.1), quad, steps=100, callback=stop)
    assert isinstance(info.value, KeyboardInterrupt)
    h = info.value.history
    assert h.status == ["interrupted"] and h.frame.step.max() == 7 and set(h.frame.status) == {"interrupted"}


def test_stochastic_run_records_full_loss():
    p = amt.load_problem("breast_cancer", reg=1e-2)
    h = amt.run(O.sgd(lr=0.1, momentum=0.9), p, steps=200, batch_size=32, seed=1, eval_every=50)
    f = h.frame
    evaluated = f[np.isfinite(f.full_loss)]
    # powers of two and every 50th step (every prefix of the run has gap values)
    assert list(evaluated.step) == [0, 1, 2, 4, 8, 16, 32, 50, 64, 100, 128, 150, 200]
    np.testing.assert_allclose(evaluated.gap, evaluated.full_loss - p.f_star)
    assert evaluated.gap.iloc[-1] < 0.1 * evaluated.gap.iloc[0]
    h2 = amt.run(O.sgd(lr=0.1, momentum=0.9), p, steps=200, batch_size=32, seed=1, eval_every=50)
    pd.testing.assert_series_equal(f.loss, h2.frame.loss)  # seeded


def test_minimize_returns_optimize_result():
    from scipy.optimize import rosen, rosen_der

    res = amt.minimize(rosen, np.zeros(2), jac=rosen_der, method="heavy_ball",
                       options={"lr": 1e-3, "beta": 0.9, "maxiter": 20000, "gtol": 1e-7})
    assert isinstance(res, OptimizeResult)
    assert res.success and res.status == 0
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)
    assert res.fun == pytest.approx(rosen(res.x))
    assert res.nit == res.history.frame.step.iloc[-1]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the user's fun overflows
def test_minimize_reports_divergence():
    res = amt.minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: 2 * x, method="gd",
                       options={"lr": 5.0, "maxiter": 5000})
    assert not res.success and res.status == 2 and "diverged" in res.message


def test_history_csv_roundtrip(tmp_path, quad):
    h = amt.run(O.gd(lr=np.array([0.1, 0.2])), quad, steps=5)
    path = tmp_path / "out.csv"
    h.to_csv(path)
    back = pd.read_csv(path)
    np.testing.assert_allclose(back.loss, h.frame.loss)
    assert (tmp_path / "out.csv.meta.json").is_file()


@pytest.mark.parametrize("steps", [_CHUNK - 1, _CHUNK, 2 * _CHUNK + 3])
def test_rows_across_buffer_chunks(quad, steps):
    """Rows on both sides of the recorder's chunk boundaries, against gd written here."""
    h = amt.run(O.gd(lr=np.array([0.1, 0.2])), quad, steps)
    assert len(h.frame) == 2 * (steps + 1)
    for k, lr in enumerate((0.1, 0.2)):
        rows = h.frame[h.frame.run == k]
        assert list(rows.step) == list(range(steps + 1))
        assert rows.lr.eq(lr).all()  # the final row repeats the last update's lr
        xs = [np.zeros(quad.dim)]
        for _ in range(steps):
            xs.append(xs[-1] - lr * quad.grad(xs[-1]))
        np.testing.assert_allclose(rows.loss, [float(quad.value(x)) for x in xs], rtol=1e-10, atol=1e-12)


def test_package_versions_reads_extra_distributions_from_their_metadata():
    import importlib.metadata

    from amtoolkit.runner import package_versions

    versions = package_versions("joblib", "no-such-distribution-amt")
    assert versions["joblib"] == importlib.metadata.version("joblib")
    assert versions["no-such-distribution-amt"] == "not installed"
    assert versions["numpy"] == np.__version__ and "amtoolkit" in versions


@pytest.mark.parametrize("record_every", [1, 7])
def test_final_row_repeats_the_last_update_whatever_the_recording(quad, record_every):
    """A schedule lr_t = 0.01·(t+1): the final row (step 20, no update) shows the last
    update's lr_19 = 0.20 and β_19, not those of an earlier recorded row."""
    opt = O.am_mgd(lr=lambda t: 0.01 * (t + 1))
    h = amt.run(opt, quad, 20, record_every=record_every)
    full = amt.run(opt, quad, 20)
    last = h.frame.iloc[-1]
    assert last["step"] == 20 and last["lr"] == pytest.approx(0.20)
    assert last["beta"] == full.frame.set_index("step").loc[19, "beta"]
