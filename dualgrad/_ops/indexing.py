"""Indexing primitives: getitem (basic and advanced), index_put (setitem), gather, scatter-add,
scatter (overwrite) and the values of scatter_reduce.

Indices are normalised to NumPy form (ints, slices, None, Ellipsis, int64 and bool arrays)
before they reach an op, so the kernels are NumPy indexing and the rules pair each op with its
adjoint: getitem <-> add-into-zeros, gather <-> scatter-add, scatter <-> (scatter of zeros,
gather). Every other indexing function (index_select, masked_*, take, scatter_reduce, roll,
pad, ...) is a composite of these (scatter.py, reindex.py, pad.py).
"""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .._batching import BatchedTensor
from .._dispatch import apply
from .._dtype import is_number, scalar_for
from .._tensor import Tensor
from . import elementwise as E
from .registry import linear, nondiff, sum_to, variant
from ._methods import tensor_method


def normalize_index(index):
    """A NumPy index from a PyTorch one: tensors become arrays; says whether it is advanced."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    advanced = False
    for i in index:
        if _int_scalar(i):  # NOTE: [0-d index tensors]
            out.append(int(i._data))
        elif isinstance(i, bool):  # torch indexes with a Python bool as with a 0-d mask: a copy
            out.append(np.asanyarray(i))
            advanced = True
        elif isinstance(i, Tensor):
            if i._data.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(i._data)
            advanced = True
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asanyarray(i)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            advanced = True
        elif i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)):
            out.append(i)
        else:
            raise IndexError(
                f"only integers, slices, None, Ellipsis, and integer or boolean tensors are valid "
                f"indices (got {type(i).__name__})"
            )
    return tuple(out), advanced


# NOTE: [ints beside index tensors]
# NumPy counts an int as an advanced index, torch does not: torch selects the int dims first
# (a view) and then indexes what is left, so the ints do not separate the index tensors. For
# x of shape (2, 5, 4, 6), x[1, :, t] with t of 3 entries is (3, 5, 6) in NumPy (the advanced
# 1 and t are separated by the slice: their dims go first) and (5, 3, 6) in torch. An index
# with both is therefore run as torch does, in two steps: the ints, then the rest.
def _split_ints(np_index):
    """``(ints, rest)``: the index as its int entries (with every other dim kept) followed by
    the index of what remains, when it has ints beside advanced entries; else None."""
    if not isinstance(np_index, tuple):
        return None
    ints = any(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in np_index)
    if not ints or not any(isinstance(i, (np.ndarray, Tensor)) for i in np_index):
        return None
    first, rest = [], []
    for i in np_index:
        if isinstance(i, (np.ndarray, Tensor)):  # Tensor: a batched index inside vmap
            n = i.ndim if _is_bool(i) else 1  # a k-D mask spans k dims
            first += [slice(None)] * n
            rest.append(i)
        elif isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            first.append(i)
        elif i is None:
            first.append(None)
            rest.append(slice(None))  # the new dim exists after the first step
        else:
            first.append(i)  # slices and Ellipsis
            rest.append(slice(None) if isinstance(i, slice) else i)
    return tuple(first), tuple(rest)


def _is_bool(i) -> bool:
    return (i.dtype.np if isinstance(i, Tensor) else i.dtype) == np.bool_


class _Index:
    """An index held as an op parameter (hashable by identity, printable).

    # NOTE: [saved indices]
    The arrays of an index are the index tensors' own memory, so an in-place write into an
    index tensor after the op would change the gradient silently. As torch saves index tensors
    and version-checks them, the index tensors given (``sources``) are checked when a rule
    runs (``check``), raising torch's error; and the arrays are copied, so an array that came
    from a tensor some other way (a composite's reshape of an index tensor) cannot change
    under a rule either.
    """

    __slots__ = ("value", "sources")

    def __init__(self, value, sources=()):
        # (list comprehensions: one call each, where a generator resumes once per element)
        self.value = tuple([np.array(i) if isinstance(i, np.ndarray) else i for i in value])
        self.sources = tuple([(t, t._version_counter()[0]) for t in sources])

    def check(self, node_name: str) -> None:
        for t, version in self.sources:
            if t._vc[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: an index of {node_name} (a tensor of shape "
                    f"{tuple(t.shape)}) is at version {t._vc[0]}; expected version {version} "
                    "instead. Hint: clone() the index before modifying it in place."
                )

    def __repr__(self) -> str:
        return f"Index({self.value!r})"


# NOTE: [0-d index tensors]
# A 0-d integer tensor in an index is an int to torch (basic indexing: a view, and nothing to
# save), so ``x[t0, t1]`` is a view as ``x[0, 1]`` is; a 0-d bool or uint8 tensor stays a mask
# (advanced: a copy), and so is a Python bool, which torch reads as a 0-d mask.
def _int_scalar(i) -> bool:
    """Whether index entry ``i`` is a 0-d integer tensor, which indexes as an int."""
    return (
        type(i) is Tensor
        and i._data.ndim == 0
        and i._data.dtype.kind in "iu"
        and i._data.dtype != np.uint8
    )


def _index_sources(index):
    """The index tensors in a PyTorch index, whose versions an _Index checks."""
    if isinstance(index, Tensor):
        return () if _int_scalar(index) else (index,)
    if isinstance(index, tuple):
        return tuple(i for i in index if isinstance(i, Tensor) and not _int_scalar(i))
    return ()


def _add_into_zeros(g, *, shape, index):
    z = np.zeros(shape, dtype=g.dtype)
    np.add.at(z, index.value, g)
    return z


def _select_adjoint(g, x, *, needs, index):
    index.check("IndexBackward0")  # NOTE: [saved indices]
    return (apply(INDEX_ADD_ZEROS, g, shape=tuple(x.shape), index=index),)


def _select_kernel(x, *, index):
    # Basic indexing always gives a view; with every dim indexed by an int NumPy would return
    # a scalar copy instead, so an Ellipsis keeps it a 0-d view (x[0, 1] sees later writes).
    idx = index.value
    if not any(i is Ellipsis for i in idx):
        idx = idx + (Ellipsis,)
    return x[idx]


SELECT = linear(
    "select",
    _select_kernel,
    _select_adjoint,
    node_name="SliceBackward0",
    view=True,
)
# x[i] with one int (and full slices or an Ellipsis): torch's SelectBackward0 (NOTE: [torch's
# node names by variant]); other basic indices are one SliceBackward0 here, a chain in torch
SELECT_INT = variant(SELECT, "select_int", "SelectBackward0")
INDEX = linear(
    "index",
    lambda x, *, index: np.asanyarray(x[index.value], order="C"),  # torch's is contiguous
    _select_adjoint,
    node_name="IndexBackward0",
)
INDEX_ADD_ZEROS = linear(
    "index_add_zeros",
    _add_into_zeros,
    lambda g, x, *, needs, shape, index: (
        index.check("IndexPutBackward0") or apply(INDEX, g, index=index),
    ),
    node_name="IndexPutBackward0",
)


def _index_put_kernel(x, v, *, index, accumulate=False):
    out = x.copy()
    if accumulate:
        np.add.at(out, index.value, v)
    else:
        out[index.value] = v
    return out


def _index_put_adjoint(g, x, v, *, needs, index, accumulate=False):
    # the node checks its index whichever input needs a gradient, as torch's IndexPutBackward0
    # does (x's gradient with accumulate reads no index, yet a written index still raises)
    index.check("IndexPutBackward0")  # NOTE: [saved indices]
    gx = None
    if needs[0]:
        gx = g if accumulate else apply(INDEX_PUT, g, 0.0, index=index)
    gv = None
    if needs[1]:
        gv = sum_to(apply(INDEX, g, index=index), tuple(v.shape))
    return gx, gv


INDEX_PUT = linear("index_put", _index_put_kernel, _index_put_adjoint, n_linear=2)


def _along(index, dim):
    """The NumPy index of torch's gather/scatter: position p of ``index`` addresses
    ``x[p[0], ..., index[p], ..., p[-1]]`` (``index`` may be smaller than ``x`` in every dim)."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    return tuple(idx)


def _gather_kernel(x, index, *, dim):
    return x[_along(index, dim)]


def _scatter_add_zeros(g, index, *, shape, dim):
    z = np.zeros(shape, dtype=g.dtype)
    np.add.at(z, _along(index, dim), g)
    return z


def _scatter_kernel(x, src, index, *, dim):
    out = x.copy()
    out[_along(index, dim)] = src
    return out


def _scatter_adjoint(g, x, src, index, *, needs, dim):
    # NOTE: [scatter ties] with repeated indices the written value is one of the candidates
    # (torch: unspecified); the rules assume unique indices, as torch's do.
    gx = apply(SCATTER, g, 0.0, index, dim=dim) if needs[0] else None
    gsrc = apply(GATHER, g, index, dim=dim) if needs[1] else None
    return gx, gsrc, None


_REDUCE_UFUNC = {
    "sum": np.add,
    "mean": np.add,
    "prod": np.multiply,
    "amax": np.maximum,
    "amin": np.minimum,
}


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


def _scatter_reduce_kernel(x, src, index, *, dim, reduce, include_self):
    idx = _along(index, dim)
    out = x.copy()
    if not include_self:
        out[idx] = _identity(reduce, x.dtype)
    _REDUCE_UFUNC[reduce].at(out, idx, src)
    if reduce == "mean":
        count = np.full(x.shape, 1 if include_self else 0, dtype=np.int64)
        np.add.at(count, idx, 1)
        count = np.maximum(count, 1)
        out = out / count if x.dtype.kind == "f" else out // count
    return out.astype(x.dtype, copy=False)


# The index input is saved and version-checked (saves, reads: NOTE: [saved reads] in
# registry.py), as torch's gather and scatter save theirs; the other inputs only for shapes.
GATHER = linear(
    "gather",
    _gather_kernel,
    lambda g, x, index, *, needs, dim: (
        scatter_values(g, index, shape=tuple(x.shape), dim=dim),
        None,
    ),
    saves=True,
    reads=((1,), ()),
)
SCATTER_ADD_ZEROS = linear(
    "scatter_add_zeros",
    _scatter_add_zeros,
    lambda g, src, index, *, needs, shape, dim: (apply(GATHER, g, index, dim=dim), None),
    node_name="ScatterAddBackward0",
    saves=True,
    reads=((1,), ()),
)
SCATTER = linear(
    "scatter", _scatter_kernel, _scatter_adjoint, n_linear=2, saves=True, reads=((2,), (2,), ())
)
# the values only: scatter_reduce's derivatives come from a composite (scatter.py)
SCATTER_REDUCE = nondiff("scatter_reduce_values", _scatter_reduce_kernel)
NONZERO = nondiff("nonzero", lambda x: np.asanyarray(np.argwhere(x), dtype=np.int64), loops=True)


# ------------------------------------------------------------------ public functions
def getitem(x, index):
    """``x[index]`` with ints, slices, None, Ellipsis, integer tensors and bool masks; or an
    ``_Index`` of one advanced NumPy index (the index_* composites, which name the index
    tensors it came from so that they are version-checked: NOTE: [saved indices])."""
    if type(index) is _Index:
        return apply(INDEX, x, index=index)
    if _has_batched_index(index):
        split = _split_ints(index)  # NOTE: [ints beside index tensors]
        if split is not None:
            return getitem(getitem(x, split[0]), split[1])
        return _getitem_batched_index(x, index)
    np_index, advanced = normalize_index(index)
    sources = _index_sources(index)  # NOTE: [saved indices]
    if advanced:
        split = _split_ints(np_index)  # NOTE: [ints beside index tensors]
        if split is not None:
            first = apply(SELECT, x, index=_Index(split[0]))
            return apply(INDEX, first, index=_Index(split[1], sources))
    if advanced:
        return apply(INDEX, x, index=_Index(np_index, sources))
    return apply(SELECT_INT if _one_int(np_index) else SELECT, x, index=_Index(np_index, sources))


_FULL = slice(None)


def _one_int(np_index) -> bool:
    """Whether a basic index picks one position of one dim and keeps the rest whole."""
    ints = 0
    for i in np_index:
        if type(i) is int:
            ints += 1
        elif i is not Ellipsis and i != _FULL:
            return False
    return ints == 1


def _has_batched_index(index) -> bool:
    return isinstance(index, BatchedTensor) or (
        type(index) is tuple and any(isinstance(i, BatchedTensor) for i in index)
    )


class _FlatIndex:
    """An index holding a tensor that is batched inside vmap, as one row index: its values
    exist only per batch element, so it cannot be an op parameter. The advanced dims of ``x``
    are moved in front and flattened into one of ``total`` rows of ``rows`` values each;
    ``flat`` (a batchable tensor input, of the index's broadcast ``shape``) says which row
    each index position addresses. getitem reads the rows with ``gather``, index_put writes
    them with ``scatter``; NumPy's placement of the advanced dims in the result is kept
    (where the first one was if they are adjacent, else in front)."""

    def __init__(self, x, index):
        from .._dtype import int64
        from .._factories import tensor

        # slices, None, and advanced entries (int tensors or ints) of one dim each; a Python
        # bool, as in NumPy, is a new dim of size 1 indexed by [0] (True) or [] (False)
        entries = []
        for i in index if isinstance(index, tuple) else (index,):
            if isinstance(i, (list, np.ndarray)):
                i = tensor(np.asanyarray(i))
            if isinstance(i, Tensor) and i.dtype.np == np.bool_:
                # a mask is the positions where it is True; batched, their number depends on
                # the values, so nonzero runs once per batch element (NOTE: [batching by kind])
                if isinstance(i, BatchedTensor):
                    entries += list(i.nonzero().unbind(1))
                else:
                    entries += [tensor(a) for a in np.nonzero(i._data)]
            elif isinstance(i, Tensor):
                if i.dtype.np.kind not in "iu":
                    raise IndexError(
                        "tensors used as indices must be long, int, byte or bool tensors"
                    )
                entries.append(i.to(int64))
            elif isinstance(i, bool):
                entries.append(_NewDim(tensor([0] if i else [], dtype=int64)))
            else:
                entries.append(i)
        if any(e is Ellipsis for e in entries):
            k = entries.index(Ellipsis)
            fill = x.ndim - sum(_takes_dim(e) and e is not Ellipsis for e in entries)
            entries[k : k + 1] = [slice(None)] * fill
        entries += [slice(None)] * (x.ndim - sum(_takes_dim(e) for e in entries))
        # NumPy treats ints among index arrays as advanced; None and slices are basic
        is_adv = [not (e is None or isinstance(e, slice)) for e in entries]
        self.basic = tuple(
            None if type(e) is _NewDim else slice(None) if a else e for e, a in zip(entries, is_adv)
        )
        entries = [e.index if type(e) is _NewDim else e for e in entries]
        self.has_basic = any(e != slice(None) for e in self.basic)
        shape = tuple(getitem(x, self.basic).shape) if self.has_basic else tuple(x.shape)
        self.adv = adv = [k for k, a in enumerate(is_adv) if a]
        sizes = [shape[k] for k in adv]
        self.rest = tuple(s for k, s in enumerate(shape) if k not in adv)
        shapes = [list(entries[k].shape) for k in adv if isinstance(entries[k], Tensor)]
        try:
            np.broadcast_shapes(*map(tuple, shapes))
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(map(str, shapes))
            ) from None
        flat, valid = 0, True  # the position in the flattened advanced dims, row-major
        for k, n in zip(adv, sizes):
            i = entries[k]
            if not isinstance(i, Tensor):
                if not -n <= i < n:
                    raise IndexError(f"index {i} is out of bounds for dimension {k} with size {n}")
                i = int(i) % n
            else:
                valid = E.logical_and(valid, E.logical_and(i >= -n, i < n))
                i = E.where(i < 0, i + n, i)
            flat = flat * n + i
        self.total, self.rows = (int(np.prod(s, dtype=np.int64)) for s in (sizes, self.rest))
        # no values to raise on here: an index out of range addresses row `total`, and
        # gather / scatter raise
        flat = E.where(valid, flat, self.total)
        self.shape = tuple(flat.shape)
        self.flat = flat.reshape(-1, 1).expand(-1, self.rows)
        # where NumPy puts the index's dims in the result: at the first advanced dim if the
        # advanced dims are adjacent, else in front
        adjacent = adv == list(range(adv[0], adv[0] + len(adv)))
        self.at = adv[0] if adjacent else 0

    @property
    def result_shape(self):
        """The shape of x[index] (as ``to_result`` lays it out)."""
        return self.rest[: self.at] + self.shape + self.rest[self.at :]

    def rows_of(self, x):
        """``x`` (already basic-indexed) with the advanced dims in front, as (total, rows)."""
        return x.movedim(tuple(self.adv), tuple(range(len(self.adv)))).reshape(
            (self.total, self.rows)
        )

    def to_result(self, t):
        """The gathered rows (one per index position) laid out as NumPy lays out x[index]."""
        t = t.reshape(self.shape + self.rest)
        k = len(self.shape)
        return t.movedim(tuple(range(k)), tuple(range(self.at, self.at + k))) if self.at else t

    def from_result(self, t):
        """``to_result``'s inverse: a value laid out as x[index], as one row per position."""
        k = len(self.shape)
        if self.at:
            t = t.movedim(tuple(range(self.at, self.at + k)), tuple(range(k)))
        return t.reshape((-1, self.rows))


