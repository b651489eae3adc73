"""The dtypes beyond float32/float64/int64/bool against PyTorch: names, promotion, integer
wrapping and overflow, conversions, NumPy interop, finfo/iinfo, float16 gradients, bfloat16
through ml_dtypes, and the refusals (integer autograd, complex)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import dualgrad as dg

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32"]
NAMES += ["float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def name(d) -> str:
    return str(d).split(".")[-1]


def plain(t):
    """(dtype name, values) of either library's tensor; bfloat16 values through float32."""
    if name(t.dtype) == "bfloat16":
        return name(t.dtype), t.float().tolist()
    return name(t.dtype), t.tolist()


def outcome(fn, lib):
    """What ``fn(lib)`` gives: ("ok", plain result) or ("raise", type name, message)."""
    try:
        r = fn(lib)
    except Exception as e:  # (compared with torch's)
        return ("raise", type(e).__name__, str(e))
    if isinstance(r, (dg.Tensor, torch.Tensor)):
        return ("ok", plain(r))
    return ("ok", name(r) if isinstance(r, (dg.dtype, torch.dtype)) else r)


def same(fn):
    ours, theirs = outcome(fn, dg), outcome(fn, torch)
    assert ours == theirs
    return ours


# ------------------------------------------------------------------ names
@pytest.mark.parametrize(
    "attr", NAMES + ["half", "short", "int", "long", "float", "double"], ids=str
)
def test_dtype_names_and_fields(attr):
    ours, theirs = getattr(dg, attr), getattr(torch, attr)
    assert name(ours) == name(theirs)
    for field in ("is_floating_point", "is_signed", "itemsize", "is_complex"):
        assert getattr(ours, field) == getattr(theirs, field), field


def test_no_byte_or_char_dtype_names_as_in_torch():
    for attr in ("byte", "char"):
        assert hasattr(dg, attr) == hasattr(torch, attr) is False


# NOTE: [no complex dtypes] in dualgrad/_dtype.py: absent, with a message saying why
@pytest.mark.parametrize("attr", ["cfloat", "cdouble", "complex64", "complex128", "chalf"])
def test_complex_dtypes_are_absent(attr):
    assert hasattr(torch, attr) and not hasattr(dg, attr)
    with pytest.raises(AttributeError, match="no complex dtypes"):
        getattr(dg, attr)


def test_complex_arrays_are_refused():
    with pytest.raises(TypeError, match="complex tensors are not supported"):
        dg.tensor(np.array([1 + 2j]))


# ------------------------------------------------------------------ promotion
@pytest.mark.parametrize("a, b", list(itertools.combinations_with_replacement(NAMES, 2)), ids=str)
def test_promote_types_matches_torch(a, b):
    ours = dg.promote_types(getattr(dg, a), getattr(dg, b))
    assert name(ours) == name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    assert ours is dg.promote_types(getattr(dg, b), getattr(dg, a))


def _t(values, dtype, ndim=1):
    """A maker of a tensor in either library: 1-d (or 0-d with ndim=0)."""
    return lambda m: m.tensor(values if ndim else values[0], dtype=getattr(m, dtype))


# (operand makers, each lib -> tensor or number)
OPERANDS = {
    "i8": _t([100, -100, 5], "int8"),
    "u8": _t([200, 3, 5], "uint8"),
    "i16": _t([300, -7, 2], "int16"),
    "i32": _t([7, -8, 9], "int32"),
    "f16": _t([1.5, -2.25, 3.0], "float16"),
    "bf16": _t([1.5, -2.25, 3.0], "bfloat16"),
    "b": _t([True, False, True], "bool"),
    "0d_i64": _t([300], "int64", ndim=0),
    "0d_f64": _t([3.5], "float64", ndim=0),
    "0d_u8": _t([7], "uint8", ndim=0),
    "1000": lambda m: 1000,
    "-1": lambda m: -1,
    "2.5": lambda m: 2.5,
    "True": lambda m: True,
}
PAIRS = [
    ("i8", "1000"), ("u8", "-1"), ("i8", "u8"), ("u8", "i16"), ("u8", "0d_i64"),
    ("i8", "0d_i64"), ("i16", "2.5"), ("f16", "i32"), ("f16", "0d_f64"), ("i32", "0d_f64"),
    ("b", "u8"), ("b", "1000"), ("f16", "bf16"), ("bf16", "2.5"), ("i8", "0d_u8"),
    ("u8", "True"), ("i32", "i8"), ("f16", "1000"),
]  # fmt: skip


