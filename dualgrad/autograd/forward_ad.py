"""Forward-mode AD with dual tensors, PyTorch's API, levels nested to any depth.

>>> import dualgrad as dg
>>> import dualgrad.autograd.forward_ad as fwAD
>>> x = dg.tensor([1.0, 2.0])
>>> with fwAD.dual_level():
...     y = fwAD.make_dual(x, dg.ones(2)) ** 2
...     fwAD.unpack_dual(y).tangent
tensor([2., 4.])

Unlike PyTorch, ``dual_level`` nests: each level is its own perturbation, and a tangent of an
inner level may itself carry a tangent of an outer one, which is how exact mixed partials
(forward-over-forward) come out. See NOTE: [levels] in _levels.py.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import _dual_level, _levels
from .._tensor import Tensor, alias, set_tangent

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def enter_dual_level() -> int:
    """Open a new (innermost) dual level and return its number."""
    return _dual_level.enter().number


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost dual level; every tangent of that level is dropped."""
    if level is None:
        top = _levels.top("dual")
        if top is None:
            raise RuntimeError("exit_dual_level: no dual level is open")
        level = top.number
    _levels.pop(level)  # drops every tangent of the level (DualLevel.exit)


class dual_level:
    """Context manager for a dual level: ``with dual_level(): ...``. Levels nest."""

    def __enter__(self) -> int:
        self.level = enter_dual_level()
        return self.level

    def __exit__(self, *exc) -> bool:
        exit_dual_level(level=self.level)
        return False


def _resolve_level(level, fn: str) -> int:
    if level is None:
        top = _levels.top("dual")
        if top is None:
            raise RuntimeError(
                f"{fn}: no dual level is open; use it inside 'with dualgrad.autograd.forward_ad.dual_level():'"
            )
        return top.number
    found = _levels.get(level)
    if found is None or found.kind != "dual":
        raise RuntimeError(
            f"{fn}: dual level {level} is not open (it was exited or never entered); "
            "tangents can only be used inside the level that made them"
        )
    return level


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` at ``level`` (the innermost by default).

    The tangent must have the primal's shape and dtype. A tangent whose memory layout differs
    from the primal's is copied into the primal's layout; otherwise it is used as it is.
    """
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        bad = "tensor" if not isinstance(tensor, Tensor) else "tangent"
        raise TypeError(f"make_dual: '{bad}' must be a Tensor, got {type(locals()[bad]).__name__}")
    level = _resolve_level(level, "make_dual")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            f"make_dual: tangent shape {tuple(tangent.shape)} does not match primal shape "
            f"{tuple(tensor.shape)}; pass a tangent of the primal's shape"
        )
    if tangent._data.dtype.kind != "f":
        raise ValueError(  # torch's type (and its words: "Expected tangent to be floating point")
            f"make_dual: Expected tangent to be floating point, but got: {tangent.dtype}; "
            f"convert it with tangent.to({tensor.dtype})"
        )
    if tangent._data.dtype != tensor._data.dtype:
        # NOTE: [tangent dtype] torch accepts a tangent of another floating dtype (seed 001
        # pairs a float64 primal with a float32 tangent); we accept it too and convert it to
        # the primal's dtype, so every rule sees one dtype. The values are the same.
        tangent = tangent.to(tensor.dtype)
    if not tensor.is_floating_point():
        raise RuntimeError(f"make_dual: expected a floating point primal, got {tensor.dtype}")
    if tensor._fw and level in tensor._fw:
        raise RuntimeError(
            f"make_dual: the primal already has a tangent at level {level}; "
            "unpack_dual(x).primal gives the tensor without it"
        )
    if tangent._fw and max(tangent._fw) >= level:
        raise RuntimeError(
            f"make_dual: the tangent carries a tangent of level {max(tangent._fw)}, which is not "
            f"below level {level}; a tangent may only carry levels outside (below) its own"
        )
    batched = tensor._alias_hook is not None or tangent._alias_hook is not None
    vlevel = max(getattr(tensor, "_vlevel", -1), getattr(tangent, "_vlevel", -1))
    if batched and vlevel > level:
        # batched by a vmap begun inside this dual level: the tangent belongs below that vmap,
        # on the physical tensor, where unpack_dual looks for it (NOTE: [vmap levels])
        return _make_dual_below(tensor, tangent, level, vlevel)
    if not batched and tangent._data.strides != tensor._data.strides:
        copy = np.empty_like(tensor._data)
        copy[...] = tangent._data
        copied = Tensor._make(copy)
        copied._fw = tangent._fw
        copied.grad_fn, copied._out_nr, copied._requires_grad = (
            tangent.grad_fn,
            tangent._out_nr,
            tangent._requires_grad,
        )
        if tangent._requires_grad and tangent.grad_fn is None:
            tangent._edge()
            copied._acc = tangent._acc
        tangent = copied
    dual = alias(tensor)
    dual._base = tensor
    set_tangent(dual, level, tangent)
    return dual


def _make_dual_below(tensor, tangent, level, vlevel):
    """make_dual of values batched at vmap level ``vlevel`` (above ``level``): the dual of the
    physical values, batch dim first, wrapped again (an unbatched one is expanded)."""
    from .._batching import BatchedTensor

    def physical(t, size):
        if isinstance(t, BatchedTensor) and t._vlevel == vlevel:
            return t._value.movedim(t._bdim, 0)
        return t.unsqueeze(0).expand(size, *t.shape)

    size = next(
        t._value.shape[t._bdim]
        for t in (tensor, tangent)
        if isinstance(t, BatchedTensor) and t._vlevel == vlevel
    )
    dual = make_dual(physical(tensor, size), physical(tangent, size), level=level)
    return BatchedTensor.wrap(dual, 0, vlevel)


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at ``level``; tangent is None if it has none.

    The primal shares data and autograd history with ``tensor``.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    if level is None:
        top = _levels.top("dual")
        if top is None:
            return UnpackedDualTensor(tensor, None)
        level = top.number
    elif _levels.get(level) is None:
        return UnpackedDualTensor(tensor, None)
    if getattr(tensor, "_vlevel", level) > level:
        # batched at a vmap level above this dual level: the tangent lives in the physical
        # tensor (NOTE: [vmap levels] in _vmap_level.py)
        from .._batching import BatchedTensor

        inner = unpack_dual(tensor._value, level=level)
        if inner.tangent is None:
            return UnpackedDualTensor(tensor, None)
        wrap = BatchedTensor.wrap
        return UnpackedDualTensor(
            wrap(inner.primal, tensor._bdim, tensor._vlevel),
            wrap(inner.tangent, tensor._bdim, tensor._vlevel),
        )
    tangent = tensor._fw.get(level) if tensor._fw else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(alias(tensor, level), tangent)
