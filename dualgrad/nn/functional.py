"""dualgrad.nn.functional: layers, losses and activations as functions.

Everything here is a composite of dualgrad primitives (matmul, einsum, log_softmax, where,
im2col/col2im, ...), so each function has every mode (reverse, forward, both nested, any
order) by construction. Formulas follow PyTorch's (aten/src/ATen/native/Loss*.cpp,
Normalization.cpp) so values match to rounding.

>>> import dualgrad as dg
>>> import dualgrad.nn.functional as F
>>> F.relu(dg.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype, _factories
from .._ops import conv as _conv
from .._ops import elementwise as E
from .._ops.args import number_arg as _number_arg
from .._ops import special as SP
from .._ops import composite as _composite
from .._ops.conv import fold, unfold  # noqa: F401
from .._ops.indexing import gather as _gather
from .._ops.indexing import getitem as _getitem
from .._ops.indexing import known_values as _known_values
from .._ops.linalg import einsum as _einsum
from .._ops.linalg import matmul as _matmul
from .._ops.linalg import addmm_checked as _addmm
from .._ops.softmax import BCE as _BCE
from .._ops.softmax import BCE_WITH_LOGITS as _BCE_WITH_LOGITS
from .._ops.softmax import HUBER_LOSS as _HUBER_LOSS
from .._ops.softmax import MSE_LOSS as _MSE_LOSS
from .._ops.softmax import SMOOTH_L1_LOSS as _SMOOTH_L1_LOSS
from .._ops.softmax import NLL_LOSS as _NLL_LOSS
from .._ops.softmax import _class_dim as _nll_class_dim
from .._ops.pad import pad  # noqa: F401
from .._ops.reduction import argmax as _argmax
from .._ops.reduction import mean as _mean
from .._ops.reduction import sum as _sum
from .._ops.reindex import one_hot  # noqa: F401
from .._ops.shape import broadcast_tensors as _broadcast_tensors
from .._ops.shape import cat as _cat
from .._ops.shape import stack as _stack
from .._ops.shape import reshape as _reshape
from .._ops.shape import unsqueeze as _unsqueeze
from .._dispatch import apply as _apply
from .._tensor import Tensor
from ._distance import _broadcast_pair, pairwise_distance  # noqa: F401
from ._reduction import _legacy_reduction, _legacy_string, _reduce  # noqa: F401
from ._margin_losses import (  # noqa: F401
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._window_ops import (  # noqa: F401
    channel_shuffle,
    gumbel_softmax,
    local_response_norm,
)

native_channel_shuffle = channel_shuffle  # (torch's kernel-level name for the same function)

# activations that live in dualgrad._ops.special (NOTE: [activations as composites])
from .._ops.special import (  # noqa: F401
    gelu,
    logsigmoid,
    softplus,
    softsign,
)

sigmoid = E.sigmoid
tanh = E.tanh


# NOTE: [inplace activations] torch's ``inplace=True`` writes the result into ``input`` and
# returns ``input``. Here that is ``input.copy_(fn(input.clone()))``: the same values, views of
# ``input`` see them, its version moves (so an earlier node that saved ``input`` raises at
# backward, as torch's does), and its history becomes the result's (torch's
# leaf-that-requires-grad error included). The rule runs on a clone, so what it saves is not
# the memory the write changes; torch's in-place kernels save their result for the same
# reason. (It costs the copy that torch's in-place saves: the values are torch's, not the
# memory use.)
def _written(fn, input, inplace, *args):
    """``fn(input, *args)``, or, with ``inplace``, written into ``input`` (NOTE: [inplace
    activations])."""
    if not inplace:
        return fn(input, *args)
    return input.copy_(fn(input.clone(), *args))


def relu(input, inplace=False):
    """``max(input, 0)`` element-wise; derivative 1 where the result is > 0, else 0."""
    return _written(E.relu, input, inplace)


def threshold(input, threshold, value, inplace=False):
    """``input`` where it is > ``threshold``, else ``value``; an integer input keeps its dtype
    (``value`` converted to it) and a bool one raises, as torch (NOTE: [activations of
    integers] in _ops/special.py)."""
    _number_arg(threshold, "threshold", "threshold", 2)
    _number_arg(value, "threshold", "value", 3)
    if isinstance(input, Tensor) and not input.is_floating_point():
        if input.dtype.name == "bool":
            raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
        value = _factories.tensor(value).to(input.dtype)
    return _written(lambda x: E.where(x > threshold, x, value), input, inplace)


def relu6(input, inplace=False):
    """``min(max(input, 0), 6)``; derivative 1 strictly inside (0, 6), else 0."""
    return _written(SP.relu6, input, inplace)


def elu(input, alpha=1.0, inplace=False):
    """``input`` where > 0, else ``alpha * (exp(input) - 1)``."""
    return _written(SP.elu, input, inplace, alpha)


def selu(input, inplace=False):
    """``scale * elu(input, alpha)`` with the self-normalising constants."""
    return _written(SP.selu, input, inplace)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _written(SP.celu, input, inplace, alpha)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``input`` where > 0, else ``negative_slope * input``."""
    return _written(SP.leaky_relu, input, inplace, negative_slope)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``input`` clamped to [min_val, max_val]; derivative 1 strictly inside, else 0."""
    if min_val > max_val:  # (torch's check, first: a tensor bound fails here as in torch)
        raise ValueError("min_val cannot be greater than max_val")
    return _written(SP.hardtanh, input, inplace, min_val, max_val)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``."""
    return _written(SP.hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6``."""
    return _written(SP.hardswish, input, inplace)


def silu(input, inplace=False):
    """``x * sigmoid(x)``."""
    return _written(SP.silu, input, inplace)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return _written(SP.mish, input, inplace)


def _implicit_dim(name, input, dim):
    """torch.nn.functional's softmax family without ``dim``: torch picks dim 0 for 0-, 1- and
    3-d inputs and dim 1 otherwise, with a deprecation warning (torch.softmax itself
    requires ``dim``)."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``exp(x) / exp(x).sum(dim)``, computed stably (dim chosen as torch's when omitted)."""
    return _composite.softmax(input, _implicit_dim("softmax", input, dim), dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """``x - logsumexp(x, dim)``, computed stably (dim chosen as torch's when omitted)."""
    return _composite.log_softmax(input, _implicit_dim("log_softmax", input, dim), dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-input, dim)``: weights that favour the smallest entries."""
    return _composite.softmax(-input, _implicit_dim("softmin", input, dim), dtype=dtype)


def glu(input, dim=-1):
    """Gated linear unit: splits ``input`` in halves a, b along ``dim`` and returns ``a *
    sigmoid(b)``."""
    SP.floating_only(input, "glu", "glu_cpu")
    a, b = input.chunk(2, dim)
    return a * E.sigmoid(b)


def tanhshrink(input):
    """``input - tanh(input)``."""
    return input - E.tanh(input)


def softshrink(input, lambd=0.5):
    """Shrinks towards 0 by ``lambd``: ``x - lambd`` above lambd, ``x + lambd`` below -lambd, else
    0."""
    _number_arg(lambd, "softshrink", "lambd", 2)  # NOTE: [parsed arguments]
    SP.floating_only(input, "softshrink", "softshrink_check")
    return E.where(input > lambd, input - lambd, E.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd=0.5):
    """``input`` where ``|input| > lambd``, else 0."""
    _number_arg(lambd, "hardshrink", "lambd", 2)  # NOTE: [parsed arguments]
    SP.floating_only(input, "hardshrink", "hardshrink_cpu")
    return E.where((input > lambd) | (input < -lambd), input, 0.0)


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)``; ``weight`` has one slope or one per channel (dim 1). Same
    dtypes required, as in torch."""
    if weight.dtype != input.dtype:  # NOTE: [same-dtype operands] in _dtype.py
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {_torch_name(input.dtype)} and "
            f"{_torch_name(weight.dtype)}; convert the weight with .to(input.dtype)"
        )
    w = weight
    if input.ndim >= 2 and weight.numel() > 1:
        w = _reshape(weight, (-1,) + (1,) * (input.ndim - 2))
    return E.where(input > 0, input, input * w)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: in training, negative inputs times a slope drawn from U(lower, upper);
    in eval, ``leaky_relu`` with the mean slope."""
    _number_arg(lower, "rrelu", "lower", 2), _number_arg(upper, "rrelu", "upper", 3)
    SP.floating_only(input, "rrelu", "leaky_relu_cpu")
    if training:
        # torch's slope is drawn for x <= 0 (so a zero gets it, in the gradient too)
        a = _factories.empty_like(input).uniform_(lower, upper)
        return _written(lambda x: E.where(x > 0, x, x * a), input, inplace)
    return leaky_relu(input, (lower + upper) / 2, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """``rrelu`` written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


def _check_norm_params(input, *params, stats=()):
    """The parameters (and running statistics) of a normalisation have the input's dtype, as
    torch's CPU kernels require (NOTE: [same-dtype operands] in _dtype.py)."""
    for p in params:
        if p is not None and p.dtype != input.dtype:
            if input.dtype.itemsize < p.dtype.itemsize:
                raise RuntimeError(
                    "mixed dtype (CPU): expect parameter to have scalar type of "
                    f"{_torch_name(input.dtype)}; convert it with .to(input.dtype)"
                )
            raise RuntimeError(
                "mixed dtype (CPU): all inputs must share same datatype. (convert the "
                "parameters with .to(input.dtype))"
            )
    for s in stats:
        if s is not None and s.dtype != input.dtype:
            raise RuntimeError(
                f"expected scalar type {_torch_name(input.dtype)} but found "
                f"{_torch_name(s.dtype)} (running statistics of another dtype than "
                "the input; convert them with .to(input.dtype))"
            )


# ------------------------------------------------------------------ linear layers
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, recorded as torch records it: ``addmm(bias, input,
    weight.t())`` (AddmmBackward0 over TBackward0, NOTE: [addmm]) for a batch of rows, the
    input viewed as rows and the result viewed back for other ranks; without a bias,
    ``input @ weight.t()``."""
    if weight.ndim != 2:
        out = _matmul(input, weight)
        return out if bias is None else out + bias
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = 1 if input.ndim < 2 else int(np.prod(input.shape[:-1], dtype=np.int64))
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
            f"{weight.shape[1]}x{weight.shape[0]}) (linear: the input's last dim must be "
            "in_features = weight.shape[1])"
        )
    if bias is None or bias.ndim > 1 or input.dtype != weight.dtype:
        out = _matmul(input, weight.t())
        return out if bias is None else out + bias
    if input.ndim == 2:
        return _addmm(bias, input, weight.t(), fn="linear")
    n = int(np.prod(input.shape[:-1], dtype=np.int64))  # (not -1: in_features may be 0)
    rows = _reshape(input, (n, input.shape[-1]))
    out = _addmm(bias, rows, weight.t(), fn="linear")
    return _reshape(out, tuple(input.shape[:-1]) + (weight.shape[0],))


def bilinear(input1, input2, weight, bias=None):
    """``x1^T A_o x2 + b_o`` for each output feature o."""
    out = _einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of ``weight`` picked by the integer tensor ``input``; the ``padding_idx`` row gets
    no gradient."""
    _embedding_unsupported("embedding", scale_grad_by_freq, sparse)
    if input.dtype.np.kind not in "iu":
        raise RuntimeError(f"embedding: expected an integer index tensor, got {input.dtype}")
    n = weight.shape[0]
    idx = _values(input)
    if idx.size and (idx.min() < 0 or idx.max() >= n):  # not wrapped round, as torch
        raise IndexError(
            f"index out of range in self (embedding: indices must be in [0, {n}), got "
            f"{int(idx.min() if idx.min() < 0 else idx.max())})"
        )
    if max_norm is not None:
        _renorm_rows_(weight, idx, max_norm, norm_type)
    if padding_idx is not None:
        padding_idx = _padding_index(padding_idx, n)
        rows = np.zeros((weight.shape[0], 1), dtype=bool)
        rows[padding_idx] = True
        weight = E.where(_factories.tensor(rows), weight.detach(), weight)
    return _getitem(weight, input)


def _embedding_unsupported(name, scale_grad_by_freq, sparse):
    # NOTE: [embedding's gradient options] sparse gradients need sparse tensors, which dualgrad
    # does not have (docs/differences.md); scale_grad_by_freq scales the reverse-mode gradient
    # only (torch's forward mode ignores it), which a rule written in dualgrad ops cannot do
    # without an op of its own: both are refused by name rather than ignored.
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(
            f"{name}: {'scale_grad_by_freq' if scale_grad_by_freq else 'sparse'}=True is not "
            "supported by dualgrad (sparse gradients need sparse tensors); drop the option"
        )


def _renorm_rows_(weight, idx, max_norm, norm_type):
    """torch's ``embedding_renorm_``: the rows of ``weight`` that ``idx`` looks up and whose
    ``norm_type``-norm exceeds ``max_norm`` are scaled in place to ``max_norm / (norm + 1e-7)``
    of themselves, outside autograd."""
    from .._grad_mode import no_grad

    rows = _factories.tensor(np.unique(np.asarray(idx)).astype(np.int64))
    with no_grad():
        picked = weight[rows]
        norms = picked.norm(p=norm_type, dim=1, keepdim=True)
        scale = E.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[rows] = picked * scale


def _bags(input, offsets, per_sample_weights, include_last_offset):
    """The flat indices, per-sample weights, each entry's bag and the bag count of
    embedding_bag's two layouts: a 2-D input is one bag per row, a 1-D one is cut at
    ``offsets`` (with ``include_last_offset`` the last offset ends the last bag)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                f"fixed length sequences. However, found offsets of type {type(offsets)}"
            )
        b, n = input.shape
        starts, ends = np.arange(b) * n, (np.arange(b) + 1) * n
        input = input.flatten()
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.flatten()
    elif input.ndim == 1:
        if offsets is None or offsets.ndim != 1:
            got = None if offsets is None else f"a {offsets.ndim}-D tensor"
            raise ValueError(f"offsets has to be a 1D Tensor but got {got}")
        o = _values(offsets).astype(np.int64)
        if o.size and o[0] != 0:
            raise RuntimeError(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                f"from position 0. However, got {o[0]}"
            )
        if include_last_offset:
            starts, ends = o[:-1], o[1:]
        else:
            starts, ends = o, np.append(o[1:], input.shape[0])
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    pos = np.arange(input.shape[0])
    bag = np.searchsorted(starts, pos, "right") - 1
    inside = (bag >= 0) & (pos < ends[np.clip(bag, 0, None)]) if len(starts) else pos < 0
    return input, per_sample_weights, np.where(inside, bag, -1), len(starts)


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """The sum, mean or max of each bag of ``weight``'s rows, bags given as the rows of a 2-D
    ``input`` or cut from a 1-D one at ``offsets``; entries equal to ``padding_idx`` are left
    out, and an empty bag gives zeros, as torch. Built of a row lookup and index_add (sum,
    mean) or a gather at the detached argmax (max: the gradient goes to the first maximum, as
    torch's), so every mode follows.

    >>> import dualgrad as dg
    >>> w = dg.arange(6.0).reshape(3, 2)
    >>> dg.nn.functional.embedding_bag(dg.tensor([0, 2, 1]), w, dg.tensor([0, 2]), mode="sum")
    tensor([[4., 6.],
            [2., 3.]])
    """
    _embedding_unsupported("embedding_bag", scale_grad_by_freq, sparse)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported "
            f"for mode='sum' (got mode='{mode}'). Please open a feature request on GitHub."
        )
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(input.shape):
        raise ValueError(
            f"embedding_bag: per_sample_weights of shape {tuple(per_sample_weights.shape)} must "
            f"have the shape of input {tuple(input.shape)}"
        )
    if input.dtype.np.kind not in "iu":
        raise RuntimeError(f"embedding_bag: expected an integer index tensor, got {input.dtype}")
    flat, psw, bag, nbags = _bags(input, offsets, per_sample_weights, include_last_offset)
    idx, n = _values(flat), weight.shape[0]
    keep = bag >= 0
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        j = int(np.argmax((idx < 0) | (idx >= n)))
        # torch's two kernels word it differently (float32 and float64): both phrases
        raise RuntimeError(
            f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
            f"{int(idx[j])} (Index {j} of input takes value {int(idx[j])} which is not in the "
            f"valid range [0, {n}))"
        )
    if max_norm is not None:
        _renorm_rows_(weight, idx, max_norm, norm_type)
    if padding_idx is not None:
        keep &= idx != _padding_index(padding_idx, n)
    kept = np.flatnonzero(keep)
    rows = _getitem(weight, _factories.tensor(idx[kept]))  # (K, D)
    bag = bag[kept]
    counts = np.bincount(bag, minlength=nbags)
    dim = weight.shape[1]
    if mode == "max":
        # NOTE: each bag's rows side by side, padded by an appended -inf row; the argmax picks
        # the first maximum as torch's kernel (a strict > scan), and an empty bag is zeros
        width = int(counts.max()) if nbags else 0
        if width == 0:
            return _factories.zeros(nbags, dim, dtype=weight.dtype)
        slot = np.arange(len(kept)) - np.concatenate(([0], np.cumsum(counts)))[bag]
        table = np.full((nbags, width), len(kept))
        table[bag, slot] = np.arange(len(kept))
        pad_row = _factories.full((1, dim), -math.inf, dtype=weight.dtype)
        windows = _getitem(_cat([rows, pad_row], 0), _factories.tensor(table))  # (B, W, D)
        arg = _unsqueeze(_argmax(windows.detach(), 1), 1)
        best = _gather(windows, 1, arg).squeeze(1)
        return E.where(_factories.tensor((counts > 0)[:, None]), best, 0.0)
    if psw is not None:
        rows = rows * _unsqueeze(_getitem(psw, _factories.tensor(kept)), 1)
    zeros = _factories.zeros(nbags, dim, dtype=weight.dtype)
    out = zeros.index_add(0, _factories.tensor(bag), rows)
    if mode == "mean":
        out = out / _factories.tensor(np.maximum(counts, 1)[:, None].astype(weight.dtype.np))
    return out


def _padding_index(padding_idx, n):
    """``padding_idx`` in [0, n), a negative one counted from the end; torch's assertion else."""
    if not -n <= padding_idx < n:
        raise AssertionError(
            f"Padding_idx must be within num_embeddings (got padding_idx={padding_idx} "
            f"for {n} embeddings)"
        )
    return padding_idx + n if padding_idx < 0 else padding_idx


def _dropout_dtype(input, p):
    """torch scales by a float: an integer or bool input raises its cast error (0 < p < 1)."""
    if 0.0 < p < 1.0 and not input.is_floating_point():
        name = _dtype.torch_name(input.dtype.name)
        raise RuntimeError(f"result type Float can't be cast to the desired output type {name}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` (dualgrad's generator) and scale the rest by
    ``1 / (1 - p)``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    _dropout_dtype(input, p)
    if p == 1.0:  # (zeros of the input's dtype: an integer input stays integer, as torch's)
        return _written(
            lambda x: x * 0.0 if x.is_floating_point() else _factories.zeros_like(x), input, inplace
        )
    keep = _factories._rng[0].random(tuple(input.shape)) >= p
    scale = (keep / (1.0 - p)).astype(input._data.dtype)
    return _written(lambda x: x * _factories.tensor(scale), input, inplace)


def _channel_dropout(input, p, training, batched):
    """Zero whole channels (every element of input[n, c]) with probability ``p``."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    _dropout_dtype(input, p)
    x = input if batched else _unsqueeze(input, 0)
    mask_shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    keep = _factories._rng[0].random(mask_shape) >= p
    out = x * _factories.tensor((keep / (1.0 - p) if p < 1.0 else keep).astype(x._data.dtype))
    return out if batched else out.squeeze(0)


def _warn_feature_dims(name, input, dims, spatial):
    if input.ndim not in dims:
        warnings.warn(
            f"{name}: Received a {input.ndim}-D input to {name}, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that {name} exists to provide channel-wise "
            f"dropout on inputs with {spatial} spatial dimensions, a channel dimension, and an "
            f"optional batch dimension (i.e. {dims[0]}D or {dims[1]}D inputs).",
            stacklevel=3,
        )


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, L) or (C, L) input with probability ``p``."""
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, "
            "a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
        )
    return _written(_channel_dropout, input, inplace, p, training, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, H, W) input with probability ``p`` (a 3-D input counts
    as batched, torch's historical behaviour)."""
    _warn_feature_dims("dropout2d", input, (3, 4), 2)
    return _written(_channel_dropout, input, inplace, p, training, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _warn_feature_dims("dropout3d", input, (4, 5), 3)
    return _written(_channel_dropout, input, inplace, p, training, input.ndim == 5)


# NOTE: [alpha dropout] torch's alpha_dropout (ATen's _dropout_impl) keeps SELU's mean 0 and
# variance 1: a mask ``noise`` of bernoulli(1 - p) draws (over the input, or per channel for
# feature_alpha_dropout), then ``input * (noise * a) + b`` with alpha' = 1.7580993408473766
# (SELU's negative saturation, scale * alpha), a = 1 / sqrt((alpha'^2 p + 1)(1 - p)) and
# b = (noise - 1) alpha' a + alpha' a p: a kept element is a x + alpha' a p, a dropped one
# alpha' a (p - 1). p = 1 multiplies by 0, as torch (a would be inf). The same ops in the same
# order as torch's, so for one mask the values are torch's bit for bit; the gradient is a where
# kept, 0 where dropped, as torch's. The mask is drawn by bernoulli_ on dualgrad's generator,
# the call torch makes (its stream differs from torch's: tests compare with a fixed mask).
_ALPHA_PRIME = 1.7580993408473766


def _alpha_dropout(input, p, training, feature):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError(
            "Feature dropout requires at least 2 dimensions in the input (feature_alpha_dropout "
            "drops whole channels of (N, C, *) inputs)"
        )
    if p == 1.0:
        return input * _factories.zeros((), dtype=input.dtype)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    noise = _factories.empty(shape, dtype=input.dtype).bernoulli_(1 - p)
    a = 1.0 / math.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
    b = (noise - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return input * (noise * a) + b


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: in training, each element is dropped with probability ``p`` to
    SELU's saturation value and the result rescaled so mean and variance stay those of the
    input (NOTE: [alpha dropout]); the identity otherwise."""
    return _written(_alpha_dropout, input, inplace and training and p > 0, p, training, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """``alpha_dropout`` that drops whole channels (every element of input[n, c]) of an
    (N, C, *) input (NOTE: [alpha dropout])."""
    return _written(_alpha_dropout, input, inplace and training and p > 0, p, training, True)


# ------------------------------------------------------------------ normalisation
def _affine(out, weight, bias, shape):
    if weight is not None:
        out = out * (_reshape(weight, shape) if shape else weight)
    if bias is not None:
        out = out + (_reshape(bias, shape) if shape else bias)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k :]) != tuple(normalized_shape):
        raise RuntimeError(
            f"layer_norm: expected input with shape [*, {', '.join(map(str, normalized_shape))}], "
            f"but got input of size {list(input.shape)}"
        )
    _check_norm_params(input, weight, bias)
    dims = tuple(range(input.ndim - k, input.ndim))
    mu = _mean(input, dims, keepdim=True)
    centred = input - mu
    var = _mean(centred * centred, dims, keepdim=True)
    return _affine(centred * E.rsqrt(var + eps), weight, bias, None)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise over groups of channels (and all spatial dims)."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"group_norm: {c} channels are not divisible into {num_groups} groups")
    _check_norm_params(input, weight, bias)
    g = _reshape(input, (n, num_groups, -1))
    mu = _mean(g, 2, keepdim=True)
    centred = g - mu
    var = _mean(centred * centred, 2, keepdim=True)
    out = _reshape(centred * E.rsqrt(var + eps), tuple(input.shape))
    return _affine(out, weight, bias, (1, c) + (1,) * (input.ndim - 2))


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalise each channel (dim 1) by batch statistics when ``training`` (updating the
    running ones in place, with the unbiased variance), else by the running statistics."""
    c = input.shape[1]
    _check_norm_params(input, weight, bias, stats=(running_mean, running_var))
    shape = (1, c) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {list(input.shape)}"
            )
        mu = _mean(input, dims, keepdim=True)
        centred = input - mu
        var = _mean(centred * centred, dims, keepdim=True)
        if running_mean is not None:
            from .._grad_mode import no_grad

            with no_grad():
                m = momentum
                new_mean = running_mean.detach() * (1 - m) + _reshape(mu.detach(), (c,)) * m
                unbiased = _reshape(var.detach(), (c,)) * (count / (count - 1))
                new_var = running_var.detach() * (1 - m) + unbiased * m
                running_mean.copy_(new_mean)
                running_var.copy_(new_var)
        out = centred * E.rsqrt(var + eps)
    else:
        if running_mean is None:
            raise RuntimeError(
                "batch_norm: running_mean and running_var are needed when not training"
            )
        out = (input - _reshape(running_mean, shape)) * E.rsqrt(_reshape(running_var, shape) + eps)
    return _affine(out, weight, bias, shape)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Normalise each (sample, channel) over its spatial dims. With ``use_input_stats`` and
    running statistics, these move toward the batch average of the per-instance mean and unbiased
    variance (as torch's, which runs batch_norm on a (1, N*C, ...) view); without it the running
    statistics normalise, as batch_norm in eval mode."""
    _check_norm_params(input, weight, bias, stats=(running_mean, running_var))
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "instance_norm: Expected running_mean and running_var to be defined when "
                "use_input_stats is false"
            )
        out = (input - _reshape(running_mean, shape)) * E.rsqrt(_reshape(running_var, shape) + eps)
        return _affine(out, weight, bias, shape)
    count = math.prod(input.shape[2:])
    if count == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {list(input.shape)}"
        )
    dims = tuple(range(2, input.ndim))
    mu = _mean(input, dims, keepdim=True)
    centred = input - mu
    var = _mean(centred * centred, dims, keepdim=True)
    if running_mean is not None or running_var is not None:
        from .._grad_mode import no_grad

        with no_grad():
            n = input.shape[0]
            if running_mean is not None:
                batch_mean = _mean(_reshape(mu.detach(), (n, c)), 0)
                running_mean.copy_(running_mean * (1 - momentum) + batch_mean * momentum)
            if running_var is not None:
                unbiased = _mean(_reshape(var.detach(), (n, c)), 0) * (count / (count - 1))
                running_var.copy_(running_var * (1 - momentum) + unbiased * momentum)
    return _affine(centred * E.rsqrt(var + eps), weight, bias, shape)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(_mean(x^2) + eps)`` over the last ``len(normalized_shape)`` dims, times
    ``weight``; ``eps=None`` is the input dtype's machine epsilon, as torch's."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k :]) != tuple(normalized_shape):
        raise RuntimeError(
            f"rms_norm: Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}"
        )
    _check_norm_params(input, weight)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * E.rsqrt(_mean(input * input, dims, keepdim=True) + eps)
    return out if weight is None else out * weight


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """``input / max(||input||_p, eps)`` along ``dim``: unit-norm vectors."""
    from .._ops.composite import norm

    return input / E.clamp_min(norm(input, p, dim, keepdim=True), eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``x1 . x2 / (max(|x1|, eps) max(|x2|, eps))`` over ``dim``, as torch computes it: the
    inputs are broadcast first, so a norm is of the broadcast vector (``[[0.3, -1.2]]`` against
    ``[0.7]`` compares with ``[0.7, 0.7]``), and each is normalised before the product."""
    from .._ops.composite import norm

    x1, x2 = _broadcast_pair(x1, x2)
    common = _dtype.promote_types(x1.dtype, x2.dtype)  # (torch: the common dtype, then a check)
    if not common.is_floating_point:
        raise RuntimeError(
            "cosine_similarity: expected common dtype to be floating point, yet common "
            f"dtype is {_torch_name(common)}; convert the inputs with .float()"
        )
    x1, x2 = (x if x.dtype is common else x.to(common) for x in (x1, x2))
    n1 = E.clamp_min(norm(x1, 2, dim, keepdim=True), eps)
    n2 = E.clamp_min(norm(x2, 2, dim, keepdim=True), eps)
    return _sum((x1 / n1) * (x2 / n2), dim)


# ------------------------------------------------------------------ convolution and pooling
def _same_padding(kernel, dilation, stride, name):
    if any(s != 1 for s in stride):
        raise RuntimeError(f"{name}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in total]


# NOTE: [convolutions in batch chunks] im2col (conv2d) and col2im (conv_transpose2d) make a
# columns tensor kernel-taps times the image. For a whole large batch at once that is
# gigabytes: a (20, 16, 10, 50, 100) conv_transpose3d made 4 GB of columns and took 14x torch's
# time, mostly in page faults. torch's own im2col kernels run one sample at a time with one
# buffer. So above _CHUNK_BYTES of columns the batch is cut into chunks whose columns fit, each
# convolved by the same ops, and the results concatenated. The numbers are the same (the
# batched matmul runs one GEMM per sample either way), and so are the rules, through split and
# cat. A batch that fits takes one call, as before.
_CHUNK_BYTES = 1 << 26  # 64 MiB


def _in_batch_chunks(input, per_sample_bytes, convolve):
    n = input.shape[0]
    per_chunk = max(1, _CHUNK_BYTES // max(per_sample_bytes, 1))
    if n <= per_chunk:
        return convolve(input)
    return _cat([convolve(part) for part in input.split(per_chunk, 0)], 0)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as torch) of (N, C, H, W) by (O, C/groups, kh, kw):
    im2col + matmul (NOTE: [conv as im2col + matmul] in _ops/conv.py)."""
    unbatched = input.ndim == 3
    if unbatched:
        input = _unsqueeze(input, 0)
    if input.ndim != 4 or weight.ndim != 4:
        raise RuntimeError(
            f"conv2d: expected a 3-D or 4-D input and a 4-D weight, got {input.ndim}-D and {weight.ndim}-D"
        )
    n, c, h, w = input.shape
    o, cg, kh, kw = weight.shape
    if c != cg * groups or o % groups:
        raise RuntimeError(
            f"conv2d: given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {cg * groups} channels, but got {c} channels instead"
        )
    stride, dilation = _conv.pair(stride, "stride"), _conv.pair(dilation, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same":
            (t, b), (left, r) = _same_padding((kh, kw), dilation, stride, "conv2d")
            if (t, left) != (b, r):
                input = pad(input, (left, r, t, b))
                padding = (0, 0)
            else:
                padding = (t, left)
        else:
            raise ValueError(f"conv2d: invalid padding string {padding!r}; use 'valid' or 'same'")
    padding = _conv.pair(padding, "padding")
    oh = (input.shape[2] + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (input.shape[3] + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1

    def convolve(part):
        m = part.shape[0]
        cols = unfold(part, (kh, kw), dilation, padding, stride)  # (N, C*kh*kw, L)
        if groups == 1:
            out = _matmul(_reshape(weight, (o, cg * kh * kw)), cols)
        else:
            cols = _reshape(cols, (m, groups, cg * kh * kw, oh * ow))
            out = _matmul(_reshape(weight, (groups, o // groups, cg * kh * kw)), cols)
        return _reshape(out, (m, o, oh, ow))

    columns = c * kh * kw * oh * ow * input.element_size()  # one sample's im2col
    out = _in_batch_chunks(input, columns, convolve)
    if bias is not None:
        out = out + _reshape(bias, (1, o, 1, 1))
    return out[0] if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C, L) by (O, C/groups, k): conv2d on a height-1 image."""
    one = lambda v: (1, v if isinstance(v, int) else tuple(v)[0])  # noqa: E731
    pad_ = padding if isinstance(padding, str) else (0, one(padding)[1])
    if isinstance(padding, str) and padding == "same":
        k = weight.shape[-1]
        d = dilation if isinstance(dilation, int) else dilation[0]
        total = d * (k - 1)
        input = pad(input, (total // 2, total - total // 2))
        pad_ = (0, 0)
    out = conv2d(
        _unsqueeze(input, -2),
        _unsqueeze(weight, -2),
        bias,
        one(stride),
        pad_,
        one(dilation),
        groups,
    )
    return out.squeeze(-2)


def _check_output_padding(op, s, d, axes):
    """torch's rule: each output_padding below its stride or its dilation (either)."""
    if any(o >= max(s_, d_) for o, s_, d_ in zip(op, s, d)):
        got = " ".join(
            f"{what}_{axis}: {v}"
            for what, values in (("output_padding", op), ("stride", s), ("dilation", d))
            for axis, v in zip(axes, values)
        )
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got {got}"
        )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The transposed 2-D convolution (the adjoint of conv2d in its input): matmul + col2im."""
    unbatched = input.ndim == 3
    if unbatched:
        input = _unsqueeze(input, 0)
    n, c, h, w = input.shape
    ci, og, kh, kw = weight.shape
    if c != ci or c % groups:
        raise RuntimeError(
            f"conv_transpose2d: weight of size {list(weight.shape)} expects {ci} input channels, got {c}"
        )
    s, p, op, d = (_conv.pair(v) for v in (stride, padding, output_padding, dilation))
    _check_output_padding(op, s, d, ("height", "width"))
    hout = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    wout = (w - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    # output_padding >= stride (allowed when the dilation is larger) makes room for more
    # windows than there are inputs: the extra ones read zeros (fold needs one column each)
    bh = (hout + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    bw = (wout + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    if bh > h or bw > w:
        input = pad(input, (0, max(bw - w, 0), 0, max(bh - h, 0)))
        h, w = input.shape[2:]
    cg = c // groups
    wt = _reshape(weight, (groups, cg, og * kh * kw)).transpose(-1, -2)  # (G, og*K, cg)

    def convolve(part):
        m = part.shape[0]
        x = _reshape(part, (m, groups, cg, h * w))
        cols = _reshape(_matmul(wt, x), (m, groups * og * kh * kw, h * w))
        return fold(cols, (hout, wout), (kh, kw), d, p, s)

    columns = groups * og * kh * kw * h * w * input.element_size()  # one sample's col2im
    out = _in_batch_chunks(input, columns, convolve)
    if bias is not None:
        out = out + _reshape(bias, (1, -1, 1, 1))
    return out[0] if unbatched else out


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Transposed 1-D convolution of (N, C_in, L) or (C_in, L) inputs with a (C_in, C_out/groups, k)
    weight, computed as a 2-D one."""
    one = lambda v: (1, v if isinstance(v, int) else tuple(v)[0])  # noqa: E731
    out = conv_transpose2d(
        _unsqueeze(input, -2),
        _unsqueeze(weight, -2),
        bias,
        one(stride),
        (0, padding if isinstance(padding, int) else padding[0]),
        (0, output_padding if isinstance(output_padding, int) else output_padding[0]),
        groups,
        one(dilation),
    )
    return out.squeeze(-2)


def _triple(v, name):
    v = (v,) * 3 if isinstance(v, int) else tuple(int(a) for a in v)
    if len(v) == 1:
        v = v * 3
    if len(v) != 3:
        raise ValueError(f"{name} must be an int or a triple of ints, got {v}")
    return v


# NOTE: [3-D convolution through the 2-D one] conv3d and conv_transpose3d add no primitive:
# the depth axis is folded into channels and batch so that one 2-D convolution does the work.
# conv3d stacks the KD depth-shifted slices of the input as channels (index c*KD + kd, matching
# weight.reshape(O, C/g*KD, kh, kw), group-major as groups need) and each output depth plane as
# a batch entry. conv_transpose3d runs the 2-D transposed convolution with the KD depth taps as
# extra output channels, then adds the taps of each input plane into their output depths with
# fold along depth (col2im with a (KD, 1) kernel). Every mode comes from im2col's and matmul's.
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C, D, H, W) by (O, C/groups, kd, kh, kw) (NOTE: [3-D convolution
    through the 2-D one]).

    >>> import dualgrad as dg
    >>> dg.nn.functional.conv3d(dg.ones(1, 2, 4, 4, 4), dg.ones(3, 2, 2, 2, 2)).shape
    dualgrad.Size([1, 3, 3, 3, 3])
    """
    unbatched = input.ndim == 4
    if unbatched:
        input = _unsqueeze(input, 0)
    if input.ndim != 5 or weight.ndim != 5:
        raise RuntimeError(
            f"conv3d: expected a 4-D or 5-D input and a 5-D weight, got {input.ndim}-D and "
            f"{weight.ndim}-D"
        )
    n, c, depth = input.shape[:3]
    o, cg, kd = weight.shape[:3]
    if c != cg * groups or o % groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {cg * groups} channels, but got {c} channels instead"
        )
    s, d = _triple(stride, "stride"), _triple(dilation, "dilation")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string {padding!r}; use 'valid' or 'same'")
        p = (0, 0, 0)
        if padding == "same":
            sides = _same_padding(tuple(weight.shape[2:]), d, s, "conv3d")
            input = pad(input, tuple(v for side in reversed(sides) for v in side))
            depth = input.shape[2]
    else:
        p = _triple(padding, "padding")
    if p[0]:
        input = pad(input, (0, 0, 0, 0, p[0], p[0]))
        depth += 2 * p[0]
    od = (depth - d[0] * (kd - 1) - 1) // s[0] + 1
    if od <= 0:
        raise RuntimeError(
            f"conv3d: the input depth {depth} (padded) is smaller than the dilated kernel depth "
            f"{d[0] * (kd - 1) + 1}"
        )
    h, w = input.shape[3:]
    taps = [input[:, :, i * d[0] : i * d[0] + s[0] * (od - 1) + 1 : s[0]] for i in range(kd)]
    x = _reshape(_stack(taps, 3).permute(0, 2, 1, 3, 4, 5), (n * od, c * kd, h, w))
    w2 = _reshape(weight, (o, cg * kd) + tuple(weight.shape[3:]))
    out = conv2d(x, w2, None, s[1:], p[1:], d[1:], groups)  # (N*OD, O, OH, OW)
    out = _reshape(out, (n, od) + tuple(out.shape[1:])).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + _reshape(bias, (1, o, 1, 1, 1))
    return out[0] if unbatched else out


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """The transposed 3-D convolution, the adjoint of conv3d in its input (NOTE: [3-D
    convolution through the 2-D one])."""
    unbatched = input.ndim == 4
    if unbatched:
        input = _unsqueeze(input, 0)
    if input.ndim != 5 or weight.ndim != 5:
        raise RuntimeError(
            f"conv_transpose3d: expected a 4-D or 5-D input and a 5-D weight, got {input.ndim}-D "
            f"and {weight.ndim}-D"
        )
    n, c, depth, h, w = input.shape
    ci, og, kd = weight.shape[:3]
    if c != ci or c % groups:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(input.shape)} to have {ci} channels, but got {c} channels instead"
        )
    s, p, op, d = (
        _triple(v, name)
        for v, name in (
            (stride, "stride"),
            (padding, "padding"),
            (output_padding, "output_padding"),
            (dilation, "dilation"),
        )
    )
    _check_output_padding(op, s, d, ("depth", "height", "width"))
    x = _reshape(input.permute(0, 2, 1, 3, 4), (n * depth, c, h, w))
    w2 = _reshape(weight, (ci, og * kd) + tuple(weight.shape[3:]))
    y = conv_transpose2d(x, w2, None, s[1:], p[1:], op[1:], groups, d[1:])
    oh, ow = y.shape[2:]
    cout = og * groups
    y = _reshape(y, (n, depth, cout, kd, oh, ow)).permute(0, 2, 4, 5, 3, 1)
    y = _reshape(y, (n, cout * oh * ow * kd, depth))
    dout = (depth - 1) * s[0] - 2 * p[0] + d[0] * (kd - 1) + op[0] + 1
    blocks = (dout + 2 * p[0] - d[0] * (kd - 1) - 1) // s[0] + 1
    if blocks > depth:  # output_padding >= stride (allowed when dilation is larger): empty taps
        y = pad(y, (0, blocks - depth))
    out = fold(y, (dout, 1), (kd, 1), (d[0], 1), (p[0], 0), (s[0], 1))
    out = _reshape(out, (n, cout, oh, ow, dout)).permute(0, 1, 4, 2, 3)
    if bias is not None:
        out = out + _reshape(bias, (1, -1, 1, 1, 1))
    return out[0] if unbatched else out


def _ntuple(v, nd, name="argument"):
    """An int or a sequence of ``nd`` ints (or one) as an ``nd``-tuple."""
    return _conv.pair(v, name) if nd == 2 else (_triple(v, name) if nd == 3 else (int(v),) * nd)


def _pool_params(kernel, stride, padding, dilation, name, nd=2):
    """(kernel, stride, padding, dilation) as ``nd``-tuples; torch's default stride is the
    kernel."""
    k = _ntuple(kernel, nd)
    s = (
        k
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else _ntuple(stride, nd)
    )
    p, d = _ntuple(padding, nd), _ntuple(dilation, nd)
    if any(p_ > k_ // 2 for p_, k_ in zip(p, k)):
        raise RuntimeError(
            f"{name}: pad should be at most half of effective kernel size, but got pad={p} and kernel_size={k}"
        )
    return k, s, p, d


def _pool_size(n, k, s, p, d, ceil_mode, name):
    """torch's output length (pooling_output_shape): ceil_mode rounds the window count up, but
    the last window must still start inside the input or its left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    if out < 1:
        raise RuntimeError(
            f"{name}: input size {n} is too small for kernel {k}, dilation {d} and padding {p} "
            f"(output size {out}): Output size is too small"
        )
    return out


def _window_positions(n, k, s, p, d, out):
    """(out, k): the input position each window slot reads along one axis; those outside
    [0, n) fall in the padding (or past it, with ceil_mode)."""
    return np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d


def _adaptive_positions(n, out):
    """(out, widest window) positions of torch's adaptive windows [floor(i n / out),
    ceil((i+1) n / out)), -1 in the slots past a narrower window's end."""
    start = (np.arange(out) * n) // out
    end = -((-(np.arange(out) + 1) * n) // out)
    pos = start[:, None] + np.arange(int((end - start).max()))[None, :]
    return np.where(pos < end[:, None], pos, -1)


def _first_real(pos, n):
    """Each window's slots outside the input [0, n) take its first real position, and whether
    it has one. A repeated element cannot change the maximum, and because it is the window's
    first element in row-major order the first maximum argmax finds is the element torch's
    kernel picks (also when all are -inf). A window of padding only (a large dilation) takes
    its first nonnegative position: the index torch's kernel reports there."""
    real = (pos >= 0) & (pos < n)
    first = np.where(real.any(1), real.argmax(1), (pos >= 0).argmax(1))
    return np.where(real, pos, pos[np.arange(len(pos)), first][:, None]), real.any(1)


def _batched(input, nd, name):
    """``input`` with its batch dim (added when it has only (C, *spatial)) and whether it was
    added; torch's message for any other rank."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{name}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, "
            f"got {input.ndim}-D"
        )
    return (_unsqueeze(input, 0), True) if input.ndim == nd + 1 else (input, False)


# NOTE: [pooling in any number of dims] max pooling and max_unpool take one position table per
# spatial axis (_window_positions, or _adaptive_positions for the adaptive forms); a window is
# the outer product of its axes' slots and an index is the row-major flat position in the
# input's spatial block, as torch's. 1-D, 2-D and 3-D pooling are the same code with 1, 2 or 3
# tables (1-D runs as a height-1 image, which gives the same indices).
def _max_windows(input, tables, name="max_pool2d"):
    """The maximum of each window (the outer product of the per-axis position ``tables``) and
    its flat index into the input's spatial block, as torch's max_pool (NOTE: [pooling in any
    number of dims]).

    The indices come from argmax over the gathered windows (no derivative); the values are then
    a gather of the input at them, so the gradient goes to that one element as in torch (amax
    would share it among ties) and every mode follows from gather."""
    nd = len(tables)
    input, unbatched = _batched(input, nd, name)
    sizes = tuple(input.shape[-nd:])
    firsts = [_first_real(t, n) for t, n in zip(tables, sizes)]
    outs = tuple(len(t) for t, _ in firsts)
    steps = [int(np.prod(sizes[a + 1 :])) for a in range(nd)]  # row-major strides
    flat, real = 0, True
    for a, ((pos, has), step) in enumerate(zip(firsts, steps)):
        shape = [1] * (2 * nd)
        shape[a], shape[nd + a] = pos.shape
        flat = flat + pos.reshape(shape) * step
        real = real & has.reshape([len(has) if b == a else 1 for b in range(nd)])
    flat = flat.reshape(outs + (-1,))  # (*outs, window size)
    real = np.asarray(real)[..., None]
    total = int(np.prod(sizes))
    read = np.where(real, flat, total)  # a window of padding only reads an appended -inf: torch's
    x = input.flatten(-nd)
    if not real.all():
        x = _cat([x, _factories.full(tuple(x.shape[:-1]) + (1,), -math.inf, dtype=x.dtype)], -1)
    arg = _unsqueeze(_argmax(_getitem(x.detach(), (Ellipsis, read)), -1), -1)

    def pick(table):
        return _gather(
            _factories.tensor(table).expand(*arg.shape[:-1], table.shape[-1]), -1, arg
        ).squeeze(-1)

    at = pick(read)
    values = _reshape(_gather(x, -1, at.flatten(-nd)), tuple(at.shape))
    indices = at if real.all() else pick(flat)
    return (values[0], indices[0]) if unbatched else (values, indices)


def _max_pool(input, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices, name):
    k, s, p, d = _pool_params(kernel_size, stride, padding, dilation, name, nd)
    sizes = tuple(input.shape[-nd:])
    outs = [_pool_size(*a, ceil_mode, name) for a in zip(sizes, k, s, p, d)]
    tables = [_window_positions(*a) for a in zip(sizes, k, s, p, d, outs)]
    values, indices = _max_windows(input, tables, name)
    return (values, indices) if return_indices else values


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """The maximum of each block (padding never wins); with ``return_indices`` also its flat
    index into each input channel's H*W, which ``max_unpool2d`` takes."""
    return _max_pool(
        input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d"
    )


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W) inputs (padding never wins); with
    ``return_indices`` also each maximum's flat index into its channel's D*H*W, which
    ``max_unpool3d`` takes (NOTE: [pooling in any number of dims]).

    >>> import dualgrad as dg
    >>> dg.nn.functional.max_pool3d(dg.arange(16.0).reshape(1, 2, 2, 4), 2)
    tensor([[[[13., 15.]]]])
    """
    return _max_pool(
        input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool3d"
    )


def _avg_divisor(n, k, s, p, out, count_include_pad):
    """The count each window's sum is divided by along one axis (torch's avg_pool2d kernel):
    the window clipped to the padded input, or to the input alone without count_include_pad.
    The 2-D divisor is the outer product of the two axes' counts."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """The mean of each block: im2col + sum / count."""
    k, s, p, _ = _pool_params(kernel_size, stride, padding, 1, "avg_pool2d")
    unbatched = input.ndim == 3
    x = _unsqueeze(input, 0) if unbatched else input
    n, c, h, w = x.shape
    oh, ow = (_pool_size(*a, 1, ceil_mode, "avg_pool2d") for a in zip((h, w), k, s, p))
    # with ceil_mode the last windows hang past the padding: zeros there leave the sum alone
    eh, ew = (
        (o - 1) * s_ + k_ - (m + 2 * p_) for o, s_, k_, m, p_ in zip((oh, ow), s, k, (h, w), p)
    )
    if eh > 0 or ew > 0:
        x = pad(x, (0, max(ew, 0), 0, max(eh, 0)))
    total = _sum(_reshape(unfold(x, k, 1, p, s), (n, c, k[0] * k[1], oh, ow)), 2)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        dh, dw = (_avg_divisor(*a, count_include_pad) for a in zip((h, w), k, s, p, (oh, ow)))
        out = total / _factories.tensor(np.outer(dh, dw).astype(x.dtype.np))
    return out[0] if unbatched else out


def _window_matrix(n, k, s, p, out, dtype):
    """(out, n): 1 where window i covers input position j along one axis (padding and the
    ceil_mode overhang cover nothing, so they add zeros to the sum)."""
    pos = _window_positions(n, k, s, p, 1, out)
    a = (pos[:, :, None] == np.arange(n)[None, None, :]).any(1)
    return _factories.tensor(a.astype(dtype.np))


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W) inputs: a box window's sum is
    separable, so it is one einsum with a 0/1 window matrix per axis, divided by torch's count
    (the outer product of the per-axis counts, as in avg_pool2d).

    >>> import dualgrad as dg
    >>> dg.nn.functional.avg_pool3d(dg.arange(16.0).reshape(1, 2, 2, 4), 2)
    tensor([[[[6.5000, 8.5000]]]])
    """
    k, s, p, _ = _pool_params(kernel_size, stride, padding, 1, "avg_pool3d", 3)
    x, unbatched = _batched(input, 3, "avg_pool3d")
    sizes = tuple(x.shape[-3:])
    outs = [_pool_size(*a, 1, ceil_mode, "avg_pool3d") for a in zip(sizes, k, s, p)]
    mats = [_window_matrix(*a, x.dtype) for a in zip(sizes, k, s, p, outs)]
    total = _einsum("...dhw,id,jh,kw->...ijk", x, *mats)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        counts = [_avg_divisor(*a, count_include_pad) for a in zip(sizes, k, s, p, outs)]
        divisor = np.einsum("i,j,k->ijk", *counts).astype(x.dtype.np)
        out = total / _factories.tensor(divisor)
    return out[0] if unbatched else out


def _one(v):
    """A 1-D pooling argument as the (1, v) pair of the height-1 image it runs on."""
    return (1, v if isinstance(v, int) else tuple(v)[0])


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """1-D max pooling over the last dim, computed as a 2-D one; ``return_indices=True`` also
    returns the indices."""
    st = None if stride is None else _one(stride)
    out = max_pool2d(
        _unsqueeze(input, -2),
        _one(kernel_size),
        st,
        (0, _one(padding)[1]),
        _one(dilation),
        ceil_mode,
        return_indices,
    )
    return (out[0].squeeze(-2), out[1].squeeze(-2)) if return_indices else out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over the last dim, computed as a 2-D one."""
    st = None if stride is None else _one(stride)
    return avg_pool2d(
        _unsqueeze(input, -2),
        _one(kernel_size),
        st,
        (0, _one(padding)[1]),
        ceil_mode,
        count_include_pad,
    ).squeeze(-2)


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size, name):
    """Zeros of the pooled input's spatial size with each value put back at its flat index (a
    scatter, so the gradient gathers at the indices, as torch)."""
    k, s, p, _ = _pool_params(kernel_size, stride, padding, 1, name, nd)
    if output_size is None:
        size = tuple(
            (n - 1) * s_ - 2 * p_ + k_ for n, s_, p_, k_ in zip(input.shape[-nd:], s, p, k)
        )
    else:
        size = tuple(output_size)[-nd:]
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"{name}: expected indices of shape {list(input.shape)}, got {list(indices.shape)}"
        )
    total = int(np.prod(size))
    a = _known_values(indices)  # inside vmap only the scatter's own range check remains
    if a is not None and a.size and (a.min() < 0 or a.max() >= total):
        bad = a.min() if a.min() < 0 else a.max()
        raise RuntimeError(
            f"{name}: Found an invalid max index: {bad} (output volumes are of size "
            f"{'x'.join(map(str, size))})"
        )
    lead = tuple(input.shape[:-nd])
    zeros = _factories.zeros(*lead, total, dtype=input.dtype)
    out = zeros.scatter(-1, indices.flatten(-nd), input.flatten(-nd))
    return _reshape(out, lead + size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: zeros of the pooled input's size with each value put back at
    its flat index into H*W."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size, "max_unpool2d")


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: zeros of the pooled input's size with each value put back at
    its flat index into D*H*W."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size, "max_unpool3d")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool1d``: values at their indices, zeros elsewhere."""
    st = None if stride is None else _one(stride)
    size = None if output_size is None else (1, tuple(output_size)[-1])
    out = max_unpool2d(
        _unsqueeze(input, -2),
        _unsqueeze(indices, -2),
        _one(kernel_size),
        st,
        (0, _one(padding)[1]),
        size,
    )
    return out.squeeze(-2)


def _adaptive_matrix(n_in, n_out, dtype):
    """Row i averages input positions [floor(i n_in / n_out), ceil((i+1) n_in / n_out))."""
    a = np.zeros((n_out, n_in))
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        a[i, lo:hi] = 1.0 / (hi - lo)
    return _factories.tensor(a.astype(dtype.np))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (torch's start/end index rule), as two
    constant averaging matrices applied by einsum."""
    oh, ow = output_size if not isinstance(output_size, int) else (output_size, output_size)
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = h if oh is None else oh, w if ow is None else ow
    ah, aw = _adaptive_matrix(h, oh, input.dtype), _adaptive_matrix(w, ow, input.dtype)
    return _einsum("...hw,ih,jw->...ij", input, ah, aw)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of the last dim to ``output_size`` (torch's bins), as a matrix product with
    an averaging matrix."""
    a = _adaptive_matrix(input.shape[-1], output_size, input.dtype)
    return _einsum("...l,il->...i", input, a)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of the last three dims to a fixed size: three averaging matrices."""
    sizes = (output_size,) * 3 if isinstance(output_size, int) else tuple(output_size)
    dims = input.shape[-3:]
    mats = [_adaptive_matrix(n, n if o is None else o, input.dtype) for n, o in zip(dims, sizes)]
    return _einsum("...dhw,id,jh,kw->...ijk", input, *mats)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size over torch's adaptive windows (windows of unequal
    width are padded by repeating their first element, see _first_real)."""
    oh, ow = output_size if not isinstance(output_size, int) else (output_size, output_size)
    h, w = input.shape[-2], input.shape[-1]
    oh, ow = h if oh is None else oh, w if ow is None else ow
    values, indices = _max_windows(
        input, [_adaptive_positions(h, oh), _adaptive_positions(w, ow)], "adaptive_max_pool2d"
    )
    return (values, indices) if return_indices else values


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of the last three dims to a fixed output size (D, H, W) over torch's adaptive
    windows; ``return_indices=True`` also returns flat indices into D*H*W."""
    sizes = (output_size,) * 3 if isinstance(output_size, int) else tuple(output_size)
    dims = tuple(input.shape[-3:])
    tables = [_adaptive_positions(n, n if o is None else o) for n, o in zip(dims, sizes)]
    values, indices = _max_windows(input, tables, "adaptive_max_pool3d")
    return (values, indices) if return_indices else values


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of the last dim to ``output_size`` (torch's bins); ``return_indices=True`` also
    returns the indices."""
    size = output_size if isinstance(output_size, int) else tuple(output_size)[0]
    out = adaptive_max_pool2d(_unsqueeze(input, -2), (1, size), return_indices)
    return (out[0].squeeze(-2), out[1].squeeze(-2)) if return_indices else out.squeeze(-2)


# torch's power-average pools: its own composite of the pools above
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    max_pool = (max_pool1d, max_pool2d, max_pool3d)[nd - 1]
    avg_pool = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        # the limits of the p-norm: the largest (or smallest) magnitude in the window
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool(sign * input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    window = math.prod(_ntuple(kernel_size, nd, "kernel_size"))
    # sign * relu(abs) is torch's: it zeroes a negative mean (an odd p over negative inputs)
    return (out.sign() * out.abs().relu()).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm over 1-D windows: ``(sum x**p)**(1/p)``; ``norm_type`` inf is max |x|.

    >>> import dualgrad as dg
    >>> dg.nn.functional.lp_pool1d(dg.tensor([[[3.0, 4.0, 1.0, 1.0]]]), 2, 2)
    tensor([[[5.0000, 1.4142]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm over 2-D windows, as ``lp_pool1d``."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm over 3-D windows, as ``lp_pool1d``."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) for ``upscale_factor`` r."""
    r = upscale_factor
    if r == 1:  # nothing moves, and the reshapes below would give a view (torch: a new tensor)
        return input.clone()
    *lead, c, h, w = input.shape
    x = _reshape(input, tuple(lead) + (c // (r * r), r, r, h, w))
    k = len(lead)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return _reshape(x, tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """The inverse of pixel_shuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = downscale_factor
    if r == 1:
        return input.clone()
    *lead, c, h, w = input.shape
    for what, dim, size in (("height", -2, h), ("width", -1, w)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                f"input.size({dim})={size} is not divisible by {r}"
            )
    x = _reshape(input, tuple(lead) + (c, h // r, r, w // r, r))
    k = len(lead)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return _reshape(x, tuple(lead) + (c * r * r, h // r, w // r))


# NOTE: [interpolate as taps along each axis] Every mode of interpolate is separable: along each
# spatial axis output i reads a few input positions ("taps") with fixed weights. The taps and
# weights are NumPy constants computed with torch's formulas (aten/src/ATen/native/UpSample.h,
# including its float32 index arithmetic for the nearest modes), and each axis is one getitem
# of the taps times the weights, summed over the taps. So interpolate is a composite of
# getitem, mul and sum: every mode, with no primitive of its own.
def _nearest_taps(n_in, n_out, scale, exact, legacy):
    """Taps of 'nearest' (floor(i * scale)) and 'nearest-exact' (floor((i + 0.5) * scale)),
    in float32 as torch's kernels; ``scale`` is 1 / scale_factor when one was given. torch's
    2-D 'nearest' kernel (``legacy``, its nearest_idx) copies when the size is unchanged and
    halves the index when it doubles, whatever the scale_factor."""
    if legacy and n_out in (n_in, 2 * n_in):
        return (np.arange(n_out) // (n_out // n_in))[:, None], None
    s = np.float32(1.0 / scale if scale else n_in / n_out)
    i = np.arange(n_out)
    src = (
        np.floor(((i + 0.5) * np.float64(s)).astype(np.float32))
        if exact
        else np.floor(i.astype(np.float32) * s)
    )
    return np.minimum(src.astype(np.int64), n_in - 1)[:, None], None


def _source_scale(n_in, n_out, align_corners, scale):
    """torch's area_pixel_compute_scale: input step per output step."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale else n_in / n_out


def _source_index(n_in, n_out, align_corners, scale, cubic):
    """torch's area_pixel_compute_source_index: the real input position of each output."""
    r = _source_scale(n_in, n_out, align_corners, scale)
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        return r * i
    src = r * (i + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _guard(src, n_in):
    """torch's guard_index_and_lambda: the floor (through float32, as floorf) and the fraction."""
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
    return i0, np.clip(src - i0, 0.0, 1.0)


def _linear_taps(n_in, n_out, align_corners, scale):
    if n_in == n_out:  # torch copies when the size is unchanged, whatever the scale
        return np.arange(n_out)[:, None], None
    i0, t = _guard(_source_index(n_in, n_out, align_corners, scale, False), n_in)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    return np.stack([i0, i1], 1), np.stack([1.0 - t, t], 1)


def _cubic_taps(n_in, n_out, align_corners, scale):
    """Keys' cubic convolution (A = -0.75) on the 4 nearest inputs, clamped at the borders."""
    i0, t = _guard(_source_index(n_in, n_out, align_corners, scale, True), n_in)
    a = -0.75

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], 1)
    return np.clip(i0[:, None] + np.arange(-1, 3)[None, :], 0, n_in - 1), weights


def _antialias_taps(n_in, n_out, align_corners, scale, cubic):
    """torch's antialiased taps (PIL's): when shrinking, the filter (triangle, or Keys' cubic
    with A = -0.5) is stretched by the scale, so each output averages every input it covers;
    the weights of each output are normalised to sum to 1. Outputs with fewer taps repeat
    their last one with weight 0."""
    s = _source_scale(n_in, n_out, align_corners, scale)
    support = (2.0 if cubic else 1.0) * (s if s >= 1.0 else 1.0)
    stretch = 1.0 / s if s >= 1.0 else 1.0

    def kernel(x):
        x = np.abs(x)
        if not cubic:
            return np.maximum(0.0, 1.0 - x)
        a = -0.5
        return np.where(
            x < 1,
            ((a + 2) * x - (a + 3)) * x * x + 1,
            np.where(x < 2, ((x - 5) * x + 8) * x * a - 4 * a, 0.0),
        )

    taps, weights = [], []
    for i in range(n_out):
        center = s * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        j = np.arange(lo, min(int(center + support + 0.5), n_in))
        w = kernel((j - center + 0.5) * stretch)
        taps.append(j)
        weights.append(w / w.sum() if w.sum() != 0 else w)
    width = max(len(t) for t in taps)
    return (
        np.array([np.pad(t, (0, width - len(t)), mode="edge") for t in taps]),
        np.array([np.pad(w, (0, width - len(w))) for w in weights]),
    )


def _along_axis(x, axis, taps, weights):
    """Output i along ``axis`` (negative) = sum_t weights[i, t] * x[..., taps[i, t], ...]."""
    rest = (slice(None),) * (-axis - 1)
    if weights is None:
        return _getitem(x, (Ellipsis, taps[:, 0]) + rest)
    g = _getitem(x, (Ellipsis, taps) + rest)  # the tap dim right after the axis
    wt = _factories.tensor(weights.reshape(weights.shape + (1,) * len(rest)).astype(x.dtype.np))
    return _sum(g * wt, axis)


_INTERP_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _interp_sizes(input, size, scale_factor, recompute_scale_factor):
    """Output sizes and the scales the kernels use (None: from the sizes), as torch's Python
    front end: scale_factor gives floor(n * s) and is itself the scale unless recomputed."""
    k = input.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError(
            "only one of size or scale_factor should be defined"
            if size is not None
            else "either size or scale_factor should be defined"
        )
    if size is not None:
        sizes = [size] * k if isinstance(size, int) else list(size)
        if len(sizes) != k:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(input.shape[2:])} and output size of {sizes}."
            )
        return sizes, [None] * k
    scales = (
        [float(scale_factor)] * k
        if isinstance(scale_factor, (int, float))
        else [float(v) for v in scale_factor]
    )
    if len(scales) != k:
        raise ValueError(
            f"Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of {scales}."
        )
    sizes = [math.floor(n * s) for n, s in zip(input.shape[2:], scales)]
    return sizes, [None] * k if recompute_scale_factor else scales


def _check_interp_sizes(input, sizes):
    if min(input.shape[2:]) < 1 or min(sizes) < 1:
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input "
            f"{list(input.shape[2:])} and output {list(sizes)}"
        )


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """Resize the spatial dims of (N, C, *spatial) by 'nearest', 'nearest-exact', 'linear',
    'bilinear', 'bicubic', 'trilinear' or 'area', with torch's values (NOTE: [interpolate as
    taps along each axis])."""
    k = input.ndim - 2
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif mode in _INTERP_DIMS:
        align_corners = bool(align_corners)
    else:
        raise NotImplementedError(
            f"interpolate: mode {mode!r} is not supported (nearest, nearest-exact, "
            "linear, bilinear, bicubic, trilinear, area)"
        )
    if k < 1:
        raise ValueError(
            f"interpolate: expected an input of shape (N, C, *spatial), got {list(input.shape)}"
        )
    # torch's order of checks: the sizes, then antialias, then whether the mode fits the input
    sizes, scales = _interp_sizes(
        input, size, scale_factor, recompute_scale_factor or mode == "area"
    )
    if antialias and (mode not in ("bilinear", "bicubic") or input.ndim != 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear and bicubic modes and "
            "requires a 4-D tensor as input"
        )
    if _INTERP_DIMS.get(mode, k) != k or k > 3:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {_INTERP_DIMS.get(mode, 3) + 2}D input"
        )
    if mode == "area":  # torch: adaptive average pooling to the output size
        if k == 1:
            return adaptive_avg_pool1d(input, sizes[0])
        if k == 2:
            return adaptive_avg_pool2d(input, sizes)
        return adaptive_avg_pool3d(input, sizes)
    _check_interp_sizes(input, sizes)
    out = input
    for axis, n_in, n_out, scale in zip(range(-k, 0), input.shape[2:], sizes, scales):
        if mode.startswith("nearest"):
            taps = _nearest_taps(
                n_in, n_out, scale, mode == "nearest-exact", mode == "nearest" and k == 2
            )
        elif antialias:
            taps = _antialias_taps(n_in, n_out, align_corners, scale, mode == "bicubic")
        elif mode == "bicubic":
            taps = _cubic_taps(n_in, n_out, align_corners, scale)
        else:
            taps = _linear_taps(n_in, n_out, align_corners, scale)
        out = _along_axis(out, axis, *taps)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated in torch: ``interpolate(input, size, scale_factor, mode, align_corners)``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated in torch: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated in torch: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------ losses
def _torch_name(dtype):
    return _dtype.torch_name(dtype.name)


def _broadcast_loss_operands(input, target, bool_target=True):
    """(input, target) broadcast to one shape first, as torch's mse_loss, l1_loss and
    smooth_l1_loss do (with _warn_if_broadcast's warning): a 0-d float64 target then promotes a
    float32 input's loss to float64, as torch's, where input - target kept float32."""
    _warn_if_broadcast(input, target, stacklevel=4)
    if bool_target and target.dtype is _dtype.bool_ and input.is_floating_point():
        # torch's mse and smooth_l1 kernels promote a bool target; l1_loss is input - target
        # in torch, which refuses it (bool_target=False)
        target = target.to(input.dtype)
    if tuple(input.shape) == tuple(target.shape):
        return input, target
    return _broadcast_tensors(input, target)


def _warn_if_broadcast(input, target, stacklevel=3):
    """torch's warning where an element-wise loss broadcasts a target of another size."""
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=stacklevel,
        )


def _check_in_unit_interval(x, what):
    # NOTE: [losses check their domain] torch refuses a probability outside [0, 1] (nan
    # included) rather than return nan or a wrong loss; the check reads values, so inside
    # vmap it runs per element, as other value checks do.
    d = _values(x)
    if not np.all((d >= 0) & (d <= 1)):
        raise RuntimeError(f"all elements of {what} should be between 0 and 1")


def _values(x):
    """The array of ``x``'s values, every batch element's inside vmap (a check of values then
    needs no per-element run)."""
    from .._batching import _array

    return _array(x)


def _check_weight_broadcasts(weight, input, name):
    if weight is not None and np.broadcast_shapes(tuple(weight.shape), tuple(input.shape)) != tuple(
        input.shape
    ):
        raise RuntimeError(
            f"{name}: weight of shape {list(weight.shape)} must broadcast to the input's "
            f"shape {list(input.shape)}"
        )


def _check_same_size(input, target, name):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"Target size ({list(target.shape)}) must be the same as input size ({list(input.shape)}) ({name})"
        )


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)**2``, reduced by ``reduction`` ('mean', 'sum' or
    'none'); warns on broadcasting shapes, as torch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast_loss_operands(input, target)
    if _fused_loss_applies(input, target, reduction):  # one node, as torch (NOTE: [fused losses])
        return _apply(_MSE_LOSS, input, target, reduction=reduction)
    d = input - target
    return _reduce(d * d, reduction)


def _fused_loss_applies(input, target, reduction):
    """Whether a loss of two tensors is one op: a known reduction on floating tensors of one
    dtype, not empty (whose mean is nan by the composition's route)."""
    return (
        isinstance(target, Tensor)
        and reduction in ("mean", "sum", "none")
        and input.dtype == target.dtype
        and input.is_floating_point()
        and input.numel() > 0
        and target.numel() > 0
    )


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error ``|input - target|``, reduced by ``reduction``; warns on broadcasting
    shapes, as torch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    input, target = _broadcast_loss_operands(input, target, bool_target=False)
    return _reduce(E.abs(input - target), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (d = input - target),
    reduced by ``reduction``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _broadcast_loss_operands(input, target)
    if beta > 0 and _fused_loss_applies(input, target, reduction):  # NOTE: [fused losses]
        return _apply(_SMOOTH_L1_LOSS, input, target, reduction=reduction, beta=float(beta))
    d = E.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(E.where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)`` (d = input -
    target), reduced by ``reduction``."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_if_broadcast(input, target)
    if weight is None and _fused_loss_applies(input, target, reduction):  # NOTE: [fused losses]
        return _apply(_HUBER_LOSS, input, target, reduction=reduction, delta=float(delta))
    d = E.abs(input - _in_input_dtype(target, input))
    return _reduce(E.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _in_input_dtype(target, input):
    """huber_loss and soft_margin_loss compute in the input's dtype, as torch's kernels do
    (a float64 target does not make a float32 input's loss float64)."""
    if (
        target.dtype != input.dtype
        and input.is_floating_point()
        and (target.is_floating_point() or target.dtype is _dtype.bool_)
    ):
        return target.to(input.dtype)
    return target


def _class_last(t):
    """(N, C, d1, ...) -> (N, d1, ..., C): classes on the last dim."""
    return t.movedim(1, -1) if t.ndim > 2 else t


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """``-weight[t] * input[t]`` per element, over the class dim 1 (or 0 for one sample);
    ``ignore_index`` targets count for nothing, and the mean divides by the total weight."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_class_target(input, target, weight)
    known = _known_values(target)
    if (
        known is not None
        and reduction in ("mean", "sum", "none")
        and input.is_floating_point()
        and input.numel() > 0
    ):
        return _fused_nll(
            input, known.reshape(()) if input.ndim == 1 else known, weight, ignore_index, reduction
        )
    if input.ndim == 1:
        if target.ndim == 0:
            target = _unsqueeze(target, 0)
        input = _unsqueeze(input, 0)
        one = True
    else:
        one = False
    logp = _class_last(input)
    c = logp.shape[-1]
    # The weights per class: a constant built in NumPy where the target's values are known;
    # inside vmap a batched target has values only per batch element (NOTE: [reading batched
    # values] in _batching.py), so there they are written in dualgrad ops (and the range
    # check, which needs the values, is left out).
    t = _known_values(target)
    if t is not None:
        valid = t != ignore_index
        bad = valid & ((t < 0) | (t >= c))
        if bad.any():
            raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
        mask = _one_hot_np(np.where(valid, t, 0), c, input._data.dtype) * valid[..., None]
        w = mask if weight is None else mask * weight._data.astype(mask.dtype)
        total = float(w.sum())
        w = _factories.tensor(w)
    else:
        valid = E.ne(target, ignore_index).unsqueeze(-1)
        w = E.logical_and(E.eq(target.unsqueeze(-1), _factories.arange(c)), valid)
        w = w.to(input.dtype)
        if weight is not None:  # a constant, as in torch (no derivative w.r.t. the weights)
            w = w * weight.detach().to(input.dtype)
        total = _sum(w)
    loss = -_sum(logp * w, -1)
    if reduction == "mean":
        out = _sum(loss) / total
    else:
        out = _reduce(loss, reduction)
    return out[0] if one and reduction == "none" else out


def _fused_nll(input, t, weight, ignore_index, reduction):
    """nll_loss as torch's one node (NOTE: [fused losses]), for targets whose values are known."""
    c = input.shape[_nll_class_dim(input.ndim)]
    valid = t != ignore_index
    # (every target a class, the common case, is told by two reductions; the mask of the bad
    # ones only when there are some)
    if t.size and (t.min() < 0 or t.max() >= c):
        bad = valid & ((t < 0) | (t >= c))
        if bad.any():
            raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    w = None if weight is None else weight._data.astype(input._data.dtype)
    if w is None:
        total = float(np.count_nonzero(valid))
    else:
        total = float(np.where(valid, w[np.where(valid, t, 0)], 0).sum())
    return _apply(
        _NLL_LOSS,
        input,
        target=t,
        weight=w,
        ignore_index=ignore_index,
        reduction=reduction,
        total_weight=total,
    )


def _check_class_target(input, target, weight):
    """torch's checks of nll_loss's arguments, in torch's order and words (dims, then the
    weight, then the target's dtype; the class range is checked on the values)."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim > 1 and input.shape[0] != (target.shape[0] if target.ndim else 0):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.ndim else 0})."
        )
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim > 2 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(
            f"Expected target size {[input.shape[0], *input.shape[2:]]}, got {list(target.shape)}"
        )
    c = input.shape[0 if input.ndim == 1 else 1]
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but "
            f"got weight tensor of shape: {list(weight.shape)}"
        )
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {_torch_name(target.dtype)}"
        )
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(
            f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
        )


def _one_hot_np(t, c, dtype):
    """A NumPy helper, not in torch: ``t``'s one-hot encoding over ``c`` classes as an array of
    ``dtype``."""
    return (t[..., None] == np.arange(c)).astype(dtype)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """``nll_loss(log_softmax(input, 1), target)`` for class indices; for class probabilities
    (a float target of the input's shape) ``-sum(target * log_softmax(input))``; with
    PyTorch's label smoothing in both forms."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    class_dim = 0 if input.ndim == 1 else 1
    logp = log_softmax(input, class_dim)
    c = input.shape[class_dim]
    eps = float(label_smoothing)
    if eps > 1.0:  # (torch lets a negative one through)
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    # NOTE: [cross_entropy's two targets] as torch decides: a target of the input's shape holds
    # class probabilities (and must be floating); any other shape holds class indices, and
    # nll_loss says what is wrong with them (a float target there is a dtype error).
    if tuple(target.shape) == tuple(input.shape):
        if not target.is_floating_point():
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, "
                f"got {_torch_name(target.dtype)}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if weight is not None and tuple(weight.shape) != (c,):
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {c} classes "
                f"or no classes but got weight tensor of shape: {list(weight.shape)}"
            )
        if eps > 0:
            target = target * (1 - eps) + eps / c
        prod = logp * target
        if weight is not None:
            prod = prod * _reshape(weight, (c,) + (1,) * (input.ndim - 1 - class_dim))
        if reduction == "mean":
            return -_sum(prod) / (input.numel() // c)
        if reduction == "sum":
            return -_sum(prod)
        return _reduce(-_sum(prod, class_dim), reduction)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if eps == 0:
        return nll
    ignore = target._data == ignore_index
    keep = _factories.tensor(~ignore)
    wlogp = (
        logp
        if weight is None
        else logp * _reshape(weight, (c,) + (1,) * (input.ndim - 1 - class_dim))
    )
    smooth = E.where(keep, -_sum(wlogp, class_dim), 0.0)
    if reduction == "mean":
        if weight is None:
            denom = float((~ignore).sum())
        else:
            denom = float(weight._data[target._data[~ignore]].sum())
        smooth = _sum(smooth) / denom
    elif reduction == "sum":
        smooth = _sum(smooth)
    else:
        _reduce(smooth, reduction)
    return nll * (1 - eps) + smooth * (eps / c)


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """``-(t log x + (1 - t) log(1 - x))`` with each log clamped at -100 (as PyTorch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    if target.dtype != input.dtype:
        raise RuntimeError(
            f"Found dtype {_torch_name(target.dtype)} but expected {_torch_name(input.dtype)}"
        )
    _check_in_unit_interval(input, "input")  # NOTE: [losses check their domain]
    _check_in_unit_interval(target, "target")
    _check_weight_broadcasts(weight, input, "binary_cross_entropy")
    if weight is None and _fused_loss_applies(input, target, reduction):  # NOTE: [fused losses]
        return _apply(_BCE, input, target, reduction=reduction)
    loss = -(
        target * E.clamp_min(E.log(input), -100.0)
        + (1 - target) * E.clamp_min(E.log1p(-input), -100.0)
    )
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """``(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)``, computed stably."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "binary_cross_entropy_with_logits")
    if not target.is_floating_point():
        raise RuntimeError(
            f"result type {_torch_name(input.dtype)} can't be cast to the desired output "
            f"type {_torch_name(target.dtype)}; pass a floating point target (target.float())"
        )
    _check_weight_broadcasts(weight, input, "binary_cross_entropy_with_logits")
    if (
        weight is None
        and pos_weight is None
        and _fused_loss_applies(input, target, reduction)  # NOTE: [fused losses]
    ):
        return _apply(_BCE_WITH_LOGITS, input, target, reduction=reduction)
    sp = softplus(-input)  # = -log sigmoid(x), stable
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``target * (log target - input)`` (0 where target is 0), or with ``log_target``
    ``exp(target) * (target - input)``; ``reduction='batchmean'`` divides the sum by the batch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = E.exp(target) * (target - input)
    else:
        loss = SP.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return _sum(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """``exp(input) - target * input`` (or ``input - target * log(input + eps)`` without
    ``log_input``); ``full`` adds Stirling's approximation of ``log(target!)``,
    ``t log t - t + log(2 pi t) / 2``, where target > 1 (0 elsewhere, as torch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = E.exp(input) - target * input if log_input else input - target * E.log(input + eps)
    if full:
        # computed everywhere then masked, as torch does: so a target of 0 gets torch's nan
        # gradient (0 * log 0) rather than a silently different 0
        stirling = target * E.log(target) - target + 0.5 * E.log(2 * math.pi * target)
        loss = loss + E.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``(log var + (input - target)^2 / var) / 2``; ``var`` of the input's shape, or one
    short of it, or with one dim of size 1 (the homoscedastic cases), or a float; as torch."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _factories.full_like(input, float(var))
    elif np.any(var._data < 0):
        raise ValueError("var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        if in_shape[:-1] == var_shape:
            var = _unsqueeze(var, -1)
        elif not (
            len(in_shape) == len(var_shape)
            and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    # torch clamps a clone under no_grad: the value is clamped, the gradient is var's own
    var = var + (E.clamp_min(var.detach(), eps) - var.detach())
    loss = 0.5 * (E.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, reduction="mean"):
    """``log(1 + exp(-target * input))`` for targets in {1, -1}, reduced by ``reduction``."""
    return _reduce(softplus(-_in_input_dtype(target, input) * input), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``, reduced by ``reduction``."""
    return _reduce(E.relu(-target * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    """``input`` where target is 1, ``max(0, margin - input)`` where -1, reduced by
    ``reduction``.

    NOTE: [targets other than 1 and -1] torch's formula is a sum of two masked terms, the
    margin term where target != 1 and the input where target != -1, so a target of 0 (or 2)
    gets both; a where() on target == 1 alone gave it the margin term only. The same holds
    for cosine_embedding_loss, whose terms are where target == 1 and where target == -1, so
    another target gets neither.
    """
    loss = E.where(target != 1, E.relu(margin - input), 0.0) + E.where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where -1, reduced by
    ``reduction``."""
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise RuntimeError(
            f"{target.ndim}D target tensor expects {target.ndim + 1}D input tensors, but "
            f"found inputs with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    # torch's own formula here (not cosine_similarity's): 1e-12 added to each squared norm
    dim = input1.ndim - 1
    w12 = _sum(input1 * input2, dim)
    cos = w12 / E.sqrt((_sum(input1 * input1, dim) + 1e-12) * (_sum(input2 * input2, dim) + 1e-12))
    # NOTE: [targets other than 1 and -1]
    loss = E.where(target == 1, 1 - cos, 0.0) + E.where(target == -1, E.relu(cos - margin), 0.0)
    return _reduce(loss, reduction)


__all__ = [
    n
    for n in dir()
    if not n.startswith("_") and n not in ("annotations", "math", "warnings", "np", "E", "SP")
]


# ------------------------------------------------------------------ attention
# NOTE: [attention masks as biases] A mask becomes an additive bias of 0 / -inf built in NumPy
# (a constant: no gradient flows into a boolean mask), then joins the scores with one `+`, so
# attention stays a composite of matmul, softmax and dropout and has every mode. A float mask
# is added as a tensor, so it is differentiable like torch's. Note the two conventions: in
# scaled_dot_product_attention a True entry *takes part*; in multi_head_attention_forward
# (attn_mask and key_padding_mask) a True entry is *masked out*, as in torch.


def _mask_bias(mask, dtype, masked_value):
    """An additive bias from ``mask``: bool entries equal to ``masked_value`` become -inf."""
    if mask is None:
        return None
    if mask.dtype.np.kind == "b":
        hit = mask._data if masked_value else ~mask._data
        return _factories.tensor(np.where(hit, -np.inf, 0.0).astype(dtype.np))
    if not mask.is_floating_point():
        raise RuntimeError(
            f"attention: only bool and floating types of masks are supported, got {mask.dtype}"
        )
    return mask.to(dtype)


def _gqa_repeat(x, heads):
    """Key or value heads (dim -3) repeated to the query's ``heads``, each head ``heads //
    x_heads`` times in a row (torch's repeat_interleave), so query head j reads x head
    j // group."""
    if x.ndim < 3 or heads % x.shape[-3]:
        raise RuntimeError(
            "Number of heads in key and value must divide the number of heads in query"
        )
    group = heads // x.shape[-3]
    return x if group == 1 else x.repeat_interleave(group, -3)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False
):
    """``softmax(q k^T * scale + bias) v`` over the last two dims, scale ``1/sqrt(E)`` by
    default; a bool ``attn_mask`` keeps the True entries, a float one is added; ``is_causal``
    keeps the lower triangle. See NOTE: [attention masks as biases]. ``enable_gqa``
    (grouped-query attention) lets key and value have fewer heads (dim -3) than the query, a
    divisor of its count: each key/value head serves that many consecutive query heads.

    >>> import dualgrad as dg
    >>> q = dg.ones(1, 2, 4)
    >>> scaled_dot_product_attention(q, q, dg.tensor([[[1.0], [3.0]]]), is_causal=True).tolist()
    [[[1.0], [2.0]]]
    """
    if enable_gqa:
        key, value = _gqa_repeat(key, query.shape[-3]), _gqa_repeat(value, query.shape[-3])
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = _matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "scaled_dot_product_attention: pass either attn_mask or is_causal, not both"
            )
        attn_mask = _factories.tensor(np.tril(np.ones((L, S), dtype=bool)))
    bias = _mask_bias(attn_mask, scores.dtype, masked_value=False)
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return _matmul(weights, value)


def _mha_heads(x, bias, static, N, H):
    """Projected keys or values (S, N, E) -> (N, H, S', E/H): ``bias`` (1, 1, E) appended as
    position S (S' = S + 1), or ``static`` (N*H, S', E/H) used instead of ``x``."""
    if static is not None:
        return static.reshape(N, H, static.shape[-2], static.shape[-1])
    if bias is not None:
        x = _cat([x, bias.expand(1, N, x.shape[-1])], 0)
    return x.reshape(x.shape[0], N, H, x.shape[-1] // H).permute(1, 2, 0, 3)


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    """torch.nn.functional.multi_head_attention_forward: inputs (L, N, E) or unbatched (L, E);
    returns ``(output, weights)``, weights (N, L, S) averaged over heads, (N, H, L, S) if not
    ``average_attn_weights``, None if not ``need_weights``. ``is_causal`` is only a hint in
    torch (``attn_mask`` must be given and is what counts), so it is ignored here.

    ``bias_k``/``bias_v`` (1, 1, E) append one source position to the projected keys and
    values, ``add_zero_attn`` one zero position (per head); the masks get an unmasked column
    for each, as torch pads them. ``static_k``/``static_v`` (N*H, S, E/H) replace the
    projected keys / values."""
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must be given together")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise AssertionError("bias cannot be added to static key or value.")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    L, N, E = query.shape
    if E != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {E}"
        )
    H = num_heads
    hd = E // H
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3, 0)
    b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3, 0)
    # (N, H, L, hd); q is scaled before the product, as torch does
    q = linear(query, w_q, b_q).reshape(L, N, H, hd).permute(1, 2, 0, 3) * math.sqrt(1.0 / hd)
    k = _mha_heads(linear(key, w_k, b_k), bias_k, static_k, N, H)
    v = _mha_heads(linear(value, w_v, b_v), bias_v, static_v, N, H)
    if add_zero_attn:
        zero = _factories.zeros(N, H, 1, hd, dtype=k.dtype)
        k, v = _cat([k, zero], 2), _cat([v, zero], 2)
    S = k.shape[2]
    # the positions appended above (bias_k, zero) are attended by every query: torch pads
    # both masks with a 0 (not masked) column for each
    extra = (bias_k is not None) + bool(add_zero_attn)
    scores = _matmul(q, k.transpose(-2, -1))
    bias = _mask_bias(attn_mask, scores.dtype, masked_value=True)
    if bias is not None:
        bias = pad(bias, (0, extra)) if extra else bias
        bias = bias.reshape(N, H, L, S) if bias.ndim == 3 else bias
    kpm = _mask_bias(key_padding_mask, scores.dtype, masked_value=True)
    if kpm is not None:
        kpm = (pad(kpm, (0, extra)) if extra else kpm).reshape(N, 1, 1, S)
        bias = kpm if bias is None else bias + kpm
    if bias is not None:
        scores = scores + bias
    weights = softmax(scores, -1)
    if training and dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = _matmul(weights, v).permute(2, 0, 1, 3).reshape(L, N, E)
    out = linear(out, out_proj_weight, out_proj_bias)
    if not need_weights:
        weights = None
    elif average_attn_weights:
        weights = _mean(weights, 1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights
