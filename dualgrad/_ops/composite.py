"""Composite ops, written only with primitives, so every mode comes for free.

softmax and log_softmax (primitives in softmax.py; here their argument checks), logsumexp
(stable: the max is subtracted, detached, as it is shift-invariant), var, std and norm (PyTorch's gradient of 0 where the std or 2-norm is 0,
NOTE: [safe root]).
"""

from __future__ import annotations

import math

import numpy as np

from .._dispatch import apply
from .._tensor import Tensor
from .elementwise import abs as _abs
from .elementwise import exp, log, sqrt, where
from .reduction import SUM, amax, amin, expand_back, in_dtype, mean_over, normalize_dims, sum_over
from .reduction import sum as _sum
from .registry import batched_as, custom
from .softmax import LOG_SOFTMAX, SOFTMAX
from ._methods import tensor_method

__all__ = [
    "softmax",
    "log_softmax",
    "logsumexp",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "norm",
    "dist",
    "cdist",
]


# NOTE: [the 0-norm's gradient] torch records norm(x, 0), dist(x, y, 0) and
# linalg.vector_norm(x, 0) (the result requires grad and has a grad_fn) but its backward gives
# no gradient to x: x.grad stays None after backward(), autograd.grad says x was not used
# (allow_unused=True gives None), and forward mode gives a zero tangent. The count of nonzeros
# is one op here whose vjp gives None, so every mode sees torch's answer.
def _no_gradient(g, x, *, out, needs):
    return (None,)


def _zero_tangent(tangents, x, *, out):
    return out * 0.0


NONZERO_INDICATOR = custom(
    "nonzero_indicator",
    lambda x: np.asanyarray(x != 0).astype(x.dtype),
    _no_gradient,
    _zero_tangent,
    broadcasting=True,
    saves=False,
)


def _float_input(x, dtype, fn):
    if dtype is not None:
        x = x.to(dtype)
    if not x.is_floating_point():
        raise RuntimeError(f"{fn}(): expected a floating point input, got {x.dtype}; use x.float()")
    return x


def _softmax_input(x, dtype, fn):
    x = in_dtype(x, dtype)  # NOTE: [dtype= casts first]
    if not x.is_floating_point():  # torch's kernel refuses integers this way
        from .._dtype import torch_name

        name = torch_name(x.dtype.name)
        raise NotImplementedError(f'"{fn}_lastdim_kernel_impl" not implemented for {name!r}')
    return x


def norm_input(x, dtype, fn):
    """``x`` for a norm (torch.norm, linalg.*_norm) in ``dtype``, with torch's checks: a floating
    input, a floating ``dtype`` that does not narrow it (NOTE: [dtype= casts first])."""
    from .. import _dtype

    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if not x.is_floating_point():
        name = _dtype.torch_name(x.dtype.name)
        raise RuntimeError(
            f"{fn}: Expected a floating point or complex tensor as input. Got {name}"
        )
    if dtype is None or dtype == x.dtype:
        return x
    if not dtype.is_floating_point:
        name = _dtype.torch_name(dtype.name)
        raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got {name}")
    if _dtype.promote_types(x.dtype, dtype) != dtype:
        raise RuntimeError(
            f"{fn}: the dtype of the input ({_dtype.torch_name(x.dtype.name)}) should be "
            f"convertible without narrowing to the specified dtype ({_dtype.torch_name(dtype.name)})"
        )
    return x.to(dtype)


