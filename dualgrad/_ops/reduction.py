"""Reductions: sum (linear), prod, amax/amin, max/min with indices, argmax, all/any, cumsum.

Dims are normalised to a sorted tuple of non-negative ints before they reach the op, so the
rules can rely on it. ``keepdim`` follows PyTorch.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .kernels import contiguous
from .. import _dtype
from .._dispatch import apply
from .._tensor import Tensor
from .elementwise import maximum, minimum, where
from .indexing import gather, scatter_values
from .registry import REGISTRY, batched_as, custom, linear, nondiff, variant
from ._methods import tensor_method


def normalize_dims(dim, ndim: int) -> tuple:
    """``dim`` (None, an int or a sequence) as a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    elif not isinstance(dim, (tuple, list)):  # a Tensor, a float: torch's argument parser
        dim = (_dim_int(dim),)
    rank = ndim if ndim > 1 else 1  # not max(): this module defines its own max
    out = []
    for d in dim:
        d = _dim_int(d)
        if not -rank <= d < rank:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {d})"
            )
        if d % rank in out:  # torch names the normalised dim that repeats
            raise RuntimeError(f"dim {d % rank} appears multiple times in the list of dims")
        out.append(d % rank)
    return tuple(sorted(out)) if ndim else ()


def _dim_int(d) -> int:
    """One dim as torch's argument parser takes it: an int or a 0-d integer tensor (its
    __index__), never a float, a bool or a tensor of several elements (int() took those
    silently: dim=0.5 was dim 0, an empty tensor no dim at all)."""
    if isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)):
        return int(d)
    try:
        if isinstance(d, (bool, np.bool_)):
            raise TypeError
        return operator.index(d)
    except (TypeError, RuntimeError):
        raise TypeError(
            f"argument 'dim' must be int or tuple of ints, not {type(d).__name__}"
        ) from None


def one_dim(dim, ndim: int) -> int:
    """A single dim as a non-negative int, range-checked as torch's (a 0-d tensor takes 0 and
    -1, and gives 0)."""
    dims = normalize_dims(dim, ndim)
    return dims[0] if dims else 0


def check_nonempty_dims(fn, shape, dims):
    """Refuse, as torch does, a reduction with no identity (max, argmax, kthvalue, ...) over a
    dim of size zero; the other dims may be empty (the result is then empty too)."""
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{fn}(): Expected reduction dim {d} to have non-zero size.")


