"""The element-wise operations of one optimizer step over a list of tensors, as one
``torch._foreach_*`` call per list (``foreach=True``) or the same ``torch`` operation tensor
by tensor: the foreach and for-loop paths of :mod:`amtoolkit.torch`'s optimizers share them."""

from __future__ import annotations

import torch

#: run the scratch-writing operations of the foreach path as foreach calls on CPU too (the
#: CUDA variant; the tests set it to check that variant on CPU)
FOREACH_INTO_ON_CPU = False


class _Ops:
    """The element-wise operations of a step over a list of tensors: one ``torch._foreach_*``
    call (``foreach=True``) or the same ``torch`` operation tensor by tensor. On CPU the
    foreach kernels run the per-tensor kernels, so the two paths agree bitwise; on CUDA
    they are fused launches of the same arithmetic."""

    __slots__ = ("fe", "fe_into")

    def __init__(self, fe: bool, cpu: bool = False) -> None:
        self.fe = fe
        # the operations that write into the step's scratch buffers (``*_into``, ``rdiv_``):
        # foreach has no ``out=``, so on CUDA they copy and work in place; on CPU, where
        # the foreach kernels are per-tensor loops anyway, they run tensor by tensor with
        # ``out=`` (the same arithmetic, one pass less)
        self.fe_into = fe and (not cpu or FOREACH_INTO_ON_CPU)

    @staticmethod
    def _each(s, n):
        return s if isinstance(s, (list, tuple)) else [s] * n

    @staticmethod
    def _one(s):
        """A list of equal Python numbers as one number (the foreach Scalar overload is much
        cheaper than the ScalarList one); anything else unchanged."""
        if isinstance(s, list) and s and isinstance(s[0], float) and all(x == s[0] for x in s):
            return s[0]
        return s

    def neg(self, xs):
        return list(torch._foreach_neg(xs)) if self.fe else [torch.neg(x) for x in xs]

    def sqrt(self, xs):
        return list(torch._foreach_sqrt(xs)) if self.fe else [torch.sqrt(x) for x in xs]

    def mul(self, xs, s):
        if self.fe:
            return list(torch._foreach_mul(xs, self._one(s)))
        return [torch.mul(x, si) for x, si in zip(xs, self._each(s, len(xs)))]

    def mul_(self, xs, s):
        if self.fe:
            torch._foreach_mul_(xs, self._one(s))
        else:
            for x, si in zip(xs, self._each(s, len(xs))):
                x.mul_(si)

    def add_(self, xs, s, alpha=None):
        """``x += s`` (a number or list of numbers), or ``x += alpha·y`` for a list ``s`` of tensors."""
        if alpha is not None:
            if self.fe:
                torch._foreach_add_(xs, s, alpha=alpha)
            else:
                for x, y in zip(xs, s):
                    x.add_(y, alpha=alpha)
        elif self.fe:
            torch._foreach_add_(xs, self._one(s))
        else:
            for x, si in zip(xs, self._each(s, len(xs))):
                x.add_(si)

    def add(self, xs, ys, alpha):
        if self.fe:
            return list(torch._foreach_add(xs, ys, alpha=alpha))
        return [torch.add(x, y, alpha=alpha) for x, y in zip(xs, ys)]

    def lerp_(self, xs, ys, ws):
        if self.fe:
            torch._foreach_lerp_(xs, ys, ws)
        else:
            for x, y, w in zip(xs, ys, self._each(ws, len(xs))):
                x.lerp_(y, w)

    def sub(self, xs, ys):
        return list(torch._foreach_sub(xs, ys)) if self.fe else [torch.sub(x, y) for x, y in zip(xs, ys)]

    def div(self, xs, ys):
        return list(torch._foreach_div(xs, ys)) if self.fe else [torch.div(x, y) for x, y in zip(xs, ys)]

    def addcmul_(self, xs, t1, t2, value=1.0):
        if self.fe:
            torch._foreach_addcmul_(xs, t1, t2, value=value)
        else:
            for x, a, b in zip(xs, t1, t2):
                x.addcmul_(a, b, value=value)

    def addcdiv_(self, xs, t1, t2, value):
        """``x += value·t1/t2`` with a number or a list of numbers."""
        if self.fe:
            torch._foreach_addcdiv_(xs, t1, t2, self._one(value))
        else:
            for x, a, b, c in zip(xs, t1, t2, self._each(value, len(xs))):
                x.addcdiv_(a, b, value=c)

    def reciprocal_(self, xs):
        if self.fe:
            torch._foreach_reciprocal_(xs)
        else:
            for x in xs:
                x.reciprocal_()

    def sqrt_(self, xs):
        if self.fe:
            torch._foreach_sqrt_(xs)
        else:
            for x in xs:
                x.sqrt_()

    def copy_(self, xs, ys):
        if self.fe:
            torch._foreach_copy_(xs, ys)
        else:
            for x, y in zip(xs, ys):
                x.copy_(y)

    def sqrt_into(self, out, xs):
        if self.fe_into:
            torch._foreach_copy_(out, xs)
            torch._foreach_sqrt_(out)
        else:
            for o, x in zip(out, xs):
                torch.sqrt(x, out=o)

    def sub_into(self, out, xs, ys):
        if self.fe_into:
            torch._foreach_copy_(out, xs)
            torch._foreach_sub_(out, ys)
        else:
            for o, x, y in zip(out, xs, ys):
                torch.sub(x, y, out=o)

    def rdiv_(self, out, xs):
        """``out ← xs / out`` (with ``out=`` tensor by tensor; foreach has no reversed
        in-place division, so it divides into new tensors and copies them back)."""
        if self.fe_into:
            torch._foreach_copy_(out, torch._foreach_div(xs, out))
        else:
            for o, x in zip(out, xs):
                torch.div(x, o, out=o)

    def div_into(self, out, xs, ys):
        if self.fe_into:
            torch._foreach_copy_(out, xs)
            torch._foreach_div_(out, ys)
        else:
            for o, x, y in zip(out, xs, ys):
                torch.div(x, y, out=o)

    def add_into(self, out, xs, s):
        if self.fe_into:
            torch._foreach_copy_(out, xs)
            torch._foreach_add_(out, self._one(s))
        else:
            for o, x, si in zip(out, xs, self._each(s, len(xs))):
                torch.add(x, si, out=o)

    def mul_into(self, out, xs, s):
        if self.fe_into:
            torch._foreach_copy_(out, xs)
            torch._foreach_mul_(out, self._one(s))
        else:
            for o, x, si in zip(out, xs, self._each(s, len(xs))):
                torch.mul(x, si, out=o)

    def div_(self, xs, ys):
        if self.fe:
            torch._foreach_div_(xs, ys)
        else:
            for x, y in zip(xs, ys):
                x.div_(y)
