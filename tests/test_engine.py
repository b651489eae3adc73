"""The reverse-mode engine, compared with PyTorch: accumulation, grad(), retain/create graph,
errors, grad mode, hooks, version counters, deep graphs, and the checkers in autograd.gradcheck.
"""

from __future__ import annotations

import gc
import threading
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad.autograd import GradcheckError, check_adjoint, gradcheck, gradgradcheck
import dualgrad.autograd.forward_ad as fwAD

X0 = np.array([0.3, -1.2, 2.0])
Z0 = np.array([1.5, 0.7, -0.4])


def pair(arr=X0, requires_grad=True):
    """The same float64 values as a dualgrad tensor and a torch tensor."""
    return (
        dg.tensor(arr, dtype=dg.float64, requires_grad=requires_grad),
        torch.tensor(arr, dtype=torch.float64, requires_grad=requires_grad),
    )


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    """Keep a test that leaves grad mode off from failing every test after it."""
    yield
    dg.set_grad_enabled(True)
    torch.set_grad_enabled(True)


def close(a, b, **kw):
    a = a.detach().numpy() if isinstance(a, dg.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, **kw)


# ---------------------------------------------------------------------------- accumulation
def test_backward_accumulates_into_leaf_grad():
    x, tx = pair()
    for m, t in ((dg, x), (torch, tx)):
        (t * t).sum().backward()
        (t * t).sum().backward()
    close(x.grad, tx.grad)
    close(x.grad, 4 * X0)


def test_backward_on_leaf_only_sets_leaf_grads():
    x, tx = pair()
    h, th = x * 2, tx * 2
    (h * h).sum().backward()
    (th * th).sum().backward()
    assert h.grad is None
    with pytest.warns(UserWarning, match="not a leaf"):
        assert th.grad is None
    close(x.grad, tx.grad)


def test_grad_does_not_touch_dot_grad():
    x, _ = pair()
    (g,) = dg.autograd.grad((x * x).sum(), x)
    assert x.grad is None
    close(g, 2 * X0)


def test_grad_with_grad_outputs():
    x, tx = pair()
    v, tv = pair(Z0, requires_grad=False)
    (g,) = dg.autograd.grad(x * x.sin(), x, grad_outputs=v)
    (tg,) = torch.autograd.grad(tx * tx.sin(), tx, grad_outputs=tv)
    close(g, tg)


def test_grad_outputs_shape_mismatch():
    x, _ = pair()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        dg.autograd.grad(x * x, x, grad_outputs=dg.ones(2, dtype=dg.float64))


def test_multiple_outputs_and_inputs():
    x, tx = pair()
    z, tz = pair(Z0)
    gs = dg.autograd.grad([(x * z).sum(), (x.exp()).sum()], [x, z])
    tgs = torch.autograd.grad([(tx * tz).sum(), (tx.exp()).sum()], [tx, tz])
    for g, tg in zip(gs, tgs):
        close(g, tg)


# ---------------------------------------------------------------------------- retain / free
def test_retain_graph_allows_second_backward():
    x, tx = pair()
    for t in (x, tx):
        y = (t * t).sum()
        y.backward(retain_graph=True)
        y.backward()
    close(x.grad, tx.grad)
    close(x.grad, 4 * X0)


def test_second_backward_through_freed_graph_raises():
    x, tx = pair()
    ty = (tx * tx).sum()
    ty.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        ty.backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_second_grad_through_freed_graph_raises():
    x, _ = pair()
    y = (x.exp()).sum()
    dg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        dg.autograd.grad(y, x)


def test_backward_twice_without_saved_tensors_works():
    # x + 1 and sum save no tensors, so torch allows a second backward; so must we.
    x, tx = pair()
    for t in (x, tx):
        y = (t + 1).sum()
        y.backward()
        y.backward()
    close(x.grad, tx.grad)
    close(x.grad, 2 * np.ones(3))


