"""dualgrad.autograd.functional against torch.autograd.functional (float64)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.autograd.functional as AF
import torch.autograd.functional as TF

RNG = np.random.default_rng(3)
A = RNG.uniform(0.3, 1.2, (3,))
B = RNG.uniform(0.3, 1.2, (3,))
V = RNG.standard_normal(3)


def f_scalar(m):
    return lambda x, y: (m.sin(x) * y**2 + x * y).sum()


def f_vec(m):
    return lambda x, y: (x * y.exp(), x.sum() * y)


def close(a, b):
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            close(x, y)
        return
    np.testing.assert_allclose(np.asarray(a._data), b.detach().numpy(), rtol=1e-9, atol=1e-12)


def args(lib):
    return lib.tensor(A), lib.tensor(B)


def vecs(lib):
    return lib.tensor(V), lib.tensor(V[::-1].copy())


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_products(name):
    f = f_vec if name in ("vjp", "jvp") else f_scalar
    got = getattr(AF, name)(f(dg), args(dg), vecs(dg))
    ref = getattr(TF, name)(f(torch), args(torch), vecs(torch))
    close(got, ref)


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian(strategy):
    kw = {"strategy": strategy, "vectorize": strategy == "forward-mode"}
    close(
        AF.jacobian(f_vec(dg), args(dg), strategy=strategy),
        TF.jacobian(f_vec(torch), args(torch), **kw),
    )
    single = lambda m: lambda x: x.sin() * x.sum()  # noqa: E731
    close(
        AF.jacobian(single(dg), dg.tensor(A), strategy=strategy),
        TF.jacobian(single(torch), torch.tensor(A), **kw),
    )


@pytest.mark.parametrize("outer", ["reverse-mode", "forward-mode"])
def test_hessian(outer):
    kw = {"outer_jacobian_strategy": outer, "vectorize": outer == "forward-mode"}
    close(
        AF.hessian(f_scalar(dg), args(dg), outer_jacobian_strategy=outer),
        TF.hessian(f_scalar(torch), args(torch), **kw),
    )


def test_create_graph_keeps_results_differentiable():
    x = dg.tensor(A, requires_grad=True)
    _, (h,) = AF.hvp(lambda x: (x**4).sum(), (x,), (dg.tensor(V),), create_graph=True)
    (g,) = dg.autograd.grad(h.sum(), x)
    tx = torch.tensor(A, requires_grad=True)
    _, (th,) = TF.hvp(lambda x: (x**4).sum(), (tx,), (torch.tensor(V),), create_graph=True)
    (tg,) = torch.autograd.grad(th.sum(), tx)
    close(g, tg)


def test_strict_and_errors():
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda x, y: x * 2, args(dg), dg.tensor(V), strict=True)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        AF.jvp(lambda x: x, [1.0], None)
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        AF.hessian(lambda x: x * 2, dg.tensor(A))


def test_jacobian_requires_grad_as_torch():
    """create_graph=True gives a Jacobian with history (even for inputs that do not require
    grad, as torch); without it, none; and the values are jacrev's."""
    f = lambda m: lambda x: m.sin(x) * x  # noqa: E731
    flags = {}
    for lib in (dg, torch):
        x, xr = lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], requires_grad=True)
        jf = lib.autograd.functional.jacobian
        flags[lib] = (
            jf(f(lib), x, create_graph=True).requires_grad,
            jf(f(lib), xr, create_graph=True).requires_grad,
            jf(f(lib), xr).requires_grad,
        )
    assert flags[dg] == flags[torch] == (True, True, False)
    x = dg.tensor([1.0, 2.0])
    np.testing.assert_allclose(
        dg.autograd.functional.jacobian(f(dg), x, vectorize=True)._data,
        dg.func.jacrev(f(dg))(x)._data,
    )
