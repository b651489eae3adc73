"""dualgrad.nn against torch.nn: each module's forward, parameter gradients and input JVP
(forward AD) for the same weights (torch's, loaded with load_state_dict), float64."""

from __future__ import annotations

import copy

import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg
import dualgrad.nn as nn
import dualgrad.nn.functional as F
from dualgrad.autograd import forward_ad as fw


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t._data)


def _close(a, b, what, atol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-7, atol=atol, err_msg=what)


def _pair(ctor, *args, **kwargs):
    """The same module in torch and dualgrad (float64), with torch's weights in both."""
    t_mod = getattr(torch.nn, ctor)(*args, **kwargs).double()
    d_mod = getattr(nn, ctor)(*args, **kwargs).double()
    d_mod.load_state_dict(
        {k: dg.tensor(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()}
    )
    return d_mod, t_mod


def _as_dg(a, requires_grad):
    return dg.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f")


def _as_t(a, requires_grad):
    return torch.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f")


def check_module(d_mod, t_mod, *arrays, diff=None, atol=1e-9):
    """Forward values, d(out . v)/d(params and float inputs), and the input JVP."""
    diff = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if diff is None else diff
    rng = np.random.default_rng(0)
    d_in = [_as_dg(a, i in diff) for i, a in enumerate(arrays)]
    t_in = [_as_t(a, i in diff) for i, a in enumerate(arrays)]
    d_out, t_out = d_mod(*d_in), t_mod(*t_in)
    _close(d_out, t_out, "forward", atol)
    assert d_out.dtype == dg.float64
    # reverse: parameter and input gradients
    v = rng.standard_normal(tuple(t_out.shape))
    t_leaves = list(t_mod.parameters()) + [t_in[i] for i in diff]
    d_leaves = list(d_mod.parameters()) + [d_in[i] for i in diff]
    t_grads = torch.autograd.grad(t_out, t_leaves, torch.tensor(v), allow_unused=True)
    d_grads = dg.autograd.grad(d_out, d_leaves, dg.tensor(v), allow_unused=True)
    names = [n for n, _ in t_mod.named_parameters()] + [f"input {i}" for i in diff]
    for n, dgr, tgr in zip(names, d_grads, t_grads):
        if tgr is None:
            assert dgr is None or np.allclose(_np(dgr), 0), n
        else:
            _close(dgr, tgr, f"gradient of {n}", atol)
    # forward: the JVP in the float inputs
    if diff:
        tangents = [rng.standard_normal(arrays[i].shape) for i in diff]
        import torch.autograd.forward_ad as tfw

        with tfw.dual_level():
            txs = [_as_t(a, False) for a in arrays]
            for i, t in zip(diff, tangents):
                txs[i] = tfw.make_dual(txs[i], torch.tensor(t))
            t_jvp = tfw.unpack_dual(t_mod(*txs)).tangent
        with fw.dual_level():
            xs = [_as_dg(a, False) for a in arrays]
            for i, t in zip(diff, tangents):
                xs[i] = fw.make_dual(xs[i], dg.tensor(t))
            d_jvp = fw.unpack_dual(d_mod(*xs)).tangent
        _close(d_jvp, t_jvp, "input jvp", atol)
    return d_out


R = np.random.default_rng(42)


def U(*shape, lo=-1.0, hi=1.0):
    return R.uniform(lo, hi, shape)


MODULE_CASES = [
    ("Linear", (4, 3), {}, [U(5, 4)]),
    ("Linear", (4, 3), {"bias": False}, [U(2, 5, 4)]),
    ("Bilinear", (3, 4, 2), {}, [U(5, 3), U(5, 4)]),
    ("Identity", (), {}, [U(3, 4)]),
    ("Flatten", (), {}, [U(2, 3, 4)]),
    ("ReLU", (), {}, [U(3, 4) + 0.05]),
    ("Sigmoid", (), {}, [U(3, 4)]),
    ("Tanh", (), {}, [U(3, 4)]),
    ("GELU", (), {}, [U(3, 4)]),
    ("GELU", (), {"approximate": "tanh"}, [U(3, 4)]),
    ("SiLU", (), {}, [U(3, 4)]),
    ("ELU", (), {"alpha": 0.7}, [U(3, 4)]),
    ("LeakyReLU", (0.2,), {}, [U(3, 4)]),
    ("Softplus", (), {"beta": 2.0}, [U(3, 4)]),
    ("Softmax", (), {"dim": 1}, [U(3, 4)]),
    ("LogSoftmax", (), {"dim": -1}, [U(3, 4)]),
    ("Hardtanh", (), {}, [U(3, 4, lo=-2, hi=2)]),
    ("Mish", (), {}, [U(3, 4)]),
    ("PReLU", (), {}, [U(3, 4)]),
    ("LayerNorm", (4,), {}, [U(3, 4)]),
    ("LayerNorm", ((3, 4),), {"elementwise_affine": False}, [U(2, 3, 4)]),
    ("GroupNorm", (2, 4), {}, [U(3, 4, 5)]),
    ("BatchNorm1d", (4,), {}, [U(6, 4)]),
    ("BatchNorm1d", (3,), {}, [U(4, 3, 5)]),
    ("BatchNorm2d", (3,), {}, [U(4, 3, 5, 5)]),
    ("Conv1d", (2, 4, 3), {"stride": 2, "padding": 1}, [U(2, 2, 9)]),
    ("Conv1d", (4, 4, 3), {"groups": 2, "dilation": 2, "padding": "same"}, [U(2, 4, 7)]),
    ("Conv2d", (3, 4, 3), {}, [U(2, 3, 6, 5)]),
    (
        "Conv2d",
        (4, 6, (3, 2)),
        {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2},
        [U(2, 4, 7, 6)],
    ),
    ("Conv2d", (2, 3, 3), {"padding": "same", "dilation": (2, 1), "bias": False}, [U(1, 2, 6, 6)]),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "reflect"}, [U(2, 2, 5, 5)]),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "circular"}, [U(2, 2, 5, 5)]),
    ("Conv2d", (3, 4, 3), {}, [U(3, 6, 5)]),  # unbatched
    (
        "ConvTranspose2d",
        (4, 6, 3),
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
        [U(2, 4, 4, 3)],
    ),
    ("ConvTranspose2d", (2, 3, (2, 3)), {"dilation": 2}, [U(2, 2, 3, 4)]),
    ("MaxPool2d", (2,), {}, [U(2, 3, 6, 6)]),
    ("MaxPool2d", (3, 2, 1), {}, [U(2, 3, 7, 6)]),
    ("MaxPool2d", (2,), {"stride": 1, "dilation": 2}, [U(1, 2, 5, 5)]),
    ("AvgPool2d", (2,), {}, [U(2, 3, 6, 6)]),
    ("AvgPool2d", (3, 2, 1), {}, [U(2, 3, 7, 6)]),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}, [U(2, 3, 7, 6)]),
    ("AdaptiveAvgPool2d", ((3, 2),), {}, [U(2, 3, 7, 5)]),
    ("AdaptiveAvgPool2d", (1,), {}, [U(2, 3, 4, 4)]),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, [U(2, 3, 5, 7)]),
    ("MaxPool1d", (3, 2), {}, [U(2, 3, 9)]),
    ("AvgPool1d", (3, 2), {}, [U(2, 3, 9)]),
]


