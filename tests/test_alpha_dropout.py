"""alpha_dropout / feature_alpha_dropout and their modules, against torch: with torch's own mask
(read off torch's output and handed to dualgrad's bernoulli_ draw) values and gradients in both
modes are torch's; on dualgrad's own draws, the drop rate and the kept mean and variance are
what the SELU-preserving formula promises. NOTE: [alpha dropout] in nn/functional.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.autograd.forward_ad as fwad

_ALPHA = 1.7580993408473766


def _dropped_value(p):
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    return _ALPHA * a * (p - 1)


def _with_mask(monkeypatch, mask):
    """dualgrad's bernoulli_ draw replaced by ``mask`` (torch's)."""

    def draw(self, p=0.5, *, generator=None):
        assert tuple(self.shape) == mask.shape
        return self.copy_(dg.tensor(mask))

    monkeypatch.setattr(dg.Tensor, "bernoulli_", draw)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
@pytest.mark.parametrize("name", ["alpha", "feature", "alpha_inplace", "module", "feature_module"])
def test_values_and_gradients_with_torchs_mask(monkeypatch, name, p, dtype):
    feature = name.startswith("feature")
    shape = (4, 6, 3, 2) if feature else (5, 7)

    def call(m, x):
        F = m.nn.functional
        if name == "module":
            return m.nn.AlphaDropout(p)(x)
        if name == "feature_module":
            return m.nn.FeatureAlphaDropout(p)(x)
        if name == "alpha_inplace":
            return F.alpha_dropout(x * 1, p, True, inplace=True)
        return (F.feature_alpha_dropout if feature else F.alpha_dropout)(x, p, True)

    for seed in range(100):  # the first seed whose mask keeps some and drops some
        torch.manual_seed(seed)
        xt = torch.rand(shape, dtype=getattr(torch, dtype)) + 0.5
        xt.requires_grad_(True)
        yt = call(torch, xt)
        # x > 0: a kept element a x + alpha' a p is positive, a dropped one alpha' a (p - 1)
        dropped = (yt.detach() < 0).numpy()
        if 0 < dropped.sum() < dropped.size:
            break
    (gt,) = torch.autograd.grad(yt, xt, torch.ones_like(yt))
    mask_shape = shape[:2] + (1,) * (len(shape) - 2) if feature else shape
    mask = (~dropped).astype(dtype)
    if feature:
        mask = mask.reshape(shape[:2] + (-1,))[..., :1].reshape(mask_shape)
        assert np.array_equal(np.broadcast_to(mask, shape) == 0, dropped)

    _with_mask(monkeypatch, mask)
    x = dg.tensor(xt.detach().numpy(), requires_grad=True)
    y = call(dg, x)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=0)
    (g,) = dg.autograd.grad(y, x, dg.ones_like(y))
    np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-6)
    # forward mode: the tangent is the gradient's mask times a, as the derivative of a x + b
    with fwad.dual_level():
        t = dg.ones_like(x)
        out = call(dg, fwad.make_dual(x.detach(), t))
        np.testing.assert_allclose(fwad.unpack_dual(out).tangent.numpy(), gt.numpy(), rtol=1e-6)


def test_second_derivative_as_torchs():
    # the gradient a * mask is a constant: asking for its derivative raises, in torch too
    messages = []
    for m in (torch, dg):
        x = m.randn(6, dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(
            m.nn.functional.alpha_dropout(x, 0.3, True).sum(), x, create_graph=True
        )
        with pytest.raises(RuntimeError) as info:
            m.autograd.grad(g.sum(), x)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_moments_on_dualgrads_draws(feature, p):
    # SELU's fixed point: a standard normal input keeps mean 0 and variance 1
    dg.manual_seed(3)
    x = dg.randn(400, 500, dtype=dg.float64)
    F = dg.nn.functional
    y = (F.feature_alpha_dropout if feature else F.alpha_dropout)(x, p, True)
    rate = float(((y - _dropped_value(p)).abs() < 1e-12).double().mean())
    assert abs(rate - p) < (0.05 if feature else 0.01)
    assert abs(float(y.mean())) < 0.03 and abs(float(y.var()) - 1) < 0.03


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x: m.nn.functional.alpha_dropout(x, 0.5),  # training=False by default
        lambda m, x: m.nn.functional.alpha_dropout(x, 0.0, True),
        lambda m, x: m.nn.functional.alpha_dropout(x, 1.0, True),
        lambda m, x: m.nn.functional.feature_alpha_dropout(x, 1.0, True),
        lambda m, x: m.nn.functional.alpha_dropout(x, 1.5, True),
        lambda m, x: m.nn.functional.feature_alpha_dropout(x[0], 0.5, True),
        lambda m, x: m.nn.AlphaDropout(0.4).eval()(x),
        lambda m, x: m.nn.functional.alpha_dropout(x[:0], 0.5, True),
    ],
)
def test_edges_as_torch(call):
    outcomes = []
    for m in (torch, dg):
        x = m.tensor([[1.5, -2.0], [0.25, 3.0]])
        try:
            outcomes.append(("value", call(m, x).tolist()))
        except Exception as e:  # noqa: BLE001 - compared with torch's
            outcomes.append((type(e).__name__, str(e)[:40]))
    assert outcomes[0] == outcomes[1]
