"""Columns derived from a run's long table, and the one-row-per-run summary.

``add_derived_columns`` finishes the frame built by :func:`amtoolkit.run`:

* ``gap`` is floored at the round-off level of f*, ``4·eps·|f*|`` (eps of the run's dtype):
  below it ``f(x_t) - f*`` is rounding noise (it can even be negative), so the row records
  the level itself and ``gap_at_roundoff = True``;
* ``rel_gap = gap / gap at step 0`` of the same run;
* the final row ``t = T`` (where no update is taken) repeats the coefficients of the last
  update (``lr``, ``beta`` and the method's own columns such as ``law_*``), so ``final()``
  has every column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_positive

__all__ = ["add_derived_columns", "roundoff_level", "summary"]


def roundoff_level(f_star: float, eps: float) -> float:
    """The gap below which ``f(x_t) - f*`` is round-off: ``4·eps·|f*|``."""
    return 4.0 * eps * abs(f_star)


def add_derived_columns(frame: pd.DataFrame, *, f_star: float, eps: float, lr_given=None) -> pd.DataFrame:
    """Floor ``gap`` at the round-off level (flagged in ``gap_at_roundoff``), add ``rel_gap``,
    and record ``lr_given`` (the ``"c/L"`` string(s)) when the step size was relative.
    Modifies and returns ``frame``."""
    if np.isfinite(f_star):
        level = roundoff_level(f_star, eps)
        gap = frame["gap"].to_numpy()
        with np.errstate(invalid="ignore"):
            low = gap < level
        frame["gap"] = np.where(low, level, gap)
        frame["gap_at_roundoff"] = low
    gap0 = frame.groupby("run", sort=False)["gap"].transform("first").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame.insert(int(frame.columns.get_loc("gap")) + 1, "rel_gap", frame["gap"].to_numpy() / gap0)
    if lr_given is not None:
        given = np.broadcast_to(np.asarray(lr_given, dtype=object), (int(frame["run"].max()) + 1,))
        frame["lr_given"] = given[frame["run"].to_numpy()]
    return frame


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def _labels(frame: pd.DataFrame) -> pd.Series:
    """``method(lr=..., <the hyperparameters that differ between runs>)`` per run."""
    firsts = frame.groupby("run", sort=True).head(1).set_index("run")
    hp = [c for c in firsts.columns if c.startswith("hp_")]
    varying = [c for c in hp if firsts[c].astype(str).nunique() > 1]
    shown = (["lr_given"] if "lr_given" in firsts else ["hp_lr"] if "hp_lr" in firsts else []) + \
        [c for c in varying if c != "hp_lr"]
    if "seed" in firsts and firsts["seed"].nunique() > 1:
        shown.append("seed")
    labels = {}
    for run, row in firsts.iterrows():
        parts = [f"{c.removeprefix('hp_').removesuffix('_given')}={_fmt(row[c])}" for c in shown
                 if not (isinstance(row[c], float) and np.isnan(row[c]))]
        labels[run] = f"{row.get('method', 'run')}({', '.join(parts)})"
    return pd.Series(labels, name="label")


def summary(frame: pd.DataFrame, tol: float = 1e-6) -> pd.DataFrame:
    """One row per run of a long result table: ``run, label, steps`` (the last recorded
    step), ``final_loss, final_gap, final_rel_gap``, ``steps_to_tol`` (the first recorded
    step with ``rel_gap ≤ tol``; ``<NA>`` when never reached) and ``steps_to_tol_from`` (one
    past the recorded step before it: the run first reached ``tol`` at a step in
    ``[steps_to_tol_from, steps_to_tol]``, a single step when every step is recorded and a
    wider bracket with ``record_every > 1``), ``min_gap``, ``max_rel_gap`` (the largest
    gap / gap₀: above 1 the run overshot its start), ``mean_beta`` (β_t averaged over every
    update, i.e. every step but the run's last; with ``record_every > 1`` read from the
    ``beta_mean`` column that the run loop keeps over every update, so it does not change
    with the rows kept; NaN for methods without β), ``status``."""
    check_positive("tol", tol)
    tol = float(tol)
    g = frame.groupby("run", sort=True)
    final = g.tail(1).set_index("run")
    out = pd.DataFrame({"label": _labels(frame)})
    out.index.name = "run"
    out["steps"] = final["step"]
    out["final_loss"] = final["loss"]
    for col in ("gap", "rel_gap"):
        # under minibatches the gap is evaluated every eval_every steps: the last evaluated one
        out[f"final_{col}"] = g[col].last() if col in frame else np.nan
    hit = (frame["rel_gap"] <= tol).to_numpy() if "rel_gap" in frame else np.zeros(len(frame), bool)
    previous = g["step"].shift(1).fillna(-1).to_numpy()
    first = frame.assign(_from=previous + 1)[hit].groupby("run").head(1).set_index("run")
    out["steps_to_tol"] = first["step"].reindex(out.index).astype("Int64")
    out["steps_to_tol_from"] = first["_from"].reindex(out.index).astype("Int64")
    out["min_gap"] = g["gap"].min() if "gap" in frame else np.nan
    out["max_rel_gap"] = g["rel_gap"].max() if "rel_gap" in frame else np.nan
    if "beta_mean" in frame:  # kept over every update by the run loop (record_every > 1)
        out["mean_beta"] = final["beta_mean"]
    elif "beta" in frame:
        updates = frame[g.cumcount(ascending=False).to_numpy() > 0]
        out["mean_beta"] = updates.groupby("run")["beta"].mean().reindex(out.index)
    else:
        out["mean_beta"] = np.nan
    out["status"] = final["status"] if "status" in final else "finished"
    return out.reset_index()