@pytest.mark.parametrize("a, b", PAIRS, ids=str)
def test_result_type_matches_torch(a, b):
    same(lambda m: m.result_type(OPERANDS[a](m), OPERANDS[b](m)))


BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "truediv": lambda x, y: x / y,
    "floordiv": lambda x, y: x // y,
    "remainder": lambda x, y: x % y,
    "lt": lambda x, y: x < y,
    "eq": lambda x, y: x == y,
    "and": lambda x, y: x & y,
}


# Integer results wrap as torch's (NOTE: [integer wrapping] in dualgrad/_ops/kernels.py),
# Python ints included (int8 + 1000 is int8 + (-24)).
@pytest.mark.parametrize("op", BINARY, ids=str)
@pytest.mark.parametrize("a, b", [p for p in PAIRS if p[0] != "bf16" != p[1]], ids=str)
def test_binary_ops_promote_and_wrap_as_torch(op, a, b):
    same(lambda m: BINARY[op](OPERANDS[a](m), OPERANDS[b](m)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor([100, -100], dtype=m.int8) * 3,
        lambda m: m.tensor([200, 3], dtype=m.uint8) - 250,
        lambda m: -m.tensor([200, 3], dtype=m.uint8),
        lambda m: m.tensor([-7, 2], dtype=m.int8).div(2, rounding_mode="trunc"),
        lambda m: m.tensor([-7, 2], dtype=m.int16).div(2, rounding_mode="floor"),
        lambda m: m.tensor([1, 2], dtype=m.int32) / m.tensor([2, 2], dtype=m.int32),
        lambda m: m.tensor([100, -100], dtype=m.int8).abs(),
        lambda m: m.tensor([100, -100], dtype=m.int8) ** 2,
        lambda m: m.tensor([100, -100], dtype=m.int8).sin(),
        lambda m: m.tensor([2, 3], dtype=m.int8) ** 2.0,
        lambda m: m.tensor([200, 100], dtype=m.uint8).sum(),
        lambda m: m.tensor([100, 100], dtype=m.int8).prod(),
        lambda m: m.tensor([100, 100], dtype=m.int8).cumsum(0),
        lambda m: m.tensor([200, 100], dtype=m.uint8).cumprod(0),
        lambda m: m.tensor([100, -100], dtype=m.int8).max(),
        lambda m: m.tensor([1.5, 2.5], dtype=m.float16).sum(),
        lambda m: m.tensor([1, 2], dtype=m.int8).mean(),
        lambda m: m.tensor([1, 2], dtype=m.int16) // 0,
        lambda m: m.arange(300, dtype=m.int8)[-3:],
        lambda m: m.tensor([1, 2], dtype=m.int32) & 3,
    ],
)
def test_integer_and_half_ops_as_torch(fn):
    ours, theirs = outcome(fn, dg), outcome(fn, torch)
    if theirs[0] == "raise":
        assert ours[:2] == theirs[:2]
        assert theirs[2].split(":")[0].split(".")[0][:20] in ours[2]
    else:
        assert ours == theirs


# ------------------------------------------------------------------ factories
@pytest.mark.parametrize("dt", NAMES, ids=str)
@pytest.mark.parametrize(
    "make",
    [
        lambda m, d: m.zeros(2, 3, dtype=d),
        lambda m, d: m.ones(2, dtype=d),
        lambda m, d: m.full((2,), 7, dtype=d),
        lambda m, d: m.tensor([1, 0, 3], dtype=d),
        lambda m, d: m.arange(4, dtype=d) if d is not m.bool else m.eye(2, dtype=d),
        lambda m, d: m.eye(2, dtype=d),
        lambda m, d: m.ones(2).new_zeros(3, dtype=d),
        lambda m, d: m.zeros_like(m.ones(2, dtype=d)),
        lambda m, d: m.full_like(m.ones(2, dtype=d), 1),
        lambda m, d: m.linspace(0, 5, 4, dtype=d) if d is not m.bool else m.ones(1, dtype=d),
    ],
)
def test_factories_take_every_dtype(dt, make):
    same(lambda m: make(m, getattr(m, dt)))


