"""Backward nodes: the reverse graph that ops record and the engine walks.

A node knows, for each input of the op that made it, the *edge* that input's gradient flows
along: ``(node, output_number)`` for a tensor made by an op, ``(AccumulateGrad, 0)`` for a leaf
that requires grad, ``None`` for anything else.

# NOTE: [compact edges]
In ``node.edges`` an edge into output 0 of a node (every single-output op, every leaf's
AccumulateGrad) is stored as the node itself, not as ``(node, 0)``: one tuple fewer per
recorded op, which is one object fewer for the garbage collector to scan while the graph
lives (NOTE: [objects per node] in _ground.py). ``next_functions`` and ``edge_pair`` give
the pairs back; only the engine and the recorders see the compact form.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref

import numpy as np

from . import _levels
from ._compat.hooks import RemovableHandle
from ._grad_mode import state as _grad_state
from ._tensor import INPLACE_EPOCH, Tensor, detach_history

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


# NOTE: [saved reads] of a multilinear op: the rule of input i reads every other input and of
# input i only its shape, as derivatives.yaml's formulas for mm, bmm and einsum do; so writing
# the only operand of a one-operand einsum after the op breaks nothing, as in torch. The number
# of inputs varies (einsum, multi_dot), hence a marker rather than a tuple (rule_reads).
READS_OTHERS = "others"


def rule_reads(op, i, n):
    """The inputs that the rule of input ``i`` of ``op`` (called on ``n`` inputs) reads."""
    if op.reads == READS_OTHERS:
        return [j for j in range(n) if j != i]
    return op.reads[i]


def saved_versions(op, args, needs, at_zero=False):
    """The version of each saved input that a needed rule reads (None: not checked); with
    ``at_zero``, 0 for each (what ``versions == 0`` in a node stands for). On a vmap level's
    tape, inputs off the tape (constants) are saved too and checked as torch checks them."""
    versions = []
    for a in args:
        if isinstance(a, Tensor):
            vc = a._vc
            versions.append(0 if at_zero or vc is None else vc[0])
        else:
            versions.append(None)
    if op.reads is not None:
        # Only the inputs the needed rules read are checked (NOTE: [saved reads] in registry.py)
        read = set()
        for i, need in enumerate(needs):
            if need:
                read.update(rule_reads(op, i, len(args)))
        versions = [v if i in read else None for i, v in enumerate(versions)]
    return versions


def edge_pair(edge):
    """``(node, output number)`` of an edge in either form (NOTE: [compact edges])."""
    return edge if type(edge) is tuple else (edge, 0)


def compact_edge(edge):
    """The form a node stores (NOTE: [compact edges])."""
    return edge[0] if edge is not None and edge[1] == 0 else edge


# NOTE: [node hooks] A node's hooks live in its ``pre_hooks`` dict, which the engine already
# tests per node: tensor hooks under their output number, the node's own pre-hooks and
# post-hooks (torch's Node.register_prehook / register_hook) under these two keys, so a node
# without hooks costs the engine nothing more. Tensor hooks run first, then the node's
# pre-hooks, then the node, then its post-hooks, in torch's order.
NODE_PRE = "node pre-hooks"
NODE_POST = "node post-hooks"
_METADATA: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _handle(hooks: list, fn) -> RemovableHandle:
    hooks.append(fn)
    return RemovableHandle(hooks, fn)


# NOTE: [order by sequence number] in engine.py: a node's number is taken once its edges exist.
_sequence = itertools.count(1)


class Node:
    """Base of all backward nodes; ``name()`` gives PyTorch's name (``MulBackward0``)."""

    seq = 0  # every kind of node sets its own (NOTE: [order by sequence number])

    __slots__ = ("edges", "pre_hooks", "__weakref__")
    num_outputs = 1

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self):
        return tuple(edge_pair(e) if e is not None else (None, 0) for e in self.edges)

    @property
    def metadata(self) -> dict:
        """A dict of this node's own, for the user's notes (torch's ``Node.metadata``)."""
        meta = _METADATA.get(self)
        if meta is None:
            meta = _METADATA[self] = {}
        return meta

    def register_prehook(self, fn, hook=None):
        """``fn(grad_outputs)`` runs before this node, after its tensors' hooks; it may return
        new ``grad_outputs``. Returns a handle whose ``remove()`` takes it out.

        (Called as ``register_prehook(output_nr, hook)``, the form Tensor.register_hook uses,
        it adds a tensor hook on that output: NOTE: [node hooks].)
        """
        if self.pre_hooks is None:
            self.pre_hooks = {}
        if hook is not None:  # a tensor's hook, on output ``fn``
            self.pre_hooks.setdefault(fn, []).append(hook)
            return None
        return _handle(self.pre_hooks.setdefault(NODE_PRE, []), fn)

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new
        ``grad_inputs``. Returns a handle whose ``remove()`` takes it out."""
        if self.pre_hooks is None:
            self.pre_hooks = {}
        return _handle(self.pre_hooks.setdefault(NODE_POST, []), fn)

    def _sequence_nr(self) -> int:
        return self.seq

    def release(self) -> None:
        """Free saved values after a backward without retain_graph."""

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


# NOTE: [saved outputs]
# A rule such as exp's (g * out) reads the op's output. Keeping the output tensor itself in the
# node makes a reference cycle (out.grad_fn is the node), so no intermediate result would be
# freed before the garbage collector runs: every large array a forward pass makes would stay
# allocated, and the next ones land on fresh pages (measured: exp of a 64x256 tensor 2.8x
# slower while recording). So, as PyTorch's SavedVariable does, the node keeps a stand-in: the
# same data and version counter, and this node as its grad_fn only when a rule runs with
# create_graph (double backward through the output). Under vmap too: a physical output's
# stand-in is the ground's, a wrapper's (a tensor on a transform's tape) is a wrapper over the
# same values one level down (_ground._wrapper_stand_in). With a dual level live the output's
# tangents are still to come, so the node keeps the output itself then (a cycle, freed by the
# garbage collector: hessian and jacfwd-over-anything still make them).
class OpNode(Node):
    """The node of one primitive call: the op, its saved inputs and output, its params.

    It is made, once per recorded op, by ``_ground._record``, which sets its slots inline
    (NOTE: [hot path] in _dispatch.py):

    - ``op``, ``args``, ``params``: the call; ``out``: the saved output (a stand-in) or None;
    - ``edges``: one per input (NOTE: [compact edges]); ``needs``: which of them are not None;
    - ``versions``: the versions of the saved inputs a needed rule reads, 0 for "all at
      version 0", None for "nothing to check" (a saved output is new: checked against 0);
    - ``epoch``: the in-place epoch when it was made (NOTE: [in-place epoch] in _tensor.py);
    - ``seq``: its number (NOTE: [order by sequence number] in engine.py);
    - ``num_outputs``: an attribute, not a property: the engine reads it per node.
    """

    __slots__ = ("op", "args", "params", "out", "versions", "num_outputs", "needs", "epoch", "seq")

    def name(self) -> str:
        return self.op.node_name

    def __dir__(self):
        # the saved-name properties of the class, only those this node has
        common = {a for a in super().__dir__() if not a.startswith(("_saved_", "_raw_saved_"))}
        return sorted(common | set(saved_names(self)))

    @property
    def freed(self) -> bool:
        return self.args is None

    def release(self) -> None:
        if self.op.saves:
            self.args = self.out = None

    def apply(self, grads):
        """Input gradients from output gradients (a tuple for multi-output ops). The engine
        runs the same steps inlined (NOTE: [hot path] in engine.py)."""
        if self.args is None:
            raise RuntimeError(_FREED)
        # NOTE: [in-place epoch] in _tensor.py: no in-place write since this node was made
        if self.epoch != INPLACE_EPOCH[0] and (self.versions is not None or self.out is not None):
            self._check_versions()
        g = tuple(grads) if self.op.multi_output else grads[0]
        if self.out is not None and _grad_state.enabled:
            self._connect_outputs()
        return self.op.vjp(g, *self.args, out=self.out, needs=self.needs, **self.params)

    def _connect_outputs(self) -> None:
        """With create_graph, a rule that reads the output must see its history (this node):
        the stand-ins get it now (NOTE: [saved outputs])."""
        outs = self.out if type(self.out) is tuple else (self.out,)
        diff = self.op.diff_outputs(len(outs)) if type(self.out) is tuple else (0,)
        for i in diff:
            o = outs[i]
            if o.grad_fn is None and o._data.dtype.kind == "f":
                o.grad_fn, o._out_nr, o._requires_grad = self, i, True

    def _check_versions(self) -> None:
        versions = self.versions
        if versions == 0:  # recorded with every input at version 0
            versions = saved_versions(self.op, self.args, self.needs, at_zero=True)
        if versions is not None:
            for i, (a, v) in enumerate(zip(self.args, versions)):
                if v is not None and a._vc is not None and a._vc[0] != v:
                    self._modified(f"input {i}", a, v)
        if self.out is not None:
            outs = self.out if type(self.out) is tuple else (self.out,)
            read = self.op.outputs_read
            for i, o in enumerate(outs):
                v = o._saved_version  # 0 but for an in-place op's (NOTE: [in-place ops])
                if o._vc is not None and o._vc[0] != v and (read is None or i in read):
                    self._modified(f"output {i}", o, v)

    def _modified(self, which, t, v):
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified "
            f"by an inplace operation: {which} of {self.name()} (a tensor of shape "
            f"{tuple(t.shape)}) is at version {t._vc[0]}; expected version {v} instead. "
            "Hint: clone() the tensor before modifying it in place, or do the in-place "
            "operation out of place."
        )


# NOTE: [stealing the gradient]
# The first gradient a leaf gets must be a buffer of its own (a later backward adds into it in
# place), so in general it is cloned. When nothing but the engine holds the incoming gradient
# and its array (no other tensor, view, saved value or hook kept it), the leaf can take the
# array as it is, as PyTorch does (it checks the use count too): no copy, and no fresh
# allocation, which for a large weight means fresh pages (measured: a 784x256 float32 grad's
# clone cost ~0.07 ms of a 2.3 ms MLP train step, six of them per step). The counts are
# CPython's reference counts along the engine's one call path: the buffer list, the
# ``accumulate`` argument, ``_engine_owns``'s argument and getrefcount's own. Those counts are
# CPython's up to 3.13 (tests/test_engine.py checks them); later versions borrow references
# in places, so there the gradient is always copied.
_ENGINE_REFS = 4
_COUNTS_KNOWN = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _engine_owns(g) -> bool:
    if not _COUNTS_KNOWN or sys.getrefcount(g) > _ENGINE_REFS:
        return False
    data = g._data
    if type(data) is not np.ndarray or sys.getrefcount(data) > 3:  # g, this name, the call
        return False
    if type(g) is Tensor:
        return data.base is None
    # A view made by a rule (the transposed matmul result from weight.t()'s backward, a
    # reshaped sum): its base tensor and array must be held by nothing else either.
    base = g._base  # only a view (_views._View) has one
    if base is None or sys.getrefcount(base) > 3:  # g, this name, the call
        return False
    owner = base._data
    return (
        type(owner) is np.ndarray
        and data.base is owner
        and owner.base is None
        and sys.getrefcount(owner) <= 4
    )  # base, data.base, this name, the call


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("_leaf", "seq", "edge", "post_accumulate_hooks")

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)
        self.edges = ()
        self.pre_hooks = None
        self.post_accumulate_hooks = None  # Tensor.register_post_accumulate_grad_hook
        self.seq = next(_sequence)
        self.edge = (self, 0)  # the edge into it, one object for every use of the leaf

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # torch's, C++ namespace and all

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"

    @property
    def variable(self):
        return self._leaf()

    def accumulate(self, g, create_graph: bool) -> None:
        if self.post_accumulate_hooks:  # (a call more would cost the steal: its reference)
            return self._accumulate_and_call_hooks(g, create_graph)
        leaf = self._leaf()
        if leaf is None:
            return
        if leaf.grad is None and not create_graph and not g._fw and _engine_owns(g):
            leaf.grad = Tensor._make(g._data)  # NOTE: [stealing the gradient]
            return
        if not create_graph:
            g = detach_history(g)
        if leaf.grad is None:
            # Own the buffer: later in-place accumulation must not touch the caller's tensor.
            leaf.grad = g if create_graph or g._fw else detach_history(g.clone())
        else:
            prev = _grad_state.enabled
            _grad_state.enabled = create_graph
            try:
                grad = leaf.grad
                if create_graph or g._fw or grad._fw or not grad._data.flags.writeable:
                    leaf.grad = grad + g
                else:  # in place, as torch's ``variable_grad += new_grad``: a reference held
                    grad.add_(g)  # to .grad (an optimizer's, a hook's) sees the sum
            finally:
                _grad_state.enabled = prev

    def _accumulate_and_call_hooks(self, g, create_graph: bool) -> None:
        hooks, self.post_accumulate_hooks = self.post_accumulate_hooks, None
        try:
            self.accumulate(g, create_graph)
        finally:
            self.post_accumulate_hooks = hooks
        leaf = self._leaf()
        if leaf is not None:
            for hook in list(hooks.values()):
                result = hook(leaf)
                # torch accepts a tensor returned (p.add_(...) returns one) and ignores it
                if result is not None and not isinstance(result, Tensor):
                    raise TypeError(
                        f"expected Variable, but hook returned '{type(result).__name__}'; "
                        "a post accumulate grad hook must return None"
                    )


Tensor._accumulator = AccumulateGrad  # a leaf's accumulator (NOTE: [import order] in __init__.py)


# ------------------------------------------------------------------ saved tensors
# Saved tensors: what a backward node keeps, under torch's names, and the pack/unpack hooks.
#
# A node of a primitive keeps its inputs in ``args`` and a stand-in for its output in ``out``
# (NOTE: [saved outputs]). Which of them are *saved* in torch's sense (what the
# rules read, so what torch would keep and what a pack hook sees) follows from the op's
# declaration, not from a list per op (NOTE: [saved names]).
#
# NOTE: [saved tensor hooks]
# Inside ``saved_tensors_hooks(pack, unpack)`` every tensor a node saves goes through ``pack``
# when the node is made, and the node keeps what ``pack`` returned in place of the tensor (a
# ``_Packed``); ``unpack`` runs each time the rule or a ``_saved_*`` attribute reads it, as in
# torch. The recorder (``_ground._node``) tests one list (``PACKING``, the hooks open in any
# thread) and calls ``pack_node`` only when it is not empty, so recording without hooks costs
# one global lookup more. A packed node is a ``PackedOpNode``: the same object and slots, a
# class of its own, so the engine runs it through ``apply`` (its inlined path is for OpNode
# only) and the unpacking is never on the hot path. As in torch, a packed tensor is not
# version-checked (the hooks own what they keep), and what ``unpack`` returns for a saved output
# gets this node as its history, so double backward through it works.

_new = object.__new__


class _HookState(threading.local):
    stack: tuple = ()  # the open (pack, unpack) pairs of this thread, innermost last
    disabled = None  # the message of an open disable_saved_tensors_hooks


HOOKS = _HookState()
# The pairs open in any thread; the recorder tests only this (NOTE: [saved tensor hooks])
PACKING: list = []


# NOTE: [saved names] torch names a node's saved tensors after the arguments of its
# derivatives.yaml entry: ``self`` and ``other`` for most ops, ``result`` for the output. The
# few nodes whose arguments are named otherwise are listed here by node name.
_INPUT_NAMES = {
    "MmBackward0": ("self", "mat2"),
    "MvBackward0": ("self", "vec"),
    "BmmBackward0": ("self", "mat2"),
    "DotBackward0": ("self", "tensor"),
    "WhereBackward0": ("self", "other", "condition"),  # where(condition, self, other)
    "PowBackward1": ("self", "exponent"),
    "AddmmBackward0": ("self", "mat1", "mat2"),
    "MseLossBackward0": ("self", "target"),
}
_DEFAULT_NAMES = ("self", "other")


def input_names(node) -> tuple:
    names = _INPUT_NAMES.get(node.name(), _DEFAULT_NAMES)
    n = len(node.needs)
    return tuple(names[i] if i < len(names) else f"input{i}" for i in range(n))


def saved_inputs(op, needs) -> list:
    """The inputs the needed rules read: what torch saves (NOTE: [saved reads]),
    in torch's order, that of the formulas that read them (mul's rule for ``self`` reads
    ``other``, so ``other`` is saved, packed and unpacked first)."""
    if not op.saves:
        return []
    n = len(needs)
    if op.reads is None:
        return list(range(n))
    read = {}
    for i, need in enumerate(needs):
        if need:
            read.update(dict.fromkeys(rule_reads(op, i, n)))
    return list(read)


def saved_outputs(op, n_out) -> list:
    if not op.uses_out:
        return []
    return [i for i in range(n_out) if op.outputs_read is None or i in op.outputs_read]


def _slots(node) -> dict:
    """``{name: ("in", i) | ("out", i) | ("param", key)}`` of a node's saved values."""
    op = node.op
    names = input_names(node)
    # every input some rule reads has its name, None where no needed rule reads it (torch's)
    slots = {names[i]: ("in", i) for i in saved_inputs(op, (True,) * len(node.needs))}
    if op.uses_out:
        n_out = node.num_outputs
        for i in saved_outputs(op, n_out):
            slots["result" if n_out == 1 else f"result{i}"] = ("out", i)
    if node.params:
        for key in node.params:
            slots.setdefault(key, ("param", key))
    return slots


