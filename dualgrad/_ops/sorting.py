"""Sorting, selection and scans: sort, argsort, topk, kthvalue, median, quantile, mode, cummax,
cummin, cumprod, logcumsumexp, unique, searchsorted, bucketize.

# NOTE: [select by index]
Every op that picks elements (sort, topk, kthvalue, median with a dim, mode, cummax, cummin)
is a non-differentiable index computation (a primitive returning int64 indices) followed by
``gather``. gather is linear, with scatter-add as its adjoint, so every mode and order comes
for free, and the gradient reaches exactly the element the forward picked, as PyTorch's
value_selecting_reduction_backward does. Where the choice among ties is fixed by PyTorch
(cummax and cummin take the last extreme, mode the last occurrence of the smallest most
frequent value) the index kernels make the same choice; elsewhere ties pick the first element
(a stable sort). median without a dim shares the gradient evenly among the elements equal to
the result, as PyTorch does.

cumprod and logcumsumexp have rules of their own (NOTE: [cumprod with zeros],
NOTE: [logcumsumexp rules]).
"""

from __future__ import annotations

import numpy as np

from .. import _dtype
from .._dispatch import apply
from .._tensor import Tensor
from .args import int_arg
from .elementwise import (
    _tensor_arg,
    ceil,
    clamp,
    exp,
    floor,
    isnan,
    log,
    logical_not,
    minimum,
    where,
)
from .indexing import gather, known_values
from .reduction import as_dtype, check_nonempty_dims, cumsum, in_dtype, one_dim
from .reduction import same_dtype_inplace
from .reduction import sum as _sum
from .registry import batched_as, custom, nondiff
from .reduction import AMAX, ValuesIndices
from .shape import cat, flip, movedim
from .special import lerp
from ._methods import tensor_method


_Result = ValuesIndices  # shared with max/min


def _dim(dim, x) -> int:
    return one_dim(dim, x.ndim)


def _along(index_array, dim, sl):
    """``index_array[..., sl, ...]`` with the slice at ``dim`` (NumPy, in kernels only)."""
    key = [slice(None)] * index_array.ndim
    key[dim] = sl
    return index_array[tuple(key)]


# ------------------------------------------------------------------ index kernels (nondiff)
def _argsort_kernel(x, *, dim, descending, stable=True):
    if x.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.asarray(np.argsort(x, axis=dim, kind="stable"), dtype=np.int64, order="C")
    # Stable descending with NaN first (as PyTorch): sort the reversed input ascending,
    # reverse the order, and map the positions back.
    n = x.shape[dim]
    idx = np.flip(np.argsort(np.flip(x, dim), axis=dim, kind="stable"), dim)
    return np.asarray(n - 1 - idx, dtype=np.int64, order="C")


