"""The Tensor API against PyTorch: type promotion, factories, attributes and methods, repr,
Python operators, indexing (values and gradients) and the errors for bad input.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest
import torch

import dualgrad as dg


@pytest.fixture(autouse=True)
def _restore_state():
    """Keep a test that changes the default dtype or grad mode from leaking into the next."""
    yield
    dg.set_default_dtype(dg.float32)
    torch.set_default_dtype(torch.float32)
    dg.set_grad_enabled(True)
    torch.set_grad_enabled(True)


def dt_name(d) -> str:
    """'float32' for dualgrad.float32 and torch.float32 alike."""
    return str(d).split(".")[-1]


def both(data, dtype=None, requires_grad=False):
    """The same values as a dualgrad tensor and a torch tensor."""
    if dtype is None:
        return (
            dg.tensor(data, requires_grad=requires_grad),
            torch.tensor(data, requires_grad=requires_grad),
        )
    return (
        dg.tensor(data, dtype=getattr(dg, dtype), requires_grad=requires_grad),
        torch.tensor(data, dtype=getattr(torch, dtype), requires_grad=requires_grad),
    )


def same(a, b, exact=True):
    """dualgrad result ``a`` equals torch result ``b``: dtype, shape and values."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, dg.Tensor), type(a)
        assert dt_name(a.dtype) == dt_name(b.dtype), (a.dtype, b.dtype)
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        an, bn = a.detach().numpy(), b.detach().numpy()
    else:
        an, bn = np.asarray(a), np.asarray(b)
    if exact:
        np.testing.assert_array_equal(an, bn)
    else:
        np.testing.assert_allclose(an, bn, rtol=1e-6, atol=1e-6)


# ============================================================================ 1. promotion
DTYPES = ("float32", "float64", "int64", "bool")
VALUES = {
    "float32": [0.5, 1.5, 2.0],
    "float64": [0.5, 1.5, 2.0],
    "int64": [1, 2, 3],
    "bool": [True, False, True],
}
SCALARS = (True, 2, 2.5)


def _operands():
    """(label, dualgrad operand, torch operand): tensors of each dtype, 1-D and 0-d, and scalars."""
    out = []
    for d in DTYPES:
        out.append((f"{d}[3]",) + both(VALUES[d], d))
        out.append((f"{d}[]",) + both(VALUES[d][0], d))
    for s in SCALARS:
        out.append((f"{type(s).__name__}", s, s))
    return out


OPERANDS = _operands()
BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "==": operator.eq,
    "<": operator.lt,
    ">=": operator.ge,
    "maximum": "maximum",
    "&": operator.and_,
}
PAIRS = [
    (a, b)
    for a, b in itertools.product(OPERANDS, OPERANDS)
    if isinstance(a[1], dg.Tensor) or isinstance(b[1], dg.Tensor)
]


def _call(op, lib, x, y):
    return lib.maximum(x, y) if op == "maximum" else op(x, y)


def _torch_refuses(opname, a, b):
    try:
        _call(BINARY[opname], torch, a[2], b[2])
    except (RuntimeError, TypeError):
        return True
    return False


# torch.maximum takes tensors only
CASES = [
    (opname, a, b)
    for opname in BINARY
    for a, b in PAIRS
    if opname != "maximum" or (isinstance(a[1], dg.Tensor) and isinstance(b[1], dg.Tensor))
]
ACCEPTED = [c for c in CASES if not _torch_refuses(*c)]
REFUSED = [c for c in CASES if _torch_refuses(*c)]


@pytest.mark.parametrize("opname, a, b", ACCEPTED, ids=[f"{a[0]}{o}{b[0]}" for o, a, b in ACCEPTED])
def test_binary_result_dtype_matches_torch(opname, a, b):
    op = BINARY[opname]
    expected = _call(op, torch, a[2], b[2])
    got = _call(op, dg, a[1], b[1])
    assert dt_name(got.dtype) == dt_name(expected.dtype)
    same(got, expected, exact=False)


@pytest.mark.parametrize(
    "opname, a, b",
    REFUSED,
    ids=[f"{a[0]}{o}{b[0]}" for o, a, b in REFUSED],
)
def test_combinations_torch_refuses_are_refused(opname, a, b):
    with pytest.raises((TypeError, RuntimeError, NotImplementedError)):
        _call(BINARY[opname], dg, a[1], b[1])


WHERE_OPERANDS = [o for o in OPERANDS if o[0].endswith("[]") or not isinstance(o[1], dg.Tensor)] + [
    o for o in OPERANDS if o[0].endswith("[3]")
]


