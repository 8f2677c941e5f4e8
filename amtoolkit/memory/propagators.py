"""Linear memory rules of RLLC (arXiv:2402.15262): ``M ← M A + g bᵀ``.

``M ∈ R^{d×k}`` holds k memory units as columns, ``A ∈ R^{k×k}`` is the propagator and
``b ∈ R^k`` the injection of the current gradient. Building blocks:

* ``momentum(β)`` — the paper's M(β): one unit ``m ← β m + g`` (A = [β], b = [1]).
* ``jordan(λ, m)`` — the real Jordan block J_m(λ): ``m_1 ← λ m_1 + g``,
  ``m_i ← λ m_i + m_{i-1}`` (A = λI + ones on the superdiagonal, b = e_1).
* ``complex_block(r, φ)`` — complex momentum ``z ← λ z + g`` with ``λ = r e^{iφ}`` on the
  units (Re z, Im z): A = [[r cos φ, r sin φ], [-r sin φ, r cos φ]], b = e_1;
  ``complex_jordan(r, φ, m)`` chains m of them.
* ``direct_sum`` (the paper's ⊕, also ``a + b``): block-diagonal A, stacked b.
* ``change_basis(memory, Q)`` — the rule U^Q: ``A' = Q⁻¹AQ``, ``b' = Qᵀb`` (with
  ``L0' = Q⁻¹L0`` the optimizer's trajectory is unchanged while M has full column rank,
  RLLC Lemma 3.8), and ``real_jordan_form`` finds a Q making A' a direct sum of real
  Jordan and complex blocks.

String form: ``"M(0.9)+M(0.0)"``, ``"J(0.9,2)"``, ``"C(0.9,0.3)"``, ``"CJ(0.9,0.3,2)"``
(``⊕`` is accepted for ``+``); :func:`parse_memory` reads it, ``str(memory)`` writes it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from .._checks import check_fits_memory, check_int, check_real as _check_real

__all__ = ["LinearMemory", "spectral_radius", "momentum", "jordan", "complex_block", "complex_jordan",
           "direct_sum", "change_basis", "real_jordan_form", "impulse_response", "parse_memory"]


@dataclass(frozen=True, eq=False)
class LinearMemory:
    """The linear memory rule ``M ← M A + g bᵀ`` of RLLC: k units, a propagator A and an injection b.

    ``M ∈ R^{d×k}`` holds the units as columns; each step multiplies them by ``A`` and adds
    the gradient with the weights ``b``. ``a + b`` is the direct sum (:func:`direct_sum`),
    ``str(memory)`` the string form that :func:`parse_memory` reads. The arrays are
    copied to float64 and made read-only.

    Parameters
    ----------
    A : array_like of shape (k, k)
        The propagator, finite.
    b : array_like of shape (k,)
        The injection of the current gradient, finite.
    label : str, default ""
        The string form (empty for a memory built from arbitrary arrays).

    Attributes
    ----------
    k : int
        The number of memory units.

    Raises
    ------
    ValueError
        If ``A`` is not a non-empty square matrix, ``b`` does not have shape (k,), or an
        entry is not finite.

    See Also
    --------
    parse_memory : The string form.
    amtoolkit.optimizers.rllc : The optimizer that uses it.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: linear memory update rules and their direct sum ⊕.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> mem = memory.LinearMemory(np.array([[0.9]]), np.array([1.0]), "M(0.9)")
    >>> mem.k, str(mem), mem.allclose(memory.momentum(0.9))
    (1, 'M(0.9)', True)
    """

    A: np.ndarray
    b: np.ndarray
    label: str = field(default="")

    def __post_init__(self):
        A = np.array(self.A, dtype=float)
        b = np.atleast_1d(np.array(self.b, dtype=float))
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise ValueError(f"A must be a non-empty square (k, k) matrix, got shape {A.shape}")
        if b.ndim != 1 or b.shape[0] != A.shape[0]:
            raise ValueError(f"b must have shape ({A.shape[0]},) to match A, got {np.shape(self.b)}")
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ValueError("A and b must be finite")
        A.setflags(write=False)
        b.setflags(write=False)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)

    @property
    def k(self) -> int:
        """Number of memory units."""
        return self.A.shape[0]

    def __add__(self, other: "LinearMemory") -> "LinearMemory":
        return direct_sum(self, other)

    def __str__(self) -> str:
        return self.label or f"LinearMemory(k={self.k})"

    def __repr__(self) -> str:
        return f"LinearMemory({self})"

    def allclose(self, other: "LinearMemory", atol: float = 1e-12) -> bool:
        """Whether ``other`` has the same shape and A, b equal within ``atol``.

        Parameters
        ----------
        other : LinearMemory
            The memory to compare with.
        atol : float, default 1e-12
            Absolute tolerance on every entry.

        Returns
        -------
        bool
            True when A and b agree.
        """
        return self.A.shape == other.A.shape and np.allclose(self.A, other.A, atol=atol) \
            and np.allclose(self.b, other.b, atol=atol)


def spectral_radius(memory: LinearMemory) -> float:
    """``max |λ_i(A)|``, the spectral radius of the propagator.

    Above 1 the units grow geometrically and RLLC's memory is unstable
    (:func:`amtoolkit.optimizers.rllc` refuses it unless ``allow_unstable``).

    Parameters
    ----------
    memory : LinearMemory
        The memory.

    Returns
    -------
    float
        The largest eigenvalue modulus of ``memory.A``.

    Examples
    --------
    >>> from amtoolkit.memory import complex_block
    >>> from amtoolkit.memory.propagators import spectral_radius
    >>> round(spectral_radius(complex_block(0.9, 0.3)), 12)
    0.9
    """
    return float(np.max(np.abs(np.linalg.eigvals(memory.A))))


def _fmt(x: float) -> str:
    return f"{float(x):.12g}" if float(x) != int(x) else f"{float(x):.1f}"


def momentum(beta: float) -> LinearMemory:
    """The momentum unit M(β), ``m ← β m + g`` (A = [β], b = [1]).

    ``momentum(0.0)`` holds the current gradient, so ``M(β) + M(0.0)`` spans heavy ball,
    gradient descent and Nesterov with a fixed learning law.

    Parameters
    ----------
    beta : float
        The decay β (any finite real; ``|β| > 1`` is unstable).

    Returns
    -------
    LinearMemory
        One unit, labelled ``"M(β)"``.

    Raises
    ------
    ValueError
        If ``beta`` is not finite.
    TypeError
        If ``beta`` is not a single real number.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: the momentum unit M(β).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> mem = memory.momentum(0.9) + memory.momentum(0.0)
    >>> print(mem, mem.A.tolist(), mem.b.tolist())
    M(0.9)+M(0.0) [[0.9, 0.0], [0.0, 0.0]] [1.0, 1.0]
    """
    beta = _check_real("beta", beta)
    return LinearMemory(np.array([[beta]]), np.array([1.0]), f"M({_fmt(beta)})")


def jordan(lam: float, size: int) -> LinearMemory:
    """The real Jordan block J_size(λ): ``m_1 ← λ m_1 + g``, ``m_i ← λ m_i + m_{i-1}``.

    A = λI plus ones on the superdiagonal, b = e_1: each unit filters the one before it.

    Parameters
    ----------
    lam : float
        The eigenvalue λ (finite).
    size : int
        The block size m ≥ 1.

    Returns
    -------
    LinearMemory
        ``size`` units, labelled ``"J(λ,size)"``.

    Raises
    ------
    ValueError
        If ``size`` is not an integer ≥ 1 (any type), the propagator would not fit in
        memory, or ``lam`` is not finite.
    TypeError
        If ``lam`` is not a single real number.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: Jordan-block memories and the real Jordan normal form of a memory.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> print(memory.jordan(0.5, 2).A)
    [[0.5 1. ]
     [0.  0.5]]
    """
    size = _check_size(size)
    lam = _check_real("lam", lam)
    A = float(lam) * np.eye(size) + np.eye(size, k=1)
    return LinearMemory(A, np.eye(size)[0], f"J({_fmt(lam)},{size})")


def complex_block(r: float, phi: float) -> LinearMemory:
    """Complex momentum ``z ← r e^{iφ} z + g`` on the two real units (Re z, Im z).

    A = [[r cos φ, r sin φ], [-r sin φ, r cos φ]], b = e_1; :func:`complex_jordan` with
    ``size = 1``.

    Parameters
    ----------
    r : float
        The modulus r ≥ 0 of the eigenvalue.
    phi : float
        Its argument φ (radians).

    Returns
    -------
    LinearMemory
        Two units, labelled ``"C(r,φ)"``.

    Raises
    ------
    ValueError
        If ``r`` is negative or a value is not finite.
    TypeError
        If ``r`` or ``phi`` is not a single real number.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: complex momentum memories.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> print(np.abs(np.linalg.eigvals(memory.complex_block(0.9, 0.3).A)).round(12))
    [0.9 0.9]
    """
    return complex_jordan(r, phi, 1)


def complex_jordan(r: float, phi: float, size: int) -> LinearMemory:
    """A chain of ``size`` complex blocks: the real form of a complex Jordan block.

    The propagator is block upper-bidiagonal: the 2×2 blocks of :func:`complex_block` on
    the diagonal, identities above them.

    Parameters
    ----------
    r : float
        The modulus r ≥ 0 of the eigenvalue.
    phi : float
        Its argument φ (radians).
    size : int
        The number of blocks ≥ 1 (2·size units).

    Returns
    -------
    LinearMemory
        Labelled ``"C(r,φ)"`` for one block, ``"CJ(r,φ,size)"`` otherwise.

    Raises
    ------
    ValueError
        If ``size`` is not an integer ≥ 1 or too large for memory, ``r`` is negative, or a
        value is not finite.
    TypeError
        If ``r`` or ``phi`` is not a single real number.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: the real Jordan normal form of a memory (complex blocks).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> mem = memory.complex_jordan(0.9, 0.3, 2)
    >>> mem.k, str(mem)
    (4, 'CJ(0.9,0.3,2)')
    """
    size = _check_size(size, units=2)
    r, phi = _check_real("r", r), _check_real("phi", phi)
    if r < 0:
        raise ValueError(f"r must be >= 0 (the modulus of λ = r e^(iφ)), got {r}")
    a, s = r * math.cos(phi), r * math.sin(phi)
    C = np.array([[a, s], [-s, a]])
    A = np.kron(np.eye(size), C) + np.kron(np.eye(size, k=1), np.eye(2))
    label = f"C({_fmt(r)},{_fmt(phi)})" if size == 1 else f"CJ({_fmt(r)},{_fmt(phi)},{size})"
    return LinearMemory(A, np.eye(2 * size)[0], label)


def direct_sum(*blocks: LinearMemory) -> LinearMemory:
    """The direct sum ⊕ of memories: block-diagonal propagator, stacked injections.

    Also written ``a + b``. The label joins the blocks' labels with ``+`` when they all
    have one.

    Parameters
    ----------
    *blocks : LinearMemory
        At least one memory.

    Returns
    -------
    LinearMemory
        With ``k = Σ k_i`` units.

    Raises
    ------
    ValueError
        If no block is given.
    TypeError
        If a block is not a LinearMemory.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: the direct sum ⊕ of memories.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> mem = memory.direct_sum(memory.momentum(0.9), memory.jordan(0.5, 2))
    >>> print(mem, mem.k)
    M(0.9)+J(0.5,2) 3
    """
    if not blocks:
        raise ValueError("direct_sum needs at least one LinearMemory")
    for blk in blocks:
        if not isinstance(blk, LinearMemory):
            raise TypeError(f"direct_sum takes LinearMemory blocks, got {type(blk).__name__}")
    A = scipy.linalg.block_diag(*(blk.A for blk in blocks))
    b = np.concatenate([blk.b for blk in blocks])
    label = "+".join(str(blk) for blk in blocks) if all(blk.label for blk in blocks) else ""
    return LinearMemory(A, b, label)


def change_basis(memory: LinearMemory, Q) -> LinearMemory:
    """The rule U^Q of a change of memory basis ``M' = M Q``: ``A' = Q⁻¹ A Q``, ``b' = Qᵀ b``.

    With ``L0' = Q⁻¹ L0`` the optimizer's step ``M'L' = M L`` is unchanged while M has full
    column rank (RLLC Lemma 3.8, the linear invariance of RLLC).

    Parameters
    ----------
    memory : LinearMemory
        The rule U.
    Q : array_like of shape (k, k)
        An invertible matrix.

    Returns
    -------
    LinearMemory
        The rule U^Q (unlabelled).

    Raises
    ------
    ValueError
        If ``Q`` does not have shape (k, k) or its condition number is above 1e12 (or not
        finite).

    Notes
    -----
    The summary of the RLLC paper available here states Lemma 3.8 for an arbitrary Q;
    ``A' = Q⁻¹ A Q`` needs an invertible one, and a numerically singular Q is refused.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: Definition of U^Q and Lemma 3.8 (linear invariance).

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> mem = memory.change_basis(memory.jordan(0.5, 2), [[2.0, 1.0], [1.0, 1.0]])
    >>> print(mem.A, mem.b)
    [[ 1.5  1. ]
     [-1.  -0.5]] [2. 1.]
    """
    Q = np.asarray(Q, dtype=float)
    if Q.shape != (memory.k, memory.k):
        raise ValueError(f"Q must have shape ({memory.k}, {memory.k}), got {Q.shape}")
    cond = np.linalg.cond(Q)
    if not np.isfinite(cond) or cond > 1e12:
        raise ValueError(f"Q must be invertible (condition number {cond:.3g})")
    return LinearMemory(np.linalg.solve(Q, memory.A @ Q), Q.T @ memory.b)


def impulse_response(memory: LinearMemory, steps: int) -> np.ndarray:
    """The weight of each past gradient in each unit: ``W[j, i]`` is that of ``g_{t-j}`` in unit i.

    Row j is ``bᵀ A^j`` (the memory started at 0 and fed one gradient j steps ago).

    Parameters
    ----------
    memory : LinearMemory
        The memory.
    steps : int
        The number of rows ≥ 1.

    Returns
    -------
    ndarray of shape (steps, k)
        The weights.

    Raises
    ------
    TypeError
        If ``memory`` is not a LinearMemory or ``steps`` not an integer.
    ValueError
        If ``steps`` < 1 or the array would not fit in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> print(memory.impulse_response(memory.jordan(0.5, 2), 3))
    [[1.   0.  ]
     [0.5  1.  ]
     [0.25 1.  ]]
    """
    if not isinstance(memory, LinearMemory):
        raise TypeError(f"memory must be a LinearMemory, got {type(memory).__name__}")
    steps = check_int("steps", steps)
    check_fits_memory("steps", 8.0 * steps * memory.k, f"{steps}×{memory.k} weights")
    out = np.empty((steps, memory.k))
    row = memory.b.copy()
    for j in range(steps):
        out[j] = row
        row = row @ memory.A
    return out


# -- real Jordan form ------------------------------------------------------------------
def _cluster(values: np.ndarray, tol: float) -> list[tuple[complex, int]]:
    """Group eigenvalues closer than ``tol``; return (mean, multiplicity) pairs."""
    remaining = list(values)
    groups = []
    while remaining:
        v = remaining.pop(0)
        members = [v] + [w for w in remaining if abs(w - v) <= tol]
        for w in members[1:]:
            remaining.remove(w)
        groups.append((complex(np.mean(members)), len(members)))
    return groups


def _complement(K: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Orthonormal columns spanning the part of span(K) orthogonal to span(basis), for
    orthonormal K and independent columns of basis inside span(K): dim K − rank(basis) of them."""
    q = np.linalg.qr(basis)[0]
    u = np.linalg.svd(K - q @ (q.conj().T @ K))[0]
    return u[:, :K.shape[1] - basis.shape[1]]


