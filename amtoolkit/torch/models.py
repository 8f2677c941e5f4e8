"""Small seeded models for the deep-learning protocols (issue 19).

:func:`make_model` builds one of

* ``"mlp"``: flatten → Linear(d, 128) → ReLU → Linear(128, 10) (width ``hidden``);
* ``"cnn"``: two 3x3 conv blocks (16, 32 channels, ReLU, 2x2 max-pool) → Linear(·, 10);
* ``"resnet8"``, ``"resnet20"``: the CIFAR ResNets of He et al. (6n+2 layers, n = 1, 3;
  16/32/64 channels, BatchNorm, identity shortcuts with zero-padding), the RLLC paper's
  ResNet-20 (Fig. 1), for any input size and channel count;
* ``"char-transformer"``: a 2-layer pre-LN decoder-only transformer over characters,
  d = 128, 4 heads, context 64, learned positions, causal mask (AM Sec. 4.3 at small
  scale).

Parameters are initialised from ``torch.Generator``-seeded global state inside
``torch.random.fork_rng``, so the same seed gives the same weights and the caller's RNG is
untouched; on CPU the forward pass is deterministic.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["make_model", "MODELS", "MLP", "SmallCNN", "ResNet", "CharTransformer"]

MODELS = ("mlp", "cnn", "resnet8", "resnet20", "char-transformer")


class MLP(nn.Module):
    """One-hidden-layer perceptron over flattened inputs."""

    def __init__(self, in_features: int, n_classes: int = 10, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """conv(16)-pool-conv(32)-pool-linear."""

    def __init__(self, in_shape: tuple[int, int, int], n_classes: int = 10) -> None:
        super().__init__()
        c, h, w = in_shape
        self.features = nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(32 * (h // 4) * (w // 4), n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        short = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad:  # option A of He et al.: zero-padded channels
            short = F.pad(short, (0, 0, 0, 0, 0, self.pad))
        return F.relu(out + short)


class ResNet(nn.Module):
    """CIFAR ResNet with 6n+2 layers (n=1: ResNet-8, n=3: ResNet-20)."""

    def __init__(self, depth: int, in_channels: int = 1, n_classes: int = 10) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        layers: list[nn.Module] = [nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
        cin = 16
        for i, cout in enumerate((16, 32, 64)):
            for j in range(n):
                layers.append(_Block(cin, cout, 2 if (j == 0 and i > 0) else 1))
                cin = cout
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(64, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))


class CharTransformer(nn.Module):
    """Decoder-only character LM: embeddings + learned positions, pre-LN blocks, tied-free head."""

    def __init__(self, vocab: int, d: int = 128, layers: int = 2, heads: int = 4, context: int = 64) -> None:
        super().__init__()
        self.context = context
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(context, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        if t > self.context:
            raise ValueError(f"sequence length {t} exceeds the context {self.context}")
        h = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.norm(h))


def make_model(name: str, input_shape: tuple[int, ...] = (1, 28, 28), n_classes: int = 10, seed: int = 0,
               **kwargs) -> nn.Module:
    """A seeded small model.

    Parameters
    ----------
    name : {"mlp", "cnn", "resnet8", "resnet20", "char-transformer"}
    input_shape : tuple of int, default (1, 28, 28)
        (channels, height, width) of one image; ignored by the transformer.
    n_classes : int, default 10
        Classes, or the vocabulary size of the transformer.
    seed : int, default 0
        Seeds the initialisation (the caller's RNG state is restored).
    **kwargs
        Passed to the model's class (``hidden`` of the MLP; ``d``, ``layers``, ``heads``,
        ``context`` of the transformer).

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        If ``name`` is unknown or ``seed`` is not a non-negative int.

    Examples
    --------
    >>> import torch
    >>> from amtoolkit.torch.models import make_model
    >>> a, b = make_model("cnn", seed=3), make_model("cnn", seed=3)
    >>> x = torch.ones(2, 1, 28, 28)
    >>> bool(torch.equal(a(x), b(x)))
    True
    """
    if name not in MODELS:
        raise ValueError(f"name must be one of {MODELS}, got {name!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if name == "mlp":
            c, h, w = input_shape
            return MLP(c * h * w, n_classes, **kwargs)
        if name == "cnn":
            return SmallCNN(tuple(input_shape), n_classes, **kwargs)
        if name.startswith("resnet"):
            return ResNet(int(name[6:]), input_shape[0], n_classes)
        return CharTransformer(n_classes, **kwargs)
