"""NumPy interop as torch has it, each case run in both libraries: ``np.asarray``/``numpy()`` on a
tensor that requires grad, ufuncs on tensors, tensors and arrays as operands, DLPack."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


def _outcome(fn, m):
    """``("ok", kind, dtype, values, requires_grad)`` or ``("raise", type, message)``."""
    try:
        with warnings.catch_warnings():
            # torch's __array__/__array_wrap__ have NumPy 1's signatures: NumPy 2 warns
            warnings.simplefilter("ignore", DeprecationWarning)
            v = fn(m, np.ones(3))
    except (TypeError, RuntimeError, ValueError) as e:
        return ("raise", type(e), str(e).split("\n")[0])
    if isinstance(v, tuple):
        v = v[0]
    if isinstance(v, (dg.Tensor, torch.Tensor)):
        return (
            "ok",
            "tensor",
            str(v.dtype).split(".")[-1],
            v.detach().numpy().tolist(),
            v.requires_grad,
        )
    if isinstance(v, np.ndarray):
        return ("ok", "ndarray", str(v.dtype), v.tolist())
    return ("ok", type(v).__name__, v)


def _t(m, **kw):
    return m.tensor([1.0, 2.0, 3.0], **kw)


def _r(m):
    return _t(m, requires_grad=True)


# (name, fn(module, a float64 array of ones)); dtypes dualgrad does not have yet are set apart
CASES = [
    # ufuncs on tensors give tensors (torch's __array_wrap__), of NumPy's dtype
    ("np.sin(t)", lambda m, a: np.sin(_t(m))),
    ("np.sin(float64 t)", lambda m, a: np.sin(_t(m, dtype=m.float64))),
    ("np.sqrt(int t)", lambda m, a: np.sqrt(m.tensor([1, 4]))),
    ("np.sin(strided t)", lambda m, a: np.sin(_t(m)[::2])),
    ("np.exp(0-d t)", lambda m, a: np.exp(m.tensor(1.0))),
    ("np.add(t, 1)", lambda m, a: np.add(_t(m), 1)),
    ("np.add(1, t)", lambda m, a: np.add(1, _t(m))),
    ("np.add(t, t)", lambda m, a: np.add(_t(m), _t(m))),
    ("np.add(a, t)", lambda m, a: np.add(a, _t(m))),
    ("np.maximum(t, 2)", lambda m, a: np.maximum(_t(m), 2)),
    ("np.modf(t)", lambda m, a: np.modf(_t(m) / 2)),
    ("np.add.reduce(t)", lambda m, a: np.add.reduce(_t(m))),
    ("np.matmul(t, t)", lambda m, a: np.matmul(_t(m), _t(m))),
    ("np.clip(t, 0, 2)", lambda m, a: np.clip(_t(m), 0, 2)),
    ("np.round(t)", lambda m, a: np.round(_t(m) / 3, 2)),
    ("np.add(t, 1, out=)", lambda m, a: np.add(_t(m), 1, out=np.empty(3))),
    ("np.sin(detached)", lambda m, a: np.sin(_r(m).detach())),
    # ... and on a tensor that requires grad they raise, as numpy() does
    ("np.sin(r)", lambda m, a: np.sin(_r(m))),
    ("np.asarray(r)", lambda m, a: np.asarray(_r(m))),
    ("r.numpy()", lambda m, a: _r(m).numpy()),
    ("r.numpy(force=True)", lambda m, a: _r(m).numpy(force=True)),
    ("np.asarray(r) under no_grad", lambda m, a: _no_grad(m, lambda: np.asarray(_r(m)))),
    ("np.asarray(t)", lambda m, a: np.asarray(_t(m))),
    ("np.asarray(t, float64)", lambda m, a: np.asarray(_t(m), dtype=np.float64)),
    ("np.concatenate", lambda m, a: np.concatenate([_t(m), _t(m)])),
    ("np.where", lambda m, a: np.where(_t(m) > 1, _t(m), 0)),
    ("np.linalg.norm", lambda m, a: np.linalg.norm(_t(m))),
    ("np.allclose", lambda m, a: np.allclose(_t(m), _t(m))),
    # tensor op array: the tensor declines, NumPy's reflected operator runs the ufunc
    ("t + a", lambda m, a: _t(m) + a),
    ("t - a", lambda m, a: _t(m) - a),
    ("t * a", lambda m, a: _t(m) * a),
    ("t * int a", lambda m, a: _t(m) * a.astype(np.int64)),
    ("t * float32 a", lambda m, a: _t(m) * a.astype(np.float32)),
    ("t / a", lambda m, a: _t(m) / a),
    ("t ** a", lambda m, a: _t(m) ** a),
    ("t @ a", lambda m, a: _t(m) @ a),
    ("t % a", lambda m, a: _t(m) % (a + 1)),
    ("t // a", lambda m, a: _t(m) // (a + 1)),
    ("t == a", lambda m, a: _t(m) == a),
    ("t < a", lambda m, a: _t(m) < a),
    ("t += a", lambda m, a: _iadd(_t(m), a)),
    ("r + a", lambda m, a: _r(m) + a),
    ("r * a", lambda m, a: _r(m) * a),
    # array op tensor: NumPy defers to the tensor, which declines but for == and /
    ("a + t", lambda m, a: a + _t(m)),
    ("a - t", lambda m, a: a - _t(m)),
    ("a * t", lambda m, a: a * _t(m)),
    ("a / t", lambda m, a: a / _t(m)),
    ("a / r", lambda m, a: a / _r(m)),
    ("a ** t", lambda m, a: a ** _t(m)),
    ("a @ t", lambda m, a: a @ _t(m)),
    ("a // t", lambda m, a: a // _t(m)),
    ("a % t", lambda m, a: a % _t(m)),
    ("a == t", lambda m, a: a == _t(m)),
    ("a == r", lambda m, a: a == _r(m)),
    ("a != t", lambda m, a: a != _t(m)),
    ("a < t", lambda m, a: a < _t(m)),
    ("a >= t", lambda m, a: a >= _t(m)),
    ("int a & int t", lambda m, a: a.astype(np.int64) & m.tensor([1, 0, 1])),
    # NumPy scalars are numbers
    ("np.float64 * t", lambda m, a: np.float64(2) * _t(m)),
    ("t * np.float64", lambda m, a: _t(m) * np.float64(2)),
    ("np.int64 * t", lambda m, a: np.int64(2) * _t(m)),
    ("np.float64 - t", lambda m, a: np.float64(2) - _t(m)),
    ("np.float64 / t", lambda m, a: np.float64(2) / _t(m)),
    ("np.float32 ** t", lambda m, a: np.float32(2) ** _t(m)),
    ("np.float64 * r", lambda m, a: np.float64(2) * _r(m)),
]


def _no_grad(m, fn):
    with m.no_grad():
        return fn()


def _iadd(t, a):
    t += a
    return t


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_numpy_interop_as_torch(name, fn):
    assert _outcome(fn, dg) == _outcome(fn, torch)


def test_a_bool_ufunc_result_is_an_integer_tensor_as_torch():
    # torch's __array_wrap__ turns a bool result into uint8; dualgrad's widest unsigned integer
    # until uint8 arrives is int64: the values and the integer kind are torch's
    got, want = (
        np.isnan(dg.tensor([1.0, np.nan])),
        _torch_quiet(np.isnan, torch.tensor([1.0, np.nan])),
    )
    assert isinstance(got, dg.Tensor) and not got.is_floating_point()
    assert got.tolist() == want.tolist() == [0, 1]


def _torch_quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn(*args)


def test_a_ufunc_result_is_a_new_tensor_sharing_its_array():
    x = dg.tensor([1.0, 2.0])
    y = np.negative(x)
    assert isinstance(y, dg.Tensor) and y.tolist() == [-1.0, -2.0]
    assert not np.shares_memory(y.numpy(), x.numpy())


# ---- DLPack: round trips with torch and NumPy both ways, sharing memory
def test_dlpack_device_is_torchs():
    assert dg.tensor([1.0]).__dlpack_device__() == torch.tensor([1.0]).__dlpack_device__()
    assert dg.utils.dlpack.DLDeviceType.kDLCPU == torch.utils.dlpack.DLDeviceType.kDLCPU == 1
    assert repr(dg.tensor(1.0).__dlpack_device__()[0]) == "<DLDeviceType.kDLCPU: 1>"


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_dlpack_round_trips_share_memory(dtype):
    x = dg.tensor([1, 0, 1], dtype=getattr(dg, dtype))
    # dualgrad -> torch (__dlpack__), and back
    t = torch.from_dlpack(x)
    assert str(t.dtype) == f"torch.{dtype}" and t.tolist() == x.tolist()
    assert t.data_ptr() == x.numpy().ctypes.data
    back = dg.from_dlpack(t)
    assert back.dtype == x.dtype and np.shares_memory(back.numpy(), x.numpy())
    # dualgrad -> NumPy and NumPy -> dualgrad
    a = np.from_dlpack(x)
    assert np.shares_memory(a, x.numpy())
    y = dg.from_dlpack(a)
    assert np.shares_memory(y.numpy(), a)
    # writes through any of them are seen by all
    if dtype != "bool":
        t[0] = 7
        assert x.tolist()[0] == a[0] == back.tolist()[0] == y.tolist()[0] == 7


def test_from_dlpack_of_torch_sees_torchs_writes():
    t = torch.arange(6.0).reshape(2, 3).T  # not contiguous
    x = dg.utils.dlpack.from_dlpack(t)
    t[0, 1] = -1.0
    assert (
        x.tolist() == t.tolist()
        and x.shape == (3, 2)
        and dg.from_dlpack is dg.utils.dlpack.from_dlpack
    )


def test_capsules_both_ways():
    x = dg.tensor([1.0, 2.0])
    t = torch.utils.dlpack.from_dlpack(dg.utils.dlpack.to_dlpack(x))
    t[0] = 5.0
    assert x.tolist() == [5.0, 2.0]
    src = torch.tensor([3.0, 4.0])
    y = dg.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(src))
    src[1] = 6.0
    assert y.tolist() == [3.0, 6.0]


def test_a_tensor_from_dualgrads_capsule_writes_through_as_torchs():
    # torch's docstring example of from_dlpack: three tensors sharing memory, all writable
    for m in (dg, torch):
        t = m.arange(4)
        t3 = m.from_dlpack(m.utils.dlpack.to_dlpack(t))
        t3[0] = -9
        assert t.tolist() == [-9, 1, 2, 3]


def test_a_capsule_is_consumed_once_as_in_torch():
    for m in (dg, torch):
        cap = m.utils.dlpack.to_dlpack(m.tensor([1.0]))
        m.from_dlpack(cap)
        with pytest.raises(RuntimeError, match="DLTensor capsules can be consumed only once"):
            m.from_dlpack(cap)


def test_dlpack_export_of_a_tensor_that_requires_grad_raises_as_torch():
    for m in (dg, torch):
        r = m.tensor([1.0], requires_grad=True)
        with pytest.raises(BufferError, match="Can't export tensors that require gradient"):
            np.from_dlpack(r)
        # to_dlpack exports regardless, as torch's
        assert type(m.utils.dlpack.to_dlpack(r)).__name__ == "PyCapsule"


def test_from_dlpack_refuses_a_non_array():
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        dg.from_dlpack([1.0, 2.0])


# ---- what torch's complex and sparse machinery says of a real, strided tensor
def _x(m):
    return m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)


def _set_real(m):
    y = m.tensor([1.0, 2.0])
    y.real = m.zeros(2)
    return y


def _real_grad(m):
    x = _x(m)
    x.real.sum().backward()
    return x.grad


PROPERTY_CASES = [
    ("real is self", lambda m: (lambda x: x.real is x)(_x(m))),
    ("real of int", lambda m: m.tensor([1, 2]).real),
    ("real setter", _set_real),
    ("real carries grad", _real_grad),
    ("imag", lambda m: _x(m).imag),
    ("imag of int", lambda m: m.tensor([1, 2]).imag),
    ("is_sparse", lambda m: _x(m).is_sparse),
    ("is_sparse_csr", lambda m: _x(m).is_sparse_csr),
    ("to_dense is self", lambda m: (lambda x: x.to_dense() is x)(_x(m))),
    ("to_dense(dtype)", lambda m: m.tensor([1.0]).to_dense(m.float64)),
    ("is_complex", lambda m: _x(m).is_complex()),
    ("torch.is_complex", lambda m: m.is_complex(_x(m))),
    ("torch.is_complex(list)", lambda m: m.is_complex([1.0])),
    (
        "torch.is_floating_point",
        lambda m: (m.is_floating_point(_x(m)), m.is_floating_point(m.tensor([1]))),
    ),
    ("torch.is_floating_point(float)", lambda m: m.is_floating_point(1.0)),
    ("torch.real", lambda m: (lambda x: m.real(x) is x)(_x(m))),
    ("torch.imag", lambda m: m.imag(_x(m))),
    ("conj is self", lambda m: (lambda x: (x.conj() is x, m.conj(x) is x))(_x(m))),
    (
        "is_conj/is_neg",
        lambda m: (_x(m).is_conj(), _x(m).is_neg(), m.is_conj(_x(m)), m.is_neg(_x(m))),
    ),
    (
        "resolve_* is self",
        lambda m: (lambda x: (x.resolve_conj() is x, x.resolve_neg() is x))(_x(m)),
    ),
    ("H", lambda m: _x(m).H),
    ("H of 1-d", lambda m: m.ones(3).H),
    ("mH", lambda m: m.arange(24.0).reshape(2, 3, 4).mH),
    ("mH of 1-d", lambda m: m.ones(3).mH),
    ("adjoint", lambda m: (_x(m).adjoint(), m.adjoint(_x(m)))),
    ("adjoint of 1-d", lambda m: m.ones(3).adjoint()),
    (
        "layout",
        lambda m: (
            _x(m).layout == m.strided,
            repr(m.strided).split(".")[1],
            m.strided != m.sparse_coo,
        ),
    ),
    ("indices", lambda m: _x(m).indices()),
    ("values", lambda m: _x(m).values()),
    ("sparse_dim/dense_dim", lambda m: (_x(m).sparse_dim(), _x(m).dense_dim())),
    (
        "device flags",
        lambda m: [
            getattr(_x(m), n)
            for n in (
                "is_xpu",
                "is_mps",
                "is_quantized",
                "is_mkldnn",
                "is_nested",
                "is_ipu",
                "is_vulkan",
            )
        ],
    ),
    (
        "data_ptr",
        lambda m: (
            lambda y: (y[1:].data_ptr() - y.data_ptr(), y.data_ptr() == np.asarray(y).ctypes.data)
        )(m.arange(4.0)),
    ),
]


def _plain(v):
    if isinstance(v, (dg.Tensor, torch.Tensor)):
        return ("tensor", str(v.dtype).split(".")[-1], v.tolist(), v.grad_fn is not None)
    if isinstance(v, (tuple, list)):
        return type(v)(_plain(x) for x in v)
    return v


@pytest.mark.parametrize("name,fn", PROPERTY_CASES, ids=[c[0] for c in PROPERTY_CASES])
def test_real_strided_tensor_properties_as_torch(name, fn):
    def outcome(m):
        try:
            return ("ok", _plain(fn(m)))
        except (TypeError, RuntimeError) as e:
            return ("raise", type(e), str(e))

    assert outcome(dg) == outcome(torch)


def test_H_of_a_0d_tensor_warns_as_torch():
    for m in (dg, torch):
        with pytest.warns(UserWarning, match="Tensor.H is deprecated on 0-D tensors"):
            assert m.tensor(2.0).H.item() == 2.0


def test_to_sparse_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="to_sparse: dualgrad has no sparse tensors"):
        dg.ones(2).to_sparse()


def test_record_stream_raises_as_a_cpu_only_build():
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        dg.ones(2).record_stream(None)
