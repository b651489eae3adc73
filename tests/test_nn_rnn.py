"""dualgrad.nn's recurrent layers, cells and attention against torch.nn, float64: the same
weights (torch's, via load_state_dict), forward values, parameter and input gradients of a
weighted sum of all outputs, and the input JVP (forward AD)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw
from torch.nn.attention import SDPBackend, sdpa_kernel

import dualgrad as dg
import dualgrad.nn as nn
import dualgrad.nn.functional as F
from dualgrad.autograd import forward_ad as fw


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t._data)


def _close(a, b, what, atol=1e-10):
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-7, atol=atol, err_msg=what)


def _flat(out):
    """The tensors of a nested (output, (h, c)) result, None left out."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _pair(ctor, *args, **kwargs):
    t_mod = getattr(torch.nn, ctor)(*args, **kwargs).double()
    d_mod = getattr(nn, ctor)(*args, **kwargs).double()
    d_mod.load_state_dict({k: dg.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()})
    return d_mod, t_mod


def check(d_fn, t_fn, arrays, d_params=(), t_params=(), names=()):
    """``*_fn(*inputs)`` returns a (nested) tuple of tensors; compare values, gradients of
    sum(v_i . out_i) w.r.t. params and inputs, and the JVP in the inputs."""
    rng = np.random.default_rng(0)
    d_in = [dg.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    d_out, t_out = _flat(d_fn(*d_in)), _flat(t_fn(*t_in))
    assert len(d_out) == len(t_out)
    for i, (d, t) in enumerate(zip(d_out, t_out)):
        assert tuple(d.shape) == tuple(t.shape), f"output {i} shape"
        _close(d, t, f"output {i}")
    vs = [rng.standard_normal(tuple(t.shape)) for t in t_out]
    t_loss = sum((o * torch.tensor(v)).sum() for o, v in zip(t_out, vs))
    d_loss = sum((o * dg.tensor(v)).sum() for o, v in zip(d_out, vs))
    t_grads = torch.autograd.grad(t_loss, list(t_params) + t_in, allow_unused=True)
    d_grads = dg.autograd.grad(d_loss, list(d_params) + d_in, allow_unused=True)
    labels = list(names) + [f"input {i}" for i in range(len(arrays))]
    for n, dgr, tgr in zip(labels, d_grads, t_grads):
        if tgr is None:
            assert dgr is None or np.allclose(_np(dgr), 0), n
        else:
            _close(dgr, tgr, f"gradient of {n}")
    tangents = [rng.standard_normal(a.shape) for a in arrays]
    # torch's flash-attention CPU kernel has no forward AD; its math kernel does
    with tfw.dual_level(), sdpa_kernel(SDPBackend.MATH):
        xs = [tfw.make_dual(torch.tensor(a), torch.tensor(t)) for a, t in zip(arrays, tangents)]
        t_jvp = [tfw.unpack_dual(o).tangent for o in _flat(t_fn(*xs))]
    with fw.dual_level():
        xs = [fw.make_dual(dg.tensor(a), dg.tensor(t)) for a, t in zip(arrays, tangents)]
        d_jvp = [fw.unpack_dual(o).tangent for o in _flat(d_fn(*xs))]
    for i, (d, t) in enumerate(zip(d_jvp, t_jvp)):
        _close(d, t, f"jvp of output {i}")


def check_module(d_mod, t_mod, arrays, call=None):
    call = call or (lambda m, *xs: m(*xs))
    d_named, t_named = dict(d_mod.named_parameters()), dict(t_mod.named_parameters())
    assert list(d_named) == list(t_named)
    names = list(t_named)
    check(lambda *xs: call(d_mod, *xs), lambda *xs: call(t_mod, *xs), arrays,
          [d_named[n] for n in names], [t_named[n] for n in names], names)


R = np.random.default_rng(7)
L, N, HIN, H = 5, 3, 2, 4


def U(*shape):
    return R.uniform(-1, 1, shape)


RNN_CASES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bias": False, "batch_first": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "batch_first": True, "bidirectional": True}),
    ("LSTM", {"bias": False}),
]


@pytest.mark.parametrize("ctor,kwargs", RNN_CASES, ids=[f"{c}-{k}" for c, k in RNN_CASES])
def test_recurrent_matches_torch(ctor, kwargs):
    d_mod, t_mod = _pair(ctor, HIN, H, **kwargs)
    x = U(N, L, HIN) if kwargs.get("batch_first") else U(L, N, HIN)
    check_module(d_mod, t_mod, [x])


@pytest.mark.parametrize("ctor", ["RNN", "GRU", "LSTM"])
def test_recurrent_initial_state_and_unbatched(ctor):
    d_mod, t_mod = _pair(ctor, HIN, H, num_layers=2, bidirectional=True)
    states = 2 if ctor == "LSTM" else 1

    def call(m, x, *hx):
        return m(x, tuple(hx) if ctor == "LSTM" else hx[0])

    check_module(d_mod, t_mod, [U(L, N, HIN)] + [U(4, N, H) for _ in range(states)], call)
    check_module(d_mod, t_mod, [U(L, HIN)] + [U(4, H) for _ in range(states)], call)
    check_module(d_mod, t_mod, [U(L, HIN)])


@pytest.mark.parametrize("ctor,kwargs", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
                                         ("GRUCell", {}), ("LSTMCell", {})])
