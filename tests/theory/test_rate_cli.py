"""`amtoolkit rate`: the printed numbers against the library's closed forms."""

import math

import pytest

from amtoolkit.cli import main


def _numbers(out):
    return {line.split()[0]: float(line.split()[1 if line.split()[0] != "worst" else 2])
            for line in out.splitlines()[1:]}


def test_rate_heavy_ball_default_parameters_are_polyak(capsys):
    assert main(["rate", "--method", "heavy_ball", "--mu", "1", "--L", "100"]) == 0
    out = capsys.readouterr().out
    nums = _numbers(out)
    assert nums["classical"] == pytest.approx(9 / 11, abs=1e-6)
    assert nums["spectral"] == pytest.approx(9 / 11, abs=1e-6)
    assert "lr = 0.0330579, beta = 0.669421" in out  # 4/121 and (9/11)², 6 significant digits


def test_rate_with_given_parameters_and_pep(capsys):
    assert main(["rate", "--method", "gd", "--mu", "1", "--L", "10", "--lr", str(2 / 11), "--pep", "2"]) == 0
    nums = _numbers(capsys.readouterr().out)
    assert nums["classical"] == pytest.approx(9 / 11, abs=1e-6)
    assert nums["spectral"] == pytest.approx(9 / 11, abs=1e-6)
    assert nums["worst"] == pytest.approx(9 / 11, abs=1e-4)  # GD at 2/(L+μ) is tight on the class


def test_rate_nag_classical(capsys):
    assert main(["rate", "--method", "nag", "--mu", "1", "--L", "100", "--lr", "0.01",
                 "--beta", str(9 / 11)]) == 0
    nums = _numbers(capsys.readouterr().out)
    assert nums["classical"] == pytest.approx(0.9)
    assert nums["spectral"] == pytest.approx(1 - 1 / math.sqrt(100), abs=1e-6)


@pytest.mark.parametrize("argv, match", [
    (["--lr", "0.1"], "give both --lr and --beta"),
    (["--mu", "5"], "mu must be <= L"),
    (["--lr", "0.1", "--beta", "1.5"], "beta must lie in"),
    (["--lr", "0.1", "--beta", "0.5", "--pep", "40"], "n must be <= 30"),
])
def test_rate_bad_inputs(argv, match, capsys):
    base = {"--method": "heavy_ball", "--mu": "1", "--L": "4"}
    for i in range(0, len(argv), 2):
        base[argv[i]] = argv[i + 1]
    assert main(["rate"] + [x for kv in base.items() for x in kv]) == 2
    assert match in capsys.readouterr().err
