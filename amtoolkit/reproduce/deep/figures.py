"""The ``dl_*`` figures of ``amtoolkit reproduce deep``, drawn from the protocols' tables."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


# ----------------------------------------------------------------------------- figures


def _save(fig, figures, name) -> str:
    import matplotlib.pyplot as plt

    path = Path(figures) / name
    fig.tight_layout()
    fig.savefig(f"{path}.png", dpi=90)
    fig.savefig(f"{path}.pdf")
    plt.close(fig)
    return os.fspath(path)


def _band(ax, frame, x, y, label, **kw):
    g = frame.groupby(x)[y]
    m = g.mean()
    line, = ax.plot(m.index, m.to_numpy(), label=label, **kw)
    ax.fill_between(m.index, g.min().to_numpy(), g.max().to_numpy(), alpha=0.2, color=line.get_color())


def _fig_am42(curves: dict, figures) -> str:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(curves), 3, figsize=(10, 2.8 * len(curves)), squeeze=False)
    for row, (dataset, frame) in zip(axes, curves.items()):
        for m, lab in (("msgd", "SGD(0.9, damp. 0.9)"), ("am-sgd", "AM-SGD")):
            f = frame[frame.method == m]
            _band(row[0], f, "step", "train_loss", lab)
            _band(row[1], f, "step", "test_acc", lab)
            if m == "am-sgd":
                _band(row[2], f, "step", "beta_mean", "mean β_t", color="C1")
                for col, ls in (("beta_min", ":"), ("beta_max", "--")):
                    g = f.groupby("step")[col].mean()
                    row[2].plot(g.index, g.to_numpy(), ls, color="C1", lw=0.8, label=col.replace("beta_", "β_t ") + " (interval)")
                row[2].legend(fontsize=6)
        row[0].set(title=f"{dataset}: train loss", xlabel="step", yscale="log")
        row[1].set(title="test accuracy", xlabel="step")
        row[2].set(title="AM β_t", xlabel="step", ylim=(0, 1))
        row[0].legend(fontsize=7)
    return _save(fig, figures, "dl_am42")


def _fig_am46(fl, fb, fr, lam_frame, figures) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(10, 2.8))
    ax[0].plot(fl["hp_lam"].to_numpy() + 1e-3, 100 * fl["test_acc"].to_numpy(), "o-", label="test acc %")
    cap = lam_frame.groupby("hp_lam")["beta_at_cap"].mean()
    ax0 = ax[0].twinx()
    ax0.plot(cap.index + 1e-3, cap.to_numpy(), "s--", color="C1", label="share at β_max")
    ax0.set_ylim(0, 1)
    ax[0].set(xscale="log", xlabel="λ (+1e-3)", title="λ: accuracy, share of β_t at cap")
    for m in ("msgd", "am-sgd"):
        g = fb[fb.method == m].sort_values("batch")
        ax[1].plot(g["batch"], 100 * g["test_acc"], "o-", label=m)
        g = fr[fr.method == m].sort_values("hp_lr")
        ax[2].plot(g["hp_lr"], 100 * g["test_acc"].fillna(0), "o-", label=m)
    ax[1].set(xscale="log", xlabel="batch", title="batch size (fixed lr)")
    ax[2].set(xscale="log", xlabel="lr", title="learning rate")
    for a, values in ((ax[1], sorted(fb["batch"].unique())), (ax[2], sorted(fr["hp_lr"].unique()))):
        a.set_xticks(values, [f"{v:g}" for v in values], fontsize=7)
        a.minorticks_off()
    ax[1].legend(fontsize=7)
    return _save(fig, figures, "dl_am46")


def _fig_am43(frame, f6, figures) -> str:
    import matplotlib.pyplot as plt

    lrs = sorted(frame["hp_lr"].unique())
    fig, ax = plt.subplots(1, len(lrs) + 1, figsize=(3.2 * (len(lrs) + 1), 2.8), squeeze=False)
    ax = ax[0]
    for a, lr in zip(ax, lrs):
        for (m, w), g in frame[frame.hp_lr == lr].groupby(["method", "warmup"]):
            _band(a, g, "step", "test_loss", f"{m}{' +warm-up' if w else ''}")
        a.set(title=f"lr {lr:g}", xlabel="step", ylabel="val. loss")
    ax[0].legend(fontsize=7)
    f6 = f6.copy()
    f6["name"] = f6["method"] + " " + f6.get("hp_variant", pd.Series(index=f6.index, dtype=object)).fillna("")
    for name, g in f6.groupby("name"):
        _band(ax[-1], g, "step", "test_loss", name.strip())
    ax[-1].set(title=f"Table 6 variants, lr {f6.hp_lr.iloc[0]:g}", xlabel="step")
    ax[-1].legend(fontsize=7)
    return _save(fig, figures, "dl_lm")


def _fig_rllc(frame, figures) -> str:
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(zip(frame.dataset, frame.model)))
    fig, ax = plt.subplots(1, len(tasks), figsize=(3.4 * len(tasks), 2.9), squeeze=False)
    for a, (d, m) in zip(ax[0], tasks):
        f = frame[(frame.dataset == d) & (frame.model == m)]
        for name, g in f.groupby("name", sort=False):
            _band(a, g, "step", "test_acc", name, lw=1)
        a.set(title=f"{d} {m.upper()}", xlabel="step", ylabel="test acc", ylim=(0.5, 1))
    ax[0][0].legend(fontsize=6)
    return _save(fig, figures, "dl_rllc")


def _fig_rllc_law(two, three, figures) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(8, 2.9))
    ax[0].plot(two["law_0"], two["law_1"], ".-", label="M(0.9)+M(0.0) law")
    for (x, y), lab in (((0, 1), "SGD"), ((1, 0), "momentum"), ((0.9, 1), "NAG")):
        ax[0].plot([x], [y], "k*")
        ax[0].annotate(lab, (x, y), fontsize=7)
    ax[0].set(xlabel="coefficient of M(0.9)", ylabel="coefficient of M(0.0)", title="Fig. 2 analogue")
    for i, lab in enumerate(("M(0.9)", "M(0.8)", "M(0.7)")):
        if f"law_{i}" in three:
            ax[1].plot(three["step"], three[f"law_{i}"], label=lab)
    ax[1].set(xlabel="step", title="Fig. 3 analogue: M(0.9)+M(0.8)+M(0.7)")
    ax[1].legend(fontsize=7)
    return _save(fig, figures, "dl_rllc_law")
