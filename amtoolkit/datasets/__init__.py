"""Datasets: the LIBSVM registry and loader, the offline built-ins, and a problem factory."""

from __future__ import annotations

import os

from ..problems import LogisticRegression, make_logistic_data
from .builtin import load_breast_cancer
from .images import find_data_file, load_images
from .libsvm import DatasetInfo, cache_dir, find_libsvm, load_libsvm, registry, sha256sum
from .text import encode_chars, load_text

#: the problem names :func:`load_problem` builds without a file
BUILTIN = ("breast_cancer", "synthetic")


def load_problem(name: str, reg: float = 1e-3, **kwargs) -> LogisticRegression:
    """A logistic-regression problem by name: a built-in, a registered LIBSVM dataset or a file.

    ``"breast_cancer"`` (offline, standardised scikit-learn data), ``"synthetic"``
    (:func:`make_logistic_data`, keyword arguments passed on), a registered LIBSVM name
    (``"a9a"``, ``"w8a"``, ...; :func:`load_libsvm`, keyword arguments passed on) or a path
    to a LIBSVM file. The AM paper's convex experiments (Sec. 4.1) are logistic
    regressions on LIBSVM datasets; the text available here gives no regularisation, so
    ``reg`` defaults to amtoolkit's 1e-3.

    Parameters
    ----------
    name : str or os.PathLike
        The problem.
    reg : float, default 1e-3
        The L2 coefficient ≥ 0 of :class:`~amtoolkit.problems.LogisticRegression`.
    **kwargs
        Passed to :func:`make_logistic_data` (``"synthetic"``) or :func:`load_libsvm`.

    Returns
    -------
    LogisticRegression
        Named ``name``.

    Raises
    ------
    TypeError
        If ``name`` is not a non-empty string or path, or a keyword argument is not
        accepted.
    FileNotFoundError
        If the dataset is neither built in, registered and found (or downloaded), nor a
        file.
    ValueError
        If a file's sha256 differs from the registry's, a file is not valid LIBSVM, or
        ``reg`` is negative.

    Examples
    --------
    >>> from amtoolkit.datasets import load_problem
    >>> p = load_problem("breast_cancer")
    >>> p.name, p.n_samples, p.dim, p.reg
    ('breast_cancer', 569, 30, 0.001)
    """
    if not isinstance(name, (str, os.PathLike)) or not str(name):
        raise TypeError(f"name must be a built-in problem name, a registered LIBSVM name or a path, "
                        f"got {name!r}")
    if name == "breast_cancer":
        X, y = load_breast_cancer()
    elif name == "synthetic":
        X, y = make_logistic_data(**kwargs)
        kwargs = {}
    else:
        try:
            X, y = load_libsvm(name, **kwargs)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"{err}\nBuilt-in problems: {', '.join(BUILTIN)} (and "
                                    f"'quadratic' on the command line)") from None
        kwargs = {}
    if kwargs:
        raise TypeError(f"unexpected keyword arguments for {name!r}: {sorted(kwargs)}")
    return LogisticRegression(X, y, reg=reg, name=str(name))


__all__ = ["load_problem", "load_libsvm", "load_breast_cancer", "find_libsvm", "registry",
           "DatasetInfo", "cache_dir", "sha256sum", "make_logistic_data", "BUILTIN",
           "load_images", "load_text", "encode_chars", "find_data_file"]
