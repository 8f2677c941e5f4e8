"""Rates measured on recorded runs, to set beside the calculated ones. Pure math on tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._checks import check_int, check_positive

__all__ = ["measured_rate", "RoundoffWarning"]

#: the flag of :func:`amtoolkit.run`'s rows whose ``gap`` is floored at the round-off level
ROUNDOFF_FLAG = "gap_at_roundoff"
#: the columns that the flag floors (``rel_gap`` is ``gap`` over its first value)
FLOORED_COLUMNS = ("gap", "rel_gap")


class RoundoffWarning(UserWarning):
    """Rows at the round-off floor were left out of a measured rate."""


def measured_rate(history, window: int = 100, column: str = "gap", exponent: float | None = None) -> pd.Series:
    """The per-step contraction of a recorded column over the last ``window`` steps of each run.

    The least-squares slope s of ``log(column)`` against the step is returned as
    ``exp(s/exponent)``, one value per run. Rows whose value is not positive and finite (a
    gap rounded to 0) are dropped before the window is taken, and so are, for ``gap`` and
    ``rel_gap``, the rows from the first one flagged ``gap_at_roundoff`` on (a
    :class:`RoundoffWarning` says how many): a value at the round-off floor
    ``4·eps·|f*|`` says nothing about the rate, and a fit through the plateau pulls the
    rate towards 1 (0.946 instead of 0.82 on the test's geometric sequence).

    Parameters
    ----------
    history : History or pandas.DataFrame
        A :class:`~amtoolkit.History` or its long frame (columns ``run``, ``step`` and
        ``column``).
    window : int, default 100
        The number of last usable rows of each run in the fit, ≥ 3.
    column : str, default "gap"
        The column whose decay is measured.
    exponent : float or None, default None
        Converts to the rate of the error ‖x - x*‖: on a quadratic the gap ``f - f*``
        decays as ρ^(2t) where the error decays as ρ^t, so None means 2 for ``gap``,
        ``rel_gap``, ``loss`` and ``full_loss`` (comparable with
        :func:`~amtoolkit.theory.spectral_rate`; ``loss`` only where f* = 0, else its log
        flattens and the rate tends to 1) and 1 for other columns (``grad_norm``).

    Returns
    -------
    pandas.Series
        Named ``measured_rate``, indexed by ``run`` in increasing order; NaN for a run with
        fewer than 3 usable rows.

    Warns
    -----
    RoundoffWarning
        When rows at or after the round-off floor were left out (their count, per run).

    Raises
    ------
    TypeError
        If ``history`` is neither a History nor a DataFrame, or ``window`` not an integer.
    ValueError
        If ``run``, ``step`` or ``column`` is missing, ``window`` < 3, or ``exponent`` is
        not > 0.

    Notes
    -----
    The fit is asymptotic: it matches the spectral rate once the slowest mode dominates the
    window, and oscillating (complex) modes add a ripple to the log that averages out over
    a window spanning many periods.

    Examples
    --------
    A gap that contracts by 0.81 per step is an error rate of 0.9:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from amtoolkit.theory import measured_rate
    >>> frame = pd.DataFrame({"run": 0, "step": np.arange(10), "gap": 0.81 ** np.arange(10)})
    >>> measured_rate(frame, window=10).round(12).tolist()
    [0.9]
    """
    frame = getattr(history, "frame", history)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"history must be an amtoolkit History or its DataFrame, got {type(history).__name__}")
    window = check_int("window", window, minimum=3)
    for name in ("run", "step", column):
        if name not in frame:
            raise ValueError(f"column {name!r} is not in the history (columns: {', '.join(frame.columns)})")
    if exponent is None:
        exponent = 2.0 if column in ("gap", "rel_gap", "loss", "full_loss") else 1.0
    check_positive("exponent", exponent)
    floored = column in FLOORED_COLUMNS and ROUNDOFF_FLAG in frame
    out, cut = {}, {}
    for run, rows in frame.groupby("run"):
        y = rows[column].to_numpy(dtype=float)
        t = rows["step"].to_numpy(dtype=float)
        ok = np.isfinite(y) & (y > 0)
        if floored:  # the rows from the first one at the round-off floor on are noise, not decay
            at_floor = rows[ROUNDOFF_FLAG].to_numpy(dtype=bool)
            if at_floor.any():
                first = int(np.argmax(at_floor))
                cut[run] = int(ok[first:].sum())
                ok[first:] = False
        y, t = y[ok][-window:], t[ok][-window:]
        if y.size < 3:
            out[run] = np.nan
            continue
        slope = np.polyfit(t, np.log(y), 1)[0]
        out[run] = float(np.exp(slope / exponent))
    if cut:
        warnings.warn(f"measured_rate: {sum(cut.values())} rows of {column!r} at or after the round-off floor "
                      f"({ROUNDOFF_FLAG}) were left out of the fit (per run: "
                      f"{', '.join(f'{r}: {n}' for r, n in cut.items())}); the window holds the rows before it",
                      RoundoffWarning, stacklevel=2)
    return pd.Series(out, name="measured_rate").rename_axis("run")
