"""The vmap level: vmap as a level kind (NOTE: [levels] in _levels.py).

# NOTE: [vmap levels]
Inside ``vmap`` every mapped input is a ``BatchedTensor`` (_batching.py): a *physical* tensor
(``_value``, which may itself be batched at a lower level or carry tangents of lower dual levels)
with a batch dim (``_bdim``) that belongs to the vmap level ``_vlevel``. User code sees the
*logical* tensor, the physical one without that dim. When the highest level among an op's inputs
is a vmap level, its ``process`` unwraps them and runs the op's batching rule, which maps the
call to one call on physical tensors (re-entering the dispatcher one level down), so batched work
is one NumPy call. An op whose output's shape depends on the values (nonzero, a batched bool
mask) runs once per batch element, that op only, and stacks (functorch's slow fallback).

Reverse mode inside vmap records on a tape of the transform's own level (NOTE: [grad under
vmap] in _grad_levels.py), so ``vmap(grad(f))`` is batched too. What cannot be batched (Python
control flow on batched values, a few cross-level cases: ``_errors.cannot_batch``) raises at
the point, naming the fix; the whole function runs once per batch element only when asked for
before it starts (``fallback='loop'``, ``randomness='different'``: NOTE: [asked-for loops] in
func/_transforms.py).
The ordinary tape runs happily *below* vmap: ``grad(vmap(f))`` records physical ops, and
``jacrev = vmap(vjp)`` runs a recorded backward on batched cotangents without recording.
"""

from __future__ import annotations

import warnings

from . import _levels
from ._batching import BatchedTensor, _warned, grad_below, note_fallback, view_at_level
from ._grad_mode import state as _grad_state
from ._batching_generic import vectorized
from ._dispatch import apply, apply_unary
from ._tensor import Tensor
from ._ops.shape import stack

_stack = _levels.stack


# NOTE: [vectorized ops] An element-wise op of one input (sin, exp, ...) is the most common op
# under vmap, and its batching needs no decision: the op runs on the physical tensor, whose batch
# dim stays where it was. Which ops those are is a fact of the op, decided when its rule is
# declared (``_batching_generic.vectorized``, _batching_rules.py), so ``process`` runs that rule
# inline: one test, then one call one level down. (The single input is this level's wrapper:
# this level is the highest among the op's inputs, and it has only one.)
class VmapLevel(_levels.Level):
    """One ``vmap`` call: its randomness mode, and the transforms' tapes begun inside it."""

    kind = "vmap"
    __slots__ = ("randomness", "directions_only", "tapes")

    def __init__(self, randomness="error", directions_only=False):
        super().__init__()
        self.randomness = randomness
        # a vmap over tangents/cotangents only (func._over_directions) batches no primal
        self.directions_only = directions_only
        self.tapes: list = []  # TapeLevels begun inside (NOTE: [levels] in _levels.py)

    def process(self, op, args, params):
        if op.batch is vectorized and not params:  # NOTE: [vectorized ops]
            a = args[0]
            return BatchedTensor.wrap(apply_unary(op, a._value), a._bdim, self.number)
        number = self.number
        ceiling = _stack.ceiling
        physical, bdims = [], []
        size = None
        for a in args:
            if isinstance(a, BatchedTensor) and a._vlevel == number:
                # (a tangent of a level below this vmap lives on the physical value, never on
                # the wrapper: make_dual puts it there, NOTE: [vmap levels])
                assert not (a._fw and min(a._fw) < ceiling), "a lower tangent on a wrapper"
                physical.append(a._value)
                bdims.append(a._bdim)
                if size is None:
                    size = a._value._data.shape[a._bdim]
            else:
                physical.append(a)
                bdims.append(None)
        rule = op.batch
        result = rule(op, physical, bdims, params, size) if rule is not None else NotImplemented
        if result is NotImplemented:
            result = _loop(op, physical, bdims, params, size)
        out, bdim = result
        if op.multi_output:
            out = tuple(BatchedTensor.wrap(o, bdim, number) for o in out)
        else:
            out = BatchedTensor.wrap(out, bdim, number)
        if op.view:  # a view at this level too (NOTE: [views at every level] in _views.py)
            out = view_at_level(args[0], out, op, params)
        return out

    process_one = process  # (the vectorized case above is one input's: no other way)

    def process_function(self, op, args, kwargs):
        """A custom Function under vmap is a composite: its forward's own ops are batched here,
        and its node records on the tape its inputs are on (NOTE: [a Function as an op])."""
        if _grad_state.enabled and any(grad_below(a, self.number) for a in args):
            # its node joins history recorded below this vmap, on physical tensors (NOTE: [a
            # Function under vmap with history below] in autograd/_function_vmapped.py)
            return op.run_vmapped(self, args, kwargs)
        call = op.run(args, kwargs, -1)
        ceiling = _stack.ceiling
        for level in sorted({lv for a in args if isinstance(a, Tensor) and a._fw for lv in a._fw}):
            if level < ceiling:
                op.push_tangents(call, args, level)
        return call

    def exit(self) -> None:
        """The tapes begun inside end with it."""
        super().exit()
        for tape in self.tapes:
            _levels.unregister(tape)
        self.tapes.clear()


def enter(randomness="error", directions_only=False) -> VmapLevel:
    return _levels.push(VmapLevel(randomness, directions_only))


def _loop(op, physical, bdims, params, size):
    """The fallback: one call per batch element, stacked along a new dim 0 (warns once per op)."""
    note_fallback(op.name)
    if op.name not in _warned:
        _warned.add(op.name)
        warnings.warn(
            f"vmap: op '{op.name}' has no batching rule; it runs once per batch element "
            "(correct, but a Python loop)",
            UserWarning,
            stacklevel=3,
        )
    outs = []
    for b in range(size):
        sliced = [p.select(d, b) if d is not None else p for p, d in zip(physical, bdims)]
        outs.append(apply(op, *sliced, **params))
    shapes = {tuple(o.shape) for o in (outs if not op.multi_output else (o[0] for o in outs))}
    if len(shapes) > 1:  # one result per element cannot be one tensor: torch.func's refusal
        raise RuntimeError(
            f"vmap: {op.name}'s output has a different shape for each batch element "
            f"({sorted(shapes)}): its shape depends on the values, and results of different "
            "shapes cannot be one batched tensor (torch.func refuses such ops always: 'We do not "
            "support batching operators that can output dynamic shape')"
        )
    if op.multi_output:
        return tuple(stack([o[k] for o in outs], 0) for k in range(len(outs[0]))), 0
    return stack(outs, 0), 0
