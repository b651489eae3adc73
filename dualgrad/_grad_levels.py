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

from . import _levels
from ._batching import BatchedTensor, grad_below, requires_grad_anywhere, view_at_level
from ._dispatch import apply
from ._ground import _record
from ._tensor import Tensor, set_tangent

ORDINARY = -1  # the ordinary tape, below every level
__all__ = ["TapeLevel", "new_tape", "grad_below", "requires_grad_anywhere", "strip"]


class TapeLevel(_levels.Level):
    """The tape of a reverse transform called inside vmap (NOTE: [grad under vmap]). Its values
    are wrappers: a tensor on it stands for ``_below``, with its own history on this tape."""

    kind = "tape"
    __slots__ = ()

    def process(self, op, args, params):
        """The value from the inputs unwrapped (the levels below do the work), the node here."""
        number = self.number
        low = apply(
            op,
            *[strip(a, number) if isinstance(a, Tensor) and a._glevel >= 0 else a for a in args],
            **params,
        )
        out = tuple(lift(o, number) for o in low) if op.multi_output else lift(low, number)
        if op.view:  # a view at this level too (NOTE: [views at every level] in _views.py)
            out = view_at_level(args[0], out, op, params)
        _record(op, args, params, out, number)
        return out

    def process_function(self, op, args, kwargs):
        """A custom Function on this tape: the call below first where the levels below need
        it, then the node here, from the inputs as they are (NOTE: [a Function as an op]).
        Tangents of dual levels below the tape come from the call below; a dual level above
        it, which hid itself to compute the call here, pushes its own when this returns."""
        number = self.number
        low = op.run_below(args, kwargs, number) if op.below_needed(args, number) else None
        call = op.run(args, kwargs, number)
        op.stand_on(call, low, number)
        return call


def new_tape() -> int:
    """The tape a reverse transform called now records on: the ordinary one outside vmap, else
    a new level (after every live level: the transform acts above them), which lives as long
    as the innermost vmap that batches primals. A vmap over directions only (jacfwd's tangents,
    jacrev's cotangents) batches no primal, so it does not count: ``hessian = jacfwd(jacrev)``
    records on the ordinary tape, as without vmap."""
    for level in reversed(_levels.stack.levels):
        if level.kind == "vmap" and not level.directions_only:
            tape = _levels.register(TapeLevel())
            level.tapes.append(tape)
            return tape.number
    return ORDINARY


def _shell(t):
    """A new tensor object over ``t``'s data, tangents and batching, with no history."""
    if isinstance(t, BatchedTensor):
        s = BatchedTensor.wrap(t._value, t._bdim, t._vlevel)
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