def test_random_factories_take_the_new_dtypes():
    for d in ("float16", "bfloat16"):
        assert name(dg.rand(3, dtype=getattr(dg, d)).dtype) == d
        assert name(dg.randn(3, dtype=getattr(dg, d)).dtype) == d
    for d in INTS:
        t = dg.randint(0, 100, (50,), dtype=getattr(dg, d))
        assert name(t.dtype) == d and 0 <= t.min().item() and t.max().item() < 100
        r = dg.zeros(200, dtype=getattr(dg, d)).random_()
        assert 0 <= r.min().item() and r.max().item() <= torch.iinfo(getattr(torch, d)).max
    same(lambda m: m.rand(2, dtype=m.int16))  # (refused as torch refuses it)


# NOTE: [value overflow] in dualgrad/_dtype.py
@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor([1000], dtype=m.int8),
        lambda m: m.tensor([1.5, 300], dtype=m.uint8),
        lambda m: m.tensor([-1, 2], dtype=m.uint8),
        lambda m: m.tensor([-256], dtype=m.uint8),
        lambda m: m.tensor([float("nan")], dtype=m.int32),
        lambda m: m.tensor([70000.0], dtype=m.float16),
        lambda m: m.tensor(np.array([300]), dtype=m.uint8),
        lambda m: m.full((2,), 1000, dtype=m.int8),
        lambda m: m.full((2,), 1000.5, dtype=m.int16),
        lambda m: m.full((2,), -1, dtype=m.uint8),
        lambda m: m.full((2,), 1e6, dtype=m.float16),
        lambda m: m.full_like(m.zeros(2, dtype=m.int8), 128),
        lambda m: m.full_like(m.zeros(2, dtype=m.int8), -128),
    ],
)
def test_values_that_do_not_fit_an_integer_dtype(fn):
    ours, theirs = outcome(fn, dg), outcome(fn, torch)
    assert ours[:2] == theirs[:2]
    if theirs[0] == "raise":
        assert "value cannot be converted to type" in ours[2]
        assert "without overflow" in ours[2] and "without overflow" in theirs[2]
    else:
        assert ours == theirs


# ------------------------------------------------------------------ conversions
VALUES = [1.7, -2.7, 300.0, -300.0, 0.0, 65519.0]


@pytest.mark.parametrize(
    "method", ["half", "bfloat16", "float", "double", "int", "long", "short", "char", "byte"]
)
def test_conversion_methods(method):
    same(lambda m: getattr(m.tensor(VALUES), method)())
    same(lambda m: getattr(m.tensor([100, -100, 5], dtype=m.int8), method)())


@pytest.mark.parametrize("dt", NAMES, ids=str)
def test_to_and_type_with_a_dtype(dt):
    same(lambda m: m.tensor(VALUES).to(getattr(m, dt)))
    same(lambda m: m.tensor([1, -2, 3]).type(getattr(m, dt)))
    same(lambda m: m.tensor([1, -2, 3]).to(m.zeros(1, dtype=getattr(m, dt))))
    t = dg.tensor([1.0, 2.0], dtype=getattr(dg, dt))
    assert t.to(getattr(dg, dt)) is t
    assert t.type() == torch.tensor([1.0, 2.0], dtype=getattr(torch, dt)).type()


@pytest.mark.parametrize(
    "type_name", ["torch.IntTensor", "torch.ShortTensor", "torch.CharTensor",
                  "torch.ByteTensor", "torch.HalfTensor", "torch.BFloat16Tensor"]
)  # fmt: skip
def test_type_with_a_legacy_name(type_name):
    same(lambda m: m.tensor([1.5, -2.0]).type(type_name))
    legacy = type_name.split(".")[1]
    same(lambda m: getattr(m, legacy)([1, 2]))
    assert isinstance(dg.tensor([1]).type(type_name), getattr(dg, legacy))


# ------------------------------------------------------------------ NumPy
NP_TYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32]


@pytest.mark.parametrize("np_type", NP_TYPES + [np.float64], ids=lambda t: t.__name__)
def test_numpy_arrays_keep_their_dtype(np_type):
    a = np.array([1, 0, 2], dtype=np_type)
    for make in ("tensor", "as_tensor", "from_numpy"):
        ours, theirs = getattr(dg, make)(a), getattr(torch, make)(a)
        assert plain(ours) == plain(theirs)
        assert ours.numpy().dtype == theirs.numpy().dtype == np_type
    assert name(dg.tensor(np_type(1)).dtype) == name(torch.tensor(np_type(1)).dtype)


