import dataclasses
import math

import numpy as np
import pytest

from amtoolkit import memory as mm


def _run_memory(mem, grads):
    """M ← M A + g bᵀ from M = 0; returns the list of M after each step."""
    M = np.zeros((grads.shape[1], mem.k))
    out = []
    for g in grads:
        M = M @ mem.A + np.outer(g, mem.b)
        out.append(M.copy())
    return out


def test_momentum_and_direct_sum():
    m = mm.momentum(0.9) + mm.momentum(0.0)
    np.testing.assert_array_equal(m.A, np.diag([0.9, 0.0]))
    np.testing.assert_array_equal(m.b, [1.0, 1.0])
    grads = np.random.default_rng(0).standard_normal((5, 3))
    M = _run_memory(m, grads)[-1]
    ema = sum(0.9 ** j * grads[-1 - j] for j in range(5))
    np.testing.assert_allclose(M[:, 0], ema, rtol=1e-14)
    np.testing.assert_array_equal(M[:, 1], grads[-1])  # M(0.0) holds the current gradient


def test_complex_block_is_complex_momentum():
    r, phi = 0.9, 0.3
    lam = r * np.exp(1j * phi)
    grads = np.random.default_rng(1).standard_normal((30, 4))
    z = np.zeros(4, complex)
    for g in grads:
        z = lam * z + g
    M = _run_memory(mm.complex_block(r, phi), grads)[-1]
    np.testing.assert_allclose(M[:, 0] + 1j * M[:, 1], z, rtol=1e-12)


def test_jordan_chain_weights_are_binomial():
    lam, size = 0.8, 4
    W = mm.impulse_response(mm.jordan(lam, size), 25)
    for j in range(25):
        for i in range(size):
            ref = math.comb(j, i) * lam ** (j - i) if j >= i else 0.0
            assert W[j, i] == pytest.approx(ref, rel=1e-12, abs=1e-300)


def test_impulse_response_matches_simulation():
    mem = mm.parse_memory("J(0.7,2)+C(0.9,0.5)+M(0.3)")
    grads = np.eye(12)[:, :1].repeat(1, axis=1)  # g_0 = 1, then zeros (d = 1)
    Ms = _run_memory(mem, grads)
    W = mm.impulse_response(mem, 12)
    for j in range(12):
        np.testing.assert_allclose(Ms[j][0], W[j], rtol=1e-12, atol=1e-15)


def _random_similar(J, seed):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((J.k, J.k))
    return mm.LinearMemory(Q @ J.A @ np.linalg.inv(Q), rng.standard_normal(J.k))


CANONICAL = [
    ("diagonalisable", mm.momentum(0.1) + mm.momentum(0.5) + mm.momentum(-0.3) + mm.momentum(0.95)),
    ("complex", mm.complex_block(0.9, 0.4) + mm.complex_block(0.5, 2.0) + mm.momentum(0.2)),
    ("defective", mm.jordan(0.8, 3) + mm.momentum(0.5)),
    ("derogatory", mm.jordan(0.5, 2) + mm.jordan(0.5, 2)),
    ("complex defective", mm.complex_jordan(0.7, 1.0, 2) + mm.jordan(0.3, 2)),
]


@pytest.mark.parametrize("label, J", CANONICAL, ids=[c[0] for c in CANONICAL])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_jordan_form_round_trip(label, J, seed):
    mem = _random_similar(J, seed)
    canon, Q = mm.real_jordan_form(mem)
    np.testing.assert_allclose(Q @ canon.A @ np.linalg.inv(Q), mem.A, atol=1e-10)
    assert mm.change_basis(mem, Q).allclose(canon, atol=1e-8)
    # same block structure as the matrix it was built from
    assert sorted(np.round(np.linalg.eigvals(canon.A), 6), key=lambda z: (z.real, z.imag)) == \
        sorted(np.round(np.linalg.eigvals(J.A), 6), key=lambda z: (z.real, z.imag))
    assert canon.label.count("+") == J.label.count("+")