def _jordan_chains(N: np.ndarray, mult: int, tol: float) -> list[list[np.ndarray]]:
    """Jordan chains ``[N^(m-1) v, …, N v, v]`` of the nilpotent part N on the generalised
    eigenspace (dimension mult); singular values of N up to ``tol`` count as zero."""
    n = N.shape[0]
    kernels = [np.zeros((n, 0), dtype=N.dtype)]
    while kernels[-1].shape[1] < mult and len(kernels) <= mult:
        K = kernels[-1]
        # ker N^j = ker(P N), P the projection off ker N^(j-1): one factor of N, so one cutoff
        _, sv, vh = np.linalg.svd(N - K @ (K.conj().T @ N))
        kernels.append(vh[np.sum(sv > tol):].conj().T)
    if kernels[-1].shape[1] != mult:
        raise np.linalg.LinAlgError(f"could not resolve a generalised eigenspace of dimension {mult} "
                                    f"(found {kernels[-1].shape[1]}); the matrix is too close to a "
                                    f"derogatory one for tol={tol}")
    chains: list[list[np.ndarray]] = []
    for level in range(len(kernels) - 1, 0, -1):
        existing = [c[level - 1] for c in chains if len(c) >= level]
        basis = np.column_stack([kernels[level - 1]] + existing)
        if basis.shape[1] > kernels[level].shape[1]:
            raise np.linalg.LinAlgError(f"the kernels of the powers of A - λI (dimensions "
                                        f"{[K.shape[1] for K in kernels]}) fit no Jordan structure at "
                                        f"tol={tol}")
        for v in _complement(kernels[level], basis).T:
            chain = [v]
            for _ in range(level - 1):
                chain.insert(0, N @ chain[0])
            chains.append(chain)
    return chains


