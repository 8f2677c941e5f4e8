"""validate_history replays what it can and refuses, up front and naming the reason, what it
cannot (issue 21, item 9).

The principle: a replay either reproduces the run exactly as ``amt.run`` computed it (the same
optimizer, start, dtype, minibatches, every step whatever ``record_every`` was) or is refused
before anything is solved, with the reason and what is allowed; "the replay does not reproduce
the loss" is then only ever said of a run this optimizer did not compute. The reference of every
check is the generic QP solver (cvxpy + Clarabel) on the model of Eq. 9 / Sec. 3.4.
"""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.model import two_plane
from amtoolkit.optimizers import schedules


def _quadratic():
    return amt.Quadratic.random(dim=20, cond=100, seed=3)


def _logistic():
    X, y = amt.problems.make_logistic_data(80, 6, seed=0)
    return amt.LogisticRegression(X, y, reg=1e-2)


def _msgd(q):
    return O.am_msgd(lr=1.0 / q.smoothness, lam=0.1, beta_max=0.999)


def test_record_every_is_replayed_every_step_and_compared_on_the_recorded_rows():
    q = _quadratic()
    full = amt.run(_msgd(q), q, 40, x0=np.full(20, 0.3))
    sparse = amt.run(_msgd(q), q, 40, x0=np.full(20, 0.3), record_every=7)
    assert len(sparse.frame) < len(full.frame)
    a = amt.validate.validate_history(full, q, every=8)
    b = amt.validate.validate_history(sparse, q, every=8)  # steps 8, 16, ...: most were not recorded
    assert b.step.tolist() == [8, 16, 24, 32] and b.ok.all(), b[~b.ok]
    np.testing.assert_array_equal(a.beta_closed, b.beta_closed)


def test_a_replay_of_another_run_is_still_a_disagreement():
    q = _quadratic()
    h = amt.run(_msgd(q), q, 20, x0=np.full(20, 0.3), record_every=5)
    h.frame.loc[h.frame.step == 10, "loss"] *= 1.0 + 1e-9
    with pytest.raises(RuntimeError, match="does not reproduce the recorded loss at step 10"):
        amt.validate.validate_history(h, q, every=5)


def test_float32_run_is_replayed_in_float32_at_a_float32_tolerance(monkeypatch):
    """The float32 run's β and x_{t+1} agree with the float64 QP to the float32 default
    tolerance (1e4·ε₃₂ ≈ 1.2e-3; the errors measured are ≤ 2e-5), and that tolerance still
    catches an offset off by a factor of 2."""
    q = _quadratic()
    h = amt.run(_msgd(q), q, 40, x0=np.full(20, 0.3, dtype=np.float32))
    assert amt.validate.default_tol(np.float32) == pytest.approx(1e4 * np.finfo(np.float32).eps)
    report = amt.validate.validate_history(h, q, every=4)
    assert len(report) == 9 and report.ok.all(), report[~report.ok]
    assert 1e-9 < report.beta_error.max() < 1e-4  # float32 round-off: above float64's, below the tolerance
    right = two_plane.first_order_gap
    monkeypatch.setattr(two_plane, "first_order_gap", lambda *a, **k: 2.0 * right(*a, **k))
    bad = amt.run(_msgd(q), q, 40, x0=np.full(20, 0.3, dtype=np.float32))
    assert not amt.validate.validate_history(bad, q, every=4).ok.any()


@pytest.mark.parametrize("source", ["recorded", "recomputed"])
def test_am_msgd_is_validated_on_the_minibatches_it_used(source):
    """Sec. 3.4: AM-MSGD's model is built on the batch gradient ∇f(x_t, s_t) and the
    first-order offset on that batch; the replay draws the run's batches from its seed."""
    p = _logistic()
    h = amt.run(O.am_msgd(lr=0.5, lam=0.1), p, 40, batch_size=10, seed=3, x0=np.full(6, 0.5))
    report = amt.validate.validate_history(h, p, every=4, source=source)
    assert len(report) == 9 and report.ok.all(), report[~report.ok]
    assert report.x_error.max() <= 1e-6 and ((report.beta_closed > 1e-6) & (report.beta_closed < 0.9 - 1e-6)).any()


