"""Figure builders over the long result tables of :func:`amtoolkit.run`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from .style import TWO_COLUMN, figsize


def _pyplot():
    """``matplotlib.pyplot`` with the paper style applied, for the figures written to files
    (the backend is matplotlib's choice; the command line sets Agg)."""
    import matplotlib.pyplot as plt

    from .style import use

    use()
    return plt


def _save(fig, path_stem, source: str | None = None) -> Path:
    """Write ``<stem>.pdf`` and ``<stem>.png`` in the paper style and close ``fig``; return
    the PNG's path. ``source`` (e.g. the command that made the figure) goes into both
    files' metadata; the PDF carries no creation date, so an unchanged figure is rewritten
    byte for byte. The only function of amtoolkit that writes figure files."""
    from .._version import __version__

    plt = _pyplot()
    fig.tight_layout()
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tool = f"amtoolkit {__version__}"
    meta = {"pdf": {"Title": stem.name, "Creator": tool, "Subject": source or "", "CreationDate": None},
            "png": {"Title": stem.name, "Software": tool, "Description": source or ""}}
    for ext in ("pdf", "png"):
        fig.savefig(stem.with_suffix(f".{ext}"), metadata=meta[ext])
    plt.close(fig)
    return stem.with_suffix(".png")


def gap_and_beta_panels(curves: Mapping[str, pd.DataFrame], legend: Mapping[str, str] | None = None,
                        style: Callable[[str], Mapping[str, Any]] | None = None):
    """One column per entry of ``curves``: ``gap`` against step (log scale) per ``label``
    on top, and β_t of the adaptive runs underneath. Returns the Figure (not saved), one
    paper column wide for one panel and two columns wide (6.75 in) for more.

    Each frame has the columns ``label, step, gap, beta`` and optionally ``adaptive``
    (which runs get a β panel; by default those whose ``beta`` is not NaN). ``legend``
    renames labels; ``style(label)`` gives the line's keyword arguments (``color``,
    ``ls``, ...), the same for a label in every panel; without it the style's Okabe–Ito
    cycle colours the labels in their order of appearance, also the same in every panel.
    Lines of more than 5000 points are rasterised in the PDF (much faster to write).
    """
    from .style import ONE_COLUMN

    legend = dict(legend or {})
    plt = _pyplot()
    n = len(curves)
    width = ONE_COLUMN if n == 1 else TWO_COLUMN
    fig, axes = plt.subplots(2, n, figsize=(width, 3.3), sharex="col", squeeze=False,
                             gridspec_kw={"height_ratios": [2.2, 1]})
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    seen: dict[str, dict] = {}
    for col, (title, frame) in enumerate(curves.items()):
        top, bottom = axes[0, col], axes[1, col]
        for label, rows in frame.groupby("label", sort=False):
            adaptive = bool(rows["adaptive"].iloc[0]) if "adaptive" in rows else bool(rows["beta"].notna().any())
            dense = len(rows) > 5000
            if label not in seen:
                seen[label] = dict(style(label)) if style is not None else {"color": cycle[len(seen) % len(cycle)]}
            kw = {"lw": 1.5 if adaptive else 1.0, **seen[label]}
            top.semilogy(rows["step"], rows["gap"].clip(lower=1e-16), label=legend.get(label, label),
                         rasterized=dense, **kw)
            if adaptive:
                bottom.plot(rows["step"], rows["beta"], lw=0.8, color=kw.get("color"), label=label,
                            rasterized=dense)
        top.set_title(title)
        top.grid(True, which="major", alpha=0.3)
        top.legend(fontsize=5.5)
        bottom.set_xlabel("step $t$")
        bottom.set_ylim(-0.05, 1.05)
        bottom.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel(r"$f(x_t) - f^\star$")
    axes[1, 0].set_ylabel(r"AM $\beta_t$")
    return fig


def gap_and_beta_figure(frames: Mapping[str, pd.DataFrame], path_stem: str | Path):
    """:func:`gap_and_beta_panels` written to ``<stem>.pdf`` and ``<stem>.png`` (the demo's
    figure); returns the PNG's path."""
    return _save(gap_and_beta_panels(frames), path_stem)


def impulse_response_figure(responses: Mapping[str, np.ndarray], path_stem: str | Path | None):
    """One panel per memory: the weight of ``g_{t-j}`` in each unit against the lag j
    (arrays of shape (steps, k) from :func:`amtoolkit.memory.impulse_response`).
    Writes ``<stem>.pdf`` and ``<stem>.png`` and returns the PNG's path; with
    ``path_stem=None`` returns the Figure unsaved."""
    plt = _pyplot()
    n = len(responses)
    fig, axes = plt.subplots(1, n, figsize=(TWO_COLUMN, 1.9), squeeze=False, sharey=False)
    for ax, (label, W) in zip(axes[0], responses.items()):
        for i in range(W.shape[1]):
            ax.plot(range(W.shape[0]), W[:, i], lw=1.3, label=f"unit {i}")
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_title(label)
        ax.set_xlabel("lag $j$")
        ax.legend()
    axes[0, 0].set_ylabel(r"weight of $g_{t-j}$")
    return fig if path_stem is None else _save(fig, path_stem)


def beta_trace_figure(frame: pd.DataFrame, restarts: pd.DataFrame, problem: str):
    """AM Sec. 4.5's two regimes: one column per method, the gap (log) over the β_t the method
    used, soft restarts (the rows of ``restarts``) marked on the β_t trace. Returns the Figure."""
    plt = _pyplot()
    methods = list(dict.fromkeys(frame["method"]))
    fig, axes = plt.subplots(2, len(methods), figsize=figsize(2, 0.5), sharex="col", squeeze=False,
                             gridspec_kw={"height_ratios": [1, 1.3]})
    for col, method in enumerate(methods):
        rows = frame[(frame["method"] == method) & frame["gap"].notna()]
        top, bottom = axes[0, col], axes[1, col]
        top.semilogy(rows["step"], rows["gap"], color="C0")
        batch = rows["batch_size"].iloc[0]
        top.set_title(f"{method} on {problem}" + ("" if pd.isna(batch) else f", batch {int(batch)}"))
        trace = frame[(frame["method"] == method) & frame["beta"].notna()]
        bottom.plot(trace["step"], trace["beta"], color="C1", lw=0.8, label=r"$\beta_t$")
        marks = restarts[restarts["method"] == method]
        bottom.plot(marks["step"], marks["beta"], "v", color="C2", ms=4, ls="none",
                    label=f"soft restart ({len(marks)})")
        bottom.axhline(trace["hp_beta_max"].iloc[0], color="0.5", lw=0.6, ls=":", label=r"$\beta_{\max}$")
        bottom.set_ylim(-0.05, 1.05)
        bottom.set_xlabel("step $t$")
        bottom.legend(loc="lower right", ncol=3)
    axes[0, 0].set_ylabel(r"$f(x_t) - f^\star$")
    axes[1, 0].set_ylabel(r"$\beta_t$")
    return fig


def variants_figure(frame: pd.DataFrame, config: Mapping):
    """AM Sec. 4.5's variants (``hp_variant``: am, clip, reset). Left: full-loss gap of each
    (median over seeds, min–max band); right: β_t (as given, e.g. a moving average), median
    over seeds. Returns the Figure."""
    from .api import curves, draw_bands

    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize(2, 0.34))
    draw_bands(left, curves(frame, y="gap", by=["hp_variant"]), by="hp_variant")
    left.set_yscale("log")
    left.set_ylabel(r"$f(x_t) - f^\star$ (full loss)")
    draw_bands(right, curves(frame, y="beta", by=["hp_variant"]), by="hp_variant", alpha=0.15)
    right.set_ylabel(rf"$\beta_t$ (moving average over {config['smooth']} steps)")
    seeds = frame["seed"].nunique()
    left.set_title(f"AM-MSGD variants on {config['problem']}, batch {config['batch_size']}, {seeds} seeds")
    right.set_title(r"$\beta_t$ used by each variant")
    for ax in (left, right):
        ax.set_xlabel("step $t$")
        ax.legend()
    return fig