# ---------------------------------------------------------------------------- create_graph
def test_double_and_triple_backward_of_cube():
    x = dg.tensor(1.7, dtype=dg.float64, requires_grad=True)
    (g1,) = dg.autograd.grad(x**3, x, create_graph=True)
    (g2,) = dg.autograd.grad(g1, x, create_graph=True)
    (g3,) = dg.autograd.grad(g2, x)
    assert g1.requires_grad and g2.requires_grad and not g3.requires_grad
    assert g1.item() == pytest.approx(3 * 1.7**2)
    assert g2.item() == pytest.approx(6 * 1.7)
    assert g3.item() == pytest.approx(6.0)


def test_double_backward_against_torch():
    x, tx = pair()
    outs = []
    for m, t in ((dg, x), (torch, tx)):
        y = (t.sin() * t * t).sum()
        (g,) = m.autograd.grad(y, t, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), t)
        outs.append((g, gg))
    close(outs[0][0], outs[1][0])
    close(outs[0][1], outs[1][1])


def test_backward_create_graph_gives_differentiable_grad():
    x, tx = pair()
    (x**3).sum().backward(create_graph=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (tx**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and tx.grad.requires_grad
    (gg,) = dg.autograd.grad(x.grad.sum(), x)
    (tgg,) = torch.autograd.grad(tx.grad.sum(), tx)
    close(gg, tgg)
    close(gg, 6 * X0)


def test_create_graph_without_retain_keeps_graph():
    # create_graph defaults retain_graph to True
    x, _ = pair()
    y = (x * x).sum()
    dg.autograd.grad(y, x, create_graph=True)
    (g,) = dg.autograd.grad(y, x)
    close(g, 2 * X0)


# ---------------------------------------------------------------------------- allow_unused, inputs=
def test_allow_unused():
    x, tx = pair()
    z, tz = pair(Z0)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        torch.autograd.grad((tx * tx).sum(), [tx, tz])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        dg.autograd.grad((x * x).sum(), [x, z])
    gx, gz = dg.autograd.grad((x * x).sum(), [x, z], allow_unused=True)
    close(gx, 2 * X0)
    assert gz is None
    gx, gz = dg.autograd.grad((x * x).sum(), [x, z], materialize_grads=True)
    close(gz, np.zeros(3))


def test_grad_of_input_not_requiring_grad():
    x, _ = pair()
    c, _ = pair(Z0, requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        dg.autograd.grad((x * c).sum(), c)


def test_backward_inputs_restricts_accumulation():
    x, tx = pair()
    z, tz = pair(Z0)
    (x * z.exp()).sum().backward(inputs=[x])
    (tx * tz.exp()).sum().backward(inputs=[tx])
    close(x.grad, tx.grad)
    assert z.grad is None and tz.grad is None


def test_backward_inputs_non_leaf():
    x, tx = pair()
    h, th = x * 2, tx * 2
    (h * h).sum().backward(inputs=[h])
    (th * th).sum().backward(inputs=[th])
    assert x.grad is None and tx.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns on any non-leaf .grad access
        tgrad = th.grad
    close(h.grad, tgrad)
    close(h.grad, 4 * X0)


def test_backward_inputs_empty_raises():
    x, _ = pair()
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * x).sum().backward(inputs=[])


def test_grad_wrt_non_leaf():
    x, tx = pair()
    outs = []
    for m, t in ((dg, x), (torch, tx)):
        h = t.exp()
        y = (h * h.sin()).sum()
        outs.append(m.autograd.grad(y, [h, t]))
    for g, tg in zip(*outs):
        close(g, tg)


def test_grad_wrt_non_leaf_stops_there():
    # Only what lies between output and the asked-for input runs: gradient w.r.t. h is 2h
    # whatever sits below h.
    x, _ = pair()
    h = x.exp()
    (g,) = dg.autograd.grad((h * h).sum(), h)
    close(g, 2 * np.exp(X0))
    assert x.grad is None


# ---------------------------------------------------------------------------- error messages
def test_backward_on_non_scalar_without_gradient():
    x, tx = pair()
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (tx * 2).backward()
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_backward_on_non_scalar_with_gradient():
    x, tx = pair()
    v, tv = pair(Z0, requires_grad=False)
    (x * x).backward(v)
    (tx * tx).backward(tv)
    close(x.grad, tx.grad)


def test_backward_of_output_not_requiring_grad():
    _, tc = pair(requires_grad=False)
    c, _ = pair(requires_grad=False)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tc * 2).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        (c * 2).sum().backward()
    x, _ = pair()
    with pytest.raises(RuntimeError, match="does not require grad"):
        dg.autograd.grad((c * 2).sum(), x)


# ---------------------------------------------------------------------------- grad mode
def test_no_grad_context():
    x, _ = pair()
    with dg.no_grad():
        y = x * 2
        assert not dg.is_grad_enabled()
        with dg.enable_grad():
            z = x * 2
            assert dg.is_grad_enabled()
    assert dg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_grad_mode_decorators():
    x, _ = pair()

    @dg.no_grad()
    def f(t):
        return t * 2

    @dg.enable_grad()
    def g(t):
        return t * 2

    @dg.set_grad_enabled(False)
    def h(t):
        return t * 2

    @torch.set_grad_enabled(False)
    def th(t):
        return t * 2

    assert torch.is_grad_enabled()  # torch: using set_grad_enabled as a decorator restores the mode
    assert dg.is_grad_enabled()
    assert not f(x).requires_grad
    assert not h(x).requires_grad
    with dg.no_grad():
        assert g(x).requires_grad
    assert f.__name__ == "f"


def test_set_grad_enabled_call_and_context():
    x, _ = pair()
    with dg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    dg.set_grad_enabled(False)
    try:
        assert not dg.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        dg.set_grad_enabled(True)
    assert dg.is_grad_enabled()
    # torch agrees on the plain-call form
    torch.set_grad_enabled(False)
    try:
        assert not torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)


