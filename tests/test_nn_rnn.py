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
    d_mod.load_state_dict(
        {k: dg.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()}
    )
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
    check(
        lambda *xs: call(d_mod, *xs),
        lambda *xs: call(t_mod, *xs),
        arrays,
        [d_named[n] for n in names],
        [t_named[n] for n in names],
        names,
    )


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
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "batch_first": True, "bidirectional": True}),
    ("LSTM", {"proj_size": 1, "num_layers": 3, "bias": False}),
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


@pytest.mark.parametrize(
    "ctor,kwargs",
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu", "bias": False}),
        ("GRUCell", {}),
        ("LSTMCell", {}),
    ],
)
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


def test_lstm_projection_states_shapes_and_init():
    """h0 has proj_size, c0 hidden_size; names, shapes, order and init bounds as torch's."""
    P = 3
    d_mod, t_mod = _pair("LSTM", HIN, H, num_layers=2, bidirectional=True, proj_size=P)

    def call(m, x, h, c):
        return m(x, (h, c))

    check_module(d_mod, t_mod, [U(L, N, HIN), U(4, N, P), U(4, N, H)], call)
    check_module(d_mod, t_mod, [U(L, HIN), U(4, P), U(4, H)], call)
    dg.manual_seed(0)
    d = nn.LSTM(3, 6, num_layers=2, bidirectional=True, bias=False, proj_size=2)
    t = torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True, bias=False, proj_size=2)
    d_shapes = [(n, tuple(p.shape)) for n, p in d.named_parameters()]
    assert d_shapes == [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert ("weight_hr_l1_reverse", (2, 6)) in d_shapes
    # every parameter, the projection included, is U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))
    assert max(np.abs(_np(p)).max() for p in d.parameters()) <= 1 / np.sqrt(6)
    assert np.abs(_np(d.weight_hr_l0)).max() > 1 / np.sqrt(6) / 2
    assert repr(d) == repr(t)
    out, (h, c) = d(dg.zeros(5, 4, 3))
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((5, 4, 4), (4, 4, 2), (4, 4, 6))
    with pytest.raises(RuntimeError, match=r"hidden size \(4, \[batch,\] 2\)"):
        d(dg.zeros(5, 4, 3), (dg.zeros(4, 4, 6), dg.zeros(4, 4, 6)))
    with pytest.raises(RuntimeError, match=r"hidden size \(4, \[batch,\] 6\)"):
        d(dg.zeros(5, 4, 3), (dg.zeros(4, 4, 2), dg.zeros(4, 4, 2)))
    for ctor, kw, msg in [
        ("LSTM", {"proj_size": 4}, "smaller than hidden_size"),
        ("LSTM", {"proj_size": -1}, "positive integer or zero"),
        ("GRU", {"proj_size": 2}, "only supported for LSTM"),
        ("RNN", {"proj_size": 2}, "only supported for LSTM"),
    ]:
        with pytest.raises(ValueError, match=msg):
            getattr(torch.nn, ctor)(2, 4, **kw)
        with pytest.raises(ValueError, match=msg):
            getattr(nn, ctor)(2, 4, **kw)


def test_lstm_projection_jvp_in_parameters_and_input():
    """dualgrad.func.jvp against torch.func.jvp with tangents on every parameter (weight_hr
    included) and the input, through functional_call; and a second-order check: the gradient
    of a loss, differentiated again in a direction, as forward-over-reverse."""
    d_mod, t_mod = _pair("LSTM", HIN, H, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in t_mod.named_parameters()]
    rng = np.random.default_rng(3)
    x = U(L, N, HIN)
    params = [p.detach().numpy() for p in t_mod.parameters()]
    tangents = [rng.standard_normal(a.shape) for a in params + [x]]

    def t_f(*args):
        out, (h, c) = torch.func.functional_call(t_mod, dict(zip(names, args[:-1])), (args[-1],))
        return out, h, c

    def d_f(*args):
        out, (h, c) = dg.func.functional_call(d_mod, dict(zip(names, args[:-1])), (args[-1],))
        return out, h, c

    t_out, t_jvp = torch.func.jvp(
        t_f, tuple(torch.tensor(a) for a in params + [x]), tuple(torch.tensor(t) for t in tangents)
    )
    d_out, d_jvp = dg.func.jvp(
        d_f, tuple(dg.tensor(a) for a in params + [x]), tuple(dg.tensor(t) for t in tangents)
    )
    for i in range(3):
        _close(d_out[i], t_out[i], f"output {i}")
        _close(d_jvp[i], t_jvp[i], f"jvp of output {i}")
        assert np.abs(_np(t_jvp[i])).max() > 1e-3  # a real direction, not a zero tangent

    def t_loss(*args):
        return sum((o**2).sum() for o in t_f(*args))

    def d_loss(*args):
        return sum((o**2).sum() for o in d_f(*args))

    argnums = tuple(range(len(params) + 1))
    _, t_hvp = torch.func.jvp(
        torch.func.grad(t_loss, argnums),
        tuple(torch.tensor(a) for a in params + [x]),
        tuple(torch.tensor(t) for t in tangents),
    )
    _, d_hvp = dg.func.jvp(
        dg.func.grad(d_loss, argnums),
        tuple(dg.tensor(a) for a in params + [x]),
        tuple(dg.tensor(t) for t in tangents),
    )
    for n, d, t in zip(names + ["input"], d_hvp, t_hvp):
        _close(d, t, f"hvp of {n}", atol=1e-9)


SDPA_CASES = [
    {},
    {"is_causal": True},
    {"scale": 0.3},
    {"attn_mask": "bool"},
    {"attn_mask": "float"},
]


def _sdpa_kwargs(kwargs):
    """The case's keyword arguments for dualgrad and for torch, with a (5, 6) mask made when
    attn_mask names a kind ('bool': random, first column kept; 'float': an additive bias)."""
    d_kw, t_kw = dict(kwargs), dict(kwargs)
    if kwargs.get("attn_mask") == "bool":
        m = R.uniform(size=(5, 6)) > 0.3
        m[:, 0] = True
        d_kw["attn_mask"], t_kw["attn_mask"] = dg.tensor(m), torch.tensor(m)
    elif kwargs.get("attn_mask") == "float":
        m = U(5, 6)
        d_kw["attn_mask"], t_kw["attn_mask"] = dg.tensor(m), torch.tensor(m)
    return d_kw, t_kw


@pytest.mark.parametrize("kwargs", SDPA_CASES, ids=[str(k) for k in SDPA_CASES])
def test_scaled_dot_product_attention(kwargs):
    q, k, v = U(2, 3, 5, 4), U(2, 3, 6, 4), U(2, 3, 6, 3)
    d_kw, t_kw = _sdpa_kwargs(kwargs)
    check(
        lambda *xs: F.scaled_dot_product_attention(*xs, **d_kw),
        lambda *xs: torch.nn.functional.scaled_dot_product_attention(*xs, **t_kw),
        [q, k, v],
    )


GQA_CASES = [
    ((2, 6, 5, 4), (2, 2, 6, 4), (2, 2, 6, 3), {}),
    ((2, 6, 5, 4), (2, 3, 6, 4), (2, 1, 6, 3), {"is_causal": True}),  # k and v group differently
    ((2, 4, 5, 4), (2, 4, 6, 4), (2, 2, 6, 3), {"attn_mask": "bool", "scale": 0.7}),
    ((6, 5, 4), (3, 6, 4), (2, 6, 3), {"attn_mask": "float"}),  # unbatched: heads are dim 0
]


@pytest.mark.parametrize("qs,ks,vs,kwargs", GQA_CASES, ids=[str(i) for i in range(len(GQA_CASES))])
def test_scaled_dot_product_attention_grouped_query(qs, ks, vs, kwargs):
    d_kw, t_kw = _sdpa_kwargs(dict(kwargs, enable_gqa=True))
    check(
        lambda *xs: F.scaled_dot_product_attention(*xs, **d_kw),
        lambda *xs: torch.nn.functional.scaled_dot_product_attention(*xs, **t_kw),
        [U(*qs), U(*ks), U(*vs)],
    )


def test_scaled_dot_product_attention_grouped_query_heads():
    """Query head j reads key/value head j // group (repeat_interleave, not tile); the group
    must divide the query heads."""
    q, k, v = U(1, 4, 3, 2), U(1, 2, 5, 2), U(1, 2, 5, 3)
    out = F.scaled_dot_product_attention(dg.tensor(q), dg.tensor(k), dg.tensor(v), enable_gqa=True)
    for j in range(4):
        alone = F.scaled_dot_product_attention(
            dg.tensor(q[:, j]), dg.tensor(k[:, j // 2]), dg.tensor(v[:, j // 2])
        )
        _close(out[:, j], alone, f"head {j}")
    bad = (U(1, 4, 3, 2), U(1, 3, 5, 2), U(1, 3, 5, 3))
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, bad), enable_gqa=True)
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        F.scaled_dot_product_attention(*map(dg.tensor, bad), enable_gqa=True)


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
    ({"add_bias_kv": True}, {}, None),
    ({"add_zero_attn": True}, {"average_attn_weights": False}, "both"),
    ({"add_bias_kv": True, "add_zero_attn": True, "batch_first": True}, {}, "both"),
    ({"add_bias_kv": True, "kdim": 3, "vdim": 5}, {}, "attn_3d"),
    ({"add_bias_kv": True, "add_zero_attn": True, "bias": False}, {}, "attn_float"),
    ({"add_zero_attn": True}, {"need_weights": False}, "padding"),
]


