"""Shape primitives and the shape functions built on them.

reshape, expand, permute, flip, cat, stack, split, repeat, diagonal (and its adjoint, the
scatter of a diagonal into zeros), tril and triu. All are linear: each declares its adjoint and
gets its jvp by applying itself to the tangent. reshape, expand, permute and split are views:
their outputs share the input's memory and version counter (split's pieces each as a slice of
the input: NOTE: [multi-output views] in _views.py). The ``diagonal`` primitive copies
(``np.diagonal`` is a read-only view); the public diagonal is view_scatter.py's writable view.
"""

from __future__ import annotations

import math

import numpy as np

from .kernels import contiguous
from .._dispatch import apply
from .._tensor import Size, Tensor, size_arg
from .args import int_arg
from .indexing import SELECT, _Index, getitem
from .reduction import normalize_dims
from .reduction import sum as _sum
from .. import _dtype
from .._views import PIECES, mark_multi
from .._batching import BatchedTensor
from .registry import linear, nondiff, sum_to, variant
from ._methods import tensor_method


def _infer_shape(shape, numel):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


RESHAPE = linear(
    "reshape",
    lambda x, *, shape: x.reshape(shape),
    lambda g, x, *, needs, shape: (reshape(g, tuple(x.shape)),),
    node_name="ViewBackward0",
    view=True,
)


def _expand_kernel(x, *, shape):
    # np.broadcast_to is always read-only; where no element is repeated (only size-1 or
    # unchanged dims) the result may be written, as torch's expand then can be
    # (math.prod: exact Python ints, ~0.2 us where np.prod takes ~6)
    if math.prod(shape) == x.size:
        return x.reshape(shape)
    return np.broadcast_to(x, shape)


EXPAND = linear(
    "expand",
    _expand_kernel,
    lambda g, x, *, needs, shape: (sum_to(g, tuple(x.shape)),),
    view=True,
)
PERMUTE = linear(
    "permute",
    lambda x, *, dims: x.transpose(dims),
    lambda g, x, *, needs, dims: (permute(g, tuple(np.argsort(dims))),),
    view=True,
)
# torch's nodes for spellings of permute and reshape (NOTE: [torch's node names by variant])
T = variant(PERMUTE, "t", "TBackward0")
TRANSPOSE = variant(PERMUTE, "transpose", "TransposeBackward0")
SQUEEZE = variant(RESHAPE, "squeeze", "SqueezeBackward0")  # every size-1 dim
SQUEEZE_DIM = variant(RESHAPE, "squeeze_dim", "SqueezeBackward1")  # squeeze(int)
SQUEEZE_DIMS = variant(RESHAPE, "squeeze_dims", "SqueezeBackward2")  # squeeze(tuple)
UNSQUEEZE = variant(RESHAPE, "unsqueeze", "UnsqueezeBackward0")
FLIP = linear(
    "flip",
    lambda x, *, dims: np.flip(x, dims).copy() if dims else x.copy(),
    lambda g, x, *, needs, dims: (flip(g, dims),),
)


def _shape_arg(shape, op="reshape", arg="shape"):
    return size_arg(shape, op, arg)  # refuses floats (NOTE: [size arguments] in _tensor.py)


@tensor_method
def reshape(x, *shape):
    """``x`` with a new shape of the same number of elements (-1 infers one dim)."""
    if not shape:  # (x.reshape() is torch's TypeError, not a reshape to 0-d)
        raise TypeError('reshape() missing 1 required positional arguments: "shape"')
    shape = _infer_shape(_shape_arg(shape), x._data.size)
    if shape == x._data.shape:
        return apply(RESHAPE, x, shape=shape)
    return apply(RESHAPE, x, shape=shape)


