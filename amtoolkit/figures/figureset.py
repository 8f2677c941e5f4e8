"""The figure set behind ``amtoolkit figures`` and ``amtoolkit reproduce convex``: a registry
of named figures, their runs cached as Parquet, and the drawing of each from its cached
table. :func:`build` is the only function that builds a paper figure.

Every figure's data goes through :func:`_results`, which stores the table under the
results folder keyed by a hash of the figure's configuration, so a second call with the
same configuration (and :data:`FORMAT`) only re-plots. The figures of the convex protocol
(``fig1_quadratic``, ``fig3_libsvm``) also read each problem's runs from the same folder,
where ``amtoolkit reproduce convex`` stores them (:func:`amtoolkit.reproduce.convex.convex_problem`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .. import memory, optimizers
from .._checks import check_out_path
from ..model import two_plane
from ..reproduce.convex import CONDITIONS, DEFAULT_STORE, FIG3_DATASETS, convex_problem, quadratic_problem
from ..runner.run import run

__all__ = ["FIGURES", "FiguresFailed", "build", "reproduction_configs", "restarts", "lambda_summary",
           "fig2_function"]

DEFAULT_RESULTS = DEFAULT_STORE  # one store: figure tables and the convex protocol's runs


class FiguresFailed(RuntimeError):
    """Some figures could not be computed; ``failed`` maps them to their errors and
    ``written`` holds the files of the others, which were drawn."""

    def __init__(self, failed: dict[str, BaseException], written: dict[str, list[Path]]):
        self.failed, self.written = failed, written
        super().__init__("figure(s) failed: " + "; ".join(f"{n}: {type(e).__name__}: {e}"
                                                         for n, e in failed.items()))


@dataclass(frozen=True)
class Figure:
    """A figure of the set: ``compute(config) -> DataFrame`` (its runs; with
    ``shares_runs``, ``compute(config, store)``, reading and writing per-problem runs in the
    results folder) and ``draw(frame, config) -> matplotlib Figure``."""

    name: str
    what: str
    paper: str
    config: Mapping[str, Any]
    compute: Callable[[dict], pd.DataFrame]
    draw: Callable[[pd.DataFrame, dict], Any]
    shares_runs: bool = False


# --------------------------------------------------------------------------- store
#: part of every stored table's key: bump it when a figure's computation changes, so that
#: tables of the old code are recomputed instead of re-plotted
FORMAT = 2


def _key(name: str, config: Mapping[str, Any]) -> str:
    text = json.dumps({"figure": name, "config": config, "format": FORMAT}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _store_path(name: str, config: Mapping[str, Any], results_dir) -> Path:
    return Path(results_dir) / f"{name}-{_key(name, config)}.parquet"


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns that Parquet cannot hold as they are (mixed types) become strings."""
    out = frame.reset_index(drop=True)
    for col in out.columns[out.dtypes == object]:
        kinds = {type(v) for v in out[col] if v is not None and not (isinstance(v, float) and np.isnan(v))}
        if len(kinds) > 1 and not all(issubclass(k, (int, float, np.number)) for k in kinds):
            out[col] = out[col].astype(str)
    return out


def _stored_table(name: str, config: Mapping[str, Any], path: Path) -> pd.DataFrame | None:
    """The stored table of figure ``name`` at ``path`` when it is one: readable, and its
    metadata names this figure, configuration and :data:`FORMAT`. A damaged or foreign file
    is set aside as ``<file>.damaged`` (with a warning) and ``None`` returned, so it is
    computed again instead of failing every later call."""
    from ..runner.history import _jsonable
    from ..sweeps.store import read_job_meta

    if not path.is_file():
        return None
    try:
        meta = read_job_meta(path)
        want = {"figure": name, "config": _jsonable(dict(config))}  # (FORMAT is in the file's name)
        got = {k: meta.get(k) for k in want}
        if got != want:
            raise ValueError(f"its metadata describes {got}, not {want}")
        return pd.read_parquet(path, engine="pyarrow")
    except Exception as err:  # noqa: BLE001 - any unreadable entry is set aside and recomputed
        aside = path.with_name(path.name + ".damaged")
        os.replace(path, aside)
        warnings.warn(f"figure store: {path} is not a table of figure {name!r} ({type(err).__name__}: {err}); "
                      f"moved to {aside.name} and computed again", RuntimeWarning, stacklevel=3)
        return None