@pytest.mark.parametrize(
    "ctor,args,kwargs,arrays", MODULE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MODULE_CASES)]
)
def test_module_matches_torch(ctor, args, kwargs, arrays):
    d_mod, t_mod = _pair(ctor, *args, **kwargs)
    check_module(d_mod, t_mod, *arrays)
    for name, b in t_mod.named_buffers():  # running statistics after one training step
        _close(d_mod.get_buffer(name), b, f"buffer {name}")


def test_batchnorm_eval_uses_running_stats():
    d_mod, t_mod = _pair("BatchNorm2d", 3, momentum=0.3)
    x = U(4, 3, 5, 5)
    for _ in range(3):
        d_mod(dg.tensor(x * 2 + 1))
        t_mod(torch.tensor(x * 2 + 1))
    d_mod.eval()
    t_mod.eval()
    check_module(d_mod, t_mod, x)
    assert int(d_mod.num_batches_tracked) == 3


def test_embedding():
    d_mod, t_mod = _pair("Embedding", 6, 3, padding_idx=2)
    idx = np.array([[0, 2, 5], [2, 1, 1]])
    check_module(d_mod, t_mod, idx)
    assert np.all(_np(nn.Embedding(5, 2, padding_idx=1).weight)[1] == 0)


LOSS_CASES = [
    ("MSELoss", {}, [U(3, 4), U(3, 4)]),
    ("MSELoss", {"reduction": "sum"}, [U(3, 4), U(3, 4)]),
    ("L1Loss", {"reduction": "none"}, [U(3, 4), U(3, 4)]),
    ("SmoothL1Loss", {"beta": 0.5}, [U(3, 4), U(3, 4)]),
    ("HuberLoss", {"delta": 0.7}, [U(3, 4, lo=-2, hi=2), U(3, 4)]),
    ("CrossEntropyLoss", {}, [U(5, 4), np.array([0, 3, 1, 1, 2])]),
    (
        "CrossEntropyLoss",
        {"reduction": "sum", "label_smoothing": 0.2},
        [U(5, 4), np.array([0, 3, 1, 1, 2])],
    ),
    (
        "CrossEntropyLoss",
        {"ignore_index": 1, "label_smoothing": 0.1},
        [U(5, 4), np.array([0, 3, 1, 1, 2])],
    ),
    (
        "CrossEntropyLoss",
        {"weight": "w4", "label_smoothing": 0.3, "ignore_index": 3},
        [U(5, 4), np.array([0, 3, 1, 1, 2])],
    ),
    (
        "CrossEntropyLoss",
        {"reduction": "none", "weight": "w4"},
        [U(2, 4, 3), np.array([[0, 3, 1], [1, 2, 2]])],
    ),
    ("CrossEntropyLoss", {}, [U(4), np.array(2)]),
    ("CrossEntropyLoss", {}, [U(5, 4), "probs"]),
    ("CrossEntropyLoss", {"label_smoothing": 0.2, "weight": "w4"}, [U(5, 4), "probs"]),
    ("CrossEntropyLoss", {"reduction": "none"}, [U(2, 4, 3), "probs"]),
    ("NLLLoss", {"weight": "w4"}, [U(5, 4), np.array([0, 3, 1, 1, 2])]),
    ("NLLLoss", {"ignore_index": 1, "reduction": "none"}, [U(5, 4), np.array([0, 3, 1, 1, 2])]),
    ("BCELoss", {}, [U(3, 4, lo=0.05, hi=0.95), U(3, 4, lo=0, hi=1)]),
    ("BCELoss", {"weight": "w4"}, [U(3, 4, lo=0.05, hi=0.95), U(3, 4, lo=0, hi=1)]),
    ("BCEWithLogitsLoss", {}, [U(3, 4, lo=-3, hi=3), U(3, 4, lo=0, hi=1)]),
    (
        "BCEWithLogitsLoss",
        {"pos_weight": "w4", "reduction": "sum"},
        [U(3, 4, lo=-3, hi=3), U(3, 4, lo=0, hi=1)],
    ),
    ("KLDivLoss", {"reduction": "batchmean"}, [U(3, 4), U(3, 4, lo=0, hi=1)]),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, [U(3, 4), U(3, 4)]),
    ("KLDivLoss", {"reduction": "none"}, [U(3, 4), np.array([[0.0, 0.5, 0.2, 0.3]] * 3)]),
]
W4 = np.array([0.5, 2.0, 1.0, 1.5])