def _mode_kernel(x, *, dim):
    """Per row: the smallest of the most frequent values, at its last occurrence."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    moved = np.moveaxis(x, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        # each nan a value of its own, as torch counts them (nan != nan)
        values, counts = np.unique(row, return_counts=True, equal_nan=False)
        best = values[np.argmax(counts)]
        same = np.isnan(row) if best != best else row == best
        out[r] = np.flatnonzero(same)[-1]
    return np.expand_dims(out.reshape(moved.shape[:-1]), dim)


def _cum_extreme_kernel(better):
    """Indices of the running extreme; a tie or a NaN moves the index (PyTorch's cummax)."""

    def kernel(x, *, dim):
        if x.ndim == 0:
            return np.zeros((), np.int64)
        moved = np.moveaxis(x, dim, -1)
        out = np.empty(moved.shape, np.int64)
        if moved.shape[-1] == 0:
            return np.moveaxis(out, -1, dim)
        floating = moved.dtype.kind == "f"
        best = moved[..., 0]
        cur = np.zeros(best.shape, np.int64)
        for i in range(moved.shape[-1]):
            v = moved[..., i]
            upd = better(v, best)
            if floating:
                upd = np.isnan(v) | (~np.isnan(best) & upd)
            best = np.where(upd, v, best)
            cur = np.where(upd, i, cur)
            out[..., i] = cur
        return np.asarray(np.moveaxis(out, -1, dim), order="C")

    return kernel


ARGSORT = nondiff("argsort", _argsort_kernel)
MODE_INDICES = nondiff("mode_indices", _mode_kernel)
CUMMAX_INDICES = nondiff("cummax_indices", _cum_extreme_kernel(np.greater_equal))
CUMMIN_INDICES = nondiff("cummin_indices", _cum_extreme_kernel(np.less_equal))


def _unique_kernel(x, *, dim):
    # torch keeps every nan (nan != nan); NumPy's default folds them into one
    nans = {"equal_nan": False} if dim is None else {}
    values, inverse, counts = np.unique(
        x, return_inverse=True, return_counts=True, axis=dim, **nans
    )
    inverse = inverse.reshape(x.shape if dim is None else (x.shape[dim],))
    return values, inverse.astype(np.int64), counts.astype(np.int64)


UNIQUE = nondiff("unique", _unique_kernel, multi_output=True, loops=True)


def _unique_consecutive_kernel(x, *, dim):
    """The runs of equal elements (slices along ``dim``) of ``x``: one per run, each
    element's run, and the run lengths."""
    if dim is None:
        flat = x.reshape(-1)
        new = np.concatenate(([True], flat[1:] != flat[:-1])) if flat.size else flat.astype(bool)
        inverse = (np.cumsum(new) - 1).reshape(x.shape)
        values = flat[new]
    else:
        m = np.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
        new = np.concatenate(([True], (m[1:] != m[:-1]).any(1))) if len(m) else m.any(1)
        inverse = np.cumsum(new) - 1
        values = np.take(x, np.flatnonzero(new), axis=dim)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, new.size))
    return values, inverse.astype(np.int64), counts.astype(np.int64)


UNIQUE_CONSECUTIVE = nondiff(
    "unique_consecutive", _unique_consecutive_kernel, multi_output=True, loops=True
)


def _searchsorted_kernel(seq, values, *, right):
    side = "right" if right else "left"
    if seq.ndim == 1:
        return np.asarray(np.searchsorted(seq, values, side=side), dtype=np.int64)
    if seq.shape[:-1] != values.shape[:-1]:
        raise RuntimeError(
            "searchsorted: the leading dims of sorted_sequence "
            f"{tuple(seq.shape[:-1])} and input {tuple(values.shape[:-1])} must match; "
            "or give a 1-D sorted_sequence"
        )
    s2 = seq.reshape(-1, seq.shape[-1])
    v2 = values.reshape(-1, values.shape[-1])
    out = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(s2, v2)]) if len(s2) else v2
    return np.asarray(out, dtype=np.int64).reshape(values.shape)


SEARCHSORTED = nondiff("searchsorted", _searchsorted_kernel)


# ------------------------------------------------------------------ cumprod
# NOTE: [cumprod with zeros]
# d out_j / d x_i = prod_{k <= j, k != i} x_k for i <= j. Without zeros this is out_j / x_i,
# and the rules are the short ones (a reversed cumsum for the vjp, a cumsum for the jvp),
# exact to any order since x != 0. With a zero, dividing is wrong; the product is split as
# E_i * M_ij, with E_i = prod_{k < i} x_k (the exclusive cumprod: out shifted by one) and
# M_ij = prod_{i < k <= j} x_k (an n x n matrix made by a cumprod of x masked to k > i), and the
# rules contract M with the cotangent or the tangent. Everything is a dualgrad op, cumprod
# included, so the second order of the zero case is the zero case one size up: O(n^2) memory
# at first order, O(n^3) at second, and only when the input holds a zero (or, batched inside
# vmap, may hold one).
def _suffix_products(xm):
    """M[..., i, j] = prod_{i < k <= j} x_k for j >= i, 0 below the diagonal (x along -1)."""
    from .._factories import from_numpy

    n = xm.shape[-1]
    j_after_i = from_numpy(np.triu(np.ones((n, n), bool), 1))
    upper = from_numpy(np.triu(np.ones((n, n), bool)))
    c = cumprod(where(j_after_i, xm.unsqueeze(-2), 1.0), -1)
    return where(upper, c, 0.0)