def _results(name: str, config: Mapping[str, Any], results_dir: str | os.PathLike | None) -> pd.DataFrame:
    """The table of figure ``name`` for ``config``: read from ``<results_dir>/<name>-<hash>.parquet``
    when a valid one is there (see :func:`_stored_table`), else computed and written there by
    the sweep store's atomic writer (:func:`amtoolkit.sweeps.store.write_job`: temporary file,
    then ``os.replace``; the figure's name, configuration and :data:`FORMAT` go into the file's
    metadata). The table returned is the one read back from Parquet, so a first and a later
    call draw the same values; when the write fails (a full disk, a read-only folder) the
    computed table is returned and a warning says that it was not stored.
    ``results_dir=None`` computes without storing."""
    from ..sweeps.store import write_job

    spec = FIGURES[name]

    def compute():
        args = (copy.deepcopy(dict(config)),) + ((results_dir,) if spec.shares_runs else ())
        return _storable(spec.compute(*args))

    if results_dir is None:
        return compute()
    path = _store_path(name, config, results_dir)
    stored = _stored_table(name, config, path)
    if stored is not None:
        return stored
    frame = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_job(path.parent, path.stem, frame, {"figure": name, "config": dict(config), "state": "done"})
    except OSError as err:
        warnings.warn(f"figure store: the table of {name!r} could not be written to {path} ({err}); "
                      f"drawn from memory, not stored", RuntimeWarning, stacklevel=2)
        return frame
    return pd.read_parquet(path, engine="pyarrow")


def _problem(name: str, reg: float = 1e-3, dim: int = 100, cond: float = 1e3, seed: int = 0):
    """A figure's problem, through the sweeps' per-process cache of problems."""
    from ..sweeps.engine import build_problem

    params = {"name": name, "dim": dim, "cond": cond} if name == "quadratic" else {"name": name, "reg": reg}
    return build_problem(params, seed)


# --------------------------------------------------------------------------- Fig. 2
def fig2_function(x):
    """The 1-D convex function of the two-plane figure: ``f(x) = log cosh x`` and ``f'(x) = tanh x``
    (minimiser x* = 0, f* = 0)."""
    x = np.asarray(x, dtype=float)
    return np.log(np.cosh(x)), np.tanh(x)


def _plane(xs, x_t, value, slope):
    """The plane ``value + slope·(x - x_t)`` through :func:`two_plane.model_value` (both planes equal)."""
    return two_plane.model_value(xs, x_t, value, value, slope, slope)


def _compute_fig2(cfg: dict) -> pd.DataFrame:
    lr, lam = cfg["lr"], cfg["lam"]
    x_prev, x_t = np.array([cfg["x_prev"]]), np.array([cfg["x_t"]])
    xs, planes, proxes = (np.linspace(a, b, int(n))[:, None] for a, b, n in
                          (cfg["grid"], cfg["plane_grid"], cfg["prox_grid"]))
    f_xs, _ = fig2_function(xs[:, 0])
    (f_t,), g = fig2_function(x_t)
    (f_prev,), g_prev = fig2_function(x_prev)
    d = (x_prev - x_t) / lr  # d_t = (x_{t-1} - x_t)/η, Eq. 8
    offsets = {"over": f_prev,  # the paper's f̂(x_t) = f(x_{t-1})
               "under": f_prev + float(g_prev @ (x_t - x_prev))}  # the cut at x_{t-1}, at x_t: ≤ f(x_t)
    rows = [("curve", "f", xs[:, 0], f_xs, np.nan),
            ("curve", "gradient plane", planes[:, 0], _plane(planes, x_t, f_t, g), np.nan)]
    for side, f_hat in offsets.items():
        beta = float(two_plane.beta_star(f_t, f_hat, g, d, lr, lam, beta_max=1.0))  # Eq. 12
        x_next = two_plane.step(x_t, two_plane.direction(beta, g, d, lam), lr)      # Eq. 13
        prox = lambda x: two_plane.prox_objective(x, x_t, f_t, f_hat, g, d, lr, lam)  # noqa: E731 (Eq. 9)
        rows += [("curve", f"memory plane ({side})", planes[:, 0], _plane(planes, x_t, f_hat, d), np.nan),
                 ("curve", f"prox ({side})", proxes[:, 0], prox(proxes), np.nan),
                 ("point", f"x_{{t+1}} ({side})", x_next, fig2_function(x_next)[0], beta),
                 ("point", f"argmin ({side})", x_next, np.atleast_1d(prox(x_next)), beta)]
    rows += [("point", "x_{t-1}", x_prev, [f_prev], np.nan), ("point", "x_t", x_t, [f_t], np.nan),
             ("point", "x*", [0.0], [0.0], np.nan)]
    return pd.concat([pd.DataFrame({"kind": k, "name": n, "x": np.ravel(x), "y": np.ravel(y), "beta": b})
                      for k, n, x, y, b in rows], ignore_index=True)