@pytest.mark.parametrize(
    "a, b",
    [(a, b) for a, b in itertools.product(WHERE_OPERANDS, WHERE_OPERANDS)],
    ids=[f"{a[0]}-{b[0]}" for a, b in itertools.product(WHERE_OPERANDS, WHERE_OPERANDS)],
)
def test_where_result_dtype_matches_torch(a, b):
    cond = [True, False, False]
    expected = torch.where(torch.tensor(cond), a[2], b[2])
    got = dg.where(dg.tensor(cond), a[1], b[1])
    same(got, expected, exact=False)


@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("d", DTYPES)
def test_default_dtype_float64_changes_scalar_promotion(d, scalar):
    dg.set_default_dtype(dg.float64)
    torch.set_default_dtype(torch.float64)
    x, tx = both(VALUES[d], d)
    for op in (operator.add, operator.mul, operator.truediv):
        with np.errstate(divide="ignore"):
            same(op(x, scalar), op(tx, scalar), exact=False)
            same(op(scalar, x), op(scalar, tx), exact=False)
    same(dg.tensor(1.5), torch.tensor(1.5))
    same(dg.tensor([1, 2]) / 2, torch.tensor([1, 2]) / 2)


def test_default_dtype_roundtrip():
    assert dg.get_default_dtype() is dg.float32
    dg.set_default_dtype(dg.float64)
    assert dg.get_default_dtype() is dg.float64
    assert dg.zeros(2).dtype is dg.float64
    assert dg.tensor([1.0]).dtype is dg.float64
    assert dg.tensor([1]).dtype is dg.int64
    with pytest.raises(TypeError):
        dg.set_default_dtype(dg.int64)


def test_integer_true_division_gives_float():
    x, tx = both([7, -7, 3], "int64")
    y, ty = both([2, 2, -2], "int64")
    same(x / y, tx / ty)
    same(x / 2, tx / 2)
    same(7 / y, 7 / ty)


