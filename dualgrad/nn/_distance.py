"""The pairwise distance of torch.nn.functional and the broadcast its distances share; below
functional.py so that the losses built on it (_margin_losses.py) need not import functional."""

from __future__ import annotations

import numpy as np

from .._dtype import result_type as _result_type


def _broadcast_pair(x1, x2):
    """x1 and x2 expanded to their common shape, or torch's error where they do not broadcast."""
    a, b = tuple(x1.shape), tuple(x2.shape)
    for k in range(1, min(len(a), len(b)) + 1):
        if a[-k] != b[-k] and 1 not in (a[-k], b[-k]):
            raise RuntimeError(
                f"The size of tensor a ({a[-k]}) must match the size of tensor b ({b[-k]}) "
                f"at non-singleton dimension {max(len(a), len(b)) - k}"
            )
    shape = np.broadcast_shapes(a, b)
    return x1.expand(*shape), x2.expand(*shape)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of ``x1 - x2 + eps`` over the last dim, broadcasting the two."""
    from .._ops.composite import norm

    dtype = x1.dtype if not isinstance(x2, type(x1)) else _result_type(x1, x2)
    x1, x2 = _broadcast_pair(x1, x2)  # (after the result type: a 0-d tensor stays 0-d in it)
    return norm(x1.to(dtype) - x2.to(dtype) + eps, p, -1, keepdim=keepdim)