def _draw_fig2(frame: pd.DataFrame, cfg: dict):
    from ..plotting.model import two_plane_figure

    return two_plane_figure(frame)


# --------------------------------------------------------------------------- β traces
def restarts(frame: pd.DataFrame, theta: float = 0.7) -> pd.DataFrame:
    """The soft restarts of each run (Sec. 4.5): the steps where β_t falls below ``theta``
    (the paper's reset threshold θ = 0.7) after a step at or above it. Returns their rows."""
    out = []
    for _, rows in frame.groupby(["method", "seed", "run"], sort=False):
        beta = rows["beta"].to_numpy()
        low = beta < theta
        out.append(rows[low & np.concatenate([[False], ~low[:-1] & np.isfinite(beta[:-1])])])
    return pd.concat(out)


def _compute_beta_traces(cfg: dict) -> pd.DataFrame:
    problem = _problem(cfg["problem"], cfg["reg"])
    lr = 1.0 / problem.smoothness
    mgd = run(optimizers.am_mgd(lr=lr, **cfg["am_mgd"]), problem, cfg["steps"])
    msgd = run(optimizers.am_msgd(lr=lr, **cfg["am_msgd"]), problem, cfg["steps"],
               batch_size=cfg["batch_size"], seed=cfg["seed"])
    return pd.concat([mgd.frame, msgd.frame], ignore_index=True)


def _draw_beta_traces(frame: pd.DataFrame, cfg: dict):
    from ..plotting.figures import beta_trace_figure

    return beta_trace_figure(frame, restarts(frame, cfg["restart_theta"]), cfg["problem"])


# --------------------------------------------------------------------------- Sec. 4.5 variants
def _compute_variants(cfg: dict) -> pd.DataFrame:
    problem = _problem(cfg["problem"], cfg["reg"])
    lr = 1.0 / problem.smoothness
    frames = [run(optimizers.am_msgd(lr=lr, lam=cfg["lam"], beta_max=cfg["beta_max"], variant=variant, **extra),
                  problem, cfg["steps"], batch_size=cfg["batch_size"], seed=seed).frame
              for variant, extra in cfg["variants"].items() for seed in cfg["seeds"]]
    return pd.concat(frames, ignore_index=True)


def _draw_variants(frame: pd.DataFrame, cfg: dict):
    from ..plotting.figures import variants_figure

    smooth = frame.assign(beta=frame.groupby(["hp_variant", "seed"])["beta"].transform(
        lambda b: b.rolling(cfg["smooth"], min_periods=1).mean()))
    return variants_figure(smooth, cfg)


# --------------------------------------------------------------------------- λ ablation
def _compute_lambda(cfg: dict) -> pd.DataFrame:
    problem = _problem(cfg["problem"], cfg["reg"])
    lr = 1.0 / problem.smoothness
    opt = optimizers.am_msgd(lr=lr, lam=np.asarray(cfg["lams"]), beta_max=cfg["beta_max"])
    return pd.concat([run(opt, problem, cfg["steps"], batch_size=cfg["batch_size"], seed=s).frame
                      for s in cfg["seeds"]], ignore_index=True)