def _view_dtype_kernel(a, *, dtype):
    """The same bytes read as ``dtype`` (torch's view(dtype)); a size change is taken from the
    last dim, which must be contiguous and divisible, as in torch."""
    to = np.dtype(dtype.np)
    if to.itemsize != a.dtype.itemsize:
        names = (_dtype.torch_name(a.dtype.name), _dtype.torch_name(dtype.name))
        if a.ndim == 0:
            raise RuntimeError(
                f"self.dim() cannot be 0 to view {names[0]} as {names[1]} (different element sizes)"
            )
        if a.shape[-1] > 1 and a.strides[-1] != a.dtype.itemsize:
            raise RuntimeError(
                f"self.stride(-1) must be 1 to view {names[0]} as {names[1]} (different element "
                f"sizes), but got {a.strides[-1] // a.dtype.itemsize}"
            )
        ratio = to.itemsize // a.dtype.itemsize
        if ratio and a.shape[-1] % ratio:
            raise RuntimeError(
                f"self.size(-1) must be divisible by {ratio} to view {names[0]} as {names[1]} "
                f"(different element sizes), but got {a.shape[-1]}"
            )
    return a.view(to)


# NOTE: [dtype views] x.view(dtype) reinterprets x's bytes and shares its memory (and version
# counter), as torch's does; it is not differentiable (torch gives no gradient through it).
# Like torch's non-differentiable views, it has a history of its own: a write into it gives it
# the write's history and leaves its base's alone, and a write into the base leaves its own.
VIEW_DTYPE = nondiff("view_dtype", _view_dtype_kernel, view=True)