@pytest.mark.parametrize(
    "ctor,kwargs,arrays", LOSS_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSS_CASES)]
)
def test_loss_matches_torch(ctor, kwargs, arrays):
    d_kw, t_kw = dict(kwargs), dict(kwargs)
    for k, v in kwargs.items():
        if isinstance(v, str) and v == "w4":
            d_kw[k], t_kw[k] = dg.tensor(W4), torch.tensor(W4)
    arrays = list(arrays)
    if isinstance(arrays[1], str):
        arrays[1] = np.asarray(
            torch.softmax(torch.tensor(U(*arrays[0].shape)), 1 if arrays[0].ndim > 1 else 0)
        )
    d_mod, t_mod = getattr(nn, ctor)(**d_kw), getattr(torch.nn, ctor)(**t_kw)
    check_module(d_mod, t_mod, *arrays, diff=[0])


POISSON_TARGETS = np.array([[0.0, 0.5, 1.0, 1.5], [2.0, 3.0, 7.0, 0.9], [1.2, 4.0, 0.0, 12.0]])
POISSON_CASES = [
    ({"full": True}, [U(3, 4), POISSON_TARGETS]),
    ({"full": True, "reduction": "none"}, [U(3, 4), POISSON_TARGETS]),
    (
        {"full": True, "log_input": False, "reduction": "sum"},
        [U(3, 4, lo=0.1, hi=3), POISSON_TARGETS],
    ),
    ({"full": True, "log_input": False, "eps": 0.1}, [U(3, 4, lo=0.0, hi=3), POISSON_TARGETS + 1]),
    ({}, [U(3, 4), POISSON_TARGETS]),
]