@pytest.mark.parametrize("d", ["int64", "float32", "float64"])
def test_floor_divide_on_negatives_matches_torch(d):
    x, tx = both([7, -7, 7, -7, 0, -1], d)
    y, ty = both([2, 2, -2, -2, 3, 3], d)
    same(x // y, tx // ty)
    same(x // 3, tx // 3)
    same(-7 // y, -7 // ty)
    same(dg.floor_divide(x, y), torch.floor_divide(tx, ty))


# ============================================================================ 2. factories
@pytest.mark.parametrize(
    "data",
    [
        [[1, 2], [3, 4]],
        [1.5, 2.0],
        [[True, False]],
        3,
        2.5,
        True,
        [],
        [[1, 2.5]],
        [True, 2],
        (1, 2, 3),
        np.arange(4.0),
        np.arange(4),
        np.array([True, False]),
        np.ones(3, dtype=np.float32),
        np.float64(2.5),
    ],
    ids=lambda d: repr(d)[:30],
)
def test_tensor_infers_dtype_like_torch(data):
    same(dg.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize(
    "data", [[1, 0, 2], [0.7, 1.0], np.array([0.7, 2.0]), np.array([3, 0])], ids=str
)
def test_tensor_dtype_argument(data, dtype):
    same(dg.tensor(data, dtype=getattr(dg, dtype)), torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_float64_value_does_not_pass_through_float32():
    assert dg.tensor(0.7, dtype=dg.float64).item() == 0.7


def test_tensor_copies_and_requires_grad():
    a = np.zeros(3)
    t = dg.tensor(a, requires_grad=True)
    a[0] = 5.0
    assert t.detach().numpy()[0] == 0.0
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    t2 = dg.tensor(t.detach())
    assert not np.shares_memory(t2.numpy(), t.detach().numpy())


def test_as_tensor_and_from_numpy_share_memory():
    for make in (dg.as_tensor, dg.from_numpy):
        a = np.arange(3.0)
        t = make(a)
        assert t.dtype is dg.float64
        a[1] = 10.0
        assert t.tolist() == [0.0, 10.0, 2.0]
        t[0] = -1.0
        assert a[0] == -1.0
    a32 = np.ones(2, dtype=np.float32)
    assert dg.from_numpy(a32).dtype is dg.float32
    assert dg.as_tensor(np.array([1, 2])).dtype is dg.int64
    t = dg.tensor([1.0, 2.0])
    assert dg.as_tensor(t) is t
    same(dg.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    with pytest.raises(TypeError):
        dg.from_numpy([1.0, 2.0])


# (NumPy types torch has as dtypes keep their type: tests/test_dtypes.py)
@pytest.mark.parametrize(
    "np_dtype, expected",
    [(np.uint16, np.int64), (np.uint32, np.int64), (np.longdouble, np.float64)],
)
def test_other_numpy_dtypes_are_widened_to_ours(np_dtype, expected):
    a = np.array([1, 0, 2], dtype=np_dtype)
    for make in (dg.tensor, dg.as_tensor, dg.from_numpy):
        t = make(a)
        assert t.numpy().dtype == expected and t.dtype.np == expected
        assert repr(t) == repr(make(a.astype(expected)))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([4],), (0,), ((),)], ids=str)
def test_zeros_ones_empty(name, size):
    got, expected = getattr(dg, name)(*size), getattr(torch, name)(*size)
    assert tuple(got.shape) == tuple(expected.shape)
    assert dt_name(got.dtype) == dt_name(expected.dtype)
    if name != "empty":  # empty's values are whatever was in memory
        same(got, expected)
    for d in ("float64", "int64", "bool"):
        g = getattr(dg, name)(*size, dtype=getattr(dg, d))
        e = getattr(torch, name)(*size, dtype=getattr(torch, d))
        assert dt_name(g.dtype) == dt_name(e.dtype) and tuple(g.shape) == tuple(e.shape)
    assert getattr(dg, name)(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("fill", [3, 2.5, True, -1])
def test_full_dtype_follows_fill_value(fill):
    same(dg.full((2, 3), fill), torch.full((2, 3), fill))
    same(dg.full((2,), fill, dtype=dg.float64), torch.full((2,), fill, dtype=torch.float64))


@pytest.mark.parametrize(
    "args",
    [(5,), (2, 7), (1, 10, 3), (10, 1, -2), (0.5, 3), (0, 1, 0.25), (2.0,), (-3, 3, 1.5)],
    ids=str,
)
def test_arange(args):
    same(dg.arange(*args), torch.arange(*args), exact=False)
    same(dg.arange(*args, dtype=dg.float64), torch.arange(*args, dtype=torch.float64), exact=False)


@pytest.mark.parametrize(
    "args", [(0, 1, 5), (-2, 2, 1), (1, 10, 10), (0, 1, 0), (3, -3, 7)], ids=str
)
def test_linspace(args):
    same(dg.linspace(*args), torch.linspace(*args), exact=False)
    same(
        dg.linspace(*args, dtype=dg.float64),
        torch.linspace(*args, dtype=torch.float64),
        exact=False,
    )


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,)], ids=str)
def test_eye(args):
    same(dg.eye(*args), torch.eye(*args))
    same(dg.eye(*args, dtype=dg.int64), torch.eye(*args, dtype=torch.int64))


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_rand_randn_shapes_and_dtypes(name):
    for size in [(2, 3), ((2, 3),), (0,), ((),)]:
        g, e = getattr(dg, name)(*size), getattr(torch, name)(*size)
        assert tuple(g.shape) == tuple(e.shape) and dt_name(g.dtype) == dt_name(e.dtype)
    g = getattr(dg, name)(1000, dtype=dg.float64)
    assert g.dtype is dg.float64
    if name == "rand":
        assert 0 <= g.min().item() and g.max().item() < 1
    else:
        assert abs(g.mean().item()) < 0.2 and 0.8 < g.std().item() < 1.2
    assert getattr(dg, name)(2, requires_grad=True).requires_grad


def test_randint():
    for args in [(10, (3,)), (-5, 5, (2, 2)), (3, (0,))]:
        g, e = dg.randint(*args), torch.randint(*args)
        assert tuple(g.shape) == tuple(e.shape) and dt_name(g.dtype) == dt_name(e.dtype)
    g = dg.randint(-2, 3, (1000,))
    assert g.min().item() == -2 and g.max().item() == 2
    assert dg.randint(0, 2, (3,), dtype=dg.float64).dtype is dg.float64


@pytest.mark.parametrize("d", DTYPES)
def test_like_factories(d):
    x, tx = both([[1, 0, 1], [0, 1, 1]], d)
    for name in ("zeros_like", "ones_like"):
        same(getattr(dg, name)(x), getattr(torch, name)(tx))
        same(getattr(dg, name)(x, dtype=dg.float64), getattr(torch, name)(tx, dtype=torch.float64))
    same(dg.full_like(x, 1), torch.full_like(tx, 1))
    e, te = dg.empty_like(x), torch.empty_like(tx)
    assert tuple(e.shape) == tuple(te.shape) and dt_name(e.dtype) == dt_name(te.dtype)
    if d.startswith("float"):
        for name in ("rand_like", "randn_like"):
            g, t = getattr(dg, name)(x), getattr(torch, name)(tx)
            assert tuple(g.shape) == tuple(t.shape) and dt_name(g.dtype) == dt_name(t.dtype)
    g, t = dg.randint_like(x, 2), torch.randint_like(tx, 2)
    assert tuple(g.shape) == tuple(t.shape) and dt_name(g.dtype) == dt_name(t.dtype)
    assert dg.zeros_like(x, dtype=dg.float32, requires_grad=True).requires_grad


def test_manual_seed_repeats():
    def draw():
        return (dg.rand(4).tolist(), dg.randn(3).tolist(), dg.randint(0, 1000, (5,)).tolist())

    dg.manual_seed(0)
    a = draw()
    dg.manual_seed(0)
    np.random.seed(123)  # NumPy's global state is not dualgrad's generator
    b = draw()
    dg.manual_seed(1)
    c = draw()
    assert a == b
    assert a[0] != c[0] and a[1] != c[1] and a[2] != c[2]
    dg.manual_seed(0)
    assert dg.rand_like(dg.zeros(4)).tolist() == a[0]


# ============================================================================ 3. attributes
def test_shape_is_a_size():
    x, tx = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.shape == tuple(tx.shape) and tx.shape == (2, 3)
    assert isinstance(x.shape, tuple) and isinstance(x.shape, dg.Size)
    assert repr(x.shape) == "dualgrad.Size([2, 3])" == repr(tx.shape).replace("torch", "dualgrad")
    assert repr(dg.tensor(1.0).shape) == repr(torch.tensor(1.0).shape).replace("torch", "dualgrad")
    assert x.shape.numel() == tx.shape.numel() == 6
    assert x.shape[1:] == tx.shape[1:]
    assert x.size() == tx.size() and x.size(1) == tx.size(1) and x.size(-1) == tx.size(-1)
    assert x.ndim == tx.ndim == x.dim() == 2
    assert x.numel() == tx.numel()
    assert dg.tensor(3.0).ndim == 0 and dg.tensor(3.0).shape == ()


def test_dtype_and_device():
    for d in DTYPES:
        x, tx = both(VALUES[d], d)
        assert dt_name(x.dtype) == dt_name(tx.dtype)
        assert repr(x.dtype) == repr(tx.dtype).replace("torch", "dualgrad")
    x = dg.zeros(2)
    assert str(x.device) == str(torch.zeros(2).device) == "cpu"
    assert dg.float is dg.float32 and dg.double is dg.float64 and dg.long is dg.int64


def test_transposes():
    x, tx = both(np.arange(6.0).reshape(2, 3))
    same(x.T, tx.T)
    y, ty = both(np.arange(24.0).reshape(2, 3, 4))
    same(y.mT, ty.mT)
    same(x.mT, tx.mT)


def test_item_tolist_numpy():
    for data in (2.5, [1.5], [[7]], True, 3):
        x, tx = both(data)
        assert x.item() == tx.item() and type(x.item()) is type(tx.item())
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        dg.tensor([1.0, 2.0]).item()
    for data in ([[1, 2], [3, 4]], [0.5, 1.0], 2.0, [True]):
        x, tx = both(data)
        assert x.tolist() == tx.tolist()
        assert type(x.tolist()) is type(tx.tolist())
    x = dg.tensor([1.0, 2.0])
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 9.0
    assert x.tolist() == [9.0, 2.0]
    r = dg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        r.numpy()
    with pytest.raises(RuntimeError):
        torch.tensor([1.0], requires_grad=True).numpy()


def test_requires_grad_and_leaves():
    x = dg.tensor([1.0, 2.0])
    assert not x.requires_grad and x.is_leaf
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert x.requires_grad_(False) is x and not x.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    x.requires_grad = True
    assert x.requires_grad


def test_detach_and_detach_():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 100.0  # shares memory with y, as in torch
    assert y.tolist()[0] == 100.0
    assert np.shares_memory(d.numpy(), y.detach().numpy())
    z = x * 2
    assert z.detach_() is z
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None


def test_clone_contiguous_and_conversions():
    x, tx = both([[1.5, -2.0], [0.0, 3.0]], requires_grad=True)
    c, tc = x.clone(), tx.clone()
    same(c, tc)
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    c.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    y, ty = both(np.arange(6.0).reshape(2, 3))
    assert y.is_contiguous() and y.contiguous() is y
    yt = y.T
    assert not yt.is_contiguous() and yt.contiguous().is_contiguous()
    same(yt.contiguous(), ty.T.contiguous())
    for name in ("float", "double", "long", "bool"):
        same(getattr(x.detach(), name)(), getattr(tx.detach(), name)())
    for d in DTYPES:
        same(x.detach().to(getattr(dg, d)), tx.detach().to(getattr(torch, d)))
        same(x.detach().to(dtype=getattr(dg, d)), tx.detach().to(dtype=getattr(torch, d)))
    same(x.detach().to("cpu"), tx.detach().to("cpu"))
    assert x.to(dg.float32) is x
    d = x.double()
    assert d.grad_fn is not None
    d.sum().backward()
    assert x.grad.dtype is dg.float32


def test_len_iteration_bool_index_hash():
    x, tx = both([[1, 2], [3, 4], [5, 6]])
    assert len(x) == len(tx) == 3
    rows = list(x)
    assert len(rows) == 3
    for r, tr in zip(rows, tx):
        same(r, tr)
    with pytest.raises(TypeError):
        len(dg.tensor(1.0))
    with pytest.raises(TypeError):
        iter(dg.tensor(1.0))
    assert bool(dg.tensor([0.0])) is False and bool(dg.tensor([[2]])) is True
    assert bool(dg.tensor(True))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(dg.tensor([1.0, 2.0]))
    lst = ["a", "b", "c"]
    assert lst[dg.tensor(2)] == lst[torch.tensor(2)] == "c"
    assert lst[dg.tensor([1])] == "b"
    with pytest.raises(TypeError):
        lst[dg.tensor(1.0)]
    a, b = dg.tensor([1.0]), dg.tensor([1.0])
    assert hash(a) != hash(b) or a is b
    assert len({a, b}) == 2 and {a: 1, b: 2}[a] == 1
    assert hash(a) == hash(a)


# ============================================================================ 4. repr
def _float32_under_float64_default(m):
    m.set_default_dtype(m.float64)  # the fixture restores float32
    return m.tensor([1.5], dtype=m.float32)


REPR_CASES = [
    ("float_ints", lambda m: m.tensor([1.0, 2.0])),
    ("float_frac", lambda m: m.tensor([0.5, 1.25])),
    ("float_mixed_sign", lambda m: m.tensor([-0.5, 3.0, 2.25])),
    ("zero_d", lambda m: m.tensor(3.0)),
    ("zero_d_frac", lambda m: m.tensor(0.125)),
    ("zero_d_int", lambda m: m.tensor(3)),
    ("int64", lambda m: m.tensor([1, -2, 30])),
    ("bool", lambda m: m.tensor([True, False])),
    ("float64", lambda m: m.tensor([1.0, 2.5], dtype=m.float64)),
    ("float64_ints", lambda m: m.tensor([1.0, 2.0], dtype=m.float64)),
    ("requires_grad", lambda m: m.tensor([1.0, 2.0], requires_grad=True)),
    ("grad_fn", lambda m: m.tensor([1.0, 2.5], requires_grad=True) * 2),
    ("two_d", lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]])),
    ("two_d_frac", lambda m: m.tensor([[0.5, 2.0], [3.0, -4.75]])),
    ("two_d_int", lambda m: m.tensor([[1, 2], [3, 40]])),
    ("sci_small", lambda m: m.tensor([1e-5, 1.0])),
    ("sci_large", lambda m: m.tensor([1e9, 1.0])),
    ("zeros", lambda m: m.zeros(3)),
    ("nan_inf", lambda m: m.tensor([float("nan"), 1.0, float("inf")])),
    ("nan_frac", lambda m: m.tensor([float("nan"), -2.5])),
    ("two_d_int_valued_float", lambda m: m.tensor([[1.0, -2.0], [300.0, 4.0]])),
    ("wrapped_1d", lambda m: m.arange(40) * 0.37),
    ("wrapped_int", lambda m: m.arange(30)),
    ("float32_under_float64_default", lambda m: _float32_under_float64_default(m)),
    ("empty", lambda m: m.tensor([])),
    ("empty_int", lambda m: m.tensor([], dtype=m.int64)),
    ("empty_2d", lambda m: m.zeros(0, 3)),
    # a summarized tensor's format is chosen from the elements shown (torch's summarized data)
    ("summarized_format", lambda m: m.cat([m.ones(3) * 1.5, m.full((2000,), 1e-6), m.ones(3)])),
    ("summarized_2d", lambda m: m.arange(4000.0).reshape(40, 100) / 7),
]

PRINT_OPTIONS = [
    {"precision": 2},
    {"precision": 6},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"linewidth": 40},
]


@pytest.mark.parametrize("options", PRINT_OPTIONS, ids=lambda o: repr(o))
def test_print_options_as_torch(options):
    makes = [
        lambda m: m.tensor([1.12345, -20.5, 3.0]),
        lambda m: m.arange(10),
        lambda m: m.arange(30.0).reshape(5, 6) / 3,
        lambda m: m.tensor([1e-6, 1.0]),
        lambda m: m.arange(2000.0),
    ]
    for lib in (torch, dg):
        lib.set_printoptions(**options)
    try:
        for make in makes:
            assert repr(make(dg)) == repr(make(torch)).replace("torch", "dualgrad")
    finally:
        for lib in (torch, dg):
            lib.set_printoptions(profile="default")


@pytest.mark.parametrize("make", [c[1] for c in REPR_CASES], ids=[c[0] for c in REPR_CASES])
def test_repr_matches_torch(make):
    expected = repr(make(torch)).replace("torch", "dualgrad")
    assert repr(make(dg)) == expected
    assert str(make(dg)) == expected


# ============================================================================ 5. operators
def _float_pair():
    return both([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]]), both([2.0, -0.5, 4.0])


ARITH = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


@pytest.mark.parametrize("name", list(ARITH))
def test_binary_operators_with_reflected_forms(name):
    op = ARITH[name]
    (x, tx), (y, ty) = _float_pair()
    same(op(x, y), op(tx, ty), exact=False)
    same(op(x, 2), op(tx, 2), exact=False)
    same(op(x, 1.5), op(tx, 1.5), exact=False)
    same(op(2, x), op(2, tx), exact=False)
    same(op(-1.5, x), op(-1.5, tx), exact=False)
    i, ti = both([7, -7, 3, 0], "int64")
    j, tj = both([2, 3, -2, 5], "int64")
    exact = name != "truediv"  # torch computes 9 / t as 9 * (1 / t), off by one ulp
    same(op(i, j), op(ti, tj), exact)
    same(op(i, 3), op(ti, 3), exact)
    same(op(9, j), op(9, tj), exact)


def test_remainder_operator():
    x, tx = both([7, -7, 7, -7], "int64")
    y, ty = both([3, 3, -3, -3], "int64")
    same(x % y, tx % ty)
    same(-5 % y, -5 % ty)
    f, tf = both([5.5, -5.5])
    same(f % 2, tf % 2)


def test_division_by_zero_gives_inf_without_warning():
    x, tx = both([1.0, -1.0, 0.0])
    same(x / 0, tx / 0)
    same(dg.log(dg.tensor([0.0])), torch.log(torch.tensor([0.0])))


