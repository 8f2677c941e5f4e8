"""The math and theorem claims of the ledger as tests, each against a reference written here
from the papers (or an independent solver)."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import memory as mm
from amtoolkit import optimizers as O


def _logistic():
    X, y = amt.problems.make_logistic_data(120, 6, seed=3)
    return amt.LogisticRegression(X, y, reg=1e-2)


def _iterates(opt, problem, steps, x0):
    xs = [np.array(x0, dtype=float)]
    amt.run(opt, problem, steps, x0=x0, f_star=None,
            callback=lambda t, s: xs.append(np.array(opt.params(s) if hasattr(opt, "params") else s.x)))
    return np.stack(xs)


def _torch_sgd_loop(problem, x0, lr, momentum, nesterov, steps):
    """torch.optim.SGD's algorithm (first buffer b = g, then b = μb + g; step g + μb with
    Nesterov, else b), written out."""
    x, b, xs = np.array(x0, dtype=float), None, [np.array(x0, dtype=float)]
    for _ in range(steps):
        g = problem.grad(x)
        if momentum:
            b = g.copy() if b is None else momentum * b + g
            step = g + momentum * b if nesterov else b
        else:
            step = g
        x = x - lr * step
        xs.append(x.copy())
    return np.stack(xs)


@pytest.mark.parametrize("law, momentum, nesterov", [((0.0, 1.0), 0.0, False), ((1.0, 0.0), 0.8, False),
                                                     ((0.8, 1.0), 0.8, True)], ids=["sgd", "momentum", "nag"])
def test_rllc_special_cases_equal_sgd_momentum_nag(law, momentum, nesterov):
    """RLLC (c2 = 0, memory M(μ)⊕M(0.0)) with L = (0,1), (1,0), (μ,1) is SGD, heavy ball and NAG
    in PyTorch's form (RLLC Sec. 3; ledger rllc-special-case-*)."""
    p, x0 = _logistic(), np.full(6, 0.2)
    got = _iterates(O.rllc(lr=0.7, memory="M(0.8)+M(0.0)", c2=0.0, law0=np.array(law)), p, 60, x0)
    ref = _torch_sgd_loop(p, x0, 0.7, momentum, nesterov, 60)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-13)


def test_lemma_3_8_invariance_and_its_condition():
    """RLLC Lemma 3.8: U^Q gives the same trajectory (orthogonal Q from step 0; a general
    invertible Q once M has full column rank), and a c2 > 0 run really moves the law."""
    q = amt.Quadratic.random(dim=10, cond=30.0, seed=2)
    mem, law0 = mm.parse_memory("M(0.9)+M(0.6)+M(0.0)"), np.array([0.4, 0.2, 1.0])
    rng = np.random.default_rng(11)

    def traj(memory, law, skip):
        h = amt.run(O.rllc(lr=0.3, memory=memory, law0=law, c2=0.05, skip_until_full_rank=skip), q, 50,
                    x0=np.full(10, 0.5), f_star=None)
        return h

    ref = traj(mem, law0, False)
    assert np.ptp(ref.frame.law_0.to_numpy()[:-1]) > 1e-3  # the law is corrected
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    moved = traj(mm.change_basis(mem, Q), np.linalg.solve(Q, law0), False)
    np.testing.assert_allclose(moved.frame.loss, ref.frame.loss, rtol=1e-9, atol=1e-12)
    Q = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    ref_s = traj(mem, law0, True)
    moved = traj(mm.change_basis(mem, Q), np.linalg.solve(Q, law0), True)
    np.testing.assert_allclose(moved.frame.loss, ref_s.frame.loss, rtol=1e-9, atol=1e-12)


def test_am_closed_form_equals_the_dual_qp():
    """AM Eq. 12 (the closed form, clipped to [0, 1]) is the maximiser of the dual QP
    (Eq. 11) solved by cvxpy (amtoolkit.validate.solve_dual), interior and clipped."""
    from amtoolkit.model import two_plane as tp
    from amtoolkit.validate import solve_dual

    rng = np.random.default_rng(4)
    interior = clipped = 0
    for _ in range(12):
        g, d = rng.standard_normal((2, 7))
        f, f_hat, lr, lam = 1.0, 1.0 + rng.normal(0, 2.0), float(rng.uniform(0.1, 1)), float(rng.choice([0.0, 0.3]))
        beta_qp, _, _ = solve_dual(f, f_hat, g, d, lr, lam)
        beta = float(tp.beta_star(f, f_hat, g, d, lr, lam))
        # the unclipped formula written from Eq. 12
        raw = ((lam + 1) * (f_hat - f) / lr - (d - g) @ (g + lam * d)) / ((d - g) @ (d - g))
        assert beta == pytest.approx(min(max(raw, 0.0), 1.0), abs=1e-12)
        assert beta == pytest.approx(beta_qp, abs=1e-6)
        interior += 0 < raw < 1
        clipped += not 0 < raw < 1
    assert interior >= 3 and clipped >= 3


def test_am_mgd_with_fixed_beta_and_no_lambda_is_mgd():
    """Algorithm 1 lines 7-8 with λ = 0 and β_t = β for all t is Eq. 1 (EMA momentum,
    d_1 = g_0), written out here."""
    p, x0, lr, beta = _logistic(), np.full(6, 0.2), 0.9, 0.7
    got = _iterates(O.am_mgd(lr=lr, lam=0.0, beta_max=beta, variant="clip", beta_min=beta), p, 50, x0)
    x, d, xs = x0.copy(), None, [x0.copy()]
    for _ in range(50):
        g = p.grad(x)
        d = g if d is None else beta * d + (1 - beta) * g
        x = x - lr * d
        xs.append(x.copy())
    np.testing.assert_allclose(got, np.stack(xs), rtol=1e-12, atol=1e-13)


def test_am_mgd_is_algorithm_1_and_eq_3():
    """AM-MGD (λ = 0) against Algorithm 1's deterministic column written out (lines 1-8,
    f̂(x_t) = f(x_{t-1})), and each step in the heavy-ball form of Eq. 3."""
    p, x0 = _logistic(), np.full(6, 0.2)
    lr = 1.0 / p.smoothness
    got = _iterates(O.am_mgd(lr=lr), p, 40, x0)
    x_prev, x = x0.copy(), x0 - lr * p.grad(x0)  # line 1: d_0 = g_0
    d = p.grad(x0)
    xs = [x0.copy(), x.copy()]
    for _ in range(39):
        g = p.grad(x)
        beta = ((p.value(x_prev) - p.value(x)) - lr * (d - g) @ g) / (lr * (d - g) @ (d - g))  # line 4, λ = 0
        beta = min(max(beta, 0.0), 1.0)
        x_new = x - (1 - beta) * lr * g + beta * (x - x_prev)  # Eq. 3
        d = beta * d + (1 - beta) * g
        x_prev, x = x, x_new
        xs.append(x.copy())
    np.testing.assert_allclose(got, np.stack(xs), rtol=1e-10, atol=1e-12)


def test_am_beta_stays_positive_on_convex_problems():
    """The convexity bound behind ledger am-sec4.5-soft-restarts: with λ = 0 and a constant
    step, β_t ≥ ‖g_t‖²/‖d_t - g_t‖² > 0 on a convex function."""
    p = _logistic()
    h = amt.run(O.am_mgd(lr=1.0 / p.smoothness), p, 200, f_star=None)
    f = h.frame.iloc[1:200]
    assert (f.beta_raw > 0).all()
