"""Bad input raises a clear error naming the parameter and what is allowed."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O

Q = amt.Quadratic.random(dim=3, cond=10, seed=0)
X_OK, Y_OK = amt.problems.make_logistic_data(20, 3, seed=0)


def _nan_data():
    X = X_OK.copy()
    X[2, 1] = np.nan
    return amt.LogisticRegression(X, Y_OK)


CASES = [
    # (label, callable, exception, regex the message must match)
    ("nan in x0", lambda: amt.run(O.gd(), Q, 5, x0=np.array([0.0, np.nan, 1.0])), ValueError, "x0 must be finite"),
    ("inf in x0", lambda: amt.run(O.gd(), Q, 5, x0=np.array([0.0, np.inf, 1.0])), ValueError, "x0 must be finite"),
    ("x0 wrong shape", lambda: amt.run(O.gd(), Q, 5, x0=np.zeros(4)), ValueError, r"x0 must have shape \(3,\)"),
    ("x0 wrong batch", lambda: amt.run(O.gd(lr=[0.1, 0.2]), Q, 5, x0=np.zeros((3, 3))), ValueError, "x0 of shape"),
    ("nan in data", _nan_data, ValueError, "X must be finite"),
    ("inf in A", lambda: amt.Quadratic(np.diag([1.0, np.inf]), np.zeros(2)), ValueError, "A must be finite"),
    ("lr <= 0", lambda: O.gd(lr=0.0), ValueError, r"lr must lie in \(0.0, inf\)"),
    ("lr array with a negative", lambda: O.mgd(lr=[0.1, -1.0]), ValueError, "lr must lie in"),
    ("beta >= 1", lambda: O.mgd(beta=1.0), ValueError, r"beta must lie in \[0.0, 1.0\)"),
    ("beta < 0", lambda: O.heavy_ball(beta=-0.1), ValueError, r"beta must lie in \[0.0, 1.0\)"),
    ("momentum >= 1", lambda: O.sgd(momentum=1.5), ValueError, "momentum must lie in"),
    ("nesterov without momentum", lambda: O.sgd(nesterov=True), ValueError, "nesterov=True requires momentum > 0"),
    ("adam betas", lambda: O.adamw(betas=(0.9, 1.0)), ValueError, r"betas\[1\] \(beta2\) must lie in"),
    ("adam beta1", lambda: O.adamw(betas=(1.0, 0.9)), ValueError, r"betas\[0\] \(beta1\) must lie in"),
    ("rllc rcond >= 1", lambda: O.rllc(rcond=1.0), ValueError, r"rcond must lie in \(0.0, 1.0\)"),
    ("negative weight decay", lambda: O.adamw(weight_decay=-1.0), ValueError, "weight_decay must lie in"),
    ("unknown optimizer", lambda: O.get("adam_but_wrong"), ValueError, "unknown optimizer name.*available: "),
    ("unknown hyperparameter", lambda: O.get("gd", beta=0.9), TypeError, r"gd got unknown hyperparameter\(s\) \['beta'\]"),
    ("missing file", lambda: amt.datasets.load_libsvm("/definitely/not/here.svm"), FileNotFoundError, "no LIBSVM file"),
    ("unknown problem", lambda: amt.load_problem("nosuch"), FileNotFoundError, "Built-in problems: breast_cancer, synthetic"),
    ("one-class labels", lambda: amt.LogisticRegression(X_OK, np.ones(20)), ValueError, "exactly two classes"),
    ("three classes", lambda: amt.LogisticRegression(X_OK[:3], [0, 1, 2]), ValueError, "exactly two classes"),
    ("labels length", lambda: amt.LogisticRegression(X_OK, Y_OK[:5]), ValueError, "y must be a 1-D array with one label per row"),
    ("non-PSD matrix", lambda: amt.Quadratic(np.diag([1.0, -1.0]), np.zeros(2)), ValueError, "positive semi-definite"),
    ("non-symmetric", lambda: amt.Quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]), np.zeros(2)), ValueError, "A must be symmetric"),
    ("non-square", lambda: amt.Quadratic(np.ones((2, 3)), np.zeros(2)), ValueError, "A must be a square matrix"),
    ("b shape", lambda: amt.Quadratic(np.eye(2), np.zeros(3)), ValueError, r"b must have shape \(2,\)"),
    ("negative reg", lambda: amt.LogisticRegression(X_OK, Y_OK, reg=-1e-3), ValueError, r"reg must lie in \[0.0, inf\)"),
    ("steps < 1", lambda: amt.run(O.gd(), Q, 0), ValueError, "steps must be an integer >= 1"),
    ("steps not int", lambda: amt.run(O.gd(), Q, 2.5), TypeError, "steps must be an integer"),
    ("batch_size on quadratic", lambda: amt.run(O.gd(), Q, 5, batch_size=4), ValueError, "batch_size must be None"),
    ("batch_size too large", lambda: next(amt.LogisticRegression(X_OK, Y_OK).sampler(50)), ValueError, r"batch_size must be in \[1, n_samples=20\]"),
    ("cond < 1", lambda: amt.Quadratic.random(dim=3, cond=0.5), ValueError, r"cond must lie in \[1.0, inf\)"),
    ("spectrum", lambda: amt.Quadratic.random(dim=3, spectrum="cubic"), ValueError, "spectrum must be one of"),
    ("iterate shape at oracle", lambda: Q.value(np.zeros(5)), ValueError, r"x must have shape \(\.\.\., 3\)"),
    ("jac missing", lambda: amt.minimize(lambda x: 0.0, np.zeros(2), jac=None), ValueError, "jac must be a callable"),
]


@pytest.mark.parametrize("label, fn, exc, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input(label, fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


def test_malformed_libsvm_line(tmp_path):
    bad = tmp_path / "bad.svm"
    bad.write_text("+1 1:0.5\n-1 3:0.1 2:x\n")
    with pytest.raises(ValueError, match="name_or_path: .* is not a valid LIBSVM file"):
        amt.datasets.load_libsvm(bad)
