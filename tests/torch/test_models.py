"""The small models: shapes, seeding, determinism on CPU, parameter counts from the definitions."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'amtoolkit[torch]')")

from amtoolkit.torch.models import MODELS, make_model  # noqa: E402


def _input(name):
    if name == "char-transformer":
        return torch.randint(0, 30, (2, 64), generator=torch.Generator().manual_seed(1))
    return torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", MODELS)
def test_same_seed_same_model_and_output(name):
    kw = {"n_classes": 30} if name == "char-transformer" else {}
    state = torch.random.get_rng_state()
    a, b, c = make_model(name, seed=5, **kw), make_model(name, seed=5, **kw), make_model(name, seed=6, **kw)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's RNG is untouched
    x = _input(name)
    ya, yb, yc = a(x), b(x), c(x)
    assert torch.equal(ya, yb) and not torch.allclose(ya, yc)
    out = (3, 10) if name != "char-transformer" else (2, 64, 30)
    assert ya.shape == out
    # one training step is deterministic too
    for m in (a, b):
        loss = m(x).float().square().mean()
        loss.backward()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa.grad, pb.grad)


def test_parameter_counts_match_the_definitions():
    # MLP 784-128-10, CNN conv(1->16)+conv(16->32)+linear(32*7*7->10)
    assert sum(p.numel() for p in make_model("mlp").parameters()) == 784 * 128 + 128 + 128 * 10 + 10
    assert sum(p.numel() for p in make_model("cnn").parameters()) == (16 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 49 * 10 + 10)
    # ResNet-20 of He et al. (CIFAR): 0.27M parameters with 3 input channels; conv counts 6n+1 + 1 linear
    r20 = make_model("resnet20", (3, 32, 32))
    convs = [m for m in r20.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 19 and abs(sum(p.numel() for p in r20.parameters()) - 0.27e6) < 0.01e6
    assert len([m for m in make_model("resnet8").modules() if isinstance(m, torch.nn.Conv2d)]) == 7


def test_transformer_is_causal():
    m = make_model("char-transformer", n_classes=30, seed=0)
    x = _input("char-transformer")
    y = x.clone()
    y[:, 40:] = (y[:, 40:] + 1) % 30  # change the future only
    torch.testing.assert_close(m(x)[:, :40], m(y)[:, :40])
    assert not torch.allclose(m(x)[:, 40:], m(y)[:, 40:])


def test_bad_inputs():
    with pytest.raises(ValueError, match="name"):
        make_model("vgg19")
    with pytest.raises(ValueError, match="seed"):
        make_model("mlp", seed=-1)
