"""Issue 15's everyday names, second list, nn part, against torch: the margin losses
(triplet, multi-margin, multilabel), the distances and the layers around them (LPPool,
LocalResponseNorm, ChannelShuffle, Softmax2d, RReLU), gumbel_softmax and nn.utils.skip_init.
Values, gradients, forward-mode JVPs and vmap in float64 (through test_nn15_small_names'
helper), torch's errors for bad input, and the modules' settings and reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from test_nn15_small_names import _close, _same_everywhere

import dualgrad as dg

RNG = np.random.default_rng(7)


def _u(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape)


def _idx(a):
    return np.asarray(a, dtype=np.int64)


WEIGHT = _u(5, lo=0.5, hi=2.0)
SIGNS = np.sign(_u(3, 4))


def _fn(m):
    return m.nn.functional


# (id, fn(m, *tensors), arrays, helper options)
ROWS = [
    (
        "triplet",
        lambda m, a, p, n: _fn(m).triplet_margin_loss(a, p, n),
        [_u(4, 3), _u(4, 3), _u(4, 3)],
        {},
    ),
    (
        "triplet_swap_p1_none",
        lambda m, a, p, n: _fn(m).triplet_margin_loss(
            a, p, n, margin=0.5, p=1, swap=True, reduction="none"
        ),
        [_u(4, 3), _u(4, 3), _u(4, 3)],
        {},
    ),
    (
        "triplet_with_distance",
        lambda m, a, p, n: _fn(m).triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1 - _fn(m).cosine_similarity(x, y), swap=True
        ),
        [_u(4, 3), _u(4, 3), _u(4, 3)],
        {},
    ),
    (
        "triplet_module",
        lambda m, a, p, n: m.nn.TripletMarginLoss(margin=2.0, reduction="sum")(a, p, n),
        [_u(5, 2), _u(5, 2), _u(5, 2)],
        {},
    ),
    (
        "multi_margin",
        lambda m, x, y: _fn(m).multi_margin_loss(x, y),
        [_u(4, 5), _idx([0, 4, 2, 2])],
        {},
    ),
    (
        "multi_margin_p2_weight_none",
        # (torch refuses a weight that requires grad here: a constant)
        lambda m, x, y: _fn(m).multi_margin_loss(
            x, y, p=2, margin=0.7, weight=m.tensor(WEIGHT), reduction="none"
        ),
        [_u(4, 5), _idx([0, 4, 2, 1])],
        {},
    ),
    (
        "multi_margin_vector",
        lambda m, x, y: _fn(m).multi_margin_loss(x, y, reduction="sum"),
        [_u(5), _idx(3)],
        {"vmap": False},
    ),
    (
        "multi_margin_module",
        lambda m, x, y: m.nn.MultiMarginLoss(p=2)(x, y),
        [_u(3, 4), _idx([1, 0, 3])],
        {},
    ),
    (
        "multilabel_margin",
        lambda m, x, y: _fn(m).multilabel_margin_loss(x, y),
        [_u(3, 5), _idx([[3, 0, -1, 1, 2], [4, 4, 1, -1, -1], [-1, 0, 1, 2, 3]])],
        {},
    ),
    (
        "multilabel_margin_none_vector",
        lambda m, x, y: _fn(m).multilabel_margin_loss(x, y, reduction="none"),
        [_u(4), _idx([2, 0, -1, 3])],
        {"vmap": False},
    ),
    (
        "multilabel_margin_module",
        lambda m, x, y: m.nn.MultiLabelMarginLoss(reduction="sum")(x, y),
        [_u(2, 3), _idx([[1, -1, 0], [0, 1, 2]])],
        {},
    ),
    (
        "multilabel_soft_margin",
        lambda m, x, y, w: _fn(m).multilabel_soft_margin_loss(x, y, weight=w),
        [_u(3, 4, lo=-3, hi=3), RNG.integers(0, 2, (3, 4)).astype(float), _u(4, lo=0.5, hi=2)],
        {},
    ),
    (
        "multilabel_soft_margin_module",
        lambda m, x, y: m.nn.MultiLabelSoftMarginLoss(reduction="none")(x, y),
        [_u(3, 4), RNG.integers(0, 2, (3, 4)).astype(float)],
        {},
    ),
    (
        "hinge_embedding_module",
        lambda m, x: m.nn.HingeEmbeddingLoss(margin=0.5)(x, m.tensor(SIGNS)),
        [_u(3, 4)],
        {},
    ),
    (
        "cosine_similarity_module",
        lambda m, x, y: m.nn.CosineSimilarity(dim=0, eps=1e-6)(x, y),
        [_u(3, 4), _u(3, 4)],
        {},
    ),
    (
        "pairwise_distance_module",
        lambda m, x, y: m.nn.PairwiseDistance(p=3.0, keepdim=True)(x, y),
        [_u(3, 4), _u(3, 4)],
        {},
    ),
    ("lp_pool1d", lambda m, x: _fn(m).lp_pool1d(x, 2, 3, 2), [_u(2, 3, 9)], {}),
    (
        "lp_pool1d_p3_ceil",
        lambda m, x: m.nn.LPPool1d(3, 2, ceil_mode=True)(x),
        [_u(2, 3, 7, lo=0.2)],
        {},
    ),
    ("lp_pool1d_inf", lambda m, x: _fn(m).lp_pool1d(x, math.inf, 2), [_u(2, 3, 8)], {}),
    ("lp_pool2d", lambda m, x: m.nn.LPPool2d(2, (2, 3), stride=(1, 2))(x), [_u(2, 2, 5, 6)], {}),
    ("lp_pool2d_p1_5", lambda m, x: _fn(m).lp_pool2d(x, 1.5, 2), [_u(1, 2, 4, 4, lo=0.2)], {}),
    ("lp_pool3d", lambda m, x: m.nn.LPPool3d(2, 2)(x), [_u(1, 2, 4, 4, 4)], {}),
    (
        "local_response_norm_3d",
        lambda m, x: _fn(m).local_response_norm(x, 3, alpha=0.1),
        [_u(2, 5, 4)],
        {},
    ),
    (
        "local_response_norm_4d",
        lambda m, x: m.nn.LocalResponseNorm(2, alpha=0.5, beta=0.6, k=2.0)(x),
        [_u(2, 4, 3, 3)],
        {},
    ),
    (
        "local_response_norm_5d",
        lambda m, x: _fn(m).local_response_norm(x, 4),
        [_u(1, 5, 2, 2, 3)],
        {},
    ),
    ("channel_shuffle", lambda m, x: _fn(m).channel_shuffle(x, 3), [_u(2, 6, 2, 2)], {}),
    ("channel_shuffle_module", lambda m, x: m.nn.ChannelShuffle(2)(x), [_u(1, 4, 3)], {}),
    ("softmax2d", lambda m, x: m.nn.Softmax2d()(x), [_u(2, 3, 2, 2)], {}),
    ("softmax2d_3d", lambda m, x: m.nn.Softmax2d()(x), [_u(3, 2, 4)], {}),
    ("rrelu_eval", lambda m, x: m.nn.RReLU(0.1, 0.3).eval()(x), [_u(3, 4)], {}),
    ("rrelu_eval_functional", lambda m, x: _fn(m).rrelu(x, 0.2, 0.4), [_u(3, 4)], {}),
]


@pytest.mark.parametrize("name,fn,arrays,opts", ROWS, ids=[r[0] for r in ROWS])
def test_same_as_torch(name, fn, arrays, opts):
    _same_everywhere(fn, *arrays, **opts)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: _fn(m).multi_margin_loss(x, y, p=3),
        lambda m, x, y: _fn(m).multi_margin_loss(x, y[:2]),
        lambda m, x, y: _fn(m).multi_margin_loss(x, y + 10),
        lambda m, x, y: _fn(m).multi_margin_loss(x, y, weight=m.ones(3, dtype=m.float64)),
        lambda m, x, y: _fn(m).multi_margin_loss(x.reshape(1, 3, 4), y),
        lambda m, x, y: _fn(m).multi_margin_loss(x, y, reduction="bad"),
        lambda m, x, y: _fn(m).multi_margin_loss(x, y, weight=m.ones(4, 1, dtype=m.float64)),
        lambda m, x, y: _fn(m).multilabel_margin_loss(x, m.tensor([[3, 0, -1, 7]] * 3)),
        lambda m, x, y: _fn(m).multilabel_margin_loss(x, m.tensor([[3, 0, -1]] * 3)),
        lambda m, x, y: _fn(m).channel_shuffle(m.zeros(1, 5, 2, 2), 2),
        lambda m, x, y: _fn(m).channel_shuffle(m.zeros(5), 2),
        lambda m, x, y: _fn(m).channel_shuffle(m.zeros(1, 4, 2), 0),
        lambda m, x, y: _fn(m).local_response_norm(x, 2),
        lambda m, x, y: _fn(m).triplet_margin_loss(x, x[0], x),
        lambda m, x, y: _fn(m).triplet_margin_with_distance_loss(x, x, x, margin=0),
        lambda m, x, y: _fn(m).triplet_margin_with_distance_loss(x, x, x, reduction="avg"),
        lambda m, x, y: m.nn.Softmax2d()(x),
        lambda m, x, y: m.nn.MultiMarginLoss(p=0),
        lambda m, x, y: m.nn.MultiMarginLoss(weight=m.ones(2, 2)),
        lambda m, x, y: m.nn.TripletMarginWithDistanceLoss(margin=-1.0),
        lambda m, x, y: m.nn.utils.skip_init(int),
    ],
)
def test_errors_as_torch(call):
    x, y = np.zeros((3, 4)), _idx([0, 1, 2])
    with pytest.raises(Exception) as want:
        call(torch, torch.tensor(x), torch.tensor(y))
    with pytest.raises(type(want.value)) as got:
        call(dg, dg.tensor(x), dg.tensor(y))
    # torch's message, to which dualgrad may add the fix
    assert str(got.value).startswith(str(want.value))


def test_reprs_and_settings():
    pairs = [
        lambda m: m.nn.LPPool2d(2, 3, stride=1),
        lambda m: m.nn.LocalResponseNorm(3, alpha=0.2),
        lambda m: m.nn.ChannelShuffle(4),
        lambda m: m.nn.RReLU(0.1, 0.3, inplace=True),
        lambda m: m.nn.Softmax2d(),
    ]
    for make in pairs:
        assert repr(make(dg)) == repr(make(torch))
    d, t = dg.nn.PairwiseDistance(p=1.0), torch.nn.PairwiseDistance(p=1.0)
    assert (d.norm, d.eps, d.keepdim) == (t.norm, t.eps, t.keepdim)
    d, t = dg.nn.TripletMarginLoss(), torch.nn.TripletMarginLoss()
    assert (d.margin, d.p, d.eps, d.swap, d.reduction) == (
        t.margin,
        t.p,
        t.eps,
        t.swap,
        t.reduction,
    )


def test_rrelu_training_draws_slopes_in_range_and_differentiates_through_them():
    x = dg.tensor(_u(200), requires_grad=True)
    out = dg.nn.RReLU(0.1, 0.3)(x)  # a module is in training mode
    xs = x.detach().numpy()
    slope = out.detach().numpy()[xs < 0] / xs[xs < 0]
    assert slope.min() >= 0.1 and slope.max() <= 0.3 and slope.std() > 0.01
    np.testing.assert_array_equal(out.detach().numpy()[xs > 0], xs[xs > 0])
    out.sum().backward()
    g = x.grad.numpy()
    np.testing.assert_allclose(g[xs < 0], slope)
    assert np.all(g[xs > 0] == 1)
    y = dg.tensor([-1.0, 2.0])
    assert dg.nn.functional.rrelu_(y, training=True) is y and y[1].item() == 2.0 and y[0].item() < 0


def test_gumbel_softmax_draws_exponentials_as_torch():
    """With torch's exponential draws given to dualgrad (as tools/torch_draws.py replays them),
    the samples are torch's, soft and hard, with the straight-through gradient."""
    logits = _u(3, 5)
    for hard, tau in ((False, 1.0), (True, 0.5)):
        torch.manual_seed(3)
        t_l = torch.tensor(logits, requires_grad=True)
        t_out = torch.nn.functional.gumbel_softmax(t_l, tau=tau, hard=hard)
        torch.manual_seed(3)
        draws = torch.empty(3, 5, dtype=torch.float64).exponential_().numpy()
        d_l = dg.tensor(logits, requires_grad=True)
        original = dg.Tensor.exponential_

        def replayed(self, *args, **kwargs):
            self.copy_(dg.tensor(draws))
            return self

        dg.Tensor.exponential_ = replayed
        try:
            d_out = dg.nn.functional.gumbel_softmax(d_l, tau=tau, hard=hard)
        finally:
            dg.Tensor.exponential_ = original
        _close(d_out, t_out, "gumbel_softmax")
        w = torch.tensor(_u(3, 5))
        (t_out * w).sum().backward()
        (d_out * dg.tensor(w.numpy())).sum().backward()
        _close(d_l.grad, t_l.grad, "gumbel_softmax grad")
    sample = dg.nn.functional.gumbel_softmax(dg.zeros(4, 6), hard=True)
    np.testing.assert_array_equal(sample.numpy().sum(1), np.ones(4))


def test_skip_init_makes_the_module_uninitialised_on_cpu():
    m = dg.nn.utils.skip_init(dg.nn.Linear, in_features=6, out_features=2, bias=False)
    t = torch.nn.utils.skip_init(torch.nn.Linear, in_features=6, out_features=2, bias=False)
    assert tuple(m.weight.shape) == tuple(t.weight.shape) and m.bias is None
    assert m.weight.requires_grad and str(m.weight.device) == "cpu"
    m.weight.data.fill_(1.0)
    np.testing.assert_array_equal(m(dg.ones(1, 6)).detach().numpy(), [[6.0, 6.0]])


def test_initialisers_draw_nothing_on_the_meta_device_as_torch():
    """A module built on the meta device leaves the generator where it was (torch's samplers
    and nn.init draw nothing for a tensor without data): the draws after it are unchanged."""
    for m in (dg, torch):
        m.manual_seed(0)
        before = m.rand(3)
        m.manual_seed(0)
        m.nn.utils.skip_init(m.nn.Linear, 4, 2)
        m.nn.Conv2d(2, 3, 3, device="meta")
        m.empty(5, device="meta").uniform_().normal_()
        assert m.equal(m.rand(3), before)
