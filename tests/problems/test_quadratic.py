import numpy as np
import pytest

from amtoolkit import Quadratic
from tests.conftest import to_np


def test_random_spectrum_and_exact_solution():
    q = Quadratic.random(dim=30, cond=1e3, seed=1)
    eig = np.linalg.eigvalsh(q.A)
    assert eig[-1] == pytest.approx(1.0, rel=1e-12)
    assert eig[0] == pytest.approx(1e-3, rel=1e-9)
    assert q.smoothness / q.strong_convexity == pytest.approx(1e3, rel=1e-9)
    # Independent route: x* from a linear solve, f* from the definition.
    x_ref = np.linalg.solve(q.A, -q.b)
    f_ref = 0.5 * x_ref @ q.A @ x_ref + q.b @ x_ref
    np.testing.assert_allclose(q.x_star, x_ref, rtol=1e-10, atol=1e-10)
    assert q.f_star == pytest.approx(f_ref, rel=1e-12)
    assert q.f_star == pytest.approx(-0.5 * q.b @ np.linalg.solve(q.A, q.b), rel=1e-12)
    # And it is a minimum: f(x* + e) > f* for random e.
    rng = np.random.default_rng(0)
    for _ in range(5):
        e = 1e-3 * rng.standard_normal(30)
        assert q.value(q.x_star + e) > q.f_star


def test_uniform_spectrum():
    q = Quadratic.random(dim=5, cond=10, seed=0, spectrum="uniform")
    np.testing.assert_allclose(np.linalg.eigvalsh(q.A), np.linspace(0.1, 1.0, 5), rtol=1e-10)


def test_value_grad_batched(xp):
    q = Quadratic.random(dim=6, cond=20, seed=2)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 6))
    f, g = q.value_and_grad(xp.asarray(X))
    for k in range(4):
        x = X[k]
        assert to_np(f)[k] == pytest.approx(0.5 * x @ q.A @ x + q.b @ x, rel=1e-12)
        np.testing.assert_allclose(to_np(g)[k], q.A @ x + q.b, rtol=1e-12)
    assert f.shape == (4,) and g.shape == (4, 6)


def test_singular_psd_with_b_in_range():
    A = np.diag([1.0, 0.0])
    q = Quadratic(A, np.array([1.0, 0.0]))
    np.testing.assert_allclose(q.x_star, [-1.0, 0.0])
    assert q.f_star == pytest.approx(-0.5)
    unbounded = Quadratic(A, np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="unbounded below"):
        unbounded.f_star
    assert not unbounded.has_x_star()