@pytest.mark.parametrize(
    "ctor_kw,call_kw,mask", MHA_CASES, ids=[f"{a}-{b}-{c}" for a, b, c in MHA_CASES]
)
def test_multihead_attention_matches_torch(ctor_kw, call_kw, mask):
    E, S = 4, 6
    d_mod, t_mod = _pair("MultiheadAttention", E, 2, **ctor_kw)
    masks = _masks(mask, S)
    bf = ctor_kw.get("batch_first")

    def shape(seq, dim):
        return (N, seq, dim) if bf else (seq, N, dim)

    arrays = [
        U(*shape(5, E)),
        U(*shape(S, ctor_kw.get("kdim", E))),
        U(*shape(S, ctor_kw.get("vdim", E))),
    ]

    def call(m, q, k, v):
        conv = dg.tensor if isinstance(m, nn.Module) else torch.tensor
        return m(q, k, v, **call_kw, **{n: conv(a) for n, a in masks.items()})

    check_module(d_mod, t_mod, arrays, call)


def test_multihead_attention_unbatched_self_attention_and_init():
    d_mod, t_mod = _pair("MultiheadAttention", 4, 2)
    check_module(d_mod, t_mod, [U(5, 4)], lambda m, x: m(x, x, x))
    m = nn.MultiheadAttention(6, 3)
    assert [n for n, _ in m.named_parameters()] == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert np.all(_np(m.in_proj_bias) == 0) and np.all(_np(m.out_proj.bias) == 0)
    assert np.abs(_np(m.in_proj_weight)).max() <= np.sqrt(6 / (6 + 18))
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(5, 2)


