"""torch's everyday names beyond autograd, each against torch: devices as a CPU-only build has
them, the legacy constructors, Variable, __format__, inference_mode, keyword names, constants,
finfo/iinfo."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg

LIBS = (dg, torch)


def _outcome(fn, m):
    """``("ok", value)`` or ``("raise", type, message)`` of ``fn(m)``."""
    try:
        return ("ok", fn(m))
    except BaseException as e:  # AssertionError included: torch's CPU-only error is one
        return ("raise", type(e), str(e))


def _plain(v):
    """A value comparable across the two libraries: tensors as (dtype name, shape, values)."""
    if isinstance(v, (dg.Tensor, torch.Tensor)):
        return (str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().tolist())
    if isinstance(v, (tuple, list)) and not isinstance(v, (dg.Size, torch.Size)):
        return type(v)(_plain(x) for x in v)
    if isinstance(v, (dg.Size, torch.Size)):
        return tuple(v)
    if isinstance(v, (dg.dtype, torch.dtype)):
        return str(v).split(".")[-1]
    return v


def _same(fn):
    ours, theirs = _outcome(fn, dg), _outcome(fn, torch)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert _plain(ours[1]) == _plain(theirs[1])
    else:
        assert ours[1] is theirs[1], (ours, theirs)
    return ours, theirs


# ---------------------------------------------------------------- devices
DEVICES = [("cpu",), ("cpu", 0), ("cpu:0",), ("cuda",), ("cuda:0",), ("cuda", 1), ("mps",)]


@pytest.mark.parametrize("args", DEVICES, ids=str)
def test_device_object(args):
    for m in LIBS:
        d = m.device(*args)
        assert (repr(d), str(d), d.type, d.index) == (lambda t: (repr(t), str(t), t.type, t.index))(
            torch.device(*args)
        )
        assert d == m.device(*args) and hash(d) == hash(m.device(*args))
        assert pickle.loads(pickle.dumps(d)) == d
        assert m.device(d) == d
    pairs = [(a, b) for a in DEVICES for b in DEVICES]
    assert [dg.device(*a) == dg.device(*b) for a, b in pairs] == [
        torch.device(*a) == torch.device(*b) for a, b in pairs
    ]
    # as in torch, a device never equals a string (compare .type)
    assert (dg.device(*args) == str(dg.device(*args))) is (
        torch.device(*args) == str(torch.device(*args))
    )


@pytest.mark.parametrize(
    "args,phrase",
    [
        (("gpu",), "device type at start of device string: gpu"),
        (("cpu:x",), "Invalid device string: 'cpu:x'"),
        (("cuda:-1",), "Invalid device string"),
        (("",), "Device string must not be empty"),
        (("cuda", -1), "Device index must not be negative"),
        (("cpu:0", 1), "must not include an index because index was passed explicitly"),
        (("cuda", 1.0), "must be int, not float"),
        ((3,), "Cannot access accelerator device when none is available"),
    ],
)
def test_device_errors(args, phrase):
    ours, theirs = _same(lambda m: m.device(*args))
    assert phrase in ours[2] and phrase in theirs[2]


NO_CUDA = "Torch not compiled with CUDA enabled"
REFUSED = [
    (lambda m: m.zeros(2, device="cuda"), NO_CUDA),
    (lambda m: m.zeros(2, device="cuda:0"), NO_CUDA),
    (lambda m: m.tensor([1.0], device=m.device("cuda")), NO_CUDA),
    (lambda m: m.randn(2, device="cuda"), NO_CUDA),
    (lambda m: m.arange(3, device="cuda"), NO_CUDA),
    (lambda m: m.zeros_like(m.ones(1), device="cuda"), NO_CUDA),
    (lambda m: m.ones(1).new_zeros(2, device="cuda"), NO_CUDA),
    (lambda m: m.ones(1).cuda(), NO_CUDA),
    (lambda m: m.ones(1).to("cuda"), NO_CUDA),
    (lambda m: m.ones(1).to("cuda:1", m.float64), NO_CUDA),
    (lambda m: m.ones(1).to(device=m.device("cuda")), NO_CUDA),
    (lambda m: m.nn.Linear(2, 2).cuda(), NO_CUDA),
    (lambda m: m.nn.Linear(2, 2).to("cuda"), NO_CUDA),
    (lambda m: m.nn.Linear(2, 2).to(device="cuda"), NO_CUDA),
    (lambda m: m.nn.Linear(2, 2, device="cuda"), NO_CUDA),
    (lambda m: m.nn.LayerNorm(2, device="cuda"), NO_CUDA),
    (lambda m: m.cuda.synchronize(), NO_CUDA),
    (lambda m: m.cuda.current_device(), NO_CUDA),
    (lambda m: m.cuda.get_device_name(), NO_CUDA),
    (lambda m: m.zeros(2, device="xpu"), "Torch not compiled with XPU enabled"),
    (lambda m: m.ones(1).to("mps"), "PyTorch is not linked with support for mps devices"),
    (lambda m: m.zeros(2, device=0), "Cannot access accelerator device when none is available"),
    (lambda m: m.ones(1).pin_memory(), "Cannot access accelerator device when none is available"),
    (lambda m: m.ones(1).to("gpu"), "device type at start of device string: gpu"),
]


@pytest.mark.parametrize("fn,phrase", REFUSED, ids=range(len(REFUSED)))
def test_accelerators_refused_as_on_a_cpu_only_build(fn, phrase):
    ours, theirs = _same(fn)
    assert phrase in ours[2] and phrase in theirs[2]


ACCEPTED = [
    lambda m: m.zeros(2, device="cpu"),
    lambda m: m.ones(2, device=m.device("cpu", 0)),
    lambda m: m.tensor([1, 2], device="cpu"),
    lambda m: m.randn(2, device="cpu").shape,
    lambda m: m.ones(2).to("cpu", m.float64),
    lambda m: m.ones(2).to(m.device("cpu"), dtype=m.float64),
    lambda m: m.ones(2).to(device="cpu", dtype=m.int64),
    lambda m: m.ones(2).to(m.zeros(1, dtype=m.float64), non_blocking=True),
    lambda m: m.ones(2).to(m.float64, False, True),
    lambda m: (lambda x: (x.to("cpu") is x, x.to("cpu", copy=True) is x, x.cpu() is x))(m.ones(1)),
    lambda m: str(m.ones(1).device),
    lambda m: repr(m.ones(1).device),
    lambda m: m.ones(1).device == m.device("cpu"),
    lambda m: m.ones(1).device.type == "cpu",
    lambda m: m.ones(1).device.index,
    lambda m: (m.ones(1).get_device(), m.ones(1).is_cuda, m.ones(1).is_pinned()),
    lambda m: m.nn.Linear(2, 2, device="cpu").weight.device.type,
    lambda m: m.nn.Linear(2, 2).to("cpu", m.float64).weight.dtype,
    lambda m: m.nn.Linear(2, 2).to(device=m.device("cpu")).weight.dtype,
    lambda m: (m.cuda.is_available(), m.cuda.device_count(), m.cuda.is_initialized()),
    lambda m: (m.cuda.manual_seed(0), m.cuda.manual_seed_all(1), m.cuda.empty_cache()),
    lambda m: (m.backends.mps.is_available(), m.backends.mps.is_built()),
    lambda m: m.backends.cudnn.is_available(),
    lambda m: repr(m.get_default_device()),
]


@pytest.mark.parametrize("fn", ACCEPTED, ids=range(len(ACCEPTED)))
def test_cpu_devices_accepted(fn):
    ours, _ = _same(fn)
    assert ours[0] == "ok"


@pytest.mark.parametrize("m", LIBS, ids=["dualgrad", "torch"])
def test_default_device(m):
    x = m.ones(2)
    try:
        m.set_default_device("cuda")  # accepted, as in torch; the factories then refuse
        for fn in (lambda: m.zeros(1), lambda: m.get_default_device()):
            with pytest.raises(AssertionError, match=NO_CUDA):
                fn()
        # (a *_like or new_* tensor takes its input's device, not the default one)
        assert m.zeros_like(x).device.type == x.new_zeros(1).device.type == "cpu"
        m.set_default_device("cpu")
        assert m.get_default_device() == m.device("cpu") and m.zeros(1).device.type == "cpu"
        with pytest.raises(RuntimeError, match="device type at start of device string"):
            m.set_default_device("gpu")
    finally:
        m.set_default_device(None)
    assert repr(m.get_default_device()) == "device(type='cpu')"
    with m.device("cpu"):
        assert m.zeros(1).device.type == "cpu"


# ---------------------------------------------------------------- legacy constructors
LEGACY = [
    lambda m: m.Tensor([1, 2]),
    lambda m: m.Tensor([[1.5], [2.0]]),
    lambda m: m.Tensor((2, 3)),  # a tuple is data
    lambda m: m.Tensor(np.array([1, 2])),
    lambda m: m.Tensor(m.tensor([1, 2])),  # a tensor is returned as an alias, any dtype
    lambda m: m.Tensor(m.tensor(3.0)),
    lambda m: m.Tensor(0),
    lambda m: m.Tensor(),
    lambda m: (m.Tensor(2, 3).shape, m.Tensor(2, 3).dtype),  # uninitialized: shape and dtype
    lambda m: (m.Tensor(m.Size([2, 3])).shape, m.Tensor(np.int64(3)).shape),
    lambda m: m.Tensor(2, device="cpu").shape,
    lambda m: m.FloatTensor([1, 2]),
    lambda m: m.FloatTensor(np.array([1, 2])),
    lambda m: (m.FloatTensor(2).shape, m.FloatTensor().dtype),
    lambda m: m.DoubleTensor([1.5]),
    lambda m: m.LongTensor([1.7, -2.5]),
    lambda m: (m.LongTensor(2, 2).shape, m.LongTensor(2, 2).dtype),
    lambda m: m.BoolTensor([1, 0]),
    lambda m: (m.FloatTensor.dtype, m.LongTensor.dtype, m.BoolTensor.dtype),
    lambda m: [isinstance(m.ones(1), t) for t in (m.Tensor, m.FloatTensor, m.DoubleTensor)],
    lambda m: [isinstance(m.tensor([1]), t) for t in (m.Tensor, m.LongTensor, m.FloatTensor)],
    lambda m: isinstance(m.tensor([True]), m.BoolTensor),
    lambda m: issubclass(m.FloatTensor, m.Tensor),
]


@pytest.mark.parametrize("fn", LEGACY, ids=range(len(LEGACY)))
def test_legacy_constructors(fn):
    ours, _ = _same(fn)
    assert ours[0] == "ok"


TYPE_CALLS = [
    lambda m: m.ones(1).type(m.float64),
    lambda m: m.ones(1).type(m.LongTensor),
    lambda m: m.ones(1).type("torch.DoubleTensor"),
    lambda m: m.ones(1).type(dtype=m.int64),
    lambda m: (lambda x: x.type(m.float32) is x)(m.ones(1)),
    lambda m: m.ones(1).type("foo"),
    lambda m: m.ones(1).type("DoubleTensor"),
]


@pytest.mark.parametrize("fn", TYPE_CALLS, ids=range(len(TYPE_CALLS)))
def test_tensor_type(fn):
    ours, theirs = _same(fn)
    if ours[0] == "raise":
        assert ours[1] is ValueError and ours[2] == theirs[2]


def test_tensor_type_names():
    for make in (lambda m: m.ones(1), lambda m: m.tensor([1]), lambda m: m.tensor([True])):
        # torch's strings: code compares x.type() with 'torch.FloatTensor'
        assert make(dg).type() == make(torch).type()


def test_legacy_constructor_shares_and_follows_default_dtype():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = dg.Tensor(x)
    assert y is not x and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]  # an alias: gradients reach x, as in torch
    z = dg.FloatTensor(x.detach())
    z[0] = 7.0
    assert x[0].item() == 7.0
    for m in LIBS:
        m.set_default_dtype(m.float64)
        try:
            assert str(m.Tensor([1]).dtype).endswith("float64")
            assert str(m.Tensor(2).dtype).endswith("float64")
            assert str(m.FloatTensor([1]).dtype).endswith("float32")
        finally:
            m.set_default_dtype(m.float32)


@pytest.mark.parametrize(
    "fn,phrase",
    [
        (lambda m: m.Tensor(2.5), "data must be a sequence (got float)"),
        (lambda m: m.Tensor("a"), "invalid data type 'str'"),
        (lambda m: m.Tensor(-1), "Trying to create tensor with negative dimension -1: [-1]"),
        (lambda m: m.Tensor(2, 3.0), "failed to unpack the object at pos 2"),
        (lambda m: m.Tensor([1], dtype=m.float64), "invalid combination of arguments"),
        (lambda m: m.Tensor([1], requires_grad=True), "invalid combination of arguments"),
        (lambda m: m.Tensor([1, 2], [3]), "invalid combination of arguments"),
        (lambda m: m.Tensor(2, device="cuda"), "legacy constructor expects device type: cpu"),
        (lambda m: m.FloatTensor([1], device="cuda"), "legacy constructor expects device type"),
        (lambda m: m.FloatTensor(m.tensor([1, 2])), ""),
    ],
)
def test_legacy_constructor_errors(fn, phrase):
    ours, theirs = _same(fn)
    assert ours[0] == "raise" and phrase in ours[2] and phrase in theirs[2]


def test_int_tensor_refused_while_int32_is_missing():
    names = {d.name for d in dg._dtype._ALL}
    if "int32" in names:  # (once dualgrad has int32, IntTensor is torch's)
        assert _plain(dg.IntTensor([1, 2])) == _plain(torch.IntTensor([1, 2]))
    else:
        with pytest.raises(TypeError, match="IntTensor: dualgrad has no int32 dtype"):
            dg.IntTensor([1, 2])
        assert not isinstance(dg.tensor([1]), dg.IntTensor)


def test_variable_and_is_tensor():
    for m in LIBS:
        t = m.tensor([1.0, 2.0])
        v = m.autograd.Variable(t, requires_grad=True)
        assert v is not t and v.requires_grad and v.is_leaf and not t.requires_grad
        v.data[0] = 5.0  # a new leaf sharing t's data
        assert t[0].item() == 5.0
        w = m.autograd.Variable(t * 2)
        assert not w.requires_grad and isinstance(t, m.autograd.Variable)
        assert m.autograd.Variable().shape == (0,)
        with pytest.warns(UserWarning, match="volatile was removed"):
            m.autograd.Variable(t, volatile=True)
        assert [m.is_tensor(x) for x in (t, m.nn.Parameter(t), [1.0], np.ones(1), 1.0)] == [
            True,
            True,
            False,
            False,
            False,
        ]
    for fn, phrase in [
        (lambda m: m.autograd.Variable([1.0]), "Variable data has to be a tensor, but got list"),
        (lambda m: m.autograd.Variable(m.tensor([1]), requires_grad=True), "floating point"),
        (lambda m: m.is_tensor(obj=m.ones(1)), "positional"),
    ]:
        ours, theirs = _same(fn)
        assert phrase in ours[2] and phrase in theirs[2]


# ---------------------------------------------------------------- small everyday names
FORMATS = [
    (lambda m: m.tensor(1.234), "+.2f"),
    (lambda m: m.tensor(2.5), ""),
    (lambda m: m.tensor(2.5, requires_grad=True), ".3f"),
    (lambda m: m.tensor(3), "5d"),
    (lambda m: m.tensor(255), "x"),
    (lambda m: m.tensor(True), ""),
    (lambda m: m.tensor([1.0, 2.0]), ""),
    (lambda m: m.tensor([1.0, 2.0]), ".2f"),
    (lambda m: m.tensor([[2.0]]), "s"),
]


@pytest.mark.parametrize("make,spec", FORMATS, ids=range(len(FORMATS)))
def test_format(make, spec):
    ours, theirs = _same(lambda m: format(make(m), spec))
    if ours[0] == "ok":
        if make(dg).ndim:
            assert ours[1] == str(make(dg))  # (torch's str differs in its name only)
        else:
            assert ours[1] == theirs[1]
    else:
        assert "unsupported format string passed to Tensor.__format__" in ours[2]


def test_inference_mode():
    assert dg.vmap is dg.func.vmap
    for m in LIBS:
        x = m.ones(2, requires_grad=True)
        with m.inference_mode():
            y = x * 2
            state = (m.is_grad_enabled(), m.is_inference_mode_enabled())
        assert state == (False, True) and not y.requires_grad
        assert (m.is_grad_enabled(), m.is_inference_mode_enabled()) == (True, False)
        with m.inference_mode(False):
            assert (m.is_grad_enabled(), m.is_inference_mode_enabled()) == (True, False)
            assert (x * 2).requires_grad

        @m.inference_mode
        def bare(a):
            return m.is_grad_enabled(), (a * 2).requires_grad

        @m.inference_mode()
        def called(a):
            return m.is_grad_enabled(), (a * 2).requires_grad

        assert bare(x) == called(x) == (False, False) and m.is_grad_enabled()
        with m.no_grad():
            with m.inference_mode():
                pass
            assert not m.is_grad_enabled()  # the outer mode comes back


KEYWORDS = [
    lambda m: m.matmul(input=m.ones(2, 3), other=m.arange(3.0)),
    lambda m: m.ones(2, 3).matmul(other=m.arange(3.0)),
    lambda m: m.permute(input=m.arange(6.0).reshape(2, 3), dims=(1, 0)),
    lambda m: m.arange(6.0).reshape(2, 3).permute(dims=[1, 0]),
    lambda m: m.arange(6.0).reshape(1, 2, 3).permute(2, 0, 1),
    lambda m: m.broadcast_to(input=m.arange(3.0), size=(2, 3)),
    lambda m: m.arange(3.0).broadcast_to(size=(2, 3)),
    lambda m: m.broadcast_to(m.arange(3.0), shape=(2, 3)),  # (torch's keyword is size)
    lambda m: m.ravel(input=m.arange(6.0).reshape(2, 3).t()),
    lambda m: m.arange(6.0).reshape(2, 3).t().ravel(),
    lambda m: m.ravel(m.tensor(2.0)),
]


@pytest.mark.parametrize("fn", KEYWORDS, ids=range(len(KEYWORDS)))
def test_keyword_names_and_ravel(fn):
    _same(fn)


def test_ravel_is_a_view_where_torch_s_is():
    x = dg.arange(6.0).reshape(2, 3)
    x.ravel()[0] = 9.0
    y = dg.arange(6.0).reshape(2, 3).t()
    y.ravel()[0] = 9.0  # a copy: the transposed layout is not flat
    assert x[0, 0].item() == 9.0 and y[0, 0].item() == 0.0


def test_constants():
    assert (dg.pi, dg.e, dg.inf) == (torch.pi, torch.e, torch.inf)
    assert math.isnan(dg.nan) and math.isnan(torch.nan)


def _info(i):
    names = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")
    return {k: getattr(i, k) for k in names if hasattr(i, k)}, repr(i)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_finfo(name):
    assert _info(dg.finfo(getattr(dg, name))) == _info(torch.finfo(getattr(torch, name)))
    assert dg.finfo(getattr(dg, name)) == dg.finfo(getattr(dg, name))


def test_finfo_default_and_iinfo():
    assert _info(dg.finfo()) == _info(torch.finfo())
    assert _info(dg.iinfo(dg.int64)) == _info(torch.iinfo(torch.int64))
    for fn, phrase in [
        (lambda m: m.finfo(m.int64), "requires a floating point input type"),
        (lambda m: m.iinfo(m.float32), "requires an integer input type"),
        (lambda m: m.iinfo(m.bool), "bool is not supported by"),
        (lambda m: m.finfo("float32"), "argument 'type' (position 1) must be"),
    ]:
        ours, theirs = _same(fn)
        assert phrase in ours[2] and phrase in theirs[2]


def test_no_warnings_from_device_checks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dg.zeros(2, device="cpu").to("cpu")


@pytest.mark.parametrize("name", ["no_grad", "enable_grad", "inference_mode"])
def test_grad_mode_switches_as_bare_decorators(name):
    """``@torch.no_grad`` (no parentheses) decorates, as ``@torch.no_grad()`` does."""
    results = []
    for m in (torch, dg):
        switch = getattr(m, name)

        @switch
        def f(x):
            return x * 2

        @switch()
        def g(x):
            return x * 2

        with m.no_grad():
            results.append(
                [
                    f(m.ones(1, requires_grad=True)).requires_grad,
                    g(m.ones(1, requires_grad=True)).requires_grad,
                ]
            )
    assert results[0] == results[1]


# ---------------------------------------------------------------- names the smoke calls found
_SMALL_NAMES = {
    "type strings": lambda L: (L.arange(2).type(), L.ones(1).type(), L.ones(1).double().type()),
    "where method": lambda L: (lambda x: x.where(x > 0, L.zeros(4)))(L.linspace(-1, 1, 4)),
    "round decimals": lambda L: L.tensor([0.125, 1.15, -2.5, 125.0, 0.05]).round(decimals=1),
    "round negative decimals": lambda L: L.round(L.tensor([125.0, 1234.5, -55.0]), decimals=-1),
    "tile varargs": lambda L: L.arange(6).reshape(2, 3).tile(2, 1),
    "tile one sequence": lambda L: L.arange(3).tile((2, 2)),
    # (preserve_format of a transposed tensor keeps its strides in torch; dualgrad's clone is
    # row-major: docs/differences.md)
    "clone preserve_format": lambda L: (
        L.arange(6.0).reshape(2, 3).clone(memory_format=L.preserve_format)
    ),
    "clone contiguous_format": lambda L: (
        L.arange(6.0).reshape(2, 3).t().clone(memory_format=L.contiguous_format)
    ),
    "contiguous format": lambda L: (
        L.arange(6.0).reshape(2, 3).t().contiguous(memory_format=L.contiguous_format)
    ),
    "is_contiguous channels_last": lambda L: L.ones(2, 3, 4, 5).is_contiguous(
        memory_format=L.channels_last
    ),
    "typename": lambda L: (L.typename(L.ones(1)), L.typename(1.0), L.typename([1])),
}


@pytest.mark.parametrize("name", sorted(_SMALL_NAMES))
def test_small_names_as_torch(name):
    def plain(r):
        if isinstance(r, tuple):
            return tuple(plain(v) for v in r)
        if hasattr(r, "detach"):
            return (str(r.dtype).split(".")[-1], r.detach().numpy().tolist(), r.stride())
        return r

    ours, theirs = plain(_SMALL_NAMES[name](dg)), plain(_SMALL_NAMES[name](torch))
    assert ours == theirs


def test_round_with_decimals_has_torchs_zero_gradient_in_both_modes():
    for L in (dg, torch):
        x = L.tensor([0.123, 1.777], dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad(x.round(decimals=2).sum(), x)
        assert g.tolist() == [0.0, 0.0]
    y, t = dg.func.jvp(lambda v: v.round(decimals=1), (dg.ones(2),), (dg.ones(2),))
    assert t.tolist() == [0.0, 0.0]


def test_channels_last_is_refused_by_name_and_set_default_tensor_type_warns():
    with pytest.raises(NotImplementedError, match="channels_last"):
        dg.ones(1, 2, 3, 3).contiguous(memory_format=dg.channels_last)
    # (torch warns once per process, dualgrad each time: as warnings.warn does)
    with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
        dg.set_default_tensor_type(dg.DoubleTensor)
    for L in (dg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            L.set_default_tensor_type(L.DoubleTensor)
            try:
                assert L.zeros(1).dtype == L.float64
            finally:
                L.set_default_tensor_type("torch.FloatTensor")
        assert L.zeros(1).dtype == L.float32


def test_clip_grad_norm_is_the_deprecated_alias():
    norms = []
    for L in (dg, torch):
        p = L.nn.Parameter(L.linspace(-1, 1, 3))
        p.grad = L.linspace(-4, 4, 3)
        with pytest.warns(FutureWarning, match="clip_grad_norm_"):
            n = L.nn.utils.clip_grad_norm(p, 1.0)
        norms.append((float(n), p.grad.tolist()))
    np.testing.assert_allclose(norms[0][0], norms[1][0], rtol=1e-6)
    np.testing.assert_allclose(norms[0][1], norms[1][1], rtol=1e-6)
