"""Theory figures, drawing only: each ``draw_*`` fills one axes from the numbers of
:mod:`amtoolkit.figures.theory_data` and returns it (:func:`amtoolkit.figures.build` writes
the files)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd


__all__ = ["draw_rate_vs_beta", "draw_rate_heatmap", "draw_theorem_3_3", "draw_lrp_cycle"]


def draw_rate_vs_beta(ax, frame: pd.DataFrame, title: str = ""):
    """``frame`` columns: ``beta``, ``spectral`` (a dense curve), and optionally ``pep`` and
    ``measured`` (markers, NaN where not computed)."""
    ax.plot(frame["beta"], frame["spectral"], "-", lw=1.8, label="spectral (exact, quadratic)")
    if "pep" in frame:
        rows = frame.dropna(subset=["pep"])
        ax.plot(rows["beta"], rows["pep"], "s--", ms=5, lw=1.0, label="PEPit worst case (class)")
    if "measured" in frame:
        rows = frame.dropna(subset=["measured"])
        ax.plot(rows["beta"], rows["measured"], "o", ms=5, mfc="none", label="measured (runs)")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel(r"momentum $\beta$")
    ax.set_ylabel(r"per-step rate of $\|x_t - x^\star\|$")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def draw_rate_heatmap(ax, lrs: np.ndarray, betas: np.ndarray, rates: np.ndarray,
                      marks: Mapping[str, tuple[float, float]] | None = None, title: str = ""):
    """``rates[i, j]`` at ``(lrs[i], betas[j])``, colours from the smallest rate to 1 (≥ 1,
    above the white line, does not converge); ``marks`` labels points (lr, beta)."""
    low = float(np.floor(np.min(rates) * 20) / 20)
    mesh = ax.pcolormesh(betas, lrs, np.clip(rates, low, 1.0), shading="auto", cmap="viridis", vmin=low, vmax=1,
                         rasterized=True)
    ax.contour(betas, lrs, rates, levels=[1.0], colors="white", linewidths=0.8)
    for label, (lr, beta) in (marks or {}).items():
        ax.plot(beta, lr, "r*", ms=12, label=label)
    ax.figure.colorbar(mesh, ax=ax, label="spectral rate (clipped at 1)")
    ax.set_xlabel(r"momentum $\beta$")
    ax.set_ylabel(r"step size $\eta$")
    ax.set_title(title, fontsize=10)
    if marks:
        ax.legend(fontsize=8, loc="upper left")
    return ax


def draw_theorem_3_3(ax, frame: pd.DataFrame, title: str = ""):
    """``frame`` from :func:`amtoolkit.theory.check_theorem_3_3`: bound and measured gap
    against T on log-log axes."""
    ax.loglog(frame["T"], frame["bound"], "s-",
              label=r"Thm 3.3 bound $(\frac{1}{2}\|x_0-x^\star\|^2+G^2)/\sqrt{T}$")
    ax.loglog(frame["T"], frame["measured_gap"], "o-", label=r"measured $E[f(\bar x_T)] - f^\star$")
    ax.set_xlabel("horizon $T$")
    ax.set_ylabel("optimality gap")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def draw_lrp_cycle(ax, traces: Mapping[str, np.ndarray], title: str = ""):
    """``traces``: label → iterates x_0, x_1, ... of a 1-D run."""
    for label, xs in traces.items():
        ax.plot(np.arange(len(xs)), xs, ".-", ms=3, lw=0.9, label=label)
    ax.axhline(0.0, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("$x_t$")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax
