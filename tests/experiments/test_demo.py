import numpy as np

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit.experiments.demo import compare


def test_compare_best_fixed_beta_beats_the_listed_ones():
    q = amt.Quadratic.random(dim=20, cond=100, seed=0)
    table, frame = compare(q, steps=300)
    gaps = dict(zip(table.method, table.final_gap.astype(float)))
    best = [v for k, v in gaps.items() if k.startswith("MGD best")][0]
    assert best <= min(gaps["MGD β=0"], gaps["MGD β=0.5"], gaps["MGD β=0.9"]) * (1 + 1e-12)
    am = frame[frame.label == "AM-MGD β_max=0.9"]
    assert am.beta.iloc[1:-1].between(0, 0.9).all()
    assert set(frame.label) == set(table.method)


def test_demo_command_writes_figure(tmp_path, capsys):
    assert cli.main(["demo", "--steps", "60", "--figures", str(tmp_path)]) == 0
    assert (tmp_path / "demo.png").stat().st_size > 10_000 and (tmp_path / "demo.pdf").is_file()
    out = capsys.readouterr().out
    assert "AM-MGD β_max=0.9" in out and "breast_cancer" in out
