"""Pooling with ceil_mode and return_indices, max_unpool and interpolate against torch (float64):
values, indices, the reverse-mode gradient, a forward-mode JVP (dualgrad.func.jvp against
torch.func.jvp), a Hessian-vector product and vmap over a batch of inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.nn as nn
import dualgrad.nn.functional as F

TF = torch.nn.functional


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _close(a, b, what):
    assert tuple(a.shape) == tuple(b.shape), (
        f"{what}: shape {tuple(a.shape)} != torch's {tuple(b.shape)}"
    )
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-9, atol=1e-10, err_msg=what)


def _check(d_fn, t_fn, shape, seed=0, second=True):
    """``d_fn`` (dualgrad) against ``t_fn`` (torch) at a random float64 input of ``shape``:
    value, gradient for a random cotangent, JVP, HVP of sum(f(x)**3) and vmap over 3 inputs."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    tx, dx = torch.tensor(x, requires_grad=True), dg.tensor(x, requires_grad=True)
    t_out, d_out = t_fn(tx), d_fn(dx)
    _close(d_out, t_out, "value")
    ct = rng.standard_normal(tuple(t_out.shape))
    (t_g,) = torch.autograd.grad(t_out, tx, torch.tensor(ct))
    (d_g,) = dg.autograd.grad(d_out, dx, dg.tensor(ct))
    _close(d_g, t_g, "gradient")
    v = rng.standard_normal(shape)
    t_j = torch.func.jvp(t_fn, (torch.tensor(x),), (torch.tensor(v),))[1]
    d_j = dg.func.jvp(d_fn, (dg.tensor(x),), (dg.tensor(v),))[1]
    _close(d_j, t_j, "jvp")
    if second:
        t_h = torch.func.jvp(
            torch.func.grad(lambda a: (t_fn(a) ** 3).sum()), (torch.tensor(x),), (torch.tensor(v),)
        )[1]
        d_h = dg.func.jvp(
            dg.func.grad(lambda a: (d_fn(a) ** 3).sum()), (dg.tensor(x),), (dg.tensor(v),)
        )[1]
        _close(d_h, t_h, "hvp")
    xs = rng.standard_normal((3,) + tuple(shape))
    _close(
        dg.func.vmap(d_fn)(dg.tensor(xs)), torch.stack([t_fn(torch.tensor(a)) for a in xs]), "vmap"
    )


def _indices_match(d_fn, t_fn, shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    d, t = d_fn(dg.tensor(x)), t_fn(torch.tensor(x))
    assert d.dtype == dg.int64
    np.testing.assert_array_equal(_np(d), _np(t))


# ------------------------------------------------------------------ max_pool2d / avg_pool2d
# (shape, kernel, stride, padding, dilation): odd sizes, stride != kernel, padding, dilation
MAX_CASES = [
    ((2, 3, 7, 6), 3, 2, 1, 1),
    ((1, 2, 5, 8), (2, 3), (1, 2), (1, 0), (2, 1)),
    ((3, 6, 6), 2, None, 0, 1),
    ((2, 2, 9, 4), 3, 3, 0, 1),
    ((1, 1, 10, 11), (3, 2), (4, 3), 1, 2),
    ((2, 1, 5, 5), 2, 2, 1, 1),
]


@pytest.mark.parametrize("ceil_mode", [True, False])
@pytest.mark.parametrize("shape,k,s,p,d", MAX_CASES)
def test_max_pool2d(shape, k, s, p, d, ceil_mode):
    _check(
        lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode),
        lambda x: TF.max_pool2d(x, k, s, p, d, ceil_mode),
        shape,
    )
    _indices_match(
        lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode, return_indices=True)[1],
        lambda x: TF.max_pool2d(x, k, s, p, d, ceil_mode, return_indices=True)[1],
        shape,
    )


def test_ceil_mode_adds_the_windows_torch_adds():
    # 5 wide, kernel 2, stride 2: floor gives 2 windows, ceil 3 (the last one hangs over)
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    assert tuple(F.max_pool2d(dg.tensor(x), 2, ceil_mode=True).shape) == (1, 1, 3, 3)
    assert tuple(F.max_pool2d(dg.tensor(x), 2).shape) == (1, 1, 2, 2)
    # padding 1, stride 2 on 4: ceil would start a 4th window in the right padding; torch drops it
    for fn, tfn in [(F.max_pool2d, TF.max_pool2d), (F.avg_pool2d, TF.avg_pool2d)]:
        got = fn(dg.tensor(x[..., :4, :4]), 2, 2, 1, ceil_mode=True)
        assert (
            tuple(got.shape)
            == tuple(tfn(torch.tensor(x[..., :4, :4]), 2, 2, 1, ceil_mode=True).shape)
            == (1, 1, 3, 3)
        )


