"""dualgrad.nn.init: in-place initialisers with torch.nn.init's formulas.

Each runs under ``no_grad`` and writes with ``copy_`` (so version counters move), drawing
from dualgrad's generator (``dualgrad.manual_seed``). The random streams differ from torch's,
the distributions do not.

>>> import dualgrad as dg
>>> w = dg.empty(3, 4)
>>> dg.nn.init.zeros_(w).sum().item()
0.0
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _factories
from .._grad_mode import no_grad as _no_grad
from ..random._generator import numpy_rng as _numpy_rng


def _write(tensor, values):
    with _no_grad():
        tensor.copy_(_factories.tensor(np.asarray(values, dtype=tensor._data.dtype)))
    return tensor


# NOTE: [no draws on the meta device] A meta tensor has no data, and torch's initialisers
# draw nothing for it: a module built on the meta device (nn.utils.skip_init, to_empty
# recipes) leaves the generator where it was, so the draws after it are torch's.
def _rng(generator=None):
    return _numpy_rng(generator, "init")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity`` (torch.nn.init.calculate_gain)."""
    linear = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    ]
    if nonlinearity in linear:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Draw from U(a, b). Fills ``tensor`` in place without recording history and returns it. (alias
    ``uniform``, deprecated in torch)"""
    if tensor.is_meta:  # NOTE: [no draws on the meta device]
        return tensor
    return _write(tensor, _rng(generator).uniform(a, b, tuple(tensor.shape)))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Draw from N(mean, std**2). Fills ``tensor`` in place without recording history and returns
    it. (alias ``normal``, deprecated in torch)"""
    if tensor.is_meta:  # NOTE: [no draws on the meta device]
        return tensor
    return _write(tensor, _rng(generator).normal(mean, std, tuple(tensor.shape)))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Draw from N(mean, std**2) truncated to [a, b] by torch 2.13's rejection sampler. Fills
    ``tensor`` in place without recording history and returns it.

    >>> import dualgrad as dg
    >>> w = dg.nn.init.trunc_normal_(dg.empty(1000), a=1.0, b=2.0)
    >>> bool(((w >= 1) & (w <= 2)).all())
    True
    """
    # NOTE: [trunc_normal_ as torch] torch 2.13's algorithm, call for call on the tensor (so a
    # generator, and a replay of torch's draws, see torch's sequence of normal_/uniform_
    # calls): where [a, b] holds more than 0.3 of the mass, normal draws with the outside ones
    # redrawn; otherwise uniform proposals on [a, b] accepted with the density's ratio to its
    # peak, so far tails (a = 4, b = 5) take a few rounds, not seconds of redrawing normals.
    from .. import where

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )
    with _no_grad():
        if _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std) > 0.3:
            lo, hi = tensor.new_tensor(a).item(), tensor.new_tensor(b).item()
            result = tensor.normal_(mean, std, generator=generator)
            while True:
                mask = (result < lo) | (result > hi)
                if not mask.any():
                    break
                redraw = _factories.empty_like(result).normal_(mean, std, generator=generator)
                result = where(mask, redraw, result)
            if result is not tensor:
                tensor.copy_(result)
            return tensor
        log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
        candidates = _factories.empty_like(tensor)
        accept = _factories.empty_like(tensor)

        def rejected(candidates):  # log u > log pdf(candidate) - log pdf(mode)
            candidates.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(log_peak)
            return accept.uniform_(generator=generator).log_().gt(candidates)

        tensor.uniform_(a, b, generator=generator)
        candidates.copy_(tensor)
        pending = rejected(candidates)
        result = tensor
        while pending.any():
            candidates.uniform_(a, b, generator=generator)
            result = where(pending, candidates, result)
            pending = where(pending, rejected(candidates), pending)
        if result is not tensor:
            tensor.copy_(result)
    return tensor


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def constant_(tensor, val):
    """Fill with ``val``. Fills ``tensor`` in place without recording history and returns it. (alias
    ``constant``)"""
    return _write(tensor, np.full(tuple(tensor.shape), val))


def ones_(tensor):
    """Fill with 1. Fills ``tensor`` in place without recording history and returns it."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0. Fills ``tensor`` in place without recording history and returns it."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix. Fills ``tensor`` in place without recording
    history and returns it."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D (conv weight) tensor with the Dirac delta, so the convolution keeps
    its input channels (per group). Fills ``tensor`` in place without recording history and
    returns it."""
    d = tensor.ndim
    if d not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out = np.zeros(tuple(tensor.shape))
    per = tensor.shape[0] // groups
    for g in range(groups):
        for i in range(min(per, tensor.shape[1])):
            out[(g * per + i, i) + tuple(s // 2 for s in tensor.shape[2:])] = 1
    return _write(tensor, out)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). Fills ``tensor`` in
    place without recording history and returns it."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot initialisation: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)). Fills
    ``tensor`` in place without recording history and returns it."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound), bound = gain * sqrt(3 / fan): He et al. (2015)."""
    if 0 in tuple(tensor.shape):
        return tensor
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation: N(0, std**2), std = gain / sqrt(fan), fan by ``mode`` and gain by
    ``nonlinearity``/``a``. Fills ``tensor`` in place without recording history and returns it."""
    if 0 in tuple(tensor.shape):
        return tensor
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0.0, gain / math.sqrt(_fan(tensor, mode)), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix from the QR of a Gaussian one, signs fixed by R's diagonal."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    # drawn with the tensor's normal_, as torch draws it (so a generator and a replay of
    # torch's draws see the same call)
    with _no_grad():
        flat = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
    flat = flat._data.astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (gain * q).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Draw a 2-D tensor from N(0, std**2) with a ``sparsity`` fraction of each column zeroed. Fills
    ``tensor`` in place without recording history and returns it."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    # drawn with the tensor's normal_ and randperm, call for call as torch draws them (so a
    # generator, and a replay of torch's draws, see the same calls)
    with _no_grad():
        tensor.normal_(0, std, generator=generator)
        for c in range(cols):
            tensor[_factories.randperm(rows, generator=generator)[:zeros], c] = 0
    return tensor


uniform = uniform_
normal = normal_
constant = constant_
xavier_uniform = xavier_uniform_
xavier_normal = xavier_normal_
kaiming_uniform = kaiming_uniform_
kaiming_normal = kaiming_normal_
orthogonal = orthogonal_
