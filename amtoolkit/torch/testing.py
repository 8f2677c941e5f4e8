"""Replay one gradient stream through a PyTorch optimizer and the NumPy optimizer of the
same name (the exactness check of ``amtoolkit.torch``).

>>> from amtoolkit.torch.testing import replay
>>> r = replay("am_msgd", shapes=[(3, 2), (4,)], steps=20, lr=0.1)
>>> r.check(rtol=1e-12)      # raises AssertionError naming the step and quantity

The stream is ``fn(x, t) -> (loss, grad)`` evaluated in NumPy float64 at the torch
iterate (flattened and concatenated in ``param_groups`` order) and at the NumPy iterate,
so a difference can only come from the optimizers. Scopes: ``"global"`` runs one NumPy
optimizer on the concatenated vector, ``"group"`` one per parameter group and
``"tensor"`` one per tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from .. import optimizers as _np_opt

__all__ = ["replay", "Replay", "stream_problem"]

#: NumPy name -> (torch class name, fixed torch keyword arguments)
NAMES = {"am_msgd": ("AdaptiveMemorySGD", {"offset": "first_order"}),
         "am_mgd": ("AdaptiveMemorySGD", {"offset": "previous"}),
         "am_adamw": ("AdaptiveMemoryAdamW", {}),
         "rllc": ("RLLC", {})}


def stream_problem(dim: int, seed: int = 0, noise: float = 0.0, curvature: float = 0.5) -> Callable:
    """A smooth non-convex test function on R^dim with an optional per-step gradient noise:
    ``f(x) = ½ xᵀAx - bᵀx + curvature · Σ sin(x_i)`` (A SPD with eigenvalues in [0.1, 2]);
    the noise (seeded by the step) makes the stream stochastic while keeping it a
    function of ``(x, t)``."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    A = (Q * np.linspace(0.1, 2.0, dim)) @ Q.T
    b = rng.standard_normal(dim)

    def fn(x: np.ndarray, t: int):
        loss = 0.5 * x @ A @ x - b @ x + curvature * np.sum(np.sin(x))
        grad = A @ x - b + curvature * np.cos(x)
        if noise:
            grad = grad + noise * np.random.default_rng([seed, t]).standard_normal(dim)
        return float(loss), grad

    return fn


@dataclass
class Replay:
    """Trajectories of both sides: ``x_torch``/``x_numpy`` of shape (steps+1, d) and
    ``beta_torch``/``beta_numpy`` (or RLLC's learning law) of shape (steps, units, ...)."""

    name: str
    x_torch: np.ndarray
    x_numpy: np.ndarray
    beta_torch: np.ndarray
    beta_numpy: np.ndarray
    extra: dict = field(default_factory=dict)

    def errors(self) -> tuple[np.ndarray, np.ndarray]:
        """Per step: ``max|x - x_ref| / max|x_ref|`` and ``max|β - β_ref|`` (β lies in [0, 1],
        so its error is relative to 1; RLLC's law relative to ``max|L_ref|``)."""
        ex = np.max(np.abs(self.x_torch - self.x_numpy), axis=1) / np.maximum(np.max(np.abs(self.x_numpy), axis=1), 1e-300)
        bt = self.beta_torch.reshape(len(self.beta_torch), -1)
        bn = self.beta_numpy.reshape(len(self.beta_numpy), -1)
        scale = np.maximum(np.max(np.abs(bn), axis=1), 1.0)
        eb = np.max(np.abs(bt - bn), axis=1) / scale
        return ex, eb

    def check(self, rtol: float = 1e-12) -> None:
        ex, eb = self.errors()
        for label, err in (("x", ex), ("beta" if self.name != "rllc" else "law", eb)):
            bad = np.flatnonzero(~(err <= rtol))
            if bad.size:
                t = int(bad[0])
                raise AssertionError(f"{self.name}: {label} differs from the NumPy reference by {err[t]:.3g} "
                                     f"(relative) at step {t}, above rtol={rtol:g}; max over the run "
                                     f"{np.nanmax(err):.3g}")


