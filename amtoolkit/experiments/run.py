"""The run loop: the only place in amtoolkit that iterates over steps.

``run(optimizer, problem, steps)`` records, for every run of a (possibly batched)
optimizer and every step, one row of a long table (DESIGN §2): ``run, step, loss,
gap, grad_norm, lr, beta, time`` plus the method's own columns, with the
configuration (method, problem, seed, hyperparameters, status) in columns.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .._checks import check_finite_array, check_int, check_positive
from ..backend import asarray_like, namespace, to_numpy
from ..optimizers.base import Optimizer, OptState
from ..problems.base import Problem
from .history_io import x0_record
from .start import resolve_lr, warn_minibatch_offset
from .summary import add_derived_columns

__all__ = ["History", "run", "package_versions"]

STATUS_FINISHED = "finished"
STATUS_CONVERGED = "converged"
STATUS_DIVERGED = "diverged"
STATUS_INTERRUPTED = "interrupted"


def package_versions() -> dict[str, str]:
    import scipy

    from .. import __version__

    out = {"python": platform.python_version(), "numpy": np.__version__,
           "scipy": scipy.__version__, "pandas": pd.__version__, "amtoolkit": __version__}
    return out


@dataclass
class History:
    """The record of one (batched) run.

    frame:   long DataFrame, one row per (run, step)
    x:       final iterate(s), in the namespace of ``x0`` (shape ``(d,)`` or ``(K, d)``)
    state:   the optimizer's final state
    status:  per run: ``finished``, ``converged`` (gtol reached), ``diverged``
             (non-finite loss or iterate) or ``interrupted``
    meta:    method, hyperparameters, problem, seed, package versions
    optimizer, x0: what the run started from (for replays such as validate_history)
    """

    frame: pd.DataFrame
    x: Any
    state: OptState
    status: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    optimizer: Optimizer | None = None
    x0: Any = None

    def __repr__(self) -> str:
        return (f"History(method={self.meta.get('method')!r}, problem={self.meta.get('problem')!r}, "
                f"runs={self.n_runs}, rows={len(self.frame)}, status={self.status})")

    @property
    def n_runs(self) -> int:
        return len(self.status)

    def final(self) -> pd.DataFrame:
        """The last recorded row of every run."""
        return self.frame.groupby("run", sort=True).tail(1).reset_index(drop=True)

    def to_csv(self, path) -> None:
        from .store import save_history

        save_history(self, path)

    # -- delegated to experiments.summary / experiments.history_io ---------------------
    def summary(self, tol: float = 1e-6) -> pd.DataFrame:
        """One row per run: label, final loss/gap/relative gap, steps to ``rel_gap ≤ tol``,
        minimum gap, overshoot, mean β_t, status (:func:`amtoolkit.experiments.summary.summary`)."""
        from .summary import summary

        return summary(self.frame, tol)

    @classmethod
    def from_file(cls, path) -> "History":
        """Read what ``to_csv`` or the results store wrote (:func:`amtoolkit.load_history`)."""
        from .history_io import load_history

        return load_history(path)


def _hyper_columns(opt: Optimizer, n_runs: int) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for name, value in opt.hyper.items():
        if name in opt.vectors:
            arr = np.broadcast_to(np.asarray(to_numpy(value), dtype=float), (n_runs, np.shape(value)[-1]))
            cols.update({f"hp_{name}_{j}": arr[:, j].copy() for j in range(arr.shape[1])})
            continue
        if isinstance(value, tuple):
            items = [(f"{name}_{i}", v) for i, v in enumerate(value)]
        else:
            items = [(name, value)]
        for key, v in items:
            if v is None or callable(v) or isinstance(v, (str, bool)):
                cols[f"hp_{key}"] = np.full(n_runs, repr(v) if callable(v) else v, dtype=object)
            else:
                cols[f"hp_{key}"] = np.broadcast_to(np.asarray(to_numpy(v), dtype=float), (n_runs,)).copy()
    return cols


def _stack(values: list, xp, lead: tuple) -> np.ndarray:
    """Per-step recorded values (arrays of the batch shape, or scalars) as a host array
    of shape (steps, n_runs) or (steps, n_runs, k) for vector-valued entries."""
    n_runs = int(np.prod(lead)) if lead else 1
    if values and all(hasattr(v, "shape") and v.shape == values[0].shape for v in values) \
            and not isinstance(values[0], np.generic):
        try:
            arr = np.asarray(to_numpy(xp.stack(values)), dtype=float)
        except (TypeError, ValueError):
            arr = np.stack([np.asarray(to_numpy(v), dtype=float) for v in values])
    elif all(isinstance(v, (float, int)) for v in values):
        arr = np.asarray(values, dtype=float)
    else:
        parts = [np.asarray(to_numpy(v), dtype=float) for v in values]
        shape = np.broadcast_shapes(*(p.shape for p in parts)) if parts else ()
        arr = np.stack([np.broadcast_to(p, shape) for p in parts]) if parts else np.empty((0,))
    if arr.ndim == 1:  # scalars per step
        return np.repeat(arr[:, None], n_runs, axis=1)
    if lead and arr.shape[1:1 + len(lead)] == lead:
        return arr.reshape((arr.shape[0], n_runs) + arr.shape[1 + len(lead):])
    # a per-step vector shared by all runs (e.g. unbatched law of shape (k,))
    return np.repeat(arr[:, None, ...], n_runs, axis=1) if not lead else \
        np.broadcast_to(arr[:, None, ...], (arr.shape[0], n_runs) + arr.shape[1:]).copy()


def run(optimizer: Optimizer, problem: Problem, steps: int, x0=None, batch_size: int | None = None,
        seed: int = 0, *, f_star: float | str | None = "auto", gtol: float | None = None,
        eval_every: int | None = None, callback: Callable[[int, OptState], Any] | None = None,
        progress: bool = False, seeds=None, dist_to_opt: bool = True) -> History:
    """Run ``optimizer`` on ``problem`` for ``steps`` updates.

    Parameters
    ----------
    x0:         start, shape ``(d,)`` (broadcast to every configuration) or ``(K, d)``;
                default zeros in float64 NumPy. Its namespace/dtype/device are used
                throughout (array-api-strict, CuPy, ...).
    batch_size: minibatch size for problems with samples (``None``: full gradients);
                batches come from ``problem.sampler(batch_size, seed)`` and are
                shared by all runs of a batch.
    f_star:     ``"auto"`` uses ``problem.f_star`` when known; a float; ``None``
                for no gap column values.
    gtol:       stop a run when ``‖∇f(x_t)‖ ≤ gtol`` (status ``converged``).
    eval_every: with minibatches, evaluate the full loss (``full_loss`` and ``gap``
                columns) every this many steps (default ``max(1, steps // 100)``).
    callback:   ``callback(step, state)`` after each update; returning ``True`` stops.
    seeds:      a list of seeds: one run per seed, returned as one History with unique
                ``run`` ids and a ``seed`` column (:func:`amtoolkit.experiments.seeds.run_seeds`).
    dist_to_opt: record ``‖x_t - x*‖`` in a ``dist_to_opt`` column when the problem knows x*
                (not with ``f_star=None``, which skips the reference quantities); it
                costs one O(K·d) pass per step (``benchmarks/bench_dist.py``).

    ``lr="c/L"`` is resolved here to ``c / problem.smoothness`` (``meta["lr_given"]`` and the
    ``lr_given`` column keep the string). Derived columns (``rel_gap``, the round-off floor
    of ``gap`` and its flag ``gap_at_roundoff``) are described in
    :mod:`amtoolkit.experiments.summary`.

    Row ``t`` holds ``f(x_t)``, ``‖∇f(x_t)‖`` and the ``lr``/``beta`` the update from
    ``x_t`` used; a final row ``t = steps`` holds ``f(x_T)`` and repeats the coefficients
    (``lr``, ``beta``, method columns) of the last update.
    A run whose loss or iterate becomes non-finite stops with status ``diverged``
    and keeps its rows; the other runs of a batch go on. Ctrl-C returns the
    history so far with status ``interrupted``.
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an amtoolkit Optimizer (see amtoolkit.optimizers.get), "
                        f"got {type(optimizer).__name__}")
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an amtoolkit Problem, got {type(problem).__name__}")
    if seeds is not None:
        from .seeds import run_seeds

        return run_seeds(optimizer, problem, steps, seeds, x0=x0, batch_size=batch_size, f_star=f_star,
                         gtol=gtol, eval_every=eval_every, callback=callback, progress=progress,
                         dist_to_opt=dist_to_opt)
    if not isinstance(dist_to_opt, (bool, np.bool_)):
        raise TypeError(f"dist_to_opt must be True or False, got {dist_to_opt!r}")
    optimizer, lr_given = resolve_lr(optimizer, problem)  # lr="c/L" → c / problem.smoothness
    steps = check_int("steps", steps)
    if gtol is not None:
        check_positive("gtol", gtol)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size)
        if problem.n_samples is None:
            raise ValueError(f"batch_size must be None for {type(problem).__name__} (it has no samples)")
    if eval_every is None:
        eval_every = max(1, steps // 100)
    eval_every = check_int("eval_every", eval_every)

    if x0 is None:
        x0 = problem.default_x0()
    elif isinstance(x0, (list, tuple)):
        x0 = np.asarray(x0, dtype=float)
    xp = namespace(x0)
    if not hasattr(x0, "shape") or x0.ndim not in (1, 2) or x0.shape[-1] != problem.dim:
        raise ValueError(f"x0 must have shape ({problem.dim},) or (K, {problem.dim}), got "
                         f"{getattr(x0, 'shape', type(x0).__name__)}")
    if xp.isdtype(x0.dtype, "integral"):
        x0 = xp.astype(x0, xp.float64)
    check_finite_array("x0", x0)
    batch_shape = optimizer.batch_shape
    if len(batch_shape) > 1:
        raise ValueError(f"array hyperparameters must have shape (K,), got {batch_shape}")
    if batch_shape:
        if x0.ndim == 1:
            x0 = xp.zeros(batch_shape + (problem.dim,), dtype=x0.dtype, device=x0.device) + x0
        elif x0.shape[:-1] != batch_shape:
            raise ValueError(f"x0 of shape {x0.shape} does not match the {batch_shape[0]} "
                             f"configurations of the hyperparameters (expected ({batch_shape[0]}, {problem.dim}))")
    lead = tuple(x0.shape[:-1])
    n_runs = int(np.prod(lead)) if lead else 1

    fstar = np.nan
    if isinstance(f_star, str):
        if f_star != "auto":
            raise ValueError(f"f_star must be 'auto', a float or None, got {f_star!r}")
        try:
            fstar = float(problem.f_star)
        except (AttributeError, ValueError):
            fstar = np.nan
    elif f_star is not None:
        fstar = float(f_star)

    extra: dict[str, Any] = {}
    if "x_star" in optimizer.needs:
        if not problem.has_x_star():
            raise ValueError(f"{optimizer.name} with these options needs the problem's minimiser "
                             f"x_star, which {problem.name} does not know")
        extra["x_star"] = asarray_like(problem.x_star, x0)
    sampler = problem.sampler(batch_size, seed) if batch_size else None
    warn_minibatch_offset(optimizer, batch_size)
    want_dist = dist_to_opt and f_star is not None and problem.has_x_star()
    x_ref = asarray_like(problem.x_star, x0) if want_dist else None
    dists: list = []  # ‖x_t - x*‖ per step
    record_x = optimizer.hyper.get("record") == "x"  # nag(record="x")

    state = optimizer.init(x0)
    rec: dict[str, list] = {"loss": [], "grad_norm": [], "time": [], "full_loss": []}
    infos: list = []
    status = np.array([STATUS_FINISHED] * n_runs, dtype=object)
    active = np.ones(n_runs, dtype=bool)
    last_step = np.full(n_runs, steps)  # the last recorded step of each run
    needs_loss = "loss" in optimizer.needs
    t_start = time.perf_counter()
    iterator = range(steps + 1)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=optimizer.name)

    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and reported
            for t in iterator:
                batch = next(sampler) if sampler is not None else None
                loss_x, grad = problem.value_and_grad(state.x, batch)
                gnorm_x = xp.linalg.vector_norm(grad, axis=-1)
                if record_x:  # f and ‖∇f‖ at the iterate x_t, not at the gradient point
                    loss_x, g_x = problem.value_and_grad(optimizer.params(state), batch)
                    gnorm_x = xp.linalg.vector_norm(g_x, axis=-1)
                if x_ref is not None:
                    dists.append(xp.linalg.vector_norm(optimizer.params(state) - x_ref, axis=-1))
                if sampler is not None:
                    rec["full_loss"].append(problem.value(optimizer.params(state))
                                            if t % eval_every == 0 or t == steps else np.nan)
                rec["loss"].append(loss_x)
                rec["grad_norm"].append(gnorm_x)
                if t == steps:
                    infos.append({})
                    rec["time"].append(time.perf_counter() - t_start)
                    break
                new_state = optimizer.update(state, grad, **({"loss": loss_x} if needs_loss else {}), **extra)
                infos.append(new_state.info)
                rec["time"].append(time.perf_counter() - t_start)
                # One host synchronisation per step in the common (healthy) case.
                ok = xp.isfinite(loss_x) & xp.isfinite(gnorm_x) & xp.all(xp.isfinite(new_state.x), axis=-1)
                if gtol is not None:
                    ok = ok & (gnorm_x > gtol)
                if not bool(xp.all(ok)):
                    ok_np = np.reshape(to_numpy(ok), (n_runs,)).astype(bool)
                    conv_np = np.zeros(n_runs, bool)
                    if gtol is not None:
                        conv_np = np.reshape(to_numpy(gnorm_x <= gtol), (n_runs,)) & \
                            np.isfinite(np.reshape(to_numpy(loss_x), (n_runs,)))
                    stopped = active & ~ok_np
                    status[stopped & conv_np] = STATUS_CONVERGED
                    status[stopped & ~conv_np] = STATUS_DIVERGED
                    last_step[stopped] = t
                    active &= ~stopped
                    if not active.any():
                        break  # keep x_t: the last finite (or converged) iterate
                state = new_state
                if callback is not None and callback(t, state) is True:
                    break
    except KeyboardInterrupt:
        status[active] = STATUS_INTERRUPTED
    n_rows = len(rec["time"])
    del rec["loss"][n_rows:], rec["grad_norm"][n_rows:], rec["full_loss"][n_rows:], infos[n_rows:]

    columns = {"loss": _stack(rec["loss"], xp, lead), "grad_norm": _stack(rec["grad_norm"], xp, lead)}
    columns["lr"] = _stack([i.get("lr", np.nan) for i in infos], xp, lead)
    columns["beta"] = _stack([i.get("beta", np.nan) for i in infos], xp, lead)
    columns["time"] = np.repeat(np.asarray(rec["time"])[:, None], n_runs, axis=1)
    if sampler is not None:
        columns["full_loss"] = _stack(rec["full_loss"], xp, lead)
    if x_ref is not None:
        columns["dist_to_opt"] = _stack(dists[:n_rows], xp, lead)
    for key in optimizer.columns:
        arr = _stack([i.get(key, np.nan) for i in infos], xp, lead)
        if arr.ndim == 2:
            columns[key] = arr
        else:
            for j in range(arr.shape[2]):
                columns[f"{key}_{j}"] = arr[:, :, j]
    steps_idx = np.arange(n_rows)
    keep = (steps_idx[:, None] <= np.minimum(last_step, n_rows - 1)[None, :]).T  # (n_runs, n_rows)
    data = {"run": np.repeat(np.arange(n_runs)[:, None], n_rows, axis=1)[keep],
            "step": np.repeat(steps_idx[None, :], n_runs, axis=0)[keep]}
    data.update({k: v.T[keep] for k, v in columns.items()})
    frame = pd.DataFrame(data)
    frame.insert(3, "gap", (frame["full_loss"] if sampler is not None else frame["loss"]) - fstar)
    conf = {"method": optimizer.name, "problem": problem.name, "seed": seed,
            "batch_size": batch_size if batch_size else np.nan}
    for key, value in conf.items():
        frame[key] = value
    for key, value in _hyper_columns(optimizer, n_runs).items():
        frame[key] = value[frame["run"].to_numpy()]
    frame["status"] = status[frame["run"].to_numpy()]
    frame = add_derived_columns(frame, f_star=fstar, eps=float(xp.finfo(x0.dtype).eps), steps=steps,
                                lr_given=lr_given)
    meta = {"method": optimizer.name, "hyper": {k: (repr(v) if callable(v) else v)
                                                for k, v in optimizer.hyper.items()},
            **problem.describe(), "f_star": fstar, "seed": seed, "steps": steps,
            "batch_size": batch_size, "namespace": xp.__name__, "dtype": str(x0.dtype),
            "versions": package_versions(), "lr_given": lr_given, "x0": x0_record(x0)}
    return History(frame=frame, x=optimizer.params(state), state=state, status=list(status), meta=meta,
                   optimizer=optimizer, x0=x0)
