"""Joining, splitting and arranging tensors: torch's NumPy-style names, as composites.

hstack, dstack, column_stack, atleast_1d/2d/3d, hsplit, vsplit, dsplit, block_diag,
cartesian_prod, combinations, vander and narrow_copy are written with cat, reshape, views,
indexing and cumprod, so each has every mode (reverse, forward, vmap, Taylor, compile) from
those ops, and torch's derivative, which is the derivative of the same arrangement.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from .reindex import meshgrid
from .indexing import nonzero
from .shape import cat, stack, tensor_split
from ._methods import tensor_method

__all__ = [
    "nonzero_static",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "hstack",
    "dstack",
    "column_stack",
    "hsplit",
    "vsplit",
    "dsplit",
    "block_diag",
    "cartesian_prod",
    "combinations",
    "vander",
    "narrow_copy",
]


def _tensors(args, fn):
    """The tensors of ``fn(*tensors)`` or ``fn([tensors])``, and whether one was given bare."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
        single = False
    else:
        single = len(args) == 1
    for t in args:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): expected Tensors, got {type(t).__name__}")
    return args, single


# NOTE: [atleast returns its input] torch.atleast_1d(x) is x itself when x already has the
# dims (torch returns the same tensor object, not a view); 0-d and 1-d inputs become views
# (reshape), so a write into the result reaches x, as in torch.
def _atleast(args, ndim, fn, grow):
    tensors, single = _tensors(args, fn)
    out = tuple(t if t.ndim >= ndim else grow(t) for t in tensors)
    return out[0] if single else out


def atleast_1d(*tensors):
    """Each tensor with at least one dim (a 0-d tensor becomes shape (1,)); one tensor in, one
    out, several (or a list) in, a tuple out.

    >>> import dualgrad as dg
    >>> dg.atleast_1d(dg.tensor(2.0))
    tensor([2.])
    """
    return _atleast(tensors, 1, "atleast_1d", lambda t: t.reshape(1))


def atleast_2d(*tensors):
    """Each tensor with at least two dims: 0-d becomes (1, 1), a vector a row (1, n).

    >>> import dualgrad as dg
    >>> tuple(dg.atleast_2d(dg.tensor([1, 2])).shape)
    (1, 2)
    """
    return _atleast(
        tensors, 2, "atleast_2d", lambda t: t.reshape(1, -1) if t.ndim else t.reshape(1, 1)
    )


def _to_3d(t):
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    return t.unsqueeze(-1)


def atleast_3d(*tensors):
    """Each tensor with at least three dims, as NumPy: 0-d is (1, 1, 1), (n,) is (1, n, 1),
    (m, n) is (m, n, 1).

    >>> import dualgrad as dg
    >>> tuple(dg.atleast_3d(dg.ones(2, 3)).shape)
    (2, 3, 1)
    """
    return _atleast(tensors, 3, "atleast_3d", _to_3d)


def _sequence(tensors, fn):
    if isinstance(tensors, Tensor):
        raise TypeError(
            f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def hstack(tensors):
    """The tensors side by side: ``cat`` along dim 1, or dim 0 when they are all vectors.

    >>> import dualgrad as dg
    >>> dg.hstack([dg.tensor([1, 2]), dg.tensor([3])])
    tensor([1, 2, 3])
    """
    ts = atleast_1d(_sequence(tensors, "hstack"))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def dstack(tensors):
    """The tensors stacked depth-wise: ``cat`` along dim 2 after ``atleast_3d``.

    >>> import dualgrad as dg
    >>> tuple(dg.dstack([dg.tensor([1, 2]), dg.tensor([3, 4])]).shape)
    (1, 2, 2)
    """
    return cat(atleast_3d(_sequence(tensors, "dstack")), 2)


def column_stack(tensors):
    """The tensors as columns: 0-d and 1-d tensors become (n, 1) columns, then ``cat`` along
    dim 1.

    >>> import dualgrad as dg
    >>> dg.column_stack([dg.tensor([1, 2]), dg.tensor([3, 4])])
    tensor([[1, 3],
            [2, 4]])
    """
    ts = _sequence(tensors, "column_stack")
    return cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in ts], 1)


def _split_along(x, sections, dim, fn, need):
    if x.ndim < need:
        raise RuntimeError(
            f"torch.{fn} requires a tensor with at least {need} dimension, but got a tensor with "
            f"{x.ndim} dimensions!"
        )
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        size = x.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(
                f"torch.{fn} attempted to split along dimension {dim}, but the size of the "
                f"dimension {size} is not divisible by the split_size {sections}!"
            )
    return tensor_split(x, sections, dim)


@tensor_method
def hsplit(x, sections):
    """``x`` split horizontally: along dim 1 (dim 0 for a vector), into ``sections`` equal
    pieces (an int that must divide the size) or at the listed indices; views of ``x``.

    >>> import dualgrad as dg
    >>> [p.tolist() for p in dg.hsplit(dg.arange(4), 2)]
    [[0, 1], [2, 3]]
    """
    return _split_along(x, sections, 0 if x.ndim == 1 else 1, "hsplit", 1)


