"""Indexing primitives: getitem (basic and advanced), index_put (setitem), gather, scatter-add.

Indices are normalised to NumPy form (ints, slices, None, Ellipsis, int64 and bool arrays)
before they reach an op, so the kernels are NumPy indexing and the rules pair each op with its
adjoint: getitem <-> add-into-zeros, gather <-> scatter-add.
"""

from __future__ import annotations

import numpy as np

from .._dispatch import apply
from .._tensor import Tensor
from .registry import linear, nondiff, sum_to


def normalize_index(index):
    """A NumPy index from a PyTorch one: tensors become arrays; says whether it is advanced."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    advanced = False
    for i in index:
        if isinstance(i, Tensor):
            if i._data.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(i._data)
            advanced = True
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asarray(i)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            advanced = True
        elif i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer, bool)):
            out.append(i)
        else:
            raise IndexError(
                f"only integers, slices, None, Ellipsis, and integer or boolean tensors are valid "
                f"indices (got {type(i).__name__})"
            )
    return tuple(out), advanced


class _Index:
    """An index held as an op parameter (hashable by identity, printable)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        return f"Index({self.value!r})"


def _add_into_zeros(g, *, shape, index):
    z = np.zeros(shape, dtype=g.dtype)
    np.add.at(z, index.value, g)
    return z


def _select_adjoint(g, x, *, needs, index):
    return (apply(INDEX_ADD_ZEROS, g, shape=tuple(x.shape), index=index),)


SELECT = linear(
    "select", lambda x, *, index: np.asarray(x[index.value]), _select_adjoint,
    node_name="SliceBackward0", view=True,
)
INDEX = linear(
    "index", lambda x, *, index: np.asarray(x[index.value]), _select_adjoint,
    node_name="IndexBackward0",
)
INDEX_ADD_ZEROS = linear(
    "index_add_zeros", _add_into_zeros,
    lambda g, x, *, needs, shape, index: (apply(INDEX, g, index=index),),
    node_name="IndexPutBackward0",
)


def _index_put_kernel(x, v, *, index):
    out = x.copy()
    out[index.value] = v
    return out


def _index_put_adjoint(g, x, v, *, needs, index):
    gx = apply(INDEX_PUT, g, 0.0, index=index) if needs[0] else None
    gv = None
    if needs[1]:
        gv = sum_to(apply(INDEX, g, index=index), tuple(v.shape))
    return gx, gv


INDEX_PUT = linear("index_put", _index_put_kernel, _index_put_adjoint, n_linear=2)


def _gather_kernel(x, index, *, dim):
    return np.take_along_axis(x, index, axis=dim)


def _scatter_add_zeros(g, index, *, shape, dim):
    z = np.zeros(shape, dtype=g.dtype)
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    np.add.at(z, tuple(idx), g)
    return z


GATHER = linear(
    "gather", _gather_kernel,
    lambda g, x, index, *, needs, dim: (scatter_values(g, index, shape=tuple(x.shape), dim=dim), None),
)
SCATTER_ADD_ZEROS = linear(
    "scatter_add_zeros", _scatter_add_zeros,
    lambda g, src, index, *, needs, shape, dim: (gather(g, dim, index), None),
    node_name="ScatterAddBackward0",
)
NONZERO = nondiff("nonzero", lambda x: np.asarray(np.argwhere(x), dtype=np.int64))


# ------------------------------------------------------------------ public functions
def getitem(x, index):
    """``x[index]`` with ints, slices, None, Ellipsis, integer tensors and bool masks."""
    np_index, advanced = normalize_index(index)
    return apply(INDEX if advanced else SELECT, x, index=_Index(np_index))


def index_put(x, index, value):
    """A copy of ``x`` with ``x[index] = value`` (the functional form of ``__setitem__``)."""
    np_index, _ = normalize_index(index)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)
    return apply(INDEX_PUT, x, value, index=_Index(np_index))


def gather(x, dim, index):
    d = dim % max(x.ndim, 1)
    return apply(GATHER, x, index, dim=d)


def scatter_values(g, index, *, shape, dim):
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``dim`` (gather's adjoint)."""
    return apply(SCATTER_ADD_ZEROS, g, index, shape=tuple(shape), dim=dim)


def nonzero(x, *, as_tuple=False):
    idx = apply(NONZERO, x)
    if as_tuple:
        return tuple(idx[:, i] for i in range(idx.shape[1]))
    return idx


def argwhere(x):
    return apply(NONZERO, x)


__all__ = ["index_put", "gather", "nonzero", "argwhere"]