def saved_names(node) -> list:
    """The ``_saved_*`` and ``_raw_saved_*`` attributes of a node, for ``dir()``."""
    names = []
    for key, slot in _slots(node).items():
        names.append(f"_saved_{key}")
        if slot[0] != "param":
            names.append(f"_raw_saved_{key}")
    return names


def saved_attribute(node, name):
    """``node._saved_<name>`` and ``node._raw_saved_<name>`` (torch's names: NOTE: [saved
    names]); AttributeError for anything else."""
    raw = name.startswith("_raw_saved_")
    if raw or name.startswith("_saved_"):
        key = name[len("_raw_saved_") :] if raw else name[len("_saved_") :]
        slot = _slots(node).get(key)
        if slot is not None and not (raw and slot[0] == "param"):
            if raw:
                return SavedTensor(node, slot)
            if slot[0] == "param":
                return node.params[slot[1]]
            return _read(node, slot)
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '{name}'")


# NOTE: [saved names as properties] ``node._saved_self`` and kin are properties of OpNode, one
# per name a node can have (the input and result names above, and every op's parameter names:
# ``saved_properties`` is called again when the op table is imported). Not a ``__getattr__``:
# a class with one loses CPython's specialised attribute access for every attribute, and the
# backward engine reads a node's slots many times per node (measured: 5% of the forward and
# backward of a small chain).
def saved_properties(names) -> None:
    """Give OpNode the ``_saved_<name>`` and ``_raw_saved_<name>`` properties of ``names``."""
    for name in names:
        for attr in (f"_saved_{name}", f"_raw_saved_{name}"):
            if attr not in OpNode.__dict__:
                setattr(OpNode, attr, property(lambda node, a=attr: saved_attribute(node, a)))


saved_properties(
    {n for names in _INPUT_NAMES.values() for n in names}
    | set(_DEFAULT_NAMES)
    | {f"input{i}" for i in range(8)}
    | {"result", *(f"result{i}" for i in range(8))}
)


def _stored(node, slot):
    kind, i = slot
    if kind == "in":
        return node.args[i]
    return node.out[i] if type(node.out) is tuple else node.out


def _store(node, slot, value) -> None:
    kind, i = slot
    if kind == "in":
        args = list(node.args)
        args[i] = value
        node.args = tuple(args)
    elif type(node.out) is tuple:
        out = list(node.out)
        out[i] = value
        node.out = tuple(out)
    else:
        node.out = value


def _read(node, slot):
    """A saved value as torch's ``_saved_*`` gives it: an input itself (the same object), an
    output as a new tensor with this node as its history, a packed one through ``unpack``."""
    if node.args is None:
        raise RuntimeError(_FREED)
    if slot[0] == "in" and slot[1] not in saved_inputs(node.op, node.needs):
        return None
    value = _stored(node, slot)
    if type(value) is _Packed:
        return value.unpack(node)
    if slot[0] == "out":
        return _with_history(value, node, slot[1])
    if not isinstance(value, Tensor):  # a Python number: torch shows it as a 0-d tensor
        from ._factories import tensor
        from ._dtype import float64, int64

        return tensor(value, dtype=float64 if isinstance(value, float) else int64)
    return value