# NOTE: [view or copy]
# ``view`` never copies: where the new shape cannot be had by new strides over ``x``'s memory it
# raises torch's error, and ``reshape`` is the op that copies then. Which shapes can be had is
# torch's ``computeStride`` (aten/src/ATen/TensorUtils.cpp), below: ``x``'s dims fall into
# chunks that are contiguous within themselves, and each chunk must be split or merged into new
# dims on its own (NumPy's reshape makes a view in exactly these cases).
def _view_strides(shape, strides, new_shape):
    """The strides of ``new_shape`` over memory laid out as ``shape``/``strides``, or None when
    no strides can view it (torch's computeStride: NOTE: [view or copy])."""
    if not shape:
        return (1,) * len(new_shape)
    if 0 in shape:  # no element: any strides do
        return strides if tuple(shape) == tuple(new_shape) else (1,) * len(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(new_strides) if view_d == -1 else None


def _logical_strides(x):
    """``x.stride()``, inside vmap too (a batched tensor: its physical strides without the
    batch dim)."""
    if isinstance(x, BatchedTensor):
        st = _logical_strides(x._value)
        return st[: x._bdim] + st[x._bdim + 1 :]
    return x.stride()


@tensor_method
def view(x, *shape):
    """``x`` with a new shape over the same memory, or torch's error where that takes a copy
    (NOTE: [view or copy]); ``view(dtype)`` reads the same bytes as another dtype."""
    if len(shape) == 1 and isinstance(shape[0], (_dtype.dtype, np.dtype, type, str)):
        return apply(VIEW_DTYPE, x, dtype=_dtype.to_dtype(shape[0]))
    new_shape = _infer_shape(_shape_arg(shape), x._data.size)
    if _view_strides(tuple(x.shape), _logical_strides(x), new_shape) is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return apply(RESHAPE, x, shape=new_shape)


@tensor_method
def view_as(x, other):
    """``x.view(other.shape)``: a view, or torch's error where that takes a copy."""
    return view(x, tuple(other.shape))


@tensor_method
def reshape_as(x, other):
    """``x.reshape(other.shape)``: a view where one can be made, else a copy."""
    return reshape(x, tuple(other.shape))


def numel(input, /) -> int:  # noqa: A002  (torch's name)
    """The number of elements of ``input``, as ``input.numel()``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.numel()


@tensor_method
def expand(x, *shape):
    """A view of x with singleton dims repeated to ``shape`` (-1 keeps a dim; new dims go in front),
    no copy.

    A linear op: its vjp sums the gradient back to x's shape.
    """
    shape = _shape_arg(shape, "expand", "size")
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({x.ndim})"
        )
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    # checked from the last dim, as torch's, which reports the rightmost mismatch
    for i in reversed(range(x.ndim)):
        s = x.shape[i]
        if s != 1 and s != full[i + lead]:
            raise RuntimeError(
                f"The expanded size of the tensor ({full[i + lead]}) must match the existing size "
                f"({s}) at non-singleton dimension {i + lead}.  Target sizes: {list(shape)}.  "
                f"Tensor sizes: {list(x.shape)}"
            )
    return apply(EXPAND, x, shape=full)  # a new view even when nothing grows, as in torch


@tensor_method
def broadcast_to(input, size):  # noqa: A002  (torch's keyword names: broadcast_to(input=, size=))
    """``expand(input, size)``: a view of ``input`` broadcast to ``size``."""
    return expand(input, tuple(size))


@tensor_method
def expand_as(x, other):
    """``expand(x, other.shape)``."""
    return expand(x, tuple(other.shape))


# a matrix's own orders and its two dims however spelled (.T, .mT, transpose(0, 1), every
# matmul rule's transposes), without the parsing and normalize_dims (~1 us a call)
_MATRIX_ORDERS = frozenset({(1, 0), (0, 1)})
_MATRIX_SWAPS = frozenset({(0, 1), (1, 0), (-2, -1), (-1, -2), (0, -1), (-1, 0), (-2, 1), (1, -2)})


@tensor_method
def permute(input, *dims_, dims=None):  # noqa: A002  (torch's keyword names: input=, dims=)
    """A view of x with its dims reordered to ``dims``. The vjp permutes back."""
    x = input
    if not dims_ and dims is None:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = _shape_arg(dims_ if dims is None else (dims,), "permute", "dims")
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    if dims not in _MATRIX_ORDERS:  # (a matrix's .T: in range already)
        dims = tuple(d % max(x.ndim, 1) for d in dims)
    return apply(PERMUTE, x, dims=dims)


@tensor_method
def transpose(x, dim0, dim1):
    """A view of x with dims ``dim0`` and ``dim1`` swapped (aliases ``swapaxes``, ``swapdims``)."""
    return apply(TRANSPOSE, x, dims=_swapped(x, dim0, dim1))


def _swapped(x, dim0, dim1):
    """The permutation of x's dims that swaps ``dim0`` and ``dim1``."""
    if type(dim0) is int and type(dim1) is int and x.ndim == 2 and (dim0, dim1) in _MATRIX_SWAPS:
        return (1, 0)
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return tuple(range(x.ndim))  # still a view, never x itself
    d0, d1 = (normalize_dims(d, x.ndim)[0] for d in (dim0, dim1))
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return tuple(dims)


swapaxes = swapdims = tensor_method(transpose, "swapaxes", "swapdims")


@tensor_method
def t(x):
    """Transpose a tensor of at most 2 dims (a 0-d or 1-d tensor as a view of itself)."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return apply(T, x, dims=(1, 0) if x.ndim == 2 else tuple(range(x.ndim)))


@tensor_method
def unsqueeze(x, dim):
    """A view of x with a size-1 dim inserted at ``dim``."""
    rank = x.ndim + 1
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})"
        )
    d = dim % rank
    shape = tuple(x.shape[:d]) + (1,) + tuple(x.shape[d:])
    return apply(UNSQUEEZE, x, shape=shape)


@tensor_method
def squeeze(x, dim=None):
    """A view of x without its size-1 dims (only those in ``dim`` if given)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
        op = SQUEEZE
    else:
        dims = normalize_dims(dim, x.ndim)
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
        op = SQUEEZE_DIMS if isinstance(dim, (tuple, list)) else SQUEEZE_DIM
    return apply(op, x, shape=shape)  # a view even when no dim is dropped, as in torch


@tensor_method
def flatten(x, start_dim=0, end_dim=-1):
    """x with dims ``start_dim`` to ``end_dim`` merged into one: a view when the layout allows, else
    a copy."""
    s, e = (
        normalize_dims(d, x.ndim)[0] if x.ndim else normalize_dims(d, 0)
        for d in (start_dim, end_dim)
    )
    if x.ndim == 0:
        return reshape(x, 1)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = 1
    for d in x.shape[s : e + 1]:
        n *= d
    return reshape(x, tuple(x.shape[:s]) + (n,) + tuple(x.shape[e + 1 :]))


@tensor_method
def ravel(input):  # noqa: A002
    """The elements of ``input`` as a 1-D tensor: a view where the layout allows, as torch's."""
    return reshape(input, (-1,))


@tensor_method
def unflatten(x, dim, sizes):
    """x with dim ``dim`` split into ``sizes`` (one may be -1)."""
    if x.ndim == 0:
        raise RuntimeError("unflatten: Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dims(dim, x.ndim)[0]
    n = x.shape[d]
    sizes = tuple(int(s) for s in sizes)
    # -1 is inferred from the size of dim d, not from the number of elements: x may be empty
    # because of another dim
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if sizes.count(-1) == 1 and known and not n % known:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif sizes.count(-1) or known != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
            f"({n}) in the input tensor"
        )
    return reshape(x, tuple(x.shape[:d]) + sizes + tuple(x.shape[d + 1 :]))


@tensor_method
def movedim(x, source, destination):
    """A view of x with dims ``source`` moved to positions ``destination`` (alias ``moveaxis``)."""
    src = (
        normalize_dims(source, x.ndim)
        if isinstance(source, int)
        else tuple(s % x.ndim for s in source)
    )
    dst = (
        normalize_dims(destination, x.ndim)
        if isinstance(destination, int)
        else tuple(d % x.ndim for d in destination)
    )
    if x.ndim == 0:  # dims 0 and -1 were checked above: a 0-d tensor has nothing to move
        return permute(x, ())
    if isinstance(source, int):
        src, dst = (source % x.ndim,), (destination % x.ndim,)
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, tuple(order))


