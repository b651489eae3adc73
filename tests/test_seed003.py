"""Seed 003's code (the forward-mode feature request), run as written with torch -> dualgrad,
compared with torch: the double-vjp jvp trick on torch.chunk, and the Jacobian by unit vectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import dualgrad


def _double_vjp_jvp(torch):
    def jvp(f, x, u):
        x = x.detach().requires_grad_()
        u = u.detach().requires_grad_()
        fx = f(x)
        if isinstance(fx, torch.Tensor):
            v = torch.ones_like(fx, requires_grad=True)
        else:
            v = [torch.ones_like(fxi, requires_grad=True) for fxi in fx]
        vjp = torch.autograd.grad(fx, x, grad_outputs=v, create_graph=True)
        output = torch.autograd.grad(vjp, v, grad_outputs=u)
        return output

    return jvp


def _jacobian_by_unit_vectors(torch, f, x0):
    def unit_vectors(length):
        result = []
        for i in range(0, length):
            x = torch.zeros(length)
            x[i] = 1
            result.append(x)
        return result

    x = torch.tensor(x0, requires_grad=True)
    y = f(x)
    result = [
        torch.autograd.grad(outputs=[y], inputs=[x], grad_outputs=[unit], retain_graph=True)[0]
        for unit in unit_vectors(y.size(0))
    ]
    jacobian = torch.stack(result, dim=0)
    return jacobian


@pytest.mark.parametrize("chunks", [2, 3])
def test_double_vjp_trick_on_chunk(chunks):
    x0 = np.random.default_rng(0).standard_normal((chunks * 2, 3)).astype(np.float32)
    u0 = np.random.default_rng(1).standard_normal((chunks * 2, 3)).astype(np.float32)
    outs = []
    for torch in (dualgrad, real_torch):
        f = lambda x: torch.chunk(x, chunks, 0)  # noqa: E731
        x, u = torch.tensor(x0), torch.tensor(u0)
        outs.append([t.detach().numpy() for t in _double_vjp_jvp(torch)(f, x, u)])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # a jvp of chunk is the chunked tangent
    np.testing.assert_allclose(np.concatenate(outs[0]), u0)


def test_jacobian_by_unit_vectors():
    x0 = np.array([0.3, -1.2, 0.8], dtype=np.float32)
    jac = [
        _jacobian_by_unit_vectors(torch, lambda x, t=torch: t.sin(x) * x.sum(), x0).numpy()
        for torch in (dualgrad, real_torch)
    ]
    np.testing.assert_allclose(jac[0], jac[1], rtol=1e-6)