def _with_history(o, node, nr):
    """An output read back: same data and version counter, and ``node`` as its grad_fn."""
    return _alias(o, (node, nr)) if o._data.dtype.kind == "f" else o


def _alias(t, edge):
    """``t``'s data, version counter and tangents with the history ``edge`` (a node and
    output number, or a leaf's AccumulateGrad, or None): what torch's unpacking gives, a new
    tensor whatever the hook returned, whose gradient reaches the tensor that was saved."""
    a = _new(Tensor)
    a._data = t._data
    a._vc = t._version_counter()
    if t._fw:
        a._fw = dict(t._fw)
    if edge is not None:
        node, nr = edge
        if type(node) is AccumulateGrad:
            a._acc = node
        else:
            a.grad_fn, a._out_nr = node, nr
        a._requires_grad = True
    return a


class _Packed:
    """What a pack hook returned, kept by the node in place of the tensor, and the history
    the unpacked tensor gets: the saved input's, or this node's for a saved output."""

    __slots__ = ("packed", "unpack_hook", "out_nr", "edge", "pending")

    def __init__(self, packed, unpack_hook, out_nr, edge=None, pending=None):
        self.packed, self.unpack_hook, self.out_nr, self.edge = packed, unpack_hook, out_nr, edge
        self.pending = pending  # (pack, output) whose packing waits for its tangents

    def unpack(self, node):
        if self.pending is not None:  # NOTE: [outputs packed after their tangents]
            pack, value = self.pending
            self.packed, self.pending = _call_hook(pack, value), None
        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError(
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(t).__name__}"
            )
        if self.out_nr is not None:
            return _with_history(t, node, self.out_nr)
        return _alias(t, self.edge)


