import re

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.model import two_plane as tp
from tests.optimizers.reference import torch_adamw_reference

Q = amt.Quadratic.random(dim=30, cond=1e3, seed=0)


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
    h = amt.run(O.am_mgd(lr=np.array([0.5, 500.0]), beta_max=0.9), Q, 3000)
    assert h.status == ["finished", "diverged"]
    assert h.frame[h.frame.run == 0].gap.iloc[-1] < h.frame.gap.iloc[0]


BAD = [
    (lambda: O.am_mgd(lam=-0.1), r"lam must lie in \[0.0, inf\)"),
    (lambda: O.am_mgd(beta_max=1.5), r"beta_max must lie in \[0.0, 1.0\]"),
    (lambda: O.am_msgd(beta_max=-0.2), r"beta_max must lie in"),
    (lambda: O.am_mgd(beta_max=lambda t: np.nan), r"beta_max \(the schedule's value at step 0\)"),
    (lambda: O.am_adamw(beta_max=1.0), r"beta1\) must lie in \[0.0, 1.0\)"),
    (lambda: O.am_adamw(beta=0.9, variant="clip", beta_min=0.5), "needs the adaptive"),
    (lambda: O.am_adamw(variant="reset"), "variant='reset' needs theta"),
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


# -- Algorithm 1, deterministic column, written from the paper -----------------------------
class _Stream:
    """An oracle of random (loss, gradient) pairs that ignores x: it drives both clips of
    Algorithm 1 line 6, which a convex run cannot (see the test below)."""

    def __init__(self, dim, seed=0):
        self.rng, self.dim, self.smoothness = np.random.default_rng(seed), dim, 1.0

    def value_and_grad(self, x):
        return float(self.rng.standard_normal()), self.rng.standard_normal(self.dim)


def _problem(name):
    if name == "quadratic":
        return amt.Quadratic.random(dim=40, cond=1e3, seed=3)
    if name == "breast_cancer":
        return amt.load_problem("breast_cancer", reg=1e-3)
    return _Stream(6)


def _algorithm_1_mgd(problem, lr, steps):
    """Algorithm 1 (AM-MGD column): d_0 = g_0, f_hat(x_t) = f(x_{t-1}) (Sec. 3.2), line 4,
    clip to [0, 1] (line 6), lines 7-8, with λ = 0. Returns the iterates and the β's."""
    x = np.zeros(problem.dim)
    xs, betas = [x], []
    f_prev = d = None
    for t in range(steps):
        f, g = problem.value_and_grad(x)
        f, g = float(f), np.asarray(g)
        if t == 0:
            d, beta = g, 0.0  # d_0 = g_0: line 7 gives d_1 = g_0 for any β
        else:
            den = float((d - g) @ (d - g))
            beta = ((f_prev - f) / lr - float((d - g) @ g)) / den if den > 0 else 0.0
            beta = min(max(beta, 0.0), 1.0)
        d = beta * d + (1.0 - beta) * g
        x = x - lr * d
        f_prev = f
        xs.append(x)
        betas.append(beta)
    return np.array(xs), np.array(betas)


@pytest.mark.parametrize("name", ["quadratic", "breast_cancer", "stream"])
def test_am_mgd_defaults_are_algorithm_1(name):
    steps = 400
    lr = 1.0 / _problem(name).smoothness
    opt = O.am_mgd(lr=lr)
    assert (opt.hyper["lam"], opt.hyper["beta_max"], opt.hyper["offset"]) == (0.0, 1.0, "previous")
    xs_ref, betas_ref = _algorithm_1_mgd(_problem(name), lr, steps)
    problem = _problem(name)
    s = opt.init(np.zeros(problem.dim))
    xs, betas = [s.x], []
    for _ in range(steps):
        f, g = problem.value_and_grad(s.x)
        s = opt.update(s, g, loss=f)
        xs.append(s.x)
        betas.append(float(s.info["beta"]))
    np.testing.assert_allclose(np.array(xs), xs_ref, rtol=0, atol=1e-12 * np.abs(xs_ref).max())
    np.testing.assert_allclose(betas, betas_ref, rtol=0, atol=1e-12)
    assert (betas_ref[1:] == 1.0).sum() >= 3  # the upper clip of line 6 is taken
    if name == "stream":
        assert (betas_ref[1:] == 0.0).sum() >= 3  # and the lower one


@pytest.mark.parametrize("name", ["quadratic", "breast_cancer"])
def test_convex_runs_never_clip_at_zero(name):
    """For convex f, f(x_{t-1}) ≥ f(x_t) + η g_tᵀd_t, so Eq. 12's numerator (λ = 0) is at
    least ‖g_t‖² and β_raw ≥ ‖g_t‖²/‖d_t - g_t‖² > 0: AM-MGD never restarts to β = 0."""
    p = _problem(name)
    opt = O.am_mgd(lr=1.0 / p.smoothness)
    s = opt.init(np.zeros(p.dim))
    for t in range(300):
        f, g = p.value_and_grad(s.x)
        d = s.buffers["d"]
        s = opt.update(s, g, loss=f)
        if t >= 1 and np.linalg.norm(g) > 1e-6:
            assert float(s.info["beta_raw"]) >= (g @ g) / ((d - g) @ (d - g)) * (1 - 1e-9)


def test_beta_one_with_lam_zero_keeps_the_direction_and_no_nan():
    """β = 1, λ = 0 (Eq. 13): d_{t+1} = d_t; every recorded column stays finite."""
    h = amt.run(O.am_mgd(lr=1.0 / Q.smoothness), Q, 300)
    f = h.frame.iloc[:-1]
    assert (f.beta == 1.0).sum() >= 3
    assert np.isfinite(f[["loss", "beta", "beta_am", "beta_raw", "effective_momentum", "offset_gap"]]).all().all()
    opt = O.am_mgd(lr=0.1, beta_max=1.0)
    s = opt.init(np.ones(3))
    s = opt.update(s, np.array([1.0, 0.0, 0.0]), loss=1.0)
    d = s.buffers["d"].copy()
    s = opt.update(s, np.array([0.0, 1.0, 0.0]), loss=0.0)  # a large decrease: β_raw > 1
    assert float(s.info["beta"]) == 1.0
    np.testing.assert_array_equal(s.buffers["d"], d)
    s = opt.update(s, d.copy(), loss=-1.0)  # d = g: β immaterial, no 0/0
    assert float(s.info["beta"]) == 0.0 and np.all(np.isfinite(s.x))


# -- beta_max schedules ---------------------------------------------------------------------
@pytest.mark.parametrize("factory", [O.am_mgd, O.am_msgd])
def test_constant_beta_max_schedule_equals_the_constant(factory):
    a = amt.run(factory(lr=0.5, beta_max=0.8), Q, 120).frame
    b = amt.run(factory(lr=0.5, beta_max=lambda t: 0.8), Q, 120).frame
    for col in ("loss", "beta", "beta_raw", "offset_gap"):
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())