def lambda_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (λ, seed): the final full loss and the fraction of updates with β_t = β_max."""
    rows = frame[frame["beta"].notna()]
    at_max = (rows["beta"] >= rows["hp_beta_max"] - 1e-12).groupby([rows["hp_lam"], rows["seed"]]).mean()
    final = frame[frame["full_loss"].notna()].groupby(["hp_lam", "seed"])["full_loss"].last()
    return pd.DataFrame({"final_loss": final, "at_beta_max": at_max}).reset_index()


def _draw_lambda(frame: pd.DataFrame, cfg: dict):
    from ..plotting.figures import lambda_figure

    return lambda_figure(lambda_summary(frame), cfg)


# --------------------------------------------------------------------------- RLLC
def _compute_rllc_memories(cfg: dict) -> pd.DataFrame:
    frames = []
    for text in cfg["memories"]:
        W = memory.impulse_response(memory.parse_memory(text), cfg["lags"])
        lag, unit = np.meshgrid(np.arange(W.shape[0]), np.arange(W.shape[1]), indexing="ij")
        frames.append(pd.DataFrame({"memory": text, "lag": lag.ravel(), "unit": unit.ravel(),
                                    "weight": W.ravel()}))
    return pd.concat(frames, ignore_index=True)


def _draw_rllc_memories(frame: pd.DataFrame, cfg: dict):
    from ..plotting.figures import impulse_response_figure

    responses = {m: rows.pivot(index="lag", columns="unit", values="weight").to_numpy()
                 for m, rows in frame.groupby("memory", sort=False)}
    return impulse_response_figure(responses, None)


def _compute_rllc(cfg: dict) -> pd.DataFrame:
    frames = []
    for key in ("quadratic", "libsvm"):
        problem = _problem(**cfg[key])
        lr = 1.0 / problem.smoothness
        runs = [("heavy ball β=0.9", optimizers.heavy_ball(lr=lr, beta=0.9)),
                ("NAG", optimizers.nag(lr=lr)), ("GD", optimizers.gd(lr=lr))]
        runs += [(f"RLLC {m}", optimizers.rllc(lr=lr, memory=m, law0=tuple(law0),
                                               c2=lr * np.asarray(cfg["c2_factors"])))
                 for m, law0 in cfg["memories"]]
        for label, opt in runs:
            frames.append(run(opt, problem, cfg["steps"]).frame.assign(label=label))
    return pd.concat(frames, ignore_index=True)


def _draw_rllc(frame: pd.DataFrame, cfg: dict):
    from ..plotting.figures import per_problem_figure

    return per_problem_figure(frame, by="label")


# --------------------------------------------------------------------------- QP validation
def _compute_qp(cfg: dict) -> pd.DataFrame:
    from ..validate import check_step

    rng = np.random.default_rng(cfg["seed"])
    rows = []
    for i in range(cfg["instances"]):
        n = int(rng.choice(cfg["dims"]))
        g, d = rng.normal(size=n), rng.normal(size=n)
        lr = float(10 ** rng.uniform(-2, 0))
        lam = float(rng.choice(cfg["lams"]))
        beta_max = float(rng.choice(cfg["beta_maxes"]))
        # offsets around the ones that put β* inside [0, β_max]: interior and clipped cases.
        f_hat = lr * float(rng.normal()) * float(np.linalg.norm(d - g)) ** 2
        form = "Eq. 14" if i % 3 == 2 else "Eq. 12"
        extra = dict(P=rng.uniform(0.2, 5.0, n), mu=float(rng.uniform(0, 1)), x_t=rng.normal(size=n)) \
            if form == "Eq. 14" else {}
        chk = check_step(0.0, f_hat, g, d, lr, lam, beta_max, **extra)
        rows.append(dict(form=form, dim=n, lr=lr, lam=lam, beta_max=beta_max, beta_closed=chk.beta_closed,
                         beta_qp=chk.beta_qp, beta_mult=chk.beta_mult, beta_error=chk.beta_error,
                         x_error=chk.x_error, duality_gap=chk.duality_gap, status=chk.status))
    return pd.DataFrame(rows)


def _draw_qp(frame: pd.DataFrame, cfg: dict):
    from ..plotting.figures import qp_validation_figure

    return qp_validation_figure(frame)


# --------------------------------------------------------------------------- fig1 / fig3
def _compute_fig1(config: dict, store=None) -> pd.DataFrame:
    """The curves of ``amtoolkit reproduce convex`` on Figure 1's quadratics (same protocol,
    same stored runs)."""
    return pd.concat([quadratic_problem(c, config["max_steps"], config["dim"], config["seed"], store=store)[1]
                      .assign(panel=f"κ = {c:.0e}") for c in config["conditions"]], ignore_index=True)


def _compute_fig3(config: dict, store=None) -> pd.DataFrame:
    """The curves of ``amtoolkit reproduce convex`` (Sec. 4.1 protocol) on the Figure 3 datasets."""
    return pd.concat([convex_problem(name, config["reg"], config["max_steps"], keep_curves=True, store=store)[1]
                      .assign(panel=f"{name}, reg={config['reg']:g}") for name in config["datasets"]],
                     ignore_index=True)


def reproduction_configs(datasets: Sequence[str], regs: Sequence[float], max_steps: int = 4000,
                         quadratic_steps: int = 20000) -> dict[str, dict]:
    """The configurations of ``fig3_libsvm`` and ``fig1_quadratic`` that draw what
    :func:`amtoolkit.reproduce.reproduce_convex` ran with these arguments: Figure 3's datasets
    among ``datasets`` (else the first four) at the first ``regs``, and Figure 1's quadratics."""
    names = list(datasets)
    shown = [n for n in FIG3_DATASETS if n in names] or names[:4]
    return {"fig3_libsvm": dict(datasets=shown, reg=float(regs[0]), max_steps=int(max_steps)),
            "fig1_quadratic": dict(conditions=list(CONDITIONS), max_steps=int(quadratic_steps), dim=100, seed=0)}


