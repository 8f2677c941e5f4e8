import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.model import two_plane as tp
from tests.optimizers.reference import torch_adamw_reference

Q = amt.Quadratic.random(dim=30, cond=1e3, seed=0)


def _traj(opt, problem, steps, x0=None):
    h = amt.run(opt, problem, steps, x0=x0)
    return h


@pytest.mark.parametrize("lam", [0.0, 0.1, 0.7])
def test_beta_max_zero_is_mgd_with_lam_over_one_plus_lam(lam, xp):
    x0 = xp.asarray(np.ones(30))
    h_am = amt.run(O.am_mgd(lr=0.8, lam=lam, beta_max=0.0), Q, 100, x0=x0)
    ref = O.mgd(lr=0.8, beta=lam / (1 + lam)) if lam else O.gd(lr=0.8)
    h_ref = amt.run(ref, Q, 100, x0=x0)
    np.testing.assert_allclose(h_am.frame.loss, h_ref.frame.loss, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_am.frame.effective_momentum.iloc[1:-1], lam / (1 + lam), rtol=1e-12)


def test_first_step_is_a_gradient_step():
    s = O.am_mgd(lr=0.5, lam=0.3).init(np.ones(3))
    g = np.array([1.0, 2.0, -1.0])
    s = O.am_mgd(lr=0.5, lam=0.3).update(s, g, loss=3.0)
    np.testing.assert_allclose(s.x, np.ones(3) - 0.5 * g)
    assert float(s.info["beta"]) == 0.0


def test_am_msgd_beta_identity_in_a_run():
    """Recorded β_raw equals (1+λ)‖g‖²/‖d-g‖² - λ with constant lr."""
    opt = O.am_msgd(lr=0.5, lam=0.2)
    s = opt.init(np.ones(30))
    for t in range(20):
        g = Q.grad(s.x)
        d = s.buffers["d"]
        s = opt.update(s, g)
        if t >= 1:
            ref = 1.2 * (g @ g) / ((d - g) @ (d - g)) - 0.2
            assert float(s.info["beta_raw"]) == pytest.approx(ref, rel=1e-10)


