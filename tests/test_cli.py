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
