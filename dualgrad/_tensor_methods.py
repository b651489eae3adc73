"""Tensor operators and methods: each one calls the public function of the same op.

The methods named like ops are declared next to their functions (``@tensor_method``, in
_ops/_methods.py); this module binds that table, and holds the operators (``__add__`` and
friends, which take the dispatcher's fast entries) and the methods that are not ops (``to``,
``new_zeros``, ``T``, ...). Kept apart from _tensor.py so that Tensor does not import the op
table it is used by.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _dtype
from .random import _sampling as _random
from ._compat import device as _device
from ._compat import memory_format as _memory_format
from ._inplace_methods import _copy_, _fill_, _inplace, _setitem, _zero_
from ._inplace_shape import SHAPE_METHODS
from . import _ops  # noqa: F401  (imports every op module: each declares its methods)
from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import linalg as L
from ._ops import shape as S
from ._ops._methods import INPLACE, METHODS
from ._batching import BatchedTensor
from ._compat import real_tensors as _real_tensors
from ._compat import resize as _resize
from ._compat.legacy import legacy_new, tensor_type
from ._compat.meta import NO_DATA
from ._compat.to_args import to_args
from ._tensor import Tensor, size_arg
from ._dispatch import apply, apply_binary


def _to(self, *args, **kwargs):
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(other)``, ``x.to(device, dtype)``: x converted, or
    x itself when nothing changes (``copy=True`` copies).

    A dtype change is recorded by autograd (the gradient is cast back); devices other than cpu and
    meta raise torch's CPU-only error.
    """
    dev, dtype, copy = to_args(args, kwargs)  # (a device other than the CPU or meta raises)
    if dev is not None and _device.is_meta(dev) != self.is_meta:
        return _to_device(self, dtype)
    if dtype is None:
        return E.clone(self) if copy else self
    dtype = _dtype.to_dtype(dtype)
    if dtype.np == self._data.dtype and not copy:
        return self
    return _apply_to(self, dtype)


# torch's conversion methods: x.half() is x.to(dualgrad.float16), ...
_CONVERSIONS = {
    "float": _dtype.float32, "double": _dtype.float64, "half": _dtype.float16,
    "bfloat16": _dtype.bfloat16, "long": _dtype.int64, "int": _dtype.int32,
    "short": _dtype.int16, "char": _dtype.int8, "byte": _dtype.uint8, "bool": _dtype.bool_,
}  # fmt: skip


def _conversion(name, dtype):
    def method(self):
        return _to(self, dtype)

    method.__name__ = name
    method.__doc__ = f"``self.to({dtype})``: a copy in {dtype}, or ``self`` if already so."
    return method


def _to_device(x, dtype):
    """``x.to('meta')``, or a meta ``x`` to the CPU, which torch refuses (NOTE: [meta tensors])."""
    from ._factories import to_meta

    if x.is_meta:
        raise NotImplementedError(NO_DATA)
    return to_meta(x if dtype is None else _to(x, dtype))


def _contiguous(self, memory_format=None):
    """``self`` if its memory is row-major already, else a row-major copy (NOTE: [memory
    formats] in _compat/memory_format.py)."""
    if memory_format is not None:
        _memory_format.check(memory_format, "contiguous")
    return self if self._data.flags.c_contiguous else E.clone(self)


def _cpu(self):
    """x itself: tensors already live on the CPU (a meta tensor raises, as it has no data)."""
    if self.is_meta:
        raise NotImplementedError(NO_DATA)
    return self


def _apply_to(x, dtype):
    return apply(E.TO, x, dtype=dtype)


def _swap(fn):
    return lambda self, other: fn(other, self)