@pytest.mark.parametrize("kwargs,arrays", POISSON_CASES, ids=[str(c[0]) for c in POISSON_CASES])
def test_poisson_nll_loss_matches_torch(kwargs, arrays):
    """Gradients in the target too: the Stirling term of ``full`` depends on it. A target of
    0 gets torch's nan gradient (0 * log 0 before the mask), compared nan for nan."""
    d_mod, t_mod = nn.PoissonNLLLoss(**kwargs), torch.nn.PoissonNLLLoss(**kwargs)
    check_module(d_mod, t_mod, *arrays, diff=[0, 1])
    if kwargs.get("full"):
        # the term is really there: where target > 1 it differs from full=False
        x, t = (dg.tensor(a) for a in arrays)
        plain = dict(kwargs, full=False, reduction="none")
        gap = _np(F.poisson_nll_loss(x, t, **dict(kwargs, reduction="none"))) - _np(
            F.poisson_nll_loss(x, t, **plain)
        )
        tv = arrays[1]
        assert np.all(gap[tv <= 1] == 0) and np.all(gap[tv > 1] > 0)


def test_functional_forms_match_modules():
    x, t = U(4, 3), np.array([0, 2, 1, 1])
    assert np.allclose(
        _np(F.cross_entropy(dg.tensor(x), dg.tensor(t))),
        _np(torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))),
    )
    x4 = U(2, 3, 5, 5)
    w = U(4, 3, 3, 3)
    assert np.allclose(
        _np(F.conv2d(dg.tensor(x4), dg.tensor(w), stride=2)),
        _np(torch.nn.functional.conv2d(torch.tensor(x4), torch.tensor(w), stride=2)),
    )
    assert np.allclose(
        _np(F.unfold(dg.tensor(x4), 2, padding=1)),
        _np(torch.nn.functional.unfold(torch.tensor(x4), 2, padding=1)),
    )


# ------------------------------------------------------------------ Module bookkeeping
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        self.norm = nn.BatchNorm1d(2)
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Identity()})
        self.scale = nn.Parameter(dg.tensor(2.0))
        self.register_buffer("offset", dg.zeros(2))
        self.register_buffer("scratch", dg.zeros(1), persistent=False)

    def forward(self, x):
        return self.heads["a"](self.norm(self.body(x)) * self.scale + self.offset)