def test_pow_operator():
    x, tx = both([0.5, 1.5, 2.0])
    same(x**2, tx**2, exact=False)
    same(x**0.5, tx**0.5, exact=False)
    same(x**x, tx**tx, exact=False)
    same(2**x, 2**tx, exact=False)
    same(2.5**x, 2.5**tx, exact=False)
    i, ti = both([1, 2, 3], "int64")
    same(i**2, ti**2)
    same(2**i, 2**ti)
    same(i**i, ti**ti)
    same(i**0.5, ti**0.5, exact=False)
    same(2.0**i, 2.0**ti, exact=False)


def test_matmul_and_unary_operators():
    (x, tx), (y, ty) = _float_pair()
    same(x @ y, tx @ ty, exact=False)
    same(x @ x.T, tx @ tx.T, exact=False)
    same(-x, -tx)
    same(+x, +tx)
    same(abs(x), abs(tx))
    i, ti = both([3, -4, 0], "int64")
    same(-i, -ti)
    same(abs(i), abs(ti))
    a = np.arange(6.0).reshape(3, 2)
    same(x @ dg.tensor(a, dtype=dg.float32), tx @ torch.tensor(a, dtype=torch.float32), exact=False)


def test_bitwise_and_logical_operators():
    p, tp = both([True, True, False, False])
    q, tq = both([True, False, True, False])
    for op in (operator.and_, operator.or_, operator.xor):
        same(op(p, q), op(tp, tq))
        same(op(p, True), op(tp, True))
    same(~p, ~tp)
    same(p & 6, tp & 6)  # bool & int promotes to int64
    same(3 | p, 3 | tp)
    i, ti = both([12, -3, 0, 7], "int64")
    j, tj = both([10, 5, -1, 3], "int64")
    for op in (operator.and_, operator.or_, operator.xor):
        same(op(i, j), op(ti, tj))
        same(op(i, 6), op(ti, 6))
        same(op(6, i), op(6, ti))
    same(~i, ~ti)


@pytest.mark.parametrize(
    "op",
    [
        operator.iadd,
        operator.isub,
        operator.imul,
        operator.itruediv,
        operator.ipow,
        operator.ifloordiv,
    ],
    ids=lambda f: f.__name__,
)
def test_inplace_operators(op):
    (x, tx), (y, ty) = _float_pair()
    x, tx = x.abs(), tx.abs()
    buf = x.numpy()
    x2 = op(x, y.abs())
    tx2 = op(tx, ty.abs())
    assert x2 is x and tx2 is tx
    assert x.numpy() is buf or np.shares_memory(x.numpy(), buf)
    same(x, tx, exact=False)
    x3 = op(x, 2)
    op(tx, 2)
    assert x3 is x
    same(x, tx, exact=False)


