"""The element-wise functions declared ``@unary(op)`` (NOTE: [one frame for torch.exp(x)] in
_ops/elementwise.py) are their op, with and without torch's out=, as functions and methods."""

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad._ops import elementwise as E

UNARY = sorted(name for name, fn in vars(E).items() if callable(fn) and hasattr(fn, "unary_apply"))


def test_the_list_is_not_empty():
    assert len(UNARY) >= 28


@pytest.mark.parametrize("name", UNARY)
def test_unary_function_is_its_op(name):
    inner = getattr(E, name)
    op = inner.unary_apply[1]
    x = dg.tensor(np.linspace(0.2, 0.8, 5)).requires_grad_()
    public = getattr(dg, name)
    y = public(x)
    assert y.grad_fn.op is op
    t = torch.tensor(np.linspace(0.2, 0.8, 5))
    want = getattr(torch, name)(t)
    np.testing.assert_allclose(y.detach().numpy(), want.numpy(), rtol=1e-15)
    out = dg.empty(5, dtype=dg.float64)
    r = public(x.detach(), out=out)
    assert r is out
    np.testing.assert_array_equal(out.numpy(), y.detach().numpy())
    np.testing.assert_array_equal(getattr(x.detach(), name)().numpy(), y.detach().numpy())
