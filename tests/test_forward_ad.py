"""Forward mode with dual tensors, compared with PyTorch and with analytic values: the seed's
basic usage, make_dual's checks, nested levels (exact mixed partials), and forward and reverse
mode composed both ways.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwAD

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD

X0 = np.array([0.3, -1.2, 2.0])
V0 = np.array([1.5, 0.7, -0.4])
W0 = np.array([-0.6, 0.2, 1.1])


def t64(arr, requires_grad=False):
    # through a float64 ndarray: dg.tensor(0.7, dtype=dg.float64) currently rounds via float32
    return dg.tensor(np.asarray(arr, dtype=np.float64), requires_grad=requires_grad)


def tt64(arr, requires_grad=False):
    return torch.tensor(arr, dtype=torch.float64, requires_grad=requires_grad)


def close(a, b, rtol=1e-12, atol=1e-12):
    a = a.detach().numpy() if isinstance(a, dg.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.fixture(autouse=True)
def _no_level_leaks():
    """Every test must leave no dual level open (a failing one would poison the rest)."""
    yield
    from dualgrad import _levels

    while _levels.top("dual") is not None:
        fwAD.exit_dual_level()


# ---------------------------------------------------------------------------- seed 001
def test_seed_basic_usage():
    primal = dg.randn(10, 10)
    tangent = dg.randn(10, 10)

    def fn(x, y):
        return x**2 + y**2

    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual_input).tangent is tangent

        dual_input_alt = fwAD.make_dual(primal, tangent.T)
        alt_tangent = fwAD.unpack_dual(dual_input_alt).tangent
        assert alt_tangent is not tangent
        close(alt_tangent, tangent.T)

        plain_tensor = dg.randn(10, 10)
        dual_output = fn(dual_input, plain_tensor)
        jvp = fwAD.unpack_dual(dual_output).tangent
        close(jvp, 2 * primal.numpy() * tangent.numpy(), rtol=1e-6, atol=1e-6)
        assert fwAD.unpack_dual(plain_tensor).tangent is None

    assert fwAD.unpack_dual(dual_output).tangent is None
    assert fwAD.unpack_dual(dual_input).tangent is None


def test_seed_against_torch():
    x, v, y = t64(X0), t64(V0), t64(W0)
    tx, tv, ty = tt64(X0), tt64(V0), tt64(W0)

    def fn(m, a, b):
        return a**2 + b**2 + (a * b).sin() * a.exp()

    with fwAD.dual_level():
        out = fn(dg, fwAD.make_dual(x, v), y)
        jvp = fwAD.unpack_dual(out).tangent
    with tfwAD.dual_level():
        tout = fn(torch, tfwAD.make_dual(tx, tv), ty)
        tjvp = tfwAD.unpack_dual(tout).tangent
    close(out, tout)
    close(jvp, tjvp)


def test_unpack_dual_primal_shares_data_and_history():
    x = t64(X0, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x * 2, t64(V0))
        p, t = fwAD.unpack_dual(d)
        assert fwAD.unpack_dual(p).tangent is None
        assert np.shares_memory(
            p.numpy() if not p.requires_grad else p.detach().numpy(), d.detach().numpy()
        )
        assert p.grad_fn is d.grad_fn
        (g,) = dg.autograd.grad(p.sum(), x)
        close(g, 2 * np.ones(3))


def test_make_dual_is_view_of_primal():
    x = t64(X0)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t64(V0))
        assert np.shares_memory(d.numpy(), x.numpy())


def test_tangent_outside_level_is_gone_for_intermediates():
    x = t64(X0)
    with fwAD.dual_level():
        y = fwAD.make_dual(x, t64(V0)).exp()
        z = y * 2
        assert fwAD.unpack_dual(z).tangent is not None
    assert fwAD.unpack_dual(y).tangent is None and fwAD.unpack_dual(z).tangent is None
    assert y._fw is None and z._fw is None  # nothing of the closed level is kept
    with fwAD.dual_level():
        assert fwAD.unpack_dual(y * 2).tangent is None  # no confusion with a new level


# ---------------------------------------------------------------------------- make_dual errors
def test_make_dual_shape_mismatch():
    p = dg.randn(2, 3, dtype=dg.float64)
    with tfwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[3, 2\]"):
            tfwAD.make_dual(
                torch.randn(2, 3, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
            )
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
            fwAD.make_dual(p, dg.randn(3, 2, dtype=dg.float64))


def test_make_dual_tangent_dtype():
    # A floating tangent of another dtype is accepted as in torch (seed 001 does this) and
    # converted to the primal's dtype; a non-floating tangent is refused.
    p = dg.randn(2, 3, dtype=dg.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(p, dg.ones(2, 3, dtype=dg.float32))
        assert fwAD.unpack_dual(d).tangent.dtype == dg.float64
        assert (d * d).dtype == dg.float64
        with pytest.raises(
            ValueError, match="Expected tangent to be floating point.*int64"
        ):  # torch's type
            fwAD.make_dual(p, dg.ones(2, 3, dtype=dg.int64))


def test_make_dual_outside_level():
    with pytest.raises(RuntimeError, match="no level exists"):
        tfwAD.make_dual(torch.randn(2), torch.randn(2))
    with pytest.raises(RuntimeError, match="dual_level"):
        fwAD.make_dual(dg.randn(2), dg.randn(2))


def test_make_dual_at_exited_level():
    with fwAD.dual_level() as lvl:
        pass
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="not open"):
            fwAD.make_dual(dg.randn(2), dg.randn(2), level=lvl)


def test_make_dual_twice_same_level_and_wrong_tangent_level():
    with fwAD.dual_level() as l1:
        d = fwAD.make_dual(dg.randn(2), dg.randn(2))
        with pytest.raises(RuntimeError, match="already has a tangent"):
            fwAD.make_dual(d, dg.randn(2))
        with fwAD.dual_level() as l2:
            t2 = fwAD.make_dual(dg.randn(2), dg.randn(2), level=l2)
            # a tangent may carry only levels below its own
            with pytest.raises(RuntimeError, match="not below"):
                fwAD.make_dual(dg.randn(2), t2, level=l1)


def test_exit_levels_out_of_order():
    l1 = fwAD.enter_dual_level()
    l2 = fwAD.enter_dual_level()
    with pytest.raises(RuntimeError, match="reverse order"):
        fwAD.exit_dual_level(level=l1)
    fwAD.exit_dual_level(level=l2)
    fwAD.exit_dual_level(level=l1)


# ---------------------------------------------------------------------------- nested levels
def test_nested_mixed_partial_sin_xy():
    xv, yv = 0.7, -1.3
    x, y = t64(xv), t64(yv)
    with fwAD.dual_level() as l1:
        xd = fwAD.make_dual(x, t64(1.0), level=l1)
        with fwAD.dual_level() as l2:
            yd = fwAD.make_dual(y, t64(1.0), level=l2)
            out = (xd * yd).sin()
            d_dy = fwAD.unpack_dual(out, level=l2).tangent
            d_dx = fwAD.unpack_dual(out, level=l1).tangent
            mixed = fwAD.unpack_dual(d_dy, level=l1).tangent
            assert d_dy.item() == pytest.approx(xv * math.cos(xv * yv), abs=1e-14)
            assert d_dx.item() == pytest.approx(yv * math.cos(xv * yv), abs=1e-14)
            assert mixed.item() == pytest.approx(
                math.cos(xv * yv) - xv * yv * math.sin(xv * yv), abs=1e-14
            )
            # canonical form: the level-1 tangent carries no level-2 tangent
            assert fwAD.unpack_dual(d_dx, level=l2).tangent is None
        # leaving level 2 keeps level 1
        assert fwAD.unpack_dual(out, level=l1).tangent.item() == pytest.approx(
            yv * math.cos(xv * yv), abs=1e-14
        )
        assert fwAD.unpack_dual(out, level=l2).tangent is None


def test_nested_same_variable_cube():
    # x perturbed at both levels: the mixed partial of x**3 is 6x, not 0 or 12x
    xv = 1.3
    x = t64(xv)
    with fwAD.dual_level() as l1:
        x1 = fwAD.make_dual(x, t64(1.0), level=l1)
        with fwAD.dual_level() as l2:
            x2 = fwAD.make_dual(x1, t64(1.0), level=l2)
            out = x2**3
            t2 = fwAD.unpack_dual(out, level=l2).tangent
            assert t2.item() == pytest.approx(3 * xv**2, abs=1e-13)
            mixed = fwAD.unpack_dual(t2, level=l1).tangent
            assert mixed.item() == pytest.approx(6 * xv, abs=1e-13)
            assert fwAD.unpack_dual(out, level=l1).tangent.item() == pytest.approx(3 * xv**2)


def test_nested_third_order():
    # three levels on the same x: the level-1 tangent of the level-2 tangent of the level-3
    # tangent of exp(2x) is 8 exp(2x)
    xv = 0.4
    with fwAD.dual_level() as l1:
        x = fwAD.make_dual(t64(xv), t64(1.0), level=l1)
        with fwAD.dual_level() as l2:
            x = fwAD.make_dual(x, t64(1.0), level=l2)
            with fwAD.dual_level() as l3:
                x = fwAD.make_dual(x, t64(1.0), level=l3)
                out = (x * 2).exp()
                t3 = fwAD.unpack_dual(out, level=l3).tangent
                t32 = fwAD.unpack_dual(t3, level=l2).tangent
                t321 = fwAD.unpack_dual(t32, level=l1).tangent
                assert t321.item() == pytest.approx(8 * math.exp(2 * xv), rel=1e-13)


def test_nested_against_torch_func():
    # d/dx [J_y f . w] for f(x, y) = sum(sin(x * y) * x), compared with torch.func
    x, y, v, w = t64(X0), t64(W0), t64(V0), t64(np.ones(3))

    def f(m, a, b):
        return ((a * b).sin() * a).sum()

    with fwAD.dual_level() as l1:
        xd = fwAD.make_dual(x, v, level=l1)
        with fwAD.dual_level() as l2:
            yd = fwAD.make_dual(y, w, level=l2)
            out = f(dg, xd, yd)
            mixed = fwAD.unpack_dual(fwAD.unpack_dual(out, level=l2).tangent, level=l1).tangent

    tx, ty, tv, tw = tt64(X0), tt64(W0), tt64(V0), tt64(np.ones(3))

    def inner(a):
        return torch.func.jvp(lambda b: f(torch, a, b), (ty,), (tw,))[1]

    tmixed = torch.func.jvp(inner, (tx,), (tv,))[1]
    close(mixed, tmixed)


# ---------------------------------------------------------------------------- modes together
def _f_scalar(m, x):
    return (x.sin() * x**2).sum() + (x * x.exp()).sum() * x.cos().sum()


def _torch_hvp(x0, v0):
    grad_f = torch.func.grad(lambda t: _f_scalar(torch, t))
    return torch.func.jvp(grad_f, (tt64(x0),), (tt64(v0),))[1]


@pytest.mark.parametrize("create_graph", [False, True])
def test_forward_over_reverse_hvp(create_graph):
    x = t64(X0, requires_grad=True)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, t64(V0))
        (g,) = dg.autograd.grad(_f_scalar(dg, xd), x, create_graph=create_graph)
        hv = fwAD.unpack_dual(g).tangent
    assert hv is not None
    close(hv, _torch_hvp(X0, V0), rtol=1e-11, atol=1e-12)


def test_forward_over_reverse_grad_wrt_dual():
    # torch lets one differentiate w.r.t. the dual itself, too
    x = t64(X0, requires_grad=True)
    tx = tt64(X0, requires_grad=True)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, t64(V0))
        (g,) = dg.autograd.grad(_f_scalar(dg, xd), xd)
        hv = fwAD.unpack_dual(g).tangent
    with tfwAD.dual_level():
        txd = tfwAD.make_dual(tx, tt64(V0))
        (tg,) = torch.autograd.grad(_f_scalar(torch, txd), txd)
        thv = tfwAD.unpack_dual(tg).tangent
    close(g, tg)
    close(hv, thv, rtol=1e-11, atol=1e-12)


def test_forward_over_reverse_with_backward():
    x = t64(X0, requires_grad=True)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, t64(V0))
        _f_scalar(dg, xd).backward()
        hv = fwAD.unpack_dual(x.grad).tangent
    # torch drops the tangent from .grad of a non-dual leaf; we only require the value right,
    # and, if a tangent is kept, that it is H v
    close(x.grad, torch.func.grad(lambda t: _f_scalar(torch, t))(tt64(X0)))
    if hv is not None:
        close(hv, _torch_hvp(X0, V0), rtol=1e-11, atol=1e-12)


def _f_vec(m, x):
    return x.sin() * x**2 * x.exp().sum()


def test_reverse_over_forward():
    x = t64(X0, requires_grad=True)
    v = t64(V0, requires_grad=True)
    w = t64(W0)
    with fwAD.dual_level():
        out = _f_vec(dg, fwAD.make_dual(x, v))
        jv = fwAD.unpack_dual(out).tangent
        assert jv.requires_grad
        gx, gv = dg.autograd.grad((jv * w).sum(), [x, v])

    def jvp_dot(a, b):
        return (torch.func.jvp(lambda t: _f_vec(torch, t), (a,), (b,))[1] * tt64(W0)).sum()

    tgx, tgv = torch.func.grad(jvp_dot, argnums=(0, 1))(tt64(X0), tt64(V0))
    close(gx, tgx, rtol=1e-11, atol=1e-12)
    close(gv, tgv, rtol=1e-11, atol=1e-12)  # the vjp: J^T w


def test_reverse_over_forward_after_level_exit():
    # the reverse graph through the tangent outlives the level that made it
    x = t64(X0, requires_grad=True)
    with fwAD.dual_level():
        jv = fwAD.unpack_dual(_f_vec(dg, fwAD.make_dual(x, t64(V0)))).tangent
    (gx,) = dg.autograd.grad(jv.sum(), x)
    tgx = torch.func.grad(
        lambda a: torch.func.jvp(lambda t: _f_vec(torch, t), (a,), (tt64(V0),))[1].sum()
    )(tt64(X0))
    close(gx, tgx, rtol=1e-11, atol=1e-12)


def test_jvp_matches_vjp_adjoint():
    # <J v, w> == <v, J^T w>, forward against reverse, on the same function
    x = t64(X0, requires_grad=True)
    with fwAD.dual_level():
        jv = fwAD.unpack_dual(_f_vec(dg, fwAD.make_dual(x.detach(), t64(V0)))).tangent
    (jtw,) = dg.autograd.grad(_f_vec(dg, x), x, grad_outputs=t64(W0))
    assert float((jv * t64(W0)).sum()) == pytest.approx(float((t64(V0) * jtw).sum()), rel=1e-12)
    assert dg.autograd.check_adjoint(lambda t: _f_vec(dg, t), (x,))


@pytest.mark.parametrize("in_dims", [(0, 0), (0, None), (None, 0)])
def test_make_dual_of_values_batched_by_a_vmap_inside_the_dual_level(in_dims):
    """make_dual inside vmap, at a dual level entered outside it: the tangent lives below the
    vmap (torch 2.13 refuses: 'Batching rule not implemented for aten::_make_dual'; dualgrad
    refused too). Each row equals torch.func.jvp of the row."""
    rng = np.random.default_rng(0)
    p, t = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    fwAD = dg.autograd.forward_ad

    def f(primal, tangent):
        y = (fwAD.make_dual(primal, tangent) ** 2).sin()
        return fwAD.unpack_dual(y).tangent

    args = [dg.tensor(p if d is not None else p[0]) for d in in_dims[:1]] + [
        dg.tensor(t if in_dims[1] is not None else t[0])
    ]
    with fwAD.dual_level():
        got = dg.func.vmap(f, in_dims=in_dims)(*args).numpy()
    for row in range(3):
        pr = p[row] if in_dims[0] is not None else p[0]
        tr = t[row] if in_dims[1] is not None else t[0]
        _, want = torch.func.jvp(lambda x: (x**2).sin(), (torch.tensor(pr),), (torch.tensor(tr),))
        np.testing.assert_allclose(got[row], want.numpy(), rtol=1e-12)
