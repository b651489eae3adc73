"""In-place ops and writes through views, against PyTorch: values, gradients (first and
second order), forward-mode tangents, and the errors PyTorch raises."""

from __future__ import annotations

import numpy as np
import pytest

import dualgrad as dg
import dualgrad.autograd.forward_ad as dfwd

import torch  # noqa: E402
import torch.autograd.forward_ad as tfwd  # noqa: E402


def _x(shape=(3, 4), seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape)


def _t(m, a, requires_grad=False):
    if m is dg:
        return dg.tensor(a, dtype=dg.float64, requires_grad=requires_grad)
    return torch.tensor(a, dtype=torch.float64, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b):
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


# Each case: f(m, x) -> tensor, written once for both libraries. x is a non-leaf (x * 1) so
# the in-place ops are legal; the weights make the gradient see every element.
def _view_mul(m, y):
    y.view(4, 3).mul_(2)
    return y


def _t_add(m, y):
    y.t().add_(y[0, 0] * 3)
    return y


def _diag_zero(m, y):
    y.diagonal().zero_()
    return y


def _unsqueeze_mul(m, y):
    z = y.unsqueeze(0)
    z.mul_(3)
    return y * z.sum()


def _chain(m, y):
    y[0][1:].mul_(2)
    return y


def _iadd_index(m, y):
    y[0] += 1
    y[1] *= y[2].clone()
    return y


def _setitem_slice(m, y):
    y[1:3] = y[0] * 2
    return y


def _views_used_after(m, y):
    a = y[1]  # made before the write: must see the base's new history
    b = y.t()
    y[1, 1:].exp_()
    return a * 3 + b.sum(1) + y[1].sin()


def _base_inplace_then_view(m, y):
    v = y[:, 1]
    y.mul_(y.detach() + 1)
    return v * 2


def _view_of_view_write(m, y):
    v = y.reshape(12)[2:8].view(2, 3)
    v.mul_(3)
    v[0].tanh_()
    return y.sum(1) * v.sum()


def _copy_into_view(m, y):
    w = y[2].clone() * 5
    y[0].copy_(w)
    y[:, 3].fill_(2.0)
    return y


def _clamp_pow(m, y):
    y[1:].clamp_(0.7, 1.3)
    y.pow_(2)
    return y


def _two_writes_same_region(m, y):
    v = y[1:, 2:]
    v.mul_(v.clone())
    v.add_(y[0, :2])
    return y.prod(0)


CASES = [
    _view_mul,
    _t_add,
    _diag_zero,
    _unsqueeze_mul,
    _chain,
    _iadd_index,
    _setitem_slice,
    _views_used_after,
    _base_inplace_then_view,
    _view_of_view_write,
    _copy_into_view,
    _clamp_pow,
    _two_writes_same_region,
]


def _run_reverse(m, f, a, w, create_graph=False):
    x = _t(m, a, requires_grad=True)
    out = f(m, x * 1)
    loss = (out * _t(m, w[: out.numel()].reshape(tuple(out.shape)))).sum()
    (g,) = (dg if m is dg else torch).autograd.grad(loss, x, create_graph=create_graph)
    return out, g, x


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_reverse_against_torch(f):
    a, w = _x(), _x((16,), seed=1).reshape(-1)
    w = np.concatenate([w, w])
    out_d, g_d, _ = _run_reverse(dg, f, a, w)
    out_t, g_t, _ = _run_reverse(torch, f, a, w)
    _close(out_d, out_t)
    _close(g_d, g_t)


@pytest.mark.parametrize("f", CASES, ids=lambda f: f.__name__)
def test_forward_against_torch(f):
    a, v = _x(), _x(seed=2) - 1.0
    with dfwd.dual_level():
        out = f(dg, dfwd.make_dual(_t(dg, a), _t(dg, v)) * 1)
        p_d, t_d = dfwd.unpack_dual(out)
    with tfwd.dual_level():
        out = f(torch, tfwd.make_dual(_t(torch, a), _t(torch, v)) * 1)
        p_t, t_t = tfwd.unpack_dual(out)
    _close(p_d, p_t)
    _close(t_d, t_t)