def test_am_msgd_schedule_ratio():
    """Under a schedule, the offset uses η_{t-1}: β = (1+λ)(η_{t-1}/η_t)gᵀd·... (Eq. 12)."""
    sched = O.schedules.cosine(0.5, total_steps=20)
    opt = O.am_msgd(lr=sched, lam=0.1)
    s = opt.init(np.ones(30))
    for t in range(10):
        g, d = Q.grad(s.x), s.buffers["d"]
        s = opt.update(s, g)
        if t >= 1:
            gap = sched(t - 1) * (g @ d)
            ref, _ = tp.beta_star_from_gap(gap, g, d, sched(t), 0.1)
            assert float(s.info["beta_raw"]) == pytest.approx(float(ref), rel=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_am_adamw_reduces_to_adamw(beta, xp):
    rng = np.random.default_rng(0)
    x0, grads = rng.standard_normal(6), rng.standard_normal((50, 6))
    opt = O.am_adamw(lr=0.01, lam=0.0, beta=beta, beta2=0.99, eps=1e-8, weight_decay=0.0)
    s = opt.init(xp.asarray(x0))
    out = []
    for g in grads:
        s = opt.update(s, xp.asarray(g))
        out.append(np.asarray(s.x))
    ref = torch_adamw_reference(x0, grads, lr=0.01, betas=(beta, 0.99), eps=1e-8, weight_decay=0.0)
    np.testing.assert_allclose(np.array(out), ref, rtol=1e-12, atol=1e-12)


def test_am_adamw_decay_is_the_implicit_form_of_adamw():
    """With μ > 0 the prox step divides x_t - ηP⁻¹d by (1+μη) where AdamW multiplies x_t
    by (1-μη): per step they differ by O(μη·(η‖P⁻¹d‖∞ + μη‖x‖∞)), Adam's step being <= ~η."""
    rng = np.random.default_rng(1)
    x0, grads = rng.standard_normal(6), rng.standard_normal((20, 6))
    for mu in (1e-2, 1e-1):
        opt = O.am_adamw(lr=0.01, lam=0.0, beta=0.9, weight_decay=mu)
        s = opt.init(x0)
        for g in grads:
            s = opt.update(s, g)
        ref = torch_adamw_reference(x0, grads, lr=0.01, betas=(0.9, 0.999), weight_decay=mu)[-1]
        err = np.max(np.abs(s.x - ref))
        assert 0 < err <= 2 * 20 * (mu * 0.01) * (0.01 + mu * 0.01 * np.max(np.abs(x0)))


def test_clip_and_reset_follow_their_definitions():
    h = amt.run(O.am_msgd(lr=0.5, lam=0.1, variant="clip", beta_min=0.6), Q, 60)
    f = h.frame.iloc[1:-1]
    np.testing.assert_allclose(f.beta, np.maximum(f.beta_am, 0.6))
    h = amt.run(O.am_msgd(lr=0.5, lam=0.1, variant="reset", theta=0.7), Q, 60)
    f = h.frame.iloc[:-1]
    np.testing.assert_allclose(f.beta, np.where(f.beta_am >= 0.7, 0.9, 0.1))
    assert {0.9, 0.1} <= set(f.beta.round(12))


def test_beta_am_is_clipped_closed_form():
    h = amt.run(O.am_mgd(lr=1.0, beta_max=0.7, lam=0.2), Q, 50)
    f = h.frame.iloc[1:-1]
    np.testing.assert_allclose(f.beta_am, np.clip(f.beta_raw, 0, 0.7))
    np.testing.assert_allclose(f.effective_momentum, (f.beta + 0.2) / 1.2)


def test_distance_offset_minimises_distance_to_x_star():
    opt = O.am_mgd(lr=0.7, lam=0.1, beta_max=0.999999, offset="distance")
    s = opt.init(np.ones(30))
    xs = Q.x_star
    for t in range(15):
        g = Q.grad(s.x)
        d = s.buffers["d"]
        x_t = s.x
        s = opt.update(s, g, x_star=xs)
        if t >= 1:
            # ‖x_{t+1}(β) - x*‖² is a quadratic in β: its vertex from three exact values
            vals = [np.sum((tp.step(x_t, tp.direction(b, g, d, 0.1), 0.7) - xs) ** 2) for b in (-1, 0, 1)]
            a2, a1 = (vals[0] + vals[2] - 2 * vals[1]) / 2, (vals[2] - vals[0]) / 2
            assert float(s.info["beta_raw"]) == pytest.approx(-a1 / (2 * a2), rel=1e-8)


def test_bundle_offset_underestimates():
    """On a convex problem the aggregate plane lies below f: f_hat - f <= 0 at every step."""
    p = amt.load_problem("breast_cancer", reg=1e-3)
    h = amt.run(O.am_mgd(lr=1 / p.smoothness, offset="bundle"), p, 100)
    assert (h.frame.offset_gap.iloc[1:-1] <= 1e-12).all()
    assert (h.frame.offset_gap.iloc[1:-1] < 0).mean() > 0.5
    # while the paper's "previous" offset overestimates on a descent run
    h = amt.run(O.am_mgd(lr=1 / p.smoothness), p, 100)
    assert (h.frame.offset_gap.iloc[1:-1] >= 0).mean() > 0.9


def test_non_finite_loss_diverges_cleanly():
    h = amt.run(O.am_mgd(lr=np.array([0.5, 500.0])), Q, 3000)
    assert h.status == ["finished", "diverged"]
    assert h.frame[h.frame.run == 0].gap.iloc[-1] < h.frame.gap.iloc[0]


BAD = [
    (lambda: O.am_mgd(lam=-0.1), r"lam must lie in \[0.0, inf\)"),
    (lambda: O.am_mgd(beta_max=1.0), r"beta_max must lie in \[0.0, 1.0\)"),
    (lambda: O.am_msgd(beta_max=-0.2), r"beta_max must lie in"),
    (lambda: O.am_mgd(variant="reset", theta=1.5), r"theta must lie in \[0.0, 1.0\]"),
    (lambda: O.am_mgd(variant="reset"), "variant='reset' needs theta"),
    (lambda: O.am_mgd(variant="clip", beta_min=0.95, beta_max=0.9), "beta_min must be <= beta_max"),
    (lambda: O.am_mgd(variant="clip"), "variant='clip' needs beta_min"),
    (lambda: O.am_mgd(offset="future"), "offset must be one of"),
    (lambda: O.am_mgd(variant="nesterov"), "variant must be one of"),
    (lambda: O.am_adamw(eps=0.0), r"eps must lie in \(0.0, inf\)"),
    (lambda: amt.run(O.am_mgd(offset="distance"), amt.Quadratic(np.diag([1.0, 0.0]), np.ones(2)), 5),
     "needs the problem's minimiser x_star"),
    (lambda: amt.minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: 2 * x, method="am_mgd",
                          options={"offset": "distance"}), "needs the problem's minimiser x_star"),
    (lambda: O.am_mgd().update(O.am_mgd().init(np.ones(2)), np.ones(2)), "needs the loss"),
]


@pytest.mark.parametrize("fn, pattern", BAD)
def test_bad_input(fn, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        fn()