def test_module_bookkeeping():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "scale",
        "body.0.weight",
        "body.0.bias",
        "body.2.weight",
        "body.2.bias",
        "norm.weight",
        "norm.bias",
        "heads.a.weight",
        "heads.a.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "offset",
        "scratch",
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "body",
        "body.0",
        "body.1",
        "body.2",
        "norm",
        "heads",
        "heads.a",
        "heads.b",
    ]
    assert len(list(net.children())) == 3
    sd = net.state_dict()
    assert "scratch" not in sd and "norm.num_batches_tracked" in sd
    assert not sd["scale"].requires_grad
    other = Net()
    result = other.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = dg.randn(5, 3)
    net.eval()
    other.eval()
    assert dg.allclose(net(x), other(x))
    with pytest.raises(RuntimeError, match="Missing key"):
        other.load_state_dict({k: v for k, v in sd.items() if k != "scale"})
    with pytest.raises(RuntimeError, match="size mismatch"):
        other.load_state_dict({**sd, "scale": dg.zeros(3)})
    assert other.load_state_dict({"scale": dg.tensor(3.0)}, strict=False).missing_keys
    # train / eval propagate
    net.train()
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    # zero_grad
    net.train()
    net(x).sum().backward()
    assert net.scale.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    # apply and to(dtype)
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    w = net.body[0].weight
    net.double()
    assert net.body[0].weight is w and w.dtype == dg.float64 and net.offset.dtype == dg.float64
    assert net.norm.num_batches_tracked.dtype == dg.int64
    assert net(x.double()).dtype == dg.float64
    net.to(dg.float32)
    assert w.dtype == dg.float32
    # deepcopy: independent parameters of the same class
    twin = copy.deepcopy(net)
    assert isinstance(twin.scale, nn.Parameter) and twin.scale is not net.scale
    with dg.no_grad():
        twin.scale.fill_(5.0)
    assert net.scale.item() == 2.0
    # repr
    r = repr(net)
    assert (
        "(body): Sequential(" in r and "(0): Linear(in_features=3, out_features=4, bias=True)" in r
    )
    assert repr(net.scale).startswith("Parameter containing:\ntensor(2., requires_grad=True)")
    assert repr(nn.Linear(2, 3)) == repr(torch.nn.Linear(2, 3))
    assert repr(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())) == repr(
        torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU())
    )


def test_setattr_rules():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        lin.weight = dg.zeros(2, 2)
    p = lin.weight
    del lin.weight
    lin.weight = dg.ones(2, 2)  # a plain tensor after delattr: a plain attribute
    assert "weight" not in dict(lin.named_parameters())
    assert dg.allclose(lin(dg.ones(1, 2)), 2 + lin.bias)
    lin.weight = p  # a Parameter registers again
    assert "weight" in dict(lin.named_parameters())
    lin.extra = nn.Parameter(dg.zeros(1))
    assert "extra" in dict(lin.named_parameters())
    with pytest.raises(KeyError):
        lin.register_buffer("bias", dg.zeros(1))
    with pytest.raises(TypeError):
        lin.register_parameter("w2", dg.zeros(1))
    with pytest.raises(AttributeError):
        lin.nothing  # noqa: B018


def test_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda m, args, out: out * 0)
    h2 = lin.register_forward_pre_hook(lambda m, args: calls.append(args[0].shape))
    assert lin(dg.ones(3, 2)).abs().sum().item() == 0
    h.remove()
    h2.remove()
    assert lin(dg.ones(3, 2)).abs().sum().item() != 0
    assert calls == [dg.Size([3, 2])]


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(list(ml.parameters())) == 8 and ml[-1].out_features == 1
    md = nn.ModuleDict({"x": nn.Linear(1, 1)})
    assert "x" in md and list(md.keys()) == ["x"]


def test_default_initialisation_bounds():
    dg.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    assert np.abs(_np(lin.weight)).max() <= bound and np.abs(_np(lin.weight)).max() > 0.9 * bound
    assert np.abs(_np(lin.bias)).max() <= bound
    conv = nn.Conv2d(4, 8, 3, groups=2)
    assert np.abs(_np(conv.weight)).max() <= 1 / np.sqrt(2 * 9)
    assert lin.weight.requires_grad and lin.weight.grad_fn is None


def test_init_functions():
    dg.manual_seed(1)
    w = dg.empty(200, 300)
    nn.init.xavier_uniform_(w)
    a = np.sqrt(6 / 500)
    assert np.abs(_np(w)).max() <= a and _np(w).std() == pytest.approx(a / np.sqrt(3), rel=0.05)
    nn.init.xavier_normal_(w, gain=2.0)
    assert _np(w).std() == pytest.approx(2 * np.sqrt(2 / 500), rel=0.05)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert _np(w).std() == pytest.approx(np.sqrt(2 / 200), rel=0.05)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(_np(w)).max() <= np.sqrt(6 / 300)
    nn.init.orthogonal_(w)
    assert np.allclose(_np(w) @ _np(w).T, np.eye(200), atol=1e-5)
    nn.init.constant_(w, 0.5)
    assert np.all(_np(w) == 0.5)
    nn.init.normal_(w, 3.0, 0.1)
    assert _np(w).mean() == pytest.approx(3.0, abs=0.01)
    nn.init.uniform_(w, -2, -1)
    assert _np(w).max() <= -1 and _np(w).min() >= -2
    p = nn.Parameter(dg.zeros(3))
    v = p._version
    nn.init.ones_(p)
    assert p._version > v and p.grad_fn is None and p.requires_grad
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain(
        "leaky_relu", 0.2
    )


