import numpy as np

import amtoolkit as amt
from amtoolkit import cli
from amtoolkit.reproduce.demo import compare


def test_compare_rows_are_the_runs_they_name():
    """Each labelled curve is the run its label says: an independent single run agrees."""
    q = amt.Quadratic.random(dim=20, cond=100, seed=0)
    table, frame = compare(q, steps=300)
    lr = 1.0 / q.smoothness
    for label, beta in [("MGD β=0.5", 0.5), ("MGD β=0.99", 0.99)]:
        ref = amt.run(amt.optimizers.mgd(lr=lr, beta=beta), q, 300).frame.gap.to_numpy()
        np.testing.assert_allclose(frame[frame.label == label].gap.to_numpy(), ref, rtol=1e-9, atol=1e-12)
    best_label = [m for m in table.method if m.startswith("MGD best")][0]
    best = frame[frame.label == best_label]
    ref = amt.run(amt.optimizers.mgd(lr=lr, beta=float(best.beta.iloc[0])), q, 300).frame.gap.to_numpy()
    np.testing.assert_allclose(best.gap.to_numpy(), ref, rtol=1e-9, atol=1e-12)
    am = frame[frame.label == "AM-MGD β_max=0.9"]
    assert am.beta.iloc[1:-1].between(0, 0.9).all()
    paper = frame[frame.label == "AM-MGD β_max=1"]  # Algorithm 1's AM-MGD: the defaults
    ref = amt.run(amt.optimizers.am_mgd(lr=lr), q, 300).frame
    np.testing.assert_allclose(paper.gap.to_numpy(), ref.gap.to_numpy(), rtol=1e-9, atol=1e-12)
    row = table[table.method == "AM-MGD β_max=1"].iloc[0]
    beta = ref.beta.to_numpy()[1:-1]
    assert row.at_cap == f"{100 * np.mean(beta == 1.0):.1f}%"
    assert set(frame.label) == set(table.method)


def test_demo_command_writes_figure(tmp_path, capsys):
    assert cli.main(["demo", "--steps", "60", "--figures", str(tmp_path)]) == 0
    assert (tmp_path / "demo.png").stat().st_size > 10_000 and (tmp_path / "demo.pdf").is_file()
    out = capsys.readouterr().out
    assert "AM-MGD β_max=1" in out and "AM-MGD β_max=0.9" in out and "breast_cancer" in out


def test_demo_prints_the_fair_protocol_beside_the_paper_s():
    """Issue 20: the demo's second table, every method's step tuned on the same grid; each
    row is the fair protocol's best configuration, sorted by steps to a 1e-6 relative gap."""
    import numpy as np

    import amtoolkit as amt
    from amtoolkit.reproduce.demo import fair_table
    from amtoolkit.reproduce.fair import METHODS, fair_protocol

    q = amt.Quadratic.random(dim=20, cond=100, seed=0)
    table = fair_table(q, 300, n_grid=4)
    fair = fair_protocol(q, 300, 4)
    assert sorted(table.method) == sorted(METHODS)
    for row in table.itertuples():
        assert row.final_gap == f"{fair[row.method]['gap']:.3e}"
    steps = [np.inf if s == "never" else int(s) for s in table["steps_to_1e-6_rel_gap"]]
    assert steps == sorted(steps)
