import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt
from amtoolkit import cli, optimizers


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = capsys.readouterr().out
    for opt in ("--problem", "--optimizer", "--set", "--steps", "--batch-size", "--seed", "--dim",
                "--cond", "--reg", "--out"):
        assert opt in out
    for name in optimizers.available():  # every optimizer and its hyperparameters
        assert optimizers.signature_help(name).split(":")[0] in out


def test_run_quadratic_writes_table(tmp_path, capsys):
    out = tmp_path / "r.csv"
    code = cli.main(["run", "--problem", "quadratic", "--dim", "20", "--optimizer", "mgd",
                     "--set", "lr=1.0", "--set", "beta=0,0.5,0.9", "--steps", "50", "--out", str(out)])
    assert code == 0
    frame = pd.read_csv(out)
    assert sorted(frame.hp_beta.unique()) == [0.0, 0.5, 0.9]
    assert len(frame) == 3 * 51
    text = capsys.readouterr().out
    assert "mgd on quadratic" in text and "gap" in text


def test_run_breast_cancer_adamw_tuple(tmp_path, capsys):
    """``betas=0.9:0.99`` reaches adamw as the pair (0.9, 0.99): recorded as such, and the run
    equals a direct run with those betas (and differs from the default (0.9, 0.999))."""
    out = tmp_path / "r.csv"
    assert cli.main(["run", "--problem", "breast_cancer", "--optimizer", "adamw", "--set", "lr=0.05",
                     "--set", "betas=0.9:0.99", "--steps", "20", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert (frame.hp_betas_0 == 0.9).all() and (frame.hp_betas_1 == 0.99).all()
    p = amt.load_problem("breast_cancer", reg=1e-3)
    direct = amt.run(optimizers.adamw(lr=0.05, betas=(0.9, 0.99)), p, 20)
    np.testing.assert_allclose(frame.loss, direct.frame.loss, rtol=1e-12)
    default = amt.run(optimizers.adamw(lr=0.05), p, 20)
    assert np.max(np.abs(frame.loss - default.frame.loss)) > 1e-6


def test_bad_optimizer_exit_code(capsys):
    assert cli.main(["run", "--optimizer", "nope", "--steps", "3"]) == 2
    assert "unknown optimizer name" in capsys.readouterr().err


def test_console_script_entry_point():
    """The ``amtoolkit`` script that ``pip install`` put beside the interpreter runs ``list``."""
    script = Path(sys.executable).with_name("amtoolkit")
    assert script.is_file(), f"no installed console script at {script} (pip install -e .)"
    res = subprocess.run([str(script), "list"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert all(name in res.stdout for name in optimizers.available())
    assert "LIBSVM datasets" in res.stdout and "breast_cancer" in res.stdout


def test_record_every_keeps_the_same_rows_as_a_full_run(tmp_path):
    full, thin = tmp_path / "full.csv", tmp_path / "thin.csv"
    base = ["run", "--dim", "10", "--optimizer", "heavy_ball", "--set", "lr=0.5", "--steps", "40"]
    assert cli.main(base + ["--out", str(full)]) == 0
    assert cli.main(base + ["--record-every", "15", "--out", str(thin)]) == 0
    a, b = pd.read_csv(full), pd.read_csv(thin)
    assert list(b.step) == [0, 15, 30, 40]
    pd.testing.assert_series_equal(a.set_index("step").loss.loc[[0, 15, 30, 40]], b.set_index("step").loss)


def test_header_is_printed_before_the_run_and_meta_is_strict_json(tmp_path, capsys):
    import json

    out = tmp_path / "r.csv"
    assert cli.main(["run", "--problem", "breast_cancer", "--steps", "5", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("mgd on breast_cancer, 5 steps")
    meta = json.loads((tmp_path / "r.csv.meta.json").read_text(), parse_constant=lambda c: 1 / 0)
    assert meta["batch_size"] is None and meta["status"] == ["finished"]


def test_synthetic_problem_is_drawn_with_the_seed_as_in_a_sweep():
    from amtoolkit.sweeps.engine import build_problem as sweep_problem

    for seed in (0, 3):
        mine = cli.build_problem("synthetic", seed=seed)
        assert mine.f_star == sweep_problem({"name": "synthetic", "reg": 1e-3}, seed).f_star
    assert cli.build_problem("synthetic", seed=3).f_star != cli.build_problem("synthetic", seed=0).f_star


def test_run_out_that_cannot_be_written_keeps_the_rows(tmp_path, monkeypatch, capsys):
    """Issue 21, item 16: a write that fails after the output check lost the run. Now no half
    file is left, the rows go to a temporary file that the error names, and the exit code is 1."""
    import errno

    import pandas as pd

    real_to_csv = pd.DataFrame.to_csv
    target = tmp_path / "run.csv"

    def full_disk(self, path, *a, **k):
        if str(path).startswith(str(tmp_path)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_to_csv(self, path, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    assert cli.main(["run", "--dim", "5", "--steps", "7", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"could not write the history to {target}" in err and "No space left" in err
    assert not target.exists() and not list(tmp_path.iterdir())  # no half file, no temporary left
    rescue = err.split("were written to ")[1].split(" instead")[0]
    monkeypatch.undo()
    back = __import__("amtoolkit").load_history(rescue)
    assert len(back.frame) == 8 and back.frame.step.max() == 7
