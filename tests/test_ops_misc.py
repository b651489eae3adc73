"""Errors, exports, node names and views of the shape, linear-algebra and composite ops.

Their values and derivatives in every mode are rows of tests/op_table.py (test_ops.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import torch

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwAD


# ---------------------------------------------------------------- errors and exports
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: dg.cat([dg.zeros(2, 3), dg.zeros(2, 4)]), "Sizes of tensors must match"),
        (
            lambda: dg.stack([dg.zeros(2), dg.zeros(3)]),
            "stack expects each tensor to be equal size",
        ),
        (
            lambda: dg.split(dg.zeros(4), [1, 2]),
            "split_with_sizes expects split_sizes to sum exactly",
        ),
        (lambda: dg.matmul(dg.zeros(2, 3), dg.zeros(2, 3)), "cannot be multiplied"),
        (lambda: dg.matmul(dg.zeros(()), dg.zeros(3)), "at least 1D"),
        (lambda: dg.mm(dg.zeros(3), dg.zeros(3, 3)), "self must be a matrix"),
        (
            lambda: dg.bmm(dg.zeros(2, 3, 4), dg.zeros(3, 4, 5)),
            "Expected size for first two dimensions",
        ),
        (lambda: dg.dot(dg.zeros(3), dg.zeros(4)), "inconsistent tensor size"),
        (lambda: dg.matmul(dg.zeros(2, 2), dg.zeros(2, 2, dtype=dg.float64)), "same dtype"),
        (lambda: dg.cross(dg.zeros(2, 2), dg.zeros(2, 2)), "no dimension of size 3"),
        (lambda: dg.cross(dg.zeros(2, 3), dg.zeros(3), dim=-1), "same number of dimensions"),
        (lambda: dg.repeat(dg.zeros(2, 2), 2), "can not be smaller"),
        (lambda: dg.einsum("ij,jk->ik", dg.zeros(2, 3)), "operands"),
        (lambda: dg.tril(dg.zeros(3)), "at least 2 dimensions"),
    ],
)
def test_errors(call, message):
    with pytest.raises((RuntimeError, TypeError, NotImplementedError), match=message):
        call()


def test_star_exports_only_public_functions():
    from dualgrad._ops import composite, elementwise, indexing, linalg, reduction, shape

    for mod in (composite, elementwise, indexing, linalg, reduction, shape):
        for name in mod.__all__:
            assert callable(getattr(dg, name)), f"dualgrad.{name} ({mod.__name__})"
    for leaked in ("np", "math", "apply", "ADD", "MATMUL", "linear", "sum_to", "normalize_dims"):
        assert not hasattr(dg, leaked), f"dualgrad.{leaked} leaks from an op module"


def test_node_names():
    x = dg.randn(3, 4, requires_grad=True)
    assert dg.cat([x, x]).grad_fn.name() == "CatBackward0"
    assert dg.stack([x, x]).grad_fn.name() == "StackBackward0"
    assert x.repeat(2, 1).grad_fn.name() == "RepeatBackward0"
    assert x.diagonal().grad_fn.name() == "DiagonalBackward0"
    assert x.tril().grad_fn.name() == "TrilBackward0"
    assert x.triu().grad_fn.name() == "TriuBackward0"


def test_unbind_returns_views():
    x = dg.randn(3, 2)
    rows = x.unbind(0)
    assert all(r._base is x for r in rows)
    assert [tuple(r.shape) for r in rows] == [(2,)] * 3


def test_forward_over_forward_mixed_partial():
    # d2/ds dt of (x + s u + t v) @ (x + s u + t v) = u @ v + v @ u, exactly
    rng = np.random.default_rng(1)
    x, u, v = (rng.standard_normal((3, 3)) for _ in range(3))
    with fwAD.dual_level():
        xs = fwAD.make_dual(dg.tensor(x), dg.tensor(u))
        with fwAD.dual_level():
            xt = fwAD.make_dual(xs, dg.tensor(v))
            out = dg.einsum("ij,jk->ik", xt, xt) + dg.matmul(xt, xt)
            t_inner = fwAD.unpack_dual(out).tangent
        mixed = fwAD.unpack_dual(t_inner).tangent
    np.testing.assert_allclose(mixed.numpy(), 2 * (u @ v + v @ u), rtol=1e-12)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "nearest", "midpoint"])
def test_nanquantile_with_nan_matches_torch(interpolation):
    import torch

    a = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan] * 4, [2.0, 4.0, np.nan, 1.0]])
    for q in (0.3, [0.1, 0.5, 0.9]):
        dq = q if isinstance(q, float) else dg.tensor(q, dtype=dg.float64)
        tq = q if isinstance(q, float) else torch.tensor(q, dtype=torch.float64)
        got = dg.nanquantile(dg.tensor(a), dq, dim=1, interpolation=interpolation)
        ref = torch.nanquantile(torch.tensor(a), tq, dim=1, interpolation=interpolation)
        np.testing.assert_allclose(got._data, ref.numpy(), equal_nan=True)
    x, tx = dg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (g,) = dg.autograd.grad(
        dg.nanquantile(x, 0.3, dim=1, interpolation=interpolation)[[0, 2]].sum(), x
    )
    (tg,) = torch.autograd.grad(
        torch.nanquantile(tx, 0.3, dim=1, interpolation=interpolation)[[0, 2]].sum(), tx
    )
    np.testing.assert_allclose(g._data, tg.numpy())


def test_full_svd_gradients_flow_through_the_reduced_part_as_torch():
    """linalg.svd(full_matrices=True) of a tall matrix: U is square and orthogonal, and the
    gradient of a gauge-invariant function matches torch, which cuts the extra columns."""
    rng = np.random.default_rng(8)
    a, w = rng.standard_normal((5, 3)), rng.standard_normal((5, 5))
    grads = []
    for lib in (dg, torch):
        A = lib.tensor(a, requires_grad=True)
        U, S, Vh = lib.linalg.svd(A)
        k = U[:, :3]
        ((k @ k.mT) * lib.tensor(w)).sum().backward()
        grads.append(np.asarray(A.grad.detach().numpy()))
        np.testing.assert_allclose(
            np.asarray(U.detach().numpy()).T @ np.asarray(U.detach().numpy()), np.eye(5), atol=1e-12
        )
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-12)
