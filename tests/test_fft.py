"""torch.fft's real functions against torch (the grids bit for bit, the shifts with their
gradients), and the complex transforms refused with the reason (no complex dtype)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg

GRIDS = [
    (name, n, d, dtype)
    for name in ("fftfreq", "rfftfreq")
    for n in (1, 2, 5, 6, 7, 16)
    for d in (1.0, 0.5, 0.1, 3)
    for dtype in (None, "float32", "float64", "float16")
]


@pytest.mark.parametrize("name,n,d,dtype", GRIDS)
def test_frequency_grids_as_torch(name, n, d, dtype):
    kw = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    want = getattr(torch.fft, name)(n, d, **kw)
    kw = {} if dtype is None else {"dtype": getattr(dg, dtype)}
    got = getattr(dg.fft, name)(n, d, **kw)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.fft.fftfreq(4.0),
        lambda m: m.fft.fftfreq(4, m.ones(3)),
        lambda m: m.fft.fftfreq(4, dtype=m.int64),
        lambda m: m.fft.fftshift([1, 2]),
    ],
)
def test_grid_and_shift_errors_as_torch(call):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(Exception) as got:
        call(dg)
    for t in (TypeError, RuntimeError):
        if isinstance(want.value, t):
            assert isinstance(got.value, t), (got.value, want.value)


SHIFTS = [
    (shape, dim)
    for shape in ((5,), (6,), (2, 3), (3, 4, 5), (1, 0))
    for dim in (None, 0, -1, (0, -1))
    if not (isinstance(dim, tuple) and len(shape) < 2)
] + [((), None)]


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("shape,dim", SHIFTS)
def test_shifts_values_and_gradients_as_torch(name, shape, dim):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) ** 1.5
    g = np.cos(np.arange(a.size)).reshape(shape)
    if a.ndim == 0:  # both refuse: torch's roll by no shifts over no dims
        for m in (torch, dg):
            with pytest.raises(RuntimeError, match="shifts"):
                getattr(m.fft, name)(m.tensor(a))
        return
    out = []
    for m in (torch, dg):
        x = m.tensor(a, requires_grad=True)
        y = getattr(m.fft, name)(x, dim=dim)
        if a.size == 0 and m is torch:  # (torch's roll backward raises "`shifts` required")
            out.append((y.detach().numpy(), np.zeros(shape)))
            continue
        (gx,) = m.autograd.grad((y * m.tensor(g)).sum(), x)
        out.append((y.detach().numpy(), gx.numpy()))
    for got, want in zip(out[1], out[0]):
        np.testing.assert_array_equal(got, want)


def test_shift_under_vmap_and_jvp():
    x = dg.arange(12.0).reshape(3, 4)
    per_row = dg.vmap(dg.fft.fftshift)(x)
    np.testing.assert_array_equal(
        per_row.numpy(), torch.fft.fftshift(torch.arange(12.0).reshape(3, 4), dim=1).numpy()
    )
    _, t = dg.func.jvp(dg.fft.ifftshift, (x,), (dg.ones(3, 4) * dg.arange(4.0),))
    np.testing.assert_array_equal(
        t.numpy(), torch.fft.ifftshift(torch.ones(3, 4) * torch.arange(4.0)).numpy()
    )


@pytest.mark.parametrize(
    "name",
    [
        "fft",
        "ifft",
        "rfft",
        "irfft",
        "fft2",
        "ifft2",
        "rfft2",
        "fftn",
        "ifftn",
        "rfftn",
        "irfftn",
        "hfft",
        "ihfft",
    ],
)
def test_complex_transforms_say_why(name):
    with pytest.raises(NotImplementedError, match="complex"):
        getattr(dg.fft, name)(dg.ones(4))