def test_dropout():
    dg.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = dg.ones(200, 100, requires_grad=True)
    y = drop(x)
    kept = _np(y) != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.02)
    assert np.allclose(_np(y)[kept], 1 / 0.75)
    y.sum().backward()
    assert np.array_equal(_np(x.grad) != 0, kept)
    drop.eval()
    assert drop(x) is x


# ------------------------------------------------------------------ seed 001, as written
def test_seed001_usage_with_modules_and_stateless_api():
    import dualgrad.autograd.forward_ad as fwAD
    from dualgrad.nn.utils._stateless import functional_call

    torch_ = dg
    model = nn.Linear(5, 5)
    input = torch_.randn(16, 5)

    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: torch_.rand_like(p) for name, p in params.items()}

    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))

        out = model(input)
        jvp = fwAD.unpack_dual(out).tangent

    model = nn.Linear(5, 5)

    dual_params = {}
    with fwAD.dual_level():
        for name, p in params.items():
            # Using the same ``tangents`` from the above section
            dual_params[name] = fwAD.make_dual(p, tangents[name])
        out = functional_call(model, dual_params, input)
        jvp2 = fwAD.unpack_dual(out).tangent

    assert torch_.allclose(jvp, jvp2)
    # the jvp of a linear map in its parameters: x dW^T + db
    expected = input @ tangents["weight"].t() + tangents["bias"]
    assert torch_.allclose(jvp, expected)
    assert "weight" in dict(model.named_parameters())  # restored after the call


def test_seed001_make_functional_with_buffers():
    from dualgrad.nn.utils.stateless import make_functional_with_buffers

    model = nn.Linear(5, 5)
    input = dg.randn(16, 5)
    tangents = tuple([dg.rand_like(p) for p in model.parameters()])
    func, params, buffers = make_functional_with_buffers(model)
    assert buffers == ()

    def func_params_only(params):
        return func(params, buffers, input)

    with fw.dual_level():
        duals = [fw.make_dual(p, t) for p, t in zip(params, tangents)]
        out = func_params_only(duals)
        jvp_out = fw.unpack_dual(out).tangent
    assert dg.allclose(jvp_out, input @ tangents[0].t() + tangents[1])
    assert dg.allclose(func_params_only(params), model(input))


def test_functional_call_restores_on_exception_and_handles_buffers():
    from dualgrad.nn.utils.stateless import functional_call

    net = Net()
    w = net.body[0].weight

    class Boom(Exception):
        pass

    def hook(m, args, out):
        raise Boom()

    h = net.register_forward_hook(hook)
    with pytest.raises(Boom):
        functional_call(
            net, {"body.0.weight": dg.zeros(4, 3), "offset": dg.ones(2)}, (dg.ones(2, 3),)
        )
    h.remove()
    assert net.body[0].weight is w and net.offset.sum().item() == 0
    net.eval()
    x = dg.randn(2, 3)
    out = functional_call(net, {"offset": dg.ones(2)}, (x,))
    net.offset.fill_(1.0)
    assert dg.allclose(out, net(x))
    # gradients flow to the swapped-in tensors, not to the module's parameters
    ws = {n: p.detach().clone().requires_grad_() for n, p in net.named_parameters()}
    functional_call(net, ws, x).sum().backward()
    assert all(v.grad is not None for v in ws.values()) and net.scale.grad is None


