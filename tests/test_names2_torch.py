"""Issue 15's everyday names, second list, torch part, against torch: logspace, range
(deprecated), asarray, frombuffer, empty_strided / new_empty_strided, diagflat,
unravel_index, is_nonzero, fill_diagonal_, angle, conj_physical and dim_order: values,
dtypes, memory sharing, warnings and torch's errors."""

from __future__ import annotations

import array
import math
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


def _same(a, b):
    assert isinstance(a, dg.Tensor) and isinstance(b, torch.Tensor)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _m(m):
    return m


CALLS = [
    ("logspace", lambda m: m.logspace(0, 2, 5)),
    ("logspace_base", lambda m: m.logspace(-1, 2, 7, base=3, dtype=m.float64)),
    ("logspace_int", lambda m: m.logspace(0, 2, 5, dtype=m.int64)),
    ("logspace_one", lambda m: m.logspace(1.5, 9, 1)),
    ("logspace_tensor_bounds", lambda m: m.logspace(m.tensor(0.0), m.tensor(1.0), 4, base=2)),
    ("range", lambda m: m.range(1, 4)),
    ("range_step", lambda m: m.range(0, 1, 0.3, dtype=m.float64)),
    ("range_int", lambda m: m.range(1, 9, 2, dtype=m.int64)),
    ("range_down", lambda m: m.range(3, -1.5, -0.5)),
    ("asarray_list", lambda m: m.asarray([1, 2.5])),
    ("asarray_ints", lambda m: m.asarray([[1, 2], [3, 4]])),
    ("asarray_number", lambda m: m.asarray(3)),
    ("asarray_array", lambda m: m.asarray(np.arange(3))),
    ("asarray_array_dtype", lambda m: m.asarray(np.arange(3), dtype=m.float32)),
    ("asarray_tensor_dtype", lambda m: m.asarray(m.ones(2), dtype=m.float64)),
    ("diagflat", lambda m: m.diagflat(m.tensor([[1, 2], [3, 4]]))),
    ("diagflat_offset", lambda m: m.diagflat(m.tensor([1.0, 2.0]), -2)),
    ("diagflat_method", lambda m: m.tensor([1.0, 2.0]).diagflat(1)),
    ("angle_float", lambda m: m.angle(m.tensor([-1.0, 0.0, -0.0, 2.0, -math.inf, math.inf]))),
    ("angle_nan", lambda m: m.angle(m.tensor([math.nan, -2.0], dtype=m.float64)).isnan()),
    ("angle_int", lambda m: m.tensor([-3, 0, 5]).angle()),
    ("conj_physical", lambda m: m.conj_physical(m.tensor([1.0, -2.0]))),
    ("fill_diagonal", lambda m: m.zeros(3, 3).fill_diagonal_(2.0)),
    ("fill_diagonal_tall", lambda m: m.zeros(5, 3).fill_diagonal_(1.0)),
    ("fill_diagonal_wrap", lambda m: m.zeros(7, 3).fill_diagonal_(1.0, wrap=True)),
    ("fill_diagonal_wrap_8", lambda m: m.zeros(8, 2, dtype=m.int64).fill_diagonal_(3, wrap=True)),
    ("fill_diagonal_wide", lambda m: m.zeros(2, 5).fill_diagonal_(-1.0, wrap=True)),
    ("fill_diagonal_cube", lambda m: m.zeros(3, 3, 3).fill_diagonal_(4.0)),
    ("fill_diagonal_view", lambda m: _fill_view(m)),
]


def _fill_view(m):
    base = m.zeros(4, 4)
    base[1:, 1:].fill_diagonal_(5.0)
    return base


