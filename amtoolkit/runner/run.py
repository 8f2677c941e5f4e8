"""The run loop: the only place in amtoolkit that iterates over steps.

``run(optimizer, problem, steps)`` records, for every run of a (possibly batched)
optimizer and every recorded step, one row of a long table: ``run, step,
loss, gap, grad_norm, lr, beta, time`` plus the method's own columns, with the
configuration (method, problem, seed, hyperparameters, status) in columns.

It has three parts: ``_prepare`` checks every input before anything is
computed, ``_loop`` iterates and keeps only host float64 scalars per recorded row and
run (in chunks of ``_CHUNK`` rows, so memory is bounded by the recorded rows, whatever
the optimizer puts in ``state.info``), and ``_to_frame`` builds the table.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .._checks import check_bool, check_finite_array, check_int, check_positive, check_range
from ..backend import asarray_like, namespace, to_numpy
from ..optimizers.base import Optimizer, OptState
from ..problems.base import Problem
from .history import History, RunError, RunInterrupted, _per_run, concat, package_versions, x0_record
from .start import resolve_lr, warn_minibatch_offset
from .summary import add_derived_columns, roundoff_level

__all__ = ["run", "run_seeds"]

STATUS_FINISHED = "finished"
STATUS_CONVERGED = "converged"
STATUS_DIVERGED = "diverged"
STATUS_STOPPED = "stopped"
STATUS_INTERRUPTED = "interrupted"
STATUS_FAILED = "failed"

_CHUNK = 1024  # rows per host buffer chunk

#: [choice] A run that ends finite but has exploded is ``diverged``, not ``finished``: its last
#: row's gradient norm, or its gap ``f(x_T) - f*`` where f* is known, exceeds this factor times
#: the first row's. A convergent method may grow transiently (momentum peaks of order κ, RLLC's
#: correction by 1e6 before it settles), so only where the run ends is judged, and the margin is
#: wide; an RLLC run at 7e208 after 30 steps was stored as finished.
DIVERGENCE_GROWTH = 1e8


def _hyper_columns(opt: Optimizer, n_runs: int) -> dict[str, np.ndarray]:
    """One array of length ``n_runs`` per ``hp_`` column (object dtype for non-numbers)."""
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


# -- part 1: prepare ---------------------------------------------------------------------
@dataclass
class _Setup:
    """The checked arguments of one ``run`` call, and the optimizer's initial state."""

    optimizer: Optimizer
    problem: Problem
    steps: int
    x0: Any
    xp: Any
    lead: tuple
    n_runs: int
    fstar: float
    extra: dict
    sampler: Any
    seed: int
    batch_size: int | None
    gtol: float | None
    eval_every: int
    record_every: int
    callback: Callable | None
    progress: bool
    state: OptState
    lr_given: Any = None         # the "c/L" string(s) the step size was given as
    x_ref: Any = None            # x* in the iterate's namespace, for the dist_to_opt column
    record_x: bool = False       # nag(record="x"): f and ‖∇f‖ at x_t, not at y_t


