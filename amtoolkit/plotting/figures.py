"""Figure builders over the long result tables of :func:`amtoolkit.run`."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path_stem) -> Path:
    """Write ``<stem>.pdf`` and ``<stem>.png``; return the PNG's path."""
    fig.tight_layout()
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    for ext in ("pdf", "png"):
        fig.savefig(stem.with_suffix(f".{ext}"), dpi=130)
    _pyplot().close(fig)
    return stem.with_suffix(".png")


def gap_and_beta_figure(frames: Mapping[str, pd.DataFrame], path_stem: str | Path):
    """One column per problem: ``gap`` against step (log scale) for every ``label`` in the
    frame, and the AM runs' ``beta`` against step. Writes ``<stem>.pdf`` and ``<stem>.png``.

    Each frame needs the columns ``label, step, gap, beta, adaptive`` (``adaptive`` marks
    the runs whose β is drawn in the lower row).
    """
    plt = _pyplot()
    n = len(frames)
    fig, axes = plt.subplots(2, n, figsize=(5.2 * n, 6.4), sharex="col", squeeze=False,
                             gridspec_kw={"height_ratios": [2, 1]})
    for col, (title, frame) in enumerate(frames.items()):
        top, bottom = axes[0, col], axes[1, col]
        for label, rows in frame.groupby("label", sort=False):
            style = "-" if rows["adaptive"].iloc[0] else "--"
            width = 2.0 if rows["adaptive"].iloc[0] else 1.2
            (line,) = top.semilogy(rows["step"], rows["gap"].clip(lower=1e-16), style, lw=width, label=label)
            if rows["adaptive"].iloc[0]:
                bottom.plot(rows["step"], rows["beta"], lw=1.2, color=line.get_color(), label=label)
        top.set_title(title)
        top.set_ylabel(r"$f(x_t) - f^\star$")
        top.grid(True, which="major", alpha=0.3)
        top.legend(fontsize=7, ncol=2)
        bottom.set_xlabel("step $t$")
        bottom.set_ylabel(r"AM $\beta_t$")
        bottom.set_ylim(-0.05, 1.05)
        bottom.grid(True, alpha=0.3)
    return _save(fig, path_stem)


def impulse_response_figure(responses: Mapping[str, np.ndarray], path_stem: str | Path):
    """One panel per memory: the weight of ``g_{t-j}`` in each unit against the lag j
    (arrays of shape (steps, k) from :func:`amtoolkit.memory.impulse_response`).
    Writes ``<stem>.pdf`` and ``<stem>.png``."""
    plt = _pyplot()
    n = len(responses)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 2.8), squeeze=False, sharey=False)
    for ax, (label, W) in zip(axes[0], responses.items()):
        for i in range(W.shape[1]):
            ax.plot(range(W.shape[0]), W[:, i], lw=1.3, label=f"unit {i}")
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("lag $j$")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel(r"weight of $g_{t-j}$")
    return _save(fig, path_stem)
