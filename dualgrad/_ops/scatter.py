"""The scatter family, index_* and masked_* ops, take: composites of the indexing primitives.

Each function here is a few calls to the linear primitives of indexing.py (index, select,
index_put, index_add_zeros, gather, scatter_add_zeros, scatter) and element-wise ops, so every
mode and order comes from their rules. scatter_reduce reads its values from the nondiff
``scatter_reduce`` kernel only where the derivative needs them (the masks of amax/amin, the
sign of prod); see NOTE: [scatter_reduce derivatives].

# NOTE: [scatter_reduce derivatives]
torch's rules, reproduced by construction:
- sum: self gets g (zeroed where scattered if not include_self), src gets gather(g).
- mean: the sum divided by the count of terms (a constant): g / count, gather(g / count).
- amax / amin: the gradient is shared evenly among every term equal to the result, self
  included: d out = (is_self * dx + scatter_add(is_src * dsrc)) / N, with the 0/1 tie masks and
  the tie count N constants. With include_self=False, an excluded self value that happens to
  equal the result is not counted in N: torch 2.13's forward AD agrees, its reverse mode counts
  it (and so loses part of the gradient); one formula cannot match both, and this one keeps
  jvp and vjp consistent.
- prod: out = value * exp(L - L0), L = log|self| + scatter_add(log|src|) and L0 its value
  here: the same function as the product near this point, so its derivatives of every order
  are the product's (d out / d factor = out / factor, as torch's when no factor is zero).
  Zero factors are left out of L; the derivative with respect to a zero factor is added
  separately as the product of the others when it is its slot's only zero (torch's rule).
Where a derivative is built as ``value + f(x - x.detach(), ...)``, the value is the kernel's
own (exact), and ``f`` carries the derivatives. ``x - x.detach()`` is taken only where x is
finite (``_moving_zero``): inf - inf would put a nan into the value where torch's is inf (a
random program with special values found it), at the price of a zero derivative with respect
to an infinite element.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype
from .._batching import BatchedTensor
from .._dispatch import apply
from .._dtype import check_scalar, is_number, scalar_for
from .._factories import full
from .._tensor import Tensor
from . import elementwise as E
from .indexing import (
    INDEX_ADD_ZEROS,
    SCATTER,
    SCATTER_REDUCE,
    _Index,
    check_index,
    gather,
    getitem,
    index_put,
    known_values,
    scatter_values,
)


# NOTE: [untouched signed zeros] A scatter leaves the positions no index reaches exactly as
# they were, -0.0 included, as torch's kernels do. ``x + added`` with added = +0.0 there would
# turn -0.0 into +0.0 (which atan2, 1/x and copysign tell apart); ``x - (0.0 - added)`` is the
# same sum everywhere else (negation is exact) and subtracts +0.0 where nothing was added,
# which keeps x as it is. The derivatives are those of the sum.
def _add_keeping_zeros(x, added):
    return x - (0.0 - added)


from .reduction import cumsum, one_dim
from ._methods import tensor_method


def _dim(x, dim):
    return one_dim(dim, x.ndim)


def _fit(src, index, name):
    """``src`` cut to the shape of ``index`` (torch reads only that corner of src)."""
    if tuple(src.shape) == tuple(index.shape):
        return src
    if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
        raise RuntimeError(
            f"{name}(): Expected index {list(index.shape)} to be smaller than src "
            f"{list(src.shape)} apart from dimension"
        )
    return getitem(src, tuple(slice(0, n) for n in index.shape))


def _same_dtype(x, src, name, message=None):
    """NOTE: [same-dtype operands] in _dtype.py"""
    if isinstance(src, Tensor) and src.dtype != x.dtype:
        if message is None:
            message = f"{name}(): Expected self.dtype to be equal to src.dtype"
        names = _dtype.TORCH_NAMES
        raise RuntimeError(
            message.format(x=names[x.dtype.name], src=names[src.dtype.name])
            + "; convert it with .to(self.dtype)"
        )


@tensor_method(inplace=True)
def scatter(x, dim, index, src=None, value=None, *, reduce=None):
    """A copy of ``x`` with ``src`` (a tensor, or a number ``value``) written along ``dim`` at
    ``index``: ``out[i][index[i][j]] = src[i][j]`` for dim=1. Repeated indices: one of the
    values is written (torch: unspecified), and the gradient assumes unique indices.

    >>> import dualgrad as dg
    >>> dg.scatter(dg.zeros(2, 3), 1, dg.tensor([[2], [0]]), dg.tensor([[1.], [2.]]))
    tensor([[0., 0., 1.],
            [2., 0., 0.]])
    """
    if reduce is not None:
        return _scatter_with_reduce(x, dim, index, src, value, reduce)
    if src is None or not isinstance(src, Tensor):
        value = src if value is None else value
        if value is None:
            raise TypeError("scatter() needs a src tensor or a value")
        d = _dim(x, dim)
        check_index(x, d, index, "scatter")
        value = scalar_for(value, x.dtype.np, "scatter")  # NOTE: [checked scalars]
        return apply(SCATTER, x, float(value) if x.is_floating_point() else value, index, dim=d)
    d = _dim(x, dim)
    check_index(x, d, index, "scatter")
    _same_dtype(x, src, "scatter")
    return apply(SCATTER, x, _fit(src, index, "scatter"), index, dim=d)


def _scatter_with_reduce(x, dim, index, src, value, reduce):
    """torch's deprecated ``scatter(..., reduce="add" | "multiply")``: scatter_reduce's "sum" or
    "prod" including ``x``'s own values (with a gradient, where torch has none)."""
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(src, Tensor):
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
            "reduction options.",
            UserWarning,
            stacklevel=3,
        )
    else:
        value = src if value is None else value
        if value is None:
            raise TypeError("scatter() needs a src tensor or a value")
        check_index(x, _dim(x, dim), index, "scatter")
        src = full(tuple(index.shape), scalar_for(value, x.dtype.np, "scatter"), dtype=x.dtype)
    return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")


