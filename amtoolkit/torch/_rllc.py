"""RLLC as a ``torch.optim`` optimizer, as :func:`amtoolkit.optimizers.rllc` with ``pinv="gram"``."""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterable

import numpy as np
import torch
from torch import Tensor
from torch.optim import Optimizer

from ..memory import LinearMemory, parse_memory
from ..memory.propagators import spectral_radius
from ._ops import _Ops
from ._checks import (check_callable, check_choice, check_flag, check_lr, check_optimizer_wide, check_real,
                      scope_columns)

__all__ = ["RLLC"]

SCOPES = ("global", "group", "tensor")
STATE_KEY = "rllc"


def _as_rd(lr, like: Tensor):
    return lr.reshape(()).to(dtype=like.dtype, device=like.device) if isinstance(lr, Tensor) else lr


class RLLC(Optimizer):
    r"""RLLC: retrospective learning-law correction over a linear memory (arXiv:2402.15262).

    One step, in the order of :func:`amtoolkit.optimizers.rllc` (docs/rllc.md)::

        g ← ∇f(θ)
        L ← L + c2 · M⁺ g          # retrospective correction (from the second step on)
        M ← M A + g bᵀ             # the linear memory of amtoolkit.memory
        θ ← θ - c1 · M L

    Each parameter tensor keeps its k memory units in ``state[p]["memory"]`` (shape
    ``(k, *p.shape)``, k times the parameter's size). ``M⁺g`` is the least-squares
    solution through the k×k Gram matrix ``MᵀM = Σ_tensors M_iᵀM_i`` and ``Mᵀg`` (the
    NumPy optimizer's ``pinv="gram"``; eigenvalues below ``rcond²·max`` dropped, or
    ``pinv="ridge"``): both are sums over tensors, so ``law_scope`` and the ``reduce``
    hook work as ``beta_scope``/``reduce`` of :class:`AdaptiveMemorySGD`. The NumPy
    default ``pinv="svd"`` needs the whole of M at once and is not offered.

    Parameters
    ----------
    params : iterable
    lr : float or Tensor, default 0.1
        c1 > 0.
    memory : str or LinearMemory, default "M(0.9)+M(0.0)"
        The memory (A, b): ``"M(0.9)+M(0.0)"``, ``"J(0.9,2)"``, ``"C(0.9,0.3)"``, ...
    c2 : float, default 0
        The meta learning rate c2 ≥ 0 (0 keeps ``L = law0``).
    law0 : sequence of k floats, optional
        Initial learning law (default e_1).
    pinv : {"gram", "ridge"}, default "gram"
    rcond : float, default 1e-7
    ridge : float, default 0
    skip_until_full_rank : bool, default False
    allow_unstable : bool, default False
        Accept a propagator of spectral radius > 1.
    law_scope : {"global", "group", "tensor"}, default "global"
        One learning law for all parameters (the paper's θ is one vector), per group or
        per tensor.
    maximize, foreach, reduce, history
        As for :class:`AdaptiveMemorySGD` (``reduce`` gets the (units, k² + k) sums
        ``MᵀM`` and ``Mᵀg``).

    References
    ----------
    arXiv:2402.15262 (Szegedy et al.): linear memory, learning law and its retrospective
    correction; amtoolkit's step order and pseudo-inverse as in docs/rllc.md.
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 0.1, memory: str | LinearMemory = "M(0.9)+M(0.0)",
                 c2: float = 0.0, law0=None, *, pinv: str = "gram", rcond: float = 1e-7, ridge: float = 0.0,
                 skip_until_full_rank: bool = False, allow_unstable: bool = False, law_scope: str = "global",
                 maximize: bool = False, foreach: bool | None = None,
                 reduce: Callable[[Tensor], None] | None = None, history: int | None = None) -> None:
        mem = parse_memory(memory)
        check_flag("allow_unstable", allow_unstable)
        radius = spectral_radius(mem)
        if radius > 1.0 + 1e-12 and not allow_unstable:
            raise ValueError(f"memory {mem} has a propagator A of spectral radius {radius:.6g} > 1: its units "
                             f"grow geometrically; pass allow_unstable=True to run it anyway")
        self.memory = mem
        self.law_scope = check_choice("law_scope", law_scope, SCOPES)
        self.pinv = check_choice("pinv", pinv, ("gram", "ridge"))
        self.rcond = check_real("rcond", rcond, 0.0, 1.0, low_closed=False, high_closed=False)
        self.ridge = check_real("ridge", ridge, 0.0, None)
        if pinv == "ridge" and not self.ridge > 0:
            raise ValueError(f"pinv='ridge' needs ridge > 0, got ridge={ridge!r}")
        if pinv != "ridge" and self.ridge:
            raise ValueError(f"ridge is only used with pinv='ridge', got ridge={ridge!r}")
        self.skip_until_full_rank = check_flag("skip_until_full_rank", skip_until_full_rank)
        k = mem.k
        law0 = np.eye(k)[0] if law0 is None else np.asarray(law0, dtype=float)
        if law0.shape != (k,) or not np.all(np.isfinite(law0)):
            raise ValueError(f"law0 must be {k} finite numbers for the memory {mem} of k={k} units, got {law0!r}")
        self.law0 = law0
        self.reduce = check_callable("reduce", reduce)
        if reduce is not None and law_scope == "tensor":
            raise ValueError("reduce sums partial Gram matrices over shards; with law_scope='tensor' every "
                             "tensor is whole on its rank: pass reduce=None")
        self._history_len = None if history is None else int(check_real("history", history, 0, None))
        self._history: deque = deque(maxlen=self._history_len)
        defaults = dict(lr=check_lr("lr", lr), c2=check_real("c2", c2, 0.0, None),
                        maximize=check_flag("maximize", maximize),
                        foreach=check_flag("foreach", foreach, allow_none=True))
        super().__init__(params, defaults)
        if self.law_scope == "global" and len({g["c2"] for g in self.param_groups}) > 1:
            raise ValueError("law_scope='global' corrects one learning law: c2 must be the same in every group")

    def __getstate__(self) -> dict:
        # the options set in __init__ (memory, law_scope, ...) are attributes: keep them
        # (torch.optim.Optimizer pickles defaults, state and param_groups only)
        return dict(self.__dict__)

    def add_param_group(self, param_group: dict) -> None:
        wide = {"law_scope": self.law_scope, "pinv": self.pinv, "rcond": self.rcond, "ridge": self.ridge,
                "skip_until_full_rank": self.skip_until_full_rank, "reduce": self.reduce, "history": self._history_len}
        check_optimizer_wide(param_group, wide)
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            group["lr"] = check_lr("lr", group["lr"])
            group["c2"] = check_real("c2", group["c2"], 0.0, None)
            check_flag("maximize", group["maximize"])
            check_flag("foreach", group["foreach"], allow_none=True)
            if getattr(self, "law_scope", None) == "global" and group["c2"] != self.param_groups[0]["c2"]:
                raise ValueError("law_scope='global' corrects one learning law: c2 must be the same in every "
                                 f"group, got c2={group['c2']!r} and {self.param_groups[0]['c2']!r}")
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    @staticmethod
    def _foreach(group, params) -> bool:
        if group["foreach"] is not None:
            return group["foreach"]
        return all(p.device.type == "cuda" for p in params) and not torch.jit.is_scripting()

    def law_history(self) -> Tensor:
        """The learning law L used at every step, shape ``(steps, units, k)`` on the device
        (units as in ``AdaptiveMemorySGD.beta_history``; NaN where a unit had no gradient)."""
        k = self.memory.k
        if not self._history:
            return torch.empty((0, 0, k))
        n = max(len(cols) if cols is not None else law.shape[0] for law, cols in self._history)
        n = max(n, self._n_columns())
        rows = []
        for law, cols in self._history:
            if cols is None:
                rows.append(law)
            else:
                row = torch.full((n, k), float("nan"), dtype=law.dtype, device=law.device)
                row[cols] = law
                rows.append(row)
        return torch.stack(rows)

    def _n_columns(self) -> int:
        return scope_columns(self.law_scope, self.param_groups)

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        entries, col = [], 0
        for gi, group in enumerate(self.param_groups):
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.is_sparse:
                        raise RuntimeError("RLLC does not support sparse gradients")
                    entries.append((gi, col, p))
                col += 1
        if not entries:
            return loss
        st = self.state[STATE_KEY]
        t = st.setdefault("step", 0)
        laws = st.setdefault("law", {})
        k = self.memory.k
        rd = torch.float64 if any(p.dtype == torch.float64 for _, _, p in entries) else torch.float32
        device = entries[0][2].device
        if self.law_scope == "global":
            unit_of, keys, cols = [0] * len(entries), ["global"], None
        elif self.law_scope == "group":
            present = sorted({gi for gi, _, _ in entries})
            unit_of = [present.index(gi) for gi, _, _ in entries]
            keys, cols = [f"group{gi}" for gi in present], present
        else:
            unit_of = list(range(len(entries)))
            keys, cols = [f"tensor{c}" for _, c, _ in entries], [c for _, c, _ in entries]
        L = []
        for key in keys:
            if key not in laws:
                laws[key] = torch.as_tensor(self.law0, dtype=rd, device=device).clone()
            L.append(laws[key].to(rd))
        L = torch.stack(L)  # (units, k)
        grads, mems = [], []
        for gi, _, p in entries:
            g = -p.grad if self.param_groups[gi]["maximize"] else p.grad
            state = self.state[p]
            if "memory" not in state:
                state["memory"] = torch.zeros((k, *p.shape), dtype=p.dtype, device=p.device)
            grads.append(g)
            mems.append(state["memory"])
        c2 = [self.param_groups[gi]["c2"] for gi, _, _ in entries]
        if t > 0 and any(c != 0 for c in c2):
            parts = []
            for g, M in zip(grads, mems):
                Mi = M.reshape(k, -1).to(rd)
                gi_ = g.reshape(-1).to(rd)
                parts.append(torch.cat([(Mi @ Mi.T).reshape(-1), Mi @ gi_]))
            S = torch.stack(parts)
            n_units = len(keys)
            if n_units == 1:
                U = S.sum(0, keepdim=True)
            elif n_units == len(entries):
                U = S
            else:
                U = torch.zeros((n_units, S.shape[1]), dtype=rd, device=device)
                U.index_add_(0, torch.tensor(unit_of, device=device), S)
            if self.reduce is not None:
                self.reduce(U)
            G = U[:, :k * k].reshape(-1, k, k)
            r = U[:, k * k:]
            w, V = torch.linalg.eigh(G)
            wmax = w.max(dim=-1, keepdim=True).values
            keep = w > (self.rcond * self.rcond) * wmax
            inv = torch.where(keep, 1.0 / (torch.where(keep, w, torch.ones_like(w)) + self.ridge), torch.zeros_like(w))
            z = (V @ (inv * (V.transpose(-1, -2) @ r[..., None])[..., 0])[..., None])[..., 0]
            if self.skip_until_full_rank:
                z = torch.where(keep.all(dim=-1, keepdim=True), z, torch.zeros_like(z))
            c2_units = torch.tensor([c2[unit_of.index(u)] for u in range(n_units)], dtype=rd, device=device) \
                if len(set(c2)) > 1 else c2[0]
            delta = (c2_units[:, None] if isinstance(c2_units, Tensor) else c2_units) * z
            L = L + delta
        for key, law in zip(keys, L.unbind(0)):
            if laws[key].dtype == law.dtype:
                laws[key].copy_(law)
            else:
                laws[key] = law.clone()
        # M ← M A + g bᵀ and θ ← θ - c1 M L, element-wise over the k memory slices:
        # unit j of the new memory is b_j g + Σ_i A_ij M_i; one torch._foreach_* call per
        # operation over a group's tensors (foreach) or the same operation tensor by tensor
        Al = np.asarray(self.memory.A, dtype=float).tolist()
        bl = np.asarray(self.memory.b, dtype=float).tolist()
        # the k new slices of every tensor are views of one block allocated per step (one
        # allocation: on CPU, buffers returned to the OS at every step are re-faulted)
        numels = [p.numel() for _, _, p in entries]
        total = sum(numels)
        block = torch.empty(k * total, dtype=rd, device=device)
        parts = [block[j * total:(j + 1) * total].split(numels) for j in range(k)]
        by_group: dict = {}
        for e, ((gi, _, p), g, M, u) in enumerate(zip(entries, grads, mems, unit_of)):
            by_group.setdefault(gi, []).append((p, g, M, u, [parts[j][e].view(p.shape) for j in range(k)]))
        for gi, items in by_group.items():
            group = self.param_groups[gi]
            fe = self._foreach(group, [it[0] for it in items])
            lr = group["lr"]
            neg = -(L * (_as_rd(lr, L)))  # (units, k): -c1 L on the device
            negs = neg.unbind(0)
            ops = _Ops(fe)
            params = [it[0] for it in items]
            gc = [g if g.dtype == rd else g.to(rd) for _, g, _, _, _ in items]
            xc = [p if p.dtype == rd else p.to(rd) for p in params]
            slices = [[M[i] if M.dtype == rd else M[i].to(rd) for _, _, M, _, _ in items] for i in range(k)]
            new = []
            for j in range(k):
                nj = [it[4][j] for it in items]
                ops.mul_into(nj, gc, bl[j])
                for i in range(k):
                    if Al[i][j] != 0.0:
                        ops.add_(nj, slices[i], Al[i][j])
                new.append(nj)
            for j in range(k):
                ops.copy_([M[j] for _, _, M, _, _ in items], new[j])
            for j in range(k):
                ops.addcmul_(xc, new[j], [negs[it[3]][j] for it in items])
            for x, y in zip(params, xc):
                if x is not y:
                    x.copy_(y)
        st["step"] = t + 1
        if self._history_len != 0:
            self._history.append((L.detach().clone(), cols))
        return loss