def _edge_of(t):
    return t._edge() if t._requires_grad else None


# NOTE: [outputs packed after their tangents] torch packs a saved output at the end of the
# op, once its tangent exists. Here the node is recorded before a dual level pushes the
# output's tangent (NOTE: [dispatch order] in _dispatch.py), so inside a dual level a saved
# output is packed when it is first read instead (by backward or ``_saved_result``): a hook
# that copies it (save_on_cpu) then copies the tangent too. Outside dual levels, and for
# inputs, packing happens when the node is made, as in torch. A pack hook that keeps no copy
# and counts the calls (checkpoint's) says so with an attribute ``pack_now = True``, and is
# called at once.


# NOTE: [hooks see the user's levels] A node is recorded at the ground, where a dual level
# computing a value hides itself (NOTE: [levels] in _levels.py); a hook is user code and must
# see the levels the user is in (torch's pack sees the dual tensor, and save_on_cpu's copy must
# keep the tangent, or forward-over-reverse through it would lose it).
def _call_hook(hook, value):
    stack = _levels.stack
    if stack.ceiling == _levels.NO_CEILING:
        return hook(value)
    live = [lv for lv in stack.by_number.values() if lv.kind in ("dual", "vmap") and lv.alive]
    top = max(live, key=lambda lv: lv.number)
    levels, ceiling = stack.levels, stack.ceiling
    stack.levels, stack.ceiling = top.under + [top], _levels.NO_CEILING
    try:
        return hook(value)
    finally:
        stack.levels, stack.ceiling = levels, ceiling


