"""The margin losses torch.nn.functional has beyond the element-wise ones: triplet_margin_loss,
triplet_margin_with_distance_loss, multi_margin_loss, multilabel_margin_loss and
multilabel_soft_margin_loss. Each is a composite of dualgrad ops, so every derivative mode
comes from the ops it is made of; the integer targets become constant masks and weights.

NOTE: [hinges at the kink] torch's multi_margin and multilabel_margin kernels add a term only
where it is positive (``z > 0``), so their gradient at ``z == 0`` is 0: relu's. The triplet
losses are ``clamp_min(..., 0)``, whose gradient at the kink is 1 in torch: clamp_min's.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype, _factories
from .._ops import elementwise as E
from .._ops.reduction import mean as _mean
from .._ops.reduction import sum as _sum
from .._ops.special import logsigmoid
from .._tensor import Tensor
from ._distance import pairwise_distance
from ._reduction import _legacy_reduction as _reduction
from ._reduction import _reduce


def _check_same_ndim(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p and p == n):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs"
        )


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the p-norm pairwise distance; with
    ``swap``, ``d(a, n)`` is the smaller of it and ``d(p, n)``.

    >>> import dualgrad as dg
    >>> a, p, n = dg.zeros(2, 3), dg.ones(2, 3), dg.full((2, 3), 2.0)
    >>> dg.nn.functional.triplet_margin_loss(a, p, n, margin=3.0)
    tensor(1.2679)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_ndim(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = E.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    # NOTE: [hinges at the kink]
    return _reduce(E.clamp_min(margin + d_pos - d_neg, 0), reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """``triplet_margin_loss`` with any ``distance_function(x1, x2)`` (default
    ``pairwise_distance``); ``margin`` must be positive."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_same_ndim(anchor, positive, negative)
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, distance(positive, negative))
    return _reduce(E.clamp_min(margin + d_pos - d_neg, 0), reduction)


def _rows(input, name):
    """``input`` as (N, C) and whether it was a single vector (torch's 1-D form)."""
    shape = tuple(input.shape)
    if not (input.ndim == 2 and shape[1] != 0 or input.ndim == 1 and shape[0] != 0):
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(shape)}"
        )
    return (input.reshape(1, -1), True) if input.ndim == 1 else (input, False)


def _class_indices(target, name):
    if not isinstance(target, Tensor) or target.dtype is not _dtype.int64:
        found = _dtype.torch_name(target.dtype.name) if isinstance(target, Tensor) else "a number"
        raise RuntimeError(
            f"{name}: expected scalar type Long but found {found} for the target; pass class "
            "indices as an int64 tensor"
        )
    from .._batching import _array

    return np.asarray(_array(target))  # (every batch element's targets inside vmap)


def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """The multi-class hinge loss: per sample, ``sum_{i != y} max(0, margin - x[y] + x[i])**p``
    times ``weight[y]``, over the number of classes.

    >>> import dualgrad as dg
    >>> x = dg.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> dg.nn.functional.multi_margin_loss(x, dg.tensor([3]))
    tensor(0.3250)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x, single = _rows(input, "multi_margin_loss")
    n, c = x.shape
    y = _class_indices(target, "multi_margin_loss")
    if y.size != n or (not single and y.ndim != 1) or y.ndim > 1:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    y = y.reshape(n)
    if y.size and (y.min() < 0 or y.max() >= c):
        raise RuntimeError("target out of range")
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    index = _factories.from_numpy(y.reshape(n, 1))
    x_y = x.gather(1, index)
    others = np.ones((n, c), dtype=bool)
    others[np.arange(n), y] = False  # the target's own class adds nothing
    # NOTE: [hinges at the kink]
    h = E.relu(margin - x_y + x)
    h = h * h if p == 2 else h
    h = E.where(_factories.from_numpy(others), h, 0.0)
    if weight is not None:
        h = h * weight.gather(0, index.reshape(n)).reshape(n, 1)
    loss = _sum(h, 1) / c
    return _reduce(loss.reshape(()) if single else loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """The multi-label hinge loss: ``target`` lists each sample's classes, ended by the first
    -1; per sample, ``sum_{j listed} sum_{i not listed} max(0, 1 - (x[j] - x[i]))`` over the
    number of classes.

    >>> import dualgrad as dg
    >>> x = dg.tensor([[0.1, 0.2, 0.4, 0.8]])
    >>> dg.nn.functional.multilabel_margin_loss(x, dg.tensor([[3, 0, -1, 1]]))
    tensor(0.8500)
    """
    reduction = _reduction(size_average, reduce, reduction)
    x, single = _rows(input, "multilabel_margin_loss")
    n, c = x.shape
    t = _class_indices(target, "multilabel_margin_loss")
    if tuple(t.shape) != tuple(input.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    t = t.reshape(n, c)
    if t.size and (t.min() < -1 or t.max() >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    # each sample's listed classes: the prefix before the first -1; a class listed twice
    # counts twice, as torch's loop over the list does
    listed = np.cumprod(t != -1, axis=1).astype(bool)
    counts = np.zeros((n, c))
    for r in range(n):
        np.add.at(counts[r], t[r][listed[r]], 1.0)
    others = counts == 0
    pairs = (counts[:, :, None] * others[:, None, :]).astype(x.dtype.np)
    # NOTE: [hinges at the kink]; pairs[n, j, i] weighs the hinge of listed j against i
    h = E.relu(1 - x.unsqueeze(2) + x.unsqueeze(1))
    loss = _sum(h * _factories.from_numpy(pairs), (1, 2)) / c
    return _reduce(loss.reshape(()) if single else loss, reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """The multi-label one-versus-all logistic loss, averaged over the classes:
    ``-(y log sigmoid(x) + (1 - y) log sigmoid(-x))``, times ``weight``."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = _sum(loss, class_dim) / input.shape[class_dim]
    if reduction == "none":
        return loss
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    raise ValueError(reduction + " is not valid")
