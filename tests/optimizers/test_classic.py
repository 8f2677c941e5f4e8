import dataclasses

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from tests.conftest import to_np
from tests.optimizers.reference import torch_adamw_reference, torch_sgd_reference, torch_trajectory

RNG = np.random.default_rng(12345)
X0 = RNG.standard_normal(6)
GRADS = RNG.standard_normal((50, 6))


def trajectory(opt, x0, grads, xp=None):
    """Feed a fixed gradient sequence; return the iterates after each update."""
    xp = xp or np
    state = opt.init(xp.asarray(x0))
    out = []
    for g in grads:
        state = opt.update(state, xp.asarray(g))
        out.append(to_np(opt.params(state)).copy())
    return np.array(out)


# -- first two steps by hand ------------------------------------------------------------
G0, G1 = np.array([1.0, -2.0]), np.array([0.5, 4.0])
XA = np.array([3.0, 1.0])


@pytest.mark.parametrize("opt, x1, x2", [
    (O.gd(lr=0.1), XA - 0.1 * G0, XA - 0.1 * G0 - 0.1 * G1),
    (O.heavy_ball(lr=0.1, beta=0.5), XA - 0.1 * G0,
     XA - 0.1 * G0 - 0.1 * G1 + 0.5 * (-0.1 * G0)),
    (O.mgd(lr=0.1, beta=0.5), XA - 0.1 * G0, XA - 0.1 * G0 - 0.1 * (0.5 * G0 + 0.5 * G1)),
    (O.sgd(lr=0.1, momentum=0.5, dampening=0.25), XA - 0.1 * G0,
     XA - 0.1 * G0 - 0.1 * (0.5 * G0 + 0.75 * G1)),
    (O.sgd(lr=0.1, momentum=0.5, nesterov=True), XA - 0.1 * 1.5 * G0,
     XA - 0.1 * 1.5 * G0 - 0.1 * (G1 + 0.5 * (0.5 * G0 + G1))),
    (O.sgd(lr=0.1, weight_decay=0.2), XA - 0.1 * (G0 + 0.2 * XA),
     (XA - 0.1 * (G0 + 0.2 * XA)) - 0.1 * (G1 + 0.2 * (XA - 0.1 * (G0 + 0.2 * XA)))),
    # weight_decay = 1 (L2 term x itself): still applied, not mistaken for "no decay"
    (O.sgd(lr=0.1, weight_decay=1.0), XA - 0.1 * (G0 + XA),
     (XA - 0.1 * (G0 + XA)) - 0.1 * (G1 + (XA - 0.1 * (G0 + XA)))),
    # nag, convex schedule: beta_0 = 0 so y_1 = x_1; beta_1 = 1/4.
    (O.nag(lr=0.1), XA - 0.1 * G0, XA - 0.1 * G0 - 0.1 * G1),
    (O.nag(lr=0.1, beta=0.5), XA - 0.1 * G0, XA - 0.1 * G0 + 0.5 * (-0.1 * G0) - 0.1 * G1),
])
def test_first_two_steps_by_hand(opt, x1, x2, xp):
    traj = trajectory(opt, XA, [G0, G1], xp)
    np.testing.assert_allclose(traj[0], x1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(traj[1], x2, rtol=1e-14, atol=1e-15)


def test_nag_query_point_uses_schedule():
    opt = O.nag(lr=0.1)
    s = opt.init(XA)
    s = opt.update(s, G0)
    s = opt.update(s, G1)  # beta_1 = 1/4
    x1, x2 = XA - 0.1 * G0, XA - 0.1 * G0 - 0.1 * G1
    np.testing.assert_allclose(s.x, x2 + 0.25 * (x2 - x1), rtol=1e-14)
    assert s.info["beta"] == 0.25


def test_adamw_first_step_by_hand():
    # After one step m_hat = g, v_hat = g², so the step is lr * g/(|g| + eps) after decay.
    opt = O.adamw(lr=0.01, weight_decay=0.1, eps=1e-8)
    x1 = trajectory(opt, XA, [G0])[0]
    np.testing.assert_allclose(x1, XA * (1 - 0.001) - 0.01 * G0 / (np.abs(G0) + 1e-8), rtol=1e-14)


# -- PyTorch semantics --------------------------------------------------------------------
SGD_SETTINGS = [
    dict(momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0),
    dict(momentum=0.0, dampening=0.5, nesterov=False, weight_decay=0.0),
    dict(momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0),
    dict(momentum=0.9, dampening=0.3, nesterov=False, weight_decay=1e-2),
    dict(momentum=0.7, dampening=0.0, nesterov=True, weight_decay=0.0),
    dict(momentum=0.5, dampening=0.0, nesterov=True, weight_decay=5e-2),
]


@pytest.mark.parametrize("kw", SGD_SETTINGS)
def test_sgd_matches_torch_formulas(kw, xp):
    ours = trajectory(O.sgd(lr=0.05, **kw), X0, GRADS, xp)
    ref = torch_sgd_reference(X0, GRADS, lr=0.05, **kw)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", SGD_SETTINGS)
def test_sgd_matches_real_torch(kw):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (.ci/run installs the CPU build)")
    ref = torch_trajectory(torch.optim.SGD, X0, GRADS, lr=0.05, **kw)
    np.testing.assert_allclose(trajectory(O.sgd(lr=0.05, **kw), X0, GRADS), ref, rtol=1e-12, atol=1e-12)


ADAMW_SETTINGS = [
    dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2),
    dict(betas=(0.5, 0.9), eps=1e-6, weight_decay=0.0),
    dict(betas=(0.0, 0.99), eps=1e-3, weight_decay=0.3),
]


