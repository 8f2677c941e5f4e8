"""Adaptive Memory momentum as ``torch.optim`` optimizers: AM-SGD and AM-AdamW.

The equations are those of :func:`amtoolkit.optimizers.am_msgd` / ``am_mgd`` and
:func:`amtoolkit.optimizers.am_adamw` (arXiv:2510.04988, Eq. 12-14, Algorithm 1):
:mod:`amtoolkit.torch.testing` replays one gradient stream through both.

Where β's inner products are taken (``beta_scope``):

* ``"global"``: one β over all parameters, Algorithm 1 as printed (the default). When the
  parameter groups have different step sizes η_i (and, for AM-AdamW, decays μ_i), the
  model's proximal term is taken in the metric of the steps actually made: group i's
  block of u = x - x_t is weighted by 1/η_i (Eq. 9 with ``(1/2η)‖u‖²`` replaced by
  ``Σ_i (1/2η_i)‖u_i‖²``), whose dual maximiser is::

      β = [(1+λ) gap - Σ_i c_i ⟨d_i - g_i, g_i + λ d_i⟩] / Σ_i c_i ‖d_i - g_i‖²,

  with ``c_i = η_i`` (AM-SGD) or ``η_i/(1+μ_iη_i)`` and the P̃⁻¹ inner products (AM-AdamW);
  with one η for all groups it is Eq. 12 (Eq. 14) exactly. ``lam`` and ``beta_max`` must
  then be the same in every group (one β, one clip).
* ``"group"``: one β per parameter group (the inner products over the group's tensors).
* ``"tensor"``: one β per parameter tensor.

The β of every step is kept on the parameters' device (no host synchronisation in
``step``) and read with :meth:`beta_history`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterable

import torch
from torch import Tensor
from torch.optim import Optimizer

from ._checks import (check_callable, check_choice, check_flag, check_lr, check_optimizer_wide, check_real,
                      check_schedule_or_real, schedule_value, scope_columns)
from ._ops import _Ops

__all__ = ["AdaptiveMemorySGD", "AdaptiveMemoryAdamW"]

SCOPES = ("global", "group", "tensor")
VARIANTS = ("am", "clip", "reset")
#: key of the optimizer-wide entry of ``self.state`` (step count, previous η per group,
#: previous loss); a string key, so ``load_state_dict`` keeps its tensors' dtypes
STATE_KEY = "adaptive_memory"
_LOW = (torch.float16, torch.bfloat16)


def _dot(a: Tensor, b: Tensor) -> Tensor:
    return torch.dot(a.reshape(-1), b.reshape(-1))


def _unit_value(values: list, like: Tensor):
    """Per-unit hyperparameters: one float when all agree, else a vector on the device."""
    if all(not isinstance(v, Tensor) for v in values):
        if all(v == values[0] for v in values):
            return values[0]
        return torch.tensor(values, dtype=like.dtype, device=like.device)
    return torch.stack([v.reshape(()).to(like) if isinstance(v, Tensor)
                        else torch.full((), v, dtype=like.dtype, device=like.device) for v in values])


def _as(value, like: Tensor):
    """A float stays a float; a tensor is cast to ``like``'s dtype and device (no sync)."""
    return value.reshape(()).to(dtype=like.dtype, device=like.device) if isinstance(value, Tensor) else value