def _unscaled(chain, scale: float) -> list[np.ndarray]:
    """A chain of N = (A − λI)/scale as one of A − λI: its i-th vector divided by scale^i."""
    return [v / scale ** i for i, v in enumerate(chain)]


#: singular values of the nilpotent part (relative to ‖A‖) at least this large are chains
NILPOTENT_CUTOFF = 1e-8
#: the result's check allows ‖QJQ⁻¹ - A‖ up to max(tol, this)·‖A‖ (merging eigenvalues
#: within tol moves them by less than tol; a chain with couplings near NILPOTENT_CUTOFF has
#: vectors known to ε/η ≈ 1e-8, which its basis amplifies)
SIMILARITY_FLOOR = 1e-6


def real_jordan_form(memory: LinearMemory, tol: float = 1e-4) -> tuple[LinearMemory, np.ndarray]:
    """An equivalent memory whose propagator is a direct sum of real Jordan and complex blocks.

    The blocks are ``J(λ, m)`` and complex chains ``CJ(r, φ, m)`` (0 < φ < π: each conjugate
    pair is written with its eigenvalue of positive imaginary part), and the basis Q has
    ``A = Q J Q⁻¹`` (so the canonical memory is ``change_basis(memory, Q)``, whose injection
    is ``Qᵀ b``). A chain of length m has columns whose lengths differ by up to
    ``‖A‖^(m-1)`` (J keeps ones above its diagonal), so far from ``‖A‖ = 1`` cond(Q) is
    large and ``change_basis`` refuses Q; the returned canonical memory is exact by
    construction.

    Parameters
    ----------
    memory : LinearMemory
        The memory to bring to canonical form.
    tol : float, default 1e-4
        Relative tolerance in (0, 1): eigenvalues within ``tol·‖A‖`` are one cluster.

    Returns
    -------
    canonical : LinearMemory
        The direct sum of blocks, with injection ``Qᵀ b``.
    Q : ndarray of shape (k, k)
        The basis, ``A = Q J Q⁻¹``.

    Raises
    ------
    TypeError
        If ``memory`` is not a LinearMemory, or ``tol`` not a single real number.
    ValueError
        If ``tol`` is outside (0, 1).
    numpy.linalg.LinAlgError
        When no Jordan structure fits, or the blocks found reproduce A only to more than
        ``max(tol, 1e-6)·‖A‖`` (A is then too close to a matrix of another structure for
        this ``tol``).

    Notes
    -----
    Every cutoff is relative to ``‖A‖``, so c·A has the blocks of A with eigenvalues c·λ:

    * eigenvalues within ``tol·‖A‖`` form one cluster, at their mean (a conjugate pair
      within that is real). Rounding splits a defective eigenvalue of multiplicity m into
      a cluster of width about ``(ε·cond)^(1/m)``: 1e-5 for m = 3, but 1e-4 for m = 4,
      which needs a larger ``tol`` (1e-3);
    * a cluster's chains are read from the kernels of the powers of ``A − λI`` (each one
      the kernel of ``A − λI`` followed by the projection off the previous one, so no
      cutoff is raised to a power). Singular values up to ``1e-8·‖A‖``
      (``NILPOTENT_CUTOFF``, or ``tol`` if smaller) count as zero, so a defective
      eigenvalue is resolved even when its chains are ill-conditioned;
    * a cluster whose kernels do not fit its multiplicity at that cutoff holds distinct
      eigenvalues: it is resolved again with the cutoff ``tol·‖A‖``, i.e. as the form of a
      matrix within about ``tol·‖A‖`` of A (two eigenvalues ``0.5·tol·‖A‖`` apart give two
      blocks at their mean).

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: the real Jordan normal form of a linear memory.

    Examples
    --------
    A Jordan block hidden by a change of basis is found again:

    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> hidden = memory.change_basis(memory.jordan(0.5, 2), [[2.0, 1.0], [1.0, 1.0]])
    >>> canonical, Q = memory.real_jordan_form(hidden)
    >>> print(canonical, bool(np.allclose(Q @ canonical.A, hidden.A @ Q)))
    J(0.5,2) True
    """
    if not isinstance(memory, LinearMemory):
        raise TypeError(f"memory must be a LinearMemory, got {type(memory).__name__}")
    tol = _check_real("tol", tol, 0.0, 1.0, low_closed=False, high_closed=False)
    A = memory.A
    scale = max(np.linalg.norm(A, 2), np.finfo(float).tiny)
    B = A / scale

    def chains(N: np.ndarray, mult: int) -> list[list[np.ndarray]]:
        try:
            return _jordan_chains(N, mult, min(NILPOTENT_CUTOFF, tol))
        except np.linalg.LinAlgError:  # distinct eigenvalues within tol: one cluster, merged
            return _jordan_chains(N, mult, tol)

    blocks, columns = [], []
    for lam, mult in _cluster(np.linalg.eigvals(B), tol):
        # real: a cluster closer than tol to its conjugate (a pair closer than tol is one cluster)
        if abs(lam - lam.conjugate()) <= tol:
            for chain in chains(B - lam.real * np.eye(memory.k), mult):
                blocks.append(jordan(lam.real * scale, len(chain)))
                columns.extend(_unscaled(np.real(chain), scale))
        elif lam.imag > 0:
            for chain in chains(B - lam * np.eye(memory.k), mult):
                blocks.append(complex_jordan(abs(lam) * scale, math.atan2(lam.imag, lam.real), len(chain)))
                for v in _unscaled(chain, scale):
                    columns.extend([v.real, v.imag])
    Q = np.column_stack(columns)
    if Q.shape != A.shape:
        raise np.linalg.LinAlgError(f"real_jordan_form found {Q.shape[1]} basis vectors for k={memory.k}")
    canonical = direct_sum(*blocks)
    error, bound = _similarity_error(A, canonical.A, Q), max(tol, SIMILARITY_FLOOR)
    if not error <= bound:
        raise np.linalg.LinAlgError(
            f"real_jordan_form: the blocks found ({canonical.label}) give Q J Q⁻¹ = A only to "
            f"{error:.2g}·‖A‖, more than {bound:.2g}: A is too close to a matrix of another Jordan "
            f"structure for tol={tol} (a larger tol merges closer eigenvalues)")
    return LinearMemory(canonical.A, Q.T @ memory.b, canonical.label), Q