def lambda_figure(summary: pd.DataFrame, config: Mapping):
    """The λ ablation (AM Sec. 4.6, Fig. 7a): against λ (log), the final loss and the fraction
    of updates at β_max, median over seeds with min–max bars, from a frame ``hp_lam, seed,
    final_loss, at_beta_max``. Returns the Figure."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=figsize(2, 0.3))
    stats = summary.groupby("hp_lam")[["final_loss", "at_beta_max"]].agg(["median", "min", "max"])
    lam = stats.index.to_numpy()
    for ax, col, label in ((axes[0], "final_loss", "final full loss $f(x_T)$"),
                           (axes[1], "at_beta_max", r"fraction of steps with $\beta_t = \beta_{\max}$")):
        med = stats[(col, "median")].to_numpy()
        err = np.vstack([med - stats[(col, "min")].to_numpy(), stats[(col, "max")].to_numpy() - med])
        ax.errorbar(lam, med, yerr=err, marker="o", capsize=2)
        ax.set_xscale("log")
        ax.set_xlabel(r"$\lambda$")
        ax.set_ylabel(label)
    axes[0].set_title(f"AM-MSGD on {config['problem']}, $\\beta_{{\\max}}$ = {config['beta_max']}, "
                      f"{summary['seed'].nunique()} seeds")
    return fig


def per_problem_figure(frame: pd.DataFrame, by: str = "method", y: str = "gap"):
    """One panel per problem: :func:`amtoolkit.plotting.plot_results` of that problem's rows."""
    from .api import plot_results

    plt = _pyplot()
    problems = list(dict.fromkeys(frame["problem"]))
    fig, axes = plt.subplots(1, len(problems), figsize=figsize(2, 0.4), squeeze=False)
    for ax, problem in zip(axes[0], problems):
        plot_results(frame[frame["problem"] == problem], y=y, by=by, ax=ax)
        ax.set_title(problem)
    return fig


def qp_validation_figure(checks: pd.DataFrame):
    """Closed-form β (AM Eq. 12 / Eq. 14) against the QP's β (Eq. 11 solved by cvxpy): left,
    per instance; right, histograms of the β and iterate errors (log10). Returns the Figure."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=figsize(2, 0.36))
    for form, rows in checks.groupby("form"):
        left.plot(rows["beta_qp"], rows["beta_closed"], "o", ms=2.5, alpha=0.7, label=f"{form} ({len(rows)})")
    left.plot([0, 1], [0, 1], color="0.5", lw=0.6, ls=":")
    left.set_xlabel(r"$\beta$ from the dual QP (cvxpy, Clarabel)")
    left.set_ylabel(r"closed-form $\beta$")
    left.set_title(f"{len(checks)} random steps, {int((checks['status'] == 'optimal').sum())} solved")
    left.legend()
    floor = 1e-17
    bins = np.linspace(-17, -4, 40)
    for col, label in (("beta_error", r"$\beta$ error"), ("x_error", r"$x_{t+1}$ rel. error")):
        values = np.log10(np.maximum(checks[col].to_numpy(dtype=float), floor))
        right.hist(values, bins=bins, alpha=0.6, label=f"{label}, max {checks[col].max():.1e}")
    right.set_xlabel(r"$\log_{10}$ error (values below $10^{-17}$ at $-17$)")
    right.set_ylabel("instances")
    right.legend()
    return fig
