import dataclasses
import math
import os
import re

import numpy as np
import pytest
import scipy.linalg

from amtoolkit import memory as mm
from amtoolkit.memory import propagators


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


_TERM = re.compile(r"(M|J|C|CJ)\(([^()]*)\)")


def _blocks(label):
    """The blocks of a label as (size, real part, imaginary part) of λ, M(β) as J(β, 1) and
    C(r, φ) as CJ(r, φ, 1), sorted: read independently of the code's own parser."""
    out = []
    for kind, args in _TERM.findall(label):
        nums = [float(a) for a in args.split(",")]
        if kind in ("M", "J"):
            out.append((int(nums[1]) if kind == "J" else 1, nums[0], 0.0))
        else:
            r, phi, size = nums[0], nums[1], int(nums[2]) if kind == "CJ" else 1
            out.append((size, r * math.cos(phi), r * math.sin(phi)))
    return sorted(out)


def _assert_blocks(canon, expected, scale=1.0, rtol=1e-9):
    got = _blocks(canon.label)
    assert [g[0] for g in got] == [e[0] for e in expected], (canon.label, expected)
    for g, e in zip(got, expected):
        assert g[1] / scale == pytest.approx(e[1], rel=rtol, abs=rtol) and \
            g[2] / scale == pytest.approx(e[2], rel=rtol, abs=rtol), (canon.label, expected)


def _assert_similar(A, canon, Q, rtol=1e-10):
    """A = Q J Q⁻¹, relative to ‖A‖."""
    assert np.linalg.norm(Q @ canon.A @ np.linalg.inv(Q) - A, 2) <= rtol * np.linalg.norm(A, 2)


SCALED = CANONICAL + [("complex 3-chain", mm.complex_jordan(0.9, 0.4, 3) + mm.jordan(-0.6, 3))]


@pytest.mark.parametrize("scale", [1e-6, 1e-3, 1.0, 1e3, 1e6])
@pytest.mark.parametrize("label, J", SCALED, ids=[c[0] for c in SCALED])
def test_real_jordan_form_is_scale_invariant(label, J, scale):
    """c·A has the blocks of A with eigenvalues c·λ (every cutoff is relative to ‖A‖), and
    c·A = Q J Q⁻¹ with ones on the superdiagonals, for c from 1e-6 to 1e6. (Before the
    cutoffs were made relative, J(0.8, 3) ⊕ M(0.5) was not resolved at c = 1e-3 nor 1e4.)"""
    mem = _random_similar(J, 1)
    scaled = mm.LinearMemory(scale * mem.A, mem.b)
    canon, Q = mm.real_jordan_form(scaled)
    _assert_blocks(canon, _blocks(J.label), scale)
    _assert_similar(scaled.A, canon, Q)
    # the canonical memory is change_basis(memory, Q) where Q is usable: the chains' columns
    # have lengths scale^-i, so at scale 1e±6 a 3-chain's Q (cond ~1e13) is refused instead
    if np.linalg.cond(Q) < 1e12:
        moved = mm.change_basis(scaled, Q)
        np.testing.assert_allclose(moved.A, canon.A, rtol=0, atol=1e-6 * max(scale, 1.0))
        np.testing.assert_allclose(moved.b, canon.b, rtol=1e-8)
    else:
        with pytest.raises(ValueError, match="Q must be invertible"):
            mm.change_basis(scaled, Q)


def _orthogonal_similar(D, scale, seed=5):
    """scale·U D Uᵀ with a random orthogonal U: the singular values of D − λI are kept."""
    U = np.linalg.qr(np.random.default_rng(seed).standard_normal(D.shape))[0]
    return mm.LinearMemory(scale * U @ D @ U.T, np.ones(len(D)))


TOLS = [1e-4, 1e-2]  # the default, and a larger one: both relative to ‖A‖ = scale


