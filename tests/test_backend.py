import numpy as np
import pytest

from amtoolkit import backend


def test_namespace_of_numpy_is_numpy_itself():
    assert backend.namespace(np.ones(2)) is np
    assert backend.namespace(np.ones(2), 1.0, None) is np
    assert backend.namespace() is not None


def test_strict_round_trip_keeps_dtype_and_device():
    xps = pytest.importorskip("array_api_strict", reason="array-api-strict is not installed")
    like = xps.asarray(np.zeros(3, dtype=np.float32))
    assert backend.namespace(like) is xps
    a = backend.asarray_like(np.array([1.5, 2.5]), like)
    assert a.dtype == xps.float32 and a.device == like.device
    np.testing.assert_array_equal(backend.to_numpy(a), [1.5, 2.5])
    with pytest.raises(TypeError):
        backend.namespace(np.ones(2), like)  # mixing namespaces is refused