def test_grad_mode_is_thread_local():
    seen = {}
    x, _ = pair()

    def worker():
        try:
            seen["enabled"] = dg.is_grad_enabled()
            seen["records"] = (x * 2).requires_grad
        except Exception as e:  # noqa: BLE001 - reported by the assert below
            seen["error"] = repr(e)

    with dg.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not dg.is_grad_enabled()
    assert seen == {"enabled": True, "records": True}


def test_no_grad_restores_on_exception():
    with pytest.raises(ValueError):
        with dg.no_grad():
            raise ValueError
    assert dg.is_grad_enabled()


# ---------------------------------------------------------------------------- hooks
def test_register_hook_on_leaf_modifies_grad():
    x, tx = pair()
    for t in (x, tx):
        t.register_hook(lambda g: g * 3)
        (t * t).sum().backward()
    close(x.grad, tx.grad)
    close(x.grad, 6 * X0)


def test_register_hook_on_non_leaf_modifies_flow():
    x, tx = pair()
    seen = []
    for t in (x, tx):
        h = t * 2
        h.register_hook(lambda g: seen.append(g.detach().numpy().copy()) or g * 10)
        (h * h).sum().backward()
    close(x.grad, tx.grad)
    close(x.grad, 80 * X0)
    np.testing.assert_allclose(seen[0], seen[1])
    np.testing.assert_allclose(seen[0], 4 * X0)


def test_hook_returning_none_keeps_grad_and_remove():
    x, _ = pair()
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * x).sum().backward()
    close(x.grad, 2 * X0)
    handle.remove()
    (x * x).sum().backward()
    assert len(calls) == 1


def test_register_hook_on_tensor_not_requiring_grad():
    c, tc = pair(requires_grad=False)
    with pytest.raises(RuntimeError):
        tc.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        c.register_hook(lambda g: g)


