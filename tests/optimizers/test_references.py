"""Independent references for the optimizers whose coefficients are adaptive or learned.

Each reference is written from the paper inside the test (a plain NumPy loop for the
optimizers, the formula for the model's closed forms); the optimizer's own buffers are
only read to be compared, never to feed the reference.
"""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from amtoolkit.model import two_plane as tp
from amtoolkit.optimizers.rllc import memory_lstsq


def _logistic():
    X, y = amt.problems.make_logistic_data(80, 6, seed=0)
    return amt.LogisticRegression(X, y, reg=1e-2)


def _interior(beta, beta_max, tol=1e-6):
    beta = np.asarray(beta)
    return int(np.sum((beta > tol) & (beta < beta_max - tol)))


# -- AM-AdamW (AM paper Sec. 3.3, Eq. 14) ----------------------------------------------------
def am_adamw_loop(problem, x0, steps, lr, lam, mu, beta_max, beta2, eps, offset):
    """Eq. 14 with Adam's preconditioner, one step at a time.

    P_t = (1 - β_1^t)(eps + sqrt(v_t/(1-β2^t))) with β_1 read as β_max (Sec. 3.3; t counts
    from 1), d_0 = 0 (Adam's first moment) and no offset at the first step, where Eq. 14's
    β is then 1 + μ⟨x_0, g_0⟩/‖g_0‖²_{P̃⁻¹} before the clip. β_t maximises the dual of Eq. 14,
    with the μ-term sign of docs/guide/errata.md (erratum 1):
    β = [-μ⟨x_t, d-g⟩ + (1+μη)(f̂-f)/η - ⟨d-g, g+λPd⟩_{P̃⁻¹}] / ‖d-g‖²_{P̃⁻¹},  P̃ = (I+λP)P,
    clipped to [0, β_max]; then d_{t+1} = (λP+I)⁻¹((β+λP)d_t + (1-β)g_t) and
    x_{t+1} = (x_t - η P⁻¹ d_{t+1})/(1+μη). The offset f̂ - f is ``f(x_{t-1}) - f(x_t)``
    ("previous") or its first-order form ``g_tᵀ(x_{t-1} - x_t)`` ("first_order", Sec. 3.4),
    both computed here from the iterates.
    """
    x = np.array(x0, float)
    d = np.zeros_like(x)
    v = np.zeros_like(x)
    x_prev = f_prev = None
    betas, ds, xs = [], [], []
    for t in range(steps):
        f, g = problem.value_and_grad(x)
        v = beta2 * v + (1 - beta2) * g * g
        P = (1 - beta_max ** (t + 1)) * (eps + np.sqrt(v / (1 - beta2 ** (t + 1))))
        if t == 0:
            gap = 0.0
        else:
            gap = f_prev - f if offset == "previous" else g @ (x_prev - x)
        Pt = (1 + lam * P) * P
        r = d - g
        num = -mu * (x @ r) + (1 + mu * lr) * gap / lr - r @ ((g + lam * P * d) / Pt)
        beta = min(max(num / (r @ (r / Pt)), 0.0), beta_max)
        d = ((beta + lam * P) * d + (1 - beta) * g) / (lam * P + 1)
        x_prev, f_prev = x, f
        x = (x - lr * d / P) / (1 + mu * lr)
        betas.append(beta)
        ds.append(d)
        xs.append(x)
    return np.array(betas), np.array(ds), np.array(xs)


AM_ADAMW = dict(lr=0.05, lam=0.5, weight_decay=0.05, beta_max=0.9, beta2=0.999, eps=1e-8)