@pytest.mark.parametrize(
    "f", [_view_of_view_write, _views_used_after, _two_writes_same_region], ids=lambda f: f.__name__
)
def test_double_backward_against_torch(f):
    a, w = _x(), np.tile(_x((12,), seed=3), 2)
    res = []
    for m in (dg, torch):
        _, g, x = _run_reverse(m, f, a, w, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        res.append((g, gg))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


def test_forward_over_reverse_through_view_write():
    a, v = _x(), _x(seed=4)
    res = []
    for m, fwd in ((dg, dfwd), (torch, tfwd)):
        with fwd.dual_level():
            x0 = _t(m, a, requires_grad=True)
            x = fwd.make_dual(x0, _t(m, v))
            y = x * 1
            y[1:].mul_(y[:2].clone())
            y.diagonal().exp_()
            (g,) = m.autograd.grad((y * y).sum(), x0)
            res.append(fwd.unpack_dual(g))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


def test_leaf_base_sees_view_write_values_and_grads():
    # a plain leaf that does not require grad becomes a non-leaf when a value with history is
    # written into a view of it
    for m in (dg, torch):
        w = _t(m, _x((4,)), requires_grad=True)
        base = m.zeros(3, 4, dtype=m.float64)
        v = base[1]
        base[2].copy_(w * 2)
        assert base.requires_grad and not base.is_leaf
        assert v.requires_grad  # made before the write: sees the base's new history
        (base.sum() + v.sum()).backward()
        np.testing.assert_allclose(_np(w.grad), [2.0] * 4)


# ------------------------------------------------------------------ plain in-place methods
UNARY = (
    "neg abs exp sigmoid tanh relu floor ceil round trunc sin cos sqrt log reciprocal square "
    "expm1 log1p rsqrt sign frac"
).split()


@pytest.mark.parametrize("name", UNARY)
def test_unary_inplace_methods(name):
    a = _x()
    res = []
    for m in (dg, torch):
        x = _t(m, a, requires_grad=True)
        y = x * 1
        out = getattr(y, name + "_")()
        assert out is y
        (y * y).sum().backward()
        res.append((y, x.grad))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


@pytest.mark.parametrize(
    "name,args",
    [
        ("add", (2.0,)),
        ("sub", (0.5,)),
        ("mul", (3.0,)),
        ("div", (4.0,)),
        ("pow", (2.0,)),
        ("clamp", (0.8, 1.2)),
        ("clamp_min", (0.9,)),
        ("clamp_max", (1.1,)),
        ("atan2", None),
        ("add", None),
        ("mul", None),
        ("eq", None),
        ("lt", None),
        ("lerp", None),
        ("hypot", None),
        ("cumsum", (1,)),
        ("tril", ()),
        ("triu", (1,)),
    ],
)
def test_binary_inplace_methods(name, args):
    a, b = _x(), _x(seed=5)
    res = []
    for m in (dg, torch):
        assert hasattr(m.Tensor, name + "_"), f"{name}_ is not a method of {m.__name__}"
        x = _t(m, a, requires_grad=True)
        o = _t(m, b, requires_grad=True)
        y = x * 1
        extra = args if args is not None else ((o, 0.3) if name == "lerp" else (o,))
        getattr(y, name + "_")(*extra)
        (y * y).sum().backward()
        res.append((y, x.grad, o.grad))
    for d, t in zip(res[0], res[1]):
        if t is None or d is None:  # no gradient: None or zeros
            assert not np.any(_np(d if t is None else t))
        else:
            _close(d, t)


def test_inplace_names_cover_torch_elementwise():
    names = (
        "add sub mul div pow clamp clamp_min clamp_max clip exp exp2 log log2 log10 log1p expm1 "
        "sqrt rsqrt square abs neg sign sin cos tan asin acos atan atan2 sinh cosh tanh asinh "
        "acosh atanh sigmoid relu floor ceil round trunc frac reciprocal zero fill copy "
        "true_divide multiply subtract divide negative absolute fix arcsin arccos arctan "
        "eq ne lt le gt ge logical_and logical_not tril triu cumsum erf lerp addcmul addcdiv"
    ).split()
    assert [n for n in names if not hasattr(dg.Tensor, n + "_")] == []


def test_version_counter_bumps():
    x = dg.zeros(3)
    v = x[1:]
    assert x._version == 0
    x.add_(1)
    v.mul_(2)
    x[0] = 5.0
    assert x._version == v._version == 3
    np.testing.assert_allclose(x.numpy(), [5.0, 2.0, 2.0])


def test_no_grad_write_through_view():
    x = dg.ones(2, 3, requires_grad=True)
    with dg.no_grad():
        x[0].mul_(4)
        x.diagonal().zero_()
    (x * x).sum().backward()
    t = torch.ones(2, 3, requires_grad=True)
    with torch.no_grad():
        t[0].mul_(4)
        t.diagonal().zero_()
    (t * t).sum().backward()
    _close(x.grad, t.grad)


def test_zero_and_fill_with_nonfinite_values():
    x = dg.tensor([1.0, float("inf"), float("nan")], requires_grad=True)
    y = x * 1
    y.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_copy_from_leaf_sends_gradient_to_the_leaf():
    w = dg.tensor([1.0, 2.0], requires_grad=True)
    z = dg.zeros(2)
    z.copy_(w)
    assert z.grad_fn is not None
    (z * 3).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])


