"""Interactive plotting of results: ``amt.plot`` and ``amt.plot_results``.

Two layers (selection, then drawing):

* selection: :func:`best_configs` (per method, the configuration with the best median final
  value over seeds) and :func:`curves` (per step, the median over seeds and the min–max band);
* drawing: :func:`draw_bands`, and :func:`plot` / :func:`plot_results` on top of them.

All take the long tables of :func:`amtoolkit.run` (``History.frame``) and of the sweep
store: one row per (run, step), the configuration in ``method``, ``problem``, ``seed``,
``batch_size`` and ``hp_<name>`` columns. Nothing here runs an optimizer or reads files.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np
import pandas as pd

__all__ = ["plot", "plot_results", "best_configs", "curves", "draw_bands"]

ID_COLUMNS = ("method", "problem", "seed", "batch_size")
SYMBOLS = {"lr": "η", "beta": "β", "lam": "λ", "beta_max": "β_max", "beta_min": "β_min",
           "theta": "θ", "momentum": "momentum", "c2": "$c_2$", "batch_size": "batch"}
AXIS_LABELS = {"step": "step $t$", "gap": r"$f(x_t) - f^\star$", "loss": r"$f(x_t)$",
               "full_loss": r"$f(x_t)$", "grad_norm": r"$\|\nabla f(x_t)\|$", "beta": r"$\beta_t$",
               "beta_am": r"$\beta_t^{\mathrm{AM}}$", "lr": r"$\eta_t$", "time": "time (s)"}


def _frame_of(data) -> pd.DataFrame:
    frame = getattr(data, "frame", data)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"data must be a History or a pandas DataFrame of results, got {type(data).__name__}")
    return frame


def _check_columns(frame: pd.DataFrame, **named: str | None) -> None:
    for param, column in named.items():
        if column is not None and column not in frame.columns:
            raise ValueError(f"{param}={column!r} is not a column of the results; the columns are "
                             f"{', '.join(map(str, frame.columns))}")


def _config_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("hp_")] + (["batch_size"] if "batch_size" in frame else [])


def _varying(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if frame[c].astype(str).nunique() > 1]


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and np.isnan(value))


def _lr_given(group: pd.DataFrame) -> str | None:
    """The step size as it was given, ``"c/L"``, when it was relative: the run's ``lr_given``
    column, or ``lr_c`` of a sweep store (its η = c/L differs from problem to problem)."""
    for col, text in (("lr_given", str), ("lr_c", lambda c: f"{c:g}/L")):
        if col in group:
            value = group[col].iloc[0]
            if not _missing(value):
                return text(value)
    return None


def _label(keys: dict[str, Any], group: pd.DataFrame | None = None) -> str:
    """``method η=… β=…``: a hyperparameter that the method does not have (NaN where runs of
    several methods share a table) is left out, and η is shown as given (``1.5/L``)."""
    head = [str(keys.pop("method"))] if "method" in keys else []
    parts = []
    for k, v in keys.items():
        if k == "hp_lr" and group is not None:
            v = _lr_given(group) or v
        if _missing(v):
            continue
        parts.append(f"{SYMBOLS.get(k.removeprefix('hp_'), k.removeprefix('hp_'))}={_fmt(v)}")
    return " ".join(head + parts) or "run"


def _spans_decades(values: np.ndarray) -> bool:
    """Log scale when the positive values span at least two decades and are the majority."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    pos = values[values > 0]
    return pos.size >= 2 and pos.size >= 0.5 * values.size and pos.max() >= 100.0 * pos.min()


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def _styled(fn):
    """Draw under the paper style without touching the caller's matplotlib settings."""
    @functools.wraps(fn)
    def styled(*args, **kwargs):
        from .style import context

        with context():
            return fn(*args, **kwargs)

    return styled


def _finish(ax, x: str, y: str, values: np.ndarray, logy: bool | None) -> None:
    if _spans_decades(values) if logy is None else logy:
        ax.set_yscale("log")
    ax.set_xlabel(AXIS_LABELS.get(x, x))
    ax.set_ylabel(AXIS_LABELS.get(y, y))
    if ax.get_legend_handles_labels()[1]:
        ax.legend()


@_styled
def plot(data, x: str = "step", y: str = "gap", hue: str | None = None, ax=None, *,
         logy: bool | None = None, **kw):
    """Draw ``y`` against ``x`` for every run of a History, a batched History or a results frame.

    Parameters
    ----------
    data : History or pandas.DataFrame
        A run's record, or a long table (``History.frame``, :func:`amtoolkit.load_results`).
    x, y : str, default "step", "gap"
        Columns of the table.
    hue : str, optional
        A column: the colour and the label follow it instead of the run.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    logy : bool, optional
        Log scale; ``None`` uses one when the positive values span two decades.
    **kw
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        ``data`` is neither a History nor a DataFrame.
    ValueError
        ``x``, ``y`` or ``hue`` is not a column.

    Notes
    -----
    One line per run (a distinct ``method, problem, seed, batch_size, run`` and
    hyperparameter combination), labelled by the method and the hyperparameters that
    differ between the runs; a hyperparameter a method lacks is left out, and η is shown as
    given (``"1.5/L"``). Rows where ``y`` is NaN (the full loss between two evaluations of a
    minibatch run) are skipped. Drawn under the paper style without changing the caller's
    matplotlib settings.
    """
    frame = _frame_of(data)
    _check_columns(frame, x=x, y=y, hue=hue)
    keys = [c for c in (*ID_COLUMNS, "run") if c in frame] + _config_columns(frame)
    keys = list(dict.fromkeys(keys))
    rows = frame[frame[y].notna()]
    ax = _axes(ax)
    named = _varying(rows, [k for k in keys if k != "run"]) if hue is None else []
    if hue is None and not named and "method" in rows:
        named = ["method"]
    colours: dict[Any, Any] = {}
    for values, group in (rows.groupby(keys, dropna=False, sort=False) if keys else [((), rows)]):
        ident = dict(zip(keys, values if isinstance(values, tuple) else (values,)))
        style = dict(kw)
        if hue is not None:
            value = group[hue].iloc[0]
            if value in colours:
                style.setdefault("color", colours[value])
                style.setdefault("label", "_nolegend_")
            else:
                style.setdefault("label", f"{SYMBOLS.get(hue.removeprefix('hp_'), hue)}={_fmt(value)}")
        else:
            style.setdefault("label", _label({k: ident[k] for k in named}, group) if named else "_nolegend_")
        (line,) = ax.plot(group[x].to_numpy(), group[y].to_numpy(), **style)
        if hue is not None:
            colours.setdefault(group[hue].iloc[0], line.get_color())
    _finish(ax, x, y, rows[y].to_numpy(), logy)
    return ax