def test_minibatch_replay_sees_a_wrong_offset_and_a_wrong_seed(monkeypatch):
    p = _logistic()
    h = amt.run(O.am_msgd(lr=0.5, lam=0.1), p, 30, batch_size=10, seed=3, x0=np.full(6, 0.5))
    h.meta["seed"] = 4  # other batches: the batch losses differ from step 0
    with pytest.raises(RuntimeError, match="does not reproduce the recorded loss at step 0"):
        amt.validate.validate_history(h, p, every=5)
    right = two_plane.first_order_gap
    monkeypatch.setattr(two_plane, "first_order_gap", lambda *a, **k: 2.0 * right(*a, **k))
    bad = amt.run(O.am_msgd(lr=1.0, lam=1.0), p, 30, batch_size=10, seed=3, x0=np.full(6, 0.5))
    recorded, recomputed = (amt.validate.validate_history(bad, p, every=2, source=s)
                            for s in ("recorded", "recomputed"))
    assert recorded.ok.all() and not recomputed.ok.all()


def _history(q, steps=10, **kw):
    return amt.run(_msgd(q), q, steps, x0=np.full(q.dim, 0.3), **kw)


def _without_meta(q):
    h = _history(q)
    return amt.History(frame=h.frame, x=h.x, state=None, status=h.status, meta={})


def _loaded_schedule(q, tmp_path):
    h = amt.run(O.am_mgd(lr=schedules.cosine(0.5, 10)), q, 10)
    h.to_csv(tmp_path / "h.csv")
    with pytest.warns(UserWarning, match="cannot be replayed"):
        return amt.load_history(tmp_path / "h.csv")


CANNOT = {
    "no metadata": (lambda q, tmp: _without_meta(q), r"it has no metadata \(meta\['method'\] is missing\)"),
    "schedule read back": (_loaded_schedule, r"history.optimizer is None: am_mgd cannot be rebuilt .*schedules"),
    "concat": (lambda q, tmp: amt.concat([_history(q), _history(q)]),
               r"it holds 2 runs \(several histories joined by concat"),
    "batched": (lambda q, tmp: amt.run(O.am_mgd(lr=np.array([0.1, 0.2])), q, 5), r"it holds 2 runs \(a batched optimizer\)"),
    "other problem": (lambda q, tmp: amt.run(O.am_mgd(), amt.Quadratic.random(dim=20, seed=9), 5),
                      r"it ran on problem='quadratic\(d=20,cond=1000,log\)', and the problem given has "
                      r"problem='quadratic\(d=20,cond=100,log\)'"),
    "no x0": (lambda q, tmp: amt.History(frame=_history(q).frame, x=None, state=None, status=["finished"],
                                         meta=_history(q).meta, optimizer=_msgd(q)), r"its start x0 was not recorded \(history.x0 is None\)"),
    "float16": (lambda q, tmp: amt.run(_msgd(q), q, 5, x0=np.ones(q.dim, dtype=np.float16)),
                r"its dtype is float16: .*only float32 and float64"),
}


@pytest.mark.parametrize("case", sorted(CANNOT))
def test_a_run_that_cannot_be_replayed_is_refused_up_front_with_its_reason(case, tmp_path):
    q = _quadratic()
    make, reason = CANNOT[case]
    with pytest.raises(ValueError, match="validate_history cannot replay this history: " + reason) as err:
        amt.validate.validate_history(make(q, tmp_path), q)
    assert "It replays one run of am_mgd, am_msgd or am_adamw" in str(err.value)


def test_a_one_run_concat_is_replayed():
    q = _quadratic()
    report = amt.validate.validate_history(amt.concat([_history(q, 20)]), q, every=5)
    assert len(report) == 3 and report.ok.all()