@pytest.mark.parametrize("scale", [1e-3, 1e3])
@pytest.mark.parametrize("tol", TOLS)
def test_eigenvalues_just_apart_are_two_blocks_just_closer_one(tol, scale):
    """‖A‖ = scale (a normal matrix with eigenvalues -1, 0.5, 0.5 + g, times scale): a gap
    g = 1.5·tol gives two blocks and A = Q J Q⁻¹ exactly; g = 0.5·tol is treated as one
    eigenvalue, the mean, so J is the form of a matrix at distance g/2·‖A‖ from A."""
    for g in (1.5 * tol, 0.5 * tol):
        mem = _orthogonal_similar(np.diag([-1.0, 0.5, 0.5 + g]), scale)
        canon, Q = mm.real_jordan_form(mem, tol)
        if g > tol:
            _assert_blocks(canon, [(1, -1.0, 0.0), (1, 0.5, 0.0), (1, 0.5 + g, 0.0)], scale)
            _assert_similar(mem.A, canon, Q)
        else:
            _assert_blocks(canon, [(1, -1.0, 0.0), (1, 0.5 + g / 2, 0.0), (1, 0.5 + g / 2, 0.0)], scale)
            err = np.linalg.norm(Q @ canon.A @ np.linalg.inv(Q) - mem.A, 2) / scale
            assert 0.4 * g < err < 0.6 * g


def _chain_residual(A, canon, Q):
    """max over the columns of ‖(AQ - QJ)e_i‖/(‖A‖‖Qe_i‖): the Jordan relations A v_i =
    λ v_i + v_(i-1), free of cond(Q) (a chain with couplings η has columns of norms 1, η, η²)."""
    R = A @ Q - Q @ canon.A
    return float(np.max(np.linalg.norm(R, axis=0) / (np.linalg.norm(A, 2) * np.linalg.norm(Q, axis=0))))


@pytest.mark.parametrize("scale", [1e-3, 1e3])
@pytest.mark.parametrize("tol", TOLS + [1e-9])
def test_nilpotent_part_just_above_the_cutoff_is_a_chain_just_below_is_not(tol, scale):
    """A = scale·U D Uᵀ, D = [-1] ⊕ (0.5·I + N) with N = η₁e₁e₂ᵀ + η₂e₃e₄ᵀ, whose singular
    values are η₁ and η₂ (relative to ‖A‖ = scale). The cutoff is 1e-8 (NILPOTENT_CUTOFF),
    or tol when smaller, whatever the eigenvalue tol: 2× the cutoff is kept, 0.5× is taken
    for zero. Both kept: J(0.5, 2) ⊕ J(0.5, 2); one: J(0.5, 2) ⊕ two 1-blocks; none: four
    1-blocks. (Two 2-chains, not one 3-chain: a 3-chain's first vector N²v would be of size
    η₁η₂ ≈ 1e-16, below rounding, and the result's own check refuses it.)"""
    cutoff = min(mm.propagators.NILPOTENT_CUTOFF, tol)
    above, below = 2 * cutoff, 0.5 * cutoff
    for (eta1, eta2), sizes in [((above, above), [2, 2]), ((above, below), [1, 1, 2]),
                                ((below, above), [1, 1, 2]), ((below, below), [1, 1, 1, 1])]:
        D = np.diag([-1.0, 0.5, 0.5, 0.5, 0.5]) + np.diag([0.0, eta1, 0.0, eta2], k=1)
        mem = _orthogonal_similar(D, scale)
        canon, Q = mm.real_jordan_form(mem, tol)
        _assert_blocks(canon, [(1, -1.0, 0.0)] + [(m, 0.5, 0.0) for m in sizes], scale, rtol=1e-7)
        # the Jordan relations hold up to the dropped coupling (< cutoff), or to rounding
        # amplified by 1/η in a kept chain's short vector
        assert _chain_residual(mem.A, canon, Q) <= 50 * np.finfo(float).eps / cutoff