def _am_adamw_run(offset, steps=100):
    p = _logistic()
    x0 = np.full(p.dim, 0.5)
    opt = O.am_adamw(offset=offset, **AM_ADAMW)
    s = opt.init(x0)
    betas, ds, xs = [], [], []
    for _ in range(steps):
        f, g = p.value_and_grad(s.x)
        s = opt.update(s, g, **({"loss": f} if offset == "previous" else {}))
        betas.append(float(s.info["beta"]))
        ds.append(np.array(s.buffers["d"]))
        xs.append(np.array(s.x))
    kw = {k: v for k, v in AM_ADAMW.items() if k != "weight_decay"}
    ref = am_adamw_loop(p, x0, steps, mu=AM_ADAMW["weight_decay"], offset=offset, **kw)
    return (np.array(betas), np.array(ds), np.array(xs)), ref


def _assert_same(ours, ref):
    # β = num/den amplifies the rounding of the offset f(x_{t-1}) - f(x_t): 1e-9 on β ∈ [0, 1]
    np.testing.assert_allclose(ours[0], ref[0], rtol=0, atol=1e-9, err_msg="beta")
    for name, a, b in zip(("d", "x"), ours[1:], ref[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)
    assert _interior(ref[0], AM_ADAMW["beta_max"]) >= 20  # β strictly inside (0, β_max) often


def test_am_adamw_previous_offset_equals_eq14_loop():
    _assert_same(*_am_adamw_run("previous"))


def test_am_adamw_first_order_offset_equals_eq14_loop():
    _assert_same(*_am_adamw_run("first_order"))


@pytest.mark.parametrize("precond", [False, True])
def test_first_order_gap_is_the_step_taken(precond):
    """first_order_gap(g, d, η, P, μ, x_t) = gᵀ(x_{t-1} - x_t) for x_t = step(x_{t-1}, d, η, P, μ):
    the step Eq. 13 / Eq. 14 made, written out here."""
    rng = np.random.default_rng(0)
    g, d, x_prev = rng.standard_normal((3, 7))
    lr = 0.3
    if precond:
        P, mu = rng.uniform(0.2, 3.0, 7), 0.4
        x_t = (x_prev - lr * d / P) / (1 + mu * lr)
    else:
        P, mu = None, 0.0
        x_t = x_prev - lr * d
    np.testing.assert_allclose(tp.step(x_prev, d, lr, P, mu), x_t, rtol=1e-14)
    assert float(tp.first_order_gap(g, d, lr, P, mu, x_t)) == pytest.approx(g @ (x_prev - x_t), rel=1e-12)


# -- offsets of AM-MGD: "bundle" and "distance" ---------------------------------------------
def _am_mgd_iterates(problem, opt, steps):
    """Run ``opt`` by hand; return the iterates x_0..x_T and the recorded offsets and β's."""
    s = opt.init(problem.default_x0() + 0.5)
    xs, gaps, betas = [np.array(s.x)], [], []
    for _ in range(steps):
        f, g = problem.value_and_grad(s.x)
        kw = {"loss": f} if "loss" in opt.needs else {}
        if "x_star" in opt.needs:
            kw["x_star"] = problem.x_star
        s = opt.update(s, g, **kw)
        xs.append(np.array(s.x))
        gaps.append(float(s.info["offset_gap"]))
        betas.append(float(s.info["beta"]))
    return np.array(xs), np.array(gaps), np.array(betas)


def test_bundle_offset_is_the_aggregate_model_at_the_new_point():
    """"bundle": f̂(x_{t+1}) = f_t^m(x_{t+1}) (Sec. 3.2 after Eq. 13), with Eq. 8's model
    max{f(x_t) + g_tᵀu, f̂(x_t) + d_tᵀu}, u = x_{t+1} - x_t, d_t = (x_{t-1} - x_t)/η, d_0 = g_0
    and f̂(x_0) = f(x_0); the recorded offset is f̂(x_t) - f(x_t)."""
    p = _logistic()
    lr = 1.5 / p.smoothness
    xs, gaps, betas = _am_mgd_iterates(p, O.am_mgd(lr=lr, lam=5.0, beta_max=0.95, offset="bundle"), 60)
    f_hat = p.value(xs[0])
    for t in range(len(gaps) - 1):
        f, g = p.value(xs[t]), p.grad(xs[t])
        d = g if t == 0 else (xs[t - 1] - xs[t]) / lr
        u = xs[t + 1] - xs[t]
        f_hat = max(f + g @ u, f_hat + d @ u)
        assert gaps[t + 1] == pytest.approx(f_hat - p.value(xs[t + 1]), rel=1e-9, abs=1e-13), t
    assert gaps[1:].min() < -1e-2  # the offsets are not rounding noise
    assert _interior(betas, 0.95) >= 30  # and β is not constant


def test_distance_offset_is_the_inner_product_with_x_star():
    """"distance": f̂ - f = ⟨x_t - x*, d_t - g_t⟩ with d_t = (x_{t-1} - x_t)/η."""
    q = amt.Quadratic.random(dim=10, cond=50, seed=0)
    lr = 1.0 / q.smoothness
    xs, gaps, betas = _am_mgd_iterates(q, O.am_mgd(lr=lr, lam=2.0, beta_max=0.95, offset="distance"), 100)
    for t in range(1, len(gaps)):
        d = (xs[t - 1] - xs[t]) / lr
        ref = (xs[t] - q.x_star) @ (d - q.grad(xs[t]))
        assert gaps[t] == pytest.approx(ref, rel=1e-9, abs=1e-13), t
    assert _interior(betas, 0.95) >= 50


# -- RLLC with c2 > 0 (RLLC paper, Def. 3.2 with linear memory) --------------------------------
def _jordan_complex_memory():
    """J_2(0.8) ⊕ C(0.9, 0.5) ⊕ M(0): A and b written out (real Jordan and rotation blocks)."""
    a, s = 0.9 * np.cos(0.5), 0.9 * np.sin(0.5)
    A = np.zeros((5, 5))
    A[:2, :2] = [[0.8, 1.0], [0.0, 0.8]]
    A[2:4, 2:4] = [[a, s], [-s, a]]
    b = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    return A, b


def rllc_loop(grad, x0, steps, lr, c2, A, b, law0, rcond):
    """L += c2·M⁺g (numpy's pinv with the same relative cutoff); M = MA + gbᵀ; θ -= lr·ML, in
    the order of amtoolkit.optimizers.rllc (the correction uses the memory of the last step)."""
    theta = np.array(x0, float)
    M = np.zeros((theta.size, A.shape[0]))
    L = np.array(law0, float)
    thetas, laws, full = [], [], []
    for t in range(steps):
        g = grad(theta, t)
        S = np.linalg.svd(M, compute_uv=False)
        full.append(t > 0 and bool(np.all(S > rcond * S.max())))  # no correction at t = 0 (M = 0)
        L = L + c2 * np.linalg.pinv(M, rcond=rcond) @ g
        M = M @ A + np.outer(g, b)
        theta = theta - lr * M @ L
        thetas.append(theta)
        laws.append(L)
    return np.array(thetas), np.array(laws), np.array(full)


# pinv="gram" squares cond(M) (docs/guide/rllc.md): it agrees with the SVD-based pinv to cond(M)²·ε
@pytest.mark.parametrize("pinv, tol", [("svd", 1e-12), ("gram", 1e-8)])
def test_rllc_c2_positive_equals_numpy_loop(pinv, tol):
    """Stochastic gradients ∇f(θ_t) + ξ_t (a fixed noise sequence) keep the memory's columns
    apart, so M⁺g is well conditioned and the two loops can agree to rounding."""
    q = amt.Quadratic.random(dim=12, cond=100, seed=1)
    noise = 0.3 * np.random.default_rng(0).standard_normal((60, 12))

    def grad(theta, t):
        return q.grad(theta) + noise[t]

    A, b = _jordan_complex_memory()
    law0 = np.array([0.5, -0.2, 0.3, 0.1, 1.0])
    x0, steps, lr, c2 = np.full(12, 0.5), 60, 0.1, 0.05
    opt = O.rllc(lr=lr, memory="J(0.8,2)+C(0.9,0.5)+M(0.0)", c2=c2, law0=law0, pinv=pinv)
    s = opt.init(x0)
    thetas, laws, full = [], [], []
    for t in range(steps):
        s = opt.update(s, grad(s.x, t))
        thetas.append(np.array(s.x))
        laws.append(np.array(s.buffers["L"]))
        full.append(bool(s.info["full_rank"]))
    ref_theta, ref_law, ref_full = rllc_loop(grad, x0, steps, lr, c2, A, b, law0, rcond=1e-7)
    np.testing.assert_array_equal(full, ref_full)
    assert not ref_full[:3].any() and ref_full[5:].all()  # rank deficient at first, then full
    np.testing.assert_allclose(np.array(laws), ref_law, rtol=tol, atol=tol)
    np.testing.assert_allclose(np.array(thetas), ref_theta, rtol=tol, atol=tol)
    assert np.abs(ref_law[-1] - law0).max() > 0.1  # the corrections are not negligible
    assert q.value(ref_theta[-1]) - q.f_star < 0.5 * (q.value(x0) - q.f_star)  # on a descending run


def test_rllc_with_c2_equal_to_one_is_corrected():
    """c2 = 1 (a full correction step) against the same loop: c2 is a weight, not a flag."""
    q = amt.Quadratic.random(dim=12, cond=10, seed=2)
    noise = 0.3 * np.random.default_rng(1).standard_normal((15, 12))
    A, b = _jordan_complex_memory()
    law0 = np.array([0.5, -0.2, 0.3, 0.1, 1.0])
    opt = O.rllc(lr=0.02, memory="J(0.8,2)+C(0.9,0.5)+M(0.0)", c2=1.0, law0=law0)
    s, laws = opt.init(np.full(12, 0.5)), []
    for t in range(15):
        s = opt.update(s, q.grad(s.x) + noise[t])
        laws.append(np.array(s.buffers["L"]))
    _, ref_law, _ = rllc_loop(lambda th, t: q.grad(th) + noise[t], np.full(12, 0.5), 15, 0.02, 1.0, A, b,
                              law0, rcond=1e-7)
    np.testing.assert_allclose(np.array(laws), ref_law, rtol=1e-9, atol=1e-9)
    assert np.abs(ref_law[-1] - law0).max() > 0.1


def _with_singular_values(S, d=10, seed=0):
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((d, len(S))))
    V, _ = np.linalg.qr(rng.standard_normal((len(S), len(S))))
    return U @ np.diag(S) @ V.T, rng.standard_normal(d)