def best_configs(frame: pd.DataFrame, by: str = "method", metric: str = "gap") -> pd.DataFrame:
    """The rows of the best configuration of every ``by`` group.

    A configuration is a distinct set of ``hp_*`` (and ``batch_size``) values; its score
    is the median over seeds of the last non-NaN ``metric`` of each run, a diverged or
    non-finite run counting as +inf. Ties go to the first configuration in the frame.
    """
    _check_columns(frame, by=by, metric=metric)
    config = frame.groupby([by] + _config_columns(frame), dropna=False, sort=False).ngroup()
    tagged = frame.assign(_config=config.to_numpy())
    seed = ["seed"] if "seed" in frame else []
    runs = tagged[tagged[metric].notna()].groupby(["_config"] + seed, sort=False)
    final = runs[metric].last().astype(float)
    if "status" in frame:
        final[(runs["status"].last() == "diverged").to_numpy()] = np.inf
    final[~np.isfinite(final.to_numpy())] = np.inf
    score = final.groupby(level="_config", sort=False).median()
    group_of = tagged.groupby("_config", sort=False)[by].first().loc[score.index]
    best = score.groupby(group_of.to_numpy(), sort=False).idxmin()
    return tagged[tagged["_config"].isin(best.to_numpy())].drop(columns="_config")


def curves(frame: pd.DataFrame, y: str = "gap", x: str = "step", by: Sequence[str] = ("method",),
           over: str = "seed") -> pd.DataFrame:
    """Per ``by`` group and ``x``: the median of ``y`` over ``over`` (seeds) and its min–max band.

    Returns the columns ``*by, x, median, lo, hi, n`` (``n`` runs at that point); rows
    with ``y`` NaN are skipped. Every ``by`` group should hold one configuration (see
    :func:`best_configs`), so that the band is the spread over seeds only.
    """
    by = [by] if isinstance(by, str) else list(by)
    _check_columns(frame, x=x, y=y, over=over, **{f"by[{i}]": b for i, b in enumerate(by)})
    rows = frame[frame[y].notna()]
    out = rows.groupby(by + [x], sort=False)[y].agg(median="median", lo="min", hi="max", n="count")
    return out.reset_index()


def draw_bands(ax, data: pd.DataFrame, by: str = "method", x: str = "step", labels: dict | None = None,
               alpha: float = 0.25):
    """One median line and one shaded min–max band per ``by`` value of a :func:`curves` frame."""
    for key, group in data.groupby(by, sort=False):
        (line,) = ax.plot(group[x].to_numpy(), group["median"].to_numpy(),
                          label=(labels or {}).get(key, str(key)))
        ax.fill_between(group[x].to_numpy(), group["lo"].to_numpy(), group["hi"].to_numpy(),
                        color=line.get_color(), alpha=alpha, lw=0)
    return ax


@_styled
def plot_results(frame: pd.DataFrame, y: str = "gap", x: str = "step", by: str = "method",
                 ax=None, *, metric: str | None = None, logy: bool | None = None):
    """Best configuration per ``by`` group, median over seeds with a min–max band.

    Parameters
    ----------
    frame : pandas.DataFrame or History
        The long table of one problem (e.g. ``load_results(dir, problem=...)``).
    y, x : str, default "gap", "step"
        Columns drawn.
    by : str, default "method"
        One line per value of this column.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    metric : str, optional
        The column whose final value picks the best configuration (default ``y``; see
        :func:`best_configs`).
    logy : bool, optional
        Log scale; ``None`` decides from the values.

    Returns
    -------
    matplotlib.axes.Axes
        The legend names each group with the hyperparameters of its chosen configuration
        that differ between that group's configurations.

    Raises
    ------
    ValueError
        A column is missing, or the frame holds more than one problem.
    """
    frame = _frame_of(frame)
    _check_columns(frame, x=x, y=y, by=by, metric=metric)
    if "problem" in frame and frame["problem"].nunique() > 1:
        raise ValueError(f"plot_results draws one problem; the frame holds {frame['problem'].nunique()} "
                         f"({', '.join(map(str, frame['problem'].unique()))}): select one, e.g. "
                         f"frame[frame.problem == {frame['problem'].iloc[0]!r}]")
    best = best_configs(frame, by=by, metric=metric or y)
    labels = {}
    for key, group in best.groupby(by, sort=False):
        varying = _varying(frame[frame[by] == key], _config_columns(frame))
        labels[key] = _label({"method": key, **{c: group[c].iloc[0] for c in varying}}, group)
    data = curves(best, y=y, x=x, by=[by])
    ax = _axes(ax)
    draw_bands(ax, data, by=by, x=x, labels=labels)
    _finish(ax, x, y, data["median"].to_numpy(), logy)
    return ax
