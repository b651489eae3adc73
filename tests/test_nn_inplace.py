"""``inplace=True`` of the activations and dropouts, against torch: the result is written into
the input (same object, views see it), gradients flow to the input's history, and torch's
errors hold (NOTE: [inplace activations] in nn/functional.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

CALLS = {
    "relu": lambda F, x: F.relu(x, inplace=True),
    "relu6": lambda F, x: F.relu6(x * 4, inplace=True),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2, True),
    "elu": lambda F, x: F.elu(x, 0.5, inplace=True),
    "selu": lambda F, x: F.selu(x, inplace=True),
    "celu": lambda F, x: F.celu(x, 2.0, True),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 0.5, True),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x * 4, inplace=True),
    "hardswish": lambda F, x: F.hardswish(x * 4, inplace=True),
    "silu": lambda F, x: F.silu(x, inplace=True),
    "mish": lambda F, x: F.mish(x, inplace=True),
    "threshold": lambda F, x: F.threshold(x, 0.1, -3.0, True),
    "dropout p=1": lambda F, x: F.dropout(x, 1.0, True, True),
    "dropout eval": lambda F, x: F.dropout(x, 0.5, False, True),
}


def _run(lib, call):
    w = lib.linspace(-1, 1, 6, dtype=lib.float64, requires_grad=True)
    h = w * 2.0
    view = h[1:4]
    r = call(lib.nn.functional, h)
    (g,) = lib.autograd.grad((r * r * w).sum(), w)
    return r is h, h.tolist(), view.tolist(), g.tolist()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_inplace_writes_into_the_input_as_torch(name):
    ours, theirs = _run(dg, CALLS[name]), _run(torch, CALLS[name])
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1:], theirs[1:]):
        # (1e-7: torch's hardsigmoid backward uses 1/6 rounded to float32, even in float64)
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.ReLU(inplace=True),
        lambda nn: nn.ReLU(True),
        lambda nn: nn.LeakyReLU(0.1, inplace=True),
        lambda nn: nn.ELU(inplace=True),
        lambda nn: nn.Hardtanh(-2.0, 2.0, True),
        lambda nn: nn.SiLU(inplace=True),
        lambda nn: nn.Dropout(0.3, inplace=True),
        lambda nn: nn.ReLU(),
    ],
)
def test_modules_take_inplace_and_print_it_as_torch(make):
    ours, theirs = make(dg.nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    x, tx = dg.linspace(-1, 1, 4), torch.linspace(-1, 1, 4)
    if not isinstance(ours, dg.nn.Dropout):
        assert (ours(x) is x) == (theirs(tx) is tx)
        np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-6)


def test_inplace_on_a_saved_or_leaf_tensor_raises_as_torch():
    for lib in (dg, torch):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            lib.nn.functional.relu(lib.ones(2, requires_grad=True), inplace=True)
        w = lib.linspace(-1, 1, 4, requires_grad=True)
        s = lib.sigmoid(w)  # its backward reads its result, which the write changes
        lib.nn.functional.relu(s, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            s.sum().backward()
