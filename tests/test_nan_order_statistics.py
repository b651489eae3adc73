"""Order statistics of tensors holding nan, against torch: a nan propagates where torch's does
(median and quantile along a dim, max/min with their indices, sort, cummax), each nan is a
value of its own (unique), and the indices are torch's. Found by torch's docstring examples
(tools/torch_doc_examples.py): median(dim) and quantile had silently skipped the nans."""

import numpy as np
import pytest
import torch

import dualgrad as dg

NAN = float("nan")
DATA = [[3.0, NAN, 1.0, NAN, 2.0], [1.0, 2.0, 3.0, 4.0, 0.0], [NAN, NAN, NAN, 1.0, 1.0]]

CASES = {
    "max_dim": lambda m, x: m.max(x, 1),
    "min_dim": lambda m, x: m.min(x, 1),
    "amax": lambda m, x: m.amax(x, 1),
    "argmax": lambda m, x: m.argmax(x, 1),
    "argmin": lambda m, x: m.argmin(x, 1),
    "max": lambda m, x: m.max(x),
    "kthvalue": lambda m, x: m.kthvalue(x, 2, 1),
    "sort": lambda m, x: m.sort(x, 1),
    "sort_descending": lambda m, x: m.sort(x, 1, descending=True),
    "argsort": lambda m, x: m.argsort(x, 1),
    "cummax": lambda m, x: m.cummax(x, 1),
    "cummin": lambda m, x: m.cummin(x, 1),
    "median": lambda m, x: m.median(x),
    "median_dim": lambda m, x: m.median(x, 1),
    "median_dim_keepdim": lambda m, x: m.median(x, 0, keepdim=True),
    "nanmedian_dim": lambda m, x: m.nanmedian(x, 1),
    "quantile_dim": lambda m, x: m.quantile(x, 0.4, dim=1),
    "quantile_all": lambda m, x: m.quantile(x, m.tensor([0.1, 0.9], dtype=x.dtype)),
    "quantile_nearest": lambda m, x: m.quantile(x, 0.6, dim=1, interpolation="nearest"),
    "nanquantile_dim": lambda m, x: m.nanquantile(x, 0.4, dim=1),
    "aminmax": lambda m, x: m.aminmax(x, dim=1),
    "maximum": lambda m, x: m.maximum(x, x.flip(1)),
    "clamp": lambda m, x: m.clamp(x, 0.5, 2.5),
    "unique": lambda m, x: m.unique(x, return_inverse=True, return_counts=True),
    "msort": lambda m, x: m.msort(x.T),
    "logsumexp": lambda m, x: m.logsumexp(x, 1),
}


def _arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    return [np.asarray(t.detach().numpy()) for t in items]


@pytest.mark.parametrize("case", CASES)
def test_nan_as_torch(case):
    fn = CASES[case]
    theirs = _arrays(fn(torch, torch.tensor(DATA, dtype=torch.float64)))
    ours = _arrays(fn(dg, dg.tensor(DATA, dtype=dg.float64)))
    assert len(theirs) == len(ours)
    for t, o in zip(theirs, ours):
        assert t.shape == o.shape and t.dtype == o.dtype
        np.testing.assert_allclose(o, t, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", ["median_dim", "quantile_dim", "quantile_all"])
def test_the_gradient_goes_where_torchs_goes(case):
    grads = []
    for m in (torch, dg):
        x = m.tensor(DATA, dtype=m.float64, requires_grad=True)
        out = CASES[case](m, x)
        out = out[0] if isinstance(out, tuple) else out
        m.where(m.isnan(out), m.ones_like(out), out).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_mode_of_a_row_with_nan_is_a_value_of_the_row():
    # (torch counts each nan once, so its choice among them is its sort's: not compared)
    values, indices = dg.mode(dg.tensor(DATA), 1)
    for row, v, i in zip(DATA, values.tolist(), indices.tolist()):
        assert row[i] == v or (v != v and row[i] != row[i])


INF = float("inf")
SPECIAL_ROWS = [[INF, 1.0, 2.0], [-INF, 1.0, 2.0], [-INF, -INF, -INF], [INF, INF, 1.0], [NAN, 1, 2]]
SPECIAL = {
    # found by the random programs' value_special mode (tests/test_random_programs.py)
    "softmax": lambda m, x: m.softmax(x, 1),
    "log_softmax": lambda m, x: m.log_softmax(x, 1),
    "logsumexp": lambda m, x: m.logsumexp(x, 1),
    "scatter_amax": lambda m, x: m.zeros(5, dtype=x.dtype).scatter_reduce(
        0, m.tensor([0, 0, 1, 2, 3]), x[:, 0], "amax"
    ),
    "scatter_amin_excluding_self": lambda m, x: m.ones(5, dtype=x.dtype).scatter_reduce(
        0, m.tensor([0, 0, 1, 2, 3]), x[:, 0], "amin", include_self=False
    ),
    "scatter_prod_with_a_zero": lambda m, x: m.ones(5, dtype=x.dtype).scatter_reduce(
        0, m.tensor([0, 0, 1, 2, 2]), m.cat([x[:, 0][:4], m.zeros(1, dtype=x.dtype)]), "prod"
    ),
}


@pytest.mark.parametrize("case", SPECIAL)
def test_infinities_as_torch(case):
    fn = SPECIAL[case]
    theirs = fn(torch, torch.tensor(SPECIAL_ROWS, dtype=torch.float64)).numpy()
    ours = fn(dg, dg.tensor(SPECIAL_ROWS, dtype=dg.float64)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize(
    "A",
    [[[4.0, NAN], [NAN, 3.0]], [[[4.0, 0.0], [0.0, 3.0]], [[NAN, 1.0], [1.0, 3.0]]]],
    ids=["nan", "nan_in_a_batch"],
)
def test_cholesky_of_a_nan_pivot_raises_as_torch(A):
    with pytest.raises(torch.linalg.LinAlgError) as theirs:
        torch.linalg.cholesky(torch.tensor(A))
    with pytest.raises(dg.linalg.LinAlgError) as ours:
        dg.linalg.cholesky(dg.tensor(A))
    assert str(ours.value) == str(theirs.value)
