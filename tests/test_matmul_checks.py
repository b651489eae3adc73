"""matmul's argument checks take a shortcut for the common case (one float dtype; batch dims
checked only where both operands have them): every case still answers as torch, values or the
exception type."""

import numpy as np
import pytest
import torch

import dualgrad as dg

CASES = [
    # (shape a, shape b, dtype a, dtype b)
    ((3, 4), (4, 5), "float32", "float32"),
    ((4,), (4,), "float64", "float64"),
    ((4,), (2, 4, 3), "float64", "float64"),
    ((2, 3, 4), (4,), "float64", "float64"),
    ((3, 4), (2, 4, 5), "float32", "float32"),
    ((2, 3, 4), (4, 5), "float32", "float32"),
    ((2, 1, 3, 4), (5, 4, 2), "float64", "float64"),
    ((2, 3, 4), (5, 4, 2), "float64", "float64"),  # batch dims that do not broadcast
    ((3, 4), (5, 6), "float64", "float64"),  # inner sizes differ
    ((3, 4), (4, 5), "float32", "float64"),  # dtypes differ
    ((3, 4), (4, 5), "bool", "bool"),
    ((4,), (4,), "bool", "bool"),
    ((3, 4), (4, 5), "int64", "int64"),
]


def _outcome(lib, shape_a, shape_b, dtype_a, dtype_b):
    rng = np.random.default_rng(0)
    a = lib.tensor(
        rng.standard_normal(shape_a) > 0 if dtype_a == "bool" else rng.standard_normal(shape_a)
    ).to(getattr(lib, dtype_a))
    b = lib.tensor(
        rng.standard_normal(shape_b) > 0 if dtype_b == "bool" else rng.standard_normal(shape_b)
    ).to(getattr(lib, dtype_b))
    try:
        return "ok", lib.matmul(a, b).numpy()
    except Exception as e:  # noqa: BLE001 - the exception type is the outcome compared
        return "raise", type(e)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_checks_as_torch(case):
    want = _outcome(torch, *case)
    got = _outcome(dg, *case)
    assert got[0] == want[0], (got, want)
    if want[0] == "ok":
        assert got[1].dtype == want[1].dtype
        np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-6)
    else:
        assert issubclass(got[1], want[1]) or issubclass(want[1], got[1]), (got, want)


def _dot_derivatives(lib, a, b, transform):
    x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
    if transform == "grad":
        return lib.autograd.grad(x @ y * 1.7, (x, y))
    if transform == "double":
        gx, gy = lib.autograd.grad(x @ y * 1.7, (x, y), create_graph=True)
        return lib.autograd.grad((gx * gy.tanh()).sum(), (x, y))
    if transform == "jacrev_jacrev":
        return (lib.func.jacrev(lib.func.jacrev(lambda v: v @ v / 2))(x.detach()),)
    if transform == "vmap_grad":
        rows = lib.tensor(np.stack([a, b, a * b]))
        return (lib.func.vmap(lib.func.grad(lambda v: lib.tanh(v) @ v))(rows),)
    raise AssertionError(transform)


@pytest.mark.parametrize("transform", ["grad", "double", "jacrev_jacrev", "vmap_grad"])
def test_dot_product_derivatives_as_torch(transform):
    # a dot product's rule is torch's (grad * other): the same bits as torch's at first order
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(6), rng.standard_normal(6)
    want = _dot_derivatives(torch, a, b, transform)
    got = _dot_derivatives(dg, a, b, transform)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-13, atol=1e-15)
    if transform == "grad":
        for w, g in zip(want, got):
            assert (g.numpy().view(np.uint64) == w.numpy().view(np.uint64)).all()