@tensor_method(inplace=True)
def scatter_add(x, dim, index, src):
    """``x`` with ``src`` added along ``dim`` at ``index`` (repeated indices add up).

    >>> import dualgrad as dg
    >>> dg.scatter_add(dg.zeros(3), 0, dg.tensor([0, 0, 2]), dg.ones(3))
    tensor([2., 0., 1.])
    """
    d = _dim(x, dim)
    check_index(x, d, index, "scatter_add")
    _same_dtype(x, src, "scatter_add")
    added = scatter_values(_fit(src, index, "scatter_add"), index, shape=tuple(x.shape), dim=d)
    return _add_keeping_zeros(x, added)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


@tensor_method(inplace=True)
def scatter_reduce(x, dim, index, src, reduce, *, include_self=True):
    """``x`` with ``src`` reduced into it along ``dim`` at ``index`` by ``reduce`` (``'sum'``,
    ``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``); with ``include_self=False`` the values of
    ``x`` at the scattered positions take no part. Derivatives as torch's (NOTE:
    [scatter_reduce derivatives]).

    >>> import dualgrad as dg
    >>> dg.scatter_reduce(dg.ones(2), 0, dg.tensor([0, 0, 1]), dg.tensor([2., 3., 4.]), "amax")
    tensor([3., 4.])
    """
    if reduce not in _REDUCES:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    d = _dim(x, dim)
    check_index(x, d, index, "scatter_reduce")
    _same_dtype(x, src, "scatter_reduce")
    src = _fit(src, index, "scatter_reduce")
    shape = tuple(x.shape)
    if not x.is_floating_point():  # no derivative: the kernel's values (torch: floor mean)
        return apply(SCATTER_REDUCE, x, src, index, dim=d, reduce=reduce, include_self=include_self)

    def sad(v):
        return scatter_values(v, index, shape=shape, dim=d)

    def own(v, fill):  # x's part: its scattered positions replaced when self is excluded
        return v if include_self else apply(SCATTER, v, fill, index, dim=d)

    if reduce in ("sum", "mean"):
        out = _add_keeping_zeros(own(x, 0.0), sad(src))
        if reduce == "mean":
            from .._factories import ones_like

            count = sad(ones_like(src)) + (1.0 if include_self else 0.0)
            out = out / E.clamp(count, min=1.0)
        return out
    value = apply(
        SCATTER_REDUCE,
        x.detach(),
        src.detach(),
        index,
        dim=d,
        reduce=reduce,
        include_self=include_self,
    )
    # value + (a function of x and src that is 0 here, with the right derivatives): the value
    # is the kernel's, exact; the derivatives of every order are those of the formula
    if reduce == "prod":
        return _scatter_prod(x, src, index, d, value, own, sad)
    is_self = (x.detach() == value).to(x.dtype)
    is_src = (src.detach() == gather(value, d, index)).to(x.dtype)
    is_self = own(is_self, 0.0)
    ties = is_self + sad(is_src)
    dx, dsrc = _moving_zero(x), _moving_zero(src)
    return _add_keeping_zeros(value, (is_self * dx + sad(is_src * dsrc)) / ties)