def test_inplace_int_tensor():
    i, ti = both([7, -7, 3], "int64")
    i += 2
    ti += 2
    i *= 3
    ti *= 3
    same(i, ti)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    with pytest.raises(RuntimeError):
        ti /= 2


@pytest.mark.parametrize(
    "op",
    [operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ipow],
    ids=lambda f: f.__name__,
)
def test_inplace_on_leaf_requiring_grad_raises(op):
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        op(x, 2)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        op(torch.tensor([1.0, 2.0], requires_grad=True), 2)
    with dg.no_grad():
        op(x, 2)
    assert x.requires_grad and x.is_leaf


def test_inplace_on_non_leaf_records_the_op():
    x, tx = both([1.0, 2.0, 3.0], requires_grad=True)
    y, ty = x * 1, tx * 1
    y *= x
    ty *= tx
    y += 1
    ty += 1
    same(y, ty, exact=False)
    y.sum().backward()
    ty.sum().backward()
    same(x.grad, tx.grad, exact=False)


def test_inplace_overwriting_a_saved_tensor_fails_at_backward_like_torch():
    for m in (dg, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y *= y  # mul_ saved y itself as its other operand, then overwrote it
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


# ============================================================================ 6. indexing
X = np.arange(24.0).reshape(4, 6) / 4 - 1
INDICES = [
    ("int", lambda m: 1),
    ("neg_int", lambda m: -1),
    ("int_int", lambda m: (2, -3)),
    ("slice", lambda m: slice(1, 3)),
    ("slice_step", lambda m: (slice(None, None, 2), slice(1, None, 3))),
    ("slice_neg", lambda m: (slice(-3, None), slice(None, -1, 2))),
    ("none", lambda m: (None, 1)),
    ("none_mid", lambda m: (slice(None), None, 2)),
    ("ellipsis", lambda m: (Ellipsis, 0)),
    ("ellipsis_none", lambda m: (0, Ellipsis, None)),
    ("int_tensor", lambda m: m.tensor([0, 2])),
    ("int_tensor_repeats", lambda m: m.tensor([1, 1, 3, 1])),
    ("int_tensor_neg", lambda m: m.tensor([-1, 0])),
    ("int_tensor_2d", lambda m: m.tensor([[0, 1], [1, 1]])),
    ("two_int_tensors", lambda m: (m.tensor([0, 1, 1]), m.tensor([2, 2, 5]))),
    ("bool_mask_rows", lambda m: m.tensor([True, False, True, True])),
    ("bool_mask_full", lambda m: m.tensor(X > 1.0)),
    ("slice_and_list", lambda m: (slice(1, None), [0, 2])),
    ("slice_and_tensor_repeats", lambda m: (slice(1, None), m.tensor([0, 2, 2]))),
    ("tensor_and_slice", lambda m: (m.tensor([3, 0]), slice(None, 4))),
    ("int_and_mask", lambda m: (1, m.tensor([True, False, True, False, False, True]))),
    ("zero_d_index", lambda m: m.tensor(2)),
]


@pytest.mark.parametrize("index", [i[1] for i in INDICES], ids=[i[0] for i in INDICES])
def test_getitem_values_and_gradients(index):
    x, tx = both(X, "float64", requires_grad=True)
    y, ty = x[index(dg)], tx[index(torch)]
    same(y, ty)
    w = np.linspace(-1, 2, ty.numel()).reshape(tuple(ty.shape))
    (y * dg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    same(x.grad, tx.grad)


SETITEM = [
    ("int_scalar", lambda m: 1, lambda m: 5.0),
    ("slice_scalar", lambda m: (slice(None), slice(1, 4, 2)), lambda m: -2.0),
    ("row_tensor", lambda m: 2, "row"),
    ("broadcast_row", lambda m: slice(1, 3), "row"),
    ("broadcast_col", lambda m: (slice(None), slice(0, 2)), "col"),
    ("int_tensor_index", lambda m: m.tensor([0, 3]), "row"),
    ("mask_scalar", lambda m: m.tensor(X > 2.0), lambda m: 0.0),
    ("mask_values", lambda m: m.tensor(X < 0.0), "masked"),
    ("none_ellipsis", lambda m: (Ellipsis, None, 0), lambda m: 7.0),
]


@pytest.mark.parametrize("case", SETITEM, ids=[c[0] for c in SETITEM])
def test_setitem_values_and_gradients(case):
    _, index, value = case
    x, tx = both(X, "float64", requires_grad=True)
    values = {
        "row": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        "col": np.array([[1.0], [2.0], [3.0], [4.0]]),
        "masked": np.arange(float((X < 0.0).sum())),
    }
    if isinstance(value, str):
        v, tv = both(values[value], "float64", requires_grad=True)
    else:
        v, tv = value(dg), value(torch)
    y, ty = x.clone(), tx.clone()
    y[index(dg)] = v
    ty[index(torch)] = tv
    same(y, ty)
    w = np.linspace(-1, 2, X.size).reshape(X.shape)
    (y * dg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    same(x.grad, tx.grad)
    if isinstance(v, dg.Tensor):
        same(v.grad, tv.grad)


def test_setitem_on_plain_tensor_casts_value():
    x, tx = both([[1, 2, 3], [4, 5, 6]], "int64")
    x[0] = 2.7
    tx[0] = 2.7
    x[1, 1:] = dg.tensor([9.5, -1.0])
    tx[1, 1:] = torch.tensor([9.5, -1.0])
    same(x, tx)
    f, tf = both([1.0, 2.0, 3.0])
    f[dg.tensor([True, False, True])] = dg.tensor(8)
    tf[torch.tensor([True, False, True])] = torch.tensor(8)
    same(f, tf)
    f[1] = np.float64(0.5)
    tf[1] = np.float64(0.5)
    same(f, tf)


def test_getitem_basic_index_is_a_view():
    x, tx = both(np.arange(6.0).reshape(2, 3))
    r, tr = x[1], tx[1]
    r[0] = 100.0
    tr[0] = 100.0
    same(x, tx)


# ============================================================================ 7. errors
def test_tensor_from_strings_raises():
    with pytest.raises(TypeError, match="non-numeric"):
        dg.tensor(["a", "b"])
    with pytest.raises(TypeError):
        dg.tensor([[1, "b"]])


@pytest.mark.parametrize("d", ["int64", "bool"])
def test_integer_tensor_cannot_require_grad(d):
    x = dg.tensor(VALUES[d], dtype=getattr(dg, d))
    with pytest.raises(RuntimeError, match="floating point"):
        x.requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        dg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        dg.zeros(2, dtype=dg.int64, requires_grad=True)


def test_complex_array_refused():
    a = np.array([1 + 2j, 3.0])
    for make in (dg.tensor, dg.as_tensor, dg.from_numpy):
        with pytest.raises(TypeError, match="complex"):
            make(a)
    with pytest.raises(TypeError, match="complex"):
        dg.tensor([1j, 2.0])


@pytest.mark.parametrize(
    "op",
    [
        operator.add,
        operator.sub,
        operator.mul,
        operator.truediv,
        operator.pow,
        operator.floordiv,
        operator.lt,
        operator.and_,
    ],
    ids=lambda f: f.__name__,
)
def test_wrong_type_operand_raises_type_error_naming_the_fix(op):
    x = dg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"dualgrad\.tensor"):
        op(x, "a")
    with pytest.raises(TypeError, match=r"dualgrad\.tensor"):
        op("a", x)
    with pytest.raises(TypeError, match=r"dualgrad\.tensor"):
        op(x, [1.0, 2.0])


def test_matmul_with_wrong_type_operand_raises_type_error():
    x = dg.tensor([1.0, 2.0])
    for a, b in ((x, "a"), ("a", x), (x, [1.0, 2.0])):
        with pytest.raises(TypeError, match="must be Tensor"):
            a @ b


FAST_BINARY = [
    op
    for op in __import__("dualgrad._ops.registry", fromlist=["REGISTRY"]).REGISTRY.values()
    if op.ufunc is not None and op.ufunc.nin == 2
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", FAST_BINARY, ids=lambda op: op.name)
def test_fast_entry_with_a_python_float_is_the_kernel_bit_for_bit(op, dtype):
    """NOTE: [fast entries]: a Python float becomes a cached 0-d array of the tensor's dtype;
    the result must be the op's own kernel's, to the bit, overflow included (1e300 in float32
    is inf)."""
    from dualgrad._dispatch import apply_binary

    x = np.array([-2.5, -0.3, 0.0, 0.7, 3.0], dtype=dtype)
    for value in (-0.05, 2.0, 0.1, 1e300):
        got = apply_binary(op, dg.from_numpy(x), value)._data
        with np.errstate(all="ignore"):
            want = op.forward(x, value)
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got, want)


def test_fast_entry_scalar_cache_stays_bounded():
    from dualgrad._dispatch import _SCALARS

    x = dg.ones(3)
    for i in range(3000):
        x * (i + 0.5)
    assert 0 < len(_SCALARS) <= 1024
