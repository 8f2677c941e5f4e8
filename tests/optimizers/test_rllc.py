import numpy as np
import pytest

import amtoolkit as amt
from amtoolkit import memory as mm
from amtoolkit import optimizers as O
from amtoolkit.optimizers.rllc import memory_lstsq
from tests.conftest import to_np

QUAD = amt.Quadratic.random(dim=12, cond=100, seed=1)


def _logistic():
    X, y = amt.problems.make_logistic_data(100, 8, seed=0)
    return amt.LogisticRegression(X, y, reg=1e-2)


@pytest.mark.parametrize("problem", [QUAD, _logistic()], ids=["quadratic", "logistic"])
@pytest.mark.parametrize("mu", [0.5, 0.9])
def test_c2_zero_reproduces_the_baselines(problem, mu, xp):
    x0 = xp.asarray(np.full(problem.dim, 0.3))
    cases = [((0.0, 1.0), O.gd(lr=0.4)),
             ((1.0, 0.0), O.sgd(lr=0.4, momentum=mu)),
             ((mu, 1.0), O.sgd(lr=0.4, momentum=mu, nesterov=True))]
    for law, ref in cases:
        h = amt.run(O.rllc(lr=0.4, memory=mm.momentum(mu) + mm.momentum(0.0), law0=law, c2=0.0), problem, 100, x0=x0)
        r = amt.run(ref, problem, 100, x0=x0)
        np.testing.assert_allclose(h.frame.loss, r.frame.loss, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(to_np(h.x), to_np(r.x), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h.frame[["law_0", "law_1"]].iloc[:-1], np.tile(law, (100, 1)))


def _trajectory(memory, law0, Q=None, skip=True, steps=60, c2=0.05, pinv="svd"):
    if Q is not None:
        memory, law0 = mm.change_basis(memory, Q), np.linalg.solve(Q, law0)
    kw = {} if pinv is None else {"pinv": pinv}
    opt = O.rllc(lr=0.3, memory=memory, law0=law0, c2=c2, skip_until_full_rank=skip, **kw)
    return amt.run(opt, QUAD, steps, x0=np.full(12, 0.5))


MEM = mm.parse_memory("M(0.9)+M(0.5)+M(0.0)")
LAW0 = np.array([0.5, 0.3, 1.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_invariance_after_full_rank(seed):
    """RLLC Lemma 3.8: U^Q gives the same θ trajectory while M has full column rank."""
    Q = np.random.default_rng(seed).standard_normal((3, 3)) + 2 * np.eye(3)
    ref, moved = _trajectory(MEM, LAW0), _trajectory(MEM, LAW0, Q)
    assert ref.frame.correction.iloc[5:-1].gt(0).all()  # corrections do happen
    np.testing.assert_allclose(moved.frame.loss, ref.frame.loss, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(moved.x, ref.x, rtol=1e-9, atol=1e-9)


def test_linear_invariance_orthogonal_from_step_zero():
    Q, _ = np.linalg.qr(np.random.default_rng(5).standard_normal((3, 3)))
    ref, moved = _trajectory(MEM, LAW0, skip=False), _trajectory(MEM, LAW0, Q, skip=False)
    np.testing.assert_allclose(moved.frame.loss, ref.frame.loss, rtol=1e-9, atol=1e-9)


def test_invariance_fails_for_non_orthogonal_q_on_a_rank_deficient_start():
    """The lemma's arbitrary Q needs full column rank: (MQ)⁺ ≠ Q⁻¹M⁺ when M is rank deficient."""
    Q = np.random.default_rng(0).standard_normal((3, 3)) + 2 * np.eye(3)
    ref, moved = _trajectory(MEM, LAW0, skip=False), _trajectory(MEM, LAW0, Q, skip=False)
    assert np.max(np.abs(moved.frame.loss.to_numpy() - ref.frame.loss.to_numpy())) > 1e-6


def test_real_jordan_form_gives_the_same_trajectory():
    rng = np.random.default_rng(3)
    P = rng.standard_normal((3, 3))
    mem = mm.LinearMemory(P @ (mm.jordan(0.8, 2) + mm.momentum(0.3)).A @ np.linalg.inv(P), rng.standard_normal(3))
    canon, Q = mm.real_jordan_form(mem)
    ref = _trajectory(mem, LAW0)
    moved = amt.run(O.rllc(lr=0.3, memory=canon, law0=np.linalg.solve(Q, LAW0), c2=0.05, pinv="svd",
                           skip_until_full_rank=True), QUAD, 60, x0=np.full(12, 0.5))
    np.testing.assert_allclose(moved.frame.loss, ref.frame.loss, rtol=1e-8, atol=1e-8)


def test_memory_lstsq_full_rank_matches_lstsq_and_cvxpy(xp):
    import cvxpy as cp

    rng = np.random.default_rng(0)
    for method in ("gram", "svd"):
        M = rng.standard_normal((20, 4))
        g = rng.standard_normal(20)
        z, full = memory_lstsq(xp.asarray(M), xp.asarray(g), method)
        ref = np.linalg.lstsq(M, g, rcond=None)[0]
        var = cp.Variable(4)
        cp.Problem(cp.Minimize(cp.sum_squares(M @ var - g))).solve(
            solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        assert bool(full)
        np.testing.assert_allclose(to_np(z), ref, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(to_np(z), var.value, rtol=1e-8, atol=1e-10)


def test_memory_lstsq_batched():
    rng = np.random.default_rng(1)
    M, g = rng.standard_normal((3, 10, 2)), rng.standard_normal((3, 10))
    z, _ = memory_lstsq(M, g)
    for k in range(3):
        np.testing.assert_allclose(z[k], np.linalg.lstsq(M[k], g[k], rcond=None)[0], rtol=1e-10)


def test_memory_lstsq_rank_deficient_stays_bounded():
    rng = np.random.default_rng(2)
    m = rng.standard_normal(30)
    M = np.column_stack([m, m + 1e-11 * rng.standard_normal(30)])  # two nearly equal units
    g = rng.standard_normal(30)
    raw = np.linalg.pinv(M) @ g
    assert np.max(np.abs(raw)) > 1e6  # numpy's 1e-15 cutoff keeps the noise direction
    for method in ("gram", "svd"):
        z, full = memory_lstsq(M, g, method)
        assert not bool(full) and np.all(np.isfinite(z))
        assert np.linalg.norm(z) <= 2 * np.linalg.norm(g) / np.linalg.norm(m)
    z, _ = memory_lstsq(M, g, "gram", ridge=1e-3)
    assert np.linalg.norm(z) <= 2 * np.linalg.norm(g) / np.linalg.norm(m)


def test_skip_until_full_rank_skips():
    opt = O.rllc(lr=0.1, memory="M(0.9)+M(0.5)+M(0.0)", c2=0.1, skip_until_full_rank=True)
    h = amt.run(opt, QUAD, 6)
    assert (h.frame.correction.iloc[:3] == 0).all() and h.frame.correction.iloc[3] > 0


BAD = [
    (lambda: O.rllc(memory=mm.LinearMemory(np.ones((2, 3)), np.ones(2))), ValueError, "A must be a non-empty square"),
    (lambda: O.rllc(memory=mm.LinearMemory(np.eye(2), np.ones(3))), ValueError, r"b must have shape \(2,\)"),
    (lambda: O.rllc(c2=-0.1), ValueError, r"c2 must lie in \[0.0, inf\)"),
    (lambda: O.rllc(law0=[1.0, 0.0, 0.0]), ValueError, r"law0 must have shape \(2,\)"),
    (lambda: O.rllc(memory="M(0.9)+X(1)"), ValueError, "cannot parse"),
    (lambda: amt.run(O.rllc(memory="M(0.9)+M(0.5)+M(0.0)"), amt.Quadratic(np.eye(2), np.ones(2)), 3),
     ValueError, "k=3 units but the iterate has d=2"),
    (lambda: O.rllc(pinv="qr"), ValueError, "pinv must be one of"),
    (lambda: O.rllc(pinv="ridge"), ValueError, "pinv='ridge' needs ridge > 0"),
    (lambda: O.rllc(rcond=0.0), ValueError, "rcond must lie in"),
]


@pytest.mark.parametrize("fn, exc, pattern", BAD)
def test_bad_input(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


def test_linear_invariance_gram_path_to_its_accuracy():
    """The default Gram pseudo-inverse squares cond(M): in another basis the same
    trajectory is reproduced to about cond(M)²·ε (1e-6 here), not to 1e-9 (see docs/guide/rllc.md)."""
    Q = np.random.default_rng(0).standard_normal((3, 3)) + 2 * np.eye(3)
    ref, moved = _trajectory(MEM, LAW0, pinv="gram"), _trajectory(MEM, LAW0, Q, pinv="gram")
    np.testing.assert_allclose(moved.frame.loss, ref.frame.loss, rtol=1e-6)


def test_default_pinv_keeps_orthogonal_invariance():
    """With the default pseudo-inverse (SVD), U^Q for orthogonal Q (memory.change_basis)
    leaves a c2 > 0 trajectory unchanged to 1e-9; the Gram path does not (it squares
    cond(M)), which is why it is not the default."""
    assert O.rllc().hyper["pinv"] == "svd"
    Q, _ = np.linalg.qr(np.random.default_rng(5).standard_normal((3, 3)))
    ref, moved = _trajectory(MEM, LAW0, pinv=None, skip=False), _trajectory(MEM, LAW0, Q, pinv=None, skip=False)
    assert ref.frame.correction.iloc[5:-1].gt(0).all()
    np.testing.assert_allclose(moved.frame.loss, ref.frame.loss, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(moved.x, ref.x, rtol=1e-9, atol=1e-9)


def test_default_law_reads_the_first_unit():
    """rllc() with its defaults (memory M(0.9)+M(0.0), c2 = 0, law0 = e_1) is the heavy-ball
    buffer m ← 0.9·m + g, x ← x - lr·m, written out here."""
    q = amt.Quadratic.random(dim=6, cond=20, seed=3)
    opt = O.rllc(lr=0.05)
    s = opt.init(np.ones(6))
    x, m = np.ones(6), np.zeros(6)
    for _ in range(20):
        s = opt.update(s, q.grad(s.x))
        m = 0.9 * m + q.grad(x)
        x = x - 0.05 * m
    np.testing.assert_allclose(to_np(s.x), x, rtol=1e-13)


@pytest.mark.parametrize("pinv", ["svd", "gram"])
def test_a_run_started_at_the_minimiser_stays_there(pinv):
    """From x0 = x*, every gradient is 0 and the memory stays M = 0: the correction M⁺g must
    be 0 (no 0/0), so θ stays at x* and the law at law0."""
    q = amt.Quadratic(np.diag([1.0, 3.0]), np.zeros(2))
    opt = O.rllc(lr=0.1, c2=1.0, pinv=pinv)
    s = opt.init(np.zeros(2))
    for _ in range(3):
        s = opt.update(s, q.grad(s.x))
    np.testing.assert_array_equal(to_np(s.x), [0.0, 0.0])
    np.testing.assert_array_equal(to_np(s.buffers["L"]), [1.0, 0.0])
