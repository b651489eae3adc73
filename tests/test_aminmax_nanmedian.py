"""torch.aminmax and torch.nanmedian (+ its dim form) against torch: values, indices, dtypes,
return types, gradients (ties shared as torch shares them), node names and errors. Their
rules in every mode are checked by the op table's rows (aminmax, nanmedian)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

NAN = float("nan")
RNG = np.random.default_rng(7)
SAMPLES = {
    "plain": RNG.standard_normal((3, 5)),
    "ties": np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, -1.0]]),
    "nans": np.array([[1.5, NAN, 0.3, -2.0, 4.0], [0.7, -1.1, NAN, NAN, 0.0], [NAN] * 5]),
    "one_row": RNG.standard_normal((1, 4)),
    "scalar": np.array(2.5),
    "vector": np.array([3.0, NAN, -1.0, 2.0]),
}

CALLS = {
    "aminmax": lambda m, x: tuple(m.aminmax(x)),
    "aminmax_keepdim": lambda m, x: tuple(m.aminmax(x, keepdim=True)),
    "aminmax_dim0": lambda m, x: tuple(m.aminmax(x, dim=0)),
    "aminmax_dim-1_keepdim": lambda m, x: tuple(x.aminmax(dim=-1, keepdim=True)),
    "nanmedian": lambda m, x: (m.nanmedian(x),),
    "nanmedian_dim": lambda m, x: tuple(m.nanmedian(x, -1)),
    "nanmedian_dim0_keepdim": lambda m, x: tuple(x.nanmedian(0, keepdim=True)),
}


def _run(m, call, a):
    x = m.tensor(a, requires_grad=True)
    outs = CALLS[call](m, x)
    floats = [o for o in outs if o.is_floating_point()]
    total = sum((o * (i + 2)).nansum() for i, o in enumerate(floats))
    total.backward()
    return [o.detach().numpy() for o in outs], x.grad.numpy(), [o.grad_fn.name() for o in floats]


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_values_indices_gradients_and_nodes_as_torch(call, sample):
    a = SAMPLES[sample]
    want = _run(torch, call, a)
    got = _run(dg, call, a)
    for g, w in zip(got[0], want[0]):
        if sample == "nans" and g.dtype.kind == "i":
            # the index of an all-nan row is torch's kernel's choice; the other rows' agree
            g, w = g[..., :2] if g.ndim else g, w[..., :2] if w.ndim else w
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    if not call.startswith("nanmedian_dim"):  # (the dim form's node: docs/differences.md)
        assert got[2] == want[2]


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_aminmax_of_integers_and_bools(dtype):
    a = np.array([[3, 0, 2], [1, 4, 1]]).astype(dtype)
    for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}):
        got = dg.aminmax(dg.tensor(a), **kw)
        want = torch.aminmax(torch.tensor(a), **kw)
        for g, w in zip((got.min, got.max), (want.min, want.max)):
            assert str(g.dtype).split(".")[1] == str(w.dtype).split(".")[1]
            np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_nanmedian_of_integers_is_median():
    a = np.array([[3, 0, 2, 7], [1, 4, 1, 9]])
    np.testing.assert_array_equal(
        dg.nanmedian(dg.tensor(a)).numpy(), torch.nanmedian(torch.tensor(a)).numpy()
    )
    got, want = dg.nanmedian(dg.tensor(a), 1), torch.nanmedian(torch.tensor(a), 1)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())


ERRORS = {
    "aminmax_empty": lambda m: m.aminmax(m.tensor([])),
    "aminmax_empty_dim": lambda m: m.aminmax(m.zeros(2, 0), dim=1),
    "aminmax_dim_range": lambda m: m.aminmax(m.zeros(2, 3), dim=2),
    "aminmax_dim_tuple": lambda m: m.aminmax(m.zeros(2, 3), dim=(0, 1)),
    "nanmedian_empty_dim": lambda m: m.nanmedian(m.zeros(2, 0), 1),
    "nanmedian_bool": lambda m: m.nanmedian(m.tensor([True])),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_as_torch(case):
    with pytest.raises(Exception) as want:
        ERRORS[case](torch)
    with pytest.raises(type(want.value)):
        ERRORS[case](dg)


def test_nanmedian_of_nothing_is_nan():
    assert np.isnan(dg.nanmedian(dg.tensor([])).item())
    assert np.isnan(torch.nanmedian(torch.tensor([])).item())


def test_return_type_names():
    r = dg.aminmax(dg.tensor([1.0, 2.0]))
    assert r.min.item() == 1.0 and r.max.item() == 2.0
    v = dg.nanmedian(dg.tensor([[1.0, NAN]]), 1)
    assert v.values.item() == 1.0 and v.indices.item() == 0