def test_multihead_attention_bias_kv_zero_attn_unbatched_and_init():
    d_mod, t_mod = _pair("MultiheadAttention", 4, 2, add_bias_kv=True, add_zero_attn=True)
    pad = np.array([False, False, True, False, True, False])

    def call(m, q, k, v):
        conv = dg.tensor if isinstance(m, nn.Module) else torch.tensor
        return m(q, k, v, key_padding_mask=conv(pad))

    check_module(d_mod, t_mod, [U(5, 4), U(6, 4), U(6, 4)], call)
    dg.manual_seed(0)
    m = nn.MultiheadAttention(256, 4, add_bias_kv=True)
    t = torch.nn.MultiheadAttention(256, 4, add_bias_kv=True)
    names = [n for n, _ in m.named_parameters()]
    assert names == [n for n, _ in t.named_parameters()]
    assert names == [
        "in_proj_weight",
        "in_proj_bias",
        "bias_k",
        "bias_v",
        "out_proj.weight",
        "out_proj.bias",
    ]
    # xavier_normal_ on (1, 1, E): fans E and E, so std 1/sqrt(E) = 1/16
    for p in (m.bias_k, m.bias_v):
        assert tuple(p.shape) == (1, 1, 256)
        assert abs(_np(p).std() - 1 / 16) < 0.2 / 16
    assert nn.MultiheadAttention(4, 2).bias_k is None


def test_multi_head_attention_forward_static_kv_and_checks():
    """static_k / static_v (N*H, S', hd) replace the projected keys and values (with a zero
    position from add_zero_attn, and a key_padding_mask of the new length)."""
    E, Hh, S2 = 4, 2, 7
    w_in, b_in, w_out, b_out = U(3 * E, E), U(3 * E), U(E, E), U(E)
    pad = np.zeros((N, S2), dtype=bool)
    pad[0, -3:] = True

    def call(lib, conv):
        def f(q, k, v, sk, sv):
            return lib.multi_head_attention_forward(
                q,
                k,
                v,
                E,
                Hh,
                conv(w_in),
                conv(b_in),
                None,
                None,
                True,
                0.0,
                conv(w_out),
                conv(b_out),
                training=False,
                key_padding_mask=conv(pad),
                static_k=sk,
                static_v=sv,
                average_attn_weights=False,
            )

        return f

    check(
        call(F, dg.tensor),
        call(torch.nn.functional, torch.tensor),
        [U(5, N, E), U(6, N, E), U(6, N, E), U(N * Hh, S2, E // Hh), U(N * Hh, S2, E // Hh)],
    )
    x, b = dg.zeros(5, N, E), dg.zeros(1, 1, E)
    with pytest.raises(AssertionError, match="together"):
        F.multi_head_attention_forward(
            x, x, x, E, Hh, dg.tensor(w_in), None, b, None, False, 0.0, dg.tensor(w_out), None
        )
    with pytest.raises(AssertionError, match="static"):
        F.multi_head_attention_forward(
            x,
            x,
            x,
            E,
            Hh,
            dg.tensor(w_in),
            None,
            b,
            b,
            False,
            0.0,
            dg.tensor(w_out),
            None,
            static_k=dg.zeros(N * Hh, 5, 2),
        )