@pytest.mark.parametrize("kw", ADAMW_SETTINGS)
def test_adamw_matches_torch_formulas(kw, xp):
    ours = trajectory(O.adamw(lr=0.01, **kw), X0, GRADS, xp)
    np.testing.assert_allclose(ours, torch_adamw_reference(X0, GRADS, lr=0.01, **kw), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kw", ADAMW_SETTINGS)
def test_adamw_matches_real_torch(kw):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (.ci/run installs the CPU build)")
    ref = torch_trajectory(torch.optim.AdamW, X0, GRADS, lr=0.01, **kw)
    np.testing.assert_allclose(trajectory(O.adamw(lr=0.01, **kw), X0, GRADS), ref, rtol=1e-12, atol=1e-12)


def test_adamw_amsgrad_matches_real_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    ref = torch_trajectory(torch.optim.AdamW, X0, GRADS, lr=0.01, amsgrad=True)
    np.testing.assert_allclose(trajectory(O.adamw(lr=0.01, amsgrad=True), X0, GRADS), ref, rtol=1e-12)


# -- equivalences ----------------------------------------------------------------------------
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_mgd_equals_sgd_with_dampening(beta, xp):
    np.testing.assert_allclose(trajectory(O.mgd(lr=0.1, beta=beta), X0, GRADS, xp),
                               trajectory(O.sgd(lr=0.1, momentum=beta, dampening=beta), X0, GRADS, xp),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("beta", [0.3, 0.9])
def test_heavy_ball_equals_mgd_reparametrised(beta):
    """mgd(η, β) from step 1 on is heavy-ball(η(1-β), β) started at (x_1, x_0)."""
    lr = 0.1
    q = amt.Quadratic.random(dim=8, cond=50, seed=3)
    m = O.mgd(lr=lr, beta=beta)
    s = m.init(q.x_star + 1.0)
    x0 = s.x
    s = m.update(s, q.grad(s.x))
    hb = O.heavy_ball(lr=lr * (1 - beta), beta=beta)
    h = hb.init(s.x).replace(buffers={"x_prev": x0})
    for _ in range(100):
        s = m.update(s, q.grad(s.x))
        h = hb.update(h, q.grad(h.x))
        np.testing.assert_allclose(h.x, s.x, rtol=1e-12, atol=1e-12)


def test_nag_schedule_meets_the_accelerated_bound():
    """Su-Boyd-Candès: with s = 1/L, f(x_k) - f* <= 2‖x_0 - x*‖² / (s (k+1)²)."""
    q = amt.Quadratic.random(dim=40, cond=1e4, seed=0)
    opt = O.nag(lr=1.0 / q.smoothness)
    s = opt.init(np.zeros(40))
    r0 = np.linalg.norm(q.x_star) ** 2
    for k in range(1, 301):
        s = opt.update(s, q.grad(s.x))
        gap = q.value(opt.params(s)) - q.f_star
        assert gap <= 2 * q.smoothness * r0 / (k + 1) ** 2 * (1 + 1e-10)
    # and the momentum matters: gd is far slower at k = 300
    g = amt.run(O.gd(lr=1.0 / q.smoothness), q, 300).final()["gap"].iloc[0]
    assert gap < 0.2 * g


def test_schedules():
    cos = O.schedules.cosine(1.0, total_steps=10, lr_min=0.1)
    assert cos(0) == pytest.approx(1.0) and cos(10) == pytest.approx(0.1) and cos(5) == pytest.approx(0.55)
    warm = O.schedules.linear_warmup(0.5, warmup_steps=4)
    assert [warm(t) for t in range(6)] == [0.125, 0.25, 0.375, 0.5, 0.5, 0.5]
    traj = trajectory(O.gd(lr=warm), np.zeros(2), [np.ones(2)] * 3)
    np.testing.assert_allclose(traj[:, 0], [-0.125, -0.375, -0.75])
    # after the warm-up, `after` restarts its own clock: after(t - W)
    chained = O.schedules.linear_warmup(1.0, warmup_steps=5, after=cos)
    assert [chained(t) for t in (4, 5, 10, 15)] == [1.0, cos(0), cos(5), cos(10)]
    # a schedule may return one value per run, shape (K,): as K separate constant-step runs
    q = amt.Quadratic.random(dim=3, cond=10, seed=0)
    both = amt.run(O.heavy_ball(lr=lambda t: np.array([0.1, 0.2]), beta=np.array([0.5, 0.5])), q, 5,
                   x0=np.ones(3))
    for k, lr in enumerate((0.1, 0.2)):
        one = amt.run(O.heavy_ball(lr=lr, beta=0.5), q, 5, x0=np.ones(3))
        np.testing.assert_allclose(to_np(both.x)[k], to_np(one.x), rtol=1e-14)
    # a schedule is a value: frozen, hashable, shown by its configuration
    with pytest.raises(dataclasses.FrozenInstanceError):
        cos.label = "changed"
    assert repr(cos) == "cosine(1.0, total_steps=10, lr_min=0.1)"
    assert {cos: 1}[cos] == 1  # usable as a key (a mutable dataclass would not hash)


# -- nag(record=...) ----------------------------------------------------------------------
@pytest.mark.parametrize("beta", [None, 0.7])
def test_nag_record_x_or_y_against_a_hand_loop(beta):
    """record="x" records f(x_t) and ‖∇f(x_t)‖, record="y" (default) the gradient point y_t,
    with x_t, y_t from NAG's two equations written out here."""
    q = amt.Quadratic.random(dim=12, cond=100, seed=4)
    lr = 1.0 / q.smoothness
    x = y = np.zeros(12)
    fx, fy, gx = [], [], []
    for t in range(31):
        fx.append(q.value(x))
        fy.append(q.value(y))
        gx.append(np.linalg.norm(q.grad(x)))
        x_new = y - lr * q.grad(y)
        b = t / (t + 3.0) if beta is None else beta
        y, x = x_new + b * (x_new - x), x_new
    hx = amt.run(O.nag(lr=lr, beta=beta, record="x"), q, steps=30).frame
    hy = amt.run(O.nag(lr=lr, beta=beta), q, steps=30).frame
    np.testing.assert_allclose(hx.loss, fx, rtol=1e-12)
    np.testing.assert_allclose(hx.grad_norm, gx, rtol=1e-10)
    np.testing.assert_allclose(hy.loss, fy, rtol=1e-12)
    assert not np.allclose(hx.loss, hy.loss)  # the two points do differ
    np.testing.assert_array_equal(hx.hp_record, "x")


def test_nag_record_x_matches_the_value_at_the_recorded_iterate():
    q = amt.Quadratic.random(dim=6, cond=10, seed=0)
    opt = O.nag(lr=0.5 / q.smoothness, record="x")
    seen = {}
    h = amt.run(opt, q, steps=10, callback=lambda t, s: seen.__setitem__(t + 1, q.value(opt.params(s))))
    np.testing.assert_allclose(h.frame.loss.iloc[1:], [seen[t] for t in range(1, 11)], rtol=1e-14)


def test_nag_bad_record():
    with pytest.raises(ValueError, match="record must be 'y'.*or 'x'.*got 'z'"):
        O.nag(record="z")


def test_adamw_first_step_by_hand_with_and_without_decay():
    """Step 1 of AdamW: m̂ = g, v̂ = g², so x1 = x0(1 - η·wd) - η g/(|g| + ε); a batch with
    wd = (0, 1) applies the decay to the second run only (wd = 1 is not 'no decay')."""
    opt = O.adamw(lr=0.1, weight_decay=np.array([0.0, 1.0]), eps=1e-8)
    s = opt.update(opt.init(np.stack([XA, XA])), np.stack([G0, G0]))
    step = 0.1 * G0 / (np.abs(G0) + 1e-8)
    np.testing.assert_allclose(to_np(s.x), [XA - step, XA * 0.9 - step], rtol=1e-14, atol=1e-15)
    one = O.adamw(lr=0.1, weight_decay=1.0, eps=1e-8)
    np.testing.assert_allclose(to_np(one.update(one.init(XA), G0).x), XA * 0.9 - step, rtol=1e-14)