moveaxis = tensor_method(movedim, "moveaxis")


@tensor_method
def flip(x, dims):
    """A copy of x with the order of elements reversed along ``dims``. The vjp flips back."""
    dims = normalize_dims(dims, x.ndim)
    return apply(FLIP, x, dims=dims)


@tensor_method
def fliplr(x):
    """``flip(x, (1,))``: reverse the columns."""
    if x.ndim < 2:
        raise RuntimeError(f"Input must be >= 2-d. (fliplr of a {x.ndim}-d tensor; use flip)")
    return flip(x, (1,))


@tensor_method
def flipud(x):
    """``flip(x, (0,))``: reverse the rows."""
    if x.ndim < 1:
        raise RuntimeError(f"Input must be >= 1-d. (flipud of a {x.ndim}-d tensor; use flip)")
    return flip(x, (0,))


# ------------------------------------------------------------------ joining and splitting
def _cat_kernel(*xs, dim):
    dt = _dtype.result_type_of_arrays(*xs).np
    # contiguous, as torch's (NumPy keeps the inputs' layout: NOTE: [contiguous results])
    return contiguous(np.concatenate([x if x.dtype == dt else x.astype(dt) for x in xs], axis=dim))


def _cat_adjoint(g, *xs, needs, dim):
    grads = apply(SPLIT, g, dim=dim, sizes=tuple(x.shape[dim] for x in xs))
    return tuple(
        (gi if gi.dtype == x.dtype else gi.to(x.dtype)) if need else None
        for gi, x, need in zip(grads, xs, needs)
    )


def _stack_kernel(*xs, dim):
    dt = _dtype.result_type_of_arrays(*xs).np
    return contiguous(  # NOTE: [contiguous results]
        np.stack([x if x.dtype == dt else x.astype(dt) for x in xs], axis=dim)
    )


def _stack_adjoint(g, *xs, needs, dim):
    return tuple(
        (gi if gi.dtype == x.dtype else gi.to(x.dtype)) if need else None
        for gi, x, need in zip(unbind(g, dim), xs, needs)
    )


def _split_kernel(x, *, dim, sizes):
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, bounds, axis=dim))  # views: NOTE: [multi-output views]


def _split_adjoint(g, x, *, needs, dim, sizes):
    from .._factories import zeros

    parts = []
    for gi, n in zip(g, sizes):
        if gi is None:  # an output that took no part in the loss: its gradient is zero
            shape = tuple(x.shape[:dim]) + (n,) + tuple(x.shape[dim + 1 :])
            gi = zeros(shape, dtype=x.dtype)
        parts.append(gi)
    return (apply(CAT, *parts, dim=dim),)


CAT = linear("cat", _cat_kernel, _cat_adjoint, n_linear=-1)
STACK = linear("stack", _stack_kernel, _stack_adjoint, n_linear=-1)
SPLIT = linear(
    "split",
    _split_kernel,
    _split_adjoint,
    multi_output=True,
    view=True,
    node_name="SplitWithSizesBackward0",
)


