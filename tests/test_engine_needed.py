"""With inputs= (autograd.grad), a node computes only the gradients that lead to an input, as
torch's engine (NOTE: [gradients nobody asked for] in dualgrad/autograd/engine.py): hooks and
retained gradients of tensors off that path stay untouched, as torch's, and the rules skip the
work (counted in matmul kernel calls)."""

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad._ops import linalg


def _hook_off_the_path(lib):
    fired = []
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    h = w * 2
    h.register_hook(lambda g: fired.append(g))
    (gx,) = lib.autograd.grad((x * h).sum(), x)
    return gx, len(fired)


def _retain_grad_off_the_path(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    h = w.exp()
    h.retain_grad()
    (gx,) = lib.autograd.grad((x * h).sum(), x)
    return gx, h.grad is None


def _hook_on_the_path(lib):
    fired = []
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: fired.append(g))
    (gx,) = lib.autograd.grad((h * w).sum(), x)
    return gx, len(fired)


def _one_of_two_inputs_of_a_matmul(lib):
    fired = []
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([[0.5, -1.0], [2.0, 1.5]], dtype=lib.float64, requires_grad=True)
    bb = b * 1.0
    bb.register_hook(lambda g: fired.append(g))
    (ga,) = lib.autograd.grad((a @ bb).tanh().sum(), a, create_graph=True)
    (gga,) = lib.autograd.grad(ga.sum(), a)
    return gga, len(fired)


CASES = {
    "hook_off_the_path": _hook_off_the_path,
    "retain_grad_off_the_path": _retain_grad_off_the_path,
    "hook_on_the_path": _hook_on_the_path,
    "one_of_two_inputs_of_a_matmul": _one_of_two_inputs_of_a_matmul,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_like_torch(name):
    want_grad, want_flag = CASES[name](torch)
    got_grad, got_flag = CASES[name](dg)
    np.testing.assert_allclose(got_grad.detach().numpy(), want_grad.detach().numpy(), rtol=1e-12)
    assert got_flag == want_flag


def _double_vjp(lib, params, x):
    """The double-vjp trick (issue 17's W1): J t of a tanh MLP, from the vjp of a vjp."""
    params = [lib.tensor(p).requires_grad_() for p in params]
    h = lib.tensor(x)
    for i in range(0, len(params), 2):
        h = h @ params[i].T + params[i + 1]
        if i + 2 < len(params):
            h = lib.tanh(h)
    u = lib.zeros_like(h, requires_grad=True)
    g = lib.autograd.grad(h, params, u, create_graph=True)
    tangents = [lib.ones_like(p) for p in params]
    return lib.autograd.grad(g, u, tangents)[0]


def test_double_vjp_computes_no_weight_gradients(monkeypatch):
    rng = np.random.default_rng(0)
    sizes = (5, 7, 6, 3)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)]
    x = rng.standard_normal((4, 5))
    want = _double_vjp(torch, params, x).numpy()

    calls = []
    kernel = linalg.MATMUL.forward
    monkeypatch.setattr(linalg.MATMUL, "forward", lambda a, b: calls.append(1) or kernel(a, b))
    got = _double_vjp(dg, params, x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # 3 layers: 3 forward; first backward 3 weight gradients + 2 input gradients; the second
    # backward, towards u only, the transpose of the 2 + 3 rules that lead to u (a weight
    # gradient g^T h is linear in g: 3; an input gradient g W: 2). The weights' gradients of
    # the first backward's products (2 + 3 more) are not computed.
    assert len(calls) == 3 + 5 + 5
