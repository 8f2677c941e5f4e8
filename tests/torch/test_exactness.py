"""The torch optimizers equal the NumPy reference optimizers on one gradient stream, in
float64, to 1e-12 (relative) for x and β at every step (amtoolkit.torch.testing.replay).

The global scope is compared with one NumPy optimizer on the concatenated vector, the
group scope with one per parameter group and the tensor scope with one per tensor.
Every comparison also checks that β is not trivially constant on the run (some β lie
strictly inside (0, β_max)), so that the equality says something about Eq. 12/14.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from amtoolkit.torch.testing import replay, stream_problem  # noqa: E402

SHAPES = [(3, 2), (4,), (2, 1, 2), (1,)]


def _interior(r, beta_max):
    b = np.asarray(r.beta_numpy, float).ravel()
    return int(np.sum((b > 1e-9) & (b < beta_max - 1e-9)))


def _warmup(t):  # LambdaLR factor: linear warm-up over 5 steps, then constant
    return min(1.0, (t + 1) / 5)


@pytest.mark.parametrize("scope", ["global", "group", "tensor"])
@pytest.mark.parametrize("lam,beta_max", [(0.0, 0.9), (0.1, 1.0), (0.1, 0.9), (0.0, 1.0)])
def test_am_sgd_equals_am_msgd(scope, lam, beta_max):
    r = replay("am_msgd", SHAPES, steps=25, beta_scope=scope, groups=[[0, 1], [2, 3]],
               lr=0.2, lam=lam, beta_max=beta_max)
    r.check(1e-12)
    assert _interior(r, beta_max) >= 3


@pytest.mark.parametrize("variant,extra", [("am", {}), ("clip", {"beta_min": 0.4}),
                                           ("reset", {"theta": 0.7, "high": 0.95, "low": 0.05})])
@pytest.mark.parametrize("scope", ["global", "tensor"])
def test_am_sgd_variants_weight_decay_and_warmup(variant, extra, scope):
    r = replay("am_msgd", SHAPES, steps=25, beta_scope=scope, lr=0.2, weight_decay=0.05,
               lr_lambda=_warmup, variant=variant, **extra)
    r.check(1e-12)
    b = r.beta_numpy.ravel()
    if variant == "clip":
        assert b.min() >= 0.4 - 1e-15 and np.any(b == 0.4)
    elif variant == "reset":
        assert set(np.unique(b)) <= {0.95, 0.05} and len(np.unique(b)) == 2
    else:
        assert _interior(r, 0.9) >= 3


def test_am_sgd_beta_max_schedule():
    """β_max,t as a callable of the step (Thm 3.3/3.4 style), evaluated at the same t."""
    r = replay("am_msgd", SHAPES, steps=25, lr=0.2, beta_max=lambda t: 0.95 * (1 - 0.5 ** (t + 1)))
    r.check(1e-12)
    assert _interior(r, 0.95) >= 3


@pytest.mark.parametrize("lam,beta_max", [(0.0, 1.0), (0.1, 0.9)])
def test_am_mgd_with_closure_losses(lam, beta_max):
    """offset='previous': f̂(x_t) = f(x_(t-1)) from the closure's losses (Algorithm 1 line 4)."""
    r = replay("am_mgd", SHAPES, steps=25, lr=0.3, lam=lam, beta_max=beta_max, noise=0.0)
    r.check(1e-12)
    assert _interior(r, beta_max) >= 3


def test_am_mgd_defaults_are_am_mgd_defaults():
    r = replay("am_mgd", SHAPES, steps=15, noise=0.0)
    opt = r.extra["optimizer"]
    assert (opt.defaults["lr"], opt.defaults["lam"], opt.defaults["beta_max"]) == (0.5, 0.0, 1.0)
    r.check(1e-12)


@pytest.mark.parametrize("scope", ["global", "group", "tensor"])
@pytest.mark.parametrize("lam,wd", [(0.1, 0.1), (0.0, 0.0), (0.1, 0.0)])
def test_am_adamw_equals_numpy(scope, lam, wd):
    r = replay("am_adamw", SHAPES, steps=25, beta_scope=scope, groups=[[0, 1], [2, 3]],
               lr=1.0, lam=lam, weight_decay=wd, noise=1.0)
    r.check(1e-12)
    assert _interior(r, 0.9) >= 2