class _NewDim:
    """A bool in an index beside a batched index tensor: a new dim, advanced-indexed by ``index``."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _takes_dim(entry) -> bool:
    """Whether an index entry stands for a dim of ``x`` (None and a bool add one instead)."""
    return entry is not None and type(entry) is not _NewDim


def _getitem_batched_index(x, index):
    """``x[index]`` where an index tensor is batched inside vmap (``_FlatIndex``)."""
    fi = _FlatIndex(x, index)
    if fi.has_basic:
        x = getitem(x, fi.basic)
    return fi.to_result(gather(fi.rows_of(x), 0, fi.flat))


def _index_put_batched_index(x, index, value, accumulate):
    """``index_put`` where an index tensor is batched inside vmap: the rows of x that the
    index addresses are written (added, with ``accumulate``) by ``scatter``
    (``scatter_add``) (``_FlatIndex``). With slices or None beside the index, the region they
    select is written so, then put back with that (unbatched) basic index."""
    from .._factories import tensor

    fi = _FlatIndex(x, index)
    region = getitem(x, fi.basic) if fi.has_basic else x
    if not isinstance(value, Tensor):
        value = tensor(value, dtype=x.dtype)
    value = fi.from_result(value.expand(fi.result_shape))
    # (the methods: scatter.py builds on this module, NOTE: [layered op modules])
    rows = fi.rows_of(region)
    rows = rows.scatter_add(0, fi.flat, value) if accumulate else rows.scatter(0, fi.flat, value)
    front = tuple(range(len(fi.adv)))
    moved_shape = tuple(region.movedim(tuple(fi.adv), front).shape)
    written = rows.reshape(moved_shape).movedim(front, tuple(fi.adv))
    return index_put(x, fi.basic, written) if fi.has_basic else written


def indexed_shape(shape, np_index):
    """The shape of ``x[np_index]`` for ``x`` of ``shape`` (read from a zero-byte view)."""
    return np.broadcast_to(np.empty((), np.int8), shape)[np_index].shape


def _puts_by_index(index, value):
    """Whether torch runs ``x[index] = value`` as its index_put kernel (which refuses another
    dtype) rather than as a copy_ into a view or, for one mask and a 0-d value, masked_fill_
    (which convert): an index with a dimensioned index tensor or a list in it."""
    entries = index if isinstance(index, tuple) else (index,)
    if (
        len(entries) == 1
        and isinstance(entries[0], Tensor)
        and entries[0].dtype == _dtype.bool_
        and value.ndim == 0
    ):
        return False
    return any(
        isinstance(i, (list, np.ndarray)) or (isinstance(i, Tensor) and i.ndim) for i in entries
    )


@tensor_method(inplace=True)
def index_put(x, index, value, accumulate=False):
    """A copy of ``x`` with ``x[index] = value`` (the functional form of ``__setitem__``);
    with ``accumulate=True``, ``x[index] += value``, repeated indices adding up.

    >>> import dualgrad as dg
    >>> dg.index_put(dg.zeros(3), (dg.tensor([0, 0, 2]),), dg.tensor(1.0), accumulate=True)
    tensor([2., 0., 1.])
    """
    if isinstance(index, list) and any(isinstance(i, Tensor) for i in index):
        index = tuple(index)  # torch.index_put takes a list or tuple of index tensors
    if is_number(value):  # x[i] = 300: converted to x's dtype, checked (NOTE: [checked scalars])
        value = scalar_for(value, x.dtype.np, "index_put", opmath=True)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        if _puts_by_index(index, value):  # NOTE: [same-dtype operands] in _dtype.py
            names = _dtype.TORCH_NAMES
            raise RuntimeError(
                f"Index put requires the source and destination dtypes match, got "
                f"{names[x.dtype.name]} for the destination and {names[value.dtype.name]} for the "
                "source. (convert the value with .to(x.dtype))"
            )
        value = value.to(x.dtype)  # a basic index: a copy_, which converts
    if type(index) is _Index:  # one advanced NumPy index, its tensors named (getitem)
        return _put(x, index, value, accumulate)
    if _has_batched_index(index):
        split = _split_ints(index)  # NOTE: [ints beside index tensors]
        if split is not None:
            part = index_put(getitem(x, split[0]), split[1], value, accumulate=accumulate)
            return index_put(x, split[0], part)
        return _index_put_batched_index(x, index, value, accumulate)
    np_index, advanced = normalize_index(index)
    if isinstance(value, Tensor) and value.dtype != x.dtype:
        value = value.to(x.dtype)
    split = _split_ints(np_index) if advanced else None
    if split is not None:  # NOTE: [ints beside index tensors]: into the ints' region, then back
        first = _Index(split[0])
        # the rest as the caller's tensors where it can be, so they stay version-checked
        rest = _split_ints(index) if isinstance(index, tuple) else None
        rest = split[1] if rest is None else rest[1]
        part = index_put(apply(SELECT, x, index=first), rest, value, accumulate=accumulate)
        return apply(INDEX_PUT, x, part, index=first)
    return _put(x, _Index(np_index, _index_sources(index)), value, accumulate)


def _put(x, index, value, accumulate):
    if not accumulate:
        return apply(INDEX_PUT, x, value, index=index)
    if not isinstance(value, Tensor):
        from .._factories import tensor

        value = tensor(value, dtype=x.dtype)
    # one node for both inputs, which checks the index as torch's does (NOTE: [saved indices])
    return apply(INDEX_PUT, x, value, index=index, accumulate=True)


def known_values(t):
    """The NumPy values of ``t``, or None inside vmap where ``t`` is batched: there its values
    exist only per batch element (NOTE: [vmap levels] in _vmap_level.py), so a check that reads
    them is skipped rather than forcing a per-element run."""
    return None if isinstance(t, BatchedTensor) else t._data


def check_index(x, dim, index, name):
    """torch's checks on the index of gather/scatter: int64, same rank, in range (the range
    only where the values are known: inside vmap only NumPy's check of too large indices
    remains, and a negative one counts from the end)."""
    if not isinstance(index, Tensor) or index.dtype.np != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.ndim != max(x.ndim, 1) and not (index.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(
            f"{name}(): Index tensor must have the same number of dimensions as input tensor"
        )
    n = x.shape[dim] if x.ndim else 1
    a = known_values(index)
    if a is not None and a.size and (a.min() < 0 or a.max() >= n):
        bad = a.min() if a.min() < 0 else a.max()
        raise RuntimeError(
            f"{name}(): index {bad} is out of bounds for dimension {dim} with size {n}"
        )


@tensor_method
def gather(x, dim, index, *, sparse_grad=False):
    """Values of ``x`` along ``dim`` at ``index``: ``out[i][j] = x[i][index[i][j]]`` (dim=1).

    >>> import dualgrad as dg
    >>> dg.gather(dg.tensor([[1., 2.], [3., 4.]]), 1, dg.tensor([[1, 1], [0, 1]]))
    tensor([[2., 2.],
            [3., 4.]])
    """
    d = dim % max(x.ndim, 1)
    check_index(x, d, index, "gather")
    if x.ndim == 0 or index.ndim == 0:  # torch pairs a 0-d tensor with a 1-d one
        return apply(GATHER, x.reshape(-1), index.reshape(-1), dim=0).reshape(index.shape)
    return apply(GATHER, x, index, dim=d)


def scatter_values(g, index, *, shape, dim):
    """Zeros of ``shape`` with ``g`` added at ``index`` along ``dim`` (gather's adjoint)."""
    return apply(SCATTER_ADD_ZEROS, g, index, shape=tuple(shape), dim=dim)


@tensor_method
def nonzero(x, *, as_tuple=False):
    """The indices of the nonzero elements, an (n, ndim) int64 tensor; with ``as_tuple=True`` one
    1-d tensor per dim."""
    if as_tuple:
        # torch reads a 0-d tensor as a 1-d one of one element here: one index tensor
        idx = apply(NONZERO, x.reshape(1) if x.ndim == 0 else x)
        return tuple(idx[:, i] for i in range(idx.shape[1]))
    idx = apply(NONZERO, x)
    return idx


@tensor_method
def argwhere(x):
    """The indices of the nonzero elements, an (n, ndim) int64 tensor (``nonzero(x)``)."""
    return apply(NONZERO, x)


__all__ = ["index_put", "gather", "nonzero", "argwhere"]