def _draw_reproduction(frame: pd.DataFrame, config: dict):
    from ..plotting.reproduction import paper_panels

    return paper_panels({panel: rows for panel, rows in frame.groupby("panel", sort=False)})


# --------------------------------------------------------------------------- theory (issue: docs/guide/theory.md)
def _compute_theory_rate_vs_beta(config: dict) -> pd.DataFrame:
    from .theory_data import rate_vs_beta_data

    return rate_vs_beta_data(config["lr"], n_pep=config["n_pep"])


def _compute_theory_heatmap(config: dict) -> pd.DataFrame:
    from .theory_data import heatmap_data

    lrs, betas, rates, (p_lr, p_beta) = heatmap_data(config["mu"], config["L"], config["size"])
    grid_lr, grid_beta = np.meshgrid(lrs, betas, indexing="ij")
    return pd.DataFrame({"lr": grid_lr.ravel(), "beta": grid_beta.ravel(), "rate": np.ravel(rates),
                         "polyak_lr": p_lr, "polyak_beta": p_beta})


def _compute_theory_thm33(config: dict) -> pd.DataFrame:
    from .theory_data import theorem_3_3_data

    return theorem_3_3_data(Ts=tuple(config["T"]), seeds=tuple(config["seeds"]))


def _compute_theory_lrp(config: dict) -> pd.DataFrame:
    from .theory_data import lrp_data

    return pd.concat([pd.DataFrame({"label": label, "step": np.arange(len(xs)), "x": xs})
                      for label, xs in lrp_data(config["steps"]).items()], ignore_index=True)


def _one_axes(draw, *args, figsize=(5.2, 3.8), **kwargs):
    from ..plotting.figures import _pyplot

    fig, ax = _pyplot().subplots(figsize=figsize)
    draw(ax, *args, **kwargs)
    return fig