@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_values_as_torch(name, call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (range's deprecation: tested below)
        _same(call(dg), call(torch))


@pytest.mark.parametrize(
    "indices,shape",
    [([4, 1], (2, 3)), ([[1, 5], [0, 2]], (3, 2)), ([-6, -7, 6], (2, 3)), (7, (2, 2, 2)), ([3], 6)],
)
def test_unravel_index_as_torch(indices, shape):
    got = dg.unravel_index(dg.tensor(indices), shape)
    want = torch.unravel_index(torch.tensor(indices), shape)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _same(a, b)


ERRORS = [
    lambda m: m.unravel_index(m.tensor(4.0), (2, 3)),
    lambda m: m.unravel_index(m.tensor([1]), (2, -3)),
    lambda m: m.is_nonzero(m.tensor([])),
    lambda m: m.is_nonzero(m.tensor([1, 2])),
    lambda m: m.asarray(m.ones(2), dtype=m.float64, copy=False),
    lambda m: m.zeros(2, 3, 3).fill_diagonal_(1),
    lambda m: m.zeros(3).fill_diagonal_(1),
    lambda m: m.frombuffer(b"", dtype=m.int8),
    lambda m: m.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=m.int16, offset=1),
    lambda m: m.frombuffer(bytearray(b"\x01\x02\x03\x04"), dtype=m.int8, offset=1, count=5),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_as_torch(call):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(type(want.value)) as got:
        call(dg)
    # torch's message (its dtypes named as dualgrad's), to which dualgrad may add the fix
    assert str(got.value).replace("dualgrad.", "torch.").startswith(str(want.value))


def test_range_warns_as_torch():
    with pytest.warns(UserWarning) as got:
        dg.range(0, 2)
    with pytest.warns(UserWarning) as want:
        torch.range(0, 2)
    assert str(got[0].message) == str(want[0].message)
    assert got[0].filename == __file__  # pointing at the caller


def test_is_nonzero_as_torch():
    for values in ([[0.5]], [0], [False], 3, -0.0):
        assert dg.is_nonzero(dg.tensor(values)) == torch.is_nonzero(torch.tensor(values))


def test_asarray_shares_memory_as_torch():
    x = dg.ones(3)
    assert dg.asarray(x) is x and torch.asarray(torch.ones(3)) is not None
    y = dg.asarray(x, copy=True)
    y[0] = 5.0
    assert x[0].item() == 1.0
    a = np.zeros(3)
    t = dg.asarray(a)
    a[1] = 7.0
    assert t[1].item() == 7.0
    r = dg.asarray([1.0, 2.0], requires_grad=True)
    assert r.requires_grad and r.is_leaf


def test_asarray_keeps_or_drops_history_as_torch():
    for m in (dg, torch):
        b = m.tensor([1.0, 2.0], requires_grad=True) * 2
        c = m.asarray(b, requires_grad=False)
        assert not c.requires_grad and c.grad_fn is None
        c[0] = 7.0  # an alias of b's memory
        assert b[0].item() == 7.0
        assert m.asarray(b, requires_grad=True) is b
        with pytest.warns(UserWarning, match="unspecified requires_grad"):
            assert m.asarray(b) is b
        z = m.asarray(b, dtype=m.float64, requires_grad=False)
        assert z.dtype == m.float64 and not z.requires_grad


def test_frombuffer_shares_a_writable_buffer_and_copies_a_read_only_one():
    buf = bytearray(b"\x01\x02\x03\x04")
    for m in (dg, torch):
        t = m.frombuffer(buf, dtype=m.int16)
        assert t.tolist() == [513, 1027]
    t = dg.frombuffer(buf, dtype=dg.int8, offset=1, count=2)
    buf[1] = 9
    assert t.tolist() == [9, 3]
    floats = array.array("d", [1.5, -2.0, 4.0])
    _same(dg.frombuffer(floats, dtype=dg.float64), torch.frombuffer(floats, dtype=torch.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _same(
            dg.frombuffer(b"\x05\x06", dtype=dg.uint8),
            torch.frombuffer(b"\x05\x06", dtype=torch.uint8),
        )


@pytest.mark.parametrize(
    "size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((3,), (2,)), ((2, 0), (1, 1))]
)
def test_empty_strided_as_torch(size, stride):
    d, t = dg.empty_strided(size, stride), torch.empty_strided(size, stride)
    assert d.stride() == t.stride() and tuple(d.shape) == tuple(t.shape) and d.dtype is dg.float32
    d.fill_(1.5)
    assert d.sum().item() == 1.5 * d.numel()
    n = dg.zeros(1, dtype=dg.float64).new_empty_strided(size, stride)
    assert n.stride() == t.stride() and n.dtype is dg.float64


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.zeros(2, 3),
        lambda m: m.zeros(2, 3).t(),
        lambda m: m.zeros(2, 3, 4).permute(2, 0, 1),
        lambda m: m.zeros(2, 3, 4).transpose(0, 1),
        lambda m: m.zeros(5),
        lambda m: m.zeros(()),
    ],
)
def test_dim_order_as_torch(make):
    assert make(dg).dim_order() == make(torch).dim_order()


def test_fill_diagonal_is_differentiable_and_versioned_as_torch():
    a = np.random.default_rng(0).standard_normal((4, 3))
    grads = []
    for m in (dg, torch):
        x = m.tensor(a, requires_grad=True)
        y = x * 2
        y.fill_diagonal_(0.5, wrap=True)
        (y * y).sum().backward()
        grads.append(x.grad)
    np.testing.assert_allclose(grads[0].numpy(), grads[1].numpy())
    x = dg.ones(3, 3)
    version = x._version
    assert x.fill_diagonal_(0.0) is x and x._version == version + 1


def test_angle_and_conj_physical_gradients_as_torch():
    a = np.array([-1.5, 0.5, 2.0, -0.25])
    for fn in (lambda m, x: m.angle(x), lambda m, x: m.conj_physical(x) * x):
        xs = [m.tensor(a, requires_grad=True) for m in (dg, torch)]
        for m, x in zip((dg, torch), xs):
            fn(m, x).sum().backward()
        np.testing.assert_array_equal(xs[0].grad.numpy(), xs[1].grad.numpy())
