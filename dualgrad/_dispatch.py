"""apply(op, *args, **params): the one entry point every primitive call goes through.

# NOTE: [hot path]
With no live level and nothing to record, ``apply`` is one NumPy call plus one tensor object:
no node, no tangent, no dtype table beyond the kernel's own. Everything else is in
``ground`` (kernels and the ordinary tape) and the levels' ``process`` (NOTE: [levels] in
_levels.py).

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
from ._grad_mode import state as _grad_state
from ._kernel_errors import kernel_error
from ._tensor import INPLACE_EPOCH as _INPLACE_EPOCH
from ._tensor import Tensor
from ._anomaly import record as _anomaly_record
from ._anomaly import state as _anomaly
from ._graph import OpNode, _sequence, saved_versions

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
                and ((type(b) is _ndarray and a.dtype is b.dtype) or type(b) is float)
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
        out._data = raw if type(raw) is _ndarray else np.asarray(raw)
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
# on (16,) float32 tensors, 460 ns a call against apply's 660 (np.sin alone: 230).
# The element-wise functions, the Tensor operators and the derived rules call them.
_NO_PARAMS: dict = {}  # the params of every node the fast entries record; never mutated
_float = float  # one global lookup instead of a global and a builtin one, on the hot path


def apply_unary(op, x):
    """``apply(op, x)`` for a one-input op; the fast case is in NOTE: [fast entries]."""
    uf = op.ufunc
    if (
        uf is None
        or type(x) is not Tensor
        or x._data.dtype.kind != "f"
        or (_stack.levels and (x._fw or x._glevel >= 0))
    ):
        return apply(op, x)
    raw = uf(x._data)
    out = _new(Tensor)
    out._data = raw if type(raw) is _ndarray else np.asarray(raw)
    if x._requires_grad and _grad_state.enabled:
        out.grad_fn = _node(op, (x,), _NO_PARAMS, _saved_output(out) if op.uses_out else None)
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
        if y.dtype is not dt or dt.kind != "f":
            return apply(op, a, b)
        record = (a._requires_grad or b._requires_grad) and _grad_state.enabled
    elif tb is _float and dt.kind == "f":
        # The float as a 0-d array of the tensor's dtype: the value NumPy would convert it to
        # (NEP 50), and the ufunc runs ~150 ns faster than with a Python float.
        y = _SCALARS.get((b, dt))
        if y is None:
            y = _scalar_array(b, dt)
        record = a._requires_grad and _grad_state.enabled
    else:
        return apply(op, a, b)
    try:
        raw = uf(x, y)
    except ValueError as e:
        raise kernel_error(op, (a, b), e) from None
    out = _new(Tensor)
    out._data = raw if type(raw) is _ndarray else np.asarray(raw)
    if record:
        out.grad_fn = _node(op, (a, b), _NO_PARAMS, _saved_output(out) if op.uses_out else None)
        out._requires_grad = True
    return out


_SCALARS: dict = {}  # (Python float, dtype) -> 0-d array; bounded, since floats vary


def _scalar_array(value, dtype):
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


def _wrap(op, raw, args, params):
    if op.plain:
        return Tensor._make(raw if type(raw) is _ndarray else np.asarray(raw))
    if op.multi_output:
        if op.view:  # each output a view by its piece: NOTE: [multi-output views] in _views.py
            return op.make_view(raw, op, params, args[0])
        return tuple(_to_tensor(r) for r in raw)
    raw = raw if type(raw) is _ndarray else np.asarray(raw)
    return op.make_view(raw, op, params, args[0])  # NOTE: [views and in-place] in _views.py


def _to_tensor(raw):
    return Tensor._make(raw if type(raw) is _ndarray else np.asarray(raw))


def _apply_at_levels(op, args, params):
    """Hand the call to the highest live level among the inputs (NOTE: [dispatch order]):
    a dual level's tangent below the ceiling, a vmap level's wrapper, or, where the op records,
    a transform's tape. With none, the ground runs it."""
    top = -1
    ceiling = _stack.ceiling
    on_tape = _grad_state.enabled and op.differentiable
    for a in args:
        if isinstance(a, Tensor):
            fw = a._fw
            lv = max(a._vlevel, max(fw, default=-1)) if fw else a._vlevel
            if lv >= ceiling:  # levels at or above a dual level computing below itself
                lv = max([k for k in fw if k < ceiling], default=a._vlevel)
            if on_tape and a._requires_grad and a._glevel > lv:
                lv = a._glevel
            top = max(top, lv)
    level = _stack.by_number.get(top) or _no_level(op, top, args)
    return level.process(op, args, params)


def _no_level(op, number, args):
    """The ground, where no input carries a live level; an error for an exited level."""
    if number < 0 and (len(args) != 1 or isinstance(args[0], Tensor)):
        return GROUND
    if number < 0:
        raise TypeError(
            f"{op.name}(): argument 'input' must be Tensor, not {type(args[0]).__name__}"
        )
    if any(isinstance(a, Tensor) and a._vlevel == number for a in args):
        raise RuntimeError(
            "a batched tensor escaped its vmap (it was stored outside the function and used "
            "after vmap returned); return it from the function instead"
        )
    raise RuntimeError(
        f"an input of this op belongs to level {number}, which has exited (a tensor kept from "
        "inside a transform or dual level that has ended); use values returned by it instead"
    )


