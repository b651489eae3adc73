"""The dual level: forward mode as a level kind (NOTE: [levels] in _levels.py).

A dual tensor keeps its tangent of level L in ``t._fw[L]`` (PyTorch's API: make_dual,
unpack_dual). ``process`` computes the value one level down, with this level hidden (the ground
then records the node with the full inputs: NOTE: [dispatch order] in _dispatch.py), and then
this level's tangent with the op's jvp rule, whose ops run on primals stripped of this level
(NOTE: [canonical form]).
"""

from __future__ import annotations

from . import _levels
from ._dispatch import apply_fast, apply_function, apply_unary
from ._tensor import Tensor, alias, set_tangent
from ._views import _View

_stack = _levels.stack


class DualLevel(_levels.Level):
    kind = "dual"
    __slots__ = ()

    def process(self, op, args, params):
        """The value one level down, with this level hidden, then its tangent by the op's
        pusher (NOTE: [pushers])."""
        stack = _stack
        levels, ceiling = stack.levels, stack.ceiling
        stack.levels, stack.ceiling = self.under, self.number
        try:
            out = apply_fast(op, args, params)  # (the fast entries see this level no more)
        finally:
            stack.levels, stack.ceiling = levels, ceiling
        op.push_tangent(op, args, params, out, self.number)
        return out

    def process_one(self, op, args, params):
        return op.dual_process(self, op, args, params)  # chosen with the op: NOTE: [pushers]

    def process_function(self, op, args, kwargs):
        stack = _stack
        levels, ceiling = stack.levels, stack.ceiling
        stack.levels, stack.ceiling = self.under, self.number
        try:
            call = apply_function(op, args, kwargs)
        finally:
            stack.levels, stack.ceiling = levels, ceiling
        op.push_tangents(call, args, self.number)
        return call

    def exit(self) -> None:
        """Every tangent of this level is dropped (a stale view's as stored: reading its
        tangents would re-derive them from its base, NOTE: [views and in-place])."""
        super().exit()
        number = self.number
        for ref in list(self.holders):  # (a copy: a tensor freed below leaves the set)
            t = ref()
            if t is None:
                continue
            if isinstance(t, _View):
                if t._fwd is not None:
                    t._fwd.pop(number, None)
                    t._fwd = t._fwd or None
            elif t._fw is not None:
                t._fw.pop(number, None)
                t._fw = t._fw or None
        self.holders.clear()


def strip(a, level):
    """``a`` as a rule of ``level`` sees it: without tangents of ``level`` and above."""
    if isinstance(a, Tensor) and a._fw and max(a._fw) >= level:
        return alias(a, level)
    return a


# NOTE: [pushers] How a dual level processes an op is a fact of the op, so it is chosen once,
# when the op is made (``processor_for``, ``pusher_for``), not decided per call. An element-wise
# op with a one-input ufunc kernel (sin, exp, ...) takes the lean path where it can (NOTE:
# [lean tangents]); every other op computes its value one level down with this level hidden,
# then pushes its tangent: an op with no derivative pushes nothing; a one-input element-wise op,
# whose only input carries this level's tangent (that is why this level processes it), calls
# its rule on that tangent directly, with the primal stripped of this level only if the rule
# reads it, and gives the output its tangent as it is (same shape and dtype: the rule is
# element-wise on one input); every other op goes through the general ``_push_tangent``.
def processor_for(op):
    """How a dual level processes a one-input call of ``op`` (``DualLevel.process_one``)."""
    if op.jvp_one is not None and op.ufunc is not None and op.ufunc.nin == 1:
        return _process_unary
    return DualLevel.process