def test_max_pool2d_ties_and_inf_go_where_torch_sends_them():
    """With tied maxima torch's gradient goes to the first one in the window (amax would share
    it); a window of -inf reports its first element; only-padding windows (a large dilation)
    are -inf with torch's index."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (2, 2, 6, 7)).astype(float)
    x[0, 0, :2, :2] = -np.inf
    x[1, 1] = -np.inf
    for args in [(2, 1, 0, 1, False), (3, 2, 1, 1, True), (2, 2, 1, 2, True)]:
        tx, dx = torch.tensor(x, requires_grad=True), dg.tensor(x, requires_grad=True)
        tv, ti = TF.max_pool2d(tx, *args, return_indices=True)
        dv, di = F.max_pool2d(dx, *args, return_indices=True)
        np.testing.assert_array_equal(_np(dv), _np(tv))
        np.testing.assert_array_equal(_np(di), _np(ti))
        ct = rng.standard_normal(tuple(tv.shape))
        np.testing.assert_allclose(
            _np(dg.autograd.grad(dv, dx, dg.tensor(ct))[0]),
            _np(torch.autograd.grad(tv, tx, torch.tensor(ct))[0]),
        )
    x = np.arange(10.0).reshape(1, 2, 1, 5)  # padding 1, dilation 2: the rows read are -1 and 1
    tv, ti = TF.max_pool2d(torch.tensor(x), 2, 1, 1, 2, return_indices=True)
    dv, di = F.max_pool2d(dg.tensor(x), 2, 1, 1, 2, return_indices=True)
    assert np.all(np.isneginf(_np(dv))) and np.array_equal(_np(di), _np(ti))


AVG_CASES = [
    ((2, 3, 7, 6), 3, 2, 1),
    ((1, 2, 5, 8), (2, 3), (1, 2), (1, 0)),
    ((3, 6, 5), 2, None, 1),
    ((2, 2, 9, 4), 3, 3, 0),
    ((1, 1, 10, 11), (3, 4), (4, 3), (1, 2)),
]


@pytest.mark.parametrize("count_include_pad,divisor", [(True, None), (False, None), (True, 5)])
@pytest.mark.parametrize("shape,k,s,p", AVG_CASES)
def test_avg_pool2d_ceil_mode(shape, k, s, p, count_include_pad, divisor):
    _check(
        lambda x: F.avg_pool2d(x, k, s, p, True, count_include_pad, divisor),
        lambda x: TF.avg_pool2d(x, k, s, p, True, count_include_pad, divisor),
        shape,
    )


def test_avg_pool2d_ceil_divisor_numbers():
    """torch's divisor with ceil_mode: kernel 3, stride 2, padding 1 on 6 starts windows at -1,
    1, 3 and 5; the last one (5..7) is cut at the padded edge 7, so it counts 2 positions (5
    and the padding 6) with count_include_pad, and 1 (just 5) without."""
    ones = dg.ones(1, 1, 6, 6, dtype=dg.float64)
    edge = np.array(
        [4 / 9, 2 / 3, 2 / 3, 1 / 3]
    )  # (real elements) / (window within the padded input)
    inner = np.array([2 / 3, 1, 1, 1 / 2])
    np.testing.assert_allclose(
        _np(F.avg_pool2d(ones, 3, 2, 1, ceil_mode=True))[0, 0],
        [edge, inner, inner, [1 / 3, 1 / 2, 1 / 2, 1 / 4]],
    )
    np.testing.assert_allclose(
        _np(F.avg_pool2d(ones, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
        np.ones((1, 1, 4, 4)),
    )
    # no padding: the overhanging window 2..4 on 4 holds 2 inputs per axis and divides by 4
    got = F.avg_pool2d(dg.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 3, 2, ceil_mode=True)
    assert _np(got)[0, 0, 1, 1] == (10 + 11 + 14 + 15) / 4


@pytest.mark.parametrize("ceil_mode", [True, False])
@pytest.mark.parametrize(
    "shape,k,s,p,d", [((2, 3, 9), 3, 2, 1, 1), ((3, 10), 2, 3, 1, 2), ((1, 2, 7), 4, 2, 2, 1)]
)
def test_pool1d(shape, k, s, p, d, ceil_mode):
    _check(
        lambda x: F.max_pool1d(x, k, s, p, d, ceil_mode),
        lambda x: TF.max_pool1d(x, k, s, p, d, ceil_mode),
        shape,
    )
    _indices_match(
        lambda x: F.max_pool1d(x, k, s, p, d, ceil_mode, return_indices=True)[1],
        lambda x: TF.max_pool1d(x, k, s, p, d, ceil_mode, return_indices=True)[1],
        shape,
    )
    _check(
        lambda x: F.avg_pool1d(x, k, s, p, ceil_mode, False),
        lambda x: TF.avg_pool1d(x, k, s, p, ceil_mode, False),
        shape,
    )


def test_pool_errors():
    with pytest.raises(RuntimeError):
        F.max_pool2d(dg.ones(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.avg_pool2d(dg.ones(1, 1, 5, 5), 2, padding=2, ceil_mode=True)


# ------------------------------------------------------------------ adaptive max pool, unpool
@pytest.mark.parametrize(
    "shape,size",
    [
        ((2, 3, 7, 5), (3, 4)),
        ((3, 5, 5), 2),
        ((1, 1, 4, 9), (4, 4)),
        ((2, 2, 6, 6), (4, None)),
        ((1, 2, 3, 3), (5, 5)),
    ],
)
def test_adaptive_max_pool2d(shape, size):
    _check(
        lambda x: F.adaptive_max_pool2d(x, size), lambda x: TF.adaptive_max_pool2d(x, size), shape
    )
    _indices_match(
        lambda x: F.adaptive_max_pool2d(x, size, return_indices=True)[1],
        lambda x: TF.adaptive_max_pool2d(x, size, return_indices=True)[1],
        shape,
    )


def test_adaptive_max_pool1d():
    _check(
        lambda x: F.adaptive_max_pool1d(x, 4), lambda x: TF.adaptive_max_pool1d(x, 4), (2, 3, 11)
    )
    _indices_match(
        lambda x: F.adaptive_max_pool1d(x, 3, True)[1],
        lambda x: TF.adaptive_max_pool1d(x, 3, True)[1],
        (2, 7),
    )


@pytest.mark.parametrize(
    "shape,k,s,p,out",
    [
        ((2, 3, 6, 8), 2, None, 0, None),
        ((2, 3, 6, 7), 2, None, 0, (6, 7)),
        ((1, 2, 7, 7), 3, 2, 1, None),
        ((2, 5, 5), 2, 2, 0, (5, 5)),
        ((1, 1, 9, 8), (3, 2), (3, 2), 0, (1, 1, 10, 9)),
    ],
)
def test_max_unpool2d(shape, k, s, p, out):
    """Pool, then unpool at the indices (torch's values and output size; gradient to the pooled
    values only)."""
    x = np.random.default_rng(5).standard_normal(shape)
    _, ti = TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    _, di = F.max_pool2d(dg.tensor(x), k, s, p, return_indices=True)
    _check(
        lambda v: F.max_unpool2d(v, di, k, s, p, out),
        lambda v: TF.max_unpool2d(v, ti, k, s, p, out),
        tuple(ti.shape),
        second=True,
    )
    # the round trip, and the vmap of pool-then-unpool as one function
    pooled, idx = F.max_pool2d(dg.tensor(x), k, s, p, return_indices=True)
    np.testing.assert_array_equal(
        _np(F.max_unpool2d(pooled, idx, k, s, p, out)),
        _np(
            TF.max_unpool2d(
                *TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True), k, s, p, out
            )
        ),
    )
    if out is None:
        _check(
            lambda v: F.max_unpool2d(*F.max_pool2d(v, k, s, p, return_indices=True), k, s, p),
            lambda v: TF.max_unpool2d(*TF.max_pool2d(v, k, s, p, return_indices=True), k, s, p),
            shape,
        )


def test_max_unpool2d_refuses_an_index_outside_the_output():
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool2d(dg.ones(1, 1, 2, 2), dg.tensor([[[[0, 1], [2, 9]]]]), 2, 1)


def test_max_unpool1d():
    x = np.random.default_rng(6).standard_normal((2, 3, 9))
    _check(
        lambda v: F.max_unpool1d(*F.max_pool1d(v, 3, 2, 1, return_indices=True), 3, 2, 1),
        lambda v: TF.max_unpool1d(*TF.max_pool1d(v, 3, 2, 1, return_indices=True), 3, 2, 1),
        x.shape,
    )


def test_pool_modules_return_indices():
    x = np.random.default_rng(7).standard_normal((2, 3, 7, 8))
    d_pool, t_pool = (
        nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True),
        torch.nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True),
    )
    (dv, di), (tv, ti) = d_pool(dg.tensor(x)), t_pool(torch.tensor(x))
    _close(dv, tv, "MaxPool2d")
    np.testing.assert_array_equal(_np(di), _np(ti))
    d_un, t_un = nn.MaxUnpool2d(3, 2, 1), torch.nn.MaxUnpool2d(3, 2, 1)
    _close(d_un(dv, di, output_size=(7, 8)), t_un(tv, ti, output_size=(7, 8)), "MaxUnpool2d")
    (dv, di), (tv, ti) = (
        nn.AdaptiveMaxPool2d((3, 5), True)(dg.tensor(x)),
        torch.nn.AdaptiveMaxPool2d((3, 5), True)(torch.tensor(x)),
    )
    _close(dv, tv, "AdaptiveMaxPool2d")
    np.testing.assert_array_equal(_np(di), _np(ti))
    _close(
        nn.AdaptiveMaxPool2d(2)(dg.tensor(x)),
        torch.nn.AdaptiveMaxPool2d(2)(torch.tensor(x)),
        "AdaptiveMaxPool2d",
    )
    (dv, di), (tv, ti) = (
        nn.MaxPool1d(2, return_indices=True)(dg.tensor(x[0])),
        torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x[0])),
    )
    _close(dv, tv, "MaxPool1d")
    _close(nn.MaxUnpool1d(2)(dv, di), torch.nn.MaxUnpool1d(2)(tv, ti), "MaxUnpool1d")
    _close(
        nn.AdaptiveMaxPool1d(3)(dg.tensor(x[0])),
        torch.nn.AdaptiveMaxPool1d(3)(torch.tensor(x[0])),
        "AdaptiveMaxPool1d",
    )
    _close(
        nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)(dg.tensor(x)),
        torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)(torch.tensor(x)),
        "AvgPool2d",
    )


# ------------------------------------------------------------------ interpolate
INTERP_CASES = [
    ((2, 3, 5), dict(size=9, mode="nearest")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="nearest")),
    ((2, 2, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 2, 7, 5), dict(size=(3, 4), mode="nearest")),
    ((1, 2, 4, 3), dict(scale_factor=(1.5, 2.3), mode="nearest")),
    ((1, 2, 5, 4), dict(size=(7, 9), mode="nearest-exact")),
    ((2, 3, 5), dict(size=9, mode="linear")),
    ((2, 3, 7), dict(size=4, mode="linear", align_corners=True)),
    ((2, 3, 5), dict(scale_factor=2.5, mode="linear")),
    ((2, 2, 4, 5), dict(size=(7, 3), mode="bilinear")),
    ((2, 2, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 3, 5, 5), dict(scale_factor=1.7, mode="bilinear")),
    ((1, 3, 5, 5), dict(scale_factor=(0.6, 2), mode="bilinear", recompute_scale_factor=True)),
    ((1, 3, 6, 3), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    (
        (3, 4, 3),
        dict(size=(5, 6), mode="bilinear"),
    ),  # unbatched (C, H, W) is 3-D: not bilinear in torch either
    ((1, 2, 4, 5), dict(size=(6, 7), mode="bicubic")),
    ((1, 2, 4, 5), dict(size=(3, 8), mode="bicubic", align_corners=True)),
    ((1, 1, 3, 4, 2), dict(size=(5, 3, 4), mode="trilinear")),
    ((1, 2, 6, 9), dict(size=(3, 4), mode="area")),
    ((1, 2, 5, 6, 4), dict(size=(3, 4, 3), mode="area")),  # 5-D: adaptive_avg_pool3d
    ((1, 2, 8, 9), dict(size=(3, 4), mode="bilinear", antialias=True)),
    ((1, 2, 8, 9), dict(size=(3, 5), mode="bilinear", antialias=True, align_corners=True)),
    ((2, 1, 6, 5), dict(scale_factor=(2.0, 0.5), mode="bilinear", antialias=True)),
    ((1, 2, 10, 12), dict(size=(4, 5), mode="bicubic", antialias=True)),
    ((1, 1, 5, 7), dict(size=(9, 3), mode="bicubic", antialias=True, align_corners=True)),
    ((1, 2, 6), dict(size=3, mode="linear", antialias=True)),  # refused, as torch
]


@pytest.mark.parametrize(
    "shape,kw", INTERP_CASES, ids=[f"{c[1]['mode']}-{i}" for i, c in enumerate(INTERP_CASES)]
)
def test_interpolate(shape, kw):
    try:
        TF.interpolate(torch.zeros(shape, dtype=torch.float64), **kw)
    except (NotImplementedError, ValueError, RuntimeError) as e:
        with pytest.raises(type(e)):
            F.interpolate(dg.zeros(*shape, dtype=dg.float64), **kw)
        return
    _check(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), shape)


def test_interpolate_indices_match_torch_over_many_sizes():
    """torch computes the nearest taps in float32 and special-cases the sizes of its 2-D
    kernel; the linear weights clamp at the borders: sweep sizes and scales."""
    rng = np.random.default_rng(8)
    for n in [1, 2, 3, 5, 7, 10, 13]:
        x1, x2 = rng.standard_normal((1, 2, n)), rng.standard_normal((1, 1, n, 2))
        sweep = [dict(size=m) for m in (1, 2, 3, 4, 6, 9, 11, 2 * n, 3 * n)]
        sweep += [
            dict(scale_factor=f, recompute_scale_factor=r)
            for f in (0.5, 0.7, 1.1, 1.5, 2.0, 2.4, 7 / 3, 3.3)
            for r in (None, True)
        ]
        for kw in sweep:
            if (kw.get("size") or int(n * kw["scale_factor"])) < 1:
                continue
            for mode, x in [
                ("nearest", x1),
                ("nearest-exact", x1),
                ("linear", x1),
                ("nearest", x2),
                ("bilinear", x2),
                ("bicubic", x2),
            ]:
                k2 = (
                    {**kw, "size": (kw["size"], 3)}
                    if "size" in kw
                    else {**kw, "scale_factor": (kw["scale_factor"], 1.5)}
                )
                args = kw if x.ndim == 3 else k2
                _close(
                    F.interpolate(dg.tensor(x), mode=mode, **args),
                    TF.interpolate(torch.tensor(x), mode=mode, **args),
                    f"{mode} n={n} {args}",
                )


def test_interpolate_errors():
    x = dg.ones(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="needs 3D input"):
        F.interpolate(x, size=3, mode="linear")
    with pytest.raises(RuntimeError, match="greater than 0"):
        F.interpolate(x, scale_factor=0.2)


def test_upsample_modules():
    x = np.random.default_rng(9).standard_normal((2, 3, 4, 5))
    for d_mod, t_mod in [
        (nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (
            nn.Upsample(size=(7, 3), mode="bilinear"),
            torch.nn.Upsample(size=(7, 3), mode="bilinear"),
        ),
        (
            nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True),
            torch.nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True),
        ),
        (nn.UpsamplingNearest2d(size=6), torch.nn.UpsamplingNearest2d(size=6)),
        (nn.UpsamplingBilinear2d(scale_factor=3), torch.nn.UpsamplingBilinear2d(scale_factor=3)),
    ]:
        _close(d_mod(dg.tensor(x)), t_mod(torch.tensor(x)), repr(d_mod))
    assert "bilinear" in repr(nn.Upsample(size=3, mode="bilinear"))


def test_adaptive_avg_pool3d_matches_torch():
    _check(
        lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
        lambda x: torch.nn.functional.adaptive_avg_pool3d(x, (2, 3, 2)),
        (2, 3, 5, 7, 4),
    )
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 4, 4))
    _close(
        nn.AdaptiveAvgPool3d(2)(dg.tensor(x)),
        torch.nn.AdaptiveAvgPool3d(2)(torch.tensor(x)),
        "module",
    )


# ------------------------------------------------------------------ 3-D pooling
# (shape, kernel, stride, padding, dilation): odd sizes, unbatched, per-axis arguments
POOL3D_CASES = [
    ((2, 2, 5, 6, 7), 3, 2, 1, 1),
    ((1, 2, 4, 5, 6), (2, 3, 2), (1, 2, 3), (1, 0, 1), (2, 1, 1)),
    ((2, 4, 4, 5), 2, None, 0, 1),
    ((1, 1, 6, 5, 7), (3, 2, 3), (2, 2, 1), (1, 1, 0), 1),
]


@pytest.mark.parametrize("ceil_mode", [True, False])
@pytest.mark.parametrize("shape,k,s,p,d", POOL3D_CASES)
def test_pool3d(shape, k, s, p, d, ceil_mode):
    _check(
        lambda x: F.max_pool3d(x, k, s, p, d, ceil_mode),
        lambda x: TF.max_pool3d(x, k, s, p, d, ceil_mode),
        shape,
    )
    _indices_match(
        lambda x: F.max_pool3d(x, k, s, p, d, ceil_mode, return_indices=True)[1],
        lambda x: TF.max_pool3d(x, k, s, p, d, ceil_mode, return_indices=True)[1],
        shape,
    )
    for cip, div in [(True, None), (False, None), (True, 3)]:
        _check(
            lambda x: F.avg_pool3d(x, k, s, p, ceil_mode, cip, div),
            lambda x: TF.avg_pool3d(x, k, s, p, ceil_mode, cip, div),
            shape,
            second=False,
        )


@pytest.mark.parametrize("size", [2, (3, 2, 4), (None, 3, 1)])
def test_adaptive_max_pool3d(size):
    _check(
        lambda x: F.adaptive_max_pool3d(x, size),
        lambda x: TF.adaptive_max_pool3d(x, size),
        (2, 2, 5, 4, 6),
    )
    _indices_match(
        lambda x: F.adaptive_max_pool3d(x, size, True)[1],
        lambda x: TF.adaptive_max_pool3d(x, size, True)[1],
        (2, 5, 4, 6),
    )


@pytest.mark.parametrize(
    "dg_cls,t_cls,args",
    [
        (nn.MaxPool3d, torch.nn.MaxPool3d, (2,)),
        (nn.MaxPool3d, torch.nn.MaxPool3d, ((3, 2, 2), 1, 1, 1, False, True)),
        (nn.AvgPool3d, torch.nn.AvgPool3d, (2,)),
        (nn.AvgPool3d, torch.nn.AvgPool3d, (3, 2, 1, True, False)),
        (nn.AdaptiveMaxPool3d, torch.nn.AdaptiveMaxPool3d, ((2, 1, 3),)),
    ],
)
def test_pool3d_modules(dg_cls, t_cls, args):
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5, 6))
    assert repr(dg_cls(*args)) == repr(t_cls(*args))
    _close(dg_cls(*args)(dg.tensor(x)), t_cls(*args)(torch.tensor(x)), dg_cls.__name__)


def test_max_unpool3d():
    for shape, pad_, sizes in [
        ((2, 3, 4, 6, 6), 0, [None, (4, 6, 6)]),
        ((1, 2, 5, 6, 7), 1, [(5, 6, 7)]),
    ]:
        x = np.random.default_rng(2).standard_normal(shape)
        tv, ti = TF.max_pool3d(torch.tensor(x), 2, 2, pad_, return_indices=True)
        dv, di = F.max_pool3d(dg.tensor(x), 2, 2, pad_, return_indices=True)
        for size in sizes:
            _check(
                lambda v: F.max_unpool3d(v, di, 2, 2, pad_, size),
                lambda v: TF.max_unpool3d(v, ti, 2, 2, pad_, size),
                tuple(tv.shape),
                second=False,
            )
    m, tm = nn.MaxUnpool3d(2, 2, 1), torch.nn.MaxUnpool3d(2, 2, 1)
    assert repr(m) == repr(tm)
    _close(m(dv, di, (5, 6, 7)), tm(tv, ti, (5, 6, 7)), "MaxUnpool3d")
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        F.max_unpool3d(dv, di + 1000, 2, 2, 1)
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        TF.max_unpool3d(tv, ti + 1000, 2, 2, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda f, m: m.max_pool3d(f.ones(2, 3), 2),
        lambda f, m: m.avg_pool3d(f.ones(2, 3), 2),
        lambda f, m: m.max_pool3d(f.ones(1, 1, 2, 4, 4), 2, padding=2),
        lambda f, m: m.avg_pool3d(f.ones(1, 1, 2, 4, 4), 2, padding=2),
        lambda f, m: m.max_pool3d(f.ones(1, 1, 2, 4, 4), 3),
    ],
)
def test_pool3d_errors_as_torch(call):
    with pytest.raises(RuntimeError) as t_err:
        call(torch, TF)
    with pytest.raises(RuntimeError) as d_err:
        call(dg, F)
    key = next(
        k
        for k in (
            "tensor expected for input",
            "pad should be at most half",
            "Output size is too small",
        )
        if k in str(t_err.value)
    )
    assert key in str(d_err.value)