@pytest.mark.parametrize("np_type", NP_TYPES, ids=lambda t: t.__name__)
def test_from_numpy_shares_memory_both_ways(np_type):
    a = np.array([1, 0, 1], dtype=np_type)
    t = dg.from_numpy(a)
    t[0] = 0
    assert a[0] == 0
    a[1] = 1
    assert t[1].item() == 1
    u = dg.as_tensor(a)
    a[2] = 0
    assert u[2].item() == 0
    c = dg.tensor(a)  # a copy, as torch.tensor's
    a[2] = 1
    assert c[2].item() == 0


# ------------------------------------------------------------------ finfo / iinfo
@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64"])
def test_finfo(dt):
    ours, theirs = dg.finfo(getattr(dg, dt)), torch.finfo(getattr(torch, dt))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dt", INTS)
def test_iinfo(dt):
    ours, theirs = dg.iinfo(getattr(dg, dt)), torch.iinfo(getattr(torch, dt))
    for field in ("bits", "max", "min", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


# ------------------------------------------------------------------ autograd
@pytest.mark.parametrize("dt", INTS + ["bool"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda m, d: m.tensor([1, 2], dtype=d).requires_grad_(),
        lambda m, d: m.zeros(2, dtype=d, requires_grad=True),
        lambda m, d: m.tensor([1, 0], dtype=d, requires_grad=True),
    ],
)
def test_integer_tensors_cannot_require_grad(dt, fn):
    ours, theirs = outcome(lambda m: fn(m, getattr(m, dt)), dg), None
    theirs = outcome(lambda m: fn(m, getattr(m, dt)), torch)
    assert ours[:2] == theirs[:2] == ("raise", "RuntimeError")
    assert "only tensors of floating point" in ours[2].lower()
    assert "only tensors of floating point" in theirs[2].lower()


def _half_function(m, x, w):
    h = (x @ w).tanh() * x.sin() + x.exp() / (1 + x * x)
    return (h.sigmoid() * x).sum() + h.pow(2).mean()


def test_float16_gradients_match_torch():
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((4, 4)), rng.standard_normal((4, 4)) / 2
    results = {}
    for m in (dg, torch):
        x = m.tensor(xs, dtype=m.float16, requires_grad=True)
        w = m.tensor(ws, dtype=m.float16, requires_grad=True)
        y = _half_function(m, x, w)
        gx, gw = m.autograd.grad(y, (x, w))
        assert name(y.dtype) == name(gx.dtype) == name(gw.dtype) == "float16"
        results[m.__name__] = [np.asarray(v.detach().tolist(), np.float64) for v in (y, gx, gw)]
    for ours, theirs in zip(results["dualgrad"], results["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-2, atol=1e-2)


def test_float16_forward_ad_and_backward():
    x = dg.tensor([0.5, 1.5, 2.5], dtype=dg.float16, requires_grad=True)
    (x.sin() * x.exp()).sum().backward()
    tx = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float16, requires_grad=True)
    (tx.sin() * tx.exp()).sum().backward()
    assert x.grad.dtype is dg.float16
    np.testing.assert_allclose(x.grad.tolist(), tx.grad.tolist(), rtol=1e-3, atol=1e-3)
    with dg.autograd.forward_ad.dual_level():
        d = dg.autograd.forward_ad.make_dual(x.detach(), dg.ones(3, dtype=dg.float16))
        t = dg.autograd.forward_ad.unpack_dual(d.sin()).tangent
    assert t.dtype is dg.float16
    np.testing.assert_allclose(t.tolist(), np.cos([0.5, 1.5, 2.5]), rtol=2e-3)


# ------------------------------------------------------------------ bfloat16 (NOTE: [bfloat16])
@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor([1.5, 2.25, 3.0], dtype=m.bfloat16) * 2,
        lambda m: m.tensor([1.1, 2.3, 3.7], dtype=m.bfloat16) + m.tensor([0.1], dtype=m.bfloat16),
        lambda m: m.tensor([0.1, 1.3, 2.7], dtype=m.bfloat16).sin(),
        lambda m: m.tensor([0.1, 1.3, 2.7], dtype=m.bfloat16).exp(),
        lambda m: m.tensor([1, 2], dtype=m.int8) / m.tensor(2.0, dtype=m.bfloat16),
        lambda m: m.tensor([1.0, 2.0], dtype=m.bfloat16) + m.tensor([1.0], dtype=m.float16),
        lambda m: m.tensor([1.0, 2.5], dtype=m.bfloat16).sum(),
        lambda m: m.tensor([1 / 3, 2 / 3, 300.7]).bfloat16(),
        lambda m: m.tensor([1 / 3, 2 / 3, 300.7], dtype=m.float64).bfloat16().double(),
        lambda m: m.tensor([1.7, -2.7], dtype=m.bfloat16).int(),
    ],
)
def test_bfloat16_values_match_torch(fn):
    same(fn)


