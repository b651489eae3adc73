"""torch.nn.functional's channel helpers: local_response_norm, channel_shuffle, and the
Gumbel-softmax sampler. Each is a composite of dualgrad ops (torch's own, op for op, where
torch writes it in Python), so values, derivatives and every mode follow from the ops
underneath."""

from __future__ import annotations

import warnings

from .. import _factories
from .._ops.pad import pad
from .._ops.shape import stack


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Each value over ``(k + alpha * mean of x**2 over size neighbouring channels)**beta``
    (channels are dim 1; the window is zero-padded, size // 2 before it)."""
    if input.ndim < 3:
        # torch's message, its run of spaces included
        raise ValueError(
            "Expected 3D or higher dimensionality                          input "
            f"(got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    # the mean of x**2 over a window of `size` channels, zero-padded size // 2 before and
    # (size - 1) // 2 after: torch's avg_pool over the channels, as a sum of shifted slices
    sq = (input * input).movedim(1, -1)
    padded = pad(sq, (size // 2, (size - 1) // 2))
    c = input.shape[1]
    window = stack([padded[..., j : j + c] for j in range(size)], 0).sum(0) / size
    div = window.movedim(-1, 1)
    return input / (div * alpha + k).pow(beta)


def channel_shuffle(input, groups):
    """Channels (dim 1) regrouped: ``groups`` blocks of C / groups channels are interleaved,
    channel ``g * (C // groups) + i`` moving to ``i * groups + g``.

    >>> import dualgrad as dg
    >>> dg.nn.functional.channel_shuffle(dg.arange(4.0).reshape(1, 4, 1), 2).flatten()
    tensor([0., 2., 1., 3.])
    """
    if input.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    grouped = input.reshape(n, groups, c // groups, -1)
    return grouped.transpose(1, 2).contiguous().reshape(tuple(input.shape))


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A sample of the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with
    ``g = -log(Exponential(1))`` drawn as torch draws it; ``hard`` returns the one-hot of its
    argmax with the soft sample's gradient (the straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -_factories.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _factories.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
