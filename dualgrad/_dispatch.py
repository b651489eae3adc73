"""apply(op, *args, **params): the one entry point every primitive call goes through.

# NOTE: [hot path]
With no live level and nothing to record, ``apply`` is one NumPy call plus one tensor object:
no node, no tangent, no dtype table beyond the kernel's own. Everything else is in
``ground`` (kernels and the ordinary tape, _ground.py) and the levels' ``process`` (NOTE:
[levels] in _levels.py).

# NOTE: [dispatch order]
With levels live, ``apply`` finds the highest live level among the inputs (a dual level's
tangent in ``_fw``, a vmap level's wrapper, a transform's tape) and hands it the call; its
``process`` re-enters ``apply`` one level down, and the ground runs the kernel and records the
node on the ordinary tape. So for an op whose inputs carry tangents, the value is computed once
from the raw arrays, the backward node is attached saving the *full* inputs (tangents included,
so that a backward run inside a dual level propagates tangents: forward-over-reverse), and then
the tangents are computed from the lowest level up. The tangent of level L is computed by the
op's jvp rule from the inputs and output *stripped to levels below L* (NOTE: [canonical form]),
so every op the rule runs re-enters this dispatcher one level down. The node is attached before
the tangents so the rules' own ops see the output's history: reverse-over-forward.

# NOTE: [canonical form]
A tangent at level L carries only levels below L; a mixed partial is then stored once, as the
level-(L-1) tangent of the level-L tangent. ``alias(x, L)`` gives the primal a level-L rule
sees: same data, same autograd edge (so gradients reach ``x``), tangents of levels < L only.
"""

from __future__ import annotations

import numpy as np

from . import _levels
from ._parallel import SPLIT_FROM as _split
from ._grad_mode import state as _grad_state
from ._kernel_errors import kernel_error
from ._tensor import Tensor
from ._ground import _ONE, GROUND, _fast_node, _record, _wrap, ground

_stack = _levels.stack
_ndarray = np.ndarray
_new = object.__new__


def apply(op, *args, **params):
    """Run primitive ``op`` on tensors ``args``: values, backward node and tangents."""
    if _stack.levels:
        return _apply_at_levels(op, args, params)
    record = False
    if _grad_state.enabled and op.differentiable:
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                if not op.plain:
                    return ground(op, args, params)
                record = True
                break
    # NOTE: [hot path]: no level: the kernel, one new tensor, and a node if recording. Float
    # inputs that need no dtype handling go straight to the op's ufunc (kernels._fast).
    n = len(args)
    uf = op.ufunc
    try:  # free when nothing raises (Python 3.11): NOTE: [kernel errors]
        if n == 1:
            a = args[0]
            if not isinstance(a, Tensor):
                raise TypeError(
                    f"{op.name}(): argument 'input' must be Tensor, not {type(a).__name__}"
                )
            a = a._data
            if uf is not None and not params and a.dtype.kind == "f":
                raw = uf(a)
            else:
                raw = op.forward(a, **params)
        elif n == 2:
            a, b = args
            if isinstance(a, Tensor):
                a = a._data
            if isinstance(b, Tensor):
                b = b._data
            if (
                uf is not None
                and not params
                and type(a) is _ndarray
                and a.dtype.kind == "f"
                and (
                    (type(b) is _ndarray and a.dtype is b.dtype)
                    or (type(b) is float and a.dtype.itemsize > 2)  # NOTE: [half opmath]
                )
            ):
                raw = uf(a, b)
            else:
                raw = op.forward(a, b, **params)
        else:
            raw = op.forward(*[a._data if isinstance(a, Tensor) else a for a in args], **params)
    except ValueError as e:
        raise kernel_error(op, args, e) from None
    if op.plain:
        out = _new(Tensor)
        out._data = raw if type(raw) is _ndarray else np.asanyarray(raw)
        if record:
            _record(op, args, params, out)
        return out
    return _wrap(op, raw, args, params)


# NOTE: [fast entries]
# ``apply_unary(op, x)`` and ``apply_binary(op, a, b)`` are ``apply`` for the calls that
# dominate small-tensor code: an op with a NumPy ufunc kernel and no params, on float tensors
# of one dtype (or a tensor and a Python float) that carry no tangents and are on no vmap
# level's tape; levels may be live (a jvp rule's ops run on inputs stripped of the level's
# tangents: NOTE: [canonical form]), and then the node keeps the output itself, as
# ``_record`` does (NOTE: [saved outputs] in autograd/graph.py). They skip the argument
# tuple and dict, the loop over the inputs and the checks ``apply`` makes for every other case,
# and hand anything else to ``apply`` unchanged, so they are never a second semantics: measured
# on (16,) float32 tensors, 460 ns a call against apply's 660 (np.sin alone: 230). A tensor of
# SPLIT_FROM elements or more takes ``apply`` too: its kernel may split it over threads
# (NOTE: [parallel threshold] in _parallel.py), and beside its kernel's time the entry's is
# nothing.
# The element-wise functions, the Tensor operators and the derived rules call them.
_NO_PARAMS: dict = {}  # the params of a call without any; never mutated
_float = float  # one global lookup instead of a global and a builtin one, on the hot path
_int = int
_EXACT = 1 << 24  # the ints float32 holds exactly (float16 takes the kernel: _scalar_array)


