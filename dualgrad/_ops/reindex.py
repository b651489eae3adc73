"""Shape ops that are index gathers: narrow, select, unfold, roll, tile, repeat_interleave,
meshgrid; and the index factories tril_indices, triu_indices, one_hot.

Each builds a constant NumPy index and reads ``x`` through the ``select`` (basic index, a
view) or ``index`` (advanced index) primitive, or through repeat/reshape/expand, so every mode
and order comes from those primitives' rules.

# NOTE: [unfold views]
``Tensor.unfold`` is a view, as in torch: the windows are strides over ``x``'s memory (the
``unfold`` primitive), so a write into them reaches ``x``. Its adjoint adds each window back
where it came from (overlapping windows add up). Where windows overlap (step < size) an
element of ``x`` is in several windows, and the view is read-only: torch writes into it
element by element, with a result that depends on the order of the writes; dualgrad refuses,
with the error of an expanded tensor.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import elementwise as E
from .._dispatch import apply
from .args import int_arg
from .._batching import wrapped
from .._factories import tensor
from .indexing import INDEX_ADD_ZEROS, _Index, getitem, known_values
from .registry import linear, nondiff
from .reduction import normalize_dims
from .shape import cat, expand, movedim, repeat, reshape
from ._methods import tensor_method


def _dim(x, dim):
    return normalize_dims(dim, x.ndim)[0]


def _int(v):
    return int(v.item()) if isinstance(v, Tensor) else int(v)


def _along(dim, index):
    return (slice(None),) * dim + (index,)


# NOTE: [value-shaped index ops] Two index factories whose output's shape is decided by the
# values of their input: repeat_interleave's counts (the length is their sum) and one_hot
# without num_classes (the width is the largest class + 1). They are primitives so that under
# vmap they run once per batch element, that op only (torch.func does the same for
# repeat_interleave, with its slow fallback), instead of reading the values of a batched
# tensor; one_hot's rule says torch.func's error where the widths differ.
def _repeat_counts_kernel(counts):
    if counts.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return np.repeat(np.arange(counts.shape[0], dtype=counts.dtype), counts)


def _one_hot_kernel(a):
    if not a.size:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    return (a[..., None] == np.arange(int(a.max()) + 1)).astype(np.int64)


REPEAT_COUNTS = nondiff("repeat_interleave_counts", _repeat_counts_kernel, loops=True)
ONE_HOT_INFER = nondiff("one_hot_infer", _one_hot_kernel)


@tensor_method
def narrow(x, dim, start, length):
    """The view of ``x`` of ``length`` elements from ``start`` along ``dim``.

    >>> import dualgrad as dg
    >>> dg.narrow(dg.arange(5.), 0, 1, 3)
    tensor([1., 2., 3.])
    """
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(x, dim)
    n = x.shape[d]
    start, length = _int(start), _int(length)
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(x, _along(d, slice(start, start + length)))


@tensor_method
def select(x, dim, index):
    """The view of ``x`` at ``index`` along ``dim``, without that dim (``x[:, index]``)."""
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _dim(x, dim)
    n = x.shape[d]
    i = _int(index)
    if not -n <= i < n:
        raise IndexError(
            f"select(): index {i} out of range for tensor of size {list(x.shape)} at dimension {d}"
        )
    return getitem(x, _along(d, i % n))


def _unfold_kernel(x, *, dim, size, step):
    n = x.shape[dim]
    windows = (n - size) // step + 1
    st = x.strides
    overlap = step < size and windows > 1
    return np.lib.stride_tricks.as_strided(
        x,
        shape=x.shape[:dim] + (windows,) + x.shape[dim + 1 :] + (size,),
        strides=st[:dim] + (st[dim] * step,) + st[dim + 1 :] + (st[dim],),
        writeable=x.flags.writeable and not overlap,  # NOTE: [unfold views]
    )


def _unfold_adjoint(g, x, *, needs, dim, size, step):
    n = x.shape[dim]
    windows = (n - size) // step + 1
    idx = np.arange(windows)[:, None] * step + np.arange(size)[None, :]
    g = movedim(g, -1, dim + 1)  # (..., windows, size, ...): the gather's layout
    return (apply(INDEX_ADD_ZEROS, g, shape=tuple(x.shape), index=_Index(_along(dim, idx))),)


UNFOLD = linear("unfold", _unfold_kernel, _unfold_adjoint, view=True)


@tensor_method
def unfold(x, dimension, size, step):
    """The windows of ``size`` elements every ``step`` along ``dimension``, as a new last dim:
    a view of ``x`` (``Tensor.unfold``; NOTE: [unfold views]).

    >>> import dualgrad as dg
    >>> dg.arange(5.).unfold(0, 2, 2)
    tensor([[0., 1.],
            [2., 3.]])
    """
    if x.ndim == 0:
        return reshape(x, (1,)) if size == 1 else _unfold_error(size, 1)
    d = _dim(x, dimension)
    n = x.shape[d]
    if size > n:
        _unfold_error(size, n)
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return apply(UNFOLD, x, dim=d, size=int(size), step=int(step))


def _unfold_error(size, n):
    raise RuntimeError(f"maximum size for tensor at dimension is {n} but size is {size}")


@tensor_method
def roll(x, shifts, dims=None):
    """``x`` shifted circularly by ``shifts`` along ``dims`` (the flattened ``x`` if None).

    >>> import dualgrad as dg
    >>> dg.roll(dg.arange(4.), 1)
    tensor([3., 0., 1., 2.])
    """
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError("roll: shifts and dims must align when dims is not given")
        return reshape(roll(reshape(x, (-1,)), shifts, 0), tuple(x.shape))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    out = x
    for s, dim in zip(shifts, dims):
        d = _dim(x, dim)
        n = x.shape[d]
        if n and s % n:
            out = getitem(out, _along(d, (np.arange(n) - s) % n))
    # roll is not a view in torch: with no shift at all the result is still a new tensor
    return x.clone() if out is x else out


@tensor_method
def tile(x, *dims):
    """``x`` repeated ``dims[i]`` times along dim i; missing leading entries of ``dims`` are 1.
    ``dims`` as one sequence or, as torch's method takes them, separate numbers."""
    if not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    if len(dims) == 1 and not isinstance(dims[0], int):
        dims = dims[0]
    dims = tuple(int(r) for r in dims)
    dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, dims)


