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
import weakref

import numpy as np

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

    def register_prehook(self, output_nr: int, hook) -> None:
        if self.pre_hooks is None:
            self.pre_hooks = {}
        self.pre_hooks.setdefault(output_nr, []).append(hook)

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
# create_graph (double backward through the output). With a dual level live the output's
# tangents are still to come, so the node keeps the output itself then.
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

    def __getattr__(self, name):
        # only for names not found otherwise: torch's ``_saved_self``, ``_raw_saved_result``...
        from ._saved import saved_attribute

        return saved_attribute(self, name)

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

    __slots__ = ("_leaf", "seq", "edge")

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)
        self.edges = ()
        self.pre_hooks = None
        self.seq = next(_sequence)
        self.edge = (self, 0)  # the edge into it, one object for every use of the leaf

    @property
    def variable(self):
        return self._leaf()

    def accumulate(self, g, create_graph: bool) -> None:
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
                leaf.grad = leaf.grad + g
            finally:
                _grad_state.enabled = prev


Tensor._accumulator = AccumulateGrad  # a leaf's accumulator (NOTE: [import order] in __init__.py)