def _pack(node, slot, value, pack, unpack):
    if slot[0] == "out":
        if value._data.dtype.kind == "f":
            # pack sees the output with its history, as torch's does (the recorder sets the
            # same fields on the output itself right after: NOTE: [saved outputs])
            value.grad_fn, value._out_nr, value._requires_grad = node, slot[1], True
        if _levels.stack.ceiling != _levels.NO_CEILING and not getattr(pack, "pack_now", False):
            packed = _Packed(None, unpack, slot[1], pending=(pack, value))
        else:
            packed = _Packed(_call_hook(pack, value), unpack, slot[1])
    else:
        packed = _Packed(_call_hook(pack, value), unpack, None, _edge_of(value))
    _store(node, slot, packed)


def pack_node(node) -> None:
    """Run this thread's innermost pack hook on what ``node`` saves (NOTE: [saved tensor
    hooks]); called by the recorder when ``PACKING`` is not empty."""
    if not HOOKS.stack:
        return  # hooks are open in another thread only
    pack, unpack = HOOKS.stack[-1]
    saved = saved_inputs(node.op, node.needs)
    _shapes_only(node, saved)
    slots = [s for s in _slots(node).values() if s[0] == "out" or (s[0] == "in" and s[1] in saved)]
    if not slots:
        return
    node.__class__ = PackedOpNode
    for slot in slots:
        value = _stored(node, slot)
        if isinstance(value, Tensor):
            _pack(node, slot, value, pack, unpack)


