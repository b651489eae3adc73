"""The dual level: forward mode as a level kind (NOTE: [levels] in _levels.py).

A dual tensor keeps its tangent of level L in ``t._fw[L]`` (PyTorch's API: make_dual,
unpack_dual). ``process`` computes the value one level down, with this level hidden (the ground
then records the node with the full inputs: NOTE: [dispatch order] in _dispatch.py), and then
this level's tangent with the op's jvp rule, whose ops run on primals stripped of this level
(NOTE: [canonical form]).
"""

from __future__ import annotations

from . import _levels
from ._dispatch import apply_fast, apply_function
from ._tensor import Tensor, alias, set_tangent
from ._views import _View

_stack = _levels.stack


class DualLevel(_levels.Level):
    kind = "dual"
    __slots__ = ()

    def process(self, op, args, params):
        stack = _stack
        levels, ceiling = stack.levels, stack.ceiling
        stack.levels, stack.ceiling = self.under, self.number
        try:
            out = apply_fast(op, args, params)  # (the fast entries see this level no more)
        finally:
            stack.levels, stack.ceiling = levels, ceiling
        op.push_tangent(op, args, params, out, self.number)
        return out

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
        for ref in self.holders:
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


# NOTE: [pushers] How an op's tangent is pushed is a fact of the op, so it is chosen once, when
# the op is made (``pusher_for``), not decided per call: an op with no derivative pushes
# nothing; an element-wise op of one input (sin, exp, ...), whose only input carries this
# level's tangent (that is why this level processes it), calls its rule on that tangent
# directly, with the primal stripped of this level only if the rule reads it, and gives the
# output its tangent as it is (same shape and dtype: the rule is element-wise on one
# input); every other op goes through the general ``_push_tangent``.
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
