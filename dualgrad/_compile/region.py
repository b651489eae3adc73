"""A compiled region as one node on the tape, as torch.compile's are (NOTE: [compiled
region]).

# NOTE: [compiled region]
Where a compiled call's outputs require grad, its program's results (no history) are joined to
the call's tensor arguments by one node, a custom Function whose backward is itself a
compiled function: the vjp of ``fn`` (``autograd.grad`` of the outputs that require grad with
respect to the arguments that do), traced and replayed like any other. Its forward is
recomputed inside that program (no activations are kept between forward and backward: the
price of a backward that is one replay), and ``create_graph=True`` makes the vjp's own outputs
require grad, so they get a region of their own: double backward by the same construction.
"""

from __future__ import annotations

from .._grad_mode import enable_grad
from .._grad_mode import state as _grad_state
from ..autograd.engine import grad as _grad
from ..autograd.function import Function
from ..func._pytree import tree_flatten, tree_unflatten


class Link:
    """What a region's node needs: the compiled vjp, and the outputs it gives history to."""

    def __init__(self, compiled, spec, leaves, tensor_pos, diff_in, diff_out):
        self.compiled = compiled  # the CompiledFunction of fn
        self.spec = spec  # the arguments' tree
        self.leaves = leaves  # the argument leaves (non-tensors are fixed by the guard key)
        self.tensor_pos = tensor_pos  # positions of the tensor leaves
        self.diff_in = diff_in  # indices into tensor_pos of the arguments that require grad
        self.diff_out = diff_out  # positions among the output leaves that require grad
        self.outputs = None

    def vjp(self):
        vjp = getattr(self.compiled, "_vjp", None)
        if vjp is None:  # (the compiled function's own class: region.py does not import api)
            vjp = self.compiled._vjp = type(self.compiled)(_VjpOf(self), fullgraph=False)
        return vjp


class _VjpOf:
    """``(tensors..., cotangents...) -> gradients`` of the arguments that require grad."""

    def __init__(self, link):
        self.fn = link.compiled.fn
        self.spec, self.leaves, self.tensor_pos = link.spec, link.leaves, link.tensor_pos
        self.diff_in, self.diff_out = link.diff_in, link.diff_out
        self.__qualname__ = "vjp of " + getattr(self.fn, "__qualname__", "a compiled function")

    def __call__(self, *args):
        n = len(self.tensor_pos)
        tensors, cots = args[:n], args[n:]
        leaves = list(self.leaves)
        for p, t in zip(self.tensor_pos, tensors):
            leaves[p] = t
        a, kw = tree_unflatten(self.spec, leaves)
        create_graph = _grad_state.enabled  # the engine runs a backward in create_graph's mode
        with enable_grad():
            outs, _ = tree_flatten(self.fn(*a, **kw))
        return _grad(
            [outs[j] for j in self.diff_out],
            [tensors[i] for i in self.diff_in],
            list(cots),
            allow_unused=True,
            materialize_grads=True,
            create_graph=create_graph,
        )


class CompiledRegion(Function):
    """The node of a compiled call (NOTE: [compiled region])."""

    @staticmethod
    def forward(ctx, link, *tensors):
        ctx.link = link
        ctx.save_for_backward(*tensors)
        return tuple(link.outputs)

    @staticmethod
    def backward(ctx, *grads):
        link = ctx.link
        tensors = ctx.saved_tensors
        gs = link.vjp()(*tensors, *grads)
        out = [None] * len(tensors)
        for i, g in zip(link.diff_in, gs):
            out[i] = g
        return (None, *out)


def join(link, out_leaves, tensors):
    """The output leaves with those that require grad given the region's node."""
    link.outputs = [out_leaves[j].detach() for j in link.diff_out]
    joined = CompiledRegion.apply(link, *tensors)
    link.outputs = None  # the node keeps the link: not the outputs (no cycle through them)
    out = list(out_leaves)
    for j, t in zip(link.diff_out, joined):
        out[j] = t
    return out
