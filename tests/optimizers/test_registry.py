"""One parametrized test over every registered optimizer (pymanopt / jaxopt style)."""

import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import optimizers as O
from tests.conftest import to_np

# A single-run configuration and a batched one (K = 3) for every registered method.
CONFIGS = {
    "gd": (dict(lr=1.0), dict(lr=np.array([0.5, 1.0, 1.5]))),
    "heavy_ball": (dict(lr=0.5, beta=0.8), dict(lr=0.5, beta=np.array([0.0, 0.5, 0.8]))),
    "mgd": (dict(lr=1.0, beta=0.9), dict(lr=np.array([1.0, 1.5, 1.0]), beta=np.array([0.9, 0.5, 0.0]))),
    "sgd": (dict(lr=0.5, momentum=0.9), dict(lr=0.5, momentum=np.array([0.0, 0.5, 0.9]),
                                             dampening=np.array([0.5, 0.0, 1.0]),
                                             weight_decay=np.array([0.0, 1e-2, 0.0]))),
    "nag": (dict(lr=1.0), dict(lr=np.array([0.5, 1.0, 1.5]), beta=np.array([0.5, 0.8, 0.9]))),
    "adamw": (dict(lr=1.0, weight_decay=0.0), dict(lr=np.array([0.01, 0.05, 0.1]), weight_decay=0.0,
                                                   betas=(np.array([0.0, 0.9, 0.5]), 0.99))),
    "am_mgd": (dict(lr=1.0), dict(lr=np.array([0.5, 1.0, 1.5]), lam=np.array([0.0, 0.1, 0.5]),
                                  beta_max=np.array([0.9, 0.5, 0.99]))),
    "am_msgd": (dict(lr=1.0), dict(lr=1.0, lam=np.array([0.0, 0.1, 0.3]), beta_max=np.array([0.9, 0.5, 0.0]))),
    "am_adamw": (dict(lr=1.0, weight_decay=0.0), dict(lr=np.array([0.01, 0.05, 0.1]), lam=np.array([0.0, 0.1, 0.5]),
                                                      weight_decay=np.array([0.0, 1e-2, 1e-1]))),
    "rllc": (dict(lr=0.5, memory="M(0.9)+M(0.0)", law0=(0.5, 1.0), c2=0.01),
             dict(lr=np.array([0.3, 0.5, 0.5]), c2=np.array([0.0, 0.01, 0.05]),
                  law0=np.array([[1.0, 0.0], [0.5, 1.0], [0.0, 1.0]]))),
}


# BLAS computes X·w for a (K, d) block and a (d,) vector with different kernels, so
# gradients differ in the last bit. The baselines propagate that at 1e-16; the AM
# methods divide by ‖d - g‖² (small near convergence), which amplifies it, so their
# batched runs agree with separate runs to 1e-8 instead of 1e-12.
# AM-MGD's offset f(x_{t-1}) - f(x_t) also cancels once the loss has converged to
# rounding level, so its comparison stops at 30 steps (before that happens here).
BATCH_TOL = {"am_mgd": 1e-8, "am_msgd": 1e-8, "am_adamw": 1e-8, "rllc": 1e-8}
BATCH_STEPS = {"am_mgd": 30}


def test_registry_and_configs_agree():
    """Every registered optimizer has a config, and every config is registered: a dropped
    ``@register`` fails here instead of silently skipping that optimizer's tests."""
    assert set(O.available()) == set(CONFIGS)


@pytest.fixture(params=sorted(CONFIGS))
def name(request):
    return request.param


def test_decreases_a_quadratic(name, xp):
    q = amt.Quadratic.random(dim=20, cond=30, seed=1)
    x0 = xp.asarray(np.ones(20))
    h = amt.run(O.get(name, **CONFIGS[name][0]), q, steps=300, x0=x0)
    gaps = h.frame["gap"].to_numpy()
    assert h.status == ["finished"]
    assert gaps[-1] < 1e-3 * gaps[0]
    assert type(h.x) is type(x0)  # the namespace of x0 is kept


def test_batched_equals_separate_runs(name, xp):
    single, batched = CONFIGS[name]
    X, y = amt.problems.make_logistic_data(60, 5, seed=2)
    p = amt.LogisticRegression(X, y, reg=1e-2)
    x0 = xp.asarray(np.linspace(-1, 1, 5))
    steps = BATCH_STEPS.get(name, 60)
    hb = amt.run(O.get(name, **{**single, **batched}), p, steps=steps, x0=x0)
    assert hb.n_runs == 3
    for k in range(3):
        cfg = {**single}
        for key, v in batched.items():
            cfg[key] = tuple(np.ravel(e)[k] if np.ndim(e) else e for e in v) if isinstance(v, tuple) \
                else (v[k] if np.ndim(v) else v)
        hs = amt.run(O.get(name, **cfg), p, steps=steps, x0=x0)
        rows = hb.frame[hb.frame.run == k].reset_index(drop=True)
        tol = BATCH_TOL.get(name, 1e-12)
        for col in ("loss", "grad_norm", "lr", "beta"):
            np.testing.assert_allclose(rows[col], hs.frame[col], rtol=tol, atol=tol, equal_nan=True)
        np.testing.assert_allclose(to_np(hb.x)[k], to_np(hs.x), rtol=tol, atol=tol)


def test_get_and_functions_agree(name):
    a = O.get(name, **CONFIGS[name][0])
    b = getattr(O, name)(**CONFIGS[name][0])
    x = np.arange(3.0)
    g = np.array([1.0, -1.0, 0.5])
    sa, sb = a.init(x), b.init(x)
    kw = {"loss": 1.0} if "loss" in a.needs else {}
    for _ in range(3):
        sa, sb = a.update(sa, g, **kw), b.update(sb, g, **kw)
    np.testing.assert_array_equal(sa.x, sb.x)
    assert sa.step == 3  # the update count that schedules are evaluated at