def _moving_zero(t):
    """0, with the derivative of ``t`` where ``t`` is finite (see the module's docstring)."""
    return E.where(E.isfinite(t.detach()), t - t.detach(), 0.0)


def _scatter_prod(x, src, index, d, value, own, sad):
    """scatter_reduce's 'prod' from its value (NOTE: [scatter_reduce derivatives]). Zero
    factors are left out of the log-sum (log 0 would make the value nan); the derivative
    with respect to a zero factor is the product of the others when it is its slot's only
    zero (torch's rule; with two zeros every first derivative is 0)."""
    xs = own(x, 1.0)  # excluded self values take no part: a factor 1
    zx, zs = xs.detach() == 0, src.detach() == 0
    x1, s1 = E.where(zx, 1.0, xs), E.where(zs, 1.0, src)
    logs = E.log(E.abs(x1)) + sad(E.log(E.abs(s1)))
    scale = E.exp(_moving_zero(logs))  # 1 here; d scale = scale * d f / f, nonzero f only
    out = value * scale
    known = [known_values(z) for z in (zx, zs)]
    if all(k is not None and not k.any() for k in known):  # no zero (known outside vmap)
        return out
    zx, zs = zx.to(x.dtype), zs.to(x.dtype)
    others = apply(
        SCATTER_REDUCE, x1.detach(), s1.detach(), index, dim=d, reduce="prod", include_self=True
    )  # the product of the nonzero factors
    only_zero = zx + sad(zs) == 1
    dzero = zx * _moving_zero(xs) + sad(zs * _moving_zero(src))  # 0 here
    # selected, not multiplied by the mask: another slot's product may be infinite (0 * inf)
    return _add_keeping_zeros(out, E.where(only_zero, dzero * others * scale, 0.0))


# ------------------------------------------------------------------ index_*
def _along(x, dim, index):
    """The NumPy index that addresses ``index`` along ``dim`` (all of every other dim)."""
    if isinstance(index, Tensor):
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if index.dtype.np.kind not in "iu":
            raise IndexError("index_select(): Expected dtype int32/int64 for index")
        index = index._data.reshape(-1)
    return (slice(None),) * dim + (np.asarray(index, dtype=np.int64),)


def _saved(np_index, index):
    """``np_index`` (from ``_along``) as an op parameter that names the index tensor it was
    read from, so a rule version-checks it as torch does its saved index (NOTE: [saved
    indices] in indexing.py)."""
    return _Index(np_index, (index,) if isinstance(index, Tensor) else ())


def _check_positions(x, d, index, error):
    """torch's index_select / index_add / index_copy take no negative index (NumPy would
    count it from the end): the first index outside [0, n) raises ``error(value, n)``. Inside
    vmap a batched index's values are not known here (the kernels still refuse too large ones)."""
    values = known_values(index) if isinstance(index, Tensor) else np.asarray(index)
    if values is None or not values.size:
        return
    n = x.shape[d] if x.ndim else 1
    bad = (values < 0) | (values >= n)
    if bad.any():
        raise error(int(values.reshape(-1)[np.argmax(bad.reshape(-1))]), n)


class IndexOutOfRange(IndexError, RuntimeError):
    """index_select's range error. torch raises IndexError or RuntimeError for it depending on
    the kernel path its layout takes (dim 0: IndexError; a middle dim: RuntimeError), so this
    one is both, and code catching either of torch's catches it."""


def _out_of_range_in_self(v, n):
    return IndexOutOfRange(f"index out of range in self (index {v}, size {n})")


@tensor_method
def index_select(x, dim, index):
    """The slices of ``x`` along ``dim`` at the positions in the 1-D ``index``.

    >>> import dualgrad as dg
    >>> dg.index_select(dg.arange(6.).reshape(2, 3), 1, dg.tensor([2, 0]))
    tensor([[2., 0.],
            [5., 3.]])
    """
    _check_positions(x, _dim(x, dim), index, _out_of_range_in_self)
    if x.ndim == 0:
        return getitem(x.reshape(1), _saved(_along(x, 0, index), index)).reshape(())
    if isinstance(index, BatchedTensor) and index.ndim <= 1:  # values per batch element
        if index.dtype.np.kind not in "iu":
            raise IndexError("index_select(): Expected dtype int32/int64 for index")
        return getitem(x, (slice(None),) * _dim(x, dim) + (index.reshape(-1),))
    return getitem(x, _saved(_along(x, _dim(x, dim), index), index))