def _split_pieces(*, dim, sizes):
    """Each piece of a split as the slice of the input it views."""
    starts = np.cumsum((0,) + tuple(sizes))
    lead = (slice(None),) * dim
    return tuple(
        (SELECT, {"index": _Index(lead + (slice(int(a), int(b)),))})
        for a, b in zip(starts, starts[1:])
    )


PIECES[SPLIT] = _split_pieces


def _repeat_kernel(x, *, repeats):
    lead = len(repeats) - x.ndim
    return np.tile(x.reshape((1,) * lead + x.shape), repeats)


def _repeat_adjoint(g, x, *, needs, repeats):
    # out dim i holds repeats[i] copies of padded dim i: split it in two and sum the copies
    padded = (1,) * (len(repeats) - x.ndim) + tuple(x.shape)
    interleaved = []
    for r, s in zip(repeats, padded):
        interleaved += [r, s]
    g = _sum(reshape(g, tuple(interleaved)), dim=tuple(range(0, 2 * len(repeats), 2)))
    return (reshape(g, tuple(x.shape)),)


REPEAT = linear("repeat", _repeat_kernel, _repeat_adjoint)


def _diagonal_positions(offset, n):
    i = np.arange(n)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


def _diagonal_scatter_zeros_kernel(g, *, shape, offset, dim1, dim2):
    z = np.zeros(shape, dtype=g.dtype)
    zt = np.moveaxis(z, (dim1, dim2), (-2, -1))  # a writable view of z
    rows, cols = _diagonal_positions(offset, g.shape[-1])
    zt[..., rows, cols] = g
    return z


DIAGONAL = linear(
    "diagonal",
    lambda x, *, offset, dim1, dim2: np.diagonal(x, offset, dim1, dim2).copy(),
    lambda g, x, *, needs, offset, dim1, dim2: (
        apply(DIAGONAL_SCATTER_ZEROS, g, shape=tuple(x.shape), offset=offset, dim1=dim1, dim2=dim2),
    ),
)
DIAGONAL_SCATTER_ZEROS = linear(
    "diagonal_scatter_zeros",
    _diagonal_scatter_zeros_kernel,
    lambda g, x, *, needs, shape, offset, dim1, dim2: (
        apply(DIAGONAL, g, offset=offset, dim1=dim1, dim2=dim2),
    ),
    node_name="DiagEmbedBackward0",
)
TRIL = linear(
    "tril",
    lambda x, *, diagonal: np.tril(x, diagonal),
    lambda g, x, *, needs, diagonal: (apply(TRIL, g, diagonal=diagonal),),
)
TRIU = linear(
    "triu",
    lambda x, *, diagonal: np.triu(x, diagonal),
    lambda g, x, *, needs, diagonal: (apply(TRIU, g, diagonal=diagonal),),
)


