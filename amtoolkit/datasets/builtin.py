"""Datasets that work offline: scikit-learn's bundled breast-cancer data."""

from __future__ import annotations

import numpy as np


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's Wisconsin breast-cancer data (569 × 30), each feature
    standardised to mean 0 and standard deviation 1; labels malignant → -1,
    benign → +1 (scikit-learn's 0/1)."""
    from sklearn.datasets import load_breast_cancer as _load

    data = _load()
    X = np.asarray(data.data, dtype=np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.where(data.target == 1, 1.0, -1.0)
    return X, y
