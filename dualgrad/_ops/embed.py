"""Out-of-place writes into a region: select_scatter, slice_scatter, diagonal_scatter and
index_reduce, and renorm, which rescales slices.

The three ``*_scatter`` ops are ``view_scatter`` (the primitive behind every write through a
view, NOTE: [views and in-place] in _views.py) with the chain of the view they name: one op
that is linear in (input, src) jointly, with its rules and its batching rule, so any of the two
may be batched, carry tangents or Taylor series. index_reduce is scatter_reduce with the index
spread along the source's other dims; renorm is torch's formula written with a norm and where.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .reduction import normalize_dims
from .view_scatter import view_scatter
from ._methods import tensor_method

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "index_reduce", "renorm"]


def _region_chain(input, take):  # noqa: A002  (torch's name)
    """The view chain of ``take(x)`` for an ``x`` of ``input``'s (logical) shape and dtype, and
    the region's shape: taken on a stand-in that owns no memory."""
    from .._tensor import Tensor as _T

    stand_in = _T._make(np.broadcast_to(np.zeros((), input._data.dtype), tuple(input.shape)))
    region = take(stand_in)
    return region._chain, tuple(region.shape)


def _scatter(input, src, take, fn):  # noqa: A002
    for name, t in (("input", input), ("src", src)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    chain, shape = _region_chain(input, take)
    if tuple(src.shape) != shape:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(shape)} ({fn})"
        )
    return view_scatter(input, src, chain)


@tensor_method
def select_scatter(input, src, dim, index):  # noqa: A002
    """``input`` with ``input.select(dim, index)`` replaced by ``src`` (a new tensor).

    >>> import dualgrad as dg
    >>> dg.select_scatter(dg.zeros(2, 2), dg.ones(2), 0, 1)
    tensor([[0., 0.],
            [1., 1.]])
    """
    return _scatter(input, src, lambda x: x.select(dim, index), "select_scatter")


@tensor_method
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):  # noqa: A002
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``.

    >>> import dualgrad as dg
    >>> dg.slice_scatter(dg.zeros(4), dg.ones(2), start=2)
    tensor([0., 0., 1., 1.])
    """
    if step <= 0:
        raise RuntimeError("slice step must be positive")

    def take(x):
        (d,) = normalize_dims(dim, x.ndim)
        return x[(slice(None),) * d + (slice(start, end, step),)]

    return _scatter(input, src, take, "slice_scatter")


@tensor_method
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):  # noqa: A002
    """``input`` with its diagonal (``input.diagonal(offset, dim1, dim2)``) replaced by ``src``.

    >>> import dualgrad as dg
    >>> dg.diagonal_scatter(dg.zeros(2, 2), dg.ones(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    return _scatter(input, src, lambda x: x.diagonal(offset, dim1, dim2), "diagonal_scatter")


_INDEX_REDUCES = ("prod", "mean", "amax", "amin")


@tensor_method(inplace=True)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):  # noqa: A002
    """``input`` with the slices of ``source`` along ``dim`` reduced into the slices of
    ``input`` that ``index`` names, by ``reduce`` (``'prod'``, ``'mean'``, ``'amax'``,
    ``'amin'``); ``include_self=False`` leaves input's values at those slices out. It is
    scatter_reduce with the index spread over source's other dims, so its derivatives are
    scatter_reduce's, which are torch's.

    >>> import dualgrad as dg
    >>> x = dg.ones(3)
    >>> x.index_reduce(0, dg.tensor([0, 0, 2]), dg.tensor([2.0, 3.0, 4.0]), "prod")
    tensor([6., 1., 4.])
    """
    from .scatter import scatter_reduce

    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    if not isinstance(index, Tensor) or index.ndim > 1 or index.is_floating_point():
        raise IndexError("index_reduce_(): Index is supposed to be a vector of int64")
    (d,) = normalize_dims(dim, max(input.ndim, 1))
    src_ndim = max(source.ndim, 1)
    if index.numel() != (source.shape[d] if source.ndim else 1):
        raise RuntimeError(
            "index_reduce_(): Number of indices should be equal to source.size(dim) "
            f"({index.numel()} indices, source of shape {list(source.shape)} along dim {d})"
        )
    spread = [1] * src_ndim
    spread[d] = index.numel()
    idx = index.reshape(spread).expand(*(source.shape if source.ndim else (1,)))
    return scatter_reduce(
        input, d, idx, source.reshape(idx.shape), reduce, include_self=include_self
    )


@tensor_method(inplace=True)
def renorm(input, p, dim, maxnorm):  # noqa: A002
    """Each slice ``input.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm``, scaled down to
    norm ``maxnorm`` (torch's factor ``maxnorm / (norm + 1e-7)``); the other slices as they are.
    The norm is differentiated too, as in torch's renorm_backward.

    >>> import dualgrad as dg
    >>> dg.renorm(dg.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    from .elementwise import where
    from .linalg_decomp import vector_norm

    if not isinstance(input, Tensor):
        raise TypeError(f"renorm(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions"
        )
    (d,) = normalize_dims(dim, input.ndim)
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = vector_norm(input, p, others, keepdim=True)
    factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return input * factor