def _exclusive(out_m):
    """(1, out_0, ..., out_{n-2}) along the last dim: prod_{k < i} x_k."""
    from .._factories import ones

    one = ones(tuple(out_m.shape[:-1]) + (1,), dtype=out_m.dtype)
    return cat([one, out_m[..., :-1]], -1)


def _has_zero(x) -> bool:
    """Whether the short rules would divide by zero; inside vmap, where a batched ``x`` has no
    values to look at, the zero-safe rules serve every batch element."""
    values = known_values(x)
    return values is None or bool((values == 0).any())


def _cumprod_vjp(g, x, *, out, needs, dim):
    if not _has_zero(x):
        return (flip(cumsum_(flip(g * out, dim), dim), dim) / x,)
    xm, gm, om = movedim(x, dim, -1), movedim(g, dim, -1), movedim(out, dim, -1)
    s = _sum(_suffix_products(xm) * gm.unsqueeze(-2), -1)
    return (movedim(_exclusive(om) * s, -1, dim),)


def _cumprod_jvp(tangents, x, *, out, dim):
    t = tangents[0]
    if not _has_zero(x):
        return out * cumsum_(t / x, dim)
    xm, tm, om = movedim(x, dim, -1), movedim(t, dim, -1), movedim(out, dim, -1)
    r = _sum((_exclusive(om) * tm).unsqueeze(-1) * _suffix_products(xm), -2)
    return movedim(r, -1, dim)


def _cumprod_kernel(x, *, dim):
    out = np.cumprod(x, axis=dim, dtype=np.int64 if x.dtype.kind in "biu" else None)
    return np.asarray(out, order="C")  # (NumPy keeps a transposed input's layout; torch does not)


CUMPROD = custom("cumprod", _cumprod_kernel, _cumprod_vjp, _cumprod_jvp, uses_out=True)


def cumsum_(x, dim):
    return cumsum(x, dim)


# ------------------------------------------------------------------ logcumsumexp
# NOTE: [logcumsumexp rules]
# d out_j / d x_i = exp(x_i - out_j) for i <= j. The vjp sum_j>=i g_j exp(x_i - out_j) and the
# jvp sum_i<=j exp(x_i - out_j) t_i are computed in log space, split by the sign of g (or t),
# with logcumsumexp itself (PyTorch's logcumsumexp_backward): no exp overflows, and the rules
# are again dualgrad ops for every order. Zeros of g or t become the dtype's most negative
# finite number (not -inf, which would give inf - inf = nan); log never sees them
# (double where).
def _log_parts(v):
    low = float(np.finfo(v._data.dtype).min)
    pos, neg = v > 0, v < 0
    log_pos = where(pos, log(where(pos, v, 1.0)), low)
    log_neg = where(neg, log(where(neg, -v, 1.0)), low)
    return log_pos, log_neg


def _logcumsumexp_vjp(g, x, *, out, needs, dim):
    def rev(z):
        return flip(logcumsumexp(flip(z, dim), dim), dim)

    log_pos, log_neg = _log_parts(g)
    return (exp(rev(log_pos - out) + x) - exp(rev(log_neg - out) + x),)


def _logcumsumexp_jvp(tangents, x, *, out, dim):
    log_pos, log_neg = _log_parts(tangents[0])
    return exp(logcumsumexp(x + log_pos, dim) - out) - exp(logcumsumexp(x + log_neg, dim) - out)


