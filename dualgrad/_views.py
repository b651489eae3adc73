"""Views: tensors that share memory with a base, and how their history follows the base's.

# NOTE: [views and in-place]
A view op's output (reshape, expand, permute, select, diagonal's view, ...) is a ``_View``: it
remembers its root ``_base`` (never itself a view), the ``_chain`` of (op, params) that makes
it from the root (views of views extend the chain), and the base's version when its history
was last derived (``_view_version``).

An in-place op on a view ``v`` (``_inplace._commit_view_inplace``) computes the new view
value out of place, ``out = op(v_snapshot, ...)``, and gives the *base* a new history through
the linear primitive ``view_scatter(base, out, chain=...)``: the base with the viewed region
replaced (PyTorch's CopySlices, written as an ordinary op, so its vjp and jvp come from the
table and are differentiable to any order). The new values are then written into the shared
memory and the version counter bumps.

Every write bumps the shared version counter, so a view whose ``_view_version`` is behind the
counter may hold a history the base has moved past. Reading such a view's history
(``grad_fn``, ``requires_grad``, its tangents) re-derives it lazily as ``chain(base)``, as
PyTorch regenerates a view's grad_fn when the base's version has moved. The properties below do
that; plain tensors keep their class-level fields and pay nothing.

# NOTE: [views at every level]
The model above holds at every level, not only on the ground. Inside vmap a tensor is a
wrapper (a BatchedTensor over its physical value, or a tensor on a transform's tape over
``_below``: NOTE: [wrappers] in _batching.py); a view op on one is processed by its level, which
makes the result a view of the same kind (``_batching.view_at_level``: a ``_View``, or a
``BatchedView`` for a batched one) with the wrapper root as ``_base``, the chain from it, and
the root's version counter. Below it, the physical result is a view of the physical root too
(the batching rule ran the view op there), so each level keeps its own record, and a write
into a wrapper (NOTE: [in-place on a wrapper] in _inplace.py) writes the values one level down
and gives the wrapper root its ``view_scatter`` history; the shared version moves, and every
view at that level re-derives lazily, exactly as here. There is no list of live views to keep
and no case of "a view taken before the base had history": the view asks its base when read.

# NOTE: [multi-output views]
split (and chunk, which is split) returns views as torch's does, yet stays one op with one
node (SplitBackward0's: the pieces' gradients are joined by one cat). Each piece is a view
whose chain is a *single-output* view op from the base, its slice (``PIECES[op](params)``
gives one (op, params) per output), so everything above works unchanged: a write into a piece
scatters into the base through that slice, and a piece whose base moved on re-derives its
history as the slice of the base. Where autograd records, torch refuses a write into a piece
and the use of a piece whose base was written ("This view is the output of a function that
returns multiple views"); so does dualgrad (``_multi``; unbind's pieces too). Under vmap the levels note the pieces as views of the input
through the same slices (``_batching.view_at_level``).
"""

from __future__ import annotations

import threading

import numpy as np

from . import _levels
from ._dispatch import apply
from ._grad_mode import state as _grad_state
from ._tensor import (
    TENSOR_INSTANCE_NAMES,
    Tensor,
    alias,
    enter_instance_names,
    requires_grad_anywhere,
    set_tangent,
)


class _View(Tensor):
    """A tensor that shares memory with ``_base``; see NOTE: [views and in-place]."""

    _gf = None
    _onr = 0
    _rg = False
    _fwd = None
    _chain = ()
    _view_version = 0
    _view_grad = True  # was grad mode on when the view was made (its history is recorded)
    _view_shares = True  # False: the kernel returned a copy (0-d select), written back by hand
    _multi = None  # (op name, output number): an output of a multi-output view op
    # every op of the chain is differentiable: history follows a write (not through view(dtype),
    # which autograd does not see: NOTE: [dtype views] in _ops/shape.py)
    _view_tracked = True

    def _stale(self) -> bool:
        return self._view_version != self._vc[0]

    @property
    def grad_fn(self):
        if self._view_version != self._vc[0]:
            _refresh(self)
        return self._gf

    @grad_fn.setter
    def grad_fn(self, fn):
        self._gf = fn

    @property
    def _out_nr(self):
        if self._view_version != self._vc[0]:
            _refresh(self)
        return self._onr

    @_out_nr.setter
    def _out_nr(self, nr):
        self._onr = nr

    @property
    def _requires_grad(self):
        if self._view_version != self._vc[0]:
            _refresh(self)
        return self._rg

    @_requires_grad.setter
    def _requires_grad(self, flag):
        self._rg = flag

    @property
    def _fw(self):
        if self._view_version != self._vc[0]:
            _refresh(self)
        return self._fwd

    @_fw.setter
    def _fw(self, tangents):
        self._fwd = tangents


PIECES: dict = {}  # multi-output view op -> params -> one (op, params) per output