@pytest.mark.parametrize("method", ["svd", "gram"])
@pytest.mark.parametrize("S", [[100.0, 1.0, 0.3], [100.0, 1.0, 1e-7]], ids=["full", "below-cutoff"])
def test_memory_lstsq_is_numpy_pinv_with_the_same_cutoff(method, S):
    """M⁺g with singular values below rcond·σ_max dropped, as numpy's pinv(M, rcond) does:
    with σ = (100, 1, 1e-7) and rcond = 1e-7 the cutoff 1e-5 drops the last direction."""
    M, g = _with_singular_values(S)
    z, full = memory_lstsq(M, g, method, rcond=1e-7)
    np.testing.assert_allclose(z, np.linalg.pinv(M, rcond=1e-7) @ g, rtol=1e-9, atol=1e-12)
    assert bool(full) == (min(S) > 1e-5)


@pytest.mark.parametrize("method", ["svd", "gram"])
def test_batched_memory_lstsq_uses_each_memory_s_own_cutoff(method):
    """A stack of three memories at scales 1, 1e-4 and 1e4: the cutoff rcond·σ_max is each
    one's own (the middle one keeps a direction that the others' σ_max would drop)."""
    stack = [_with_singular_values(S, seed=i) for i, S in enumerate(
        ([100.0, 1.0, 1e-7], [1e-2, 1e-4, 1e-6], [1e6, 1e4, 1e-3]))]
    M, g = np.stack([m for m, _ in stack]), np.stack([v for _, v in stack])
    z, full = memory_lstsq(M, g, method, rcond=1e-7)
    for i, (Mi, gi) in enumerate(stack):
        ref = np.linalg.pinv(Mi, rcond=1e-7) @ gi
        np.testing.assert_allclose(z[i], ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_array_equal(full, [False, True, False])


def test_memory_lstsq_ridge_is_its_formula():
    """pinv="ridge": (MᵀM + ridge·I)⁻¹Mᵀg."""
    M, g = _with_singular_values([3.0, 1.0, 0.5])
    z, _ = memory_lstsq(M, g, "gram", rcond=1e-7, ridge=0.1)
    np.testing.assert_allclose(z, np.linalg.solve(M.T @ M + 0.1 * np.eye(3), M.T @ g), rtol=1e-12)


# -- the model's objectives (AM paper Eq. 9 / Eq. 14 and their duals) -------------------------
@pytest.mark.parametrize("precond, mu", [(False, 0.0), (False, 0.3), (True, 0.3)])
def test_objectives_are_eq14_written_out_and_strongly_dual(precond, mu):
    """prox_objective is Eq. 14 (Eq. 9 when P = I, μ = 0) written out here; at x_{t+1} of the
    closed-form step it equals dual_objective at β* (strong duality of the QP)."""
    rng = np.random.default_rng(4)
    f, f_hat, lr, lam = 1.0, 1.3, 0.4, 0.2
    checked = 0
    for _ in range(20):
        g, d, x_t, probe = rng.standard_normal((4, 6))
        P = rng.uniform(0.5, 2.0, 6) if precond else None
        Pv = np.ones(6) if P is None else P
        Pt = (1 + lam * Pv) * Pv
        u = probe - x_t
        ref = max(f + g @ u, f_hat + d @ u) + u @ (Pt * u) / (2 * lr) + lam * (Pv * d) @ u \
            + 0.5 * mu * probe @ (Pt * probe)
        assert float(tp.prox_objective(probe, x_t, f, f_hat, g, d, lr, lam, P, mu)) == pytest.approx(ref, rel=1e-12)
        beta = float(tp.beta_star(f, f_hat, g, d, lr, lam, 1.0, P, mu, x_t))
        x_next = tp.step(x_t, tp.direction(beta, g, d, lam, P), lr, P, mu)
        primal = float(tp.prox_objective(x_next, x_t, f, f_hat, g, d, lr, lam, P, mu))
        dual = float(tp.dual_objective(beta, f, f_hat, g, d, lr, lam, P, mu, x_t))
        assert primal == pytest.approx(dual, rel=1e-10, abs=1e-12)
        checked += 0 < beta < 1
    assert checked >= 5


def test_batched_beta_is_eq12_at_every_scale():
    """Batched β* (one row per run) is Eq. 12 written out, for gradients from 1e-4 to 1e2:
    β = [(1+λ)(f̂-f)/η - ⟨d-g, g+λd⟩]/‖d-g‖², and 0 where d = g."""
    rng = np.random.default_rng(5)
    scale = np.logspace(-4, 2, 6)[:, None]
    g, d = scale * rng.standard_normal((2, 6, 4))
    d[-1] = g[-1]  # d = g: β is immaterial and set to 0
    lam, lr = np.array([0.0, 0.1, 0.5, 1.0, 2.0, 0.3]), 0.7
    gap = lr * np.sum(g * d, axis=1)
    beta, _ = tp.beta_star_from_gap(gap, g, d, lr, lam)
    r = (d - g)[:-1]
    num = (1 + lam[:-1]) * gap[:-1] / lr - np.sum(r * (g[:-1] + lam[:-1, None] * d[:-1]), axis=1)
    np.testing.assert_allclose(beta[:-1], num / np.sum(r * r, axis=1), rtol=1e-10)
    assert beta[-1] == 0.0