def _logcumsumexp_kernel(x, *, dim):
    if x.dtype.kind != "f":
        x = x.astype(_dtype.get_default_dtype().np)
    return np.asarray(np.logaddexp.accumulate(x, axis=dim), order="C")


LOGCUMSUMEXP = custom(
    "logcumsumexp", _logcumsumexp_kernel, _logcumsumexp_vjp, _logcumsumexp_jvp, uses_out=True
)


# ------------------------------------------------------------------ public functions
@tensor_method
def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort ``x`` along ``dim`` (ties keep their order)."""
    _tensor_arg(x, "argsort")
    return apply(ARGSORT, x, dim=_dim(dim, x), descending=bool(descending))


@tensor_method
def sort(x, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``x`` sorted along ``dim``; the gradient flows to the values.

    >>> import dualgrad as dg
    >>> dg.sort(dg.tensor([3.0, 1.0, 2.0])).indices.tolist()
    [1, 2, 0]
    """
    _tensor_arg(x, "sort")
    d = _dim(dim, x)  # (first: a 0-d tensor takes dims 0 and -1 only, as torch)
    if x.ndim == 0:
        return _Result((x.clone(), argsort(x)), "sort")
    idx = apply(ARGSORT, x, dim=d, descending=bool(descending))
    return _Result((gather(x, d, idx), idx), "sort")


@tensor_method
def msort(x):
    """``sort(x, 0).values``."""
    return sort(x, 0).values


def _check_k(x, k, d, fn, low):
    n = x.shape[d] if x.ndim else 1
    if not low <= k <= n:
        # torch's wording differs between the two ops; the numbers after it are ours
        what = "selected index k" if fn == "topk" else f"{fn}(): selected number k"
        raise RuntimeError(f"{what} out of range for dimension {d} (k={k}, dimension of size {n})")


# NOTE: [selection of bools] torch has no bool kernel for topk, kthvalue and median (argmax
# and argmin refuse bool in reduction.py); sort, argsort, mode, max and min take bools. Each
# check sits where torch's does, after the dim and k checks, so the first error is torch's:
# an empty median() and a 0-d kthvalue never reach a kernel and still answer.
def _refuse_bool(x, kernel):
    if x.dtype is _dtype.bool_:
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for 'Bool' (convert first, e.g. x.long())"
        )