# NOTE: [unsaved inputs keep their shape only] A node keeps every input, though the rules of
# some read only an input's shape and dtype (add's, or mul's for the input that needs no
# gradient): torch keeps just the sizes then. Under saved-tensor hooks the hooks decide what
# the graph holds (checkpointing holds nothing), so there such an input is replaced by a
# tensor of its shape and dtype over one element (a zero-strided NumPy view: no memory).
def _shapes_only(node, saved) -> None:
    args = node.args
    if all(i in saved or not isinstance(a, Tensor) for i, a in enumerate(args)):
        return
    node.args = tuple(
        _shape_of(a) if i not in saved and type(a) is Tensor and type(a._data) is np.ndarray else a
        for i, a in enumerate(args)
    )


def _shape_of(a):
    data = a._data
    t = _new(Tensor)
    t._data = np.broadcast_to(np.zeros((), dtype=data.dtype), data.shape)
    return t


def pack_all(tensors) -> tuple:
    """A custom Function's saved tensors through this thread's pack hook, at
    ``save_for_backward`` (as torch's); None stays None."""
    pack, unpack = HOOKS.stack[-1]
    return tuple(
        None if t is None else _Packed(_call_hook(pack, t), unpack, None, _edge_of(t))
        for t in tensors
    )


def unpack_all(node, saved):
    return [s.unpack(node) if type(s) is _Packed else s for s in saved]


class PackedOpNode(OpNode):
    """An OpNode whose saved tensors went through pack hooks (NOTE: [saved tensor hooks])."""

    __slots__ = ()

    def apply(self, grads):
        if self.args is None:
            raise RuntimeError(_FREED)
        if self.versions:  # a list: some input was written in place before it was saved
            self._check_versions()
        args = list(self.args)
        for i in saved_inputs(self.op, self.needs):  # in torch's order (NOTE: [saved names])
            if type(args[i]) is _Packed:
                args[i] = args[i].unpack(self)
        out = self.out
        if type(out) is tuple:
            out = tuple(
                o.unpack(self) if type(o) is _Packed else _with_history(o, self, i)
                for i, o in enumerate(out)
            )
        elif type(out) is _Packed:
            out = out.unpack(self)
        elif out is not None:
            out = _with_history(out, self, 0)
        g = tuple(grads) if self.op.multi_output else grads[0]
        grads = self.op.vjp(g, *args, out=out, needs=self.needs, **self.params)
        return _cast_to_inputs(grads, args)

    def _check_versions(self) -> None:
        # Only what was kept as it was is checked: the hooks own the packed values (torch)
        for i, (a, v) in enumerate(zip(self.args, self.versions)):
            if v is not None and isinstance(a, Tensor) and a._vc is not None and a._vc[0] != v:
                self._modified(f"input {i}", a, v)


