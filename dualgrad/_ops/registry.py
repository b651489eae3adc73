"""The op record and the helpers that derive rules from an op's declared kind.

Each primitive is one ``Op``: its NumPy forward, its vjp and jvp rules (written only in
dualgrad ops, so they are differentiable in both modes), and its batching slot. The helpers
below build the record from the least a kind needs:

- ``elementwise`` (declared in elementwise.py, beside the mul and where its rules call): the
  local partial derivative per input; vjp = g * d (summed over broadcast dims), jvp =
  sum_i d_i * x_t_i.
- ``linear``: the adjoint; jvp = the op applied to the tangents (HIPS autograd's "linear ops
  as data", derivatives.yaml's ``result: auto_linear``).
- ``multilinear``: one vjp per input; jvp by the product rule, the op with one input swapped
  for its tangent at a time (ezyang's note in seed 003).
- ``custom``: both rules by hand, where derivation cannot serve.
- ``nondiff``: integer or bool results (comparisons, argmax): never require grad.

A differentiable op without both rules cannot be registered (``register`` raises).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._dual_level import processor_for, pusher_for
from .._graph import READS_OTHERS
from .._tensor import Tensor
from .._views import make_view

REGISTRY: dict[str, "Op"] = {}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class Op:
    """One primitive. See the module docstring for how the rules are made."""

    __slots__ = (
        "name",
        "forward",
        "vjp",
        "jvp",
        "batch",
        "kind",
        "node_name",
        "differentiable",
        "saves",
        "uses_out",
        "view",
        "make_view",
        "multi_output",
        "diff_outputs",
        "reads",
        "plain",
        "ufunc",
        "jvp_reads_inputs",
        "jvp_reads",
        "jvp_reads_out",
        "outputs_read",
        "broadcasting",
        "loops",
        "push_tangent",
        "jvp_one",
        "dual_process",
    )

    def __init__(
        self,
        name,
        forward,
        vjp=None,
        jvp=None,
        *,
        kind,
        node_name=None,
        differentiable=True,
        saves=True,
        uses_out=False,
        view=False,
        multi_output=False,
        diff_outputs=None,
        batch=None,
        reads=None,
        outputs_read=None,
        broadcasting=False,
        loops=False,
        jvp_one=None,
    ):
        self.name = name
        self.forward = forward
        self.vjp = vjp
        self.jvp = jvp
        self.batch = batch  # the batching rule (vmap), set once (NOTE: [batching by kind] in
        # _batching_rules.py); element-wise with broadcasting, the rule follows from it whether
        # or not the op is differentiable (comparisons, bitwise ops, where): kind ("nondiff")
        # and shape behaviour are separate fields
        self.broadcasting = broadcasting or kind == "elementwise"
        # runs once per batch element under vmap, by declaration: its output's shape depends on
        # the values (nonzero, unique); every other op must have a batching rule
        self.loops = loops
        self.kind = kind
        self.node_name = node_name or _camel(name) + "Backward0"
        self.differentiable = differentiable
        self.saves = saves  # False: rules read only shapes, so a freed graph can be reused
        self.uses_out = uses_out
        self.view = view
        self.make_view = (
            make_view if view else None
        )  # the output's record (NOTE: [views and in-place])
        self.multi_output = multi_output
        self.diff_outputs = diff_outputs or (lambda n: range(n))
        # NOTE: [saved reads] reads[i]: the inputs that input i's rule reads. A saved input is
        # version-checked at backward only if a needed rule reads it, as PyTorch saves only
        # what its formulas use: after y = x * 2, modifying x in place does not break y's
        # backward. None: every rule may read every input.
        self.reads = reads
        # The outputs of a multi-output op that its rules read (None: all); only those are
        # version-checked, as torch saves only max(dim)'s indices, not its values. (A saved
        # output is checked whichever inputs need gradients: torch saves ``result`` so.)
        self.outputs_read = outputs_read
        self.plain = not multi_output and not view  # one output, owns its memory (hot path)
        # the kernel's ufunc (kernels._fast), called directly on the hot path (NOTE: [fast
        # entries] in _dispatch.py); only for differentiable single-output ops
        self.ufunc = getattr(forward, "ufunc", None) if self.plain and differentiable else None
        # What a derived jvp rule reads, so the dispatcher makes the primals it sees (aliases
        # without the level's tangents: NOTE: [canonical form]) only where they are read:
        # element-wise rules with constant partials (add, sub, neg) read no input, and only
        # the rules of ops that save their output read it (linear and multilinear rules never).
        self.jvp_reads_inputs = not (kind == "elementwise" and not saves)
        # an element-wise jvp sums tangent * partial over the inputs with a tangent, and
        # partial i reads the inputs reads[i] (NOTE: [saved reads]); other kinds: all inputs
        self.jvp_reads = reads if kind == "elementwise" else None
        self.jvp_reads_out = uses_out or kind == "custom"
        # how a dual level pushes this op's tangent, chosen now (NOTE: [pushers])
        self.push_tangent = pusher_for(self)
        # a one-input element-wise op's jvp on its one tangent, ``jvp_one(t, x, out)``, for a
        # dual level's lean path (NOTE: [lean tangents] in _dual_level.py); None for others
        self.jvp_one = jvp_one
        self.dual_process = processor_for(self)

    def __repr__(self) -> str:
        return f"<op {self.name} ({self.kind})>"


def register(op: Op) -> Op:
    if op.name in REGISTRY:
        raise ValueError(f"op '{op.name}' is registered twice")
    if op.differentiable and (op.vjp is None or op.jvp is None):
        missing = "vjp" if op.vjp is None else "jvp"
        raise TypeError(f"op '{op.name}' has no {missing} rule; every differentiable op needs both")
    REGISTRY[op.name] = op
    return op


# ------------------------------------------------------------------ helpers for rules
def sum_to(g, shape):
    """Sum ``g`` over the dims that broadcasting added to reach its shape from ``shape``."""
    shape = tuple(shape)
    if g._data.shape == shape:
        return g
    # (the Tensor method, not reduction.sum: reduction.py builds on this module, NOTE:
    # [layered op modules] in _ops/__init__.py)
    lead = g.ndim - len(shape)
    kept = tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if not kept:  # only leading dims were added (a bias): one sum, no reshape
        return g.sum(dim=tuple(range(lead)))
    g = g.sum(dim=tuple(range(lead)) + kept, keepdim=True)
    return g.reshape(shape) if lead else g


def _zeros_like(x):
    """Zeros of x's shape and dtype, unbatched inside vmap (they broadcast: the same for
    every element), so shape and dtype are all that is read."""
    return Tensor._make(np.zeros(x._data.shape, dtype=x._data.dtype))


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


# ------------------------------------------------------------------ kinds
# (the element-wise kind, whose rules multiply by mul and select with where, is declared in
# elementwise.py beside those two ops: NOTE: [layered op modules] in _ops/__init__.py)
def linear(name: str, forward: Callable, adjoint: Callable, *, n_linear: int = 1, **kw) -> Op:
    """A linear op: ``adjoint(g, *args, needs=, **params)`` gives the input gradients.

    The first ``n_linear`` tensor inputs are the linear ones (jointly, as in ``cat`` or
    ``where``'s two branches); the rest are constants such as masks or indices. The jvp is the
    op itself applied to the tangents, with zeros standing in for missing ones.
    """
    from .._dispatch import apply

    def vjp(g, *args, out, needs, **params):
        return adjoint(g, *args, needs=needs, **params)

    def jvp(tangents, *args, out, **params):
        k = n_linear if n_linear >= 0 else len(args)
        lin = list(tangents[:k])
        if all(t is None for t in lin):
            return None
        if k == 1:
            return apply(op, lin[0], *args[1:], **params)
        for i in range(k):
            if lin[i] is None:  # a constant input: its tangent is zero
                lin[i] = _zeros_like(args[i]) if _is_tensor(args[i]) else 0.0
        return apply(op, *lin, *args[k:], **params)

    kw.setdefault("saves", False)
    op = Op(name, forward, vjp, jvp, kind="linear", **kw)
    return register(op)


def multilinear(name: str, forward: Callable, vjps, **kw) -> Op:
    """An op linear in each input separately (mul, matmul, einsum): jvp by the product rule."""
    from .._dispatch import apply

    def vjp(g, *args, out, needs, **params):
        return tuple(vjps[i](g, *args, **params) if needs[i] else None for i in range(len(args)))

    def jvp(tangents, *args, out, **params):
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            swapped = list(args)
            swapped[i] = t
            term = apply(op, *swapped, **params)
            total = term if total is None else total + term
        return total

    kw.setdefault("reads", READS_OTHERS)
    op = Op(name, forward, vjp, jvp, kind="multilinear", **kw)
    return register(op)


def custom(name: str, forward: Callable, vjp: Callable, jvp: Callable, **kw) -> Op:
    """An op whose rules are written by hand: ``vjp(g, *args, out, needs, **params)`` and
    ``jvp(tangents, *args, out, **params)``."""
    return register(Op(name, forward, vjp, jvp, kind="custom", **kw))


def nondiff(name: str, forward: Callable, **kw) -> Op:
    """An op whose outputs are integers or bools, or otherwise carry no derivative."""
    return register(Op(name, forward, kind="nondiff", differentiable=False, **kw))


# NOTE: [torch's node names by variant]
# torch records one computation under different nodes depending on how it was called: x.t() is
# TBackward0 where x.permute(1, 0) is PermuteBackward0, x.max() is MaxBackward1 where x.amax()
# is AmaxBackward0, a matrix times a vector is MvBackward0. A graph walked through
# ``next_functions`` (or drawn by viz.make_dot) shows those names, so each such spelling is a
# variant: its own registered op with the original's kernel, rules, kind and batching rule
# (looked up when called: batching rules are bound after the op table is imported), and
# torch's node name. The public function picks the variant; nothing per call decides a name.
def variant(op: Op, name: str, node_name: str) -> Op:
    """``op`` under another name and torch's ``node_name`` (NOTE: [torch's node names by
    variant]). Its rules are ``op``'s; a linear op's jvp applies ``op`` to the tangents."""

    new = Op(
        name,
        op.forward,
        op.vjp,
        op.jvp,
        kind=op.kind,
        node_name=node_name,
        differentiable=op.differentiable,
        saves=op.saves,
        uses_out=op.uses_out,
        view=op.view,
        multi_output=op.multi_output,
        diff_outputs=op.diff_outputs,
        batch=None if op.broadcasting else batched_as(op),
        reads=op.reads,
        outputs_read=op.outputs_read,
        broadcasting=op.broadcasting,
        loops=op.loops,
    )
    return register(new)


def batched_as(op: Op):
    """A batching rule that is ``op``'s, looked up when called (rules are bound to ops after the
    op table is imported): for an op whose params a generic rule of ``op``'s handles alike
    (mean's dims as sum's)."""

    def batch(this, physical, bdims, params, size):
        return op.batch(this, physical, bdims, params, size)

    batch.__name__ = f"batched_as_{op.name}"
    return batch