def test_beta_max_schedule_is_used_at_each_step():
    sched = lambda t: 1.0 / (t + 1)  # Thm 3.3's 1/T shape
    f = amt.run(O.am_msgd(lr=0.5, beta_max=sched), Q, 60).frame.iloc[:-1]
    np.testing.assert_allclose(f.beta, np.clip(f.beta_raw, 0, 1.0 / (f.step + 1)), rtol=0, atol=0)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_bad_beta_max_schedule_value_names_beta_max_and_step(bad):
    opt = O.am_mgd(lr=0.5, beta_max=lambda t: 0.9 if t < 7 else bad)
    with pytest.raises(amt.RunError) as info:  # raised inside the run: the 7 rows before are kept
        amt.run(opt, Q, 20)
    assert isinstance(info.value.__cause__, ValueError)
    assert re.search(r"beta_max schedule at step 7 must lie in \[0\.0, 1\.0\]", str(info.value.__cause__))
    assert info.value.history.frame.step.max() == 6


# -- AM-AdamW --------------------------------------------------------------------------------
def _adamw_records(opt, problem, steps, x0):
    s = opt.init(x0)
    xs, grads, infos = [x0], [], []
    for _ in range(steps):
        f, g = problem.value_and_grad(s.x)
        grads.append(g)
        s = opt.update(s, g, **({"loss": f} if "loss" in opt.needs else {}))
        xs.append(s.x)
        infos.append(s.info)
    return np.array(xs), np.array(grads), infos