def _cast_to_inputs(grads, args):
    """Each input's gradient in its input's dtype (NOTE: [gradient dtypes] in engine.py)."""
    out = []
    for a, g in zip(args, grads):
        if g is not None and isinstance(a, Tensor) and g._data.dtype != a._data.dtype:
            if a._data.dtype.kind == "f":
                g = g.to(a.dtype)
        out.append(g)
    return out


class SavedTensor:
    """A node's saved tensor as torch's ``_raw_saved_*`` gives it: ``register_hooks(pack,
    unpack)`` packs it now and unpacks it at each read (NOTE: [saved tensor hooks])."""

    __slots__ = ("_node", "_slot")

    def __init__(self, node, slot):
        self._node = weakref.ref(node)
        self._slot = slot

    def register_hooks(self, pack_hook, unpack_hook) -> None:
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError(
                "register_hooks(): incompatible function arguments: pack_hook and unpack_hook "
                "must be callables"
            )
        node = self._node()
        if node is None or node.args is None:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved variables after "
                "calling backward."
            )
        value = _stored(node, self._slot)
        if type(value) is _Packed:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor whose hooks have already been set. "
                "Hint: only one pair of hooks is allowed at a time."
            )
        if not isinstance(value, Tensor):
            return  # a Python number: nothing to pack
        # pack sees a new tensor, as torch's register_hooks gives it
        value = _alias(value, (node, self._slot[1]) if self._slot[0] == "out" else _edge_of(value))
        node.__class__ = PackedOpNode
        _pack(node, self._slot, value, pack_hook, unpack_hook)

    def __repr__(self) -> str:
        return f"<dualgrad.autograd.graph.SavedTensor object at {id(self):#x}>"


# ------------------------------------------------------------------ the context managers
class saved_tensors_hooks:
    """Pack every tensor saved for backward inside the block with ``pack_hook``, and unpack it
    with ``unpack_hook`` when backward (or a ``_saved_*`` attribute) reads it, as torch's.

    >>> import dualgrad as dg
    >>> x = dg.ones(3, requires_grad=True)
    >>> with dg.autograd.graph.saved_tensors_hooks(lambda t: t * 4, lambda t: t / 4):
    ...     y = x.pow(2)
    >>> y.sum().backward()
    >>> x.grad
    tensor([2., 2., 2.])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if HOOKS.disabled is not None:
            raise RuntimeError(HOOKS.disabled)
        HOOKS.stack = HOOKS.stack + ((self.pack_hook, self.unpack_hook),)
        PACKING.append(self)

    def __exit__(self, *exc):
        HOOKS.stack = HOOKS.stack[:-1]
        PACKING.remove(self)
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors on the CPU, as torch's: here every tensor is on the CPU, so the hooks
    keep a copy (``pin_memory=True``, as torch's copy into pinned memory) or the tensor itself.

    >>> import dualgrad as dg
    >>> x = dg.ones(3, requires_grad=True)
    >>> with dg.autograd.graph.save_on_cpu(pin_memory=True):
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 2., 2.])
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack_to_cpu(tensor):
            if not pin_memory:
                return (tensor.device, tensor.cpu())
            return (tensor.device, _copy(tensor))

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


def _copy(t):
    from ._grad_mode import no_grad

    with no_grad():  # a copy of the value (its tangents too), not a node of the graph
        return t.clone()


class disable_saved_tensors_hooks:
    """Refuse saved-tensor hooks inside the block with ``error_message``, as torch's (a
    feature that cannot work with them says so)."""

    def __init__(self, error_message: str):
        self.error_message = error_message

    def __enter__(self):
        if HOOKS.stack:
            raise RuntimeError(self.error_message)
        self._prev = HOOKS.disabled
        HOOKS.disabled = self.error_message

    def __exit__(self, *exc):
        HOOKS.disabled = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with disable_saved_tensors_hooks(self.error_message):
                return fn(*args, **kwargs)

        return wrapper
