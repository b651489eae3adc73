"""Custom autograd Functions (issue 4), compared with PyTorch running the same code.

The seed examples (001 "Custom autograd Function", 004 all of it) run as written with the
library passed in as ``torch`` (dualgrad.tour.seed004_functions), on dualgrad and on torch, and their
numbers are compared. Then: rules derived when one is missing (both directions, first and
second order), nested levels, forward-over-reverse, the ctx API, every misuse's error, the
checkers catching wrong rules, and detect_anomaly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwAD

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD
from dualgrad.autograd.function import Function, FunctionCtx, once_differentiable
from dualgrad.tour import seed004_functions as define

X0 = np.array([0.3, -1.2, 2.0])
V0 = np.array([1.5, 0.7, -0.4])
W0 = np.array([-0.6, 0.2, 0.9])
M0 = np.random.RandomState(0).rand(3, 3)

DG = define(dg)
TH = define(torch)


@pytest.fixture(autouse=True)
def _restore_modes():
    yield
    dg.set_grad_enabled(True)
    torch.set_grad_enabled(True)
    dg.autograd.set_detect_anomaly(False)


def close(a, b, atol=1e-10):
    a = a.detach().numpy() if isinstance(a, dg.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=atol)


def leaf(lib, arr, requires_grad=True):
    return lib.tensor(
        np.asarray(arr, dtype=np.float64), dtype=lib.float64, requires_grad=requires_grad
    )


def tangent_of(t):
    return fwAD.unpack_dual(t).tangent


# ============================================================================ seed 001
def _seed001_fn(torch):
    class Fn(torch.autograd.Function):
        def forward(ctx, foo):
            result = torch.exp(foo)
            # Tensors stored in ctx can be used in the subsequent forward grad
            # computation.
            ctx.result = result
            return result

        def jvp(ctx, gI):
            gO = gI * ctx.result
            # If the tensor stored in ctx will not also be used in the backward pass,
            # one can manually free it using ``del``
            del ctx.result
            return gO

    return Fn


@pytest.mark.parametrize("lib", [dg, torch], ids=["dualgrad", "torch"])
def test_seed001_fn_as_written(lib):
    torch_ = lib
    fwAD_ = fwAD if lib is dg else tfwAD
    Fn = _seed001_fn(torch_)
    fn = Fn.apply
    torch_.manual_seed(0)
    primal = torch_.randn(10, 10, dtype=torch_.double, requires_grad=True)
    tangent = torch_.randn(10, 10)
    with fwAD_.dual_level():
        # float32 tangent, float64 primal, exactly as the seed writes it
        dual_input = fwAD_.make_dual(primal, tangent)
        dual_output = fn(dual_input)
        jvp = fwAD_.unpack_dual(dual_output).tangent
    close(jvp.detach(), (tangent.double() * primal.exp()).detach(), atol=1e-6)
    assert torch_.autograd.gradcheck(
        Fn.apply,
        (primal,),
        check_forward_ad=True,
        check_backward_ad=False,
        check_undefined_grad=False,
        check_batched_grad=False,
    )


def test_seed001_fn_against_torch():
    d, t = _seed001_fn(dg), _seed001_fn(torch)
    with fwAD.dual_level(), tfwAD.dual_level():
        yd = d.apply(fwAD.make_dual(leaf(dg, X0), leaf(dg, V0, False)))
        yt = t.apply(tfwAD.make_dual(leaf(torch, X0), leaf(torch, V0, False)))
        close(yd, yt)
        close(tangent_of(yd), tfwAD.unpack_dual(yt).tangent)
        assert yd.grad_fn.name() == yt.grad_fn.name() == "FnBackward"


# ============================================================================ seed 004
CASES = [("Square", M0), ("Exp", 1.0), ("sinh", M0), ("Cube", 2.0)]


def _fn(F, name):
    return F[name] if name == "sinh" else F[name].apply


@pytest.mark.parametrize("name,x0", CASES)
def test_seed004_gradcheck_gradgradcheck(name, x0):
    for lib, F in ((dg, DG), (torch, TH)):
        x = leaf(lib, x0)
        if name == "Exp":  # the seed's x: a non-leaf (clone of a leaf)
            x = lib.tensor(1.0, requires_grad=True, dtype=lib.double).clone()
        assert lib.autograd.gradcheck(_fn(F, name), x)
        assert lib.autograd.gradgradcheck(_fn(F, name), x)


@pytest.mark.parametrize("name,x0", CASES + [("Square", 1.0)])
def test_seed004_double_backward_against_torch(name, x0):
    res = []
    for lib, F in ((dg, DG), (torch, TH)):
        x = leaf(lib, x0).clone()
        out = _fn(F, name)(x)
        (grad_x,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        assert grad_x.requires_grad
        (gg,) = lib.autograd.grad((grad_x * grad_x).sum(), x)
        res.append((out, grad_x, gg))
    for a, b in zip(*res):
        close(a, b)
    assert res[0][0].grad_fn.name() == res[1][0].grad_fn.name()


def test_seed004_sinh_returns_three_outputs():
    xd, xt = leaf(dg, M0), leaf(torch, M0)
    od, ot = DG["Sinh"].apply(xd), TH["Sinh"].apply(xt)
    assert len(od) == 3
    for a, b in zip(od, ot):
        close(a, b)
        assert a.grad_fn is od[0].grad_fn and a.grad_fn.name() == "SinhBackward"
    assert [o._out_nr for o in od] == [0, 1, 2]
    (od[0] + od[1] * 2).sum().backward()
    (ot[0] + ot[1] * 2).sum().backward()
    close(xd.grad, xt.grad)


def test_seed004_sinhbad_is_wrong_as_in_torch():
    res = []
    for lib, F in ((dg, DG), (torch, TH)):
        x = leaf(lib, M0)
        out = F["SinhBad"].apply(x)
        (grad_x,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        assert not grad_x.requires_grad and grad_x.grad_fn is None  # no graph: the mistake
        assert lib.autograd.gradcheck(F["SinhBad"].apply, x)
        assert not lib.autograd.gradgradcheck(F["SinhBad"].apply, x, raise_exception=False)
        res.append((out, grad_x))
    for a, b in zip(*res):
        close(a, b)


def test_seed004_cube_graph_has_cubebackward():
    x = dg.tensor(2.0, requires_grad=True, dtype=dg.double)
    out = DG["Cube"].apply(x)
    (grad_x,) = dg.autograd.grad(out, x, create_graph=True)
    assert grad_x.grad_fn.name() == "CubeBackwardBackward"
    close(grad_x, 12.0)
    close(dg.autograd.grad(grad_x, x)[0], 12.0)


@pytest.mark.parametrize("name", ["Square", "Exp", "Cube", "sinh"])
def test_forward_over_reverse_hvp_against_torch(name):
    ref = {
        "Square": lambda t: (t**2).sum(),
        "Exp": lambda t: t.exp().sum(),
        "Cube": lambda t: (t**3).sum(),
        "sinh": lambda t: t.sinh().sum(),
    }[name]
    _, hv_ref = torch.autograd.functional.hvp(ref, torch.tensor(X0), torch.tensor(V0))
    x = leaf(dg, X0)
    with fwAD.dual_level():
        y = _fn(DG, name)(fwAD.make_dual(x, leaf(dg, V0, False))).sum()
        (g,) = dg.autograd.grad(y, x)
        close(tangent_of(g), hv_ref)
        # The same through torch's own Function and its forward-over-reverse.
    xt = leaf(torch, X0)
    (gt,) = torch.autograd.grad(_fn(TH, name)(xt).sum(), xt)
    close(g, gt)


# ============================================================================ forward mode
class ExpJvp(Function):
    """forward + jvp with save_for_forward: exact at every order of nesting."""

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_forward(out)
        return out

    @staticmethod
    def jvp(ctx, x_t):
        (out,) = ctx.saved_tensors
        return x_t * out


class MulJvp(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_forward(x, y)
        return x * y

    @staticmethod
    def jvp(ctx, x_t, y_t):
        x, y = ctx.saved_tensors
        return x_t * y + x * y_t


class Sin(Function):
    """backward only: its jvp is derived."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class SinJ(Function):
    """jvp only: its backward is derived."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_forward(x)
        return x.sin()

    @staticmethod
    def jvp(ctx, x_t):
        (x,) = ctx.saved_tensors
        return x_t * x.cos()


class Hypot(Function):
    """Two inputs, backward only, uses needs_input_grad like many real Functions."""

    @staticmethod
    def forward(ctx, x, y):
        out = (x * x + y * y).sqrt()
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        gx = g * x / out if ctx.needs_input_grad[0] else None
        gy = g * y / out if ctx.needs_input_grad[1] else None
        return gx, gy


class HypotJ(Function):
    @staticmethod
    def forward(ctx, x, y):
        out = (x * x + y * y).sqrt()
        ctx.save_for_forward(x, y, out)
        return out

    @staticmethod
    def jvp(ctx, x_t, y_t):
        x, y, out = ctx.saved_tensors
        return (x * x_t + y * y_t) / out


def test_jvp_used_in_dual_level():
    x = leaf(dg, X0, False)
    with fwAD.dual_level():
        y = ExpJvp.apply(fwAD.make_dual(x, leaf(dg, V0, False)))
        close(tangent_of(y), np.exp(X0) * V0)
        close(fwAD.unpack_dual(y).primal, np.exp(X0))
    assert y._fw is None  # level exited: tangents gone


def test_nested_levels_exact_mixed_partial_via_save_for_forward():
    x = leaf(dg, X0, False)
    with fwAD.dual_level() as l1:
        x1 = fwAD.make_dual(x, leaf(dg, V0, False))
        with fwAD.dual_level() as l2:
            x2 = fwAD.make_dual(x1, leaf(dg, W0, False))
            y = ExpJvp.apply(x2)
            t2 = fwAD.unpack_dual(y, level=l2).tangent
            close(t2, np.exp(X0) * W0)
            close(fwAD.unpack_dual(t2, level=l1).tangent, np.exp(X0) * V0 * W0)
            close(fwAD.unpack_dual(y, level=l1).tangent, np.exp(X0) * V0)


def test_nested_levels_two_inputs_mixed_partial():
    # d2(x*y)/dx dy = 1: perturb x at the outer level, y at the inner one.
    x, y = leaf(dg, X0, False), leaf(dg, V0, False)
    with fwAD.dual_level() as l1:
        xd = fwAD.make_dual(x, dg.ones(3, dtype=dg.float64))
        with fwAD.dual_level() as l2:
            yd = fwAD.make_dual(y, dg.ones(3, dtype=dg.float64))
            out = MulJvp.apply(xd, yd)
            t2 = fwAD.unpack_dual(out, level=l2).tangent
            close(t2, X0)
            close(fwAD.unpack_dual(t2, level=l1).tangent, np.ones(3))


def test_jvp_reverse_over_forward():
    x = leaf(dg, X0)
    with fwAD.dual_level():
        y = ExpJvp.apply(fwAD.make_dual(x, leaf(dg, V0, False)))
        (g,) = dg.autograd.grad(tangent_of(y).sum(), x)
    close(g, np.exp(X0) * V0)


# ---------------------------------------------------------------------------- derived jvp
def test_derived_jvp_first_order_against_torch():
    xt = leaf(torch, X0, False)
    _, ref = torch.func.jvp(torch.sin, (xt,), (torch.tensor(V0),))
    with fwAD.dual_level():
        y = Sin.apply(fwAD.make_dual(leaf(dg, X0, False), leaf(dg, V0, False)))
        close(tangent_of(y), ref)
        assert not tangent_of(y).requires_grad  # nothing recorded for a plain jvp


def test_derived_jvp_two_inputs_honours_needs_input_grad():
    x, y = leaf(dg, X0, False), leaf(dg, V0, False)
    with fwAD.dual_level():
        out = Hypot.apply(fwAD.make_dual(x, dg.ones(3, dtype=dg.float64)), y)
        close(tangent_of(out), X0 / np.hypot(X0, V0))


def test_derived_jvp_second_order_nested_levels():
    x = leaf(dg, X0, False)
    with fwAD.dual_level() as l1:
        x1 = fwAD.make_dual(x, leaf(dg, V0, False))
        with fwAD.dual_level() as l2:
            y = Sin.apply(fwAD.make_dual(x1, leaf(dg, W0, False)))
            t2 = fwAD.unpack_dual(y, level=l2).tangent
            close(t2, np.cos(X0) * W0)
            close(fwAD.unpack_dual(t2, level=l1).tangent, -np.sin(X0) * V0 * W0)


def test_derived_jvp_reverse_over_forward_and_forward_over_reverse():
    x = leaf(dg, X0)
    with fwAD.dual_level():
        y = Sin.apply(fwAD.make_dual(x, leaf(dg, V0, False)))
        (g,) = dg.autograd.grad(tangent_of(y).sum(), x)  # d/dx <cos x, v>
        close(g, -np.sin(X0) * V0)
    _, hv = torch.autograd.functional.hvp(
        lambda t: t.sin().sum(), torch.tensor(X0), torch.tensor(V0)
    )
    close(g, hv)


def test_derived_jvp_gradcheck_forward_mode():
    x = leaf(dg, X0)
    assert dg.autograd.gradcheck(Sin.apply, (x,), check_forward_ad=True)
    assert dg.autograd.gradcheck(Hypot.apply, (x, leaf(dg, V0)), check_forward_ad=True)
    assert dg.autograd.gradgradcheck(Sin.apply, (x,), check_fwd_over_rev=True)


def test_derived_jvp_multi_output_seed_sinh():
    x = leaf(dg, X0, False)
    with fwAD.dual_level():
        outs = DG["Sinh"].apply(fwAD.make_dual(x, leaf(dg, V0, False)))
        close(tangent_of(outs[0]), np.cosh(X0) * V0)
        close(tangent_of(outs[1]), np.exp(X0) * V0)
        close(tangent_of(outs[2]), -np.exp(-X0) * V0)


# ---------------------------------------------------------------------------- derived vjp
def test_derived_vjp_first_and_second_order_against_torch():
    x, xt = leaf(dg, X0), leaf(torch, X0)
    (g,) = dg.autograd.grad(SinJ.apply(x).sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(xt.sin().sum(), xt, create_graph=True)
    close(g, gt)
    (gg,) = dg.autograd.grad((g * g).sum(), x)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    close(gg, ggt)


def test_derived_vjp_two_inputs_and_checkers():
    x, y = leaf(dg, X0), leaf(dg, V0)
    out = HypotJ.apply(x, y)
    out.sum().backward()
    close(x.grad, X0 / np.hypot(X0, V0))
    close(y.grad, V0 / np.hypot(X0, V0))
    assert dg.autograd.gradcheck(HypotJ.apply, (x, y), check_forward_ad=True)
    assert dg.autograd.gradgradcheck(HypotJ.apply, (x, y))
    assert dg.autograd.gradgradcheck(SinJ.apply, (x,), check_fwd_over_rev=True)


def test_derived_vjp_forward_over_reverse():
    x = leaf(dg, X0)
    with fwAD.dual_level():
        y = SinJ.apply(fwAD.make_dual(x, leaf(dg, V0, False))).sum()
        (g,) = dg.autograd.grad(y, x)
        close(g, np.cos(X0))
        close(tangent_of(g), -np.sin(X0) * V0)


def test_only_jvp_without_grad_needed_never_calls_derivation():
    # seed 001's Fn deletes ctx.result in jvp: its derived backward then cannot run, and says so
    Fn = _seed001_fn(dg)
    x = leaf(dg, X0)
    with fwAD.dual_level():
        y = Fn.apply(fwAD.make_dual(x, leaf(dg, V0, False)))
    with pytest.raises(RuntimeError, match=r"Fn has no backward.*jvp raised AttributeError"):
        y.sum().backward()


# ============================================================================ ctx API
def test_setup_context_style_and_kwargs_defaults():
    class Scale(Function):
        @staticmethod
        def forward(x, k=3.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = leaf(dg, X0)
    Scale.apply(x).sum().backward()
    close(x.grad, np.full(3, 3.0))
    x.grad = None
    Scale.apply(x, k=2.0).sum().backward()
    close(x.grad, np.full(3, 2.0))
    with fwAD.dual_level():  # derived jvp with the setup_context style too
        y = Scale.apply(fwAD.make_dual(leaf(dg, X0, False), leaf(dg, V0, False)))
        close(tangent_of(y), 3 * V0)


def test_non_tensor_inputs_outputs_kwargs_and_extra_none_grads():
    class F(Function):
        @staticmethod
        def forward(ctx, x, n, scale=1.0):
            ctx.n = n
            return x * (n * scale), "label", n

        @staticmethod
        def backward(ctx, g, g_label, g_n):
            assert g_label is None and g_n is None
            return g * ctx.n, None, None  # one extra None, as torch allows

    res = []
    for lib in (dg, torch):
        Fl = (
            F
            if lib is dg
            else type(
                "F",
                (torch.autograd.Function,),
                {"forward": staticmethod(F.forward), "backward": staticmethod(F.backward)},
            )
        )
        x = leaf(lib, X0)
        y, label, n = Fl.apply(x, 2, scale=1.5)
        assert label == "label" and n == 2
        y.sum().backward()
        res.append((y, x.grad))
    for a, b in zip(*res):
        close(a, b)


def test_needs_input_grad_and_ctx_attributes():
    seen = {}

    class F(Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.k = k
            ctx.tmp = 1
            del ctx.tmp
            seen["needs"] = ctx.needs_input_grad
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            assert not hasattr(ctx, "tmp")
            return g * ctx.k, None, None

    x, y = leaf(dg, X0), leaf(dg, V0, False)
    F.apply(x, y, 2).sum().backward()
    assert seen["needs"] == (True, False, False)
    with dg.no_grad():
        out = F.apply(x, y, 2)
    assert seen["needs"] == (False, False, False) and not out.requires_grad


def test_isinstance_ctx_and_module_import():
    import dualgrad.autograd.function as function_module

    assert function_module.Function is dg.autograd.Function
    assert dg.autograd.once_differentiable is once_differentiable
    out = DG["Square"].apply(leaf(dg, X0))
    assert isinstance(out.grad_fn, FunctionCtx)
    assert out.grad_fn.next_functions[0][0] is not None


def test_mark_dirty_against_torch():
    def define_inplace(lib):
        class AddOne_(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 1

        return AddOne_

    res = []
    for lib in (dg, torch):
        a = leaf(lib, X0)
        x = a * 2
        out = define_inplace(lib).apply(x)
        assert out is x and x.grad_fn.name() == "AddOne_Backward"
        assert x._version == 2  # the in-place op, then mark_dirty, as in torch
        (out * out).sum().backward()
        res.append((out, a.grad))
    for r, s in zip(*res):
        close(r, s)


def test_mark_dirty_on_leaf_errors_as_torch():
    def define_inplace(lib):
        class MulTwo_(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 2

        return MulTwo_

    for lib in (dg, torch):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            define_inplace(lib).apply(leaf(lib, X0))


def test_mark_dirty_tangent_replaced():
    class MulTwo_(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def jvp(ctx, x_t):
            return x_t * 2

    with fwAD.dual_level():
        x = fwAD.make_dual(leaf(dg, X0, False), leaf(dg, V0, False))
        out = MulTwo_.apply(x)
        assert out is x
        close(out, 2 * X0)
        close(tangent_of(out), 2 * V0)


def test_mark_non_differentiable_against_torch():
    def define_max(lib):
        class MaxLike(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                idx = x.argmax()
                doubled = x * 2
                ctx.mark_non_differentiable(idx, doubled)
                return x * 3, idx, doubled

            @staticmethod
            def backward(ctx, g, g_idx, g_doubled):
                return g * 3

        return MaxLike

    res = []
    for lib in (dg, torch):
        x = leaf(lib, X0)
        vals, idx, doubled = define_max(lib).apply(x)
        assert not idx.requires_grad and not doubled.requires_grad and vals.requires_grad
        assert doubled.grad_fn is None
        (vals * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        res.append((vals, idx, doubled, x.grad))
    for a, b in zip(*res):
        close(a, b)


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    seen = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2)
            return g1 * 2 if g2 is None else g1 * 2 + g2 * 3

    x = leaf(dg, X0)
    Two.apply(x)[0].sum().backward()
    close(x.grad, np.full(3, 2.0))
    if materialize:
        close(seen[0], np.zeros(3))
    else:
        assert seen[0] is None


def test_once_differentiable_first_order_works_double_backward_errors():
    class Cube1(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    x = leaf(dg, X0)
    (g,) = dg.autograd.grad(Cube1.apply(x).sum(), x)
    close(g, 3 * X0**2)
    (g,) = dg.autograd.grad(Cube1.apply(x).sum(), x, create_graph=True)
    close(g, 3 * X0**2)
    with pytest.raises(RuntimeError, match="once_differentiable.*Cube1Backward"):
        dg.autograd.grad(g.sum(), x)
    with fwAD.dual_level():
        with pytest.raises(
            RuntimeError,
            match=r"Cube1 has no jvp and its backward is "
            r"once_differentiable; define jvp",
        ):
            Cube1.apply(fwAD.make_dual(leaf(dg, X0, False), leaf(dg, V0, False)))


# ============================================================================ errors
def test_wrong_number_of_gradients_as_torch():
    for lib in (dg, torch):

        class H(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, g

        with pytest.raises(
            RuntimeError,
            match=r"function HBackward returned an incorrect number "
            r"of gradients \(expected 1, got 2\)",
        ):
            H.apply(leaf(lib, X0)).sum().backward()


def test_wrong_gradient_shape_as_torch():
    for lib in (dg, torch):

        class G(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g[:1]

        with pytest.raises(
            RuntimeError,
            match=r"Function GBackward returned an invalid gradient "
            r"at index 0 - got \[1\] but expected shape "
            r"compatible with \[3\]",
        ):
            G.apply(leaf(lib, X0)).sum().backward()


def test_broadcast_gradient_is_summed_and_dtype_cast():
    class B(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return (g * 2).expand(4, 3).to(dg.float32)

    x = leaf(dg, X0)
    B.apply(x).sum().backward()
    close(x.grad, np.full(3, 8.0))
    assert x.grad.dtype == dg.float64


def test_modified_saved_tensor_errors():
    for lib, F in ((dg, DG), (torch, TH)):
        x = leaf(lib, X0).clone()
        out = F["Square"].apply(x)
        x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
    x = leaf(dg, X0).clone()
    out = DG["Square"].apply(x)
    x.mul_(2)
    with pytest.raises(
        RuntimeError,
        match=r"saved tensor 0 of SquareBackward .* is at version 1; "
        r"expected version 0",
    ):
        out.sum().backward()


def test_modified_saved_output_errors():
    out = DG["Exp"].apply(leaf(dg, X0))
    out.add_(1)
    with pytest.raises(RuntimeError, match="ExpBackward.*version 1; expected version 0"):
        out.sum().backward()


def test_second_backward_without_retain_graph():
    for lib, F in ((dg, DG), (torch, TH)):
        x = leaf(lib, X0)
        y = F["Square"].apply(x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
    x = leaf(dg, X0)
    y = DG["Square"].apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    close(x.grad, 4 * X0)


def test_jvp_errors():
    class BadCount(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            return t, t

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            return t[:1]

    with fwAD.dual_level():
        x = fwAD.make_dual(leaf(dg, X0, False), leaf(dg, V0, False))
        with pytest.raises(
            RuntimeError,
            match=r"BadCount.jvp returned an invalid number of "
            r"forward gradients \(expected 1 but got 2\)",
        ):
            BadCount.apply(x)
        with pytest.raises(
            RuntimeError,
            match=r"BadShape.jvp returned a tangent of shape \(1,\) "
            r"for output 0, whose shape is \(3,\)",
        ):
            BadShape.apply(x)


def test_underivable_rules_name_the_function_and_method():
    class NumpyBackward(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return dg.tensor(g.detach().numpy() * 2 * x.detach().numpy())

    class RaisingJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x**2

        @staticmethod
        def jvp(ctx, t):
            raise ValueError("a C extension")

    class NoRule(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = leaf(dg, X0)
    NumpyBackward.apply(x).sum().backward()  # reverse mode is fine
    close(x.grad, 2 * X0)
    with fwAD.dual_level():
        xd = fwAD.make_dual(leaf(dg, X0, False), leaf(dg, V0, False))
        with pytest.raises(
            RuntimeError,
            match=r"NumpyBackward has no jvp, and one cannot be "
            r"derived from its backward.*Define jvp",
        ):
            NumpyBackward.apply(xd)
        with pytest.raises(RuntimeError, match=r"NoRule defines neither backward nor jvp"):
            NoRule.apply(xd)
    with pytest.raises(
        RuntimeError,
        match=r"RaisingJvp has no backward, and deriving one from "
        r"its jvp failed: jvp raised ValueError.*Define "
        r"backward",
    ):
        RaisingJvp.apply(leaf(dg, X0)).sum().backward()
    with pytest.raises(RuntimeError, match=r"NoRule defines neither backward nor jvp"):
        NoRule.apply(leaf(dg, X0)).sum().backward()


def test_backward_and_vjp_both_defined_errors():
    class Both(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2

    with pytest.raises(RuntimeError, match="both 'backward' and 'vjp'"):
        Both.apply(leaf(dg, X0)).sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class F(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

    with pytest.raises(TypeError, match="argument 1 is of type int"):
        F.apply(leaf(dg, X0))


# ============================================================================ checkers
class WrongBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos() * 1.1


class WrongJvp(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return t * x.sin()


def test_gradcheck_detects_wrong_backward_and_wrong_jvp():
    x = leaf(dg, X0)
    assert not dg.autograd.gradcheck(WrongBackward.apply, (x,), raise_exception=False)
    with pytest.raises(dg.autograd.GradcheckError, match="backward mode"):
        dg.autograd.gradcheck(WrongBackward.apply, (x,))
    assert dg.autograd.gradcheck(WrongJvp.apply, (x,))  # backward is right
    with pytest.raises(dg.autograd.GradcheckError, match="forward mode"):
        dg.autograd.gradcheck(
            WrongJvp.apply,
            (x,),
            check_forward_ad=True,
            check_backward_ad=False,
            check_undefined_grad=False,
            check_batched_grad=False,
        )

    # a wrong derivative of the backward: gradgradcheck
    class WrongDouble(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.detach().cos()  # right values, no second-order graph through x

    assert dg.autograd.gradcheck(WrongDouble.apply, (x,))
    assert not dg.autograd.gradgradcheck(WrongDouble.apply, (x,), raise_exception=False)


# ============================================================================ detect_anomaly
def test_detect_anomaly_names_forward_call():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        anomaly = dg.autograd.detect_anomaly()
    with anomaly:
        y = Boom.apply(leaf(dg, X0)).sum()
        with pytest.raises(ValueError, match="boom") as info:
            y.backward()
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "the forward call that created this node:" in notes
    assert "test_detect_anomaly_names_forward_call" in notes
    y = Boom.apply(leaf(dg, X0)).sum()  # outside: no note
    with pytest.raises(ValueError) as info:
        y.backward()
    assert not getattr(info.value, "__notes__", [])


def test_detect_anomaly_nan_and_sinhbad_warning():
    class NanBack(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    with pytest.warns(UserWarning, match="Anomaly"):
        anomaly = dg.autograd.detect_anomaly()
    with anomaly:
        with pytest.raises(
            RuntimeError, match="Function 'NanBackBackward' returned nan values in its 0th output"
        ):
            NanBack.apply(leaf(dg, X0)).sum().backward()
        x = leaf(dg, M0)
        out = DG["SinhBad"].apply(x)
        with pytest.warns(UserWarning, match="SinhBadBackward: with create_graph=True"):
            dg.autograd.grad(out.sum(), x, create_graph=True)
        out = DG["Sinh"].apply(x)[0]
        dg.autograd.grad(out.sum(), x, create_graph=True)  # no warning: pytest errors on one


def test_detect_anomaly_op_nodes():
    with pytest.warns(UserWarning, match="Anomaly"):
        anomaly = dg.autograd.detect_anomaly()
    with anomaly, np.errstate(invalid="ignore"):
        y = leaf(dg, [-1.0, 4.0]).sqrt().sum()
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan") as info:
            y.backward()
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "the forward call that created this node:" in notes
    assert "test_detect_anomaly_op_nodes" in notes


def test_functions_under_every_transform_with_no_extra_code():
    """Beyond torch (which needs setup_context plus a vmap rule): a Function with only forward
    and backward (seed 004's Square) works under vmap, grad, jacrev, jacfwd and hessian as
    written."""
    Square = DG["Square"]

    a = np.arange(6.0).reshape(2, 3)
    x = dg.tensor(a)
    F = dg.func
    np.testing.assert_allclose(F.vmap(Square.apply)(x)._data, a**2)
    np.testing.assert_allclose(F.vmap(F.grad(lambda v: Square.apply(v).sum()))(x)._data, 2 * a)
    v = dg.tensor([1.0, 2.0, 3.0], dtype=dg.float64)
    np.testing.assert_allclose(F.jacrev(Square.apply)(v)._data, np.diag([2.0, 4.0, 6.0]))
    np.testing.assert_allclose(F.jacfwd(Square.apply)(v)._data, np.diag([2.0, 4.0, 6.0]))
    np.testing.assert_allclose(F.hessian(lambda t: Square.apply(t).sum())(v)._data, 2 * np.eye(3))


def test_functions_inside_vmap_of_reverse_transforms_are_batched_and_right():
    """A Function on a transform's tape inside vmap (per-sample gradients) records once, on
    that tape: no per-element run. Mixed with forward mode there, a Function without a jvp
    gets one derived from its backward on batched primals, with a batched dummy cotangent
    (NOTE: [derived rules]): torch's numbers (torch needs a jvp: its reference is the same
    function without a Function), batched and equal to the per-element run. References:
    torch.func with generate_vmap_rule."""
    import dualgrad._batching as batching

    Square = DG["Square"]  # seed 004's: forward and backward only
    TSquare = _power_function(torch, 2)

    a = np.random.default_rng(3).uniform(0.2, 1.5, (3, 4))
    v = np.random.default_rng(4).standard_normal(4)
    cases = [
        (
            lambda m, S, **kw: m.func.vmap(
                m.func.grad(lambda x: (S.apply(x) * x.sin()).sum()), **kw
            ),
            True,
        ),
        (lambda m, S, **kw: m.func.vmap(m.func.jacrev(lambda x: S.apply(x).sin()), **kw), True),
        (
            lambda m, S, **kw: m.func.vmap(m.func.hessian(lambda x: S.apply(x).sin().sum()), **kw),
            False,
        ),
        (
            lambda m, S, **kw: m.func.vmap(
                lambda x: m.func.jvp(
                    m.func.grad(lambda y: S.apply(y).sin().sum()), (x,), (m.tensor(v),)
                )[1],
                **kw,
            ),
            False,
        ),
    ]

    class TPlain:  # torch needs a jvp for forward mode: the same function, without a Function
        apply = staticmethod(lambda x: x**2)

    for make, batched in cases:
        ref = make(torch, TSquare if batched else TPlain)(torch.tensor(a))
        del batching.fallbacks[:]
        got = make(dg, Square)(dg.tensor(a))
        assert batching.fallbacks == []  # batched, not run per element
        np.testing.assert_allclose(got._data, ref.detach().numpy(), rtol=1e-10)
        looped = make(dg, Square, fallback="loop")(dg.tensor(a))  # the per-element run agrees
        np.testing.assert_allclose(looped._data, ref.detach().numpy(), rtol=1e-10)


def _power_function(m, p, with_jvp=False):
    """x ** p as a Function of library ``m`` (torch.func needs generate_vmap_rule; dualgrad
    batches any Function), with backward and, if asked, jvp."""

    class Power(m.autograd.Function):
        generate_vmap_rule = True

        @staticmethod
        def forward(x):
            return x**p

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])
            if with_jvp:
                ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * p * x ** (p - 1)

        if with_jvp:

            @staticmethod
            def jvp(ctx, t):
                (x,) = ctx.saved_tensors
                return t * p * x ** (p - 1)

    return Power


@pytest.mark.parametrize(
    "name", ["vmap(hessian)", "vmap(jvp(grad))", "grad(vmap(grad))", "vmap(grad)"]
)
def test_function_with_jvp_under_vmap_of_forward_over_reverse_is_batched_and_right(name):
    """A Function on a transform's tape inside vmap whose inputs carry tangents of a dual level
    below the tape (per-sample Hessians): the call runs below the tape first (its jvp gives
    the tangents there) and once on the tape; torch.func's numbers, and no per-element run
    where the tangents or the tape are the only other levels."""
    import dualgrad._batching as batching

    a = np.random.default_rng(3).uniform(0.2, 1.5, (3, 4))
    v = np.random.default_rng(4).standard_normal(4)

    def build(m, **kw):
        S, fx = _power_function(m, 3, with_jvp=True), m.func
        return {
            "vmap(hessian)": lambda: fx.vmap(fx.hessian(lambda x: S.apply(x).sin().sum())),
            "vmap(jvp(grad))": lambda: fx.vmap(
                lambda x: fx.jvp(fx.grad(lambda y: S.apply(y).sin().sum()), (x,), (m.tensor(v),))[1]
            ),
            "grad(vmap(grad))": lambda: fx.grad(
                lambda xs: (
                    fx.vmap(fx.grad(lambda y: (S.apply(y) * y.sin()).sum()), **kw)(xs) ** 2
                ).sum()
            ),
            "vmap(grad)": lambda: fx.vmap(fx.grad(lambda x: (S.apply(x) * x.sin()).sum())),
        }[name]()

    ref = build(torch)(torch.tensor(a))
    del batching.fallbacks[:]
    # (grad(vmap(grad)): an outer tape below the vmap, the Function's node joins history on
    # physical tensors: NOTE: [a Function under vmap with history below])
    got = build(dg)(dg.tensor(a))
    assert batching.fallbacks == []
    np.testing.assert_allclose(got._data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)


class _CubeWithSquare:
    """x**3 and x**2 as one Function of library ``m`` with only a backward (dualgrad derives
    its jvp; NOTE: [derived rules]); torch's reference is the same function without one."""

    @staticmethod
    def dg():
        class CubeSquare(dg.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x, x * x

            @staticmethod
            def backward(ctx, g3, g2):
                (x,) = ctx.saved_tensors
                return 3 * g3 * x * x + 2 * g2 * x

        return lambda x: CubeSquare.apply(x)

    @staticmethod
    def torch():
        return lambda x: (x**3, x**2)


@pytest.mark.parametrize(
    "name",
    [
        "vmap(jacfwd)",
        "vmap(vmap(jvp))",
        "jacfwd(vmap)",
        "vmap(hessian)",
        "jvp(vmap) with batched tangents",
        "vmap(jacfwd(jacfwd))",
        "vmap(jacrev(jacfwd))",
    ],
)
def test_derived_jvp_on_batched_primals_is_batched_and_right(name):
    """A Function with only a backward under vmap and forward mode: its jvp, derived from the
    backward, runs on batched primals as a reverse pass at the logical level, so each batch
    element gets its own J t (a pass over the ground's tape would sum them), and the dual levels
    between vmap levels see it (third derivatives), as does a dual level above a transform's tape
    inside vmap (vmap(jacrev(jacfwd)), which refused before). torch.func's numbers for the same function
    without a Function (torch needs a jvp), no per-element run, and equal to the per-element
    run (fallback='loop')."""
    import dualgrad._batching as batching

    a = np.random.default_rng(0).uniform(0.2, 1.5, (2, 3, 4))
    v = np.random.default_rng(1).standard_normal(4)

    def build(m, S, **kw):
        F = m.func

        def f(x):
            y3, y2 = S(x)
            return y3.sin() + y2

        return {
            "vmap(jacfwd)": lambda: F.vmap(F.jacfwd(f), **kw)(m.tensor(a[0])),
            "vmap(vmap(jvp))": lambda: F.vmap(
                F.vmap(lambda x: F.jvp(f, (x,), (m.tensor(v),))[1]), **kw
            )(m.tensor(a)),
            "jacfwd(vmap)": lambda: F.jacfwd(F.vmap(lambda x: f(x).sum(), **kw))(m.tensor(a[0])),
            "vmap(hessian)": lambda: F.vmap(F.hessian(lambda x: f(x).sum()), **kw)(m.tensor(a[0])),
            "jvp(vmap) with batched tangents": lambda: F.jvp(
                F.vmap(f, **kw), (m.tensor(a[0]),), (m.tensor(a[1]),)
            )[1],
            "vmap(jacfwd(jacfwd))": lambda: F.vmap(F.jacfwd(F.jacfwd(lambda x: f(x).sum())), **kw)(
                m.tensor(a[0])
            ),
            "vmap(jacrev(jacfwd))": lambda: F.vmap(F.jacrev(F.jacfwd(lambda x: f(x).sum())), **kw)(
                m.tensor(a[0])
            ),
        }[name]()

    want = build(torch, _CubeWithSquare.torch()).detach().numpy()
    del batching.fallbacks[:]
    got = build(dg, _CubeWithSquare.dg())
    assert batching.fallbacks == []
    np.testing.assert_allclose(got._data, want, rtol=1e-10, atol=1e-12)
    looped = build(dg, _CubeWithSquare.dg(), fallback="loop")
    np.testing.assert_allclose(looped._data, want, rtol=1e-10, atol=1e-12)


def test_derived_jvp_on_batched_primals_reports_a_backward_outside_dualgrad():
    """Under vmap too, a backward computed outside dualgrad (NumPy) cannot give a jvp: the
    error names the Function and the method to define, instead of a zero tangent."""

    class NumpySquare(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return dg.tensor(2.0) * x.detach() * 0 + dg.tensor(1.0)  # no dependence on g

    with pytest.raises(RuntimeError, match="NumpySquare has no jvp.*grad_output"):
        dg.func.vmap(dg.func.jacfwd(NumpySquare.apply))(dg.ones(3, 2))


def _scaled_cube(multi, use_needs):
    """x**3 * w (and x * w) as a dualgrad Function with only a backward; its backward may
    skip w's gradient by ctx.needs_input_grad."""

    class ScaledCube(dg.autograd.Function):
        @staticmethod
        def forward(x, w):
            return (x**3 * w, x * w) if multi else x**3 * w

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, g, *rest):
            x, w = ctx.saved_tensors
            gx, gw = 3 * g * x * x * w, g * x**3
            if multi:
                gx, gw = gx + rest[0] * w, gw + rest[0] * x
            return gx, (None if use_needs and not ctx.needs_input_grad[1] else gw)

    return ScaledCube.apply


@pytest.mark.parametrize("multi", [False, True])
@pytest.mark.parametrize("use_needs", [False, True])
@pytest.mark.parametrize(
    "name",
    [
        "grad(vmap) wrt x and w",
        "grad(vmap) batch dim 1",
        "hessian(vmap)",
        "jacrev(vmap)",
        "jacfwd(grad(vmap))",
        "backward() of vmap",
        "vmap(grad(vmap))",
    ],
)
def test_function_under_vmap_with_history_below_is_batched_and_right(name, multi, use_needs):
    """A Function inside vmap on inputs with history on a tape below the vmap (grad(vmap(f)),
    .backward() after vmap): its node joins that history as one batched call on the physical
    tensors (NOTE: [a Function under vmap with history below]): torch.func's numbers for the
    same function (torch needs a jvp for some of these: its reference has no Function), with
    w shared by the batch (its gradient sums the elements'), second derivatives through the
    batched backward, and no per-element run."""
    import dualgrad._batching as batching

    a = np.random.default_rng(0).uniform(0.2, 1.5, (3, 4))
    w0 = np.random.default_rng(1).uniform(0.5, 1.5, 4)

    def build(m, S):
        F = m.func

        def f(x, w):
            out = S(x, w)
            return (out[0].sin() + out[1]).sum() if multi else out.sin().sum()

        batched = F.vmap(f, in_dims=(0, None))
        x, w = m.tensor(a), m.tensor(w0)
        if name == "grad(vmap) wrt x and w":
            return F.grad(lambda x, w: batched(x, w).sum(), argnums=(0, 1))(x, w)
        if name == "grad(vmap) batch dim 1":
            other = F.vmap(f, in_dims=(1, None))
            return F.grad(lambda x, w: other(x.T, w).sum(), argnums=(0, 1))(x, w)
        if name == "hessian(vmap)":
            return F.hessian(lambda x: batched(x, w).sum())(x)
        if name == "jacrev(vmap)":
            return F.jacrev(lambda w: batched(x, w))(w)
        if name == "jacfwd(grad(vmap))":
            return F.jacfwd(F.grad(lambda w: batched(x, w).sum()))(w)
        if name == "backward() of vmap":
            x.requires_grad_()
            w.requires_grad_()
            batched(x, w).pow(2).sum().backward()
            return x.grad, w.grad
        xs = m.tensor(np.stack([a, a[::-1] * 0.5]))  # vmap(grad(vmap))
        return F.vmap(F.grad(lambda x: F.vmap(f, in_dims=(0, None))(x, w).sum()))(xs)

    plain = (lambda x, w: (x**3 * w, x * w)) if multi else (lambda x, w: x**3 * w)
    want = build(torch, plain)
    del batching.fallbacks[:]
    got = build(dg, _scaled_cube(multi, use_needs))
    assert batching.fallbacks == []
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    for g, t in zip(got, want):
        np.testing.assert_allclose(g._data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_function_under_vmap_with_history_below_writing_its_input():
    """mark_dirty under grad(vmap(f)): the write reaches the caller's physical tensor once, and
    the gradient is torch's for the same write without a Function."""

    def make(m):
        class MulInPlace(m.autograd.Function):
            generate_vmap_rule = True

            @staticmethod
            def forward(x):
                x.mul_(3.0)
                return x

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.mark_dirty(inputs[0])

            @staticmethod
            def backward(ctx, g):
                return g * 3.0

        return MulInPlace.apply

    def run(m):
        S = make(m) if m is dg else (lambda r: r.mul_(3.0))  # (torch's generated rule refuses
        # a dirty input that is an output; its reference is the write without a Function)
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 1.0
        out = m.func.vmap(lambda r: S(r).sin())(y)
        (g,) = m.autograd.grad(out.sum(), x)
        return y, g

    (ty, tg), (dy, dgr) = run(torch), run(dg)
    np.testing.assert_allclose(dy.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dgr.numpy(), tg.numpy(), rtol=1e-12)


def test_function_under_vmap_with_history_below_refuses_batched_ctx_attributes():
    """A batched tensor kept as a ctx attribute (not saved with save_for_backward) cannot be
    read by the batched backward: an error naming the escaped tensor, never a wrong number."""

    class KeepsAttr(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g * ctx.x

    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = dg.func.vmap(KeepsAttr.apply)(x)
    with pytest.raises(RuntimeError, match="escaped its vmap"):
        out.sum().backward()