def apply_unary(op, x):
    """``apply(op, x)`` for a one-input op; the fast case is in NOTE: [fast entries]."""
    uf = op.ufunc
    if (
        uf is None
        or type(x) is not Tensor
        or (data := x._data).dtype.kind != "f"
        or data.size >= _split[0]  # large: the kernel may split it (NOTE: [fast entries])
        or (_stack.levels and (x._fw or x._glevel >= 0))
    ):
        return _apply_one(op, x)
    raw = uf(data)
    out = _new(Tensor)
    out._data = raw if type(raw) is _ndarray else np.asanyarray(raw)
    if x._requires_grad and _grad_state.enabled:
        out.grad_fn = _fast_node(op, x, _ONE, out)
        out._requires_grad = True
    return out


def apply_binary(op, a, b):
    """``apply(op, a, b)`` for a two-input op; the fast case is in NOTE: [fast entries]."""
    uf = op.ufunc
    if (
        uf is None
        or type(a) is not Tensor
        or (
            _stack.levels
            and (a._fw or a._glevel >= 0 or (isinstance(b, Tensor) and (b._fw or b._glevel >= 0)))
        )
    ):
        return apply(op, a, b)
    x = a._data
    dt = x.dtype
    tb = type(b)
    if tb is Tensor:
        y = b._data
        if y.dtype is not dt or dt.kind != "f" or x.size >= _split[0]:
            return apply(op, a, b)
        record = (a._requires_grad or b._requires_grad) and _grad_state.enabled
    elif (
        (tb is _float or (tb is _int and -_EXACT <= b <= _EXACT))
        and dt.kind == "f"
        and x.size < _split[0]
    ):
        # The float as a 0-d array of the tensor's dtype: the value NumPy would convert it to
        # (NEP 50), and the ufunc runs ~150 ns faster than with a Python float. An int is
        # taken where every float dtype here holds it exactly (x * 3, pow's rule 3 * x**2),
        # so converting it once gives the same bits as NumPy's conversion in the kernel.
        y = _SCALARS.get((b, dt))
        if y is None:
            y = _scalar_array(b, dt)
            if y is None:
                return apply(op, a, b)
        record = a._requires_grad and _grad_state.enabled
    else:
        return apply(op, a, b)
    try:
        raw = uf(x, y)
    except ValueError as e:
        raise kernel_error(op, (a, b), e) from None
    out = _new(Tensor)
    out._data = raw if type(raw) is _ndarray else np.asanyarray(raw)
    if record:
        out.grad_fn = _fast_node(op, a, b, out)
        out._requires_grad = True
    return out


def apply_pair(op, a, b, otherwise):
    """``apply(op, a, b)`` for two Tensors of one float dtype that carry no level's value and
    record nothing: the kernel on the arrays and one new tensor. Any other pair goes to
    ``otherwise(a, b)``. A dual level's jvp rules use it for the product of a tangent and a
    partial, whose dtype is the primal's by construction (NOTE: [lean tangents] in
    _dual_level.py), with ``otherwise`` the rule's general path."""
    if (
        type(a) is not Tensor
        or type(b) is not Tensor
        or a._fw
        or b._fw
        or a._glevel >= 0
        or b._glevel >= 0
        or a._data.dtype is not b._data.dtype
        or a._data.dtype.kind != "f"
        or ((a._requires_grad or b._requires_grad) and _grad_state.enabled)
    ):
        return otherwise(a, b)
    try:
        raw = op.ufunc(a._data, b._data)
    except ValueError as e:
        raise kernel_error(op, (a, b), e) from None
    out = _new(Tensor)
    out._data = raw if type(raw) is _ndarray else np.asanyarray(raw)
    return out


def apply_fast(op, args, params):
    """``apply(op, *args, **params)`` through a fast entry where one serves (a ufunc, no
    params, one or two inputs): for the levels' calls one level down (NOTE: [levels])."""
    if op.ufunc is None or params or len(args) > 2:
        return apply(op, *args, **params)
    return (apply_unary if len(args) == 1 else apply_binary)(op, *args)


