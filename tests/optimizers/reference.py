"""Independent, loop-based references written from PyTorch's documented algorithms."""

import numpy as np


def torch_sgd_reference(x0, grads, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """torch.optim.SGD's algorithm box, one step at a time."""
    x = np.array(x0, dtype=float)
    buf = None
    out = []
    for g in grads:
        g = g + weight_decay * x
        if momentum != 0:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        out.append(x.copy())
    return np.array(out)


def torch_adamw_reference(x0, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """torch.optim.AdamW's algorithm box (amsgrad=False)."""
    b1, b2 = betas
    x = np.array(x0, dtype=float)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    out = []
    for t, g in enumerate(grads, start=1):
        x = x - lr * weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(x.copy())
    return np.array(out)


def torch_trajectory(opt_cls, x0, grads, **kw):
    """The same gradient sequence fed to a real torch optimizer (float64)."""
    import torch

    p = torch.nn.Parameter(torch.tensor(np.array(x0), dtype=torch.float64))
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)