def test_bfloat16_repr_and_requires_grad():
    assert repr(dg.tensor([1.5, 2.0], dtype=dg.bfloat16)) == repr(
        torch.tensor([1.5, 2.0], dtype=torch.bfloat16)
    ).replace("torch.", "dualgrad.")
    assert dg.ones(1, dtype=dg.bfloat16).is_floating_point()
    with pytest.raises(RuntimeError, match="compute in float32"):
        dg.ones(2, dtype=dg.bfloat16).requires_grad_()


def test_bfloat16_without_ml_dtypes_names_the_extra(monkeypatch):
    missing = dg._dtype._bfloat16_dtype(None)
    assert repr(missing) == "dualgrad.bfloat16" and missing.is_floating_point
    assert missing.itemsize == 2
    for fn in (
        lambda: dg.zeros(2, dtype=missing),
        lambda: dg.tensor([1.0], dtype=missing),
        lambda: dg.ones(2).to(missing),
    ):
        with pytest.raises(ImportError, match=r"pip install dualgrad\[bf16\]"):
            fn()


def test_bfloat16_matmul_and_frozen_modules_match_torch():
    same(lambda m: m.arange(6.0).reshape(2, 3).bfloat16() @ m.ones(3, 2, dtype=m.bfloat16) / 3)
    for m in (dg, torch):
        m.manual_seed(0)
    lin = dg.nn.Linear(3, 2)
    tlin = torch.nn.Linear(3, 2)
    tlin.load_state_dict({k: torch.tensor(v.tolist()) for k, v in lin.state_dict().items()})
    lin.requires_grad_(False).bfloat16()
    tlin.requires_grad_(False).bfloat16()
    x = [[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]]
    ours, theirs = (
        plain(lin(dg.tensor(x, dtype=dg.bfloat16))),
        plain(tlin(torch.tensor(x, dtype=torch.bfloat16))),
    )
    assert ours[0] == theirs[0] == "bfloat16"
    # (torch adds the bias before rounding to bfloat16, dualgrad after: one unit in the last place)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=2**-7)
    with pytest.raises(RuntimeError, match="does not differentiate bfloat16"):
        dg.nn.Linear(3, 2).bfloat16()


def test_module_half_trains_in_float16():
    lin = dg.nn.Linear(3, 2).half()
    assert lin.weight.dtype is dg.float16 and lin.weight.requires_grad
    lin(dg.ones(4, 3, dtype=dg.float16)).sum().backward()
    assert lin.weight.grad.dtype is dg.float16
    np.testing.assert_allclose(lin.bias.grad.tolist(), [4.0, 4.0])


HALF_SCALAR_OPS = {
    "mul": lambda x, s: x * s,
    "rmul": lambda x, s: s * x,
    "div": lambda x, s: x / s,
    "rdiv": lambda x, s: s / x,
    "add": lambda x, s: x + s,
    "sub": lambda x, s: x - s,
    "rsub": lambda x, s: s - x,
    "mul_": lambda x, s: x.clone().mul_(s),
    "div_fn": lambda x, s: x.div(s),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", sorted(HALF_SCALAR_OPS))
def test_half_precision_with_a_python_number_as_torch(name, dtype):
    """torch multiplies and divides float16/bfloat16 by a number in float32 and rounds once
    (NOTE: [half opmath]): ``x / 70000`` gave 0 (torch 1.4e-05), ``zeros * 1e5`` nan (torch 0),
    ``x * 0.1`` another last bit; ``s / x`` is reciprocal(x) * s in torch. Bit for bit."""
    for s in (0.1, 1e5, 70000.0, -3.0, 100000, 7, 1e-8):
        got, want = (
            np.asarray(
                HALF_SCALAR_OPS[name](
                    m.tensor([0.0, 1.0, 3.0, -2.5, 0.3333], dtype=getattr(m, dtype)), s
                )
                .float()
                .tolist()
            )
            for m in (dg, torch)
        )
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {dtype} {s}")