@tensor_method
def softmax(x, dim, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, computed stably.

    >>> import dualgrad as dg
    >>> dg.softmax(dg.tensor([0.0, 0.0]), 0).tolist()
    [0.5, 0.5]
    """
    if dim is None:  # (nn.functional's softmax picks one; torch.softmax does not)
        raise TypeError("softmax(): argument 'dim' (position 2) must be int, not NoneType")
    x = _softmax_input(x, dtype, "softmax")
    return apply(SOFTMAX, x, dims=normalize_dims(dim, x.ndim))


@tensor_method
def log_softmax(x, dim, dtype=None):
    """``x - logsumexp(x, dim)``, computed stably."""
    if dim is None:  # (nn.functional's log_softmax picks one; torch.log_softmax does not)
        raise TypeError("log_softmax(): argument 'dim' (position 2) must be int, not NoneType")
    x = _softmax_input(x, dtype, "log_softmax")
    return apply(LOG_SOFTMAX, x, dims=normalize_dims(dim, x.ndim))


# NOTE: [logsumexp is one node] torch's LogsumexpBackward0, saving its result: the value
# computed with the maximum shifted out (an infinite maximum left alone), the gradient
# g * exp(x - out), the softmax over the dims.
def _logsumexp_kernel(x, *, dims, keepdim):
    m = np.amax(x, axis=dims, keepdims=True)
    m = np.where(np.isinf(m), 0, m).astype(x.dtype, copy=False)
    with np.errstate(divide="ignore"):  # an all -inf slice: log 0 = -inf, torch's value
        out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
    if not keepdim:
        out = np.squeeze(out, axis=dims)
    return np.asanyarray(out).astype(x.dtype, copy=False)


def _softmax_of(x, out, dims, keepdim):
    return exp(x - expand_back(out, x.shape, dims, keepdim))


LOGSUMEXP = custom(
    "logsumexp",
    _logsumexp_kernel,
    lambda g, x, *, out, needs, dims, keepdim: (
        expand_back(g, x.shape, dims, keepdim) * _softmax_of(x, out, dims, keepdim),
    ),
    lambda tangents, x, *, out, dims, keepdim: sum_over(
        _softmax_of(x, out, dims, keepdim) * tangents[0], dims, keepdim
    ),
    uses_out=True,
    batch=batched_as(SUM),
)


@tensor_method
def logsumexp(x, dim, keepdim=False):
    """``log(exp(x).sum(dim))``, computed stably; its gradient is softmax."""
    if not x.is_floating_point():  # torch: integers and bools in the default float dtype
        from .._dtype import get_default_dtype

        x = x.to(get_default_dtype())
    x = _float_input(x, None, "logsumexp")
    dims = normalize_dims(dim, x.ndim)
    if x.numel() == 0:  # nothing to shift: -inf over an empty dim, else an empty result (torch's)
        return log(_sum(exp(x), dims, keepdim=keepdim))
    return apply(LOGSUMEXP, x, dims=dims, keepdim=keepdim)  # NOTE: [logsumexp is one node]


# NOTE: [safe root]
# sqrt(s) and s ** (1/p) have an infinite derivative at s = 0, and the chain rule then gives
# inf * 0 = nan. PyTorch defines the gradient of std and of the p-norm there as 0; the double
# where gives the same value and a gradient of exactly 0 at s = 0, to every order, in both modes.
def _safe_root(s, root):
    zero = s == 0
    return where(zero, 0.0, root(where(zero, 1.0, s)))


def _correction(unbiased, correction):
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("var/std: give 'unbiased' or 'correction', not both")
        return correction
    return 1 if unbiased is None or unbiased else 0


# NOTE: [var and std are one node] torch records var and std as one node each (VarBackward0,
# StdBackward0); so are they here, where n - correction > 0 (else the composition below gives
# torch's nan and inf). var's gradient is g * 2 (x - mean) / (n - c); std's is var's over
# 2 std, 0 where std is 0 (as torch's and the safe root's).
def _count(x, dims):
    n = 1
    for d in dims:
        n *= x.shape[d]
    return n


def _var_kernel(x, *, dims, correction, keepdim):
    acc = np.float32 if x.dtype.itemsize < 4 else None
    centred = x - np.mean(x, axis=dims, keepdims=True, dtype=acc)
    n = _count(x, dims)
    out = np.sum(centred * centred, axis=dims, keepdims=keepdim) / (n - correction)
    return np.asanyarray(out).astype(x.dtype, copy=False)


def _var_partial(g, x, dims, correction, keepdim):
    """g (brought back to x's shape) times d var / d x = 2 (x - mean) / (n - c)."""
    centred = x - mean_over(x, dims, True)  # (NOTE: [a rule's dims])
    scale = 2.0 / (_count(x, dims) - correction)
    return expand_back(g, x.shape, dims, keepdim) * centred * scale


def _var_vjp(g, x, *, out, needs, dims, correction, keepdim):
    return (_var_partial(g, x, dims, correction, keepdim),)


def _var_jvp(tangents, x, *, out, dims, correction, keepdim):
    centred = x - mean_over(x, dims, True)
    scale = 2.0 / (_count(x, dims) - correction)
    return sum_over(centred * tangents[0], dims, keepdim) * scale


def _std_vjp(g, x, *, out, needs, dims, correction, keepdim):
    return (_var_partial(_over_norm(g, out) * 0.5, x, dims, correction, keepdim),)


def _std_jvp(tangents, x, *, out, dims, correction, keepdim):
    var_t = _var_jvp(tangents, x, out=None, dims=dims, correction=correction, keepdim=keepdim)
    return _over_norm(var_t, out) * 0.5


VAR = custom("var", _var_kernel, _var_vjp, _var_jvp, batch=batched_as(SUM))
STD = custom(
    "std",
    lambda x, *, dims, correction, keepdim: np.asanyarray(
        np.sqrt(_var_kernel(x, dims=dims, correction=correction, keepdim=keepdim))
    ),
    _std_vjp,
    _std_jvp,
    uses_out=True,
    batch=batched_as(SUM),
)


@tensor_method
def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance over ``dim`` with Bessel's ``correction`` (1 by default).

    >>> import dualgrad as dg
    >>> dg.var(dg.tensor([1.0, 2.0, 3.0]))
    tensor(1.)
    """
    if isinstance(dim, bool):  # the old signature var(x, unbiased)
        dim, unbiased = None, dim
    x = _float_input(x, None, "var")
    c = _correction(unbiased, correction)
    dims = normalize_dims(dim, x.ndim)
    n = _count(x, dims)
    if n - c > 0:  # NOTE: [var and std are one node]
        return apply(VAR, x, dims=dims, correction=c, keepdim=keepdim)
    # times 1/n rather than / n: with n = 0 (an empty dim) or n - c <= 0, 1/0 = inf gives
    # torch's nan and inf, values and gradients (a Python division by 0 would raise)
    centred = x - _sum(x, dims, keepdim=True) * _reciprocal(n)
    return _sum(centred * centred, dims, keepdim=keepdim) * _reciprocal(max(n - c, 0))


def _reciprocal(n):
    return 1.0 / n if n else math.inf


@tensor_method
def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation: ``sqrt(var(...))``, with gradient 0 where it is 0."""
    if isinstance(dim, bool):  # the old signature std(x, unbiased)
        dim, unbiased = None, dim
    x = _float_input(x, None, "std")
    c = _correction(unbiased, correction)
    dims = normalize_dims(dim, x.ndim)
    if _count(x, dims) - c > 0:  # NOTE: [var and std are one node]
        return apply(STD, x, dims=dims, correction=c, keepdim=keepdim)
    return _safe_root(var(x, dims, keepdim=keepdim, correction=c), sqrt)


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var(x, ...), mean(x, ...))`` over the same dims, as torch.var_mean.

    >>> import dualgrad as dg
    >>> dg.var_mean(dg.tensor([1.0, 2.0, 3.0]))
    (tensor(1.), tensor(2.))
    """
    from .reduction import mean

    if isinstance(dim, bool):  # the old signature var_mean(x, unbiased)
        dim, unbiased = None, dim
    v = var(x, dim, unbiased, keepdim, correction=correction)
    return v, mean(_float_input(x, None, "var_mean"), normalize_dims(dim, x.ndim), keepdim=keepdim)


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std(x, ...), mean(x, ...))`` over the same dims, as torch.std_mean."""
    v, m = var_mean(x, dim, unbiased, keepdim, correction=correction)
    return _safe_root(v, sqrt), m


# NOTE: [the 2-norm is one node] torch records every vector norm as one
# LinalgVectorNormBackward0 that saves its result; the 2-norm (the default of norm,
# linalg.vector_norm and linalg.norm, and the Frobenius norm) is that op here, its gradient
# x * g / norm (0 where the norm is 0, as torch's, and to every order: the divisor is masked).
# Other orders stay compositions of abs, sum, amax and pow (their nodes are those ops').
def _norm2_kernel(x, *, ord, dims, keepdim):
    acc = np.float32 if x.dtype.itemsize < 4 else None
    s = np.sum(np.square(x, dtype=acc), axis=dims, keepdims=keepdim)
    return np.asanyarray(np.sqrt(s)).astype(x.dtype, copy=False)


def _over_norm(v, out):
    """``v / out``, 0 where the norm ``out`` is 0 (no division by zero to differentiate)."""
    zero = out == 0
    return where(zero, 0.0, v / where(zero, 1.0, out))


def _norm2_vjp(g, x, *, out, needs, ord, dims, keepdim):
    return (x * expand_back(_over_norm(g, out), x.shape, dims, keepdim),)


def _norm2_jvp(tangents, x, *, out, ord, dims, keepdim):
    return _over_norm(sum_over(x * tangents[0], dims, keepdim), out)  # NOTE: [a rule's dims]


VECTOR_NORM = custom(
    "linalg_vector_norm",
    _norm2_kernel,
    _norm2_vjp,
    _norm2_jvp,
    uses_out=True,
    node_name="LinalgVectorNormBackward0",
    batch=batched_as(SUM),
)


@tensor_method
def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """A vector norm over ``dim`` (all dims by default), as torch.norm: p = 'fro', 2, 1, inf,
    -inf, 0 or any number. Matrix norms ('nuc') are not supported yet.

    >>> import dualgrad as dg
    >>> dg.norm(dg.tensor([3.0, 4.0]))
    tensor(5.)
    """
    x = norm_input(x, dtype, "linalg.vector_norm")
    if p is None or p == "fro":
        if dim is not None and not isinstance(dim, int) and len(dim) > 2:
            raise RuntimeError("norm: 'fro' expects at most two dims")
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(
            f"norm: p={p!r} (a matrix norm) is not supported yet; use p='fro' or a number"
        )
    dims = normalize_dims(dim, x.ndim)
    if p == 2:  # NOTE: [the 2-norm is one node]
        return apply(VECTOR_NORM, x, ord=2, dims=dims, keepdim=keepdim)
    a = _abs(x)
    if p == 1:
        return _sum(a, dims, keepdim=keepdim)
    if p == math.inf:
        return amax(a, dims, keepdim=keepdim)
    if p == -math.inf:
        return amin(a, dims, keepdim=keepdim)
    if p == 0:  # recorded, with no gradient (NOTE: [the 0-norm's gradient])
        return _sum(apply(NONZERO_INDICATOR, x), dims, keepdim=keepdim)
    return _safe_root(_sum(a**p, dims, keepdim=keepdim), lambda s: s ** (1.0 / p))


@tensor_method
def dist(x, other, p=2):
    """The p-norm of ``x - other`` (broadcast), as torch.dist.

    >>> import dualgrad as dg
    >>> dg.dist(dg.tensor([1.0, 1.0]), dg.tensor([4.0, 5.0]))
    tensor(5.)
    """
    return norm(x - other, p)


# NOTE: [cdist's two paths] torch computes p=2 distances by a matrix product,
# ||a||^2 - 2 a.b + ||b||^2 clamped at 1e-30 before the root, when either set has more than 25
# points (compute_mode's default) or when asked ('use_mm_for_euclid_dist'); otherwise, and for
# every other p, from the differences. Both are composites here, chosen by torch's rule, so the
# values round as torch's do and every mode follows (the root's gradient at a zero distance is
# 0 on the difference path, NOTE: [safe root], as torch's cdist backward gives).
_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): (..., P, R), batch dims broadcast (NOTE: [cdist's two paths]).

    >>> import dualgrad as dg
    >>> dg.cdist(dg.tensor([[0.0, 0.0]]), dg.tensor([[3.0, 4.0], [1.0, 0.0]]))
    tensor([[5., 1.]])
    """
    from .._factories import ones_like
    from .linalg import matmul
    from .shape import cat

    if x1.ndim < 2 or x2.ndim < 2:
        which, t = ("X1", x1) if x1.ndim < 2 else ("X2", x2)
        raise RuntimeError(f"cdist only supports at least 2D tensors, {which} got: {t.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if not x1.is_floating_point() or not x2.is_floating_point():
        raise RuntimeError(
            f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}, X2 got: {x2.dtype}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:  # torch's kernel takes one dtype (an empty result: x1's)
        if x1.numel() and x2.numel():
            from .._dtype import TORCH_NAMES as names

            raise RuntimeError(
                f"expected scalar type {names[x1.dtype.name]} but found "
                f"{names[x2.dtype.name]}; convert one with .to()"
            )
        x2 = x2.to(x1.dtype)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    batch = tuple(np.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2])))
    x1 = x1.expand(*batch, *x1.shape[-2:])
    x2 = x2.expand(*batch, *x2.shape[-2:])
    mm = compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary"
        and (x1.shape[-2] > 25 or x2.shape[-2] > 25)
    )
    if p == 2 and mm:
        n1 = _sum(x1 * x1, -1, keepdim=True)
        n2 = _sum(x2 * x2, -1, keepdim=True)
        a = cat([x1 * -2, n1, ones_like(n1)], -1)
        b = cat([x2, ones_like(n2), n2], -1)
        d2 = matmul(a, b.transpose(-1, -2))
        return sqrt(where(d2 < 1e-30, 1e-30, d2))
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return norm(diff, p, -1)