def test_zero_dim_select_write_reaches_base():
    for m in (dg, torch):
        x = _t(m, _x(), requires_grad=True)
        y = x * 1
        y[1, 2].mul_(10)
        y.sum().backward()
        assert x.grad[1, 2].item() == 10.0
        assert y[1, 2].item() == x[1, 2].item() * 10


# ------------------------------------------------------------------ errors
def test_leaf_error():
    x = dg.ones(3, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="a leaf Variable that requires grad is being used in an in-place operation.",
    ):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x[0] = 2.0
    with dg.no_grad():
        x.add_(1)  # allowed, as in PyTorch


def test_view_of_leaf_error():
    x = dg.ones(2, 3, requires_grad=True)
    msg = "a view of a leaf Variable that requires grad is being used in an in-place operation."
    for write in (
        lambda: x[0].mul_(2),
        lambda: x.t().add_(1),
        lambda: x.diagonal().zero_(),
        lambda: x.view(6).fill_(1.0),
    ):
        with pytest.raises(RuntimeError, match=msg):
            write()


def test_view_made_in_no_grad_error():
    x = dg.ones(2, 3, requires_grad=True) * 1
    with dg.no_grad():
        v = x[0]
    with pytest.raises(RuntimeError, match="created in no_grad mode"):
        v.mul_(2)


def test_cast_error_matches_torch():
    for m in (dg, torch):
        x = m.ones(3, dtype=m.int64)
        with pytest.raises(
            RuntimeError, match="result type Float can't be cast to the desired output type Long"
        ):
            x.add_(1.5)
        b = m.ones(3, dtype=m.bool)
        with pytest.raises(
            RuntimeError, match="result type Long can't be cast to the desired output type Bool"
        ):
            b.add_(m.ones(3, dtype=m.int64))
    x = dg.ones(3)
    x.add_(dg.ones(3, dtype=dg.float64))  # float64 -> float32 is allowed
    x.eq_(1.0)  # bool results cast into self's dtype
    np.testing.assert_allclose(x.numpy(), [0.0, 0.0, 0.0])


def test_broadcast_shape_error():
    for m in (dg, torch):
        with pytest.raises(
            RuntimeError,
            match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]",
        ):
            m.ones(3).add_(m.ones(2, 3))


def test_expanded_view_error():
    x = dg.ones(3, 1) * 1
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.expand(3, 4).add_(1)


def test_saved_tensor_modified_through_view():
    x = dg.ones(2, 3, requires_grad=True)
    y = x.exp()  # saves its output
    y[0].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    x = dg.ones(2, 3, requires_grad=True)
    y = x * 1
    z = y * y  # saves y
    y.t()[1].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_saved_base_modified_through_view_torch_agrees():
    t = torch.ones(2, 3, requires_grad=True) * 1
    z = t * t
    t.t()[1].add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_single_element_select_is_a_view():
    """x[0, 1] shares memory with x, as in torch: a later write to x shows through it."""
    for m in (dg, torch):
        x = m.zeros(2, 3)
        v = x[0, 1]
        x.add_(1)
        assert v.item() == 1.0


def test_diagonal_function_is_a_view_like_the_method():
    for m in (dg, torch):
        x = m.ones(3, 3)
        m.diagonal(x).zero_()
        assert x.sum().item() == 6.0
