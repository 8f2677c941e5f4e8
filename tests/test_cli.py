import subprocess
import sys

import pandas as pd
import pytest

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


def test_run_breast_cancer_adamw_tuple(capsys):
    assert cli.main(["run", "--problem", "breast_cancer", "--optimizer", "adamw", "--set", "lr=0.05",
                     "--set", "betas=0.9:0.99", "--steps", "20"]) == 0


def test_bad_optimizer_exit_code(capsys):
    assert cli.main(["run", "--optimizer", "nope", "--steps", "3"]) == 2
    assert "unknown optimizer name" in capsys.readouterr().err


def test_console_script_entry_point():
    res = subprocess.run([sys.executable, "-m", "amtoolkit.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "run" in res.stdout and "demo" in res.stdout
