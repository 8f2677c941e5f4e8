"""Optimizer core: an explicit state record, bound hyperparameters and the registry.

Each method is a pair of pure functions in the style of optax::

    opt = amtoolkit.optimizers.get("mgd", lr=0.1, beta=0.9)
    state = opt.init(x0)                      # OptState
    state = opt.update(state, grad)           # new OptState, nothing mutated
    state = opt.update(state, grad, loss=f)   # methods listed with needs={"loss"}

``state.x`` is the point at which the next gradient is evaluated (for every method
but ``nag`` it is the iterate itself). Any hyperparameter may be an array of shape
``(K,)``: the optimizer then runs K configurations at once on iterates of shape
``(K, d)``, with the same numbers as K separate runs.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .._checks import check_positive, check_range
from ..backend import asarray_like, namespace

__all__ = ["OptState", "Optimizer", "BoundHyper", "Range", "POSITIVE", "UNIT_INTERVAL", "register", "get",
           "available", "signature_help"]


@dataclass(frozen=True)
class Range:
    """An allowed interval for a hyperparameter, checked on every value a schedule returns.

    Parameters
    ----------
    low, high : float or None, default None
        The ends; None leaves that side open to infinity.
    low_closed, high_closed : bool, default True
        Whether each end is allowed.

    Examples
    --------
    >>> from amtoolkit.optimizers.base import Range
    >>> Range(0.0, 1.0).check("beta_max", 0.5)
    0.5
    >>> Range(0.0, None, low_closed=False).check("lr schedule at step 3", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: lr schedule at step 3 must lie in (0.0, inf), got 0.0
    """

    low: float | None = None
    high: float | None = None
    low_closed: bool = True
    high_closed: bool = True

    def check(self, name: str, value: Any) -> Any:
        """Return ``value`` when every entry is finite and inside the interval.

        Parameters
        ----------
        name : str
            The name used in the error message.
        value : float or ndarray of shape (K,)
            The value to check.

        Returns
        -------
        float or ndarray
            ``value``, unchanged.

        Raises
        ------
        ValueError
            If an entry is outside the interval or not finite, or ``value`` has more than
            one axis.
        TypeError
            If ``value`` is not a real number or an array of them.
        """
        return check_range(name, value, self.low, self.high, self.low_closed, self.high_closed)


#: ``(0, inf)``: step sizes and other strictly positive hyperparameters
POSITIVE = Range(0.0, None, low_closed=False)
#: ``[0, 1]``: clip bounds such as ``beta_max`` (Algorithm 1 line 6 of arXiv:2510.04988)
UNIT_INTERVAL = Range(0.0, 1.0)
#: ranges every optimizer gets; constructors add theirs with ``make_state(..., ranges=...)``
DEFAULT_RANGES: Mapping[str, Range] = {"lr": POSITIVE}


class BoundHyper:
    """Hyperparameters converted once to the iterate's namespace and dtype.

    ``row(name)`` has the batch shape ``(K,)`` (or is a Python float), for per-run
    quantities such as reductions over the last axis; ``col(name)`` has shape ``(K, 1)``
    to broadcast against iterates ``(K, d)``. Callables (schedules) are evaluated at the
    step count by ``row_at`` / ``col_at`` (once per step), and each value is checked to be
    a finite real number (or an array of shape ``(K,)``) inside ``ranges[name]``
    (``DEFAULT_RANGES``: ``lr > 0``); a bad value raises an error naming the schedule and
    the step.

    Parameters
    ----------
    values : mapping of str to float, ndarray, callable, str, bool or None
        The hyperparameters; strings, bools and None are kept as they are.
    like : ndarray
        An array of the target namespace, dtype and device (the iterate).
    ranges : mapping of str to Range or None, default None
        Per-step checks added to ``DEFAULT_RANGES``.
    """

    def __init__(self, values: Mapping[str, Any], like: Any,
                 ranges: Mapping[str, Range] | None = None) -> None:
        self._like = like
        self._rows: dict[str, Any] = {}
        self._cols: dict[str, Any] = {}
        self._callables: dict[str, Callable] = {}
        self._ranges = {**DEFAULT_RANGES, **(ranges or {})}
        self._cache: dict[str, tuple] = {}
        for name, value in values.items():
            if callable(value):
                self._callables[name] = value
            else:
                self._rows[name], self._cols[name] = self._convert(value)

    def _convert(self, value):
        if value is None or isinstance(value, (bool, str)):
            return value, value
        arr = np.asarray(value)
        if arr.ndim == 0:
            return float(arr), float(arr)
        row = asarray_like(arr, self._like)
        return row, row[..., None]

    def _at(self, name: str, step: int) -> tuple:
        cached = self._cache.get(name)
        if cached is not None and cached[0] == step:
            return cached[1]
        label = f"{name} schedule at step {step}"
        value = self._callables[name](step)
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            value = float(value)
        self._ranges.get(name, Range()).check(label, value)
        converted = self._convert(value)
        self._cache[name] = (step, converted)
        return converted

    def row(self, name: str):
        """The value of ``name`` with the batch shape ``(K,)`` (or a float)."""
        return self._rows[name]

    def col(self, name: str):
        """The value of ``name`` with shape ``(K, 1)`` (or a float), to broadcast on ``(K, d)``."""
        return self._cols[name]

    def row_at(self, name: str, step: int):
        """``row(name)``, with a schedule evaluated (and checked) at ``step``."""
        if name in self._callables:
            return self._at(name, step)[0]
        return self._rows[name]

    def col_at(self, name: str, step: int):
        """``col(name)``, with a schedule evaluated (and checked) at ``step``."""
        if name in self._callables:
            return self._at(name, step)[1]
        return self._cols[name]


@dataclass(frozen=True)
class OptState:
    """The explicit state of one (possibly batched) optimizer run.

    States are frozen: ``update`` returns a new one (``replace``) and mutates nothing.

    Attributes
    ----------
    x : ndarray of shape (..., d)
        The point of the next gradient evaluation (the iterate, except for ``nag``).
    step : int
        Number of updates applied so far.
    buffers : mapping of str to ndarray or None
        The method's arrays (momentum buffer, previous iterate, moments, ...).
    hyper : BoundHyper
        The hyperparameters bound to the namespace and dtype of ``x``.
    info : mapping of str to float or ndarray
        What the last update used, per run: ``lr``, ``beta`` (NaN where the method has no
        coefficient) and method-specific entries.
    """

    x: Any
    step: int
    buffers: Mapping[str, Any]
    hyper: BoundHyper
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dtype(self):
        """The dtype of the iterate ``x``."""
        return self.x.dtype

    def replace(self, **changes) -> "OptState":
        """A copy with the given fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Optimizer:
    """A named (init, update) pair with the hyperparameters it was built from.

    Built by the registered constructors (:func:`get`); ``init(x0)`` returns an
    :class:`OptState` and ``update(state, grad, **needs)`` the next one.

    Attributes
    ----------
    name : str
        The registered name.
    hyper : mapping of str to object
        The hyperparameters as given (schedules and arrays included).
    init : callable
        ``init(x0) -> OptState``; ``x0`` of shape ``(..., d)`` with a real floating dtype.
    update : callable
        ``update(state, grad, **kwargs) -> OptState``, pure.
    needs : frozenset of str
        Keyword arguments ``update`` requires besides the gradient (``"loss"``: f at
        ``state.x``; ``"x_star"``: the problem's minimiser).
    columns : tuple of str
        Names of the method-specific entries of ``state.info`` to record.
    iterate : callable or None
        Where the iterate lives when it is not ``state.x`` (``nag``).
    vectors : frozenset of str
        Hyperparameters whose last axis is a vector, not a batch axis (``rllc``'s law0).
    """

    name: str
    hyper: Mapping[str, Any]
    init: Callable[..., OptState]
    update: Callable[..., OptState]
    needs: frozenset = frozenset()
    columns: tuple = ()
    iterate: Callable[[OptState], Any] | None = None
    vectors: frozenset = frozenset()

    def params(self, state: OptState):
        """The iterate x_t of a state (``state.x`` except for methods such as ``nag``)."""
        return state.x if self.iterate is None else self.iterate(state)

    @property
    def batch_shape(self) -> tuple:
        """Broadcast shape of the array-valued hyperparameters (``()`` when none).

        Raises
        ------
        ValueError
            If the array hyperparameters do not share one shape ``(K,)``.
        """
        shapes = []
        for name, value in self.hyper.items():
            if name in self.vectors:
                shapes.append(np.shape(value)[:-1])
                continue
            if callable(value):
                value = value(0)
            if isinstance(value, tuple):  # e.g. betas=(beta1, beta2)
                shapes.extend(np.shape(v) for v in value)
            else:
                shapes.append(np.shape(value))
        try:
            return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
        except ValueError:
            raise ValueError(f"array hyperparameters of {self.name} must share one shape (K,), got "
                             f"{ {k: np.shape(v) for k, v in self.hyper.items() if not callable(v)} }") from None


def make_state(x0, hyper: Mapping[str, Any], buffers: Mapping[str, Any] | None = None,
               ranges: Mapping[str, Range] | None = None) -> OptState:
    """The initial state: validates ``x0`` and binds the hyperparameters to its namespace.

    Parameters
    ----------
    x0 : ndarray of shape (..., d)
        The starting point, of a real floating dtype.
    hyper : mapping of str to object
        The hyperparameters to bind (:class:`BoundHyper`).
    buffers : mapping of str to object or None, default None
        The method's initial buffers.
    ranges : mapping of str to Range or None, default None
        Per-step checks of schedules added to ``DEFAULT_RANGES``.

    Returns
    -------
    OptState
        At step 0.

    Raises
    ------
    TypeError
        If ``x0`` does not have a real floating dtype.
    ValueError
        If ``x0`` has no axis (a scalar).
    """
    xp = namespace(x0)
    if not xp.isdtype(x0.dtype, "real floating"):
        raise TypeError(f"x0 must have a real floating dtype, got {x0.dtype}")
    if x0.ndim < 1:
        raise ValueError(f"x0 must have shape (..., d) with d >= 1, got shape {x0.shape}")
    return OptState(x=x0, step=0, buffers=dict(buffers or {}), hyper=BoundHyper(hyper, x0, ranges))


_RELATIVE_LR = re.compile(r"\s*((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*/\s*L\s*")


def relative_lr(lr) -> Any:
    """The coefficients c of a step size given relative to the smoothness constant L, as ``"c/L"``.

    Parameters
    ----------
    lr : object
        A learning rate as passed to a constructor.

    Returns
    -------
    float, ndarray of shape (K,) or None
        ``c`` for ``"c/L"``; an array for a list or array of such strings; None for
        anything else.

    Raises
    ------
    TypeError
        For a string without ``/`` (e.g. ``"0.1"``).
    ValueError
        For a string that is not of the form ``"c/L"`` with a finite ``c > 0``.

    Examples
    --------
    >>> from amtoolkit.optimizers.base import relative_lr
    >>> relative_lr("0.5/L"), relative_lr(["1/L", "2/L"]), relative_lr(0.1)
    (0.5, array([1., 2.]), None)
    """
    items = [lr] if isinstance(lr, str) else None
    if items is None and isinstance(lr, (list, tuple, np.ndarray)) and len(lr) and \
            all(isinstance(v, (str, np.str_)) for v in np.ravel(np.asarray(lr, dtype=object))):
        items = list(np.ravel(np.asarray(lr, dtype=object)))
    if items is None:
        return None
    coeffs = []
    for text in items:
        if "/" not in str(text):
            raise TypeError(f"lr must be a real number > 0, an array of shape (K,), a schedule or "
                            f"'c/L' (e.g. '1/L'), got the string {text!r}")
        match = _RELATIVE_LR.fullmatch(str(text))
        c = float(match.group(1)) if match else np.nan
        if not (c > 0 and np.isfinite(c)):
            raise ValueError(f"lr={text!r} is not a step size relative to the smoothness constant: "
                             f"use 'c/L' with a number c > 0 (e.g. '1/L', '0.5/L'), or a float")
        coeffs.append(c)
    return coeffs[0] if isinstance(lr, str) else np.asarray(coeffs)


def check_lr(lr) -> Any:
    """Check a learning rate: a positive float, an array of shape (K,), a schedule, or ``"c/L"``.

    ``"c/L"`` strings (or a list of them) are resolved against the problem's smoothness
    constant L when the run starts; a schedule is checked at step 0 here.

    Parameters
    ----------
    lr : float, ndarray of shape (K,), callable, str or list of str
        The learning rate.

    Returns
    -------
    object
        ``lr``, unchanged.

    Raises
    ------
    ValueError
        If a value is not > 0 and finite, or a string is not of the form ``"c/L"``.
    TypeError
        If ``lr`` is not a real number, an array of them, a callable or a ``"c/L"`` string.
    """
    if relative_lr(lr) is not None:
        return lr
    if callable(lr):
        POSITIVE.check("lr schedule at step 0", lr(0))
        return lr
    return check_positive("lr", lr)


# -- registry ---------------------------------------------------------------------------
_REGISTRY: dict[str, Callable[..., Optimizer]] = {}


def register(name: str):
    """Decorator adding a constructor ``fn(**hyper) -> Optimizer`` to the registry.

    Parameters
    ----------
    name : str
        The name under which :func:`get` finds it.

    Returns
    -------
    callable
        The decorator, which returns ``fn`` unchanged.

    Raises
    ------
    ValueError
        If ``name`` is already registered (raised when the decorator is applied).

    Examples
    --------
    >>> from amtoolkit.optimizers import register
    >>> register("gd")(lambda lr=0.1: None)
    Traceback (most recent call last):
    ...
    ValueError: optimizer 'gd' is registered twice
    """

    def deco(fn):
        if name in _REGISTRY:
            raise ValueError(f"optimizer {name!r} is registered twice")
        _REGISTRY[name] = fn
        return fn

    return deco


def available() -> list[str]:
    """Names of the registered optimizers, sorted.

    Returns
    -------
    list of str
        The names :func:`get` accepts.

    Examples
    --------
    >>> import amtoolkit as amt
    >>> {"gd", "mgd", "am_mgd", "am_msgd", "am_adamw"} <= set(amt.optimizers.available())
    True
    """
    return sorted(_REGISTRY)


def get(name: str, **hyper) -> Optimizer:
    """Build a registered optimizer by name: ``get("am_mgd", lr=0.5, lam=0.0)``.

    Parameters
    ----------
    name : str
        A registered name (:func:`available`); ``-`` is read as ``_``.
    **hyper
        The constructor's hyperparameters.

    Returns
    -------
    Optimizer
        What the constructor returns.

    Raises
    ------
    ValueError
        If ``name`` is not registered (the message lists the names), or the constructor
        refuses a value.
    TypeError
        If a hyperparameter is not one the constructor accepts (the message lists them), or
        the constructor refuses a value's type.

    Examples
    --------
    >>> import amtoolkit as amt
    >>> opt = amt.optimizers.get("am-mgd", lr=0.5)
    >>> opt.name, opt.hyper["lr"], sorted(opt.needs)
    ('am_mgd', 0.5, ['loss'])
    >>> amt.optimizers.get("mgd", momentum=0.9)
    Traceback (most recent call last):
    ...
    TypeError: mgd got unknown hyperparameter(s) ['momentum']; it accepts: lr, beta
    """
    if not isinstance(name, str) or name.replace("-", "_") not in _REGISTRY:
        raise ValueError(f"unknown optimizer name {name!r}; available: {', '.join(available())}")
    fn = _REGISTRY[name.replace("-", "_")]
    params = inspect.signature(fn).parameters
    unknown = sorted(set(hyper) - set(params))
    if unknown:
        raise TypeError(f"{name} got unknown hyperparameter(s) {unknown}; it accepts: "
                        f"{', '.join(params)}")
    return fn(**hyper)


def signature_help(name: str) -> str:
    """``name(arg=default, ...)`` and the docstring's summary, on one line, for the CLI.

    Parameters
    ----------
    name : str
        A registered name.

    Returns
    -------
    str
        The signature with its defaults, a colon and the docstring's first paragraph.

    Raises
    ------
    KeyError
        If ``name`` is not registered.

    Examples
    --------
    >>> import amtoolkit as amt
    >>> amt.optimizers.signature_help("gd")
    'gd(lr=0.1): Gradient descent: ``x ← x - η g``.'
    """
    fn = _REGISTRY[name]
    sig = ", ".join(f"{p.name}" + ("" if p.default is inspect.Parameter.empty else f"={p.default!r}")
                    for p in inspect.signature(fn).parameters.values())
    summary = " ".join((inspect.getdoc(fn) or "").split("\n\n")[0].split())
    return f"{name}({sig})" + (f": {summary}" if summary else "")
