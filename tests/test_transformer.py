"""nn.Transformer, TransformerEncoder(Layer) and TransformerDecoder(Layer) against torch: the same
state_dict keys, torch's weights copied in, outputs in eval mode and gradients of inputs and
every parameter."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg

D, H, FF = 8, 2, 16


def _pair(make):
    torch.manual_seed(0)
    with warnings.catch_warnings():  # (torch's note that its nested-tensor fast path is off)
        warnings.simplefilter("ignore")
        t = make(torch).double()
        d = make(dg).double()
    assert list(d.state_dict()) == list(t.state_dict())
    d.load_state_dict({k: dg.tensor(v.numpy()) for k, v in t.state_dict().items()})
    return t.eval(), d.eval()


def _data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _compare(t, d, call, arrays):
    outs = []
    for mod, m in ((t, torch), (d, dg)):
        xs = [m.tensor(a, requires_grad=True) for a in arrays]
        out = call(mod, m, *xs)
        w = m.tensor(_data(tuple(out.shape), 9))
        params = [p for _, p in mod.named_parameters()]
        grads = m.autograd.grad((out * w).sum(), xs + params)
        outs.append([out.detach().numpy()] + [g.numpy() for g in grads])
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


LAYER_KW = [
    {},
    {"norm_first": True},
    {"activation": "gelu", "batch_first": True},
    {"bias": False},
]


def _mask(m, n):
    return m.nn.Transformer.generate_square_subsequent_mask(n).double()


@pytest.mark.parametrize("kw", LAYER_KW, ids=str)
@pytest.mark.parametrize("masked", [False, True])
def test_encoder_layer_and_encoder_as_torch(kw, masked):
    t, d = _pair(
        lambda m: m.nn.TransformerEncoder(
            m.nn.TransformerEncoderLayer(D, H, FF, dropout=0.1, **kw),
            2,
            m.nn.LayerNorm(D),
        )
    )
    shape = (3, 5, D)  # (seq, batch, d) or (batch, seq, d): both read it as given
    pad = np.zeros((3, 5) if kw.get("batch_first") else (5, 3), bool)
    pad[:, -1] = True

    def call(mod, m, x):
        if not masked:
            return mod(x)
        n = x.shape[1] if kw.get("batch_first") else x.shape[0]
        key_pad = m.zeros(pad.shape, dtype=m.float64).masked_fill(m.tensor(pad), float("-inf"))
        return mod(x, mask=_mask(m, n), src_key_padding_mask=key_pad)

    _compare(t, d, call, [_data(shape, 1)])


@pytest.mark.parametrize("kw", LAYER_KW, ids=str)
@pytest.mark.parametrize("masked", [False, True])
def test_decoder_layer_and_decoder_as_torch(kw, masked):
    t, d = _pair(lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(D, H, FF, **kw), 2))

    def call(mod, m, tgt, mem):
        if not masked:
            return mod(tgt, mem)
        n = tgt.shape[1] if kw.get("batch_first") else tgt.shape[0]
        return mod(tgt, mem, tgt_mask=_mask(m, n), tgt_is_causal=True)

    shape_t, shape_m = ((2, 4, D), (2, 3, D)) if kw.get("batch_first") else ((4, 2, D), (3, 2, D))
    _compare(t, d, call, [_data(shape_t, 2), _data(shape_m, 3)])


@pytest.mark.parametrize("kw", [{}, {"batch_first": True, "norm_first": True}], ids=str)
def test_transformer_as_torch(kw):
    t, d = _pair(lambda m: m.nn.Transformer(D, H, 2, 1, FF, dropout=0.2, **kw))
    shape_s, shape_t = ((2, 5, D), (2, 4, D)) if kw else ((5, 2, D), (4, 2, D))

    def call(mod, m, src, tgt):
        n = tgt.shape[1] if kw else tgt.shape[0]
        return mod(src, tgt, tgt_mask=_mask(m, n))

    _compare(t, d, call, [_data(shape_s, 4), _data(shape_t, 5)])


def test_square_subsequent_mask_and_errors_as_torch():
    np.testing.assert_array_equal(
        dg.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
    )
    for m in (torch, dg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = m.nn.Transformer(D, H, 1, 1, FF)
        with pytest.raises(RuntimeError, match="batch number"):
            model(m.zeros(5, 2, D), m.zeros(4, 3, D))
        with pytest.raises(RuntimeError, match="d_model"):
            model(m.zeros(5, 2, D + 1), m.zeros(4, 2, D + 1))
        with pytest.raises(RuntimeError, match="relu/gelu"):
            m.nn.TransformerEncoderLayer(D, H, activation="tanh")


def test_training_mode_draws_dropout():
    layer = dg.nn.TransformerEncoderLayer(D, H, FF, dropout=0.5)
    x = dg.randn(3, 2, D)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