@pytest.mark.parametrize("seed", range(4))
def test_ill_conditioned_chains_are_resolved(seed):
    """J(1, 2) ⊕ J(0, 3) made similar by a basis of condition number 1e3: the couplings of
    the chains seen from A are far below tol·‖A‖, yet they are chains (found at the
    nilpotent cutoff, not at the eigenvalue tol)."""
    J = mm.jordan(1.0, 2) + mm.jordan(0.0, 3)
    rng = np.random.default_rng(seed)
    U, V = (np.linalg.qr(rng.standard_normal((5, 5)))[0] for _ in range(2))
    Q0 = U @ np.diag(np.logspace(0, -3, 5)) @ V.T
    mem = mm.LinearMemory(Q0 @ J.A @ np.linalg.inv(Q0), np.ones(5))
    canon, Q = mm.real_jordan_form(mem)
    _assert_blocks(canon, _blocks(J.label), rtol=1e-8)
    assert _chain_residual(mem.A, canon, Q) <= 1e-12


@pytest.mark.parametrize("scale", [1e-3, 1e3])
@pytest.mark.parametrize("tol", TOLS)
def test_kernels_stop_at_the_generalised_eigenspace(tol, scale):
    """A double eigenvalue 0.5 (two 1-blocks) fed by a non-normal pair 0.5 + g, 0.5 + 2g
    (g = 3·tol, coupling 0.3): the kernel of A − 0.5I is the eigenspace, and one more
    projected power would also take in a direction of the pair (its compression has a
    singular value ≈ 2g²/0.3 < tol). Expected: the five 1-blocks of the construction."""
    g, c = 3 * tol, 0.3
    D = np.diag([0.5, 0.5, 0.5 + g, 0.5 + 2 * g, -1.0]) + np.diag([0.0, 0.0, c, 0.0], k=1) \
        + np.diag([c, c, 0.0], k=2)
    mem = _orthogonal_similar(D, scale)
    canon, Q = mm.real_jordan_form(mem, tol)
    _assert_blocks(canon, [(1, -1.0, 0.0), (1, 0.5, 0.0), (1, 0.5, 0.0), (1, 0.5 + g, 0.0),
                           (1, 0.5 + 2 * g, 0.0)], scale, rtol=1e-7)
    _assert_similar(mem.A, canon, Q, rtol=1e-3 * tol)


@pytest.mark.parametrize("scale", [1e-3, 1e3])
@pytest.mark.parametrize("tol", TOLS)
def test_conjugate_pair_just_apart_is_complex_just_closer_is_real(tol, scale):
    """The rotation-scaling [[a, b], [-b, a]] (eigenvalues a ± ib, 2b apart) ⊕ [-1]: with
    2b = 1.5·tol it is the complex block C(r, φ) and A = Q J Q⁻¹; with 2b = 0.5·tol the pair
    is one real eigenvalue a, two 1-blocks, at distance b·‖A‖ from A."""
    a = 0.5
    for b in (0.75 * tol, 0.25 * tol):
        D = scipy.linalg.block_diag([[a, b], [-b, a]], [[-1.0]])
        mem = _orthogonal_similar(D, scale)
        canon, Q = mm.real_jordan_form(mem, tol)
        if 2 * b > tol:
            _assert_blocks(canon, [(1, -1.0, 0.0), (1, a, b)], scale)
            _assert_similar(mem.A, canon, Q)
        else:
            _assert_blocks(canon, [(1, -1.0, 0.0), (1, a, 0.0), (1, a, 0.0)], scale)
            err = np.linalg.norm(Q @ canon.A @ np.linalg.inv(Q) - mem.A, 2) / scale
            assert err == pytest.approx(b, rel=0.2)


def test_real_jordan_form_of_zero_and_of_a_scalar_matrix():
    for A, lam in ((np.zeros((3, 3)), 0.0), (-2.5 * np.eye(3), -2.5)):
        canon, Q = mm.real_jordan_form(mm.LinearMemory(A, np.ones(3)))
        assert _blocks(canon.label) == [(1, lam, 0.0)] * 3
        np.testing.assert_allclose(Q @ canon.A @ np.linalg.inv(Q), A, atol=1e-15)


