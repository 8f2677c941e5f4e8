"""Ctrl-C on the command line: exit code 130, status ``interrupted``, every row written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import amtoolkit as amt


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_writes_the_rows_and_exits_130(tmp_path):
    out = tmp_path / "run.csv"
    env = {**os.environ, "PYTHONPATH": str(Path(amt.__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "amtoolkit", "run", "--dim", "20", "--optimizer", "gd",
                             "--set", "lr=0.1", "--steps", "100000000", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        header = proc.stdout.readline()  # printed once the input is checked, just before the loop
        assert "gd on quadratic" in header
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    frame = pd.read_csv(out)
    assert len(frame) > 1 and set(frame.status) == {"interrupted"}
    assert list(frame.step) == list(range(len(frame)))
    meta = json.loads(out.with_name(out.name + ".meta.json").read_text())
    assert meta["status"] == ["interrupted"]
    # the rows are gd's: f(x_t) of x_{t+1} = x_t - 0.1 ∇f(x_t) from x_0 = 0 on the same quadratic
    q = amt.Quadratic.random(dim=20, cond=1e3, seed=0)
    x = np.zeros(20)
    for t in range(min(len(frame), 50)):
        assert frame.loss[t] == pytest.approx(float(q.value(x)), rel=1e-12, abs=1e-12)
        x = x - 0.1 * q.grad(x)