def test_am_adamw_clip_at_beta_max_is_adamw():
    """variant clip with beta_min = beta_max = 0.9, λ = 0, μ = 0: β_t = 0.9 at every step,
    P_t = (1-0.9^t)·diag(ε + sqrt(v̂_t)) (Sec. 3.3): exactly torch's AdamW box."""
    p = amt.load_problem("breast_cancer", reg=1e-3)
    x0 = np.full(p.dim, 0.3)
    opt = O.am_adamw(lr=0.05, lam=0.0, weight_decay=0.0, variant="clip", beta_min=0.9, beta_max=0.9)
    xs, grads, infos = _adamw_records(opt, p, 80, x0)
    assert all(float(i["beta"]) == 0.9 for i in infos)
    ref = torch_adamw_reference(x0, grads, lr=0.05, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    np.testing.assert_allclose(xs[1:], ref, rtol=0, atol=1e-12)


def test_am_adamw_follows_sec_3_3_and_eq_14():
    """An independent loop of Sec. 3.3 / Eq. 14 (λ, μ > 0, first-order offset)."""
    p = amt.load_problem("breast_cancer", reg=1e-3)
    lr, lam, mu, b1, b2, eps = 0.05, 0.1, 0.02, 0.9, 0.999, 1e-8
    x = np.full(p.dim, 0.3)
    d, v = np.zeros(p.dim), np.zeros(p.dim)
    x_prev = None
    ref = []
    for k in range(1, 61):
        g = p.grad(x)
        v = b2 * v + (1 - b2) * g * g
        P = (1 - b1 ** k) * (eps + np.sqrt(v / (1 - b2 ** k)))
        Pt = (1 + lam * P) * P
        gap = 0.0 if k == 1 else g @ (x_prev - x)
        num = -mu * (x @ (d - g)) + (1 + mu * lr) * gap / lr - (d - g) @ ((g + lam * P * d) / Pt)
        beta = min(max(num / ((d - g) @ ((d - g) / Pt)), 0.0), b1)
        d = ((beta + lam * P) * d + (1 - beta) * g) / (lam * P + 1)
        x_prev = x
        x = (x - lr * d / P) / (1 + mu * lr)
        ref.append((x, beta))
    opt = O.am_adamw(lr=lr, lam=lam, weight_decay=mu, beta_max=b1, beta2=b2, eps=eps)
    xs, _, infos = _adamw_records(opt, p, 60, np.full(p.dim, 0.3))
    np.testing.assert_allclose(xs[1:], [r[0] for r in ref], rtol=0, atol=1e-12)
    np.testing.assert_allclose([float(i["beta"]) for i in infos], [r[1] for r in ref], rtol=0, atol=1e-12)
    assert sum(r[1] < b1 for r in ref) >= 10  # the adaptive β is exercised, not only the clip


def _beta1_schedule(t):  # rises from 0.5 towards 0.95: clips early, adaptive later
    return 0.95 - 0.45 * 0.9 ** t


def test_am_adamw_beta_max_schedule_follows_eq_14():
    """A loop of Sec. 3.3 / Eq. 14 with β_max,t a schedule: the step t (0-based) clips at
    β_max,t and uses the bias factor 1 - β_max,t^(t+1) in P_t (the documented reading); the
    offset is gᵀ(x_(t-1) - x_t) from the stored iterates, so it checks that P_(t-1) is the
    preconditioner of the previous step (β_max,(t-1))."""
    p = amt.load_problem("breast_cancer", reg=1e-3)
    lr, lam, mu, b2, eps = 0.05, 0.1, 0.02, 0.999, 1e-8
    x = np.full(p.dim, 0.3)
    d, v = np.zeros(p.dim), np.zeros(p.dim)
    x_prev = None
    ref = []
    for t in range(60):
        b1, k = _beta1_schedule(t), t + 1
        g = p.grad(x)
        v = b2 * v + (1 - b2) * g * g
        P = (1 - b1 ** k) * (eps + np.sqrt(v / (1 - b2 ** k)))
        Pt = (1 + lam * P) * P
        gap = 0.0 if t == 0 else g @ (x_prev - x)
        num = -mu * (x @ (d - g)) + (1 + mu * lr) * gap / lr - (d - g) @ ((g + lam * P * d) / Pt)
        beta = min(max(num / ((d - g) @ ((d - g) / Pt)), 0.0), b1)
        d = ((beta + lam * P) * d + (1 - beta) * g) / (lam * P + 1)
        x_prev = x
        x = (x - lr * d / P) / (1 + mu * lr)
        ref.append((x, beta, b1))
    opt = O.am_adamw(lr=lr, lam=lam, weight_decay=mu, beta_max=_beta1_schedule, beta2=b2, eps=eps)
    xs, _, infos = _adamw_records(opt, p, 60, np.full(p.dim, 0.3))
    np.testing.assert_allclose(xs[1:], [r[0] for r in ref], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose([float(i["beta"]) for i in infos], [r[1] for r in ref], rtol=0, atol=1e-12)
    assert [float(i["beta_max"]) for i in infos] == [r[2] for r in ref]
    clipped = sum(r[1] == r[2] for r in ref)
    assert clipped >= 5 and 60 - clipped >= 10  # both the schedule's clip and the adaptive β are exercised
    # P_t of the last update, recomputed from the state, uses β_max at that update's step (59)
    from amtoolkit.optimizers.adaptive_memory import adamw_preconditioner
    s = opt.init(np.full(p.dim, 0.3))
    for _ in range(3):
        s = opt.update(s, p.grad(s.x))
    b1 = _beta1_schedule(2)
    P2 = (1 - b1 ** 3) * (eps + np.sqrt(s.buffers["v"] / (1 - b2 ** 3)))
    np.testing.assert_allclose(adamw_preconditioner(s), P2, rtol=1e-15, atol=0)


def test_am_adamw_constant_beta_max_schedule_equals_the_constant_and_bad_values_name_the_step():
    p = amt.load_problem("breast_cancer", reg=1e-3)
    a = amt.run(O.am_adamw(lr=0.05, beta_max=0.85), p, 40).frame
    b = amt.run(O.am_adamw(lr=0.05, beta_max=lambda t: 0.85), p, 40).frame
    for col in ("loss", "beta", "beta_raw", "offset_gap"):
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())
    with pytest.raises(ValueError, match=r"beta_max \(the schedule's value at step 0\) must lie in \[0\.0, 1\.0\)"):
        O.am_adamw(beta_max=lambda t: 1.0)
    opt = O.am_adamw(lr=0.05, beta_max=lambda t: 0.9 if t < 4 else 1.0)
    with pytest.raises(amt.RunError) as info:
        amt.run(opt, p, 10)
    assert re.search(r"beta_max schedule at step 4 must lie in \[0\.0, 1\.0\)", str(info.value.__cause__))


def test_am_adamw_offset_is_the_first_order_difference():
    p = amt.load_problem("breast_cancer", reg=1e-3)
    sched = O.schedules.cosine(0.05, total_steps=60)
    opt = O.am_adamw(lr=sched, lam=0.1, weight_decay=0.02)
    xs, grads, infos = _adamw_records(opt, p, 50, np.full(p.dim, 0.3))
    for t in range(1, 50):
        ref = grads[t] @ (xs[t - 1] - xs[t])
        assert float(infos[t]["offset_gap"]) == pytest.approx(ref, rel=1e-12, abs=1e-15)


def test_am_adamw_clip_and_reset_follow_their_definitions():
    p = amt.load_problem("breast_cancer", reg=1e-3)
    x0 = np.full(p.dim, 0.3)
    f = amt.run(O.am_adamw(lr=0.2, variant="clip", beta_min=0.6), p, 60, x0=x0).frame.iloc[:-1]
    np.testing.assert_array_equal(f.beta, np.maximum(f.beta_am, 0.6))
    assert (f.beta_am < 0.6).any()
    f = amt.run(O.am_adamw(lr=0.2, variant="reset", theta=0.7), p, 60, x0=x0).frame.iloc[:-1]
    np.testing.assert_array_equal(f.beta, np.where(f.beta_am >= 0.7, 0.9, 0.1))
    assert {0.9, 0.1} <= set(f.beta)


def test_am_adamw_info_holds_only_per_run_scalars():
    opt = O.am_adamw(lr=np.array([0.01, 0.05]))
    s = opt.init(np.ones((2, 7)))
    for _ in range(3):
        s = opt.update(s, np.arange(14.0).reshape(2, 7) - 5)
    for key, value in s.info.items():
        assert np.shape(value) in ((), (2,)), key
    assert "effective_momentum" not in opt.columns


# -- edges of the variants' and schedules' definitions (found by tools/mutation.py) ----------
def test_reset_variant_at_theta_zero_takes_high_even_for_beta_am_zero():
    """β_reset = high where β_AM ≥ θ (Sec. 4.5): with θ = 0 every step, the first one (β_AM = 0,
    d_0 = g_0) included, takes `high`, and nothing is NaN."""
    opt = O.am_mgd(lr=0.5 / Q.smoothness, variant="reset", theta=0.0, high=0.9, low=0.1)
    h = amt.run(opt, Q, 5)
    beta_am = h.frame.beta_am.to_numpy()[:-1]
    assert beta_am[0] == 0.0 and np.all(h.frame.beta.to_numpy()[:-1] == 0.9)


def test_variant_bounds_accept_the_closed_interval():
    """beta_min, high and low may be 1 (the closed [0, 1] of Algorithm 1 line 6's clip)."""
    h = amt.run(O.am_mgd(lr=0.5, variant="clip", beta_min=1.0, beta_max=1.0), Q, 3)
    assert np.all(h.frame.beta.to_numpy()[1:-1] == 1.0)
    h = amt.run(O.am_mgd(lr=0.5, variant="reset", theta=0.5, high=1.0, low=1.0), Q, 3)
    assert np.all(h.frame.beta.to_numpy()[:-1] == 1.0)


def test_beta_max_schedule_is_checked_at_step_zero_on_construction():
    with pytest.raises(ValueError, match="beta_max"):
        O.am_mgd(beta_max=lambda t: 1.5 if t == 0 else 0.5)
    # beta_min <= beta_max is checked against the schedule's value at t = 0 only
    O.am_mgd(variant="clip", beta_min=0.7, beta_max=lambda t: 0.9 if t == 0 else 0.5)
    with pytest.raises(ValueError, match="beta_min"):
        O.am_mgd(variant="clip", beta_min=0.95, beta_max=lambda t: 0.9 if t == 0 else 1.0)


def test_am_adamw_first_step_beta_raw_is_eq14_with_no_offset():
    """At t = 0 there is no x_{-1}: the offset is 0 and, with d_0 = 0, Eq. 14 gives
    β_0 = 1 + μ⟨x_0, g_0⟩/‖g_0‖²_{P̃⁻¹}, which is 1 with μ = 0 (before the clip)."""
    x0 = np.linspace(-1.0, 1.0, Q.dim)
    for mu in (0.0, 0.3):
        opt = O.am_adamw(lr=0.01, lam=0.5, weight_decay=mu)
        s = opt.init(x0)
        g = np.asarray(Q.grad(x0))
        s = opt.update(s, g)
        P = (1 - 0.9) * (1e-8 + np.sqrt(g * g))  # v_1/(1-β2) = g², bias 1 - β_max
        Pt = (1 + 0.5 * P) * P
        expected = 1.0 + mu * (x0 @ g) / (g @ (g / Pt))
        assert float(s.info["beta_raw"]) == pytest.approx(expected, rel=1e-10)
        assert float(s.info["offset_gap"]) == 0.0


def test_adamw_preconditioner_needs_an_am_adamw_state_after_an_update():
    from amtoolkit.optimizers.adaptive_memory import adamw_preconditioner

    for state in (O.am_mgd().init(np.zeros(3)), O.am_adamw().init(np.zeros(3)), "not a state"):
        with pytest.raises(ValueError, match="state must be an am_adamw state after at least one update"):
            adamw_preconditioner(state)
