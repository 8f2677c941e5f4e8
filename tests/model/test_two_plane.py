"""The closed forms of the two-plane model against cvxpy (Clarabel) and identities."""

import numpy as np
import pytest

from amtoolkit.model import two_plane as tp
from amtoolkit.validate import check_step


def _instances(n_instances=320, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_instances):
        n = int(rng.integers(2, 12))
        g, d, x = rng.standard_normal((3, n)) * 10.0 ** rng.uniform(-3, 1)
        lam = [0.0, 0.1, float(rng.uniform(0, 2))][i % 3]
        lr = float(10 ** rng.uniform(-2, 0.5))
        # offsets spread so that β* lands inside [0, 1], at 0 and at 1
        gap_scale = lr * max(np.linalg.norm(g), np.linalg.norm(d)) ** 2 / (1 + lam)
        f, f_hat = 1.0, 1.0 + gap_scale * rng.uniform(-2, 3)
        beta_max = 1.0 if i % 4 else float(rng.uniform(0.2, 0.99))
        precond = i % 5 in (3, 4)
        P = rng.uniform(0.3, 3.0, n) if precond else None
        mu = float(rng.uniform(0, 0.5)) if precond and i % 2 else 0.0
        out.append(dict(f_t=f, f_hat=f_hat, g=g, d=d, lr=lr, lam=lam, beta_max=beta_max, P=P, mu=mu, x_t=x))
    return out


INSTANCES = _instances()


def test_closed_form_matches_cvxpy_on_320_instances():
    interior = clipped_low = clipped_high = precond = 0
    for inst in INSTANCES:
        chk = check_step(**inst)
        assert chk.status == "optimal"
        assert abs(chk.beta_closed - chk.beta_qp) <= 1e-6, inst
        assert abs(chk.beta_closed - chk.beta_mult) <= 1e-6, inst
        assert np.linalg.norm(chk.x_closed - chk.x_qp) <= 1e-6 * (1 + np.linalg.norm(chk.x_closed))
        assert chk.duality_gap <= 1e-6  # strong duality
        assert chk.stationarity <= 1e-6 and chk.complementarity <= 1e-6
        b = chk.beta_closed
        interior += 1e-9 < b < inst["beta_max"] - 1e-9
        clipped_low += b <= 1e-12
        clipped_high += b >= inst["beta_max"] - 1e-12
        precond += inst["P"] is not None and inst["mu"] > 0
    assert min(interior, clipped_low, clipped_high) >= 30 and precond >= 30


def test_dual_is_maximised_by_the_closed_form():
    rng = np.random.default_rng(1)
    for _ in range(50):
        g, d = rng.standard_normal((2, 4))
        lam, lr = 0.3, 0.5
        beta = float(tp.beta_star(0.0, 0.4, g, d, lr, lam))
        grid = np.linspace(0, 1, 2001)
        vals = [float(tp.dual_objective(b, 0.0, 0.4, g, d, lr, lam)) for b in grid]
        assert float(tp.dual_objective(beta, 0.0, 0.4, g, d, lr, lam)) >= max(vals) - 1e-12


def test_primal_minimised_by_the_step():
    """x_{t+1} of Eq. 13 with β* minimises the proximal objective Eq. 9 (random probes)."""
    rng = np.random.default_rng(2)
    g, d, x_t = rng.standard_normal((3, 6))
    f, f_hat, lr, lam = 1.0, 1.2, 0.4, 0.2
    beta = tp.beta_star(f, f_hat, g, d, lr, lam)
    x_next = tp.step(x_t, tp.direction(beta, g, d, lam), lr)
    best = float(tp.prox_objective(x_next, x_t, f, f_hat, g, d, lr, lam))
    for _ in range(200):
        probe = x_next + 1e-3 * rng.standard_normal(6)
        assert float(tp.prox_objective(probe, x_t, f, f_hat, g, d, lr, lam)) >= best - 1e-14


def test_stochastic_gap_identity():
    """With f_hat - f = η gᵀd, β* = (1+λ)‖g‖²/‖d-g‖² - λ before clipping."""
    rng = np.random.default_rng(3)
    for lam in (0.0, 0.1, 1.7):
        g, d = rng.standard_normal((2, 7))
        lr = 0.3
        gap = tp.first_order_gap(g, d, lr)
        beta, _ = tp.beta_star_from_gap(gap, g, d, lr, lam)
        ref = (1 + lam) * (g @ g) / ((d - g) @ (d - g)) - lam
        assert float(beta) == pytest.approx(ref, rel=1e-12)


def test_degenerate_direction_gives_beta_zero_no_nan():
    g = np.array([1.0, -2.0])
    beta = tp.beta_star(1.0, 5.0, g, g.copy(), 0.1, 0.2)
    assert float(beta) == 0.0
    np.testing.assert_array_equal(tp.direction(beta, g, g, 0.2), g)


def test_batched_closed_form_equals_loop():
    rng = np.random.default_rng(4)
    g, d = rng.standard_normal((2, 5, 3))
    gap = rng.standard_normal(5)
    lam = np.array([0.0, 0.1, 0.2, 0.5, 1.0])
    batched, _ = tp.beta_star_from_gap(gap, g, d, 0.5, lam)
    for k in range(5):
        single, _ = tp.beta_star_from_gap(gap[k], g[k], d[k], 0.5, lam[k])
        assert batched[k] == pytest.approx(float(single), rel=1e-14)


@pytest.mark.parametrize("kw, pattern", [
    (dict(lr=0.0), r"lr must lie in \(0.0, inf\), got .*0.0"),
    (dict(lr=-1.0), r"lr must lie in \(0.0, inf\)"),
    (dict(lam=-0.1), r"lam must lie in \[0.0, inf\)"),
    (dict(beta_max=-1.0), r"beta_max must lie in \[0.0, 1.0\], got .*-1.0"),
    (dict(beta_max=1.5), r"beta_max must lie in \[0.0, 1.0\]"),
    (dict(beta_max=float("nan")), r"beta_max must lie in \[0.0, 1.0\]"),
])
def test_beta_star_checks_its_inputs(kw, pattern):
    g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    args = dict(f=1.0, f_hat=2.0, g=g, d=d, lr=0.5) | kw
    with pytest.raises(ValueError, match=pattern):
        tp.beta_star(**args)


def test_beta_star_accepts_the_closed_unit_interval():
    g, d = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    # numerator (f_hat - f)/η - ⟨d-g, g⟩ = 2 + 1 = 3, ‖d-g‖² = 2: β_raw = 1.5
    assert float(tp.beta_star(1.0, 2.0, g, d, 1.0, beta_max=1.0)) == 1.0
    assert float(tp.beta_star(1.0, 2.0, g, d, 1.0, beta_max=0.0)) == 0.0
