"""pad: ``torch.nn.functional.pad`` as a composite of indexing primitives.

Constant padding writes ``x`` into a tensor full of ``value`` (``index_put``, linear in
``x``); the other modes read ``x`` through one index gather per padded dim (reflect, replicate,
circular differ only in the index), so every mode and order comes from the primitives' rules.
Negative pads crop.
"""

from __future__ import annotations

import numpy as np

from .indexing import getitem, index_put

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_positions(mode, n, lo, hi):
    """For each output position along a dim of size n padded by (lo, hi): the input position."""
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        i = np.abs(i)
        return np.where(i > n - 1, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return i % n  # circular


def pad(x, pad, mode="constant", value=None):
    """``x`` padded: ``pad = (left, right)`` for the last dim, then (top, bottom) for the one
    before, and so on. ``mode``: ``'constant'`` (with ``value``, default 0), ``'reflect'``,
    ``'replicate'`` or ``'circular'``.

    >>> import dualgrad as dg
    >>> dg.pad(dg.tensor([[1., 2., 3.]]), (2, 1), mode="reflect")
    tensor([[3., 2., 1., 2., 3., 2.]])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {x.ndim}"
        )
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}; use one of {_MODES}")
    pairs = [(x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(k)]
    if mode == "constant":
        return _constant(x, pairs, 0.0 if value is None else value)
    if value not in (None, 0, 0.0):
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not 1 <= k <= 3 or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now "
            f"(mode {mode}: {k} padded dims need an input of {k + 1} or {k + 2} dims, got {x.ndim})"
        )
    for d, lo, hi in pairs:
        n = x.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, "
                f"but got: padding ({lo}, {hi}) at dimension {d} of input {list(x.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and n == 0 and (lo or hi):
            raise RuntimeError(f"padding of an empty dim {d} with mode 'replicate'")
    out = x
    for d, lo, hi in pairs:
        if lo or hi:
            out = getitem(out, (slice(None),) * d + (_source_positions(mode, x.shape[d], lo, hi),))
    # with nothing padded, still a new tensor (torch's pad never returns its input or a view)
    return x.clone() if out is x else out


def _constant(x, pairs, value):
    from .._factories import full

    crop = [slice(None)] * x.ndim
    for d, lo, hi in pairs:
        if lo < 0 or hi < 0:
            n = x.shape[d]
            crop[d] = slice(max(-lo, 0), n - max(-hi, 0))
    if any(c != slice(None) for c in crop):
        x = getitem(x, tuple(crop))
    shape = list(x.shape)
    place = [slice(None)] * x.ndim
    for d, lo, hi in pairs:
        lo, hi = max(lo, 0), max(hi, 0)
        place[d] = slice(lo, lo + shape[d])
        shape[d] += lo + hi
    base = full(tuple(shape), value, dtype=x.dtype)
    return index_put(base, tuple(place), x)


__all__ = ["pad"]
