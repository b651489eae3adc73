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
    grads = (
        m.autograd.grad((out * w).sum(), xs, allow_unused=True)
        if out.requires_grad
        else [None] * len(xs)
    )
    return out, grads


def _np(t):
    return np.asarray(t.detach().numpy() if isinstance(t, torch.Tensor) else t._data)


@SETTINGS
@given(
    st.sampled_from(sorted(BINARY)),
    hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
    st.integers(0, 2**16),
)
def test_binary_broadcasting_matches_torch(name, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes.input_shapes]
    out, grads = _grads(dg, BINARY[name], arrays, seed)
    tout, tgrads = _grads(torch, BINARY[name], arrays, seed)
    np.testing.assert_allclose(_np(out), _np(tout), rtol=1e-10, atol=1e-12)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    st.data(),
    st.booleans(),
    st.integers(0, 2**16),
)
def test_reductions_over_random_dims_match_torch(shape, data, keepdim, seed):
    dims = data.draw(
        st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True)
    )
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    for fn in (
        lambda m, x: x.sum(dims, keepdim=keepdim),
        lambda m, x: x.mean(dims, keepdim=keepdim),
        lambda m, x: m.amax(x, dims, keepdim=keepdim),
        lambda m, x: m.logsumexp(x, dims, keepdim=keepdim),
    ):
        out, (g,) = _grads(dg, fn, [a], seed)
        tout, (tg,) = _grads(torch, fn, [a], seed)
        np.testing.assert_allclose(_np(out), _np(tout), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    st.data(),
    st.integers(0, 2**16),
)
def test_basic_indexing_matches_torch(shape, data, seed):
    # one int or forward slice per dim (torch has no negative steps), Nones inserted anywhere
    per_dim = [
        data.draw(
            st.one_of(
                st.integers(-n, n - 1), st.slices(n).filter(lambda s: s.step is None or s.step > 0)
            )
        )
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


GRAPH_STEPS = {
    "sin": (1, lambda m, a: m.sin(a)),
    "exp": (1, lambda m, a: m.exp(a * 0.3)),
    "tanh": (1, lambda m, a: m.tanh(a)),
    "scale": (1, lambda m, a: a * -0.7),
    "split": (1, lambda m, a: m.stack(m.chunk(m.cat([a, a]), 2)).sum(0)),  # a two-output node
    "add": (2, lambda m, a, b: a + b),
    "mul": (2, lambda m, a, b: a * b),
}


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(GRAPH_STEPS)), st.integers(0, 10**6), st.integers(0, 10**6)
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 3),
    st.integers(0, 2**16),
)
def test_random_graphs_backward_matches_torch(steps, n_leaves, seed):
    """The engine's order (NOTE: [order by sequence number]: a heap by node number, the next
    node held aside) on random DAGs: values reused by later steps, several leaves, a loss over
    several values. Each gradient must equal torch's, and a hook on every intermediate value
    must fire exactly once, with the full gradient."""
    rng = np.random.default_rng(seed)
    leaves = [rng.standard_normal(3) for _ in range(n_leaves)]
    weights = rng.standard_normal(len(steps) + n_leaves)

    def run(m):
        xs = [m.tensor(a, requires_grad=True) for a in leaves]
        vals, seen = list(xs), []
        for name, i, j in steps:
            arity, fn = GRAPH_STEPS[name]
            args = [vals[i % len(vals)], vals[j % len(vals)]][:arity]
            v = fn(m, *args)
            v.register_hook(lambda g, k=len(vals): seen.append((k, _np(g).copy())))
            vals.append(v)
        loss = sum(float(w) * v.sum() for w, v in zip(weights, vals))
        return m.autograd.grad(loss, xs, allow_unused=True), seen

    got, got_seen = run(dg)
    want, want_seen = run(torch)
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), _np(w), rtol=1e-10, atol=1e-12)
    assert sorted(k for k, _ in got_seen) == sorted(k for k, _ in want_seen)
    assert len({k for k, _ in got_seen}) == len(got_seen)  # each hook once
    want_by = dict(want_seen)
    for k, g in got_seen:
        np.testing.assert_allclose(g, want_by[k], rtol=1e-10, atol=1e-12)


def _inplace_program(m, steps, a, b):
    """A random program over two (6,) inputs mixing out-of-place ops with in-place writes
    (op_, through a view, setitem); its value is a weighted sum of every intermediate."""
    vals = [a * 1.0, b * 1.0]
    for name, i, j in steps:
        p, q = vals[i % len(vals)], vals[j % len(vals)]
        if name == "sin":
            v = p.sin()
        elif name == "mul":
            v = p * q
        elif name == "exp":
            v = (p * 0.1).exp()
        elif name == "mul_":
            v = p.clone()
            v.mul_(q)
        elif name == "add_":
            v = p * 1.0
            v.add_(q.cos())
        elif name == "view_mul_":
            v = p.clone()
            v.view(2, 3)[0].mul_(2.0)
        else:  # setitem
            v = p.clone()
            v[1:4] = q[0:3] * 0.5
        vals.append(v)
    return sum(((k + 1) * 0.1 * v).sum() for k, v in enumerate(vals))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["sin", "mul", "exp", "mul_", "add_", "view_mul_", "setitem"]),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
        ),
        min_size=1,
        max_size=10,
    ),
    st.integers(0, 2**16),
)
def test_random_programs_with_inplace_writes_match_torch_in_every_mode(steps, seed):
    """In-place writes inside random programs: the JVP, the HVP by forward-over-reverse and
    per-sample gradients by vmap(grad) equal torch.func's."""
    rng = np.random.default_rng(seed)
    a0, b0, ta, tb = (rng.standard_normal(6) for _ in range(4))

    def run(m):
        fx = m.func
        f = lambda a, b: _inplace_program(m, steps, a, b)  # noqa: E731
        args, tans = (m.tensor(a0), m.tensor(b0)), (m.tensor(ta), m.tensor(tb))
        jv = fx.jvp(f, args, tans)[1]
        hv = fx.jvp(fx.grad(f, argnums=(0, 1)), args, tans)[1]
        ps = fx.vmap(fx.grad(f, argnums=(0, 1)))(
            m.tensor(np.stack([a0, b0])), m.tensor(np.stack([b0, a0]))
        )
        return [jv, *hv, *ps]

    for got, want in zip(run(dg), run(torch)):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-9, atol=1e-10)
