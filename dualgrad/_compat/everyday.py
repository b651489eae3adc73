"""torch's everyday names of issue 15's second list: logspace, the deprecated range,
asarray, frombuffer, empty_strided / new_empty_strided, diagflat, unravel_index,
is_nonzero, fill_diagonal_, as_strided_scatter, angle and conj_physical on real tensors,
and dim_order.

Each is torch's definition written with dualgrad's factories and ops; the differentiable
ones (diagflat, fill_diagonal_, as_strided_scatter, angle, conj_physical) are composites, so every mode comes
from the ops they are made of.
"""

from __future__ import annotations

import builtins
import itertools
import math
import operator
import warnings

import numpy as np

from .. import _dtype, _factories
from .._ops import elementwise as E
from .._ops._methods import tensor_method
from .._tensor import Tensor
from . import device as _device


def logspace(
    start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """``base ** linspace(start, end, steps)``: ``steps`` values spaced evenly on a log scale.

    >>> import dualgrad as dg
    >>> dg.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])
    """
    _device.check(device)
    dt = _factories._float_dtype(dtype)
    # torch's kernel: exponents as linspace's (in float64 for an integer result), the power in
    # the same type, then the cast
    work = np.dtype(np.float64) if dt.kind in "iub" else dt
    exps = _factories._linspace(
        _factories._scalar(start), _factories._scalar(end), int(steps), work
    )
    with np.errstate(all="ignore"):
        values = np.power(work.type(base), exps).astype(dt)
    return _factories._finish(values, None, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:  # noqa: A001
    """Deprecated in torch: ``start, start + step, ...`` up to ``end`` *inclusive*, in the
    default float dtype unless told (``arange`` is the end-exclusive replacement).
    """
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        start, end = 0, start
    _device.check(device)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    n = int(math.floor((end - start) / step)) + 1
    # accumulated in float64 (integers in int64), as torch's kernel
    acc = np.int64 if dt.np.kind in "iu" else np.float64
    values = (acc(start) + np.arange(n, dtype=acc) * acc(step)).astype(dt.np)
    return _factories._finish(values, None, requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """``obj`` as a tensor, sharing memory where it can (a tensor, a NumPy array or a buffer of
    the same dtype is not copied unless ``copy=True``); ``copy=False`` refuses a copy.

    A tensor keeps its history unless ``requires_grad=False`` (then an alias without it); left
    unset, torch 2.13's default, ``obj.requires_grad``, with its warning where that is True.
    """
    _device.check(device)
    want = None if dtype is None else _dtype.to_dtype(dtype)
    if isinstance(obj, Tensor):
        if want is not None and want is not obj.dtype:
            if copy is False:
                raise ValueError(
                    f"can't alias tensor with dtype '{_legacy_name(obj.dtype)}' into dtype "
                    f"'{_legacy_name(want)}'."
                )
            out = obj.to(want)
        else:
            out = obj.clone() if copy else obj
    elif isinstance(obj, np.ndarray) or (hasattr(obj, "__array__") and not isinstance(obj, list)):
        arr = np.asarray(obj)
        if want is not None and arr.dtype != want.np:
            if copy is False:
                raise ValueError(f"asarray: dtype {want} needs a copy of the array, and copy=False")
            arr = arr.astype(want.np)
        out = _factories.from_numpy(arr.copy() if copy else arr)
    else:
        out = _factories.tensor(obj, dtype=want)
    if requires_grad is None and isinstance(obj, Tensor) and obj.requires_grad:
        warnings.warn(
            "torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead "
            "of False. Pass requires_grad=False explicitly to get the old behavior and silence "
            "this warning.",
            UserWarning,
            stacklevel=2,
        )
    if requires_grad is False and out.requires_grad:
        return out.detach()
    if requires_grad and not out.requires_grad:
        out.requires_grad_(True)
    return out


def _legacy_name(dt):
    """torch's scalar-type name, as its asarray message says it ('Float', 'Double')."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}.get(
        dt.name, dt.name
    )


_WARNED_READ_ONLY = []


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-D tensor over an object with the buffer protocol (``bytes``, ``bytearray``,
    ``array.array``, ...), ``count`` elements from ``offset`` bytes in, sharing its memory
    where the buffer is writable (a read-only one is copied, with torch's warning).

    >>> import dualgrad as dg
    >>> dg.frombuffer(bytearray(b"\\x01\\x02\\x03"), dtype=dg.int8)
    tensor([1, 2, 3], dtype=dualgrad.int8)
    """
    dt = _dtype.to_dtype(dtype)
    view = memoryview(buffer).cast("B")
    length, size = view.nbytes, dt.np.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count < 0:
        if (length - offset) % size:
            raise ValueError(
                f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be "
                f"a multiple of element size ({size})"
            )
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(
            f"requested buffer length ({count} * {size} bytes) after offset ({offset} bytes) "
            f"must not be greater than actual buffer length ({length} bytes)"
        )
    arr = np.frombuffer(view, dtype=dt.np, count=count, offset=offset)
    if not arr.flags.writeable:
        if not _WARNED_READ_ONLY:
            _WARNED_READ_ONLY.append(True)
            warnings.warn(
                "The given buffer is not writable; dualgrad copies it (torch shares it, and "
                "writes through it would change the read-only object)",
                UserWarning,
                stacklevel=2,
            )
        arr = arr.copy()
    out = _factories.from_numpy(arr)
    return out.requires_grad_(True) if requires_grad else out


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor of ``size`` whose elements are ``stride`` elements apart.

    >>> import dualgrad as dg
    >>> dg.empty_strided((2, 3), (1, 2)).stride()
    (1, 2)
    """
    _device.check(device)
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"mismatch in length of strides and shape: got {len(size)} sizes and "
            f"{len(stride)} strides; pass one stride per dimension"
        )
    dt = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
    extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    storage = np.empty(extent, dt.np)
    item = storage.itemsize
    arr = np.lib.stride_tricks.as_strided(storage, size, tuple(s * item for s in stride))
    out = _factories.from_numpy(arr)
    return out.requires_grad_(True) if requires_grad else out


def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
    """``empty_strided(size, stride)`` in x's dtype unless told."""
    dt = self.dtype if dtype is None else dtype
    return empty_strided(size, stride, dtype=dt, device=device, requires_grad=requires_grad)


@tensor_method
def diagflat(input, offset=0):
    """A matrix with the flattened ``input`` on its ``offset``-th diagonal.

    >>> import dualgrad as dg
    >>> dg.diagflat(dg.tensor([[1, 2], [3, 4]]))[3]
    tensor([0, 0, 0, 4])
    """
    return input.flatten().diag(offset)


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of flat ``indices`` (a tuple of int64 tensors,
    one per dim), as torch computes them: floor division, then the remainder (so an index
    outside the array wraps).

    >>> import dualgrad as dg
    >>> dg.unravel_index(dg.tensor([4, 1]), (2, 3))
    (tensor([1, 0]), tensor([1, 1]))
    """
    if not isinstance(indices, Tensor):
        indices = _factories.tensor(indices)
    if indices.dtype.np.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, int):
        shape = (shape,)
    elif not isinstance(shape, (tuple, list)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for n in shape:
        if not isinstance(n, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(n)}")
    shape = tuple(shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs = list(reversed(list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))))
    to_int = dict(dtype=_dtype.int64)
    out = indices.unsqueeze(-1).floor_divide(_factories.tensor(coefs, **to_int))
    return (out % _factories.tensor(list(shape), **to_int)).unbind(-1)


def is_nonzero(input) -> bool:
    """Whether a one-element tensor is nonzero (``bool(input)`` with torch's errors)."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.reshape(()).item() != 0)


def _fill_diagonal(x, fill_value, wrap=False):
    """x with ``fill_value`` on its main diagonal; a tall matrix with ``wrap`` starts the
    diagonal again after each block of (columns + 1) rows, as torch's strided walk does."""
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    shape = tuple(x.shape)
    if x.ndim > 2 and any(n != shape[0] for n in shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(shape, dtype=bool)
    if wrap and x.ndim == 2 and shape[0] > shape[1] + 1:
        # torch writes every (columns + 1)-th element of the row-major layout
        mask.reshape(-1)[:: shape[1] + 1] = True
    else:
        i = np.arange(min(shape))
        mask[(i,) * x.ndim] = True
    return x.masked_fill(_factories.from_numpy(mask), fill_value)


fill_diagonal = tensor_method(_fill_diagonal, "fill_diagonal", method=False, inplace=True)


@tensor_method
def angle(input):
    """The argument of a real number: 0 for x >= 0 (-0.0 too), pi for x < 0, nan for nan; its
    gradient is 0, as torch's for real input. Integers give the default float dtype."""
    x = input if input.is_floating_point() else input.to(_dtype.get_default_dtype())
    value = (x < 0).to(x.dtype) * math.pi
    value = E.where(x != x, x, value)  # nan stays nan
    # (the values do not depend on x locally: a zero gradient, linked to x as torch's is)
    return value + E.where(x.isfinite(), x, 0.0) * 0


@tensor_method(inplace=True)
def conj_physical(input):
    """The complex conjugate; every dualgrad tensor is real, so the input itself (torch
    returns its real input)."""
    return input


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory: by stride, largest first (ties and
    size-1 dims keep their order); ``(0, 1, ..., n-1)`` for a contiguous tensor."""
    if ambiguity_check:
        raise NotImplementedError(
            "dim_order(ambiguity_check=...) is not supported in dualgrad; call dim_order()"
        )
    if self.is_contiguous():
        return tuple(builtins.range(self.ndim))
    strides = self.stride()
    return tuple(sorted(builtins.range(self.ndim), key=lambda d: -strides[d]))


def as_strided_scatter(input, src, size, stride, storage_offset=None):  # noqa: A002
    """A copy of ``input`` with ``src`` written where ``input.as_strided(size, stride,
    storage_offset)`` reads: the elements at storage positions ``storage_offset + sum(i_k *
    stride_k)`` of input's memory (its strides, as torch's result keeps them). Differentiable
    in both (an ``index_put`` of the flattened input).

    >>> import dualgrad as dg
    >>> dg.as_strided_scatter(dg.zeros(3, 3), dg.ones(2), (2,), (4,))
    tensor([[1., 0., 0.],
            [0., 1., 0.],
            [0., 0., 0.]])
    """
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if tuple(src.shape) != size:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(size)}"
        )
    offset = 0 if storage_offset is None else int(storage_offset)
    positions = np.full(size, offset, dtype=np.int64)
    for d, st in enumerate(stride):
        positions = positions + (np.arange(size[d], dtype=np.int64) * st).reshape(
            (-1,) + (1,) * (len(size) - d - 1)
        )
    own = _own_positions(input).reshape(-1)
    extent = int(own.max()) + 1 if own.size else 0
    if positions.size and positions.max() >= extent:
        item = input.element_size()
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {item} requiring a storage size of {(positions.max() + 1) * item} "
            f"are out of bounds for storage of size {extent * item}"
        )
    # torch's result has input's strides: a position is the element there, and a position in
    # a gap between input's elements (a slice's) writes nothing that can be seen
    lookup = np.full(extent, -1, dtype=np.int64)
    lookup[own] = np.arange(own.size)
    hit = lookup[positions.reshape(-1)]
    keep = hit >= 0
    # where windows overlap, the last write of a position is the one kept (NumPy's order), and
    # only it gets a gradient: the earlier values are overwritten, not summed
    last = np.zeros_like(keep)
    _, from_end = np.unique(hit[::-1], return_index=True)
    last[hit.size - 1 - from_end] = True
    keep &= last
    index = _factories.from_numpy(hit[keep])
    values = src.reshape(-1)[_factories.from_numpy(np.flatnonzero(keep))].to(input.dtype)
    flat = input.reshape(-1).index_put((index,), values)
    return flat.reshape(tuple(input.shape))


def _own_positions(x):
    """Each element's position in x's memory, in elements from its first (row-major order of
    the elements); under vmap an example's memory is its own elements, as torch.func has it."""
    from .._batching import wrapped

    shape = tuple(x.shape)
    if wrapped(x) or x.is_contiguous():
        return np.arange(x.numel(), dtype=np.int64).reshape(shape)
    pos = np.zeros(shape, dtype=np.int64)
    for d, st in enumerate(x.stride()):
        pos = pos + (np.arange(shape[d], dtype=np.int64) * st).reshape(
            (-1,) + (1,) * (len(shape) - d - 1)
        )
    if np.unique(pos).size != pos.size:
        raise NotImplementedError(
            "as_strided_scatter of a tensor whose elements share memory (an expanded tensor) "
            "is not supported; call .contiguous() first"
        )
    return pos


METHODS = {
    "new_empty_strided": new_empty_strided,
    "dim_order": dim_order,
    "as_strided_scatter": as_strided_scatter,
}
