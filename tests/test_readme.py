"""The README's Python example runs as written and does what its comments say."""

from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_python() -> str:
    text = README.read_text()
    section = text[text.index("## In Python"):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_is_a_front_door():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    # the three set-up commands come first, before any other section
    head = text[:text.index("\n## ")]
    for command in ('pip install -e ".[dev]"', "amtoolkit demo", "python -m pytest"):
        assert command in head, command
    assert "AMTOOLKIT_DATA" in head and "CI=true" in head and "torch" in head
    assert "figures/demo.png" in text and (README.parent / "figures" / "demo.png").is_file()
    code = readme_python().strip().splitlines()
    assert 12 <= len(code) <= 20, len(code)


def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_breast_cancer

    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    try:
        exec(compile(readme_python(), str(README), "exec"), ns)
        q, mgd, am, h, table, ax = (ns[k] for k in ("q", "mgd", "am", "h", "table", "ax"))
        back, checks, p, s = ns["back"], ns["checks"], ns["p"], ns["s"]
        # ½xᵀAx + bᵀx with exact x_star and f_star
        np.testing.assert_allclose(q.A @ q.x_star + q.b, 0, atol=1e-8)
        assert abs(q.value(q.x_star) - q.f_star) <= 1e-10 * max(1.0, abs(q.f_star))
        # crossed: 2 × 2 = 4 configurations, one batched run of the 4
        assert mgd.n_runs == 4
        np.testing.assert_allclose(sorted(mgd.final().hp_lr), np.repeat([0.5, 1.0], 2) / q.smoothness)
        # 5 runs, ids 0-4
        assert h.n_runs == 5 and sorted(h.frame.run.unique()) == list(range(5))
        # the printed table; AM-MGD ends 5× below every fixed β
        assert "final_rel_gap" in capsys.readouterr().out
        assert {"label", "final_rel_gap", "steps_to_tol", "mean_beta", "status"} <= set(table.columns)
        gaps = table.set_index("run").final_rel_gap
        assert 5 * gaps.loc[4] < gaps.loc[[0, 1, 2, 3]].min(), gaps
        # one line per run, labelled
        labels = [line.get_label() for line in ax.get_lines()]
        assert len(labels) == 5 and any("am_mgd" in label for label in labels), labels
        # the long table + its metadata; the same table back, optimizer and x0 rebuilt
        assert (tmp_path / "results" / "am_mgd.csv.meta.json").is_file()
        assert back.frame.equals(am.frame) and back.optimizer is not None
        np.testing.assert_array_equal(np.asarray(back.x0), np.asarray(am.x0))
        # 4 replayed steps against cvxpy
        assert len(checks) == 4 and bool(checks.ok.all())
        # scikit-learn's 569 × 30 set
        data = load_breast_cancer()
        assert (p.n_samples, p.dim) == data.data.shape == (569, 30)
        assert s.n_runs == 3 and sorted(s.frame.seed.unique()) == [0, 1, 2]
    finally:
        plt.close("all")


def test_list_shows_builtin_problems_and_libsvm_datasets_with_n_and_d(capsys):
    from sklearn.datasets import load_breast_cancer

    from amtoolkit import cli
    from amtoolkit.datasets import registry

    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    n, d = load_breast_cancer().data.shape
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()}
    assert f"n={n} " in lines["breast_cancer"] and f"d={d} " in lines["breast_cancer"]
    assert "scikit-learn" in lines["breast_cancer"] and "quadratic" in lines and "synthetic" in lines
    for info in registry().values():
        assert f"n={info.n_samples} " in lines[info.name] and f"d={info.n_features} " in lines[info.name]
    assert "LIBSVM" in out
