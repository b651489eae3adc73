"""softmax and log_softmax as primitives: one NumPy pass forward, short rules; and the losses
torch records as one node, mse_loss (MseLossBackward0) and nll_loss (NllLossBackward0, under
cross_entropy's LogSoftmaxBackward0).

As composites they are six ops each (max, subtract, exp, sum, log or divide, and the where
that keeps infinite maxima finite), and every one of those is a node in the graph and a
dispatch in each mode; cross-entropy pays them on every training step. The rules are written in
dualgrad ops and read the output (softmax: the output itself; log_softmax: ``exp(out)``), so
they are differentiable again, to any order, in both modes.

    log_softmax:  vjp  g - exp(out) * sum(g)       jvp  t - sum(exp(out) * t)
    softmax:      vjp  out * (g - sum(g * out))    jvp  out * (t - sum(out * t))

(sums over the softmax dims, kept.)

# NOTE: [fused losses]
As compositions (subtract, square, sum, divide; multiply by a one-hot mask, sum, negate,
divide) these losses showed five or six nodes where torch shows one, so a graph walked through
``next_functions`` or drawn by viz.make_dot did not look like torch's. Each is one primitive
with torch's node name; its rules are written in dualgrad ops (so every mode and order
follows), and under vmap it is its own composite on the batched values. nn.functional checks
the arguments and picks these ops where torch would; cases torch records otherwise, or that
need values a batched tensor has only per element (nll_loss's batched target), keep the
composition.
"""

from __future__ import annotations

import numpy as np

from .kernels import contiguous
from .._tensor import Tensor
from .elementwise import abs, clamp_min, exp, log, log1p, sigmoid, sign, where
from .reduction import sum_over  # (a rule's reductions: NOTE: [a rule's dims])
from .registry import custom, sum_to


def _shifted(x, dims):
    """``x - max(x)`` over ``dims``, with a -inf maximum replaced by 0: an all -inf slice stays
    -inf - 0 instead of becoming nan early (its softmax is 0 / 0 = nan all the same, as torch's),
    and a +inf maximum is subtracted, so its slice is all nan, as torch's."""
    if x.size == 0:  # an empty result, as torch's (np.amax of an empty slice would raise)
        return x
    m = np.amax(x, axis=dims, keepdims=True)
    return x - np.where(m == -np.inf, 0, m).astype(x.dtype, copy=False)


def _log_softmax_kernel(x, *, dims):
    z = _shifted(x, dims)  # (contiguous, as torch's: NOTE: [contiguous results])
    return contiguous(z - np.log(np.sum(np.exp(z), axis=dims, keepdims=True)))


def _softmax_kernel(x, *, dims):
    e = np.exp(_shifted(x, dims))
    return contiguous(e / np.sum(e, axis=dims, keepdims=True))


LOG_SOFTMAX = custom(
    "log_softmax",
    _log_softmax_kernel,
    lambda g, x, *, out, needs, dims: (g - exp(out) * sum_over(g, dims, True),),
    lambda tangents, x, *, out, dims: tangents[0] - sum_over(exp(out) * tangents[0], dims, True),
    uses_out=True,
    reads=((),),
)
SOFTMAX = custom(
    "softmax",
    _softmax_kernel,
    lambda g, x, *, out, needs, dims: (out * (g - sum_over(g * out, dims, True)),),
    lambda tangents, x, *, out, dims: out * (tangents[0] - sum_over(out * tangents[0], dims, True)),
    uses_out=True,
    reads=((),),
)

_REDUCTIONS = ("none", "mean", "sum")


def _reduced(a, reduction):
    """An array's loss reduced as asked (half precision accumulates in float32, as torch)."""
    if reduction == "none":
        return a
    acc = np.float32 if a.dtype.itemsize < 4 else None
    r = a.mean(dtype=acc) if reduction == "mean" else a.sum(dtype=acc)
    return np.asanyarray(r).astype(a.dtype, copy=False)


# ------------------------------------------------------------------ element-wise losses
def _spread(g, shape, reduction):
    """The cotangent of a reduced loss as one per element of ``shape``."""
    if reduction == "none":
        return g
    if reduction == "mean":
        g = g / max(int(np.prod(shape, dtype=np.int64)), 1)
    return g.expand(shape)