def test_real_jordan_form_bad_input():
    mem = mm.parse_memory("J(0.5,2)")
    for tol in (0.0, 1.0, -1e-4, float("nan")):
        with pytest.raises(ValueError, match="tol"):
            mm.real_jordan_form(mem, tol)
    with pytest.raises(TypeError, match="memory must be a LinearMemory"):
        mm.real_jordan_form(np.eye(2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_split_jordan_block_is_an_error_not_a_wrong_answer(seed):
    """J(-0.7, 4) in a random orthonormal basis: rounding splits the eigenvalue by about
    ε^(1/4)·‖A‖ (measured here: 0.7e-4 to 3e-4, depending on the seed and the BLAS kernel).
    With tol·‖A‖ well below that spread (a tenth of it, and 1e-7: four simple eigenvalues
    with nearly parallel eigenvectors), no Jordan structure at that tol reproduces A, and
    before this check J(-0.7, 3) ⊕ J(-0.7, 1) came back with ‖QJQ⁻¹ - A‖ ≈ 1e3·‖A‖. At
    tol = 1e-3 (the docstring's advice, several times the spread) it is resolved. The default
    tol = 1e-4 sits on the spread itself, so its outcome hangs on the last bits of the
    eigensolver and is not tested."""
    U = np.linalg.qr(np.random.default_rng(seed).standard_normal((4, 4)))[0]
    mem = mm.LinearMemory(U @ mm.jordan(-0.7, 4).A @ U.T, np.ones(4))
    norm = np.linalg.norm(mem.A, 2)
    ev = np.linalg.eigvals(mem.A)
    spread = np.max(np.abs(ev[:, None] - ev[None, :])) / norm
    assert 1e-6 < spread < 2e-4  # the split is ~ε^(1/4): far from both tols used below
    for tol in (spread / 10, 1e-7):
        with pytest.raises(np.linalg.LinAlgError, match="too close to a matrix of another Jordan structure"):
            mm.real_jordan_form(mem, tol)
    canon, Q = mm.real_jordan_form(mem, tol=1e-3)
    _assert_blocks(canon, [(4, -0.7, 0.0)], rtol=1e-6)
    assert _chain_residual(mem.A, canon, Q) <= 1e-12


def test_spectral_radius():
    mem = mm.parse_memory("M(0.9)+M(-0.95)+C(0.5,1.0)+J(0.3,2)")
    assert propagators.spectral_radius(mem) == pytest.approx(0.95, rel=1e-14)
    assert propagators.spectral_radius(mm.parse_memory("C(1.2,2.0)+M(-0.95)")) == pytest.approx(1.2, rel=1e-14)


def test_memory_checks_count_the_bytes_they_allocate(monkeypatch):
    """With a machine of 1 MiB (os.sysconf mocked): a propagator of k units needs three
    k×k float64 arrays, an impulse response steps×k floats; one more unit or step is refused."""
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 256}[name])
    total = 2 ** 20
    k = math.isqrt(total // 24)  # 3·8·k² <= total < 3·8·(k+1)²
    assert mm.jordan(0.5, k).k == k
    with pytest.raises(ValueError, match="size: a memory of"):
        mm.jordan(0.5, k + 1)
    assert mm.complex_jordan(0.5, 0.3, k // 2).k == k - k % 2
    with pytest.raises(ValueError, match="size: a memory of"):
        mm.complex_jordan(0.5, 0.3, k // 2 + 1)
    mem = mm.parse_memory("M(0.5)+M(0.1)+M(0.2)+M(0.3)")
    steps = total // (8 * mem.k)
    assert mm.impulse_response(mem, steps).nbytes == total
    with pytest.raises(ValueError, match="steps: "):
        mm.impulse_response(mem, steps + 1)
