"""The README's "Using it" example runs as written."""

from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def _using_it_code() -> str:
    text = README.read_text()
    section = text[text.index("## Using it"):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_using_it_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(_using_it_code(), str(README), "exec"), ns)
    h, s, back, both, q = ns["h"], ns["s"], ns["back"], ns["both"], ns["q"]
    # what the comments promise
    assert h.n_runs == 6 and np.shape(h.x) == (6, 50)
    np.testing.assert_array_equal(h.final().hp_lr, np.repeat([1.0, 0.5], 3) / q.smoothness)
    assert "steps_to_tol" in capsys.readouterr().out
    assert s.n_runs == 3 and sorted(s.frame.seed.unique()) == [0, 1, 2]
    assert back.optimizer is not None and back.frame.equals(s.frame)
    assert both.n_runs == 9 and sorted(both.frame.run.unique()) == list(range(9))
    assert ns["res"].x.shape == (50,)