def make_view(raw, op, params, parent: Tensor):
    """The output of view op ``op`` on ``parent`` (``op.make_view``, called by ``_ground._wrap``);
    a multi-output view op's outputs are views by their pieces (NOTE: [multi-output views])."""
    if op.multi_output:
        pieces = PIECES[op](**params)
        outs = tuple(make_view(r, p_op, p, parent) for r, (p_op, p) in zip(raw, pieces))
        return mark_multi(outs, op.node_name[: -len("Backward0")])
    shares = np.may_share_memory(raw, parent._data)
    if not shares and raw.size and not (raw.ndim == 0 and op.name == "select"):
        # the kernel had to copy (reshape of a non-contiguous array): not a view, as in PyTorch
        # (an empty result shares no memory, yet is a view in torch: a write into it is checked)
        return Tensor._make(raw)
    out = object.__new__(_View)
    out._data = raw
    out._vc = vc = parent._version_counter()
    if isinstance(parent, _View):
        out._base = parent._base
        out._chain = parent._chain + ((op, params),)
        out._view_shares = shares and parent._view_shares
        if not (parent._view_tracked and op.differentiable):
            out._view_tracked = False
    else:
        out._base = parent
        out._chain = ((op, params),)
        out._view_shares = shares
        if not op.differentiable:
            out._view_tracked = False
    out._view_version = vc[0]
    if not _grad_state.enabled:
        out._view_grad = False
    return out


def mark_multi(outs, name: str):
    """Mark the views ``outs`` as the outputs of multi-output view op ``name``: torch refuses to
    write into them, or to use one whose base was written, where autograd records
    (NOTE: [multi-output views])."""
    for i, o in enumerate(outs):
        if isinstance(o, _View):
            o._multi = (name, i)
    return outs


def multi_error(multi, what: str) -> RuntimeError:
    name, i = multi  # (op name, output number)
    return RuntimeError(
        f"Output {i} of {name} is a view and {what}. This view is the output of a function "
        "that returns multiple views. Such functions do not allow the output views to be "
        "modified inplace. You should replace the inplace operation by an out-of-place one."
    )


def apply_chain(x: Tensor, chain) -> Tensor:
    """The view of ``x`` that ``chain`` makes, through the dispatcher (recorded, with tangents)."""
    for op, params in chain:
        x = apply(op, x, **params)
    return x


class _BackwardRunning(threading.local):
    depth = 0  # backward passes running (autograd/engine.py), on this thread


# A multi-output view used after its base was written is refused, as torch refuses it at the
# use (NOTE: [multi-output views]); a backward pass that reads a node's saved inputs is not a
# use (the version check guards what it reads), so the refusal waits while one runs.
backward_running = _BackwardRunning()


def _refresh(view: _View) -> None:
    """Re-derive a stale view's history and tangents from its base: ``chain(base)``."""
    view._view_version = view._vc[0]
    if not view._view_tracked:  # view(dtype): its history is its own (NOTE: [dtype views])
        return
    base = view._base
    if (
        view._multi is not None
        and view._view_grad
        and _grad_state.enabled
        and not backward_running.depth  # a backward reading what a node saved: not a use
        and requires_grad_anywhere(base)  # (under grad(vmap(f)) the physical ones record)
    ):
        view._view_version -= 1  # still stale: every use under autograd refuses, as torch's
        raise multi_error(
            view._multi, "its base or another view of its base has been modified inplace"
        )
    if not (base._requires_grad or base._fw):
        if view._gf is not None:  # the base lost its history (detach_): so does the view
            view._gf, view._onr, view._rg = None, 0, False
        view._fwd = None
        return
    b = alias(base)
    if b._fw:  # only live levels (a level being closed has left the stack already)
        b._fw = {lv: t for lv, t in b._fw.items() if lv in _levels.stack.by_number} or None
    prev = _grad_state.enabled
    _grad_state.enabled = view._view_grad
    try:
        fresh = apply_chain(b, view._chain)
    finally:
        _grad_state.enabled = prev
    view._gf, view._onr, view._rg = fresh.grad_fn, fresh._out_nr, fresh._requires_grad
    if fresh._glevel != view._glevel:  # the root joined a transform's tape: so does the view
        view._glevel, view._below = fresh._glevel, fresh._below  # (NOTE: [in-place on a wrapper])
    view._fwd = None
    if fresh._fw:
        for level, tangent in fresh._fw.items():
            set_tangent(view, level, tangent)
    view._view_version = view._vc[0]


# ------------------------------------------------------------------ writing through a chain
def scatter_into(arr: np.ndarray, chain, value: np.ndarray) -> None:
    """Write ``value`` into the region of ``arr`` that ``chain`` views (NumPy, in place)."""
    for op, params in chain[:-1]:
        arr = op.forward(arr, **params)
    op, params = chain[-1]
    if op.name == "select":  # assignment also reaches a 0-d element, which the kernel copies
        arr[params["index"].value] = value
    else:
        op.forward(arr, **params)[...] = value


class Chain:
    """A view chain held as an op parameter (printable, compared by identity)."""

    __slots__ = ("ops",)

    def __init__(self, ops):
        self.ops = tuple(ops)

    def __repr__(self) -> str:
        return "Chain(" + " -> ".join(op.name for op, _ in self.ops) + ")"


# NOTE: [instance attribute keys] in _tensor.py
VIEW_INSTANCE_NAMES = TENSOR_INSTANCE_NAMES + (
    "_view_version",
    "_chain",
    "_view_shares",
    "_view_grad",
    "_fwd",
    "_gf",
    "_rg",
    "_onr",
    "_view_tracked",
)
enter_instance_names(_View, VIEW_INSTANCE_NAMES)