def _draw_theory_rate_vs_beta(frame: pd.DataFrame, config: dict):
    from ..plotting.theory import draw_rate_vs_beta

    return _one_axes(draw_rate_vs_beta, frame, title=f"heavy ball, lr = 1/L, kappa = 25 (PEPit: n = {config['n_pep']})")


def _draw_theory_heatmap(frame: pd.DataFrame, config: dict):
    from ..plotting.theory import draw_rate_heatmap

    size = config["size"]
    lrs = frame["lr"].to_numpy().reshape(size, size)[:, 0]
    betas = frame["beta"].to_numpy().reshape(size, size)[0]
    p_lr, p_beta = float(frame["polyak_lr"].iloc[0]), float(frame["polyak_beta"].iloc[0])
    return _one_axes(draw_rate_heatmap, lrs, betas, frame["rate"].to_numpy().reshape(size, size),
                     marks={f"Polyak ({p_lr:.3g}, {p_beta:.3g})": (p_lr, p_beta)},
                     title=f"heavy ball: spectral rate, spectrum [{config['mu']:g}, {config['L']:g}]",
                     figsize=(5.6, 4.2))


def _draw_theory_thm33(frame: pd.DataFrame, config: dict):
    from ..plotting.theory import draw_theorem_3_3

    return _one_axes(draw_theorem_3_3, frame, title=f"AM-MSGD, breast_cancer: beta_max = 1/T, lr = 1/sqrt(T) "
                                                    f"({len(config['seeds'])} seeds)")


def _draw_theory_lrp(frame: pd.DataFrame, config: dict):
    from ..plotting.theory import draw_lrp_cycle

    traces = {label: rows["x"].to_numpy() for label, rows in frame.groupby("label", sort=False)}
    return _one_axes(draw_lrp_cycle, traces, title="Lessard-Recht-Packard function (kappa = 25), x_0 = 3.3")


#: names that stand for several figures in ``--only``
GROUPS = {"theory": ("theory_rate_vs_beta", "theory_heatmap", "theory_thm33", "theory_lrp")}


