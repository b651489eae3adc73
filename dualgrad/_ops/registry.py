"""The op record and the helpers that derive rules from an op's declared kind.

Each primitive is one ``Op``: its NumPy forward, its vjp and jvp rules (written only in
dualgrad ops, so they are differentiable in both modes), and its batching slot. The helpers
below build the record from the least a kind needs:

- ``elementwise``: the local partial derivative per input; vjp = g * d (summed over broadcast
  dims), jvp = sum_i d_i * x_t_i.
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

from .._dispatch import apply as _apply
from .._dispatch import apply_binary as _apply_binary
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
# The mul op, once elementwise.py has registered it: rules multiply by calling the dispatcher
# directly, one Python call fewer than ``g * d`` (NOTE: [hot path] in _dispatch.py).
_MUL: list = []
_WHERE: list = []  # (and where, for selecting partials)
_NONE_SELECTED = None  # a 0-d False: where(it, g, 0) is 0 shaped (and batched) as g


# NOTE: [selecting partials]
# A partial that is a mask (relu's out > 0, clamp's range) or declared 0 (floor's) selects:
# torch computes those gradients with where / zeros, so a nan or inf cotangent stays out of
# the elements the mask drops (g * False would be nan there). So a bool partial is applied as
# where(d, g, 0), and a declared 0 is the 0-d mask False. Other partials multiply, as in torch,
# a number 0 too (mul's partial y for ``x * 0``: an inf cotangent gives nan there too).
def _none_selected(*args, out=None, **params):
    """The partial declared 0: a 0-d False (NOTE: [selecting partials])."""
    global _NONE_SELECTED
    if _NONE_SELECTED is None:
        _NONE_SELECTED = Tensor._make(np.zeros((), dtype=bool))
    return _NONE_SELECTED


def _scale(g, d):
    """g times the partial d: skipping the multiply for the constants 1 and -1, selecting for
    a mask (NOTE: [selecting partials])."""
    if type(d) in (int, float):
        if d == 1:
            return g
        if d == -1:
            return -g
    elif d._data.dtype.kind == "b":
        return _apply(_WHERE[0], g, 0.0, d)
    return _apply_binary(_MUL[0], g, d)


def sum_to(g, shape):
    """Sum ``g`` over the dims that broadcasting added to reach its shape from ``shape``."""
    shape = tuple(shape)
    if g._data.shape == shape:
        return g
    if not _REDUCTION:  # rules are written in dualgrad ops; reduction.py imports this module
        from . import reduction

        _REDUCTION.append(reduction)
    lead = g.ndim - len(shape)
    kept = tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if not kept:  # only leading dims were added (a bias): one sum, no reshape
        return _REDUCTION[0].sum(g, dim=tuple(range(lead)))
    g = _REDUCTION[0].sum(g, dim=tuple(range(lead)) + kept, keepdim=True)
    return g.reshape(shape) if lead else g


_REDUCTION: list = []


def _zeros_like(x):
    """Zeros of x's shape and dtype, unbatched inside vmap (they broadcast: the same for
    every element), so shape and dtype are all that is read."""
    return Tensor._make(np.zeros(x._data.shape, dtype=x._data.dtype))


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


# ------------------------------------------------------------------ kinds
def elementwise(name: str, forward: Callable, partials, **kw) -> Op:
    """An element-wise op from its local partials: ``partials[i](*args, out=, **params)``.

    A partial may be a number (1, -1, 0: no multiply or no dependence on any value).
    """
    constant = all(not callable(d) for d in partials)
    partials = tuple(_none_selected if (not callable(d) and d == 0) else d for d in partials)

    def vjp(g, *args, out, needs, **params):
        grads = []
        for i, a in enumerate(args):
            if not needs[i]:
                grads.append(None)
                continue
            d = partials[i]
            d = d(*args, out=out, **params) if callable(d) else d
            gi = _scale(g, d)
            grads.append(gi if gi._data.shape == a._data.shape else sum_to(gi, a._data.shape))
        return grads

    def jvp(tangents, *args, out, **params):
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            d = partials[i]
            d = d(*args, out=out, **params) if callable(d) else d
            term = _scale(t, d)
            total = term if total is None else total + term
        return total

    if len(partials) == 1:
        vjp, jvp = _unary_rules(partials[0])
    elif len(partials) == 2:
        vjp = _binary_vjp(*partials)
    kw.setdefault("saves", not constant)
    return register(Op(name, forward, vjp, jvp, kind="elementwise", **kw))


def _binary_vjp(d0, d1):
    """``elementwise``'s vjp unrolled for two inputs (add, mul, ...): the hot path."""

    one0, one1 = (not callable(d) and d == 1 for d in (d0, d1))  # add's: g passes through

    def vjp(g, x, y, *, out, needs, **params):
        gx = gy = None
        if needs[0]:
            gx = g if one0 else _times_partial(g, d0, x, y, out, params)
            if gx._data.shape != x._data.shape:
                gx = sum_to(gx, x._data.shape)
        if needs[1]:
            gy = g if one1 else _times_partial(g, d1, x, y, out, params)
            if gy._data.shape != y._data.shape:
                gy = sum_to(gy, y._data.shape)
        return (gx, gy)

    return vjp


def _times_partial(g, d, x, y, out, params):
    """g times the partial ``d`` of a binary op (a number, or a function of the inputs);
    ``**params`` forwarded only when there are some (an empty one costs ~100 ns)."""
    if callable(d):
        d = d(x, y, out=out, **params) if params else d(x, y, out=out)
    return _scale(g, d)


def _unary_rules(d):
    """The same rules as in ``elementwise``, unrolled for one input: the common case on the
    hot path (NOTE: [hot path] in _dispatch.py). Shapes match, so there is no sum_to."""
    if callable(d):
        # (``**params`` forwarded only when there are some: an empty one costs ~100 ns)
        def vjp(g, x, *, out, needs, **params):
            return (_scale(g, d(x, out=out, **params) if params else d(x, out=out)),)

        def jvp(tangents, x, *, out, **params):
            return _scale(tangents[0], d(x, out=out, **params) if params else d(x, out=out))
    else:

        def vjp(g, x, *, out, needs, **params):
            return (_scale(g, d),)

        def jvp(tangents, x, *, out, **params):
            return _scale(tangents[0], d)

    return vjp, jvp


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