def test_retain_grad():
    x, tx = pair()
    hs = []
    for t in (x, tx):
        h = t.exp()
        h.retain_grad()
        (h * h).sum().backward()
        hs.append(h)
    assert hs[0].retains_grad and hs[1].retains_grad
    close(hs[0].grad, hs[1].grad)
    close(hs[0].grad, 2 * np.exp(X0))


def test_retain_grad_sees_hook_modified_grad():
    # torch runs retain_grad after the tensor's other hooks, whatever the registration order
    x, tx = pair()
    hs = []
    for t in (x, tx):
        h = t * 1.0
        h.retain_grad()
        h.register_hook(lambda g: g * 2)
        h.sum().backward()
        hs.append(h)
    close(hs[0].grad, hs[1].grad)


# ---------------------------------------------------------------------------- version counter
def test_saved_input_modified_in_place_raises():
    x, tx = pair()
    ta = tx * 1.0
    tb = ta * ta
    ta.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tb.sum().backward()
    a = x * 1.0
    b = a * a
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_saved_output_modified_in_place_raises():
    # exp saves its result; torch notices when that result is changed in place.
    x, tx = pair()
    ty = tx.exp()
    ty.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_on_unsaved_tensor_is_fine():
    x, tx = pair()
    for t in (x, tx):
        a = t * 2  # mul by a constant saves only the constant side
        b = a + 1
        a.add_(1)
        b.sum().backward()
    close(x.grad, tx.grad)


def test_version_counter_bumps():
    x, _ = pair(requires_grad=False)
    v = x._version
    x.add_(1)
    x.mul_(2)
    assert x._version == v + 2


def test_in_place_on_leaf_requiring_grad_raises():
    x, tx = pair()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tx.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with dg.no_grad():
        x.add_(1)
    close(x, X0 + 1)


# ---------------------------------------------------------------------------- deep graphs
def test_long_chain_has_no_recursion_limit():
    n = 100_000
    x = dg.tensor(1.0, dtype=dg.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0000001**n, rel=1e-9)
    del y
    gc.collect()