def _spread(index, dim, shape):
    """A 1-D ``index`` along ``dim`` as a scatter index of ``shape``: the slice positions
    ``_along`` would address, for an index whose values are not known here (batched in vmap:
    scatter takes its index as a tensor, so the batch stays one call)."""
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    view = [1] * len(shape)
    view[dim] = -1
    return index.reshape(view).expand(*shape)


def _batched_index(index):
    return isinstance(index, Tensor) and known_values(index) is None


@tensor_method(inplace=True)
def index_add(x, dim, index, source, *, alpha=1):
    """``x`` with ``alpha * source`` added to the slices along ``dim`` at ``index``
    (repeated indices add up)."""
    d = _dim(x, dim)
    _same_dtype(
        x,
        source,
        "index_add",
        "index_add_(): self ({x}) and source ({src}) must have the same scalar type",
    )
    _check_positions(
        x,
        d,
        index,
        lambda v, n: RuntimeError(
            f"index_add(): index {v} is out of bounds for dimension {d} with size {n}"
        ),
    )
    if alpha != 1:
        source = source * alpha
    if _batched_index(index):
        return scatter_add(x, d, _spread(index, d, tuple(source.shape)), source)
    # not index_put(accumulate=True), whose node checks its index for x's gradient too:
    # torch's index_add saves its index only for the source's gradient
    idx = _saved(_along(x, d, index), index)
    return _add_keeping_zeros(x, apply(INDEX_ADD_ZEROS, source, shape=tuple(x.shape), index=idx))


@tensor_method(inplace=True)
def index_copy(x, dim, index, source):
    """``x`` with the slices along ``dim`` at ``index`` replaced by those of ``source``."""
    d = _dim(x, dim)
    _same_dtype(
        x,
        source,
        "index_copy",
        "index_copy_(): self and source expected to have the same "
        "dtype, but got (self) {x} and (source) {src}",
    )
    _check_positions(
        x,
        d,
        index,
        lambda v, n: IndexError(
            f"index_copy_(): index {v} is out of bounds for dimension {d} with size {n}"
        ),
    )
    if _batched_index(index):
        return scatter(x, d, _spread(index, d, tuple(source.shape)), source)
    return index_put(x, _saved(_along(x, d, index), index), source)


@tensor_method(inplace=True)
def index_fill(x, dim, index, value):
    """``x`` with the slices along ``dim`` at ``index`` set to ``value`` (a number or a 0-d
    tensor, which then receives the sum of their gradients)."""
    if not isinstance(value, Tensor):
        value = scalar_for(value, x.dtype.np, "index_fill")  # NOTE: [checked scalars]
    if _batched_index(index) and not isinstance(value, Tensor):
        d = _dim(x, dim)
        shape = list(x.shape)
        shape[d] = index.shape[0]
        return scatter(x, d, _spread(index, d, tuple(shape)), value=value)
    idx = _along(x, _dim(x, dim), index)
    if isinstance(value, Tensor):
        idx = idx[:-1] + (np.unique(idx[-1]),)  # torch's value gradient counts each slice once
        if value.dtype != x.dtype:  # (index_fill converts its value, as fill_ does)
            value = value.to(x.dtype)
    return index_put(x, _saved(idx, index), value)


# ------------------------------------------------------------------ masked_*
def _mask_shape(x, mask, name):
    if not isinstance(mask, Tensor) or mask.dtype.np != np.bool_:
        raise RuntimeError(f"{name}: expected BoolTensor for mask")
    return np.broadcast_shapes(tuple(x.shape), tuple(mask.shape))


def _broadcast_mask(x, mask, name):
    """The common shape and the mask's values broadcast to it (an index: the values are read)."""
    shape = _mask_shape(x, mask, name)
    return shape, np.broadcast_to(mask._data, shape)