@pytest.mark.parametrize("variant,extra", [("clip", {"beta_min": 0.85}), ("reset", {"theta": 0.88})])
def test_am_adamw_variants_and_warmup(variant, extra):
    r = replay("am_adamw", SHAPES, steps=25, lr=1.0, weight_decay=0.1, lr_lambda=_warmup,
               variant=variant, noise=1.0, **extra)
    r.check(1e-12)


def _beta1_schedule(t):
    return 0.95 - 0.45 * 0.9 ** t


@pytest.mark.parametrize("scope", ["global", "tensor"])
def test_am_adamw_beta_max_schedule(scope):
    """β_max,t a schedule: the clip and the bias factor 1 - β_max,t^(t+1) at step t, and
    P_(t-1) of the offset with β_max,(t-1) (the reading of am_adamw's Notes), equal to the
    NumPy am_adamw at every step."""
    r = replay("am_adamw", SHAPES, steps=25, beta_scope=scope, lr=1.0, lam=0.1, weight_decay=0.1,
               noise=1.0, beta_max=_beta1_schedule)
    r.check(1e-12)
    b = r.beta_numpy.reshape(25, -1)
    bmax = np.array([_beta1_schedule(t) for t in range(25)])[:, None]
    assert np.sum(b == bmax) >= 3 and np.sum((b > 1e-9) & (b < bmax - 1e-9)) >= 3


def test_am_adamw_bad_beta_max_schedule_value_names_the_step():
    from amtoolkit.torch import AdaptiveMemoryAdamW

    p = torch.nn.Parameter(torch.ones(3))
    opt = AdaptiveMemoryAdamW([p], beta_max=lambda t: 0.9 if t < 2 else 1.0)
    with pytest.raises(ValueError, match=r"beta_max schedule at step 2 must lie in \[0\.0, 1\.0\)"):
        for _ in range(3):
            p.grad = torch.ones(3)
            opt.step()


def test_am_adamw_previous_offset_and_fixed_beta():
    replay("am_adamw", SHAPES, steps=20, lr=0.5, offset="previous", noise=0.0).check(1e-12)
    replay("am_adamw", SHAPES, steps=20, lr=0.5, beta=0.8, lam=0.0, weight_decay=0.0).check(1e-12)
    replay("am_adamw", SHAPES, steps=20, lr=0.5, beta=0.8, lam=0.1, weight_decay=0.05).check(1e-12)


def test_fixed_beta_am_adamw_is_torch_adamw():
    """beta=β1, λ=0, μ=0: AM-AdamW's equations are torch.optim.AdamW's, bias corrections included."""
    from amtoolkit.torch import AdaptiveMemoryAdamW

    fn = stream_problem(6, noise=0.5)
    x0 = torch.linspace(-1, 1, 6, dtype=torch.float64)
    a, b = torch.nn.Parameter(x0.clone()), torch.nn.Parameter(x0.clone())
    oa = AdaptiveMemoryAdamW([a], lr=0.1, beta=0.9, lam=0.0, weight_decay=0.0, beta_max=0.9)
    ob = torch.optim.AdamW([b], lr=0.1, betas=(0.9, 0.999), weight_decay=0.0)
    for t in range(20):
        for p, o in ((a, oa), (b, ob)):
            p.grad = torch.tensor(fn(p.detach().numpy(), t)[1])
            o.step()
    torch.testing.assert_close(a, b, rtol=1e-12, atol=0)


def test_replay_detects_a_difference():
    """The check can fail: a NumPy side with another λ is caught at the first β that differs."""
    r = replay("am_msgd", SHAPES, steps=10, lr=0.2, lam=0.1)
    r.beta_numpy = r.beta_numpy.copy()
    r.beta_numpy[4] += 1e-9
    with pytest.raises(AssertionError, match="step 4"):
        r.check(1e-12)