def test_cells_match_torch(ctor, kwargs):
    d_mod, t_mod = _pair(ctor, HIN, H, **kwargs)
    lstm = ctor == "LSTMCell"

    def call(m, x, *hx):
        return m(x, tuple(hx) if lstm else hx[0])

    check_module(d_mod, t_mod, [U(N, HIN)])
    check_module(d_mod, t_mod, [U(N, HIN)] + [U(N, H) for _ in range(2 if lstm else 1)], call)
    check_module(d_mod, t_mod, [U(HIN)] + [U(H) for _ in range(2 if lstm else 1)], call)


def test_recurrent_parameters_init_and_dropout():
    d = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    t = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    d_shapes = [(n, tuple(p.shape)) for n, p in d.named_parameters()]
    assert d_shapes == [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    bound = 1 / np.sqrt(5)
    assert all(np.abs(_np(p)).max() <= bound for p in d.parameters())
    # dropout between layers: active in training only, and not after the last layer
    d_mod, t_mod = _pair("GRU", HIN, H, num_layers=2, dropout=0.5)
    x = U(L, N, HIN)
    d_mod.eval(), t_mod.eval()
    _close(d_mod(dg.tensor(x))[0], t_mod(torch.tensor(x))[0], "eval output")
    d_mod.train()
    dg.manual_seed(0)
    a = d_mod(dg.tensor(x))[0]
    assert not np.allclose(_np(a), _np(t_mod(torch.tensor(x))[0]))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="input_size"):
        nn.GRU(2, 3)(dg.zeros(5, 3, 4))


SDPA_CASES = [
    {},
    {"is_causal": True},
    {"scale": 0.3},
    {"attn_mask": "bool"},
    {"attn_mask": "float"},
]


@pytest.mark.parametrize("kwargs", SDPA_CASES, ids=[str(k) for k in SDPA_CASES])
def test_scaled_dot_product_attention(kwargs):
    kwargs = dict(kwargs)
    q, k, v = U(2, 3, 5, 4), U(2, 3, 6, 4), U(2, 3, 6, 3)
    d_kw, t_kw = dict(kwargs), dict(kwargs)
    if kwargs.get("attn_mask") == "bool":
        m = R.uniform(size=(5, 6)) > 0.3
        m[:, 0] = True
        d_kw["attn_mask"], t_kw["attn_mask"] = dg.tensor(m), torch.tensor(m)
    elif kwargs.get("attn_mask") == "float":
        m = U(5, 6)
        d_kw["attn_mask"], t_kw["attn_mask"] = dg.tensor(m), torch.tensor(m)
    check(lambda *xs: F.scaled_dot_product_attention(*xs, **d_kw),
          lambda *xs: torch.nn.functional.scaled_dot_product_attention(*xs, **t_kw), [q, k, v])


def _masks(kind, S):
    if kind == "attn_bool":
        m = R.uniform(size=(5, S)) > 0.6
        m[:, 0] = False
        return {"attn_mask": m}
    if kind == "attn_float":
        return {"attn_mask": U(5, S)}
    if kind == "attn_3d":
        m = R.uniform(size=(N * 2, 5, S)) > 0.6
        m[..., 0] = False
        return {"attn_mask": m}
    if kind == "padding":
        m = np.zeros((N, S), dtype=bool)
        m[1, -2:] = True
        m[2, -1] = True
        return {"key_padding_mask": m}
    if kind == "both":
        return {**_masks("attn_bool", S), **_masks("padding", S)}
    return {}


MHA_CASES = [
    ({}, {}, None),
    ({"batch_first": True}, {"average_attn_weights": False}, None),
    ({"bias": False}, {"need_weights": False}, "attn_bool"),
    ({"kdim": 3, "vdim": 5}, {}, "padding"),
    ({}, {}, "both"),
    ({}, {}, "attn_float"),
    ({}, {}, "attn_3d"),
]


@pytest.mark.parametrize("ctor_kw,call_kw,mask", MHA_CASES, ids=[f"{a}-{b}-{c}" for a, b, c in MHA_CASES])
def test_multihead_attention_matches_torch(ctor_kw, call_kw, mask):
    E, S = 4, 6
    d_mod, t_mod = _pair("MultiheadAttention", E, 2, **ctor_kw)
    masks = _masks(mask, S)
    bf = ctor_kw.get("batch_first")

    def shape(seq, dim):
        return (N, seq, dim) if bf else (seq, N, dim)

    arrays = [U(*shape(5, E)), U(*shape(S, ctor_kw.get("kdim", E))), U(*shape(S, ctor_kw.get("vdim", E)))]

    def call(m, q, k, v):
        conv = dg.tensor if isinstance(m, nn.Module) else torch.tensor
        return m(q, k, v, **call_kw, **{n: conv(a) for n, a in masks.items()})

    check_module(d_mod, t_mod, arrays, call)


def test_multihead_attention_unbatched_self_attention_and_init():
    d_mod, t_mod = _pair("MultiheadAttention", 4, 2)
    check_module(d_mod, t_mod, [U(5, 4)], lambda m, x: m(x, x, x))
    m = nn.MultiheadAttention(6, 3)
    assert [n for n, _ in m.named_parameters()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert np.all(_np(m.in_proj_bias) == 0) and np.all(_np(m.out_proj.bias) == 0)
    assert np.abs(_np(m.in_proj_weight)).max() <= np.sqrt(6 / (6 + 18))
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(5, 2)