def ground(op, args, params):
    """Below every level: the kernel on the raw arrays, and the node on the ordinary tape."""
    try:
        raw = op.forward(*[a._data if isinstance(a, Tensor) else a for a in args], **params)
    except ValueError as e:
        raise kernel_error(op, args, e) from None
    out = _wrap(op, raw, args, params)
    if _grad_state.enabled and op.differentiable:
        for a in args:
            if isinstance(a, Tensor) and a._requires_grad:
                _record(op, args, params, out)
                break
    return out


class Ground(_levels.Level):
    """Below every level: the kernels and the ordinary tape (NOTE: [levels] in _levels.py)."""

    kind = "ground"
    __slots__ = ()

    def __init__(self):  # not numbered, never on the stack
        self.number = -1
        self.holders = []
        self.alive = True
        self.under = []

    def process(self, op, args, params):
        return ground(op, args, params)


GROUND = Ground()


def _record(op, args, params, out, level=-1):
    """Attach the backward node of ``op`` to ``out``; ``level``: the tape (-1: the ordinary one;
    else a vmap level's, which takes only the inputs on that tape: NOTE: [grad under vmap])."""
    node = _node(op, args, params, _saved_output(out) if op.uses_out else None, level)
    if op.multi_output:
        node.num_outputs = len(out)
        for i in op.diff_outputs(len(out)):
            o = out[i]
            if o._data.dtype.kind == "f":
                o.grad_fn, o._out_nr, o._requires_grad = node, i, True
    elif out._data.dtype.kind == "f":
        out.grad_fn = node
        out._requires_grad = True


def _node(op, args, params, saved_out, level=-1):
    """The backward node of one call, its edges taken from the inputs now. It runs once per
    recorded op, so OpNode's slots are set here, inline (NOTE: [hot path])."""
    edges = []
    mask = 0  # bit i: input i wants a gradient
    bit = 1
    tracked = False  # some input has been written in place (its version is not 0)
    for a in args:
        if not isinstance(a, Tensor):
            edges.append(None)
        elif level < 0 or a._glevel == level:
            vc = a._vc
            if vc is not None and vc[0]:
                tracked = True
            fn = a.grad_fn
            if fn is not None:  # NOTE: [compact edges] in autograd/graph.py
                edges.append(fn if a._out_nr == 0 else (fn, a._out_nr))
                mask |= bit
            elif a._requires_grad:
                acc = a._acc if type(a) is Tensor else None
                edges.append(acc if acc is not None else a._edge()[0])
                mask |= bit
            else:
                edges.append(None)
        else:  # not on this tape: no edge, but its version counts too (``versions == 0``
            # stands for every input, on the tape or not, at version 0)
            vc = a._vc
            if vc is not None and vc[0]:
                tracked = True
            edges.append(None)
        bit <<= 1
    n = len(args)
    needs = _NEEDS_SMALL[n][mask] if n < 3 else (_NEEDS.get((n, mask)) or _needs(n, mask))
    node = _new(OpNode)
    node.op = op
    node.needs = needs
    node.args = args
    node.params = params
    node.out = saved_out
    node.edges = tuple(edges)
    # NOTE: [saved reads] in registry.py. The common case, every input at version 0,
    # stores 0 ("every input at version 0") and builds the list only if a check is needed.
    node.versions = None if not op.saves else (saved_versions(op, args, needs) if tracked else 0)
    node.pre_hooks = None
    node.num_outputs = 1
    node.epoch = _INPLACE_EPOCH[0]
    node.seq = next(_sequence)
    if _anomaly.enabled:
        _anomaly_record(node)
    return node


# NOTE: [objects per node] Every container object the tape keeps alive counts towards
# Python's next garbage collection (700 new ones trigger a young collection; enough survivors
# trigger a full one, which scans everything in the process: ~45 ms with torch imported). So a
# node keeps as few new objects as it can: ``needs`` tuples are shared between nodes, the fast
# entries' nodes share one empty params dict, edges are compact (NOTE: [compact edges] in
# autograd/graph.py) and held in a tuple, and small tuples come from CPython's free lists,
# which do not count. Measured on benchmarks/overhead.py's chain (2,000 forward+backward
# runs): with a params dict, an edges list and an edge tuple per node, 1,834 young and 5 full
# collections, 0.51 us per op; with an OpNode and the output tensor as the only counted new
# objects, 195 and 1, 0.09 us per op.
_NEEDS: dict = {}


def _needs(n, mask):
    needs = _NEEDS[(n, mask)] = tuple(bool(mask >> i & 1) for i in range(n))
    return needs


_NEEDS_SMALL = [[_needs(n, mask) for mask in range(1 << n)] for n in range(3)]  # by n, mask


def _saved_output(out):
    """What a node keeps of its output (NOTE: [saved outputs] in autograd/graph.py): with no
    level live, a stand-in sharing its data and version counter; else the tensor itself, whose
    tangents may still be attached (a dual level computing a value below itself hides the
    stack, not the registry: NOTE: [levels] in _levels.py)."""
    if _stack.by_number:
        return out
    if type(out) is tuple:
        return tuple(_stand_in(o) for o in out)
    return _stand_in(out)


def _stand_in(o):
    s = _new(Tensor)
    s._data = o._data
    vc = o._vc  # o._version_counter(), inlined: a new output has none yet
    if vc is None:
        vc = o._vc = [0]
    s._vc = vc
    return s
