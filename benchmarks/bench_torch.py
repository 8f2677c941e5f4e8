"""Cost of the PyTorch AM optimizers against their baselines, on CPU (or a GPU with --device).

    python benchmarks/bench_torch.py --rounds 5

(from any directory: it imports the amtoolkit of the checkout it belongs to)

Prints one Markdown table: the optimizer step of AM-SGD against
``torch.optim.SGD(momentum=0.9, dampening=0.9)`` and of AM-AdamW against
``torch.optim.AdamW`` (foreach on both sides) on an MLP of ~2.1M parameters; the full
training step (forward + backward + step) of a small CNN and a small transformer; and the
optimizer state (tensors of the parameters' size, bytes). Times are the best over
interleaved rounds (every variant timed once per round, ratios from the same run).

Targets (issue 18): full step <= 1.05x, optimizer step <= 1.5x the baseline's, state
tensors and bytes equal to the baseline's (one buffer AM-SGD, two AM-AdamW).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import interleaved_best  # noqa: E402  (first: it pins BLAS/OpenMP to one thread)

# time the amtoolkit of this checkout, not an installed copy
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from amtoolkit.torch import AdaptiveMemoryAdamW, AdaptiveMemorySGD  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


NAMES = ("SGD(momentum=0.9, dampening=0.9)", "AM-SGD", "AdamW", "AM-AdamW")


def make_optimizer(name: str, params, foreach: bool):
    params = list(params)
    if name == "AM-SGD":
        return AdaptiveMemorySGD(params, lr=0.01, foreach=foreach, history=0)
    if name == "AM-AdamW":
        return AdaptiveMemoryAdamW(params, lr=1e-3, foreach=foreach, history=0)
    if name == "AdamW":
        return torch.optim.AdamW(params, lr=1e-3, foreach=foreach)
    return torch.optim.SGD(params, lr=0.01, momentum=0.9, dampening=0.9, foreach=foreach)


PAIRS = (("AM-SGD", "SGD(momentum=0.9, dampening=0.9)"), ("AM-AdamW", "AdamW"))


def mlp(width: int = 1024, depth: int = 2):
    layers = [torch.nn.Linear(width, width) for _ in range(depth)]
    return torch.nn.Sequential(*[m for layer in layers for m in (layer, torch.nn.ReLU())])


def cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 8 * 8, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


class Transformer(torch.nn.Module):
    def __init__(self, vocab=1000, dim=128, layers=2, heads=4):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, dim)
        layer = torch.nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.0, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, layers)
        self.head = torch.nn.Linear(dim, vocab)

    def forward(self, tokens):
        return self.head(self.enc(self.emb(tokens)))


def step_times(device, rounds: int, steps: int, foreach: bool) -> dict:
    """Optimizer step alone, gradients fixed, on the ~2.1M-parameter MLP."""
    torch.manual_seed(0)
    models = {}
    fns = {}
    for name in NAMES:
        model = mlp().to(device)
        for p in model.parameters():
            p.grad = torch.randn_like(p) * 1e-2
        opt = make_optimizer(name, model.parameters(), foreach)
        opt.step()  # state created outside the timing
        models[name] = model

        def run(opt=opt):
            for _ in range(steps):
                opt.step()
            _sync(device)

        fns[name] = run
    best = interleaved_best(fns, rounds)
    n = sum(p.numel() for p in models["AM-SGD"].parameters())
    return {"params": n, **{k: v / steps for k, v in best.items()}}


def train_times(kind: str, device, rounds: int, steps: int, foreach: bool) -> dict:
    torch.manual_seed(0)
    if kind == "cnn":
        x = torch.randn(32, 3, 32, 32, device=device)
        y = torch.randint(0, 10, (32,), device=device)
        make = cnn
    else:
        x = torch.randint(0, 1000, (16, 64), device=device)
        y = torch.randint(0, 1000, (16, 64), device=device)
        make = Transformer
    fns, n = {}, 0
    for name in NAMES:
        torch.manual_seed(0)
        model = make().to(device)
        n = sum(p.numel() for p in model.parameters())
        opt = make_optimizer(name, model.parameters(), foreach)

        def run(model=model, opt=opt):
            for _ in range(steps):
                opt.zero_grad()
                out = model(x)
                loss = torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
                loss.backward()
                opt.step()
            _sync(device)

        run()
        fns[name] = run
    best = interleaved_best(fns, rounds)
    return {"params": n, **{k: v / steps for k, v in best.items()}}


def state_memory(foreach: bool) -> dict:
    """Tensors of the parameters' sizes in the state, and all state bytes, after a step."""
    out = {}
    for name in NAMES:
        model = mlp(256, 2)
        for p in model.parameters():
            p.grad = torch.randn_like(p)
        opt = make_optimizer(name, model.parameters(), foreach)
        opt.step()
        big, nbytes = 0, 0
        for p in model.parameters():
            for v in opt.state[p].values():
                if torch.is_tensor(v):
                    nbytes += v.numel() * v.element_size()
                    big += int(v.numel() == p.numel())
        extra = [v for k, v in opt.state.items() if not torch.is_tensor(k)]
        for entry in extra:  # the optimizer-wide scalars (previous lr, loss)
            for v in entry.values():
                if torch.is_tensor(v):
                    nbytes += v.numel() * v.element_size()
        out[name] = (big / len(list(model.parameters())), nbytes)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    foreach = True
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"rounds {args.rounds}, steps per round {args.steps}, foreach={foreach}\n")
    print("| measurement | model (params) | baseline | baseline time | AM time | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    t0 = time.perf_counter()
    res = step_times(device, args.rounds, args.steps, foreach)
    for am, base in PAIRS:
        print(f"| optimizer step | MLP ({res['params'] / 1e6:.1f}M) | {base} | {res[base] * 1e3:.2f} ms | "
              f"{res[am] * 1e3:.2f} ms | {res[am] / res[base]:.2f}x | <= 1.5x |")
    for kind, label in (("cnn", "CNN"), ("transformer", "transformer")):
        res = train_times(kind, device, args.rounds, max(1, args.steps // 2), foreach)
        for am, base in PAIRS:
            print(f"| full train step | {label} ({res['params'] / 1e6:.2f}M) | {base} | {res[base] * 1e3:.2f} ms | "
                  f"{res[am] * 1e3:.2f} ms | {res[am] / res[base]:.2f}x | <= 1.05x |")
    mem = state_memory(foreach)
    for am, base in PAIRS:
        print(f"| state per parameter | MLP 256 | {base} | {mem[base][0]:.0f} buffers, {mem[base][1]} B | "
              f"{mem[am][0]:.0f} buffers, {mem[am][1]} B | {mem[am][1] / mem[base][1]:.4f}x | equal |")
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
