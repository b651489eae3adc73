"""Property-based checks (hypothesis): broadcasting, reductions and indexing over random shapes,
values and gradients against torch in float64."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dualgrad as dg

SETTINGS = settings(max_examples=40, deadline=None)
BINARY = {
    "add": lambda m, a, b: a + b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (b * b + 1),
    "maximum": lambda m, a, b: m.maximum(a, b),
    "atan2": lambda m, a, b: m.atan2(a, b * b + 1),
}


def _grads(m, fn, arrays, seed):
    xs = [m.tensor(a, requires_grad=True) for a in arrays]
    out = fn(m, *xs)
    w = m.tensor(np.random.default_rng(seed).standard_normal(tuple(out.shape)))
    grads = (m.autograd.grad((out * w).sum(), xs, allow_unused=True)
             if out.requires_grad else [None] * len(xs))
    return out, grads


def _np(t):
    return np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t._data)


@SETTINGS
@given(st.sampled_from(sorted(BINARY)), hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       st.integers(0, 2**16))
def test_binary_broadcasting_matches_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    out, grads = _grads(dg, BINARY[name], arrays, seed)
    tout, tgrads = _grads(torch, BINARY[name], arrays, seed)
    np.testing.assert_allclose(_np(out), _np(tout), rtol=1e-10, atol=1e-12)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.data(), st.booleans(), st.integers(0, 2**16))
def test_reductions_over_random_dims_match_torch(shape, data, keepdim, seed):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    for fn in (lambda m, x: x.sum(dims, keepdim=keepdim), lambda m, x: x.mean(dims, keepdim=keepdim),
               lambda m, x: m.amax(x, dims, keepdim=keepdim), lambda m, x: m.logsumexp(x, dims, keepdim=keepdim)):
        out, (g,) = _grads(dg, fn, [a], seed)
        tout, (tg,) = _grads(torch, fn, [a], seed)
        np.testing.assert_allclose(_np(out), _np(tout), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), st.data(), st.integers(0, 2**16))
def test_basic_indexing_matches_torch(shape, data, seed):
    # one int or forward slice per dim (torch has no negative steps), Nones inserted anywhere
    per_dim = [
        data.draw(st.one_of(st.integers(-n, n - 1),
                            st.slices(n).filter(lambda s: s.step is None or s.step > 0)))
        for n in shape
    ]
    for _ in range(data.draw(st.integers(0, 2))):
        per_dim.insert(data.draw(st.integers(0, len(per_dim))), None)
    index = tuple(per_dim)
    a = np.random.default_rng(seed).standard_normal(shape)
    out, (g,) = _grads(dg, lambda m, x: x[index] * 1.0, [a], seed)
    tout, (tg,) = _grads(torch, lambda m, x: x[index] * 1.0, [a], seed)
    np.testing.assert_allclose(_np(out), _np(tout))
    np.testing.assert_allclose(_np(g), _np(tg))