# --------------------------------------------------------------------------- registry
_LIBSVM = {"problem": "a9a", "reg": 1e-3}
FIGURES: dict[str, Figure] = {f.name: f for f in [
    Figure("fig1_quadratic", "quadratics (d = 100, κ ∈ {1e2, 1e3, 1e4}): fixed β (including the grid's β*) "
                             "against AM-MGD (β_max = 1)", "AM Fig. 1, Sec. 3.1",
           dict(conditions=[1e2, 1e3, 1e4], max_steps=20000, dim=100, seed=0), _compute_fig1, _draw_reproduction,
           shares_runs=True),
    Figure("fig2", "the two-plane model on f(x) = log cosh x: gradient plane, over- and underestimating "
                   "memory planes, the proximal objectives and where each step lands", "AM Fig. 2, Sec. 3.2",
           dict(x_prev=3.9, x_t=1.8, lr=1.0, lam=0.0, grid=[-2.0, 4.3, 631], plane_grid=[-0.4, 4.3, 471],
                prox_grid=[-1.5, 3.0, 451]), _compute_fig2, _draw_fig2),
    Figure("fig3_libsvm", "LIBSVM logistic regression (reg 1e-3): GD, MGD 0.9, MGD β* and AM-MGD (β_max = 1)",
           "AM Fig. 3, Sec. 4.1", dict(datasets=["a1a", "w1a", "mushrooms", "phishing"], reg=1e-3, max_steps=4000),
           _compute_fig3, _draw_reproduction, shares_runs=True),
    Figure("beta_traces", "β_t of AM-MGD (full gradient) and AM-MSGD (batch 64) on a9a, soft restarts (β_t falling "
                          "below θ = 0.7) marked",
           "AM Sec. 4.5", dict(_LIBSVM, steps=500, seed=0, batch_size=64, restart_theta=0.7,
                              am_mgd=dict(lam=0.0, beta_max=0.99), am_msgd=dict(lam=0.1, beta_max=0.9)),
           _compute_beta_traces, _draw_beta_traces),
    Figure("variants", "AM, clip (β_min = 0.5) and reset (θ = 0.7) variants of minibatch AM-MSGD on a9a, "
                       "3 seeds", "AM Sec. 4.5, Fig. 6",
           dict(_LIBSVM, steps=600, batch_size=64, seeds=[0, 1, 2], lam=0.1, beta_max=0.9, smooth=25,
                variants={"am": {}, "clip": {"beta_min": 0.5}, "reset": {"theta": 0.7}}),
           _compute_variants, _draw_variants),
    Figure("lambda", "λ ablation of AM-MSGD on a9a: final loss and fraction of steps at β_max, 3 seeds",
           "AM Sec. 4.6, Fig. 7a", dict(_LIBSVM, steps=600, batch_size=64, seeds=[0, 1, 2], beta_max=0.9,
                                       lams=np.geomspace(0.01, 1.0, 7).round(4).tolist()),
           _compute_lambda, _draw_lambda),
    Figure("rllc_memories", "impulse responses (weight of g_{t-j} per unit) of four RLLC memories",
           "RLLC (arXiv:2402.15262): linear memories",
           dict(lags=40, memories=["M(0.9)+M(0.0)", "M(0.9)+M(0.8)+M(0.7)", "J(0.9,2)", "C(0.9,0.3)"]),
           _compute_rllc_memories, _draw_rllc_memories),
    Figure("rllc", "RLLC (best c2 per memory) against heavy ball, NAG and GD at η = 1/L on a quadratic and on a9a",
           "RLLC: against the classical optimizers",
           dict(steps=400, c2_factors=[0.0, 0.01, 0.1], quadratic=dict(name="quadratic", dim=100, cond=1e3, seed=0),
                libsvm=dict(name="a9a", reg=1e-3),
                memories=[["M(0.9)+M(0.0)", [1.0, 0.0]], ["J(0.9,2)", [1.0, 0.0]], ["C(0.9,0.3)", [1.0, 0.0]]]),
           _compute_rllc, _draw_rllc),
    Figure("qp_validation", "closed-form β (Eq. 12 and Eq. 14) against the cvxpy/Clarabel QP β over 300 "
                            "random steps, with the error distribution", "AM Eq. 11-14",
           dict(instances=300, seed=0, dims=[1, 2, 5, 20], lams=[0.0, 0.1, 1.0], beta_maxes=[1.0, 0.9]),
           _compute_qp, _draw_qp),
    Figure("theory_rate_vs_beta", "heavy ball at lr = 1/L (κ = 25): spectral rate, PEPit worst case and measured "
                                  "rate against β", "docs/guide/theory.md", dict(lr=1.0 / 25.0, n_pep=10),
           _compute_theory_rate_vs_beta, _draw_theory_rate_vs_beta),
    Figure("theory_heatmap", "spectral rate of heavy ball over (lr, β), Polyak's optimum marked", "docs/guide/theory.md",
           dict(mu=1.0, L=100.0, size=200), _compute_theory_heatmap, _draw_theory_heatmap),
    Figure("theory_thm33", "AM Thm 3.3: the bound against the measured gap of AM-MSGD over T (breast_cancer)",
           "AM Thm 3.3", dict(T=[100, 316, 1000, 3162, 10000], seeds=[0, 1]), _compute_theory_thm33,
           _draw_theory_thm33),
    Figure("theory_lrp", "the Lessard-Recht-Packard cycle: heavy ball at Polyak's parameters against the "
                         "globally convergent heavy ball", "Lessard, Recht, Packard (arXiv:1408.3595)",
           dict(steps=60), _compute_theory_lrp, _draw_theory_lrp),
]}