def _prepare(optimizer, problem, steps, x0, batch_size, seed, f_star, gtol, eval_every, record_every,
             callback, progress, dist_to_opt) -> _Setup:
    """Check every argument and build x0 and the sampler; nothing is iterated yet."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an amtoolkit Optimizer (see amtoolkit.optimizers.get), "
                        f"got {type(optimizer).__name__}")
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an amtoolkit Problem, got {type(problem).__name__}")
    check_bool("dist_to_opt", dist_to_opt)
    optimizer, lr_given = resolve_lr(optimizer, problem)  # lr="c/L" → c / problem.smoothness
    steps = check_int("steps", steps)
    seed = check_int("seed", seed, 0)
    if seed >= 2 ** 63:  # the tables keep seeds as int64 (Parquet, CSV round trips)
        raise ValueError(f"seed must be an integer in [0, 2**63 - 1], got {seed}")
    if gtol is not None:
        gtol = float(check_positive("gtol", gtol))
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size)
        if problem.n_samples is None:
            raise ValueError(f"batch_size must be None for {type(problem).__name__} (it has no samples)")
        if batch_size > problem.n_samples:
            raise ValueError(f"batch_size must be in [1, n_samples={problem.n_samples}], got {batch_size}")
    eval_every = check_int("eval_every", max(1, steps // 100) if eval_every is None else eval_every)
    record_every = check_int("record_every", record_every)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable as callback(step, state) or None, got {callback!r}")
    check_bool("progress", progress)

    if x0 is None:
        x0 = problem.default_x0()
    elif isinstance(x0, (list, tuple)):
        try:
            x0 = np.asarray(x0, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"x0 must be an array of real numbers, got {x0!r}") from None
    if not hasattr(x0, "shape") or not hasattr(x0, "dtype"):
        raise TypeError(f"x0 must be an array (NumPy, array-API, CuPy) or a list, got {type(x0).__name__}")
    xp = namespace(x0)
    if x0.ndim not in (1, 2) or x0.shape[-1] != problem.dim:
        raise ValueError(f"x0 must have shape ({problem.dim},) or (K, {problem.dim}), got {x0.shape}")
    if xp.isdtype(x0.dtype, "integral"):
        x0 = xp.astype(x0, xp.float64)
    elif not xp.isdtype(x0.dtype, "real floating"):
        raise TypeError(f"x0 must have a real floating (or integer) dtype, got {x0.dtype}")
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

    fstar = np.nan
    if isinstance(f_star, str):
        if f_star != "auto":
            raise ValueError(f"f_star must be 'auto', a float or None, got {f_star!r}")
        try:
            fstar = float(problem.f_star)
        except (AttributeError, ValueError):
            fstar = np.nan
    elif f_star is not None:
        if isinstance(f_star, bool) or np.ndim(f_star) != 0:
            raise TypeError(f"f_star must be 'auto', a real number or None, got {f_star!r}")
        fstar = float(check_range("f_star", f_star))

    extra: dict[str, Any] = {}
    if "x_star" in optimizer.needs:
        if not problem.has_x_star():
            raise ValueError(f"{optimizer.name} with these options needs the problem's minimiser "
                             f"x_star, which {problem.name} does not know")
        extra["x_star"] = asarray_like(problem.x_star, x0)
    sampler = problem.sampler(batch_size, seed) if batch_size else None
    state = optimizer.init(x0)  # checks x0 against the optimizer (e.g. rllc's k <= d)
    warn_minibatch_offset(optimizer, batch_size)
    x_ref = None
    if dist_to_opt and f_star is not None and problem.has_x_star():
        x_ref = extra["x_star"] if "x_star" in extra else asarray_like(problem.x_star, x0)
    return _Setup(optimizer, problem, steps, x0, xp, lead, int(np.prod(lead)) if lead else 1, fstar, extra,
                  sampler, seed, batch_size, gtol, eval_every, record_every, callback, bool(progress), state,
                  lr_given, x_ref, optimizer.hyper.get("record") == "x")


# -- part 2: loop -------------------------------------------------------------------------
class _Recorder:
    """Host float64 buffers, one row per recorded step: ``(rows, n_runs)`` per scalar entry,
    ``(rows, n_runs, k)`` per vector entry (rllc's law). Grows by chunks of ``_CHUNK`` rows;
    a row counts once :meth:`commit` is called, so a row cut short by an exception or Ctrl-C
    is dropped whole."""

    def __init__(self, lead: tuple, n_runs: int) -> None:
        self.lead, self.n_runs, self.n = lead, n_runs, 0
        self._chunks: dict[str, list[np.ndarray]] = {}
        self._trailing: dict[str, tuple] = {}
        self._current: dict[str, np.ndarray] = {}  # the chunk the next row goes to, per key
        self._i = 0                                 # the next row's index in its chunk
        self._steps: list[np.ndarray] = []
        self._times: list[np.ndarray] = []

    def put(self, key: str, value) -> None:
        chunk = self._current.get(key)
        if chunk is None:
            chunk = self._new_chunk(key, value)
        chunk[self._i] = value if isinstance(value, (float, np.ndarray, np.generic)) else to_numpy(value)

    def _new_chunk(self, key: str, value) -> np.ndarray:
        if key not in self._chunks:
            shape, lead = np.shape(value), self.lead
            self._trailing[key] = shape[len(lead):] if lead and shape[:len(lead)] == lead else \
                (shape if not lead else ())
            self._chunks[key] = []
        chunks = self._chunks[key]
        while len(chunks) <= self.n // _CHUNK:  # NaN where a key has no value (e.g. the last row's lr)
            chunks.append(np.full((_CHUNK, self.n_runs) + self._trailing[key], np.nan))
        self._current[key] = chunks[-1]
        return chunks[-1]

    def commit(self, step: int, elapsed: float) -> None:
        if self._i == 0:
            self._steps.append(np.empty(_CHUNK, dtype=np.int64))
            self._times.append(np.empty(_CHUNK))
        self._steps[-1][self._i] = step
        self._times[-1][self._i] = elapsed
        self.n += 1
        self._i += 1
        if self._i == _CHUNK:
            self._i = 0
            self._current = {}

    @property
    def last_step(self) -> int:
        return -1 if self.n == 0 else int(self._steps[(self.n - 1) // _CHUNK][(self.n - 1) % _CHUNK])

    def pop(self, key: str) -> np.ndarray | None:
        """The committed rows of ``key`` (its chunks are released)."""
        if key in ("step", "time"):
            chunks = self._steps if key == "step" else self._times
        else:
            self._current.pop(key, None)
            chunks = self._chunks.pop(key, None)
            if chunks is None:
                return None
            while len(chunks) * _CHUNK < self.n:  # rows after the key's last value
                chunks.append(np.full((_CHUNK, self.n_runs) + self._trailing[key], np.nan))
        if not chunks:
            return np.empty(0, dtype=np.int64 if key == "step" else float)
        out = np.concatenate(chunks)[:self.n] if len(chunks) != 1 else chunks[0][:self.n]
        chunks.clear()
        return out


def _is_eval_step(t: int, eval_every: int) -> bool:
    """Full-loss evaluations of minibatch runs: steps 0, 1, 2, 4, 8, ... and every
    ``eval_every``-th step, so every prefix of a run has about log2(t) + t/eval_every of them."""
    return t % eval_every == 0 or (t & (t - 1)) == 0


def _record(rec: _Recorder, s: _Setup, t: int, x_t, loss, gnorm, full_loss, new: OptState,
            t_start: float, beta_mean=None) -> None:
    """One row: f(x_t), ‖∇f(x_t)‖, the full loss where evaluated, ‖x_t - x*‖ where asked,
    and what the update from x_t used (``new.info``; on the final row, which takes no
    update, the info of the last update, so ``record_every`` cannot shift it)."""
    opt = s.optimizer
    rec.put("loss", loss)
    rec.put("grad_norm", gnorm)
    if full_loss is not None:
        rec.put("full_loss", full_loss)
    if s.x_ref is not None:
        rec.put("dist_to_opt", s.xp.linalg.vector_norm(x_t - s.x_ref, axis=-1))
    info = new.info
    rec.put("lr", info.get("lr", np.nan))
    rec.put("beta", info.get("beta", np.nan))
    if beta_mean is not None:
        rec.put("beta_mean", beta_mean)
    for key in opt.columns:
        rec.put(key, info.get(key, np.nan))
    rec.commit(t, time.perf_counter() - t_start)


@dataclass
class _Outcome:
    state: OptState | None
    x: Any
    status: np.ndarray
    last_step: np.ndarray       # per run, its last kept step (-1: the last recorded row)
    error: BaseException | None = None
    failed_step: int = -1
    interrupted_step: int | None = None


def _loop(s: _Setup, rec: _Recorder) -> _Outcome:
    opt, problem, xp, n_runs, steps = s.optimizer, s.problem, s.xp, s.n_runs, s.steps
    status = np.full(n_runs, STATUS_FINISHED, dtype=object)
    active = np.ones(n_runs, dtype=bool)
    last_step = np.full(n_runs, -1)
    kw = dict(s.extra)
    needs_loss = "loss" in opt.needs
    done = None            # device mask of the runs that stopped (None while none has)
    frozen = None          # their iterates at the step they stopped
    state, x_last = s.state, None
    # with record_every > 1 the mean of β over every update (not only the recorded ones)
    beta_sum = 0.0 if s.record_every > 1 else None
    t = -1
    t_start = time.perf_counter()
    iterator = range(steps + 1)
    if s.progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=opt.name)
    out = _Outcome(None, None, status, last_step)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and reported
            for t in iterator:
                batch = next(s.sampler) if s.sampler is not None else None
                x_t = opt.params(state)
                loss, grad = problem.value_and_grad(state.x, batch)
                gnorm = xp.linalg.vector_norm(grad, axis=-1)
                if s.record_x:  # f and ‖∇f‖ at the iterate x_t, not at the gradient point
                    loss_x, grad_x = problem.value_and_grad(x_t, batch)
                    loss, gnorm = loss_x, xp.linalg.vector_norm(grad_x, axis=-1)
                final = t == steps
                new = None
                if not final:
                    if needs_loss:
                        kw["loss"] = loss
                    new = opt.update(state, grad, **kw)
                    if beta_sum is not None:
                        beta_sum = beta_sum + new.info.get("beta", np.nan)
                # One host synchronisation per step in the common (healthy) case.
                ok = xp.isfinite(loss) & xp.isfinite(gnorm)
                if new is not None:
                    ok = ok & xp.all(xp.isfinite(new.x), axis=-1)
                if s.gtol is not None:
                    ok = ok & (gnorm > s.gtol)
                if done is not None:
                    ok = ok | done
                healthy = bool(xp.all(ok))
                evaluate = s.sampler is not None and (final or not healthy or _is_eval_step(t, s.eval_every))
                recorded = final or not healthy or evaluate or t % s.record_every == 0
                if recorded:
                    # the final row takes no update: it repeats the last update's info (state.info)
                    _record(rec, s, t, x_t, loss, gnorm, problem.value(x_t) if evaluate else None,
                            state if final else new, t_start,
                            None if beta_sum is None else beta_sum / (t if final else t + 1))
                    x_last = x_t
                if not healthy:
                    ok_np = np.reshape(to_numpy(ok), (n_runs,)).astype(bool)
                    conv = np.zeros(n_runs, bool)
                    if s.gtol is not None:
                        conv = np.reshape(to_numpy((gnorm <= s.gtol) & xp.isfinite(loss)), (n_runs,))
                    newly = active & ~ok_np
                    status[newly & conv] = STATUS_CONVERGED
                    status[newly & ~conv] = STATUS_DIVERGED
                    last_step[newly] = t
                    active &= ~newly
                    newly_col = xp.asarray(np.reshape(newly, s.lead + (1,)), device=x_t.device)
                    frozen = x_t if frozen is None else xp.where(newly_col, x_t, frozen)
                    if not active.any():
                        break
                    done = xp.asarray(np.reshape(~active, s.lead), device=x_t.device)
                if final:
                    break
                state = new
                if s.callback is not None and s.callback(t, state) is True:
                    if not recorded:  # the stopping step is always a row
                        _record(rec, s, t, x_t, loss, gnorm, None, new, t_start,
                                None if beta_sum is None else beta_sum / (t + 1))
                        x_last = x_t
                    status[active] = STATUS_STOPPED
                    break
    except KeyboardInterrupt:
        status[active] = STATUS_INTERRUPTED
        out.interrupted_step = t
    except Exception as err:  # noqa: BLE001 - every row so far goes out with the RunError
        status[active] = STATUS_FAILED
        out.error, out.failed_step = err, t
    out.state = state
    if x_last is not None and frozen is not None:
        x_last = xp.where(xp.asarray(np.reshape(last_step >= 0, s.lead + (1,)), device=x_last.device),
                          frozen, x_last)
    out.x = x_last
    return out


# -- part 3: to_frame ------------------------------------------------------------------------
def _to_frame(s: _Setup, rec: _Recorder, out: _Outcome) -> pd.DataFrame:
    """The long table; each buffer is released as soon as its column is built."""
    n_runs, opt = s.n_runs, s.optimizer
    last = np.where(out.last_step >= 0, out.last_step, rec.last_step)
    steps_rec = rec.pop("step")
    times = rec.pop("time")
    keep = steps_rec[None, :] <= last[:, None]            # (n_runs, rows)
    all_rows = bool(keep.all())
    if all_rows:
        run_idx = np.repeat(np.arange(n_runs), rec.n)
        row_idx = np.tile(np.arange(rec.n), n_runs)
    else:
        run_idx, row_idx = np.nonzero(keep)
    del keep

    def gather(arr):
        if arr is None:
            return np.full(len(run_idx), np.nan)
        if n_runs == 1 and all_rows:
            return arr[:, 0]
        return arr[row_idx, run_idx]

    data: dict[str, np.ndarray] = {"run": run_idx, "step": steps_rec[row_idx]}
    loss = gather(rec.pop("loss"))
    data["loss"] = loss
    full_loss = gather(rec.pop("full_loss")) if s.sampler is not None else None
    data["gap"] = (full_loss if full_loss is not None else loss) - s.fstar
    data["grad_norm"] = gather(rec.pop("grad_norm"))
    data["lr"] = gather(rec.pop("lr"))
    data["beta"] = gather(rec.pop("beta"))
    data["time"] = times[row_idx]
    if full_loss is not None:
        data["full_loss"] = full_loss
    if s.x_ref is not None:
        data["dist_to_opt"] = gather(rec.pop("dist_to_opt"))
    if s.record_every > 1:
        data["beta_mean"] = gather(rec.pop("beta_mean"))
    for key in opt.columns:
        arr = rec.pop(key)
        if arr is None or arr.ndim == 2:
            data[key] = gather(arr)
        else:
            for j in range(arr.shape[2]):
                data[f"{key}_{j}"] = gather(arr[:, :, j])
    conf = {"method": opt.name, "problem": s.problem.name, "seed": s.seed,
            "batch_size": s.batch_size if s.batch_size else np.nan}
    for key, value in conf.items():
        data[key] = _per_run(np.full(n_runs, value, dtype=object if isinstance(value, str) else None), run_idx)
    for key, value in _hyper_columns(opt, n_runs).items():
        data[key] = _per_run(value, run_idx)
    data["status"] = _per_run(out.status, run_idx)
    return pd.DataFrame(data, copy=False)


def _exploded(frame: pd.DataFrame, n_runs: int, gap_floor: float = 0.0) -> np.ndarray:
    """Per run: whether its last row has grown by more than :data:`DIVERGENCE_GROWTH` over its
    first, in ``grad_norm`` or in ``gap`` (a first value of 0 or NaN does not judge; a first gap
    below the round-off level ``gap_floor`` counts as that level, so rounding noise is not growth)."""
    out = np.zeros(n_runs, dtype=bool)
    if frame.empty:
        return out
    groups = frame.groupby("run", sort=True)
    first, last = groups.head(1).set_index("run"), groups.tail(1).set_index("run")
    runs = first.index.to_numpy()
    for col in ("grad_norm", "gap"):
        a, b = first[col].to_numpy(dtype=float), last.loc[runs, col].to_numpy(dtype=float)
        if col == "gap":
            a = np.where(np.isfinite(a), np.maximum(a, gap_floor), a)
        with np.errstate(invalid="ignore", over="ignore"):
            out[runs] |= (a > 0) & np.isfinite(a) & (b > DIVERGENCE_GROWTH * a)
    return out


def run(optimizer: Optimizer, problem: Problem, steps: int, x0=None, batch_size: int | None = None,
        seed: int = 0, *, f_star: float | str | None = "auto", gtol: float | None = None,
        eval_every: int | None = None, record_every: int = 1,
        callback: Callable[[int, OptState], Any] | None = None, progress: bool = False,
        seeds=None, dist_to_opt: bool = True) -> History:
    """Run ``optimizer`` on ``problem`` for ``steps`` updates and record every run's long table.

    The one loop of amtoolkit: per step, one oracle call ``problem.value_and_grad`` at
    ``state.x``, one ``optimizer.update`` and, on recorded rows, a few host float64 scalars
    per run; K configurations of a batched optimizer run as one array program.

    Parameters
    ----------
    optimizer : Optimizer
        From :func:`amtoolkit.optimizers.get` (or a constructor such as
        ``amtoolkit.optimizers.am_mgd``); ``lr="c/L"`` is resolved here to
        ``c / problem.smoothness`` (``meta["lr_given"]`` and the ``lr_given`` column keep the
        string).
    problem : Problem
        A :class:`amtoolkit.Quadratic`, :class:`amtoolkit.LogisticRegression`, ... .
    steps : int
        Number of updates T ≥ 1; the table has rows t = 0..T.
    x0 : array, optional
        Start, shape ``(d,)`` (broadcast to every configuration) or ``(K, d)``; default
        zeros in float64 NumPy. Its namespace, dtype and device are used throughout
        (array-api-strict, CuPy, ...).
    batch_size : int, optional
        Minibatch size for problems with samples (``None``: full gradients); batches come
        from ``problem.sampler(batch_size, seed)`` and are shared by all runs of a batch.
    seed : int, default 0
        Seed of the minibatch sampler, in [0, 2**63 - 1].
    f_star : float, "auto" or None, default "auto"
        ``"auto"`` uses ``problem.f_star`` when known; ``None`` leaves the ``gap`` column
        empty.
    gtol : float, optional
        Stop a run when ``‖∇f(x_t)‖ ≤ gtol`` (status ``converged``).
    eval_every : int, optional
        With minibatches, the full loss (``full_loss`` and ``gap`` columns) is evaluated at
        steps 0, 1, 2, 4, 8, ... and every ``eval_every``-th step (default
        ``max(1, steps // 100)``), so an interrupted run has gap values.
    record_every : int, default 1
        Record one row every this many steps; the steps 0 and ``steps``, each full-loss
        evaluation and each run's stopping step are always recorded. Memory grows with the
        recorded rows only. With ``record_every > 1`` a ``beta_mean`` column holds the mean
        of β over every update up to the row, so that ``summary()``'s ``mean_beta`` does not
        depend on which rows were kept.
    callback : callable, optional
        ``callback(step, state)`` after each update; returning ``True`` (the object itself)
        stops the run, status ``stopped``: a stopped run is cut before its horizon, so the
        sweeps and figures never store one as done. A callback that only observes must
        return ``None`` (beware of functions such as ``tqdm.update`` that return ``True``).
    progress : bool, default False
        A tqdm bar over the steps.
    seeds : list of int, optional
        One run per seed (one after another), returned as one History with unique ``run``
        ids and a ``seed`` column (:func:`run_seeds`); not together with ``seed``.
    dist_to_opt : bool, default True
        Record ``‖x_t - x*‖`` in a ``dist_to_opt`` column when the problem knows x* (not with
        ``f_star=None``); it costs one O(K·d) pass per recorded row
        (``benchmarks/bench_dist.py``).

    Returns
    -------
    History
        ``frame`` (row ``t`` holds ``f(x_t)``, ``‖∇f(x_t)‖`` and the ``lr``/``beta`` that the
        update from ``x_t`` used; the final row ``t = steps`` holds ``f(x_T)`` and repeats the
        coefficients of the last update; derived columns ``rel_gap``, the round-off floor of
        ``gap`` and its flag ``gap_at_roundoff`` are described in
        :mod:`amtoolkit.runner.summary`), ``x`` (per run, the iterate of its last row),
        ``state``, ``status`` and ``meta``. A run whose loss, gradient or next iterate is
        non-finite stops with status ``diverged`` and keeps its rows and its last finite
        iterate; the other runs of a batch go on. A run that reaches its horizon finite but
        exploded is ``diverged`` too [choice]: its last row's ``grad_norm``, or its ``gap``
        where f* is known, is more than ``DIVERGENCE_GROWTH = 1e8`` times its first row's (a
        transient growth that comes back is not divergence: only where the run ends is
        judged).

    Raises
    ------
    TypeError, ValueError
        A bad argument, found before any step (the message names it).
    RunInterrupted
        Ctrl-C (a ``KeyboardInterrupt``, so a caller that runs several runs stops too);
        ``.history`` holds every row so far, status ``interrupted``.
    RunError
        Any other exception during the run, chained to it; ``.history`` holds every row so
        far. With ``seeds``, both carry the rows of the seeds finished before.

    See Also
    --------
    amtoolkit.sweep : many runs into a resumable store.
    amtoolkit.minimize : the scipy-style façade over the same loop.

    Examples
    --------
    AM-MGD (Algorithm 1 of arXiv:2510.04988) and two fixed momenta on a quadratic, the latter
    batched as one run:

    >>> import amtoolkit as amt
    >>> q = amt.Quadratic.random(dim=20, cond=100, seed=0)
    >>> mgd = amt.run(amt.optimizers.mgd(lr="1/L", beta=[0.5, 0.9]), q, steps=300)
    >>> am = amt.run(amt.optimizers.am_mgd(lr="1/L"), q, steps=300)
    >>> mgd.n_runs, list(mgd.frame.groupby("run").step.max())
    (2, [300, 300])
    >>> bool(am.final().gap.iloc[0] < mgd.final().gap.min())
    True
    """
    if seeds is not None:
        if not (isinstance(seed, (int, np.integer)) and seed == 0):
            raise ValueError(f"give seed or seeds, not both (got seed={seed!r} and seeds={seeds!r})")

        return run_seeds(optimizer, problem, steps, seeds, x0=x0, batch_size=batch_size, f_star=f_star,
                         gtol=gtol, eval_every=eval_every, record_every=record_every, callback=callback,
                         progress=progress, dist_to_opt=dist_to_opt)
    s = _prepare(optimizer, problem, steps, x0, batch_size, seed, f_star, gtol, eval_every,
                 record_every, callback, progress, dist_to_opt)
    rec = _Recorder(s.lead, s.n_runs)
    out = _loop(s, rec)
    raw = _to_frame(s, rec, out)
    eps = float(s.xp.finfo(s.x0.dtype).eps)
    floor = roundoff_level(s.fstar, eps) if np.isfinite(s.fstar) else 0.0
    exploded = _exploded(raw, s.n_runs, floor) & (out.status == STATUS_FINISHED)
    if exploded.any():  # finite but exploded: diverged (DIVERGENCE_GROWTH)
        out.status[exploded] = STATUS_DIVERGED
        raw["status"] = _per_run(out.status, raw["run"].to_numpy())
    frame = add_derived_columns(raw, f_star=s.fstar, eps=eps, lr_given=s.lr_given)
    opt = s.optimizer  # with lr="c/L" resolved
    meta = {"method": opt.name, "hyper": {k: (repr(v) if callable(v) else v) for k, v in opt.hyper.items()},
            **problem.describe(), "f_star": s.fstar, "seed": s.seed, "steps": s.steps,
            "batch_size": s.batch_size, "record_every": s.record_every, "namespace": s.xp.__name__,
            "dtype": str(s.x0.dtype), "versions": package_versions(), "lr_given": s.lr_given,
            "x0": x0_record(s.x0)}
    history = History(frame=frame, x=out.x, state=out.state, status=list(out.status), meta=meta,
                      optimizer=opt, x0=s.x0)
    if out.error is not None:
        err = out.error
        raise RunError(f"run failed at step {out.failed_step} with {type(err).__name__}: {err} "
                       f"(the {len(frame)} rows recorded before are in .history)", history) from err
    if out.interrupted_step is not None:
        raise RunInterrupted(f"run interrupted (Ctrl-C) at step {out.interrupted_step} of {s.steps} (the "
                             f"{len(frame)} rows recorded before are in .history)", history)
    return history


def run_seeds(optimizer, problem, steps: int, seeds: Sequence[int], **kwargs):
    """``amtoolkit.run(optimizer, problem, steps, seed=s, **kwargs)`` for each ``s`` in
    ``seeds``, joined by :func:`amtoolkit.concat`: ``run`` ids are unique (seed by seed, the
    configurations of a batched optimizer inside each) and the ``seed`` column tells the
    seeds apart.

    The seeds run one after another, not batched: the minibatch sampler draws one set of
    indices per step for all runs of a batch, so runs with different seeds cannot share a
    batched call. The seed only drives that sampler; without ``batch_size`` every seed
    gives the same numbers (a warning says so).
    """
    if isinstance(seeds, (int, np.integer)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of integers, got {seeds!r}")
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < 2 ** 63
                            for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of integers in [0, 2**63 - 1], got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    if kwargs.get("batch_size") is None and len(seeds) > 1:
        warnings.warn("seeds only change the minibatch sampler; without batch_size the runs of "
                      f"seeds {seeds} are identical", UserWarning, stacklevel=3)
    done: list[History] = []
    for s in seeds:
        try:
            done.append(run(optimizer, problem, steps, seed=int(s), **kwargs))
        except (RunError, RunInterrupted) as err:  # keep the finished seeds' rows with the cut one
            err.history = concat(done + [err.history])
            raise
    return concat(done)