def test_long_chain_graph_deleted_without_backward():
    x = dg.tensor([1.0, 2.0], dtype=dg.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y.sin()
    del y  # freeing 100,000 nested nodes must not overflow the C stack
    gc.collect()
    z = (x * x).sum()
    z.backward()
    close(x.grad, 2 * np.array([1.0, 2.0]))


def test_long_chain_create_graph():
    x = dg.tensor(0.5, dtype=dg.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y + x * x * 1e-5
    (g,) = dg.autograd.grad(y, x, create_graph=True)
    assert g.item() == pytest.approx(1 + 20_000 * 2e-5 * 0.5)
    (gg,) = dg.autograd.grad(g, x)
    assert gg.item() == pytest.approx(20_000 * 2e-5)


def test_diamond_graph_sums_branches():
    x, tx = pair()
    for t in (x, tx):
        a = t.sin()
        b = a * t
        c = a.exp()
        (b + c + a).sum().backward()
    close(x.grad, tx.grad)


# ---------------------------------------------------------------------------- gradcheck & co
def _x64(arr=X0):
    return dg.tensor(arr, dtype=dg.float64, requires_grad=True)


def test_gradcheck_passes_on_correct_ops():
    x, z = _x64(), _x64(Z0)
    f = lambda a, b: ((a * b).sin(), (a.exp() * b).sum())  # noqa: E731
    assert gradcheck(f, (x, z))
    assert gradcheck(f, (x, z), check_forward_ad=True)
    assert gradcheck(f, (x, z), check_forward_ad=True, fast_mode=True)
    assert gradcheck(lambda a: a.exp(), (x,), check_forward_ad=True, check_backward_ad=False)


def test_gradcheck_matches_torch_verdict_on_correct_ops():
    tx = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's own internals
        assert torch.autograd.gradcheck(lambda a: (a * a).sin(), (tx,), check_forward_ad=True)
    assert gradcheck(lambda a: (a * a).sin(), (_x64(),), check_forward_ad=True)


def _wrong_backward(a):
    y = a * a
    if y.requires_grad:
        y.register_hook(lambda g: g * 2)  # reverse mode now gives twice the true gradient
    return y


def _wrong_forward(a):
    y = a * a
    p, t = fwAD.unpack_dual(y)
    if t is not None:
        y = fwAD.make_dual(p, t * 3)  # forward mode now gives three times the true jvp
    return y


def test_gradcheck_catches_wrong_backward():
    x = _x64()
    with pytest.raises(GradcheckError, match="backward mode") as info:
        gradcheck(_wrong_backward, (x,))
    msg = str(info.value)
    assert "numerical" in msg and "analytical" in msg and "output 0" in msg and "input 0" in msg
    assert "0.6" in msg and "1.2" in msg  # 2 * 0.3 numerically, twice that analytically
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(_wrong_backward, (x,), raise_exception=False) is False
    assert gradcheck(_wrong_backward, (x,), fast_mode=True, raise_exception=False) is False


def test_gradcheck_catches_wrong_forward():
    x = _x64()
    assert gradcheck(_wrong_forward, (x,))  # reverse mode is right
    with pytest.raises(GradcheckError, match="forward mode"):
        gradcheck(_wrong_forward, (x,), check_forward_ad=True)
    with pytest.raises(GradcheckError, match="forward mode"):
        gradcheck(_wrong_forward, (x,), check_forward_ad=True, fast_mode=True)


def test_gradcheck_argument_errors():
    c = dg.tensor(X0, dtype=dg.float64)
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda a: a * 2, (c,))


def test_gradcheck_batched_grad_and_forward_grad():
    assert gradcheck(
        lambda a: (a * a).sin(),
        (_x64(),),
        check_batched_grad=True,
        check_batched_forward_grad=True,
        check_forward_ad=True,
    )


def test_gradcheck_warns_on_float32():
    x = dg.tensor(X0, dtype=dg.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda a: a * a, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_gradgradcheck():
    x, z = _x64(), _x64(Z0)
    f = lambda a, b: (a * b).sin() * a  # noqa: E731
    assert gradgradcheck(f, (x, z))
    assert gradgradcheck(f, (x, z), check_fwd_over_rev=True)
    assert gradgradcheck(f, (x, z), gen_non_contig_grad_outputs=True, fast_mode=True)
    assert gradgradcheck(lambda a: a**3, (x,), grad_outputs=(_x64(Z0),))


def test_gradgradcheck_catches_wrong_double_backward():
    def f(a):
        y = a * a * a
        y.register_hook(lambda gr: gr * 1)  # a hook that keeps the graph: still right
        return y

    assert gradgradcheck(f, (_x64(),))

    def g(a):
        y = a * a * a
        y.register_hook(lambda gr: gr.detach())  # cuts the double-backward graph: wrong H
        return y

    assert gradcheck(g, (_x64(),))
    assert gradgradcheck(g, (_x64(),), raise_exception=False) is False


def test_check_adjoint():
    x = dg.tensor(X0, dtype=dg.float32, requires_grad=True)  # float32 is fine here
    z = dg.tensor(Z0, dtype=dg.float32, requires_grad=True)
    assert check_adjoint(lambda a, b: ((a * b).sin(), (a.exp() * b).sum()), (x, z))
    assert check_adjoint(lambda a: a**3, (_x64(),))
    with pytest.raises(GradcheckError, match="forward mode") as info:
        check_adjoint(_wrong_forward, (_x64(),))
    assert "<J u, v>" in str(info.value) and "<u, J^T v>" in str(info.value)
    with pytest.raises(GradcheckError):
        check_adjoint(_wrong_backward, (x,))


@pytest.mark.parametrize("module", ["dualgrad", "torch"])
def test_inplace_on_an_input_the_rule_does_not_read_is_allowed(module):
    """After y = a * 2 the rule for a reads only 2, so modifying a in place is fine (as in
    torch); after y = a * a it reads a, and backward must refuse."""
    m = dg if module == "dualgrad" else torch
    x = m.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    y = a * 2
    a.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    a = x * 1
    y = a * a
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_grad_is_grads_batched_matches_torch():
    x = dg.tensor(X0, dtype=dg.float64, requires_grad=True)
    tx = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    basis = np.eye(x.numel()).reshape((x.numel(),) + tuple(x.shape))
    (g,) = dg.autograd.grad(dg.sin(x) * x, x, dg.tensor(basis), is_grads_batched=True)
    (tg,) = torch.autograd.grad(torch.sin(tx) * tx, tx, torch.tensor(basis), is_grads_batched=True)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_a_leaf_never_shares_its_grad_buffer_with_a_tensor_someone_else_holds():
    """NOTE: [stealing the gradient]: the leaf takes the engine's gradient without a copy only
    when nothing else holds it; a caller's grad_output, a hook's kept tensor, or a gradient
    that also flows elsewhere are copied, so an in-place update of .grad touches none of them."""
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    g = dg.tensor([5.0, 7.0])
    x.backward(g)
    x.grad.mul_(2)
    np.testing.assert_array_equal(g._data, [5.0, 7.0])

    kept = []
    a = dg.tensor([1.0, 2.0], requires_grad=True)
    a.register_hook(lambda t: kept.append(t))
    (a * 3).sum().backward()
    a.grad.add_(1)
    np.testing.assert_array_equal(kept[0]._data, [3.0, 3.0])

    b = dg.tensor([1.0, 2.0], requires_grad=True)
    c = dg.tensor([1.0, 2.0], requires_grad=True)
    (b + c).sum().backward()  # add's rule hands the same gradient to both leaves
    b.grad.add_(1)
    np.testing.assert_array_equal(c.grad._data, [1.0, 1.0])


def test_linear_weight_grad_is_contiguous_in_the_weight_layout_and_right():
    """The gradient of weight.t() is made in the weight's layout (it is then taken without a
    copy), and matches torch."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    lin = dg.nn.Linear(4, 3, dtype=dg.float64)
    lin.weight.data = dg.tensor(w)
    (lin(dg.tensor(x)) ** 2).sum().backward()
    tw = torch.tensor(w, requires_grad=True)
    ((torch.tensor(x) @ tw.t() + torch.tensor(lin.bias._data)) ** 2).sum().backward()
    assert lin.weight.grad._data.flags.c_contiguous
    np.testing.assert_allclose(lin.weight.grad._data, tw.grad.numpy(), rtol=1e-12)


def test_gradients_only_the_engine_holds_are_taken_without_a_copy():
    """NOTE: [stealing the gradient]: a Linear layer's weight and bias gradients are taken
    as made (no clone) where CPython's reference counts are known; elsewhere they are copied."""
    from dualgrad._tensor import Tensor
    from dualgrad.autograd import graph

    clones = []
    original = Tensor.clone

    def counting_clone(self, *args, **kwargs):
        clones.append(self.shape)
        return original(self, *args, **kwargs)

    lin = dg.nn.Linear(4, 3)
    x = dg.randn(5, 4)
    Tensor.clone = counting_clone
    try:
        (lin(x) ** 2).sum().backward()
    finally:
        Tensor.clone = original
    assert len(clones) == (0 if graph._COUNTS_KNOWN else 2)
    assert lin.weight.grad is not None and lin.bias.grad is not None


def test_gradcheck_masked_is_accepted_for_dense_tensors():
    """masked=True concerns sparse tensors only; on dense ones it changes nothing, as in torch."""
    x = dg.tensor([0.5, 1.5], dtype=dg.float64, requires_grad=True)
    assert gradcheck(lambda t: (t * t).sin(), (x,), masked=True)
    tx = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: (t * t).sin(), (tx,), masked=True)
    with pytest.raises(GradcheckError):  # and it still checks
        gradcheck(_wrong_backward, (_x64(),), masked=True)
