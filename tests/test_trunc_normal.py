"""nn.init.trunc_normal_ is torch's algorithm (NOTE: [trunc_normal_ as torch]): with torch's
uniform draws replayed it gives torch's numbers, it draws once per element (fast for far
tails), and it warns as torch does when the mean is far from [a, b]."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import torch

import dualgrad as dg


@pytest.mark.parametrize(
    "mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 1.0, 4.0, 5.0)]
)
def test_replayed_draws_give_torchs_numbers(monkeypatch, mean, std, a, b):
    shape = (5, 7)
    want = torch.empty(shape, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.init.trunc_normal_(
            want, mean, std, a, b, generator=torch.Generator().manual_seed(1)
        )
    # the calls torch made, replayed into dualgrad's tensors: each normal_/uniform_ draws from
    # a torch generator in the same state, for the same shape and arguments
    gen = torch.Generator().manual_seed(1)
    calls = []

    def replay(kind, default):
        def method(self, p=default[0], q=default[1], *, generator=None):
            calls.append(kind)
            t = torch.empty(tuple(self.shape), dtype=torch.float64)
            draws = getattr(t, kind)(p, q, generator=gen)
            return self.copy_(dg.tensor(draws.numpy()))

        return method

    monkeypatch.setattr(dg.Tensor, "uniform_", replay("uniform_", (0.0, 1.0)))
    monkeypatch.setattr(dg.Tensor, "normal_", replay("normal_", (0.0, 1.0)))
    got = dg.empty(shape, dtype=dg.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = dg.nn.init.trunc_normal_(got, mean, std, a, b)
    assert out is got and calls
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_far_tail_is_fast_and_inside():
    start = time.perf_counter()
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        w = dg.nn.init.trunc_normal_(dg.empty(100_000), a=4.0, b=5.0)
    assert time.perf_counter() - start < 1.0
    assert float(w.min()) >= 4.0 and float(w.max()) <= 5.0
    with pytest.warns(UserWarning):
        ref = torch.nn.init.trunc_normal_(torch.empty(100_000), a=4.0, b=5.0)
    # the truncated normal's moments on [4, 5]: mean 4.217, std 0.197
    assert abs(float(w.mean()) - float(ref.mean())) < 0.01
    assert abs(float(w.std()) - float(ref.std())) < 0.01


def test_no_history_and_generator():
    w = dg.zeros(3, requires_grad=True)
    dg.nn.init.trunc_normal_(w, generator=dg.Generator().manual_seed(0))
    assert w.grad_fn is None and w.requires_grad
    v = dg.zeros(3)
    dg.nn.init.trunc_normal_(v, generator=dg.Generator().manual_seed(0))
    assert v.tolist() == w.tolist()
