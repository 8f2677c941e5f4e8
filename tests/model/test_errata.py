"""One test per entry of docs/guide/errata.md: the printed form fails, the verified form passes."""

import numpy as np

import amtoolkit as amt
from amtoolkit.model import two_plane as tp
from amtoolkit.theory import am_theorem_3_4
from amtoolkit.validate import solve_dual, solve_primal


def test_erratum_1_mu_sign():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(20):
        n = 6
        g, d, x = rng.standard_normal((3, n))
        P = rng.uniform(0.5, 2.0, n)
        lr, lam, mu, f, f_hat = 0.3, 0.1, 0.4, 1.0, 1.05
        beta_qp, _, _ = solve_dual(f, f_hat, g, d, lr, lam, 1.0, P, mu, x)
        _, beta_mult, _, _ = solve_primal(f, f_hat, g, d, lr, lam, 1.0, P, mu, x)
        verified = float(tp.beta_star(f, f_hat, g, d, lr, lam, 1.0, P, mu, x))
        # printed: +μ⟨x, d-g⟩ is -μ⟨x, d-g⟩ + 2μ⟨x, d-g⟩ in the numerator
        raw, den = tp.beta_star_from_gap(f_hat - f, g, d, lr, lam, P, mu, x)
        printed = float(np.clip(raw + 2 * mu * (x @ (d - g)) / den, 0, 1))
        assert abs(verified - beta_qp) <= 1e-8 and abs(verified - beta_mult) <= 1e-8
        if 1e-3 < beta_qp < 1 - 1e-3:
            assert abs(printed - beta_qp) > 1e-3
            checked += 1
    assert checked >= 5


def test_erratum_2_eq10_extra_eta():
    rng = np.random.default_rng(8)
    for lr in (0.1, 0.5, 2.0):
        g, d, x_t = rng.standard_normal((3, 5))
        f, f_hat, lam = 1.0, 1.1, 0.2
        beta = float(tp.beta_star(f, f_hat, g, d, lr, lam))
        u, _, _, _ = solve_primal(f, f_hat, g, d, lr, lam)
        x_qp = x_t + u
        x_prev_minus_x = lr * d
        printed = x_t - lr / (1 + lam) * ((1 - beta) * g + (beta + lam) * x_prev_minus_x)
        verified = x_t - lr / (1 + lam) * ((1 - beta) * g + (beta + lam) * x_prev_minus_x / lr)
        assert np.linalg.norm(verified - x_qp) <= 1e-6 * (1 + np.linalg.norm(x_qp))
        assert np.linalg.norm(printed - x_qp) > 1e-3


def _mean_sq_sample_grad(p, W):
    """E_i‖∇f_i(w)‖² at each row of W, for f_i(w) = log(1 + exp(-y_i a_iᵀw)) + (reg/2)‖w‖²."""
    A = p.X.toarray() if hasattr(p.X, "toarray") else np.asarray(p.X)
    s = -p.y / (1.0 + np.exp(p.y * (W @ A.T)))  # (T, n): d/dz log(1 + exp(-y z)) at z = a_iᵀw
    # ‖s_i a_i + reg w‖² = s_i²‖a_i‖² + 2 reg s_i a_iᵀw + reg²‖w‖²
    return (s ** 2 @ np.sum(A * A, axis=1) + 2 * p.reg * np.sum(s * (W @ A.T), axis=1)) / A.shape[0] \
        + p.reg ** 2 * np.sum(W * W, axis=1), s, A


def test_erratum_3_theorem_3_4_sign():
    """Thm 3.4 under its own settings: AM-MSGD (Algorithm 1, stochastic column, λ = 0) with
    η = 1/√T and β_max = cη on an L-smooth logistic loss, expectations over sampling taken
    as means over 4 seeds. G² is the largest E_i‖∇f_i(x_t)‖² along the runs (Assumption
    3.2 on the visited points). The printed bound lies below min_t E‖∇f(x_t)‖² (it is
    negative); the form with 2(1-c) holds."""
    p = amt.load_problem("breast_cancer", reg=1e-2)
    T, c = 400, 0.5
    lr = 1 / np.sqrt(T)
    grad_sq, decrease, G2 = [], [], 0.0
    for seed in range(4):
        xs = [p.default_x0()]

        def keep(t, state):
            xs.append(np.array(state.x))

        h = amt.run(amt.optimizers.am_msgd(lr=lr, lam=0.0, beta_max=c * lr), p, T, batch_size=32, seed=seed,
                    callback=keep)
        W = np.array(xs)  # x_0 .. x_T
        assert len(W) == T + 1 and np.allclose(W[-1], h.x)
        Esq, s, A = _mean_sq_sample_grad(p, W)
        full = s @ A / A.shape[0] + p.reg * W  # ∇f(x_t), checked against the problem's gradient
        np.testing.assert_allclose(full[[0, T]], [p.grad(W[0]), p.grad(W[T])], rtol=1e-10, atol=1e-14)
        grad_sq.append(np.sum(full[:T] ** 2, axis=1))
        decrease.append(p.value(W[0]) - p.value(W[T]))
        G2 = max(G2, float(Esq.max()))
    observed = float(np.min(np.mean(grad_sq, axis=0)))  # min_{0<=t<=T-1} E‖∇f(x_t)‖²
    printed = am_theorem_3_4(np.mean(decrease), p.smoothness, np.sqrt(G2), c, T, printed=True)
    corrected = am_theorem_3_4(np.mean(decrease), p.smoothness, np.sqrt(G2), c, T, printed=False)
    assert printed < 0 < observed <= corrected
