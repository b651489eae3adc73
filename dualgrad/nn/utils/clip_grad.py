"""clip_grad_norm_ and clip_grad_value_ (torch.nn.utils), on ``.grad`` in place."""

from __future__ import annotations

import math

import numpy as np

from ..._grad_mode import no_grad
from ..._tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients so their joint ``norm_type``-norm is at most ``max_norm``; returns
    the norm before clipping."""
    from ... import _factories

    grads = _grads(parameters)
    if not grads:
        return _factories.tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(float(np.abs(g._data).max()) for g in grads)
    else:
        total = float(
            sum(float((np.abs(g._data) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
        )
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(coef)
    return _factories.tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp each parameter's ``.grad`` to [-clip_value, clip_value] in place (parameters without a
    grad are skipped)."""
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of ``clip_grad_norm_`` (torch's FutureWarning too)."""
    import warnings

    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
