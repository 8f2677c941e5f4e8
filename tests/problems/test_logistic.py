import numpy as np
import pytest
import scipy.sparse as sp

from amtoolkit import LogisticRegression, load_problem
from amtoolkit.datasets import load_libsvm
from amtoolkit.problems import make_logistic_data, map_labels
from tests.conftest import to_np


def _sklearn_objective(problem):
    from sklearn.linear_model import LogisticRegression as SkLR

    n = problem.n_samples
    clf = SkLR(C=1.0 / (n * problem.reg), fit_intercept=False, tol=1e-12, max_iter=100000)
    clf.fit(problem.X, problem.y)
    return float(problem.value(clf.coef_.ravel()))


def test_taylor_remainder_slope_two(xp):
    X, y = make_logistic_data(80, 7, seed=3)
    p = LogisticRegression(X, y, reg=1e-2)
    rng = np.random.default_rng(1)
    w, v = rng.standard_normal(7), rng.standard_normal(7)
    f0, g0 = p.value_and_grad(xp.asarray(w))
    f0, g0 = float(to_np(f0)), to_np(g0)
    hs = np.logspace(-1, -4, 7)
    rem = [abs(float(to_np(p.value(xp.asarray(w + h * v)))) - f0 - h * g0 @ v) for h in hs]
    slope = np.polyfit(np.log(hs), np.log(rem), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.05)
    # A wrong gradient (sign flipped) gives slope 1, so the test can fail.
    rem_bad = [abs(float(to_np(p.value(xp.asarray(w + h * v)))) - f0 + h * g0 @ v) for h in hs]
    assert np.polyfit(np.log(hs), np.log(rem_bad), 1)[0] == pytest.approx(1.0, abs=0.05)


def test_value_matches_definition_dense_and_sparse():
    X, y = make_logistic_data(50, 6, seed=0)
    w = np.random.default_rng(0).standard_normal(6)
    ref = np.mean(np.log1p(np.exp(-y * (X @ w)))) + 0.05 * w @ w
    assert LogisticRegression(X, y, reg=0.1).value(w) == pytest.approx(ref, rel=1e-13)
    ps = LogisticRegression(sp.csr_matrix(X), y, reg=0.1)
    assert ps.value(w) == pytest.approx(ref, rel=1e-13)
    W = np.stack([w, 2 * w, -w])
    np.testing.assert_allclose(ps.grad(W), LogisticRegression(X, y, 0.1).grad(W), rtol=1e-13)


def test_no_overflow_for_huge_margins():
    X = np.array([[1.0], [1.0]])
    y = np.array([1.0, -1.0])
    p = LogisticRegression(X, y, reg=0.0)
    f, g = p.value_and_grad(np.array([1e4]))
    # one margin +1e4 (loss ~0), one -1e4 (loss 1e4): mean 5e3
    assert float(f) == pytest.approx(5e3, rel=1e-12)
    np.testing.assert_allclose(g, [0.5], rtol=1e-12)
    f2, g2 = p.value_and_grad(np.array([-1e4]))
    assert np.isfinite(f2) and float(f2) == pytest.approx(5e3)
    np.testing.assert_allclose(g2, [-0.5])


def test_f_star_matches_sklearn_breast_cancer():
    p = load_problem("breast_cancer", reg=1e-3)
    assert np.linalg.norm(p.grad(p.x_star)) <= 1e-10
    assert p.f_star == pytest.approx(_sklearn_objective(p), rel=1e-9)


def test_f_star_matches_sklearn_libsvm(data_dir):
    p = load_problem("australian_scale", reg=1e-3)
    assert np.linalg.norm(p.grad(p.x_star)) <= 1e-10
    assert p.f_star == pytest.approx(_sklearn_objective(p), rel=1e-9)


def test_smoothness_bounds_hessian():
    p = load_problem("breast_cancer", reg=1e-3)
    H = p._hessian(p.x_star)
    assert np.linalg.eigvalsh(H)[-1] <= p.smoothness * (1 + 1e-12)
    # the bound is ‖X‖²/(4n) + reg exactly
    assert p.smoothness == pytest.approx(np.linalg.norm(p.X, 2) ** 2 / (4 * p.n_samples) + 1e-3)


def test_minibatch_oracle_is_the_subproblem(xp):
    X, y = make_logistic_data(40, 5, seed=4)
    p = LogisticRegression(X, y, reg=0.01)
    idx = np.array([3, 7, 7, 20])
    sub = LogisticRegression(X[idx], y[idx], reg=0.01)
    w = np.linspace(-1, 1, 5)
    f, g = p.value_and_grad(xp.asarray(w), batch=idx)
    assert float(to_np(f)) == pytest.approx(float(sub.value(w)), rel=1e-13)
    np.testing.assert_allclose(to_np(g), sub.grad(w), rtol=1e-13)


def test_sampler_is_seeded_and_covers_each_epoch():
    X, y = make_logistic_data(10, 2, seed=0)
    p = LogisticRegression(X, y)
    s1, s2 = p.sampler(5, seed=3), p.sampler(5, seed=3)
    first = [next(s1) for _ in range(4)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate([next(s2) for _ in range(4)]))
    assert sorted(np.concatenate(first[:2])) == list(range(10))
    assert not np.array_equal(np.concatenate(first), np.concatenate([next(p.sampler(5, 4)) for _ in range(4)]))


def test_label_mapping():
    np.testing.assert_array_equal(map_labels([0, 1, 1]), [-1, 1, 1])
    np.testing.assert_array_equal(map_labels([2, 1, 2]), [1, -1, 1])
    np.testing.assert_array_equal(map_labels([-1.0, 1.0]), [-1, 1])


def test_libsvm_sparse_problem_runs_on_real_file(data_dir):
    X, y = load_libsvm("a1a")
    p = LogisticRegression(X, y, reg=1e-2)
    dense = LogisticRegression(X.toarray(), y, reg=1e-2)
    w = np.random.default_rng(0).standard_normal((2, X.shape[1])) * 0.1
    np.testing.assert_allclose(p.grad(w), dense.grad(w), rtol=1e-12, atol=1e-15)
