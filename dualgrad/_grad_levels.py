"""Reverse mode inside vmap: a tape per transform level, so ``vmap(grad(f))`` runs batched.

# NOTE: [grad under vmap]
The ordinary tape sits below every vmap level (NOTE: [vmap levels: where the tape sits] in
_levels.py): ``grad(vmap(f))`` records physical ops. A transform called *inside* a vmap
(``vmap(grad(f))``: per-sample gradients) must instead differentiate each batch element on
its own, so its tape holds *logical* tensors. That tape is a level ``G`` of its own, numbered
when the transform is called (so it sits above the vmap and every level live then, and below
levels begun inside ``f``), as in functorch:

- the transform's inputs become level-G leaves: new tensor objects with ``_glevel = G`` and
  ``_below``, the tensor they stand for (which keeps its own history on lower tapes);
- an op with a level-G input that requires grad, where G is at least the highest vmap level
  of its batched inputs, runs on the inputs *stripped* of level G (each level-G tensor replaced
  by its ``_below``; the batched path then does the work in one NumPy call), and its result is
  *lifted* to level G: a new object over the same data with ``_below`` = the result and the
  level-G node as ``grad_fn``; the node saves the level-G inputs;
- the transform's backward runs the rules on those logical tensors inside the vmap, so the
  gradient of each batch element comes out batched: one vectorised backward, no loop;
- the node saves the level-G inputs *with* their tangents of lower dual levels, so a backward
  inside ``jvp`` propagates them: ``vmap(hessian(f))`` is forward over reverse here too;
- when the transform returns, its outputs leave tape G (``strip``), also inside batched values
  made by a vmap begun within it; on leaving a vmap every output is stripped of the tapes
  begun inside it, so no such node (which saves batched tensors) outlives the vmap;
- a vmap over directions only (jacfwd's tangents, jacrev's cotangents) batches no primal and
  opens no tape: transforms inside it keep the ordinary tape (``new_tape``);
- custom Functions record on tape G too (autograd/function.py ``_tape_of``), except with
  forward mode mixed in, where they run per batch element.

Level numbers share one counter with dual and vmap levels, and the dispatcher lets the
highest level among an op's inputs act first. Tensors on the ordinary tape (below every
level) have ``_glevel = -1``.
"""

from __future__ import annotations

from . import _batching, _levels  # _batching imports this module: used at call time only
from ._tensor import Tensor, set_tangent

ORDINARY = -1  # the ordinary tape, below every level


def new_tape() -> int:
    """The tape a reverse transform called now records on: the ordinary one outside vmap, else
    a new level number (after every live level: the transform acts above them). A vmap over
    directions only (jacfwd's tangents, jacrev's cotangents) batches no primal, so it does not
    count: ``hessian = jacfwd(jacrev)`` records on the ordinary tape, as without vmap."""
    for level in _levels.stack.levels:
        if level.kind == "vmap" and not level.directions_only:
            return _levels.new_number()
    return ORDINARY


def top_grad_level(args) -> int:
    """The highest transform tape among the inputs that require grad there (-1: none)."""
    top = ORDINARY
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad and a._glevel > top:
            top = a._glevel
    return top


def grad_below(t, level: int) -> bool:
    """Whether ``t`` (or a tensor it wraps) requires grad on a tape below ``level``."""
    while t is not None:
        if t._requires_grad and t._glevel < level:
            return True
        t = t.__dict__.get("_value") if isinstance(t, Tensor) else None
    return False


def requires_grad_anywhere(t) -> bool:
    """Whether some tape, at any level, records ops on ``t``: an outer transform can see it."""
    while isinstance(t, Tensor):
        if t._requires_grad:
            return True
        t = t._below if t._below is not None else t.__dict__.get("_value")
    return False


def _shell(t):
    """A new tensor object over ``t``'s data, tangents and batching, with no history."""
    if isinstance(t, _batching.BatchedTensor):
        s = _batching.BatchedTensor.wrap(t._value, t._bdim, t._vlevel)
    else:
        s = Tensor._make(t._data)
        s._vc = t._version_counter()
    if t._fw:
        for lv, tan in t._fw.items():
            set_tangent(s, lv, tan)
    return s


def make_leaf(x, level: int):
    """A level-``level`` leaf standing for ``x``: gradients stop at it, ``x`` keeps its history."""
    leaf = _shell(x)
    leaf._below = x
    leaf._glevel = level
    leaf._requires_grad = True
    return leaf


def strip(a, level: int):
    """``a`` as the ops below ``level`` see it. A tensor batched by a vmap begun above
    ``level`` (inside the transform) is stripped inside: its physical value may carry the
    tape too (a backward with create_graph run under that vmap records there)."""
    BatchedTensor = _batching.BatchedTensor
    while isinstance(a, Tensor) and a._glevel >= level and a._below is not None:
        a = a._below
    if isinstance(a, BatchedTensor) and a._vlevel > level:
        inner = strip(a._value, level)
        if inner is not a._value:
            b = BatchedTensor.wrap(inner, a._bdim, a._vlevel)
            if a._fw:
                for lv, tan in a._fw.items():
                    set_tangent(b, lv, tan)
            return b
    return a


def lift(out, level: int):
    """The level-``level`` tensor for the result ``out`` of the stripped call."""
    t = _shell(out)
    t._below = out
    t._glevel = level
    return t


def apply_at_level(op, args, params, level: int):
    """Run ``op`` on tape ``level``: the value from the stripped inputs, the node there."""
    if not _DISPATCH:  # the dispatcher imports this module: bound on first use
        from ._dispatch import _record, apply

        _DISPATCH.extend((apply, _record))
    apply, record = _DISPATCH
    low = apply(
        op,
        *[strip(a, level) if isinstance(a, Tensor) and a._glevel >= 0 else a for a in args],
        **params,
    )
    out = tuple(lift(o, level) for o in low) if op.multi_output else lift(low, level)
    record(op, args, params, out, level)
    _batching.mark_shared(op, args, out)
    if op.view and args[0]._glevel == level:
        _batching.note_view(args[0], out, op, params)
    return out


_DISPATCH: list = []