def _tensor_list(tensors, fn):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{fn}(): argument 'tensors' must be a tuple or list of Tensors, not {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{fn}(): expected a non-empty list of Tensors")  # torch's type
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{fn}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    return tuple(tensors)


def cat(tensors, dim=0):
    """Join tensors along an existing dim.

    >>> import dualgrad as dg
    >>> dg.cat([dg.zeros(1, 2), dg.ones(2, 2)]).shape
    dualgrad.Size([3, 2])
    """
    tensors = _tensor_list(tensors, "cat")
    # PyTorch's legacy rule: 1-D empty tensors are skipped whatever the other shapes are
    kept = tuple(t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0))
    if not kept:
        return tensors[0].clone()
    ref = kept[0]
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    (d,) = normalize_dims(dim, ref.ndim)
    for i, t in enumerate(kept):
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}"
            )
        for j in range(ref.ndim):
            if j != d and t.shape[j] != ref.shape[j]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[j]} but got size {t.shape[j]} for tensor number {i} in the list."
                )
    return apply(CAT, *kept, dim=d)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join tensors of one shape along a new dim.

    >>> import dualgrad as dg
    >>> dg.stack([dg.zeros(2), dg.ones(2)], dim=1).shape
    dualgrad.Size([2, 2])
    """
    tensors = _tensor_list(tensors, "stack")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if tuple(t.shape) != tuple(ref.shape):
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref.shape)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    (d,) = normalize_dims(dim, ref.ndim + 1)
    return apply(STACK, *tensors, dim=d)


@tensor_method
def split(x, split_size_or_sections, dim=0):
    """Pieces of ``x`` along ``dim``: of size ``split_size`` (the last may be smaller) or of
    the listed sizes.

    >>> import dualgrad as dg
    >>> [p.shape[0] for p in dg.split(dg.arange(5.0), 2)]
    [2, 2, 1]
    """
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    (d,) = normalize_dims(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        sizes = tuple(min(size, n - i) for i in range(0, n, size)) if n else (0,)
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                f"dimension {d}), but got split_sizes={list(sizes)}"
            )
    return apply(SPLIT, x, dim=d, sizes=sizes)


@tensor_method
def chunk(x, chunks, dim=0):
    """Up to ``chunks`` pieces of ``x`` along ``dim``, each of size ceil(n / chunks); an
    empty dim gives ``chunks`` empty pieces, as in torch."""
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: %d" % chunks)
    (d,) = normalize_dims(dim, x.ndim)
    n = x.shape[d]
    if n == 0:
        return split(x, (0,) * chunks, d)
    return split(x, -(-n // chunks), d)


@tensor_method
def tensor_split(x, indices_or_sections, dim=0):
    """``x`` cut along ``dim`` into ``k`` near-equal pieces (an int), or at the listed indices,
    each piece being ``x[a:b]`` with Python's slice rules (negative indices count from the end,
    out-of-range ones clamp, a later index below an earlier one gives an empty piece): views of
    ``x``, as in torch."""
    if x.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    (d,) = normalize_dims(dim, x.ndim)
    n = x.shape[d]
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.ndim > 1 or indices_or_sections.is_floating_point():
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                "one-dimensional tensor of dtype long"
            )
        v = indices_or_sections.tolist()
        indices_or_sections = v if isinstance(v, list) else int(v)
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = [int(b) for b in np.cumsum([0] + sizes)]
        cuts = list(zip(bounds, bounds[1:]))
    else:
        points = [int(i) for i in indices_or_sections]
        cuts = list(zip([0] + points, points + [None]))
    return tuple(getitem(x, (slice(None),) * d + (slice(a, b),)) for a, b in cuts)


@tensor_method
def unbind(x, dim=0):
    """The slices of ``x`` along ``dim``, each a view without that dim."""
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    (d,) = normalize_dims(dim, x.ndim)
    outs = tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))
    return mark_multi(outs, "Unbind")  # NOTE: [multi-output views] in _views.py


@tensor_method
def repeat(x, *repeats):
    """``x`` tiled ``repeats[i]`` times along dim i (leading dims are added as needed)."""
    repeats = _shape_arg(repeats, "repeat", "repeats")
    if len(repeats) < x.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return apply(REPEAT, x, repeats=repeats)


def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal of ``x`` over ``dim1`` and ``dim2``, as a new last dim: a view, as in
    torch (writes through it reach ``x``); ``diag`` of a matrix stays a copy, as in torch."""
    # the method, which is view_scatter.diagonal: view_scatter.py builds on this module (NOTE:
    # [layered op modules])
    return x.diagonal(offset, dim1, dim2)


@tensor_method
def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals over (dim1, dim2) are the last dim of ``x``, zeros elsewhere."""
    offset = int_arg(offset, "diag_embed", "offset", 2)
    n = x.shape[-1] + abs(offset)
    rank = x.ndim + 1
    d1, d2 = (normalize_dims(d, rank)[0] for d in (dim1, dim2))
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    shape = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    return apply(
        DIAGONAL_SCATTER_ZEROS, x, shape=tuple(shape), offset=int(offset), dim1=d1, dim2=d2
    )


@tensor_method
def diag(x, diagonal=0):
    """A 1-D tensor as a diagonal matrix, or the diagonal of a 2-D tensor."""
    if x.ndim == 1:
        return diag_embed(x, int_arg(diagonal, "diag", "diagonal", 2), 0, 1)
    if x.ndim == 2:
        return apply(DIAGONAL, x, offset=int_arg(diagonal, "diag", "diagonal", 2), dim1=0, dim2=1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


@tensor_method
def trace(x):
    """The sum of the main diagonal of a matrix."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    return _sum(diagonal(x))


