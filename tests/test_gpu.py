"""The CuPy path: the same runs on GPU arrays give the NumPy numbers.

Skips without CuPy and a CUDA device; on the CPU the array-api-strict backend of the
other tests covers the same code paths.
"""

import numpy as np
import pytest

import amtoolkit as amt
from tests.optimizers.test_registry import CONFIGS

cp = pytest.importorskip("cupy", reason="CuPy is not installed (pip install -e '.[gpu]' on a CUDA machine)")
try:
    cp.cuda.runtime.getDeviceCount()
except Exception:  # pragma: no cover
    pytest.skip("no CUDA device", allow_module_level=True)


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_gpu_run_matches_numpy(name):
    q = amt.Quadratic.random(dim=30, cond=100, seed=0)
    X, y = amt.problems.make_logistic_data(200, 30, seed=1)
    p = amt.LogisticRegression(X, y, reg=1e-2)
    for problem in (q, p):
        opt = amt.optimizers.get(name, **CONFIGS[name][1])
        h_np = amt.run(opt, problem, 50, x0=np.full(30, 0.1))
        h_cp = amt.run(opt, problem, 50, x0=cp.full(30, 0.1))
        assert isinstance(h_cp.x, cp.ndarray)
        np.testing.assert_allclose(h_cp.frame.loss, h_np.frame.loss, rtol=1e-8, atol=1e-10)
