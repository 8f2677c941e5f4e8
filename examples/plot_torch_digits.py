"""
Training an MLP on the digits with AdaptiveMemorySGD
=====================================================

A two-layer MLP on scikit-learn's 8×8 digits (1797 images, 10 classes), trained with
mini-batches by :class:`amtoolkit.torch.AdaptiveMemorySGD` (AM-MSGD, AM paper
Algorithm 1's stochastic column) and by ``torch.optim.SGD(momentum=0.9, dampening=0.9)``,
the fixed-β method with the same update ``d ← β d + (1-β) g`` at β = 0.9. The AM
optimizer records its β_t on the device at every step; it is read once at the end for
the plot (the β panel of the AM paper's Figures 4 and 6).

Runs in a few seconds on a CPU; ``AMTOOLKIT_EXAMPLES_SMALL=1`` shrinks it further.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from amtoolkit.torch import AdaptiveMemorySGD

SMALL = os.environ.get("AMTOOLKIT_EXAMPLES_SMALL") == "1"
EPOCHS, BATCH, LR = (3, 64, 0.2) if SMALL else (15, 64, 0.2)
torch.manual_seed(0)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
X_train, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_test))
y_train, y_test = (torch.tensor(a) for a in (y_train, y_test))

# %%
# The same model, initial weights and batch order for both optimizers.


def make_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def train(make_optimizer):
    model = make_model()
    opt = make_optimizer(model.parameters())
    gen = torch.Generator().manual_seed(1)
    losses = []
    for _ in range(EPOCHS):
        order = torch.randperm(len(X_train), generator=gen)
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            losses.append(loss.detach())
    with torch.no_grad():
        accuracy = float((model(X_test).argmax(1) == y_test).float().mean())
    return opt, torch.stack(losses).numpy(), accuracy


am_opt, am_loss, am_acc = train(lambda p: AdaptiveMemorySGD(p, lr=LR))
_, sgd_loss, sgd_acc = train(lambda p: torch.optim.SGD(p, lr=LR, momentum=0.9, dampening=0.9))
print(f"test accuracy: AM-SGD {am_acc:.3f}, SGD(momentum=0.9, dampening=0.9) {sgd_acc:.3f}")

# %%
# β_t of AM-SGD (one β over all parameters: ``beta_scope="global"``), read from the
# device once, against the fixed β = 0.9 of SGD.

beta = am_opt.beta_history()[:, 0].cpu().numpy()
print(f"beta_t: mean {beta[1:].mean():.3f}, min {beta[1:].min():.3f}, max {beta[1:].max():.3f} "
      f"over {len(beta)} steps")


def smooth(a, k=20):
    k = max(1, min(k, len(a) // 4))
    return np.convolve(a, np.ones(k) / k, mode="valid")


fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.plot(smooth(sgd_loss), label="SGD(momentum=0.9, dampening=0.9)")
ax1.plot(smooth(am_loss), label="AM-SGD")
ax1.set(xlabel="step", ylabel="training loss (moving average)", yscale="log")
ax1.legend()
ax2.plot(beta, lw=0.6, color="C1", label="AM-SGD β_t")
ax2.axhline(0.9, color="C0", ls="--", label="SGD β = 0.9")
ax2.set(xlabel="step", ylabel="β_t", ylim=(-0.05, 1.0))
ax2.legend()
fig.tight_layout()
