"""Taylor mode (func.jet, func.laplacian): composition with the other levels, custom
Functions, pytrees, the Laplacian's variants and errors. The per-op columns are in
test_ops.py (test_taylor, test_laplacian). References: nested func.jvp, func.hessian and
closed forms; torch for an MLP's Hessian trace."""

from __future__ import annotations

from math import factorial

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad.func import grad, hessian, jet, jvp, laplacian, vmap

F64 = dg.float64


def t(values):
    return dg.tensor(values, dtype=F64)


X = t([0.3, 0.7, 1.1])
V1, V2, V3, V4 = t([1.0, -0.5, 0.2]), t([0.1, 0.4, -0.3]), t([0.2, 0.1, 0.5]), t([-0.3, 0.2, 0.1])


def nested(f, x, vs):
    """y_1..y_K of t -> f(x + sum_k v_k t^k / k!) by nested first-order jvp."""

    def curve(s):
        return f(x + sum(v * (s ** (k + 1) / factorial(k + 1)) for k, v in enumerate(vs)))

    refs, h = [], curve
    for _ in vs:
        h = (lambda inner: lambda s: jvp(inner, (s,), (dg.ones_like(s),))[1])(h)
        refs.append(h(t(0.0)))
    return refs


class MySin(dg.autograd.Function):
    """A Function with only a backward: Taylor mode derives its rules from it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class MyExp(dg.autograd.Function):
    """A Function with a jvp."""

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out

    @staticmethod
    def jvp(ctx, x_t):
        return ctx.out * x_t


CHAINS = {
    "sin-exp-tanh": lambda x: dg.tanh(dg.exp(dg.sin(x))),
    "sigmoid-log-sqrt": lambda x: dg.sqrt(dg.log(1.0 + dg.sigmoid(x))),
    "pow-div": lambda x: x**2.5 / (1.0 + x**3),
    "softmax": lambda x: dg.softmax(x * x, 0),
    "logsumexp": lambda x: dg.logsumexp(dg.stack([x, x.cos()]), 0),
    "matmul": lambda x: dg.tanh(dg.outer(x, x.sin()) @ x),
    "function-backward-only": lambda x: MySin.apply(x) * x,
    "function-jvp": lambda x: MyExp.apply(x.sin()),
}


@pytest.mark.parametrize("name", CHAINS)
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_jet_matches_nested_jvp(name, order):
    f = CHAINS[name]
    vs = [V1, V2, V3, V4][:order]
    y, ys = jet(f, (X,), (vs,))
    np.testing.assert_allclose(y.numpy(), f(X).numpy(), rtol=1e-12)
    for k, (got, ref) in enumerate(zip(ys, nested(f, X, vs))):
        np.testing.assert_allclose(
            got.numpy(), ref.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"y_{k + 1}"
        )


def test_jet_closed_form_sin():
    # along x(t) = x + t: y_k = sin^(k)(x)
    y, ys = jet(dg.sin, (X,), ([dg.ones_like(X), dg.zeros_like(X), dg.zeros_like(X)],))
    for got, ref in zip(ys, [X.cos(), -X.sin(), -X.cos()]):
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-14)


def test_jet_pytrees():
    def f(p, z):
        return {"a": p["u"] * z, "b": (p["w"].exp(), p["u"] + p["w"])}

    prim = ({"u": X, "w": X * 2}, X.cos())
    series = ([{"u": V1, "w": V2}, {"u": V3, "w": V4}], [V2, V1])
    out, out_series = jet(f, prim, series)
    assert set(out) == {"a", "b"} and len(out_series["b"]) == 2
    vs_all = lambda s: (
        {"u": X + V1 * s + V3 * s * s / 2, "w": X * 2 + V2 * s + V4 * s * s / 2},
        X.cos() + V2 * s + V1 * s * s / 2,
    )
    g = lambda s: f(*vs_all(s))["b"][0]
    d1 = jvp(g, (t(0.0),), (t(1.0),))[1]
    d2 = jvp(lambda s: jvp(g, (s,), (t(1.0),))[1], (t(0.0),), (t(1.0),))[1]
    np.testing.assert_allclose(out_series["b"][0][0].numpy(), d1.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out_series["b"][0][1].numpy(), d2.numpy(), rtol=1e-12)


def test_jet_under_vmap_and_vmap_under_jet():
    xs = dg.randn(5, 3, dtype=F64)
    batched = vmap(lambda x: jet(dg.tanh, (x,), ((V1, V2, V3),))[1][2])(xs)
    looped = dg.stack([jet(dg.tanh, (x,), ((V1, V2, V3),))[1][2] for x in xs])
    np.testing.assert_allclose(batched.numpy(), looped.numpy(), rtol=1e-13)
    ones = dg.ones_like(xs)
    inner = jet(vmap(lambda x: (x.sin() * x).sum()), (xs,), ((ones, ones),))[1][1]
    outer = jet(lambda x: (x.sin() * x).sum(1), (xs,), ((ones, ones),))[1][1]
    np.testing.assert_allclose(inner.numpy(), outer.numpy(), rtol=1e-13)


def test_grad_of_a_jet_coefficient():
    # y_2 of sin along (v1, v2) = -sin(x) v1^2 + cos(x) v2
    g = grad(lambda x: jet(dg.sin, (x,), ((V1, V2),))[1][1].sum())(X)
    np.testing.assert_allclose(g.numpy(), (-X.cos() * V1**2 - X.sin() * V2).numpy(), rtol=1e-13)
    x = X.clone().requires_grad_()
    jet(dg.exp, (x,), ((V1, V2),))[1][1].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (X.exp() * (V1**2 + V2)).numpy(), rtol=1e-13)


def test_jet_with_dual_levels_both_ways():
    outside = jvp(lambda x: jet(dg.sin, (x,), ((V1, V2),))[1][1], (X,), (V3,))[1]
    np.testing.assert_allclose(
        outside.numpy(), ((-X.cos() * V1**2 - X.sin() * V2) * V3).numpy(), rtol=1e-13
    )
    inside = jet(lambda x: jvp(dg.sin, (x,), (V1,))[1], (X,), ((V2,),))[1][0]
    np.testing.assert_allclose(inside.numpy(), (-X.sin() * V1 * V2).numpy(), rtol=1e-13)


def test_jet_writes_in_place():
    def f(x):
        y = x.clone()
        y[1:].mul_(x[:2])
        y[0] = x[2].exp()
        return y

    vs = [V1, V2, V3]
    ys = jet(f, (X,), (vs,))[1]
    for got, ref in zip(ys, nested(f, X, vs)):
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)


def mlp(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((o, i)) / np.sqrt(i), rng.standard_normal(o) * 0.1)
        for i, o in zip(sizes[:-1], sizes[1:])
    ]


def run_mlp(m, params, x):
    for k, (w, b) in enumerate(params):
        x = m.nn.functional.linear(x, m.tensor(w), m.tensor(b))
        if k < len(params) - 1:
            x = m.tanh(x)
    return x.sum()


def test_laplacian_of_an_mlp_against_torch():
    params = mlp([6, 16, 16, 1])
    x = np.random.default_rng(1).standard_normal(6)
    got = laplacian(lambda z: run_mlp(dg, params, z))(t(x))
    ref = torch.func.hessian(lambda z: run_mlp(torch, params, z))(torch.tensor(x)).trace()
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10)
    xs = np.random.default_rng(2).standard_normal((4, 6))
    got = vmap(laplacian(lambda z: run_mlp(dg, params, z)))(t(xs))
    ref = torch.func.vmap(
        lambda z: torch.func.hessian(lambda w: run_mlp(torch, params, w))(z).trace()
    )(torch.tensor(xs))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10)


def test_gradient_of_a_laplacian():
    # d/da of laplacian(sum(sin(a x))) = d/da (-a^2 sum sin(a x)) with respect to a
    a = t(0.7)
    f = lambda a: laplacian(lambda x: (a * x).sin().sum())(X)
    closed = lambda a: -(a**2) * (a * X).sin().sum()
    np.testing.assert_allclose(grad(f)(a).numpy(), grad(closed)(a).numpy(), rtol=1e-12)


def test_weighted_operator():
    f = lambda x: (x.sin() * x.roll(1, 0)).sum() + (x**3).prod()
    s = dg.randn(3, 2, dtype=F64)
    h = hessian(f)(X)
    np.testing.assert_allclose(
        laplacian(f, sigma=s)(X).numpy(), ((s @ s.T) * h).sum().numpy(), rtol=1e-11
    )


@pytest.mark.parametrize("distribution", ["rademacher", "normal"])
def test_randomized_laplacian_is_unbiased(distribution):
    f = lambda x: (x.sin() * x.roll(1, 0)).sum() + (x**3).prod()
    exact = float(hessian(f)(X).trace())
    g = dg.Generator().manual_seed(0)
    draws = [
        float(laplacian(f, samples=8, generator=g, distribution=distribution)(X))
        for _ in range(300)
    ]
    mean, err = np.mean(draws), np.std(draws) / np.sqrt(len(draws))
    assert abs(mean - exact) < 4 * err + 1e-12
    if distribution == "rademacher":  # the estimator is not the exact value every time
        assert np.std(draws) > 0


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="inconsistent lengths"):
        jet(dg.sin, (X, X), ([V1], [V1, V2]))
    with pytest.raises(ValueError, match="shape"):
        jet(dg.sin, (X,), ([t([1.0])],))
    with pytest.raises(ValueError, match="sigma must have shape"):
        laplacian(dg.sum, sigma=dg.ones(2, 2, dtype=F64))(X)
    with pytest.raises(ValueError, match="one element"):
        laplacian(dg.sin)(X)


def test_transforms_around_and_inside_jet():
    # hessian of a coefficient: d2/dx2 sum(cos(x) v) = diag(-cos(x) v)
    h = hessian(lambda x: jet(dg.sin, (x,), ((V1,),))[1][0].sum())(X)
    np.testing.assert_allclose(h.numpy(), dg.diag(-X.cos() * V1).numpy(), atol=1e-15)
    # jacfwd inside jet: d/ds of the Jacobian diag(cos(x + s v)) = diag(-sin(x) v)
    j = jet(dg.func.jacfwd(dg.sin), (X,), ((V1,),))[1][0]
    np.testing.assert_allclose(j.numpy(), dg.diag(-X.sin() * V1).numpy(), atol=1e-15)


@pytest.mark.parametrize("transform", [grad, dg.func.jacrev, hessian])
def test_reverse_mode_inside_jet_is_refused_not_zero(transform):
    with pytest.raises(NotImplementedError, match="reverse mode inside jet"):
        jet(transform(lambda x: x.sin().sum()), (X,), ((V1,),))