class _AdaptiveMemory(Optimizer):
    """Shared machinery: lazy state, scopes, the partial sums, the reduce hook, records."""

    _buffer_names: tuple = ()
    _group_checks: dict = {}

    def __init__(self, params, defaults: dict, *, beta_scope: str, offset: str, offsets: tuple,
                 variant: str, beta_min, theta, high, low, reduce: Callable | None,
                 history: int | None) -> None:
        self.beta_scope = check_choice("beta_scope", beta_scope, SCOPES)
        self.offset = check_choice("offset", offset, offsets)
        if offset == "previous" and beta_scope != "global":
            raise ValueError(f"offset='previous' uses the loss difference f(x_(t-1)) - f(x_t) of the whole "
                             f"parameter vector; it needs beta_scope='global', got beta_scope={beta_scope!r}")
        self.variant = check_choice("variant", variant, VARIANTS)
        self._variant_args = self._check_variant(variant, beta_min, theta, high, low, defaults["beta_max"])
        self.reduce = check_callable("reduce", reduce)
        if reduce is not None and beta_scope == "tensor":
            raise ValueError("reduce sums partial inner products over shards of a scope; with "
                             "beta_scope='tensor' every tensor is whole on its rank: pass reduce=None")
        if history is not None:
            history = int(check_real("history", history, 0, None))
        self._history_len = history
        self._history: deque = deque(maxlen=history)
        self._index_cache: dict = {}
        super().__init__(params, defaults)

    # -- construction ------------------------------------------------------------------
    @staticmethod
    def _check_variant(variant, beta_min, theta, high, low, beta_max):
        if variant == "clip":
            if beta_min is None:
                raise ValueError("variant='clip' needs beta_min in [0, beta_max]")
            beta_min = check_real("beta_min", beta_min, 0.0, 1.0)
            bmax = beta_max(0) if callable(beta_max) else beta_max
            if bmax is not None and beta_min > bmax:
                raise ValueError(f"beta_min must be <= beta_max, got beta_min={beta_min!r} > beta_max={bmax!r}")
        elif beta_min is not None:
            raise ValueError(f"beta_min is only used with variant='clip', got variant={variant!r}")
        if variant == "reset":
            if theta is None:
                raise ValueError("variant='reset' needs theta in [0, 1] (0.7 in Sec. 4.5)")
            theta = check_real("theta", theta, 0.0, 1.0)
            high = check_real("high", high, 0.0, 1.0)
            low = check_real("low", low, 0.0, 1.0)
        elif theta is not None:
            raise ValueError(f"theta is only used with variant='reset', got variant={variant!r}")
        return beta_min, theta, high, low

    def add_param_group(self, param_group: dict) -> None:
        check_optimizer_wide(param_group, self._optimizer_wide())
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            self._check_group(group)
            if self.beta_scope == "global" and len(self.param_groups) > 1:
                first = self.param_groups[0]
                for key in ("lam", "beta_max"):
                    if group[key] is not first[key] and group[key] != first[key]:
                        raise ValueError(
                            f"beta_scope='global' takes one β for all parameters, so {key} must be the "
                            f"same in every parameter group: got {key}={group[key]!r} in group "
                            f"{len(self.param_groups) - 1} and {first[key]!r} in group 0; use "
                            f"beta_scope='group' or 'tensor' for per-group values")
        except (TypeError, ValueError):
            self.param_groups.pop()
            raise

    def _optimizer_wide(self) -> dict:
        beta_min, theta, high, low = self._variant_args
        return {"beta_scope": self.beta_scope, "offset": self.offset, "variant": self.variant,
                "beta_min": beta_min, "theta": theta, "high": high, "low": low, "reduce": self.reduce,
                "history": self._history_len, "beta": getattr(self, "_beta", None)}

    def _check_group(self, group: dict) -> None:
        group["lr"] = check_lr("lr", group["lr"])
        group["lam"] = check_real("lam", group["lam"], 0.0, None)
        group["beta_max"] = check_schedule_or_real("beta_max", group["beta_max"], 0.0, 1.0)
        group["weight_decay"] = check_real("weight_decay", group["weight_decay"], 0.0, None)
        check_flag("maximize", group["maximize"])
        check_flag("foreach", group["foreach"], allow_none=True)

    def __getstate__(self) -> dict:
        # torch.optim.Optimizer pickles defaults, state and param_groups only; the options
        # set in __init__ (beta_scope, variant, ...) and the β record are attributes: keep
        # them (copy.deepcopy, pickle), drop the caches (rebuilt on demand)
        return {k: v for k, v in self.__dict__.items() if k not in ("_k", "_index_cache")}

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)

    # -- records -----------------------------------------------------------------------
    def beta_history(self) -> Tensor:
        """The β of every step since construction (or the last ``history`` steps), on the
        parameters' device: shape ``(steps, units)`` with one column for ``"global"``, one
        per parameter group for ``"group"`` and one per parameter (in ``param_groups``
        order) for ``"tensor"``; NaN where a unit had no gradient at that step.

        Stacking the recorded tensors is the only work done here; call ``.cpu()`` on the
        result to read it on the host (that is where the device synchronises)."""
        if not self._history:
            return torch.empty((0, self._n_columns()))
        n = self._n_columns()
        rows = []
        for beta, cols in self._history:
            if cols is None:
                rows.append(beta)
            else:
                row = torch.full((n,), float("nan"), dtype=beta.dtype, device=beta.device)
                row[cols] = beta
                rows.append(row)
        return torch.stack(rows)

    def _n_columns(self) -> int:
        return scope_columns(self.beta_scope, self.param_groups)

    # -- one step ------------------------------------------------------------------------
    def _amstate(self) -> dict:
        st = self.state[STATE_KEY]
        st.setdefault("step", 0)
        st.setdefault("lr_prev", {})
        st.setdefault("f_prev", None)
        return st

    def _collect(self):
        entries = []  # (group index, column index, param)
        col = 0
        for gi, group in enumerate(self.param_groups):
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.is_sparse:
                        raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                    entries.append((gi, col, p))
                col += 1
        return entries

    def _units(self, entries) -> tuple[list[int], int, list[int], Any]:
        """Unit index of each entry, number of units, reference group of each unit, columns."""
        if self.beta_scope == "global":
            return [0] * len(entries), 1, [entries[0][0]], None
        if self.beta_scope == "group":
            ng = len(self.param_groups)
            present = sorted({gi for gi, _, _ in entries})
            return [gi for gi, _, _ in entries], ng, list(range(ng)), present
        return list(range(len(entries))), len(entries), [gi for gi, _, _ in entries], [c for _, c, _ in entries]

    def _index(self, idx: list[int], device) -> Tensor:
        key = (tuple(idx), str(device))
        out = self._index_cache.get(key)
        if out is None:
            if len(self._index_cache) > 64:
                self._index_cache.clear()
            out = self._index_cache[key] = torch.tensor(idx, dtype=torch.long, device=device)
        return out

    @staticmethod
    def _foreach(group, params) -> bool:
        if group["foreach"] is not None:
            return group["foreach"]
        return all(p.device.type == "cuda" for p in params) and not torch.jit.is_scripting()

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None):
        """One step. ``closure`` re-evaluates the model and returns the loss (needed with
        ``offset="previous"``, where the memory plane's offset is ``f(x_(t-1)) - f(x_t)``)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if self.offset == "previous" and loss is None:
            raise ValueError("offset='previous' needs the loss f(x_t): call step(closure) with a closure "
                             "that computes the loss, calls backward() and returns the loss")
        entries = self._collect()
        if not entries:
            return loss
        st = self._amstate()
        t = st["step"]
        rd = torch.float64 if any(p.dtype == torch.float64 for _, _, p in entries) else torch.float32
        device = entries[0][2].device
        like = torch.empty((), dtype=rd, device=device)
        unit_of, n_units, unit_group, cols = self._units(entries)
        groups = self.param_groups

        # per-group host values of this step
        bmax_g = {gi: schedule_value("beta_max", groups[gi]["beta_max"], t, 0.0, 1.0)
                  for gi in set(unit_group) | {gi for gi, _, _ in entries}}
        fixed = self._fixed_beta()
        work = self._prepare(entries, st, rd, fixed)  # per-entry partial sums and temporaries
        if fixed is None:
            S = work["S"]  # (n, m): the subclass's partial sums, the gap term last
            w = self._metric_weights(entries, like)
            if w is not None:
                S = torch.cat([S[:, :-1] * w[:, None], S[:, -1:]], dim=1)
            if self.beta_scope == "global":
                U = S.sum(0, keepdim=True)
            elif self.beta_scope == "group":
                U = torch.zeros((n_units, S.shape[1]), dtype=rd, device=device)
                U.index_add_(0, self._index(unit_of, device), S)
            else:
                U = S
            if self.reduce is not None:
                self.reduce(U)
            den, inner = self._den_inner(U[:, :-1], [groups[gi] for gi in unit_group], like)
            if self.offset == "previous":
                f = (loss.detach() if isinstance(loss, Tensor) else torch.tensor(float(loss))).to(like)
                gap = torch.zeros_like(den) if st["f_prev"] is None else (st["f_prev"].to(like) - f).expand_as(den)
                st["f_prev"] = f.clone()
            else:
                gap = U[:, -1]
            coef = self._gap_coefficient([groups[gi] for gi in unit_group], like)
            num = coef * gap - inner
            safe = den > 0
            beta_raw = torch.where(safe, num / torch.where(safe, den, 1.0), 0.0)
            bmax = _unit_value([bmax_g[gi] for gi in unit_group], like)
            # η_t = 0 (the end of a cosine schedule): the limit of Eq. 12, ±inf clipped, 0 for 0/0
            beta = torch.nan_to_num(beta_raw, nan=0.0).clamp(min=0.0)
            beta = beta.clamp(max=bmax) if not isinstance(bmax, Tensor) else torch.minimum(beta, bmax)
            beta = self._apply_variant(beta)
        else:
            beta = torch.full((n_units,), fixed, dtype=rd, device=device)
            if self.offset == "previous":
                st["f_prev"] = None
        self._update(entries, beta, unit_of, [groups[gi] for gi in unit_group], work, rd)
        for gi in {gi for gi, _, _ in entries}:
            lr = groups[gi]["lr"]
            prev = st["lr_prev"].get(gi)
            if isinstance(lr, Tensor):
                if isinstance(prev, Tensor) and prev.shape == lr.shape and prev.device == lr.device:
                    prev.copy_(lr)
                else:
                    st["lr_prev"][gi] = lr.detach().clone()
            else:
                st["lr_prev"][gi] = lr
        st["step"] = t + 1
        if self._history_len != 0:
            record = beta.detach()
            if cols is not None and cols == list(range(self._n_columns())):
                cols = None
            if cols is not None and self.beta_scope == "group":
                record = record[self._index(cols, device)]
            self._history.append((record, cols))
        return loss

    def _apply_variant(self, beta: Tensor) -> Tensor:
        beta_min, theta, high, low = self._variant_args
        if self.variant == "clip":
            return beta.clamp(min=beta_min)
        if self.variant == "reset":
            return torch.where(beta >= theta, torch.full_like(beta, high), torch.full_like(beta, low))
        return beta

    def _metric_weights(self, entries, like: Tensor) -> Tensor | None:
        """Per-entry c_i/c_ref for the global scope over groups of different η (module
        docstring); None when every group with a gradient has the same c."""
        if self.beta_scope != "global":
            return None
        gis = [gi for gi, _, _ in entries]
        if len(set(gis)) == 1:
            return None
        cs = {gi: self._metric_c(self.param_groups[gi]) for gi in set(gis)}
        vals = list(cs.values())
        if all(not isinstance(c, Tensor) for c in vals) and all(c == vals[0] for c in vals):
            return None
        ref = cs[gis[0]]
        ws = {gi: c / ref for gi, c in cs.items()}
        return _unit_value([ws[gi] for gi in gis], like) * torch.ones(len(gis), dtype=like.dtype, device=like.device)

    # subclass hooks
    def _fixed_beta(self):
        return None

    def _metric_c(self, group):
        raise NotImplementedError

    def _gap_coefficient(self, unit_groups, like):
        raise NotImplementedError

    def _prepare(self, entries, st, rd, fixed):
        raise NotImplementedError

    def _den_inner(self, U, unit_groups, like):
        return U[:, 0], U[:, 1]

    def _update(self, entries, beta, unit_of, unit_groups, work, rd):
        raise NotImplementedError


class AdaptiveMemorySGD(_AdaptiveMemory):
    r"""AM-SGD: Adaptive Memory momentum SGD (arXiv:2510.04988, Algorithm 1).

    With ``g_t`` the gradient (plus ``weight_decay · x_t``, coupled as in
    ``torch.optim.SGD``) and ``d_t`` the momentum buffer (``d_0 = g_0``, line 1)::

        β_t = clip_[0, β_max,t]( [(1+λ)(f̂ - f)/η_t - ⟨d_t - g_t, g_t + λ d_t⟩] / ‖d_t - g_t‖² )
        d_(t+1) = ((β_t + λ) d_t + (1 - β_t) g_t) / (1 + λ)
        x_(t+1) = x_t - η_t d_(t+1)

    (Eq. 12-13, Algorithm 1 lines 4-8; β_t = 0 where d_t = g_t). ``offset="first_order"``
    (default) is the stochastic column, AM-MSGD: ``f̂ - f = η_(t-1) g_tᵀd_t`` (line 5) with
    the *stored* previous step size, so a scheduler's change of η enters as the ratio
    η_(t-1)/η_t. ``offset="previous"`` with ``step(closure)`` is the deterministic column,
    AM-MGD: ``f̂ - f = f(x_(t-1)) - f(x_t)`` (line 4, Sec. 3.2).

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups, as for any ``torch.optim.Optimizer``.
    lr : float or Tensor, optional
        η > 0 (a one-element tensor works with schedulers and ``torch.compile``). Default
        0.1 (``am_msgd``), or 0.5 with ``offset="previous"`` (``am_mgd``).
    lam : float, optional
        λ ≥ 0 (Eq. 9). Default 0.1 (Sec. 4.6, ``am_msgd``), or 0 with ``offset="previous"``
        (``am_mgd``).
    beta_max : float or callable, optional
        Upper clip of β in [0, 1] (line 6), or a schedule ``beta_max(t)`` of the step count
        t = 0, 1, ... evaluated on the host. Default 0.9, or 1 with ``offset="previous"``.
        Named apart from any ``momentum``/``betas`` so that ``OneCycleLR`` does not cycle it
        (pass ``cycle_momentum=False`` to OneCycleLR).
    weight_decay : float, default 0
        Coupled L2 decay: ``g_t ← g_t + weight_decay · x_t`` before everything else.
    offset : {"first_order", "previous"}
        The memory plane's offset (above).
    beta_scope : {"global", "group", "tensor"}, default "global"
        Where β's inner products are taken (module docstring of ``amtoolkit.torch._am``).
        [reading] Algorithm 1 has one β for the whole parameter vector, and the paper lists
        "per-parameter momentum coefficients" as future work (Sec. 5): "global" is the default.
    variant : {"am", "clip", "reset"}, default "am"
        Sec. 4.5: ``"clip"`` uses ``max(β, beta_min)``; ``"reset"`` uses ``high`` when
        β ≥ ``theta`` and ``low`` otherwise.
    beta_min, theta, high, low : float
        The variants' constants (0.9 / 0.1 and θ = 0.7 in Sec. 4.5).
    maximize : bool, default False
        Ascend instead of descend (the gradient's sign is flipped first).
    foreach : bool, optional
        Use the ``torch._foreach_*`` kernels for the element-wise updates (default: on CUDA).
    reduce : callable, optional
        ``reduce(sums)`` is called once per step with the (units, 4) tensor of partial sums
        (‖d‖², gᵀd, ‖g‖², η_(t-1)gᵀd) and must sum it over the shards in place, e.g.
        ``lambda s: torch.distributed.all_reduce(s)``, when each rank holds only part of the
        parameters (``ZeroRedundancyOptimizer``, FSDP). Not for plain DDP.
    history : int, optional
        Keep the β of the last ``history`` steps (default: all; 0 keeps none).

    Raises
    ------
    ValueError, TypeError
        For any hyperparameter out of range, naming it.

    References
    ----------
    arXiv:2510.04988: Eq. 9 and 12-13, Algorithm 1 (lines 1-8), Sec. 3.4 (first-order
    offset), Sec. 4.5 (variants).

    Examples
    --------
    >>> import torch
    >>> from amtoolkit.torch import AdaptiveMemorySGD
    >>> model = torch.nn.Linear(3, 1)
    >>> opt = AdaptiveMemorySGD(model.parameters(), lr=0.1)
    >>> loss = model(torch.ones(2, 3)).pow(2).mean(); loss.backward(); opt.step()
    >>> opt.beta_history().shape
    torch.Size([1, 1])
    """

    def __init__(self, params: Iterable, lr: float | Tensor | None = None, lam: float | None = None,
                 beta_max: float | Callable[[int], float] | None = None, weight_decay: float = 0.0, *,
                 offset: str = "first_order", beta_scope: str = "global", variant: str = "am",
                 beta_min: float | None = None, theta: float | None = None, high: float = 0.9,
                 low: float = 0.1, maximize: bool = False, foreach: bool | None = None,
                 reduce: Callable[[Tensor], None] | None = None, history: int | None = None) -> None:
        check_choice("offset", offset, ("first_order", "previous"))
        if lr is None:
            lr = 0.1 if offset == "first_order" else 0.5
        if lam is None:
            lam = 0.1 if offset == "first_order" else 0.0
        if beta_max is None:
            beta_max = 0.9 if offset == "first_order" else 1.0
        defaults = dict(lr=check_lr("lr", lr), lam=check_real("lam", lam, 0.0, None),
                        beta_max=check_schedule_or_real("beta_max", beta_max, 0.0, 1.0),
                        weight_decay=check_real("weight_decay", weight_decay, 0.0, None),
                        maximize=check_flag("maximize", maximize),
                        foreach=check_flag("foreach", foreach, allow_none=True))
        super().__init__(params, defaults, beta_scope=beta_scope, offset=offset,
                         offsets=("first_order", "previous"), variant=variant, beta_min=beta_min,
                         theta=theta, high=high, low=low, reduce=reduce, history=history)

    def _metric_c(self, group):
        return group["lr"]

    def _gap_coefficient(self, unit_groups, like):
        lam = _unit_value([g["lam"] for g in unit_groups], like)
        lr = _unit_value([g["lr"] for g in unit_groups], like)
        return (1.0 + lam) / lr if not (isinstance(lr, float) and lr == 0.0) else float("inf")

    def _prepare(self, entries, st, rd, fixed):
        groups = self.param_groups
        n = len(entries)
        # the three inner products of Sec. 4.4's +3N FLOPs, stacked into one (n, 4) tensor;
        # ‖d-g‖² and ⟨d-g, g+λd⟩ are formed from their sums (_den_inner), after any
        # reduction over shards; the last column is the gap η_(t-1) gᵀd
        grads: list = [None] * n
        dots: list = [None] * n
        lrp: list = [0.0] * n
        by_group: dict = {}
        for i, (gi, _, p) in enumerate(entries):
            by_group.setdefault(gi, []).append((i, p))
        for gi, items in by_group.items():
            group = groups[gi]
            params = [p for _, p in items]
            ops = _Ops(self._foreach(group, params), params[0].device.type == "cpu")
            gs = [p.grad for p in params]
            if group["maximize"]:
                gs = ops.neg(gs)
            if group["weight_decay"] != 0:
                gs = ops.add(gs, params, group["weight_decay"])
            lr_prev = st["lr_prev"].get(gi)
            for (i, p), g in zip(items, gs):
                state = self.state[p]
                d = state.get("momentum_buffer")
                new = d is None
                if new:  # Algorithm 1 line 1: d_0 = g_0
                    d = state["momentum_buffer"] = torch.clone(g).detach()
                grads[i] = g
                gc = (g if g.dtype == rd else g.to(rd)).reshape(-1)
                dc = (d if d.dtype == rd else d.to(rd)).reshape(-1)
                dots[i] = (torch.dot(dc, dc), torch.dot(gc, dc), torch.dot(gc, gc))
                if self.offset == "first_order" and not new and lr_prev is not None:
                    lrp[i] = lr_prev
        # (n, 3) in one stack; the gap column η_(t-1) gᵀd in one product
        S3 = torch.stack([x for row in dots for x in row]).view(n, 3)
        if self.offset == "first_order" and any(not (isinstance(v, float) and v == 0.0) for v in lrp):
            lv = _unit_value(lrp, S3)
            gap = S3[:, 1:2] * (lv[:, None] if isinstance(lv, Tensor) else lv)
        else:
            gap = torch.zeros((n, 1), dtype=rd, device=S3.device)
        S = torch.cat([S3, gap], dim=1)
        return {"grads": grads, "S": S}

    def _den_inner(self, U, unit_groups, like):
        dd, gd, gg = U[:, 0], U[:, 1], U[:, 2]
        lam = _unit_value([g["lam"] for g in unit_groups], like)
        den = (dd - 2.0 * gd + gg).clamp(min=0.0)  # ‖d-g‖², rounding kept >= 0
        inner = gd - gg
        if not (isinstance(lam, float) and lam == 0.0):
            inner = inner + lam * (dd - gd)  # ⟨d-g, g+λd⟩
        return den, inner

    def _update(self, entries, beta, unit_of, unit_groups, work, rd):
        groups = self.param_groups
        # d + (1-β)/(1+λ) (g - d) = ((β+λ) d + (1-β) g)/(1+λ)  (Eq. 13), one weight per unit
        lam = _unit_value([g["lam"] for g in unit_groups], beta)
        weights = ((1.0 - beta) / (1.0 + lam)).unbind(0)
        by_group: dict = {}
        for (gi, _, p), g, u in zip(entries, work["grads"], unit_of):
            by_group.setdefault(gi, []).append((p, g, weights[u]))
        for gi, items in by_group.items():
            group = groups[gi]
            lr = group["lr"]
            params = [p for p, _, _ in items]
            grads = [g for _, g, _ in items]
            ws = [w for _, _, w in items]
            bufs = [self.state[p]["momentum_buffer"] for p in params]
            ops = _Ops(self._foreach(group, params), params[0].device.type == "cpu")
            ops.lerp_(bufs, grads, ws)
            if isinstance(lr, Tensor):
                ops.addcmul_(params, bufs, [_as(lr, bufs[0])] * len(bufs), -1.0)
            else:
                ops.add_(params, bufs, -lr)


class AdaptiveMemoryAdamW(_AdaptiveMemory):
    r"""AM-AdamW (arXiv:2510.04988, Sec. 3.3, Eq. 14), as :func:`amtoolkit.optimizers.am_adamw`.

    With ``k`` the 1-based step of a parameter, ``v ← β2 v + (1-β2) g²`` and
    ``P = (1 - β_max^k)(sqrt(v/(1-β2^k)) + eps)`` (the printed bias factor, β_1 read as
    ``beta_max``), ``P̃ = (1 + λP)P``::

        β = clip_[0, β_max]( [(1+μη) gap/η - ⟨d-g, g + λPd⟩_(P̃⁻¹) - μ⟨x, d-g⟩] / ‖d-g‖²_(P̃⁻¹) )
        d ← ((β + λP) d + (1-β) g)/(1 + λP)
        x ← (x - η P⁻¹ d)/(1 + μη)

    with μ = ``weight_decay`` decoupled (Eq. 14; the μ-term sign of docs/errata.md entry 1)
    and ``d_0 = 0``. ``gap`` is ``η_(t-1) gᵀ(P_(t-1)⁻¹ d + μ x)`` (``offset="first_order"``,
    P_(t-1) recomputed from the stored second moment and step) or ``f(x_(t-1)) - f(x_t)``
    (``"previous"``, with ``step(closure)``); 0 at a parameter's first step.

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups.
    lr : float or Tensor, default 1e-3
    beta_max : float or callable, default 0.9
        Clip of β in [0, 1) and β_1 of the bias factor; a schedule ``beta_max(t)`` is
        evaluated on the host at the optimizer's step count. Not named ``betas`` so that
        OneCycleLR/CyclicLR do not rewrite it.
    beta2 : float, default 0.999
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        Decoupled decay μ ≥ 0 (Eq. 14).
    lam : float, default 0.1
        λ ≥ 0 (Eq. 14; 0.1 in the paper's AdamW experiments).
    offset : {"first_order", "previous"}
    beta : float, optional
        A fixed β instead of Eq. 14 (with ``lam=0``, ``weight_decay=0`` this is AdamW).
    beta_scope, variant, beta_min, theta, high, low, maximize, foreach, reduce, history
        As for :class:`AdaptiveMemorySGD`; ``reduce`` gets the (units, 3) partial sums
        (‖d-g‖²_(P̃⁻¹), the weighted inner products, the gap term).

    References
    ----------
    arXiv:2510.04988: Sec. 3.3, Eq. 14, Sec. 3.4, Algorithm 1 line 6, Sec. 4.5.
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1e-3,
                 beta_max: float | Callable[[int], float] = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 1e-2, lam: float = 0.1, *, offset: str = "first_order",
                 beta: float | None = None, beta_scope: str = "global", variant: str = "am",
                 beta_min: float | None = None, theta: float | None = None, high: float = 0.9,
                 low: float = 0.1, maximize: bool = False, foreach: bool | None = None,
                 reduce: Callable[[Tensor], None] | None = None, history: int | None = None) -> None:
        if callable(beta_max):
            check_real("beta_max (the schedule's value at step 0)", beta_max(0), 0.0, 1.0, high_closed=False)
        else:
            check_real("beta_max", beta_max, 0.0, 1.0, high_closed=False)
        if beta is not None:
            beta = check_real("beta", beta, 0.0, 1.0, high_closed=False)
            if variant != "am":
                raise ValueError(f"variant={variant!r} needs the adaptive β (beta=None), got beta={beta!r}")
        self._beta = beta
        defaults = dict(lr=check_lr("lr", lr), beta_max=beta_max,
                        beta2=check_real("beta2", beta2, 0.0, 1.0, high_closed=False),
                        eps=check_real("eps", eps, 0.0, None, low_closed=False),
                        weight_decay=check_real("weight_decay", weight_decay, 0.0, None),
                        lam=check_real("lam", lam, 0.0, None), maximize=check_flag("maximize", maximize),
                        foreach=check_flag("foreach", foreach, allow_none=True))
        super().__init__(params, defaults, beta_scope=beta_scope, offset=offset,
                         offsets=("first_order", "previous"), variant=variant, beta_min=beta_min,
                         theta=theta, high=high, low=low, reduce=reduce, history=history)

    def _check_group(self, group):
        super()._check_group(group)
        bm = group["beta_max"]
        check_real("beta_max" if not callable(bm) else "beta_max (the schedule's value at step 0)",
                   bm(0) if callable(bm) else bm, 0.0, 1.0, high_closed=False)
        group["beta2"] = check_real("beta2", group["beta2"], 0.0, 1.0, high_closed=False)
        group["eps"] = check_real("eps", group["eps"], 0.0, None, low_closed=False)

    def _fixed_beta(self):
        return self._beta

    def _metric_c(self, group):
        lr, mu = group["lr"], group["weight_decay"]
        return lr / (1.0 + mu * lr)

    def _gap_coefficient(self, unit_groups, like):
        lr = _unit_value([g["lr"] for g in unit_groups], like)
        mu = _unit_value([g["weight_decay"] for g in unit_groups], like)
        return (1.0 + mu * lr) / lr if not (isinstance(lr, float) and lr == 0.0) else float("inf")

    def _b1(self, group, t: int) -> float:
        """β_1 of the bias factor at step t: the fixed ``beta``, or β_max,t (a schedule's value
        checked in [0, 1), as 1 - β_1^k must stay > 0)."""
        if self._beta is not None:
            return self._beta
        bm = group["beta_max"]
        if callable(bm):
            return check_real(f"beta_max schedule at step {t}", bm(t), 0.0, 1.0, high_closed=False)
        return bm

    # -- the per-parameter step count k (AdamW's CPU ``state["step"]``), mirrored as ints --
    def _k_mirror(self) -> dict:
        mirror = self.__dict__.get("_k")
        if mirror is None:
            mirror = self.__dict__["_k"] = {}
        return mirror

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._k_mirror().clear()  # re-read once from the loaded CPU step tensors

    def _prepare(self, entries, st, rd, fixed):
        """Per group, the foreach path (one ``torch._foreach_*`` call per operation over the
        group's tensors) or the for-loop path (the same operations tensor by tensor): both
        run the same kernels in the same order, so they agree bitwise on CPU.

        With ``S = sqrt(v)``, ``P = a S + b`` (``a = (1-β1^k)/sqrt(1-β2^k)``,
        ``b = (1-β1^k) eps``), ``r = d - g``, ``U = 1 + λP`` (P̃ = PU), ``Z = r/U`` and
        ``Q = r/P``, the partial sums of Eq. 14 are ``‖r‖²_(P̃⁻¹) = Σ Q Z`` and
        ``⟨r, g + λPd⟩_(P̃⁻¹) = Σ Q d - Σ Q Z`` (as g + λPd = Ud - r), plus μ Σ x r; the
        first-order offset is ``η_(t-1) (Σ g d/P_(t-1) + μ Σ g x)``."""
        groups = self.param_groups
        t = st["step"]
        mirror = self._k_mirror()
        n = len(entries)
        # raw sums per entry: Σ QZ, Σ Qd, Σ xr, Σ g d/P_(t-1), Σ gx
        device = entries[0][2].device
        R = [[None] * 5 for _ in range(n)] if fixed is None else None  # 0-d sums, stacked below
        out = {"chunks": [], "R": R}
        # the three temporaries of every tensor (T1: P_(t-1), then P'; T2: r, then Q'; T3: Z)
        # are views of one block allocated per step: one allocation instead of 3 per
        # tensor (on CPU each fresh buffer returned to the OS costs page faults at the next)
        numels = [p.numel() for _, _, p in entries]
        total = sum(numels)
        block = torch.empty(3 * total, dtype=rd, device=device)
        parts = [block[j * total:(j + 1) * total].split(numels) for j in range(3)]  # flat views
        scratch = [(a, b, c, a.view(p.shape), b.view(p.shape), c.view(p.shape))
                   for (_, _, p), a, b, c in zip(entries, *parts)]
        by_group: dict = {}
        for i, (gi, _, p) in enumerate(entries):
            by_group.setdefault(gi, []).append((i, p))
        for gi, items in by_group.items():
            group = groups[gi]
            fe = self._foreach(group, [p for _, p in items])
            chunks = [items]  # one call per group: the ops loop over its tensors (or one foreach call)
            for chunk in chunks:
                out["chunks"].append(self._prepare_chunk(gi, group, chunk, st, rd, fixed, fe, t, mirror, R,
                                                         [scratch[i] for i, _ in chunk]))
        if R is not None:
            zero = torch.zeros((), dtype=rd, device=device)
            R = torch.stack([zero if x is None else x for row in R for x in row]).view(n, 5)
            mu = _unit_value([groups[gi]["weight_decay"] for gi, _, _ in entries], R)
            lrp, inv_a, z_a, gsc = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
            for ch in out["chunks"]:
                for i, value, ak, zk, gs in zip(ch["idx"], ch["lrp"], ch["a"], ch["zs"], ch["gap_scale"]):
                    lrp[i], inv_a[i], z_a[i], gsc[i] = value, 1.0 / ak, zk / ak, gs
            # Σ Q'Z' = a/κ ‖r‖²_(P̃⁻¹), Σ Q'd = a Σ r d/P
            R[:, 0] *= _unit_value(z_a, R) if len(set(z_a)) > 1 else z_a[0]
            R[:, 1] *= _unit_value(inv_a, R) if len(set(inv_a)) > 1 else inv_a[0]
            R[:, 3] *= _unit_value(gsc, R) if len(set(gsc)) > 1 else gsc[0]
            inner = R[:, 1] - R[:, 0]
            gap = R[:, 3]
            if not (isinstance(mu, float) and mu == 0.0):
                inner = inner + mu * R[:, 2]
                gap = gap + mu * R[:, 4]
            gap = _unit_value(lrp, R) * gap
            out["S"] = torch.stack([R[:, 0], inner, gap], dim=1)
        return out

    def _prepare_chunk(self, gi, group, chunk, st, rd, fixed, fe, t, mirror, R, scratch):
        """The element-wise work of one group (foreach) or one tensor (for-loop).

        P is kept as ``P' = P/a = S + c`` (``c = b/a``) and the factor ``a`` folded into
        the scalars; the temporaries are written into ``scratch`` (three views per tensor).
        The for-loop path writes them with ``out=``; ``torch._foreach_*`` has no ``out=``,
        so the foreach path copies and works in place (the same values)."""
        ops = _Ops(fe, chunk[0][1].device.type == "cpu")
        idx = [i for i, _ in chunk]
        params = [p for _, p in chunk]
        b1, b2, eps = self._b1(group, t), group["beta2"], group["eps"]
        lam, mu = group["lam"], group["weight_decay"]
        ks = []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = torch.tensor(0.0, dtype=torch.float32)
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                mirror[p] = 0
            k = mirror.get(p)
            if k is None:  # after load_state_dict: read AdamW's CPU step tensor once
                k = mirror[p] = int(state["step"].item())
            ks.append(k)
        grads = [p.grad for p in params]
        if group["maximize"]:
            grads = ops.neg(grads)
        d = [self.state[p]["exp_avg"] for p in params]
        v = [self.state[p]["exp_avg_sq"] for p in params]
        steps = [self.state[p]["step"] for p in params]
        # in the parameters' dtype, or in fp32 copies written back (bf16/fp16)
        gc = [x if x.dtype == rd else x.to(rd) for x in grads]
        dc = [x if x.dtype == rd else x.to(rd) for x in d]
        vc = [x if x.dtype == rd else x.to(rd) for x in v]
        xc = [x if x.dtype == rd else x.to(rd) for x in params]
        lrp = st["lr_prev"].get(gi)
        with_gap = [fixed is None and self.offset == "first_order" and k > 0 and lrp is not None for k in ks]
        gap_scale = [0.0] * len(ks)
        F1, F2, F3 = ([sc[j] for sc in scratch] for j in range(3))  # flat, for the dots
        T1, T2, T3 = ([sc[j] for sc in scratch] for j in range(3, 6))
        if any(with_gap):
            b1p = self._b1(group, t - 1)
            sel = [j for j, w in enumerate(with_gap) if w]
            # P_(t-1) = (1 - β1^(k-1)) (sqrt(v_(t-1)/(1 - β2^(k-1))) + eps) = a_p (S + c_p),
            # from the stored v; T1 ← d_t/(S + c_p), and Σ g d/P_(t-1) = Σ g T1 / a_p
            Ts = [T2[j] for j in sel]
            ops.sqrt_into(Ts, [vc[j] for j in sel])
            ops.add_(Ts, [eps * (1.0 - b2 ** ks[j]) ** 0.5 for j in sel])
            ops.div_into([T1[j] for j in sel], [dc[j] for j in sel], Ts)
            del Ts
            for j in sel:
                gf = gc[j].reshape(-1)
                R[idx[j]][3] = torch.dot(gf, F1[j])
                gap_scale[j] = (1.0 - b2 ** ks[j]) ** 0.5 / (1.0 - b1p ** ks[j])
                if mu != 0:
                    R[idx[j]][4] = torch.dot(gf, xc[j].reshape(-1))
        # v ← β2 v + (1-β2) g²
        ops.mul_(vc, b2)
        ops.addcmul_(vc, gc, gc, 1.0 - b2)
        for x, y in zip(v, vc):
            if x is not y:
                x.copy_(y)
        kn = [k + 1 for k in ks]
        # P_t = a (S + c): a = (1 - β1^k)/sqrt(1 - β2^k), c = eps sqrt(1 - β2^k)
        a = [(1.0 - b1 ** k) / (1.0 - b2 ** k) ** 0.5 for k in kn]
        ops.sqrt_into(T1, vc)
        ops.add_(T1, [eps * (1.0 - b2 ** k) ** 0.5 for k in kn])
        ops.sub_into(T2, dc, gc)  # r = d - g
        if R is not None and mu != 0:
            for j, i in enumerate(idx):
                R[i][2] = torch.dot(xc[j].reshape(-1), F2[j])
        if lam != 0:
            # 1 + λP = λa (P' + κ) with κ = 1/(λa): Z' = r/(P' + κ) = λa Z
            zs = [1.0 / (lam * ak) for ak in a]  # Z = κ Z'
            ops.add_into(T3, T1, zs)
            ops.rdiv_(T3, T2)
        elif R is not None:
            zs = [1.0] * len(a)
            ops.copy_(T3, T2)
        else:
            zs = [1.0] * len(a)
            T3 = T2
        if R is not None:
            ops.div_(T2, T1)  # Q' = r/P' = a r/P
            for j, i in enumerate(idx):
                R[i][0] = torch.dot(F2[j], F3[j])
                R[i][1] = torch.dot(F2[j], dc[j].reshape(-1))
        spare = T2 if T3 is not T2 else None  # free after the sums: the tensor-lr update's P⁻¹d
        for p, k in zip(params, kn):
            mirror[p] = k
        return {"gi": gi, "fe": fe, "idx": idx, "params": params, "d": d, "dc": dc, "xc": xc, "P": T1,
                "Z": T3, "spare": spare, "zs": zs, "a": a, "steps": steps, "lrp": [lrp if w else 0.0 for w in with_gap],
                "gap_scale": gap_scale}

    def _update(self, entries, beta_units, unit_of, unit_groups, work, rd):
        groups = self.param_groups
        # d ← d - (1-β) r/(1+λP) = ((β+λP) d + (1-β) g)/(1+λP)  (Eq. 14)
        negw = (beta_units - 1.0).unbind(0)
        for ch in work["chunks"]:
            ops = _Ops(ch["fe"], ch["params"][0].device.type == "cpu")
            group = groups[ch["gi"]]
            lr, mu = group["lr"], group["weight_decay"]
            zs = ch["zs"]  # Z = κ Z': the weight -(1-β) κ per entry
            if all(z == zs[0] for z in zs):
                nw = negw if zs[0] == 1.0 else (beta_units - 1.0).mul_(zs[0]).unbind(0)
                ws = [nw[unit_of[i]] for i in ch["idx"]]
            else:
                ws = [negw[unit_of[i]] * z for i, z in zip(ch["idx"], zs)]
            ops.addcmul_(ch["dc"], ch["Z"], ws)
            for x, y in zip(ch["d"], ch["dc"]):
                if x is not y:
                    x.copy_(y)
            # x ← (x - η P⁻¹ d)/(1 + μη) = s x - (η s/a) d/P' with s = 1/(1 + μη)
            xc = ch["xc"]
            if isinstance(lr, Tensor):
                lr_c = _as(lr, beta_units)
                s = 1.0 / (1.0 + mu * lr_c) if mu != 0 else None
                if s is not None:
                    ops.mul_(xc, [s] * len(xc))
                if ch["spare"] is not None:
                    step = ch["spare"]
                    ops.div_into(step, ch["dc"], ch["P"])
                else:
                    step = ops.div(ch["dc"], ch["P"])
                scale = -lr_c * s if s is not None else -lr_c
                ops.addcmul_(xc, step, [scale / ak for ak in ch["a"]])
            else:
                s = 1.0 / (1.0 + mu * lr)
                if mu != 0:
                    ops.mul_(xc, s)
                ops.addcdiv_(xc, ch["dc"], ch["P"], [-lr * s / ak for ak in ch["a"]])
            for x, y in zip(ch["params"], xc):
                if x is not y:
                    x.copy_(y)
            ops.add_(ch["steps"], 1.0)


