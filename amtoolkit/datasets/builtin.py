"""Datasets that work offline: scikit-learn's bundled breast-cancer data."""

from __future__ import annotations

import numpy as np


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """The Wisconsin breast-cancer data of scikit-learn (569 × 30), standardised, labels in {-1, +1}.

    Each feature is standardised to mean 0 and standard deviation 1; malignant → -1,
    benign → +1 (scikit-learn's 0/1). Works offline (the data ship with scikit-learn).

    Returns
    -------
    X : ndarray of shape (569, 30)
        The standardised features.
    y : ndarray of shape (569,)
        The labels.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer()
    >>> X.shape, bool(np.allclose(X.mean(axis=0), 0.0)), np.unique(y).tolist()
    ((569, 30), True, [-1.0, 1.0])
    """
    from sklearn.datasets import load_breast_cancer as _load

    data = _load()
    X = np.asarray(data.data, dtype=np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.where(data.target == 1, 1.0, -1.0)
    return X, y