@tensor_method(inplace=True)
def tril(x, diagonal=0):
    """``x`` with the elements above the ``diagonal``-th diagonal set to zero."""
    if x.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return apply(TRIL, x, diagonal=int_arg(diagonal, "tril", "diagonal", 2))


@tensor_method(inplace=True)
def triu(x, diagonal=0):
    """``x`` with the elements below the ``diagonal``-th diagonal set to zero."""
    if x.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return apply(TRIU, x, diagonal=int_arg(diagonal, "triu", "diagonal", 2))


def vstack(tensors):
    """The tensors stacked as rows: ``cat`` along dim 0 after making each at least 2-d (a
    0-d tensor becomes (1, 1), a 1-d one a row).

    >>> import dualgrad as dg
    >>> dg.vstack([dg.tensor([1, 2]), dg.tensor([3, 4])])
    tensor([[1, 2],
            [3, 4]])
    """
    if isinstance(tensors, Tensor):
        raise TypeError(
            "vstack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )
    rows = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    return cat(rows, 0)


row_stack = vstack

__all__ = [
    "vstack",
    "row_stack",
    "broadcast_shapes",
    "broadcast_tensors",
    "reshape",
    "view",
    "view_as",
    "reshape_as",
    "numel",
    "expand",
    "broadcast_to",
    "expand_as",
    "permute",
    "transpose",
    "swapaxes",
    "swapdims",
    "t",
    "unsqueeze",
    "squeeze",
    "flatten",
    "ravel",
    "unflatten",
    "movedim",
    "moveaxis",
    "flip",
    "fliplr",
    "flipud",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "split",
    "chunk",
    "tensor_split",
    "unbind",
    "repeat",
    "diagonal",
    "diag_embed",
    "diag",
    "trace",
    "tril",
    "triu",
]


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of ``shapes`` broadcast to, as torch.broadcast_shapes (ints are 1-d
    shapes), with torch's errors.

    >>> import dualgrad as dg
    >>> dg.broadcast_shapes((2, 1), (3,), 1)
    dualgrad.Size([2, 3])
    """
    shapes = [(s,) if isinstance(s, int) else s for s in shapes if s is not None]
    for shape in shapes:
        if not isinstance(shape, (tuple, list)):
            raise RuntimeError(
                "Input shapes should be of type ints, a tuple of ints, or a list of ints, "
                f"got {shape}"
            )
    common = [1] * max((len(s) for s in shapes), default=0)
    for i, shape in enumerate(shapes):
        for d in range(-1, -1 - len(shape), -1):
            if shape[d] == common[d]:
                continue
            if common[d] == 1:
                if shape[d] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[d] = shape[d]
            elif shape[d] != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[d]} at {d}! "
                    f"Mismatching argument at index {i} had {shape}; but expected shape "
                    f"should be broadcastable to {common}"
                )
    return Size(common)


def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common shape (views, differentiable), as
    torch.broadcast_tensors.

    >>> import dualgrad as dg
    >>> [t.shape for t in dg.broadcast_tensors(dg.ones(2, 1), dg.ones(3))]
    [dualgrad.Size([2, 3]), dualgrad.Size([2, 3])]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    shape = list(_broadcast_shape_of(tensors))
    return tuple(expand(t, shape) for t in tensors)


def _broadcast_shape_of(tensors):
    # torch's wording for tensors that do not broadcast ("tensor a", "tensor b" name the
    # running common shape and the offending tensor)
    common = ()
    for t in tensors:
        shape = tuple(t.shape)
        n = max(len(common), len(shape))
        a, b = (1,) * (n - len(common)) + common, (1,) * (n - len(shape)) + shape
        for d, (x, y) in enumerate(zip(a, b)):
            if x != y and 1 not in (x, y):
                raise RuntimeError(
                    f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {d}"
                )
        common = tuple(y if x == 1 else x for x, y in zip(a, b))
    return common
