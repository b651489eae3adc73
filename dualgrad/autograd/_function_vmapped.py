"""A custom Function called inside vmap on inputs with history on a tape below the vmap
(``grad(vmap(f))``): one call, one level down, of a Function over the physical tensors whose
forward and backward are the user's, vmapped (functorch's ``generate_vmap_rule``).

# NOTE: [a Function under vmap with history below]
Inside vmap a Function's forward runs as a composite on the logical tensors (its own ops are
batched) and its node records on the tape its inputs are on (NOTE: [a Function as an op] in
function.py). When that tape is below the vmap, the node must join history recorded on
physical tensors and take physical gradients. So the vmap level hands the call one level down
as a call of ``Vmapped`` (made per Function class in function.py) on the physical tensors:
- its forward (``forward``) enters a vmap level of its own, wraps the physical inputs there
  with their batch dims, runs the user's call (``FunctionOp.run``: the user's ctx, whose saved
  tensors are batched at that level) and returns the outputs' physical tensors;
- its backward (``backward``) enters a new vmap level, presents the gradients and the user's
  saved tensors batched at it, runs the user's backward (or the vjp derived from its jvp) and
  returns physical gradients: summed over the batch for an input that was not batched,
  expanded for a batched input whose gradient came out unbatched.
Its backward runs dualgrad ops on physical tensors, so its own derivatives follow (double
backward; forward mode through the jvp derived from it, NOTE: [derived rules]).
A ctx *attribute* holding a batched tensor is not remapped (torch.func asks for
``save_for_backward`` under ``generate_vmap_rule`` too): reading one in backward raises the
escaped-batched-tensor error, never a wrong number.
"""

from __future__ import annotations

from .. import _levels
from .. import _vmap_level
from .._batching import BatchedTensor
from .._tensor import Tensor


class Spec:
    """What the physical call needs besides its tensors: the user's op and keyword
    arguments, the inputs' batch dims and size, the randomness mode; and, once forward ran,
    the user's ctx and the outputs' batch dims."""

    __slots__ = (
        "op",
        "kwargs",
        "in_dims",
        "size",
        "randomness",
        "inner",
        "out_dims",
        "single",
        "level",
        "slots",
        "kept",
    )

    def __init__(self, op, kwargs, in_dims, size, randomness):
        self.op, self.kwargs, self.in_dims = op, kwargs, in_dims
        self.size, self.randomness = size, randomness
        self.inner = self.out_dims = self.single = None
        self.level = None  # the vmap level the user's saved tensors are batched at
        self.slots = None  # id of a physical input or output -> its place among the saved
        self.kept = None  # which of the physical inputs and outputs (by place) are saved


def physical_call(level, op, args, kwargs):
    """``args`` (logical, at vmap ``level``) as the physical call's arguments and its spec."""
    physical, in_dims, size = [], [], None
    for a in args:
        if isinstance(a, BatchedTensor) and a._vlevel == level.number:
            physical.append(a._value)
            in_dims.append(a._bdim)
            size = a._value._data.shape[a._bdim]
        else:
            physical.append(a)
            in_dims.append(None)
    return physical, Spec(op, kwargs, in_dims, size, level.randomness)