def pointwise_loss(name, element, partials, node_name):
    """A loss of (input, target) that is element-wise before its reduction ('none', 'mean' or
    'sum'): ``element(x, y, **params)`` the NumPy kernel per element, ``partials[i](x, y,
    **params)`` its local derivatives in dualgrad ops (NOTE: [fused losses])."""

    def kernel(x, y, *, reduction, **params):
        return np.asanyarray(_reduced(element(x, y, **params), reduction))

    def vjp(g, x, y, *, out, needs, reduction, **params):
        shape = tuple(np.broadcast_shapes(tuple(x.shape), tuple(y.shape)))
        ge = _spread(g, shape, reduction)
        return tuple(
            sum_to(ge * partials[i](x, y, **params), tuple(a.shape)) if needs[i] else None
            for i, a in enumerate((x, y))
        )

    def jvp(tangents, x, y, *, out, reduction, **params):
        el = None
        for i, t in enumerate(tangents):
            if t is not None:
                term = partials[i](x, y, **params) * t
                el = term if el is None else el + term
        if reduction == "none":
            return el
        return el.mean() if reduction == "mean" else el.sum()

    def batch(op, physical, bdims, params, size):
        """The per-element loss of the batch (the broadcasting rule), reduced per element."""
        from .._batching_generic import _pointwise

        el, _ = _pointwise(op, physical, bdims, {**params, "reduction": "none"}, size)
        reduction = params["reduction"]
        if reduction == "none" or el.ndim == 1:
            return el, 0
        dims = tuple(range(1, el.ndim))
        return (el.mean(dims) if reduction == "mean" else el.sum(dims)), 0

    return custom(name, kernel, vjp, jvp, node_name=node_name, batch=batch)


def _mse(x, y):
    d = x - y
    return d * d


def _smooth_l1(x, y, *, beta):
    d = x - y
    a = np.abs(d)
    return np.where(a < beta, (0.5 / beta) * d * d, a - 0.5 * beta).astype(d.dtype, copy=False)


def _smooth_l1_dx(x, y, *, beta):
    d = x - y
    return where(abs(d) < beta, d / beta, sign(d))


def _huber(x, y, *, delta):
    d = x - y
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)).astype(d.dtype, copy=False)


def _huber_dx(x, y, *, delta):
    d = x - y
    return where(abs(d) < delta, d, sign(d) * delta)


def _bce_logits(x, y):
    # (1 - y) x + softplus(-x), with softplus(-x) = log1p(exp(-|x|)) + max(-x, 0)
    return (1 - y) * x + np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)


def _bce(x, y):
    log_x = np.maximum(np.log(x), -100)
    log_1mx = np.maximum(np.log1p(-x), -100)
    return -(y * log_x + (1 - y) * log_1mx)


_BCE_EPS = 1e-12  # torch's EPSILON in its binary_cross_entropy backward


def _bce_dx(x, y):
    return (x - y) / clamp_min((1 - x) * x, _BCE_EPS)


def _bce_dy(x, y):
    return clamp_min(log1p(-x), -100.0) - clamp_min(log(x), -100.0)


MSE_LOSS = pointwise_loss(
    "mse_loss",
    _mse,
    (lambda x, y: (x - y) * 2.0, lambda x, y: (y - x) * 2.0),
    "MseLossBackward0",
)
SMOOTH_L1_LOSS = pointwise_loss(
    "smooth_l1_loss",
    _smooth_l1,
    (_smooth_l1_dx, lambda x, y, *, beta: -_smooth_l1_dx(x, y, beta=beta)),
    "SmoothL1LossBackward0",
)
HUBER_LOSS = pointwise_loss(
    "huber_loss",
    _huber,
    (_huber_dx, lambda x, y, *, delta: -_huber_dx(x, y, delta=delta)),
    "HuberLossBackward0",
)
BCE_WITH_LOGITS = pointwise_loss(
    "binary_cross_entropy_with_logits",
    _bce_logits,
    (lambda x, y: sigmoid(x) - y, lambda x, y: -x),
    "BinaryCrossEntropyWithLogitsBackward0",
)
BCE = pointwise_loss(
    "binary_cross_entropy", _bce, (_bce_dx, _bce_dy), "BinaryCrossEntropyBackward0"
)


# ------------------------------------------------------------------ nll_loss
def _class_dim(ndim):
    return 0 if ndim == 1 else 1


