"""The layers issue 15 added (3-D convolutions, instance and RMS norms, padding, channel
dropout, pixel shuffle, fold) against torch.nn: forward values, parameter and input gradients
and the input JVP for torch's weights (check_module in test_nn), and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from test_nn import U, _pair, check_module

import dualgrad as dg
import dualgrad.nn as nn
import dualgrad.nn.functional as F

SURFACE_CASES = [
    ("Conv3d", (2, 4, 3), {}, [U(2, 2, 5, 6, 5)]),
    (
        "Conv3d",
        (4, 6, (3, 2, 2)),
        {"stride": (2, 1, 2), "padding": (1, 0, 1), "dilation": (1, 2, 1), "groups": 2},
        [U(2, 4, 6, 5, 6)],
    ),
    ("Conv3d", (2, 3, 3), {"padding": "same", "dilation": 2, "bias": False}, [U(1, 2, 5, 5, 5)]),
    ("Conv3d", (2, 3, 2), {"padding": 1, "padding_mode": "reflect"}, [U(2, 2, 4, 4, 4)]),
    ("Conv3d", (2, 3, 2), {"padding": 1, "padding_mode": "circular"}, [U(2, 4, 3, 4)]),
    (
        "ConvTranspose3d",
        (4, 6, 3),
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
        [U(2, 4, 3, 3, 2)],
    ),
    (
        "ConvTranspose3d",
        (2, 3, (2, 3, 2)),
        {"stride": (1, 2, 3), "dilation": (3, 1, 1), "output_padding": (2, 1, 0)},
        [U(2, 2, 3, 3, 4)],
    ),
    ("ConvTranspose3d", (2, 3, 2), {"bias": False}, [U(2, 3, 3, 3)]),  # unbatched
    ("ConvTranspose1d", (2, 3, 3), {"stride": 2}, [U(2, 2, 5)]),
    ("InstanceNorm1d", (3,), {}, [U(2, 3, 5)]),
    ("InstanceNorm1d", (3,), {"affine": True}, [U(3, 5)]),  # unbatched
    ("InstanceNorm2d", (3,), {"affine": True, "eps": 1e-3}, [U(2, 3, 4, 5)]),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, [U(2, 3, 4, 4)]),
    ("InstanceNorm3d", (2,), {"affine": True}, [U(2, 2, 3, 3, 4)]),
    ("RMSNorm", (4,), {}, [U(3, 4)]),
    ("RMSNorm", ((3, 4),), {"eps": 1e-3}, [U(2, 3, 4)]),
    ("RMSNorm", (4,), {"elementwise_affine": False}, [U(2, 4)]),
    ("ZeroPad2d", ((1, 0, 2, 1),), {}, [U(2, 3, 4, 4)]),
    ("ZeroPad1d", (2,), {}, [U(2, 3, 4)]),
    ("ConstantPad3d", (1, 3.5), {}, [U(1, 2, 2, 3, 2)]),
    ("ReflectionPad2d", (2,), {}, [U(2, 3, 4, 5)]),
    ("ReflectionPad1d", ((1, 2),), {}, [U(2, 3, 4)]),
    ("ReplicationPad2d", ((1, 2, 0, 3),), {}, [U(2, 3, 4, 5)]),
    ("ReplicationPad3d", (1,), {}, [U(1, 2, 3, 3, 3)]),
    ("CircularPad2d", (1,), {}, [U(2, 3, 4, 5)]),
    ("PixelShuffle", (2,), {}, [U(2, 8, 3, 3)]),
    ("PixelUnshuffle", (2,), {}, [U(2, 2, 4, 6)]),
    ("Unfold", (2,), {"stride": 1, "padding": 1}, [U(2, 3, 4, 4)]),
    ("Fold", ((4, 5), 2), {}, [U(2, 12, 12)]),
]


@pytest.mark.parametrize(
    "ctor,args,kwargs,inputs",
    SURFACE_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(SURFACE_CASES)],
)
def test_new_layers_match_torch(ctor, args, kwargs, inputs):
    d_mod, t_mod = _pair(ctor, *args, **kwargs)
    check_module(d_mod, t_mod, *inputs)
    assert repr(d_mod) == repr(t_mod)
    for name, buf in t_mod.named_buffers():  # running statistics move as torch's
        np.testing.assert_allclose(dict(d_mod.named_buffers())[name].numpy(), buf.numpy())


def test_instance_norm_running_statistics_as_torch():
    """Training updates the running statistics; eval normalises with them; momentum=None keeps
    them (torch passes 0.0)."""
    for momentum in (0.1, None):
        d_mod, t_mod = _pair("InstanceNorm2d", 3, momentum=momentum, track_running_stats=True)
        x = U(2, 3, 4, 4) * 3 + 1
        for _ in range(2):
            d_mod(dg.tensor(x)), t_mod(torch.tensor(x))
        np.testing.assert_allclose(d_mod.running_mean.numpy(), t_mod.running_mean.numpy())
        np.testing.assert_allclose(d_mod.running_var.numpy(), t_mod.running_var.numpy())
        d_mod.eval(), t_mod.eval()
        np.testing.assert_allclose(
            d_mod(dg.tensor(x)).numpy(), t_mod(torch.tensor(x)).numpy(), atol=1e-12
        )


@pytest.mark.parametrize(
    "call,error,phrase",
    [
        (lambda m: m.InstanceNorm2d(3)(m.ones(2, 3)), ValueError, "expected 3D or 4D input"),
        (
            lambda m: m.InstanceNorm1d(4, affine=True)(m.ones(2, 3, 5)),
            ValueError,
            "to match num_features (4)",
        ),
        (
            lambda m: m.nn.functional.instance_norm(m.ones(2, 3, 1)),
            ValueError,
            "Expected more than 1 spatial element",
        ),
        (
            lambda m: m.nn.functional.conv3d(m.ones(1, 3, 4, 4, 4), m.ones(2, 2, 2, 2, 2)),
            RuntimeError,
            "to have 2 channels, but got 3 channels",
        ),
        (
            lambda m: m.nn.functional.conv3d(
                m.ones(1, 2, 4, 4, 4), m.ones(2, 2, 2, 2, 2), stride=2, padding="same"
            ),
            RuntimeError,
            "padding='same' is not supported for strided convolutions",
        ),
        (
            lambda m: m.ConvTranspose3d(2, 2, 2, stride=2)(
                m.ones(1, 2, 2, 2, 2), output_size=(6, 4, 4)
            ),
            ValueError,
            "requested an output size of (6, 4, 4), but valid sizes range from [4, 4, 4] to [5, 5, 5]",
        ),
        (
            lambda m: m.ConvTranspose3d(2, 2, 2, padding_mode="reflect"),
            ValueError,
            'Only "zeros" padding mode is supported for ConvTranspose3d',
        ),
        (
            lambda m: m.nn.functional.dropout1d(m.ones(2, 3, 4, 5)),
            RuntimeError,
            "dropout1d: Expected 2D or 3D input",
        ),
        (
            lambda m: m.nn.functional.pixel_unshuffle(m.ones(1, 1, 3, 4), 2),
            RuntimeError,
            "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3",
        ),
    ],
)
def test_new_layers_errors_as_torch(call, error, phrase):
    class Lib:  # the layer names at top level, so one lambda serves both libraries
        def __init__(self, lib):
            self.lib = lib

        def __getattr__(self, name):
            return getattr(self.lib.nn, name, None) or getattr(self.lib, name)

    for lib in (torch, dg):
        with pytest.raises(error) as info:
            call(Lib(lib))
        assert phrase in str(info.value), (lib.__name__, str(info.value))


def test_conv_transpose3d_output_size_picks_the_output_padding():
    d_mod, t_mod = _pair("ConvTranspose3d", 2, 3, 3, stride=2)
    x = U(1, 2, 3, 3, 3)
    for size in ([7, 8, 7], [1, 3, 8, 7, 8]):
        t_out = t_mod(torch.tensor(x), output_size=size)
        d_out = d_mod(dg.tensor(x), output_size=size)
        np.testing.assert_allclose(d_out.detach().numpy(), t_out.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "fn,shape,channels",
    [("dropout1d", (4, 6, 50), 2), ("dropout2d", (4, 6, 5, 9), 2), ("dropout3d", (6, 3, 4, 5), 1)],
)
def test_channel_dropout_zeroes_whole_channels(fn, shape, channels):
    """Channels are dropped whole and the rest scaled by 1/(1-p); eval is the identity."""
    x = dg.ones(*shape)
    out = getattr(F, fn)(x, 0.5).numpy()
    per_channel = out.reshape(shape[: shape and channels] + (-1,))
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # whole channels
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    assert np.array_equal(getattr(F, fn)(x, 0.5, training=False).numpy(), x.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        getattr(F, fn)(x, 1.5)


def test_dropout2d_warns_as_torch_on_other_ranks():
    for lib in (torch, dg):
        with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
            lib.nn.functional.dropout2d(lib.ones(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.Dropout2d(0.3).eval()(dg.ones(2, 3, 4, 4)).shape == (2, 3, 4, 4)


def test_rms_norm_default_eps_is_the_dtype_epsilon():
    x = np.array([[1e-4, -2e-4, 3e-4]], dtype=np.float32)
    t = torch.nn.functional.rms_norm(torch.tensor(x), (3,))
    d = F.rms_norm(dg.tensor(x), (3,))
    np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-6)