def test_change_basis_transforms_the_memory():
    mem = mm.parse_memory("M(0.9)+M(0.5)+M(0.0)")
    Q = np.random.default_rng(3).standard_normal((3, 3))
    grads = np.random.default_rng(4).standard_normal((6, 5))
    for M, Mq in zip(_run_memory(mem, grads), _run_memory(mm.change_basis(mem, Q), grads)):
        np.testing.assert_allclose(Mq, M @ Q, rtol=1e-10, atol=1e-12)


def test_string_form_round_trip():
    for text in ("M(0.9)+M(0.0)", "J(0.9,2)", "C(0.9,0.3)", "CJ(0.5,1.2,2)+M(0.1)"):
        mem = mm.parse_memory(text)
        assert str(mem) == text
        assert mm.parse_memory(str(mem)).allclose(mem)
    assert mm.parse_memory("M(0.9) ⊕ M(0.0)").allclose(mm.parse_memory("M(0.9)+M(0.0)"))


@pytest.mark.parametrize("text, pattern", [
    ("M(0.9)+", "cannot parse ''"),
    ("Q(0.9)", "cannot parse 'Q\\(0.9\\)'"),
    ("J(0.9)", r"J\(...\) takes 2 number\(s\)"),
    ("J(0.9,1.5)", "the last an integer size"),
    ("M(abc)", r"M\(...\) takes 1 number"),
    ("", "memory must be a LinearMemory or a string"),
])
def test_parse_errors(text, pattern):
    with pytest.raises(ValueError, match=pattern):
        mm.parse_memory(text)


def test_bad_linear_memory():
    with pytest.raises(ValueError, match=r"A must be a non-empty square"):
        mm.LinearMemory(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        mm.LinearMemory(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="Q must be invertible"):
        mm.change_basis(mm.parse_memory("M(0.9)+M(0.0)"), np.ones((2, 2)))
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        mm.jordan(0.5, 0)


def test_jordan_chains_of_different_lengths_for_one_eigenvalue():
    """J_2(0.5) ⊕ M(0.5): one eigenvalue with chains of lengths 2 and 1."""
    mem = _random_similar(mm.jordan(0.5, 2) + mm.momentum(0.5), 0)
    canon, Q = mm.real_jordan_form(mem)
    assert sorted(canon.label.split("+")) == ["J(0.5,1)", "J(0.5,2)"]
    np.testing.assert_allclose(Q @ canon.A @ np.linalg.inv(Q), mem.A, atol=1e-10)


def test_linear_memory_is_immutable_and_compares_values():
    m = mm.parse_memory("M(0.9)+M(0.0)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.A = np.eye(2)
    assert {m: 1}[m] == 1  # hashable by identity (no field-wise __eq__ over arrays)
    with pytest.raises(ValueError):
        m.A[0, 0] = 0.5
    with pytest.raises(ValueError):
        m.b[0] = 2.0
    assert not m.allclose(mm.parse_memory("M(0.5)+M(0.0)"))
    unlabeled = mm.LinearMemory(np.eye(1), np.ones(1))
    assert (m + unlabeled).label == ""  # a sum is labelled only when every block is


@pytest.mark.parametrize("scale", [10.0, 1e3])
@pytest.mark.parametrize("label, J", CANONICAL, ids=[c[0] for c in CANONICAL])
def test_real_jordan_form_is_scale_invariant(label, J, scale):
    """c·A has the blocks of A with eigenvalues c·λ, for c from 10 to 1e3. (Not beyond: the
    rank cutoff of the Jordan chains is absolute for ‖A‖ < 1, and the defective J(0.8, 3) ⊕
    M(0.5) is no longer resolved at c = 1e-3 nor at c = 1e4.)"""
    mem = _random_similar(J, 1)
    scaled = mm.LinearMemory(scale * mem.A, mem.b)
    canon, Q = mm.real_jordan_form(scaled)
    np.testing.assert_allclose(Q @ canon.A @ np.linalg.inv(Q), scaled.A, atol=1e-10 * scale)
    assert canon.label.count("+") == J.label.count("+")
    assert sorted(np.round(np.linalg.eigvals(canon.A) / scale, 6), key=lambda z: (z.real, z.imag)) == \
        sorted(np.round(np.linalg.eigvals(J.A), 6), key=lambda z: (z.real, z.imag))