# NOTE: [NumPy arrays as operands] torch's operators take no NumPy array: ``t * a`` returns
# NotImplemented, so Python asks ``a.__rmul__(t)``, which is the ufunc ``np.multiply(t, a)``:
# NumPy's promotion, the result wrapped back into a tensor (NOTE: [NumPy ufuncs on tensors]
# in _tensor.py), and torch's RuntimeError for a tensor that requires grad. ``a * t`` then
# finds NumPy deferring to the tensor and the tensor declining: a TypeError, as in torch. Two
# exceptions, as torch's: ``==`` compares, and ``a / t`` is ``t.reciprocal() * a``. The check
# sits where an operand is not a tensor or a number, off the hot path.
def _defers(fn):
    """``fn`` as an operator that declines a NumPy array (NOTE: [NumPy arrays as operands])."""

    @functools.wraps(fn)
    def method(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return fn(self, other)

    return method


def _rtruediv(self, other):
    """``other / self``: ``reciprocal(self) * other``, as torch's ``__rdiv__`` computes it (its
    rounding, and its MulBackward0 node), NOTE: [NumPy arrays as operands] for an array."""
    return E.reciprocal(self) * other


# NOTE: [reflected operators of commutative ops] ``3 * x`` and ``1.0 + x`` are torch's
# ``x.__rmul__(3)`` = ``mul(x, 3)``: the tensor is ``self``, so the node's first edge is the
# tensor's (next_functions ((AccumulateGrad, 0), (None, 0)), _saved_other = 3), as for ``x * 3``.
# The values are the same bits either way (IEEE addition and multiplication commute), and the
# call takes the fast entry (NOTE: [fast entries] in _dispatch.py): 2.4 -> 1.1 us on (16,)
# float32. Rules write ``3 * x`` too (pow's partial), and ``lr * g`` is an optimizer's step.
def _operator(op, fn, reflected=False, commutative=False):
    """``Tensor.__mul__`` and friends: straight to the dispatcher for tensors and numbers
    (NOTE: [hot path] in _dispatch.py); anything else takes the checked function (reflected:
    ``fn(self, other)`` computes ``other op self``). A reflected op that is ``commutative`` puts the
    tensor first, as torch's ``2 * x`` is ``x.mul(2)`` (its node's edges in that order)."""
    if reflected and commutative:  # NOTE: [reflected operators of commutative ops]

        def method(self, other):
            if isinstance(other, (float, int)):
                return apply_binary(op, self, other)
            return fn(self, other)
    elif reflected:

        def method(self, other):
            if isinstance(other, (float, int)):
                return apply(op, other, self)
            return fn(self, other)
    else:

        def method(self, other):
            if isinstance(other, (Tensor, float, int)):
                return apply_binary(op, self, other)
            if isinstance(other, np.ndarray):  # NOTE: [NumPy arrays as operands]
                return NotImplemented
            return fn(self, other)

    return method


_rsub_general = _operator(E.SUB, _defers(_swap(E.sub)), reflected=True)
_RSUB_DTYPES = ("float32", "float64")


def _rsub(self, other):
    """``number - x``: torch's rsub node (one edge) on float32/float64 tensors; other dtypes
    keep sub's promotion and checks."""
    if type(other) in (float, int) and self.dtype.name in _RSUB_DTYPES:
        return apply(E.RSUB, self, other=other)
    return _rsub_general(self, other)


_OPERATORS = {
    "__add__": _operator(E.ADD, E.add),
    "__radd__": _operator(E.ADD, _defers(_swap(E.add)), reflected=True, commutative=True),
    "__sub__": _operator(E.SUB, E.sub),
    "__rsub__": _rsub,
    "__mul__": _operator(E.MUL, E.mul),
    "__rmul__": _operator(E.MUL, _defers(_swap(E.mul)), reflected=True, commutative=True),
    "__truediv__": _operator(E.DIV, E.div),
    "__rtruediv__": _rtruediv,
    "__floordiv__": E.floor_divide,
    "__rfloordiv__": _swap(E.floor_divide),
    "__pow__": E.pow,
    "__rpow__": _swap(E.pow),
    "__neg__": E.neg,
    "__pos__": E.positive,  # NOTE: [positive returns its input]
    "__abs__": E.abs,
    "__eq__": E.eq,
    "__ne__": E.ne,
    "__lt__": E.lt,
    "__le__": E.le,
    "__gt__": E.gt,
    "__ge__": E.ge,
    # NumPy's bitwise ufuncs on bool arrays are the logical ops, and promote bool & int as torch does
    "__and__": E.bitwise_and,
    "__rand__": _swap(E.bitwise_and),
    "__or__": E.bitwise_or,
    "__ror__": _swap(E.bitwise_or),
    "__xor__": E.bitwise_xor,
    "__rxor__": _swap(E.bitwise_xor),
    "__invert__": E.invert,
    "__lshift__": E.bitwise_left_shift,
    "__rlshift__": _swap(E.bitwise_left_shift),
    "__rshift__": E.bitwise_right_shift,
    "__rrshift__": _swap(E.bitwise_right_shift),
    "__getitem__": I.getitem,
    "__setitem__": _setitem,
    "__matmul__": L.matmul,
    "__rmatmul__": _swap(L.matmul),
}


def _integer_into(fn):
    """An integer-only op for ``x op= y``: torch checks that the result can be written into x
    before it looks for a kernel, so a float ``y`` is refused for the cast, not the kernel."""

    def op(x, y):
        if isinstance(y, Tensor) and y.is_floating_point() and not x.is_floating_point():
            raise RuntimeError(
                f"result type {_dtype.torch_name(y.dtype.name)} can't be cast to the desired "
                f"output type {_dtype.torch_name(x.dtype.name)}"
            )
        return fn(x, y)

    op.__name__ = fn.__name__
    return op


_INPLACE_OPERATORS = {
    "__iadd__": E.add,
    "__isub__": E.sub,
    "__imul__": E.mul,
    "__itruediv__": E.div,
    "__ipow__": E.pow,
    "__ifloordiv__": E.floor_divide,
    "__ilshift__": _integer_into(E.bitwise_left_shift),
    "__irshift__": _integer_into(E.bitwise_right_shift),
    "__iand__": _integer_into(E.bitwise_and),
    "__ior__": _integer_into(E.bitwise_or),
    "__ixor__": _integer_into(E.bitwise_xor),
    # (no __imatmul__, as torch: ``x @= y`` rebinds x to x @ y, a new tensor)
}


# the operators that decline a NumPy array besides _operator's (NOTE: [NumPy arrays as operands])
_DECLINE_ARRAYS = (
    "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__",
    "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__rand__", "__or__", "__ror__",
    "__xor__", "__rxor__", "__matmul__", "__rmatmul__", "__iadd__", "__isub__", "__imul__",
    "__itruediv__", "__ipow__", "__ifloordiv__", "__imod__", "__iand__", "__ior__", "__ixor__",
)  # fmt: skip


def _new_factory(name):
    """``x.new_zeros(size)`` and friends: a factory taking ``x``'s dtype unless told."""
    from . import _factories as F

    fn = getattr(F, name[4:])

    def method(self, *size, dtype=None, device=None, requires_grad=False):
        dt = self.dtype if dtype is None else dtype
        if isinstance(self, BatchedTensor):  # NOTE: [new tensors under vmap]
            shape = (self._value.shape[self._bdim], *size_arg(size, name))
            return BatchedTensor.wrap(
                method(self._value, shape, dtype=dt, requires_grad=requires_grad), 0, self._vlevel
            )
        return fn(
            *size,
            dtype=dt,
            device=self.device if device is None else device,
            requires_grad=requires_grad,
        )

    method.__name__ = name
    method.__doc__ = f"``{name[4:]}(*size)`` in x's dtype and device unless told."
    return method


# NOTE: [new tensors under vmap] As torch.func's batching rules for new_zeros, new_ones,
# new_empty and new_full, a new tensor made from a batched one is batched at its level: one
# per batch element (so writing a batched value into it is allowed). new_tensor is not.
def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``, in x's dtype and device unless told."""
    from ._factories import full

    dt = self.dtype if dtype is None else dtype
    if isinstance(self, BatchedTensor):  # NOTE: [new tensors under vmap]
        shape = (self._value.shape[self._bdim], *size_arg((size,), "new_full"))
        phys = _new_full(self._value, shape, fill_value, dtype=dt, requires_grad=requires_grad)
        return BatchedTensor.wrap(phys, 0, self._vlevel)
    return full(
        size,
        fill_value,
        dtype=dt,
        device=self.device if device is None else device,
        requires_grad=requires_grad,
    )


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """``tensor(data)`` in x's dtype and device unless told (a copy, without history)."""
    from ._factories import tensor

    dt = self.dtype if dtype is None else dtype
    return tensor(
        data,
        dtype=dt,
        device=self.device if device is None else device,
        requires_grad=requires_grad,
    )


def _new(self, *args, **kwargs):
    """torch's legacy ``x.new(...)``: ``Tensor(...)`` in x's dtype (data, sizes or nothing)."""
    return legacy_new(self.dtype, args, kwargs)


def attach() -> None:
    """Give Tensor its operators and methods (called once, by dualgrad/__init__.py)."""
    for name, fn in _OPERATORS.items():
        setattr(Tensor, name, fn)
    for name, fn in _INPLACE_OPERATORS.items():
        setattr(Tensor, name, _inplace(fn, name))
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in INPLACE.items():
        setattr(Tensor, name, _inplace(fn, name))
    Tensor.to = _to
    for name, d in _CONVERSIONS.items():
        setattr(Tensor, name, _conversion(name, d))
    Tensor.type_as = lambda self, other: _to(self, other.dtype)
    Tensor.type = tensor_type
    Tensor.cpu = _cpu
    Tensor.contiguous = _contiguous
    for name in ("new_zeros", "new_ones", "new_empty"):
        setattr(Tensor, name, _new_factory(name))
    Tensor.new_full = _new_full
    Tensor.new_tensor = _new_tensor
    Tensor.new = _new
    for name, fn in SHAPE_METHODS.items():
        setattr(Tensor, name, fn)
    _real_tensors.attach()
    for name, fn in _resize.METHODS.items():
        setattr(Tensor, name, fn)
    for name in _DECLINE_ARRAYS:  # (the fast entries check for themselves: _operator)
        if name in Tensor.__dict__:
            setattr(Tensor, name, _defers(Tensor.__dict__[name]))
    Tensor.zero_ = _zero_
    for name, fn in {**_random.METHODS, **_random.INPLACE_METHODS}.items():
        setattr(Tensor, name, fn)
    Tensor.fill_ = _fill_
    Tensor.copy_ = _copy_
    Tensor.T = property(lambda self: S.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: S.transpose(self, -2, -1))