@tensor_method
def repeat_interleave(x, repeats=None, dim=None, *, output_size=None):
    """Each element of ``x`` repeated ``repeats`` times (a number, or one count per element)
    along ``dim`` (of the flattened ``x`` if None). With ``x`` only, ``x`` holds the counts and
    the result is ``arange(len(x))`` repeated by them.

    >>> import dualgrad as dg
    >>> dg.repeat_interleave(dg.tensor([1., 2.]), 2)
    tensor([1., 1., 2., 2.])
    """
    if repeats is None:
        return apply(REPEAT_COUNTS, x)
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = _dim(x, dim)
    n = x.shape[d]
    if isinstance(repeats, Tensor) and known_values(repeats) is None:
        # batched counts inside vmap: the index runs per batch element (NOTE: [value-shaped
        # index ops]); the checks on the values run there
        if repeats.ndim > 1 or (repeats.ndim and repeats.shape[0] not in (1, n)):
            raise RuntimeError("repeats must have the same size as input along dim")
        idx = apply(REPEAT_COUNTS, expand(reshape(repeats, (-1,)), (n,)))
        if output_size is not None and output_size != idx.shape[0]:
            raise RuntimeError(
                f"repeat_interleave: output_size {output_size} does not match {idx.shape[0]}"
            )
        return getitem(x, _along(d, idx))
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim and counts.shape[0] not in (1, n):
        raise RuntimeError("repeats must have the same size as input along dim")
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    counts = counts.reshape(-1) if counts.size == n else int(counts.reshape(-1)[0])
    idx = np.repeat(np.arange(n), counts)
    if output_size is not None and output_size != idx.shape[0]:
        raise RuntimeError(
            f"repeat_interleave: output_size {output_size} does not match {idx.shape[0]}"
        )
    return getitem(x, _along(d, idx))


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors: output i varies along dim i (``'ij'``) or, for the
    first two, along the swapped dims (``'xy'``, Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, a in zip(tensors, axes):
        shape[a] = t.numel()
    out = []
    for t, a in zip(tensors, axes):
        one = [1] * len(tensors)
        one[a] = shape[a]
        out.append(expand(reshape(t, tuple(one)), tuple(shape)))
    return tuple(out)


def _tri_indices(fn, row, col, offset, dtype, device):
    from .._dtype import int64
    from .._factories import tensor

    r, c = fn(row, offset, col)
    return tensor(np.stack([r, c]).astype(np.int64), dtype=dtype or int64, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) indices of the lower triangle of a row x col matrix, row by row."""
    return _tri_indices(np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The (2, N) indices of the upper triangle of a row x col matrix, row by row."""
    return _tri_indices(np.triu_indices, row, col, offset, dtype, device)


def one_hot(x, num_classes=-1):
    """int64 one-hot vectors of the class indices in ``x``, as a new last dim
    (``torch.nn.functional.one_hot``).

    >>> import dualgrad as dg
    >>> dg.one_hot(dg.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    from .._dtype import int64
    from .._factories import arange

    if x.dtype != int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:  # the width is decided by the values (NOTE: [value-shaped index ops])
        return apply(ONE_HOT_INFER, x)
    a = known_values(x)  # None inside vmap: the checks need the values, the result does not
    if a is not None and a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if a is not None and a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return E.eq(x.unsqueeze(-1), arange(num_classes)).to(int64)


@tensor_method
def diff(x, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first), as
    torch.diff: ``x[1:] - x[:-1]`` repeated, ``!=`` for bool tensors.

    >>> import dualgrad as dg
    >>> dg.diff(dg.tensor([1, 4, 9, 16]))
    tensor([3, 5, 7])
    """
    from .shape import cat

    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    n = int_arg(n, "diff", "n", 2)
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = normalize_dims(dim, x.ndim)[0]
    parts = [t for t in (prepend, x, append) if t is not None]
    if len(parts) > 1:
        parts = [t if t.ndim else t.expand(*x.shape[:d], 1, *x.shape[d + 1 :]) for t in parts]
        x = cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:  # (more differences than elements: empty, as torch's)
            break
        hi, lo = narrow(x, d, 1, max(m - 1, 0)), narrow(x, d, 0, max(m - 1, 0))
        x = E.ne(hi, lo) if x.dtype.np.kind == "b" else hi - lo
    return x


@tensor_method
def rot90(x, k=1, dims=(0, 1)):
    """``x`` rotated by 90 degrees ``k`` times in the plane ``dims``, from the first towards the
    second axis, as torch.rot90 (a flip and a transpose, so a copy).

    >>> import dualgrad as dg
    >>> dg.rot90(dg.tensor([[1, 2], [3, 4]]))
    tensor([[2, 4],
            [1, 3]])
    """
    from .shape import flip

    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    for d in dims:
        if not -x.ndim <= d < x.ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], "
                f"but got {d})"
            )
    d0, d1 = (d % x.ndim for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k = int_arg(k, "rot90", "k", 2) % 4  # NOTE: [parsed arguments]
    if k == 1:
        return flip(x, [d1]).transpose(d0, d1)
    if k == 2:
        return flip(x, [d0, d1])
    if k == 3:
        return flip(x, [d0]).transpose(d0, d1)
    return x.clone()


@tensor_method(inplace=True)
def put(x, index, source, accumulate=False):
    """``x`` (as if flattened) with ``source`` written at ``index`` (summed in with
    ``accumulate``), as Tensor.put; ``x.put_(...)`` writes in place.

    >>> import dualgrad as dg
    >>> dg.zeros(2, 2).put(dg.tensor([0, 3]), dg.tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    from .indexing import index_put

    n = x.numel()
    if index.numel() != source.numel():
        raise RuntimeError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {index.numel()}"
        )
    a = known_values(index)
    if a is not None and a.size and (a.min() < -n or a.max() >= n):
        bad = int(a.min() if a.min() < -n else a.max())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat = index_put(
        reshape(x, (-1,)), (reshape(index, (-1,)),), reshape(source, (-1,)), accumulate
    )
    return reshape(flat, tuple(x.shape))


# --------------------------------------------------------------- as_strided, storage_offset
# torch's view by explicit sizes, strides and storage offset.
# NOTE: [as_strided as a gather] torch.as_strided(x, size, stride, storage_offset) reads the
# elements of x's *storage* (its root's memory, not x's own shape) at
# ``storage_offset + sum(i_k * stride_k)``. dualgrad writes it as a gather from x at the
# positions those storage indices have among x's elements: the values are torch's, and the
# derivatives are the gather's (its vjp scatter-adds, which is torch's as_strided_backward for
# overlapping windows, its jvp gathers the tangent, its batching rule is indexing's). A
# storage index that x does not cover (a window reaching into the base beyond a slice) reads the
# base's value as a constant: torch's gradient goes to x's elements only, too. Under vmap
# (torch.func's rule) an example's storage is its own contiguous elements.
#
# What differs: the result is a new tensor, not a view of x's memory. So that no write into it is
# silently lost to x, its memory is read-only: an in-place write raises (docs/differences.md).


def _root(x: Tensor) -> Tensor:
    base = getattr(x, "_base", None)
    return x if base is None else base


@tensor_method
def storage_offset(x) -> int:
    """The index in its storage (its root's memory, in elements) of this tensor's first
    element, as torch's: 0 for a tensor that owns its memory, 2 for ``t[2:]``."""
    if wrapped(x) or x._data.size == 0:
        return 0
    root = _root(x)
    return (x._data.ctypes.data - root._data.ctypes.data) // x._data.itemsize


def _own_positions(x: Tensor) -> np.ndarray:
    """The storage index of each of x's elements (row-major order)."""
    shape = tuple(x.shape)
    if wrapped(x):  # one example's storage: its contiguous elements (torch.func's rule)
        return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    pos = np.full(shape, storage_offset(x), dtype=np.int64)
    for d, st in enumerate(x.stride()):
        pos = pos + (np.arange(shape[d], dtype=np.int64) * st).reshape(
            (-1,) + (1,) * (len(shape) - d - 1)
        )
    return pos


def _storage_size(x: Tensor) -> int:
    if wrapped(x):
        return int(np.prod(tuple(x.shape)))
    root = _root(x)
    return root._data.size if root._data.flags.c_contiguous else -1


@tensor_method
def as_strided(input, size, stride, storage_offset=None):  # noqa: A002  (torch's names)
    """The tensor of shape ``size`` whose element ``i`` is the storage element
    ``storage_offset + sum(i_k * stride_k)`` of ``input`` (NOTE: [as_strided as a gather]).

    >>> import dualgrad as dg
    >>> dg.arange(5.0).as_strided((3, 2), (1, 1))  # sliding windows of 2
    tensor([[0., 1.],
            [1., 2.],
            [2., 3.]])
    """
    x = input
    if not isinstance(x, Tensor):
        raise TypeError(
            f"as_strided(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    size = tuple(int_arg(s, "as_strided", "size", 2) for s in size)
    stride = tuple(int_arg(s, "as_strided", "stride", 3) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: "
            f"{list(stride)}"
        )
    if any(s < 0 for s in size):
        raise RuntimeError(f"as_strided: Negative dimension size {min(size)} is not allowed")
    offset = (
        storage_offset_of(x)
        if storage_offset is None
        else int_arg(storage_offset, "as_strided", "storage_offset", 4)
    )
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    n_out = int(np.prod(size))
    need = 0 if n_out == 0 else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    have = _storage_size(x)
    if n_out and have >= 0 and need > have:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {x._data.itemsize} requiring a storage size of "
            f"{need * x._data.itemsize} are out of bounds for storage of size "
            f"{have * x._data.itemsize}"
        )
    want = np.full(size, offset, dtype=np.int64)
    for d, st in enumerate(stride):
        want = want + (np.arange(size[d], dtype=np.int64) * st).reshape(
            (-1,) + (1,) * (len(size) - d - 1)
        )
    own = _own_positions(x).reshape(-1)
    if np.unique(own).size != own.size:
        raise NotImplementedError(
            "as_strided of a tensor whose elements share memory (an expanded tensor) is not "
            "supported; call .contiguous() first"
        )
    order = np.argsort(own, kind="stable")
    at = np.searchsorted(own[order], want.reshape(-1))
    inside = (at < own.size) & (own[order][np.minimum(at, own.size - 1)] == want.reshape(-1))
    index = np.where(inside, order[np.minimum(at, own.size - 1)], 0)
    source = reshape(x, (-1,))
    if not inside.all():  # storage x does not cover: the base's values, as constants
        root = _root(x)
        if x._fw or root._fw:
            # torch's tangent there is the base's (a view's tangent is a view of its base's),
            # while its gradient goes to x's elements only: one gather cannot be both
            raise NotImplementedError(
                "as_strided reaching beyond its input into its base is not supported in forward "
                "mode; take as_strided of the base instead"
            )
        if have < 0:
            raise NotImplementedError(
                "as_strided reaching beyond its input into a non-contiguous base is not "
                "supported; call .contiguous() first"
            )
        source = cat([source, reshape(root.detach(), (-1,))])
        index = np.where(inside, index, own.size + want.reshape(-1))
    flat = getitem(source, tensor(index))
    if not wrapped(flat):
        flat._data.flags.writeable = False  # (NOTE: [as_strided as a gather]: not a view)
    return reshape(flat, size)


storage_offset_of = storage_offset


__all__ = [
    "as_strided",
    "diff",
    "rot90",
    "narrow",
    "select",
    "roll",
    "tile",
    "repeat_interleave",
    "meshgrid",
    "tril_indices",
    "triu_indices",
    "one_hot",
]
