"""Batching rules for indexing, scatter, structure (diagonal, tril, repeat, split) and im2col (NOTE: [vmap levels] in _vmap_level.py).

Each rule takes (op, physical, bdims, params, size): the physical inputs, the batch dim of
each (None: not batched) and the op's params, and returns (result, bdim) or NotImplemented
(then the op runs once per batch element).

Most rules move every batch dim to the front (unbatched tensor inputs that must carry one are
expanded, a view) and shift the op's dim params by one: the logical dims a param names are
then physical dims + 1. Dim params reach the ops already normalised (non-negative, against the
logical ndim). Advanced indices held in params are plain NumPy arrays: a leading full slice
skips the batch dim, and ``_batch_position`` says where NumPy puts that dim in the result.
"""

from __future__ import annotations

import numpy as np

from ._batching_generic import _front, _logical_ndim, _shift, _to_front
from ._dispatch import apply
from ._ops.indexing import _Index, indexed_shape
from ._tensor import Tensor


# ------------------------------------------------------------------ helpers
def _with_rank(p, rank):
    """A batched-in-front ``p`` with ones inserted after the batch dim up to ``rank`` logical dims."""
    missing = rank - (p.ndim - 1)
    if missing <= 0:
        return p
    return p.reshape((p.shape[0],) + (1,) * missing + tuple(p.shape[1:]))


def _logical_shape(p, d):
    shape = tuple(p.shape)
    return shape if d is None else shape[:d] + shape[d + 1 :]


def _batched_index(index):
    """The index of the batched tensor: a leading full slice skips the batch dim."""
    return _Index((slice(None),) + tuple(index))


def _batch_position(shape, index):
    """Where the batch dim lands in ``x[(slice(None),) + index]`` for a logical ``x`` of
    ``shape``: in front, unless NumPy moves the advanced-index dims first (advanced indices
    that are not adjacent). NumPy decides on a zero-byte array whose batch size is larger than
    any other size the result can have, so that dim is found by its size."""
    sizes = list(shape) + [a.size for a in index if isinstance(a, np.ndarray)]
    marker = 2 + max(sizes, default=0)
    return indexed_shape((marker,) + tuple(shape), (slice(None),) + tuple(index)).index(marker)


# ------------------------------------------------------------------ getitem and its adjoint
def _index(op, physical, bdims, params, size):
    """Advanced indexing: a leading full slice; the batch dim lands where NumPy puts it."""
    (x,), (d,) = physical, bdims
    index = params["index"].value
    pos = _batch_position(_logical_shape(x, d), index)
    return apply(op, _to_front(x, d), index=_batched_index(index)), pos


def _index_add_zeros(op, physical, bdims, params, size):
    """getitem's adjoint (basic or advanced index): ``g`` laid out as the batched getitem's
    result, added into zeros with one more leading dim."""
    (g,), (d,) = physical, bdims
    shape, index = tuple(params["shape"]), params["index"].value
    region = indexed_shape(shape, index)
    if _logical_ndim(g, d) > len(region):
        return NotImplemented
    g = _with_rank(_to_front(g, d), len(region)).movedim(0, _batch_position(shape, index))
    return apply(op, g, shape=(size,) + shape, index=_batched_index(index)), 0


def _index_put(op, physical, bdims, params, size):
    """setitem: ``x`` batched in front (expanded if not batched); a batched value laid out as
    the batched region ``x[(slice(None),) + index]``, an unbatched one with a size-1 dim there."""
    (x, v), (dx, dv) = physical, bdims
    index = params["index"].value
    shape = _logical_shape(x, dx)
    region = indexed_shape(shape, index)
    pos = _batch_position(shape, index)
    if isinstance(v, Tensor):
        if _logical_ndim(v, dv) > len(region):
            return NotImplemented
        if dv is None:
            v = v.unsqueeze(0)  # broadcasts along the batch dim
        v = _with_rank(_to_front(v, dv), len(region)).movedim(0, pos)
    return apply(op, _front(x, dx, size), v, **dict(params, index=_batched_index(index))), 0


# ------------------------------------------------------------------ gather and scatter
def _along_dim(op, physical, bdims, params, size):
    """gather, scatter_add_zeros, scatter, scatter_reduce: every tensor input batched in front
    (an unbatched index or data expanded: the ops pair positions of the index with those of
    the data), ``dim`` + 1."""
    parts = [_front(p, d, size) for p, d in zip(physical, bdims)]
    p = dict(params, dim=params["dim"] + 1)
    if "shape" in p:  # scatter_add_zeros: the zeros it adds into
        p["shape"] = (size,) + tuple(params["shape"])
    return apply(op, *parts, **p), 0


# ------------------------------------------------------------------ structure
def _split(op, physical, bdims, params, size):
    """split, unfold: the batch dim in front, ``dim`` + 1; every output keeps it in front."""
    x = _to_front(physical[0], bdims[0])
    return apply(op, x, **dict(params, dim=params["dim"] + 1)), 0


def _repeat(op, physical, bdims, params, size):
    """repeat: the added leading dims go after the batch dim, which is repeated once."""
    repeats = tuple(params["repeats"])
    x = _with_rank(_to_front(physical[0], bdims[0]), len(repeats))
    return apply(op, x, repeats=(1,) + repeats), 0


def _two_dims(op, physical, bdims, params, size):
    """diagonal, diagonal_view, diagonal_scatter_zeros: the batch dim in front, dim1/dim2 + 1
    (the diagonal is the last dim, so the batch dim stays in front)."""
    p = dict(params, dim1=params["dim1"] + 1, dim2=params["dim2"] + 1)
    if "shape" in p:
        p["shape"] = (size,) + tuple(params["shape"])
    return apply(op, _to_front(physical[0], bdims[0]), **p), 0


def _last_two_dims(op, physical, bdims, params, size):
    """tril, triu act on the last two dims: the batch dim in front is one more leading dim."""
    return apply(op, _to_front(physical[0], bdims[0]), **params), 0


# ------------------------------------------------------------------ writes through views
def _batched_link(op, params, size):
    """One (view op, params) link of a view chain, for a tensor batched in front."""
    name = op.name
    if name in ("select", "select_int"):  # (select_int: an integer in the index)
        return op, dict(params, index=_batched_index(params["index"].value))
    if name == "reshape":
        return op, dict(params, shape=(size,) + tuple(params["shape"]))
    if name == "permute":
        return op, dict(params, dims=(0,) + _shift(params["dims"]))
    if name == "diagonal_view":
        return op, dict(params, dim1=params["dim1"] + 1, dim2=params["dim2"] + 1)
    return None  # expand: a write through it is refused anyway


def _view_scatter(op, physical, bdims, params, size):
    """view_scatter: base and value batched in front, each link of the chain batched."""
    from ._views import Chain

    (base, value), (db, dv) = physical, bdims
    links = [_batched_link(o, p, size) for o, p in params["chain"].ops]
    if any([link is None for link in links]):
        return NotImplemented
    return apply(op, _front(base, db, size), _front(value, dv, size), chain=Chain(links)), 0


# ------------------------------------------------------------------ im2col, col2im
def _images(op, physical, bdims, params, size):
    """im2col, col2im: the batch dim folded into the leading N dim, and unfolded after."""
    x = _to_front(physical[0], bdims[0])
    n = x.shape[1]
    out = apply(op, x.reshape((size * n,) + tuple(x.shape[2:])), **params)
    return out.reshape((size, n) + tuple(out.shape[1:])), 0