def replay(name: str, shapes: Sequence[tuple] = ((3, 2), (4,)), steps: int = 30, *,
           fn: Callable | None = None, beta_scope: str = "global", lr_lambda: Callable | None = None,
           scheduler: Callable | None = None,
           groups: Sequence[Sequence[int]] | None = None, dtype: torch.dtype = torch.float64,
           seed: int = 0, noise: float = 0.3, x0: np.ndarray | None = None, **hyper: Any) -> Replay:
    """Run the torch optimizer for ``name`` and the NumPy one on the same stream.

    Parameters
    ----------
    name : {"am_msgd", "am_mgd", "am_adamw", "rllc"}
        The NumPy optimizer (``amtoolkit.optimizers.get(name)``); the torch class is
        ``AdaptiveMemorySGD`` (offset "first_order" / "previous"), ``AdaptiveMemoryAdamW``
        or ``RLLC``.
    shapes : sequence of tuples
        Shapes of the parameter tensors.
    steps : int
    fn : callable, optional
        ``fn(x, t) -> (loss, grad)`` on the flattened vector; default :func:`stream_problem`.
    beta_scope : str
        Passed to the torch optimizer (not for RLLC's law scope, which is ``beta_scope`` too).
    lr_lambda : callable, optional
        A ``LambdaLR`` factor: torch steps ``LambdaLR(opt, lr_lambda)`` after each step, the
        NumPy optimizer gets ``lr(t) = lr * lr_lambda(t)`` (the same expression).
    scheduler : callable, optional
        ``scheduler(opt)`` builds any ``torch.optim.lr_scheduler``, stepped after each step;
        the NumPy optimizer gets the learning rates that torch used, read before each step.
    groups : list of lists of tensor indices, optional
        Parameter groups (default one group). Different per-group hyperparameters are not
        replayed (use ``beta_scope="group"``/``"tensor"``, where each NumPy optimizer has one).
    dtype : torch.dtype
        Of the torch parameters (float64 for the 1e-12 comparison).
    **hyper
        Keyword arguments of the torch optimizer; those the NumPy optimizer knows are passed
        to it too (``weight_decay`` of AM-SGD is coupled: the NumPy side gets ``g + wd·x``).
    """
    from . import AdaptiveMemoryAdamW, AdaptiveMemorySGD  # noqa: F401
    from . import __dict__ as _ns

    if name not in NAMES:
        raise ValueError(f"name must be one of {sorted(NAMES)}, got {name!r}")
    cls_name, fixed = NAMES[name]
    cls = _ns[cls_name]
    sizes = [int(np.prod(s)) for s in shapes]
    dim = sum(sizes)
    fn = fn or stream_problem(dim, seed=seed, noise=noise)
    rng = np.random.default_rng(seed + 7)
    x0 = rng.standard_normal(dim) if x0 is None else np.asarray(x0, float)
    offsets = np.cumsum([0] + sizes)
    params = [torch.nn.Parameter(torch.tensor(x0[offsets[i]:offsets[i + 1]].reshape(s), dtype=dtype))
              for i, s in enumerate(shapes)]
    groups = [list(range(len(shapes)))] if groups is None else [list(g) for g in groups]
    order = [i for g in groups for i in g]
    if sorted(order) != list(range(len(shapes))):
        raise ValueError(f"groups must partition the tensor indices 0..{len(shapes) - 1}, got {groups}")

    kwargs = {**fixed, **hyper}
    if name != "rllc":
        kwargs["beta_scope"] = beta_scope
    elif beta_scope != "global":
        kwargs["law_scope"] = beta_scope
    opt = cls([{"params": [params[i] for i in g]} for g in groups], **kwargs)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda) if lr_lambda is not None else None
    if scheduler is not None:
        if lr_lambda is not None:
            raise ValueError("pass lr_lambda or scheduler, not both")
        sched = scheduler(opt)
    lrs: list = []

    # NumPy side: the units, each a list of tensor indices (in param_groups order)
    if beta_scope == "global":
        units = [order]
    elif beta_scope == "group":
        units = groups
    else:
        units = [[i] for i in order]
    np_hyper = _numpy_hyper(name, opt.defaults, kwargs, lr_lambda)
    if scheduler is not None:
        np_hyper["lr"] = lambda t: lrs[t] if t < len(lrs) else float(opt.param_groups[0]["lr"])
    wd = kwargs.get("weight_decay", 0.0) if name in ("am_msgd", "am_mgd") else 0.0
    np_opts = [_np_opt.get(name, **np_hyper) for _ in units]

    def flat(vectors_by_tensor, idx):
        return np.concatenate([vectors_by_tensor[i] for i in idx])

    def split(x):
        return [x[offsets[i]:offsets[i + 1]] for i in range(len(shapes))]

    x_np = x0.copy()
    states = [o.init(flat(split(x_np), u)) for o, u in zip(np_opts, units)]
    xs_t, xs_n, bt, bn = [x0.copy()], [x0.copy()], [], []
    for t in range(steps):
        # torch
        x_t = np.concatenate([p.detach().cpu().double().numpy().ravel() for p in params])
        loss_t, g_t = fn(x_t, t)
        g_split = split(g_t)
        for p, g in zip(params, g_split):
            p.grad = torch.tensor(g.reshape(p.shape), dtype=dtype)
        lrs.append(float(opt.param_groups[0]["lr"]))
        if kwargs.get("offset") == "previous":
            opt.step(lambda: torch.tensor(loss_t, dtype=torch.float64))
        else:
            opt.step()
        if sched is not None:
            sched.step()
        xs_t.append(np.concatenate([p.detach().cpu().double().numpy().ravel() for p in params]))
        # numpy
        loss_n, g_n = fn(x_np, t)
        gs, xs = split(g_n), split(x_np)
        new_x = [None] * len(shapes)
        record = []
        for k, (o, u) in enumerate(zip(np_opts, units)):
            g_u = flat(gs, u) + (wd * flat(xs, u) if wd else 0.0)
            kw = {"loss": loss_n} if "loss" in o.needs else {}
            states[k] = o.update(states[k], g_u, **kw)
            pos = 0
            for i in u:
                new_x[i] = states[k].x[pos:pos + sizes[i]]
                pos += sizes[i]
            record.append(np.asarray(states[k].info["law"] if name == "rllc" else states[k].info["beta"], float))
        x_np = np.concatenate(new_x)
        xs_n.append(x_np.copy())
        bn.append(np.stack(record))
    if name == "rllc":
        bt = opt.law_history().cpu().double().numpy()
    else:
        bt = opt.beta_history().cpu().double().numpy()
    return Replay(name, np.asarray(xs_t), np.asarray(xs_n), np.asarray(bt), np.asarray(bn).reshape(np.shape(bt)),
                  extra={"optimizer": opt, "states": states, "lrs": lrs})


def _numpy_hyper(name, defaults, kwargs, lr_lambda):
    import inspect

    known = set(inspect.signature(getattr(_np_opt, name)).parameters)
    merged = {**{k: v for k, v in defaults.items() if k not in ("params",)}, **kwargs}
    for key in ("lr", "lam", "beta_max"):  # the values the torch class resolved
        if key in defaults:
            merged[key] = defaults[key]
    out = {k: v for k, v in merged.items() if k in known and k not in ("offset",)}
    if name == "am_adamw" and "offset" in kwargs:
        out["offset"] = kwargs["offset"]
    if name in ("am_msgd", "am_mgd"):
        out.pop("weight_decay", None)
        # the torch class resolves lam/beta_max defaults from the offset, as the NumPy pair does
    if name == "rllc":
        out.setdefault("pinv", "gram")  # the torch RLLC's pseudo-inverse (a sum over tensors)
    if "lr" in out and isinstance(out["lr"], torch.Tensor):
        out["lr"] = float(out["lr"])
    if lr_lambda is not None:
        base = float(out["lr"])
        out["lr"] = lambda t, base=base: base * lr_lambda(t)
    return out