def test_make_functional_and_stack_module_state():
    from dualgrad.nn.utils.stateless import make_functional, stack_module_state

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    func, params = make_functional(model)
    x = dg.randn(5, 3)
    assert dg.allclose(func(params, x), model(x))
    assert params[0] is not model[0].weight
    g = dg.autograd.grad(func(params, x).sum(), params)
    assert len(g) == 4
    with pytest.raises(RuntimeError, match="buffers"):
        make_functional(nn.BatchNorm1d(2))
    models = [nn.Linear(3, 2) for _ in range(4)]
    p, b = stack_module_state(models)
    assert p["weight"].shape == (4, 2, 3) and p["weight"].requires_grad and p["weight"].is_leaf
    assert b == {}
    assert dg.allclose(p["bias"][2], models[2].bias)


# ------------------------------------------------------------------ training on a small task
def _digits_like(n=400, seed=0):
    """A synthetic 10-class image set in the shape of scikit-learn's digits (8x8, values 0..16):
    noisy copies of 10 random prototypes, so nothing is downloaded or skipped."""
    rng = np.random.default_rng(seed)
    protos = rng.uniform(0, 16, (10, 8, 8))
    y = rng.integers(0, 10, n)
    x = np.clip(protos[y] + rng.normal(0, 5.0, (n, 8, 8)), 0, 16)
    return (x / 16.0).astype(np.float32), y


def _train(model, x, y, epochs, lr=0.1):
    from dualgrad import optim

    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, 32):
            idx = order[i : i + 32]
            opt.zero_grad()
            loss = loss_fn(model(dg.tensor(x[idx])), dg.tensor(y[idx]))
            loss.backward()
            opt.step()
    with dg.no_grad():
        return float((model(dg.tensor(x)).argmax(1)._data == y).mean())


def test_mlp_and_cnn_learn_digits_like_data():
    dg.manual_seed(0)
    x, y = _digits_like(600)
    xtr, ytr, xte, yte = x[:400], y[:400], x[400:], y[400:]
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    _train(mlp, xtr, ytr, epochs=8)
    with dg.no_grad():
        acc = float((mlp(dg.tensor(xte)).argmax(1)._data == yte).mean())
    assert acc >= 0.9, acc
    cnn = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 10),
    )
    _train(cnn, xtr[:, None], ytr, epochs=6, lr=0.05)
    with dg.no_grad():
        acc = float((cnn(dg.tensor(xte[:, None])).argmax(1)._data == yte).mean())
    assert acc >= 0.9, acc


def test_real_digits():
    # scikit-learn is in the test extra: the digits data ship inside it (no download)
    from sklearn import datasets

    d = datasets.load_digits()
    x, y = (d.images / 16.0).astype(np.float32), d.target
    dg.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    _train(mlp, x[:1200], y[:1200], epochs=6)
    with dg.no_grad():
        acc = float((mlp(dg.tensor(x[1200:])).argmax(1)._data == y[1200:]).mean())
    assert acc >= 0.9, acc


def test_per_sample_gradient_example_runs(capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "per_sample_grads.py"
    spec = importlib.util.spec_from_file_location("per_sample_grads", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    stacked = mod.main()
    assert stacked["0.weight"].shape == (8, 32, 10)
    assert "mean equals the batch gradient" in capsys.readouterr().out


@pytest.mark.parametrize(
    "size_average,reduce", [(False, None), (None, False), (True, True), (False, True)]
)
def test_legacy_size_average_and_reduce_map_to_reduction_as_torch(size_average, reduce):
    """The deprecated arguments are honoured as torch honours them (with its warning), in
    the modules and in the functional forms."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="size_average and reduce"):
        got = dg.nn.MSELoss(size_average=size_average, reduce=reduce)(dg.tensor(a), dg.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.MSELoss(size_average=size_average, reduce=reduce)(
            torch.tensor(a), torch.tensor(b)
        )
    np.testing.assert_allclose(got._data, ref.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="size_average and reduce"):
        got = dg.nn.functional.l1_loss(
            dg.tensor(a), dg.tensor(b), size_average=size_average, reduce=reduce
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.functional.l1_loss(
            torch.tensor(a), torch.tensor(b), size_average=size_average, reduce=reduce
        )
    np.testing.assert_allclose(got._data, ref.numpy(), rtol=1e-12)
