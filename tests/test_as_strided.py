"""torch.as_strided / Tensor.as_strided against torch: values over storage offsets and strides
of views, gradients (overlapping windows add up), forward mode, vmap, torch's errors, and the
read-only result (NOTE: [as_strided as a gather] in _ops/strided.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg


def _base(m):
    return m.tensor(np.cos(np.arange(24.0)), dtype=m.float64)


# (name, input from a base tensor, size, stride, storage_offset)
CASES = [
    ("windows", lambda x: x, (5, 3), (1, 1), None),
    ("windows_stride2", lambda x: x, (4, 4), (2, 1), None),
    ("transpose_like", lambda x: x[:12], (4, 3), (1, 4), None),
    ("matrix_view", lambda x: x.view(4, 6), (3, 2), (6, 2), 1),
    ("slice_default_offset", lambda x: x[5:], (3, 3), (3, 1), None),
    ("slice_into_base", lambda x: x[5:], (2, 3), (1, 1), 0),
    ("zero_stride", lambda x: x, (3, 4), (0, 1), 2),
    ("empty", lambda x: x, (0, 3), (1, 1), None),
    ("scalar", lambda x: x, (), (), 7),
    ("noncontiguous_input", lambda x: x.view(4, 6).t(), (3, 3), (1, 6), None),
    ("row_of_matrix", lambda x: x.view(4, 6)[1], (2, 2), (1, 1), None),
]


def _run(m, make, size, stride, offset, mode):
    base = _base(m).requires_grad_(mode == "vjp")
    x = make(base * 1.0 if mode == "vjp" else base)
    kw = {} if offset is None else {"storage_offset": offset}
    if mode == "value":
        out = m.as_strided(x, size, stride, **kw)
        return [out, x.as_strided(size, stride, **kw)]
    if mode == "vjp":
        out = m.as_strided(x, size, stride, **kw)
        g = m.tensor(np.sin(np.arange(int(np.prod(size)))).reshape(size), dtype=m.float64)
        return list(m.autograd.grad((out * g).sum(), base, allow_unused=True))
    if mode == "jvp":
        t = m.tensor(np.arange(24.0) ** 0.5, dtype=m.float64)
        return list(m.func.jvp(lambda b: m.as_strided(make(b), size, stride, **kw), (base,), (t,)))


@pytest.mark.parametrize("mode", ["value", "vjp", "jvp"])
@pytest.mark.parametrize("name,make,size,stride,offset", CASES, ids=[c[0] for c in CASES])
def test_as_strided_as_torch(name, make, size, stride, offset, mode):
    if mode == "jvp" and name == "slice_into_base":
        with pytest.raises(NotImplementedError, match="forward mode"):
            _run(dg, make, size, stride, offset, mode)
        return
    if mode == "jvp" and name in ("noncontiguous_input", "row_of_matrix"):
        # (the tangent of a view in torch is laid out as its base's, not relative to the
        # slice; dualgrad's forward mode follows the gather: checked by finite differences)
        base = _base(dg)
        t = dg.tensor(np.arange(24.0) ** 0.5, dtype=dg.float64)
        kw = {} if offset is None else {"storage_offset": offset}
        _, jt = dg.func.jvp(lambda b: dg.as_strided(make(b), size, stride, **kw), (base,), (t,))
        eps = 1e-6
        hi = dg.as_strided(make(base + eps * t), size, stride, **kw)
        lo = dg.as_strided(make(base - eps * t), size, stride, **kw)
        np.testing.assert_allclose(jt.numpy(), ((hi - lo) / (2 * eps)).numpy(), atol=1e-7)
        return
    want = _run(torch, make, size, stride, offset, mode)
    got = _run(dg, make, size, stride, offset, mode)
    for g, w in zip(got, want):
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_storage_offset_as_torch():
    for m_make in (lambda m: m.arange(10.0)[3:], lambda m: m.arange(12.0).view(3, 4)[1:, 2:]):
        assert dg.Tensor.storage_offset(m_make(dg)) == m_make(torch).storage_offset()
    assert dg.arange(4.0).storage_offset() == 0


def test_as_strided_under_vmap_as_torch_func():
    x = np.cos(np.arange(12.0)).reshape(2, 6)

    def f(m):
        return m.func.vmap(lambda r: r.as_strided((4, 3), (1, 1)))(m.tensor(x))

    np.testing.assert_array_equal(f(dg).numpy(), f(torch).numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.arange(10.0).as_strided((2, 2), (1,)),
        lambda m: m.arange(10.0).as_strided((2, 2), (-1, 1)),
        lambda m: m.arange(10.0).as_strided((2, 2), (1, 1), -1),
        lambda m: m.arange(10.0).as_strided((4, 4), (3, 1), 2),
        lambda m: m.arange(10.0).as_strided((2, 2), (1.5, 1)),
        lambda m: m.as_strided([1.0, 2.0], (1,), (1,)),
    ],
)
def test_as_strided_errors_as_torch(call):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(
        type(want.value).__mro__[0] if type(want.value) in (RuntimeError, TypeError) else Exception
    ) as got:
        call(dg)
    assert str(got.value)


def test_a_write_into_the_result_is_refused_not_lost():
    x = dg.arange(6.0)
    w = x.as_strided((2, 2), (1, 1))
    with pytest.raises(RuntimeError):
        w.add_(1.0)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