_SCALARS: dict = {}  # (Python float, dtype) -> 0-d array; bounded, since floats vary


def _scalar_array(value, dtype):
    if dtype.itemsize == 2:
        # float16: torch computes in float32 and rounds once (NOTE: [half opmath] in
        # _ops/kernels.py), so the number is not rounded to float16 first: the kernel's way
        return None
    with np.errstate(over="ignore"):  # 1e300 as float32 is inf, as NumPy and torch make it
        arr = np.array(value, dtype)
    if value == 0:
        # 0.0 and -0.0 are one dict key: a cached 0.0 would serve x / -0.0 (inf for -inf), so
        # zeros are never cached (the lookup above misses for both, and this runs each time)
        return arr
    if len(_SCALARS) >= 1024:
        _SCALARS.clear()
    _SCALARS[(value, dtype)] = arr
    return arr


def _apply_at_levels(op, args, params):
    """Hand the call to the highest live level among the inputs (NOTE: [dispatch order])."""
    return _top_level(op, args).process(op, args, params)


def apply_function(op, args, kwargs):
    """A custom Function's call (NOTE: [a Function as an op] in autograd/function.py): the
    highest live level among the inputs acts on it, with its ``process_function``."""
    if _stack.levels:
        return _top_level(op, args).process_function(op, args, kwargs)
    return op.run(args, kwargs, -1)  # no level: the ground's (NOTE: [hot path])


def _apply_one(op, x):
    """``apply(op, x)`` for a one-input call that ``apply_unary`` did not take: its highest
    level is the input's, so no loop over the inputs finds it (NOTE: [one input's level])."""
    if _stack.levels and isinstance(x, Tensor):
        return _apply_at_its_level(op, (x,), _NO_PARAMS)
    return apply(op, x)


def _apply_at_its_level(op, args, params):
    """``_apply_at_levels`` for one tensor input (and, like it, where a trace hooks in: NOTE:
    [forward trace hook] in viz/_forward.py)."""
    number = _level_in(args[0], _stack.ceiling, op)
    level = _stack.by_number.get(number) or _no_level(op, number, args)
    return level.process_one(op, args, params)


def _top_level(op, args):
    """The highest live level among the inputs: a dual level's tangent below the ceiling, a
    vmap level's wrapper, or, where the op records, a transform's tape; else the ground."""
    top = -1
    ceiling = _stack.ceiling
    for a in args:
        if isinstance(a, Tensor):
            # (``_level_in``, inline: a call per input costs the binary ops ~3%)
            fw = a._fw
            lv = max(fw) if fw else a._vlevel
            if lv >= ceiling or a._vlevel > lv or (a._requires_grad and a._glevel > lv):
                lv = _level_of(a, ceiling, _grad_state.enabled and op.differentiable)
            if lv > top:
                top = lv
    return _stack.by_number.get(top) or _no_level(op, top, args)


# NOTE: [one input's level] Most calls at a level have one tensor input (sin, exp, a rule's
# partials), and ``apply_unary``, which takes them first, knows it: it hands the ones it does not
# run itself to ``_apply_one``, which reads the input's level directly, without the loop.
def _level_in(a, ceiling, op):
    """The highest live level tensor ``a`` carries below the ceiling (-1: none)."""
    fw = a._fw
    lv = max(fw) if fw else a._vlevel
    # the common case (tangents of live levels only, or one wrapper) needs no more
    if lv >= ceiling or a._vlevel > lv or (a._requires_grad and a._glevel > lv):
        lv = _level_of(a, ceiling, _grad_state.enabled and op.differentiable)
    return lv


def _level_of(a, ceiling, on_tape):
    """The highest level ``a`` carries below the ceiling: a wrapper's, a tangent's, or, where
    the op records, its tape's (NOTE: [levels] in _levels.py)."""
    lv = max([k for k in a._fw or () if k < ceiling], default=a._vlevel)
    lv = max(lv, a._vlevel)
    if on_tape and a._requires_grad and a._glevel > lv:
        lv = a._glevel
    return lv


def _no_level(op, number, args):
    """The ground, where no input carries a live level; an error for an exited level."""
    if number < 0:
        return GROUND
    if any(isinstance(a, Tensor) and a._vlevel == number for a in args):
        raise RuntimeError(
            "a batched tensor escaped its vmap (it was stored outside the function and used "
            "after vmap returned); return it from the function instead"
        )
    raise RuntimeError(
        f"an input of this op belongs to level {number}, which has exited (a tensor kept from "
        "inside a transform or dual level that has ended); use values returned by it instead"
    )