@tensor_method
def vsplit(x, sections):
    """``x`` split along dim 0 (at least 2-d), as ``hsplit`` splits along dim 1.

    >>> import dualgrad as dg
    >>> [tuple(p.shape) for p in dg.vsplit(dg.ones(4, 2), 2)]
    [(2, 2), (2, 2)]
    """
    return _split_along(x, sections, 0, "vsplit", 2)


@tensor_method
def dsplit(x, sections):
    """``x`` split along dim 2 (at least 3-d), as ``hsplit`` splits along dim 1.

    >>> import dualgrad as dg
    >>> len(dg.dsplit(dg.ones(1, 2, 4), [1]))
    2
    """
    return _split_along(x, sections, 2, "dsplit", 3)


def block_diag(*tensors):
    """The tensors as the blocks of a block-diagonal matrix (a 0-d tensor is a 1x1 block, a
    vector a row), in their promoted dtype, zeros elsewhere: each block row is ``cat`` of
    zeros, the block and zeros, so the gradient of a block is its region of the gradient.

    >>> import dualgrad as dg
    >>> dg.block_diag(dg.tensor([[1, 2]]), dg.tensor(3))
    tensor([[1, 2, 0],
            [0, 0, 3]])
    """
    from .._factories import zeros

    blocks = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"block_diag(): argument 'tensors' must be Tensors, got {type(t)}")
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                f"{t.ndim} dimensions"
            )
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        return zeros(1, 0)
    # torch's result type: a 0-d block takes part as a 0-d tensor (below the dimensioned ones)
    dtype = _dtype.result_type_of_arrays(*(t._data for t in tensors))
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        parts = [zeros(r, left, dtype=dtype), b.to(dtype), zeros(r, width - left - c, dtype=dtype)]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """Every combination of one element from each vector, as the rows of a matrix (one
    vector: that vector itself).

    >>> import dualgrad as dg
    >>> dg.cartesian_prod(dg.tensor([1, 2]), dg.tensor([3, 4])).tolist()
    [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    tensors, _ = _tensors(tensors, "cartesian_prod")
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(
                f"Expect a 1D vector, but got shape {list(t.shape)} (cartesian_prod takes vectors)"
            )
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(x, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a vector, as the rows of a matrix
    (``itertools.combinations``, or ``combinations_with_replacement``): gathered from ``x``
    by index, so each element's gradient sums over the rows it appears in.

    >>> import dualgrad as dg
    >>> dg.combinations(dg.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
    """
    from .._factories import tensor

    if not isinstance(x, Tensor) or x.ndim != 1:
        shape = list(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise RuntimeError(f"Expect a 1D vector, but got shape {shape} (combinations)")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return x[:0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(x.shape[0]), r))
    index = np.asarray(rows, dtype=np.int64).reshape(len(rows), r)
    return stack([x[tensor(index[:, j])] for j in range(r)], 1)


def vander(x, N=None, increasing=False):  # noqa: N803  (torch's keyword name)
    """The Vandermonde matrix of a vector: columns ``x**(N-1), ..., x, 1`` (``increasing``:
    the other order). Written as torch computes it, a cumulative product of ones then copies of
    x, so the derivative is torch's (no ``0 * x**-1`` at zero).

    >>> import dualgrad as dg
    >>> dg.vander(dg.tensor([2, 3]), N=3).tolist()
    [[4, 2, 1], [9, 3, 1]]
    """
    from .._factories import ones

    if not isinstance(x, Tensor) or x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = _dtype.promote_types(x.dtype, _dtype.int64) if not x.is_floating_point() else x.dtype
    first = ones(x.shape[0], 1, dtype=dtype)
    if n == 0:
        return first[:, :0]
    if n == 1:
        out = first
    else:
        out = cat([first, x.to(dtype).unsqueeze(1).expand(x.shape[0], n - 1)], 1).cumprod(1)
    return out if increasing else out.flip(1)


@tensor_method
def narrow_copy(x, dim, start, length):
    """``x.narrow(dim, start, length)`` as a new contiguous tensor, not a view.

    >>> import dualgrad as dg
    >>> dg.narrow_copy(dg.arange(5), 0, 1, 2)
    tensor([1, 2])
    """
    # (clone keeps a strided layout, as torch's does; contiguous makes the copy torch's)
    return x.narrow(dim, start, length).clone().contiguous()


@tensor_method
def nonzero_static(x, *, size, fill_value=-1):
    """``nonzero(x)`` with exactly ``size`` rows: truncated, or padded with ``fill_value``
    (a shape known before the values, as torch's for compiled code)."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    from .._factories import full

    idx = nonzero(x)[:size]
    if idx.shape[0] == size:
        return idx
    pad = full((size - idx.shape[0], idx.shape[1]), fill_value, dtype=idx.dtype)
    return cat([idx, pad], 0)  # (a join of the found rows and the padding: hence here)
