"""torch.optim.swa_utils against torch: AveragedModel (equal weights, EMA by avg_fn and by
multi_avg_fn, use_buffers), SWALR's rates and state_dict, update_bn's statistics."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._data)


def _net(m):
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4), m.nn.ReLU(), m.nn.Linear(4, 1))
    return net.double()


def _copy_weights(d, t):
    for (_, a), (_, b) in zip(d.state_dict().items(), t.state_dict().items()):
        a.copy_(dg.tensor(_np(b)))


@pytest.mark.parametrize(
    "kw",
    [
        lambda s: {},
        lambda s: {"avg_fn": s.get_ema_avg_fn(0.9)},
        lambda s: {"multi_avg_fn": s.get_ema_multi_avg_fn(0.8)},
        lambda s: {"avg_fn": s.get_swa_avg_fn(), "use_buffers": True},
        lambda s: {"multi_avg_fn": s.get_swa_multi_avg_fn()},
        lambda s: {"multi_avg_fn": s.get_ema_multi_avg_fn(0.8), "use_buffers": True},
    ],
)
def test_averaged_model_matches_torch(kw):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    t_net, d_net = _net(torch), _net(dg)
    _copy_weights(d_net, t_net)
    t_avg = torch.optim.swa_utils.AveragedModel(t_net, **kw(torch.optim.swa_utils))
    d_avg = dg.optim.swa_utils.AveragedModel(d_net, **kw(dg.optim.swa_utils))
    x = rng.standard_normal((5, 3))
    for _ in range(4):
        for (_, a), (_, b) in zip(d_net.named_parameters(), t_net.named_parameters()):
            noise = rng.standard_normal(tuple(b.shape))
            with torch.no_grad():
                b.add_(torch.tensor(noise))
            with dg.no_grad():
                a.add_(dg.tensor(noise))
        t_net(torch.tensor(x)), d_net(dg.tensor(x))  # moves the batch-norm buffers
        t_avg.update_parameters(t_net)
        d_avg.update_parameters(d_net)
    assert int(d_avg.n_averaged) == int(t_avg.n_averaged) == 4
    for (k, a), (_, b) in zip(d_avg.state_dict().items(), t_avg.state_dict().items()):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12, err_msg=k)
    d_avg.eval(), t_avg.eval()
    np.testing.assert_allclose(_np(d_avg(dg.tensor(x))), _np(t_avg(torch.tensor(x))), rtol=1e-10)


def test_averaged_model_refuses_two_averaging_functions():
    for m in (torch, dg):
        s = m.optim.swa_utils
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
            s.AveragedModel(
                m.nn.Linear(1, 1), avg_fn=s.get_swa_avg_fn(), multi_avg_fn=s.get_swa_multi_avg_fn()
            )
        with pytest.raises(ValueError, match="Invalid decay value"):
            s.get_ema_avg_fn(1.5)


def test_update_bn_matches_torch():
    torch.manual_seed(1)
    t_net, d_net = _net(torch), _net(dg)
    _copy_weights(d_net, t_net)
    d_net.eval(), t_net.eval()
    data = np.random.default_rng(2).standard_normal((4, 6, 3))
    t_loader = [(torch.tensor(b), 0) for b in data]
    d_loader = [(dg.tensor(b), 0) for b in data]
    torch.optim.swa_utils.update_bn(t_loader, t_net)
    dg.optim.swa_utils.update_bn(d_loader, d_net)
    assert d_net.training is t_net.training is False
    assert d_net[1].momentum == t_net[1].momentum == 0.1
    for (k, a), (_, b) in zip(d_net.state_dict().items(), t_net.state_dict().items()):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-14, err_msg=k)


@pytest.mark.parametrize(
    "kw", [{}, {"anneal_epochs": 4, "anneal_strategy": "linear"}, {"anneal_epochs": 0}]
)
def test_swalr_matches_torch(kw):
    def run(m):
        opt = m.optim.SGD([m.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
        sched = m.optim.swa_utils.SWALR(opt, swa_lr=0.05, **kw)
        out = []
        for i in range(15):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0])
            if i == 6:
                state = copy.deepcopy(sched.state_dict())
                sched = m.optim.swa_utils.SWALR(opt, swa_lr=0.05, **kw)
                sched.load_state_dict(state)
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = run(torch)
    assert run(dg) == pytest.approx(theirs, rel=1e-12)