def forward(ctx, spec, physical):
    """The user's call batched at a vmap level of its own; the outputs' physical tensors."""
    level = _vmap_level.enter(spec.randomness)
    try:
        number = level.number
        logical = [
            BatchedTensor.wrap(p, d, number) if d is not None else p
            for p, d in zip(physical, spec.in_dims)
        ]
        call = spec.op.run(logical, spec.kwargs, -1)
    finally:
        _levels.pop(level.number)
    inner = call.ctx
    inner.needs_input_grad = ctx.needs_input_grad[1:]  # (run saw no recording)
    outs, out_dims, dirty = [], [], []
    for f in call.finals:
        if isinstance(f, BatchedTensor) and f._vlevel == number:
            p = f._value
            for k, lg in enumerate(logical):
                if f is lg:  # written in place (mark_dirty): the caller's physical tensor
                    p = physical[k]
                    dirty.append(p)
            outs.append(p)
            out_dims.append(f._bdim)
        else:
            outs.append(f)
            out_dims.append(None)
    if dirty:
        ctx.mark_dirty(*dirty)
    nondiff = [o for o, d in zip(outs, inner._diff_out) if isinstance(o, Tensor) and not d]
    if nondiff:
        ctx.mark_non_differentiable(*nondiff)
    spec.inner, spec.out_dims, spec.single, spec.level = inner, out_dims, call.single, number
    # The physical inputs and outputs as the caller has them (history, tangents): what the
    # user's saved tensors stand for when backward runs (NOTE: [saved tensors of a custom
    # function] in function.py), so a backward inside a dual level sees their tangents.
    # Only those the user saved: a later write into an output the user did not save must not
    # trip the version check (torch's generated rule saves what setup_context saves).
    wanted = {
        id(t._value if isinstance(t, BatchedTensor) and t._vlevel == number else t)
        for t in (*(inner._saved or ()), *(inner._saved_fw or ()))
        if t is not None
    }
    everything = (*physical, *outs)
    spec.kept = [k for k, t in enumerate(everything) if isinstance(t, Tensor) and id(t) in wanted]
    kept = [everything[k] for k in spec.kept]
    spec.slots = {id(t): k for k, t in enumerate(kept)}
    ctx.save_for_backward(*kept)
    ctx.spec = spec
    return tuple(outs)


def backward(ctx, grads):
    """The user's backward batched at a new vmap level; physical gradients, one per input."""
    spec = ctx.spec
    inner = spec.inner
    level = _vmap_level.enter(spec.randomness)
    before = (inner._saved, inner._saved_fw, inner._saved_versions, spec.level, spec.slots)
    try:
        number = level.number
        rebatch(spec, number, ctx.saved_tensors)
        logical = [
            BatchedTensor.wrap(g, d, number) if g is not None and d is not None else g
            for g, d in zip(grads, spec.out_dims)
        ]
        result = inner.apply(logical)
        return tuple(_physical_grad(r, d, spec.size, number) for r, d in zip(result, spec.in_dims))
    finally:
        (inner._saved, inner._saved_fw, inner._saved_versions, spec.level, spec.slots) = before
        _levels.pop(level.number)


def rebatch(spec, number, bases):
    """The user's saved tensors batched at vmap level ``number`` instead of where they are,
    each over ``bases[k]`` where it was the physical input or output ``k`` (else over its own
    physical tensor, a value forward computed)."""
    inner, old, slots = spec.inner, spec.level, spec.slots

    def rebatched(saved):
        if saved is None:
            return None
        out = []
        for t in saved:
            if isinstance(t, BatchedTensor) and t._vlevel == old:
                k = slots.get(id(t._value))
                t = BatchedTensor.wrap(t._value if k is None else bases[k], t._bdim, number)
            elif isinstance(t, Tensor) and id(t) in slots:  # an input the batch shares
                t = bases[slots[id(t)]]
            out.append(t)
        return tuple(out)

    inner._saved, inner._saved_fw = rebatched(inner._saved), rebatched(inner._saved_fw)
    inner._saved_versions = tuple(t._version if t is not None else None for t in inner._saved)
    spec.level = number
    spec.slots = {id(b): k for k, b in enumerate(bases)}


def _physical_grad(r, in_dim, size, number):
    """A logical gradient at vmap level ``number`` as the physical input's gradient."""
    if r is None:
        return None
    batched = isinstance(r, BatchedTensor) and r._vlevel == number
    if in_dim is None:  # an input shared by the batch: its gradient sums the elements'
        return r._value.sum(r._bdim) if batched else r
    if batched:
        return r._value.movedim(r._bdim, in_dim)
    return r.unsqueeze(in_dim).expand(*r.shape[:in_dim], size, *r.shape[in_dim:])