def _similarity_error(A: np.ndarray, J: np.ndarray, Q: np.ndarray) -> float:
    """‖Q J Q⁻¹ - A‖₂/‖A‖₂ (inf for a singular Q)."""
    try:
        QJQinv = np.linalg.solve(Q.T, (Q @ J).T).T
    except np.linalg.LinAlgError:
        return math.inf
    return float(np.linalg.norm(QJQinv - A, 2) / max(np.linalg.norm(A, 2), np.finfo(float).tiny))


# -- string form --------------------------------------------------------------------------
_TERM = re.compile(r"^\s*(M|J|C|CJ)\s*\(([^()]*)\)\s*$")


def parse_memory(text: str) -> LinearMemory:
    """Read the string form of a memory, such as ``"M(0.9)+M(0.0)"`` or ``"J(0.9,2)"``.

    The terms are ``M(beta)`` (:func:`momentum`), ``J(lam,size)`` (:func:`jordan`),
    ``C(r,phi)`` (:func:`complex_block`) and ``CJ(r,phi,size)`` (:func:`complex_jordan`),
    joined by ``+`` (``⊕`` is accepted); ``str(memory)`` writes this form. A LinearMemory is
    returned unchanged.

    Parameters
    ----------
    text : str or LinearMemory
        The memory.

    Returns
    -------
    LinearMemory
        The direct sum of the terms.

    Raises
    ------
    ValueError
        If ``text`` is not a LinearMemory or a non-empty string, a term is not one of
        ``M(beta)``, ``J(lam,size)``, ``C(r,phi)``, ``CJ(r,phi,size)``, has the wrong number
        of arguments or a non-integer size, or a block refuses its arguments.

    References
    ----------
    B. Szegedy, D. Czifra and P. Kőrösi-Szabó, Dynamic Memory Based Adaptive Optimization,
    arXiv:2402.15262: the notation M(β) ⊕ M(β') of memories.

    Examples
    --------
    >>> import numpy as np
    >>> from amtoolkit import memory
    >>> mem = memory.parse_memory("M(0.9)⊕J(0.5,2)")
    >>> print(mem, mem.k)
    M(0.9)+J(0.5,2) 3
    """
    if isinstance(text, LinearMemory):
        return text
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"memory must be a LinearMemory or a string such as 'M(0.9)+M(0.0)', got {text!r}")
    blocks = []
    for term in text.replace("⊕", "+").split("+"):
        match = _TERM.match(term)
        if not match:
            raise ValueError(f"memory: cannot parse {term.strip()!r} in {text!r}; expected terms "
                             f"M(beta), J(lam,size), C(r,phi) or CJ(r,phi,size) joined by '+' or '⊕'")
        kind, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
        arity = {"M": 1, "J": 2, "C": 2, "CJ": 3}[kind]
        try:
            if len(args) != arity:
                raise ValueError
            nums = [float(a) for a in args]
            if kind in ("J", "CJ") and not nums[-1].is_integer():
                raise ValueError
        except ValueError:
            raise ValueError(f"memory: {kind}(...) takes {arity} number(s)"
                             f"{' (the last an integer size)' if kind in ('J', 'CJ') else ''}, got "
                             f"{term.strip()!r}") from None
        try:
            if kind == "M":
                blocks.append(momentum(nums[0]))
            elif kind == "J":
                blocks.append(jordan(nums[0], int(nums[1])))
            elif kind == "C":
                blocks.append(complex_block(nums[0], nums[1]))
            else:
                blocks.append(complex_jordan(nums[0], nums[1], int(nums[2])))
        except ValueError as err:
            raise ValueError(f"memory: {term.strip()!r}: {err}") from None
    return direct_sum(*blocks)


def _check_size(size, units: int = 1) -> int:
    """An integer >= 1 whose k×k propagator (k = units·size) fits in memory three times over
    (the propagator and its copies; checked before allocating)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be an integer >= 1, got {size!r}")
    check_fits_memory("size", 8.0 * (units * int(size)) ** 2 * 3,
                      f"a memory of {units * int(size)} units (its k×k propagator and copies)")
    return int(size)
