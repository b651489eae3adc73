"""The ground: below every level, the kernels and the ordinary tape (NOTE: [levels] in
_levels.py). ``ground`` runs an op's kernel on raw arrays, makes its output tensors and records
its node; ``_record``/``_node`` are what every tape uses to record (a transform's tape too:
TapeLevel), and the hot path of ``_dispatch.apply`` inlines the same steps.
"""

from __future__ import annotations

import numpy as np

from . import _levels
from ._anomaly import record as _anomaly_record
from ._anomaly import state as _anomaly
from ._graph import OpNode, _sequence, saved_versions
from ._grad_mode import state as _grad_state
from ._kernel_errors import kernel_error
from ._graph import PACKING as _PACKING
from ._graph import pack_node as _pack_node
from ._tensor import INPLACE_EPOCH as _INPLACE_EPOCH
from ._tensor import Tensor

_stack = _levels.stack
_ndarray = np.ndarray
_new = object.__new__


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
        self.holders = set()
        self.alive = True
        self.under = []

    def process(self, op, args, params):
        if len(args) == 1 and not isinstance(args[0], Tensor):
            raise TypeError(
                f"{op.name}(): argument 'input' must be Tensor, not {type(args[0]).__name__}"
            )
        return ground(op, args, params)

    def process_function(self, op, args, kwargs):
        return op.run(args, kwargs, -1)


GROUND = Ground()


def _wrap(op, raw, args, params):
    if op.plain:
        return Tensor._make(raw if type(raw) is _ndarray else np.asanyarray(raw))
    if op.multi_output:
        if op.view:  # each output a view by its piece: NOTE: [multi-output views] in _views.py
            return op.make_view(raw, op, params, args[0])
        return tuple(_to_tensor(r) for r in raw)
    raw = raw if type(raw) is _ndarray else np.asanyarray(raw)
    return op.make_view(raw, op, params, args[0])  # NOTE: [views and in-place] in _views.py


def _to_tensor(raw):
    return Tensor._make(raw if type(raw) is _ndarray else np.asanyarray(raw))


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
    if _PACKING:  # saved-tensor hooks are open (NOTE: [saved tensor hooks] in _graph.py)
        _pack_node(node)
    return node


# NOTE: [fast entries' nodes] ``_node`` for the calls of the fast entries (NOTE: [fast
# entries] in _dispatch.py), unrolled: one or two inputs, the second maybe a Python number, on
# the ordinary tape (the fast entries take no level's tensors), no params. The steps and the
# slots are ``_node``'s; only the loop over the inputs, the edge list and the mask are gone,
# ~200 of its ~550 ns. tests/test_fast_entry_nodes.py checks both make the same nodes.
def _edge_of(t):
    """Where the gradient of ``t`` (a plain Tensor) goes, in a node's compact form (NOTE:
    [compact edges] in autograd/graph.py), or None."""
    fn = t.grad_fn
    if fn is not None:
        return fn if t._out_nr == 0 else (fn, t._out_nr)
    if t._requires_grad:
        acc = t._acc
        return acc if acc is not None else t._edge()[0]
    return None


def _fast_node(op, a, b, out):
    """``_node(op, args, _NO_PARAMS, saved output)`` for ``op(a)`` (``b`` is ``_ONE``) or
    ``op(a, b)``, recording ``out``; ``a`` is a Tensor, ``b`` a Tensor or a number."""
    ea = _edge_of(a)
    vc = a._vc
    tracked = vc is not None and vc[0]
    node = _new(OpNode)
    if b is _ONE:
        node.args = (a,)
        node.edges = (ea,)
        node.needs = _NEEDS_ONE
    else:
        node.args = (a, b)
        if type(b) is Tensor:
            eb = _edge_of(b)
            vc = b._vc
            if vc is not None and vc[0]:
                tracked = True
        else:
            eb = None
        node.edges = (ea, eb)
        node.needs = _NEEDS_SMALL[2][(ea is not None) | (eb is not None) << 1]
    node.op = op
    node.params = FAST_ENTRY_PARAMS
    # from here on the steps are _node's, inlined on purpose: a shared helper is one more
    # call per recorded op (NOTE: [hot path] in _dispatch.py)
    node.out = _saved_output(out) if op.uses_out else None
    node.versions = (
        None if not op.saves else (saved_versions(op, node.args, node.needs) if tracked else 0)
    )
    node.pre_hooks = None
    node.num_outputs = 1
    node.epoch = _INPLACE_EPOCH[0]
    node.seq = next(_sequence)
    if _anomaly.enabled:
        _anomaly_record(node)
    if _PACKING:  # saved-tensor hooks are open (NOTE: [saved tensor hooks] in _graph.py)
        _pack_node(node)
    return node


_ONE = object()  # ``_fast_node``'s "no second input"
# The params of every node the fast entries record (never mutated). The engine knows such a
# node by it: NOTE: [gradient dtypes of fast entries' nodes] in autograd/engine.py.
FAST_ENTRY_PARAMS: dict = {}


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
_NEEDS_ONE = _NEEDS_SMALL[1][1]


def _saved_output(out):
    """What a node keeps of its output (NOTE: [saved outputs] in autograd/graph.py): with no
    level live, a stand-in sharing its data and version counter; else the tensor itself, whose
    tangents may still be attached (a dual level computing a value below itself hides the
    stack, not the registry: NOTE: [levels] in _levels.py)."""
    if _stack.by_number and _keep_itself(out):
        return out
    if type(out) is tuple:
        return tuple(_stand_in(o) for o in out)
    return _stand_in(out)


def _keep_itself(out) -> bool:
    """With levels live, whether the node must keep the output itself: only while a dual level
    is live (its tangents are still to come). Else a stand-in breaks the cycle node <-> output,
    so the nodes of vmap's physical ops and of a transform's tape inside vmap free their
    results as the ordinary tape's do (NOTE: [saved outputs])."""
    return any(level.kind == "dual" for level in _stack.by_number.values())


def _stand_in(o):
    if o._below is not None or o._value is not None:
        return _wrapper_stand_in(o)
    s = _new(Tensor)
    s._data = o._data
    vc = o._vc  # o._version_counter(), inlined: a new output has none yet
    if vc is None:
        vc = o._vc = [0]
    s._vc = vc
    return s


def _wrapper_stand_in(o):
    """The stand-in of a level's wrapper (a tensor on a transform's tape, batched or not): the
    same values one level down, batching, tape and version counter, no history of its own."""
    s = _new(type(o))
    if o._value is not None:  # batched: its physical value and batch dim
        s._value, s._bdim, s._vlevel = o._value, o._bdim, o._vlevel
    else:
        s._data = o._data
    s._below, s._glevel = o._below, o._glevel
    s._vc = o._version_counter()
    return s
