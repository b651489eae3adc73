"""A view(dtype) is a view autograd does not see (torch's non-differentiable views): a write into
it gives the view the write's history and leaves its base's alone, and a write into the base
leaves the view's own. Values and gradients against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

WRITES = {
    "mul_": lambda w, y: w.mul_(y),
    "add_": lambda w, y: w.add_(y * 2),
    "copy_": lambda w, y: w.copy_(y.sin().expand(3)),
    "setitem": lambda w, y: w.__setitem__(1, y),
}
SOURCES = {
    # the base has history of its own / none / is a detached clone given history afterwards
    "base_with_history": lambda m, x: x * 2,
    "base_constant": lambda m, x: x.detach() * 2,
    "base_history_after": lambda m, x: x.detach().clone().mul_(x),
}


def _run(m, source, write, then_base):
    x = m.tensor([1.5, 2.0, -1.0], dtype=m.float64, requires_grad=True)
    y = m.tensor(0.7, dtype=m.float64, requires_grad=True)
    v = SOURCES[source](m, x)
    w = v.view(v.dtype)
    WRITES[write](w, y)
    if then_base:
        v.mul_(3.0)  # a write into the base afterwards: the view keeps its own history
    c = m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
    loss = (w * c).sum() + (v * c * 5).sum()
    grads = m.autograd.grad(loss, (x, y), allow_unused=True)
    return [loss.detach().numpy()] + [None if g is None else g.numpy() for g in grads]


@pytest.mark.parametrize("then_base", [False, True])
@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_write_into_a_dtype_view_as_torch(source, write, then_base):
    try:
        want = _run(torch, source, write, then_base)
    except RuntimeError as e:
        with pytest.raises(RuntimeError):
            _run(dg, source, write, then_base)
        assert str(e)
        return
    got = _run(dg, source, write, then_base)
    for g, w in zip(got, want):
        assert (g is None) == (w is None), (got, want)
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_a_write_with_history_into_a_view_of_a_dtype_view_is_refused():
    """torch gives the dtype view the history (its views are based on it); dualgrad's views
    have one root, so it refuses rather than drop the gradient."""
    x = dg.tensor([1.5, 2.0, -1.0], dtype=dg.float64, requires_grad=True)
    y = dg.tensor(0.7, dtype=dg.float64, requires_grad=True)
    w = (x * 2).view(dg.float64)
    with pytest.raises(NotImplementedError, match="view of a view.dtype"):
        w[:2].mul_(y)
    w[:2].mul_(2.0)  # without history: the values only, as before
    assert w.tolist() == [6.0, 8.0, -2.0]


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("transform", ["vmap(grad)", "grad(vmap)", "vmap(jacfwd)"])
def test_write_into_a_dtype_view_under_transforms_as_torch(source, write, transform):
    """The same writes under vmap and the transforms composed with it: the view takes the
    write's history at every level (the wrapper level dropped it: y's gradient came out 0)."""

    def f(m, x, y):
        v = SOURCES[source](m, x)
        w = v.view(v.dtype)
        WRITES[write](w, y)
        c = m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
        return (w * c).sum() + (v * c * 5).sum()

    def run(m):
        F = m.func
        xs = m.tensor([[1.5, 2.0, -1.0], [0.5, -0.3, 2.5]], dtype=m.float64)
        ys = m.tensor([0.7, -1.2], dtype=m.float64)
        if transform == "vmap(grad)":
            return F.vmap(F.grad(lambda x, y: f(m, x, y), argnums=(0, 1)))(xs, ys)
        if transform == "grad(vmap)":
            batched = F.vmap(lambda x, y: f(m, x, y))
            return F.grad(lambda x, y: batched(x, y).pow(2).sum(), argnums=(0, 1))(xs, ys)
        return F.vmap(F.jacfwd(lambda y, x: f(m, x, y)))(ys, xs)

    try:
        want = run(torch)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            run(dg)
        return
    got = run(dg)
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.detach().numpy(), rtol=1e-12, atol=1e-12)
