"""Shape primitives (reshape, expand, permute, flip) and the shape functions built on them.

All are linear: each declares its adjoint and gets its jvp by applying itself to the tangent.
reshape, expand and permute are views: their outputs share the input's version counter.
"""

from __future__ import annotations

import numpy as np

from .._dispatch import apply
from .._tensor import Tensor
from .reduction import normalize_dims
from .registry import linear, sum_to


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
    "reshape", lambda x, *, shape: x.reshape(shape),
    lambda g, x, *, needs, shape: (reshape(g, tuple(x.shape)),),
    node_name="ViewBackward0", view=True,
)
EXPAND = linear(
    "expand", lambda x, *, shape: np.broadcast_to(x, shape),
    lambda g, x, *, needs, shape: (sum_to(g, tuple(x.shape)),),
    view=True,
)
PERMUTE = linear(
    "permute", lambda x, *, dims: x.transpose(dims),
    lambda g, x, *, needs, dims: (permute(g, tuple(np.argsort(dims))),),
    view=True,
)
FLIP = linear(
    "flip", lambda x, *, dims: np.flip(x, dims).copy() if dims else x.copy(),
    lambda g, x, *, needs, dims: (flip(g, dims),),
)


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(x, *shape):
    """``x`` with a new shape of the same number of elements (-1 infers one dim)."""
    shape = _infer_shape(_shape_arg(shape), x._data.size)
    if shape == x._data.shape:
        return apply(RESHAPE, x, shape=shape)
    return apply(RESHAPE, x, shape=shape)


def view(x, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):
        return x.to(shape[0])
    return reshape(x, *shape)


def expand(x, *shape):
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({x.ndim})"
        )
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    for i, s in enumerate(x.shape):
        if s != 1 and s != full[i + lead]:
            raise RuntimeError(
                f"The expanded size of the tensor ({full[i + lead]}) must match the existing size "
                f"({s}) at non-singleton dimension {i + lead}.  Target sizes: {list(shape)}.  "
                f"Tensor sizes: {list(x.shape)}"
            )
    if full == tuple(x.shape):
        return x
    return apply(EXPAND, x, shape=full)


def broadcast_to(x, shape):
    return expand(x, tuple(shape))


def expand_as(x, other):
    return expand(x, tuple(other.shape))


def permute(x, *dims):
    dims = _shape_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = tuple(d % max(x.ndim, 1) for d in dims)
    return apply(PERMUTE, x, dims=dims)


def transpose(x, dim0, dim1):
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    d0, d1 = (normalize_dims(d, x.ndim)[0] for d in (dim0, dim1))
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return apply(PERMUTE, x, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def unsqueeze(x, dim):
    rank = x.ndim + 1
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})")
    d = dim % rank
    shape = tuple(x.shape[:d]) + (1,) + tuple(x.shape[d:])
    return apply(RESHAPE, x, shape=shape)


def squeeze(x, dim=None):
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = normalize_dims(dim, x.ndim)
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    if shape == tuple(x.shape):
        return x
    return apply(RESHAPE, x, shape=shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = (normalize_dims(d, x.ndim)[0] for d in (start_dim, end_dim))
    n = 1
    for d in x.shape[s:e + 1]:
        n *= d
    return reshape(x, tuple(x.shape[:s]) + (n,) + tuple(x.shape[e + 1:]))


def unflatten(x, dim, sizes):
    d = normalize_dims(dim, x.ndim)[0]
    return reshape(x, tuple(x.shape[:d]) + tuple(sizes) + tuple(x.shape[d + 1:]))


def movedim(x, source, destination):
    src = normalize_dims(source, x.ndim) if isinstance(source, int) else tuple(s % x.ndim for s in source)
    dst = normalize_dims(destination, x.ndim) if isinstance(destination, int) else tuple(d % x.ndim for d in destination)
    if isinstance(source, int):
        src, dst = (source % x.ndim,), (destination % x.ndim,)
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, tuple(order))


moveaxis = movedim


def flip(x, dims):
    dims = normalize_dims(dims, x.ndim)
    return apply(FLIP, x, dims=dims)


def fliplr(x):
    return flip(x, (1,))


def flipud(x):
    return flip(x, (0,))


_ = Tensor
