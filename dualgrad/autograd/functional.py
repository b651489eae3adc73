"""dualgrad.autograd.functional: torch.autograd.functional's API over dualgrad's transforms.

Conventions as torch's: ``inputs`` is a tensor or a tuple of tensors and results mirror it;
``create_graph`` keeps the results differentiable; ``strict`` raises when an output does not
depend on an input. Two differences, both improvements: ``jvp`` is true forward mode (torch
uses the double-vjp trick, two backward passes), and ``hvp`` is forward-over-reverse
(Pearlmutter) rather than reverse-over-reverse.
"""

from __future__ import annotations

from .. import _factories
from .._tensor import Tensor
from . import forward_ad as fwAD
from .engine import grad as _grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tuple(x, what):
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"The {what} given to the function must be either a Tensor or a tuple of "
                f"Tensors but the value at index {i} has type {type(t).__name__}."
            )
    return is_tuple, xs


def _prepare(inputs, create_graph):
    # Fresh leaves that keep tangents; with create_graph they stay connected to the inputs.
    out = []
    for x in inputs:
        y = x.reshape(tuple(x.shape)) if (create_graph and x.requires_grad) else x.detach()
        if not y.requires_grad:
            y.requires_grad_(True)
        out.append(y)
    return tuple(out)


def _fill(grads, like, strict, what):
    res = []
    for i, (g, x) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. "
                    f"This is not allowed in strict mode ({what})."
                )
            g = _factories.zeros_like(x)
        res.append(g)
    return tuple(res)


def _finish(xs, is_tuple, create_graph):
    xs = _prepare(xs, create_graph) if create_graph else tuple(x.detach() for x in xs)
    return xs if is_tuple else xs[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``."""
    in_tuple, xs = _tuple(inputs, "inputs")
    xs = _prepare(xs, create_graph)
    outs = func(*xs)
    out_tuple, os = _tuple(outs, "outputs of the user-provided function")
    if v is None:
        if len(os) != 1 or os[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single "
                "Tensor with a single element."
            )
        vs = (None,)
    else:
        _, vs = _tuple(v, "v")
    live = [(o, w) for o, w in zip(os, vs) if o.requires_grad]
    grads = (
        _grad(
            [o for o, _ in live],
            xs,
            [w for _, w in live],
            create_graph=create_graph,
            retain_graph=True,
            allow_unused=True,
        )
        if live
        else [None] * len(xs)
    )
    return _finish(os, out_tuple, create_graph), _finish(
        _fill(grads, xs, strict, "vjp"), in_tuple, create_graph
    )


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)`` by forward mode (one pass, no double-vjp trick)."""
    in_tuple, xs = _tuple(inputs, "inputs")
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a "
                "single Tensor with a single element."
            )
        vs = (_factories.ones_like(xs[0]),)
    else:
        _, vs = _tuple(v, "v")
    xs = xs if create_graph else tuple(x.detach() for x in xs)
    with fwAD.dual_level():
        outs = func(*[fwAD.make_dual(x, t) for x, t in zip(xs, vs)])
        out_tuple, os = _tuple(outs, "outputs of the user-provided function")
        pairs = [fwAD.unpack_dual(o) for o in os]
    tangents = []
    for i, (p, t) in enumerate(pairs):
        if t is None:
            if strict:
                raise RuntimeError(
                    f"The output {i} of the user-provided function is independent of the inputs. "
                    "This is not allowed in strict mode (jvp)."
                )
            t = _factories.zeros_like(p)
        tangents.append(t)
    return _finish([p for p, _ in pairs], out_tuple, create_graph), _finish(
        tangents, out_tuple, create_graph
    )


