"""amt.grid (crossed) against single runs; --grid (crossed) and --set lists (paired)."""

import itertools

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit import optimizers as O


def test_grid_of_2_by_3_equals_6_single_runs():
    q = amt.Quadratic.random(dim=15, cond=50, seed=0)
    lrs, betas = [0.3, 0.9], [0.0, 0.5, 0.9]
    g = amt.grid(lr=lrs, beta=betas)
    assert {k: v.shape for k, v in g.items()} == {"lr": (6,), "beta": (6,)}
    h = amt.run(O.get("mgd", **g), q, steps=40)
    assert h.n_runs == 6
    for r, (lr, beta) in enumerate(itertools.product(lrs, betas)):  # first name varies slowest
        single = amt.run(O.mgd(lr=lr, beta=beta), q, steps=40).frame
        rows = h.frame[h.frame.run == r]
        assert rows.hp_lr.iloc[0] == lr and rows.hp_beta.iloc[0] == beta
        np.testing.assert_allclose(rows.loss, single.loss, rtol=1e-12, atol=1e-12)


def test_grid_with_relative_lr():
    q = amt.Quadratic.random(dim=5, cond=10, seed=0)
    h = amt.run(O.get("mgd", **amt.grid(lr=["1/L", "0.5/L"], beta=[0.0, 0.9])), q, steps=5)
    np.testing.assert_array_equal(h.final().hp_lr, np.array([1, 1, 0.5, 0.5]) / q.smoothness)


@pytest.mark.parametrize("axes, match", [
    ({}, "at least one"), ({"lr": []}, "non-empty list"), ({"lr": 0.1}, "non-empty list"),
    ({"offset": ["previous", "bundle"]}, "must hold numbers"), ({"beta": [0.1, float("nan")]}, "finite"),
    ({"lr": ["1/L", 0.5]}, "must hold numbers"), ({"lr": [[0.1, 0.2]]}, "non-empty list")])
def test_grid_bad_input(axes, match):
    with pytest.raises(ValueError, match=match):
        amt.grid(**axes)


def _runs(path):
    f = pd.read_csv(path)
    return sorted(map(tuple, f.groupby("run")[["hp_lr", "hp_beta"]].first().to_numpy().tolist()))


def test_cli_grid_is_crossed_and_set_is_paired(tmp_path, capsys):
    base = ["run", "--dim", "10", "--optimizer", "mgd", "--steps", "10", "--out"]
    assert cli.main(base + [str(tmp_path / "g.csv"), "--grid", "lr=0.1,0.5", "--grid", "beta=0,0.5,0.9"]) == 0
    assert _runs(tmp_path / "g.csv") == sorted(itertools.product([0.1, 0.5], [0.0, 0.5, 0.9]))
    assert cli.main(base + [str(tmp_path / "s.csv"), "--set", "lr=0.1,0.5", "--set", "beta=0,0.9"]) == 0
    assert _runs(tmp_path / "s.csv") == [(0.1, 0.0), (0.5, 0.9)]
    # --set scalars apply to every run of a grid
    assert cli.main(base + [str(tmp_path / "m.csv"), "--set", "beta=0.5", "--grid", "lr=0.1,0.5"]) == 0
    assert _runs(tmp_path / "m.csv") == [(0.1, 0.5), (0.5, 0.5)]


@pytest.mark.parametrize("extra, match", [
    (["--grid", "lr"], "NAME=V1,V2"), (["--grid", "lr=0.1", "--grid", "lr=0.2"], "twice"),
    (["--grid", "lr=0.1,0.2", "--set", "beta=0,0.5"], "cannot be combined"),
    (["--grid", "offset=previous,bundle"], "must hold numbers")])
def test_cli_grid_bad_input(extra, match, capsys):
    assert cli.main(["run", "--dim", "5", "--steps", "2"] + extra) == 2
    assert match in capsys.readouterr().err


def test_help_says_paired_and_crossed(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--grid" in out and "PAIRED" in out and "CROSSED" in out and "lr=1/L" in out
    # each optimizer's summary is complete (the docstring's first paragraph, not a cut line)
    from amtoolkit import optimizers

    for name in optimizers.available():
        summary = optimizers.signature_help(name)
        assert summary.endswith(".") and f"  {summary}\n" in out, name


def test_grid_is_itertools_product_and_an_oversized_grid_is_refused_up_front():
    """Issue 21, item 14: amt.grid with 1e8 points ran into a MemoryError (a list of tuples);
    now the arrays are built by index, and a grid whose arrays cannot fit is refused first."""
    import itertools

    axes = {"lr": [0.1, 0.2, 0.3], "beta": [0.0, 0.5], "lam": [0.0, 0.1, 1.0, 10.0]}
    g = amt.grid(**axes)
    rows = list(itertools.product(*axes.values()))
    for i, name in enumerate(axes):
        assert g[name].tolist() == [r[i] for r in rows]
    rel = amt.grid(lr=["1/L", "0.5/L"], beta=[0.0, 0.9])
    assert rel["lr"].tolist() == ["1/L", "1/L", "0.5/L", "0.5/L"]
    with pytest.raises(ValueError, match=r"grid: a grid of 10000000000000 configurations over 3 "
                                         r"hyperparameters would need .* GiB, more than this machine's"):
        amt.grid(a=list(range(100_000)), b=list(range(100_000)), c=list(range(1000)))
