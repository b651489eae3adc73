"""DataParallel, Module.compile and DistributedSampler as a CPU-only torch has them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dualgrad as dg


def test_data_parallel_runs_the_module_as_torch_on_cpu():
    t_lin = torch.nn.Linear(3, 2).double()
    d_lin = dg.nn.Linear(3, 2).double()
    d_lin.load_state_dict({k: dg.tensor(v.detach().numpy()) for k, v in t_lin.state_dict().items()})
    t_dp, d_dp = torch.nn.DataParallel(t_lin), dg.nn.DataParallel(d_lin)
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        d_dp(dg.tensor(x)).detach().numpy(), t_dp(torch.tensor(x)).detach().numpy()
    )
    assert list(d_dp.state_dict()) == list(t_dp.state_dict()) == ["module.weight", "module.bias"]
    assert repr(d_dp) == repr(t_dp) and d_dp.device_ids == t_dp.device_ids == []


def test_module_compile_returns_none_and_runs_eagerly():
    m = dg.nn.Linear(2, 1)
    before = m(dg.ones(1, 2)).item()
    assert m.compile() is None  # torch.nn.Module.compile returns None too (in place)
    assert m(dg.ones(1, 2)).item() == before


@pytest.mark.parametrize(
    "n,replicas,drop_last",
    [(10, 3, False), (10, 3, True), (2, 5, False), (9, 3, False), (7, 4, True)],
)
def test_distributed_sampler_shares_as_torch(n, replicas, drop_last):
    for rank in range(replicas):
        kw = dict(num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        t = torch.utils.data.DistributedSampler(range(n), **kw)
        d = dg.utils.data.DistributedSampler(range(n), **kw)
        assert list(d) == list(t) and len(d) == len(t)
    # shuffled: every replica draws a share of one permutation, fixed by seed + epoch
    samplers = [
        dg.utils.data.DistributedSampler(range(n), replicas, r, seed=4) for r in range(replicas)
    ]
    first = [list(s) for s in samplers]
    if not drop_last and n % replicas == 0:
        assert sorted(sum(first, [])) == list(range(n))
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != first or n < 3


@pytest.mark.parametrize(
    "kwargs,phrase",
    [
        ({}, "Default process group has not been initialized"),
        ({"num_replicas": 2, "rank": 2}, "Invalid rank 2"),
    ],
)
def test_distributed_sampler_errors_as_torch(kwargs, phrase):
    for lib in (torch, dg):
        with pytest.raises(ValueError, match=phrase):
            lib.utils.data.DistributedSampler(range(4), **kwargs)