def build(names: Sequence[str] | None = None, out: str | os.PathLike = "figures",
          results: str | os.PathLike | None = DEFAULT_RESULTS,
          configs: Mapping[str, Mapping[str, Any]] | None = None,
          log: Callable[[str], Any] | None = print) -> dict[str, list[Path]]:
    """Write ``<out>/<name>.pdf`` and ``.png`` for each figure in ``names``: the one builder of every paper figure.

    Parameters
    ----------
    names : list of str, optional
        Figure names of :data:`FIGURES` or group names (``"theory"``); default all.
    out : str or os.PathLike, default "figures"
        The folder of the figure files.
    results : str, os.PathLike or None, default "results/figures"
        The store of the figures' tables (one Parquet file per figure and configuration)
        and of the convex protocol's runs, shared with ``amtoolkit reproduce convex``;
        ``None`` computes without storing.
    configs : dict, optional
        Replaces the configuration of the named figures (e.g. smaller runs; the same keys as
        the figure's own).
    log : callable or None, default print
        Receives one line per figure.

    Returns
    -------
    dict of str to list of pathlib.Path
        The files written per figure (PDF, PNG).

    Raises
    ------
    TypeError, ValueError
        A string for ``names``, an unknown figure, or a configuration with other keys
        (before anything is computed).
    FiguresFailed
        One or more figures could not be computed; the others were drawn, and the
        exception lists both.
    KeyboardInterrupt
        Ctrl-C during a run; nothing of the cut figure is stored or drawn.
    """
    if isinstance(names, (str, bytes)):
        raise TypeError(f"names must be a list of figure or group names, got the string {names!r}")
    names = list(FIGURES) if names is None else [m for n in names for m in GROUPS.get(n, (n,))]
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {', '.join(map(repr, unknown))}; the figures are "
                         f"{', '.join(FIGURES)}")
    configs = dict(configs or {})
    bad = [n for n in configs if n not in FIGURES]
    if bad:
        raise ValueError(f"configs names figures without a configuration: {', '.join(map(repr, bad))}")
    for n, cfg in configs.items():
        if set(cfg) != set(FIGURES[n].config):
            raise ValueError(f"configs[{n!r}] must have the keys of the figure's configuration "
                             f"({', '.join(sorted(FIGURES[n].config))}), got {', '.join(sorted(cfg))}")
    out = check_out_path("out", out, folder=True)
    if results is not None:
        check_out_path("results", results, folder=True)
    written: dict[str, list[Path]] = {}
    tasks = []  # (name, frame, config, seconds so far, stored): drawn after every table is there
    failed: dict[str, BaseException] = {}
    for name in names:
        t0 = time.perf_counter()
        config = dict(configs.get(name, FIGURES[name].config))
        stored = results is not None and _store_path(name, config, results).is_file()
        try:
            frame = _results(name, config, results)
        except Exception as err:  # noqa: BLE001 - one figure's failure does not cost the others
            failed[name] = err
            if log:
                log(f"{name}: failed ({type(err).__name__}: {err})")
            continue
        tasks.append((name, frame, config, time.perf_counter() - t0, stored))
    # Drawing is matplotlib's text layout and two file writes per figure: with several
    # figures, two processes draw them (on 2 cores a re-plot takes about half the time).
    args = [(name, frame, config, out / name) for name, frame, config, _, _ in tasks]
    if len(args) > 2 and (os.cpu_count() or 1) > 1:
        from joblib import Parallel, delayed

        drawn = Parallel(n_jobs=2)(delayed(_draw)(*a) for a in args)
    else:
        drawn = [_draw(*a) for a in args]
    for (name, _, _, seconds, stored), (png, draw_seconds) in zip(tasks, drawn):
        written[name] = [png.with_suffix(".pdf"), png]
        if log:
            log(f"{name}: {', '.join(map(str, written[name]))} ({seconds + draw_seconds:.1f} s, "
                f"{'from the store' if stored else 'computed'})")
    if failed:
        raise FiguresFailed(failed, written)
    return written


def _draw(name: str, frame: pd.DataFrame, config: dict, stem: Path) -> tuple[Path, float]:
    """Draw figure ``name`` and write it (the one writer, :func:`amtoolkit.plotting.figures._save`)."""
    from ..plotting.figures import _save

    t0 = time.perf_counter()
    source = f"amtoolkit figures --only {name} (config {_key(name, config)})"
    png = _save(FIGURES[name].draw(frame, config), stem, source=source)
    return png, time.perf_counter() - t0
