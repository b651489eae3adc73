"""softmax and log_softmax as primitives: one NumPy pass forward, short rules.

As composites they are six ops each (max, subtract, exp, sum, log or divide, and the where
that keeps infinite maxima finite), and every one of those is a node in the graph and a
dispatch in each mode; cross-entropy pays them on every training step. The rules are written in
dualgrad ops and read the output (softmax: the output itself; log_softmax: ``exp(out)``), so
they are differentiable again, to any order, in both modes.

    log_softmax:  vjp  g - exp(out) * sum(g)       jvp  t - sum(exp(out) * t)
    softmax:      vjp  out * (g - sum(g * out))    jvp  out * (t - sum(out * t))

(sums over the softmax dims, kept.)
"""

from __future__ import annotations

import numpy as np

from .elementwise import exp
from .reduction import sum_over as _sum  # (over exactly dims: NOTE: [a rule's dims])
from .registry import custom


def _shifted(x, dims):
    """``x - max(x)`` over ``dims``, with infinite maxima replaced by 0 (an all -inf slice
    stays -inf - 0 instead of becoming nan early; torch agrees on every case)."""
    if x.size == 0:  # an empty result, as torch's (np.amax of an empty slice would raise)
        return x
    m = np.amax(x, axis=dims, keepdims=True)
    return x - np.where(np.isinf(m), 0, m).astype(x.dtype, copy=False)


def _log_softmax_kernel(x, *, dims):
    z = _shifted(x, dims)
    return z - np.log(np.sum(np.exp(z), axis=dims, keepdims=True))


def _softmax_kernel(x, *, dims):
    e = np.exp(_shifted(x, dims))
    return e / np.sum(e, axis=dims, keepdims=True)


LOG_SOFTMAX = custom(
    "log_softmax",
    _log_softmax_kernel,
    lambda g, x, *, out, needs, dims: (g - exp(out) * _sum(g, dims, True),),
    lambda tangents, x, *, out, dims: tangents[0] - _sum(exp(out) * tangents[0], dims, True),
    uses_out=True,
    reads=((),),
)
SOFTMAX = custom(
    "softmax",
    _softmax_kernel,
    lambda g, x, *, out, needs, dims: (out * (g - _sum(g * out, dims, True)),),
    lambda tangents, x, *, out, dims: out * (tangents[0] - _sum(out * tangents[0], dims, True)),
    uses_out=True,
    reads=((),),
)