def expand_back(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back to ``shape`` (the adjoint of a sum over ``dims``)."""
    # (a 0-d gradient, of a sum over every dim, is expanded as it is, as torch's sum_backward
    # does: no reshape to all-ones dims first, one op less in every loss's backward)
    if not keepdim and dims and g.ndim:
        g = g.reshape(tuple(1 if i in dims else s for i, s in enumerate(shape)))
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    # the op itself, not the public expand: the target is g's broadcast by construction, so
    # its argument parsing and checks (~3 us, paid by every sum's backward) have nothing to
    # find (expand always makes a view; the op lives in shape.py, which builds on this module)
    return apply(REGISTRY["expand"], g, shape=shape)


def _sum_kernel(x, *, dims, keepdim, dtype=None):
    if dtype is None and x.dtype.kind in "biu":
        dtype = np.int64
    return np.asanyarray(x.sum(axis=dims, keepdims=keepdim, dtype=dtype))


SUM = linear(
    "sum",
    lambda x, *, dims, keepdim: _sum_kernel(x, dims=dims, keepdim=keepdim),
    lambda g, x, *, needs, dims, keepdim: (expand_back(g, x.shape, dims, keepdim),),
)

SUM_DIM = variant(SUM, "sum_dim", "SumBackward1")  # sum(dim): torch's other node


def _mean_kernel(x, *, dims, keepdim):
    # a half-precision mean accumulates in float32 and is rounded once, as torch's
    acc = np.float32 if x.dtype.itemsize < 4 else None
    out = np.mean(x, axis=dims, keepdims=keepdim, dtype=acc)
    return np.asanyarray(out).astype(x.dtype, copy=False)


def _mean_adjoint(g, x, *, needs, dims, keepdim):
    count = 1
    for d in dims:
        count *= x.shape[d]
    return (expand_back(g / count, x.shape, dims, keepdim),)


# NOTE: [mean is one node] torch's mean is one node (MeanBackward0 of every element,
# MeanBackward1 with dims) whose backward spreads g / n; as sum then div it showed DivBackward0
# over SumBackward0 in every loss. A linear op: the jvp is the mean of the tangent.
MEAN = linear("mean", _mean_kernel, _mean_adjoint, node_name="MeanBackward0", batch=batched_as(SUM))
MEAN_DIM = variant(MEAN, "mean_dim", "MeanBackward1")


# NOTE: [a rule's dims] A rule reads its op's ``dims`` as they were normalised for the op's
# input, and must reduce over exactly those: () reduces nothing. The public ``sum``/``prod``
# read () as "all dims", as torch does; on a 0-d tensor the two agree, but under vmap a rule
# runs on the physical tensor (``grad(vmap(f))`` records the physical ops), where "all" also
# reduced over the batch dim: softmax's, amax's and prod's gradients of 0-d tensors mixed the
# batch elements. So rules reduce with ``sum_over``, the primitive on the dims as they are.
def sum_over(x, dims, keepdim):
    """The sum over exactly ``dims`` (NOTE: [a rule's dims])."""
    return apply(SUM, x, dims=tuple(dims), keepdim=keepdim)


def mean_over(x, dims, keepdim):
    """The mean over exactly ``dims`` (NOTE: [a rule's dims])."""
    return apply(MEAN, x, dims=tuple(dims), keepdim=keepdim)


def _prod_partial(x, dims, keepdim):
    """d prod / d x_i: the product of the other elements, exact to any order with zeros.

    Without zeros it is prod / x_i. With zeros (PyTorch's subtle case) it is formed directly:
    the reduced dims are flattened to one axis of size n and each row of an n x n matrix that
    has 1 on the diagonal is multiplied out, O(n^2) memory but only when zeros are present,
    or may be: inside vmap a batched ``x`` has no values to look at (NOTE: [reading batched
    values] in _batching.py), and the direct form is right for every batch element.
    """
    data = x._data
    if type(data) is np.ndarray and not (data == 0).any():
        return apply(PROD, x, dims=tuple(dims), keepdim=True) / x  # NOTE: [a rule's dims]
    if not dims:
        return x * 0.0 + 1.0
    from .. import _factories

    # (shape ops as methods: shape.py builds on this module, NOTE: [layered op modules])
    keep = [d for d in range(x.ndim) if d not in dims]
    order = keep + list(dims)
    moved = x.permute(tuple(order))
    lead = tuple(moved.shape[: len(keep)])
    n = math.prod([x.shape[d] for d in dims])
    rows = moved.reshape(lead + (n,)).unsqueeze(-2)
    eye = _factories.from_numpy(np.eye(n, dtype=bool))
    others = prod(where(eye, 1.0, rows), -1)
    return others.reshape(tuple(moved.shape)).permute(tuple(np.argsort(order)))


def _prod_vjp(g, x, *, out, needs, dims, keepdim):
    return (expand_back(g, x.shape, dims, keepdim) * _prod_partial(x, dims, keepdim),)


def _prod_jvp(tangents, x, *, out, dims, keepdim):
    return sum_over(_prod_partial(x, dims, keepdim) * tangents[0], dims, keepdim)


PROD = custom(
    "prod",
    lambda x, *, dims, keepdim: np.asanyarray(
        x.prod(axis=dims, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None)
    ),
    _prod_vjp,
    _prod_jvp,
)


def _even_share(x, out, dims, keepdim):
    """The mask of the extreme values, each sharing the gradient evenly (PyTorch's amax rule)."""
    mask = x == expand_back(out, x.shape, dims, keepdim)
    return mask / sum_over(mask, dims, True)


def _extreme_op(name, npfn):
    def vjp(g, x, *, out, needs, dims, keepdim, selected=False):
        if not selected:  # amax's rule multiplies by the mask, as torch's does
            return (expand_back(g, x.shape, dims, keepdim) * _even_share(x, out, dims, keepdim),)
        # max()'s selects, so a nan or inf cotangent reaches only the extreme values, as in
        # torch's (NOTE: [selecting partials] in elementwise.py)
        mask = x == expand_back(out, x.shape, dims, keepdim)
        share = expand_back(g, x.shape, dims, keepdim) / sum_over(mask, dims, True)
        return (where(mask, share, 0.0),)

    def jvp(tangents, x, *, out, dims, keepdim, selected=False):
        return sum_over(_even_share(x, out, dims, keepdim) * tangents[0], dims, keepdim)

    def kernel(x, *, dims, keepdim, selected=False):
        check_nonempty_dims(name, x.shape, dims)
        return np.asanyarray(npfn(x, axis=dims, keepdims=keepdim))

    return custom(name, kernel, vjp, jvp, uses_out=True)


AMAX = _extreme_op("amax", np.max)
AMIN = _extreme_op("amin", np.min)
MAX_ALL = variant(AMAX, "max_all", "MaxBackward1")  # x.max(): torch's node for it
MIN_ALL = variant(AMIN, "min_all", "MinBackward1")


def _max_dim_kernel(npfn, argfn):
    def kernel(x, *, dim, keepdim):
        idx = argfn(x, axis=dim, keepdims=True)
        values = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        return np.asanyarray(values), np.asanyarray(idx, dtype=np.int64)

    return kernel


def _max_dim_vjp(g, x, *, out, needs, dim, keepdim):
    g = g[0]
    idx = out[1]
    if g is None:
        return (None,)
    if not keepdim:
        g, idx = g.unsqueeze(dim), idx.unsqueeze(dim)
    return (scatter_values(g, idx, shape=tuple(x.shape), dim=dim),)


def _max_dim_jvp(tangents, x, *, out, dim, keepdim):
    idx = out[1] if keepdim else out[1].unsqueeze(dim)
    t = gather(tangents[0], dim, idx)
    return (t if keepdim else t.squeeze(dim), None)


def _extreme_dim(name, valfn, argfn, node_name):
    """max/min along a dim: (values, indices); only the values are differentiable."""
    return custom(
        name,
        _max_dim_kernel(valfn, argfn),
        _max_dim_vjp,
        _max_dim_jvp,
        node_name=node_name,
        multi_output=True,
        diff_outputs=lambda n: (0,),
        uses_out=True,
        reads=((),),
        outputs_read=(1,),  # as torch: the indices only (the input's shape is kept)
    )


MAX_DIM = _extreme_dim("max_dim", np.max, np.argmax, "MaxBackward0")
MIN_DIM = _extreme_dim("min_dim", np.min, np.argmin, "MinBackward0")


def _arg_kernel(argfn):
    def kernel(x, *, dim, keepdim):
        if dim is None:
            r = argfn(x.reshape(-1))
            return np.asanyarray(r, dtype=np.int64).reshape((1,) * x.ndim if keepdim else ())
        return np.asanyarray(argfn(x, axis=dim, keepdims=keepdim), dtype=np.int64)

    return kernel


ARGMAX = nondiff("argmax", _arg_kernel(np.argmax))
ARGMIN = nondiff("argmin", _arg_kernel(np.argmin))


def _truth_kernel(fn):
    def kernel(x, *, dims, keepdim):
        r = np.asanyarray(fn(x, axis=dims, keepdims=keepdim))
        return r.astype(np.uint8) if x.dtype == np.uint8 else r

    return kernel


# bool results, but uint8 for uint8 input, as torch keeps it (its legacy mask type)
ALL = nondiff("all", _truth_kernel(np.all))
ANY = nondiff("any", _truth_kernel(np.any))


def _cumsum_adjoint(g, x, *, needs, dim):
    return (cumsum(g.flip((dim,)), dim).flip((dim,)),)


# NOTE: [contiguous results] NumPy keeps an input's memory layout in many results (cumsum,
# concatenate, stack of transposed arrays come out column-major); torch returns these
# contiguous, and code relies on it (``.view()`` of the result). The kernels whose results
# torch makes contiguous say so (tests/test_views.py compares is_contiguous with torch's).
def _cumsum_kernel(x, *, dim):
    out = np.cumsum(x, axis=dim, dtype=np.int64 if x.dtype.kind in "biu" else None)
    return contiguous(out)


CUMSUM = linear("cumsum", _cumsum_kernel, _cumsum_adjoint)


# ------------------------------------------------------------------ public functions
# NOTE: [dtype= casts first] For every op that takes ``dtype=`` (sum, prod, cumsum, cumprod,
# mean, nansum, softmax, norm, ...) torch converts the input to ``dtype`` BEFORE the op and
# computes in it: sum([0.5, 1.5], dtype=long) is 0 + 1 = 1, not long(2.0). Integer results stay
# in the asked dtype (wrapping as torch's: sum of int8 100 + 100 is -56), where without dtype=
# they are int64. ``in_dtype`` casts, the op runs, ``as_dtype`` brings an int64 result back to
# the asked width (the sum of the wrapped values, wrapped again, is the same number).
def in_dtype(x, dtype):
    """``x`` converted to ``dtype`` for an op's ``dtype=`` (NOTE: [dtype= casts first])."""
    return x if dtype is None or x.dtype == dtype else x.to(dtype)


def as_dtype(out, dtype):
    """An op's result in the asked ``dtype`` (NOTE: [dtype= casts first])."""
    return out if dtype is None or out.dtype == dtype else out.to(dtype)


@tensor_method
def sum(x, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all dims by default; an empty list of dims also means all, as in
    torch), of ``x`` converted to ``dtype`` first if given (NOTE: [dtype= casts first])."""
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    x = in_dtype(x, dtype)
    op = SUM if dim is None else SUM_DIM
    return as_dtype(apply(op, x, dims=normalize_dims(dim, x.ndim), keepdim=keepdim), dtype)


@tensor_method
def nansum(x, dim=None, keepdim=False, *, dtype=None):
    """The sum over ``dim`` with NaNs counted as zero (their gradient is zero).

    >>> import dualgrad as dg
    >>> dg.nansum(dg.tensor([1.0, float("nan"), 2.0]))
    tensor(3.)
    """
    x = in_dtype(x, dtype)
    if x.is_floating_point():
        x = where(x != x, 0.0, x)
    return sum(x, dim, keepdim, dtype=dtype)


@tensor_method
def nanmean(x, dim=None, keepdim=False, *, dtype=None):
    """The mean over ``dim`` of the values that are not NaN.

    >>> import dualgrad as dg
    >>> dg.nanmean(dg.tensor([1.0, float("nan"), 2.0]))
    tensor(1.5000)
    """
    if not x.is_floating_point():
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{_torch_type_name(x.dtype)}"
        )
    _check_mean_dtype("nanmean", dtype)
    x = in_dtype(x, dtype)
    kept = x == x
    return nansum(x, dim, keepdim) / sum(kept, dim, keepdim)


def _torch_type_name(dtype):
    from .._dtype import torch_name

    return torch_name(dtype.name)


def _check_mean_dtype(fn, dtype):
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError(
            f"{fn}(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {_torch_type_name(dtype)}"
        )


@tensor_method
def mean(x, dim=None, keepdim=False, *, dtype=None):
    """The mean over ``dim`` (an int, a tuple, or None for all), of a floating tensor (cast to
    ``dtype`` first if given).

    Derivative: the gradient spread evenly, g / n.
    """
    _check_mean_dtype("mean", dtype)
    x = in_dtype(x, dtype)
    if not x.is_floating_point():
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_torch_type_name(x.dtype)}; use x.float().mean()"
        )
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    dims = normalize_dims(dim, x.ndim)
    if 0 in [x.shape[d] for d in dims]:  # nan, as torch (NumPy's mean would warn)
        return sum(x, dims, keepdim) * float("nan")
    return apply(MEAN if dim is None else MEAN_DIM, x, dims=dims, keepdim=keepdim)


@tensor_method
def prod(x, dim=None, keepdim=False, *, dtype=None):
    """The product over ``dim`` (None for all); integers and bools give int64.

    Derivative: the product of the other elements, exact to any order where x has zeros (torch's
    prod_backward case).
    """
    x = in_dtype(x, dtype)  # NOTE: [dtype= casts first]
    return as_dtype(apply(PROD, x, dims=normalize_dims(dim, x.ndim), keepdim=keepdim), dtype)


def _check_dim_given(fn, x, dim):
    if x._data.size == 0 and (dim is None or dim == ()):
        raise RuntimeError(
            f"{fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
            "reduction dim with the 'dim' argument."
        )


@tensor_method
def amax(x, dim=(), keepdim=False):
    """The largest value over ``dim`` (an int, a tuple, or all dims), no indices.

    Derivative as torch's: the gradient shared evenly among tied maxima.
    """
    _check_dim_given("amax", x, dim)
    return apply(AMAX, x, dims=normalize_dims(dim if dim != () else None, x.ndim), keepdim=keepdim)


@tensor_method
def amin(x, dim=(), keepdim=False):
    """The smallest value over ``dim`` (an int, a tuple, or all dims), no indices.

    Derivative as torch's: the gradient shared evenly among tied minima.
    """
    _check_dim_given("amin", x, dim)
    return apply(AMIN, x, dims=normalize_dims(dim if dim != () else None, x.ndim), keepdim=keepdim)


# ------------------------------------------------------------------ aminmax
# torch's aminmax: both extremes in one pass and one node (AminmaxBackward0), each output's
# gradient shared evenly among its tied elements as amax's and amin's are.
def _aminmax_kernel(x, *, dims, keepdim):
    return (
        np.asanyarray(np.min(x, axis=dims, keepdims=keepdim)),
        np.asanyarray(np.max(x, axis=dims, keepdims=keepdim)),
    )


def _aminmax_vjp(g, x, *, out, needs, dims, keepdim):
    total = None
    for g_i, out_i in zip(g, out):
        if g_i is not None:
            term = expand_back(g_i, x.shape, dims, keepdim) * _even_share(x, out_i, dims, keepdim)
            total = term if total is None else total + term
    return (total,)


def _aminmax_jvp(tangents, x, *, out, dims, keepdim):
    return tuple(
        sum_over(_even_share(x, out_i, dims, keepdim) * tangents[0], dims, keepdim) for out_i in out
    )


AMINMAX = custom(
    "aminmax",
    _aminmax_kernel,
    _aminmax_vjp,
    _aminmax_jvp,
    multi_output=True,
    uses_out=True,
    batch=batched_as(SUM),
)


class MinMax(tuple):
    """``(min, max)`` with names, like torch.return_types.aminmax."""

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]

    def __repr__(self) -> str:
        return f"dualgrad.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


@tensor_method
def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002  (torch's keyword name)
    """The smallest and the largest value (over ``dim``, or of every element) in one op:
    ``(min, max)``, with names.

    >>> import dualgrad as dg
    >>> dg.aminmax(dg.tensor([3.0, -1.0, 2.0])).max
    tensor(3.)
    """
    x = input
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                "has no identity."
            )
        dims = tuple(range(x.ndim))
        keepdim = keepdim and x.ndim > 0
    else:
        dims = normalize_dims(dim, x.ndim) if x.ndim else ()
        check_nonempty_dims("aminmax", x.shape, dims)
    return MinMax(apply(AMINMAX, x, dims=dims, keepdim=keepdim))


class ValuesIndices(tuple):
    """``(values, indices)`` with names, like torch.return_types.max / sort / topk, and
    printed as torch prints them (``dualgrad.return_types.sort(values=..., indices=...)``)."""

    def __new__(cls, items, name="values_indices"):
        result = super().__new__(cls, items)
        result._name = name
        return result

    def __repr__(self):
        return f"dualgrad.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"

    def __reduce__(self):  # (pickling: the tuple and its name)
        return (ValuesIndices, (tuple(self), self._name))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def _minmax(op, full_op, x, dim, keepdim, other, name):
    if isinstance(dim, Tensor):  # max(x, y) is maximum
        other, dim = dim, None
    if other is not None:
        return (maximum if name == "max" else minimum)(x, other)
    if dim is None:
        _check_dim_given(name, x, dim)
        return full_op(x)
    (d,) = normalize_dims(dim, x.ndim) or (0,)
    if x.ndim == 0:  # torch: the value and index 0, 0-d whatever keepdim says
        return ValuesIndices(apply(op, x.reshape(1), dim=0, keepdim=False), name)
    check_nonempty_dims(name, x.shape, (d,))
    return ValuesIndices(apply(op, x, dim=d, keepdim=keepdim), name)


@tensor_method
def max(x, dim=None, keepdim=False, *, other=None):
    """The largest value; with ``dim``, ``(values, indices)`` along it."""
    return _minmax(MAX_DIM, lambda x: _full(MAX_ALL, x), x, dim, keepdim, other, "max")


@tensor_method
def min(x, dim=None, keepdim=False, *, other=None):
    """The smallest value; with ``dim``, ``(values, indices)`` along it; with a tensor ``other``,
    ``minimum(x, other)``."""
    return _minmax(MIN_DIM, lambda x: _full(MIN_ALL, x), x, dim, keepdim, other, "min")


def _full(op, x):
    """max() / min() of every element: amax's op with torch's selecting rule (its
    evenly_distribute_backward) in place of amax's multiplying one."""
    return apply(op, x, dims=normalize_dims(None, x.ndim), keepdim=False, selected=True)


def _arg_dim(fn, x, dim):
    if x.dtype is _dtype.bool_:  # before any dim check, as torch (NOTE: [selection of bools])
        raise RuntimeError(f"{fn}(): does not support bool input (convert first, e.g. x.long())")
    if dim is None:
        if x._data.size == 0:
            raise IndexError(
                f"{fn}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        return None
    if not x.ndim:
        normalize_dims(dim, 0)  # checks the dim's range
        return None
    d = normalize_dims(dim, x.ndim)[0]
    check_nonempty_dims(fn, x.shape, (d,))
    return d


@tensor_method
def argmax(x, dim=None, keepdim=False):
    """The index of the largest value, over the flattened tensor or along ``dim`` (int64, not
    differentiable)."""
    return apply(ARGMAX, x, dim=_arg_dim("argmax", x, dim), keepdim=keepdim)


@tensor_method
def argmin(x, dim=None, keepdim=False):
    """The index of the smallest value, over the flattened tensor or along ``dim`` (int64, not
    differentiable)."""
    return apply(ARGMIN, x, dim=_arg_dim("argmin", x, dim), keepdim=keepdim)


@tensor_method
def all(x, dim=None, keepdim=False):
    """True where every element along ``dim`` (an int, a tuple, or None for all) is nonzero.

    >>> import dualgrad as torch
    >>> torch.tensor([[1.0, 0.0], [2.0, 3.0]]).all(dim=1)
    tensor([False,  True])
    """
    # NOTE: as in torch, ``dim=()`` reduces no dim (an element-wise test), unlike ``sum``
    return apply(ALL, x, dims=normalize_dims(dim, x.ndim), keepdim=keepdim)


@tensor_method
def any(x, dim=None, keepdim=False):
    """True where some element along ``dim`` (an int, a tuple, or None for all) is nonzero."""
    return apply(ANY, x, dims=normalize_dims(dim, x.ndim), keepdim=keepdim)


@tensor_method
def equal(x, other):
    """True (a Python bool) when ``x`` and ``other`` have one shape and equal values (after
    type promotion; NaN is unequal to itself), as torch.equal."""
    if not isinstance(other, Tensor):
        raise TypeError(
            f"equal(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )
    if tuple(x.shape) != tuple(other.shape):
        return False
    return bool((x == other).all())


def same_dtype_inplace(fn):
    """``fn`` for its in-place method ``x.fn_(dim, dtype=)``, which torch allows only when
    ``dtype`` is x's own (the result is written into x)."""

    def inplace(x, dim, *, dtype=None):
        if dtype is not None and dtype != x.dtype:
            from .._dtype import TORCH_ELEMENT_NAMES as names

            raise RuntimeError(
                f"Bad in-place call: input tensor dtype {names[x.dtype.name]} and output tensor "
                f"dtype {names[dtype.name]} should match"
            )
        return fn(x, dim)

    inplace.__name__ = fn.__name__
    return tensor_method(inplace, fn.__name__, inplace=True, method=False)


@tensor_method
def cumsum(x, dim, *, dtype=None):
    """The cumulative sum along ``dim`` (integers and bools give int64). Derivative: the reversed
    cumulative sum of the gradient."""
    x = in_dtype(x, dtype)  # NOTE: [dtype= casts first]
    (d,) = normalize_dims(dim, x.ndim) or (0,)
    if x.ndim == 0:  # through the kernel all the same: an int or bool sum is int64
        return as_dtype(apply(CUMSUM, x.reshape(1), dim=0).reshape(()), dtype)
    return as_dtype(apply(CUMSUM, x, dim=d), dtype)


same_dtype_inplace(cumsum)


@tensor_method
def count_nonzero(x, dim=None):
    """The number of nonzero elements over ``dim`` (an int or a tuple; every dim if None), as
    int64.

    >>> import dualgrad as dg
    >>> dg.count_nonzero(dg.tensor([[0, 1, 2], [0, 0, 3]]), dim=1)
    tensor([2, 1])
    """
    if not isinstance(x, Tensor):
        raise TypeError(
            f"count_nonzero(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    return sum(x != 0, normalize_dims(dim, x.ndim))


__all__ = [
    "count_nonzero",
    "sum",
    "nansum",
    "nanmean",
    "mean",
    "prod",
    "amax",
    "amin",
    "aminmax",
    "max",
    "min",
    "argmax",
    "argmin",
    "all",
    "any",
    "equal",
    "cumsum",
]
