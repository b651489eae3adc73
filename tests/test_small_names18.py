"""Small names of issue 15's list against torch: count_nonzero, vstack/row_stack,
autograd.set_grad_enabled, torch's module paths of MultiheadAttention and
NonDynamicallyQuantizableLinear."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import dualgrad as dg

CASES = {
    "count_nonzero_all": lambda m: m.count_nonzero(m.tensor([[0, 1, 2], [0, 0, 3]])),
    "count_nonzero_dim": lambda m: m.count_nonzero(m.tensor([[0.0, 1.5], [2.0, 0.0]]), dim=1),
    "count_nonzero_dims": lambda m: m.count_nonzero(m.ones(2, 3, 4), (0, 2)),
    "count_nonzero_method": lambda m: m.tensor([[0, 1], [1, 1]]).count_nonzero(0),
    "count_nonzero_bool_0d": lambda m: m.count_nonzero(m.tensor(True)),
    "count_nonzero_nan": lambda m: m.count_nonzero(m.tensor([float("nan"), 0.0, -0.0])),
    "count_nonzero_empty": lambda m: m.count_nonzero(m.zeros(0, 3), 0),
    "count_nonzero_bad_dim": lambda m: m.count_nonzero(m.ones(2), 3),
    "vstack_rows": lambda m: m.vstack([m.arange(3), m.arange(3) * 2]),
    "vstack_0d": lambda m: m.vstack([m.tensor(1.0), m.tensor(2.0)]),
    "vstack_mixed": lambda m: m.vstack((m.ones(1, 2), m.zeros(2, 2))),
    "vstack_3d": lambda m: m.vstack((m.ones(1, 2, 2), m.zeros(2, 2, 2))),
    "vstack_promotes": lambda m: m.vstack((m.ones(2, dtype=m.int64), m.zeros(2))),
    "vstack_mismatch": lambda m: m.vstack([m.ones(2), m.ones(3)]),
    "vstack_tensor": lambda m: m.vstack(m.ones(2, 2)),
    "row_stack": lambda m: m.row_stack([m.ones(2), m.zeros(2)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_small_names_as_torch(name):
    try:
        want = CASES[name](torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            CASES[name](dg)
        return
    got = CASES[name](dg)
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_vstack_gradient_as_torch():
    out = []
    for m in (torch, dg):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = m.tensor([[3.0, 4.0]], requires_grad=True)
        y = m.vstack([a, b])
        out.append(
            [
                g.numpy()
                for g in m.autograd.grad((y * m.tensor([[1.0, 2.0], [3.0, 4.0]])).sum(), (a, b))
            ]
        )
    for g, w in zip(out[1], out[0]):
        np.testing.assert_array_equal(g, w)


def test_torch_module_paths():
    for path, name in (
        ("nn.modules.activation", "MultiheadAttention"),
        ("nn.modules.linear", "NonDynamicallyQuantizableLinear"),
        ("nn.modules.transformer", "TransformerEncoderLayer"),
    ):
        assert hasattr(importlib.import_module(f"dualgrad.{path}"), name)
    lin = dg.nn.modules.linear.NonDynamicallyQuantizableLinear(2, 3)
    assert isinstance(lin, dg.nn.Linear) and tuple(lin.weight.shape) == (3, 2)
    x = dg.ones(2, requires_grad=True)
    with dg.autograd.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with dg.autograd.no_grad():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
