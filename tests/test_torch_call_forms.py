"""Call forms torch accepts beside the usual ones, found by running torch's docstring examples
(tools/torch_doc_examples.py): each against torch, values and (where torch has one) gradient."""

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg

A = np.random.default_rng(0).standard_normal((2, 3, 4))
B = np.random.default_rng(1).standard_normal((2, 4, 5))

FORMS = {
    "einsum_sublist_ellipsis": lambda m, a, b: m.einsum(
        a, [..., 0, 1], b, [..., 1, 2], [..., 0, 2]
    ),
    "einsum_sublist_implicit": lambda m, a, b: m.einsum(a, [0, 1, 2], b, [0, 2, 3]),
    "einsum_sublist_one": lambda m, a, b: m.einsum(a, [0, 1, 2], [2]),
    "scatter_value_multiply": lambda m, a, b: a.scatter(
        2, m.tensor([[[1], [3], [0]], [[2], [2], [1]]]), 1.5, reduce="multiply"
    ),
    "scatter_src_add": lambda m, a, b: a.scatter(
        2,
        m.tensor([[[1, 1], [3, 0], [0, 2]], [[2, 2], [2, 1], [1, 0]]]),
        b[:, :3, :2],
        reduce="add",
    ),
    "nonzero_0d_as_tuple": lambda m, a, b: m.nonzero(m.tensor(5.0), as_tuple=True),
    "nonzero_0d_zero_as_tuple": lambda m, a, b: m.nonzero(m.tensor(0.0), as_tuple=True),
    "logical_and_out": lambda m, a, b: m.logical_and(
        a > 0, a < 1, out=m.empty(2, 3, 4, dtype=m.bool)
    ),
    "logical_or_out_float": lambda m, a, b: m.logical_or(a > 0, a < -1, out=m.empty(2, 3, 4)),
}


def _values(result):
    if isinstance(result, tuple):
        return [r.detach().numpy() for r in result]
    return [result.detach().numpy()]


@pytest.mark.parametrize("form", FORMS)
def test_call_form_as_torch(form):
    fn = FORMS[form]
    results = {}
    for m in (torch, dg):
        a = m.tensor(A, requires_grad=True)
        b = m.tensor(B, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(m, a, b)
        grads = None
        if not isinstance(out, tuple) and out.requires_grad and m is dg:
            grads = dg.autograd.grad((out * out).sum(), [a, b], allow_unused=True)
        results[m] = (_values(out), grads)
    (theirs, _), (ours, grads) = results[torch], results[dg]
    assert len(theirs) == len(ours)
    for t, o in zip(theirs, ours):
        assert t.dtype.name == o.dtype.name and t.shape == o.shape
        np.testing.assert_allclose(o, t, rtol=1e-12)
    if grads is not None:  # torch has no derivative for scatter's reduce: finite differences
        for x, g in zip((A, B), grads):
            if g is None:
                continue
            eps = 1e-6
            d = np.random.default_rng(2).standard_normal(x.shape)

            def f(x_):
                args = (x_, B) if x is A else (A, x_)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out = fn(dg, dg.tensor(args[0]), dg.tensor(args[1]))
                return float((out * out).sum())

            fd = (f(x + eps * d) - f(x - eps * d)) / (2 * eps)
            np.testing.assert_allclose(float((g * dg.tensor(d)).sum()), fd, rtol=1e-6)


def test_scatter_reduce_argument_is_checked_as_torch():
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
            m.zeros(3).scatter(0, m.tensor([0]), 1.0, reduce="mean")


def test_scatter_with_a_tensor_and_reduce_warns_as_torch():
    # (torch's words; torch warns once a process, so the test cannot ask it again here)
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src is dep"):
        dg.zeros(3).scatter(0, dg.tensor([0]), dg.ones(1), reduce="add")


LSTSQ_CASES = [(d, False) for d in (None, "gels", "gelsy", "gelsd", "gelss")] + [
    # a rank-deficient batch element: torch's 'gels' raises (it assumes full rank) and its
    # batched 'gelsy' reports rank 0 for it; the SVD drivers' rank is the numerical rank
    ("gelsd", True),
    ("gelss", True),
]


@pytest.mark.parametrize("driver, deficient", LSTSQ_CASES)
def test_lstsq_returns_what_each_driver_returns_in_torch(driver, deficient):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, 5, 3))
    if deficient:
        A[1, :, 0] = 0.0  # one matrix of lower rank: no residuals, as torch
    for B in (rng.standard_normal((2, 5, 2)), rng.standard_normal((2, 5))):
        theirs = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver)
        ours = dg.linalg.lstsq(dg.tensor(A), dg.tensor(B), driver=driver)
        for field in ("residuals", "rank", "singular_values"):
            t, o = getattr(theirs, field).numpy(), getattr(ours, field).numpy()
            assert (t.shape, t.dtype) == (o.shape, o.dtype), field
            np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-8)


def test_lstsq_refuses_an_unknown_driver_as_torch():
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
            m.linalg.lstsq(m.ones(3, 2), m.ones(3, 1), driver="qr")


@pytest.mark.parametrize(
    "size, fill", [(4, -1), (1, 7), (2, 0), (0, -1)], ids=["padded", "cut", "exact", "none"]
)
def test_nonzero_static_as_torch(size, fill):
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    for data in (x, np.array(3.0), np.zeros((2, 3))):
        theirs = torch.nonzero_static(torch.tensor(data), size=size, fill_value=fill)
        ours = dg.tensor(data).nonzero_static(size=size, fill_value=fill)
        assert ours.dtype == dg.int64 and ours.tolist() == theirs.tolist()
    for m in (torch, dg):
        with pytest.raises(RuntimeError, match="'size' must be an non-negative integer"):
            m.nonzero_static(m.tensor(x), size=-1)


def test_old_names_as_torch():
    A = np.random.default_rng(4).standard_normal((2, 3, 3))
    b = np.random.default_rng(5).standard_normal((2, 3, 1))
    results = []
    for m in (torch, dg):
        LU, pivots = m.linalg.lu_factor(m.tensor(A))
        if m is dg:  # (torch warns once a process: not asked again here)
            with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
                x = m.lu_solve(m.tensor(b), LU, pivots)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = m.lu_solve(m.tensor(b), LU, pivots)
        shuffled = m.nn.functional.native_channel_shuffle(m.arange(8.0).reshape(1, 4, 2), 2)
        results.append((x.numpy(), shuffled.numpy()))
    for t, o in zip(*results):
        np.testing.assert_allclose(o, t, rtol=1e-12)