# NOTE: [lean tangents] The common call of a one-input element-wise op in a dual level is
# ``sin(x)`` where x is a plain tensor that carries this level's tangent and nothing else, and
# neither x nor its tangent requires grad. Then nothing the rule runs records a node, so the
# primal the rule reads need not be stripped of this level (NOTE: [canonical form]: the strip
# keeps the level's tangent out of what the tape saves): the rule runs on x itself while the
# level is still hidden, where the dispatcher ignores x's tangent, in the same window as the
# value. The output is fresh (its input carries no level that could have pushed a tangent), so
# it is given its tangent without a check, and the rule is the op's ``jvp_one``: the tangent
# times the partial through ``apply_pair``, whose operands have the primal's dtype by
# construction (make_dual converts the tangent: NOTE: [tangent dtype]; the partial is
# element-wise in x), with the general scaling (masks select) for anything else. Every other
# call (params, a view or a wrapper, other levels' tangents, history) takes ``process``.
def _process_unary(level, op, args, params):
    x = args[0]
    number = level.number
    if (
        params
        or len(args) != 1
        or type(x) is not Tensor
        or len(x._fw) != 1
        or x._glevel >= 0
        or x._requires_grad
        or x._fw[number]._requires_grad
    ):
        return level.process(op, args, params)
    tangent = x._fw[number]
    stack = _stack
    levels, ceiling = stack.levels, stack.ceiling
    stack.levels, stack.ceiling = level.under, number
    try:
        out = apply_unary(op, x)
        tangent = op.jvp_one(tangent, x, out)
    finally:
        stack.levels, stack.ceiling = levels, ceiling
    out._fw = {number: tangent}
    level.hold(out)
    return out


def pusher_for(op):
    if not op.differentiable:
        return _push_nothing
    if op.kind == "elementwise" and op.ufunc is not None and op.ufunc.nin == 1:
        if op.jvp_reads_out:
            return _push_unary_reading_out
        return _push_unary if op.jvp_reads_inputs else _push_unary_reading_nothing
    return _push_tangent


def _push_nothing(op, args, params, out, level):
    return None


def _push_unary(op, args, params, out, level):
    x = args[0]
    _hold(out, level, op.jvp([x._fw[level]], alias(x, level), out=None, **params))


def _push_unary_reading_nothing(op, args, params, out, level):
    x = args[0]
    _hold(out, level, op.jvp([x._fw[level]], x, out=None, **params))


def _push_unary_reading_out(op, args, params, out, level):
    x = args[0]
    primal = alias(x, level) if op.jvp_reads_inputs else x
    _hold(out, level, op.jvp([x._fw[level]], primal, out=alias(out, level), **params))


def _hold(out, level, tangent):
    """The output's tangent of ``level``, as the rule gave it (NOTE: [pushers])."""
    set_tangent(out, level, tangent)


def _push_tangent(op, args, params, out, level):
    tangents = [a._fw.get(level) if isinstance(a, Tensor) and a._fw else None for a in args]
    if not op.jvp_reads_inputs:
        primals = args
    elif op.jvp_reads is not None:  # only the inputs the needed partials read
        primals = list(args)
        for i, t in enumerate(tangents):
            if t is not None:
                for j in op.jvp_reads[i]:
                    if primals[j] is args[j]:
                        primals[j] = strip(args[j], level)
    else:
        primals = [strip(a, level) for a in args]
    if op.multi_output:
        outs = tuple(alias(o, level) for o in out)
        result = op.jvp(tangents, *primals, out=outs, **params)
        for i in op.diff_outputs(len(out)):
            _attach(out[i], level, result[i])
    else:
        seen_out = alias(out, level) if op.jvp_reads_out else None
        result = op.jvp(tangents, *primals, out=seen_out, **params)
        _attach(out, level, result)


def _attach(out, level, tangent):
    if tangent is None or out._data.dtype.kind != "f":
        return
    data = out._data
    if (
        type(tangent) is not Tensor
        or tangent._data.shape != data.shape
        or tangent._data.dtype != data.dtype
    ):
        tangent = _conform(tangent, out)
    set_tangent(out, level, tangent)


def _conform(tangent, out):
    """A rule's tangent of another shape (broadcast), dtype (cast) or kind (refused)."""
    if not isinstance(tangent, Tensor):
        raise TypeError(f"a jvp rule returned {type(tangent).__name__}, expected a Tensor")
    if tangent._data.dtype != out._data.dtype:
        tangent = tangent.to(out.dtype)
    if tangent._data.shape != out._data.shape:
        tangent = tangent.expand(out._data.shape)
    return tangent


def enter() -> DualLevel:
    return _levels.push(DualLevel())