@tensor_method
def topk(x, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim``, as ``(values, indices)``.

    The result is always sorted; ``sorted=False`` allows any order, so this one is valid.
    """
    _tensor_arg(x, "topk")
    k = int_arg(k, "topk", "k", 2)
    d = _dim(dim, x)
    _check_k(x, k, d, "topk", 0)
    if x.dtype is _dtype.bool_:
        raise RuntimeError(
            "topk does not support bool dtypes on CPU (convert first, e.g. x.long())"
        )
    if x.ndim == 0:
        return _Result((x.clone(), argsort(x)), "topk")
    idx = apply(ARGSORT, x, dim=d, descending=bool(largest))
    idx = _narrow(idx, d, 0, k)
    return _Result((gather(x, d, idx), idx), "topk")


def _narrow(idx, d, start, length):
    # an index array, not a slice: a gather, contiguous as torch's indices are (not a view)
    key = (slice(None),) * d + (np.arange(start, start + length),)
    return idx[key]


@tensor_method
def kthvalue(x, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element (1-based) along ``dim``, as ``(values, indices)``."""
    _tensor_arg(x, "kthvalue")
    d = _dim(dim, x)
    if x.ndim:
        check_nonempty_dims("kthvalue", x.shape, (d,))
    _check_k(x, k, d, "kthvalue", 1)
    if x.ndim:
        _refuse_bool(x, "kthvalue_cpu")
    return _select_sorted(x, d, k - 1, keepdim, "kthvalue")


def _select_sorted(x, d, position, keepdim, name):
    """``(values, indices)`` of the element at ``position`` of each slice along ``d`` in
    ascending (stable) order: an int, or a tensor of one position per slice (size 1 along
    ``d``). The value is gathered at the index, so the gradient goes there."""
    if x.ndim == 0:
        return _Result((x.clone(), argsort(x)), name)
    order = apply(ARGSORT, x, dim=d, descending=False)  # (nan sorts last)
    if isinstance(position, int):
        idx = _narrow(order, d, position, 1)
    else:
        idx = gather(order, d, position)
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _Result((values, idx), name)


def _median_with_nan(x, d, n, keepdim):
    """median along ``d`` as torch's: a slice holding a nan has that nan as its median, at the
    index of its first nan (the stable ascending sort puts nans last in their order)."""
    nans = isnan(x).sum(d, keepdim=True)
    return _select_sorted(x, d, where(nans > 0, n - nans, (n - 1) // 2), keepdim, "median")


# NOTE: [median is one node] torch's median of every element is MedianBackward0, whose rule
# shares the gradient evenly among the elements equal to the median, selecting as max()'s
# does: amax's rules with ``selected``, on a kernel that picks the lower median (nan where a
# nan is present, as torch's).
def _rows(x, dims):
    """``x`` with the reduced ``dims`` flattened into one last axis (one row per result)."""
    rows = np.moveaxis(x, dims, tuple(range(x.ndim - len(dims), x.ndim)))
    return rows.reshape(rows.shape[: x.ndim - len(dims)] + (-1,))


def _kept(out, x, dims, keepdim):
    """A per-row result in the reduction's shape (size-1 dims kept if ``keepdim``)."""
    if keepdim:
        out = out.reshape(tuple(1 if i in dims else s for i, s in enumerate(x.shape)))
    return np.asanyarray(out)


def _median_kernel(x, *, dims, keepdim, selected):
    rows = _rows(x, dims)
    k = (rows.shape[-1] - 1) // 2
    out = np.partition(rows, k, axis=-1)[..., k]
    out = np.where(np.isnan(rows).any(axis=-1), np.nan, out).astype(x.dtype, copy=False)
    return _kept(out, x, dims, keepdim)


MEDIAN = custom(
    "median",
    _median_kernel,
    AMAX.vjp,
    AMAX.jvp,
    uses_out=True,
    node_name="MedianBackward0",
    batch=batched_as(AMAX),
)


@tensor_method
def median(x, dim=None, keepdim=False):
    """The lower median: of all elements (a tensor), or along ``dim`` (``(values, indices)``).

    Without a dim the gradient is shared evenly by the elements equal to the median (as
    PyTorch); with a dim it goes to the element at the returned index.

    >>> import dualgrad as dg
    >>> dg.median(dg.tensor([4.0, 1.0, 3.0, 2.0]))
    tensor(2.)
    """
    _tensor_arg(x, "median")
    if dim is not None:
        d = _dim(dim, x)
        n = x.shape[d] if x.ndim else 1
        if n == 0:
            check_nonempty_dims("median", x.shape, (d,))
        _refuse_bool(x, "median_out")
        if x.is_floating_point() and x.ndim:
            return _median_with_nan(x, d, n, keepdim)
        return _select_sorted(x, d, (n - 1) // 2, keepdim, "median")
    n = x.numel()
    if n == 0:  # nan, cast to x's dtype as torch does (the int's minimum; True)
        out = _sum(x) * float("nan")
        return out if x.is_floating_point() else out.to(x.dtype)
    _refuse_bool(x, "median_cpu")
    if x.is_floating_point():  # NOTE: [median is one node]
        return apply(MEDIAN, x, dims=tuple(range(x.ndim)), keepdim=False, selected=True)
    flat = x.reshape(-1)
    idx = _narrow(apply(ARGSORT, flat, dim=0, descending=False), 0, (n - 1) // 2, 1)
    return gather(flat, 0, idx).reshape(())


# NOTE: [nanmedian] the lower median of the values that are not nan (nan where there are
# none), as torch's: of every element one node (NanmedianBackward0) with median's rules on its
# own kernel; along a dim the position differs per row (each row's count of numbers), so the
# index is read from the argsort at that position and the value gathered there, as median's.
def _nanmedian_kernel(x, *, dims, keepdim, selected):
    rows = np.sort(_rows(x, dims), axis=-1)  # nan sorts last
    count = (~np.isnan(rows)).sum(axis=-1, keepdims=True)
    out = np.take_along_axis(rows, np.maximum(count - 1, 0) // 2, axis=-1)[..., 0]
    return _kept(out, x, dims, keepdim)


NANMEDIAN = custom(
    "nanmedian",
    _nanmedian_kernel,
    AMAX.vjp,
    AMAX.jvp,
    uses_out=True,
    node_name="NanmedianBackward0",
    batch=batched_as(AMAX),
)


@tensor_method
def nanmedian(x, dim=None, keepdim=False):
    """The lower median of the values that are not nan: of all elements (a tensor), or along
    ``dim`` (``(values, indices)``); nan where every value is nan. Integer tensors: median.

    >>> import dualgrad as dg
    >>> dg.nanmedian(dg.tensor([4.0, float("nan"), 3.0, 1.0]))
    tensor(3.)
    """
    _tensor_arg(x, "nanmedian")
    if not x.is_floating_point():
        return median(x, dim, keepdim)
    if dim is None:
        if x.numel() == 0:
            return _sum(x) * float("nan")
        return apply(NANMEDIAN, x, dims=tuple(range(x.ndim)), keepdim=False, selected=True)
    d = _dim(dim, x)
    if x.ndim == 0:
        return _select_sorted(x, d, 0, keepdim, "nanmedian")
    check_nonempty_dims("median", x.shape, (d,))
    count = (x == x).sum(d, keepdim=True)  # the numbers of each slice, sorted before its nans
    return _select_sorted(x, d, where(count > 0, (count - 1) // 2, 0), keepdim, "nanmedian")


_INTERPOLATIONS = ("linear", "lower", "higher", "nearest", "midpoint")


@tensor_method
def quantile(x, q, dim=None, keepdim=False, *, interpolation="linear", _ignore_nan=False):
    """The ``q``-quantiles of ``x`` (all elements, or along ``dim``), interpolating between
    the two nearest order statistics as PyTorch does. ``q`` is a number or a 0-d or 1-D
    tensor; a 1-D ``q`` adds a leading dim to the result. The gradient reaches ``x`` through
    the sorted values and ``q`` through the interpolation weights.

    >>> import dualgrad as dg
    >>> dg.quantile(dg.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
    tensor(2.5000)
    """
    from .._factories import tensor

    _tensor_arg(x, "quantile")
    if not x.is_floating_point():
        raise RuntimeError(
            f"quantile() input tensor must be either float or double dtype, got {x.dtype}"
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"quantile() interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}"
        )
    scalar_q = not isinstance(q, Tensor) or q.ndim == 0
    if not isinstance(q, Tensor):
        q = tensor(float(q), dtype=x.dtype)
    if q.ndim > 1:
        raise RuntimeError(f"quantile() q must be a scalar or 1D tensor, got {q.ndim}D")
    if q.dtype != x.dtype:
        raise RuntimeError(
            f"quantile() q tensor must be same dtype as the input tensor ({x.dtype}), got {q.dtype}"
        )
    qd = known_values(q)  # None inside vmap for a batched q: the range check is skipped
    if qd is not None and qd.size and ((qd < 0) | (qd > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    q = q.reshape(-1)
    if x.numel() == 0:  # torch refuses an empty input even when the reduced dim is not empty
        raise RuntimeError("quantile() input tensor must be non-empty")
    if dim is None:
        src, d = x.reshape(-1), 0
    else:
        src, d = x, _dim(dim, x)
    if src.ndim == 0:
        src = src.reshape(1)
    n = src.shape[d]
    if n == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    values = movedim(sort(src, d).values, d, -1)  # (..., n), NaN sorted last
    if _ignore_nan:
        # each slice has its own count of non-NaN values; all-NaN slices give NaN, as torch
        count = logical_not(isnan(values)).sum(-1, keepdim=True).to(values.dtype)  # (..., 1)
        last = clamp(count - 1, min=0)
        rank = q * last  # (..., nq)
        if interpolation == "nearest":
            rank = rank.round()
        below = floor(rank).detach()
        v_lo = gather(values, -1, below.long())
        v_hi = gather(values, -1, minimum(ceil(rank).detach(), last.expand(*rank.shape)).long())
    else:
        rank = q * (n - 1)
        if interpolation == "nearest":
            rank = rank.round()
        # torch: every quantile of a slice holding a nan is that nan (sorted last), and the
        # gradient goes to it
        rank = where(isnan(values[..., -1:]), float(n - 1), rank)  # (..., nq)
        below = floor(rank).detach()
        v_lo = gather(values, -1, below.long())
        v_hi = gather(values, -1, _ceil_index(rank, n))
    if interpolation in ("lower", "nearest"):
        out = v_lo
    else:
        if interpolation == "higher":
            out = v_hi
        else:
            weight = 0.5 if interpolation == "midpoint" else rank - below
            out = _lerp(v_lo, v_hi, weight)
    if _ignore_nan:
        out = where(count == 0, float("nan"), out)
    # out: (other dims..., nq) -> (nq, other dims...)
    if keepdim and x.ndim:  # a 0-d input keeps its 0 dims
        if dim is None:
            out = out.reshape((1,) * x.ndim + (out.shape[-1],))
        else:
            out = out.unsqueeze(d)
    out = movedim(out, -1, 0)
    return out.squeeze(0) if scalar_q else out


def _ceil_index(rank, n):
    return clamp(ceil(rank).detach(), max=n - 1).long()


def _lerp(a, b, w):
    return lerp(a, b, w)


@tensor_method
def nanquantile(x, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile, ignoring NaN: each slice interpolates among its non-NaN values only."""
    return quantile(x, q, dim, keepdim, interpolation=interpolation, _ignore_nan=True)


@tensor_method
def mode(x, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the index of its last occurrence, as ``(values, indices)``."""
    _tensor_arg(x, "mode")
    d = _dim(dim, x)  # (first: a 0-d tensor takes dims 0 and -1 only, as torch)
    if x.ndim == 0:
        return _Result((x.clone(), argsort(x)), "mode")
    check_nonempty_dims("mode", x.shape, (d,))
    idx = apply(MODE_INDICES, x, dim=d)
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _Result((values, idx), "mode")


def _cum_extreme(op, x, dim, name):
    d = _dim(dim, x)  # (first: a 0-d tensor takes dims 0 and -1 only, as torch)
    if x.ndim == 0:
        return _Result((x.clone(), argsort(x)), name)
    idx = apply(op, x, dim=d)
    return _Result((gather(x, d, idx), idx), name)


@tensor_method
def cummax(x, dim):
    """The running maximum along ``dim`` and where it was found, as ``(values, indices)``."""
    _tensor_arg(x, "cummax")
    return _cum_extreme(CUMMAX_INDICES, x, dim, "cummax")


@tensor_method
def cummin(x, dim):
    """The running minimum along ``dim`` and where it was found, as ``(values, indices)``."""
    _tensor_arg(x, "cummin")
    return _cum_extreme(CUMMIN_INDICES, x, dim, "cummin")


@tensor_method
def cumprod(x, dim, *, dtype=None):
    """The running product along ``dim``; exact gradients also where ``x`` holds zeros.

    >>> import dualgrad as dg
    >>> dg.cumprod(dg.tensor([1.0, 2.0, 3.0]), 0).tolist()
    [1.0, 2.0, 6.0]
    """
    _tensor_arg(x, "cumprod")
    x = in_dtype(x, dtype)  # NOTE: [dtype= casts first]
    d = _dim(dim, x)
    if x.ndim == 0:
        return as_dtype(x.clone() if x.is_floating_point() else x.to(_dtype.int64), dtype)
    return as_dtype(apply(CUMPROD, x, dim=d), dtype)


same_dtype_inplace(cumprod)


@tensor_method
def logcumsumexp(x, dim):
    """``log(cumsum(exp(x), dim))``, computed stably.

    >>> import dualgrad as dg
    >>> dg.logcumsumexp(dg.tensor([0.0, 0.0]), 0)
    tensor([0.0000, 0.6931])
    """
    _tensor_arg(x, "logcumsumexp")
    d = _dim(dim, x)
    if x.ndim == 0:
        return x.clone() if x.is_floating_point() else x.to(_dtype.get_default_dtype())
    return apply(LOGCUMSUMEXP, x, dim=d)


@tensor_method
def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``x`` (sorted; ``sorted=False`` also returns them sorted),
    optionally with the inverse indices and the counts. Not differentiable."""
    _tensor_arg(x, "unique")
    d = None if dim is None else _dim(dim, x)
    values, inverse, counts = apply(UNIQUE, x, dim=d)
    if not (return_inverse or return_counts):
        return values
    out = [values]
    if return_inverse:
        out.append(inverse)
    if return_counts:
        out.append(counts)
    return tuple(out)


@tensor_method
def unique_consecutive(x, return_inverse=False, return_counts=False, dim=None):
    """``x`` with each run of equal consecutive elements (or slices along ``dim``) kept once,
    optionally with each element's run index and the run lengths. Not differentiable.

    >>> import dualgrad as dg
    >>> dg.unique_consecutive(dg.tensor([1, 1, 2, 2, 3, 1, 1]))
    tensor([1, 2, 3, 1])
    """
    _tensor_arg(x, "unique_consecutive")
    d = None if dim is None else _dim(dim, x)
    values, inverse, counts = apply(UNIQUE_CONSECUTIVE, x, dim=d)
    if not (return_inverse or return_counts):
        return values
    out = [values]
    if return_inverse:
        out.append(inverse)
    if return_counts:
        out.append(counts)
    return tuple(out)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where ``input`` would be inserted into ``sorted_sequence`` (along its last dim) to keep
    it sorted: the first such index, or the last with ``right=True`` / ``side='right'``."""
    from .._factories import tensor

    _tensor_arg(sorted_sequence, "searchsorted")
    if out_int32:
        raise NotImplementedError(
            "searchsorted: out_int32=True needs an int32 dtype, which dualgrad lacks; "
            "use the int64 result"
        )
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: side='left' and right=True contradict each other")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    values = tensor(input, dtype=sorted_sequence.dtype) if scalar else input
    if sorter is not None:
        # sort the sequence with dualgrad's gather, not in the kernel: a sorter batched under
        # vmap has no values to hand the kernel as a parameter
        sorted_sequence = gather(sorted_sequence, -1, sorter)
    return apply(SEARCHSORTED, sorted_sequence, values, right=bool(right))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element of ``input`` among the 1-D ``boundaries``:
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=False``) or ``<= x <`` (``right=True``)."""
    _tensor_arg(boundaries, "bucketize")
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got {boundaries.ndim}-D")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


__all__ = [
    "argsort",
    "bucketize",
    "cummax",
    "cummin",
    "cumprod",
    "kthvalue",
    "logcumsumexp",
    "median",
    "nanmedian",
    "mode",
    "msort",
    "nanquantile",
    "quantile",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]
