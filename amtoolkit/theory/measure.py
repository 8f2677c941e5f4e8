"""Rates measured on recorded runs, to set beside the calculated ones. Pure math on tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive

__all__ = ["measured_rate"]


def measured_rate(history, window: int = 100, column: str = "gap", exponent: float | None = None) -> pd.Series:
    """The per-step contraction of ``column`` over the last ``window`` recorded steps of
    each run: the least-squares slope s of ``log(column)`` against the step, returned as
    ``exp(s/exponent)``, one value per run (a Series indexed by ``run``, in increasing order).

    ``exponent`` converts to the rate of the error ‖x - x*‖: on a quadratic the gap
    ``f - f*`` decays as ρ^(2t) where the error decays as ρ^t, so the default is 2 for
    ``gap`` and ``loss`` (comparable with :func:`~amtoolkit.theory.spectral.spectral_rate`;
    ``loss`` only where f* = 0, else its log flattens and the rate tends to 1) and 1 for
    other columns (``grad_norm``). ``history`` is a :class:`~amtoolkit.History`
    or its long frame. Rows whose value is not positive and finite (a gap rounded to 0)
    are dropped before the window is taken; a run with fewer than 3 such rows gets NaN.

    The fit is asymptotic: it matches the spectral rate once the slowest mode dominates
    the window, and oscillating (complex) modes add a ripple to the log that averages out
    over a window spanning many periods.
    """
    frame = getattr(history, "frame", history)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"history must be an amtoolkit History or its DataFrame, got {type(history).__name__}")
    window = check_int("window", window, minimum=3)
    for name in ("run", "step", column):
        if name not in frame:
            raise ValueError(f"column {name!r} is not in the history (columns: {', '.join(frame.columns)})")
    if exponent is None:
        exponent = 2.0 if column in ("gap", "loss", "full_loss") else 1.0
    check_positive("exponent", exponent)
    out = {}
    for run, rows in frame.groupby("run"):
        y = rows[column].to_numpy(dtype=float)
        t = rows["step"].to_numpy(dtype=float)
        ok = np.isfinite(y) & (y > 0)
        y, t = y[ok][-window:], t[ok][-window:]
        if y.size < 3:
            out[run] = np.nan
            continue
        slope = np.polyfit(t, np.log(y), 1)[0]
        out[run] = float(np.exp(slope / exponent))
    return pd.Series(out, name="measured_rate").rename_axis("run")
