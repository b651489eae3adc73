"""The in-place methods: ``x.op_(...)`` generated from each op, ``x[i] = v``, ``zero_``,
``fill_`` and ``copy_``. Each is the out-of-place op on what x holds (``_source``: a snapshot
where a node must save x's old values), then the commit (_inplace.py)."""

from __future__ import annotations


import numpy as np

from . import _dtype
from ._batching import BatchedTensor
from ._grad_mode import state as _grad_state
from ._inplace import _commit_inplace
from ._inplace_checks import _false_mask, _tracks
from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import shape as S
from ._tensor import Tensor, alias


def _snapshot_on_tape(x: Tensor) -> Tensor:
    """``_source`` for a tensor on a transform's tape inside vmap: a copy of its values, below
    and on the tape alike, with x's edges (NOTE: [in-place on a wrapper])."""
    below = _snapshot(x._below)
    if isinstance(x, BatchedTensor):
        snap = x._alias_hook()
        snap._value = below._value
    else:  # an unbatched tensor on the tape (vmap(grad(f), in_dims=None) for it)
        snap = alias(x)
        snap._data = below._data
        snap._vc = None
    snap._below = below
    return snap


def _snapshot(t: Tensor) -> Tensor:
    """A copy of ``t``'s values that keeps its edges and tangents (a batched tensor: its
    physical value copied)."""
    if t._below is not None:
        return _snapshot_on_tape(t)
    if isinstance(t, BatchedTensor):
        snap = t._alias_hook()
        snap._value = _snapshot(t._value)
        return snap
    src = alias(t)
    src._data = t._data.copy()
    src._vc = None
    src._base = None
    return src


def _source(x: Tensor, others=()) -> Tensor:
    """The value an in-place op reads: a snapshot when the op may record or carry tangents.

    The node of ``x.mul_(y)`` must save x's *old* values; a snapshot alias keeps them (and x's
    autograd edge) while x's buffer is overwritten. That holds too when only an ``other``
    operand records (``x.mul_(y)`` with y requiring grad saves x for y's gradient; torch saves
    a clone of x then). Inside vmap the physical tensor is what records (``grad(vmap(f))``):
    it gets the snapshot, the batched tensor wraps it.
    """
    if _grad_state.enabled and x._requires_grad and x._below is not None and not x._fw:
        return _snapshot_on_tape(x)
    if isinstance(x, BatchedTensor):
        if not (x._requires_grad or x._fw):
            # (the operands as this level and the physical op see them: history on a tape
            # here, vmap(grad(f)), or below, grad(vmap(f)))
            level = x._vlevel
            others = [*others] + [
                o._value for o in others if isinstance(o, BatchedTensor) and o._vlevel == level
            ]
            inner = _source(x._value, others)
            return x if inner is x._value else BatchedTensor.wrap(inner, x._bdim, x._vlevel)
    if (_grad_state.enabled and x._requires_grad) or x._fw:
        return _snapshot(x)
    for o in others:
        if isinstance(o, Tensor) and _tracks(o):
            return _snapshot(x)
    return x


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        src = _source(self, (*args, *kwargs.values()))
        return _commit_inplace(self, fn(src, *args, **kwargs), name, src)

    method.__name__ = name
    # (the generated methods' docstring, written once here: issue 15's docstrings)
    method.__doc__ = (
        f"In-place ``{fn.__name__}``: ``x.{name}(...)`` writes ``{fn.__name__}(x, ...)`` into "
        "``x`` and returns it, bumping its version counter; autograd records the write as torch "
        "does."
    )
    return method


def _setitem(self, index, value):
    if isinstance(value, np.ndarray):
        from ._factories import tensor

        value = tensor(value)
    if not isinstance(self, BatchedTensor) and not self._data.flags.writeable:
        # expanded: torch allows writing an empty region
        region = I.getitem(_source(self), index)
        if not region._data.size:
            shape = value.shape if isinstance(value, Tensor) else ()
            try:
                np.broadcast_shapes(tuple(shape), tuple(region.shape))
            except ValueError:
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(shape)} cannot be broadcast to "
                    f"indexing result of shape {list(region.shape)}"
                ) from None
            return
    out = I.index_put(_source(self), index, value)
    _commit_inplace(self, out, "__setitem__")


def _zero_(self):
    """Fill x with zeros in place and return it."""
    return _fill(self, 0, "zero_")


def _fill_(self, value):
    """Fill x with ``value`` (a number or a 0-d tensor, through which gradients flow) in place."""
    return _fill(self, value, "fill_")


def _fill(self, value, name):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                "dimensions."
            )
        if value._requires_grad or value._fw:
            return _copy_(self, value, name=name)
        value = value._data
    elif isinstance(value, (int, float)):
        # checked, and a negative int wrapped into an unsigned dtype as torch does (255 for -1)
        value = _dtype.scalar_for(value, self._data.dtype, name)
    if _tracks(self):
        src = _source(self)
        out = E.where(_false_mask(self), src, float(value))
        return _commit_inplace(self, out.to(self.dtype), name)
    out = Tensor._make(np.full(self._data.shape, value, dtype=self._data.dtype))
    return _commit_inplace(self, out, name)


def _copy_(self, src, non_blocking=False, *, name="copy_"):
    """Copy ``src`` into x in place, broadcasting and converting to x's dtype; gradients flow to
    src."""
    from ._factories import tensor as _tensor

    if not isinstance(src, Tensor):
        src = _tensor(src)
    value = src.to(self.dtype) if src.dtype != self.dtype else src
    if tuple(value.shape) != tuple(self.shape):
        from ._kernel_errors import _broadcast_mismatch

        mismatch = _broadcast_mismatch([tuple(self.shape), tuple(value.shape)])
        if mismatch is not None:  # torch's broadcast message, not expand's
            raise RuntimeError(mismatch)
        value = S.expand(value, tuple(self.shape))
    if _tracks(self):
        value = E.where(_false_mask(self), _source(self), value)
    return _commit_inplace(self, value, name)
