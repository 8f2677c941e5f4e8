"""The torch RLLC equals the NumPy rllc (pinv="gram") on one gradient stream in float64 to
1e-12 for θ and the learning law at every step, and follows torch.optim's conventions."""

import copy
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from amtoolkit.torch import RLLC  # noqa: E402
from amtoolkit.torch.testing import replay  # noqa: E402

SHAPES = [(3, 2), (4,), (2, 2)]


@pytest.mark.parametrize("memory", ["M(0.9)+M(0.0)", "J(0.9,2)", "C(0.9,0.3)"])
@pytest.mark.parametrize("scope", ["global", "tensor"])
def test_rllc_equals_numpy_with_correction(memory, scope):
    r = replay("rllc", SHAPES, steps=20, lr=0.05, memory=memory, c2=0.05, beta_scope=scope)
    r.check(1e-12)
    law = r.beta_numpy.reshape(20, -1)
    assert np.max(np.abs(law[-1] - law[0])) > 1e-2  # c2 > 0 moved the law


def test_rllc_options_equal_numpy():
    replay("rllc", SHAPES, steps=15, lr=0.05, memory="J(0.9,2)", c2=0.05, skip_until_full_rank=True).check(1e-12)
    replay("rllc", SHAPES, steps=15, lr=0.05, memory="C(0.9,0.3)", c2=0.05, pinv="ridge", ridge=1e-3).check(1e-12)
    replay("rllc", SHAPES, steps=15, lr=0.05, memory="M(0.9)+M(0.0)", c2=0.02, law0=[0.5, 1.0],
           beta_scope="group", groups=[[0], [1, 2]]).check(1e-12)


def test_fixed_law_is_torch_sgd_momentum():
    """c2 = 0, memory M(μ)+M(0), law (1, 0): torch.optim.SGD(momentum=μ) (the heavy ball of the module)."""
    torch.manual_seed(0)
    x0 = torch.randn(5)
    a, b = torch.nn.Parameter(x0.clone()), torch.nn.Parameter(x0.clone())
    oa = RLLC([a], lr=0.1, memory="M(0.8)+M(0.0)", law0=[1.0, 0.0])
    ob = torch.optim.SGD([b], lr=0.1, momentum=0.8)
    for _ in range(10):
        for p, o in ((a, oa), (b, ob)):
            p.grad = torch.sin(3 * p.detach()) + p.detach()
            o.step()
    torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_rllc_resume_is_bitwise_and_law_history_on_device():
    def run(opt, m, steps, start=0):
        X = torch.linspace(-1, 1, 40).reshape(8, 5)
        for t in range(start, start + steps):
            opt.zero_grad()
            (m(X + 0.01 * t) ** 2).mean().backward()
            opt.step()

    def make():
        torch.manual_seed(0)
        m = torch.nn.Linear(5, 3)
        return m, RLLC(m.parameters(), lr=0.05, memory="J(0.9,2)", c2=0.05)

    m0, o0 = make()
    run(o0, m0, 12)
    m1, o1 = make()
    run(o1, m1, 6)
    buf = io.BytesIO()
    torch.save(o1.state_dict(), buf)
    buf.seek(0)
    m2 = copy.deepcopy(m1)
    o2 = RLLC(m2.parameters(), lr=0.05, memory="J(0.9,2)", c2=0.05)
    o2.load_state_dict(torch.load(buf, weights_only=False))
    run(o2, m2, 6, start=6)
    for p, q in zip(m0.parameters(), m2.parameters()):
        assert torch.equal(p, q)
    hist = o0.law_history()
    assert hist.shape == (12, 1, 2) and hist.device == m0.weight.device
    assert torch.equal(hist[0, 0], torch.tensor([1.0, 0.0]))
    assert o0.state[m0.weight]["memory"].shape == (2, 3, 5)


@pytest.mark.parametrize("kw,name", [({"lr": 0.0}, "lr"), ({"c2": -1.0}, "c2"), ({"memory": "J(1.2,2)"}, "allow_unstable"),
                                     ({"pinv": "svd"}, "pinv"), ({"pinv": "ridge"}, "ridge"), ({"ridge": 0.1}, "ridge"),
                                     ({"law0": [1.0]}, "law0"), ({"law_scope": "unit"}, "law_scope"),
                                     ({"rcond": 0.0}, "rcond"), ({"reduce": 1}, "reduce")])
def test_rllc_refused_inputs_name_the_parameter(kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        RLLC([torch.nn.Parameter(torch.zeros(3))], **kw)
