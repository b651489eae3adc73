"""Tensors, factories, dtypes and integer kernels at their edges, against PyTorch (issue 12,
"no silent wrong answers"): size arguments, int64 overflow, integer division by zero, clamp's
result dtype, the process-wide default dtype, shape-mismatch errors, arange/linspace arguments,
read-only NumPy memory and NumPy conversion of tensors that require grad.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
from dualgrad._ops.registry import REGISTRY


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    yield
    dg.set_default_dtype(dg.float32)
    torch.set_default_dtype(torch.float32)


def _outcome(fn):
    """(result, None) or (None, exception) of ``fn()``."""
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - the test compares whatever is raised
        return None, e


def _same_error(lib_fn, phrase=None):
    """Run ``lib_fn(torch)`` and ``lib_fn(dg)``: both must raise the same exception type; the
    key ``phrase`` (default: torch's whole first line) must be in dualgrad's message."""
    _, te = _outcome(lambda: lib_fn(torch))
    _, de = _outcome(lambda: lib_fn(dg))
    assert te is not None, "torch did not raise: the test case is wrong"
    assert de is not None, f"dualgrad did not raise; torch raised {type(te).__name__}: {te}"
    assert type(de) is type(te), (
        f"dualgrad raised {type(de).__name__}: {de}; torch {type(te).__name__}: {te}"
    )
    phrase = str(te).splitlines()[0] if phrase is None else phrase
    assert phrase in str(te), f"the phrase {phrase!r} is not torch's: {te}"
    assert phrase in str(de), f"dualgrad's message lacks {phrase!r}: {de}"


def _same_tensor(lib_fn):
    t, te = _outcome(lambda: lib_fn(torch))
    d, de = _outcome(lambda: lib_fn(dg))
    assert te is None and de is None, (te, de)
    assert str(d.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(d.shape) == tuple(t.shape)
    np.testing.assert_array_equal(d.numpy(), t.numpy())


# ------------------------------------------------------------------ 1. size arguments
# Every way a size reaches a factory or a shape method, with an int where torch takes one.
SIZE_CALLS = {
    "zeros": lambda m, *s: m.zeros(*s),
    "ones": lambda m, *s: m.ones(*s),
    "empty": lambda m, *s: m.empty(*s),
    "rand": lambda m, *s: m.rand(*s),
    "randn": lambda m, *s: m.randn(*s),
    "full": lambda m, *s: m.full(s if len(s) != 1 else s[0], 1.0),
    "randint": lambda m, *s: m.randint(0, 5, s if len(s) != 1 else s[0]),
    "view": lambda m, *s: m.zeros(6).view(*s),
    "reshape": lambda m, *s: m.zeros(6).reshape(s if len(s) != 1 else s[0]),
    "expand": lambda m, *s: m.zeros(1, 1).expand(*s),
    "repeat": lambda m, *s: m.zeros(1, 1).repeat(*s),
    "new_zeros": lambda m, *s: m.zeros(1).new_zeros(*s),
    "new_ones": lambda m, *s: m.zeros(1).new_ones(*s),
    "new_empty": lambda m, *s: m.zeros(1).new_empty(*s),
    "new_full": lambda m, *s: m.zeros(1).new_full(s if len(s) != 1 else s[0], 2.0),
}
BAD_SIZES = [(2.0, 3), ((2, 3.0),), ((2.5, 3),), ((np.float64(2), 3),), ((True, 3),)]


@pytest.mark.parametrize("name", sorted(SIZE_CALLS))
@pytest.mark.parametrize("size", BAD_SIZES, ids=str)
def test_size_arguments_refuse_floats_as_torch(name, size):
    _same_error(lambda m: SIZE_CALLS[name](m, *size), phrase="")
    _, de = _outcome(lambda: SIZE_CALLS[name](dg, *size))
    assert "tuple of ints" in str(de) and name.replace("new_", "").replace(
        "view", "reshape"
    ) in str(de)


@pytest.mark.parametrize(
    "name", ["zeros", "ones", "rand", "randn", "empty", "expand", "repeat", "new_zeros"]
)
def test_a_single_float_size_is_refused(name):
    _same_error(lambda m: SIZE_CALLS[name](m, 5 / 2), phrase="must be tuple of ints, not float")


def test_view_of_a_single_float_is_refused():
    _same_error(lambda m: m.zeros(6).view(6.0), phrase="")


@pytest.mark.parametrize("name", sorted(SIZE_CALLS))
def test_integer_like_sizes_are_accepted(name):
    for size in [(2, 3), ((2, np.int64(3)),)]:
        t = SIZE_CALLS[name](torch, *size)
        d = SIZE_CALLS[name](dg, *size)
        assert tuple(d.shape) == tuple(t.shape)
        if name.startswith("new_") or name in ("zeros", "ones", "full"):
            assert str(d.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.eye(2.0),
        lambda m: m.eye(2, 2.0),
        lambda m: m.randperm(3.0),
        lambda m: m.linspace(0, 1, 5.0),
        lambda m: m.randint(0.5, 5, (2,)),
        lambda m: m.randint(0, 5.5, (2,)),
    ],
)
def test_count_arguments_refuse_floats(call):
    _same_error(call, phrase="")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.zeros(-1),
        lambda m: m.randperm(-1),
        lambda m: m.eye(-1),
        lambda m: m.eye(2, -1),
        lambda m: m.randint(3, 3, (2,)),
        lambda m: m.zeros(1).new_zeros(-1),
    ],
)
def test_negative_sizes_raise_runtime_error(call):
    _same_error(call, phrase="")


# ------------------------------------------------------------------ 2. int64 overflow
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor(2**63),
        lambda m: m.tensor(-(2**63) - 1),
        lambda m: m.tensor([1, 2**64]),
        lambda m: m.tensor([[1], [2**63]]),
        lambda m: m.tensor(2**63, dtype=m.int64),
        lambda m: m.tensor([1.5, 2**63], dtype=m.int64),
        lambda m: m.as_tensor(2**63),
    ],
)
def test_python_ints_beyond_int64_raise(call):
    _same_error(call, phrase="Overflow when unpacking long long")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.full((2,), 2**63),
        lambda m: m.full((2,), 2**63, dtype=m.int64),
        lambda m: m.arange(2**63 - 2, 2**63),
        lambda m: m.full_like(m.zeros(2, dtype=m.int64), 2**63),
    ],
)
def test_int64_fill_values_beyond_int64_raise(call):
    _same_error(call, phrase="value cannot be converted to type int64_t without overflow")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.tensor(-(2**63)),
        lambda m: m.tensor([2**63 - 1, -(2**63)]),
        lambda m: m.tensor(2**63, dtype=m.float64),
        lambda m: m.full((2,), 2**62),
    ],
)
def test_ints_at_the_edges_of_int64_are_kept(call):
    _same_tensor(call)


# ------------------------------------------------------------------ 3. integer division by 0
def _int_divisions():
    """(id, fn(lib, x, y)) for every integer division torch refuses by zero."""
    return [
        ("//", lambda m, x, y: x // y),
        ("%", lambda m, x, y: x % y),
        ("floor_divide", lambda m, x, y: m.floor_divide(x, y)),
        ("remainder", lambda m, x, y: m.remainder(x, y)),
        ("fmod", lambda m, x, y: m.fmod(x, y)),
        ("div_floor", lambda m, x, y: m.div(x, y, rounding_mode="floor")),
        ("div_trunc", lambda m, x, y: m.div(x, y, rounding_mode="trunc")),
        ("floor_divide_", lambda m, x, y: x.clone().floor_divide_(y)),
        ("remainder_", lambda m, x, y: x.clone().remainder_(y)),
        ("fmod_", lambda m, x, y: x.clone().fmod_(y)),
    ]


DIVISIONS = _int_divisions()
DIVISORS = {
    "scalar 0": lambda m: 0,
    "tensor with a 0": lambda m: m.tensor([0, 2, 0]),
    "0-d tensor 0": lambda m: m.tensor(0),
}


@pytest.mark.parametrize("fn", [f for _, f in DIVISIONS], ids=[n for n, _ in DIVISIONS])
@pytest.mark.parametrize("divisor", sorted(DIVISORS))
def test_integer_division_by_zero_raises(fn, divisor):
    _same_error(
        lambda m: fn(m, m.tensor([5, -7, 3]), DIVISORS[divisor](m)), phrase="ZeroDivisionError"
    )


@pytest.mark.parametrize("fn", [f for _, f in DIVISIONS[:7]], ids=[n for n, _ in DIVISIONS[:7]])
def test_integer_division_values_match(fn):
    _, te = _outcome(lambda: fn(torch, 5, torch.tensor([1])))
    if te is None:  # torch takes a Python int dividend (fmod does not)
        _same_error(lambda m: fn(m, 5, m.tensor([0, 1])), phrase="ZeroDivisionError")
        _same_tensor(lambda m: fn(m, 7, m.tensor([-2, 2])))
    for x, y in [([5, -7, 3, 2**40 + 1, -(2**40) - 1], [2, 2, -2, 3, 3]), ([7, -7], 3), ([], 0)]:
        _same_tensor(
            lambda m: fn(m, m.tensor(x, dtype=m.int64), m.tensor(y) if isinstance(y, list) else y)
        )
    # floats divide by zero into inf and nan, in both
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t = fn(torch, torch.tensor([5.0, -7.0, 0.0]), 0)
        d = fn(dg, dg.tensor([5.0, -7.0, 0.0]), 0)
    np.testing.assert_array_equal(d.numpy(), t.numpy())


@pytest.mark.parametrize("fn", [f for n, f in DIVISIONS if n in ("//", "%", "fmod")])
def test_bool_integer_division_is_not_implemented(fn):
    _same_error(
        lambda m: fn(m, m.tensor([True]), m.tensor([True])), phrase="not implemented for 'Bool'"
    )


# ------------------------------------------------------------------ 4. clamp's dtype
CLAMPS = [
    lambda m, x: x.clamp(0.5, 1.5),
    lambda m, x: x.clamp(0.5),
    lambda m, x: x.clamp(max=1.5),
    lambda m, x: x.clamp(0, 2),
    lambda m, x: x.clamp_min(0.5),
    lambda m, x: x.clamp_max(1.5),
    lambda m, x: m.clip(x, 0.5, 1.5),
    lambda m, x: m.clamp(x, -1, 2.5),
    lambda m, x: x.clamp(m.tensor(0.5), m.tensor(1.5)),
]


@pytest.mark.parametrize("clamp", CLAMPS)
@pytest.mark.parametrize("data", [[5, -7, 3, 1], [True, False]], ids=["int64", "bool"])
def test_clamp_of_integers_promotes_with_its_bounds(clamp, data):
    _same_tensor(lambda m: clamp(m, m.tensor(data)))


def test_clamp_of_integers_by_bool_bounds_keeps_int64():
    _same_tensor(lambda m: m.tensor([5, -7]).clamp(min=True))


def test_clamp_in_place_of_integers_by_float_bounds_raises():
    _same_error(
        lambda m: m.tensor([5, -7]).clamp_(0.5, 1.5),
        phrase="can't be cast to the desired output type",
    )


# ------------------------------------------------------------------ 5. default dtype
def test_default_dtype_is_process_wide():
    seen = {}

    def worker():
        seen["dtype"] = dg.tensor(1.0).dtype
        dg.set_default_dtype(dg.float32)

    dg.set_default_dtype(dg.float64)
    th = threading.Thread(target=worker)
    th.start()
    th.join()
    assert seen["dtype"] == dg.float64  # the thread saw the main thread's setting
    assert dg.get_default_dtype() == dg.float32  # and the main thread sees the thread's
    # torch agrees
    torch.set_default_dtype(torch.float64)
    th = threading.Thread(target=lambda: seen.__setitem__("torch", torch.tensor(1.0).dtype))
    th.start()
    th.join()
    assert seen["torch"] == torch.float64


# ------------------------------------------------------------------ 6. shape mismatches
def test_every_binary_elementwise_op_raises_torchs_broadcast_error():
    """Every op of the registry that torch also has, called with shapes (3,) and (4,): where
    torch raises its broadcast RuntimeError, dualgrad raises the same, word for word."""
    checked = []
    for name in sorted(REGISTRY):
        if not (hasattr(torch, name) and hasattr(dg, name)):
            continue
        for dtype in ("int64", "float32"):

            def call(m, name=name, dtype=dtype):
                d = getattr(m, dtype)
                return getattr(m, name)(m.ones(3, dtype=d), m.ones(4, dtype=d))

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # torch.cross without dim
                _, te = _outcome(lambda: call(torch))
            if isinstance(te, RuntimeError) and "must match the size of tensor b" in str(te):
                _same_error(call)
                checked.append(name)
                break
    assert len(checked) >= 25, checked  # add, mul, atan2, eq, maximum, fmod, bitwise_and, ...


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.ones(3) + m.ones(4),
        lambda m: m.ones(3, requires_grad=True) * m.ones(4),
        lambda m: m.ones(2, 3) - m.ones(3, 2),
        lambda m: m.ones(2, 1, 3) / m.ones(4, 2),
        lambda m: m.ones(3, dtype=m.int64) // m.ones(4, dtype=m.int64),
        lambda m: m.ones(3) ** m.ones(4),
        lambda m: m.ones(3) == m.ones(4),
        lambda m: m.where(m.ones(3) > 0, m.ones(3), m.ones(4)),
        lambda m: m.ones(3).add_(m.ones(4)),
        lambda m: m.allclose(m.ones(3), m.ones(4)),
        lambda m: m.ones(2, 3) @ m.ones(4, 5),
        lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)),
        lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 5)),
        lambda m: m.cat([m.ones(2, 3), m.ones(4, 5)]),
        lambda m: m.stack([m.ones(3), m.ones(4)]),
        lambda m: m.ones(2, 3).reshape(4),
        lambda m: m.ones(2, 3).view(4),
        lambda m: m.ones(6).view(np.int64(3)),  # a NumPy int is a size, not a dtype
        lambda m: m.ones(3).expand(2),
    ],
)
def test_shape_mismatches_raise_torchs_runtime_error(call):
    _same_error(call)


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.lerp(m.ones(3), m.ones(4), 0.5),
        lambda m: m.addcmul(m.ones(3), m.ones(4), m.ones(3)),
        lambda m: m.addcdiv(m.ones(3), m.ones(4), m.ones(3)),
    ],
)
def test_composite_shape_mismatches_raise_runtime_error(call):
    # composites report the sizes in the order their primitives meet them
    _same_error(call, phrase="at non-singleton dimension 0")


def test_shape_mismatch_under_forward_ad_raises_runtime_error():
    import dualgrad.autograd.forward_ad as fwad

    with fwad.dual_level():
        x = fwad.make_dual(dg.ones(3), dg.ones(3))
        with pytest.raises(
            RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\)"
        ):
            x * dg.ones(4)


# ------------------------------------------------------------------ 7. arange and linspace
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.arange(0, 1, 0),
        lambda m: m.arange(0, 1, 0.0),
        lambda m: m.arange(0, 1, -1),
        lambda m: m.arange(1, 0, 1),
        lambda m: m.arange(-1.5),
        lambda m: m.arange(0, float("inf")),
        lambda m: m.arange(0, float("nan")),
        lambda m: m.linspace(0, 1, -1),
        lambda m: m.arange(5, dtype=m.bool),
        lambda m: m.arange(0, 5, 0.5, dtype=m.int64),
        lambda m: m.linspace(float("nan"), 1, 3, dtype=m.int64),
        lambda m: m.linspace(0, float("inf"), 3, dtype=m.int64),
        lambda m: m.linspace(0, 1e38, 3, dtype=m.int64),
    ],
)
def test_bad_ranges_raise_as_torch(call):
    _same_error(call)


@pytest.mark.parametrize(
    "args", [(0.5,), (0, 10.5), (0.5, 3), (1.7, 5, 1.5), (0, 2.5, 1), (5, 0, -2)]
)
def test_integer_arange_truncates_its_bounds_as_torch(args):
    _same_tensor(lambda m: m.arange(*args, dtype=m.int64))


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.linspace(0, 1, 0),
        lambda m: m.linspace(0, 1, 1),
        lambda m: m.arange(m.tensor(3)),
        lambda m: m.arange(0, 1, 0.1),
        lambda m: m.linspace(0, 10, 5, dtype=m.int64),
    ],
)
def test_good_ranges_match(call):
    _same_tensor(call)


_NAN, _INF = float("nan"), float("inf")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize(
    "start,end,steps",
    [
        (_NAN, 1, 3),
        (0, _NAN, 3),
        (_NAN, 1, 1),
        (0, _NAN, 1),
        (_NAN, _NAN, 4),
        (_INF, 1, 3),
        (_NAN, 1, 0),
        (0, _INF, 3),
        (-_INF, _INF, 3),
        (_INF, _INF, 2),
        (1, 0, 5),
        (0.7, 10.2, 4),
        (-0.7, -10.2, 4),
        (0, 1, 2),
        (3, -7, 9),
        (0, 1e-45, 3),
        (-3.4e38, 3.4e38, 5),
        (1e38, 3e38, 3),
        (2, 2, 3),
        (0.1, 0.7, 7),
        (1.3, -50.2, 13),
    ],
)
def test_linspace_edge_values_as_torch(start, end, steps, dtype):
    """torch's kernel: up from start for the first half, down from end for the second, in the
    result's dtype, so a nan or inf end spreads as torch's does (np.linspace's does not). The
    values may differ from torch's by an ulp (torch's vectorised kernel adds the step to a
    base per SIMD chunk, whose width is the machine's); nan, inf and the integer results agree
    exactly."""

    def call(m):
        return m.linspace(start, end, steps, dtype=getattr(m, dtype))

    t, te = _outcome(lambda: call(torch))
    if te is not None:  # (an int64 linspace of nan, inf or a too large end)
        _same_error(call)
        return
    d = call(dg)
    assert str(d.dtype).split(".")[-1] == dtype and tuple(d.shape) == tuple(t.shape)
    np.testing.assert_array_equal(np.isnan(d.numpy()), np.isnan(t.numpy()))
    np.testing.assert_allclose(
        d.numpy(), t.numpy(), rtol=2e-7 if dtype == "float64" else 2e-6, atol=0, equal_nan=True
    )


# ------------------------------------------------------------------ 8. read-only NumPy memory
def _read_only():
    a = np.arange(3.0)
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("factory", ["from_numpy", "as_tensor"])
def test_from_numpy_of_a_read_only_array_warns_as_torch(factory):
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        getattr(torch, factory)(_read_only())
    # torch warns once a process; dualgrad every time (the test order must not matter)
    assert all("The given NumPy array is not writable" in str(w.message) for w in tw)
    with pytest.warns(UserWarning, match="The given NumPy array is not writable") as dw:
        x = getattr(dg, factory)(_read_only())
    assert len(dw) == 1
    np.testing.assert_array_equal((x + 1).numpy(), [1.0, 2.0, 3.0])  # reading is fine


@pytest.mark.parametrize(
    "write",
    [
        lambda x: x.add_(1),
        lambda x: x.zero_(),
        lambda x: x.fill_(2.0),
        lambda x: x[1:].mul_(2),
        lambda x: x.copy_(dg.ones(3, dtype=dg.float64)),
        lambda x: x.__setitem__(0, 1.0),
    ],
)
def test_writing_into_read_only_numpy_memory_raises_a_clear_error(write):
    a = _read_only()
    with pytest.warns(UserWarning):
        x = dg.from_numpy(a)
    with pytest.raises(RuntimeError, match="read-only NumPy array.*writable copy"):
        write(x)
    np.testing.assert_array_equal(a, [0.0, 1.0, 2.0])
    # a writable copy works
    y = dg.tensor(a)
    write(y)


def test_writing_into_an_expanded_tensor_keeps_its_message():
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        dg.zeros(1).expand(3).add_(1)


# ------------------------------------------------------------------ 9. NumPy conversion
CONVERSIONS = {
    "numpy()": lambda x: x.numpy(),
    "np.asarray": np.asarray,
    "np.array": np.array,
    "np.asarray(dtype)": lambda x: np.asarray(x, dtype=np.float64),
    "np.sin": np.sin,
    "np.concatenate": lambda x: np.concatenate([x, x]),
    "np.allclose": lambda x: np.allclose(x, x),
    "list of 0-d": lambda x: np.asarray([x[0], x[1]]),
}


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_numpy_conversion_of_a_tensor_requiring_grad_raises(name):
    convert = CONVERSIONS[name]
    warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array__ lacks NumPy 2's copy
    for lib in (torch, dg):
        leaf = lib.ones(2, requires_grad=True)
        for t in (leaf, leaf * 2):
            with pytest.raises(
                RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"
            ):
                convert(t)


@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_numpy_conversion_without_grad_works(name):
    convert = CONVERSIONS[name]
    warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array__ and __array_wrap__
    x = torch.tensor([0.5, 2.0], requires_grad=True)
    y = dg.tensor([0.5, 2.0], requires_grad=True)
    for t, d in [(x.detach(), y.detach()), (torch.tensor([0.5, 2.0]), dg.tensor([0.5, 2.0]))]:
        np.testing.assert_allclose(np.asarray(convert(d)), np.asarray(convert(t)), rtol=1e-6)
    with torch.no_grad(), dg.no_grad():  # torch allows it with grad mode off
        np.testing.assert_allclose(np.asarray(convert(y)), np.asarray(convert(x)), rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(force=True), x.numpy(force=True))


# ------------------------------------------------------------------ torch's words for misuse
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.ones(2, 3).expand(3, 4),  # torch checks from the last dim
        lambda m: m.ones(2, 3).expand(2, 3, 4),
        lambda m: m.ones(2, 1, 3).expand(4, 5, 2),
        lambda m: m.ones(2, 3).copy_(m.ones(4)),  # the broadcast message, not expand's
        lambda m: m.ones(2, 3).copy_(m.ones(5, 3)),
        lambda m: m.matmul(m.ones(3), m.ones(4)),  # dot
        lambda m: m.matmul(m.ones(2, 3), m.ones(4)),  # mv
        lambda m: m.matmul(m.ones(5, 2, 3), m.ones(4)),  # mv of the folded rows
        lambda m: m.matmul(m.ones(3), m.ones(4, 2)),  # mm
        lambda m: m.matmul(m.ones(5, 2, 3), m.ones(4, 2)),  # mm of the folded rows
        lambda m: m.matmul(m.ones(3), m.ones(5, 4, 2)),  # bmm
        lambda m: m.matmul(m.ones(5, 2, 3), m.ones(5, 4, 2)),
        lambda m: m.ones(2, dtype=m.int64).fill_(2**63),
        lambda m: m.ones(2, dtype=m.int64).fill_(-(2**63) - 1),
        lambda m: m.ones(2, dtype=m.int64).fill_(2**64),
        lambda m: m.ones(2, dtype=m.int64).fill_(float("nan")),
        lambda m: m.ones(2, dtype=m.int64).fill_(1e19),
        lambda m: m.ones(2).fill_(1e40),
    ],
    ids=lambda f: "",
)
def test_misuse_errors_in_torch_words(call):
    _same_error(call)


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), float("nan"), float("inf"), 1e300])
def test_fill_values_a_dtype_can_hold_as_torch(value):
    def call(m):
        return m.ones(2, dtype=m.float64 if isinstance(value, float) else m.int64).fill_(value)

    _same_tensor(call)


def test_make_dual_with_an_integer_tangent_raises_value_error():
    def call(m):
        fwad = m.autograd.forward_ad
        with fwad.dual_level():
            fwad.make_dual(m.ones(2), m.ones(2, dtype=m.int64))

    _same_error(call, "Expected tangent to be floating point")


# ---------------------------------------------------------------- view(dtype)
def _view_dtype_cases(m):
    return [
        lambda: m.tensor([1.0, 2.0], dtype=m.float64).view(m.int64),
        lambda: m.tensor([[1.0, 2.0]], dtype=m.float32).view(m.int64),
        lambda: m.tensor([[1.0, 2.0]], dtype=m.float32).view(m.bool),
        lambda: m.tensor([1, 2]).view(m.float32),
        lambda: m.tensor([True, False, True, True, False, False, False, True]).view(m.int64),
        lambda: m.tensor([1.0, 2, 3]).view(m.float64),  # size(-1) not divisible
        lambda: m.tensor([[1.0, 2], [3, 4]]).t().view(m.float64),  # stride(-1) not 1
        lambda: m.tensor(1.0).view(m.float64),  # 0-d with another element size
        lambda: m.tensor(1.0, dtype=m.float64).view(m.int64),  # 0-d, same element size
    ]


@pytest.mark.parametrize("k", range(9))
def test_view_dtype_reinterprets_the_bytes_as_torch(k):
    got, got_err = _outcome(_view_dtype_cases(dg)[k])
    want, want_err = _outcome(_view_dtype_cases(torch)[k])
    assert type(got_err) is type(want_err)
    if want_err is not None:
        assert str(got_err) == str(want_err)
    else:
        assert got.dtype.name == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got._data, want.numpy())


@pytest.mark.parametrize("write", ["mul_", "add_int", "zero_int"])
def test_writes_through_a_dtype_view_as_torch(write):
    """The bytes change and the version bumps (a saved value then refuses backward); the base's
    history does not change, as autograd does not see through view(dtype)."""
    results = []
    for m in (dg, torch):
        x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
        y = x * 1
        z = y.sin()
        if write == "mul_":
            y.view(m.float64).mul_(2)
        elif write == "add_int":
            y.view(m.int64).add_(1)
        else:
            y.view(m.int64).zero_()
        (g,) = m.autograd.grad(y.sum(), x, retain_graph=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            m.autograd.grad(z.sum(), x)
        results.append(
            (y.detach().numpy().copy(), g.numpy().copy(), y.view(m.float64).requires_grad)
        )
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- misuse found by a sweep
@pytest.mark.parametrize(
    "call, phrase",
    [
        (lambda m: m.cat([]), "expected a non-empty list of Tensors"),
        (lambda m: m.tensor([2]) ** -1, None),
        (lambda m: m.ones(2) & m.ones(2), None),
        (lambda m: m.ones(2, dtype=m.float64) | m.tensor([1, 0]), None),
        (lambda m: m.bitwise_xor(m.tensor([1]), 2.0), None),
        (lambda m: ~m.ones(2), None),
        (lambda m: m.bitwise_not(m.ones(2)), None),
        (lambda m: m.where(m.ones(3), m.ones(3), m.zeros(3)), None),
        (lambda m: m.where(m.tensor([1, 0]), m.ones(2), m.zeros(2)), None),
        (lambda m: m.func.jacrev(lambda x: 3.0)(m.ones(2)), None),
        (lambda m: m.func.jacfwd(lambda x: 3.0)(m.ones(2)), None),
        (lambda m: m.func.vjp(lambda x: (x, 3.0), m.ones(2)), None),
        (lambda m: m.func.grad(lambda x: 3.0)(m.ones(2)), None),
    ],
    ids=[
        "cat_empty",
        "int_pow_neg",
        "and_float",
        "or_double",
        "xor_float_number",
        "invert_float",
        "bitwise_not_float",
        "where_float_condition",
        "where_int_condition",
        "jacrev_number",
        "jacfwd_number",
        "vjp_tuple_with_number",
        "grad_number",
    ],
)
def test_misuse_found_by_a_sweep_raises_as_torch(call, phrase):
    _same_error(call, phrase)


def test_integers_to_negative_tensor_powers_as_torch():
    """torch computes an integer to a negative integer power given as a tensor (1 and -1 keep
    their magnitude, every other base gives 0); only a negative Python int exponent raises."""
    base = [0, 1, -1, 2, -2, 5, 3]
    exps = [[-1, -3, -3, -2, -1, 0, 2], [-2] * 7]
    for e in exps:
        _same_tensor(lambda m: m.tensor(base).pow(m.tensor(e)))
    _same_tensor(lambda m: 2 ** m.tensor([-1, 2, 0]))
    _same_tensor(lambda m: m.tensor(2) ** m.tensor([-1, 2]))