@tensor_method(inplace=True)
def masked_fill(x, mask, value):
    """``x`` with ``value`` (a number or a 0-d tensor) where ``mask`` holds.

    >>> import dualgrad as dg
    >>> dg.masked_fill(dg.zeros(3), dg.tensor([True, False, True]), 5.0)
    tensor([5., 0., 5.])
    """
    shape = _mask_shape(x, mask, "masked_fill_")  # where() reads the mask: it may be batched
    if shape != tuple(x.shape):
        raise RuntimeError(
            f"masked_fill: the mask of shape {list(mask.shape)} must broadcast to the input's "
            f"shape {list(x.shape)}"
        )
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        if type(value) is Tensor and is_number(value.item()):
            # torch fills with the number the tensor holds, checked (NOTE: [checked scalars])
            check_scalar(value.item(), x.dtype.np, "masked_fill")
        value = value.to(x.dtype)
    else:
        value = scalar_for(value, x._data.dtype if type(x) is Tensor else x.dtype.np, "masked_fill")
        if not x.is_floating_point() and type(value) is not bool:
            value = int(value)
    out = E.where(mask, value, x)
    return out if out.dtype == x.dtype else out.to(x.dtype)


@tensor_method
def masked_select(x, mask):
    """The elements of ``x`` where ``mask`` holds (both broadcast), as a 1-D tensor."""
    shape, m = _broadcast_mask(x, mask, "masked_select")
    xb = x if tuple(x.shape) == shape else x.expand(shape)
    return getitem(xb, m)


@tensor_method(inplace=True)
def masked_scatter(x, mask, source):
    """``x`` with the elements of ``source``, in order, written where ``mask`` holds."""
    if isinstance(mask, BatchedTensor):
        return _masked_scatter_batched_mask(x, mask, source)
    shape, m = _broadcast_mask(x, mask, "masked_scatter_")
    k = int(np.count_nonzero(m))
    if source.numel() < k:
        raise RuntimeError(
            "masked_scatter: expected source to have at least as many elements as ones in mask"
        )
    _same_dtype(
        x,
        source,
        "masked_scatter",
        "masked_scatter: expected self and source to have same dtypes but got{x} and {src}",
    )
    xb = x if tuple(x.shape) == shape else x.expand(shape)
    return index_put(xb, m, getitem(source.reshape(-1), slice(0, k)))


def _masked_scatter_batched_mask(x, mask, source):
    """masked_scatter with a mask batched inside vmap (values per batch element only): the
    n-th position where the mask holds reads ``source[n]``, n counted by a cumsum, so the
    source is gathered, not indexed by the mask's values (a too small source: gather raises)."""
    from .._dtype import int64

    shape = _mask_shape(x, mask, "masked_scatter_")
    _same_dtype(
        x,
        source,
        "masked_scatter",
        "masked_scatter: expected self and source to have same dtypes but got{x} and {src}",
    )
    m = mask if tuple(mask.shape) == shape else mask.expand(shape)
    n = E.clamp(cumsum(m.reshape(-1).to(int64), 0) - 1, min=0)
    taken = gather(source.reshape(-1), 0, n).reshape(shape)
    return E.where(m, taken, x)


# ------------------------------------------------------------------ take
@tensor_method
def take(x, index):
    """The elements of ``x`` (as if flattened) at ``index``; the result has index's shape."""
    n = x.numel()
    a = known_values(index)
    if a is not None and a.size and (a.min() < -n or a.max() >= n):
        raise IndexError(f"take: index out of range in self (size {n})")
    return getitem(x.reshape(-1), index)


@tensor_method
def take_along_dim(x, indices, dim=None):
    """``gather`` with ``x`` and ``indices`` broadcast against each other outside ``dim``;
    with ``dim=None``, along the flattened ``x``."""
    if dim is None:  # torch gathers with a view of indices: a write to them raises at backward
        return gather(x.reshape(-1), 0, indices.reshape(-1))
    if x.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {x.ndim} dimensions for input, and {indices.ndim} dimensions "
            "for indices"
        )
    d = _dim(x, dim)
    xs, js = list(x.shape), list(indices.shape)
    xs[d] = js[d] = 1
    common = list(np.broadcast_shapes(tuple(xs), tuple(js)))
    xshape = tuple(common[:d] + [x.shape[d]] + common[d + 1 :])
    jshape = tuple(common[:d] + [indices.shape[d]] + common[d + 1 :])
    xb = x if tuple(x.shape) == xshape else x.expand(xshape)
    # torch's gather here saves an index of its own: indices written in place after the op
    # leave the gradient as it was (a view of indices would be version-checked and raise)
    jb = indices.clone() if tuple(indices.shape) == jshape else indices.expand(jshape).clone()
    return gather(xb, d, jb)


__all__ = [
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "take",
    "take_along_dim",
]
