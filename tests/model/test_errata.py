"""One test per entry of docs/errata.md: the printed form fails, the verified form passes."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit.model import two_plane as tp
from amtoolkit.theory import am_theorem_3_4
from amtoolkit.validate import solve_dual, solve_primal

pytest.importorskip("cvxpy", reason="cvxpy is not installed")


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


def test_erratum_3_theorem_3_4_sign():
    p = amt.load_problem("breast_cancer", reg=1e-2)
    T, c = 400, 0.5
    lr = 1 / np.sqrt(T)
    h = amt.run(amt.optimizers.am_msgd(lr=lr, lam=0.0, beta_max=c * lr), p, T, batch_size=32, seed=0,
                eval_every=1)
    # G² bounds E‖∇f_i‖² along the run: the largest minibatch gradient seen
    G2 = float(h.frame.grad_norm.max() ** 2)
    decrease = h.frame.full_loss.iloc[0] - h.frame.full_loss.iloc[-1]
    # min_t ‖∇f(x_t)‖² lies in [0, ‖∇f(x_T)‖²]
    upper = float(np.sum(p.grad(h.x) ** 2))
    printed = am_theorem_3_4(decrease, p.smoothness, np.sqrt(G2), c, T, printed=True)
    corrected = am_theorem_3_4(decrease, p.smoothness, np.sqrt(G2), c, T, printed=False)
    assert printed < 0  # below min_t ‖∇f(x_t)‖² >= 0: the printed "bound" is violated
    assert upper <= corrected