# NOTE: [targets' elements] Each target's element of the input (x[i, t[i]] of a batch of rows)
# is addressed by an integer index: for the (N, C) input of nearly every classifier, the pair
# (arange(N), t), which NumPy's fancy indexing reads and writes in one call; take_along_axis and
# put_along_axis build the same index through expand_dims and a broadcast (~15 us of a (64, 10)
# cross-entropy's 20). Other ranks keep them. A target that every element is valid for, without
# class weights, weighs 1: the loss is -picked itself (bitwise what -picked * 1 selected by the
# all-true mask gives).
def _at_targets(shape, t):
    """The index of each target's element in an input of ``shape`` for fancy indexing, or None
    where take/put_along_axis serve (NOTE: [targets' elements])."""
    if len(shape) == 2 and type(t) is np.ndarray:
        return (np.arange(shape[0]), t)
    return None


def _weights_of(valid, t, weight, dtype):
    """Each element's weight: the class weight of its target, 0 for an ignored one."""
    if weight is None:
        return valid.astype(dtype)
    return np.where(valid, weight[t], 0).astype(dtype)


def _picked_weights(shape, dtype, *, target, weight, ignore_index, reduction, total_weight):
    """An array of the input's shape: at each element's target class the weight its log
    probability enters the loss with (the class weight, over the total weight for 'mean'),
    zero elsewhere and for ignored targets. The derivative of the loss is minus this."""
    cdim = _class_dim(len(shape))
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    per = _weights_of(valid, t, weight, dtype)
    if reduction == "mean":
        per = per / np.asarray(total_weight, dtype=dtype)
    w = np.zeros(shape, dtype=dtype)
    at = _at_targets(shape, t)
    if at is not None:
        w[at] = per
    else:
        np.put_along_axis(w, np.expand_dims(t, cdim), np.expand_dims(per, cdim), axis=cdim)
    return w


def _nll_kernel(x, *, target, weight, ignore_index, reduction, total_weight):
    cdim = _class_dim(x.ndim)
    valid = target != ignore_index
    all_valid = valid.all()
    t = target if all_valid else np.where(valid, target, 0)
    at = _at_targets(x.shape, t) if type(x) is np.ndarray else None  # (a meta x: NumPy's)
    if at is not None:
        picked = x[at]
    else:
        picked = np.take_along_axis(x, np.expand_dims(t, cdim), axis=cdim).squeeze(cdim)
    if all_valid and weight is None:  # NOTE: [targets' elements]
        loss = -picked
    else:
        per = _weights_of(valid, t, weight, x.dtype)
        loss = np.where(valid, -picked * per, 0).astype(x.dtype)  # (an ignored -inf adds 0)
    if reduction == "none":
        return np.asanyarray(loss)
    total = loss.sum()
    if reduction == "mean":
        total = total / np.asarray(total_weight, dtype=x.dtype)
    return np.asanyarray(total).astype(x.dtype, copy=False)


def _weights_tensor(x, params):
    return Tensor._make(_picked_weights(tuple(x.shape), x._data.dtype, **params))


def _nll_vjp(g, x, *, out, needs, **params):
    w = _weights_tensor(x, params)
    if params["reduction"] != "none":
        return (w * -g,)
    return (w * -g.unsqueeze(_class_dim(x.ndim)),)


def _nll_jvp(tangents, x, *, out, **params):
    el = -(tangents[0] * _weights_tensor(x, params)).sum(_class_dim(x.ndim))
    return el if params["reduction"] == "none" else el.sum()


def _nll_batch(op, physical, bdims, params, size):
    """The composite on the batched log probabilities (the targets are constants here)."""
    from .._batching_generic import _to_front

    x = _to_front(physical[0], bdims[0])
    w = Tensor._make(_picked_weights(tuple(x.shape[1:]), x._data.dtype, **params))
    el = -(x * w)
    if params["reduction"] == "none":
        return el.sum(1 + _class_dim(x.ndim - 1)), 0
    return el.sum(tuple(range(1, el.ndim))), 0


NLL_LOSS = custom(
    "nll_loss",
    _nll_kernel,
    _nll_vjp,
    _nll_jvp,
    node_name="NllLossBackward0",
    reads=((),),  # its rule reads the targets only (params), not the input's values
    batch=_nll_batch,
)