def jacobian(
    func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"
):
    """The Jacobian, with torch's nesting: per output, per input, ``out.shape + in.shape``."""
    from ..func import jacfwd, jacrev

    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    in_tuple, xs = _tuple(inputs, "inputs")
    # The transform makes its own leaves; the inputs require grad only when an outer graph
    # must see the result (else the backward would record a graph of its own for nothing).
    xs = _prepare(xs, create_graph) if create_graph else tuple(x.detach() for x in xs)
    transform = jacrev if strategy == "reverse-mode" else jacfwd
    seen = {}

    def as_tuple(*a):
        seen["out_tuple"], outs = _tuple(func(*a), "outputs of the user-provided function")
        return tuple(outs)

    jac = transform(as_tuple, argnums=tuple(range(len(xs))))(*xs)
    out_tuple = seen["out_tuple"]
    if strict:  # which outputs have history at all: one evaluation on leaves that require grad
        xs = _prepare(xs, create_graph)
        os = _tuple(func(*xs), "outputs of the user-provided function")[1]
    if strict:
        for i, row in enumerate(jac):
            for j, block in enumerate(row):
                if not os[i].requires_grad or not _depends(func, xs, i, j):
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input {j}. "
                        "This is not allowed in strict mode."
                    )
    jac = tuple(tuple(b if create_graph else b.detach() for b in row) for row in jac)
    if not out_tuple and not in_tuple:
        return jac[0][0]
    if not out_tuple:
        return jac[0]
    if not in_tuple:
        return tuple(row[0] for row in jac)
    return jac


def _depends(func, xs, i, j):
    outs = _tuple(func(*xs), "outputs")[1]
    g = (
        _grad(outs[i].sum(), xs[j], retain_graph=True, allow_unused=True)[0]
        if outs[i].requires_grad
        else None
    )
    return g is not None


def hessian(
    func,
    inputs,
    create_graph=False,
    strict=False,
    vectorize=False,
    outer_jacobian_strategy="reverse-mode",
):
    """The Hessian of a scalar function: forward over reverse by default in effect."""
    from ..func import hessian as _hessian
    from ..func import jacrev

    in_tuple, xs = _tuple(inputs, "inputs")
    xs = _prepare(xs, create_graph)

    def scalar(*a):
        out = func(*a)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(
                "The function given to hessian should return a single Tensor with a single element"
            )
        return out.reshape(())

    argnums = tuple(range(len(xs)))
    if outer_jacobian_strategy == "forward-mode":
        h = _hessian(scalar, argnums)(*xs)
    else:
        h = jacrev(jacrev(scalar, argnums), argnums)(*xs)
    h = tuple(tuple(b if create_graph else b.detach() for b in row) for row in h)
    return h if in_tuple else h[0][0]


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` by forward over reverse: one backward inside one dual level."""
    in_tuple, xs = _tuple(inputs, "inputs")
    _, vs = _tuple(v, "v") if v is not None else (False, (_factories.ones_like(xs[0]),))
    xs = _prepare(xs, create_graph)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(x, t) for x, t in zip(xs, vs)]
        out = func(*duals)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(
                "The function given to hvp should return a single Tensor with a single element"
            )
        grads = _grad(out.reshape(()), xs, create_graph=create_graph, allow_unused=True)
        hv = [None if g is None else fwAD.unpack_dual(g).tangent for g in grads]
        value = fwAD.unpack_dual(out).primal
    return _finish([value], False, create_graph), _finish(
        _fill(hv, xs, strict, "hvp"), in_tuple, create_graph
    )


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` by reverse over reverse, as torch computes it."""
    in_tuple, xs = _tuple(inputs, "inputs")
    _, vs = _tuple(v, "v") if v is not None else (False, (_factories.ones_like(xs[0]),))
    xs = _prepare(xs, True)
    out = func(*xs)
    if not isinstance(out, Tensor) or out.numel() != 1:
        raise RuntimeError(
            "The function given to vhp should return a single Tensor with a single element"
        )
    grads = _grad(out.reshape(()), xs, create_graph=True, allow_unused=True)
    live = [(g, w) for g, w in zip(grads, vs) if g is not None and g.requires_grad]
    res = (
        _grad(
            [g for g, _ in live],
            xs,
            [w for _, w in live],
            create_graph=create_graph,
            allow_unused=True,
        )
        if live
        else [None] * len(xs)
    )
    return _finish([out], False, create_graph), _finish(
        _fill(res, xs, strict, "vhp"), in_tuple, create_graph
    )
